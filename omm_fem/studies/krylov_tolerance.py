"""Study: error of the observables against the Krylov tolerance of the iterative path.

For each device the observables of :func:`omm_fem.accuracy.estimate.evaluate`
(Delta I/I0, rho and R of the primary pair, rho and R of each measurement) are
computed with the direct solvers and with the iterative ones at several
relative residuals ``rtol``. Reported: the largest relative error of any
observable and its ratio to ``rtol``; the largest ratio over all devices and
tolerances is what the constant :data:`omm_fem.krylov.OBSERVABLE_PER_RESIDUAL`
must bound (then :func:`omm_fem.krylov.rtol_for` keeps the algebraic error 10 x
below a requested accuracy).

Devices: the graded Hall bar of :mod:`omm_fem.studies.bench_memory` at P1 and at
P2 (structured mesh, drift, four-terminal Rxx), and the shipped flake
(``examples/flake.toml``: a gmsh mesh file, P2, four contacts, its measurement).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["RTOLS", "devices", "run", "table"]

RTOLS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10)
ROOT = Path(__file__).resolve().parents[2]


def devices(nodes=60_000):
    """(name, Problem, measurements) of the study."""
    from ..config import load_toml, parse_config
    from ..measure import Measurement
    from .bench_memory import hall_bar_problem

    out = []
    rxx = Measurement("Rxx", current=("source", "drain"), voltage=("probe_1_top", "probe_2_top"))
    for order, n in ((1, nodes), (2, nodes // 4)):
        pb, _, _ = hall_bar_problem(n, order)
        out.append((f"Hall bar P{order}", pb, [rxx]))
    path = ROOT / "examples" / "flake.toml"
    spec = parse_config(load_toml(path), base_dir=path.parent)
    out.append(("flake (examples/flake.toml)", spec.build_problem(), list(spec.measurements)))
    return out


def _errors(ref, val):
    worst, which = 0.0, None
    for key, r in ref.items():
        if key in val and math.isfinite(r) and r != 0.0:
            e = abs(val[key] - r) / abs(r)
            if e >= worst:
                worst, which = e, key
    return worst, which


def run(nodes=60_000, rtols=RTOLS):
    """Records: ``device``, ``dofs``, ``rtol``, ``max_rel_error``, ``worst`` (the
    observable), ``ratio`` = max_rel_error / rtol."""
    from ..accuracy.estimate import evaluate

    records = []
    for name, pb, meas in devices(nodes):
        ref = evaluate(pb, meas, linear="direct")
        for rtol in rtols:
            ev = evaluate(pb, meas, linear="iterative", krylov_rtol=rtol)
            err, key = _errors(ref.values[0], ev.values[0])
            records.append({"device": name, "dofs": ev.dofs, "rtol": rtol,
                            "max_rel_error": err, "worst": key, "ratio": err / rtol})
    return records


def table(records):
    """validation/krylov_tolerance.md."""
    from ..krylov import OBSERVABLE_PER_RESIDUAL

    worst = max(r["ratio"] for r in records)
    lines = ["# Observable error against the Krylov tolerance", "",
             "Largest relative error of any observable (Delta I/I0, rho, R of the primary pair "
             "and of each measurement) of the iterative path against the direct solvers, on "
             "the same mesh, for each relative residual rtol of the Krylov solves.", "",
             "| device | unknowns | rtol | max relative error | observable | error / rtol |",
             "|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['device']} | {r['dofs']} | {r['rtol']:.0e} | "
                     f"{r['max_rel_error']:.2e} | {r['worst']} | {r['ratio']:.3g} |")
    verdict = "bounds it" if worst <= OBSERVABLE_PER_RESIDUAL else "DOES NOT bound it"
    lines += ["", f"Largest error / rtol: {worst:.3g}; `krylov.OBSERVABLE_PER_RESIDUAL` = "
              f"{OBSERVABLE_PER_RESIDUAL:g} ({verdict}).", ""]
    return "\n".join(lines)


def check(records):
    """The records' largest ratio (for the test and the script's exit status)."""
    return float(np.max([r["ratio"] for r in records]))
