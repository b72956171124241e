"""The book's notebooks follow the conventions of DESIGN.md.

- stored without outputs, execution counts or saved widget state (the build executes them;
  `python scripts/strip_outputs.py` fixes a notebook that carries them);
- saved with the `python3` kernel;
- the first code cell is the Colab install cell: guarded by `"google.colab" in sys.modules`,
  installing a pinned crowdtut, tagged `remove-cell` so the book does not show it;
- every notebook under book/ is a page of _toc.yml (the build only builds the pages listed there).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(
    p for p in BOOK.rglob("*.ipynb") if not {"_build", "_static", ".ipynb_checkpoints"} & set(p.parts)
)
FIX = "run `python scripts/strip_outputs.py` to strip it"

COLAB_GUARD = re.compile(r"""^if\s+["']google\.colab["']\s+in\s+sys\.modules\s*:""")
# crowdtut==1.2.3, or a git URL pinned to a tag or commit: crowdtut @ git+https://...@v1.2.3
PINNED_INSTALL = re.compile(
    r"""pip\s+install\b.*\bcrowdtut(\[[\w,\s-]*\])?(==[\w.]+|\s*@\s*git\+\S+?@[\w.-]+)"""
)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_book_has_notebooks():
    assert NOTEBOOKS, "no notebooks under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_stored_without_outputs(path):
    nb = _load(path)
    name = path.relative_to(ROOT)
    dirty = [
        i for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{name}: code cells {dirty} carry outputs or execution counts; {FIX}"
    assert "widgets" not in nb.get("metadata", {}), f"{name}: saved widget state in metadata; {FIX}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_python3_kernel(path):
    kernel = _load(path).get("metadata", {}).get("kernelspec", {}).get("name")
    assert kernel == "python3", f"{path.relative_to(ROOT)}: kernelspec name is {kernel!r}, not 'python3'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_colab_install(path):
    name = path.relative_to(ROOT)
    code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
    assert code, f"{name}: no code cell"
    cell = code[0]
    src = _source(cell)
    assert "remove-cell" in cell.get("metadata", {}).get("tags", []), (
        f"{name}: the Colab install cell (first code cell) must be tagged remove-cell"
    )
    top_level = [
        line for line in src.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line[0].isspace()
    ]
    guards = [line for line in top_level if COLAB_GUARD.match(line)]
    assert guards, f'{name}: first code cell is not guarded by `if "google.colab" in sys.modules:`'
    others = [line for line in top_level if not COLAB_GUARD.match(line) and line.strip() != "import sys"]
    assert not others, f"{name}: the Colab cell must do nothing outside Colab, but runs {others}"
    assert PINNED_INSTALL.search(src), f"{name}: the Colab cell must pip install a pinned crowdtut"


def _toc_files(entries) -> set[str]:
    files = set()
    for entry in entries or []:
        if isinstance(entry, dict):
            if "file" in entry:
                files.add(str(entry["file"]))
            for key in ("chapters", "sections", "parts"):
                files |= _toc_files(entry.get(key))
    return files


def test_every_notebook_is_in_the_toc():
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = {toc["root"]} | _toc_files(toc.get("parts")) | _toc_files(toc.get("chapters"))
    listed = {f[: -len(".ipynb")] if f.endswith(".ipynb") else f for f in listed}
    missing = [
        p.relative_to(ROOT).as_posix() for p in NOTEBOOKS
        if p.relative_to(ROOT).with_suffix("").as_posix() not in listed
    ]
    assert not missing, f"notebooks not in _toc.yml (the book would not build them): {missing}"


def _hide_test_cells():
    import importlib.util

    spec = importlib.util.spec_from_file_location("hide_test_cells", ROOT / "scripts" / "hide_test_cells.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_test_asserts_are_hidden_from_the_reader(path):
    # a visible cell ending in asserts shows the harness on the page: move it to a remove-cell
    hide = _hide_test_cells()
    nb = _load(path)
    new, _ = hide.hide(json.loads(json.dumps(nb)))
    assert new == nb, (
        f"{path.relative_to(ROOT)}: visible code cells end in assert statements; "
        "run `python scripts/hide_test_cells.py` on it"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_cells_have_unique_ids(path):
    ids = [c.get("id") for c in _load(path)["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), f"{path.relative_to(ROOT)}: missing or repeated cell ids"
