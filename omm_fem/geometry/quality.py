"""Mesh quality and sample-size checks, before any solve.

:func:`mesh_quality` summarises a tagged triangle mesh (angles, shape,
edge lengths, the longest boundary element per tag); :func:`scale_warnings`
says when a sample's size is far outside the range of the OMM diffusion
length L_m that the model is meant for, or when a mesh file's coordinates
look like micrometres or nanometres read as metres (no ``geometry.scale``).
"""
from __future__ import annotations

import numpy as np

SIZE_RANGE_LM = (1e-2, 1e4)  # sample extent / L_m outside this range is warned about
FILE_EXTENT_WARN_M = 1e-2  # a mesh file wider than this (in m, without scale) is warned about


def edge_lengths(mesh, facets=None):
    """Lengths [m] of the mesh edges ``facets`` (default: all)."""
    f = mesh.facets if facets is None else mesh.facets[:, facets]
    d = mesh.p[:, f[0]] - mesh.p[:, f[1]]
    return np.hypot(d[0], d[1])


def mesh_quality(mesh):
    """Quality summary of a triangle mesh (lengths in metres, angles in degrees).

    Returns
    -------
    dict
        ``nodes``, ``elements``, ``min_angle_deg``, ``max_angle_deg``,
        ``min_shape`` (4 sqrt(3) area / sum of squared edges: 1 for an
        equilateral triangle, -> 0 for a sliver), ``edge_min_m``,
        ``edge_max_m``, ``boundary_edge_max_m`` and ``boundary_edge_max_by_tag_m``
        (name -> longest element edge on that tag).
    """
    p, t = mesh.p, mesh.t
    corners = [p[:, t[k]] for k in range(3)]
    sides = [corners[(k + 2) % 3] - corners[(k + 1) % 3] for k in range(3)]  # opposite corner k
    sq = np.array([np.sum(s * s, axis=0) for s in sides])
    a, b = sides[1], sides[2]
    area = 0.5 * np.abs(a[0] * b[1] - a[1] * b[0])
    lengths = np.sqrt(sq)
    cosines = [(sq[(k + 1) % 3] + sq[(k + 2) % 3] - sq[k]) /
               (2 * lengths[(k + 1) % 3] * lengths[(k + 2) % 3]) for k in range(3)]
    angles = np.degrees(np.arccos(np.clip(np.array(cosines), -1.0, 1.0)))
    shape = 4 * np.sqrt(3) * area / sq.sum(axis=0)
    edges = edge_lengths(mesh)
    by_tag = {name: float(edge_lengths(mesh, f).max())
              for name, f in sorted((mesh.boundaries or {}).items()) if len(f)}
    return {"nodes": int(p.shape[1]), "elements": int(t.shape[1]),
            "min_angle_deg": float(angles.min()), "max_angle_deg": float(angles.max()),
            "min_shape": float(shape.min()), "edge_min_m": float(edges.min()),
            "edge_max_m": float(edges.max()),
            "boundary_edge_max_m": float(edge_lengths(mesh, mesh.boundary_facets()).max()),
            "boundary_edge_max_by_tag_m": by_tag}


def scale_warnings(extent, L_m, *, mesh_file=False, scale_given=True):
    """Warnings (list of str) about a sample's size against the diffusion length.

    Parameters
    ----------
    extent : float
        The sample's larger bounding-box side [m].
    L_m : sequence of float
        The OMM diffusion lengths of its materials [m].
    mesh_file : bool
        The sample is a mesh file (``geometry.kind = "mesh"``).
    scale_given : bool
        The configuration sets ``geometry.scale``.

    Notes
    -----
    A mesh file without ``scale`` wider than :data:`FILE_EXTENT_WARN_M` most
    likely holds micrometres or nanometres; otherwise a sample outside
    :data:`SIZE_RANGE_LM` times L_m is warned about (far larger: the boundary
    layers that carry the effect are a vanishing part of it; far smaller: the
    drift-diffusion description of the OMM is doubtful).
    """
    L = [float(v) for v in L_m if v > 0]
    if not L or not np.isfinite(extent) or extent <= 0:
        return []
    lo, hi = min(L), max(L)
    if mesh_file and not scale_given and extent > FILE_EXTENT_WARN_M:
        return [f"geometry.file: the sample is {extent:.3g} m across with its coordinates read "
                f"as metres (no geometry.scale); if they are um set geometry.scale = 1e-6 "
                f"({extent * 1e-6 / hi:.3g} L_m), if nm geometry.scale = 1e-9 "
                f"({extent * 1e-9 / hi:.3g} L_m; L_m = {hi:.3g} m)"]
    ratio_hi, ratio_lo = extent / lo, extent / hi
    if ratio_lo <= SIZE_RANGE_LM[1] and ratio_hi >= SIZE_RANGE_LM[0]:
        return []
    ratio = ratio_lo if ratio_lo > SIZE_RANGE_LM[1] else ratio_hi
    unit = ("the file's coordinates times geometry.scale" if mesh_file
            else "the geometry lengths, in metres (a mesh file takes geometry.scale)")
    return [f"the sample is {extent:.3g} m across, {ratio:.3g} times the OMM diffusion length "
            f"L_m = {(lo if ratio == ratio_hi else hi):.3g} m, far outside "
            f"{SIZE_RANGE_LM[0]:g}..{SIZE_RANGE_LM[1]:g} L_m; check the units of {unit}"]


def sample_warnings(spec, mesh):
    """:func:`scale_warnings` of a run: its mesh [m] and its materials' L_m."""
    extent = float(np.ptp(mesh.p, axis=1).max())
    tab = spec.config.get("geometry", {}) if isinstance(spec.config, dict) else {}
    return scale_warnings(extent, [m.L_m for m in spec.materials.values()],
                          mesh_file=spec.geometry["kind"] == "mesh",
                          scale_given=isinstance(tab, dict) and "scale" in tab)
