"""Reproduce Fig. 2 of the seed paper: X of Bernal bilayer graphene (Eq. 16).

    python validation/xtensor_fig2.py

The study is omm_fem.studies.xtensor_fig2. Writes xtensor_fig2a.{csv,png},
xtensor_fig2b.{csv,png} and xtensor_notes.md (the computed theta next to the
paper's ~1e-2) into this directory (or --out).
"""
from __future__ import annotations

import argparse
import os

from omm_fem.studies import xtensor_fig2
from omm_fem.xtensor.figures import atomic_write_text, write_csv

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE, help="directory of the files (default: validation/)")
    args = ap.parse_args(argv)
    data = xtensor_fig2.run()
    for name, (header, rows) in xtensor_fig2.csv_tables(data).items():
        write_csv(os.path.join(args.out, name), header, rows)
    xtensor_fig2.plot(data, args.out)
    text = xtensor_fig2.table(data)
    atomic_write_text(os.path.join(args.out, "xtensor_notes.md"), text)
    print(text)


if __name__ == "__main__":
    main()
