"""Benchmark: meshing a ~200k-node Hall bar against the steady pipeline on the mesh.

The material is that of :mod:`omm_fem.studies.bench_memory`, the device its Hall
bar scaled by 1/10 (channel 4 um x 1 um, two arm pairs 0.5 um wide): at the
boundary element edge_size = ell / 16 (4.8 nm) an edge-graded gmsh mesh of any
bulk size has at least ~2.2M nodes on the full-size bar and ~220k on this one.
Two meshes of about ``nodes`` nodes with the same boundary element:

* ``gmsh``: the edge-graded unstructured mesh of :func:`omm_fem.hall_bar` (the
  generator below 2e5 estimated nodes with ``[mesh] generator = "auto"``), its
  bulk size from the node estimate of :func:`omm_fem.config.geometry.graded_dofs`;
* ``structured``: :func:`omm_fem.geometry.structured.structured_hall_bar` (what
  ``"auto"`` takes from 2e5 estimated nodes on), its bulk size by bisection on the
  exact node count.

On each: the mesh build (including the project's mesh checks), the lean Poisson
solve of :func:`omm_fem.studies.bench_memory.lean_poisson` and one steady P1
pipeline on the direct path (set-up, one field at B = 2 T along x, the
two-terminal observables). Goal (issue "scale and accuracy on demand"): meshing
a 200k-node Hall bar costs no more than the pipeline. ``run()`` returns the
records, ``table()`` renders validation/bench_meshing.md.
"""
from __future__ import annotations

import time

import numpy as np

from .bench_memory import HALL as _FULL
from .bench_memory import _material, _size_for, lean_poisson

__all__ = ["run", "table", "HALL"]

HALL = {k: ([x / 10 for x in v] if isinstance(v, list) else v / 10) for k, v in _FULL.items()}


def _edge():
    from ..config.spec import EDGE_FRACTION
    from ..problem import boundary_layer_length

    return boundary_layer_length([_material()], [np.array([2.0, 0, 0]), np.zeros(3)]) \
        / EDGE_FRACTION[1]


def _gmsh_size(nodes, edge):
    """Bulk size [m] whose estimated gmsh node count is ``nodes`` (bisection)."""
    from ..config.geometry import graded_dofs
    from ..geometry.polygon import hall_bar_outline

    outline = hall_bar_outline(**HALL)[0]
    P = np.asarray(outline, float)
    Q = np.roll(P, -1, axis=0)
    per = float(np.sum(np.hypot(*(Q - P).T)))
    area = 0.5 * abs(float(np.sum(P[:, 0] * Q[:, 1] - Q[:, 0] * P[:, 1])))
    lo, hi = edge, HALL["width"]
    for _ in range(40):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if graded_dofs(per, area, mid, edge, 1) > nodes else (lo, mid)
    return hi


def _mesh(kind, nodes, edge):
    from .. import hall_bar
    from ..geometry.structured import structured_hall_bar

    if kind == "gmsh":
        size = _gmsh_size(nodes, edge)
        t = time.perf_counter()
        mesh = hall_bar(**HALL, size=size, edge_size=edge, growth=0.15)
    else:
        size = _size_for(nodes, edge, HALL)
        t = time.perf_counter()
        mesh = structured_hall_bar(**HALL, size=size, edge_size=edge, growth=0.15)
    return mesh, time.perf_counter() - t


def _case(kind, nodes, edge):
    from ..problem import Contact, Problem
    from ..steady import Pipeline

    mesh, t_mesh = _mesh(kind, nodes, edge)
    pb = Problem(mesh=mesh, materials=_material(), B=[2.0, 0.0, 0.0], order=1, drift=True,
                 contacts=[Contact("source", current=1e-6, omm="sink"),
                           Contact("drain", voltage=0.0, omm="sink")])
    poisson = lean_poisson(pb)["total_s"]
    t = time.perf_counter()
    pipe = Pipeline(pb, linear="direct")
    obs = pipe.two_terminal(pipe.at_field(pb.B))
    t_pipe = time.perf_counter() - t
    return {"kind": kind, "nodes": int(mesh.p.shape[1]), "mesh_s": t_mesh,
            "poisson_s": poisson, "pipeline_s": t_pipe,
            "delta_I_over_I0": float(obs["delta_I_over_I0"])}


def run(nodes=200_000, kinds=("gmsh", "structured")):
    """One record per mesh kind (``kind``, ``nodes``, ``mesh_s``, ``poisson_s``,
    ``pipeline_s`` [s], ``delta_I_over_I0``), in one process, one after the other."""
    edge = _edge()
    return [{**_case(kind, nodes, edge), "edge_size_m": edge} for kind in kinds]


def table(records, machine=""):
    """validation/bench_meshing.md."""
    lines = ["# Meshing against the pipeline", "",
             f"Hall bar 4 um x 1 um, two arm pairs, P1, edge_size = ell/16 = "
             f"{records[0]['edge_size_m']:.3g} m, B = 2 T along x, drift on; one run, one "
             "process, cases one after the other" + (f"; {machine}" if machine else "")
             + ". Goal: meshing a 200k-node Hall bar <= the pipeline.", "",
             "| mesh | nodes | meshing (s) | lean Poisson (s) | pipeline, direct (s) | "
             "meshing / pipeline | goal met | Delta I/I0 |", "|---|---|---|---|---|---|---|---|"]
    for r in records:
        ratio = r["mesh_s"] / r["pipeline_s"]
        lines.append(f"| {r['kind']} | {r['nodes']} | {r['mesh_s']:.2f} | {r['poisson_s']:.2f} "
                     f"| {r['pipeline_s']:.2f} | {ratio:.2f} | {'yes' if ratio <= 1 else 'no'} "
                     f"| {r['delta_I_over_I0']:.6e} |")
    return "\n".join(lines) + "\n"
