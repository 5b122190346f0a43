"""Benchmark: a 2-dataset x 31-field fit against one steady solve of one dataset.

    python validation/bench_fit.py [--order 2] [--fields 31]

The study is omm_fem.studies.bench_fit (goal and cases described there).
Writes validation/bench_fit.md; exits non-zero if the goal (<= 30 steady solves)
is not met.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.studies import bench_fit


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--order", type=int, default=2, choices=(1, 2))
    ap.add_argument("--fields", type=int, default=31)
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_fit.md")))
    args = ap.parse_args(argv)
    res = bench_fit.run(order=args.order, fields=args.fields,
                        log=lambda line: print(line, flush=True))
    text = bench_fit.table(res)
    print(text)
    Path(args.out).write_text(text)
    if not res["passed"]:
        raise SystemExit(f"fit / steady solve = {res['ratio']:.1f} > {bench_fit.GOAL:g}")
    return res


if __name__ == "__main__":
    main()
