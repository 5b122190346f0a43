"""Materials by region ([material.NAME]) on the shipped Hall-bar mesh (regions channel, arms)."""
from pathlib import Path

import numpy as np
import pytest

from omm_fem.config import parse_config
from omm_fem.errors import ConfigError
from omm_fem.steady import Pipeline

MESH = str(Path(__file__).resolve().parents[1] / "meshes" / "hall_bar.msh")
BASE = {"D": 0.09, "tau": 1e-12, "alpha": 0.05, "sigma": 1e-3, "mobility": 0.5,
        "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 5.0]], "X_unit": "1/m_e"}


def config(material):
    return {"geometry": {"kind": "mesh", "file": MESH}, "mesh": {"order": 1},
            "material": material, "field": {"B": [0.8, 0.3, 0.0]},
            "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}},
            "measure": [{"name": "Rxx", "current": ["source", "drain"],
                         "voltage": ["probe_1_top", "probe_2_top"]}]}


def solve(material, **kw):
    spec = parse_config(config(material))
    pipe = Pipeline(spec.build_problem(), **kw)
    return pipe, pipe.at_field(spec.B)


def test_identical_regions_reproduce_the_single_material():
    p1, s1 = solve(dict(BASE))
    p2, s2 = solve({"channel": dict(BASE), "arms": dict(BASE)})
    p3, s3 = solve({"channel": dict(BASE), "arms": dict(BASE)}, force_coupled=True)
    scale = np.abs(s1.n).max()
    for s in (s2, s3):
        assert np.abs(s.n - s1.n).max() <= 1e-10 * scale
    assert p2.two_terminal(s2)["rho"] == pytest.approx(p1.two_terminal(s1)["rho"], rel=1e-10)
    assert p3.two_terminal(s3)["rho"] == pytest.approx(p1.two_terminal(s1)["rho"], rel=1e-10)


def test_different_regions_use_the_coupled_path_and_conserve_current():
    arms = dict(BASE, D=0.02, sigma=3e-3, X=[[10.0, 0, 0], [0, 10.0, 0], [0, 0, 10.0]])
    pipe, sol = solve({"channel": dict(BASE), "arms": arms})
    assert pipe.omm.coupled
    I = np.array(list(sol.currents.values()))
    assert abs(I.sum()) <= 1e-10 * np.abs(I).max()
    # n is continuous across the channel/arm interface (one H1 space) and non-trivial in the arms
    arm_nodes = np.unique(pipe.problem.mesh.t[:, pipe.problem.mesh.subdomains["arms"]])
    assert np.abs(sol.n[2][arm_nodes]).max() > 1e-3 * np.abs(sol.n[2]).max()


def test_same_D_and_A_but_different_sigma_and_alpha_stays_decoupled():
    arms = dict(BASE, sigma=2e-3, alpha=0.02, D=0.05)
    dec, s1 = solve({"channel": dict(BASE), "arms": arms})
    cpl, s2 = solve({"channel": dict(BASE), "arms": arms}, force_coupled=True)
    assert not dec.omm.coupled and cpl.omm.coupled
    assert np.abs(s1.n - s2.n).max() <= 1e-10 * np.abs(s2.n).max()


def test_region_config_errors():
    with pytest.raises(ConfigError, match="material.arms.D"):
        parse_config(config({"channel": dict(BASE), "arms": dict(BASE, D=-1)}))
    with pytest.raises(ConfigError, match="material.leads: unknown key"):
        parse_config(config(dict(BASE, leads=1.0)))
    spec = parse_config(config({"channel": dict(BASE)}))
    with pytest.raises(Exception, match=r"regions without a material: \['arms'\]"):
        spec.build_problem()


def test_identical_regions_on_the_iterative_path():
    """The iterative path restricts each region's mass matrix in one pass
    (omm_fem.assembly.restrict); a region's matrix has empty rows (the other region's
    DOFs), trailing ones included: two identical regions still give the one material's
    answer (the coupled 3N OMM solve is direct; the charge solve by CG to 1e-10)."""
    p1, s1 = solve(dict(BASE))
    for coupled in (False, True):
        p2, s2 = solve({"channel": dict(BASE), "arms": dict(BASE)}, linear="iterative",
                       force_coupled=coupled)
        assert p2.linear == "iterative" and p2.omm.coupled == coupled
        assert p2.two_terminal(s2)["rho"] == pytest.approx(p1.two_terminal(s1)["rho"],
                                                           rel=1e-8)
