"""Convergence of rho on the shipped flake mesh under uniform refinement.

    python validation/flake_convergence.py [--levels 3] [--order 1]

The study is omm_fem.studies.flake_convergence (observed order and Richardson
estimate described there). Writes validation/flake_convergence.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.studies import flake_convergence

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--order", type=int, default=1, choices=(1, 2))
    ap.add_argument("--out", default=str(HERE / "flake_convergence.md"))
    args = ap.parse_args(argv)
    res = flake_convergence.run(HERE.parent / "meshes" / "flake.msh", args.levels, args.order)
    text = flake_convergence.table(res)
    print(text)
    Path(args.out).write_text(text)
    return res


if __name__ == "__main__":
    main()
