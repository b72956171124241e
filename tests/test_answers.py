import numpy as np
import pandas as pd
import pytest

from crowdtut import CrowdAnswers, encode_answers


def test_codes_round_trip(tiny_answers):
    data = encode_answers(tiny_answers)
    assert isinstance(data, CrowdAnswers)
    assert (data.n_tasks, data.n_workers, data.n_classes, data.n_answers) == (3, 3, 2, 8)
    pd.testing.assert_frame_equal(data.to_frame(), tiny_answers, check_dtype=False)
    np.testing.assert_array_equal(data.vote_counts, [[2, 1], [0, 3], [1, 1]])
    np.testing.assert_array_equal(data.answers_per_worker, [3, 3, 2])


def test_bool_and_string_labels():
    df = pd.DataFrame({"task": [1, 1, 2], "worker": ["a", "b", "a"], "label": [True, False, True]})
    data = encode_answers(df)
    assert data.classes.tolist() == [False, True]
    df["label"] = ["cat", "dog", "cat"]
    assert encode_answers(df).classes.tolist() == ["cat", "dog"]


def test_given_classes_and_tasks_keep_unused_entries(tiny_answers):
    data = encode_answers(tiny_answers, classes=[0, 1, 2], tasks=["t0", "t1", "t2", "t3"])
    assert data.n_classes == 3 and data.n_tasks == 4
    assert data.vote_counts[3].sum() == 0 and data.vote_counts[:, 2].sum() == 0


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"task": [1], "label": [0]}), "missing column"),
        (pd.DataFrame({"task": [], "worker": [], "label": []}), "empty"),
        (pd.DataFrame({"task": [1, 2], "worker": [1, 1], "label": [0, np.nan]}), "missing value"),
        (pd.DataFrame({"task": [1, 2], "worker": [1, 1], "label": [0, 0]}), "single class"),
    ],
    ids=["missing-column", "empty", "nan-label", "single-class"],
)
def test_bad_input_is_named(frame, message):
    with pytest.raises(ValueError, match=message):
        encode_answers(frame)


def test_labels_outside_classes(tiny_answers):
    with pytest.raises(ValueError, match=r"outside the given label list.*\[1\]"):
        encode_answers(tiny_answers, classes=[0, 2])


def test_not_a_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        encode_answers([("t", "w", 0)])


def test_duplicate_policy(tiny_answers):
    doubled = pd.concat([tiny_answers, pd.DataFrame([("t0", "w0", 1)], columns=tiny_answers.columns)])
    with pytest.raises(ValueError, match=r"1 repeated \(task, worker\).*\('t0', 'w0'\)"):
        encode_answers(doubled)
    assert encode_answers(doubled, duplicates="keep").n_answers == 9
    first = encode_answers(doubled, duplicates="first")
    assert first.n_answers == 8
    np.testing.assert_array_equal(first.vote_counts[0], [2, 1])  # the later answer 1 was dropped
    with pytest.raises(ValueError, match="duplicates="):
        encode_answers(tiny_answers, duplicates="drop")


def test_input_frame_is_not_modified(tiny_answers):
    before = tiny_answers.copy()
    encode_answers(tiny_answers.iloc[::-1])
    pd.testing.assert_frame_equal(tiny_answers, before)


@pytest.mark.parametrize("sparse_from", [0, 10**9], ids=["sparse", "bincount"])
def test_sums_over_answers_match_the_sparse_products(tiny_answers, monkeypatch, sparse_from):
    import crowdtut.answers.labels as answers_module

    monkeypatch.setattr(answers_module, "_SPARSE_FROM", sparse_from)
    data = encode_answers(tiny_answers, tasks=["t0", "t1", "t2", "t3"])
    rng = np.random.default_rng(0)
    by_pair = rng.random((data.n_workers * data.n_classes, 2))
    by_task = rng.random((data.n_tasks, 2))
    np.testing.assert_allclose(data.sum_over_answers(by_pair), data.task_worker_label @ by_pair)
    np.testing.assert_allclose(data.sum_per_worker_label(by_task), data.worker_label_task @ by_task)
    # hand check: t0 has (w0, 0), (w1, 0), (w2, 1) -> rows 0, 2 and 5 of by_pair (K = 2)
    np.testing.assert_allclose(data.sum_over_answers(by_pair)[0], by_pair[[0, 2, 5]].sum(axis=0))
    assert data.sum_over_answers(by_pair)[3].tolist() == [0, 0]  # t3 has no answer
