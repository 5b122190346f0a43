"""Benchmark: a 101-point field sweep against one single-field steady solve.

    python validation/bench_sweep.py [--nodes 160000] [--points 101] [--repeat 2] [--pool]

The study is omm_fem.studies.bench_sweep (cases and timings described there).
Writes validation/bench_sweep.md; exits non-zero if a rho of the reduced sweep
differs from point by point by more than 1e-6.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.studies import bench_sweep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=160_000)
    ap.add_argument("--points", type=int, default=101)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--pool", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_sweep.md")))
    args = ap.parse_args(argv)
    res = bench_sweep.run(nodes=args.nodes, points=args.points, repeat=args.repeat,
                          pool=args.pool, log=lambda line: print(line, flush=True))
    text = bench_sweep.table(res)
    print(text)
    Path(args.out).write_text(text)
    if res["bad"]:
        raise SystemExit(f"rho of the reduced sweep differs by more than {bench_sweep.RHO_RTOL} "
                         f"in: {res['bad']}")
    return res["rows"]


if __name__ == "__main__":
    main()
