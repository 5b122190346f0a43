"""Long narrow Hall bar: the four-terminal R_xx follows the strip formula (Eq. 22-23).

Between two probes far from the contacts the channel is a strip; the arms
perturb it over a length ~ L_m around each probe, so the deviation of rho*(B)
from the strip formula scales like (arm width) / (probe spacing) and vanishes
for narrow arms (measured: 1.85e-3 for arm width 0.3 L_m and 0.86e-3 for
0.1 L_m with probes 40 L_m apart; 2.4e-3 for 0.15 L_m at the CI size below).
"""
import numpy as np
import pytest

from omm_fem.config import parse_config
from omm_fem.run import run
from omm_fem.units import E_CHARGE, M_E

LM = 1e-6  # OMM diffusion length of the test material
XM = 24.4  # X = XM / m_e, isotropic (theta = 1)


def hall_bar_config(arm_width, *, length, arms, edge, width=2.0, phi_max=3.0, num=6):
    tau = 1e-12
    B_max = phi_max / (0.5 * E_CHARGE * XM / M_E * tau)
    return {
        "geometry": {"kind": "hall_bar", "length": length * LM, "width": width * LM,
                     "arms": [a * LM for a in arms], "arm_width": arm_width * LM,
                     "arm_length": 1.0 * LM},
        "mesh": {"order": 1, "edge_size": edge * LM},
        "material": {"D": LM**2 / tau, "tau": tau, "alpha": 0.05, "sigma": 1e-3,
                     "X": [[XM, 0, 0], [0, XM, 0], [0, 0, XM]], "X_unit": "1/m_e"},
        "sweep": {"B_T": {"start": 0.0, "stop": B_max, "num": num}},
        "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}},
        "measure": [{"name": "Rxx", "current": ["source", "drain"],
                     "voltage": ["probe_1_top", "probe_2_top"]}],
        "solver": {"drift": False},
        "output": {"strip_overlay": True},
    }


def deviation(cfg):
    res = run(parse_config(cfg), progress=False)
    sw = res.results["sweep"]
    m = sw["measurements"]["Rxx"]
    assert res.results["current_balance"] < 1e-10
    return np.abs(np.asarray(m["rho_star"]) - sw["strip"]["rho_star"]).max()


@pytest.mark.slow
def test_hall_bar_deviation_shrinks_as_arms_narrow():
    # CI size: 20 widths long, probes 20 L_m apart
    wide = deviation(hall_bar_config(0.3, length=40, arms=[10, 30], edge=0.08))
    narrow = deviation(hall_bar_config(0.15, length=40, arms=[10, 30], edge=0.08))
    assert narrow < 0.75 * wide
    assert narrow < 3e-3  # measured 2.4e-3; the 1e-3 acceptance is the slow test below


@pytest.mark.slow
def test_long_narrow_hall_bar_matches_the_strip_formula():
    # 30 widths long, probes 40 L_m apart and 10 L_m from the contacts
    wide = deviation(hall_bar_config(0.3, length=60, arms=[10, 50], edge=0.04))
    narrow = deviation(hall_bar_config(0.1, length=60, arms=[10, 50], edge=0.04))
    assert narrow < wide
    assert narrow <= 1e-3
