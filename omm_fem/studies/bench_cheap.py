"""Benchmark: the cheap wins of the direct path, each against what it replaced.

On one structured graded rectangle (P1, ``nodes`` nodes, the material and field
of :mod:`omm_fem.studies.bench_pipeline`), best of ``repeat`` interleaved runs:

* the charge matrix (non-contact block of sigma K): UMFPACK LU (symbolic and
  numeric) against the supernodal CHOLMOD factor; one back-solve of each
  (LU with cvxopt's forced iterative refinement, LU without, Cholesky with the
  one refinement step the charge solver uses);
* the complex shifted OMM matrix ``K + (1 + 1.36i) M``: one back-solve with
  and without refinement;
* the scaled mesh of the discretisation: ``skfem.Mesh.scaled`` (its facets are
  built again on first use) against :func:`omm_fem.discretization.scaled_mesh`;
* mesh topology and checks: skfem's facet build against
  :func:`omm_fem.geometry.tagged.with_topology`; the duplicate-triangle check
  and the tag-to-facet lookup of :func:`omm_fem.geometry.tagged.tagged_mesh`
  against the previous implementations (``np.unique(axis=1)``, a Python dict
  over all facets), kept here for the comparison.

``run()`` returns the rows; ``table()`` renders validation/bench_cheap.md.
"""
from __future__ import annotations

import os
import time

import numpy as np

__all__ = ["run", "table"]


def _old_duplicates(t):
    """The previous duplicate-triangle check of check_triangles."""
    _, counts = np.unique(np.sort(t, axis=0), axis=1, return_counts=True)
    return int(np.sum(counts > 1))


def _old_lookup(mesh, pairs):
    """The previous tag -> facet lookup of tagged_mesh (a dict over every facet)."""
    facet_of = {tuple(f): k for k, f in enumerate(np.sort(mesh.facets.T, axis=1).tolist())}
    return np.unique([facet_of[tuple(pq)] for pq in np.sort(pairs, axis=1).tolist()])


def _new_lookup(mesh, pairs):
    nv = np.int64(mesh.p.shape[1])
    fac = np.sort(mesh.facets, axis=0).astype(np.int64)
    fkey = fac[0] * nv + fac[1]
    order = np.argsort(fkey)
    local = np.sort(pairs, axis=1)
    want = local[:, 0] * nv + local[:, 1]
    return np.unique(order[np.searchsorted(fkey, want, sorter=order)])


def run(nodes=250_000, repeat=3):
    """Time each replaced step against its replacement.

    Returns
    -------
    dict
        ``nodes``, ``unknowns``, ``repeat``, ``load`` (1-minute load average at
        the start) and ``rows``: (what, before [s], after [s]).
    """
    from skfem import Basis, ElementTriP1, MeshTri

    from .. import forms, intsets, linalg
    from ..discretization import scaled_mesh
    from ..geometry.structured import structured_rectangle
    from ..geometry.tagged import check_triangles, with_topology

    side = 2e-6 / np.sqrt(nodes / 2)
    mesh = structured_rectangle(length=4e-6, width=2e-6, size=side, edge_size=side / 3)
    basis = Basis(mesh.scaled([1e7, 1e7]), ElementTriP1())
    K = forms.diffusion.assemble(basis, c=np.ones((basis.nelems, basis.X.shape[1]))).tocsr()
    M = forms.mass.assemble(basis, c=np.ones((basis.nelems, basis.X.shape[1]))).tocsr()
    fixed = intsets.unique(np.concatenate([basis.get_dofs(c).all() for c in ("source", "drain")]))
    free = intsets.complement(basis.N, fixed)
    Kff = K[free][:, free].tocsc()
    A = (K + (1 + 1.36j) * M)[free][:, free].tocsc()
    b = np.random.default_rng(0).standard_normal(free.size)
    pairs = mesh.facets[:, mesh.boundaries["edge"]].T
    times = {}

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        times.setdefault(name, []).append(time.perf_counter() - t)
        return out

    def lu(M_, refine):
        linalg._SYMBOLIC.clear()  # a first factorisation: symbolic analysis included
        return linalg._Umfpack(M_, refine=refine)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for _ in range(repeat):
        F_lu = timed("lu", lambda: lu(Kff, True))
        F_ch = timed("chol", lambda: linalg.factor(Kff, spd=True, supernodal=True, refine=1))
        timed("lu_solve_refined", lambda: F_lu.solve(b))
        F_plain = lu(Kff, False)
        timed("lu_solve_plain", lambda: F_plain.solve(b))
        timed("chol_solve", lambda: F_ch.solve(b))
        Z_ref, Z_plain = lu(A, True), lu(A, False)
        timed("z_refined", lambda: Z_ref.solve(b + 0j))
        timed("z_plain", lambda: Z_plain.solve(b + 0j))
        timed("scaled_skfem", lambda: mesh.scaled([1e7, 1e7]).facets)
        timed("scaled_ours", lambda: scaled_mesh(mesh, 1e7).facets)
        timed("facets_skfem", lambda: MeshTri(mesh.p, mesh.t).f2t)
        timed("facets_ours", lambda: with_topology(MeshTri(mesh.p, mesh.t)).f2t)
        timed("dup_old", lambda: _old_duplicates(mesh.t))
        timed("dup_new", lambda: check_triangles(mesh.p, mesh.t, "mesh"))
        timed("lookup_old", lambda: _old_lookup(mesh, pairs))
        timed("lookup_new", lambda: _new_lookup(mesh, pairs))
    best = {k: min(v) for k, v in times.items()}
    rows = [
        ("charge matrix: factorisation (LU -> supernodal Cholesky)", best["lu"], best["chol"]),
        ("charge matrix: one back-solve (LU refined -> Cholesky + 1 refinement step)",
         best["lu_solve_refined"], best["chol_solve"]),
        ("charge matrix: one LU back-solve (refined -> plain)", best["lu_solve_refined"],
         best["lu_solve_plain"]),
        ("complex OMM matrix: one LU back-solve (refined -> plain)", best["z_refined"],
         best["z_plain"]),
        ("scaled mesh with its facets (skfem scaled -> shared topology)", best["scaled_skfem"],
         best["scaled_ours"]),
        ("facets, t2f, f2t of a new mesh (skfem -> integer keys)", best["facets_skfem"],
         best["facets_ours"]),
        ("duplicate-triangle check (unique(axis=1) -> all of check_triangles, sorted keys)", best["dup_old"],
         best["dup_new"]),
        ("tag -> facet lookup of the edge tag (dict -> searchsorted)", best["lookup_old"],
         best["lookup_new"]),
    ]
    return {"nodes": int(mesh.p.shape[1]), "unknowns": int(free.size), "repeat": repeat,
            "load": load, "rows": rows}


def table(result):
    """validation/bench_cheap.md."""
    r = result
    load = "" if r["load"] is None else f", load average {r['load']:.1f} at the start"
    lines = ["# The cheap wins of the direct path", "",
             f"P1 structured rectangle, {r['nodes']} nodes ({r['unknowns']} non-contact "
             f"unknowns); best of {r['repeat']} interleaved runs in one process{load} (the "
             "machine is shared: compare ratios).", "",
             "| step | before (s) | after (s) | speed-up |", "|---|---|---|---|"]
    for name, before, after in r["rows"]:
        lines.append(f"| {name} | {before:.3f} | {after:.3f} | {before / after:.1f}x |")
    return "\n".join(lines) + "\n"
