"""The ``crowdtut`` command: every sub-command's happy path, every bad input, no overwriting.

Most tests call :func:`crowdtut.cli.main` in-process (fast); two run the installed command in a
subprocess (``python -m crowdtut``) to check the entry point and the lazy imports.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdtut import simulate
from crowdtut.aggregation import DawidSkene
from crowdtut.cli import build_parser, main
from crowdtut.cli._strategies import (
    AGGREGATORS,
    DEEP_STRATEGIES,
    IDENTIFICATION_METHODS,
    StrategyError,
    parse_strategy,
)
from crowdtut.io import read_peerannot, write_peerannot

SIM = ["--n-worker", "12", "--n-task", "60", "--n-classes", "3", "--feedback", "5"]


def run(capsys, *argv):
    """Run ``crowdtut argv`` in-process: (exit status, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, expected_code, *fragments):
    assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("crowdtut"), lines[0]
    assert "error:" in lines[0] and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def sim_folder(tmp_path, capsys) -> Path:
    folder = tmp_path / "sim"
    code, _, err = run(capsys, "simulate", *SIM, "--seed", "1", "--folder", folder)
    assert code == 0, err
    return folder


@pytest.fixture
def toy_folder(tmp_path, mirror) -> Path:
    folder = tmp_path / "toy-data"
    shutil.copytree(mirror / "peerannot_toy" / "toy-data", folder)
    return folder


@pytest.fixture
def feature_folder(tmp_path) -> Path:
    """A tiny dataset folder with features, valid and test splits (two Gaussian blobs)."""
    rng = np.random.default_rng(0)
    n, k = 80, 2

    def blobs(m):
        y = rng.integers(0, k, m)
        return (rng.normal(size=(m, 4)) + 2.0 * y[:, None]).astype(np.float32), y

    x, y = blobs(n)
    structure = simulate.independent_confusion(n, 6, k, feedback=3, seed=0).answers
    right = rng.random(len(structure)) < 0.8
    truth_of_answer = y[structure["task"]]
    answers = structure.assign(label=np.where(right, truth_of_answer, 1 - truth_of_answer))
    folder = tmp_path / "feat"
    write_peerannot(answers, folder, name="feat", n_classes=k, truth=pd.Series(y))
    (folder / "features").mkdir()
    np.save(folder / "features" / "train.npy", x)
    for split in ("valid", "test"):
        xs, ys = blobs(40)
        np.save(folder / "features" / f"{split}.npy", xs)
        np.save(folder / f"ground_truth_{split}.npy", ys)
    return folder


# --- help and parser -------------------------------------------------------------------------
def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subparsers(sub))


def test_every_option_is_documented_with_its_default():
    parser = build_parser()
    commands = dict(_subparsers(parser))
    assert {"simulate", "aggregate", "identify", "train", "aggregate-deep", "datasets",
            "datasets list", "datasets install"} <= set(commands)
    for name, sub in commands.items():
        text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help, f"{name}: {action.dest} has no help"
            if action.default not in (None, argparse.SUPPRESS) and action.nargs != 0:
                assert f"(default: {action.default})" in " ".join(text.split()), (name, action.dest)


@pytest.mark.parametrize(
    "argv", [["--help"], ["aggregate", "--help"], ["datasets", "install", "-h"]]
)
def test_help_exits_zero(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "usage: crowdtut" in out


def test_aggregate_help_lists_every_strategy_and_parameter(capsys):
    _, out, _ = run(capsys, "aggregate", "--help")
    for strategy in AGGREGATORS.values():
        assert strategy.name in out
        defaults = strategy.defaults()
        for param in strategy.params:
            assert f"{param.name}={defaults[param.name]!r}" in out


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "COMMAND" in out


# --- bracket syntax --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, name, options, slug",
    [
        ("MV", "MV", {}, "mv"),
        ("ds", "DS", {}, "ds"),
        ("Dawid-Skene", "DS", {}, "ds"),
        ("DSWC[L=5]", "DSWC", {"n_clusters": 5}, "dswc[l=5]"),
        ("dswc[ l = 10 , seed=3 ]", "DSWC", {"n_clusters": 10, "random_state": 3},
         "dswc[l=10,seed=3]"),
        ("DSWC[n_clusters=2.0]", "DSWC", {"n_clusters": 2}, "dswc[n_clusters=2.0]"),
        ("MV[tie_break='random', seed=1]", "MV", {"tie_break": "random", "random_state": 1},
         "mv[tie_break='random',seed=1]"),
        ("GLAD[learn_priors=True]", "GLAD", {"learn_priors": True}, "glad[learn_priors=true]"),
        ("MACE[method=EM]", "MACE", {"method": "em"}, "mace[method=em]"),
        ("NS[]", "NaiveSoft", {}, "naivesoft"),
    ],
)
def test_parse_strategy(text, name, options, slug):
    strategy, parsed, got_slug = parse_strategy(text, AGGREGATORS)
    assert (strategy.name, parsed, got_slug) == (name, options, slug)


def test_parse_deep_strategy():
    strategy, options, slug = parse_strategy("CoNAL[scale=1e-4]", DEEP_STRATEGIES)
    assert strategy.name == "CoNAL" and options == {"scale": 1e-4} and slug == "conal[scale=1e-4]"
    assert parse_strategy("crowdlayer[conn_type=vw+b]", DEEP_STRATEGIES)[1] == {"conn_type": "VW+B"}


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("FOO", "unknown aggregation strategy 'FOO'; valid: MV"),
        ("DSWC[Q=2]", "unknown parameter 'Q' for DSWC; valid parameters: L=5 (int, at least 1)"),
        ("DSWC[L=x]", "DSWC parameter L='x' must be an integer"),
        ("DSWC[L=2.5]", "must be an integer"),
        ("DS[tol=abc]", "must be a number"),
        ("GLAD[learn_priors=maybe]", "must be true or false"),
        ("MACE[method=gibbs]", "must be one of vb, em"),
        ("DSWC[L=5", "unbalanced brackets"),
        ("DSWC[L=5][L=2]", "one pair of brackets"),
        ("DSWC[L]", "parameters are key=value"),
        ("DSWC[L=5,]", "stray comma"),
        ("DSWC[L=5, n_clusters=3]", "given twice"),
        ("[L=5]", "the name is missing"),
        ("NS[x=1]", "none (it takes no parameters)"),
        ("MV[tie_break='random]", "unclosed quote"),
    ],
)
def test_parse_strategy_errors(text, fragment):
    with pytest.raises(StrategyError) as info:
        parse_strategy(text, AGGREGATORS, "aggregation strategy")
    assert fragment in str(info.value)


def test_registries_point_at_real_objects():
    for registry in (AGGREGATORS, IDENTIFICATION_METHODS):
        for strategy in registry.values():
            assert callable(strategy.load())
            defaults = strategy.defaults() if strategy.params else {}
            for param in strategy.params:  # every bracket parameter is a real keyword
                if registry is AGGREGATORS:
                    strategy.build({param.kwarg: defaults[param.name]})


# --- simulate --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "strategy, extra",
    [("independent-confusion", []), ("hammer-spammer", ["--ratio", "0.3"]),
     ("student-teacher", []), ("discrete_difficulty", ["--ratio-diff", "2", "--random", "0.1"])],
)
def test_simulate_strategies(tmp_path, capsys, strategy, extra):
    folder = tmp_path / "s"
    code, out, err = run(capsys, "simulate", *SIM, "-s", strategy, *extra, "--folder", folder)
    assert code == 0, err
    data = read_peerannot(folder)
    meta = data.metadata
    assert meta["n_classes"] == 3 and meta["n_tasks"] == 60 and meta["seed"] == 0
    assert meta["name"] == strategy.replace("_", "-")
    assert len(data.truth) == 60 and len(data.answers) == 300
    assert "60 tasks, 12 workers, 300 answers" in out


def test_simulate_is_the_library_call(sim_folder):
    crowd = simulate.independent_confusion(60, 12, 3, feedback=5, seed=1)
    data = read_peerannot(sim_folder)
    got = data.answers.sort_values(["task", "worker"], ignore_index=True)
    pd.testing.assert_frame_equal(got, crowd.answers, check_dtype=False)
    np.testing.assert_array_equal(data.truth.to_numpy(), crowd.truth.to_numpy())


def test_simulate_imbalance_and_matrix_file(tmp_path, capsys):
    matrices = np.broadcast_to(np.eye(3), (12, 3, 3))
    np.save(tmp_path / "m.npy", matrices)
    folder = tmp_path / "s"
    code, _, err = run(capsys, "simulate", *SIM, "--imbalance-votes", "--matrix-file",
                       tmp_path / "m.npy", "--folder", folder)
    assert code == 0, err
    data = read_peerannot(folder)
    per_task = data.answers.groupby("task").size()
    assert per_task.min() >= 1 and per_task.max() <= 5
    merged = data.answers.join(data.truth, on="task")
    assert (merged["label"] == merged["truth"]).all()  # identity matrices: always right


# --- aggregate -------------------------------------------------------------------------------
# KOS is for binary labels only: its CLI run is in test_kos_mmsr.py
@pytest.mark.parametrize("strategy", [s for s in AGGREGATORS if s != "KOS"])
def test_aggregate_every_strategy(sim_folder, capsys, strategy):
    code, out, err = run(capsys, "aggregate", sim_folder, "-s", strategy)
    assert code == 0, err
    path = sim_folder / "labels" / f"labels_independent-confusion_{strategy.lower()}.npy"
    values = np.load(path)
    if AGGREGATORS[strategy].hard:
        assert values.shape == (60,) and values.dtype.kind == "i"
    else:
        assert values.shape == (60, 3)
        np.testing.assert_allclose(values.sum(axis=1), 1.0)
    assert "AccTrain" in out and path.name in out


def test_aggregate_writes_what_the_library_computes(sim_folder, capsys):
    run(capsys, "aggregate", sim_folder, "-s", "DS")
    data = read_peerannot(sim_folder)
    model = DawidSkene().fit(data.encode())
    saved = np.load(sim_folder / "labels" / "labels_independent-confusion_ds.npy")
    np.testing.assert_allclose(saved, model.probas_.sort_index().to_numpy())
    code, out, _ = run(capsys, "aggregate", sim_folder, "-s", "DS", "--hard")
    hard = np.load(sim_folder / "labels" / "labels_independent-confusion_ds_hard.npy")
    np.testing.assert_array_equal(hard, model.labels_.sort_index().to_numpy())
    acc = float(np.mean(hard == data.truth.to_numpy()))
    assert f"AccTrain {acc:.3f} on 60 tasks" in out


def test_aggregate_brackets_name_the_file(sim_folder, capsys):
    code, out, _ = run(capsys, "aggregate", sim_folder, "-s", "dswc[L=2]")
    assert code == 0 and "DSWC[L=2]:" in out
    assert (sim_folder / "labels" / "labels_independent-confusion_dswc[l=2].npy").is_file()


def test_no_overwrite_without_flag(sim_folder, capsys):
    run(capsys, "aggregate", sim_folder, "-s", "MV")
    target = sim_folder / "labels" / "labels_independent-confusion_mv.npy"
    target.write_bytes(b"keep me")
    code, _, err = run(capsys, "aggregate", sim_folder, "-s", "MV")
    assert_one_line_error(code, err, 1, "exists; pass --overwrite")
    assert target.read_bytes() == b"keep me"
    code, _, err = run(capsys, "aggregate", sim_folder, "-s", "MV", "--overwrite")
    assert code == 0 and np.load(target).shape == (60,)
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]  # atomic write
    code, _, err = run(capsys, "simulate", *SIM, "--folder", sim_folder)
    assert_one_line_error(code, err, 1, "answers.json exists; pass --overwrite")


def test_krippendorff_data_needs_no_check_labels(tmp_path, mirror, capsys):
    folder = tmp_path / "k"
    shutil.copytree(mirror / "peerannot_toy" / "krippendorff-data", folder)
    code, _, err = run(capsys, "identify", folder, "-s", "krippendorff")
    assert_one_line_error(code, err, 1, "label(s) outside 0..3", "--no-check-labels")
    code, out, err = run(capsys, "identify", folder, "-s", "krippendorff", "--no-check-labels")
    assert code == 0 and "Krippendorff's alpha 0.691" in out  # 56/81, peerannot's example
    code, out, err = run(capsys, "identify", folder, "-s", "entropy", "--no-check-labels")
    entropy = np.load(folder / "identification" / "entropy.npy")
    assert np.isnan(entropy[[1, 13]]).all() and not np.signbit(entropy[0])  # no answer; 0.0


def test_toy_data_runs_unchanged(toy_folder, capsys):
    before = {p.name: p.read_bytes() for p in toy_folder.iterdir() if p.is_file()}
    for strategy in ("MV", "NaiveSoft", "DS", "GLAD"):
        code, out, err = run(capsys, "aggregate", toy_folder, "-s", strategy)
        assert code == 0, err
        assert "3 tasks, 9 answers, 2 classes" in out and "AccTrain" not in out
    assert np.load(toy_folder / "labels" / "labels_toy-data_mv.npy").tolist() == [1, 0, 1]
    for method in ("entropy", "krippendorff", "spam-score", "trace", "agreement", "GLAD"):
        code, _, err = run(capsys, "identify", toy_folder, "-s", method)
        assert code == 0, err
    entropy = np.load(toy_folder / "identification" / "entropy.npy")
    np.testing.assert_allclose(entropy, [-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)),
                                         -(np.log(1 / 3) / 3 + 2 / 3 * np.log(2 / 3)), 0.0])
    after = {p.name: p.read_bytes() for p in toy_folder.iterdir() if p.is_file()}
    assert after == before  # the inputs are left untouched


# --- bad input -------------------------------------------------------------------------------
def _corrupt(folder: Path, name: str, content):
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda f: shutil.rmtree(f), "not found"),
        (lambda f: (f / "answers.json").unlink(), "answers.json not found"),
        (lambda f: _corrupt(f, "answers.json", '{"0": {"1": 2'), "is not valid JSON"),
        (lambda f: _corrupt(f, "answers.json", "[1, 2]"), "must hold a JSON object"),
        (lambda f: _corrupt(f, "answers.json", {"0": {"1": 7}, "1": {"0": 1}}),
         "outside 0..2 (n_classes=3 in metadata.json), first task '0', worker '1': label 7; pass "
         "--no-check-labels"),
        (lambda f: _corrupt(f, "answers.json", {"0": {"1": -1}, "1": {"0": 1}}), "negative label"),
        (lambda f: _corrupt(f, "answers.json", {"0": {"1": "cat"}}), "is not an integer"),
        (lambda f: (_corrupt(f, "answers.json", {}), (f / "ground_truth.npy").unlink()),
         "holds no answer"),
        (lambda f: _corrupt(f, "answers.json", '{"0": {"1": 1, "1": 2}}'), "appears twice"),
        (lambda f: _corrupt(f, "metadata.json", {"name": "x", "n_classes": 3, "n_tasks": 5}),
         "n_tasks=5 but answers.json lists 60 tasks"),
        (lambda f: _corrupt(f, "metadata.json", {"name": "x", "n_classes": 3, "n_workers": 4}),
         "says n_workers=4"),
        (lambda f: _corrupt(f, "metadata.json", {"name": "x", "n_classes": "three"}),
         "n_classes must be a positive integer"),
        (lambda f: np.save(f / "ground_truth.npy", np.zeros(7, dtype=int)), "expected (60,)"),
        (lambda f: _corrupt(f, "ground_truth.npy", b"not numpy"), "not a readable .npy"),
    ],
    ids=["missing-folder", "missing-answers", "bad-json", "not-a-dict", "label-too-big",
         "negative-label", "string-label", "empty", "repeated-worker", "n_tasks", "n_workers",
         "n_classes", "truth-length", "truth-corrupt"],
)
def test_bad_folder(sim_folder, capsys, damage, fragment):
    damage(sim_folder)
    code, _, err = run(capsys, "aggregate", sim_folder, "-s", "DS")
    assert_one_line_error(code, err, 1, "crowdtut aggregate: error:", fragment)


@pytest.mark.parametrize(
    "argv, code, fragment",
    [
        (["aggregate", "{f}", "-s", "FOO"], 2, "valid: MV"),
        (["aggregate", "{f}", "-s", "DSWC[L=x]"], 2, "must be an integer"),
        (["aggregate", "{f}", "-s", "DSWC[Q=1]"], 2, "valid parameters: L=5"),
        (["aggregate", "{f}", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["aggregate"], 2, "required: folder"),
        (["simulate", "-s", "nope", "--folder", "{f}/x"], 2, "valid: independent-confusion"),
        (["simulate", "--feedback", "99", "--folder", "{f}/x"], 1, "feedback=99"),
        (["simulate", "--ratio", "0.2", "--folder", "{f}/x"], 2, "--ratio does not apply"),
        (["simulate", "-s", "hammer-spammer", "--ratio", "1.5", "--folder", "{f}/x"], 2,
         "--ratio/-r: must be in [0, 1]"),
        (["identify", "{f}", "-s", "nope"], 2, "valid: entropy"),
        (["identify", "{f}", "-s", "trace", "-a", "MV"], 2, "must be DS or DSWC"),
        (["identify", "{f}", "-s", "entropy", "-a", "MV"], 2, "does not apply"),
        (["identify", "{f}", "-s", "WAUM"], 1, "features/train.npy not found"),
        (["train", "{f}", "--labels", "none.npy"], 1, "labels file none.npy not found"),
        (["aggregate-deep", "{f}", "-s", "CoNAL[scale=x]"], 2, "must be a number"),
        (["aggregate-deep", "{f}", "-s", "Nope"], 2, "valid: CrowdLayer"),
        (["aggregate-deep", "{f}"], 1, "features/train.npy not found"),
        (["datasets", "install", "nosuch", "--folder", "{f}/x"], 1, "unknown dataset 'nosuch'"),
        (["datasets", "install", "bubil", "--folder", "{f}/x"], 1, "segmentation"),
    ],
)
def test_bad_command_line(sim_folder, capsys, argv, code, fragment):
    got, _, err = run(capsys, *[a.replace("{f}", str(sim_folder)) for a in argv])
    assert_one_line_error(got, err, code, fragment)


def test_train_rejects_bad_labels(feature_folder, capsys):
    np.save(feature_folder / "bad.npy", np.full(80, 5))
    code, _, err = run(capsys, "train", feature_folder, "--labels", feature_folder / "bad.npy")
    assert_one_line_error(code, err, 1, "labels outside 0..1")
    np.save(feature_folder / "bad.npy", np.full((80, 2), 0.7))
    code, _, err = run(capsys, "train", feature_folder, "--labels", feature_folder / "bad.npy")
    assert_one_line_error(code, err, 1, "not probability vectors")


# --- identify, train, aggregate-deep, datasets -----------------------------------------------
def test_identify_scores(sim_folder, capsys):
    for method, stem, rows in [("entropy", "entropy", 60), ("GLAD", "glad_difficulty", 60),
                               ("spam-score", "spam_score", 12), ("trace", "trace_confusion", 12),
                               ("agreement", "agreement_mv", 12)]:
        code, out, err = run(capsys, "identify", sim_folder, "-s", method)
        assert code == 0, err
        values = np.load(sim_folder / "identification" / f"{stem}.npy")
        table = pd.read_csv(sim_folder / "identification" / f"{stem}.csv")
        assert values.shape == (rows,) and len(table) == rows
        np.testing.assert_allclose(table.iloc[:, 1], values)
    code, out, _ = run(capsys, "identify", sim_folder, "-s", "agreement", "-a", "DSWC[L=2]")
    assert code == 0 and (sim_folder / "identification" / "agreement_dswc[l=2].csv").is_file()
    code, out, _ = run(capsys, "identify", sim_folder, "-s", "krippendorff")
    alpha = json.loads((sim_folder / "identification" / "krippendorff_alpha.json").read_text())
    assert f"{alpha['krippendorff_alpha']:.3f}" in out


def test_identify_aum_waum(feature_folder, capsys):
    code, out, err = run(capsys, "identify", feature_folder, "-s", "WAUM", "--epochs", "3",
                         "--alpha", "0.1")
    assert code == 0, err
    table = pd.read_csv(feature_folder / "identification" / "waum.csv")
    assert list(table.columns) == ["task", "waum", "flagged"] and len(table) == 80
    assert table["flagged"].sum() == 8
    per_answer = pd.read_csv(feature_folder / "identification" / "waum_per_answer.csv")
    assert list(per_answer.columns) == ["task", "worker", "label", "aum", "trust"]
    code, out, err = run(capsys, "identify", feature_folder, "-s", "AUM", "--epochs", "3")
    assert code == 0, err
    assert np.load(feature_folder / "identification" / "aum.npy").shape == (80,)


def test_train_and_aggregate_deep(feature_folder, capsys):
    run(capsys, "aggregate", feature_folder, "-s", "DS")
    code, out, err = run(capsys, "train", feature_folder, "--labels", "labels_feat_ds.npy",
                         "--epochs", "5")
    assert code == 0, err
    result = json.loads((feature_folder / "results" / "feat_ds.json").read_text())
    assert result["kind"] == "soft" and result["n_test"] == 40 and result["epochs_run"] == 5
    assert result["test_accuracy"] > 0.6 and 0 <= result["test_ece"] <= 1
    assert f"test accuracy {result['test_accuracy']:.3f}" in out
    for strategy, slug in [("CrowdLayer[conn_type=VW]", "crowdlayer[conn_type=vw]"),
                           ("CoNAL[scale=1e-4]", "conal[scale=1e-4]"), ("DeepEM", "deepem")]:
        code, out, err = run(capsys, "aggregate-deep", feature_folder, "-s", strategy,
                             "--epochs", "4")
        assert code == 0, err
        proba = np.load(feature_folder / "labels" / f"labels_feat_{slug}.npy")
        assert proba.shape == (80, 2)
        result = json.loads((feature_folder / "results" / f"feat_{slug}.json").read_text())
        assert {"test_accuracy", "test_ece", "acc_train"} <= set(result)


def test_datasets_list(capsys):
    code, out, _ = run(capsys, "datasets", "list")
    assert code == 0 and "labelme" in out and "cifar10h" in out and "vote-counts" in out


def test_datasets_install_toy_and_labelme(tmp_path, mirror, capsys):
    code, out, err = run(capsys, "datasets", "install", "peerannot-toy", "--folder", tmp_path / "t")
    assert code == 0, err
    data = read_peerannot(tmp_path / "t")
    assert data.truth.tolist() == [1, 0, 1]
    assert data.metadata["class_names"] == ["notsmiles", "smiles"]
    code, out, err = run(capsys, "datasets", "install", "labelme", "--folder", tmp_path / "l")
    assert code == 0, err
    folder = tmp_path / "l"
    assert np.load(folder / "features" / "train.npy").shape == (1000, 512)
    assert np.load(folder / "ground_truth_test.npy").shape == (1188,)
    assert (folder / "labelNames.txt").read_text().split()[0] == "highway"
    code, out, _ = run(capsys, "aggregate", folder, "-s", "MV")
    assert "AccTrain 0.769" in out  # the published majority-vote accuracy of LabelMe
    code, _, err = run(capsys, "datasets", "install", "labelme", "--folder", folder)
    assert_one_line_error(code, err, 1, "exists; pass --overwrite")


def test_counts_become_one_anonymous_worker_per_vote():
    from crowdtut.cli.datasets import _counts_as_answers
    from crowdtut.metrics import vote_entropy

    counts = np.array([[2, 0, 1], [0, 3, 0]])
    answers = _counts_as_answers(counts)
    assert len(answers) == 6 and answers["worker"].is_unique
    np.testing.assert_array_equal(
        answers.groupby(["task", "label"]).size().unstack(fill_value=0).to_numpy(), counts)
    np.testing.assert_allclose(vote_entropy(answers).to_numpy(), vote_entropy(counts).to_numpy())


# --- the installed command -------------------------------------------------------------------
def test_python_m_crowdtut_and_lazy_imports(sim_folder):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    version = subprocess.run([sys.executable, "-m", "crowdtut", "--version"], capture_output=True,
                             text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("crowdtut ")
    probe = (
        "import sys; from crowdtut.cli import main; "
        f"code = main(['aggregate', {str(sim_folder)!r}, '-s', 'DS']); "
        "print(code, 'torch' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert out.stdout.split()[-3:] == ["0", "False", "False"], out.stderr


def test_subprocess_error_is_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "crowdtut", "aggregate", str(tmp_path / "no")],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"crowdtut aggregate: error: peerannot folder {tmp_path / 'no'} not found"
    ]


# --- issue 12: names from files, huge labels, bracket parameters, file-not-folder, help = run -----
def _set_name(folder: Path, name) -> None:
    meta_path = folder / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["name"] = name
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize("name", ["x/../../../escaped", "..", ".hidden", "a\\b", "", " x", 5])
def test_aggregate_refuses_a_metadata_name_that_is_not_a_file_name(sim_folder, capsys, name):
    _set_name(sim_folder, name)
    code, _, err = run(capsys, "aggregate", sim_folder)
    if name == "":  # no name: the folder's own name is used
        assert code == 0, err
        return
    assert_one_line_error(code, err, 1, "metadata.json: name", repr(name))
    everything = {p.name for p in sim_folder.parent.rglob("*")}
    assert not any(n.startswith("escaped") or n.endswith("_mv.npy") for n in everything)


def test_aggregate_deep_refuses_a_metadata_name_that_is_not_a_file_name(feature_folder, capsys):
    pytest.importorskip("torch")
    _set_name(feature_folder, "x/../../../escaped")
    code, _, err = run(capsys, "aggregate-deep", feature_folder, "--epochs", "1")
    assert_one_line_error(code, err, 1, "cannot be part of a file name")
    assert not list(feature_folder.parent.rglob("*escaped*"))


@pytest.mark.parametrize("command", ["train", "aggregate-deep"])
def test_output_name_must_be_a_file_name(feature_folder, capsys, command):
    extra = ["--labels", "x.npy"] if command == "train" else []
    code, _, err = run(capsys, command, feature_folder, *extra, "-o", "../../out")
    assert_one_line_error(code, err, 2, "--output-name", "cannot be part of a file name")


def test_simulate_refuses_a_name_that_is_not_a_file_name(tmp_path, capsys):
    code, _, err = run(capsys, "simulate", *SIM, "--name", "a/b", "--folder", tmp_path / "s")
    assert_one_line_error(code, err, 2, "--name", "'/'")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("label", [10**30, -(10**30), 2**63])
def test_huge_label_is_one_line(sim_folder, capsys, label):
    votes = json.loads((sim_folder / "answers.json").read_text())
    task = next(iter(votes))
    worker = next(iter(votes[task]))
    votes[task][worker] = label
    (sim_folder / "answers.json").write_text(json.dumps(votes))
    code, _, err = run(capsys, "aggregate", sim_folder)
    assert_one_line_error(code, err, 1, str(label), f"task '{task}'")


def test_huge_worker_id_is_one_line(sim_folder, capsys):
    votes = json.loads((sim_folder / "answers.json").read_text())
    task = next(iter(votes))
    votes[task][str(10**30)] = 0
    (sim_folder / "answers.json").write_text(json.dumps(votes))
    code, _, err = run(capsys, "aggregate", sim_folder)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def _bad_values(param) -> list[str]:
    """Values outside what the parameter accepts (type, range, finiteness, choices)."""
    if param.choices:
        return ["nonsense"]
    if param.kind is bool:
        return ["maybe"]
    bad = ["abc"]
    if param.kind is int:
        bad.append("1.5")
    if param.kind is float:
        bad += ["nan", "inf"]
    if param.low is not None:
        bad.append(str(param.low if param.open_low else param.low - 1))
    if param.high is not None:
        bad.append(str(param.high if param.open_high else param.high + 1))
    return bad


_EVERY_PARAM = [
    (command, strategy.name, param, value)
    for command, registry in (("aggregate", AGGREGATORS), ("aggregate-deep", DEEP_STRATEGIES))
    for strategy in registry.values()
    for param in strategy.params
    for value in _bad_values(param)
]


@pytest.mark.parametrize(
    "command, name, param, value", _EVERY_PARAM,
    ids=[f"{c}-{n}-{p.name}={v}" for c, n, p, v in _EVERY_PARAM],
)
def test_every_bad_bracket_parameter_exits_2_naming_it(sim_folder, capsys, command, name, param, value):
    code, _, err = run(capsys, command, sim_folder, "-s", f"{name}[{param.name}={value}]")
    assert_one_line_error(code, err, 2, f"{name} parameter {param.name}={value!r}")


def test_negative_seed_names_the_parameter(sim_folder, capsys):
    code, _, err = run(capsys, "aggregate", sim_folder, "-s", "MV[seed=-5]")
    assert_one_line_error(code, err, 2, "MV parameter seed='-5' must be at least 0")


def test_every_value_in_range_is_accepted_by_the_class():
    """The bounds of the brackets are no looser than the classes' own checks at the edges."""
    for strategy in AGGREGATORS.values():
        for param in strategy.params:
            if param.kind in (int, float) and param.low is not None and not param.open_low:
                model = strategy.build({param.kwarg: param.kind(param.low)})
                getattr(model, "_validate_params", lambda: None)()


@pytest.mark.parametrize("registry", [AGGREGATORS, DEEP_STRATEGIES], ids=["aggregate", "deep"])
def test_help_defaults_are_the_defaults_a_run_uses(registry):
    if registry is DEEP_STRATEGIES:
        pytest.importorskip("torch")
    for strategy in registry.values():
        model = strategy.build({})
        params = model.get_params()
        for name, default in strategy.defaults().items():
            kwarg = next(p.kwarg for p in strategy.params if p.name == name)
            assert params[kwarg] == default, (strategy.name, name)


def test_deep_help_defaults_are_read_from_the_source_without_torch():
    # the deep estimators declare their hyper-parameters as dataclass fields: the help page reads
    # those from the source (the bases' fields, then the class's own) instead of importing torch
    code = (
        "import sys; from crowdtut.cli._strategies import DEEP_STRATEGIES, _source_defaults; "
        "found = [_source_defaults(s.target) for s in DEEP_STRATEGIES.values()]; "
        "assert all(f and {p.kwarg for p in s.params} <= set(f) "
        "for f, s in zip(found, DEEP_STRATEGIES.values())), found; "
        "assert found[2]['epochs'] == 10 and found[0]['epochs'] == 50, found; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_deep_em_help_shows_the_pseudo_count_it_uses(capsys):
    pytest.importorskip("torch")
    from crowdtut.deep import CrowdsEM

    _, out, _ = run(capsys, "aggregate-deep", "--help")
    assert f"pseudo_count={CrowdsEM().pseudo_count!r}" in out


@pytest.mark.parametrize("blocker", ["labels", "labels/sub"])
def test_output_folder_that_is_a_file_is_one_clear_line(sim_folder, capsys, blocker):
    (sim_folder / "labels").unlink(missing_ok=True)
    (sim_folder / blocker.split("/")[0]).write_text("not a folder")
    for flags in ([], ["--overwrite"]):
        code, _, err = run(capsys, "aggregate", sim_folder, *flags)
        assert_one_line_error(code, err, 1, "labels is a file", "must be a folder", "move or rename")
    assert (sim_folder / "labels").read_text() == "not a folder"  # never deleted


def test_output_path_that_is_a_folder_is_one_clear_line(sim_folder, capsys):
    (sim_folder / "labels" / "labels_independent-confusion_mv.npy").mkdir(parents=True)
    code, _, err = run(capsys, "aggregate", sim_folder, "--overwrite")
    assert_one_line_error(code, err, 1, "is a folder")


def test_simulate_writes_metadata_once(tmp_path, capsys, monkeypatch):
    import crowdtut.io._atomic as atomic

    written = []
    real = atomic.atomic_write

    def counting(path, data, *args, **kwargs):
        written.append(Path(path).name)
        return real(path, data, *args, **kwargs)

    import crowdtut.io
    import crowdtut.io.peerannot as peerannot

    monkeypatch.setattr(peerannot, "atomic_write", counting)  # write_peerannot's
    monkeypatch.setattr(crowdtut.io, "atomic_write", counting)  # the commands' write_outputs
    code, _, err = run(capsys, "simulate", *SIM, "--folder", tmp_path / "s")
    assert code == 0, err
    assert written.count("metadata.json") == 1
    meta = json.loads((tmp_path / "s" / "metadata.json").read_text())
    assert meta["seed"] == 0 and meta["n_tasks"] == 60  # the options and the counts, together


def test_datasets_install_writes_metadata_once(tmp_path, mirror, capsys, monkeypatch):
    import crowdtut.io
    import crowdtut.io.peerannot as peerannot

    written = []
    real = crowdtut.io.atomic_write

    def counting(path, data, *args, **kwargs):
        written.append(Path(path).name)
        return real(path, data, *args, **kwargs)

    monkeypatch.setattr(peerannot, "atomic_write", counting)
    monkeypatch.setattr(crowdtut.io, "atomic_write", counting)
    code, _, err = run(capsys, "datasets", "install", "peerannot-toy", "--folder", tmp_path / "t")
    assert code == 0, err
    assert written.count("metadata.json") == 1
    meta = read_peerannot(tmp_path / "t").metadata
    assert meta["name"] == "peerannot-toy" and meta["licence"] and meta["n_tasks"] == 3


def test_every_registered_dataset_name_is_a_file_name_part():
    from crowdtut._checks import check_file_name_part
    from crowdtut.datasets import list_datasets

    for name in list_datasets()["name"]:
        check_file_name_part(name, "dataset name")


def test_imports_and_help_stay_light():
    """``import crowdtut.answers`` and ``crowdtut.cli`` load no scipy, scikit-learn or torch, and
    the help pages (whose defaults are read from the classes' source) load not even numpy."""
    probe = (
        "import sys, io, contextlib\n"
        "import crowdtut.cli\n"
        "heavy = ('scipy', 'sklearn', 'torch')\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for argv in (['--help'], ['aggregate', '--help'], ['aggregate-deep', '--help'],\n"
        "                 ['identify', '--help']):\n"
        "        assert crowdtut.cli.main(argv) == 0\n"
        "print(sorted(m for m in heavy + ('numpy',) if m in sys.modules))\n"
        "import crowdtut.answers\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "[]"], out.stdout


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["simulate", "--n-task", "-5"], "argument --n-task: must be at least 1; got -5"),
        (["simulate", "-K", "1"], "argument --n-classes/-K: must be at least 2"),
        (["simulate", "--ratio", "1.5", "-s", "hammer-spammer"], "argument --ratio/-r: must be in [0, 1]"),
        (["simulate", "--random", "nan"], "must be a finite number"),
        (["simulate", "--seed", "-1"], "argument --seed: must be at least 0"),
        (["train", "{f}", "--labels", "x.npy", "--epochs", "-1"], "argument --epochs: must be at least 0"),
        (["train", "{f}", "--labels", "x.npy", "--dropout", "1"], "argument --dropout: must be in [0, 1)"),
        (["train", "{f}", "--labels", "x.npy", "--lr", "0"], "argument --lr: must be > 0"),
        (["aggregate-deep", "{f}", "--batch-size", "0"], "argument --batch-size: must be at least 1"),
        (["aggregate-deep", "{f}", "--seed", "-3"], "argument --seed: must be at least 0"),
        (["identify", "{f}", "-s", "AUM", "--alpha", "2"], "argument --alpha: must be in [0, 1]"),
        (["identify", "{f}", "-s", "AUM", "--hidden", "0"], "argument --hidden: must be at least 1"),
    ],
)
def test_bad_flag_values_exit_2_naming_the_flag(tmp_path, capsys, argv, fragment):
    argv = [a.replace("{f}", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, 2, fragment)
