"""ROVER (Fiscus 1997): align the answers into a word transition network, vote in every slot.

The network of a task is an alignment matrix: one row per answer aligned so far, one column
(slot) per position, and in each cell a word code or :data:`GAP` ("no word here"). The answers
are added one at a time, the most central first (smallest summed word edit distance to the
task's other answers, then the smallest text), or in row order as crowd-kit does
(``order="rows"``). Aligning answer ``h`` to a network is an edit-distance
dynamic programme between ``h``'s words and the slots, with the costs of crowd-kit 1.4.2's
``ROVER``:

- word ``h[i]`` on slot ``j``: 0 when some earlier answer has ``h[i]`` in slot ``j``, else 1;
- skipping slot ``j`` (``h`` gets a gap there): 0 when the slot already holds a gap, else 1;
- a new slot for ``h[i]`` (every earlier answer gets a gap there): 1;
- first row and column are ``0, 1, 2, ...``; ties prefer the word, then the skip, then the
  new slot, and the path is read back from the last cell.

The vote in each slot takes the most frequent entry; ties go to the longer word, then to the
word that sorts last; a gap (length 0) wins only with a strict majority of counts, and winning
gaps are dropped from the text.

:func:`align_networks` runs one alignment step for many tasks at once (padded numpy arrays,
one row of the programme at a time, the left-to-right dependency as a running minimum) and is
what :class:`ROVER` uses; :func:`align_hypotheses` and :func:`vote` are the same algorithm on
plain token lists, for reading and testing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...answers.texts import TextAnswers
from ..._checks import check_choice
from ...metrics.texts import cost_chunks, pad_sequences
from ._base import TextAggregator
from .medoid import total_word_distances

__all__ = ["ROVER", "GAP", "align_networks", "align_hypotheses", "vote"]

GAP = -1
_PAD_ROW = -2  # fills the rows of networks shorter than the chunk's longest: neither word nor gap
_PAD_HYP = -3
_BUDGET = 6_000_000
_DIAG, _SKIP, _NEW = 0, 1, 2


def _pointers(nets: np.ndarray, hyp: np.ndarray) -> np.ndarray:
    """Back-pointers of the alignment programme for a padded chunk.

    nets: (B, K, J) word codes, GAP or _PAD_ROW; hyp: (B, I) word codes or _PAD_HYP.
    Returns (B, I + 1, J + 1) int8 pointers (_DIAG, _SKIP, _NEW).
    """
    n_b, _, n_j = nets.shape
    n_i = hyp.shape[1]
    sub = np.ones((n_b, n_i, n_j), dtype=np.int64)
    for k in range(nets.shape[1]):  # K is small (answers so far): one comparison per row
        sub[hyp[:, :, None] == nets[:, None, k, :]] = 0
    skip = 1 - (nets == GAP).any(axis=1).astype(np.int64)  # (B, J)
    cum = np.zeros((n_b, n_j + 1), dtype=np.int64)
    np.cumsum(skip, axis=1, out=cum[:, 1:])
    ptr = np.empty((n_b, n_i + 1, n_j + 1), dtype=np.int8)
    ptr[:, 0, :] = _SKIP
    ptr[:, :, 0] = _NEW
    prev = np.broadcast_to(np.arange(n_j + 1), (n_b, n_j + 1))
    base = np.empty((n_b, n_j + 1), dtype=np.int64)
    for i in range(1, n_i + 1):
        diag = prev[:, :-1] + sub[:, i - 1]
        base[:, 0] = i
        np.minimum(diag, prev[:, 1:] + 1, out=base[:, 1:])
        cur = np.minimum.accumulate(base - cum, axis=1) + cum
        here = cur[:, 1:]
        ptr[:, i, 1:] = np.where(diag == here, _DIAG, np.where(cur[:, :-1] + skip == here, _SKIP, _NEW))
        prev = cur
    return ptr


def _trace(ptr: np.ndarray, end_i: np.ndarray, end_j: np.ndarray) -> np.ndarray:
    """Operations from the start to the end cell, (B, steps) with -1 after each path's end."""
    n_b = ptr.shape[0]
    steps = int((end_i + end_j).max()) if n_b else 0
    ops = np.full((n_b, steps), -1, dtype=np.int8)
    i, j, rows = end_i.copy(), end_j.copy(), np.arange(n_b)
    for s in range(steps):
        active = (i > 0) | (j > 0)
        p = ptr[rows, i, j]
        ops[:, s] = np.where(active, p, -1)
        i -= active & (p != _SKIP)
        j -= active & (p != _NEW)
    return ops[:, ::-1]  # the path was read backwards


def _grow(net: np.ndarray, hyp: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """The network with one more row: ``hyp`` placed along the path ``ops``."""
    ops = ops[ops >= 0]
    old = ops != _NEW
    takes = ops != _SKIP
    out = np.full((net.shape[0] + 1, len(ops)), GAP, dtype=np.int64)
    out[:-1, old] = net[:, np.cumsum(old)[old] - 1]
    out[-1, takes] = hyp[np.cumsum(takes)[takes] - 1]
    return out


def align_networks(networks: Sequence[np.ndarray], hyps: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Align answer ``hyps[t]`` to network ``networks[t]`` for every ``t`` at once.

    Parameters
    ----------
    networks : sequence of int64 arrays of shape (k_t, J_t): word codes (>= 0) or GAP
    hyps : sequence of int64 arrays of shape (I_t,): word codes (>= 0)

    Returns
    -------
    list of int64 arrays of shape (k_t + 1, J'_t): the networks with the answer as last row.

    Examples
    --------
    >>> import numpy as np
    >>> net = np.array([[0, 1, 2]])          # "a b c"
    >>> align_networks([net], [np.array([0, 2])])[0]   # "a c"
    array([[ 0,  1,  2],
           [ 0, -1,  2]])
    """
    n = len(networks)
    out: list[np.ndarray] = [None] * n  # type: ignore[list-item]
    n_i = np.array([len(h) for h in hyps], dtype=np.int64)
    n_j = np.array([net.shape[1] for net in networks], dtype=np.int64)
    n_k = np.array([net.shape[0] for net in networks], dtype=np.int64)
    order = np.lexsort((n_i, n_j))
    for idx in cost_chunks(n_i, n_j * max(int(n_k.max(initial=1)), 1), order, _BUDGET):
        width, depth = int(n_j[idx].max()), int(n_k[idx].max())
        nets = np.full((len(idx), depth, width), _PAD_ROW, dtype=np.int64)
        for r, t in enumerate(idx):
            nets[r, : n_k[t], : n_j[t]] = networks[t]
        hyp = pad_sequences(hyps, idx, int(n_i[idx].max()), _PAD_HYP)
        ops = _trace(_pointers(nets, hyp), n_i[idx], n_j[idx])
        for r, t in enumerate(idx):
            out[t] = _grow(np.asarray(networks[t], dtype=np.int64), np.asarray(hyps[t], dtype=np.int64), ops[r])
    return out


def _vote_codes(net: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Winning entry of every slot: most frequent, then longest word, then last in sort order.

    ``rank[c]`` orders word codes by (length, word); the gap ranks below every word.
    """
    if net.shape[1] == 0:
        return np.zeros(0, dtype=np.int64)
    counts = (net[:, None, :] == net[None, :, :]).sum(axis=1)
    key = counts * (len(rank) + 1) + np.where(net == GAP, 0, rank[np.maximum(net, 0)] + 1)
    winners = net[key.argmax(axis=0), np.arange(net.shape[1])]
    return winners[winners != GAP]


def _word_rank(vocabulary: Sequence[str]) -> np.ndarray:
    order = sorted(range(len(vocabulary)), key=lambda c: (len(vocabulary[c]), vocabulary[c]))
    rank = np.empty(len(vocabulary), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(vocabulary))
    return rank


def align_hypotheses(hypotheses: Sequence[Sequence[str]]) -> list[list[str]]:
    """The word transition network of token lists: one row per hypothesis, ``""`` for a gap.

    Examples
    --------
    >>> for row in align_hypotheses([["a", "b", "c"], ["a", "c"], ["a", "x", "c", "d"]]):
    ...     print(row)
    ['a', 'b', 'c', '']
    ['a', '', 'c', '']
    ['a', 'x', 'c', 'd']
    """
    if not hypotheses:
        raise ValueError("align_hypotheses needs at least one hypothesis")
    words = sorted({w for h in hypotheses for w in h})
    if "" in words:
        raise ValueError("a token is the empty string; tokens must be non-empty words")
    code = {w: c for c, w in enumerate(words)}
    seqs = [np.array([code[w] for w in h], dtype=np.int64) for h in hypotheses]
    net = seqs[0][None, :]
    for h in seqs[1:]:
        net = align_networks([net], [h])[0]
    table = np.array(words + [""], dtype=object)
    return [list(row) for row in table[net]]  # GAP = -1 reads the trailing ""


def vote(network: Sequence[Sequence[str]]) -> list[str]:
    """ROVER's vote on a network from :func:`align_hypotheses`: the words of the result.

    Examples
    --------
    >>> vote([["a", "b", "c", ""], ["a", "", "c", ""], ["a", "x", "c", "d"]])
    ['a', 'x', 'c']
    """
    words = sorted({w for row in network for w in row} - {""})
    code = {w: c for c, w in enumerate(words)}
    net = np.array([[code.get(w, GAP) for w in row] for row in network], dtype=np.int64)
    return [words[c] for c in _vote_codes(net.reshape(len(network), -1), _word_rank(words))]


class ROVER(TextAggregator):
    """Recognizer Output Voting Error Reduction: word-network alignment and a vote per slot.

    Each task's answers are aligned one after another into a word transition network (see the
    module docs for the costs and tie-breaking, which follow crowd-kit 1.4.2) and the most
    frequent word of every slot is kept. A task with one answer returns it; empty answers vote
    for gaps.

    Parameters
    ----------
    order : {"medoid", "rows"}
        The order in which a task's answers enter the network, which decides some alignments
        and vote ties. ``"medoid"`` (default): the most central answer first, as the skeleton,
        then by increasing summed word edit distance to the other answers, then by text; the
        result depends only on what was answered, not on the rows' order or the names.
        ``"rows"``: row order, crowd-kit 1.4.2's rule (the same texts as its ``ROVER``);
        shuffling the rows then changes about one text in ten on CrowdSpeech.

    Attributes
    ----------
    texts_ : Series of str indexed by task
        The aggregated (normalised) texts.
    networks_ : list of ndarray
        Per task (in the order of ``texts_``), the alignment matrix of word codes (``GAP`` = -1),
        one row per answer in the order of ``order_``.
    vocabulary_ : pandas.Index
        The words behind the codes.
    order_ : ndarray of int64, shape (n_answers,)
        Answer rows in the order they were aligned, grouped by task: the rows of each network,
        task after task.

    References
    ----------
    J. G. Fiscus, "A post-processing system to yield reduced word error rates: Recognizer Output
    Voting Error Reduction (ROVER)", IEEE ASRU 1997, https://doi.org/10.1109/ASRU.1997.659110

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "task": ["u1"] * 3,
    ...     "worker": ["w1", "w2", "w3"],
    ...     "text": ["The cat sat.", "the cat sat down", "a cat sat"],
    ... })
    >>> ROVER().fit_predict(answers)["u1"]
    'the cat sat'
    """

    def __init__(self, order: str = "medoid") -> None:
        self.order = order

    def _validate_params(self) -> None:
        check_choice("order", self.order, ("medoid", "rows"))

    def _fit(self, data: TextAnswers) -> np.ndarray:
        order, starts = data.by_task
        if self.order == "medoid":
            order = np.lexsort((np.arange(data.n_answers), data.text_ranks, total_word_distances(data),
                                data.task))
        n_ans = data.answers_per_task
        seqs = data.token_arrays()
        nets = [seqs[order[starts[t]]][None, :] for t in range(data.n_tasks)]
        for r in range(1, int(n_ans.max())):
            active = np.flatnonzero(n_ans > r)
            grown = align_networks(
                [nets[t] for t in active], [seqs[order[starts[t] + r]] for t in active]
            )
            for t, net in zip(active, grown):
                nets[t] = net
        rank = _word_rank(list(data.vocabulary))
        self.networks_ = nets
        self.vocabulary_ = data.vocabulary
        self.order_ = order
        return np.array([data.decode(_vote_codes(net, rank)) for net in nets], dtype=object)
