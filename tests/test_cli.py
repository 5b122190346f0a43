"""The command line: the built-in example, a configured run, and errors."""
import json
import re
import subprocess
import sys

import meshio
import numpy as np
import pytest

from omm_fem.cli import main

REQUIRED = ["current_A", "current0_A", "delta_I_over_I0", "rho", "resistance_ohm",
            "resistance0_ohm", "mesh", "input"]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    assert main(["run", "--out", str(out), "--quiet"]) == 0
    return out


def test_default_example_writes_the_three_outputs(default_run):
    res = json.loads((default_run / "results.json").read_text())
    for key in REQUIRED:
        assert key in res
    assert set(res["mesh"]) >= {"nodes", "order"} and res["mesh"]["order"] == 2
    assert set(res["sweep"]) >= {"B_T", "rho", "rho_star"}
    # the example is the exact strip limit: the run reports its own error against it
    s = res["strip_reference"]
    assert s["exact"] and s["nz_max_error_rel"] < 1e-4 and s["ny_max_error_rel"] < 1e-4
    assert s["delta_I_over_I0_rel_error"] < 1e-5
    assert res["current_balance"] < 1e-10
    for name in ("profiles.png", "hmr.png"):
        data = (default_run / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    m = meshio.read(default_run / "fields.vtu")
    assert m.point_data["n_C_per_m2"].shape == (len(m.points), 3)
    assert m.cell_data["J0_A_per_m"][0].shape[1] == 3
    # the VTU holds the same solution: n^z at the vertices is non-trivial and odd in y
    nz = m.point_data["n_C_per_m2"][:, 2]
    assert np.abs(nz).max() > 0 and abs(nz.sum()) < 1e-3 * np.abs(nz).sum()
    assert not list(default_run.glob(".*"))  # no temporary files left behind


def test_default_example_numbers_unchanged(default_run):
    from test_golden import steady_unchanged

    assert steady_unchanged(json.loads((default_run / "results.json").read_text()),
                            "default") == []


def test_configured_run(tmp_path):
    cfg = tmp_path / "case.toml"
    cfg.write_text("""
[geometry]
kind = "rectangle"
length = 400e-9
width = 300e-9
[mesh]
order = 1
[material]
D = 1e-2
tau = 1e-12
alpha = 0.1
sigma = 1e-3
mobility = 0.5
X = [[2e31, 0, 0], [0, 2e31, 0], [0, 0, 5e30]]
[field]
B = [0.0, 2.0, 0.0]
[contacts.source]
voltage = 1e-3
omm = "sink"
[contacts.drain]
voltage = 0.0
omm = "relaxing"
s = 1e4
""")
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["input"]["field"]["B"] == [0.0, 2.0, 0.0]
    assert res["mesh"]["order"] == 1 and "sweep" not in res
    assert res["voltage_V"] == pytest.approx(1e-3)
    assert res["rho"] == pytest.approx(-res["delta_I_over_I0"], rel=1e-12)  # voltage drive
    assert res["rho"] < 0  # the edge accumulation lowers the resistance (paper, Eq. 21)


def test_bad_config_exits_with_a_message(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[geometry]\nkind = "rectangle"\nlength = 1e-6\nwidth = 1e-6\nwidht = 2\n')
    assert main(["run", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "geometry.widht: unknown key" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    cfg.write_text("[geometry\n")
    assert main(["run", str(cfg)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "omm_fem.cli", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("omm-fem ")


def test_transient_config_runs_through_the_cli(tmp_path):
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "examples" / "transient_pulse.toml"
    text = src.read_text().replace("t_end = 8.0e-12", "t_end = 1.0e-12").replace(
        "vtu_times = [2.0e-12, 4.0e-12]", "vtu_times = [0.5e-12]").replace(
        "gif_frames = 30", "gif_frames = 3").replace("width = 6.0e-7", "width = 3.0e-7").replace(
        "2.95e-7", "1.45e-7").replace("inside = [2.0e-7, 2.0e-7]", "inside = [2.0e-7, 1.0e-7]")
    cfg = tmp_path / "pulse.toml"
    cfg.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["input"]["transient"]["scheme"] == "strang"
    for name in ("traces.csv", "traces.png", "nz.gif", "fields.pvd", "final_state.npz"):
        assert (out / name).exists()
    # a waveform without [transient] is refused
    bad = tmp_path / "bad.toml"
    bad.write_text(text.split("[transient]")[0] + '[[waveform]]\ntarget = "B.x"\nkind = "step"\n'
                   "amplitude = 1.0\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "o2")]) == 2


@pytest.mark.slow
def test_transient_resume_through_the_cli(tmp_path, monkeypatch, capsys):
    """'omm-fem run CONFIG --out DIR --resume' continues a transient from its last
    checkpoint and writes the results of an uninterrupted run."""
    from pathlib import Path

    from omm_fem.transient.stepper import Stepper

    src = Path(__file__).resolve().parents[1] / "examples" / "transient_pulse.toml"
    text = src.read_text().replace("t_end = 8.0e-12", "t_end = 1.0e-12").replace(
        "vtu_times = [2.0e-12, 4.0e-12]", "vtu_times = [0.5e-12]").replace(
        "gif_frames = 30", "gif_frames = 3\ncheckpoint_every = 5").replace(
        "width = 6.0e-7", "width = 3.0e-7").replace("2.95e-7", "1.45e-7").replace(
        "inside = [2.0e-7, 2.0e-7]", "inside = [2.0e-7, 1.0e-7]").replace(
        "t0 = 3.0e-12", "t0 = 0.3e-12")
    cfg = tmp_path / "pulse.toml"
    cfg.write_text(text)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["run", str(cfg), "--out", str(whole), "--quiet"]) == 0

    real, calls = Stepper.step, []

    class Killed(Exception):
        pass

    def step(self):
        if len(calls) == 12:
            raise Killed
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Stepper, "step", step)
    with pytest.raises(Killed):
        main(["run", str(cfg), "--out", str(cut), "--quiet"])
    monkeypatch.undo()
    assert (cut / "checkpoint.npz").exists() and not (cut / "results.json").exists()
    capsys.readouterr()
    assert main(["run", str(cfg), "--out", str(cut), "--quiet", "--resume"]) == 0
    assert "resumed at step 10;" in capsys.readouterr().out
    a = json.loads((whole / "results.json").read_text())
    b = json.loads((cut / "results.json").read_text())
    assert b["timing"]["resume"]["from_step"] == 10  # the last checkpoint before the kill
    for res in (a, b):
        res.pop("timing"), res.pop("provenance")
    assert json.dumps(a) == json.dumps(b)
    assert (whole / "traces.csv").read_bytes() == (cut / "traces.csv").read_bytes()
    assert not (cut / "checkpoint.npz").exists()


@pytest.mark.parametrize("command", [["run"], ["xtensor"], ["validate", "--quick"]])
def test_unusable_output_directory_is_refused_before_any_work(tmp_path, capsys, monkeypatch,
                                                              command):
    import omm_fem.config as config

    monkeypatch.setattr(config, "parse_config", lambda *a, **k: pytest.fail("did work"))
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for out, msg in ((afile, "is an existing file, not a directory"),
                     (afile / "sub", "cannot be created: .*afile' is a file")):
        assert main([*command, "--out", str(out)]) == 2
        assert re.search(rf"omm-fem: error: --out .*{msg}", capsys.readouterr().err)
    assert afile.read_text() == "keep me"
