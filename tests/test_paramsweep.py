"""Parameter sweeps ([sweep] parameter, values; omm_fem.paramsweep): a tau x B grid on a
Hall bar written to sweep.csv (pandas dtypes) and equal to separate runs, a geometry length
that remeshes, the reuse of cached work, validation before any solve, and --resume."""
import copy
import io
import json
import logging

import numpy as np
import pandas as pd
import pytest
from test_device_config import _toml

from omm_fem.cli import main
from omm_fem.config import parse_config
from omm_fem.errors import ConfigError
from omm_fem.run import run

TAU = [0.7e-12, 1.3e-12]
B_T = [0.0, 1.5]
# a small Hall bar on a coarse mesh (the numbers are compared with runs of the same mesh,
# not with the continuum; the edge-size warning is expected)
BASE = {"geometry": {"kind": "hall_bar", "length": 2e-6, "width": 0.6e-6,
                     "arms": [0.7e-6, 1.3e-6], "arm_width": 0.2e-6, "arm_length": 0.3e-6},
        "mesh": {"order": 1, "edge_size": 30e-9, "size": 100e-9},
        "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1.6e-3,
                     "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"},
        "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}},
        "measure": [{"name": "Rxx", "current": ["source", "drain"],
                     "voltage": ["probe_1_top", "probe_2_top"]}]}


def grid(**sweep):
    cfg = copy.deepcopy(BASE)
    cfg["sweep"] = {"parameter": "material.tau", "values": TAU, "B_T": B_T, "method": "direct",
                    **sweep}
    return cfg




def _separate(path_value, sweep=True):
    """The run of one value on its own: the config with the value and the field sweep."""
    cfg = copy.deepcopy(BASE)
    section, key = path_value[0].split(".")
    cfg[section][key] = path_value[1]
    if sweep:
        cfg["sweep"] = {"B_T": B_T, "method": "direct"}
    return run(parse_config(cfg), progress=False).results


def test_tau_by_field_grid_writes_sweep_csv_equal_to_separate_runs(tmp_path):
    """Acceptance: sweep.csv has one row per (tau, B), float64 columns, the parameter with
    its unit; every value equals a separate run of that tau to 1e-10 relative (the same mesh
    and arithmetic; the internal units are those of the first tau, so the last digits
    differ: measured 8e-13 of max|rho|)."""
    cfg = tmp_path / "grid.toml"
    cfg.write_text(_toml(grid()))
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    df = pd.read_csv(out / "sweep.csv")
    assert list(df.columns[:2]) == ["material.tau_s", "B_T"]
    assert all(df[c].dtype == np.float64 for c in df.columns)
    assert df["material.tau_s"].tolist() == [t for t in TAU for _ in B_T]
    assert df["B_T"].tolist() == B_T * len(TAU)
    res = json.loads((out / "results.json").read_text())
    ps = res["parameter_sweep"]
    assert (ps["parameter"], ps["unit"], ps["values"]) == ("material.tau", "s", TAU)
    assert ps["reused"] == {"mesh": True, "discretization": True, "charge_factorization": True}
    gaps = []
    for k, tau in enumerate(TAU):
        sep = _separate(("material.tau", tau))
        point = ps["points"][k]
        assert point["mesh"]["nodes"] == sep["mesh"]["nodes"]
        for name, col in (("two_terminal", sep["sweep"]["resistance_ohm"]),
                          ("Rxx", sep["sweep"]["measurements"]["Rxx"]["R_ohm"])):
            got = df[f"{name}.R_ohm"][df["material.tau_s"] == tau].to_numpy()
            np.testing.assert_allclose(got, col, rtol=1e-10, atol=0)
        for key in ("rho", "rho_star"):
            want = np.asarray(sep["sweep"]["measurements"]["Rxx"][key], float)
            got = df[f"Rxx.{key}"][df["material.tau_s"] == tau].to_numpy()
            scale = np.abs(want).max()
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * scale)
            gaps.append(np.abs(got - want).max() / scale)
        assert point["rho"] == pytest.approx(sep["rho"], rel=1e-10)
    assert max(gaps) < 1e-10  # measured 8e-13: rho is O(alpha^2) of R, its rounding larger
    # the top-level entries are those of the first value
    assert res["material"]["all"]["tau"] == TAU[0]
    assert res["sweep"]["measurements"]["Rxx"]["R_ohm"] == ps["points"][0]["sweep"][
        "measurements"]["Rxx"]["R_ohm"]
    mc = pd.read_csv(out / "measurements.csv")
    assert mc["material.tau_s"].tolist() == [TAU[0], TAU[0], TAU[1], TAU[1]]
    assert mc["name"].tolist() == ["two_terminal", "Rxx"] * 2


def test_a_geometry_length_remeshes_and_equals_separate_runs():
    cfg = copy.deepcopy(BASE)
    cfg["sweep"] = {"parameter": "geometry.length", "values": [2e-6, 2.4e-6]}
    res = run(parse_config(cfg), progress=False).results
    ps = res["parameter_sweep"]
    assert ps["unit"] == "m" and ps["reused"]["mesh"] is False
    nodes = [p["mesh"]["nodes"] for p in ps["points"]]
    assert nodes[1] > nodes[0]  # a longer bar, a new mesh
    for k, L in enumerate(ps["values"]):
        sep = _separate(("geometry.length", L), sweep=False)
        assert ps["points"][k]["mesh"]["nodes"] == sep["mesh"]["nodes"]
        assert ps["points"][k]["resistance_ohm"] == pytest.approx(sep["resistance_ohm"],
                                                                  rel=1e-12)
        assert ps["points"][k]["measurements"]["Rxx"]["rho"] == pytest.approx(
            sep["measurements"]["Rxx"]["rho"], rel=1e-12)
    df = pd.read_csv(io.StringIO(__import__("omm_fem.tables").tables.sweep_table(res)))
    assert df["geometry.length_m"].tolist() == [2e-6, 2.4e-6] and len(df) == 2


def test_alpha_sweep_keeps_the_charge_factorisation_and_rho_scales_as_alpha_squared(caplog):
    """rho is the O(alpha^2) term: rho(alpha) / rho(alpha_0) = (alpha / alpha_0)^2 to rounding
    (alpha enters the source and Delta J linearly); sigma changes the charge problem.
    Progress: one log line per value."""
    cfg = copy.deepcopy(BASE)
    cfg["field"] = {"B": [1.0, 0.0, 0.0]}
    cfg["sweep"] = {"parameter": "material.alpha", "values": {"start": 0.02, "stop": 0.08,
                                                              "num": 3}}
    with caplog.at_level(logging.INFO, logger="omm_fem.paramsweep"):
        ps = run(parse_config(cfg), progress=False).results["parameter_sweep"]
    lines = [r.getMessage() for r in caplog.records if r.name == "omm_fem.paramsweep"]
    assert len(lines) == 3 and lines[1].startswith("parameter sweep 2/3: material.alpha = 0.05 1:")
    assert ps["unit"] == "1" and ps["reused"]["charge_factorization"] is True
    rho = np.array([p["measurements"]["Rxx"]["rho"] for p in ps["points"]])
    a = np.array(ps["values"])
    np.testing.assert_allclose(rho / rho[0], (a / a[0]) ** 2, rtol=1e-10)
    cfg["sweep"] = {"parameter": "material.sigma", "values": [1e-3, 2e-3]}
    ps = run(parse_config(cfg), progress=False).results["parameter_sweep"]
    assert ps["reused"] == {"mesh": True, "discretization": True, "charge_factorization": False}
    R0 = [p["resistance0_ohm"] for p in ps["points"]]
    assert R0[0] / R0[1] == pytest.approx(2.0, rel=1e-12)  # R0 = 1/sigma x geometry


def test_a_mesh_for_the_smallest_boundary_layer_of_the_values():
    cfg = copy.deepcopy(BASE)
    del cfg["mesh"]["edge_size"]
    cfg["material"]["D"] = 1.0  # L_m = 0.7 and 1 um: a coarse mesh
    cfg["sweep"] = {"parameter": "material.tau", "values": [0.5e-12, 1e-12]}
    spec = parse_config(cfg)
    from omm_fem.paramsweep import SharedMesh

    shared = SharedMesh(spec.parameter_sweep.points)
    edges = [p.resolved["edge_size_m"] for p in spec.parameter_sweep.points]
    assert shared.resolved["edge_size_m"] == min(edges) < max(edges)


@pytest.mark.parametrize("sweep, match", [
    ({"parameter": "material.foo", "values": [1.0]}, r"sweep.parameter = 'material.foo' is "
     r"invalid: 'foo' is not a material number; allowed: \['D', 'alpha'"),
    ({"parameter": "field.B", "values": [1.0]}, r"'field.B' is invalid: allowed are numbers of "
     r"\[material\]"),
    ({"parameter": "geometry.arms", "values": [1e-6]}, r"a hall_bar geometry has the scalar "
     r"lengths \['geometry.length'"),
    ({"parameter": "material.tau", "values": [1e-12, -1e-12]}, r"sweep.values\[1\] = -1e-12 "
     r"\(material.tau\): material.tau = -1e-12 is invalid: must be finite and > 0"),
    ({"parameter": "material.alpha", "values": [0.5, 1.5]}, r"sweep.values\[1\] = 1.5 "
     r"\(material.alpha\): .*alpha"),
    ({"parameter": "material.tau", "values": {"start": 0, "stop": 1e-12, "num": 3,
                                              "scale": "log"}},
     r"sweep.values.start = 0.0 is invalid: must be > 0 with scale = 'log'"),
    ({"parameter": "material.tau", "values": {"start": 1e-13, "stop": 1e-12, "num": 3,
                                              "scale": "cubic"}}, r"sweep.values.scale"),
    ({"parameter": "material.tau"}, r"sweep.values: missing \(required with sweep.parameter\)"),
    ({"values": [1.0]}, r"sweep.values: only used with sweep.parameter"),
    ({"parameter": "material.tau", "values": [1e-12], "method": "direct"},
     r"sweep.method: only used with a field sweep"),
    ({"parameter": "material.X.ab", "values": [1.0]}, r"X entries are \['xx'"),
    ({"parameter": "geometry.length", "values": [2e-6, 0.1e-6]}, r"sweep.values\[1\] = 1e-07 "
     r"\(geometry.length\): geometry.arms"),
])
def test_bad_parameter_sweeps_are_refused_before_any_solve(sweep, match):
    cfg = copy.deepcopy(BASE)
    cfg["sweep"] = sweep
    with pytest.raises(ConfigError, match=match):
        parse_config(cfg)


def test_region_materials_need_the_region_in_the_path():
    cfg = copy.deepcopy(BASE)
    mat = cfg.pop("material")
    cfg["material"] = {"channel": mat}
    cfg["sweep"] = {"parameter": "material.tau", "values": [1e-12]}
    with pytest.raises(ConfigError, match=r"one material per region \(\['channel'\]\); name the "
                       r"region, e.g. material.channel.tau"):
        parse_config(cfg)
    cfg["sweep"]["parameter"] = "material.channel.tau"
    assert parse_config(cfg).parameter_sweep.unit == "s"
    cfg["sweep"]["parameter"] = "material.channel.X.zz"
    assert parse_config(cfg).parameter_sweep.unit == "1/m_e"


@pytest.mark.slow
def test_an_interrupted_parameter_sweep_resumes_to_the_same_results(tmp_path, monkeypatch):
    """Stopped right after the second value's field sweep is saved; --resume takes the saved
    chunks of both values and ends in the uninterrupted results.json."""
    from omm_fem.persist import SweepCheckpoint

    cfg = tmp_path / "grid.toml"
    cfg.write_text(_toml(grid(values=[0.7e-12, 1.0e-12, 1.3e-12])))
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(ref), "--quiet"]) == 0
    save, saves = SweepCheckpoint.save, []

    def save_then_stop(self, k, *args):
        save(self, k, *args)
        saves.append(self.path(k).name)
        if len(saves) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(SweepCheckpoint, "save", save_then_stop)
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 130
    assert saves == ["chunk_p0000_0000.npz", "chunk_p0001_0000.npz"]
    monkeypatch.setattr(SweepCheckpoint, "save", save)
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--resume"]) == 0
    got = json.loads((out / "results.json").read_text())
    want = json.loads((ref / "results.json").read_text())
    assert got["timing"]["sweep_fields_from_checkpoint"] == 2 * len(B_T)
    assert not (out / ".sweep-checkpoint").exists()

    def strip(r):
        r = {k: v for k, v in r.items() if k not in ("timing", "provenance")}
        for p in r["parameter_sweep"]["points"]:
            p.pop("time_s")
        return json.dumps(r, sort_keys=True)

    assert strip(got) == strip(want)


def test_parameter_columns_carry_their_units():
    from omm_fem.tables import parameter_column

    assert [parameter_column(p, u) for p, u in [
        ("material.tau", "s"), ("material.D", "m^2/s"), ("material.mobility", "m^2/(V s)"),
        ("material.alpha", "1"), ("material.X.zz", "1/m_e"), ("material.ch.X.xy", "1/kg"),
        ("geometry.length", "m"), ("geometry.scale", "1")]] == [
        "material.tau_s", "material.D_m2_per_s", "material.mobility_m2_per_V_s",
        "material.alpha", "material.X.zz_per_m_e", "material.ch.X.xy_per_kg",
        "geometry.length_m", "geometry.scale"]
    cfg = copy.deepcopy(BASE)
    cfg["sweep"] = {"parameter": "material.X.zz", "values": [2.44, 4.0]}
    ps = parse_config(cfg).parameter_sweep
    assert ps.unit == "1/m_e" and [p.config["material"]["X"][2][2] for p in ps.points] == [
        2.44, 4.0]


def test_a_parameter_only_sweep_resumes_its_finished_values(tmp_path, monkeypatch):
    """Without a field sweep every value after the first is saved once solved: killed
    after the second value, --resume solves only the first (its fields and figures are
    written) and the third, and ends in the uninterrupted results.json."""
    from omm_fem import paramsweep
    from omm_fem.persist import NpzStore

    cfg_dict = copy.deepcopy(BASE)
    cfg_dict["sweep"] = {"parameter": "material.alpha", "values": [0.03, 0.05, 0.07]}
    cfg = tmp_path / "alpha.toml"
    cfg.write_text(_toml(cfg_dict))
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(ref), "--quiet"]) == 0
    save = NpzStore.save

    def save_then_stop(self, *args, **kwargs):
        save(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(NpzStore, "save", save_then_stop)
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 130
    assert [p.name for p in (out / ".sweep-checkpoint").iterdir()] == ["chunk_pt0001_0000.npz"]
    monkeypatch.setattr(NpzStore, "save", save)
    solved, run_one = [], paramsweep.__dict__.get("run")
    from omm_fem import run as run_module

    real = run_module.run

    def counting(spec, **kw):
        if kw.get("checkpoint_tag"):
            solved.append(kw["checkpoint_tag"])
        return real(spec, **kw)

    monkeypatch.setattr(run_module, "run", counting)
    assert run_one is None  # paramsweep imports run at call time: the patch applies
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--resume"]) == 0
    assert solved == ["p0000", "p0002"]
    got = json.loads((out / "results.json").read_text())
    want = json.loads((ref / "results.json").read_text())
    assert got["timing"]["parameter_values_from_checkpoint"] == 1
    assert not (out / ".sweep-checkpoint").exists()

    def strip(r):
        r = {k: v for k, v in r.items() if k not in ("timing", "provenance")}
        for p in r["parameter_sweep"]["points"]:
            p.pop("time_s")
        return json.dumps(r, sort_keys=True)

    assert strip(got) == strip(want)
