#!/usr/bin/env python3
"""Write crowdtut/datasets/bubil_upstream.json: the published BU-BIL files the loader derives from.

    python scripts/make_bubil_manifest.py [--mirror DIR] [--output FILE] [--check]

Reads the dataset mirror (``--mirror``, else ``$CROWDTUT_DATA``, else ``../shared/datasets``
beside the repository), whose ``bubil/BU-BIL_Dataset<d>/`` folders are byte copies of
``DataSet/Rabbit/BU-BIL_Dataset<d>/`` of tobastin/CS760-Project-Lungs at the pinned commit, and
lists every file that ``load_dataset("bubil")`` needs to derive its arrays without the mirror:
the crowd masks (``CrowdsourcedAnnotations/mturk_annotation<d>-<k>/seg_<image>.png``), the gold
masks (``GoldStandard/``) and the microscopy images (``RawImages/``, where the mirror has them),
each with its mirror path, upstream path, sha256 and size. Expert annotations and READMEs are
left out: the loader does not read them. The JSON is written atomically. With ``--check`` nothing
is written and the exit status says whether the stored manifest is up to date.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "crowdtut" / "datasets" / "bubil_upstream.json"
REPO = "tobastin/CS760-Project-Lungs"
COMMIT = "97d69b49028adc61c1f52a2cd2be3fda881608ad"
UPSTREAM_ROOT = "DataSet/Rabbit/"  # upstream path = UPSTREAM_ROOT + mirror path minus MIRROR_ROOT
MIRROR_ROOT = "bubil/"
# the files the loader reads, relative to MIRROR_ROOT (the ExpertsAnnotations are not needed)
WANTED = re.compile(
    r"BU-BIL_Dataset[1-6]/(CrowdsourcedAnnotations/mturk_annotation[1-6]-[1-7]/seg_[^/]+"
    r"|GoldStandard/seg_[^/]+|RawImages/[^/]+)\.png"
)


def default_mirror() -> Path:
    env = os.environ.get("CROWDTUT_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "datasets"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(mirror: Path) -> dict:
    base = mirror / MIRROR_ROOT
    if not base.is_dir():
        raise SystemExit(f"{base} does not exist: point --mirror at the dataset mirror")
    paths = sorted(
        p for p in base.rglob("*.png") if WANTED.fullmatch(p.relative_to(base).as_posix())
    )
    files = []
    for path in paths:
        relative = path.relative_to(base).as_posix()
        files.append(
            {
                "mirror_path": MIRROR_ROOT + relative,
                "upstream_path": UPSTREAM_ROOT + relative,
                "sha256": sha256(path),
                "size": path.stat().st_size,
            }
        )
    return {
        "about": (
            "The published BU-BIL files (Gurari et al., WACV 2015) from which crowdtut derives "
            "the aligned arrays of load_dataset('bubil'). Written by "
            "scripts/make_bubil_manifest.py from the dataset mirror; do not edit by hand."
        ),
        "repo": REPO,
        "commit": COMMIT,
        "url_template": f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/{{upstream_path}}",
        "n_files": len(files),
        "n_bytes": sum(f["size"] for f in files),
        "files": files,
    }


def dumps(data: dict) -> str:
    """Indented JSON with one file per line (readable diffs, a quarter of the indented size)."""
    head = {k: v for k, v in data.items() if k != "files"}
    lines = json.dumps(head, indent=1)[:-2] + ',\n "files": [\n'
    lines += ",\n".join("  " + json.dumps(f) for f in data["files"])
    return lines + "\n ]\n}\n"


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=default_mirror(), help="dataset mirror root")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if out of date")
    args = parser.parse_args(argv)
    data = manifest(args.mirror)
    text = dumps(data)
    assert json.loads(text) == data
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    write_atomic(args.output, text)
    print(f"wrote {args.output}: {data['n_files']} files, {data['n_bytes']:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
