"""examples/fit_mn: the Mn thickness series (Sala et al., PRL 131, 156703 (2023)) is
fitted back to the parameters its synthetic data were made with."""
import importlib.util
import math
from pathlib import Path

import numpy as np

import omm_fem as om

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fit_mn"


def _make_data():
    spec = importlib.util.spec_from_file_location("fit_mn_make_data", EXAMPLE / "make_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fit_recovers_the_truth():
    truth = _make_data().TRUTH
    res = om.fit(EXAMPLE / "fit_mn.toml", progress=False)
    assert not res.warnings, res.warnings
    free = [p for p, v in res.parameters.items() if not v["fixed"]]
    assert sorted(free) == ["material.D", "material.alpha"]
    assert res.value("material.tau") == truth["material.tau"]
    for path in free:
        value, err = res.value(path), res.stderr(path)
        assert 0 < err < 0.05 * abs(value), (path, value, err)
        assert abs(value - truth[path]) < 3 * err, (path, value, err, truth[path])
    # L_m = sqrt(D tau) with tau held: its relative error is half that of D
    L_m = math.sqrt(res.value("material.D") * truth["material.tau"])
    L_err = L_m * res.stderr("material.D") / res.value("material.D") / 2
    assert abs(L_m - 2e-9) < 3 * L_err, (L_m, L_err)
    assert 0.5 < res.reduced_chi2 < 2.0
    # the films are exact strips: the strip formula agrees with the FEM within its error bars
    for path in free:
        assert abs(res.formula.value(path) - res.value(path)) < res.stderr(path)


def test_make_data_reproduces_the_csvs(tmp_path):
    _make_data().main(["--out", str(tmp_path)])
    for name in ("mn_t3.csv", "mn_t6.csv", "mn_t12.csv"):
        new = np.loadtxt(tmp_path / name, delimiter=",", comments="#", skiprows=2)
        old = np.loadtxt(EXAMPLE / name, delimiter=",", comments="#", skiprows=2)
        sigma = old[0, 2]
        np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-4 * sigma)
