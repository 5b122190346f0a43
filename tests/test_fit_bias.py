"""The strip-formula bias study (omm_fem.studies.fit_formula_bias) on a one-case grid:
the FEM fit of its own noise-free data returns the truth, the formula's bias is
reported and the exact strip (the control) bounds the comparison's floor."""
import math

from omm_fem.studies import fit_formula_bias


def test_one_case_grid():
    res = fit_formula_bias.run(arm_fractions=(0.25,), aspects=(2.0,))
    strip, hb = res["rows"]
    assert (strip["kind"], hb["kind"]) == ("strip", "hall_bar")
    for row in res["rows"]:
        assert row["fem_max_rel_error"] < 1e-5, row
        for key in ("L_m_ratio", "alpha_ratio", "tau_ratio", "reduced_chi2", "rms_over_signal",
                    "bias_sigma"):
            assert math.isfinite(row[key]), (key, row)
    # on the exact strip the formula is exact up to the mesh (P1, L_m/8 edges: measured
    # 2e-4 on the full grid; 1e-3 leaves room for this one-case grid's start)
    for key in ("L_m_ratio", "alpha_ratio", "tau_ratio"):
        assert abs(strip[key] - 1) < 1e-3, (key, strip[key])
    # the short Hall bar's L_m from the formula is biased well above that floor
    assert abs(hb["L_m_ratio"] - 1) > 0.01
    text = fit_formula_bias.table(res)
    assert "| Hall bar | 0.25 | 2 |" in text and f"{hb['L_m_ratio']:.4f}" in text
    assert "Conclusion" in text and f"Machine: {res['cores']} cores" in text
