"""material_X (TOML inline table) and the `omm-fem xtensor` subcommand."""
import argparse
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from omm_fem.errors import OmmError
from omm_fem.units import M_E
from omm_fem.xtensor import bilayer_graphene, cli, graphene_multilayer, inverse_mass_tensor, material_X


def test_material_X_matches_api():
    X, info = material_X({"model": "blg", "mu": 0.2, "T": 300.0, "V": 0.1, "nk": 56})
    ref = inverse_mass_tensor(bilayer_graphene(V=0.1), mu=0.2, T=300.0, nk=56)
    assert X.shape == (3, 3) and np.array_equal(X, X.T)
    assert np.array_equal(X, ref.X)
    json.dumps(info)  # JSON-serialisable
    assert info["model"] == "blg" and info["parameters"]["V"] == 0.1
    assert np.allclose(info["X_per_m_e"], X * M_E)
    assert info["theta"] == pytest.approx(X[2, 2] / X[1, 1])
    assert set(info) >= {"relative_error", "converged", "n_kpoints", "error_per_m_e", "X_per_kg"}


def test_material_X_stacks_and_options():
    X, info = material_X({"model": "abc", "layers": 4, "mu": 0.3, "nk": 56, "g_s": 2,
                          "gamma1": -0.4, "d": 3.4e-10})
    ref = inverse_mass_tensor(graphene_multilayer(4, "ABC", gamma1=-0.4, d=3.4e-10), mu=0.3, nk=56, g_s=2)
    assert np.array_equal(X, ref.X)
    assert info["parameters"]["layers"] == 4 and info["model_label"] == "abc4"


@pytest.mark.parametrize("spec, field", [
    ({"model": "blg", "mu": 0.2, "mu_eV": 1}, "material.X.mu_eV"),
    ({"model": "tlg", "mu": 0.2}, "material.X.model"),
    ({"model": "blg"}, "material.X.mu"),
    ({"model": "blg", "mu": "0.2"}, "material.X.mu"),
    ({"model": "blg", "mu": 0.2, "T": -5.0}, "material.X.T"),
    ({"model": "blg", "mu": 0.2, "nk": 1}, "material.X.nk"),
    ({"model": "blg", "mu": 0.2, "layers": 3}, "material.X.layers"),
    ({"model": "aba", "mu": 0.2, "layers": 0}, "material.X.layers"),
    ({"model": "blg", "mu": 0.2, "d": 3.35}, "material.X.d"),
    ({"model": "blg", "mu": 0.2, "g_s": 0}, "material.X.g_s"),
])
def test_material_X_bad_input(spec, field):
    with pytest.raises(OmmError, match=field.replace(".", r"\.")):
        material_X(spec)


def test_material_X_not_a_table():
    with pytest.raises(OmmError, match="material.X"):
        material_X([("model", "blg")])


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="omm-fem")
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["xtensor"] + argv)
    code = cli.run(args)
    return code, capsys.readouterr()


def test_cli_single_point(tmp_path, capsys):
    code, out = _run(["--mu", "0.2", "1.0", "--V", "0.1", "--nk", "56", "--out", str(tmp_path)], capsys)
    assert code == 0
    assert "X_zz_per_m_e" in out.out
    rows = list(csv.DictReader(open(tmp_path / "xtensor.csv")))
    assert [float(r["mu_eV"]) for r in rows] == [0.2, 1.0]
    doc = json.load(open(tmp_path / "xtensor.json"))
    ref = inverse_mass_tensor(bilayer_graphene(V=0.1), mu=1.0, T=300.0, nk=56)
    assert doc["results"][1]["X_per_m_e"][2][2] == pytest.approx(ref.X_me[2, 2], rel=1e-12)
    assert float(rows[1]["X_xx_per_m_e"]) == pytest.approx(ref.X_me[0, 0], rel=1e-9)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


def test_cli_scans(tmp_path, capsys):
    code, _ = _run(["--scan", "mu", "--range", "-0.6", "0.6", "--num", "7", "--V", "0.38", "--nk", "56",
                    "--out", str(tmp_path)], capsys)
    assert code == 0
    rows = list(csv.DictReader(open(tmp_path / "xtensor_scan_mu.csv")))
    assert len(rows) == 7 and rows[3]["in_gap"] == "yes" and rows[0]["in_gap"] == "no"
    assert (tmp_path / "xtensor_scan_mu.png").stat().st_size > 1000
    code, _ = _run(["--scan", "V", "--range", "0", "0.2", "--num", "2", "--mu", "0.3", "--nk", "28",
                    "--no-plot", "--out", str(tmp_path)], capsys)
    assert code == 0
    rows = list(csv.DictReader(open(tmp_path / "xtensor_scan_V.csv")))
    assert [float(r["V_eV"]) for r in rows] == [0.0, 0.2]
    assert not (tmp_path / "xtensor_scan_V.png").exists()


@pytest.mark.parametrize("argv", [
    ["--mu", "0.2", "--T", "-1"],
    ["--mu", "0.2", "--nk", "3"],
    ["--scan", "mu", "--mu", "0.2"],
    [],
    ["--scan", "V", "--num", "1"],
    ["--model", "blg", "--layers", "3", "--mu", "0.2"],
])
def test_cli_bad_input(argv, tmp_path, capsys):
    code, out = _run(argv + ["--out", str(tmp_path)], capsys)
    assert code == 2
    assert "error" in out.err


def test_no_matplotlib_on_import():
    code = ("import sys, omm_fem.xtensor, omm_fem.xtensor.cli, omm_fem.xtensor.figures; "
            "print('matplotlib' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert res.stdout.strip() == "False"
