"""Convergence under uniform refinement: L2 error of n^z at rate 2 (P1) and 3 (P2), ±0.1.

Strip limit (reflecting contacts, no drift) so the exact solution is known
everywhere. The coarse mesh is uniform (no grading) with h = L_m/4 and the
boundary layer length is ell = L_m/1.6 (phi = 2, theta = 1), so three uniform
refinements stay in the asymptotic range.
"""
import numpy as np
import pytest
from conftest import LM, field_for_phi, strip_material, strip_problem
from skfem import Functional

from omm_fem import analytic
from omm_fem.problem import Problem
from omm_fem.steady import Pipeline


@Functional
def _sq_err(w):
    return (w.nz - w.exact) ** 2


def l2_error(pipe, sol, mat, B, W):
    basis = pipe.disc.basis
    y = np.asarray(basis.global_coordinates()[1]) * pipe.disc.units.length  # (nel, nqp) in m
    J = pipe.two_terminal(sol)["current0_A"] / W
    exact, _ = analytic.strip_profiles_si(y, width=W, J=J, B=B, material=mat)
    return np.sqrt(_sq_err.assemble(basis, nz=basis.interpolate(sol.n[2]), exact=exact))


@pytest.mark.parametrize("order,rate", [(1, 2.0), (2, 3.0)])
def test_l2_convergence_rate(order, rate):
    mat = strip_material(1.0)
    B = field_for_phi(mat, 2.0)
    W = 3 * LM
    pb = strip_problem(mat, [B, 0, 0], width=W, length=LM, size=LM / 4, order=order)
    mesh = pb.mesh
    errors, hs = [], []
    for level in range(4):
        pipe = Pipeline(Problem(mesh=mesh, materials=mat, contacts=pb.contacts.values(),
                                B=pb.B, order=order, drift=False))
        sol = pipe.at_field(pb.B)
        errors.append(l2_error(pipe, sol, mat, B, W))
        hs.append(LM / 4 / 2**level)
        mesh = mesh.refined()
    rates = np.diff(np.log(errors)) / np.diff(np.log(hs))
    assert abs(rates[-1] - rate) <= 0.1, rates
    assert abs(rates[-2] - rate) <= 0.15, rates  # one level earlier: nearly asymptotic
