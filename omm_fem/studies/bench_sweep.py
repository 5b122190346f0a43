"""Benchmark: a 101-point field sweep against one single-field steady solve.

P1 on the edge-graded rectangle of :mod:`omm_fem.studies.bench_pipeline`
(>= 150k nodes, sink contacts, drift on). Two materials set-ups, each timed
from the Problem (mesh generation excluded everywhere):

* uniform (decoupled OMM path): X = diag(24.4, 24.4, 2.44) / m_e;
* region-wise (coupled 3N path): the left half keeps that X, the right half has
  X = diag(24.4, 18, 6) / m_e (different precession in each region).

For each: one single-field steady solve (Pipeline + at_field + two_terminal,
best of ``repeat``), the sweep of ``points`` fields from 0 to phi = 20
along x by the reduced model (Pipeline + Terminals + sweep_terminals), and
point by point (the same, ``method="direct"``, serial). Every rho of the
reduced sweep is compared with the point-by-point one. ``pool`` also times
the direct sweep on the default process pool. ``table()`` renders
validation/bench_sweep.md.
"""
from __future__ import annotations

import time

import numpy as np

from ..material import Material
from ..measure import Measurement, Terminals
from ..problem import Problem
from ..steady import Pipeline
from ..sweep import sweep_terminals
from ..units import E_CHARGE, M_E
from .bench_pipeline import build  # same mesh builder and material

__all__ = ["PHI_MAX", "RHO_RTOL", "two_regions", "timed", "single", "sweep", "case", "run",
           "table"]

PHI_MAX = 20.0
RHO_RTOL = 1e-6


def two_regions(pb):
    """The same mesh split at x = length/2 into regions with different X."""
    mesh = pb.mesh
    x_mid = 0.5 * (mesh.p[0].min() + mesh.p[0].max())
    left = mesh.p[0, mesh.t].mean(axis=0) < x_mid
    mesh = mesh.with_subdomains({"left": np.flatnonzero(left), "right": np.flatnonzero(~left)})
    m1 = pb.reference
    m2 = Material(D=m1.D, tau=m1.tau, alpha=m1.alpha, sigma=m1.sigma, mobility=m1.mobility,
                  X=np.diag([24.4, 18.0, 6.0]) / M_E, name="right")
    return Problem(mesh=mesh, materials={"left": m1, "right": m2}, contacts=pb.contacts.values(),
                   B=pb.B, order=pb.order, drift=pb.drift)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def single(pb, B):
    pipe = Pipeline(pb)
    return pipe.two_terminal(pipe.at_field(B))["rho"]


def sweep(pb, fields, method, executor=False):
    pipe = Pipeline(pb)
    terms = Terminals(pipe)
    two = Measurement("two_terminal", pipe.pair, pipe.pair)
    res = sweep_terminals(pipe, fields, terminals=terms, method=method, executor=executor,
                          measurements=[two], progress=False)
    return res, terms.resistance(res.response, res.zeroth, two)[2], res.response["dI_fixed"]


def case(name, pb, fields, repeat, pool, log=None):
    """One table row: single solve, reduced and direct sweeps (and the pool) on ``pb``."""
    t_single = min(timed(lambda: single(pb, fields[-1]))[0] for _ in range(repeat))
    t_red, (red, rho_red, dI_red) = timed(lambda: sweep(pb, fields, "reduced"))
    t_dir, (_, rho_dir, dI_dir) = timed(lambda: sweep(pb, fields, "direct"))
    err = np.abs(rho_red / rho_dir - 1)
    # rho comes from V = V0 + dV and shows only ~1e-12 of dV; the current change at fixed
    # voltage is first order alone and shows the reduced model's own error
    err_dI = np.abs(dI_red / dI_dir - 1).max()
    out = {"case": name, "single_s": t_single, "reduced_s": t_red, "direct_s": t_dir,
           "reduced_ratio": t_red / t_single, "direct_ratio": t_dir / t_single,
           "worst_rho_rel_error": float(err.max()), "worst_field": int(err.argmax()),
           "worst_dI_rel_error": float(err_dI),
           "basis": red.info["basis"], "snapshots": len(red.info["snapshots"]),
           "factorizations": red.info["factorizations"], "backsolves": red.info["backsolves"],
           "fallback": len(red.info["fallback"]),
           "estimate": float(red.info["error_estimate"].max()),
           "verified": red.info["verified"], "greedy_s": red.info["time_s"]["greedy"],
           "rho_range": (float(rho_dir.min()), float(rho_dir.max()))}
    if pool:
        t_pool, (pres, rho_pool, _) = timed(lambda: sweep(pb, fields, "direct", executor=None))
        out.update(pool_s=t_pool, pool_ratio=t_pool / t_single, pool_workers=pres.info["workers"],
                   pool_worst=float(np.abs(rho_pool / rho_dir - 1).max()))
    if log is not None:
        log(f"{name}: single {t_single:.2f} s, reduced sweep {t_red:.2f} s "
            f"({out['reduced_ratio']:.2f}x), point by point {t_dir:.2f} s "
            f"({out['direct_ratio']:.2f}x), worst rho error {out['worst_rho_rel_error']:.1e} "
            f"at field {out['worst_field']}, worst dI error {err_dI:.1e}")
    return out


def run(nodes=160_000, points=101, repeat=2, pool=False, log=None):
    """Both cases on the mesh of :func:`~omm_fem.studies.bench_pipeline.build`.

    Returns
    -------
    dict
        ``rows`` (one dict per case, from :func:`case`), ``nodes``,
        ``triangles``, ``points``, ``B_max`` [T], ``repeat``; ``passed``:
        every worst rho error <= :data:`RHO_RTOL`, ``bad``: the cases that
        are not. ``log``, if given, receives one progress line per case.
    """
    pb = build(nodes)
    mat = pb.reference
    B_max = PHI_MAX / (0.5 * E_CHARGE * mat.X[1, 1] * mat.tau)
    fields = np.linspace(0.0, B_max, points)[:, None] * np.array([1.0, 0.0, 0.0])
    rows = [case("uniform (decoupled)", pb, fields, repeat, pool, log),
            case("two regions (coupled 3N)", two_regions(pb), fields, repeat, pool, log)]
    bad = [r["case"] for r in rows if not r["worst_rho_rel_error"] <= RHO_RTOL]
    return {"rows": rows, "nodes": int(pb.mesh.p.shape[1]), "triangles": int(pb.mesh.t.shape[1]),
            "points": points, "B_max": float(B_max), "repeat": repeat, "passed": not bad,
            "bad": bad}


def table(result):
    """validation/bench_sweep.md."""
    rows = result["rows"]
    lines = ["# Field-sweep benchmark", "",
             f"P1, {result['nodes']} nodes, {result['triangles']} triangles, drift on, sink "
             f"contacts; {result['points']} fields from 0 to {result['B_max']:.3f} T along x "
             f"(phi = 0..{PHI_MAX:g} for X_yy = 24.4/m_e). Times from the Problem (mesh "
             f"generation excluded); single solve best of {result['repeat']}. Ratios are sweep "
             "time / single-field steady solve.", "",
             "| case | single solve (s) | reduced sweep (s) | ratio | point by point (s) | ratio "
             "| worst rho rel. error | worst dI rel. error | basis k | full solves "
             "| factorisations | back-solves | fallbacks |", "|---" * 13 + "|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['single_s']:.2f} | {r['reduced_s']:.2f} | "
                     f"{r['reduced_ratio']:.2f} | {r['direct_s']:.2f} | {r['direct_ratio']:.2f} | "
                     f"{r['worst_rho_rel_error']:.1e} | {r['worst_dI_rel_error']:.1e} | "
                     f"{r['basis']} | {r['snapshots']} | "
                     f"{r['factorizations']} | {r['backsolves']} | {r['fallback']} |")
    lines += ["", "rho = dV/V0 - dI/I0 is evaluated from V = V0 + dV, so it carries only ~12 "
              "digits of dV; the current change at fixed voltages, dI (all contacts, all "
              "fields), is first order alone and shows the reduced model's own error.", "",
              "Reduced model details (estimated error = the greedy's stopping quantity, "
              "tol 1e-8; verified = true error at the last snapshot, taken after the estimate "
              "had converged):", ""]
    for r in rows:
        v = r["verified"] or {}
        lines.append(f"* {r['case']}: greedy {r['greedy_s']:.2f} s, largest estimated error "
                     f"{r['estimate']:.1e}, verification at field {v.get('field')}: estimated "
                     f"{v.get('estimated', float('nan')):.1e}, "
                     f"true {v.get('true', float('nan')):.1e}; "
                     f"rho from {r['rho_range'][0]:.4e} to {r['rho_range'][1]:.4e}.")
        if "pool_s" in r:
            lines.append(f"  Point by point on the default process pool ({r['pool_workers']} "
                         f"workers): {r['pool_s']:.2f} s ({r['pool_ratio']:.2f}x), worst rho "
                         f"difference to serial {r['pool_worst']:.1e}.")
    return "\n".join(lines) + "\n"
