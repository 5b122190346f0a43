"""``omm-fem xtensor``: the inverse-mass tensor from a built-in model.

Examples::

    omm-fem xtensor --mu 0.2 --V 0.1                  # one point, table + CSV + JSON
    omm-fem xtensor --scan mu --V 0.38                 # X_xx, X_zz vs mu (Fig. 2a style)
    omm-fem xtensor --scan V --mu 0.2 0.5 1.0          # theta vs V (Fig. 2b style)
    omm-fem xtensor --fig2                             # both panels with the paper's settings

Energies in eV, temperature in K. Files go to ``--out`` (default
``./omm-fem-out/``), each written atomically.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

from ..errors import OmmError
from ..units import M_E
from .figures import (
    V_scan_data,
    atomic_write_text,
    fig2a_data,
    fig2b_data,
    mu_scan_data,
    plot_fig2a,
    plot_fig2b,
    write_csv,
)
from .graphene import graphene_multilayer
from .spec import MODELS, model_from_spec
from .tensor import scan_mu

__all__ = ["add_parser", "run"]

_COMP = ("xx", "yy", "zz", "xy", "xz", "yz")
_IDX = {"xx": (0, 0), "yy": (1, 1), "zz": (2, 2), "xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}


def add_parser(subparsers):
    """Add the ``xtensor`` subcommand to an ``argparse`` subparsers object."""
    p = subparsers.add_parser(
        "xtensor", help="inverse-mass tensor X of a tight-binding model (SPEC §10)",
        description="Compute X (per unit cell, 1/m_e and 1/kg) for Bernal bilayer graphene (Eq. 16) "
                    "or N-layer ABA/ABC graphene; scan over mu or V; reproduce Fig. 2 of the paper.")
    p.add_argument("--model", choices=sorted(MODELS), default="blg", help="built-in model (default blg)")
    p.add_argument("--layers", type=int, help="number of layers (aba/abc; default 3)")
    p.add_argument("--mu", type=float, nargs="+", help="chemical potential(s) [eV]")
    p.add_argument("--T", type=float, default=300.0, help="temperature [K] (default 300)")
    p.add_argument("--V", type=float, default=0.0, help="displacement energy [eV]: +V ... -V on the layers")
    p.add_argument("--gs", dest="g_s", type=int, default=1, help="spin degeneracy (default 1)")
    p.add_argument("--gamma0", type=float, help="intralayer hopping [eV] (default -3.16)")
    p.add_argument("--gamma1", type=float, help="interlayer hopping [eV] (default -0.38)")
    p.add_argument("--nk", type=int, help="fixed k-grid (even); default: refine until --tol")
    p.add_argument("--tol", type=float, default=1e-4, help="relative accuracy target (default 1e-4)")
    p.add_argument("--refine", type=float, default=0.6, help="valley concentration 0..0.99 (default 0.6)")
    p.add_argument("--scan", choices=("mu", "V"), help="scan the chemical potential or the displacement")
    p.add_argument("--range", nargs=2, type=float, metavar=("START", "STOP"),
                   help="scan range [eV] (mu: -1 1, V: 0 0.5)")
    p.add_argument("--num", type=int, help="scan points (mu: 201, V: 26)")
    p.add_argument("--fig2", action="store_true", help="reproduce Fig. 2(a) and 2(b) of the paper")
    p.add_argument("--out", default=os.path.join(".", "omm-fem-out"), help="output directory")
    p.add_argument("--no-plot", action="store_true", help="write CSV/JSON only")
    p.set_defaults(func=run)
    return p


def _spec(args):
    spec = {"model": args.model, "V": args.V}
    for key in ("layers", "gamma0", "gamma1"):
        if getattr(args, key) is not None:
            spec[key] = getattr(args, key)
    return spec


def _fmt(v):
    return "nan" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.6g}"


def _print_table(header, rows, stream):
    cols = [[str(h)] + [_fmt(r[i]) if not isinstance(r[i], str) else r[i] for r in rows]
            for i, h in enumerate(header)]
    width = [max(len(c) for c in col) for col in cols]
    for j in range(len(rows) + 1):
        print("  ".join(col[j].rjust(w) for col, w in zip(cols, width)), file=stream)


def _mu_rows(data):
    X, err = data["X_me"], data["error_me"]
    rows = []
    for i, mu in enumerate(data["mu"]):
        rows.append([float(mu)] + [float(X[i][_IDX[c]]) for c in _COMP]
                    + [float(np.abs(err[i]).max()), float(data["theta"][i]),
                       "yes" if data["in_gap"][i] else "no",
                       float(data["n_electrons"][i])])
    header = ["mu_eV"] + [f"X_{c}_per_m_e" for c in _COMP] + ["error_max_per_m_e", "theta", "in_gap",
                                                              "electrons_per_cell"]
    return header, rows


def _V_rows(data):
    rows = []
    for i, V in enumerate(data["V"]):
        for j, mu in enumerate(data["mu"]):
            X = data["X_me"][i, j]
            rows.append([float(V), float(mu), float(X[0, 0]), float(X[1, 1]), float(X[2, 2]),
                         float(data["theta"][i, j]), "yes" if data["in_gap"][i, j] else "no"])
    return ["V_eV", "mu_eV", "X_xx_per_m_e", "X_yy_per_m_e", "X_zz_per_m_e", "theta", "in_gap"], rows


def _emit(data, out, stem, plot, stream, rows, draw):
    """Print the table of ``data``, write STEM.csv (and STEM.png); returns the file names."""
    header, body = rows(data)
    _print_table(header, body, stream)
    write_csv(os.path.join(out, stem + ".csv"), header, body)
    written = [stem + ".csv"]
    if plot:
        draw(data, os.path.join(out, stem + ".png"))
        written.append(stem + ".png")
    return written


def _emit_mu(data, out, stem, plot, stream):
    return _emit(data, out, stem, plot, stream, _mu_rows, plot_fig2a)


def _emit_V(data, out, stem, plot, stream):
    return _emit(data, out, stem, plot, stream, _V_rows, plot_fig2b)


def _grid(args, default_range, default_num, name):
    lo, hi = args.range if args.range else default_range
    num = default_num if args.num is None else args.num
    if not 2 <= num <= 10001:
        raise OmmError(f"--num = {num!r} is invalid: a {name} scan needs 2 <= num <= 10001 points")
    return np.linspace(lo, hi, num)


def run(args, stream=None):
    """Execute ``omm-fem xtensor``; returns the exit code (0 ok, 2 bad input)."""
    stream = sys.stdout if stream is None else stream
    num_kw = {"T": args.T, "g_s": args.g_s, "tol": args.tol, "nk": args.nk, "refine": args.refine}
    plot = not args.no_plot
    try:
        if args.fig2:
            written = _emit_mu(fig2a_data(T=args.T, tol=args.tol), args.out, "xtensor_fig2a", plot, stream)
            written += _emit_V(fig2b_data(T=args.T, tol=args.tol), args.out, "xtensor_fig2b", plot, stream)
        elif args.scan == "mu":
            if args.mu:
                raise OmmError("--mu is not used by --scan mu: give the scan interval with "
                               "--range START STOP")
            model, _ = model_from_spec(_spec(args), where="xtensor")
            data = mu_scan_data(model, _grid(args, (-1.0, 1.0), 201, "mu"), **num_kw)
            data["V"] = args.V
            written = _emit_mu(data, args.out, "xtensor_scan_mu", plot, stream)
        elif args.scan == "V":
            spec = _spec(args)
            model_from_spec(spec, where="xtensor")  # validates everything but V
            kw = {k: spec[k] for k in ("gamma0", "gamma1") if k in spec}
            layers = spec.get("layers", 2 if args.model == "blg" else 3)

            def factory(v):
                return graphene_multilayer(layers, MODELS[args.model], V=v, **kw)

            mus = args.mu if args.mu else (0.2, 0.5, 1.0)
            data = V_scan_data(factory, _grid(args, (0.0, 0.5), 26, "V"), mus, **num_kw)
            written = _emit_V(data, args.out, "xtensor_scan_V", plot, stream)
        else:
            if not args.mu:
                raise OmmError("--mu is required (one or more chemical potentials in eV) unless "
                               "--scan/--fig2")
            model, params = model_from_spec(_spec(args), where="xtensor")
            scan = scan_mu(model, args.mu, **num_kw)
            header = ["mu_eV"] + [f"X_{c}_per_m_e" for c in _COMP] + ["rel_error", "theta", "n_kpoints"]
            rows = [[p.mu] + [float(p.X_me[_IDX[c]]) for c in _COMP]
                    + [p.rel_error, p.theta, str(p.n_kpoints)]
                    for p in scan.points]
            _print_table(header, rows, stream)
            write_csv(os.path.join(args.out, "xtensor.csv"), header, rows)
            doc = {"model": args.model, "parameters": params, "results": [p.to_dict() for p in scan.points]}
            atomic_write_text(os.path.join(args.out, "xtensor.json"), json.dumps(doc, indent=2) + "\n")
            written = ["xtensor.csv", "xtensor.json"]
    except OmmError as exc:
        print(f"omm-fem xtensor: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(written)} to {os.path.abspath(args.out)} "
          f"(X in 1/m_e; 1/m_e = {1 / M_E:.6g} 1/kg)",
          file=stream)
    return 0
