"""van der Pauw sheet resistance (omm_fem.vdp): the equation, the detection of the two
configurations on the shipped cross, R_s = 1/sigma at the discretisation accuracy, and one
configured run giving both van der Pauw resistances and the Hall resistance, each equal to
a dedicated single-drive run."""
import math
import sys

import numpy as np
import pytest
from test_circuits import CROSS_RUN, MESH, MESH_PATH, _problem

import omm_fem as om
from omm_fem.config import parse_config
from omm_fem.run import run
from omm_fem.vdp import boundary_order, find_configurations, sheet_resistance

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SIGMA = 1.6e-3


def _cross():
    """The cross run of tests/test_circuits.py (vdP pair R_12,34 and Hall R_13,24) at
    B = 0 with a two-field sweep and the second vdP configuration R_23,41."""
    cfg = tomllib.loads(CROSS_RUN.format(mesh=MESH_PATH))
    cfg["field"]["B"] = [0.0, 0.0, 0.0]
    cfg["sweep"]["B_T"] = [0.0, 2.0]
    cfg["measure"].append({"name": "vdp_23_41", "current": ["c2", "c3"],
                           "voltage": ["c4", "c1"]})
    assert cfg["material"]["sigma"] == SIGMA
    return cfg


def test_the_van_der_pauw_equation():
    R = 137.9
    assert sheet_resistance(R, R) == pytest.approx(math.pi * R / math.log(2), rel=1e-15)
    for R1, R2 in [(1.0, 3.0), (250.0, 1.0), (1e-3, 2e-3)]:
        Rs = sheet_resistance(R1, R2)
        assert math.exp(-math.pi * R1 / Rs) + math.exp(-math.pi * R2 / Rs) == pytest.approx(
            1.0, abs=4e-15)
        assert sheet_resistance(R2, R1) == pytest.approx(Rs, rel=1e-14)
    assert sheet_resistance(-1.0, 2.0) is None and sheet_resistance(1.0, float("nan")) is None


def test_the_configurations_are_found_from_the_boundary_order():
    order, why = boundary_order(MESH, ["c4", "c2", "c1", "c3"])
    k = order.index("c1")
    assert why is None and order[k:] + order[:k] in (["c1", "c2", "c3", "c4"],
                                                     ["c1", "c4", "c3", "c2"])
    M = om.Measurement
    contacts = ["c1", "c2", "c3", "c4"]
    hall = M("h", ("c1", "c3"), ("c2", "c4"))
    a, b = M("a", ("c1", "c2"), ("c3", "c4")), M("b", ("c2", "c3"), ("c1", "c4"))
    got = find_configurations(MESH, contacts, [hall, a, b])
    assert got["names"] == ("a", "b")
    # a: V_c3 - V_c4 < 0 (c3 next to the drain c2); b: V_c1 - V_c4 > 0 (c1 next to c2)
    assert got["signs"] == (-1.0, 1.0)
    assert find_configurations(MESH, contacts, [a, M("a2", ("c3", "c4"), ("c1", "c2"))]) is None
    assert find_configurations(MESH, contacts, [hall, a]) is None
    ring = om.annulus(inner_radius=1e-6, outer_radius=2e-6, edge_size=2e-7)
    assert "holes" in boundary_order(ring, ["inner", "outer"])[1]


@pytest.fixture(scope="module")
def cross_run():
    return run(parse_config(_cross()), progress=False).results


def test_sheet_resistance_is_one_over_sigma(cross_run):
    """R_s from the alpha^0 resistances is 1/sigma to the discretisation accuracy: measured
    7.6e-4 with P1 on cross.msh and 4.9e-5 with P2 (the re-entrant corners of the cross
    limit the convergence; the field leaking into the floating arms, ~exp(-2 pi L/W) =
    8e-5 for the arms' symmetric modes, is below the P1 error). Tolerance 1.5e-3."""
    v = cross_run["van_der_pauw"]
    assert (v["R_AB,CD"], v["R_BC,DA"]) == ("vdp_12_34", "vdp_23_41")
    assert v["sheet_resistance0_ohm"] * SIGMA == pytest.approx(1.0, abs=1.5e-3)
    # the O(alpha^2) orbital correction of R moves R_s a little (alpha = 0.05: ~1e-5)
    rel = v["sheet_resistance_ohm"] / v["sheet_resistance0_ohm"] - 1
    assert 0 < abs(rel) < 10 * 0.05 ** 2
    sw = cross_run["sweep"]["van_der_pauw"]["sheet_resistance_ohm"]
    assert sw[0] == pytest.approx(v["sheet_resistance_ohm"], rel=1e-12)
    assert len(sw) == 2 and sw[1] != sw[0]


def test_one_run_equals_dedicated_single_drive_runs(cross_run):
    """Both van der Pauw resistances and the Hall resistance of one configured run equal
    dedicated runs driven through each pair alone, to 1e-10 (the same arithmetic on shared
    factorisations: rounding), at B = 0 and along the sweep; so does R_s."""
    u = np.array([1.0, 0.5, 0.7]) / np.linalg.norm([1.0, 0.5, 0.7])
    meas = {m["name"]: om.Measurement(m["name"], m["current"], m["voltage"])
            for m in _cross()["measure"]}
    mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=SIGMA,
                                 X=np.array([[24.4, 0, 0], [0, 30.0, 0], [0, 0, 2.44]]),
                                 X_unit="1/m_e")
    for k, b in enumerate([0.0, 2.0]):
        own = {}
        for name, m in meas.items():
            sol = om.solve(_problem(m.current, b * u, mat), measurements=[m])
            own[name] = sol.resistance(name)
            got = cross_run["sweep"]["measurements"][name]["R_ohm"][k]
            assert got == pytest.approx(own[name], rel=1e-10, abs=1e-10 * abs(
                sol.resistance0(name)))
            if k == 0:
                assert cross_run["measurements"][name]["R_ohm"] == pytest.approx(
                    own[name], rel=1e-10, abs=1e-10 * abs(sol.resistance0(name)))
        Rs = sheet_resistance(-own["vdp_12_34"], -own["vdp_23_41"])
        assert cross_run["sweep"]["van_der_pauw"]["sheet_resistance_ohm"][k] == pytest.approx(
            Rs, rel=1e-10)


def test_summary_and_a_sigma_sweep_report_the_sheet_resistance(cross_run):
    """R_s is 1/sigma times a number of the geometry and of the O(alpha^2) corrections,
    which do not depend on sigma: doubling sigma halves R_s to rounding. sweep.csv and the
    printed summary carry it."""
    import io

    import pandas as pd

    from omm_fem.report import summary
    from omm_fem.run import RunResult
    from omm_fem.tables import sweep_table

    line = [s for s in summary(RunResult(results=cross_run, spec=parse_config(
        _cross()), pipeline=None, solution=None)).splitlines() if s.startswith("van der Pauw")]
    assert len(line) == 1 and "over the sweep R_s = " in line[0]
    cfg = _cross()
    cfg["sweep"] = {"parameter": "material.sigma", "values": [SIGMA, 2 * SIGMA]}
    res = run(parse_config(cfg), progress=False).results
    Rs = [p["van_der_pauw"]["sheet_resistance_ohm"] for p in res["parameter_sweep"]["points"]]
    assert Rs[0] / Rs[1] == pytest.approx(2.0, rel=1e-10)
    df = pd.read_csv(io.StringIO(sweep_table(res)))
    assert df["van_der_pauw.sheet_resistance_ohm"].tolist() == Rs
    assert df["material.sigma_S"].tolist() == [SIGMA, 2 * SIGMA]
