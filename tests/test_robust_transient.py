"""Robustness of transient runs, time stepping and persistence: every size cap is a named
constant checked before any meshing, its message naming the key and the limit; damaged
checkpoints, files of killed or earlier runs and failed writes are clean errors or cleaned up."""
import copy
import errno
import json
import math
import os
import re
import time

import numpy as np
import pytest
import tomllib

from omm_fem import io
from omm_fem.cli import build_parser, main
from omm_fem.config import parse_config
from omm_fem.errors import ConfigError, OmmError
from omm_fem.transient import Schedule, TransientSystem, evolve, parse_transient, run_transient
from omm_fem.transient import stepper as stepper_mod
from omm_fem.transient.checkpoint import NAME
from omm_fem.transient.limits import MAX_GIF_FRAMES, MAX_STEPS, MIN_STEP_TAU
from omm_fem.transient.waveforms import MAX_PHASE_RAD, MAX_SINE_PERIODS, MAX_TABLE_KNOTS, Waveform

TOML = """
geometry = {kind = "rectangle", length = 4e-7, width = 3e-7}
mesh = {order = 1, size = 5e-8, edge_size = 5e-8}
field = {B = [0.0, 0.5, 0.0]}
contacts = {source = {current = 0.0, omm = "reflecting"}, drain = {voltage = 0.0, omm = "sink"}}
solver = {drift = false}
waveform = [{target = "contacts.source", kind = "step", amplitude = 1e-6}]
[material]
D = 1e-2
tau = 1e-12
alpha = 0.05
sigma = 1.6e-3
mobility = 1.0
X = [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]]
X_unit = "1/m_e"
[transient]
t_end = 2e-12
dt = 2.5e-13
scheme = "cn"
output = {vtu_times = [1e-12], gif_frames = 3, checkpoint_every = 2}
"""
CFG = tomllib.loads(TOML)  # 8 steps, one factorisation: a run takes about a second
DROP = object()


def put(d, path, value):
    """d[a][b]... = value for path "a.b..." (list items by index, one past the end
    appends); value DROP deletes."""
    *head, last = path.split(".")
    for k in head:
        d = d[int(k)] if isinstance(d, list) else d[k]
    key = int(last) if isinstance(d, list) else last
    if value is DROP:
        del d[key]
    elif isinstance(d, list) and key == len(d):
        d.append(value)
    else:
        d[key] = value


def with_(cfg=CFG, **changes):
    """Copy of cfg with put(cfg, path, value) for each "path" = value."""
    cfg = copy.deepcopy(cfg)
    for path, value in changes.items():
        put(cfg, path, value)
    return cfg


def specs(cfg):
    cfg = copy.deepcopy(cfg)
    spec = parse_config(cfg)
    return spec, parse_transient(cfg, spec)


def cli(tmp_path, *extra, toml=TOML, name="case.toml"):
    """``omm-fem run CONFIG --out tmp_path/out --quiet *extra``: its exit code."""
    (tmp_path / name).write_text(toml)
    return main(["run", str(tmp_path / name), "--out", str(tmp_path / "out"), "--quiet", *extra])


@pytest.fixture
def no_meshing(monkeypatch):
    """Fail any test that builds a mesh: the limits are checked before any work."""
    from omm_fem.config.spec import RunSpec

    monkeypatch.setattr(RunSpec, "build_problem",
                        lambda self: pytest.fail("meshed before the input was checked"))


def refused(cfg, *patterns):
    """parse the config; it must raise a ConfigError whose message matches every pattern."""
    with pytest.raises(ConfigError) as info:
        specs(cfg)
    assert all(re.search(p, str(info.value)) for p in patterns), (patterns, str(info.value))


# ----------------------------------------------------------------- items 1-5: the caps
SINE = {"target": "B.z", "kind": "sine", "amplitude": 1.0, "frequency": 1e11}
KNOTS = [k * 1e-9 / 5000 for k in range(1, 5001)]
FLOOR = r"must be >= MIN_STEP_TAU \* tau = 1e-12 \* 1e-12 s = 1e-24 s"
ADAPTIVE = {"transient.adaptive": True, "transient.scheme": "strang"}
CAPS = {  # changes -> what the message says (the key, the value, the limit)
    "gif 1e9": ({"transient.output.gif_frames": 10**9}, r"gif_frames = 1000000000 is invalid: "
                                                         r"expected an integer in \[0, 500\]"),
    "gif 2^63-1": ({"transient.output.gif_frames": 2**63 - 1}, r"= 9223372036854775807 .*"
                                                               r"MAX_GIF_FRAMES"),
    "gif 501": ({"transient.output.gif_frames": MAX_GIF_FRAMES + 1}, r"\[0, 500\] \(MAX_GIF"),
    "subnormal dt": ({"transient.dt": 5e-324, "transient.scheme": "strang"},
                     r"transient\.dt = 5e-324 is invalid: " + FLOOR),
    "dt 1e-30": ({"transient.dt": 1e-30}, r"transient\.dt = 1e-30 is invalid: " + FLOOR),
    "subnormal dt_min": ({**ADAPTIVE, "transient.dt_min": 5e-324}, r"dt_min = 5e-324 .*" + FLOOR),
    "tiny dt_max": ({**ADAPTIVE, "transient.dt_max": 1e-300}, r"dt_max = 1e-300 .*" + FLOOR),
    "sine 1e308": ({"waveform.1": {**SINE, "frequency": 1e308, "phase": 1e308}},
                   r"waveform\[1\]\.phase = 1e\+308 is invalid: must be in \[-1e\+06, 1e\+06\] "
                   r"rad \(MAX_PHASE_RAD"),
    "sine frequency": ({"waveform.1": {**SINE, "frequency": 1e308}}, r"waveform\[1\]\.frequency "
                       r"= 1e\+308 .* 2e\+296 periods .*MAX_SINE_PERIODS = 1e\+09"),
    "sine t0": ({"waveform.1": {**SINE, "t0": -1e308}}, r"frequency .*inf periods .*MAX_SINE"),
    "2.5 s by 1e-13 s": ({"transient.t_end": 2.5, "transient.dt": 1e-13},
                         r"transient\.t_end = 2\.5 s with transient\.dt = 1e-13 s needs about "
                         r"2\.5e\+13 steps .*MAX_STEPS = 1000000; raise dt or shorten t_end"),
    "t_end 1e30": ({"transient.t_end": 1e30}, r"t_end = 1e\+30 s with transient\.dt = 2\.5e-13 s "
                                              r".*MAX_STEPS = 1000000"),
    "adaptive dt_max": ({**ADAPTIVE, "transient.t_end": 1e-6, "transient.dt_max": 1e-13},
                        r"transient\.dt_max = 1e-13 s needs .*MAX_STEPS"),
    "breakpoints": ({"transient.t_end": 1e-9, "transient.dt": 1e-9 / (MAX_STEPS - 100),
                     "waveform.1": {"target": "B.y", "kind": "table", "t": KNOTS,
                                    "values": [0.5] * 5000}},
                    r"\+ 4999 breakpoints\), more than the cap MAX_STEPS"),
    "20,000 knots": ({"waveform.1": {"target": "B.y", "kind": "table", "values": [0.0] * 20_000,
                                     "t": [k * 1e-16 for k in range(20_000)]}},
                     r"waveform\[1\]\.t: 20000 entries, more than MAX_TABLE_KNOTS = 10000"),
}


@pytest.mark.parametrize("case", list(CAPS))
def test_caps_are_refused_before_any_work(no_meshing, case):
    changes, what = CAPS[case]
    start = time.perf_counter()
    refused(with_(**changes), what)
    assert time.perf_counter() - start < 5


def test_a_cap_on_the_command_line_is_exit_code_2(no_meshing, tmp_path, capsys):
    assert cli(tmp_path, toml=TOML.replace("t_end = 2e-12", "t_end = 2.5")) == 2
    assert capsys.readouterr().err.startswith("omm-fem: error: transient.t_end = 2.5 s with ")


def test_the_limits_themselves_are_accepted(no_meshing):
    floor = MIN_STEP_TAU * 1e-12
    assert specs(with_(**{"transient.output.gif_frames": MAX_GIF_FRAMES}))[1].gif_frames == 500
    short = {"transient.t_end": 1e4 * floor, "transient.output.vtu_times": []}
    for key, extra in (("dt", {}), ("dt_min", ADAPTIVE), ("dt_max", ADAPTIVE)):
        cfg = with_(**{**short, "transient.dt": 10 * floor, **extra, f"transient.{key}": floor})
        assert getattr(specs(cfg)[1], key) == floor
    cfg = with_(**{"waveform.1": {**SINE, "frequency": MAX_SINE_PERIODS / 2e-12,
                                  "phase": -MAX_PHASE_RAD}})
    assert specs(cfg)[1].waveforms[1].phase == -MAX_PHASE_RAD


def test_evolve_refuses_a_subnormal_step():
    """The stepper checks the floor itself (Python use, no config)."""
    from omm_fem.steady import Pipeline

    pb = specs(CFG)[0].build_problem()
    system = TransientSystem(Pipeline(pb), Schedule([], B=pb.B, contacts=pb.contacts))
    for kw, key in (({"dt": 5e-324}, "transient.dt"),
                    ({"adaptive": True, "dt_min": 5e-324}, "transient.dt_min")):
        with pytest.raises(OmmError, match=key + r" = 5e-324 is invalid: .*MIN_STEP_TAU"):
            list(evolve(system, np.zeros((3, system.nfree)), t_end=2e-12,
                        **{"dt": 1e-13, "scheme": "strang", **kw}))


def test_subnormal_switch_time_is_a_switch_at_zero():
    """A step at t0 = 5e-324 s gave a ZeroDivisionError in the Strang stepper; it is now a
    switch at t = 0 as far as the steps can tell (the same steps and state as t0 = 0)."""
    strang = with_(**{"transient.scheme": "strang", "transient.output.checkpoint_every": 0})
    tiny = run_transient(*specs(with_(strang, **{"waveform.0.t0": 5e-324})), progress=False)
    zero = run_transient(*specs(with_(strang, **{"waveform.0.t0": 0.0})), progress=False)
    assert tiny.results["transient"]["steps"] == zero.results["transient"]["steps"] == 8
    assert np.all(np.isfinite(tiny.final_state))
    assert np.array_equal(tiny.final_state, zero.final_state)


def test_sine_value_with_an_infinite_argument_is_a_clean_error():
    w = Waveform(target="B.z", kind="sine", frequency=1e308)  # Python use, no config check
    assert w.value(-1.0) == 0.0  # before t0
    with pytest.raises(OmmError, match=r"sine waveform on B\.z: .* is not finite"):
        w.value(1.0)


def test_adaptive_steps_stop_at_the_cap(monkeypatch):
    """An adaptive run cannot be counted beforehand (dt_min may be tiny): it stops with an
    error once its accepted and rejected steps reach the cap."""
    monkeypatch.setattr(stepper_mod, "MAX_STEPS", 3)
    cfg = with_(**{"transient.adaptive": True, "transient.output.checkpoint_every": 0})
    with pytest.raises(OmmError, match=r"accepted and \d+ rejected steps .* reach the cap "
                                       r"MAX_STEPS = 3"):
        run_transient(*specs(cfg), progress=False)


def test_table_at_the_cap_is_evaluated_by_binary_search(no_meshing):
    n = MAX_TABLE_KNOTS
    ts, vals = [k * 2e-12 / n for k in range(n)], [float(k % 3) for k in range(n)]
    start = time.perf_counter()
    cfg = with_(**{"transient.dt": 2e-12, "waveform.1": {"target": "B.y", "kind": "table",
                                                         "t": ts, "values": vals}})
    w = specs(cfg)[1].waveforms[1]  # 20,000 knots did not parse in 60 s
    assert time.perf_counter() - start < 60
    assert w._knots[0] is w._knots[0]  # converted once
    probe = np.linspace(-1e-13, 2.1e-12, 20_000)
    start = time.perf_counter()
    got = [w.value(t) for t in probe]  # a conversion of the knots per call took ~20 s
    assert time.perf_counter() - start < 10
    assert np.array_equal(got, np.interp(probe, ts, vals))


# ----------------------------------------------------------------- 6. damaged checkpoints
@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """The checkpoint of a run killed after its last step (outputs never written)."""
    out = tmp_path_factory.mktemp("saved")
    res = run_transient(*specs(CFG), progress=False, out_dir=out)
    return (out / NAME).read_bytes(), res.results["transient"]["steps"]


def tamper(path, change):
    """Rewrite a store after change(meta, arrays), which edits in place (the fingerprint
    stays valid) or returns other metadata."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta")))
    meta = change(meta, arrays) or meta
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def _nan(a):
    a = a.copy()
    a.flat[0] = np.nan
    return a


def _meta(path, value):
    return lambda meta, arrays: put(meta, path, value)


def _arr(name, f):
    return lambda meta, arrays: arrays.update({name: f(arrays[name])})


DAMAGE = {
    "no stats": (_meta("stats", DROP), "it has no step statistics"),
    "n a row short": (_arr("stepper_n", lambda a: a[:2]), r"'stepper_n' has shape \(2, "),
    "n a column short": (_arr("stepper_n", lambda a: a[:, :-1]), r"of shape \(3, \d+\)"),
    "nan state": (_arr("stepper_n", _nan), r"'stepper_n' holds non-finite values"),
    "traces a column short": (_arr("traces", lambda a: a[:-1]), r"'traces' has shape"),
    "frames a row short": (_arr("recorder_frames", lambda a: a[:-1]), r"'recorder_frames'"),
    "snapshot missing": (_arr("recorder_snap_states", lambda a: a[:0]), r"shape \(0, 3, "),
    "time past t_end": (_meta("stepper.t", 3e-12), r"stepper\.t = 3e-12 is invalid: expected a "
                                                   r"finite number in \[0\.0, 2e-12\]"),
    "negative steps": (_meta("stats.steps", -1), r"stats\.steps = -1 is invalid"),
    "steps as text": (_meta("stats.steps", "8"), r"stats\.steps = '8' is invalid: expected an "
                                                 r"integer"),
    "steps over the cap": (_meta("stats.steps", 10**30), r"stats\.steps = .* is invalid"),
    "stop index out of range": (_meta("stepper.si", 99), r"stepper\.si = 99"),
    "frame after t": (_meta("recorder.frame_times.0", 5e-12), r"recorder\.frame_times\[0\] ="),
    "recorder ahead of the steps": (_meta("recorder.k", 3), r"recorder\.k = 3"),
    "unknown stepper entry": (_meta("stepper.extra", 1), r"its stepper state has \["),
    "bad factor key": (_meta("factors.keys", [{"nope": 1}]), r"factors\.keys"),
    "bad columns": (_meta("columns", ["x", "t_s"]), r"columns = \['x', 't_s'\]"),
    "metadata not a table": (lambda meta, arrays: [1], "cannot be read .*not a table"),
    "intact": (lambda meta, arrays: None, None),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_checkpoint_is_refused_naming_the_file(saved_run, tmp_path, case):
    change, what = DAMAGE[case]
    (tmp_path / NAME).write_bytes(saved_run[0])
    tamper(tmp_path / NAME, change)
    if what is None:  # rewritten unchanged: resumed
        res = run_transient(*specs(CFG), progress=False, out_dir=tmp_path, resume=True)
        assert res.results["timing"]["resume"]["from_step"] == saved_run[1]
        return
    with pytest.raises(OmmError, match=r"checkpoint .*checkpoint\.npz.* (is damaged: "
                                       r".*)?" + what + r".*run without --resume to start over"):
        run_transient(*specs(CFG), progress=False, out_dir=tmp_path, resume=True)


# ----------------------------------------------------------------- 7. stale temporary files
STALE = [".results.json.omm-tmp-ab12cd34.json", ".checkpoint.npz.omm-tmp-zz_zzzzz.npz",
         ".traces.csv.k2j3h4g5.csv"]  # the last: a temporary name of earlier versions
USER = [".hidden", "notes.txt", ".notes.txt.abcdefgh.txt", ".settings.json.personal.json",
        "my_plot.png", "fields_custom.vtu"]


def _populate(out):
    (out / io.SWEEP_DIR).mkdir(parents=True)
    for name in STALE + USER:
        (out / name).write_text("x")
    (out / io.SWEEP_DIR / ".chunk_0001.npz.omm-tmp-aaaaaaaa.npz").write_text("x")


def test_stale_temporary_files_are_removed_on_resume(tmp_path):
    out = tmp_path / "out"
    _populate(out)
    assert cli(tmp_path, "--resume") == 0
    left = {p.name for p in out.iterdir()}
    assert not left & set(STALE) and set(USER) <= left
    assert not (out / io.SWEEP_DIR).exists()
    assert "results.json" in left and NAME not in left


def test_run_transient_removes_stale_temporary_files(tmp_path):
    _populate(tmp_path)
    run_transient(*specs(with_(**{"transient.output.checkpoint_every": 0})), progress=False,
                  out_dir=tmp_path)
    left = {p.name for p in tmp_path.iterdir()}
    assert not left & set(STALE) and set(USER) <= left


# ----------------------------------------------------------------- 8. outputs of earlier runs
EARLIER = ["results.json", "hmr.png", "map.png", "profiles.png", "fields.vtu",
           "fields_sweep_0005.vtu", "fields_0007.vtu", "traces.png", NAME]


def test_fresh_run_clears_the_outputs_of_an_earlier_run(tmp_path):
    out = tmp_path / "out"
    _populate(out)
    for name in EARLIER:
        (out / name).write_text("old")
    (out / io.SWEEP_DIR / "chunk_0003.npz").write_text("old")
    (out / io.SWEEP_DIR / "mine.txt").write_text("user")
    assert cli(tmp_path) == 0
    left = {p.name for p in out.iterdir()}
    assert set(USER) <= left and not left & set(STALE)
    assert not left & (set(EARLIER) - {"results.json", "traces.png"})  # those are rewritten
    assert [p.name for p in (out / io.SWEEP_DIR).iterdir()] == ["mine.txt"]
    assert json.loads((out / "results.json").read_text())["transient"]["steps"] == 8
    assert {"traces.csv", "traces.png", "nz.gif", "final_state.npz", "fields_0000.vtu",
            "fields.pvd"} <= left


def test_fresh_run_keeps_its_own_initial_file(tmp_path):
    """initial_file = OUT/final_state.npz with --out OUT: the input is read, not cleared."""
    assert cli(tmp_path) == 0
    again = TOML.replace('scheme = "cn"', 'scheme = "cn"\ninitial = "file"\n'
                         'initial_file = "out/final_state.npz"')
    assert cli(tmp_path, toml=again, name="again.toml") == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["transient"]["initial"] == "file"


def test_out_help_documents_the_clean_up():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    helps = {a.dest: a.help for a in sub.choices["run"]._actions}
    assert "without --resume first removes what an earlier run wrote" in helps["out"]
    assert "temporary files" in helps["out"] and "never touched" in helps["out"]


# ----------------------------------------------------------------- 9. disk full
def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.foreign_results_json  # writes "old" as results.json
def test_disk_full_is_a_clean_error_without_partial_file(tmp_path):
    seen = []
    io.atomic_write(tmp_path / "results.json", lambda tmp: seen.append(tmp) or
                    io.Path(tmp).write_text("old"))
    assert io.TEMP_NAME.match(os.path.basename(seen[0]))  # what a stale-file clean-up removes
    with pytest.raises(OmmError, match=r"could not write .*results\.json.*No space left on "
                                       r"device \(ENOSPC\); no partial file is left .*free disk "
                                       r"space, then run again"):
        io.atomic_write(tmp_path / "results.json", lambda tmp: _enospc())
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
    assert (tmp_path / "results.json").read_text() == "old"
    with pytest.raises(OmmError, match=r"could not write .*results\.json.*"):
        io.atomic_write(tmp_path / "gone" / "results.json", lambda tmp: None)  # no such folder


def test_disk_full_while_writing_outputs_then_resume(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.setattr(np, "savetxt", _enospc)  # traces.csv
    assert cli(tmp_path) == 2
    err = capsys.readouterr().err
    assert err.startswith("omm-fem: error: could not write ")
    assert "traces.csv" in err and "Traceback" not in err and "--resume" in err
    monkeypatch.undo()
    assert cli(tmp_path, "--resume") == 0
    res = json.loads((out / "results.json").read_text())
    assert res["timing"]["resume"]["from_step"] == res["transient"]["steps"]
    assert not [p for p in out.iterdir() if io.TEMP_NAME.match(p.name)]
    assert math.isfinite(res["final"]["delta_I_over_I0"])
