#!/usr/bin/env python3
"""Fetch the JavaScript the book's HTML needs into book/_static/vendor/, so it works offline.

The pages load MathJax 3 (``mathjax_path``) and the Jupyter widget manager (``nb_ipywidgets_js``)
from here instead of a CDN. Each package is fetched from the npm registry with ``npm pack`` at a
pinned version, its tarball is checked against the registry's sha512 integrity, and only the files
the pages use are copied:

- ``mathjax@3.2.2``: ``es5/tex-chtml-full.js`` (TeX input with every extension built in, so the
  autoloader never has to fetch one) and the CommonHTML woff-v2 fonts it loads from
  ``output/chtml/fonts/woff-v2`` next to itself.
- ``@jupyter-widgets/html-manager@1.0.15`` (ipywidgets 8): ``dist/embed.js``, which bundles the
  base, controls and output widgets (both the ipywidgets 7 and 8 model versions) and needs no
  require.js, plus the Font Awesome woff2 files its CSS refers to (found next to the script).

Usage::

    python scripts/fetch_offline_assets.py           # fetch when missing or changed
    python scripts/fetch_offline_assets.py --check   # exit 1 if the files are missing or differ
    python scripts/fetch_offline_assets.py --force   # fetch again

A MANIFEST.json records the version and sha256 of every copied file.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "book" / "_static" / "vendor"

# name, version, npm integrity, {member path inside the tarball's package/: destination under vendor/}
PACKAGES = [
    {
        "name": "mathjax",
        "version": "3.2.2",
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "dest": "mathjax",
        "files": ["es5/tex-chtml-full.js", "LICENSE"],
        "globs": ["es5/output/chtml/fonts/woff-v2/*.woff"],
        "strip": "es5/",
    },
    {
        "name": "@jupyter-widgets/html-manager",
        "version": "1.0.15",
        "integrity": "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "dest": "html-manager",
        "files": ["dist/embed.js", "dist/embed.js.LICENSE.txt"],
        "globs": ["dist/*.woff2"],
        "strip": "dist/",
    },
]
MANIFEST = "MANIFEST.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_manifest_header() -> dict:
    return {p["name"]: p["version"] for p in PACKAGES}


def check() -> list[str]:
    """Return the problems with the vendored files (empty when they are complete and unchanged)."""
    manifest_path = VENDOR / MANIFEST
    if not manifest_path.is_file():
        return [f"{manifest_path.relative_to(ROOT)} is missing"]
    manifest = json.loads(manifest_path.read_text())
    problems = []
    if manifest.get("packages") != _expected_manifest_header():
        problems.append(f"{MANIFEST} pins {manifest.get('packages')}, the script pins {_expected_manifest_header()}")
    for rel, digest in manifest.get("files", {}).items():
        path = VENDOR / rel
        if not path.is_file():
            problems.append(f"missing: {path.relative_to(ROOT)}")
        elif _sha256(path) != digest:
            problems.append(f"changed: {path.relative_to(ROOT)}")
    return problems


def _npm_pack(spec: str, integrity: str, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("fetch_offline_assets: npm is needed to fetch the book's offline assets (apt-get install npm)")
    out = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(workdir), "--json", "--silent"],
        check=True, capture_output=True, text=True, cwd=workdir,
    ).stdout
    info = json.loads(out[out.index("[") :])[0]
    tarball = workdir / info["filename"]
    algo, expected = integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        sys.exit(f"fetch_offline_assets: {spec}: integrity {algo}-{actual} != pinned {integrity}")
    return tarball


def fetch() -> None:
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        staging = tmp / "vendor"
        for pkg in PACKAGES:
            tarball = _npm_pack(f"{pkg['name']}@{pkg['version']}", pkg["integrity"], tmp)
            unpacked = tmp / pkg["dest"]
            with tarfile.open(tarball) as tar:
                tar.extractall(unpacked, filter="data")
            src_root = unpacked / "package"
            wanted = [src_root / f for f in pkg["files"]]
            for pattern in pkg["globs"]:
                found = sorted(src_root.glob(pattern))
                if not found:
                    sys.exit(f"fetch_offline_assets: {pkg['name']}: nothing matches {pattern}")
                wanted += found
            for src in wanted:
                rel = src.relative_to(src_root).as_posix()
                if rel.startswith(pkg["strip"]):
                    rel = rel[len(pkg["strip"]) :]
                dst = staging / pkg["dest"] / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                files[f"{pkg['dest']}/{rel}"] = _sha256(dst)
        manifest = {"packages": _expected_manifest_header(), "files": dict(sorted(files.items()))}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        # Replace the vendor folder in one rename, so a failed fetch leaves the old one intact.
        VENDOR.parent.mkdir(parents=True, exist_ok=True)
        old = VENDOR.with_name("vendor.old")
        if old.exists():
            shutil.rmtree(old)
        if VENDOR.exists():
            os.rename(VENDOR, old)
        shutil.move(str(staging), str(VENDOR))
        if old.exists():
            shutil.rmtree(old)
    total = sum((VENDOR / f).stat().st_size for f in files)
    print(f"fetch_offline_assets: {len(files)} files, {total / 1e6:.2f} MB in {VENDOR.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the vendored files")
    parser.add_argument("--force", action="store_true", help="fetch even if the files are up to date")
    args = parser.parse_args(argv)
    problems = check()
    if args.check:
        for p in problems:
            print(f"fetch_offline_assets: {p}", file=sys.stderr)
        return 1 if problems else 0
    if problems or args.force:
        fetch()
    else:
        print("fetch_offline_assets: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
