"""Fuzz outcomes: how many mutated inputs were rejected, accepted or crashed.

    python validation/fuzz_report.py [--configs 1500] [--transients 1000] [--meshes 1000]
                                     [--attacks 400] [--time-limit 120] [--cases-log FILE]

The study is omm_fem.studies.fuzz_report (the cases of tests/test_fuzz.py with
a fixed seed; outcomes described there). Prints and writes
validation/fuzz_report.md; exits 1 if any case ended in another exception. --attacks N
runs N cases of each end-to-end strategy (omm_fem.studies.fuzz_attacks) through the
command line too (0: none; special_files has only about 180 distinct cases), each
within --time-limit seconds; --cases-log appends each one's outcome to FILE as a JSON
line as it ends.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from omm_fem.studies import fuzz_report

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=1500)
    ap.add_argument("--transients", type=int, default=1000)
    ap.add_argument("--meshes", type=int, default=1000)
    ap.add_argument("--attacks", type=int, default=400)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--cases-log", default=None)
    ap.add_argument("--out", default=str(HERE / "fuzz_report.md"))
    args = ap.parse_args(argv)
    case_log = None
    if args.cases_log:
        def case_log(result):
            with open(args.cases_log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(result, default=str) + "\n")
    res = fuzz_report.run(configs=args.configs, transients=args.transients, meshes=args.meshes,
                          attacks=args.attacks, time_limit=args.time_limit, log=print,
                          case_log=case_log)
    Path(args.out).write_text(fuzz_report.table(res))
    print(f"wrote {args.out}")
    return 1 if res["other"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
