"""Build a tagged skfem triangle mesh from raw arrays, with the sanity checks
every mesh passes before any assembly: degenerate, duplicate or folded
(inverted) triangles, tags that are not boundary edges.
"""
from __future__ import annotations

import numpy as np
from skfem import MeshTri

from ..errors import MeshError


def tagged_mesh(points, triangles, edges=None, regions=None, *, source="mesh"):
    """Tagged :class:`skfem.MeshTri` from arrays.

    Parameters
    ----------
    points : array_like, shape (npoints, 2)
        Vertex coordinates [m].
    triangles : array_like of int, shape (ntri, 3)
        Vertex indices of the triangles.
    edges : dict[str, array_like of int, shape (k, 2)], optional
        Named boundary pieces as vertex pairs -> mesh ``boundaries``.
    regions : dict[str, array_like of int], optional
        Named sets of triangle indices -> mesh ``subdomains``.
    source : str
        Where the mesh comes from (used in error messages).
    """
    pts = np.asarray(points, dtype=float)
    tri = np.asarray(triangles, dtype=np.int64)
    if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
        raise MeshError(f"{source}: vertex coordinates must be finite (x, y) pairs")
    if tri.ndim != 2 or tri.shape[1] != 3 or tri.shape[0] == 0:
        raise MeshError(f"{source}: no triangles found (only 3-node triangles are supported)")
    if tri.min() < 0 or tri.max() >= len(pts):
        raise MeshError(f"{source}: triangles refer to vertices that do not exist")
    used = np.unique(tri)
    remap = -np.ones(len(pts), dtype=np.int64)
    remap[used] = np.arange(used.size)
    p = pts[used].T.copy()
    t = remap[tri].T.copy()
    check_triangles(p, t, source)
    mesh = MeshTri(p, t)
    _check_folds(mesh, source)
    if edges:
        facet_of = {tuple(f): k for k, f in enumerate(np.sort(mesh.facets.T, axis=1).tolist())}
        boundary = np.zeros(mesh.facets.shape[1], dtype=bool)
        boundary[mesh.boundary_facets()] = True
        named = {}
        for name, pairs in edges.items():
            pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
            if pairs.size and (pairs.min() < 0 or pairs.max() >= len(pts) or np.any(remap[pairs] < 0)):
                raise MeshError(f"{source}: tag {name!r} refers to vertices not used by any triangle")
            local = np.sort(remap[pairs], axis=1)
            idx = [facet_of.get(tuple(pq)) for pq in local.tolist()]
            if any(i is None for i in idx):
                raise MeshError(f"{source}: tag {name!r} has {sum(i is None for i in idx)} edges "
                                "that are not edges of the triangulation")
            idx = np.unique(np.array(idx, dtype=np.int64))
            inner = int(np.sum(~boundary[idx]))
            if inner:
                raise MeshError(f"{source}: tag {name!r} marks {inner} interior edges; contacts, "
                                "probes and edges must lie on the sample boundary")
            named[name] = idx
        mesh = mesh.with_boundaries(named)
    if regions:
        subs = {}
        for name, els in regions.items():
            els = np.unique(np.asarray(els, dtype=np.int64))
            if els.size and (els.min() < 0 or els.max() >= t.shape[1]):
                raise MeshError(f"{source}: region {name!r} refers to triangles that do not exist")
            subs[name] = els
        mesh = mesh.with_subdomains(subs)
    return mesh


def check_triangles(p, t, source):
    """Raise MeshError for zero-area or duplicate triangles (p: (2, n), t: (3, m))."""
    a, b, c = p[:, t[0]], p[:, t[1]], p[:, t[2]]
    area2 = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    h2 = np.max([np.sum((b - a) ** 2, 0), np.sum((c - b) ** 2, 0), np.sum((a - c) ** 2, 0)], 0)
    bad = np.abs(area2) <= 1e-12 * h2
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise MeshError(f"{source}: {int(bad.sum())} degenerate (zero-area) triangles, e.g. "
                        f"triangle {k} at {p[:, t[:, k]].mean(axis=1).tolist()} m")
    key = np.sort(t, axis=0)
    _, counts = np.unique(key, axis=1, return_counts=True)
    if np.any(counts > 1):
        raise MeshError(f"{source}: {int(np.sum(counts > 1))} duplicate triangles")


def _check_folds(mesh, source):
    """Interior edges must separate their two triangles (else the mesh is folded/inverted)."""
    f2t = mesh.f2t
    inner = np.flatnonzero(f2t[1] >= 0)
    if inner.size == 0:
        return
    p, t, fac = mesh.p, mesh.t, mesh.facets[:, inner]

    def side(tri):
        opp = t[:, tri]
        # the vertex of each triangle that is not on the facet
        mask = (opp != fac[0]) & (opp != fac[1])
        v = opp[mask.argmax(axis=0), np.arange(opp.shape[1])]
        a, b, c = p[:, fac[0]], p[:, fac[1]], p[:, v]
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    folded = side(f2t[0, inner]) == side(f2t[1, inner])
    if np.any(folded):
        k = inner[np.flatnonzero(folded)[0]]
        raise MeshError(f"{source}: {int(folded.sum())} edges have both triangles on the same side "
                        f"(inverted or overlapping elements), e.g. near "
                        f"{p[:, mesh.facets[:, k]].mean(axis=1).tolist()} m")
