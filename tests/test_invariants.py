"""Physical invariants and solver-path agreement (SPEC §5, §8) on a 2D problem.

Sink contacts, drift on and a rectangle of 6 x 3 L_m make n genuinely 2D
(contact layers, corners), so nothing here relies on the strip limit.
"""
import numpy as np
import pytest
from conftest import LM, field_for_phi, strip_material, strip_problem

from omm_fem.material import Material
from omm_fem.problem import Problem
from omm_fem.steady import Pipeline

TOL_EXACT = 1e-10  # identities that hold exactly in the discrete system: only rounding remains


@pytest.fixture(scope="module")
def device():
    mat = strip_material(0.3)
    B = field_for_phi(mat, 3.0)
    pb = strip_problem(mat, [B, 0, 0], width=3 * LM, length=6 * LM, edge_size=LM / 8,
                       size=LM / 2, order=2, omm="sink", drift=True, current=2e-4)
    return mat, B, Pipeline(pb)


def rho(pipe, B):
    return pipe.two_terminal(pipe.at_field(B))["rho"]


def test_in_plane_direction_does_not_matter_when_Xxx_equals_Xyy(device):
    mat, B, pipe = device
    ref = rho(pipe, [B, 0, 0])
    for ang in (30, 90, 200, 301):
        a = np.radians(ang)
        assert rho(pipe, [B * np.cos(a), B * np.sin(a), 0]) == pytest.approx(ref, rel=TOL_EXACT)


def test_field_along_z_leaves_rho_unchanged(device):
    mat, B, pipe = device
    r0 = rho(pipe, [0, 0, 0])
    assert rho(pipe, [0, 0, B]) == pytest.approx(r0, rel=TOL_EXACT)
    assert rho(pipe, [B, 0, 0]) != pytest.approx(r0, rel=1e-3)  # an in-plane field does change it


def test_reversing_B_keeps_rho_and_flips_ny(device):
    mat, B, pipe = device
    s_plus, s_minus = pipe.at_field([B, 0, 0]), pipe.at_field([-B, 0, 0])
    assert pipe.two_terminal(s_minus)["rho"] == pytest.approx(pipe.two_terminal(s_plus)["rho"],
                                                               rel=TOL_EXACT)
    scale = np.abs(s_plus.n).max()
    assert np.abs(s_plus.n[1]).max() > 1e-3 * scale  # n^y is really there
    np.testing.assert_allclose(s_minus.n[1], -s_plus.n[1], atol=TOL_EXACT * scale)
    np.testing.assert_allclose(s_minus.n[2], s_plus.n[2], atol=TOL_EXACT * scale)


def test_contact_currents_balance(device):
    mat, B, pipe = device
    for field in ([0, 0, 0], [B, 0, 0], [0.3 * B, 0.5 * B, 0.2 * B]):
        sol = pipe.at_field(field)
        I = np.array(list(sol.currents.values()))
        assert abs(I.sum()) <= 1e-10 * np.abs(I).max()
        # the current-driven source keeps its current through the O(alpha^2) correction
        assert sol.currents["source"] == pytest.approx(2e-4, rel=1e-12)


@pytest.mark.parametrize("theta,offdiag,direction", [
    (0.3, 0.0, (1, 0, 0)),
    (0.0, 0.0, (1, 0, 0)),          # X_zz = 0: A is defective (Jordan block), Schur stays exact
    (0.5, 0.2, (0.6, -0.3, 0.74)),  # off-diagonal X, oblique field: all three modes coupled
    (2.0, -0.4, (0, 1, 0)),
])
def test_decoupled_and_coupled_block_solves_agree(theta, offdiag, direction):
    mat = strip_material(theta, offdiag=offdiag)
    B = field_for_phi(mat, 2.5) * np.asarray(direction, float) / np.linalg.norm(direction)
    pb = strip_problem(mat, B, width=3 * LM, length=4 * LM, edge_size=LM / 6, size=LM / 2,
                       order=2, omm="sink", drift=True, current=1e-4)
    dec = Pipeline(pb)
    cpl = Pipeline(pb, force_coupled=True)
    assert not dec.omm.coupled and cpl.omm.coupled
    s1, s2 = dec.at_field(B), cpl.at_field(B)
    scale = np.abs(s2.n).max()
    assert np.abs(s1.n - s2.n).max() <= 1e-10 * scale
    assert dec.two_terminal(s1)["rho"] == pytest.approx(cpl.two_terminal(s2)["rho"], rel=1e-10)


def test_b_along_x_costs_one_scalar_solve(device):
    mat, B, pipe = device
    assert pipe.at_field([B, 0, 0]).solves == 1      # one complex solve for the precessing pair
    assert pipe.at_field([0, 0, 0]).solves == 1      # B = 0: only n^z, one real solve


def test_two_regions_use_the_coupled_path_and_match_one_region():
    mat = strip_material(0.3)
    B = field_for_phi(mat, 2.0)
    pb1 = strip_problem(mat, [B, 0, 0], width=2 * LM, length=4 * LM, edge_size=LM / 6,
                        order=1, omm="sink")
    mesh = pb1.mesh
    mid = mesh.p[0, mesh.t].mean(axis=0) < 2 * LM
    mesh2 = mesh.with_subdomains({"left": np.flatnonzero(mid), "right": np.flatnonzero(~mid)})
    twin = Material(D=mat.D, tau=mat.tau, alpha=mat.alpha, sigma=mat.sigma,
                    mobility=mat.mobility, X=mat.X.copy() * (1 + 1e-15), name="right")
    pb2 = Problem(mesh=mesh2, materials={"left": mat, "right": twin}, contacts=pb1.contacts.values(),
                  B=[B, 0, 0], order=1, drift=False)
    p1, p2 = Pipeline(pb1), Pipeline(pb2)
    assert p2.omm.coupled
    s1, s2 = p1.at_field([B, 0, 0]), p2.at_field([B, 0, 0])
    assert np.abs(s1.n - s2.n).max() <= 1e-10 * np.abs(s1.n).max()
