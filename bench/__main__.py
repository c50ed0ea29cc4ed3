"""All benchmarks, one after another, each printing its table:

python -m bench            # in-process, gRPC load (1 and 2 workers), text step
python -m bench --soak     # and the 200,000-request soak (a few minutes more)
"""

from __future__ import annotations

import platform
import sys

from bench import inprocess, load, soak, text_bench


def main() -> int:
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {platform.python_implementation()} {platform.python_version()}")
    for name, run in (("in process", inprocess.main), ("gRPC load", load.main), ("text step", text_bench.main)):
        print(f"\n=== {name}")
        run()
    if "--soak" in sys.argv:
        print("\n=== soak")
        sys.argv = sys.argv[:1]
        soak.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
