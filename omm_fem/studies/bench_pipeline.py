"""Benchmark: one steady pipeline against one scalar Poisson solve on the same mesh.

P1 elements on an edge-graded rectangle with >= 150k nodes, B along x (one
complex scalar OMM solve). Reported, each the best of ``repeat`` runs in one
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

__all__ = ["build", "best", "poisson", "pipeline", "pipeline_coupled", "run", "table"]


def build(nodes):
    """The benchmark Problem: a 4 um x 2 um edge-graded rectangle with 1-1.15 x ``nodes`` nodes."""
    mat = Material(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                   X=np.diag([24.4, 24.4, 2.44]) / M_E)
    # 4 um x 2 um; the element size is scaled until the node count is reached
    size = 2e-6 / np.sqrt(nodes / 6)
    mesh = rectangle(length=4e-6, width=2e-6, size=size, edge_size=size / 3, growth=0.2)
    while not nodes <= mesh.p.shape[1] <= 1.15 * nodes:
        size *= (mesh.p.shape[1] / nodes) ** 0.5 * (1.03 if mesh.p.shape[1] > nodes else 0.97)
        mesh = rectangle(length=4e-6, width=2e-6, size=size, edge_size=size / 3, growth=0.2)
    return Problem(mesh=mesh, materials=mat, B=[2.0, 0, 0], order=1, drift=True,
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


def run(nodes=160_000, repeat=3):
    """Time meshing, Poisson, the pipeline (decoupled and coupled) and a new field.

    Returns
    -------
    dict
        ``nodes``, ``triangles``, ``B`` [T], ``repeat``, ``rho``; ``mesh_s``,
        ``poisson_s``, ``pipeline_s``, ``field_s``, ``coupled_s`` [s];
        ``ratio`` = pipeline / Poisson; ``rows``: (step, seconds, ratio to
        Poisson or None) as in the table.
    """
    t = time.perf_counter()
    pb = build(nodes)
    t_mesh = time.perf_counter() - t
    t_poisson, _ = best(lambda: poisson(pb), repeat)
    t_pipe, (pipe, obs) = best(lambda: pipeline(pb), repeat)
    t_coupled, _ = best(lambda: pipeline_coupled(pb), max(1, repeat - 1))
    # a new field each time: no cached factorisation (as in a sweep)
    fields = iter(np.linspace(2.1, 3.0, repeat)[:, None] * np.array([1.0, 0, 0]))
    t_field, _ = best(lambda: pipe.at_field(next(fields)), repeat)
    rows = [
        ("mesh generation (gmsh, not in ratios)", t_mesh, None),
        ("lean scalar Poisson: basis + assemble + Cholesky + solve", t_poisson, 1.0),
        ("steady pipeline, one field (decoupled OMM)", t_pipe, t_pipe / t_poisson),
        ("  of which the field-dependent part (a sweep point)", t_field, t_field / t_poisson),
        ("same pipeline with the naive coupled 3N OMM solve", t_coupled, t_coupled / t_poisson),
    ]
    return {"nodes": int(pb.mesh.p.shape[1]), "triangles": int(pb.mesh.t.shape[1]),
            "B": pb.B.tolist(), "repeat": repeat, "rho": obs["rho"], "mesh_s": t_mesh,
            "poisson_s": t_poisson, "pipeline_s": t_pipe, "field_s": t_field,
            "coupled_s": t_coupled, "ratio": t_pipe / t_poisson, "rows": rows}


def table(result):
    """validation/bench_pipeline.md."""
    r = result
    lines = ["# Steady pipeline benchmark", "",
             f"P1, {r['nodes']} nodes, {r['triangles']} triangles, B = {r['B']} T, drift on, "
             f"sink contacts; best of {r['repeat']}; rho = {r['rho']:.6e}.", "",
             "| step | time (s) | / Poisson |", "|---|---|---|"]
    for name, sec, ratio in r["rows"]:
        lines.append(f"| {name} | {sec:.3f} | {'' if ratio is None else f'{ratio:.2f}'} |")
    return "\n".join(lines) + "\n"
