"""Field files: VTU of one solution and XDMF time series, at every degree of freedom.

A P1 solution is written on its triangles; a P2 solution on 6-node triangles
(VTK/meshio ``triangle6``: vertices, then the mid-edge nodes of edges 0-1, 1-2,
2-0), so the points are exactly the DOFs and nothing is interpolated away.
Tagged boundaries are written as line cells (``line`` / ``line3``). Cell data
``region_id`` (triangles; -1 on lines) and ``boundary_id`` (lines; -1 on
triangles) number the regions and boundaries; field data names them
(``region:NAME`` and ``boundary:NAME`` -> [id, dim], the gmsh convention) and
holds the field ``B_T`` (and ``time_s`` of a transient). XDMF series use
inline XML (no HDF5 library needed), one step per field or time, readable by
ParaView and meshio; they hold the triangles with ``region_id`` (meshio's
XDMF writer cannot mix triangles and lines) and ``B_T`` as point data.
"""
from __future__ import annotations

import numpy as np

from .io import atomic_write

_EDGES = ((0, 1), (1, 2), (2, 0))  # VTK triangle6 mid-edge order


def fe_cells(disc):
    """(points (ndofs, 3) [m], cells, cell_data, field_data) of a Discretization."""
    basis = disc.basis
    pts = disc.to_si_points()
    points = np.column_stack([pts.T, np.zeros(pts.shape[1])])
    mesh = disc.problem.mesh
    t = mesh.t
    if disc.problem.order == 1:
        tri = ("triangle", t.T.astype(np.int64))
        line_type, facet_dofs = "line", lambda f: mesh.facets[:, f].T
    else:
        dofs = basis.element_dofs  # (6, nelem): 3 vertex DOFs, then 3 edge DOFs
        loc, p = basis.doflocs, disc.mesh.p  # both in the scaled units
        order = []
        for a, b in _EDGES:  # find, per element, the edge DOF at the midpoint of (a, b)
            mid = 0.5 * (p[:, t[a]] + p[:, t[b]])
            dist = np.stack([np.abs(loc[:, dofs[3 + k]] - mid).sum(axis=0) for k in range(3)])
            order.append(dofs[3:][np.argmin(dist, axis=0), np.arange(t.shape[1])])
        tri = ("triangle6", np.column_stack([dofs[0], dofs[1], dofs[2], *order]).astype(np.int64))
        fdofs = basis.facet_dofs  # (1, nfacets) mid-edge DOF of each facet

        def facet_dofs(f):
            return np.column_stack([mesh.facets[0, f], mesh.facets[1, f], fdofs[0, f]])

        line_type = "line3"
    ntri = tri[1].shape[0]
    region = np.asarray(disc.problem.element_region, np.int64)
    names = list(disc.problem.materials)
    field_data = {f"region:{n}": np.array([k, 2]) for k, n in enumerate(names)}
    cells, rid, bid = [tri], [region], [np.full(ntri, -1, np.int64)]
    for k, (name, facets) in enumerate(sorted((mesh.boundaries or {}).items())):
        facets = np.asarray(facets, np.int64)
        if facets.size == 0:
            continue
        cells.append((line_type, facet_dofs(facets).astype(np.int64)))
        rid.append(np.full(facets.size, -1, np.int64))
        bid.append(np.full(facets.size, k, np.int64))
        field_data[f"boundary:{name}"] = np.array([k, 1])
    return points, cells, {"region_id": rid, "boundary_id": bid}, field_data


def point_fields(pipeline, sol, phi0=None):
    """n (3-vector) [C/m^2], phi and phi0 [V] at every DOF (``phi0``: the alpha^0
    potential of a transient's time, default the pipeline's)."""
    return {"n_C_per_m2": np.ascontiguousarray(np.asarray(sol.n).T),
            "phi_V": np.asarray(sol.phi),
            "phi0_V": np.asarray(pipeline.phi0 if phi0 is None else phi0)}


def _cell_fields(cells, extra):
    """Element fields (nelem,) or (nelem, 2|3) on the triangles, NaN on the lines."""
    out = {}
    for name, val in (extra or {}).items():
        val = np.asarray(val, float)
        if val.ndim == 2 and val.shape[1] == 2:
            val = np.column_stack([val, np.zeros(len(val))])
        blocks = [val]
        for _, c in cells[1:]:
            blocks.append(np.full((len(c),) + val.shape[1:], np.nan))
        out[name] = blocks
    return out


def write_vtu(path, pipeline, sol, cell_fields=None, *, time=None):
    """VTU of one solution at every DOF (see the module docstring); returns the path."""
    import meshio

    points, cells, cdata, fdata = fe_cells(pipeline.disc)
    cdata = {**cdata, **_cell_fields(cells, cell_fields)}
    fdata = {**fdata, "B_T": np.asarray(sol.B, float)}
    if time is not None:
        fdata["time_s"] = np.array([float(time)])
    m = meshio.Mesh(points, cells, point_data=point_fields(pipeline, sol), cell_data=cdata)

    def write(tmp):
        meshio.write(tmp, m, file_format="vtu")
        _add_field_data(tmp, fdata)

    return atomic_write(path, write, suffix=".vtu")


def _add_field_data(path, fdata):
    """Insert a VTK <FieldData> block (meshio's VTU writer drops field data; its reader and
    ParaView read it)."""
    arrays = []
    for name, val in fdata.items():
        val = np.atleast_1d(np.asarray(val))
        kind = "Int64" if val.dtype.kind in "iu" else "Float64"
        text = " ".join(repr(int(v)) if kind == "Int64" else repr(float(v)) for v in val)
        arrays.append(f'<DataArray type="{kind}" Name="{name}" NumberOfTuples="{val.size}" '
                      f'format="ascii">{text}</DataArray>')
    with open(path, encoding="utf-8") as fh:
        xml = fh.read()
    tag = "<UnstructuredGrid>"
    if tag not in xml:  # pragma: no cover - meshio always writes it
        raise RuntimeError("unexpected VTU layout")
    xml = xml.replace(tag, tag + "\n<FieldData>" + "".join(arrays) + "</FieldData>", 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(xml)


def write_xdmf_series(path, pipeline, steps):
    """XDMF time series: ``steps`` is a list of (t, FieldSolution) or (t, FieldSolution,
    phi0) — t a time [s] or, for a field sweep, the sweep coordinate (|B| [T] or the
    angle). Returns the path."""
    from meshio.xdmf import TimeSeriesWriter

    points, cells, cdata, _ = fe_cells(pipeline.disc)
    # the triangles only: meshio's XDMF writer cannot mix them with line cells
    cells, cdata = cells[:1], {"region_id": cdata["region_id"][:1]}

    def write(tmp):
        with TimeSeriesWriter(tmp, data_format="XML") as w:
            w.write_points_cells(points, cells)
            for t, sol, *phi0 in steps:
                w.write_data(float(t), point_data={**point_fields(pipeline, sol, *phi0),
                                                   "B_T": np.tile(np.asarray(sol.B, float),
                                                                  (len(points), 1))},
                             cell_data=cdata)

    return atomic_write(path, write, suffix=".xdmf")
