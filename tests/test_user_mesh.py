"""A user's own geometry: `omm-fem mesh` grades it like the built-in geometries,
gmsh 2.2 files keep their tags, `omm-fem inspect` reports before any solve, and
a sample in the wrong units is warned about (naming geometry.scale)."""
import json

import meshio
import numpy as np
import pytest

from omm_fem import analytic
from omm_fem.cli import main
from omm_fem.config import EDGE_FRACTION, load_toml, parse_config
from omm_fem.errors import ConfigError, MeshError
from omm_fem.geometry import load_mesh
from omm_fem.geometry.quality import scale_warnings
from omm_fem.geometry.usermesh import mesh_user_geometry
from omm_fem.postprocess import cross_section
from omm_fem.run import run

W, L = 300e-9, 200e-9  # strip width (y) and length (x) [m]; L_m = 100 nm below

GEO = """// a strip, contacts at x = 0 and x = L, walls at y = +-W/2 (units: {unit} m)
u = {u};
Point(1) = {{0, -{hw}*u, 0}}; Point(2) = {{{L}*u, -{hw}*u, 0}};
Point(3) = {{{L}*u, {hw}*u, 0}}; Point(4) = {{0, {hw}*u, 0}};
Line(1) = {{1, 2}}; Line(2) = {{2, 3}}; Line(3) = {{3, 4}}; Line(4) = {{4, 1}};
Curve Loop(1) = {{1, 2, 3, 4}}; Plane Surface(1) = {{1}};
Physical Curve("left") = {{4}};
Physical Curve("right") = {{2}};
Physical Curve("wall") = {{1, 3}};
Physical Surface("body") = {{1}};
"""

CONFIG = """
[geometry]
kind = "mesh"
file = "{file}"
{scale}
[mesh]
order = {order}
[material]
D = 1.0e-2
tau = 1.0e-12
alpha = 0.05
sigma = 1.6e-3
X = [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]]
X_unit = "1/m_e"
[field]
B = [1.0, 0.0, 0.0]
[contacts.left]
current = 1.0e-6
omm = "reflecting"
[contacts.right]
voltage = 0.0
omm = "reflecting"
[solver]
drift = false
"""


def write_geo(path, unit=1.0):
    """The strip as a .geo in units of ``unit`` metres."""
    path.write_text(GEO.format(unit=unit, u=1.0, hw=W / 2 / unit, L=L / unit))
    return path


def write_config(path, mesh_file, *, order=2, scale=None):
    path.write_text(CONFIG.format(file=mesh_file, order=order,
                                  scale="" if scale is None else f"scale = {scale!r}"))
    return path


def write_msh(path, version, size, unit=1.0):
    """The strip meshed uniformly (element ``size`` [m]) by gmsh, saved as MSH ``version``."""
    import gmsh

    geo = write_geo(path.with_suffix(".geo"), unit)
    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.open(str(geo))
        gmsh.option.setNumber("Mesh.MeshSizeMax", size / unit)
        gmsh.model.mesh.generate(2)
        gmsh.option.setNumber("Mesh.MshFileVersion", version)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return path


@pytest.fixture(scope="module")
def user_strip(tmp_path_factory):
    """`omm-fem mesh strip.geo --config case.toml --out strip.msh`, then a run on it."""
    d = tmp_path_factory.mktemp("user")
    geo = write_geo(d / "strip.geo")
    cfg = write_config(d / "case.toml", "strip.msh")
    assert main(["mesh", str(geo), "--config", str(cfg), "--out", str(d / "strip.msh")]) == 0
    spec = parse_config(load_toml(cfg), base_dir=d)
    return d, cfg, spec, run(spec, progress=False)


def test_meshed_geo_keeps_its_groups_and_meets_the_boundary_rule(user_strip):
    d, _, spec, res = user_strip
    r = res.results
    assert r["mesh"]["boundaries"] == ["left", "right", "wall"]
    assert r["mesh"]["regions"] == ["body"]
    # the grading of a built-in geometry: edge_size = ell/8 for P2 ...
    assert r["resolved"]["edge_size_m"] == pytest.approx(r["resolved"]["ell_m"] / EDGE_FRACTION[2],
                                                         rel=1e-12)
    # ... met by the graded boundary (the run's own check: reflecting contacts need none)
    assert r["resolved"]["boundary_edge_max_m"] <= r["resolved"]["edge_size_m"]
    assert not any("boundary elements up to" in w for w in r["warnings"])
    mesh = load_mesh(d / "strip.msh")
    wall = mesh.facets[:, mesh.boundaries["wall"]]
    seg = mesh.p[:, wall[0]] - mesh.p[:, wall[1]]
    assert np.hypot(*seg).max() <= r["resolved"]["edge_size_m"]


def test_meshed_geo_is_graded_like_the_built_in_rectangle(user_strip):
    """The same outline, sizes and grading rule as geometry.kind = "rectangle" (its default
    bulk size min(L, W)/10; reflecting contacts not graded): gmsh makes the same mesh."""
    from omm_fem.geometry import rectangle

    _, _, spec, res = user_strip
    built_in = rectangle(length=L, width=W, size=min(L, W) / 10,
                         edge_size=spec.resolved["edge_size_m"], grade_contacts=False)
    mine = res.pipeline.problem.mesh
    assert mine.p.shape == built_in.p.shape and mine.t.shape == built_in.t.shape
    np.testing.assert_allclose(np.sort(mine.p[0]), np.sort(built_in.p[0]), atol=1e-15)


def test_meshed_geo_reproduces_the_strip_limit(user_strip):
    """Reflecting contacts and no drift make the strip solution exact at every x (SPEC §6).
    Tolerances: about 10x the errors of this mesh (n: 3.2e-6 of max|n^z|, Delta I/I0:
    1.8e-8), within the accuracy the built-in rectangle promises with the same ell/8 rule
    (test_cli: 1e-4 and 1e-5)."""
    _, _, spec, res = user_strip
    mat = next(iter(spec.materials.values()))
    y = np.linspace(-W / 2, W / 2, 201) * (1 - 1e-9)
    n = cross_section(res.pipeline, res.solution, L / 2, y)
    J = res.results["current0_A"] / W
    nz, ny = analytic.strip_profiles_si(y, width=W, J=J, B=1.0, material=mat)
    scale = np.abs(nz).max()
    assert np.abs(n[2] - nz).max() / scale < 3e-5
    assert np.abs(n[1] - ny).max() / scale < 3e-5
    phi, theta = analytic.strip_phi_theta(mat, 1.0)
    dI = analytic.strip_delta_I_over_I0(W / mat.L_m, phi, theta, mat.alpha)
    assert abs(res.results["delta_I_over_I0"] / dI - 1) < 2e-7


def test_run_summary_lists_the_insulating_curves(user_strip, capsys, tmp_path):
    _, cfg, _, _ = user_strip
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert "insulating (no contact names them): wall" in capsys.readouterr().out


def test_inspect_prints_tags_insulating_curves_dofs_and_draws_the_mesh(user_strip, capsys):
    d, cfg, _, res = user_strip
    png = d / "mesh.png"
    assert main(["inspect", str(cfg), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "insulating (no contact names them): wall" in out
    assert "left" in out and "contact, current 1e-06 A" in out and "body" in out
    dofs = res.results["mesh"]["dofs"]
    assert f"this mesh {dofs} (P2" in out  # the exact count a run assembles
    assert "unknowns: estimated" in out and "rule <= " in out and ": met;" in out
    assert "L_m" in out and "ell" in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_msh22_keeps_its_tags(tmp_path):
    """meshio names no sets of an MSH 2.2 file; the loader reads its groups with gmsh."""
    v2 = write_msh(tmp_path / "v2.msh", 2.2, 4e-8)
    v4 = write_msh(tmp_path / "v4.msh", 4.1, 4e-8)
    assert not [n for n in meshio.read(v2).cell_sets if not n.startswith("gmsh:")]
    m2, m4 = load_mesh(v2), load_mesh(v4)
    assert sorted(m2.boundaries) == sorted(m4.boundaries) == ["left", "right", "wall"]
    assert sorted(m2.subdomains) == ["body"]
    for name in m4.boundaries:
        assert len(m2.boundaries[name]) == len(m4.boundaries[name])
    # a run on each: the same mesh, so the same numbers (to rounding: node order differs)
    out = {}
    for tag, f in (("v2", v2), ("v4", v4)):
        cfg = write_config(tmp_path / f"{tag}.toml", f.name, order=1)
        out[tag] = run(parse_config(load_toml(cfg), base_dir=tmp_path), progress=False).results
    for key in ("resistance_ohm", "resistance0_ohm", "delta_I_over_I0", "rho"):
        assert out["v2"][key] == pytest.approx(out["v4"][key], rel=1e-10, abs=1e-300)
    assert out["v2"]["mesh"]["nodes"] == out["v4"]["mesh"]["nodes"]


def test_msh_is_remeshed_from_its_elements_with_its_tags(tmp_path):
    v2 = write_msh(tmp_path / "coarse.msh", 2.2, 1e-7)
    made = mesh_user_geometry(v2, tmp_path / "fine.msh", edge_size=2e-8, ungraded=["left"])
    mesh = load_mesh(tmp_path / "fine.msh")
    assert sorted(mesh.boundaries) == ["left", "right", "wall"] and made.ungraded == ["left"]
    for name in ("wall", "right"):  # graded towards: elements within the rule
        f = mesh.facets[:, mesh.boundaries[name]]
        assert np.hypot(*(mesh.p[:, f[0]] - mesh.p[:, f[1]])).max() <= 2e-8
    assert mesh.p.shape[1] > 3 * load_mesh(v2).p.shape[1]  # re-meshed, not copied


def test_micrometre_file_without_scale_is_warned_about(tmp_path, capsys):
    write_msh(tmp_path / "um.msh", 4.1, 1e-7, unit=1e-6)  # coordinates in um
    cfg = write_config(tmp_path / "um.toml", "um.msh", order=1)
    res = run(parse_config(load_toml(cfg), base_dir=tmp_path), progress=False).results
    assert any("geometry.scale = 1e-6" in w for w in res["warnings"])
    assert main(["inspect", str(cfg)]) == 0
    assert "WARNING: geometry.file" in capsys.readouterr().out
    ok = write_config(tmp_path / "ok.toml", "um.msh", order=1, scale=1e-6)
    assert main(["inspect", str(ok)]) == 0
    assert "geometry.scale" not in capsys.readouterr().out


def test_a_transient_on_a_micrometre_file_is_warned_about_too(tmp_path, capsys):
    """Transient runs report the same input warnings as steady runs (results.json
    "warnings" and the summary)."""
    write_msh(tmp_path / "um.msh", 4.1, 1e-7, unit=1e-6)
    cfg = write_config(tmp_path / "um.toml", "um.msh", order=1)
    text = cfg.read_text() + ('\n[transient]\nt_end = 2e-13\ndt = 1e-13\n'
                              '[[waveform]]\ntarget = "B.x"\nkind = "step"\namplitude = 1.0\n')
    cfg.write_text(text)
    assert main(["run", str(cfg), "--out", str(tmp_path / "tr"), "--quiet"]) == 0
    res = json.loads((tmp_path / "tr" / "results.json").read_text())
    assert any("geometry.scale = 1e-6" in w for w in res["warnings"])
    assert "WARNING: geometry.file" in capsys.readouterr().out


def test_scale_warnings_name_scale_outside_the_L_m_range():
    assert scale_warnings(1e-6, [1e-7]) == []
    big = scale_warnings(1e-2, [1e-7])  # 1e5 L_m
    small = scale_warnings(1e-10, [1e-7])  # 1e-3 L_m
    assert len(big) == len(small) == 1 and all("scale" in w for w in big + small)
    assert scale_warnings(0.5, [1e-7], mesh_file=True, scale_given=False)[0].startswith(
        "geometry.file")
    assert "geometry.scale" in scale_warnings(1e-2, [1e-7], mesh_file=True)[0]


def test_mesh_refuses_what_it_cannot_mesh(tmp_path):
    bad = tmp_path / "x.stl"
    bad.write_text("solid x\nendsolid x\n")
    with pytest.raises(ConfigError, match="allowed: .geo"):
        mesh_user_geometry(bad, tmp_path / "o.msh", edge_size=1e-8)
    # a .geo in um read as metres: refused before meshing, naming geometry.scale
    geo = write_geo(tmp_path / "um.geo", unit=1e-6)
    with pytest.raises(ConfigError, match="geometry.scale"):
        mesh_user_geometry(geo, tmp_path / "o.msh", edge_size=1e-8, max_dofs=3e6)
    with pytest.raises(ConfigError, match="no physical curve 'source'.*'left', 'right', 'wall'"):
        mesh_user_geometry(write_geo(tmp_path / "s.geo"), tmp_path / "o.msh", edge_size=1e-8,
                           needed=["left", "source"])
    solid = tmp_path / "box.geo"
    solid.write_text('SetFactory("OpenCASCADE");\nBox(1) = {0, 0, 0, 1e-6, 1e-6, 1e-6};\n')
    with pytest.raises(MeshError, match="volumes"):
        mesh_user_geometry(solid, tmp_path / "o.msh", edge_size=1e-7)
    assert not (tmp_path / "o.msh").exists()


def test_mesh_with_scale_writes_the_files_units(tmp_path):
    geo = write_geo(tmp_path / "um.geo", unit=1e-6)
    cfg = write_config(tmp_path / "c.toml", "um_out.msh", order=1, scale=1e-6)
    out = tmp_path / "um_out.msh"
    assert main(["mesh", str(geo), "--config", str(cfg), "--out", str(out)]) == 0
    raw = meshio.read(out).points
    assert np.ptp(raw[:, 1]) == pytest.approx(W / 1e-6, rel=1e-9)  # file units kept
    spec = parse_config(load_toml(cfg), base_dir=tmp_path)
    res = run(spec, progress=False).results
    assert res["resolved"]["boundary_edge_max_m"] <= res["resolved"]["edge_size_m"]
    assert not any("scale" in w for w in res["warnings"])


def test_cad_file_curves_get_one_group_each(tmp_path):
    """A STEP plate with a hole (written in mm, the unit gmsh reads CAD files in)."""
    import gmsh

    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        occ.cut([(2, occ.addRectangle(0, 0, 0, 1e-3, 5e-4))],
                [(2, occ.addDisk(5e-4, 2.5e-4, 0, 1e-4, 1e-4))])
        occ.synchronize()
        gmsh.write(str(tmp_path / "plate.step"))
    finally:
        gmsh.finalize()
    made = mesh_user_geometry(tmp_path / "plate.step", tmp_path / "plate.msh", edge_size=2e-8,
                              scale=1e-3)
    mesh = load_mesh(tmp_path / "plate.msh", scale=1e-3)
    assert sorted(mesh.boundaries) == [f"curve_{k}" for k in range(1, 6)]  # 4 sides, 1 hole
    assert sorted(mesh.subdomains) == ["sample"] and "sample" in made.added
    assert np.ptp(mesh.p, axis=1) == pytest.approx([1e-6, 5e-7], rel=1e-6)
    from omm_fem.geometry.quality import edge_lengths

    assert edge_lengths(mesh, mesh.boundary_facets()).max() <= 2e-8
