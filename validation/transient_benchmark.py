"""Cost of transient steps against steady solves on one realistic mesh.

    python validation/transient_benchmark.py [--quick] [--json]

The study is omm_fem.studies.transient_benchmark (what is timed is described
there). Writes validation/transient_benchmark.md (not with --quick).
"""
from __future__ import annotations

import os

# Single-threaded BLAS for every measurement, steady and transient alike: on
# a shared 2-core machine a threaded BLAS spin-waits for a busy core and turns
# millisecond calls into tens of milliseconds, which would measure the
# scheduler rather than the algorithms. Must be set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from omm_fem.io import atomic_write  # noqa: E402
from omm_fem.studies import transient_benchmark  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="coarser mesh, fewer steps")
    ap.add_argument("--json", action="store_true", help="print the ratios as JSON only")
    args = ap.parse_args(argv)
    r = transient_benchmark.run(quick=args.quick)
    if args.json:
        print(json.dumps({k: v for k, v in r.items() if k != "rows"}))
        return
    text = transient_benchmark.table(r)
    print(text)
    if not args.quick:
        atomic_write(HERE / "transient_benchmark.md",
                     lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


if __name__ == "__main__":
    main()
