"""``python -m tritonops.docs_gen [--check] [--root DIR]``: regenerate or check generated docs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tritonops.docs_gen import REGENERATE, stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale pages (exit 1)")
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the repository root (default: here)"
    )
    args = parser.parse_args(argv)
    root: Path = args.root
    if not (root / "pyproject.toml").is_file():
        print(f"error: {root} is not the tritonops repository root — pass --root", file=sys.stderr)
        return 2
    if args.check:
        old = stale(root)
        for page in old:
            print(f"{page} is out of date — run `{REGENERATE}`", file=sys.stderr)
        return 1 if old else 0
    for path in write(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
