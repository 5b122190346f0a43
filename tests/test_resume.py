"""A killed sweep resumes from its checkpoint and ends in the same results.json."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from test_robust_transient import _arr, _meta, _nan, tamper

CONFIG = """
[geometry]
kind = "rectangle"
length = 6e-7
width = 6e-7
[mesh]
order = 1
[material]
D = 1e-2
tau = 1e-12
alpha = 0.05
sigma = 1.6e-3
mobility = 1.0
X = [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]]
X_unit = "1/m_e"
[field]
B = [1.0, 0.0, 0.0]
[sweep]
B_T = {start = 0.0, stop = 3.0, num = 48}
method = "direct"
[contacts.source]
current = 1e-6
[contacts.drain]
voltage = 0.0
[output]
vtu_sweep_points = [5, 40]
"""


def _cmd(cfg, out, *extra):
    return [sys.executable, "-m", "omm_fem.cli", "run", str(cfg), "--out", str(out), "--quiet",
            *extra]


def _results(out):
    res = json.loads((out / "results.json").read_text())
    return res, {k: v for k, v in res.items() if k not in ("timing", "provenance")}


def test_interrupted_sweep_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    """In process: the run is stopped (KeyboardInterrupt) right after its first chunk is
    saved; --resume takes that chunk and ends in the uninterrupted results.json. The
    SIGKILL of a real process is the slow test below."""
    from omm_fem.cli import main
    from omm_fem.persist import SweepCheckpoint

    cfg = tmp_path / "sweep.toml"
    cfg.write_text(CONFIG.replace("num = 48", "num = 20").replace("length = 6e-7", "length = 3e-7")
                   .replace("[5, 40]", "[5, 18]"))
    ref_dir, out = tmp_path / "ref", tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(ref_dir), "--quiet"]) == 0
    _, ref = _results(ref_dir)
    save = SweepCheckpoint.save

    def save_then_stop(self, k, *args):
        save(self, k, *args)
        raise KeyboardInterrupt

    monkeypatch.setattr(SweepCheckpoint, "save", save_then_stop)
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 130
    assert not (out / "results.json").exists()
    assert [p.name for p in (out / ".sweep-checkpoint").glob("chunk_*.npz")] == ["chunk_0000.npz"]
    monkeypatch.setattr(SweepCheckpoint, "save", save)
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--resume"]) == 0
    full, res = _results(out)
    assert full["timing"]["sweep_fields_from_checkpoint"] == 16
    assert json.dumps(res, sort_keys=True) == json.dumps(ref, sort_keys=True)


@pytest.mark.slow
def test_kill_and_resume_gives_the_uninterrupted_result(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(CONFIG)
    ref_dir, out = tmp_path / "ref", tmp_path / "out"
    subprocess.run(_cmd(cfg, ref_dir), check=True, capture_output=True)
    full_ref, ref = _results(ref_dir)
    assert full_ref["timing"]["sweep_fields_from_checkpoint"] == 0
    assert not (ref_dir / ".sweep-checkpoint").exists()  # cleared once results.json is written

    proc = subprocess.Popen(_cmd(cfg, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = out / ".sweep-checkpoint" / "chunk_0000.npz"
    deadline = time.time() + 120
    while not first.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.fail("the run finished before it could be killed; make the sweep longer")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "results.json").exists()  # killed before the end: no (partial) results
    done = sorted(p.name for p in (out / ".sweep-checkpoint").glob("chunk_*.npz"))
    assert done and len(done) < 3

    done_run = subprocess.run(_cmd(cfg, out, "--resume"), check=True, capture_output=True,
                              text=True)
    full, res = _results(out)
    assert full["timing"]["sweep_fields_from_checkpoint"] == 16 * len(done)
    assert f"resumed: {16 * len(done)} sweep fields taken from the checkpoint" in done_run.stdout
    assert json.dumps(res, sort_keys=True) == json.dumps(ref, sort_keys=True)
    assert (out / "fields_sweep_0005.vtu").exists() and (out / "fields_sweep_0040.vtu").exists()


def test_resume_refuses_a_checkpoint_of_another_config(tmp_path):
    from omm_fem.errors import OmmError
    from omm_fem.persist import SweepCheckpoint

    a = SweepCheckpoint(tmp_path, {"config_sha256": "hash-a"}, ["source", "drain"])
    import numpy as np

    a.save(0, {"V": np.zeros((2, 2))}, {}, {"chunks": 1})
    resp, kept, info = a.load(0)
    assert resp["V"].shape == (2, 2) and kept == {} and info == {"chunks": 1}
    with pytest.raises(OmmError, match="another configuration"):
        SweepCheckpoint(tmp_path, {"config_sha256": "hash-b"}, ["source", "drain"]).load(0)
    # a chunk damaged outside the program (writes are atomic) is refused by name
    whole = a.path(0).read_bytes()
    for damaged in (whole[: len(whole) // 2], b"garbage"):
        a.path(0).write_bytes(damaged)
        with pytest.raises(OmmError, match=r"checkpoint .*chunk_0000\.npz.* cannot be read"):
            a.load(0)
    np.savez(a.path(0), other=np.zeros(2))
    with pytest.raises(OmmError, match="cannot be read .*no config hash"):
        a.load(0)


def test_resume_refuses_sweep_chunks_of_another_mesh(tmp_path, rect_msh):
    """Same configuration, but the mesh file was regenerated between the kill and the
    resume: the finished chunks belong to the old mesh and are refused."""
    from omm_fem.config import parse_config
    from omm_fem.errors import OmmError
    from omm_fem.run import run

    msh = tmp_path / "device.msh"
    rect_msh(msh, 5e-8)
    cfg = {"geometry": {"kind": "mesh", "file": str(msh)}, "mesh": {"order": 1},
           "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1.6e-3,
                        "mobility": 1.0, "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]],
                        "X_unit": "1/m_e"},
           "field": {"B": [1.0, 0.0, 0.0]},
           "sweep": {"B_T": {"start": 0.0, "stop": 2.0, "num": 20}, "method": "direct"},
           "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}}}
    out = tmp_path / "out"
    first = run(parse_config(cfg), progress=False, out_dir=out)  # outputs never written
    assert sorted(p.name for p in (out / ".sweep-checkpoint").iterdir()) == [
        "chunk_0000.npz", "chunk_0001.npz"]
    again = run(parse_config(cfg), progress=False, out_dir=out, resume=True)
    assert again.results["timing"]["sweep_fields_from_checkpoint"] == 20
    for key in ("rho", "rho_star"):
        assert np.array_equal(again.results["sweep"][key], first.results["sweep"][key])
    rect_msh(msh, 4e-8)
    with pytest.raises(OmmError, match="another configuration, mesh or omm_fem version"):
        run(parse_config(cfg), progress=False, out_dir=out, resume=True)


# ---- robustness (tests/test_robust_transient.py has the transient side)
def _chunk(tmp_path):
    """A saved chunk of 4 fields, 2 contacts, no probes, field 1 kept on 5 DOFs; what the
    sweep expects of it."""
    from omm_fem.persist import SweepCheckpoint

    ck = SweepCheckpoint(tmp_path, {"config_sha256": "a"}, ["source", "drain"])
    sol = type("Sol", (), {"B": np.zeros(3), "n": np.ones((3, 5)), "phi": np.ones(5),
                           "voltages": {"source": 1.0, "drain": 0.0},
                           "currents": {"source": 1e-6, "drain": -1e-6},
                           "delta_I_fixed_voltage": {"source": 0.0, "drain": 0.0}, "solves": 2})
    resp = {"V": np.zeros((4, 2)), "I": np.zeros((4, 2)), "dI_fixed": np.zeros((4, 2)),
            "P": np.zeros((4, 0))}
    ck.save(0, resp, {1: sol}, {"basis": 3})
    expect = {"rows": 4, "response": {k: v.shape[1:] for k, v in resp.items()}, "kept": [1],
              "ndofs": 5}
    return ck, expect


@pytest.mark.parametrize("case, change, what", [
    ("a row short", _arr("resp_V", lambda a: a[:3]), r"'resp_V' has shape \(3, 2\)"),
    ("a response missing", lambda m, a: (a.pop("resp_P"), m)[1], r"its responses are \['I', "),
    ("nan response", _arr("resp_I", _nan), r"'resp_I' holds non-finite"),
    ("kept solution incomplete", lambda m, a: (a.pop("kept_1_phi"), m)[1],
     r"it has no array 'kept_1_phi'"),
    ("kept n of another mesh", _arr("kept_1_n", lambda a: a[:, :4]), r"'kept_1_n' has shape"),
    ("kept field outside the chunk", lambda m, a: (a.update(kept_9_B=np.zeros(3)), m)[1],
     r"'kept_9_B' names no field of the chunk"),
    ("solves missing", _meta("solves", {}), r"it has no solves\[1\]"),
    ("info not a table", _meta("info", [1]), r"info = \[1\] is invalid: expected a table"),
])
def test_damaged_sweep_chunk_is_refused(tmp_path, case, change, what):
    """A chunk with a valid fingerprint but other content: a clean error naming the file."""
    from omm_fem.errors import OmmError

    ck, expect = _chunk(tmp_path)
    resp, kept, info = ck.load(0, expect)  # intact
    assert resp["V"].shape == (4, 2) and kept[1].solves == 2 and info == {"basis": 3}
    tamper(ck.path(0), change)
    with pytest.raises(OmmError, match=r"checkpoint .*chunk_0000\.npz.* is damaged: .*" + what
                       + ".*without --resume"):
        ck.load(0, expect)


def test_sweep_chunk_of_other_length_is_refused_without_expectations(tmp_path):
    from omm_fem.errors import OmmError

    ck, _ = _chunk(tmp_path)
    tamper(ck.path(0), _arr("resp_V", lambda a: a[:3]))
    with pytest.raises(OmmError, match=r"'resp_V' has shape \(3, 2\), expected 4 rows"):
        ck.load(0)


def test_fresh_sweep_replaces_stale_chunks_so_that_its_resume_works(tmp_path, monkeypatch):
    """Run A is killed after two chunks; run B (another field) starts fresh in the same
    directory and is killed after one: its --resume must not meet A's second chunk (it
    did, and was refused as a checkpoint of another configuration)."""
    from omm_fem.cli import main
    from omm_fem.io import SWEEP_DIR
    from omm_fem.persist import SweepCheckpoint

    save = SweepCheckpoint.save
    saves = []

    def save_then_stop(self, k, *args):
        save(self, k, *args)
        saves.append(k)
        if len(saves) == stop:
            raise KeyboardInterrupt

    monkeypatch.setattr(SweepCheckpoint, "save", save_then_stop)
    small = (CONFIG.replace("num = 48", "num = 40").replace("length = 6e-7", "length = 3e-7")
             .replace("[5, 40]", "[5, 18]"))
    a, b, out = tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "out"
    a.write_text(small)
    b.write_text(small.replace("B = [1.0, 0.0, 0.0]", "B = [0.5, 0.0, 0.0]"))
    stop = 2
    assert main(["run", str(a), "--out", str(out), "--quiet"]) == 130
    saves.clear()
    stop = 1
    assert main(["run", str(b), "--out", str(out), "--quiet"]) == 130
    assert sorted(p.name for p in (out / SWEEP_DIR).iterdir()) == ["chunk_0000.npz"]
    stop = 0
    assert main(["run", str(b), "--out", str(out), "--quiet", "--resume"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["timing"]["sweep_fields_from_checkpoint"] == 16
