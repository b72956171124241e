"""book/references.bib parses, has one entry per key, and holds every key the book cites.

The file is merged by union (.gitattributes), which can drop a closing brace or keep two entries
under one key: this test catches both before the book build does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "book" / "references.bib"
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")


def _keys_in_file() -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.M)


def test_bibliography_parses_with_unique_keys():
    pybtex = pytest.importorskip("pybtex.database")
    entries = pybtex.parse_file(str(BIB)).entries
    keys = _keys_in_file()
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    assert not repeated, f"keys defined twice in references.bib: {repeated}"
    assert len(entries) == len(keys)


def test_every_cited_key_exists():
    known = set(_keys_in_file())
    cited = set()
    for page in (ROOT / "book").glob("*.*"):
        if page.suffix in (".md", ".ipynb"):
            for group in CITE.findall(page.read_text(encoding="utf-8")):
                cited |= {k.strip() for k in group.split(",")}
    missing = sorted(cited - known)
    assert not missing, f"cited but not in references.bib: {missing}"
