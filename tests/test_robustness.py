"""Robustness: reproducible results, inputs are data, atomic files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omm_fem.config import parse_config
from omm_fem.errors import ConfigError
from omm_fem.io import atomic_write, write_json

SMALL = """
[geometry]
kind = "rectangle"
length = 3e-7
width = 4e-7
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
B = [1.0, 0.5, 0.0]
[sweep]
B_T = [0.0, 2.0, 4.0]
[contacts.source]
current = 1e-6
[contacts.drain]
voltage = 0.0
"""


def _run(cfg_path, out):
    subprocess.run([sys.executable, "-m", "omm_fem.cli", "run", str(cfg_path), "--out", str(out),
                    "--quiet"], check=True, capture_output=True)
    res = json.loads((out / "results.json").read_text())
    return res, {k: v for k, v in res.items() if k not in ("timing", "provenance")}


@pytest.mark.slow
def test_same_config_gives_bit_identical_results(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL)
    full1, a = _run(cfg, tmp_path / "a")
    full2, b = _run(cfg, tmp_path / "b")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    prov = full1["provenance"]
    assert prov["config_sha256"] == full2["provenance"]["config_sha256"]
    assert prov["omm_fem"] and prov["dependencies"]["numpy"] and prov["dependencies"]["scikit-fem"]
    assert set(full1["timing"]) >= {"total_s"}


def test_code_in_a_config_is_rejected_as_data(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    cfg = parse_config.__globals__["default_config"]()
    cfg["material"]["D"] = payload
    with pytest.raises(ConfigError, match=r"material\.D.*expected a number"):
        parse_config(cfg)
    cfg = parse_config.__globals__["default_config"]()
    cfg["geometry"]["kind"] = payload
    with pytest.raises(ConfigError, match=r"geometry\.kind"):
        parse_config(cfg)
    toml = tmp_path / "evil.toml"
    toml.write_text(SMALL.replace("D = 1e-2", f'D = "{payload}"'))
    out = subprocess.run([sys.executable, "-m", "omm_fem.cli", "run", str(toml), "--out",
                          str(tmp_path / "o")], capture_output=True, text=True)
    assert out.returncode == 2 and "material.D" in out.stderr
    assert not marker.exists()


@pytest.mark.foreign_results_json  # results.json holds {"new": 2}
def test_interrupted_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    write_json(path, {"old": 1})

    def half_then_crash(tmp):
        with open(tmp, "w") as fh:
            fh.write('{"new": ')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half_then_crash)
    assert json.loads(path.read_text()) == {"old": 1}
    assert os.listdir(tmp_path) == ["results.json"]  # no temporary file left behind
    write_json(path, {"new": 2})
    assert json.loads(path.read_text()) == {"new": 2}


def test_no_eval_exec_or_pickle_on_inputs():
    # inputs are TOML (data only) and mesh files (meshio/gmsh readers); the package never
    # evaluates strings or unpickles files
    src = Path(__file__).resolve().parents[1] / "omm_fem"
    bad = []
    for f in src.rglob("*.py"):
        text = f.read_text()
        for token in ("eval(", "exec(", "pickle.load", "pickle.loads", "allow_pickle=True"):
            if token in text:
                bad.append(f"{f.name}: {token}")
    assert not bad, bad


def test_mesh_errors_come_before_assembly(monkeypatch, tmp_path):
    import omm_fem.steady as steady

    def boom(*a, **k):
        raise AssertionError("assembly must not start for an invalid mesh")

    monkeypatch.setattr(steady, "Discretization", boom)
    bad = tmp_path / "bad.msh"
    bad.write_text("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n")
    cfg = {"geometry": {"kind": "mesh", "file": str(bad)},
           "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.1, "sigma": 1e-3,
                        "X": [[1e31, 0, 0], [0, 1e31, 0], [0, 0, 1e31]]},
           "contacts": {"a": {"current": 1e-6}, "b": {"voltage": 0.0}}}
    from omm_fem.errors import OmmError
    from omm_fem.run import run

    with pytest.raises(OmmError, match="bad.msh"):
        run(parse_config(cfg), progress=False)
