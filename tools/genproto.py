"""Generates service/gen from protos/ (``make proto``); ``--check`` fails if it is stale.

protoc writes ``from dermtriage.v1 import ...``; the imports are rewritten to the package
path ``service.gen.dermtriage.v1`` so the stubs need no change to sys.path.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "service" / "gen"


def generate(out: Path) -> None:
    from grpc_tools import protoc  # dev dependency: only this command needs it

    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{PROTOS}", f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}", *sources]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for path in out.rglob("*.py*"):
        if path.suffix in (".py", ".pyi"):
            text = re.sub(r"^from dermtriage\.", "from service.gen.dermtriage.", path.read_text(), flags=re.M)
            path.write_text(text)
    for folder in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()


def _tree(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if service/gen differs from a fresh generation")
    args = parser.parse_args()
    if not args.check:
        shutil.rmtree(OUT, ignore_errors=True)
        generate(OUT)
        print(f"generated {OUT.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "gen"
        generate(fresh)
        want, have = _tree(fresh), _tree(OUT)
        stale = sorted(set(want) ^ set(have)) + sorted(
            k for k in set(want) & set(have) if not filecmp.cmp(want[k], have[k], shallow=False)
        )
    if stale:
        print("service/gen is stale; run `make proto`. Differs: " + ", ".join(stale), file=sys.stderr)
        return 1
    print("service/gen is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
