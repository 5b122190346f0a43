"""Benchmark: the cheap wins of the direct path, each against what it replaced.

    python validation/bench_cheap.py [--nodes 250000] [--repeat 3]

The study is omm_fem.studies.bench_cheap (what is timed is described there).
Writes validation/bench_cheap.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.io import write_text
from omm_fem.studies import bench_cheap


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=250_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_cheap.md")))
    args = ap.parse_args(argv)
    res = bench_cheap.run(nodes=args.nodes, repeat=args.repeat)
    text = bench_cheap.table(res)
    print(text)
    write_text(args.out, text)
    return res


if __name__ == "__main__":
    main()
