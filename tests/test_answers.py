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


# --- issue 12: one text per name, categorical classes, no inf ------------------------------------
def _frame(**columns):
    base = {"task": [0, 0, 1, 1], "worker": ["a", "b", "a", "b"], "label": [0, 1, 1, 1]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    "column, values, shown",
    [
        ("label", [1, "1", 0, 0], "[1, '1']"),
        ("task", [1, "1", 2, 2], "[1, '1']"),
        ("worker", ["7", 7, "a", "a"], "[7, '7']"),
        ("label", [True, "True", 0, 0], "[True, 'True']"),
    ],
)
def test_values_that_read_the_same_are_refused(column, values, shown):
    with pytest.raises(ValueError, match="mixes types") as info:
        encode_answers(_frame(**{column: values}))
    assert shown in str(info.value) and f"answers[{column!r}].astype(str)" in str(info.value)


def test_mixed_types_that_read_differently_are_kept():
    data = encode_answers(_frame(label=[1, "cat", 1, "cat"]))
    assert sorted(map(str, data.classes)) == ["1", "cat"]


def test_unused_categories_stay_classes():
    labels = pd.Categorical(["b", "b", "c", "b"], categories=["c", "b", "a"])
    data = encode_answers(_frame(label=labels))
    assert data.classes.tolist() == ["c", "b", "a"]  # the categories, in their order
    assert data.label.tolist() == [1, 1, 0, 1]
    np.testing.assert_allclose(data.vote_counts[:, 2], 0.0)


def test_explicit_classes_beat_categories():
    labels = pd.Categorical(["b", "b", "c", "b"], categories=["c", "b", "a"])
    assert encode_answers(_frame(label=labels), classes=["b", "c"]).classes.tolist() == ["b", "c"]


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [float, object])
def test_infinite_label_is_refused_naming_the_row(bad, dtype):
    frame = _frame(label=np.array([0.0, 1.0, bad, 1.0], dtype=dtype))
    frame.index = [10, 11, 12, 13]
    with pytest.raises(ValueError, match=r"column 'label' holds -?inf at row 12"):
        encode_answers(frame)


def test_infinite_task_is_refused():
    with pytest.raises(ValueError, match="column 'task' holds inf at row 3"):
        encode_answers(_frame(task=[0.0, 0.0, 1.0, np.inf]))


def test_infinite_class_in_the_given_list_is_refused():
    with pytest.raises(ValueError, match="the given label list holds inf"):
        encode_answers(_frame(), classes=[0, 1, np.inf])


def test_single_class_allowed_with_min_classes_one():
    frame = _frame(label=[2, 2, 2, 2])
    with pytest.raises(ValueError, match="single class"):
        encode_answers(frame)
    assert encode_answers(frame, min_classes=1).classes.tolist() == [2]


def test_every_kind_shares_sizes_and_series_over_its_names():
    from crowdtut.answers import (
        encode_comparisons, encode_masks, encode_partitions, encode_texts,
    )

    mask = np.zeros((2, 3), dtype=bool)
    kinds = {
        "labels": encode_answers(
            pd.DataFrame({"task": ["t2", "t1", "t1"], "worker": ["b", "a", "b"], "label": [0, 1, 1]})
        ),
        "masks": encode_masks(
            pd.DataFrame({"task": ["t2", "t1", "t1"], "worker": ["b", "a", "b"], "segmentation": [mask] * 3})
        ),
        "texts": encode_texts(
            pd.DataFrame({"task": ["t2", "t1", "t1"], "worker": ["b", "a", "b"], "text": ["x", "y", "y z"]})
        ),
        "comparisons": encode_comparisons(
            pd.DataFrame({"worker": ["b", "a"], "left": ["i2", "i1"], "right": ["i1", "i3"], "label": ["i1", "i3"]})
        ),
        "partitions": encode_partitions(
            pd.DataFrame({"hit": 0, "worker": ["b", "b", "a", "a"], "item": ["i2", "i1", "i1", "i3"], "group": 1})
        ),
    }
    for kind, data in kinds.items():
        assert data.n_workers == 2 and data.workers.tolist() == ["a", "b"], kind
        s = data.worker_series([10, 20], name="w")
        assert s.index.equals(data.workers) and s.name == "w" and s.loc["b"] == 20, kind
        by = ("tasks", "task") if hasattr(data, "tasks") else ("items", "item")
        names = getattr(data, by[0])
        assert getattr(data, f"n_{by[0]}") == len(names) and names.tolist()[0] in ("t1", "i1"), kind
        values = np.arange(len(names))
        s = getattr(data, f"{by[1]}_series")(values)
        assert s.index.equals(names) and s.name is None and s.tolist() == values.tolist(), kind
    for kind in ("labels", "texts"):  # one row per answer: counts from the task codes
        data = kinds[kind]
        assert data.n_answers == 3
        assert data.task_series(data.answers_per_task).to_dict() == {"t1": 2, "t2": 1}
    assert kinds["labels"].n_classes == 2
    assert kinds["comparisons"].n_comparisons == 2 and kinds["comparisons"].n_items == 3
    assert kinds["partitions"].n_answers == 2 and kinds["partitions"].n_items == 3
    assert type(kinds["labels"]).n_tasks.__doc__ == "Number of tasks."


def test_repeated_answers_are_shown_as_plain_names():
    from crowdtut.answers import encode_masks

    mask = np.zeros((2, 2), dtype=bool)
    masks = pd.DataFrame({"task": [7, 7, 8], "worker": ["w", "w", "w"], "segmentation": [mask] * 3})
    with pytest.raises(ValueError, match=r"1 repeated \(task, worker\) mask\(s\), e\.g\. \[\(7, 'w'\)\]"):
        encode_masks(masks)
    labels = pd.DataFrame({"task": [7, 8, 7, 8], "worker": ["w"] * 4, "label": [0, 1, 1, 0]})
    with pytest.raises(ValueError, match=r"2 repeated \(task, worker\) answer\(s\), e\.g\. \[\(7, 'w'\), \(8, 'w'\)\]"):
        encode_answers(labels)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32, np.uint64])
def test_integer_ids_take_the_dense_path_with_pandas_codes(dtype):
    from crowdtut.answers._encode import dense_integer_codes

    info = np.iinfo(dtype)
    rng = np.random.default_rng(0)
    columns = [
        rng.integers(0, 100, 1000).astype(dtype),  # ids 0..99
        (rng.integers(0, 40, 300) * 3 + 7).astype(dtype),  # gaps between ids
        np.array([info.max, info.max - 2, info.max], dtype=dtype),  # edges of the type: no wrap
        np.array([info.min, info.min + 5], dtype=dtype),
    ]
    for column in columns:
        for values in (column, pd.Series(column)):
            codes, uniques = dense_integer_codes(values)
            expected_codes, expected_uniques = pd.factorize(values, sort=True)
            np.testing.assert_array_equal(codes, expected_codes)
            assert pd.Index(uniques).equals(pd.Index(expected_uniques))
            assert pd.Index(uniques).dtype == pd.Index(expected_uniques).dtype


def test_the_dense_path_leaves_other_columns_to_pandas():
    from crowdtut.answers._encode import dense_integer_codes

    assert dense_integer_codes(np.array([-5, 3, 10**6])) is None  # a range far longer than the column
    assert dense_integer_codes(pd.Series([1, 2, None], dtype="Int64")) is None
    assert dense_integer_codes(np.array([True, False])) is None
    assert dense_integer_codes(np.array(["a", "b"], dtype=object)) is None
    assert dense_integer_codes(np.array([], dtype=np.int64)) is None
