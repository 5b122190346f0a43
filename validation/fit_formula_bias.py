"""Bias of the strip formula (Eq. 22) fitted to Hall-bar Hanle curves.

    python validation/fit_formula_bias.py [--arms 0.1 0.25 0.5] [--aspects 2 4 8]
                                          [--width 4] [--edge-fraction 8] [--no-control]

The study is omm_fem.studies.fit_formula_bias (synthetic FEM data of Rxx at
known parameters, fitted by the FEM and by the strip formula; the method is
described there). Writes validation/fit_formula_bias.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.studies import fit_formula_bias

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arms", type=float, nargs="+", default=list(fit_formula_bias.ARM_FRACTIONS),
                    help="arm_width / W values")
    ap.add_argument("--aspects", type=float, nargs="+", default=list(fit_formula_bias.ASPECTS),
                    help="length / W values")
    ap.add_argument("--width", type=float, default=fit_formula_bias.WIDTH_LM,
                    help="channel width W in units of L_m")
    ap.add_argument("--edge-fraction", type=float, default=fit_formula_bias.EDGE_FRACTION,
                    help="mesh.edge_size = L_m / this")
    ap.add_argument("--no-control", action="store_true", help="skip the exact-strip row")
    ap.add_argument("--out", default=str(HERE / "fit_formula_bias.md"))
    args = ap.parse_args(argv)
    res = fit_formula_bias.run(args.arms, args.aspects, width_lm=args.width,
                               edge_fraction=args.edge_fraction, control=not args.no_control,
                               log=lambda line: print(line, flush=True))
    text = fit_formula_bias.table(res)
    print(text)
    Path(args.out).write_text(text)
    return res


if __name__ == "__main__":
    main()
