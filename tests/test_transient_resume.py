"""Resumable transient runs: checkpoints every N steps, --resume after a kill
gives the files of an uninterrupted run, a foreign checkpoint is refused, and
checkpoints are written atomically."""
import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from omm_fem.config import parse_config
from omm_fem.errors import OmmError
from omm_fem.transient import parse_transient, run_transient, write_transient_outputs
from omm_fem.transient.checkpoint import NAME
from omm_fem.transient.stepper import Stepper

CFG = {
    "geometry": {"kind": "rectangle", "length": 4e-7, "width": 3e-7},
    "mesh": {"order": 1, "size": 5e-8, "edge_size": 5e-8},
    "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1.6e-3, "mobility": 1.0,
                 "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"},
    "field": {"B": [0.0, 0.5, 0.0]},
    "contacts": {"source": {"current": 0.0, "omm": "reflecting"},
                 "drain": {"voltage": 0.0, "omm": "sink"}},
    "solver": {"drift": False},
    "transient": {"t_end": 2e-12, "dt": 0.05e-12, "scheme": "cn",
                  "output": {"vtu_times": [0.5e-12, 1.5e-12], "gif_frames": 5,
                             "checkpoint_every": 4,
                             "points": {"centre": [2e-7, 0.0], "edge": [2e-7, 1.45e-7]}}},
    # breakpoints at 0, 0.6 and 1.1 ps: restarts, damped starts, shortened steps
    "waveform": [{"target": "contacts.source", "kind": "step", "amplitude": 1e-6},
                 {"target": "B.x", "kind": "pulse", "amplitude": 3.0, "t0": 0.6e-12,
                  "width": 0.5e-12}],
}


def with_(cfg, **changes):
    """Copy of cfg; keys "a.b.c" name nested entries."""
    cfg = copy.deepcopy(cfg)
    for path, value in changes.items():
        *head, last = path.split(".")
        d = cfg
        for k in head:
            d = d[int(k)] if isinstance(d, list) else d[k]
        d[last] = value
    return cfg


def specs(cfg):
    """(RunSpec, TransientSpec) as 'omm-fem run' builds them (the whole config)."""
    cfg = copy.deepcopy(cfg)
    spec = parse_config(cfg)
    return spec, parse_transient(cfg, spec)


class Killed(Exception):
    pass


REAL_STEP = Stepper.step


def steps_counted(monkeypatch, stop_after=None):
    """Count Stepper.step calls; raise Killed instead of step number stop_after + 1."""
    calls = []
    real = REAL_STEP

    def step(self):
        if stop_after is not None and len(calls) == stop_after:
            raise Killed
        calls.append(self.t)
        return real(self)

    monkeypatch.setattr(Stepper, "step", step)
    return calls


def comparable(out):
    """results.json without timing and provenance, and the bytes of traces.csv."""
    res = json.loads((out / "results.json").read_text())
    assert {"timing", "provenance"} <= set(res)
    kept = {k: v for k, v in res.items() if k not in ("timing", "provenance")}
    return json.dumps(kept), (out / "traces.csv").read_bytes(), res


def assert_same_files(whole, resumed):
    a, ta, ra = comparable(whole)
    b, tb, rb = comparable(resumed)
    assert a == b
    assert ta == tb
    assert ra["provenance"]["config_sha256"] == rb["provenance"]["config_sha256"]
    with np.load(whole / "final_state.npz") as fa, np.load(resumed / "final_state.npz") as fb:
        assert fa["n_C_per_m2"].tobytes() == fb["n_C_per_m2"].tobytes()
    for name in ("fields_0000.vtu", "fields_0001.vtu", "fields.pvd", "nz.gif"):
        assert (whole / name).read_bytes() == (resumed / name).read_bytes(), name
    assert not (resumed / NAME).exists()  # removed once the outputs are written


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Uninterrupted runs of each case (written without checkpoints)."""
    cache = {}

    def get(name, cfg):
        if name not in cache:
            out = tmp_path_factory.mktemp(f"whole_{name}")
            res = run_transient(*specs(cfg), progress=False)
            write_transient_outputs(res, out)
            cache[name] = (out, res.results["transient"]["steps"])
        return cache[name]

    return get


CASES = {
    "cn": CFG,
    "bdf2": with_(CFG, **{"transient.scheme": "bdf2"}),
    "be_drift": with_(CFG, **{"transient.scheme": "be", "solver.drift": True}),
    "strang_adaptive": with_(CFG, **{"transient.scheme": "strang", "transient.adaptive": True,
                                     "transient.tol": 1e-3, "transient.initial": "steady"}),
}


@pytest.mark.parametrize("name, stop_after", [("cn", 13), ("bdf2", 26), ("be_drift", 9),
                                              ("strang_adaptive", 10)])
def test_interrupted_run_resumes_to_the_uninterrupted_files(reference, tmp_path, monkeypatch,
                                                            name, stop_after):
    cfg = CASES[name]
    whole, steps = reference(name, cfg)
    assert steps > stop_after + 4
    out = tmp_path / "out"
    steps_counted(monkeypatch, stop_after=stop_after)
    with pytest.raises(Killed):
        run_transient(*specs(cfg), progress=False, out_dir=out)
    assert (out / NAME).exists() and not (out / "results.json").exists()
    saved = stop_after - stop_after % 4  # the last checkpoint before the interruption
    calls = steps_counted(monkeypatch)
    res = run_transient(*specs(cfg), progress=False, out_dir=out, resume=True)
    assert len(calls) == steps - saved  # finished steps are not recomputed
    assert res.results["timing"]["resume"]["from_step"] == saved
    write_transient_outputs(res, out)
    assert_same_files(whole, out)


def test_resume_without_checkpoint_starts_from_scratch(reference, tmp_path):
    whole, steps = reference("cn", CFG)
    res = run_transient(*specs(CFG), progress=False, out_dir=tmp_path, resume=True)
    assert "resume" not in res.results["timing"]
    assert res.results["transient"]["steps"] == steps
    write_transient_outputs(res, tmp_path)
    assert_same_files(whole, tmp_path)


def test_run_killed_after_its_last_step_only_writes_the_outputs(reference, tmp_path, monkeypatch):
    whole, steps = reference("cn", CFG)
    run_transient(*specs(CFG), progress=False, out_dir=tmp_path)  # outputs never written
    assert (tmp_path / NAME).exists()
    calls = steps_counted(monkeypatch)
    res = run_transient(*specs(CFG), progress=False, out_dir=tmp_path, resume=True)
    assert calls == [] and res.results["timing"]["resume"]["from_step"] == steps
    write_transient_outputs(res, tmp_path)
    assert_same_files(whole, tmp_path)


def test_checkpoint_of_another_config_is_refused(tmp_path, monkeypatch):
    steps_counted(monkeypatch, stop_after=6)
    with pytest.raises(Killed):
        run_transient(*specs(CFG), progress=False, out_dir=tmp_path)
    monkeypatch.undo()
    before = (tmp_path / NAME).read_bytes()
    other = with_(CFG, **{"waveform.1.amplitude": 2.0})
    with pytest.raises(OmmError, match=r"--resume: checkpoint .*checkpoint\.npz.* belongs to "
                                       r"another run: .*configuration \(config hash"):
        run_transient(*specs(other), progress=False, out_dir=tmp_path, resume=True)
    assert (tmp_path / NAME).read_bytes() == before  # refused, untouched
    # without --resume the old checkpoint is ignored and replaced
    res = run_transient(*specs(other), progress=False, out_dir=tmp_path)
    assert "resume" not in res.results["timing"]
    assert run_transient(*specs(other), progress=False, out_dir=tmp_path,
                         resume=True).results["timing"]["resume"]["from_step"] > 6


def test_checkpoint_of_another_mesh_is_refused(tmp_path, monkeypatch, rect_msh):
    """Same configuration, but the mesh file was regenerated between the kill and the resume."""
    msh = tmp_path / "device.msh"
    rect_msh(msh, 5e-8)
    cfg = with_(CFG, geometry={"kind": "mesh", "file": str(msh)}, mesh={"order": 1})
    steps_counted(monkeypatch, stop_after=5)
    with pytest.raises(Killed):
        run_transient(*specs(cfg), progress=False, out_dir=tmp_path / "out")
    monkeypatch.undo()
    rect_msh(msh, 4e-8)
    with pytest.raises(OmmError, match=r"belongs to another run: .*mesh \(mesh hash"):
        run_transient(*specs(cfg), progress=False, out_dir=tmp_path / "out", resume=True)


def test_unreadable_checkpoint_is_refused_naming_the_file(tmp_path):
    (tmp_path / NAME).write_bytes(b"PK\x03\x04 not a whole zip file")
    with pytest.raises(OmmError, match=r"checkpoint .*checkpoint\.npz.* cannot be read"):
        run_transient(*specs(CFG), progress=False, out_dir=tmp_path, resume=True)


def test_interrupted_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    """A checkpoint is written under a temporary name and renamed: a write that dies
    half way leaves the previous checkpoint whole and no stray file."""
    import omm_fem.transient.checkpoint as ck

    real = np.savez
    saves = []

    def savez(fh, **arrays):
        saves.append(1)
        if len(saves) == 3:
            fh.write(b"PK\x03\x04 partial")
            raise Killed
        real(fh, **arrays)

    monkeypatch.setattr(ck.np, "savez", savez)
    with pytest.raises(Killed):
        run_transient(*specs(CFG), progress=False, out_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]
    monkeypatch.undo()
    with np.load(tmp_path / NAME) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["stats"]["steps"] == 8  # the second checkpoint, intact


def test_disk_full_at_a_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    """A checkpoint write that fails (a full disk) is an OmmError saying that --resume
    continues from the previous checkpoint, which is whole and resumable."""
    import errno

    real, calls = np.savez, []

    def savez(fh, **arrays):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fh, **arrays)

    monkeypatch.setattr(np, "savez", savez)
    with pytest.raises(OmmError, match=r"could not write .*checkpoint\.npz.*ENOSPC.*then "
                                       r"'omm-fem run --resume' continues from the checkpoint"):
        run_transient(*specs(CFG), progress=False, out_dir=tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]
    res = run_transient(*specs(CFG), progress=False, out_dir=tmp_path, resume=True)
    assert res.results["timing"]["resume"]["from_step"] == 8  # the second checkpoint


DRIVER = textwrap.dedent("""
    import json, sys, time
    from omm_fem.config import parse_config
    from omm_fem.transient import parse_transient, run_transient, write_transient_outputs
    from omm_fem.transient.stepper import Stepper

    cfg = json.loads(sys.argv[1])
    real = Stepper.step

    def slow(self):  # slow steps (same numbers) so that the kill lands mid-run
        time.sleep(0.05)
        return real(self)

    Stepper.step = slow
    spec = parse_config(cfg)
    res = run_transient(spec, parse_transient(cfg, spec), progress=False, out_dir=sys.argv[2])
    write_transient_outputs(res, sys.argv[2])
""")


def test_killed_subprocess_resumes_to_the_uninterrupted_files(reference, tmp_path):
    """SIGKILL a running transient once it has checkpointed; while it runs, every
    read of the checkpoint sees a whole file; --resume then gives the files of an
    uninterrupted run."""
    cfg = CASES["bdf2"]
    whole, steps = reference("bdf2", cfg)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, json.dumps(cfg), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen, deadline = set(), time.monotonic() + 60
    try:
        while len(seen) < 3:  # read checkpoints as they are replaced
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no checkpoints within 60 s"
            try:
                with np.load(out / NAME) as z:
                    meta = json.loads(str(z["meta"]))
                    rows, n = z["traces"].shape[1], z["stepper_n"]
            except FileNotFoundError:
                continue
            assert rows == meta["recorder"]["k"] == meta["stats"]["steps"] + 1
            assert n.shape[0] == 3 and np.all(np.isfinite(n))
            seen.add(meta["stats"]["steps"])
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "results.json").exists()
    with np.load(out / NAME) as z:
        done = json.loads(str(z["meta"]))["stats"]["steps"]
    assert 0 < done < steps and done % 4 == 0
    res = run_transient(*specs(cfg), progress=False, out_dir=out, resume=True)
    assert res.results["timing"]["resume"]["from_step"] == done
    write_transient_outputs(res, out)
    assert_same_files(whole, out)
