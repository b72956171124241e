"""Print the registry entry of new dataset files (sha256, size, pinned URL), or check the registry.

Usage::

    # the "files" entries of files in a mirror, published at owner/repo@commit:<upstream path>
    python scripts/registry_entry.py entry --mirror /path/to/mirror \\
        --upstream owner/repo@<40-hex commit> \\
        crowdspeech/crowdspeech-dev-clean-crowd.tsv=data/crowdspeech-dev-clean-crowd.tsv

    # a derived file (no public repository hosts it)
    python scripts/registry_entry.py entry --mirror /path/to/mirror \\
        --derived-from "what it was computed from" labelme/labelme_64.npz

    # every registry file present in a mirror against its size and checksum
    python scripts/registry_entry.py check --mirror /path/to/mirror

Paste the printed objects into ``files`` of an entry of ``crowdtut/datasets/registry/<source>.json``
(role -> file); ``tests/test_datasets.py`` validates every entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crowdtut.datasets import REGISTRY, sha256_file  # noqa: E402
from crowdtut.datasets._registry import _safe_relative  # noqa: E402


def file_entry(
    mirror: Path, mirror_path: str, upstream: str | None, path: str | None, derived_from: str
) -> dict:
    """The registry object of one mirrored file."""
    if not _safe_relative(mirror_path):
        raise SystemExit(f"{mirror_path!r}: give a path relative to the mirror, without '..'")
    local = mirror / mirror_path
    if not local.is_file():
        raise SystemExit(f"{local} does not exist")
    spec: dict = {"mirror_path": mirror_path, "sha256": sha256_file(local)}
    spec["size"] = local.stat().st_size
    if derived_from:
        spec["derived_from"] = derived_from
        return spec
    repo, commit = upstream.split("@")
    if len(commit) != 40:
        raise SystemExit(f"--upstream {upstream!r}: pin a full 40-hex commit")
    spec["url"] = f"https://raw.githubusercontent.com/{repo}/{commit}/{quote(path, safe='/')}"
    spec["upstream"] = f"{repo}@{commit}:{path}"
    return spec


def check(mirror: Path) -> int:
    """Compare every registry file the mirror holds with its size and sha256."""
    bad = absent = good = 0
    for info in REGISTRY.values():
        for role, f in info.files.items():
            local = mirror / f.mirror_path
            if not local.is_file():
                absent += 1
                continue
            if f.sha256 and (local.stat().st_size != f.size or sha256_file(local) != f.sha256):
                print(f"MISMATCH {info.name} {role}: {f.mirror_path}")
                bad += 1
            else:
                good += 1
    print(f"{good} files match, {bad} differ, {absent} not in {mirror}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    entry = sub.add_parser("entry", help="print the registry objects of mirrored files")
    entry.add_argument("--mirror", type=Path, required=True)
    entry.add_argument("--upstream", help="owner/repo@<commit> of the published files")
    entry.add_argument("--derived-from", default="", help="for a derived file: its origin")
    entry.add_argument(
        "files", nargs="+", help="mirror_path, or mirror_path=upstream path when they differ"
    )
    checker = sub.add_parser("check", help="check the registry against a mirror")
    checker.add_argument("--mirror", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.mirror)
    if not args.upstream and not args.derived_from:
        parser.error("give --upstream owner/repo@commit, or --derived-from for a derived file")
    out = {}
    for item in args.files:
        mirror_path, _, path = item.partition("=")
        out[mirror_path] = file_entry(
            args.mirror, mirror_path, args.upstream, path or mirror_path, args.derived_from
        )
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
