"""`omm-fem fit`: parameters with error bars from measured curves on the device geometry.

Synthetic data come from the ordinary run (`omm_fem.run.run`, direct field sweep)
at known parameters on two Hall bars; the fit's own model (one reduced basis per
dataset, alpha/D/tau/X through the scaled operator) is compared with that engine
and with a rebuild of the pipeline at every parameter set.
"""
import copy
import json
import math

import numpy as np
import pytest

import omm_fem as om
from omm_fem.cli import main
from omm_fem.config import parse_config
from omm_fem.errors import ConfigError
from omm_fem.fitting import load_fit, parse_fit
from omm_fem.fitting.model import DatasetModel, scaled_path_reason
from omm_fem.run import run
from omm_fem.studies import bench_fit

HALL_BAR = bench_fit.HALL_BAR.replace("{order}", "1").replace("{mesh_extra}",
                                                              "edge_size = 1.5e-8")
TRUTH = {"alpha": 0.06, "D": 1.2e-2, "tau": 1.3e-12}
START = {"alpha": {"value": 0.05, "min": 0.0, "max": 0.5},
         "D": {"value": 1e-2, "min": 5e-3, "max": 2e-2},
         "tau": {"value": 1e-12, "min": 5e-13, "max": 2e-12}}
B_T = np.linspace(0.0, 4.0, 21)
WIDTHS = {"wide": 0.4e-6, "narrow": 0.25e-6}


def _loads(text):
    from omm_fem.config import tomllib  # tomli on Python 3.10

    return tomllib.loads(text)


def _synthetic(width):
    """mr(B) of Rxx from the ordinary run (direct sweep) at the true parameters."""
    cfg = _loads(HALL_BAR.format(width=width))
    cfg["material"].update(TRUTH)
    cfg["sweep"] = {"B_T": B_T.tolist(), "direction": [1.0, 0.0, 0.0], "method": "direct"}
    R = np.array(run(parse_config(cfg), progress=False).results["sweep"]["measurements"]["Rxx"]
                 ["R_ohm"])
    return (R - R[0]) / R[0]


@pytest.fixture(scope="module")
def clean():
    return {name: _synthetic(w) for name, w in WIDTHS.items()}


def _write_case(folder, clean, *, noise=0.02, seed=1, names=("wide", "narrow"), params=START,
                repeat=1, compare=False):
    rng = np.random.default_rng(seed)
    datasets = []
    for name in names:
        base = name.split("#")[0]
        (folder / f"{base}.toml").write_text(HALL_BAR.format(width=WIDTHS[base]))
        y = clean[base]
        s = noise * np.abs(y).max()
        noisy = y + s * rng.standard_normal(y.size)
        B, yy = np.tile(B_T, repeat), np.tile(noisy, repeat)
        rows = "".join(f"{float(b)!r},{float(v)!r},{float(s)!r}\n" for b, v in zip(B, yy))
        csv = folder / f"{name.replace('#', '_')}.csv"
        csv.write_text("B_T,mr,sigma\n" + rows)
        datasets.append({"name": name, "config": f"{base}.toml", "data": csv.name,
                         "measure": "Rxx", "quantity": "mr", "direction": [1.0, 0.0, 0.0]})
    return {"dataset": datasets,
            "parameters": {f"material.{k}": dict(v) for k, v in params.items()},
            "fit": {"compare_formula": compare}}


def _toml(d):
    """A minimal TOML writer for the FIT dicts of these tests."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        return repr(float(v))
    lines = []
    for ds in d["dataset"]:
        lines.append("[[dataset]]")
        lines += [f"{k} = {val(v)}" for k, v in ds.items()]
    lines.append("[parameters]")
    lines += [f'"{k}" = {val(v)}' for k, v in d["parameters"].items()]
    lines.append("[fit]")
    lines += [f"{k} = {val(v)}" for k, v in d["fit"].items()]
    return "\n".join(lines) + "\n"


def test_fit_recovers_the_parameters_of_two_hall_bars(tmp_path, clean, capsys):
    (tmp_path / "fit.toml").write_text(_toml(_write_case(tmp_path, clean, compare=True)))
    assert main(["fit", str(tmp_path / "fit.toml"), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "fit: evaluation 1: chi2 =" in printed and "strip formula:" in printed
    res = json.loads((tmp_path / "out" / "fit.json").read_text())
    for key, truth in TRUTH.items():
        p = res["parameters"][f"material.{key}"]
        # noise of 2% of the signal, fixed seed: the truth within 3 standard errors
        assert abs(p["value"] - truth) <= 3 * p["stderr"], (key, p, truth)
        assert p["stderr"] < 0.05 * truth and p["initial"] == START[key]["value"]
    # 42 points, 3 parameters: reduced chi^2 of a correct model with the stated sigma ~ 1
    assert 0.4 < res["reduced_chi2"] < 1.8 and res["n_data"] == 42
    C = np.array(res["correlation"])
    assert C.shape == (3, 3) and np.allclose(np.diag(C), 1.0) and np.allclose(C, C.T)
    assert res["parameter_names"] == ["material.alpha", "material.D", "material.tau"]
    strong = [(i, j) for i in range(3) for j in range(i + 1, 3) if abs(C[i, j]) > 0.95]
    assert len([w for w in res["warnings"] if "strongly correlated" in w]) == len(strong)
    assert [d["name"] for d in res["datasets"]] == ["wide", "narrow"]
    assert all(d["rms_residual"] > 0 for d in res["datasets"])
    # the strip formula ignores the arms and the contacts: its fit is reported beside
    # the FEM one and lands elsewhere (its L_m is the biased number a 1D fit gives)
    f = res["formula"]["parameters"]
    assert res["formula"]["reduced_chi2"] > res["reduced_chi2"]
    assert abs(f["material.D"]["value"] - TRUTH["D"]) > 3 * f["material.D"]["stderr"]
    rows = (tmp_path / "out" / "fit.csv").read_text().splitlines()
    assert rows[0] == "dataset,B_T,data,sigma,model,residual" and len(rows) == 43
    assert (tmp_path / "out" / "fit.png").stat().st_size > 20_000


def test_stderr_shrinks_like_one_over_sqrt_n(tmp_path, clean):
    """The same points twice: identical optimum, J^T J and chi^2 doubled, so
    stderr(2N) / stderr(N) = sqrt((N - p) / (2N - p)) (the reduced chi^2 scaling)."""
    params = {k: v for k, v in START.items() if k != "tau"}
    one = parse_fit(_write_case(tmp_path, clean, names=("wide",), params=params), tmp_path)
    two = parse_fit(_write_case(tmp_path, clean, names=("wide",), params=params, repeat=2),
                    tmp_path)
    r1, r2 = om.fit(one, progress=False), om.fit(two, progress=False)
    N, p = 21, 2
    for path in r1.parameter_names:
        assert r2.value(path) == pytest.approx(r1.value(path), rel=1e-6)
        # 1e-4: the optimiser stops at tol = 1e-8 in chi^2; the Jacobian is by differences
        assert r2.stderr(path) / r1.stderr(path) == pytest.approx(
            math.sqrt((N - p) / (2 * N - p)), rel=1e-4)


def test_scaled_model_equals_the_rebuilt_pipeline_and_the_run(tmp_path, clean):
    """The fit's scaled reduced model at parameters far from the reference equals a new
    pipeline built at those parameters (direct sweep) and the ordinary run's curve."""
    params = {**START, "X.zz": {"value": 2.44, "min": 1.0, "max": 5.0}}
    spec = parse_fit(_write_case(tmp_path, clean, names=("wide",), params=params), tmp_path)
    model = DatasetModel(spec.datasets[0], spec.parameters)
    assert model.reason is None
    at = {"material.alpha": 0.06, "material.D": 1.2e-2, "material.tau": 1.3e-12,
          "material.X.zz": 2.44}
    y = model.evaluate(at)
    # the ordinary run at the truth (X.zz = 2.44 there): rounding of two solvers, 1e-9
    ref = clean["wide"]
    assert np.abs(y - ref).max() <= 1e-9 * np.abs(ref).max()
    moved = {**at, "material.D": 1.6e-2, "material.tau": 0.7e-12, "material.X.zz": 4.0}
    y = model.evaluate(moved)
    model.reason = "test: rebuild"  # every evaluation a new Pipeline and a direct sweep
    y_rebuilt = model.evaluate(moved)
    assert np.abs(y - y_rebuilt).max() <= 1e-9 * np.abs(y_rebuilt).max()
    assert np.abs(y - ref).max() > 1e-2 * np.abs(ref).max()  # the parameters matter


def test_rebuilt_path_for_parameters_outside_the_scaling(tmp_path, clean):
    spec0 = parse_config(_loads(HALL_BAR.format(width=4e-7)))
    spec = parse_fit(_write_case(tmp_path, clean, names=("wide",),
                                 params={**START, "sigma": {"value": 1.6e-3}}), tmp_path)
    assert scaled_path_reason(spec0, spec.parameters) == "fitted sigma"
    drift = copy.deepcopy(spec0.config)
    drift["solver"]["drift"] = True
    drift["material"]["mobility"] = 1.0
    assert "drift" in scaled_path_reason(parse_config(drift), spec.parameters[:3])


@pytest.mark.parametrize("change, message", [
    (lambda d: d["parameters"].update({"material.beta": {"value": 1.0}}), "'beta' is not a material"),
    (lambda d: d["parameters"].update({"geometry.width": {"value": 1e-7}}), "only scalars of [material]"),
    (lambda d: d["parameters"]["material.D"].update(value=0.5), "outside its bounds"),
    (lambda d: d["parameters"]["material.D"].update(min=3e-2, max=1e-2), "must be below max"),
    (lambda d: d["parameters"]["material.alpha"].update(value="big"), "expected a number"),
    (lambda d: d["dataset"][0].update(measure="Rxy"), "has the measurements ['two_terminal', 'Rxx']"),
    (lambda d: d["dataset"][0].update(quantity="R_ohm"), "has no column 'R_ohm'"),
    (lambda d: d["dataset"][0].pop("direction"), "direction: required with a B_T column"),
    (lambda d: d["dataset"][0].update(data="missing.csv"), "missing.csv' does not exist"),
    (lambda d: d["dataset"][0].update(data="/dev/zero"), "is not a regular file"),
    (lambda d: d["parameters"]["material.alpha"].update(max=1.5), "alpha must stay within"),
    (lambda d: d["dataset"][0].update(config="nope.toml"), "does not exist"),
    (lambda d: [p.update(fixed=True) for p in d["parameters"].values()], "nothing to fit"),
    (lambda d: d["fit"].update(tol=2.0), "fit.tol"),
])
def test_bad_input_is_a_clear_error_before_any_solve(tmp_path, clean, monkeypatch, change,
                                                     message, capsys):
    d = _write_case(tmp_path, clean, names=("wide",))
    change(d)
    (tmp_path / "fit.toml").write_text(_toml(d))
    monkeypatch.setattr(DatasetModel, "__init__", lambda *a, **k: pytest.fail("solved"))
    with pytest.raises(ConfigError) as exc:
        load_fit(tmp_path / "fit.toml")
    assert message in str(exc.value)
    assert main(["fit", str(tmp_path / "fit.toml"), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "fit.json").exists()


def test_csv_problems_name_the_row_and_column(tmp_path, clean):
    d = _write_case(tmp_path, clean, names=("wide",))
    csv = tmp_path / "wide.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join(lines[:3] + ["0.5,abc,1e-5"] + lines[4:]) + "\n")
    with pytest.raises(ConfigError, match=r"row 4, column 'mr': 'abc' is not a number"):
        parse_fit(d, tmp_path)
    csv.write_text("B_T,mr\n0,0\n1,0\n")
    with pytest.raises(ConfigError, match="2 points for 3 free parameters"):
        parse_fit(d, tmp_path)
    csv.write_text("B_T,mr,sigma\n0,0,1\n1,0,-1\n2,0,1\n3,0,1\n")
    with pytest.raises(ConfigError, match="'sigma' must be > 0"):
        parse_fit(d, tmp_path)


def test_bounds_that_need_too_fine_a_mesh_are_refused_up_front(tmp_path, clean):
    d = _write_case(tmp_path, clean, names=("wide",))
    (tmp_path / "wide.toml").write_text(HALL_BAR.format(width=4e-7).replace(
        "edge_size = 1.5e-8\n", "max_dofs = 5e4\n"))
    with pytest.raises(ConfigError, match="smallest boundary layer the parameter bounds allow"):
        parse_fit(d, tmp_path)


def test_plot_into_a_given_axes(tmp_path, clean):
    from matplotlib.figure import Figure

    spec = parse_fit(_write_case(tmp_path, clean, names=("wide",),
                                 params={k: v for k, v in START.items() if k != "tau"}), tmp_path)
    res = om.fit(spec, progress=False)
    fig = Figure()
    ax = fig.add_subplot()
    assert res.plot(ax=ax) is fig and len(ax.lines) >= 2
    assert len(res.plot().axes) == 2  # own figure: data/model and residual panels
    df = res.to_dataframe()
    assert list(df.columns) == ["dataset", "B_T", "data", "sigma", "model", "residual"]
    assert np.allclose(df["residual"], df["data"] - df["model"])


def test_dataset_configs_with_accuracy_on_demand_are_refused(tmp_path, clean):
    """A fit solves every dataset on one mesh of its own: a dataset config asking for
    [mesh] tolerance (refinement) would be silently ignored, so it is refused."""
    d = _write_case(tmp_path, clean, names=("wide",))
    cfg = tmp_path / "wide.toml"
    cfg.write_text(cfg.read_text().replace("[mesh]\n", "[mesh]\ntolerance = 1e-3\n"))
    assert "tolerance = 1e-3" in cfg.read_text()
    (tmp_path / "fit.toml").write_text(_toml(d))
    with pytest.raises(ConfigError, match="error_estimate/tolerance"):
        load_fit(tmp_path / "fit.toml")
