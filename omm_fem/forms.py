"""Weak forms, one per physical term (SPEC §4, §5), in scaled variables.

Coefficients arrive as arrays of shape (nelems, nqp) through ``w`` (element-
wise constant material parameters, fields at quadrature points). The trial
function is ``u`` and the test function ``v``; skfem assembles
``A[i, j] = a(phi_j, phi_i)``.
"""
from skfem import BilinearForm, LinearForm
from skfem.helpers import dot, grad


@BilinearForm
def diffusion(u, v, w):
    """int c grad u . grad v   (c = D/D0 for OMM, sigma/sigma0 for charge)."""
    return w.c * dot(grad(u), grad(v))


@BilinearForm
def mass(u, v, w):
    """int c u v   (c = region indicator, or 1)."""
    return w.c * u * v


@BilinearForm
def drift(u, v, w):
    """-int u v_d . grad v   (v_d = mu_e grad phi0, scaled; total-flux form)."""
    return -u * (w.vx * grad(v)[0] + w.vy * grad(v)[1])


@BilinearForm
def surface_relaxation(u, v, w):
    """int_contact s u v ds   (Robin contact, Q . nu = s n)."""
    return w.s * u * v


@LinearForm
def orbital_hall_source(v, w):
    """int alpha eps_{i z k} J_k d_i v = int alpha (J_x d_y v - J_y d_x v)  (source of n^z)."""
    return w.alpha * (w.jx * grad(v)[1] - w.jy * grad(v)[0])


def delta_J(n, grad_n, w):
    """Delta J = alpha D (d_y n, -d_x n) + alpha mu_e n (E_y, -E_x) at quadrature points (SPEC §5).

    ``w`` carries the coefficients ``aD`` (alpha D), ``amu`` (alpha mu_e, 0 without
    drift), ``ex``, ``ey`` (E0 = -grad phi0); ``n`` is n^z. Used by the form
    below and, with the same coefficients, for the cell data of the outputs.
    """
    return (w.aD * grad_n[1] + w.amu * n * w.ey, -w.aD * grad_n[0] - w.amu * n * w.ex)


@BilinearForm
def curl_current(u, v, w):
    """int Delta J(n^z) . grad v (:func:`delta_J`).

    ``u`` is n^z; assembling once gives the load of the correction solve as a
    matrix-vector product ``W @ n_z`` (SPEC §5).
    """
    du = grad(u)
    dv = grad(v)
    # = delta_J(u, du, w) . dv, grouped by coefficient (the order the recorded results have)
    return (w.aD * (du[1] * dv[0] - du[0] * dv[1])
            + w.amu * u * (w.ey * dv[0] - w.ex * dv[1]))
