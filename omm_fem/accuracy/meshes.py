"""Mesh operations of the error estimator: refinement that keeps every tag,
parent maps and the exact prolongation between nested Lagrange spaces.

``MeshTri.refined()`` (uniform: every triangle into four) keeps the named
boundaries and subdomains; ``MeshTri.refined(marked)`` (red-green-blue
refinement of the marked triangles and what conformity needs) keeps the
subdomains but drops the boundaries, which :func:`refine_marked` rebuilds: an
unsplit boundary facet keeps its tag, a split one passes it to its two halves.
"""
from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from ..errors import MeshError

__all__ = ["dof_count", "refined_dof_count", "refine_uniform", "uniform_parents",
           "refine_marked", "prolongation"]


def dof_count(mesh, order):
    """Lagrange P1/P2 unknowns of a triangle mesh (P2: vertices + edges)."""
    return int(mesh.p.shape[1] + (mesh.facets.shape[1] if order == 2 else 0))


def refined_dof_count(mesh, order):
    """Unknowns after one uniform refinement, without building it: nv + ne
    vertices; 2 ne + 3 nt edges."""
    nv, ne, nt = mesh.p.shape[1], mesh.facets.shape[1], mesh.t.shape[1]
    return int(nv + ne + ((2 * ne + 3 * nt) if order == 2 else 0))


def refine_uniform(mesh):
    """Every triangle into four (h halves); boundaries and subdomains kept."""
    return mesh.refined()


def uniform_parents(coarse, fine):
    """Parent triangle of each triangle of ``refine_uniform(coarse)``.

    scikit-fem stacks the four children of triangle k at k, k + nt, k + 2 nt,
    k + 3 nt; checked here (every child's centroid lies in its parent), so a
    change of that layout fails loudly instead of giving wrong indicators.
    """
    nt = coarse.t.shape[1]
    if fine.t.shape[1] != 4 * nt:
        raise MeshError("uniform refinement: expected four children per triangle")
    parent = np.tile(np.arange(nt), 4)
    c = fine.p[:, fine.t].mean(axis=1)  # (2, 4 nt) child centroids
    X = coarse.mapping().invF(c[:, :, None], tind=parent)[:, :, 0]
    if not np.all((X > -1e-9) & (X.sum(axis=0) < 1 + 1e-9)):
        raise MeshError("uniform refinement: children are not stacked by parent")
    return parent


def refine_marked(mesh, marked):
    """Red-green-blue refinement of the triangles ``marked`` (indices), with the
    boundary tags carried over to the new facets; subdomains are kept by
    scikit-fem."""
    marked = np.unique(np.asarray(marked, dtype=np.int64))
    quiet = logging.getLogger("skfem.mesh.mesh")  # its "boundaries invalidated": rebuilt below
    was, quiet.disabled = quiet.disabled, True
    try:
        new = mesh.refined(marked)
    finally:
        quiet.disabled = was
    if not mesh.boundaries:
        return new
    nv = mesh.p.shape[1]
    # new vertices are edge midpoints; find them by their exact coordinates
    mid = {tuple(x): nv + k for k, x in enumerate(new.p[:, nv:].T)}
    lookup = {(int(a), int(b)): k for k, (a, b) in enumerate(new.facets.T)}

    def facet(a, b):
        return lookup[(a, b) if a < b else (b, a)]

    tags = {}
    for name, fs in mesh.boundaries.items():
        out = []
        for a, b in mesh.facets[:, fs].T:
            a, b = int(a), int(b)
            key = (a, b) if a < b else (b, a)
            if key in lookup:
                out.append(lookup[key])
                continue
            m = mid.get(tuple(0.5 * (mesh.p[:, key[0]] + mesh.p[:, key[1]])))
            if m is None:
                raise MeshError(f"adaptive refinement lost boundary {name!r}: a split facet "
                                "has no midpoint vertex")
            out += [facet(a, m), facet(m, b)]
        tags[name] = np.sort(np.array(out, dtype=np.int64))
    return new.with_boundaries(tags)


def prolongation(basis_c, basis_f, parent):
    """Sparse P (fine dofs x coarse dofs) with P u_c = u_c on the fine mesh, exact
    for nested spaces (each fine dof sits in its parent triangle, where u_c is a
    polynomial of the element's degree)."""
    dofs_f = basis_f.element_dofs  # (nbf, nel_f)
    nbf = dofs_f.shape[0]
    flat = dofs_f.T.ravel()
    dof, first = np.unique(flat, return_index=True)
    el = first // nbf
    x = basis_f.doflocs[:, dof]
    X = basis_c.mesh.mapping().invF(x[:, :, None], tind=parent[el])  # (2, n, 1)
    dofs_c = basis_c.element_dofs
    rows, cols, vals = [], [], []
    for i in range(dofs_c.shape[0]):
        phi = np.asarray(basis_c.elem.lbasis(X, i)[0])[:, 0]
        keep = np.abs(phi) > 1e-13
        rows.append(dof[keep])
        cols.append(dofs_c[i, parent[el[keep]]])
        vals.append(phi[keep])
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(basis_f.N, basis_c.N))
