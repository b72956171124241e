"""Move a chapter's test asserts into their own hidden cells.

Every chapter checks the numbers its prose gives with ``assert`` statements. The reader should see
the prose, the code that computes and the figures, not the harness, so each assert lives in a code
cell tagged ``remove-cell``: the build and the tests still run it, the page does not show it.

For every visible code cell that ends in top-level ``assert`` statements, this script moves that
trailing block into a new cell right after it, tagged ``remove-cell`` (a cell made only of asserts
is tagged in place). Asserts followed by more code in the same cell are reported, not moved: move
them by hand where the order does not matter.

    python scripts/hide_test_cells.py book/aggregation.ipynb [...]     # rewrite in place
    python scripts/hide_test_cells.py --check book/*.ipynb             # list what would change
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strip_outputs import dumps  # noqa: E402  (the one notebook file format of the repository)

TAG = "remove-cell"


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _parse(src: str) -> ast.Module | None:
    # IPython magics and shell escapes are not Python: blank them out for parsing only
    masked = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
    try:
        return ast.parse(masked)
    except SyntaxError:
        return None


def trailing_asserts(src: str) -> tuple[int | None, list[int]]:
    """Line (0-based) where the trailing block of top-level asserts starts, and lines of other asserts."""
    tree = _parse(src)
    if tree is None or not tree.body:
        return None, []
    body = tree.body
    start = len(body)
    while start > 0 and isinstance(body[start - 1], ast.Assert):
        start -= 1
    inner = [n.lineno - 1 for n in body[:start] if isinstance(n, ast.Assert)]
    if start == len(body):
        return None, inner
    first = body[start]
    # comments directly above the first trailing assert belong to it
    line = first.lineno - 1
    lines = src.splitlines()
    while line > 0 and lines[line - 1].lstrip().startswith("#"):
        line -= 1
    return line, inner


def hide(nb: dict) -> tuple[dict, list[str]]:
    """Return the notebook with its test asserts in hidden cells, and notes on what was left."""
    cells, notes = [], []
    for index, cell in enumerate(nb["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or TAG in tags:
            cells.append(cell)
            continue
        src = _source(cell)
        start, inner = trailing_asserts(src)
        if inner:
            notes.append(f"cell {index}: assert(s) on line(s) {[i + 1 for i in inner]} followed by code")
        if start is None:
            cells.append(cell)
            continue
        lines = _lines(src)
        head, tail = "".join(lines[:start]).rstrip("\n"), "".join(lines[start:]).rstrip("\n")
        if not head.strip():
            cell.setdefault("metadata", {}).setdefault("tags", []).append(TAG)
            cells.append(cell)
            continue
        cell["source"] = _lines(head)
        cells.append(cell)
        cells.append({
            "cell_type": "code",
            "execution_count": None,
            "id": uuid.uuid4().hex[:8],
            "metadata": {"tags": [TAG]},
            "outputs": [],
            "source": _lines(tail),
        })
    return {**nb, "cells": cells}, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if a change is due")
    args = parser.parse_args(argv)
    due = False
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        new, notes = hide(json.loads(json.dumps(nb)))
        changed = new != nb
        due |= changed
        for note in notes:
            print(f"{path}: {note}")
        if changed and not args.check:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(dumps(new), encoding="utf-8")
            tmp.replace(path)
            print(f"{path}: test asserts moved into hidden cells")
        elif changed:
            print(f"{path}: visible cells end in asserts")
    return 1 if (due and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
