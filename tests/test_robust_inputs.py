"""Hostile inputs end in a clean OmmError/ConfigError (exit code 2 through the CLI), or in
the right number: oversized values, files and requests, degenerate parameters, no drive."""
import copy
import json
import math
import os
import re
import time

import numpy as np
import pytest

from omm_fem import config as config_mod
from omm_fem.cli import main
from omm_fem.config import MAX_DOFS_LIMIT, load_toml, parse_config
from omm_fem.errors import ConfigError, MeshError, OmmError, bad_value
from omm_fem.geometry import load_mesh, mesh_io, rectangle
from omm_fem.geometry.polygon import MAX_VERTICES, polygon_loops
from omm_fem.material import ALPHA_WARN, Material
from omm_fem.problem import CURRENT_MAX, VOLTAGE_MAX, Contact
from omm_fem.report import summary, write_outputs
from omm_fem.run import run
from omm_fem.studies import MESHES
from omm_fem.units import M_E

BIG = 10**400  # an integer literal above the float range (TOML reads it as a Python int)
MSG_MAX = 1000  # no message about one value is longer than this

BASE = {
    "geometry": {"kind": "rectangle", "length": 4e-7, "width": 3e-7},
    "mesh": {"order": 1, "size": 5e-8},
    "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1e-3, "mobility": 1.0,
                 "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"},
    "field": {"B": [0.5, 0.0, 0.0]},
    "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}},
}
TRANSIENT = {"t_end": 2e-12, "dt": 5e-14}
MAT = dict(D=1e-2, tau=1e-12, alpha=0.05, sigma=1e-3, mobility=1.0, X=np.eye(3) / M_E)


def cfg_with(base=BASE, **changes):
    """A copy of ``base`` with ``a__b__c = value`` changes (KeyError deletes the key)."""
    cfg = copy.deepcopy(base)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = cfg
        for h in head:
            node = node.setdefault(h, {})
        if value is KeyError:
            node.pop(last)
        else:
            node[last] = value
    return cfg


def model_X(**spec):
    cfg = cfg_with(material__X={"model": "blg", "mu": 0.2, **spec})
    cfg["material"].pop("X_unit")
    return cfg


def refused(cfg, match, *, error=ConfigError):
    with pytest.raises(error, match=match) as info:
        parse_config(cfg)
    assert len(str(info.value)) < MSG_MAX, str(info.value)[:300]
    return str(info.value)


def write(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def cli_error(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("omm-fem: error: ") and "Traceback" not in err
    return err


# ------------------------------------------------------------ 1. integers beyond float range
@pytest.mark.parametrize("path", [
    "geometry__length", "material__D", "material__alpha", "mesh__max_dofs", "mesh__edge_size",
    "contacts__drain__voltage", "contacts__source__current"])
def test_integer_beyond_float_range_is_not_finite(path):
    msg = refused(cfg_with(**{path: BIG}), r"must be finite.*\(got an integer beyond the float "
                                           r"range\)")
    assert path.replace("__", ".") in msg


def test_integer_beyond_float_range_in_vectors_and_transient():
    refused(cfg_with(field__B=[BIG, 0, 0]), r"field\.B\[0\].*beyond the float range")
    refused(cfg_with(sweep={"B_T": {"start": 0, "stop": BIG, "num": 3}}),
            r"sweep\.B_T\.stop.*beyond the float range")
    from omm_fem.transient import parse_transient

    cfg = cfg_with(field__B=[0.0, 0.0, 0.0], transient=dict(TRANSIENT, t_end=BIG))
    with pytest.raises(ConfigError, match=r"transient\.t_end.*beyond the float range"):
        parse_transient(cfg, parse_config(cfg))
    cfg = cfg_with(field__B=[0.0, 0.0, 0.0], transient=dict(TRANSIENT, damped_steps=BIG))
    with pytest.raises(ConfigError, match=r"transient\.damped_steps.*beyond the float range"):
        parse_transient(cfg, parse_config(cfg))
    cfg = cfg_with(field__B=[0.0, 0.0, 0.0],
                   transient=dict(TRANSIENT, output={"points": {"c": [BIG, 0.0]}}))
    with pytest.raises(ConfigError, match=r"transient\.output\.points\.c"):  # is_real: no float
        parse_transient(cfg, parse_config(cfg))


def test_integer_beyond_float_range_in_the_X_model():
    # g_s (an OverflowError in g_s * X before) now has a stated bound
    refused(model_X(g_s=BIG, nk=4), r"material\.X\.g_s = 1000.* must be an integer in \[1, 4\]")
    refused(model_X(g_s=10**300, nk=4), r"material\.X\.g_s.*\[1, 4\]")
    refused(model_X(T=BIG, nk=4), r"material\.X\.T.*must be finite.*beyond the float range")
    refused(model_X(mu=BIG, nk=4), r"material\.X\.mu.*beyond the float range")


def test_an_int_with_more_digits_than_repr_allows_is_described():
    msg = bad_value("geometry.length", 10**5000, "must be finite")
    assert "an integer of about 5000 digits" in msg
    refused(cfg_with(geometry__length=10**5000), r"geometry\.length = <an integer of about")


# ------------------------------------------------------------ 2. TOML beyond the parser
@pytest.mark.parametrize("text,what", [
    ("[geometry]\nlength = 1" + "0" * 5000 + "\n", "4300"),
    ("[geometry]\nlength = " + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply"),
    ("[geometry]\nlength = " + "{a = " * 900 + "1" + "}" * 900 + "\n", "nested too deeply"),
])
def test_toml_the_parser_cannot_hold_is_not_valid_toml(tmp_path, capsys, text, what):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"config file .*c.toml.* is not valid TOML: .*{what}"):
        load_toml(path)
    assert "not valid TOML" in cli_error(["run", str(path), "--out", str(tmp_path / "o")], capsys)


# ------------------------------------------------------------ 3. devices, links, huge files
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_not_a_config_file(tmp_path, capsys, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} is absent")
    link = tmp_path / "link.toml"
    link.symlink_to(device)
    for path in (device, link):
        t0 = time.perf_counter()
        with pytest.raises(ConfigError, match="is not a regular file"):
            load_toml(path)
        assert time.perf_counter() - t0 < 5
    assert "not a regular file" in cli_error(["run", str(link), "--out", str(tmp_path / "o")],
                                             capsys)


def test_config_and_mesh_files_are_size_capped(tmp_path, monkeypatch):
    assert config_mod.CONFIG_MAX_BYTES == 10 * 10**6 and mesh_io.MESH_MAX_BYTES == 2 * 10**9
    path = write(tmp_path, "# padding\n" * 20)
    monkeypatch.setattr(config_mod, "CONFIG_MAX_BYTES", 100)
    with pytest.raises(ConfigError, match=r"is 200 bytes, above the limit of 100 bytes"):
        load_toml(path)
    monkeypatch.setattr(mesh_io, "MESH_MAX_BYTES", 1000)
    with pytest.raises(MeshError, match=r"cross\.msh.* above the limit of 1 kB"):
        load_mesh(MESHES / "cross.msh")
    geometry = {"kind": "mesh", "file": str(MESHES / "cross.msh")}
    refused(cfg_with(geometry=geometry), r"geometry\.file = .* above the limit of 1 kB")


def test_a_device_is_not_a_mesh_file(tmp_path):
    link = tmp_path / "zero.msh"
    link.symlink_to("/dev/zero")
    with pytest.raises(MeshError, match="is not a regular file"):
        load_mesh(link)
    refused(cfg_with(geometry={"kind": "mesh", "file": str(link)}),
            r"geometry\.file = .*is not a regular file")


# ------------------------------------------------------------ 4. a file name too long
def test_a_file_name_too_long(tmp_path, capsys):
    msg = refused(cfg_with(geometry={"kind": "mesh", "file": "m" * 5000 + ".msh"}),
                  r"geometry\.file = 'mmmm.* \(5006 characters\) is invalid: the mesh file "
                  r"cannot be accessed: File name too long")
    assert "m" * 200 not in msg
    with pytest.raises(ConfigError, match="cannot be accessed: File name too long"):
        load_toml("c" * 5000 + ".toml")
    with pytest.raises(MeshError, match="cannot be accessed: File name too long"):
        load_mesh("m" * 5000)
    err = cli_error(["run", "c" * 5000, "--out", str(tmp_path / "o")], capsys)
    assert len(err) < MSG_MAX


# 5. long values shortened: tests/test_bad_input.py (test_messages_shorten_long_values)


# ------------------------------------------------------------ 6. polygon tags
@pytest.mark.parametrize("segment", [[[0], 1], [0, [1]], [[0, 1], [2, 3]], [{"a": 1}, 0]])
def test_a_nested_polygon_tag_segment_is_refused(segment):
    geometry = {"kind": "polygon", "outline": [[0, 0], [1e-6, 0], [1e-6, 1e-6], [0, 1e-6]],
                "tags": {"source": [segment], "drain": [2]}}
    refused(cfg_with(geometry=geometry), r"geometry\.tags\.source .*no such segment")


# ------------------------------------------------------------ 7. subnormal parameters
@pytest.mark.parametrize("key", ["D", "tau", "sigma"])
def test_subnormal_parameters_are_refused(key):
    geometry = {"kind": "mesh", "file": str(MESHES / "cross.msh")}
    contacts = {"c1": {"current": 1e-6}, "c3": {"voltage": 0.0}}
    refused(cfg_with(geometry=geometry, contacts=contacts, **{f"material__{key}": 5e-324}),
            rf"material\.{key} = 5e-324 is invalid: must be >= 2\.23e-308 \(a subnormal")
    with pytest.raises(OmmError, match=rf"material\.{key}"):
        Material(**dict(MAT, **{key: 1e-310}))


def test_underflowing_scales_are_refused():
    # both normal, but L_m = sqrt(D tau) underflows to zero
    with pytest.raises(OmmError, match=r"material\.D = 1e-200, material\.tau = 1e-200.*L_m"):
        Material(**dict(MAT, D=1e-200, tau=1e-200))
    with pytest.raises(OmmError, match=r"density unit"):
        Material(**dict(MAT, D=1e-300, tau=1e-2, sigma=1e300))
    refused(cfg_with(material__D=1e300, material__tau=1e300), r"material\.D = 1e\+300.* invalid")


# ------------------------------------------------------------ 8. alpha
@pytest.mark.parametrize("alpha", [1.0, -1.0, 1.5, 1e10, -1e300])
def test_alpha_of_order_one_is_refused(alpha):
    refused(cfg_with(material__alpha=alpha), r"material\.alpha .*\|alpha\| must be < 1: the model "
                                              r"is first order in the orbital Hall angle")


def test_large_alpha_warns():
    assert ALPHA_WARN == 0.3
    res = run(parse_config(cfg_with(material__alpha=0.5)), progress=False).results
    assert any("material.alpha = 0.5" in w and "O(alpha^4)" in w for w in res["warnings"])
    res = run(parse_config(cfg_with(material__alpha=-0.3)), progress=False).results
    assert not any("alpha" in w for w in res["warnings"])


# ------------------------------------------------------------ 9. alpha = 0
# the strip reference divided its zero errors by a zero scale (omm_fem/validate/reference.py):
# now None with a note, without a floating-point warning (an error under pyproject's filters)
def test_alpha_zero_gives_rho_zero_and_a_summary(tmp_path):
    cfg = cfg_with(material__alpha=0.0, sweep={"B_T": [0.0, 1.0, 2.0]},
                   measure=[{"name": "R2", "current": ["source", "drain"],
                             "voltage": ["source", "drain"]}])
    res = run(parse_config(cfg), progress=False)
    write_outputs(res, tmp_path / "out")
    r = res.results
    assert r["rho"] == 0.0 and r["delta_I_over_I0"] == 0.0
    assert list(r["sweep"]["rho"]) == [0.0, 0.0, 0.0] and r["sweep"]["rho_star"] is None
    text = summary(res)
    assert "rho = 0 exactly" in text and "alpha = 0" in text
    assert "rho* is undefined: rho(0) = 0" in text
    assert "nan" not in text.lower()
    assert "relative errors undefined" in text  # the strip reference line
    ref = json.loads((tmp_path / "out" / "results.json").read_text())["strip_reference"]
    assert ref["nz_max_error_rel"] is None and ref["ny_max_error_rel"] is None  # NaN in memory
    assert ref["delta_I_over_I0"] == 0.0 and ref["delta_I_over_I0_rel_error"] is None
    assert ref["error_note"].startswith("relative errors undefined: the exact n and Delta I/I0 "
                                        "are zero (alpha = 0); the run has max |n^z| = 0,")


# ------------------------------------------------------------ 10. absurd drives
@pytest.mark.parametrize("contact,key,value", [
    ("drain", "voltage", 1e300), ("drain", "voltage", -1.1e6), ("source", "current", 1e4),
    ("source", "current", -1e300)])
def test_absurd_contact_drives_are_refused(contact, key, value):
    cfg = cfg_with(**{f"contacts__{contact}": {key: value}})
    if contact == "source":
        cfg["contacts"]["drain"] = {"voltage": 0.0}
    else:
        cfg["contacts"]["source"] = {"current": 1e-6}
    cap = VOLTAGE_MAX if key == "voltage" else CURRENT_MAX
    refused(cfg, rf"contacts\.{contact}\.{key} = .* \|{key}\| must be <= {re.escape(f'{cap:g}')}")
    with pytest.raises(OmmError, match=rf"contacts\.{contact}\.{key}"):
        Contact(contact, **{key: value})
    assert Contact("x", voltage=VOLTAGE_MAX).voltage == VOLTAGE_MAX
    assert Contact("x", current=-CURRENT_MAX).current == -CURRENT_MAX


def test_a_current_that_needs_an_absurd_voltage_is_refused():
    spec = parse_config(cfg_with(material__sigma=1e-300))  # valid, normal; I = 1 uA needs 1e294 V
    with pytest.raises(OmmError, match=r"contacts\.source: its current needs a voltage of "
                                       r"1\.33e\+294 V across the sample, beyond "
                                       r"\|V\| <= 1e\+06 V"):
        run(spec, progress=False)


# ------------------------------------------------------------ 11. the ground's value
def test_resistance_does_not_depend_on_the_ground_voltage():
    out = {}
    for ground in (0.0, 1e5, VOLTAGE_MAX):
        cfg = cfg_with(contacts__drain__voltage=ground, contacts__source__current=1e-4)
        out[ground] = run(parse_config(cfg), progress=False).results
    R0 = out[0.0]["resistance_ohm"]
    assert out[1e5]["resistance_ohm"] == pytest.approx(R0, rel=1e-9, abs=0)
    assert out[VOLTAGE_MAX]["resistance_ohm"] == pytest.approx(R0, rel=1e-8, abs=0)
    for r in out.values():
        assert r["current_balance"] < 1e-12
        assert r["contacts"]["drain"]["voltage_V"] in out  # the ground keeps its exact value


# ------------------------------------------------------------ 12. no drive
@pytest.mark.parametrize("contacts", [
    {"source": {"current": 0.0}, "drain": {"voltage": 0.0}},
    {"source": {"voltage": 0.0}, "drain": {"voltage": 0.0}},
    {"source": {"voltage": 3.0}, "drain": {"voltage": 3.0}},
])
def test_no_drive_is_refused(contacts):
    refused(cfg_with(contacts=contacts), r"contacts: no drive: every contact is at the same "
                                         r"voltage and no current is injected")


def test_a_transient_may_start_without_drive():
    from omm_fem.transient import parse_transient

    cfg = cfg_with(field__B=[0.0, 0.0, 0.0], contacts__source__current=0.0,
                   transient=TRANSIENT, waveform=[{"target": "contacts.source", "kind": "step",
                                                   "amplitude": 1e-6}])
    parse_transient(cfg, parse_config(cfg))


# ------------------------------------------------------------ 13. reserved measurement name
def test_two_terminal_is_a_reserved_measurement_name():
    refused(cfg_with(measure=[{"name": "two_terminal", "current": ["source", "drain"],
                               "voltage": ["source", "drain"]}]),
            r"measure\.two_terminal\.name = 'two_terminal' is reserved")


# ------------------------------------------------------------ 14. coarse explicit edge_size
def test_a_coarse_explicit_edge_size_warns():
    spec = parse_config(BASE)
    ell = spec.resolved["ell_m"]
    assert not run(spec, progress=False).results["warnings"]
    res = run(parse_config(cfg_with(mesh__edge_size=12 * ell, mesh__size=12 * ell)),
              progress=False).results
    warned = [w for w in res["warnings"] if w.startswith("mesh.edge_size")]
    assert len(warned) == 1, res["warnings"]
    assert "192 times the boundary-layer rule ell/16" in warned[0]
    assert "(edge_size/rule)^2" in warned[0]
    fine = run(parse_config(cfg_with(mesh__edge_size=1.5 * ell / 16)), progress=False).results
    assert not fine["warnings"]


# ------------------------------------------------------------ 15. X-model resources
def test_x_model_resources_are_bounded_before_work():
    from omm_fem.xtensor import integrate, tensor

    t0 = time.perf_counter()
    refused(model_X(model="aba", layers=64, tol=1e-12), r"material\.X\.nk: the automatic k-grid "
            r"refinement .* 128 bands .* beyond the resource limits")
    refused(model_X(nk=4096), r"material\.X\.nk = 4096 is invalid: .* exceed the resource limits")
    assert time.perf_counter() - t0 < 10
    assert tensor.MAX_WORK == 1e9 and tensor.MAX_STATES == 1e7
    for bands in (4, 32, 128, 1000):  # memory of one batch of k-points
        assert integrate.batch_size(bands) * bands**2 <= max(integrate.BATCH_ELEMENTS, bands**2)
    assert integrate.batch_size(4) == integrate.CHUNK  # the bilayer keeps its batches


# ------------------------------------------------------------ 16. many-vertex polygons
def _circle(n, r=1e-6):
    t = 2 * np.pi * np.arange(n) / n
    return [[r * math.cos(a), r * math.sin(a)] for a in t]


def test_polygon_vertex_count_is_capped():
    assert MAX_VERTICES == 5000
    n = MAX_VERTICES + 1
    t0 = time.perf_counter()
    geometry = {"kind": "polygon", "outline": _circle(n), "tags": {"source": [0], "drain": [9]}}
    refused(cfg_with(geometry=geometry), rf"geometry\.outline: {n} points .* limit of 5000")
    with pytest.raises(OmmError, match="limit of 5000 polygon vertices"):
        polygon_loops(_circle(3000), [_circle(3000, 0.5e-6)])
    assert time.perf_counter() - t0 < 5


def test_dof_estimate_counts_the_vertices_of_short_segments():
    geometry = {"kind": "polygon", "outline": _circle(1000),
                "tags": {"source": [0], "drain": [500]}}
    spec = parse_config(cfg_with(geometry=geometry, mesh={"order": 1, "edge_size": 1e-7}))
    est = spec.resolved["estimated_dofs"]
    nodes = spec.build_problem().mesh.p.shape[1]
    assert 0.7 < nodes / est < 1.4, (nodes, est)  # without the vertices: 2.4


# ------------------------------------------------------------ 17. mesh size and gmsh failures
def test_max_dofs_is_capped():
    refused(cfg_with(mesh__max_dofs=1e300), r"mesh\.max_dofs = 1e\+300 is invalid: must be <= "
            + re.escape(f"{MAX_DOFS_LIMIT:.3g}"))
    parse_config(cfg_with(mesh__max_dofs=MAX_DOFS_LIMIT))


def test_a_gmsh_failure_is_a_mesh_error(monkeypatch):
    import gmsh

    def boom(*args):
        raise Exception("out of memory in the mesher")

    monkeypatch.setattr(gmsh.model.mesh, "generate", boom)
    with pytest.raises(MeshError, match=r"gmsh could not mesh the rectangle geometry: Exception: "
                                        r"out of memory in the mesher"):
        rectangle(length=1e-6, width=1e-6)
    assert not gmsh.isInitialized()  # the session is closed
