"""Benchmark: one steady pipeline against one scalar Poisson solve on the same mesh.

    python validation/bench_pipeline.py [--nodes 160000] [--repeat 3]

The study is omm_fem.studies.bench_pipeline (what is timed is described there).
Writes validation/bench_pipeline.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.studies import bench_pipeline


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=160_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_pipeline.md")))
    args = ap.parse_args(argv)
    res = bench_pipeline.run(nodes=args.nodes, repeat=args.repeat)
    text = bench_pipeline.table(res)
    print(text)
    Path(args.out).write_text(text)
    return res


if __name__ == "__main__":
    main()
