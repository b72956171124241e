"""ARCHITECTURE.md draws the package as it is: one line per module, none that no longer exists."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def listed_modules(text: str) -> set[str]:
    """Paths of the ``.py`` files named in the module tree (two spaces of indent per level)."""
    block = text.split("## Modules\n```\n", 1)[1].split("```", 1)[0]
    stack: list[str] = []
    paths = set()
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        first = line.split()[0]
        if depth > len(stack):  # a wrapped description line
            continue
        stack = stack[:depth] + [first]
        for name in line.split():  # the leading file names; the description follows
            if not name.endswith(".py"):
                break
            paths.add("".join(stack[:-1]) + name)
    return paths


def test_every_module_has_its_line_and_every_line_a_module():
    listed = listed_modules((REPO / "ARCHITECTURE.md").read_text())
    actual = {str(p.relative_to(REPO)) for p in (REPO / "crowdtut").rglob("*.py")}
    assert not actual - listed, f"modules missing from ARCHITECTURE.md: {sorted(actual - listed)}"
    stale = {p for p in listed if p.startswith("crowdtut/")} - actual
    assert not stale, f"ARCHITECTURE.md lists modules that do not exist: {sorted(stale)}"


def test_the_parser_reads_nested_and_grouped_lines():
    text = "## Modules\n```\npkg/\n  a.py    one\n  sub/\n    b.py c.py\n  long_name.py Word (x.py)\n```\n"
    assert listed_modules(text) == {"pkg/a.py", "pkg/sub/b.py", "pkg/sub/c.py", "pkg/long_name.py"}
