"""read_toloka on a small faithful Toloka export and on broken files."""

from pathlib import Path

import pandas as pd
import pytest

from crowdtut.io import read_toloka, url_stem

DATA = Path(__file__).parent / "data" / "toloka_transcriptions.tsv"


def test_reads_answers_gold_and_assignment_fields():
    with pytest.warns(UserWarning, match=r"dropped 2 row\(s\) without a worker id"):
        export = read_toloka(DATA, column="text", task_name=url_stem)
    a = export.answers
    assert export.n_dropped == 2
    assert list(a.columns[:3]) == ["task", "worker", "text"]
    assert {"link", "assignment_id", "status", "started"} <= set(a.columns)
    assert a["task"].tolist() == ["76", "76", "76", "5", "5", "283", "283"]
    assert a["worker"].tolist() == ["w1", "w2", "w3", "w1", "w4", "w2", "w5"]
    assert a["text"].iloc[1].endswith("vessels ")  # fields kept exactly as written
    assert a["text"].iloc[-1] == ""  # an empty response is an answer
    assert a["status"].iloc[3] == "REJECTED"
    assert a["text"].iloc[5] == 'their "solitary" braces\twill ensure\nthat they are seen'  # quoted field
    assert export.gold.to_dict() == {"5": "the streets were narrow and unpaved but very fairly clean"}


def test_task_is_the_input_value_by_default():
    with pytest.warns(UserWarning):
        export = read_toloka(DATA)
    assert export.answers["task"].iloc[0] == "https://example.org/audio/76.mp3"
    assert "label" in export.answers.columns


def test_answers_feed_the_text_aggregators():
    from crowdtut.aggregation import ROVER

    with pytest.warns(UserWarning):
        export = read_toloka(DATA, column="text", task_name=url_stem)
    texts = ROVER().fit_predict(export.answers[["task", "worker", "text"]])
    assert texts["76"] == "if carried any distance it should be stored away in airtight vessels"


def write(tmp_path, text, name="bad.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, message",
    [
        ("", r"bad.tsv: line 1: empty"),
        ("INPUT:a\tOUTPUT:b\n1\tx\n", r"bad.tsv: line 1: no column 'ASSIGNMENT:worker_id'"),
        ("OUTPUT:b\tASSIGNMENT:worker_id\nx\tw\n", r"bad.tsv: line 1: expected one INPUT:<field> column, found no"),
        (
            "INPUT:a\tOUTPUT:b\tOUTPUT:c\tASSIGNMENT:worker_id\n1\tx\ty\tw\n",
            r"bad.tsv: line 1: expected one OUTPUT:<field> column, found 2 \(OUTPUT:b, OUTPUT:c\); name the one to read with output=",
        ),
        ("INPUT:a\tOUTPUT:b\tASSIGNMENT:worker_id\n1\tx\tw\textra\n", r"bad.tsv: line 2: expected at most 3 tab-separated fields"),
        ("INPUT:a\tOUTPUT:b\tASSIGNMENT:worker_id\n1\tx\tw\n\tx\tw\n", r"bad.tsv: line 3: empty 'INPUT:a'"),
        (
            "INPUT:a\tOUTPUT:b\tGOLDEN:b\tASSIGNMENT:worker_id\n1\tx\tx\tw\n1\ty\tz\tv\n",
            r"bad.tsv: line 3: 'GOLDEN:b' is 'z' for task '1', which an earlier line gave as 'x'",
        ),
    ],
    ids=["empty", "no-worker-column", "no-input", "two-outputs", "too-many-fields", "empty-task", "gold-conflict"],
)
def test_bad_files_name_file_line_and_expectation(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        read_toloka(write(tmp_path, content))


def test_named_columns(tmp_path):
    path = write(tmp_path, "INPUT:a\tINPUT:b\tOUTPUT:c\tOUTPUT:d\tASSIGNMENT:worker_id\n1\t2\tx\ty\tw\n")
    export = read_toloka(path, input="b", output="OUTPUT:d")
    assert export.answers.values.tolist() == [["2", "w", "y"]]
    with pytest.raises(ValueError, match=r"line 1: no column 'OUTPUT:e'"):
        read_toloka(path, input="a", output="e")


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.tsv"
    path.write_bytes("INPUT:a\tOUTPUT:b\tASSIGNMENT:worker_id\n1\tcaf\xe9\tw\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.tsv: not UTF-8"):
        read_toloka(path)


def test_url_stem():
    assert url_stem("https://x/y/dev-clean/76.mp3") == "76"
    assert url_stem("plain") == "plain"
    assert url_stem("a/b.c.wav") == "b.c"


def test_crowdspeech_mirror_quoted_multiline_fields():
    import os
    import warnings

    root = Path(os.environ.get("CROWDTUT_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    path = root / "crowdspeech" / "crowdspeech-dev-clean-crowd.tsv"
    if not path.exists():
        pytest.skip("dataset mirror not available")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every record has its worker once quotes are honoured
        export = read_toloka(path, column="text", task_name=url_stem)
    assert len(export.answers) == 18921 and export.n_dropped == 0
    assert export.answers["task"].nunique() == 2703
    assert export.answers["text"].iloc[0] == "If carried any distance it should be stored away in airtight vessels."
    multiline = export.answers["text"].str.contains("\n")
    assert multiline.sum() == 624  # quoted transcriptions that hold a line break
    assert isinstance(export.gold, pd.Series) and export.gold.empty


def test_warn_dropped_false_keeps_the_count_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export = read_toloka(DATA, column="text", task_name=url_stem, warn_dropped=False)
    assert export.n_dropped == 2
    with pytest.warns(UserWarning, match=r"dropped 2 row"):
        warned = read_toloka(DATA, column="text", task_name=url_stem)
    pd.testing.assert_frame_equal(export.answers, warned.answers)
