"""Shared builders for the core tests (strip problems with known exact solutions)."""
import numpy as np
import pytest

from omm_fem.geometry import rectangle
from omm_fem.material import Material
from omm_fem.problem import Contact, Problem, boundary_layer_length
from omm_fem.units import E_CHARGE, M_E

LM = 100e-9  # OMM diffusion length of the test material [m]


def strip_material(theta=0.1, *, alpha=0.05, mobility=1.0, offdiag=0.0, D=1e-2, tau=1e-12):
    """Test material: L_m = 100 nm, X = diag(1, 1, theta) / (0.041 m_e) (+ off-diagonals)."""
    X = np.diag([1.0, 1.0, theta])
    X[0, 1] = X[1, 0] = offdiag
    return Material(D=D, tau=tau, alpha=alpha, sigma=1.6e-3, mobility=mobility,
                    X=X / (0.041 * M_E))


def field_for_phi(mat, phi):
    """B [T] along x giving phi = (e/2) B X_yy tau."""
    return phi / (0.5 * E_CHARGE * mat.X[1, 1] * mat.tau)


def strip_problem(mat, B, *, width, length, edge_size=None, size=None, order=2, omm="reflecting",
                  drift=False, current=1e-6, grade_contacts=None):
    """Rectangle with source (current) / drain (ground) contacts."""
    if grade_contacts is None:
        grade_contacts = omm != "reflecting"
    mesh = rectangle(length=length, width=width, size=size or width / 4, edge_size=edge_size,
                     grade_contacts=grade_contacts)
    return Problem(mesh=mesh, materials=mat, B=B, order=order, drift=drift,
                   contacts=[Contact("source", current=current, omm=omm),
                             Contact("drain", voltage=0.0, omm=omm)])


@pytest.fixture
def make_strip():
    return strip_problem


def ell_of(mat, fields):
    return boundary_layer_length([mat], fields)
