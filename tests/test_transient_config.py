"""Waveforms, the [transient] / [[waveform]] configuration, bad input, and a
configured run end to end (files written, restart from a result file)."""
import copy
import csv
import json
import math
import re

import numpy as np
import pytest

from omm_fem.config import parse_config
from omm_fem.errors import ConfigError, OmmError
from omm_fem.problem import Contact
from omm_fem.transient import (
    Schedule,
    evolve,
    make_waveform,
    parse_transient,
    run_transient,
    summary,
    write_transient_outputs,
)
from omm_fem.transient.config import SECTIONS, run_spec

TAU = 1e-12

BASE = {
    "geometry": {"kind": "rectangle", "length": 4e-7, "width": 3e-7},
    "mesh": {"order": 1, "size": 5e-8, "edge_size": 5e-8},
    "material": {"D": 1e-2, "tau": TAU, "alpha": 0.05, "sigma": 1.6e-3, "mobility": 1.0,
                 "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"},
    "field": {"B": [0.0, 0.0, 0.0]},
    "contacts": {"source": {"current": 1e-6, "omm": "reflecting"},
                 "drain": {"voltage": 0.0, "omm": "sink"}},
    "solver": {"drift": False},
    "transient": {"t_end": 2e-12, "dt": 0.25e-12, "scheme": "strang",
                  "output": {"vtu_times": [0.5e-12, 1.5e-12], "gif_frames": 4,
                             "points": {"centre": [2e-7, 0.0], "edge": [2e-7, 1.45e-7]}}},
    "waveform": [
        {"target": "contacts.source", "kind": "step", "amplitude": 1e-6},
        {"target": "B.x", "kind": "sine", "amplitude": 2.0, "frequency": 2e11,
         "phase": math.pi / 2},
        {"target": "B.y", "kind": "sine", "amplitude": 2.0, "frequency": 2e11},
    ],
}


def specs(cfg):
    """(RunSpec, TransientSpec): the steady parser does not know the transient sections."""
    steady = {k: v for k, v in cfg.items() if k not in SECTIONS}
    spec = parse_config(copy.deepcopy(steady))
    return spec, parse_transient(cfg, spec)


def with_(path, value, cfg=BASE):
    """Copy of cfg with cfg[path...] = value (value None deletes)."""
    cfg = copy.deepcopy(cfg)
    *head, last = path
    d = cfg
    for k in head:
        d = d[k]
    if value is None:
        del d[last]
    else:
        d[last] = value
    return cfg


# --------------------------------------------------------------- waveforms
def test_waveform_values_left_limits_and_breakpoints():
    step = make_waveform({"target": "B.x", "kind": "step", "amplitude": 2.0, "t0": 1e-12,
                          "offset": 0.5})
    assert (step.value(0.9e-12), step.value(1e-12), step.value(1e-12, left=True)) == (0.5, 2.5, 0.5)
    ramp = make_waveform({"target": "B.x", "kind": "ramp", "amplitude": 4.0, "t0": 1.0,
                          "duration": 2.0})
    assert [ramp.value(t) for t in (0.5, 2.0, 5.0)] == [0.0, 2.0, 4.0]
    assert ramp.breakpoints() == [1.0, 3.0]
    rect = make_waveform({"target": "B.y", "kind": "pulse", "amplitude": 1.0, "t0": 1.0,
                          "width": 2.0})
    assert [rect.value(t) for t in (0.99, 1.0, 2.5, 3.0)] == [0.0, 1.0, 1.0, 0.0]
    assert (rect.value(1.0, left=True), rect.value(3.0, left=True)) == (0.0, 1.0)
    gauss = make_waveform({"target": "B.y", "kind": "pulse", "shape": "gaussian",
                           "amplitude": 3.0, "t0": 1.0, "sigma": 0.5})
    assert gauss.value(1.0) == 3.0
    assert gauss.value(1.5) == pytest.approx(3.0 * math.exp(-0.5))
    assert gauss.breakpoints() == []
    sine = make_waveform({"target": "B.z", "kind": "sine", "amplitude": 2.0, "frequency": 0.25,
                          "phase": 0.5, "t0": 1.0})
    assert sine.value(0.5) == 0.0
    assert sine.value(2.0) == pytest.approx(2.0 * math.sin(2 * math.pi * 0.25 + 0.5))
    table = make_waveform({"target": "contacts.source", "kind": "table", "t": [1.0, 2.0, 4.0],
                           "values": [0.0, 1.0, -1.0]})
    assert [table.value(t) for t in (0.0, 1.5, 3.0, 9.0)] == [0.0, 0.5, 0.0, -1.0]
    assert table.breakpoints() == [1.0, 2.0, 4.0]


def test_extreme_waveform_times_evaluate_without_overflow():
    """A gaussian or ramp far narrower than the time scale of the call (numpy times
    included) gives its limit values, with no floating-point warning."""
    import warnings

    gauss = make_waveform({"target": "B.y", "kind": "pulse", "shape": "gaussian",
                           "amplitude": 3.0, "t0": 1e-12, "sigma": 1e-300})
    ramp = make_waveform({"target": "B.x", "kind": "ramp", "amplitude": 4.0, "t0": 1e-12,
                          "duration": 1e-300})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for t in (np.float64(0.0), np.float64(2e-12), 0.0, 2e-12):
            assert gauss.value(t) == 0.0
        assert (ramp.value(np.float64(0.0)), ramp.value(np.float64(2e-12))) == (0.0, 4.0)
        assert gauss.value(np.float64(1e-12)) == 3.0


def test_schedule_sums_waveforms_per_target_and_keeps_the_rest():
    contacts = {"source": Contact("source", current=1e-6), "drain": Contact("drain", voltage=0.0)}
    waves = [make_waveform(w) for w in (
        {"target": "B.x", "kind": "sine", "amplitude": 1.0, "frequency": 1.0, "phase": math.pi / 2},
        {"target": "B.y", "kind": "sine", "amplitude": 1.0, "frequency": 1.0},
        {"target": "B.y", "kind": "step", "amplitude": 0.5, "t0": 0.3},
        {"target": "contacts.drain", "kind": "ramp", "amplitude": 2.0, "duration": 1.0})]
    sched = Schedule(waves, B=[9.0, 9.0, 0.25], contacts=contacts)
    t = 0.125  # a rotating field: |B_in-plane| = 1 at every time before the step
    np.testing.assert_allclose(sched.field(t), [math.cos(2 * math.pi * t),
                                                math.sin(2 * math.pi * t), 0.25], atol=1e-15)
    assert sched.field(0.5)[1] == pytest.approx(math.sin(math.pi) + 0.5)
    c = sched.contacts_at(0.5)
    assert c["drain"].voltage == 1.0 and c["drain"].current is None
    assert c["source"] is contacts["source"]
    assert sched.breakpoints(2.0) == [0.3, 1.0]
    assert sched.field_varies and sched.drive_varies


# --------------------------------------------------------------- bad input
BAD = [
    (("transient", "dt"), 0.0, "transient.dt"),
    (("transient", "dt"), -1e-13, "transient.dt"),
    (("transient", "t_end"), 0, "transient.t_end"),
    (("transient", "t_end"), -2e-12, "transient.t_end"),
    (("transient", "t_end"), None, "transient.t_end"),
    (("transient", "scheme"), "rk4", "transient.scheme"),
    (("transient", "adaptive"), "yes", "transient.adaptive"),
    (("transient", "damped_steps"), -1, "transient.damped_steps"),
    (("transient", "initial"), "file", "transient.initial_file"),
    (("transient", "colour"), 1, "transient.colour"),
    (("transient", "output", "fps"), 3, "transient.output.fps"),
    (("transient", "output", "points"), {"far": [9e-6, 0.0]}, "transient.output.points.far"),
    (("transient", "output", "vtu_times"), [5e-12], "transient.output.vtu_times"),
    (("waveform", 0, "kind"), "square", "waveform[0].kind"),
    (("waveform", 0, "amplitude"), None, "waveform[0].amplitude"),
    (("waveform", 0, "amplitude"), "big", "waveform[0].amplitude"),
    (("waveform", 0, "target"), "contacts.gate", "waveform[0].target"),
    (("waveform", 0, "target"), "B.w", "waveform[0].target"),
    (("waveform", 1, "frequency"), 0.0, "waveform[1].frequency"),
    (("waveform", 1, "frequency"), None, "waveform[1].frequency"),
    (("waveform", 1, "speed"), 2, "waveform[1].speed"),
    (("waveform", 2), {"target": "B.y", "kind": "pulse", "amplitude": 1.0}, "waveform[2].width"),
    (("waveform", 2), {"target": "B.y", "kind": "pulse", "shape": "gaussian", "amplitude": 1.0,
                       "width": 1e-12}, "waveform[2].width"),
    (("waveform", 2), {"target": "B.y", "kind": "pulse", "shape": "square", "amplitude": 1.0,
                       "width": 1e-12}, "waveform[2].shape"),
    (("waveform", 2), {"target": "B.y", "kind": "ramp", "amplitude": 1.0, "duration": -1e-12},
     "waveform[2].duration"),
    (("waveform", 2), {"target": "B.y", "kind": "table", "t": [0.0, 2e-12, 1e-12],
                       "values": [0, 1, 2]}, "waveform[2].t"),
    (("waveform", 2), {"target": "B.y", "kind": "table", "t": [0.0, 0.0], "values": [0, 1]},
     "waveform[2].t"),
    (("waveform", 2), {"target": "B.y", "kind": "table", "t": [0.0, 1e-12], "values": [0]},
     "waveform[2].values"),
    (("waveform", 2), {"target": "B.y", "kind": "table", "values": [0]}, "waveform[2].t"),
]


@pytest.mark.parametrize("path,value,key", BAD, ids=[b[2] + "=" + repr(b[1])[:12] for b in BAD])
def test_bad_transient_input_raises_naming_the_key(path, value, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        specs(with_(path, value))


def test_adaptive_bdf2_and_bad_tol_are_refused():
    cfg = with_(("transient", "adaptive"), True, with_(("transient", "scheme"), "bdf2"))
    with pytest.raises(ConfigError, match="transient.adaptive"):
        specs(cfg)
    with pytest.raises(ConfigError, match="transient.tol"):
        specs(with_(("transient", "tol"), 2.0))


def test_evolve_validates_its_arguments():
    spec, _ = specs(BASE)
    from omm_fem.steady import Pipeline
    from omm_fem.transient import TransientSystem

    pb = spec.build_problem()
    sysm = TransientSystem(Pipeline(pb), Schedule([], B=pb.B, contacts=pb.contacts))
    n0 = np.zeros((3, sysm.nfree))
    for kw, key in (({"dt": 0.0}, "transient.dt"), ({"dt": -1.0}, "transient.dt"),
                    ({"t_end": 0.0}, "transient.t_end"),
                    ({"t_end": float("nan")}, "transient.t_end"),
                    ({"scheme": "rk4"}, "transient.scheme"),
                    ({"adaptive": True, "scheme": "bdf2"}, "transient.adaptive"),
                    ({"adaptive": True, "tol": 0.0}, "transient.tol")):
        args = {"t_end": 1e-12, "dt": 1e-13, **kw}
        with pytest.raises(OmmError, match=re.escape(key)):
            list(evolve(sysm, n0, **args))


def test_waveform_fields_refine_the_mesh_edge():
    """A transient field stronger than [field] sets the boundary-layer mesh size."""
    cfg = with_(("mesh", "edge_size"), None)
    quiet = parse_config({k: copy.deepcopy(v) for k, v in cfg.items() if k not in SECTIONS})
    spec, ts = specs(with_(("waveform", 1, "amplitude"), 40.0, cfg))
    assert spec.resolved["edge_size_m"] == quiet.resolved["edge_size_m"]  # frozen: unchanged
    strong = run_spec(spec, ts)
    assert strong.resolved["edge_size_m"] < quiet.resolved["edge_size_m"]
    assert strong.resolved["transient_ell_m"] < quiet.resolved["ell_m"]


# --------------------------------------------------------------- a configured run
@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    out = tmp_path_factory.mktemp("transient")
    spec, ts = specs(BASE)
    res = run_transient(spec, ts, progress=False)
    return res, write_transient_outputs(res, out), out


def test_run_writes_traces_snapshots_and_animation(configured):
    res, files, out = configured
    names = {p.name for p in files}
    assert names == {"traces.csv", "results.json", "traces.png", "nz.gif", "final_state.npz",
                     "fields.pvd", "fields.xdmf", "fields_0000.vtu", "fields_0001.vtu"}
    with open(out / "traces.csv") as fh:
        rows = list(csv.DictReader(fh))
    steps = res.results["transient"]["steps"]
    assert len(rows) == steps + 1 == 9
    for col in ("t_s", "delta_I_over_I0", "rho", "resistance_ohm", "B_x_T", "B_y_T",
                "n_z_centre_C_per_m2", "n_y_edge_C_per_m2", "int_n_z_C", "norm_n_C_per_m"):
        assert col in rows[0]
    # the rotating field is recorded as configured
    t = float(rows[3]["t_s"])
    assert float(rows[3]["B_x_T"]) == pytest.approx(2.0 * math.cos(2 * math.pi * 2e11 * t))
    data = json.loads((out / "results.json").read_text())
    assert data["final"]["delta_I_over_I0"] == pytest.approx(float(rows[-1]["delta_I_over_I0"]))
    assert data["transient"]["factorizations"] == 1  # strang: one factorisation for a rotating B
    pvd = (out / "fields.pvd").read_text()
    assert re.findall(r'timestep="([^"]+)"', pvd) == ["5e-13", "1.5e-12"]
    from PIL import Image

    with Image.open(out / "nz.gif") as gif:
        assert gif.n_frames == 4
    import meshio

    m = meshio.read(out / "fields_0001.vtu")
    assert np.abs(m.point_data["n_C_per_m2"][:, 2]).max() > 0
    assert "transient: scheme strang" in summary(res)


def test_restart_from_result_file_continues_the_run(configured, tmp_path):
    """Backward Euler (no damped start): T + T from the file equals one run to 2T."""
    res, _, out = configured
    base = with_(("transient", "scheme"), "be")
    base = with_(("transient", "output"), {"gif_frames": 0}, base)
    spec, ts = specs(base)
    first = run_transient(spec, ts, progress=False)
    write_transient_outputs(first, tmp_path)
    again = with_(("transient", "initial"), "file", base)
    again = with_(("transient", "initial_file"), str(tmp_path / "final_state.npz"), again)
    # the second half sees the waveforms shifted by T
    for w in again["waveform"][1:]:
        w["phase"] = w.get("phase", 0.0) + 2 * math.pi * w["frequency"] * 2e-12
    second = run_transient(*specs(again), progress=False)
    whole = run_transient(*specs(with_(("transient", "t_end"), 4e-12, base)), progress=False)
    scale = np.abs(whole.final_state).max()
    assert scale > 0
    assert np.abs(second.final_state - whole.final_state).max() <= 1e-10 * scale


def test_restart_file_from_another_mesh_is_refused(configured, tmp_path):
    _, _, out = configured
    cfg = with_(("mesh", "size"), 3e-8)
    cfg = with_(("mesh", "edge_size"), 3e-8, cfg)
    cfg = with_(("transient", "initial"), "file", cfg)
    cfg = with_(("transient", "initial_file"), str(out / "final_state.npz"), cfg)
    with pytest.raises(ConfigError, match="transient.initial_file"):
        run_transient(*specs(cfg), progress=False)


def _damaged_states(out, tmp_path):
    """(file, what the error must say) for damaged copies of a final_state.npz."""
    good = (out / "final_state.npz").read_bytes()
    with np.load(out / "final_state.npz") as z:
        arrays = {k: z[k] for k in z.files}
    cases = []

    def save(name, **arrs):
        path = tmp_path / name
        np.savez(path, **arrs)
        return path

    (tmp_path / "garbage.npz").write_bytes(b"not numpy at all")
    cases.append((tmp_path / "garbage.npz", "not an .npz archive"))
    (tmp_path / "truncated.npz").write_bytes(good[: len(good) // 2])
    cases.append((tmp_path / "truncated.npz", "not an .npz archive"))
    cases.append((save("nokey.npz", n=arrays["n_C_per_m2"]), r"it has no \['n_C_per_m2', "))
    cases.append((save("objects.npz", **{**arrays, "points_m": np.array([None, 1], object)}),
                  "not a readable .npz archive"))
    cases.append((save("text.npz", **{**arrays, "order": np.array("P2")}), "not numeric"))
    cases.append((save("order.npz", **{**arrays, "order": np.array(3)}), "order = "))
    cases.append((save("shape.npz", **{**arrays, "n_C_per_m2": arrays["n_C_per_m2"][:2]}),
                  r"shape \(2, "))
    bad = arrays["n_C_per_m2"].copy()
    bad[0, 0] = np.nan
    cases.append((save("nan.npz", **{**arrays, "n_C_per_m2": bad}), "non-finite"))
    return cases


def test_damaged_restart_file_is_a_config_error_before_meshing(configured, tmp_path,
                                                               monkeypatch):
    """A damaged final_state.npz is refused by parse_transient (no mesh exists yet) with a
    message naming the key and the file; the intact file is accepted."""
    _, _, out = configured
    cfg = with_(("transient", "initial"), "file")
    spec = parse_config(copy.deepcopy({k: v for k, v in cfg.items() if k not in SECTIONS}))
    monkeypatch.setattr(type(spec), "build_problem",
                        lambda self: pytest.fail("meshed before the file was checked"))
    for path, what in _damaged_states(out, tmp_path):
        bad = with_(("transient", "initial_file"), str(path), cfg)
        with pytest.raises(ConfigError, match=r"transient\.initial_file = .*" + path.name
                           + ".* is invalid: .*" + what):
            parse_transient(bad, spec)
    ok = with_(("transient", "initial_file"), str(out / "final_state.npz"), cfg)
    assert parse_transient(ok, spec).initial_file == out / "final_state.npz"


def test_steady_initial_state_is_a_fixed_point():
    cfg = with_(("waveform",), [{"target": "contacts.source", "kind": "step", "amplitude": 1e-6}])
    cfg = with_(("transient", "initial"), "steady", cfg)
    cfg = with_(("transient", "scheme"), "cn", cfg)
    cfg = with_(("field", "B"), [1.0, 0.5, 0.0], cfg)
    res = run_transient(*specs(cfg), progress=False)
    tr = res.traces["delta_I_over_I0"]
    # the discrete steady state solves L n = f, which every scheme keeps (rounding only)
    assert np.abs(tr / tr[0] - 1).max() <= 1e-10
    assert res.results["steady_at_t_end"]["final_state_rel_diff"] <= 1e-10


def test_measurements_are_traced_and_tend_to_the_steady_run():
    """[[measure]] pairs of a Hall bar: R, R0, rho traced per step; the switched-on
    run ends at the steady run's values (cn: the discrete steady state is exact)."""
    from omm_fem.run import run

    steady = {"geometry": {"kind": "hall_bar", "length": 6e-6, "width": 1.5e-6,
                           "arms": [2e-6, 4e-6], "arm_width": 0.5e-6, "arm_length": 0.6e-6},
              "mesh": {"order": 1, "edge_size": 0.1e-6},
              "material": {"D": 0.09, "tau": TAU, "alpha": 0.05, "sigma": 1e-3,
                           "X": [[30.0, 0, 0], [0, 10.0, 0], [0, 0, 5.0]], "X_unit": "1/m_e"},
              "field": {"B": [2.0, 0.0, 0.0]},
              "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}},
              "measure": [{"name": "Rxx", "current": ["source", "drain"],
                           "voltage": ["probe_1_top", "probe_2_top"]}]}
    ref = run(parse_config(copy.deepcopy(steady)), progress=False).results
    cfg = {**steady, "transient": {"t_end": 40e-12, "dt": 0.5e-12, "scheme": "cn",
                                   "output": {"gif_frames": 0}},
           "waveform": [{"target": "contacts.source", "kind": "step", "amplitude": 1e-6}]}
    res = run_transient(*specs(cfg), progress=False)
    tr = res.traces
    assert tr["Rxx.rho"][0] == 0.0  # t = 0: the current is on, n = 0 yet, so R = R0
    for key, col in (("R_ohm", "Rxx.R_ohm"), ("R0_ohm", "Rxx.R0_ohm"), ("rho", "Rxx.rho")):
        assert tr[col][-1] == pytest.approx(ref["measurements"]["Rxx"][key], rel=1e-6)
    assert tr["probe.probe_1_top.potential_V"][-1] == pytest.approx(
        ref["probes"]["probe_1_top"]["potential_V"], rel=1e-6)


def test_sweep_and_transient_do_not_combine():
    cfg = with_(("sweep",), {"B_T": [0.0, 1.0]})
    steady = {k: v for k, v in cfg.items() if k not in SECTIONS}
    with pytest.raises(ConfigError, match=r"\[sweep\] and \[transient\]"):
        parse_transient(cfg, parse_config(steady))


def test_a_measure_of_another_pair_is_refused_in_a_transient(tmp_path):
    """A transient traces its own drive; a [[measure]] through other contacts is a clear
    error up front (a steady run would drive it through its own pair)."""
    from omm_fem.config import parse_config
    from omm_fem.errors import ConfigError
    from omm_fem.studies.fuzz_cases import BASE_TRANSIENT
    from omm_fem.transient import parse_transient

    cfg = json.loads(json.dumps(BASE_TRANSIENT))
    cfg["geometry"] = {"kind": "hall_bar", "length": 8e-7, "width": 2e-7, "arms": [4e-7],
                       "arm_width": 1e-7, "arm_length": 1e-7}
    cfg["contacts"]["probe_1_top"] = {"current": 0.0}  # a floating metal contact
    cfg["measure"] = [{"name": "own", "current": ["drain", "source"],
                       "voltage": ["probe_1_top", "drain"]}]
    parse_transient(cfg, parse_config(cfg))  # the drive's own pair, either order: accepted
    cfg["measure"][0]["current"] = ["source", "probe_1_top"]
    with pytest.raises(ConfigError, match=r"measure\.own\.current.*traces the run's own drive"):
        parse_transient(cfg, parse_config(cfg))
