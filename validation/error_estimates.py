"""Error estimates against true errors, and accuracy on demand (tolerance = 1e-4).

    python validation/error_estimates.py [--tolerance 1e-4] [--cases exact hall_bar flake]

The study is omm_fem.studies.error_estimates (cases, references and the
honesty criterion described there). Writes validation/error_estimates.md and
logs each refinement step.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from omm_fem.studies import error_estimates

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--cases", nargs="+", default=["exact", "hall_bar", "flake"],
                    choices=["exact", "hall_bar", "flake"])
    ap.add_argument("--out", default=str(HERE / "error_estimates.md"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("omm_fem.accuracy").setLevel(logging.INFO)
    res = error_estimates.run(args.tolerance, tuple(args.cases))
    text = error_estimates.table(res)
    print(text)
    Path(args.out).write_text(text)
    return res


if __name__ == "__main__":
    main()
