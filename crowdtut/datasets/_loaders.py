"""One reader per dataset format. Each takes the registry entry and a function that returns the
verified local path of a file by its role, and builds a :class:`CrowdDataset`."""

from __future__ import annotations

import io
import json
import pickle
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
import pandas as pd

from ._dataset import CrowdDataset, dataset_from_info
from ._registry import DatasetInfo

GetFile = Callable[[str], Path]
Loader = Callable[[DatasetInfo, GetFile, bool], CrowdDataset]

LOADERS: dict[str, Loader] = {}
HAS_IMAGES = ("labelme", "cifar10h", "peerannot_toy")
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)


def _loader(key: str) -> Callable[[Loader], Loader]:
    def register(func: Loader) -> Loader:
        LOADERS[key] = func
        return func

    return register


_dataset = dataset_from_info  # one constructor for every loader (see _dataset.py)


def _answers_frame(task, worker, label) -> pd.DataFrame:
    return pd.DataFrame({"task": task, "worker": worker, "label": label})


def _truth(values, index) -> pd.Series:
    return pd.Series(
        np.asarray(values, dtype=np.int64), index=pd.Index(index, name="task"), name="truth"
    )


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={c: np.int64 for c in columns}, engine="c")
    if tuple(frame.columns) != columns:
        raise ValueError(f"{path} has columns {list(frame.columns)}, expected {list(columns)}")
    return frame


@_loader("truth_inference")
def _truth_inference(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    labels = _read_csv(get("label"), ("item", "worker", "label"))
    truth = _read_csv(get("truth"), ("item", "truth")).sort_values("item", kind="stable")
    answers = labels.rename(columns={"item": "task"})
    return _dataset(
        info,
        answers,
        _truth(truth["truth"].to_numpy(), truth["item"].to_numpy()),
        list(range(info.n_classes)),
    )


_LABELME_CLASSES = [
    "highway",
    "insidecity",
    "tallbuilding",
    "street",
    "forest",
    "coast",
    "mountain",
    "opencountry",
]


_MIRROR_ONLY = (  # extras["missing"] when a derived file is not at hand
    "Not loaded: {what}, from {file}, a derived file that only a dataset mirror provides; set "
    "CROWDTUT_DATA to a mirror directory that holds it. Everything else, the {rest} included, "
    "is loaded."
)


def _optional(get: GetFile, role: str, images: bool | str) -> Path | None:
    """The file of ``role``: None when not wanted (``images`` False), or when ``images`` is
    ``"if-available"`` and the file cannot be had here (a derived file outside a mirror)."""
    if not images:
        return None
    try:
        return get(role)
    except FileNotFoundError:
        if images is True:
            raise
        return None


def _read_int_matrix(path: Path) -> np.ndarray:
    return pd.read_csv(path, sep=r"\s+", header=None, dtype=np.int64).to_numpy()


@_loader("labelme")
def _labelme(info: DatasetInfo, get: GetFile, images: bool | str) -> CrowdDataset:
    dense = _read_int_matrix(get("answers"))
    task, worker = np.nonzero(dense >= 0)
    answers = _answers_frame(task.astype(np.int64), worker.astype(np.int64), dense[task, worker])
    y_train = _read_int_matrix(get("y_train"))[:, 0]
    extras: dict = {"class_names": list(_LABELME_CLASSES)}
    for split in ("train", "valid", "test"):
        extras[f"features_{split}"] = np.load(get(f"features_{split}"))
    extras["y_valid"] = _read_int_matrix(get("y_valid"))[:, 0]
    extras["y_test"] = _read_int_matrix(get("y_test"))[:, 0]
    image_file = _optional(get, "images", images)
    if image_file is not None:
        with np.load(image_file) as z:
            for split in ("train", "valid", "test"):
                extras[f"images_{split}"] = z[f"X_{split}"]
                extras[f"filenames_{split}"] = z[f"filenames_{split}"].tolist()
    elif images:  # "if-available", and the derived file is not at hand
        extras["missing"] = _MIRROR_ONLY.format(
            what="the 64x64 images", file=info.files["images"].mirror_path, rest="VGG16 features"
        )
    return _dataset(info, answers, _truth(y_train, np.arange(len(y_train))), list(range(8)), extras)


@_loader("cifar10h")
def _cifar10h(info: DatasetInfo, get: GetFile, images: bool | str) -> CrowdDataset:
    counts = np.load(get("counts"))
    extras = {"counts": counts, "class_names": list(CIFAR10_CLASSES)}
    # truth and images live in a derived file that only a mirror (or a filled cache) holds
    test_file = _optional(get, "test", images or "if-available")
    if test_file is None:
        extras["missing"] = _MIRROR_ONLY.format(
            what="the truth (CIFAR-10 test labels)" + (" and the images" if images else ""),
            file=info.files["test"].mirror_path,
            rest="vote counts",
        )
    y_test = None
    if test_file is not None:
        with np.load(test_file) as z:
            y_test = z["y_test"]
            if images:
                extras["images"] = z["X_test"]
    reason = (
        "cifar10h has no per-annotator answers: its mirror holds only the vote counts per image "
        "and class (dataset.extras['counts'], 10000 x 10), not who voted what. Worker-level "
        "models (Dawid-Skene, GLAD, crowd layers, ...) need per-annotator data, which CIFAR-10H "
        "publishes only in a raw archive this mirror lacks; use count-based methods (majority "
        "vote, soft labels, entropy) on the counts, or a dataset with answers such as cifar10n."
    )
    return _dataset(
        info,
        None,
        None if y_test is None else _truth(y_test, np.arange(len(y_test))),
        list(range(counts.shape[1])),
        extras,
        _no_answers_reason=reason,
    )


try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct as _np_reconstruct


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain numpy arrays and nothing else (no torch, no arbitrary callables)."""

    def find_class(self, module: str, name: str):
        if (module, name) in {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
        }:
            return _np_reconstruct
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if (module, name) == ("_codecs", "encode"):
            import codecs

            return codecs.encode
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays allowed")


def _read_torch_numpy_dict(path: Path) -> dict:
    """A dict of numpy arrays saved with torch.save, read without torch."""
    with zipfile.ZipFile(path) as archive:
        members = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(members) != 1:
            raise ValueError(f"{path} is not a torch zip archive with one data.pkl")
        data = archive.read(members[0])
    return _NumpyOnlyUnpickler(io.BytesIO(data)).load()


@_loader("cifar10n")
def _cifar10n(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    labels = _read_torch_numpy_dict(get("labels"))
    side = pd.read_csv(get("side_info"))
    bounds = side["Image-batch"].str.split("--", expand=True).astype(np.int64).to_numpy()
    n = len(labels["clean_label"])
    consecutive = np.array_equal(bounds[:, 0], np.arange(0, n, 10))
    if not (consecutive and (bounds[:, 1] - bounds[:, 0] == 9).all()):
        raise ValueError("side_info_cifar10N.csv does not list consecutive batches of 10 images")
    worker_ids = side[["Worker1-id", "Worker2-id", "Worker3-id"]].to_numpy(dtype=np.int64)
    task = np.repeat(np.arange(n, dtype=np.int64), 3)
    slot = np.tile(np.arange(3), n)
    label = np.stack([labels[f"random_label{j}"] for j in (1, 2, 3)], axis=1).ravel()
    answers = _answers_frame(task, worker_ids[task // 10, slot], label.astype(np.int64))
    index = pd.RangeIndex(n, name="task")
    extras = {
        "aggre_label": pd.Series(labels["aggre_label"].astype(np.int64), index, name="aggre_label"),
        "worse_label": pd.Series(labels["worse_label"].astype(np.int64), index, name="worse_label"),
        "side_info": side,
        "class_names": [
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ],
    }
    return _dataset(info, answers, _truth(labels["clean_label"], index), list(range(10)), extras)


def _read_peerannot_answers(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """peerannot's ``{task: {worker: label}}`` JSON as a long frame, plus the empty tasks."""
    with open(path, encoding="utf-8") as f:
        votes = json.load(f)
    rows = [
        (int(task), int(worker), int(label))
        for task, by_worker in votes.items()
        for worker, label in by_worker.items()
    ]
    empty = [int(t) for t, by_worker in votes.items() if not by_worker]
    frame = pd.DataFrame(rows, columns=["task", "worker", "label"], dtype=np.int64)
    return frame, empty


@_loader("peerannot_toy")
def _peerannot_toy(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    answers, _ = _read_peerannot_answers(get("answers.json"))
    class_names = get("labelNames.txt").read_text(encoding="utf-8").split()
    listed = set(get("filenames.txt").read_text(encoding="utf-8").split())
    truth: dict[int, int] = {}
    image_roles: dict[int, str] = {}
    for role in info.files:
        parts = PurePosixPath(role).parts
        if parts[0] != "train":
            continue
        _, class_name, filename = parts
        task = int(PurePosixPath(filename).stem.rsplit("-", 1)[1])  # <name>-<task>.<ext>
        truth[task] = class_names.index(class_name)
        image_roles[task] = role
    if listed != {PurePosixPath(r).name for r in image_roles.values()}:
        raise ValueError("filenames.txt and the image files of peerannot-toy do not match")
    tasks = sorted(truth)
    extras: dict = {"class_names": class_names}
    if images:
        extras["image_paths"] = pd.Series(
            [get(image_roles[t]) for t in tasks], index=pd.Index(tasks, name="task"), name="path"
        )
    return _dataset(
        info,
        answers,
        _truth([truth[t] for t in tasks], tasks),
        list(range(len(class_names))),
        extras,
    )


@_loader("krippendorff")
def _krippendorff(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    answers, empty = _read_peerannot_answers(get("answers.json"))
    classes = sorted(answers["label"].unique().tolist())
    return _dataset(info, answers, None, classes, {"unanswered_tasks": empty})


@_loader("sagemaker_birds")
def _sagemaker_birds(info: DatasetInfo, get: GetFile, images: bool) -> CrowdDataset:
    rows = []
    with tarfile.open(get("archive"), "r:gz") as archive:
        manifest_lines = archive.extractfile("ic_data/output.manifest").read().decode("utf-8")
        true_labels = json.loads(archive.extractfile("ic_data/true_labels.json").read())
        for member in archive.getmembers():
            parts = PurePosixPath(member.name).parts
            if (
                not member.isfile()
                or len(parts) != 5
                or parts[1] != "worker-response"
                or parts[-1].startswith("._")
                or not parts[-1].endswith(".json")
            ):
                continue
            response = json.loads(archive.extractfile(member).read())
            for answer in response["answers"]:
                label = answer["answerContent"]["crowd-image-classifier"]["label"]
                rows.append((int(parts[3]), answer["workerId"], label))

    manifest = [json.loads(line) for line in manifest_lines.splitlines() if line.strip()]
    image_ids, index_to_class, manifest_rows = [], {}, []
    for record in manifest:
        image_id = PurePosixPath(record["source-ref"]).stem
        job = next(k for k in record if k != "source-ref" and not k.endswith("-metadata"))
        meta = record[f"{job}-metadata"]
        index_to_class[int(record[job])] = meta["class-name"]
        image_ids.append(image_id)
        manifest_rows.append((meta["class-name"], meta.get("confidence"), len(image_ids) - 1))

    raw = pd.DataFrame(rows, columns=["object", "worker", "label"]).sort_values(
        "object", kind="stable"
    )
    answers = pd.DataFrame(
        {
            "task": np.asarray(image_ids, dtype=object)[raw["object"].to_numpy()],
            "worker": raw["worker"].to_numpy(),
            "label": raw["label"].to_numpy(),
        }
    )
    classes = [index_to_class[i] for i in sorted(index_to_class)]
    classes += sorted(set(answers["label"]) - set(classes))
    truth = pd.Series(
        [d["Label"] for d in true_labels],
        index=pd.Index([d["ImageId"] for d in true_labels], name="task"),
        name="truth",
    )
    truth = truth.reindex([t for t in image_ids if t in truth.index])
    truth.index.name = "task"
    extras = {
        "class_names": classes,
        "manifest": pd.DataFrame(
            manifest_rows,
            columns=["label", "confidence", "object_id"],
            index=pd.Index(image_ids, name="task"),
        ),
    }
    return _dataset(info, answers, truth, classes, extras)


# --- segmentation datasets (issue 5): their loaders live in their own modules ------------------
from ._bubil import load_bubil  # noqa: E402
from ._mscoco import load_mscoco_small  # noqa: E402

LOADERS.update(bubil=load_bubil, mscoco_small=load_mscoco_small)
HAS_IMAGES += ("bubil",)

# --- pairwise, text and clustering datasets: their loaders live in their own modules ------------
from ._clustering import load_crowd_clustering  # noqa: E402
from ._pairwise import load_music_preferences, load_readability  # noqa: E402
from ._texts import load_crowdspeech, load_crowdwsa2019  # noqa: E402

LOADERS.update(
    readability=load_readability,
    music_preferences=load_music_preferences,
    crowdspeech=load_crowdspeech,
    crowdwsa2019=load_crowdwsa2019,
    crowd_clustering_www25=load_crowd_clustering,
)
HAS_IMAGES += ("crowd_clustering_www25",)
# the keyword options each loader takes besides images (load_dataset checks them)
OPTIONS: dict[str, tuple[str, ...]] = {
    "bubil": ("subset",),
    "crowdspeech": ("split",),
    "crowd_clustering_www25": ("query", "image_set"),
}
# loaders given data_home= and download=: bubil (derives its arrays from the published files of
# its manifest when the prepared ones are missing, and caches them)
SELF_FETCHING = ("bubil",)
