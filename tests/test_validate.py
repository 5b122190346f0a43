"""`omm-fem validate`: the quick suite passes and writes its report; a broken tolerance
is a failure with exit code 1; bad input is exit code 2; the full-only paths work on a
reduced grid."""
import argparse
import json

import numpy as np
import pytest

from omm_fem.errors import OmmError
from omm_fem.validate import STUDIES, Case, apply_tolerances, devices, run_suite
from omm_fem.validate import cli as vcli
from omm_fem.validate.report import benchmark_tables


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("validate-quick")
    return run_suite(quick=True, out=out)


def test_quick_suite_passes_and_reports_every_case(quick):
    assert quick.passed, [(c.id, c.error, c.tolerance) for c in quick.failed]
    assert [s.name for s in quick.studies] == list(STUDIES)
    report = (quick.out / "report.md").read_text()
    for c in quick.cases:
        assert f"`{c.id}`" in report
    assert "**FAIL**" not in report
    for s in quick.studies:
        for name, _ in s.figures:
            assert (quick.out / name).stat().st_size > 10_000  # a real PNG, not an empty file
            assert f"]({name})" in report
    data = json.loads((quick.out / "results.json").read_text())
    assert data["passed"] is True
    assert {c["id"] for c in data["cases"]} == {c.id for c in quick.cases}


def test_quick_suite_numbers_unchanged(quick):
    from test_golden import validate_unchanged

    assert validate_unchanged(json.loads((quick.out / "results.json").read_text())) == []


def test_quick_suite_covers_the_issue(quick):
    ids = {c.id for c in quick.cases}
    assert {"fig3.a", "fig3.b", "fig3.c", "fig3.d", "corbino.n", "corbino.rho",
            "hallbar.long_narrow", "transient.switch_on", "claims.mn_max_value",
            "nonlocal.hbar", "nonlocal.cross", "nonlocal.order", "nonlocal.leg_ends"} <= ids
    figs = {name for s in quick.studies for name, _ in s.figures}
    assert {"fig3a.png", "fig3b.png", "fig3c.png", "fig3d.png", "mn_thickness.png",
            "blg_vs_mn.png", "corbino.png", "nonlocal.png"} <= figs
    report = (quick.out / "report.md").read_text()
    assert "as last measured by validation/bench_pipeline.py" in report
    assert "SPEC §9.1" in report  # the field-scale convention


def test_report_numbers_come_from_the_run(quick):
    """The Mn maximum and the BLG ratio in the report are the run's values."""
    claims = next(s for s in quick.studies if s.name == "claims")
    report = (quick.out / "report.md").read_text()
    d = claims.data
    assert f"{d['max_fem']:.3g}" in report
    paper = next(r for r in d["blg"] if r["variant"] == "paper" and r["B_T"] == d["B_main"])
    assert f"the ratio is {paper['ratio']:.3g}" in report
    assert paper["ratio"] == pytest.approx(paper["max_fem"] / d["mn_max"][d["B_main"]]["value_fem"])


def test_broken_tolerance_is_a_failure(tmp_path):
    res = run_suite(only=["invariants"], out=tmp_path, tolerances={"invariants.current_balance": 0.0})
    assert not res.passed
    assert [c.id for c in res.failed] == ["invariants.current_balance"]
    assert res.failed[0].error > 0.0
    report = (tmp_path / "report.md").read_text()
    assert "**FAIL**" in report and "overridden" in report


def test_cli_exit_codes(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    vcli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", "--quick", "--out", str(tmp_path / "a"),
                              "--only", "invariants"])
    assert args.func is vcli.run
    assert vcli.run(args) == 0
    assert vcli.run(args, tolerances={"invariants.current_balance": 0.0}) == 1
    assert "FAIL invariants.current_balance" in capsys.readouterr().out
    # bad input: unknown study, unknown case, output path that is a file
    assert vcli.run(parser.parse_args(["validate", "--only", "nope", "--out", str(tmp_path)])) == 2
    assert vcli.run(args, tolerances={"strip.nz.x": 0.0}) == 2
    (tmp_path / "file").write_text("x")
    bad_out = parser.parse_args(["validate", "--only", "invariants", "--out",
                                 str(tmp_path / "file")])
    assert vcli.run(bad_out) == 2
    assert "error" in capsys.readouterr().err


def test_default_output_directory():
    parser = argparse.ArgumentParser()
    vcli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate"])
    assert args.out == "omm-fem-validate" and args.quick is False


def test_tolerance_overrides_and_verdicts():
    cases = [Case("s.a", "q", 1.0, 1.0, 1e-6, 1e-5, "why"), Case("s.b", "q", 1.0, 1.0, float("nan"),
                                                                   1.0, "why")]
    assert cases[0].passed and not cases[1].passed  # NaN never passes
    apply_tolerances(cases, {"s.a": 0.0})
    assert not cases[0].passed and "overridden" in cases[0].why
    with pytest.raises(OmmError, match="no such case"):
        apply_tolerances(cases, {"s.c": 1.0})
    with pytest.raises(OmmError, match=">= 0"):
        apply_tolerances(cases, {"s.a": -1.0})


def test_benchmark_tables_are_labelled_by_their_script(tmp_path):
    (tmp_path / "bench_x.md").write_text("# X\n\n| a |\n|---|\n| 1 |\n")
    (tmp_path / "bench_x.py").write_text("")
    (tmp_path / "y_benchmark.md").write_text("# Y\n\nline\n")
    (tmp_path / "other.md").write_text("not a benchmark")
    text = benchmark_tables(tmp_path)
    assert "validation/bench_x.md — as last measured by validation/bench_x.py" in text
    assert "validation/y_benchmark.md — as last measured by (no script of that name found)" in text
    assert "not a benchmark" not in text and "| 1 |" in text


@pytest.mark.slow
def test_full_hall_bar_study_on_a_reduced_grid(tmp_path, monkeypatch):
    """The map, its resolution check, the rule of thumb and the map figures (full-run path)."""
    monkeypatch.setattr(devices, "GRID", {"W": [3.0], "LW": [4.0, 8.0], "aw": [0.3],
                                          "contacts": ["sink", "reflecting"]})
    res = run_suite(quick=False, only=["hallbar"], out=tmp_path)
    study = res.studies[0]
    assert {c.id for c in study.cases} == {"hallbar.long_narrow", "hallbar.map_resolution"}
    rows = study.data["rows"]
    assert len(rows) == 4
    # error falls with the probe spacing; Eq. (22) overestimates in wide bars
    e = {(r["LW"], r["contacts"]): r["eH"] for r in rows}
    assert 0 < e[(8.0, "sink")] < e[(4.0, "sink")]
    assert "Rule of thumb" in (tmp_path / "report.md").read_text()
    for key in ("eH", "e0"):
        assert (tmp_path / f"hallbar_map_{key}.png").stat().st_size > 10_000


def test_corbino_has_no_hmr_on_any_mesh():
    """The zero is exact: even a coarse P1 disc gives n = 0 to rounding, sink or reflecting."""
    for cond in ("sink", "reflecting"):
        r = devices.corbino_point(1.0, 0.5, cond)
        assert r["n_ratio"] < 1e-12 and r["rho_ratio"] < 1e-12
        assert np.abs(r["rho_strip"]).min() > 1e-4  # Eq. (22) predicts a finite effect


@pytest.mark.slow
def test_full_xtensor_study_draws_fig2(tmp_path, monkeypatch):
    """Fig. 2(a)-(b) path of the full run, on coarse scans (the full run uses 201 x 26 points)."""
    import omm_fem.xtensor.figures as xf

    a0, b0 = xf.fig2a_data, xf.fig2b_data
    monkeypatch.setattr(xf, "fig2a_data", lambda: a0(mu=np.linspace(-1, 1, 11), tol=1e-3))
    monkeypatch.setattr(xf, "fig2b_data", lambda: b0(V=[0.1, 0.38], mu=(0.1, 1.0), tol=1e-3))
    res = run_suite(quick=False, only=["xtensor"], out=tmp_path)
    ids = {c.id for c in res.cases}
    assert {"xtensor.fig2a_even", "xtensor.fig2b_gap", "xtensor.curvature"} <= ids
    assert res.passed, [(c.id, c.error) for c in res.failed]
    for name in ("fig2a.png", "fig2b.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    lo, hi = res.studies[0].data["fig2"]["theta_range"]
    assert 0.1 < lo < hi  # computed theta, not the paper's 1e-2 (SPEC §9 item 5)
