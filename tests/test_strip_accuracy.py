"""Acceptance: the FEM reproduces the exact strip solution (SPEC §6).

Reflecting contacts and no drift make the strip solution exact at every x of a
finite rectangle, so a short rectangle (length 2 ell) tests the whole pipeline.
Tolerances are the issue's: n^z, n^y within 1e-4 of max|n^z| and Delta I/I0
within 1e-5 relative, for P2 with edge elements <= ell/8 (measured worst case
over this table: 3.5e-5 for n^y, 6e-8 for Delta I/I0).
"""
import itertools

import numpy as np
import pytest
from conftest import LM, ell_of, field_for_phi, strip_material, strip_problem

from omm_fem import analytic
from omm_fem.steady import Pipeline

CASES = list(itertools.product([1, 3, 10, 30], [0, 0.5, 2, 7.5, 50], [0.01, 0.1, 1, 20]))


def _max_edge_in_band(mesh, band, width):
    """Longest mesh edge with a vertex within ``band`` of the insulating edges."""
    e = mesh.p[:, mesh.facets]
    near = (width / 2 - np.abs(e[1]).max(axis=0)) < band
    return np.sqrt(((e[:, 0] - e[:, 1]) ** 2).sum(axis=0))[near].max()


@pytest.mark.parametrize("Lr,phi,theta", CASES)
def test_strip_limit_p2(Lr, phi, theta):
    mat = strip_material(theta)
    B = field_for_phi(mat, phi)
    ell = ell_of(mat, [[B, 0, 0]])
    W = Lr * LM
    pb = strip_problem(mat, [B, 0, 0], width=W, length=2 * ell, edge_size=ell / 8, order=2)
    assert _max_edge_in_band(pb.mesh, 2 * ell, W) <= ell / 8 * (1 + 1e-9)
    pipe = Pipeline(pb)
    sol = pipe.at_field(pb.B)
    p = pipe.disc.to_si_points()
    J = pipe.two_terminal(sol)["current0_A"] / W
    nz, ny = analytic.strip_profiles_si(p[1], width=W, J=J, B=B, material=mat)
    scale = np.abs(nz).max()
    assert np.abs(sol.n[2] - nz).max() <= 1e-4 * scale
    assert np.abs(sol.n[1] - ny).max() <= 1e-4 * scale
    assert np.abs(sol.n[0]).max() <= 1e-12 * scale  # n^x is not sourced for B along x
    ref = analytic.strip_delta_I_over_I0(Lr, phi, theta, mat.alpha)
    assert pipe.two_terminal(sol)["delta_I_over_I0"] == pytest.approx(ref, rel=1e-5)
