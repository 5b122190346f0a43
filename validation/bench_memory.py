"""Benchmark: peak memory and wall time by phase of a 1M-node steady run, iterative vs direct.

    python validation/bench_memory.py [--nodes 1000000] [--p2-nodes 1000000] [--skip-p2]
    python validation/bench_memory.py --table-only   (the table again from the .json records)

The study is omm_fem.studies.bench_memory (the cases and what is timed are
described there). Each case runs in its own process, one after the other,
with single-threaded BLAS (``OPENBLAS_NUM_THREADS=1``: the machine is shared,
and threaded BLAS was measured 3x slower on the Krylov path when another
process holds the cores). Writes validation/bench_memory.md and
validation/bench_memory.json (the records).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from omm_fem.io import write_json, write_text
from omm_fem.studies import bench_memory


def _machine():
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return (f"{platform.machine()}, {os.cpu_count()} cores{mem}, {platform.platform()}, "
            f"OPENBLAS_NUM_THREADS={blas}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--p2-nodes", type=int, default=1_000_000)
    ap.add_argument("--skip-p2", action="store_true")
    ap.add_argument("--table-only", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_memory.md")))
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    records_file = Path(args.out).with_suffix(".json")
    if args.table_only:
        records = json.loads(records_file.read_text())
        write_text(args.out, bench_memory.table(records, _machine()))
        return records
    n = args.nodes
    cases = [dict(kind="poisson", nodes=n, order=1, linear="direct"),
             dict(kind="steady", nodes=n, order=1, linear="iterative"),
             dict(kind="steady", nodes=n, order=1, linear="direct")]
    if not args.skip_p2:
        cases.append(dict(kind="steady", nodes=args.p2_nodes, order=2, linear="iterative"))
    records = bench_memory.run(cases)
    text = bench_memory.table(records, _machine())
    print(text)
    write_text(args.out, text)
    write_json(records_file, records)
    return records


if __name__ == "__main__":
    main()
