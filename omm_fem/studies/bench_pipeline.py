"""Benchmark: one steady pipeline against one scalar Poisson solve on the same mesh.

P1 and P2 elements on one edge-graded rectangle with >= 150k nodes, B along x
(one complex scalar OMM solve). Reported, each the best of ``repeat`` runs in one
process (the machine is noisy; compare ratios, not absolute times):

* Poisson, the lean reference: on the built mesh (in metres, no scaled copy,
  no material coefficients, no contact bookkeeping) the basis, the assembly of
  K, the Cholesky factorisation of its non-contact block (the solver of the
  pipeline's charge problem) and one solve;
* pipeline: everything after meshing (discretisation, charge solve with the
  contact potentials, OMM assembly and solve, Delta J, correction, observables);
* coupled: the same pipeline with the naive 3N block OMM solve that the
  decoupled (Schur) path replaces.

``run()`` returns the timings and table rows; ``table()`` renders
validation/bench_pipeline.md. :func:`build` (mesh and material) is shared with
:mod:`omm_fem.studies.bench_sweep`.
"""
from __future__ import annotations

import time

import numpy as np

from ..geometry import rectangle
from ..material import Material
from ..problem import Contact, Problem
from ..steady import Pipeline
from ..units import M_E

__all__ = ["build", "best", "poisson", "pipeline", "pipeline_coupled", "run", "table", "GOALS"]


def build(nodes, order=1, mesh=None):
    """The benchmark Problem: a 4 um x 2 um edge-graded rectangle with 1-1.15 x ``nodes``
    nodes (or on ``mesh``, such a rectangle built before), P``order`` elements."""
    mat = Material(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                   X=np.diag([24.4, 24.4, 2.44]) / M_E)
    # 4 um x 2 um; the element size is scaled until the node count is reached
    size = 2e-6 / np.sqrt(nodes / 6)
    while mesh is None or not nodes <= mesh.p.shape[1] <= 1.15 * nodes:
        if mesh is not None:
            size *= (mesh.p.shape[1] / nodes) ** 0.5 * (1.03 if mesh.p.shape[1] > nodes
                                                         else 0.97)
        mesh = rectangle(length=4e-6, width=2e-6, size=size, edge_size=size / 3, growth=0.2)
    return Problem(mesh=mesh, materials=mat, B=[2.0, 0, 0], order=order, drift=True,
                   contacts=[Contact("source", current=1e-6, omm="sink"),
                             Contact("drain", voltage=0.0, omm="sink")])


def best(fn, repeat):
    """(shortest wall time of ``repeat`` calls of ``fn``, the last call's result)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def poisson(pb):
    """The lean Poisson solve (module docstring); returns its phase times [s]
    (``basis_s``, ``assembly_s``, ``factor_s``, ``solve_s``, ``total_s``)."""
    from .bench_memory import lean_poisson

    return lean_poisson(pb)


def pipeline(pb):
    pipe = Pipeline(pb)
    sol = pipe.at_field(pb.B)
    return pipe, pipe.two_terminal(sol)


def pipeline_coupled(pb):
    pipe = Pipeline(pb, force_coupled=True)
    return pipe.two_terminal(pipe.at_field(pb.B))


GOALS = {1: 1.5, 2: 2.0}  # pipeline / lean Poisson (issue "scale and accuracy on demand")


def run(nodes=160_000, repeat=3, orders=(1, 2)):
    """Time meshing, then per element order Poisson, the pipeline (decoupled and, at P1,
    coupled) and a new field, on one mesh.

    Returns
    -------
    dict
        ``nodes``, ``triangles``, ``B`` [T], ``repeat``, ``mesh_s``; per order ``k``
        (``by_order[k]``): ``dofs``, ``rho``, ``poisson_s``, ``pipeline_s``,
        ``field_s``, ``coupled_s`` (P1 only) [s], ``ratio`` = pipeline / Poisson;
        ``rows``: (step, seconds, ratio to that order's Poisson or None).
    """
    t = time.perf_counter()
    pb1 = build(nodes)
    t_mesh = time.perf_counter() - t
    rows = [("mesh generation (gmsh, not in ratios)", t_mesh, None)]
    by_order = {}
    for order in orders:
        pb = pb1 if order == 1 else build(nodes, order, mesh=pb1.mesh)
        t_poisson, lean = best(lambda: poisson(pb), repeat)
        t_pipe, (pipe, obs) = best(lambda: pipeline(pb), repeat)
        # a new field each time: no cached factorisation (as in a sweep)
        fields = iter(np.linspace(2.1, 3.0, repeat)[:, None] * np.array([1.0, 0, 0]))
        t_field, _ = best(lambda: pipe.at_field(next(fields)), repeat)
        rec = {"dofs": int(lean["dofs"]), "rho": obs["rho"], "poisson_s": t_poisson,
               "pipeline_s": t_pipe, "field_s": t_field, "ratio": t_pipe / t_poisson,
               # what any pipeline must do: its charge problem (this Poisson problem) and
               # the field's OMM solve (one complex LU of S + lam M and its solve)
               "floor": 1.0 + t_field / t_poisson}
        P = f"P{order}"
        rows += [
            (f"{P} ({rec['dofs']} unknowns): lean scalar Poisson: basis + assemble + Cholesky "
             "+ solve", t_poisson, 1.0),
            (f"{P} steady pipeline, one field (decoupled OMM)", t_pipe, t_pipe / t_poisson),
            (f"{P}   of which the field-dependent part (a sweep point)", t_field,
             t_field / t_poisson),
        ]
        if order == 1:
            t_coupled, _ = best(lambda: pipeline_coupled(pb), max(1, repeat - 1))
            rec["coupled_s"] = t_coupled
            rows.append((f"{P} same pipeline with the naive coupled 3N OMM solve", t_coupled,
                         t_coupled / t_poisson))
        by_order[order] = rec
    return {"nodes": int(pb1.mesh.p.shape[1]), "triangles": int(pb1.mesh.t.shape[1]),
            "B": pb1.B.tolist(), "repeat": repeat, "mesh_s": t_mesh, "by_order": by_order,
            "rows": rows}


def table(result):
    """validation/bench_pipeline.md."""
    r = result
    lines = ["# Steady pipeline benchmark", "",
             f"{r['nodes']} nodes, {r['triangles']} triangles, B = {r['B']} T, drift on, "
             f"sink contacts; best of {r['repeat']}; direct solvers.", "",
             "| step | time (s) | / Poisson |", "|---|---|---|"]
    for name, sec, ratio in r["rows"]:
        lines.append(f"| {name} | {sec:.3f} | {'' if ratio is None else f'{ratio:.2f}'} |")
    lines += ["", "| order | rho | pipeline / Poisson | floor / Poisson | goal | met |",
              "|---|---|---|---|---|---|"]
    for order, rec in sorted(r["by_order"].items()):
        goal = GOALS.get(order)
        met = "" if goal is None else ("yes" if rec["ratio"] <= goal else
                                       "no, below the floor" if goal < rec["floor"] else "no")
        lines.append(f"| P{order} | {rec['rho']:.6e} | {rec['ratio']:.2f} | {rec['floor']:.2f} | "
                     f"{'' if goal is None else f'<= {goal:g}'} | {met} |")
    lines += ["", "floor = 1 + (field-dependent part) / Poisson: the least any steady pipeline "
              "does with these solvers (CHOLMOD Cholesky for the real SPD charge problem, "
              "UMFPACK LU for the complex OMM operator S + lam M): its charge problem, which "
              "is the Poisson problem, and one solve of the OMM operator at the field. A goal "
              "below it needs a cheaper complex solve (a complex-symmetric LDL^T, which no "
              "solver installable here offers) or another formulation."]
    return "\n".join(lines) + "\n"
