"""Simulated crowds for clustering: HITs of images, partitioning workers, intruder HITs.

The protocol is the one of Toloka's crowd-clustering pipeline (Likhobaba, Fedulov and Ustalov,
2023; https://github.com/Toloka/crowdclustering): every HIT shows ``items_per_hit`` images and a
worker sorts them into groups of their own; later, *intruder* HITs show 7 images of one found
cluster and 1 of another, and workers point at the odd one out.

The images are real; the workers are simulated, and their behaviour depends on the images
through image features (for LabelMe, the VGG16 features of the dataset):

- every worker *perceives* a class for each image: the true class, except that with the worker's
  error rate the class is drawn from the image's visual confusion ``c_i(k)``, a softmax of the
  cosine similarity between the image's features and the mean features of each class. An image
  that looks like another class is mistaken for it; a typical image is not;
- *faithful* workers group the images by perceived class;
- *lumpers* merge visually similar classes: the classes are merged in the order of an
  average-linkage tree of the class means (cosine distance), a random number of merges each;
- *splitters* split every class into its two visual sub-styles (2-means on the features of the
  class);
- *careless* workers put each image, with probability ``careless_rate``, in a random group.

Item names are the labels of ``truth``'s index; HITs and workers are the integers ``0..n-1``.
Everything is vectorised over HITs and answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._checks import check_int as _check_int, check_fraction as _check_fraction
from ._common import numbered, seed_value

__all__ = [
    "hit_arithmetic",
    "make_hits",
    "VisualStructure",
    "visual_structure",
    "SimulatedPartitions",
    "simulate_partitions",
    "IntruderHits",
    "make_intruder_hits",
    "simulate_intruder_answers",
    "WORKER_KINDS",
]

WORKER_KINDS = ("faithful", "lumper", "splitter", "careless")
_DEFAULT_MIX = {"faithful": 0.6, "lumper": 0.15, "splitter": 0.15, "careless": 0.1}
_KEY_LIMIT = 4_000_000  # random keys drawn at once when sampling without replacement


# --- validation ------------------------------------------------------------------------------
def _check_range(value, name: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high); got {value!r}") from None
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"{name} must satisfy 0 <= low <= high <= 1; got {value!r}")
    return low, high


def _as_items(items) -> pd.Index:
    if isinstance(items, (int, np.integer)) and not isinstance(items, bool):
        return pd.RangeIndex(_check_int(items, "items", 2), name="item")
    index = pd.Index(items, name="item")
    if not index.is_unique:
        raise ValueError(f"items has repeated names: {index[index.duplicated()].unique()[:5].tolist()}")
    if len(index) < 2:
        raise ValueError(f"at least two items are needed; got {len(index)}")
    return index


def _smallest_keys(
    rng: np.random.Generator, rows: int, n_items: int, k: int, exclude: tuple | None = None
) -> np.ndarray:
    """For each of ``rows`` rows, ``k`` distinct columns of ``range(n_items)`` drawn uniformly,
    as the ``k`` smallest of uniform random keys; ``exclude = (row, column)`` arrays (sorted by
    row) name cells that may not be drawn. Works in blocks of rows to bound memory."""
    out = np.empty((rows, k), dtype=np.int64)
    if k == 0:
        return out
    step = max(1, _KEY_LIMIT // n_items)
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        keys = rng.random((stop - start, n_items))
        if exclude is not None:
            lo, hi = np.searchsorted(exclude[0], [start, stop])
            keys[exclude[0][lo:hi] - start, exclude[1][lo:hi]] = np.inf
        out[start:stop] = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return out


# --- HIT construction ------------------------------------------------------------------------
def hit_arithmetic(n_items: int, items_per_hit: int = 10, hits_per_item: int | None = None) -> dict:
    """The numbers behind the HIT design of the seed pipeline.

    ``hits_per_item`` (the number of HITs each image should appear in) defaults to
    ``min(items_per_hit, 21)`` as in the seed. Then ``initial_items = max(items_per_hit //
    hits_per_item, 1)`` images of each HIT are its own share of a partition of the images, and
    ``unique_hits = n_items * hits_per_item // items_per_hit``; the rest of each HIT is sampled
    from the other images.

    Returns
    -------
    dict with ``hits_per_item``, ``initial_items``, ``unique_hits``, ``pairs_per_hit`` (pairwise
    labels one answer yields), ``pairwise_labels`` (per answer round), ``pairs_total`` (pairs of
    images), ``pair_coverage`` (expected share of image pairs that share at least one HIT) and
    ``hits_for_all_pairs`` (HITs needed for every pair to meet once, a lower bound).
    """
    n_items = _check_int(n_items, "n_items", 2)
    items_per_hit = _check_int(items_per_hit, "items_per_hit", 2)
    if items_per_hit > n_items:
        raise ValueError(f"items_per_hit={items_per_hit} exceeds the {n_items} items")
    if hits_per_item is None:
        hits_per_item = min(items_per_hit, 21)
    hits_per_item = _check_int(hits_per_item, "hits_per_item", 1)
    initial = max(items_per_hit // hits_per_item, 1)
    unique_hits = max(n_items * hits_per_item // items_per_hit, 1)
    pairs_per_hit = items_per_hit * (items_per_hit - 1) // 2
    pairs_total = n_items * (n_items - 1) // 2
    # a given pair meets in one HIT with probability about p = C(m,2) / C(n,2)
    p_meet = pairs_per_hit / pairs_total
    coverage = 1.0 - (1.0 - p_meet) ** unique_hits
    return {
        "n_items": n_items,
        "items_per_hit": items_per_hit,
        "hits_per_item": hits_per_item,
        "initial_items": initial,
        "unique_hits": unique_hits,
        "pairs_per_hit": pairs_per_hit,
        "pairwise_labels": unique_hits * pairs_per_hit,
        "pairs_total": pairs_total,
        "pair_coverage": float(coverage),
        "hits_for_all_pairs": int(np.ceil(pairs_total / pairs_per_hit)),
    }


def make_hits(
    items,
    items_per_hit: int = 10,
    hits_per_item: int | None = None,
    *,
    seed=None,
) -> pd.DataFrame:
    """HITs built as in the seed pipeline: a share of a random partition of the images, the rest
    sampled from the other images.

    The images are shuffled and split into ``unique_hits`` nearly equal parts (see
    :func:`hit_arithmetic`); each part starts a HIT and is completed with images drawn uniformly,
    without replacement, from the images not already in it. When ``unique_hits`` exceeds the
    number of images (more HITs per image than images per HIT), the shuffled images are repeated
    so that every image starts about ``unique_hits / n_items`` HITs.

    Parameters
    ----------
    items : number of images or their names.
    items_per_hit : images shown in one HIT.
    hits_per_item : HITs each image should appear in; default ``min(items_per_hit, 21)``.
    seed : seed or ``numpy.random.Generator``.

    Returns
    -------
    DataFrame with columns ``hit`` (0..n_hits-1), ``item`` and ``position`` (0..items_per_hit-1),
    one row per image of each HIT, sorted by HIT and position. Every image appears
    ``hits_per_item`` times on average.
    """
    index = _as_items(items)
    n = len(index)
    plan = hit_arithmetic(n, items_per_hit, hits_per_item)
    rng = np.random.default_rng(seed)
    n_hits = plan["unique_hits"]
    repeats = -(-n_hits // n)  # ceil: passes over the shuffled images
    order = np.concatenate([rng.permutation(n) for _ in range(repeats)])
    if repeats == 1:
        bounds = np.linspace(0, n, n_hits + 1).round().astype(np.int64)  # np.array_split sizes
    else:
        bounds = np.arange(n_hits + 1, dtype=np.int64)  # one starting image per HIT
    sizes = np.diff(bounds)
    seeds_hit = np.repeat(np.arange(n_hits), sizes)
    seeds_item = order[: bounds[-1]]
    # complete each HIT to items_per_hit images drawn from the images not in it
    fill = np.maximum(items_per_hit - sizes, 0)
    k = int(fill.max())
    extra = _smallest_keys(rng, n_hits, n, k, exclude=(seeds_hit, seeds_item))
    keep = np.arange(k)[None, :] < fill[:, None]
    hit = np.concatenate([seeds_hit, np.broadcast_to(np.arange(n_hits)[:, None], extra.shape)[keep]])
    item = np.concatenate([seeds_item, extra[keep]])
    # shuffle the images inside each HIT (a worker should not see the starting image first)
    perm = np.lexsort((rng.random(len(hit)), hit))
    hit, item = hit[perm], item[perm]
    start = np.r_[0, np.flatnonzero(np.diff(hit)) + 1]
    position = np.arange(len(hit)) - np.repeat(start, np.diff(np.r_[start, len(hit)]))
    return pd.DataFrame({"hit": hit, "item": index.take(item), "position": position})


# --- how the simulated workers see the images ------------------------------------------------
@dataclass(frozen=True, eq=False)
class VisualStructure:
    """What the images look like to the simulated workers, computed from image features.

    Attributes
    ----------
    classes : Index of the true classes, in code order.
    class_similarity : DataFrame (K x K), cosine similarity of the classes' mean features.
    merge_order : ndarray (K - 1, 2), the class groups merged at each step of an average-linkage
        tree on ``1 - class_similarity`` (scipy's linkage rows, first two columns).
    lump_codes : ndarray (K, K), ``lump_codes[m, k]``: the group of class ``k`` after ``m``
        merges (``m = 0``: every class its own group).
    substyle : Series (item -> 0/1), each image's half of its class under 2-means on features.
    confusion : DataFrame (items x K), each image's visual confusion ``c_i(k)``: softmax over
        classes of ``cos(f_i, mean_k) / temperature``.
    """

    classes: pd.Index
    class_similarity: pd.DataFrame
    merge_order: np.ndarray
    lump_codes: np.ndarray
    substyle: pd.Series
    confusion: pd.DataFrame

    def lumped(self, n_merges: int) -> pd.Series:
        """The group of each class after ``n_merges`` merges of the tree (as class names)."""
        codes = self.lump_codes[n_merges]
        names = pd.Series(self.classes, index=self.classes)
        return names.groupby(codes).transform(lambda s: "+".join(map(str, s))).rename("group")


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def _two_means(x: np.ndarray, n_iter: int = 50) -> np.ndarray:
    """Two-means on the rows of ``x`` (cosine geometry), started from the first principal axis."""
    if len(x) < 2:
        return np.zeros(len(x), dtype=np.int64)
    centred = x - x.mean(axis=0)
    # scores on the first principal axis: the top eigenvector of the (small) Gram matrix
    _, vectors = np.linalg.eigh(centred @ centred.T)
    labels = (vectors[:, -1] > 0).astype(np.int64)
    for _ in range(n_iter):
        if labels.min() == labels.max():
            break
        centres = np.stack([x[labels == c].mean(axis=0) for c in (0, 1)])
        new = ((x[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
    # the larger half is style 0, so that the result does not depend on the sign of the SVD
    if (labels == 1).sum() > (labels == 0).sum():
        labels = 1 - labels
    return labels


def visual_structure(features, truth: pd.Series, *, temperature: float = 0.05) -> VisualStructure:
    """Class similarities, lumping tree, sub-styles and per-image confusions from features.

    Parameters
    ----------
    features : array (n_items, n_features) in the order of ``truth`` (e.g. LabelMe's VGG16
        features), or a DataFrame indexed by item.
    truth : Series item -> true class.
    temperature : softmax temperature of the per-image visual confusion (smaller: sharper).
    """
    truth = _check_truth(truth)
    f = _aligned_features(features, truth)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive; got {temperature!r}")
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    classes = pd.Index(np.sort(truth.unique()), name="class")
    y = classes.get_indexer(truth.to_numpy())
    k = len(classes)
    unit = _unit_rows(f)
    means = _unit_rows(np.stack([unit[y == c].mean(axis=0) for c in range(k)]))
    sim = np.clip(means @ means.T, -1.0, 1.0)
    tree = linkage(squareform(1.0 - sim, checks=False), method="average")
    lump = np.empty((k, k), dtype=np.int64)
    members = {c: [c] for c in range(k)}
    codes = np.arange(k)
    lump[0] = codes
    for m, (left, right) in enumerate(tree[:, :2].astype(np.int64), start=1):
        merged = members.pop(left) + members.pop(right)
        members[k + m - 1] = merged
        codes = codes.copy()
        codes[merged] = min(merged)
        lump[m] = codes
    style = np.zeros(len(y), dtype=np.int64)
    for c in range(k):  # one 2-means per class: a loop over classes, not items
        rows = np.flatnonzero(y == c)
        style[rows] = _two_means(unit[rows])
    logits = unit @ means.T / temperature
    logits -= logits.max(axis=1, keepdims=True)
    conf = np.exp(logits)
    conf /= conf.sum(axis=1, keepdims=True)
    return VisualStructure(
        classes=classes,
        class_similarity=pd.DataFrame(sim, index=classes, columns=classes),
        merge_order=tree[:, :2].astype(np.int64),
        lump_codes=lump,
        substyle=pd.Series(style, index=truth.index, name="substyle"),
        confusion=pd.DataFrame(conf, index=truth.index, columns=classes),
    )


def _check_truth(truth) -> pd.Series:
    if not isinstance(truth, pd.Series):
        raise TypeError(f"truth must be a pandas Series item -> class; got {type(truth).__name__}")
    if not truth.index.is_unique:
        raise ValueError(f"truth has repeated items: {truth.index[truth.index.duplicated()][:5].tolist()}")
    if truth.isna().any():
        raise ValueError("truth has missing classes")
    if truth.nunique() < 2:
        raise ValueError("truth needs at least two classes")
    return truth


def _aligned_features(features, truth: pd.Series) -> np.ndarray:
    if isinstance(features, pd.DataFrame):
        missing = truth.index.difference(features.index)
        if len(missing):
            raise ValueError(f"features has no row for item(s) {missing[:5].tolist()}")
        f = features.loc[truth.index].to_numpy(dtype=np.float64)
    else:
        f = np.asarray(features, dtype=np.float64)
        if f.ndim != 2 or f.shape[0] != len(truth):
            raise ValueError(
                f"features must have shape (n_items, n_features) with n_items = {len(truth)} "
                f"(the length of truth); got {f.shape}"
            )
    if not np.isfinite(f).all():
        raise ValueError("features has NaN or infinite values")
    return f


# --- partitioning workers --------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SimulatedPartitions:
    """A simulated crowd of partitioning workers and the truth behind it.

    Attributes
    ----------
    answers : DataFrame with columns ``hit``, ``worker``, ``item``, ``group``: one row per image
        of each answered HIT; ``group`` is the worker's own group number inside that HIT
        (0, 1, ...), meaningful only within one (hit, worker) answer.
    hits : DataFrame (``hit``, ``item``, ``position``), the HITs shown.
    truth : Series item -> true class.
    worker_type : Series worker -> ``"faithful"``, ``"lumper"``, ``"splitter"`` or ``"careless"``.
    error_rate : Series worker -> probability of perceiving an image through its visual confusion.
    n_merges : Series worker -> merges a lumper applies (0 for the other kinds).
    structure : the :class:`VisualStructure` used.
    params : the arguments of the simulation.
    """

    answers: pd.DataFrame
    hits: pd.DataFrame
    truth: pd.Series
    worker_type: pd.Series
    error_rate: pd.Series
    n_merges: pd.Series
    structure: VisualStructure
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_workers(self) -> int:
        return len(self.worker_type)


def _worker_kinds(rng, n_workers: int, mix: Mapping[str, float]) -> np.ndarray:
    unknown = set(mix) - set(WORKER_KINDS)
    if unknown:
        raise ValueError(f"worker_mix has unknown kind(s) {sorted(unknown)}; expected {WORKER_KINDS}")
    shares = np.array([float(mix.get(k, 0.0)) for k in WORKER_KINDS])
    if (shares < 0).any() or not np.isfinite(shares).all() or shares.sum() <= 0:
        raise ValueError(f"worker_mix must hold non-negative shares with a positive sum; got {dict(mix)}")
    shares = shares / shares.sum()
    # largest remainder: the counts follow the shares exactly, then the order is shuffled
    raw = shares * n_workers
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: n_workers - counts.sum()]] += 1
    kinds = np.repeat(np.arange(len(WORKER_KINDS)), counts)
    return rng.permutation(kinds)


def simulate_partitions(
    hits: pd.DataFrame,
    truth: pd.Series,
    features,
    *,
    n_workers: int = 40,
    workers_per_hit: int = 1,
    worker_mix: Mapping[str, float] | None = None,
    error_range: tuple[float, float] = (0.1, 0.5),
    careless_rate: float = 0.7,
    max_merges: int | None = None,
    temperature: float = 0.05,
    seed=None,
) -> SimulatedPartitions:
    """Simulated workers sort the images of each HIT into groups.

    Parameters
    ----------
    hits : DataFrame (``hit``, ``item``), e.g. from :func:`make_hits`.
    truth : Series item -> true class, covering every image of ``hits``.
    features : image features in the order of ``truth`` (array) or indexed by item (DataFrame).
    n_workers : size of the crowd; each HIT goes to ``workers_per_hit`` distinct workers drawn
        uniformly at random.
    worker_mix : share of each kind among ``faithful``, ``lumper``, ``splitter``, ``careless``
        (default 60/15/15/10 %).
    error_range : each worker's error rate is uniform in this range; with that probability an
        image's perceived class is drawn from its visual confusion (which still favours the true
        class for typical images), otherwise it is the true class.
    careless_rate : probability that a careless worker puts an image in a random group.
    max_merges : a lumper applies between 1 and ``max_merges`` merges of the class tree
        (uniformly); default ``K // 2``.
    temperature : of the visual confusion (see :func:`visual_structure`).
    seed : seed or Generator.
    """
    truth = _check_truth(truth)
    n_workers = _check_int(n_workers, "n_workers", 1)
    workers_per_hit = _check_int(workers_per_hit, "workers_per_hit", 1)
    if workers_per_hit > n_workers:
        raise ValueError(f"workers_per_hit={workers_per_hit} exceeds n_workers={n_workers}")
    low, high = _check_range(error_range, "error_range")
    careless_rate = _check_fraction(careless_rate, "careless_rate")
    if not isinstance(hits, pd.DataFrame) or not {"hit", "item"} <= set(hits.columns):
        raise ValueError("hits must be a DataFrame with columns 'hit' and 'item'")
    item_codes = truth.index.get_indexer(hits["item"].to_numpy())
    if (item_codes < 0).any():
        bad = hits["item"].to_numpy()[item_codes < 0][:5].tolist()
        raise ValueError(f"hits show image(s) {bad} that have no entry in truth")
    rng = np.random.default_rng(seed)
    structure = visual_structure(features, truth, temperature=temperature)
    k = len(structure.classes)
    if max_merges is None:
        max_merges = max(k // 2, 1)
    max_merges = _check_int(max_merges, "max_merges", 1)
    if max_merges > k - 1:
        raise ValueError(f"max_merges={max_merges} exceeds the K - 1 = {k - 1} possible merges")
    kinds = _worker_kinds(rng, n_workers, worker_mix or _DEFAULT_MIX)
    error = rng.uniform(low, high, size=n_workers)
    merges = np.where(kinds == 1, rng.integers(1, max_merges + 1, size=n_workers), 0)

    # who answers which HIT
    hit_names, hit_codes = np.unique(hits["hit"].to_numpy(), return_inverse=True)
    n_hits = len(hit_names)
    if workers_per_hit == 1:
        chosen = rng.integers(0, n_workers, size=(n_hits, 1))
    else:
        chosen = _smallest_keys(rng, n_hits, n_workers, workers_per_hit)
    # one row per (answer, image): the HIT's images repeated for each of its workers
    order = np.argsort(hit_codes, kind="stable")
    row_hit = hit_codes[order]
    row_item = item_codes[order]
    rep_hit = np.repeat(row_hit, workers_per_hit)
    rep_item = np.repeat(row_item, workers_per_hit)
    slot = np.tile(np.arange(workers_per_hit), len(row_hit))
    worker = chosen[rep_hit, slot]
    # perceived class: the truth, or with the worker's error rate a draw from the visual confusion
    y = structure.classes.get_indexer(truth.to_numpy())
    conf = structure.confusion.to_numpy()
    cdf = np.cumsum(conf[rep_item], axis=1)
    u = rng.random(len(rep_item))
    drawn = np.minimum((u[:, None] >= cdf).sum(axis=1), k - 1)
    slip = rng.random(len(rep_item)) < error[worker]
    perceived = np.where(slip, drawn, y[rep_item])
    kind = kinds[worker]
    # lumpers: the group of the perceived class after this worker's merges
    group = np.where(kind == 1, structure.lump_codes[merges[worker], perceived], perceived)
    # splitters: the perceived class and the image's sub-style
    style = structure.substyle.to_numpy()[rep_item]
    group = np.where(kind == 2, perceived * 2 + style + k, group)
    # careless: some images land in a random group
    lost = (kind == 3) & (rng.random(len(rep_item)) < careless_rate)
    group = np.where(lost, rng.integers(0, k, size=len(rep_item)), group)
    # group numbers 0, 1, ... inside each answer (by order of the underlying code)
    answer = rep_hit * n_workers + worker
    key = answer.astype(np.int64) * (3 * k + 1) + group
    uniq, inverse = np.unique(key, return_inverse=True)
    uniq_answer = uniq // (3 * k + 1)
    first = np.r_[0, np.flatnonzero(np.diff(uniq_answer)) + 1]
    local = np.arange(len(uniq)) - np.repeat(first, np.diff(np.r_[first, len(uniq)]))
    answers = pd.DataFrame(
        {
            "hit": hit_names[rep_hit],
            "worker": worker.astype(np.int64),
            "item": truth.index.take(rep_item),
            "group": local[inverse].astype(np.int64),
        }
    )
    answers = answers.sort_values(["hit", "worker"], kind="stable").reset_index(drop=True)
    return SimulatedPartitions(
        answers=answers,
        hits=hits.reset_index(drop=True),
        truth=truth,
        worker_type=numbered(np.asarray(WORKER_KINDS)[kinds], "worker", "type"),
        error_rate=numbered(error, "worker", "error_rate"),
        n_merges=numbered(merges, "worker", "n_merges"),
        structure=structure,
        params={
            "n_workers": n_workers,
            "workers_per_hit": workers_per_hit,
            "worker_mix": dict(worker_mix or _DEFAULT_MIX),
            "error_range": (low, high),
            "careless_rate": careless_rate,
            "max_merges": max_merges,
            "temperature": temperature,
            "seed": seed_value(seed),
        },
    )


# --- intruder HITs ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class IntruderHits:
    """Intruder HITs: ``items_per_hit - 1`` images of a main cluster and one of another.

    Attributes
    ----------
    hits : DataFrame (``task``, ``item``, ``position``), one row per image of each HIT.
    intruder : Series task -> the intruding image.
    main_cluster, intruder_cluster : Series task -> cluster.
    """

    hits: pd.DataFrame
    intruder: pd.Series
    main_cluster: pd.Series
    intruder_cluster: pd.Series


def make_intruder_hits(
    clusters: pd.Series, n_hits: int = 100, items_per_hit: int = 8, *, seed=None
) -> IntruderHits:
    """Intruder HITs as in the seed: draw two distinct clusters, ``items_per_hit - 1`` images of
    the first (which must have that many) and one of the second, in random order.

    Parameters
    ----------
    clusters : Series item -> cluster, e.g. ``model.labels_``.
    n_hits : number of HITs.
    items_per_hit : images per HIT (8 in the seed: 7 + 1 intruder).
    seed : seed or Generator.
    """
    if not isinstance(clusters, pd.Series):
        raise TypeError(f"clusters must be a Series item -> cluster; got {type(clusters).__name__}")
    n_hits = _check_int(n_hits, "n_hits", 1)
    items_per_hit = _check_int(items_per_hit, "items_per_hit", 2)
    rng = np.random.default_rng(seed)
    names, codes = np.unique(clusters.to_numpy(), return_inverse=True)
    sizes = np.bincount(codes, minlength=len(names))
    big = np.flatnonzero(sizes >= items_per_hit - 1)
    if len(names) < 2 or len(big) == 0:
        raise ValueError(
            f"intruder HITs need two clusters, one of at least {items_per_hit - 1} images; "
            f"cluster sizes are {sorted(sizes.tolist(), reverse=True)[:10]}"
        )
    # main cluster uniform among the big ones (the seed redraws until the main one is big),
    # intruder cluster uniform among the others
    main = big[rng.integers(0, len(big), size=n_hits)]
    other = rng.integers(0, len(names) - 1, size=n_hits)
    other = other + (other >= main)
    members = np.argsort(codes, kind="stable")
    start = np.r_[0, np.cumsum(sizes)[:-1]]
    # items_per_hit - 1 distinct members of the main cluster: smallest random keys per HIT
    m = items_per_hit - 1
    keys = rng.random((n_hits, sizes.max()))
    keys[np.arange(sizes.max())[None, :] >= sizes[main][:, None]] = np.inf
    pick = np.argpartition(keys, m - 1, axis=1)[:, :m] if m else np.empty((n_hits, 0), dtype=np.int64)
    main_items = members[start[main][:, None] + pick]
    intruder = members[start[other] + (rng.random(n_hits) * sizes[other]).astype(np.int64)]
    table = np.concatenate([main_items, intruder[:, None]], axis=1)
    table = rng.permuted(table, axis=1)
    task = np.repeat(np.arange(n_hits), items_per_hit)
    position = np.tile(np.arange(items_per_hit), n_hits)
    item_names = clusters.index
    return IntruderHits(
        hits=pd.DataFrame({"task": task, "item": item_names.take(table.ravel()), "position": position}),
        intruder=numbered(item_names.take(intruder), "task", "intruder"),
        main_cluster=numbered(names[main], "task", "main_cluster"),
        intruder_cluster=numbered(names[other], "task", "intruder_cluster"),
    )


def simulate_intruder_answers(
    intruder_hits: IntruderHits | pd.DataFrame,
    features,
    *,
    items: pd.Index | None = None,
    n_workers: int = 30,
    answers_per_hit: int = 5,
    sharpness: float = 25.0,
    careless_rate: float = 0.1,
    seed=None,
) -> pd.DataFrame:
    """Simulated workers point at the image that does not belong in each intruder HIT.

    A worker sees how far each image is from the others of its HIT: the oddness of image ``i``
    is ``1 - cos(f_i, mean of the other images' unit features)``, and the worker picks ``i``
    with probability proportional to ``exp(sharpness * oddness_i)``; with probability
    ``careless_rate`` they pick uniformly. So the intruder is found often when it looks unlike
    the main cluster, and about ``1 / items_per_hit`` of the time when the clusters look alike.

    Parameters
    ----------
    intruder_hits : :class:`IntruderHits` or its ``hits`` DataFrame (``task``, ``item``).
    features : array (n_items, n_features) in the order of ``items``, or DataFrame by item.
    items : names of the rows of an array ``features`` (default ``0..n-1``).
    n_workers, answers_per_hit : crowd size; each HIT gets that many distinct workers.
    sharpness : how strongly workers follow visual oddness.
    careless_rate : probability of a uniformly random pick.
    seed : seed or Generator.

    Returns
    -------
    DataFrame with columns ``task``, ``worker``, ``label`` (the chosen image), crowd-kit's layout.
    """
    hits = intruder_hits.hits if isinstance(intruder_hits, IntruderHits) else intruder_hits
    if not isinstance(hits, pd.DataFrame) or not {"task", "item"} <= set(hits.columns):
        raise ValueError("intruder_hits must be IntruderHits or a DataFrame with 'task' and 'item'")
    n_workers = _check_int(n_workers, "n_workers", 1)
    answers_per_hit = _check_int(answers_per_hit, "answers_per_hit", 1)
    if answers_per_hit > n_workers:
        raise ValueError(f"answers_per_hit={answers_per_hit} exceeds n_workers={n_workers}")
    careless_rate = _check_fraction(careless_rate, "careless_rate")
    if isinstance(features, pd.DataFrame):
        index, f = features.index, features.to_numpy(dtype=np.float64)
    else:
        f = np.asarray(features, dtype=np.float64)
        index = pd.RangeIndex(len(f)) if items is None else pd.Index(items)
        if f.ndim != 2 or len(index) != len(f):
            raise ValueError(
                f"features must have one row per item; got shape {f.shape} for {len(index)} items"
            )
    rows = index.get_indexer(hits["item"].to_numpy())
    if (rows < 0).any():
        bad = hits["item"].to_numpy()[rows < 0][:5].tolist()
        raise ValueError(f"intruder HITs show image(s) {bad} that have no features")
    rng = np.random.default_rng(seed)
    tasks, task_codes = np.unique(hits["task"].to_numpy(), return_inverse=True)
    sizes = np.bincount(task_codes)
    if sizes.min() != sizes.max():
        raise ValueError("every intruder HIT must show the same number of images")
    m = int(sizes[0])
    order = np.argsort(task_codes, kind="stable")
    table = rows[order].reshape(len(tasks), m)
    names = hits["item"].to_numpy()[order].reshape(len(tasks), m)
    unit = _unit_rows(f)[table]  # (hits, m, features)
    total = unit.sum(axis=1, keepdims=True)
    others = _unit_rows((total - unit).reshape(-1, f.shape[1])).reshape(unit.shape)
    oddness = 1.0 - (unit * others).sum(axis=2)  # (hits, m)
    logits = sharpness * oddness
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p = (1.0 - careless_rate) * p + careless_rate / m
    chosen = _smallest_keys(rng, len(tasks), n_workers, answers_per_hit)
    n_answers = len(tasks) * answers_per_hit
    hit_of = np.repeat(np.arange(len(tasks)), answers_per_hit)
    u = rng.random(n_answers)
    pick = np.minimum((u[:, None] >= np.cumsum(p[hit_of], axis=1)).sum(axis=1), m - 1)
    return pd.DataFrame(
        {"task": tasks[hit_of], "worker": chosen.ravel().astype(np.int64), "label": names[hit_of, pick]}
    )
