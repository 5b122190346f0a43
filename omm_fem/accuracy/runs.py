"""[mesh] error_estimate and tolerance in a configured run (:func:`omm_fem.run.run`).

:func:`for_run` takes the run's problem and returns the problem to solve (the
adapted one under ``tolerance``) with the results.json entries:
``error_estimate`` (:meth:`ErrorEstimate.to_dict`) and, under ``tolerance``,
``refinement`` (one entry per step). The observables estimated are those the
run reports: at the run's field, and at the two extreme fields of a sweep
(smallest and largest |B|; first and last angle of an angle sweep), the
values where the boundary layers are widest and thinnest.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .adapt import refine_to_tolerance
from .estimate import FACTOR, METHOD, P_MIN, estimate
from .meshes import refined_dof_count

__all__ = ["RunAccuracy", "for_run", "sweep_extremes", "summary_line"]


@dataclass
class RunAccuracy:
    """results.json entries and warnings of the accuracy options of a run."""

    entries: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


def sweep_extremes(sweep):
    """The fields [T] of a sweep whose errors are estimated besides the run's field."""
    return [] if sweep is None else field_extremes(sweep.fields)


def field_extremes(fields):
    """The smallest and the largest |B| of ``fields`` (nf, 3) [T] — the first and the
    last of an angle sweep (one |B|) — where the boundary layers are widest and
    thinnest: the fields whose errors a sweep's estimate covers."""
    F = np.asarray(fields, float)
    mag = np.linalg.norm(F, axis=1)
    ks = [0, len(F) - 1] if np.ptp(mag) == 0 else [int(np.argmin(mag)), int(np.argmax(mag))]
    return [F[k] for k in dict.fromkeys(ks)]


def for_run(spec, problem):
    """(problem to solve, :class:`RunAccuracy`) for a :class:`~omm_fem.config.RunSpec`."""
    opts = spec.mesh_opts
    acc = RunAccuracy()
    if not opts.error_estimate:
        return problem, acc
    t0 = time.perf_counter()
    fields = [problem.B] + [f for f in sweep_extremes(spec.sweep) if not np.array_equal(f, problem.B)]
    meas = list(spec.measurements)
    if opts.tolerance is not None:
        ad = refine_to_tolerance(problem, opts.tolerance, meas, fields=fields, linear=spec.linear,
                                 max_dofs=opts.max_dofs)
        problem, est = ad.problem, ad.estimate
        acc.warnings += ad.warnings
        acc.entries["refinement"] = ad.refinement()
    else:
        need = refined_dof_count(problem.mesh, problem.order)
        est = None
        if need > opts.max_dofs:
            acc.warnings.append(f"mesh.error_estimate: skipped, the refined solve needs about "
                                f"{need} unknowns, more than mesh.max_dofs = {opts.max_dofs:.3g}")
        else:
            est = estimate(problem, meas, fields=fields, linear=spec.linear)
    if est is None:
        acc.entries["error_estimate"] = {"method": METHOD, "assumed_min_order": P_MIN,
                                         "factor": FACTOR, "skipped": acc.warnings[-1]}
    else:
        acc.entries["error_estimate"] = est.to_dict(meas)
    acc.entries["error_estimate"]["total_seconds"] = time.perf_counter() - t0
    return problem, acc


def summary_line(results):
    """One line of the printed summary, or None without an estimate."""
    e = results.get("error_estimate")
    if e is None:
        return None
    if "skipped" in e:
        return "error estimate: skipped (see warnings)"
    line = (f"error estimate (Richardson, one uniform refinement, {e['refined_dofs']} unknowns, "
            f"{e['total_seconds']:.1f} s in total): largest relative {e['max_rel']:.2g}; "
            f"Delta I/I0 {e['dI_over_I0_rel']:.2g}")
    for name, m in e["measure"].items():
        if m.get("rho_rel") is not None:
            line += f", {name} rho {m['rho_rel']:.2g}"
    ref = results.get("refinement")
    if ref is not None:
        state = "met" if ref["met"] else "NOT met"
        n = len(ref["steps"])
        line += (f"; tolerance {ref['tolerance']:g} {state} ({n} step{'s' if n > 1 else ''}, "
                 f"final mesh {e['dofs']} unknowns)")
    return line
