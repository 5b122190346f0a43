"""The inverse-mass tensor ``X`` (Eq. 2, SPEC §10) from tight-binding models.

``X`` sets the precession rates of the orbital moment, ``(e/2) B x (X n)``;
its anisotropy ``theta = X_zz / X_yy`` is what distinguishes the orbital Hanle
effect of layered materials from the spin case. This subpackage computes
``X`` from a multilayer Hamiltonian (Eq. 10) so that a FEM material can be
specified by a model instead of by hand.

Quick start
-----------
>>> from omm_fem.xtensor import bilayer_graphene, inverse_mass_tensor
>>> res = inverse_mass_tensor(bilayer_graphene(V=0.1), mu=0.2, T=300.0)  # doctest: +SKIP
>>> res.X_me, res.rel_error, res.theta                                  # doctest: +SKIP

Units and normalisation: energies in eV, ``k`` in 1/m, lengths in m, ``T``
in K; ``X`` per unit cell, ``(1/N_k) sum_k`` over the Brillouin zone, times
the spin degeneracy ``g_s`` (default 1: the 4x4 model has no spin), in 1/kg
(``XResult.X``) and 1/m_e (``XResult.X_me``).

What is computed (see :mod:`omm_fem.xtensor.tensor`): the in-plane block from
Eq. (12) in the Fermi-surface form, ``X_zz`` from Eq. (14) (Eq. 17 for the
bilayer), ``X_za`` from Eq. (15) with the factor ``i`` of ``[r_a, H] = i dH/dk``
restored (as printed, Eq. 15 is purely imaginary). ``checks=True`` adds the
band-curvature form and the double commutators ``-<[r_c,[r_d,H]]>/hbar^2``
evaluated from the full ``H(k)``, the layer positions and the atomic-gauge
Bloch derivatives. For in-plane indices the literal double commutator is the
f-sum (diamagnetic) weight, not Eq. (12): it exceeds Eq. (12) by the interband
term and stays finite in the gap (about 1.3 m_e^-1 for the bilayer), whereas
Eq. (12) vanishes there. ``X`` uses Eq. (12), as SPEC §10 prescribes.

Brillouin-zone integration: equal-weight rule on a periodic grid mapped to
crowd points near Gamma, K and K' (:mod:`omm_fem.xtensor.bz`); grids double
until the error estimate (grid doubling, see ``XResult.error``) is below
``tol`` times ``max|X|`` and the grid resolves ``k_B T``. Eigen-decompositions
are reused for every chemical potential, so ``scan_mu`` over 201 points costs
little more than one point.

Computed numbers (Bernal bilayer, Eq. 16, gamma0 = -3.16 eV, gamma1 =
-0.38 eV, a_cc = 1.42 A, d = 3.35 A, T = 300 K, V = 0.1 eV, g_s = 1; checked
by ``tests/test_xtensor_docs.py``):

==========  =============  =============  =========
mu [eV]     X_xx [1/m_e]   X_zz [1/m_e]   theta
==========  =============  =============  =========
0.2         0.03088        0.02970        0.9615
1.0         0.2107         0.03026        0.1436
==========  =============  =============  =========

The paper quotes theta ~ 1e-2 for bilayer graphene; the literal evaluation of
Eqs. (12) and (17) gives the values above (X_zz is a Fermi-sea bond quantity
that hardly depends on mu, SPEC §9 item 5). Nothing is tuned to 1e-2.

A user-defined model
--------------------
A monolayer is a small object with ``lattice`` (rows a1, a2 in m), ``h(k)``
and ``gamma(k)`` (``k``: array (nk, 2) in 1/m; return (nk, M, M) complex in
eV; Bloch phases with the true orbital positions, i.e. the atomic gauge;
``gamma`` is the block <layer l+1|H|layer l>)::

    import numpy as np
    from omm_fem.xtensor import Multilayer, inverse_mass_tensor

    class SquareLayer:
        a = 3.0e-10
        lattice = np.array([[a, 0.0], [0.0, a]])
        t, t_perp = -1.0, -0.1                      # eV

        def h(self, k):
            c = np.cos(k[:, 0] * self.a) + np.cos(k[:, 1] * self.a)
            return (2.0 * self.t * c)[:, None, None].astype(complex)

        def gamma(self, k):
            return np.full((len(k), 1, 1), self.t_perp, dtype=complex)

    model = Multilayer.from_layer(SquareLayer(), layers=2, spacing=3.4e-10,
                                  potentials=(0.05, -0.05))
    res = inverse_mass_tensor(model, mu=-1.0, T=300.0)

Optional methods ``dh``/``d2h``/``dgamma``/``d2gamma`` give analytic
derivatives (shapes (nk, 2, M, M) and (nk, 3, M, M) for xx, xy, yy);
otherwise fourth-order finite differences are used. Different blocks per
layer pair (as in ABA stacking) go through the :class:`Multilayer`
constructor directly. A non-Hermitian ``h`` raises :class:`OmmError`.

For the FEM, :func:`material_X` takes the TOML inline table
``X = {model = "blg", mu = 0.2, T = 300.0, V = 0.1}``
(keys in :mod:`omm_fem.xtensor.spec`).
"""
from .graphene import bilayer_graphene, graphene_multilayer
from .models import Multilayer
from .spec import material_X
from .tensor import XResult, XScan, inverse_mass_tensor, scan_mu, scan_V

__all__ = [
    "Multilayer",
    "bilayer_graphene",
    "graphene_multilayer",
    "inverse_mass_tensor",
    "scan_mu",
    "scan_V",
    "material_X",
    "XResult",
    "XScan",
]
