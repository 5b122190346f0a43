"""Fuzz outcomes: how many mutated inputs were rejected, accepted or crashed.

    python validation/fuzz_report.py [--configs 1500] [--transients 1000] [--meshes 1000]

The study is omm_fem.studies.fuzz_report (the cases of tests/test_fuzz.py with
a fixed seed; outcomes described there). Prints and writes
validation/fuzz_report.md; exits 1 if any case ended in another exception.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.studies import fuzz_report

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=1500)
    ap.add_argument("--transients", type=int, default=1000)
    ap.add_argument("--meshes", type=int, default=1000)
    ap.add_argument("--out", default=str(HERE / "fuzz_report.md"))
    args = ap.parse_args(argv)
    res = fuzz_report.run(configs=args.configs, transients=args.transients, meshes=args.meshes,
                          log=print)
    Path(args.out).write_text(fuzz_report.table(res))
    print(f"wrote {args.out}")
    return 1 if res["other"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
