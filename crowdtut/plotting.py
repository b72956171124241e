"""The figures the chapters share. Imports matplotlib, so it is not imported by ``import crowdtut``."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .answers import CrowdAnswers, encode_answers

__all__ = [
    "plot_effort",
    "plot_confusion_matrices",
    "plot_entropy",
    "plot_accuracy_table",
    "plot_effort_grid",
    "plot_answer_matrix",
    "plot_word_network",
]


def plot_effort(answers: pd.DataFrame | CrowdAnswers, *, axes=None, title: str | None = None):
    """Two histograms: answers per task (feedback effort) and answers per worker (worker load)."""
    data = encode_answers(answers, duplicates="keep") if not isinstance(answers, CrowdAnswers) else answers
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    per_task, per_worker = data.answers_per_task, data.answers_per_worker
    axes[0].hist(per_task, bins=np.arange(per_task.max() + 2) - 0.5, color="C0")
    axes[0].set(xlabel="answers per task |A(x_i)|", ylabel="tasks", title="feedback effort")
    axes[1].hist(per_worker, bins=min(40, max(5, data.n_workers // 2)), color="C1")
    axes[1].set(xlabel="answers per worker |T(w_j)|", ylabel="workers", title="worker load")
    axes[1].set_yscale("log")
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes


def plot_confusion_matrices(
    matrices: np.ndarray,
    *,
    titles: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 4,
    annotate: bool = True,
    vmax: float = 1.0,
):
    """Heat maps of confusion matrices ``[true, answered]`` (shape (n, K, K)), one panel each."""
    matrices = np.asarray(matrices, dtype=float)
    if matrices.ndim == 2:
        matrices = matrices[None]
    n, k, _ = matrices.shape
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.5 * nrows), squeeze=False)
    names = list(class_names) if class_names is not None else [str(c) for c in range(k)]
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(matrices[i], vmin=0, vmax=vmax, cmap="Blues")
        if annotate and k <= 6:
            for (r, c), v in np.ndenumerate(matrices[i]):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 * vmax else "black")
        ax.set_xticks(range(k), names, fontsize=7, rotation=90 if k > 4 else 0)
        ax.set_yticks(range(k), names, fontsize=7)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
        if i % ncols == 0:
            ax.set_ylabel("true")
        if i // ncols == nrows - 1:
            ax.set_xlabel("answered")
    fig.tight_layout()
    return fig


def plot_entropy(entropies: dict[str, pd.Series | np.ndarray], *, ax=None, bins: int = 20):
    """Overlaid histograms (as densities) of normalised vote entropies, one per dataset."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for name, values in entropies.items():
        ax.hist(np.asarray(values, dtype=float), bins=bins, range=(0, 1), density=True,
                histtype="step", linewidth=1.5, label=name)
    ax.set(xlabel="normalised vote entropy", ylabel="density")
    ax.legend(fontsize=8)
    return ax


def plot_accuracy_table(table: pd.DataFrame, *, ax=None, reference: pd.DataFrame | None = None):
    """Dot plot of accuracies: one row per dataset, one marker per method; hollow markers for
    published reference values with the same layout."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1))
    y = np.arange(len(table))
    for j, method in enumerate(table.columns):
        ax.scatter(table[method], y, label=method, color=f"C{j}", zorder=3)
        if reference is not None and method in reference.columns:
            ref = reference[method].reindex(table.index)
            ax.scatter(ref, y, facecolors="none", edgecolors=f"C{j}", s=70, zorder=2)
    ax.set_yticks(y, table.index)
    ax.set_xlabel("accuracy on tasks with truth")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def plot_effort_grid(answers: dict[str, pd.DataFrame | CrowdAnswers], *, height: float = 2.3):
    """:func:`plot_effort` for several datasets, one row each (feedback effort left, worker load
    right), titled by the dataset names (the keys of ``answers``).

    Long DataFrames keep every answer; encode them first (e.g. ``duplicates="first"``) to count
    each (task, worker) pair once.
    """
    fig, axes = plt.subplots(len(answers), 2, figsize=(9, height * len(answers)), squeeze=False)
    for row, (name, data) in zip(axes, answers.items()):
        plot_effort(data, axes=row)
        row[0].set_title(f"{name}: feedback effort", fontsize=10)
        row[1].set_title(f"{name}: worker load", fontsize=10)
    fig.tight_layout()
    return axes


def plot_answer_matrix(
    answers: pd.DataFrame | CrowdAnswers,
    *,
    ax=None,
    sort_workers: bool = True,
    title: str | None = None,
):
    """The answers as a tasks x workers picture: one colour per class, blank where a worker gave
    no answer (the dense matrix of :func:`crowdtut.io.to_dense`).

    Parameters
    ----------
    answers : long DataFrame or CrowdAnswers (a repeated (task, worker) pair shows its last answer).
    sort_workers : put the busiest workers on the left.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    data = encode_answers(answers, duplicates="keep") if not isinstance(answers, CrowdAnswers) else answers
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    order = np.argsort(-data.answers_per_worker, kind="stable") if sort_workers else np.arange(data.n_workers)
    column = np.empty(data.n_workers, dtype=np.int64)
    column[order] = np.arange(data.n_workers)
    codes = np.full((data.n_tasks, data.n_workers), -1, dtype=np.int64)
    codes[data.task, column[data.worker]] = data.label
    k = data.n_classes
    colours = plt.get_cmap("tab10" if k <= 10 else "tab20")(np.arange(k) % (10 if k <= 10 else 20))
    ax.imshow(
        np.ma.masked_less(codes, 0), cmap=ListedColormap(colours), vmin=-0.5, vmax=k - 0.5,
        aspect="auto", interpolation="nearest",
    )
    ax.set_facecolor("white")
    ax.set(
        xlabel="workers" + (" (busiest first)" if sort_workers else ""), ylabel="tasks",
        title=title or f"{data.n_answers} answers, {data.n_tasks} x {data.n_workers} cells",
    )
    if k <= 12:
        handles = [Patch(color=colours[c], label=str(name)) for c, name in enumerate(data.classes)]
        ax.legend(handles=handles, fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left",
                  title="label", title_fontsize=8)
    return ax


# --- segmentation (issue 5) --------------------------------------------------------------------
__all__ += [
    "plot_segmentation_gallery",
    "plot_mask_overlays",
    "plot_score_distributions",
    "plot_worker_reliability",
]

_METHOD_COLOURS = ("tab:orange", "tab:cyan", "tab:purple", "tab:red", "tab:olive", "tab:pink")


def _show_image(ax, image, shape) -> None:
    if image is None:
        ax.imshow(np.zeros(shape), cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image, cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([])


def _contour(ax, mask, colour: str, width: float = 1.4, style: str = "solid") -> None:
    mask = np.asarray(mask, dtype=float)
    if 0 < mask.sum() < mask.size:
        ax.contour(mask, levels=[0.5], colors=[colour], linewidths=width, linestyles=style)


def plot_segmentation_gallery(
    votes: pd.Series,
    truth: pd.Series,
    tasks: Sequence,
    *,
    images: pd.Series | None = None,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    n_workers: int | None = None,
    size: float = 2.6,
):
    """Image, crowd vote map (how many workers marked each pixel) and the gold contour, per task.

    Parameters
    ----------
    votes : Series of int arrays (e.g. ``encode_segmentations(answers).vote_counts()``).
    truth : Series of gold masks, same index.
    tasks : the tasks to show.
    images : Series of grey images (optional; a black background otherwise).
    n_workers : top of the colour scale (default: the largest vote count shown).
    """
    tasks = list(tasks)
    n = len(tasks)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    top = n_workers or max(int(np.max(votes.loc[t])) for t in tasks)
    shown = None
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.axis("off")
            continue
        t = tasks[i]
        v = np.asarray(votes.loc[t])
        _show_image(ax, None if images is None else images.loc[t], v.shape)
        shown = ax.imshow(np.ma.masked_equal(v, 0), cmap="viridis", vmin=0.5, vmax=top + 0.5,
                          alpha=0.55, interpolation="nearest")
        _contour(ax, truth.loc[t], "white", 1.6, "dashed")
        ax.set_title(titles[i] if titles is not None else str(t), fontsize=8)
    if shown is not None:
        bar = fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.7, ticks=range(1, top + 1))
        bar.set_label("workers who marked the pixel (gold: dashed white)")
    return fig


def plot_mask_overlays(
    masks: dict[str, pd.Series],
    truth: pd.Series,
    tasks: Sequence,
    *,
    images: pd.Series | None = None,
    scores: pd.DataFrame | None = None,
    size: float = 2.6,
):
    """One row per task: each method's mask contour over the image, with the gold contour.

    Parameters
    ----------
    masks : method name -> Series of bool masks indexed by task.
    truth : Series of gold masks.
    tasks : the tasks to show (rows).
    images : Series of grey images (optional).
    scores : DataFrame (tasks x methods) printed in the panel titles (e.g. per-task IoU).
    """
    tasks, names = list(tasks), list(masks)
    fig, axes = plt.subplots(
        len(tasks), len(names), figsize=(size * len(names), size * len(tasks)), squeeze=False
    )
    for r, t in enumerate(tasks):
        gold = np.asarray(truth.loc[t])
        for c, name in enumerate(names):
            ax = axes[r, c]
            _show_image(ax, None if images is None else images.loc[t], gold.shape)
            _contour(ax, gold, "white", 1.6, "dashed")
            _contour(ax, masks[name].loc[t], _METHOD_COLOURS[c % len(_METHOD_COLOURS)], 1.6)
            ax.set_title(name if scores is None else f"{name}: {scores.loc[t, name]:.2f}", fontsize=8)
            if c == 0:
                ax.set_ylabel(str(t), fontsize=8)
    fig.suptitle("method contour (colour) and gold (dashed white)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_score_distributions(
    scores: pd.DataFrame, groups: pd.Series | None = None, *, ylabel: str = "IoU", ax=None,
    seed: int = 0,
):
    """Per-task scores of several methods: a box per (group, method) with the tasks as dots.

    Parameters
    ----------
    scores : DataFrame, one row per task, one column per method.
    groups : Series (same index) giving each task's group (e.g. BU-BIL subset); one group if None.
    """
    if groups is None:
        groups = pd.Series("all", index=scores.index)
    keys = sorted(pd.unique(groups))
    methods = list(scores.columns)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 1.2 * len(keys) * len(methods) / 2), 3.6))
    rng = np.random.default_rng(seed)
    width = 0.8 / len(methods)
    for m, method in enumerate(methods):
        colour = _METHOD_COLOURS[m % len(_METHOD_COLOURS)]
        data = [scores.loc[groups == g, method].to_numpy() for g in keys]
        positions = np.arange(len(keys)) + (m - (len(methods) - 1) / 2) * width
        ax.boxplot(data, positions=positions, widths=width * 0.8, showfliers=False,
                   medianprops={"color": colour}, boxprops={"color": colour},
                   whiskerprops={"color": colour}, capprops={"color": colour})
        for x, values in zip(positions, data):
            ax.scatter(x + rng.uniform(-width / 4, width / 4, len(values)), values, s=5,
                       color=colour, alpha=0.5, linewidths=0)
        ax.plot([], [], color=colour, label=method)
    ax.set_xticks(range(len(keys)), [str(k) for k in keys])
    ax.set(ylabel=ylabel, xlabel=groups.name or "")
    ax.legend(fontsize=8, ncols=min(len(methods), 4), loc="lower left")
    return ax


def plot_worker_reliability(params: pd.DataFrame, *, groups: pd.Series | None = None, ax=None):
    """Scatter of two per-(task, worker) parameters, e.g. STAPLE's sensitivity and specificity.

    Parameters
    ----------
    params : DataFrame with two columns (x then y), indexed by (task, worker).
    groups : Series indexed by task that colours the points (e.g. BU-BIL subset).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4))
    x, y = params.columns[:2]
    if groups is None:
        ax.scatter(params[x], params[y], s=6, alpha=0.5)
    else:
        task_groups = groups.reindex(params.index.get_level_values(0)).to_numpy()
        for i, g in enumerate(sorted(pd.unique(task_groups))):
            sel = task_groups == g
            ax.scatter(params[x][sel], params[y][sel], s=6, alpha=0.5, label=str(g),
                       color=plt.get_cmap("tab10")(i % 10))
        ax.legend(fontsize=7, title=groups.name, title_fontsize=8, markerscale=2)
    ax.set(xlabel=x, ylabel=y)
    return ax


# --- crowd clustering (issue 8) ----------------------------------------------------------------
__all__ += ["plot_image_groups", "plot_partition_answers", "plot_embedding", "plot_free_energy"]


def plot_image_groups(
    images: np.ndarray,
    groups: pd.Series | np.ndarray,
    *,
    n_per_group: int = 8,
    max_groups: int = 12,
    names: dict | None = None,
    seed=0,
    size: float = 0.75,
    title: str | None = None,
):
    """A gallery: one row per group (largest first), up to ``n_per_group`` of its images.

    Parameters
    ----------
    images : array (n_images, H, W[, 3]).
    groups : Series indexed by integer rows of ``images`` (e.g. LabelMe's task numbers) ->
        group, or an array of groups aligned with ``images`` by position.
    n_per_group : images shown per row, drawn at random (``seed``) when a group is larger.
    max_groups : rows shown at most.
    names : optional group -> row label; the row label also gives the group size.
    """
    images = np.asarray(images)
    if isinstance(groups, pd.Series):
        rows_of = np.asarray(groups.index, dtype=np.int64)
        values = groups.to_numpy()
    else:
        values = np.asarray(groups)
        rows_of = np.arange(len(values))
    order = pd.Series(values).value_counts(sort=True)
    shown = order.index[:max_groups]
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(
        len(shown), n_per_group, figsize=(size * n_per_group + 1.2, size * len(shown) + 0.3), squeeze=False
    )
    for r, g in enumerate(shown):
        members = rows_of[values == g]
        if len(members) > n_per_group:
            members = np.sort(rng.choice(members, n_per_group, replace=False))
        for c, ax in enumerate(axes[r]):
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if c < len(members):
                ax.imshow(images[members[c]], cmap="gray" if images.ndim == 3 else None)
        label = names.get(g, g) if names else g
        axes[r, 0].set_ylabel(f"{label}\n({int(order[g])})", rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(wspace=0.03, hspace=0.06, left=0.12)
    return fig


def plot_embedding(
    embedding: pd.DataFrame | np.ndarray,
    colour: pd.Series | np.ndarray,
    *,
    ax=None,
    names: dict | Sequence | None = None,
    title: str | None = None,
):
    """Scatter plot of an embedding projected on its two principal axes, coloured by class.

    Parameters
    ----------
    embedding : (n_items, D) array or DataFrame (rows aligned with ``colour``).
    colour : the class (or cluster) of each row.
    names : optional class -> legend label (mapping or a sequence indexed by class code).
    """
    x = np.asarray(embedding, dtype=float)
    x = x - x.mean(axis=0)
    if x.shape[1] > 2:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        x = x @ vt[:2].T
    colour = np.asarray(colour)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.2))
    cmap = plt.get_cmap("tab10")
    for i, c in enumerate(pd.unique(np.sort(colour))):
        sel = colour == c
        label = names[c] if names is not None else c
        ax.scatter(x[sel, 0], x[sel, 1], s=7, alpha=0.6, color=cmap(i % 10), label=str(label))
    ax.set(xlabel="principal axis 1", ylabel="principal axis 2")
    ax.legend(fontsize=7, markerscale=2, bbox_to_anchor=(1.01, 1), loc="upper left")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_free_energy(histories: dict[str, Sequence[float]], *, ax=None):
    """Free energy per iteration of one or more variational fits (one line each)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.2))
    for name, values in histories.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=name)
    ax.set(xlabel="iteration", ylabel="free energy (lower bound on log evidence)")
    ax.legend(fontsize=8)
    return ax


def plot_partition_answers(
    images: np.ndarray, answers: pd.DataFrame, *, labels=None, size: float = 0.8
):
    """Answers to one clustering HIT, one row per answer: the images ordered by group, each
    framed in its group's colour.

    Parameters
    ----------
    images : array (n_images, H, W[, 3]) indexed by the integer ``item`` of ``answers``.
    answers : rows of partition answers (``worker``, ``item``, ``group``), e.g. the answers of
        several workers to one HIT.
    labels : optional worker -> row label (e.g. the worker's kind).
    """
    images = np.asarray(images)
    workers = list(pd.unique(answers["worker"]))
    width = int(answers.groupby("worker").size().max())
    fig, axes = plt.subplots(len(workers), width, figsize=(size * width + 1.4, size * len(workers) + 0.2),
                             squeeze=False)
    cmap = plt.get_cmap("tab10")
    for r, worker in enumerate(workers):
        rows = answers[answers["worker"] == worker].sort_values("group", kind="stable")
        groups = pd.factorize(rows["group"])[0]
        for c, ax in enumerate(axes[r]):
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(rows):
                ax.axis("off")
                continue
            ax.imshow(images[int(rows["item"].iloc[c])])
            for side in ax.spines.values():
                side.set_color(cmap(groups[c] % 10))
                side.set_linewidth(3)
        name = labels.get(worker, worker) if labels is not None else worker
        axes[r, 0].set_ylabel(f"{name}\n{groups.max() + 1} groups", rotation=0, ha="right", va="center",
                              fontsize=8)
    fig.subplots_adjust(wspace=0.08, hspace=0.12, left=0.12)
    return fig


def plot_word_network(network: Sequence[Sequence[str]], *, ax=None, gap: str = "ε"):
    """Draw ROVER's word transition network: nodes between slots, one arc per distinct entry.

    Parameters
    ----------
    network : rows of equal length, one per answer, ``""`` for a gap (what
        :func:`crowdtut.aggregation.texts.rover.align_hypotheses` returns).
    ax : matplotlib Axes to draw on (a new figure by default).
    gap : the label of the empty arc.

    Each arc (left to right) is labelled with its word and the number of answers that took it; the arc that
    wins the slot's vote (:func:`crowdtut.aggregation.texts.rover.vote`'s rule) is drawn thick.
    """
    rows = [list(r) for r in network]
    n_slots = len(rows[0]) if rows else 0
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * max(n_slots, 1) + 0.6, 2.8))
    for j in range(n_slots + 1):
        ax.plot([j], [0], "o", color="black", markersize=7, zorder=3)
    for j in range(n_slots):
        entries = [r[j] for r in rows]
        counts = {w: entries.count(w) for w in dict.fromkeys(entries)}
        winner = max(counts, key=lambda w: (counts[w], len(w), w))
        words = sorted(counts, key=lambda w: (-counts[w], w))
        heights = np.linspace(-0.8, 0.8, len(words)) if len(words) > 1 else [0.0]
        t = np.linspace(0, 1, 50)
        for w, h in zip(words, heights):  # a quadratic Bezier arc through (j + 0.5, h / 2)
            best = w == winner
            ax.plot(j + t, 2 * t * (1 - t) * h, lw=2.6 if best else 1.0,
                    color="tab:red" if best else "grey", zorder=2)
            ax.text(j + 0.5, h / 2, f"{w or gap} ({counts[w]})", ha="center", va="center",
                    fontsize=9, fontweight="bold" if best else "normal",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9), zorder=4)
    ax.set_xlim(-0.3, n_slots + 0.3)
    ax.set_ylim(-0.5, 0.5)
    ax.axis("off")
    return ax
