"""Timing of the X computation (issue targets: one X to 1e-4 relative in <= 5 s;
a 201-point mu scan in <= 2x that).

    python validation/xtensor_benchmark.py

The study is omm_fem.studies.xtensor_benchmark (cases described there). Prints
and writes validation/xtensor_benchmark.md.
"""
from __future__ import annotations

import argparse
import os

from omm_fem.studies import xtensor_benchmark
from omm_fem.xtensor.figures import atomic_write_text

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "xtensor_benchmark.md"))
    args = ap.parse_args(argv)
    text = xtensor_benchmark.table(xtensor_benchmark.run())
    atomic_write_text(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
