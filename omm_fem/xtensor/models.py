"""Multilayer tight-binding Hamiltonians, Eq. (10).

A :class:`Multilayer` stacks ``N`` copies of an ``M``-orbital monolayer block
``h(k)`` with on-site layer potentials ``V_l`` and nearest-layer hopping blocks
``Gamma_l(k)`` (Eq. 10 of the seed paper; one block per layer pair so that ABA
stacking, whose dimer bonds alternate, fits the same form). The basis is
layer-major: index ``l * M + s`` for orbital ``s`` of layer ``l``.

Conventions (the whole subpackage):

* ``k`` is an array of shape ``(nk, 2)`` in 1/m; energies are in eV; lengths
  in m. Derivatives ``dH/dk`` are therefore in eV m.
* Bloch sums use the *atomic gauge*: ``H(k)_ij = sum t_ij exp(i k.(r_j - r_i))``
  with the true in-plane orbital positions ``r``. In this gauge the
  commutator with the in-plane position operator is ``[r_a, H] -> i dH/dk_a``
  (seed Eq. S35), which the double-commutator checks rely on.
* ``Gamma_l(k)`` is the block ``<layer l+1| H |layer l>`` (rows: orbitals of
  layer l+1), i.e. the operator ``Gamma c+_{l+1} c_l`` of Eq. (10).
* Layers sit at ``z_l = l * d``, so ``r_z = sum_l z_l c+_l c_l`` (Eq. 13).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..checks import integer, real
from ..errors import OmmError, bad_value

__all__ = ["Multilayer"]

_FD_STEP = 2e-3  # finite-difference step in units of 1/|a| (truncation ~1e-12)


def _fd_weights():
    """Fourth-order central stencils: offsets, first- and second-derivative weights."""
    off = np.array([-2.0, -1.0, 1.0, 2.0])
    d1 = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0
    d2 = np.array([-1.0, 16.0, 16.0, -1.0]) / 12.0  # centre weight -30/12
    return off, d1, d2


def _fd_first(fun, k, step):
    """d fun / dk_a by a fourth-order central stencil; returns (nk, 2, M, M)."""
    off, w1, _ = _fd_weights()
    out = []
    for a in range(2):
        e = np.zeros(2)
        e[a] = step
        out.append(sum(w * fun(k + o * e) for o, w in zip(off, w1)) / step)
    return np.stack(out, axis=1)


def _fd_second(fun, k, step):
    """(xx, xy, yy) second derivatives, fourth order; returns (nk, 3, M, M)."""
    off, _, w2 = _fd_weights()
    f0 = fun(k)

    def directional(e):
        return (sum(w * fun(k + o * e) for o, w in zip(off, w2)) - 2.5 * f0) / step**2

    ex, ey = np.array([step, 0.0]), np.array([0.0, step])
    dxx, dyy = directional(ex), directional(ey)
    s = 1.0 / math.sqrt(2.0)
    dxy = 0.5 * (directional(s * (ex + ey)) - directional(s * (ex - ey)))
    return np.stack([dxx, dxy, dyy], axis=1)


@dataclass(frozen=True, eq=False)
class Multilayer:
    """An ``N``-layer tight-binding model per Eq. (10).

    Parameters
    ----------
    lattice : array_like, shape (2, 2)
        In-plane primitive vectors as rows ``a1, a2`` [m].
    h : callable
        Monolayer block ``h(k)``: ``(nk, 2)`` [1/m] -> ``(nk, M, M)`` [eV],
        Hermitian, atomic gauge.
    gammas : sequence of callables
        ``N - 1`` interlayer blocks ``Gamma_l(k)`` (same signature as ``h``).
    potentials : sequence of float
        On-site layer potentials ``V_l`` [eV], length ``N``.
    spacing : float
        Layer spacing ``d`` [m], > 0.
    name : str
        Label used in results.
    dh, d2h : callable, optional
        Analytic ``dh/dk`` -> ``(nk, 2, M, M)`` [eV m] and second derivatives
        ``(xx, xy, yy)`` -> ``(nk, 3, M, M)`` [eV m^2]. Finite differences
        (fourth order) are used when omitted.
    dgammas, d2gammas : sequence of callables, optional
        The same for each ``Gamma_l``.
    constant_gamma : bool
        Declares every ``Gamma_l`` independent of ``k`` (then ``X_za`` of
        Eq. 15 vanishes identically and is not integrated).
    """

    lattice: np.ndarray
    h: Callable
    gammas: tuple
    potentials: tuple
    spacing: float
    name: str = "user"
    dh: Optional[Callable] = None
    d2h: Optional[Callable] = None
    dgammas: Optional[tuple] = None
    d2gammas: Optional[tuple] = None
    constant_gamma: bool = False

    def __post_init__(self):
        lat = np.asarray(self.lattice, dtype=float)
        if lat.shape != (2, 2) or not np.all(np.isfinite(lat)) or abs(np.linalg.det(lat)) < 1e-40:
            raise OmmError(bad_value("model.lattice", self.lattice,
                                     "expected two independent finite in-plane vectors "
                                     "[[a1x, a1y], [a2x, a2y]] in m"))
        object.__setattr__(self, "lattice", lat)
        if not callable(self.h):
            raise OmmError(bad_value("model.h", self.h, "expected a callable h(k) -> (nk, M, M) in eV"))
        object.__setattr__(self, "gammas", tuple(self.gammas))
        object.__setattr__(self, "potentials", tuple(float(v) for v in self.potentials))
        n = len(self.potentials)
        if n < 1 or not all(math.isfinite(v) for v in self.potentials):
            raise OmmError(bad_value("model.potentials", self.potentials,
                                     "expected one finite on-site potential per layer [eV]"))
        if len(self.gammas) != n - 1 or not all(callable(g) for g in self.gammas):
            raise OmmError(bad_value("model.gammas", self.gammas,
                                     f"expected {n - 1} callables Gamma_l(k) for {n} layers"))
        real("model.spacing", self.spacing, positive=True,
             message="layer spacing d must be finite and > 0 [m]")
        for field, seq in (("model.dgammas", self.dgammas), ("model.d2gammas", self.d2gammas)):
            if seq is not None and len(tuple(seq)) != n - 1:
                raise OmmError(bad_value(field, seq, f"expected {n - 1} callables"))
        self._probe()

    # ------------------------------------------------------------------ basics
    @property
    def n_layers(self):
        """Number of layers ``N``."""
        return len(self.potentials)

    @property
    def reciprocal(self):
        """Reciprocal primitive vectors as rows ``b1, b2`` [1/m], shape (2, 2)."""
        return 2.0 * np.pi * np.linalg.inv(self.lattice).T

    @property
    def n_orbitals(self):
        """Orbitals per layer ``M``."""
        return self._m

    @property
    def n_bands(self):
        """Total number of bands ``N * M``."""
        return self._m * self.n_layers

    def layer_z(self):
        """z position of every basis orbital [m], shape ``(N*M,)``; ``z_l = l d``."""
        return np.repeat(np.arange(self.n_layers) * float(self.spacing), self._m)

    def _probe(self):
        """Evaluate the blocks at a few k and check shape, finiteness, hermiticity."""
        b = self.reciprocal
        fr = np.array([[0.0, 0.0], [0.1234, 0.4321], [1 / 3, 2 / 3], [0.77, 0.05]])
        k = fr @ b
        hk = self._call(self.h, k, "model.h")
        m = hk.shape[-1]
        if hk.shape != (4, m, m) or m < 1:
            raise OmmError(bad_value("model.h", f"array of shape {hk.shape}",
                                     "h(k) must return shape (nk, M, M) for k of shape (nk, 2)"))
        scale = max(np.abs(hk).max(), 1e-300)
        err = np.abs(hk - np.conj(np.swapaxes(hk, -1, -2))).max()
        if err > 1e-10 * scale:
            raise OmmError(bad_value("model.h", f"h(k) with |h - h^dagger| = {err:.3g} eV",
                                     "the monolayer block must be Hermitian"))
        for i, g in enumerate(self.gammas):
            gk = self._call(g, k, f"model.gammas[{i}]")
            if gk.shape != (4, m, m):
                raise OmmError(bad_value(f"model.gammas[{i}]", f"array of shape {gk.shape}",
                                         f"Gamma_l(k) must return shape (nk, {m}, {m})"))
        object.__setattr__(self, "_m", m)

    @staticmethod
    def _call(fun, k, field):
        try:
            out = np.asarray(fun(k), dtype=complex)
        except OmmError:
            raise
        except Exception as exc:  # user code: report which block failed
            raise OmmError(bad_value(field, fun, f"evaluating it at k of shape {k.shape} failed: "
                                                 f"{exc}")) from exc
        if not np.all(np.isfinite(out)):
            raise OmmError(bad_value(field, fun, "returned non-finite matrix elements"))
        return out

    @property
    def _step(self):
        return _FD_STEP / np.linalg.norm(self.lattice, axis=1).max()

    # ------------------------------------------------------------ blocks -> H
    def _assemble(self, diag, lower, extra_diag=None):
        """Full matrix from intralayer blocks ``diag`` (nk, ..., M, M) and lower blocks."""
        m, n = self._m, self.n_layers
        shape = diag.shape[:-2] + (n * m, n * m)
        out = np.zeros(shape, dtype=complex)
        for l in range(n):
            sl = slice(l * m, (l + 1) * m)
            out[..., sl, sl] = diag
            if extra_diag is not None:
                out[..., sl, sl] += extra_diag[l] * np.eye(m)
        for l, g in enumerate(lower):
            lo, hi = slice((l + 1) * m, (l + 2) * m), slice(l * m, (l + 1) * m)
            out[..., lo, hi] = g
            out[..., hi, lo] = np.conj(np.swapaxes(g, -1, -2))
        return out

    def hamiltonian(self, k):
        """Full Bloch Hamiltonian ``H(k)`` [eV], shape ``(nk, N*M, N*M)``."""
        k = np.asarray(k, dtype=float)
        return self._assemble(self._call(self.h, k, "model.h"),
                              [self._call(g, k, "model.gammas") for g in self.gammas],
                              self.potentials)

    def interlayer(self, k):
        """Interlayer part ``J_+(k)`` of Eq. (11) [eV], shape ``(nk, N*M, N*M)``."""
        k = np.asarray(k, dtype=float)
        zero = np.zeros((len(k), self._m, self._m), dtype=complex)
        return self._assemble(zero, [self._call(g, k, "model.gammas") for g in self.gammas])

    def _dgamma(self, i, k):
        if self.constant_gamma:
            return np.zeros((len(k), 2, self._m, self._m), dtype=complex)
        if self.dgammas is not None:
            return self._call(self.dgammas[i], k, f"model.dgammas[{i}]")
        return _fd_first(lambda q: self._call(self.gammas[i], q, "model.gammas"), k, self._step)

    def _d2gamma(self, i, k):
        if self.constant_gamma:
            return np.zeros((len(k), 3, self._m, self._m), dtype=complex)
        if self.d2gammas is not None:
            return self._call(self.d2gammas[i], k, f"model.d2gammas[{i}]")
        return _fd_second(lambda q: self._call(self.gammas[i], q, "model.gammas"), k, self._step)

    def dhamiltonian(self, k):
        """``dH/dk_a`` [eV m], shape ``(nk, 2, N*M, N*M)`` (a = x, y)."""
        k = np.asarray(k, dtype=float)
        if self.dh is not None:
            dh = self._call(self.dh, k, "model.dh")
        else:
            dh = _fd_first(lambda q: self._call(self.h, q, "model.h"), k, self._step)
        return self._assemble(dh, [self._dgamma(i, k) for i in range(len(self.gammas))])

    def d2hamiltonian(self, k):
        """Second derivatives ``(xx, xy, yy)`` of ``H`` [eV m^2], shape ``(nk, 3, N*M, N*M)``."""
        k = np.asarray(k, dtype=float)
        if self.d2h is not None:
            d2h = self._call(self.d2h, k, "model.d2h")
        else:
            d2h = _fd_second(lambda q: self._call(self.h, q, "model.h"), k, self._step)
        return self._assemble(d2h, [self._d2gamma(i, k) for i in range(len(self.gammas))])

    def dinterlayer_minus(self, k):
        """``d J_-/dk_a`` of Eq. (11) [eV m], shape ``(nk, 2, N*M, N*M)``."""
        k = np.asarray(k, dtype=float)
        m, n = self._m, self.n_layers
        out = np.zeros((len(k), 2, n * m, n * m), dtype=complex)
        for l in range(n - 1):
            g = self._dgamma(l, k)
            lo, hi = slice((l + 1) * m, (l + 2) * m), slice(l * m, (l + 1) * m)
            out[..., lo, hi] = g
            out[..., hi, lo] = -np.conj(np.swapaxes(g, -1, -2))
        return out

    def interlayer_expectation(self, k, U):
        """``<u_n|J_+|u_n>`` (Eq. 11) from the blocks [eV], shape ``(nk, B)``.

        ``U`` holds eigenvectors as columns, shape ``(nk, N*M, B)``.
        """
        m = self._m
        out = np.zeros((U.shape[0], U.shape[-1]))
        for l, g in enumerate(self.gammas):
            lo, hi = U[:, (l + 1) * m:(l + 2) * m], U[:, l * m:(l + 1) * m]
            out += 2.0 * np.sum(np.conj(lo) * (self._call(g, k, "model.gammas") @ hi), axis=-2).real
        return out

    def dinterlayer_expectation(self, k, U):
        """``<u_n| i dJ_-/dk_a |u_n>`` (Eq. 15 with the factor i) [eV m], shape ``(nk, 2, B)``."""
        m = self._m
        out = np.zeros((U.shape[0], 2, U.shape[-1]))
        for l in range(self.n_layers - 1):
            lo, hi = U[:, None, (l + 1) * m:(l + 2) * m], U[:, None, l * m:(l + 1) * m]
            t = np.sum(np.conj(lo) * (self._dgamma(l, k) @ hi), axis=-2)
            out += -2.0 * t.imag  # i (t - t*) = -2 Im t
        return out

    @classmethod
    def from_layer(cls, layer, *, layers, spacing, potentials=None, name=None):
        """Build a model from a small user object (the recipe in the package docs).

        ``layer`` needs ``lattice`` (2x2, rows a1, a2 in m), ``h(k)`` and
        ``gamma(k)`` (same interlayer block for every pair, as in Eq. 10);
        optional ``dh``, ``d2h``, ``dgamma``, ``d2gamma`` give analytic
        derivatives. ``potentials`` defaults to zero on every layer.
        """
        integer("layers", layers, low=1, numpy=True)
        for attr in ("lattice", "h", "gamma"):
            if not hasattr(layer, attr):
                raise OmmError(bad_value("model", layer, f"a layer object needs attribute '{attr}'"))
        pots = (0.0,) * layers if potentials is None else tuple(potentials)
        opt = {a: getattr(layer, a, None) for a in ("dh", "d2h", "dgamma", "d2gamma")}
        rep = lambda f: None if f is None else (f,) * (layers - 1)  # noqa: E731
        return cls(lattice=layer.lattice, h=layer.h, gammas=(layer.gamma,) * (layers - 1),
                   potentials=pots, spacing=spacing, name=name or type(layer).__name__,
                   dh=opt["dh"], d2h=opt["d2h"], dgammas=rep(opt["dgamma"]),
                   d2gammas=rep(opt["d2gamma"]))
