"""Field files at every DOF: P2 as triangle6, region/boundary ids, the field in field
data; XDMF series read back by meshio equal the solutions."""
import meshio
import numpy as np
import pytest
from meshio.xdmf import TimeSeriesReader

import omm_fem as om
from omm_fem.fieldfiles import write_vtu, write_xdmf_series

MAT = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                             X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")


def _solve(order, B=(1.0, 0.0, 0.0)):
    mesh = om.rectangle(length=4e-7, width=3e-7, edge_size=2e-8)
    pb = om.Problem(mesh=mesh, materials=MAT, B=list(B), order=order, drift=False,
                    contacts=[om.Contact("source", current=1e-6), om.Contact("drain", voltage=0.0)])
    return om.solve(pb)


@pytest.mark.parametrize("order, tri, line", [(1, "triangle", "line"), (2, "triangle6", "line3")])
def test_vtu_holds_every_dof(tmp_path, order, tri, line):
    sol = _solve(order)
    m = meshio.read(write_vtu(tmp_path / "f.vtu", sol.pipeline, sol.field_solution, time=2e-12))
    assert [c.type for c in m.cells] == [tri, line]  # the boundary lines, one block on reading
    assert len(m.points) == sol.pipeline.disc.ndofs
    # the written values are the solution's, DOF by DOF (points are the DOF locations)
    assert np.array_equal(m.points[:, :2].T, sol.points)
    assert np.array_equal(m.point_data["n_C_per_m2"].T, sol.n)
    assert np.array_equal(m.point_data["phi_V"], sol.phi)
    pts = m.points[:, :2]
    if order == 2:  # triangle6: mid-edge nodes of edges 0-1, 1-2, 2-0 (VTK order)
        c = m.cells[0].data
        for k, (a, b) in enumerate(((0, 1), (1, 2), (2, 0))):
            assert np.abs(pts[c[:, 3 + k]] - 0.5 * (pts[c[:, a]] + pts[c[:, b]])).max() < 1e-20
    names = {k: v for k, v in m.field_data.items() if k.startswith("boundary:")}
    assert set(names) == {"boundary:drain", "boundary:edge", "boundary:source"}
    ids = m.cell_data["boundary_id"][1]
    assert sorted(set(ids.tolist())) == sorted(int(v[0]) for v in names.values())
    src = ids == names["boundary:source"][0]
    x = pts[m.cells[1].data[src]][..., 0]
    assert np.allclose(x, x.flat[0])  # the source lines lie on one side of the rectangle
    assert np.all(m.cell_data["boundary_id"][0] == -1)
    assert np.all(m.cell_data["region_id"][0] == 0) and m.field_data["region:all"][0] == 0
    assert np.array_equal(m.field_data["B_T"], [1.0, 0.0, 0.0])
    assert m.field_data["time_s"][0] == 2e-12


def test_xdmf_series_reads_back(tmp_path):
    sols = [_solve(2, (b, 0.0, 0.0)) for b in (0.0, 2.0)]
    steps = [(float(s.B[0]), s.field_solution) for s in sols]
    path = write_xdmf_series(tmp_path / "sweep.xdmf", sols[0].pipeline, steps)
    with TimeSeriesReader(path) as r:
        pts, cells = r.read_points_cells()
        assert r.num_steps == 2 and [c.type for c in cells] == ["triangle6"]
        assert len(pts) == sols[0].pipeline.disc.ndofs
        for k, s in enumerate(sols):
            t, pdata, cdata = r.read_data(k)
            assert t == s.B[0]
            assert np.array_equal(pdata["n_C_per_m2"].T, s.n)
            assert np.allclose(pdata["B_T"], s.B)
            assert np.all(cdata["region_id"][0] == 0)
