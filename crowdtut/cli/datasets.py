"""``crowdtut datasets list | install NAME --folder DIR``: real datasets as dataset folders."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    CLIError,
    add_command,
    add_overwrite,
    check_free,
    dataset_files,
    npy_bytes,
    show,
    write_outputs,
)

_INSTALL = """\
Write a registered dataset into DIR in peerannot's layout, ids encoded as 0..n-1:
  answers.json, metadata.json   the answers; metadata adds source, licence and citation
  ground_truth.npy              true label per task, -1 where unknown
  labelNames.txt                class names, line i = class i (peerannot's file)
  task_names.txt, worker_names.txt  the original task and worker names, line i = id i
LabelMe also gets its VGG16 features and its validation and test sets:
  features/{train,valid,test}.npy (float32, 512 columns; row i of train = task i)
  ground_truth_valid.npy, ground_truth_test.npy
  images/{train,valid,test}.npy with --images (uint8, 64x64x3)
CIFAR-10H publishes vote counts, not who voted what. Its answers.json gives every vote its
own anonymous worker id (511,000 workers with one answer each): count-based methods (MV,
NaiveSoft, entropy) are exact on it, worker models have nothing to learn. counts.npy holds
the (10000, 10) counts; --images adds images/train.npy (the 32x32 CIFAR-10 test images).
Repeated (task, worker) pairs, which answers.json cannot hold, keep their first answer.
Files come from $CROWDTUT_DATA (a local mirror) or are downloaded and checked (sha256)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "datasets",
        help="list the real datasets or install one as a dataset folder",
        description="List the registered real datasets or write one as a dataset folder.",
        folder=False,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = add_command(
        actions, "list", help="the registered datasets and their sizes",
        description="The registered datasets, their sizes and whether install can write them.",
        folder=False,
    )
    listing.set_defaults(run=run_list)
    install = add_command(
        actions, "install", help="write a dataset as a dataset folder", description=_INSTALL,
        epilog="example: crowdtut datasets install labelme --folder data/labelme",
        folder=False,
    )
    install.add_argument("name", help="dataset name (see crowdtut datasets list)")
    install.add_argument("--folder", type=Path, required=True, help="output folder (created)")
    install.add_argument(
        "--images", action="store_true",
        help="also write the images (labelme: 64x64, cifar10h: 32x32) under images/",
    )
    add_overwrite(install)
    install.set_defaults(run=run_install)


def run_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..datasets import list_datasets

    table = list_datasets()
    table["install"] = table["loadable"] & table["kind"].isin(_LABEL_KINDS)
    columns = ["name", "kind", "n_tasks", "n_workers", "n_answers", "n_classes", "n_truth",
               "install"]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table[columns].to_string(index=False))
    return 0


_LABEL_KINDS = ("classification", "vote-counts")  # what answers.json can hold


def _info(name: str):
    from ..datasets import dataset_info

    info = dataset_info(name)  # KeyError naming close matches
    if info.kind not in _LABEL_KINDS:
        raise CLIError(f"{info.name} is {info.kind} data: answers.json holds class labels only")
    if not info.loader:
        raise CLIError(f"{info.name} is registered but has no loader yet")
    return info


def _lines(values) -> str:
    return "".join(f"{v}\n" for v in values)


def _counts_as_answers(counts):
    """One anonymous worker per vote: task i, class k, count c -> c answers by new workers."""
    import numpy as np
    import pandas as pd

    counts = np.asarray(counts, dtype=np.int64)
    task, label = np.nonzero(counts)
    reps = counts[task, label]
    frame = pd.DataFrame(
        {
            "task": np.repeat(task, reps),
            "worker": np.arange(int(reps.sum())),
            "label": np.repeat(label, reps),
        }
    )
    return frame


def run_install(args: argparse.Namespace) -> int:
    import numpy as np

    from ..answers import encode_answers
    from ..datasets import load_dataset
    from ..io import write_peerannot

    info = _info(args.name)
    folder: Path = args.folder
    extras: dict[Path, bytes | str] = {}
    check_free(dataset_files(folder), args.overwrite)
    ds = load_dataset(info.name, images=args.images)

    notes = []
    if ds.has_answers:
        data = ds.encode(duplicates="first")
        dropped = len(ds.answers) - data.n_answers
        if dropped:
            notes.append(f"{dropped} repeated (task, worker) answers dropped (first one kept)")
        workers_note = None
    else:
        counts = ds.extras["counts"]
        data = encode_answers(
            _counts_as_answers(counts), classes=range(counts.shape[1]), tasks=range(len(counts))
        )
        extras[folder / "counts.npy"] = npy_bytes(counts)
        workers_note = (
            "anonymous: every vote has its own worker id (the dataset publishes vote counts "
            "only); counts.npy holds the counts per task and class"
        )
    truth = ds.truth
    if truth is not None:
        known = truth.index.isin(data.tasks)
        if not known.all():
            notes.append(f"{int((~known).sum())} true labels of tasks without answers left out")
            truth = truth[known]

    class_names = ds.extras.get("class_names") or [str(c) for c in data.classes]
    extras[folder / "labelNames.txt"] = _lines(class_names)
    extras[folder / "task_names.txt"] = _lines(data.tasks)
    if ds.has_answers:
        extras[folder / "worker_names.txt"] = _lines(data.workers)
    if "features_train" in ds.extras:
        rows = np.asarray(data.tasks)  # LabelMe: task names are the rows of the features
        for split in ("train", "valid", "test"):
            kinds = ("features", "images") if args.images else ("features",)
            for kind in kinds:
                x = ds.extras[f"{kind}_{split}"]
                x = x[rows] if split == "train" else x  # row i of train = task i
                extras[folder / kind / f"{split}.npy"] = npy_bytes(x)
        extras[folder / "ground_truth_valid.npy"] = npy_bytes(ds.extras["y_valid"])
        extras[folder / "ground_truth_test.npy"] = npy_bytes(ds.extras["y_test"])
    elif args.images and "images" in ds.extras:
        images = ds.extras["images"][np.asarray(data.tasks)]  # row i = task i
        extras[folder / "images" / "train.npy"] = npy_bytes(images)
    check_free(extras, args.overwrite)

    metadata = dict(
        source=ds.url, licence=ds.licence, citation=ds.citation, description=ds.description,
        class_names=list(map(str, class_names)),
    )
    if workers_note:
        metadata["workers"] = workers_note
    write_peerannot(  # metadata.json written once, with the dataset's provenance
        data, folder, name=info.name, n_classes=data.n_classes, truth=truth, encode=True,
        overwrite=True,  # check_free refused existing files unless --overwrite
        metadata=metadata,
    )
    write_outputs(extras, overwrite=True)

    n_truth = 0 if truth is None else len(truth)
    print(
        f"{info.name}: {data.n_tasks} tasks, {data.n_workers} workers, {data.n_answers} answers, "
        f"{data.n_classes} classes, truth for {n_truth} tasks -> {show(folder)}/"
    )
    for note in notes:
        print(f"note: {note}")
    print(f"licence: {ds.licence}")
    return 0
