"""Run every benchmark in bench/ one after another (`make bench`), or the ones named.

    .venv/bin/python bench/run_all.py [store extract nlp simbox sandbox crawl]

Each benchmark prints its own table with ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in {"run_all", "__init__"})
    failed = []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"no benchmark named {name}", file=sys.stderr)
            return 2
        print(f"\n=== bench/{name}.py ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)])
        print(f"--- {name}: exit {rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
