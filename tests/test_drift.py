"""Drift (SPEC §3, §5) in a long strip with reflecting contacts.

Far from the contacts n is uniform in x, so the drift term v_d . grad n vanishes
and n is the exact strip profile; the drift part of Delta J,
alpha mu_e E0 x n = (0, -alpha mu_e E_x n^z), must then be balanced by a
transverse potential: d_y phi1 = -(alpha mu_e E_x / sigma) n^z(y). The contact
layers decay like exp(-k x) with k L_m = 0.9 for v_d L_m / D = 0.2, so at 15 L_m
from the contacts they are below 2e-6 of the edge values.
"""
import numpy as np
import pytest
from conftest import LM, field_for_phi, strip_material, strip_problem

from omm_fem import analytic
from omm_fem.postprocess import line_probe
from omm_fem.steady import Pipeline


def test_drift_middle_of_long_strip():
    mat = strip_material(0.5, mobility=1.0)
    W, L = 3 * LM, 30 * LM
    v = 0.2 * mat.D / LM            # drift speed [m/s]
    I = mat.sigma * (v / mat.mobility) * W  # current giving E_x = v / mu_e
    B = field_for_phi(mat, 1.5)
    pb = strip_problem(mat, [B, 0, 0], width=W, length=L, edge_size=LM / 10, size=LM,
                       drift=True, current=I)
    pipe = Pipeline(pb)
    sol = pipe.at_field([B, 0, 0])
    y = np.linspace(-W / 2, W / 2, 301) * (1 - 1e-9)
    P = line_probe(pipe, np.vstack([np.full_like(y, L / 2), y]))
    nz_ex, ny_ex = analytic.strip_profiles_si(y, width=W, J=I / W, B=B, material=mat)
    scale = np.abs(nz_ex).max()
    assert np.abs(P @ sol.n[2] - nz_ex).max() <= 1e-4 * scale
    assert np.abs(P @ sol.n[1] - ny_ex).max() <= 1e-4 * scale
    # transverse potential of the drift current
    phi1 = P @ (sol.phi - pipe.phi0)
    Ex = I / (W * mat.sigma)
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (nz_ex[1:] + nz_ex[:-1]) * np.diff(y))])
    expected = -(mat.alpha * mat.mobility * Ex / mat.sigma) * integral
    d_fem = phi1 - phi1[150]
    d_exp = expected - expected[150]
    assert np.abs(d_exp).max() > 0
    assert np.abs(d_fem - d_exp).max() <= 1e-4 * np.abs(d_exp).max()  # measured 1.6e-5


def test_drift_leaves_the_strip_current_correction_unchanged():
    # current conservation: the contact current equals the current through the middle
    # cross-section, where the profile is the exact one, so drift does not change Delta I/I0
    mat = strip_material(0.5)
    W = 3 * LM
    B = field_for_phi(mat, 1.5)
    r = []
    for drift in (False, True):
        pb = strip_problem(mat, [B, 0, 0], width=W, length=30 * LM, edge_size=LM / 8, size=LM,
                           drift=drift, current=mat.sigma * 0.2 * mat.D / LM * W)
        pipe = Pipeline(pb)
        r.append(pipe.two_terminal(pipe.at_field([B, 0, 0]))["delta_I_over_I0"])
    ref = analytic.strip_delta_I_over_I0(3.0, 1.5, 0.5, mat.alpha)
    assert r[0] == pytest.approx(ref, rel=1e-5)
    assert r[1] == pytest.approx(ref, rel=1e-5)
