"""Built-in models: N-layer graphene with Bernal (ABA) or rhombohedral (ABC)
stacking in the minimal gamma0-gamma1 model; N = 2 is Eq. (16) of the seed."""
from __future__ import annotations

import math

import numpy as np

from ..checks import finite, integer
from ..errors import OmmError, bad_value
from .models import Multilayer

__all__ = ["graphene_multilayer", "bilayer_graphene", "layer_potentials",
           "GAMMA0", "GAMMA1", "A_CC", "SPACING"]

GAMMA0 = -3.16  # eV, seed Fig. 2 caption
GAMMA1 = -0.38  # eV
A_CC = 1.42e-10  # m
SPACING = 3.35e-10  # m


def layer_potentials(layers, V):
    """Linear displacement profile ``V_l = V (1 - 2 l / (N - 1))``: +V on the
    first layer, -V on the last (Eq. 16 for N = 2: difference 2V, SPEC §9.6)."""
    if layers == 1:
        return (0.0,)
    return tuple(V * (1.0 - 2.0 * l / (layers - 1)) for l in range(layers))


def graphene_multilayer(layers=2, stacking="ABA", *, V=0.0, gamma0=GAMMA0, gamma1=GAMMA1,
                        a_cc=A_CC, d=SPACING):
    """Minimal ``N``-layer graphene (gamma0, gamma1 only), Eq. (16) for N = 2.

    Parameters
    ----------
    layers : int
        Number of layers ``N >= 1``.
    stacking : {"ABA", "ABC"}
        Bernal (dimers alternate B1-A2, A2-B3, ...) or rhombohedral (B_l-A_{l+1}).
    V : float
        Displacement energy [eV]: layer potentials from +V (layer 1) to -V (layer N).
    gamma0, gamma1 : float
        Intralayer and dimer hopping [eV] (seed: -3.16, -0.38).
    a_cc, d : float
        Carbon-carbon distance and layer spacing [m].

    Notes
    -----
    ``h(k) = -gamma0 [[0, f], [f*, 0]]`` with ``f(k) = sum_n exp(i delta_n . k)``
    (Eq. 16: ``h.sigma`` with ``F = Re f``, ``G = -Im f``); the dimer sites sit on
    top of each other, so ``Gamma`` is k-independent in the atomic gauge.
    """
    integer("layers", layers, low=1, high=64, numpy=True, message="expected an integer 1 <= N <= 64")
    stk = str(stacking).upper()
    if stk not in ("ABA", "ABC"):
        raise OmmError(bad_value("stacking", stacking, "allowed: 'ABA' (Bernal) or 'ABC' (rhombohedral)"))
    V, g0, g1 = finite("V", V), finite("gamma0", gamma0), finite("gamma1", gamma1)
    acc, dd = finite("a_cc", a_cc, positive=True), finite("d", d, positive=True)
    a = math.sqrt(3.0) * acc
    lattice = np.array([[a, 0.0], [0.5 * a, 0.5 * math.sqrt(3.0) * a]])
    delta = acc * np.array([[0.0, 1.0], [0.5 * math.sqrt(3.0), -0.5], [-0.5 * math.sqrt(3.0), -0.5]])

    def phases(k):
        return np.exp(1j * (np.asarray(k, float) @ delta.T))  # (nk, 3)

    def offdiag(c):  # c: (nk, ...) coefficient of the A->B element
        out = np.zeros(c.shape + (2, 2), dtype=complex)
        out[..., 0, 1] = -g0 * c
        out[..., 1, 0] = -g0 * np.conj(c)
        return out

    def h(k):
        return offdiag(phases(k).sum(axis=1))

    def dh(k):
        return offdiag(1j * phases(k) @ delta)  # (nk, 2)

    def d2h(k):
        dd2 = np.stack([delta[:, 0] ** 2, delta[:, 0] * delta[:, 1], delta[:, 1] ** 2], axis=1)
        return offdiag(-phases(k) @ dd2)  # (nk, 3)

    def dimer(row, col):
        mat = np.zeros((2, 2), dtype=complex)
        mat[row, col] = g1
        return lambda k: np.broadcast_to(mat, (len(k), 2, 2)).copy()

    ab, ba = dimer(0, 1), dimer(1, 0)  # A_{l+1}-B_l and B_{l+1}-A_l
    gammas = [ab if (stk == "ABC" or l % 2 == 0) else ba for l in range(layers - 1)]
    name = "blg" if layers == 2 else f"{stk.lower()}{layers}"
    return Multilayer(lattice=lattice, h=h, gammas=gammas, potentials=layer_potentials(layers, V),
                      spacing=dd, name=name, dh=dh, d2h=d2h, constant_gamma=True)


def bilayer_graphene(*, V=0.0, gamma0=GAMMA0, gamma1=GAMMA1, a_cc=A_CC, d=SPACING):
    """Bernal bilayer graphene, Eq. (16): layer potentials +V, -V [eV]."""
    return graphene_multilayer(2, "ABA", V=V, gamma0=gamma0, gamma1=gamma1, a_cc=a_cc, d=d)

