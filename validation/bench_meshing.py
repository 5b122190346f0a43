"""Benchmark: meshing a 200k-node Hall bar (gmsh and structured) against the pipeline.

    python validation/bench_meshing.py [--nodes 200000]

The study is omm_fem.studies.bench_meshing (what is timed is described there).
Single-threaded BLAS (``OPENBLAS_NUM_THREADS=1``, as the other benchmarks).
Writes validation/bench_meshing.md and validation/bench_meshing.json.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_meshing.md")))
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from omm_fem.io import write_json, write_text
    from omm_fem.studies import bench_meshing

    records = bench_meshing.run(nodes=args.nodes)
    text = bench_meshing.table(records, f"{os.cpu_count()} cores")
    print(text)
    write_text(args.out, text)
    write_json(Path(args.out).with_suffix(".json"), records)
    return records


if __name__ == "__main__":
    main()
