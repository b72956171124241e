"""No module of crowdtut uses another module's private names.

The rule (ARCHITECTURE.md): a leading underscore on a *module* marks it internal to the package;
names that other modules use are public inside it (no underscore). A name with a leading
underscore is used only in the module that defines it. This test walks the source and fails on
``from <crowdtut module> import _name`` and on ``<crowdtut module alias>._name``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crowdtut"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = here.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def violations(path: Path) -> list[str]:
    here = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[str] = []
    module_aliases: set[str] = set()
    where = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(node, here, is_package)
            if not source.startswith("crowdtut"):
                continue
            for alias in node.names:
                if _private(alias.name) and not _is_submodule(source, alias.name):
                    found.append(f"{where}:{node.lineno}: imports {alias.name} from {source}")
                elif _is_submodule(source, alias.name):
                    module_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("crowdtut") and alias.asname:
                    module_aliases.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and _private(node.attr)
        ):
            found.append(f"{where}:{node.lineno}: uses {node.value.id}.{node.attr}")
    return found


def _is_submodule(package: str, name: str) -> bool:
    """Whether ``from package import name`` imports a module (private modules may be imported)."""
    base = ROOT.joinpath(*package.split("."))
    return (base / f"{name}.py").exists() or (base / name / "__init__.py").exists()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_crosses_a_module(path):
    found = violations(path)
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_the_check_finds_a_private_import(tmp_path, monkeypatch):
    fake = PACKAGE / "metrics" / "labels.py"
    source = "from ._align import _hidden\nfrom . import _align as al\nal._secret\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    found = violations(fake)
    assert len(found) == 2 and "_hidden" in found[0] and "al._secret" in found[1]
