"""What a reader of the built book must not see: test harness and the build machine's paths.

- No visible code cell holds an ``assert`` statement: the chapters' test asserts live in cells
  tagged ``remove-cell`` (``scripts/hide_test_cells.py`` moves them there).
- No page shows an absolute path of the machine that built it (``/home/<user>``, ``/root``,
  ``/tmp``, ``/work``, a ``site-packages`` folder), in code output or anywhere else.

    python tests/check_built_pages.py _build/html
"""

from __future__ import annotations

import argparse
import html as html_lib
import re
import sys
from pathlib import Path

# Pygments marks the keyword: <span class="k">assert</span>
VISIBLE_ASSERT = re.compile(r'<span class="k">assert</span>')
MACHINE_PATH = re.compile(
    r"(?<![\w.:/-])(/home/[\w.-]+|/root|/tmp|/work|/private/var|[A-Z]:\\\\Users)(?=/)"
    r"|site-packages/"
)
SKIP = {"genindex.html", "search.html", "py-modindex.html"}


def _pages(html_dir: Path):
    for page in sorted(html_dir.rglob("*.html")):
        if page.name in SKIP or "_static" in page.parts or "_sources" in page.parts:
            continue
        yield page


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8", errors="replace")


def find_visible_asserts(html_dir: Path) -> dict[str, int]:
    """Pages whose visible code cells contain ``assert``, with the count."""
    found = {}
    for page in _pages(html_dir):
        n = len(VISIBLE_ASSERT.findall(_text(page)))
        if n:
            found[page.relative_to(html_dir).as_posix()] = n
    return found


def find_machine_paths(html_dir: Path) -> dict[str, list[str]]:
    """Pages that print an absolute path of the build machine, with a few of them."""
    found = {}
    for page in _pages(html_dir):
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", _text(page)))
        hits = sorted({m.group(0) for m in MACHINE_PATH.finditer(text)})
        if hits:
            lines = [line.strip()[:160] for line in text.splitlines() if MACHINE_PATH.search(line)]
            found[page.relative_to(html_dir).as_posix()] = lines[:5]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path)
    args = parser.parse_args(argv)
    if not (args.html_dir / "index.html").is_file():
        print(f"check_built_pages: {args.html_dir}/index.html not found: build the book first")
        return 1
    failed = False
    for page, n in find_visible_asserts(args.html_dir).items():
        failed = True
        print(f"check_built_pages: FAIL: {page} shows {n} assert statement(s) in visible code cells "
              "(run scripts/hide_test_cells.py on its notebook)")
    for page, lines in find_machine_paths(args.html_dir).items():
        failed = True
        print(f"check_built_pages: FAIL: {page} shows paths of the build machine:")
        for line in lines:
            print(f"    {line}")
    if not failed:
        print("check_built_pages: ok: no visible asserts and no machine paths")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
