"""The field sweeps of measurements with their own drive (omm_fem.circuits) are
checkpointed like the run's own sweep, one checkpoint per drive pair
(chunk_dK_NNNN.npz), and a killed run resumes from them to the same results.json."""
import json

from test_device_config import _toml

from omm_fem.cli import main

# a small Hall bar: the configured drive source -> drain; "nl" (nonlocal, through the
# first pair of arms) and "arm" (arm to drain) each need their own drive
CFG = {"geometry": {"kind": "hall_bar", "length": 2e-6, "width": 0.6e-6,
                    "arms": [0.7e-6, 1.3e-6], "arm_width": 0.2e-6, "arm_length": 0.3e-6},
       "mesh": {"order": 1, "edge_size": 30e-9, "size": 100e-9},
       "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1.6e-3,
                    "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"},
       "sweep": {"B_T": [0.0, 0.8, 1.6], "method": "direct"},
       "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0},
                    "probe_1_top": {"current": 0.0}, "probe_1_bottom": {"current": 0.0}},
       "measure": [{"name": "Rxx", "current": ["source", "drain"],
                    "voltage": ["probe_2_top", "probe_2_bottom"]},
                   {"name": "nl", "current": ["probe_1_top", "probe_1_bottom"],
                    "voltage": ["probe_2_top", "probe_2_bottom"]},
                   {"name": "arm", "current": ["probe_1_top", "drain"],
                    "voltage": ["probe_2_top", "source"]}]}


def _stable(out):
    res = json.loads((out / "results.json").read_text())
    return res, json.dumps({k: v for k, v in res.items() if k not in ("timing", "provenance")},
                           sort_keys=True)


def test_own_drive_sweeps_are_checkpointed_and_resumed(tmp_path, monkeypatch):
    """Stopped (KeyboardInterrupt, as tests/test_resume.py simulates a kill) right after the
    first own-drive sweep is saved: the run's own sweep and that one are reused by --resume,
    the second drive is computed, and results.json equals the uninterrupted run's."""
    from omm_fem.persist import SweepCheckpoint

    cfg = tmp_path / "hall.toml"
    cfg.write_text(_toml(CFG))
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(ref), "--quiet"]) == 0
    _, want = _stable(ref)
    save, saves = SweepCheckpoint.save, []

    def save_then_stop(self, k, *args):
        save(self, k, *args)
        saves.append(self.path(k).name)
        if len(saves) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(SweepCheckpoint, "save", save_then_stop)
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 130
    assert saves == ["chunk_0000.npz", "chunk_d1_0000.npz"]
    assert sorted(p.name for p in (out / ".sweep-checkpoint").iterdir()) == saves
    monkeypatch.setattr(SweepCheckpoint, "save", save)
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--resume"]) == 0
    full, got = _stable(out)
    assert full["timing"]["sweep_fields_from_checkpoint"] == 2 * 3  # the run's sweep and d1
    assert full["measurements"]["nl"]["drive"] == "own pair, other contacts floating"
    assert got == want
    assert not (out / ".sweep-checkpoint").exists()


def test_tagged_checkpoints_are_cleared_one_by_one(tmp_path):
    """A sweep without --resume clears only its own chunks (a tag), so the chunks other
    sweeps of the run saved before stay; a finished run removes them all."""
    import numpy as np
    import pytest

    from omm_fem.persist import SweepCheckpoint, clear_sweep_checkpoint

    resp = {"V": np.zeros((2, 2)), "I": np.zeros((2, 2)), "dI_fixed": np.zeros((2, 2)),
            "P": np.zeros((2, 0))}
    main_, own = (SweepCheckpoint(tmp_path, {"config_sha256": "a"}, ["s", "d"], tag=t)
                  for t in ("", "p0001d2"))
    main_.save(0, resp, {}, {})
    own.save(0, resp, {}, {})
    assert own.path(0).name == "chunk_p0001d2_0000.npz"
    own.clear()
    assert main_.path(0).exists() and not own.path(0).exists()
    own.save(3, resp, {}, {})
    main_.clear()
    assert own.path(3).exists() and not main_.path(0).exists()
    clear_sweep_checkpoint(tmp_path)
    assert not main_.dir.exists()
    with pytest.raises(ValueError, match="lower-case letters and digits"):
        SweepCheckpoint(tmp_path, {}, [], tag="../x")
