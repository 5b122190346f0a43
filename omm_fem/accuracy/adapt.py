"""Accuracy on demand: refine the mesh until every observable's estimated relative
error is below a tolerance (SPEC §14).

Each step estimates the errors on the current mesh (:func:`estimate`: one
solve on its uniform refinement), stops when the largest relative estimate is
<= ``tolerance``, and otherwise refines the triangles carrying the fraction
``THETA`` of the squared element indicators (Dörfler marking) by scikit-fem's
red-green-blue refinement, with the boundary tags carried over
(:func:`omm_fem.accuracy.meshes.refine_marked`). The same loop serves
generated geometries and mesh files: it refines the mesh, not the geometry
description (curved outlines stay the polygon of the first mesh).

The cap: before each step the unknowns of its refined solve are counted; when
they would exceed ``max_dofs`` the loop stops on the last mesh estimated,
with a warning that names the best estimate reached (the run finishes and
says so, instead of discarding the work done).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import OmmError, bad_value
from ..krylov import rtol_for
from .estimate import estimate, problem_on
from .meshes import dof_count, refine_marked, refined_dof_count

__all__ = ["THETA", "MAX_STEPS", "Adapted", "dorfler", "mark", "plot_history",
           "refine_to_tolerance"]

log = logging.getLogger(__name__)

THETA = 0.5  # Dörfler fraction of the squared indicators refined per step
MAX_STEPS = 25  # steps before the loop gives up (a corner singularity takes ~10 at 1e-5)


@dataclass
class Adapted:
    """Outcome of :func:`refine_to_tolerance`.

    ``problem`` is the last problem estimated (the one whose values are
    reported), ``estimate`` its :class:`ErrorEstimate` (None when not even
    the first refined solve fits under max_dofs), ``history`` one dict per
    step (dofs, refined dofs, relative estimate per observable, seconds),
    ``met`` whether the tolerance was reached and ``warnings`` why not.
    """

    problem: object
    estimate: object
    history: list = field(default_factory=list)
    met: bool = False
    warnings: list = field(default_factory=list)
    tolerance: float | None = None
    measurements: tuple = ()

    def refinement(self):
        """The ``refinement`` entry of results.json: ``tolerance``, ``met``, ``steps``."""
        return {"tolerance": self.tolerance, "met": self.met, "steps": list(self.history)}

    def to_dict(self):
        """JSON-ready: :meth:`refinement`'s entries, ``warnings`` and ``error_estimate``
        (:meth:`ErrorEstimate.to_dict` of the last step, None without one)."""
        est = (None if self.estimate is None
               else self.estimate.to_dict(list(self.measurements)))
        return {**self.refinement(), "warnings": list(self.warnings), "error_estimate": est}

    def plot(self, ax=None):
        """The refinement history (:func:`plot_history`); returns the Figure."""
        return plot_history(self.history, self.tolerance, self.met, ax=ax)


def plot_history(steps, tolerance=None, met=None, ax=None):
    """The relative error estimate of every observable (thin) and the largest (bold)
    against the unknowns of each refinement step (``steps``: :attr:`Adapted.history`,
    or ``refinement.steps`` of results.json), with the tolerance; returns the Figure."""
    from ..plotstyle import GREY, color, style_axes
    from ..solution_common import axes_or_new

    ax = axes_or_new(ax, (6, 4))
    dofs = [h["dofs"] for h in steps]
    keys = list(dict.fromkeys(k for h in steps for k in h["estimates_rel"]))
    for i, key in enumerate(keys):
        ys = [h["estimates_rel"].get(key, np.nan) for h in steps]
        ax.loglog(dofs, ys, color=color(i), lw=0.9, alpha=0.8, label=key)
    ax.loglog(dofs, [h["max_rel"] for h in steps], "o-", color="k", lw=2, label="largest")
    if tolerance is not None:
        ax.axhline(tolerance, color=GREY, ls="--", lw=1, label=f"tolerance {tolerance:g}")
    ax.set_xlabel("unknowns per field component")
    ax.set_ylabel("estimated relative error")
    if met is not None:
        ax.set_title("mesh refinement: tolerance " + ("met" if met else "not met"))
    ax.legend(fontsize=7)
    style_axes(ax)
    return ax.figure


def dorfler(eta2, theta=THETA):
    """Indices of the fewest elements whose squared indicators sum to >= theta of the total."""
    order = np.argsort(eta2)[::-1]
    total = float(eta2.sum())
    if not total > 0:
        return order[:0]
    n = int(np.searchsorted(np.cumsum(eta2[order]), theta * total) + 1)
    return order[:min(n, order.size)]


def mark(est, theta=THETA):
    """Triangles to refine: the union over the indicator groups (n, phi0, phi1 of
    every drive) of each group's Dörfler set, so that the boundary layers of n
    are refined as well as the contact-end singularities of the potentials
    (which dominate a summed indicator)."""
    sets = [dorfler(g, theta) for g in est.group_indicators]
    return np.unique(np.concatenate(sets)) if sets else dorfler(est.indicators, theta)


def _flat(est):
    """{"FIELD:key": relative estimate} of every observable (field index 0 = the run's)."""
    return {(key if k == 0 else f"field_{k}:{key}"): v
            for k, rel in enumerate(est.rel) for key, v in sorted(rel.items())}


def refine_to_tolerance(problem, tolerance, measurements=(), *, fields=None, linear="auto",
                        max_dofs=3.0e6, theta=THETA, max_steps=MAX_STEPS):
    """Refine ``problem``'s mesh until every relative error estimate is <= ``tolerance``.

    Parameters
    ----------
    problem : Problem
        The starting mesh (generated or read from a file).
    tolerance : float
        Target relative error of every observable, in (0, 0.5).
    measurements : sequence of Measurement
    fields : sequence of (3,) arrays, optional
        Fields [T] whose observables must meet the tolerance (default ``problem.B``).
    linear : {"direct", "iterative", "auto"}
    max_dofs : float
        Cap on the unknowns of any solve (the refined one is the largest).
    theta : float
        Dörfler fraction in (0, 1].
    max_steps : int

    Returns
    -------
    Adapted
    """
    if not 0 < tolerance < 0.5:
        raise OmmError(bad_value("tolerance", tolerance, "must be in (0, 0.5)"))
    if not 0 < theta <= 1:
        raise OmmError(bad_value("theta", theta, "must be in (0, 1]"))
    out = Adapted(problem, None, tolerance=tolerance, measurements=tuple(measurements))
    for step in range(max_steps):
        need = refined_dof_count(problem.mesh, problem.order)
        if need > max_dofs:
            best = (f"the best estimate reached is {out.estimate.max_relative():.3g}"
                    if out.estimate is not None else "no estimate was made")
            out.warnings.append(
                f"mesh.tolerance = {tolerance:g} not reached: the next error estimate needs a "
                f"solve with about {need} unknowns, more than mesh.max_dofs = {max_dofs:.3g}; "
                f"{best} (mesh of {dof_count(out.problem.mesh, problem.order)} unknowns); raise "
                "mesh.max_dofs or relax mesh.tolerance")
            return out
        t0 = time.perf_counter()
        est = estimate(problem, measurements, fields=fields, linear=linear, indicators=True,
                       krylov_rtol=rtol_for(tolerance))
        out.problem, out.estimate = problem, est
        worst = est.max_relative()
        k, key = est.worst()
        out.history.append({"step": step, "dofs": est.coarse.dofs, "refined_dofs": est.fine.dofs,
                            "elements": int(problem.mesh.t.shape[1]), "max_rel": worst,
                            "worst": key if k == 0 else f"field_{k}:{key}",
                            "estimates_rel": _flat(est),
                            "seconds": time.perf_counter() - t0})
        log.info("refinement step %d: %d unknowns, largest relative error estimate %.3g (%s), "
                 "%.1f s", step, est.coarse.dofs, worst, key, out.history[-1]["seconds"])
        if worst <= tolerance:
            out.met = True
            return out
        marked = mark(est, theta)
        problem = problem_on(problem, refine_marked(problem.mesh, marked))
    out.warnings.append(f"mesh.tolerance = {tolerance:g} not reached in {max_steps} refinement "
                        f"steps; the best estimate reached is {out.estimate.max_relative():.3g}")
    return out
