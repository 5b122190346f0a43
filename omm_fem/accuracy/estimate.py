"""Discretization-error estimates of the reported observables (SPEC §14).

Method: Richardson from one uniform refinement. The observables Q (ΔI/I₀,
ρ and R of the primary pair, each measurement's ρ and R) are computed on the
run's mesh (Q_h, the reported values) and on the mesh with every triangle
split into four (Q_h/2, same element order). For an observable converging like C h^p,
Q_h − Q = (Q_h − Q_h/2) 2^p/(2^p − 1), and the factor lies in (1, 2] for every
p ≥ 1. The estimate takes the bound of that range,

    est(Q_h) = 2 |Q_h − Q_h/2|       (Richardson with the smallest order p = 1)

so est/true = 2 (2^p − 1)/2^p is in [1, 2) for any observed order p ≥ 1 and
stays above 1/3 down to p = log2(6/5) = 0.27 (singular corners give
p ≈ 1.2–1.6 on the flake at P1). Relative estimates divide by |Q_h|; R of a measurement whose R₀ is
(near) zero by symmetry is measured against ``R_FLOOR`` times the two-terminal
R, and ρ = NaN (undefined) has no estimate.

Cost: one solve on the refined mesh (4× the triangles, about 4× the unknowns:
typically 4–6× the time and memory of the run's own solve) per field
estimated; the refinement is built from the run's mesh, so generated meshes
and mesh files are treated alike. Element indicators for adaptive refinement
(:mod:`omm_fem.accuracy.adapt`) come for free: the H¹ norm, on each coarse
triangle, of the refined solution minus the coarse one (exactly prolongated).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from skfem import Functional
from skfem.helpers import dot, grad

from ..circuits import Circuits
from ..errors import OmmError
from ..measure import Measurement, Terminals
from ..problem import Problem
from ..solution_common import TWO_TERMINAL
from ..solutions import SteadySolution
from ..steady import Pipeline
from .meshes import dof_count, prolongation, refine_uniform, uniform_parents

__all__ = ["METHOD", "P_MIN", "FACTOR", "R_FLOOR", "Evaluation", "ErrorEstimate", "evaluate",
           "estimate", "problem_on", "measurement_table"]

METHOD = "richardson_uniform_refinement"
P_MIN = 1.0  # the smallest convergence order the estimate is an upper bound for
FACTOR = 2.0**P_MIN / (2.0**P_MIN - 1.0)  # est = FACTOR |Q_h - Q_h/2| = 2 |Q_h - Q_h/2|
R_FLOOR = 1e-4  # R of a transverse pair (R0 ~ 0) is relative to this times the two-terminal R


@Functional
def _h1(w):
    return dot(grad(w["u"]), grad(w["u"]))


def measurement_table(measurements):
    """name -> Measurement from a sequence or dict of Measurement; ``two_terminal``
    is reserved (it is always estimated)."""
    items = measurements.values() if isinstance(measurements, dict) else measurements
    out = {}
    for m in items:
        if not isinstance(m, Measurement):
            raise OmmError(f"measurements: expected omm_fem.Measurement, got {type(m).__name__}")
        if m.name == TWO_TERMINAL or m.name in out:
            raise OmmError(f"measurements: name {m.name!r} is reserved or repeated")
        out[m.name] = m
    return out


def problem_on(problem, mesh):
    """The same problem (materials, contacts, field, order, drift) on another mesh."""
    mats = problem.materials
    if list(mats) == ["all"] and "all" not in (mesh.subdomains or {}):
        mats = mats["all"]
    return Problem(mesh=mesh, materials=mats, contacts=list(problem.contacts.values()),
                   B=problem.B, order=problem.order, drift=problem.drift)


@dataclass
class Evaluation:
    """Observables of a problem on one mesh, at each field.

    ``values[k]`` and ``scales[k]`` map an observable key (``dI_over_I0``,
    ``rho``, ``R_ohm`` of the primary pair; ``NAME.rho``, ``NAME.R_ohm``) to its value
    and to the magnitude
    its relative error is taken against; ``states`` the (Pipeline,
    FieldSolution) of every drive at the first field (for the indicators).
    """

    problem: object
    dofs: int
    fields: list
    values: list
    scales: list
    seconds: float
    states: list = field(default_factory=list)


def evaluate(problem, measurements, *, fields=None, linear="auto", states=False,
             krylov_rtol=None):
    """:class:`Evaluation` of ``problem`` at ``fields`` (default: its own field)."""
    t0 = time.perf_counter()
    meas = measurement_table(measurements)
    names = set(problem.contacts)
    probes = []
    for m in meas.values():
        probes += [v for v in m.voltage if v not in names and v not in probes]
    fields = [problem.B] if fields is None else [np.asarray(f, float) for f in fields]
    pipe = Pipeline(problem, linear=linear, krylov_rtol=krylov_rtol)
    terminals = Terminals(pipe, probes=probes)
    circuits = Circuits(pipe, meas, probes)
    named = {TWO_TERMINAL: Measurement(TWO_TERMINAL, pipe.pair, pipe.pair), **meas}
    ev = Evaluation(problem, int(pipe.disc.ndofs), [f.tolist() for f in fields], [], [], 0.0)
    for k, B in enumerate(fields):
        sol = pipe.at_field(B)
        own, pairs = {}, {}
        for name, pair in circuits.own.items():
            if pair not in pairs:
                p, t = circuits.of(name)
                s = p.at_field(B)
                pairs[pair] = (p, s, (t, t.response_of(s), t.zeroth_order()))
            own[name] = pairs[pair][2]
        st = SteadySolution(pipe, sol, terminals, named, own=own)
        R2 = st.resistance()
        vals = {"dI_over_I0": float(pipe.two_terminal(sol)["delta_I_over_I0"]), "R_ohm": R2}
        if math.isfinite(st.rho()):  # = -dI_over_I0 with two contacts, not with floating ones
            vals["rho"] = st.rho()
        scale = {key: abs(v) for key, v in vals.items()}
        for name in meas:
            rho, R = st.rho(name), st.resistance(name)
            if math.isfinite(rho):
                vals[f"{name}.rho"], scale[f"{name}.rho"] = rho, abs(rho)
            vals[f"{name}.R_ohm"] = R
            scale[f"{name}.R_ohm"] = max(abs(R), R_FLOOR * abs(R2))
        ev.values.append(vals)
        ev.scales.append(scale)
        if states and k == 0:
            ev.states = [(pipe, sol)] + [(p, s) for p, s, _ in pairs.values()]
    ev.seconds = time.perf_counter() - t0
    return ev


def _relative(est, scale):
    if est == 0.0:
        return 0.0
    return est / scale if scale > 0 else math.inf


@dataclass
class ErrorEstimate:
    """Estimated errors of the coarse (reported) values: ``abs[k][key]``,
    ``rel[k][key]`` per field k; ``indicators`` per coarse triangle (squared,
    summing to about the squared relative H¹ error) when requested."""

    coarse: Evaluation
    fine: Evaluation
    abs: list
    rel: list
    seconds: float
    indicators: np.ndarray | None = None
    group_indicators: np.ndarray | None = None  # (groups, triangles): n, phi0, phi1 per drive

    def max_relative(self):
        """The largest relative estimate over fields and observables."""
        return max((r for rel in self.rel for r in rel.values()), default=0.0)

    def worst(self):
        """(field index, key) of the largest relative estimate."""
        return max(((k, key) for k, rel in enumerate(self.rel) for key in rel),
                   key=lambda kk: self.rel[kk[0]][kk[1]])

    def _entry(self, k, measurements):
        a, r, fine = self.abs[k], self.rel[k], self.fine.values[k]
        out = {"field_T": self.coarse.fields[k]}
        for key in ("dI_over_I0", "rho", "R_ohm"):
            out[key], out[f"{key}_rel"] = a.get(key), r.get(key)
        out["measure"] = {}
        for name in measurements:
            m = {}
            for q in ("rho", "R_ohm"):
                key = f"{name}.{q}"
                m[q], m[f"{q}_rel"] = a.get(key), r.get(key)
            out["measure"][name] = m
        out["refined_values"] = {key: fine[key] for key in sorted(fine)}
        return out

    def to_dict(self, measurements=()):
        """The ``error_estimate`` entry of results.json (field 0 at the top level,
        the other fields in ``other_fields``)."""
        names = list(measurement_table(measurements))
        head = self._entry(0, names)
        return {"method": METHOD, "assumed_min_order": P_MIN, "factor": FACTOR,
                "estimates": "error of the reported value: factor * |Q_h - Q_h/2| (SPEC §14)",
                "dofs": self.coarse.dofs, "refined_dofs": self.fine.dofs,
                "seconds": self.seconds, "max_rel": self.max_relative(), **head,
                "other_fields": [self._entry(k, names) for k in range(1, len(self.abs))]}


def estimate(problem, measurements=(), *, fields=None, linear="auto", indicators=False,
             coarse=None, krylov_rtol=None):
    """Richardson estimate of the discretization error of every observable.

    Parameters
    ----------
    problem : Problem
    measurements : sequence of Measurement
        Besides the primary pair's ``dI_over_I0``, ``rho`` and ``R_ohm``,
        ``rho`` and ``R_ohm`` of each.
    fields : sequence of (3,) arrays, optional
        Fields [T] (default: ``problem.B``).
    linear : {"direct", "iterative", "auto"}
    indicators : bool
        Also compute the element indicators (for adaptive refinement).
    coarse : Evaluation, optional
        The evaluation on ``problem``'s mesh, when already computed.
    krylov_rtol : float, optional
        Krylov tolerance of the iterative path (:func:`omm_fem.krylov.rtol_for`).

    Returns
    -------
    ErrorEstimate
    """
    t0 = time.perf_counter()
    if coarse is None:
        coarse = evaluate(problem, measurements, fields=fields, linear=linear, states=indicators,
                          krylov_rtol=krylov_rtol)
    fine_mesh = refine_uniform(problem.mesh)
    fine = evaluate(problem_on(problem, fine_mesh), measurements, fields=coarse.fields,
                    linear=linear, states=indicators, krylov_rtol=krylov_rtol)
    ab, rel = [], []
    for c, f, s in zip(coarse.values, fine.values, coarse.scales):
        a = {key: FACTOR * abs(c[key] - f[key]) for key in c if key in f}
        ab.append(a)
        rel.append({key: _relative(v, s[key]) for key, v in a.items()})
    groups = None
    if indicators:
        groups = element_indicators(coarse, fine, uniform_parents(problem.mesh, fine_mesh))
    return ErrorEstimate(coarse, fine, ab, rel, time.perf_counter() - t0,
                         None if groups is None else groups.sum(axis=0), groups)


def element_indicators(coarse, fine, parent):
    """Squared indicators per group and coarse triangle, shape (groups, triangles):
    for each drive the groups n (three components), phi0 and phi1, each
    |u_h/2 - P u_h|^2_H1(children) over its own |u_h/2|^2_H1 (so every group
    counts, whatever its units and size)."""
    nt = coarse.problem.mesh.t.shape[1]
    out = []
    for (pc, sc), (pf, sf) in zip(coarse.states, fine.states):
        bc, bf = pc.disc.basis, pf.disc.basis
        P = prolongation(bc, bf, parent)
        dc, df = pc.disc.units.density, pf.disc.units.density
        groups = [(sc.n / dc, sf.n / df), (pc.phi0[None], pf.phi0[None]),
                  ((sc.phi - pc.phi0)[None], (sf.phi - pf.phi0)[None])]
        for uc, uf in groups:
            err = np.zeros(bf.nelems)
            norm = 0.0
            for a in range(uc.shape[0]):
                e = uf[a] - P @ uc[a]
                err += _h1.elemental(bf, u=bf.interpolate(e))
                norm += float(_h1.elemental(bf, u=bf.interpolate(uf[a])).sum())
            if norm > 0:
                out.append(np.bincount(parent, weights=err, minlength=nt) / norm)
    return np.array(out).reshape(-1, nt)


def dof_estimate(problem):
    """Unknowns of ``problem`` (for the caps)."""
    return dof_count(problem.mesh, problem.order)
