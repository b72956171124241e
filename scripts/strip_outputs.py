#!/usr/bin/env python3
"""Strip outputs from notebooks in place, so they are stored the way the book expects.

    python scripts/strip_outputs.py book/*.ipynb          # strip (atomic write per file)
    python scripts/strip_outputs.py --check book/*.ipynb  # exit 1 if any would change

Removes code-cell outputs and execution counts, the saved widget state (notebook metadata
"widgets") and per-cell execution timings (cell metadata "execution"). Everything else, cell ids
and tags included, is kept. Files are written as nbformat writes them (one-space indent, sorted
keys), through a temporary file and os.replace, so an interrupted run never leaves half a notebook.
With no paths, strips every .ipynb under book/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def strip(nb: dict) -> dict:
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Strip outputs from notebooks in place.")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: book/**/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(
        p for p in (ROOT / "book").rglob("*.ipynb")
        if not {"_build", ".ipynb_checkpoints"} & set(p.parts)
    )
    dirty = []
    for path in paths:
        original = path.read_text(encoding="utf-8")
        stripped = dumps(strip(json.loads(original)))
        if stripped != original:
            dirty.append(path)
            if not args.check:
                write_atomic(path, stripped)
    verb = "would strip" if args.check else "stripped"
    for path in dirty:
        print(f"{verb}: {path}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
