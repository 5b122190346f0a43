"""Brillouin-zone integrals for the inverse-mass tensor (SPEC §10).

Eigen-decompositions are done once per grid level; every chemical potential
of a scan then costs one pass over the states within ``40 k_B T`` of ``mu``
(states far below contribute through prefix sums). Per state the engine keeps

* ``fs``  -- ``d_a eps d_b eps`` (Hellmann-Feynman band velocities), for the
  Fermi-surface form of Eq. (12);
* ``sea`` -- expectation values ``<u|O|u>`` of Fermi-sea operators:
  the electron count, ``J_+`` (Eq. 14), ``i dJ_-/dk_a`` (Eq. 15) and, with
  ``checks=True``, the double commutators ``[r_z,[r_z,H]]``,
  ``i [r_z, dH/dk_a]`` and ``d^2H/dk_a dk_b`` plus user operators.

With ``checks=True`` the interband sum of the band-curvature form is also
accumulated (it needs the full velocity matrices and the list of ``mu``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from .bz import grid_points, ring_points

XMAX = 40.0  # thermal window half-width in k_B T: exp(-40) ~ 4e-18 is dropped
RESOLUTION = 4.0  # accepted energy variation across one grid cell, in k_B T
CHUNK = 8192  # k-points per batch (bounds the memory of temporaries)
BATCH_ELEMENTS = 2**21  # matrix elements per batch: k-points x bands^2 (32 MB per complex array)
INPLANE = ((0, 0), (0, 1), (1, 1))  # storage order xx, xy, yy


def batch_size(n_bands):
    """k-points per batch: CHUNK, fewer for many bands (at most BATCH_ELEMENTS matrix elements)."""
    return int(max(1, min(CHUNK, BATCH_ELEMENTS // n_bands**2)))


def _expect(op, U):
    """``<u_n|op|u_n>`` for op (nk, ..., B, B) and eigenvectors U (nk, B, B) -> (nk, ..., B)."""
    Ub = U.reshape(U.shape[:1] + (1,) * (op.ndim - 3) + U.shape[1:])
    return np.sum(np.conj(Ub) * (op @ Ub), axis=-2).real


def divided_difference(e, mu, kT):
    """``(f_n - f_m) / (e_n - e_m)`` [1/eV] with the diagonal set to zero.

    ``e`` has shape (nk, B); near-degenerate pairs (closer than ``1e-5 k_B T``)
    use ``f'`` at the midpoint, which is the exact limit to O(delta^2).
    """
    x = (e - mu) / kT
    f = expit(-x)
    de = e[:, :, None] - e[:, None, :]
    df = f[:, :, None] - f[:, None, :]
    xm = 0.5 * (x[:, :, None] + x[:, None, :])
    small = np.abs(de) < 1e-5 * kT
    safe = np.where(small, 1.0, de)
    dd = np.where(small, -expit(-xm) * expit(xm) / kT, df / safe)
    idx = np.arange(e.shape[1])
    dd[:, idx, idx] = 0.0
    return dd


@dataclass
class Level:
    """States of one grid level (only the points new at this level), sorted by energy."""

    n_s: int
    n_t: int
    energy: np.ndarray  # (S,) eV
    fs: np.ndarray  # (S, 3) weight * d_a eps d_b eps [eV^2 m^2]
    sea: np.ndarray  # (S, q) weight * <O>
    sea_cum: np.ndarray  # (S + 1, q) prefix sums of sea
    spread: np.ndarray  # (S,) energy variation across the local cell [eV]
    pair: np.ndarray = field(default=None)  # (nmu, 3) interband sums (checks only)
    n_points: int = 0
    band_range: np.ndarray = field(default=None)  # (B, 2) min, max of each band [eV]

    @property
    def max_spread(self):
        """Largest per-cell energy variation of the level [eV]."""
        return float(self.spread.max()) if len(self.spread) else 0.0

    @property
    def norm(self):
        """Weight normalisation ``3 n_s n_t`` of the grid this level completes."""
        return 3.0 * self.n_s * self.n_t


class Engine:
    """Compute per-state data for a model and sum it for given ``mu``.

    Parameters
    ----------
    model : Multilayer
    kT : float
        Thermal energy [eV], > 0.
    refine : float
        Valley concentration of the grid, ``0 <= refine < 1``.
    checks : bool
        Also accumulate the independent cross-check quantities.
    operators : dict, optional
        Extra Fermi-sea observables ``name -> (B, B) matrix or callable k -> (nk, B, B)``.
    mus : array_like, optional
        Chemical potentials [eV]; needed in advance only when ``checks``.
    """

    def __init__(self, model, kT, refine, checks=False, operators=None, mus=()):
        self.model, self.kT, self.refine, self.checks = model, float(kT), float(refine), bool(checks)
        self.operators = dict(operators or {})
        self.mus = np.atleast_1d(np.asarray(mus, dtype=float))
        names = ["n", "Jp"]
        if not model.constant_gamma:
            names += ["dJm_x", "dJm_y"]
        if self.checks:
            names += ["ZZH", "ZdH_x", "ZdH_y", "d2H_xx", "d2H_xy", "d2H_yy"]
        names += [f"op:{n}" for n in self.operators]
        self.names = names
        self.z = model.layer_z()
        self.ring_radius = 1e-4 * np.linalg.norm(model.reciprocal, axis=1).min()

    # ----------------------------------------------------------- per k-point
    def _states(self, k, w, spacing, ring=True):
        """Per-state arrays for a batch of k-points (degenerate points -> rings)."""
        m = self.model
        H = m.hamiltonian(k)
        e, U = np.linalg.eigh(H)
        if ring and e.shape[1] > 1:
            thr = 1e-9 * (1.0 + np.abs(e).max())
            deg = (np.diff(e, axis=1) < thr).any(axis=1)
            if deg.any():
                cnt = 8
                kr = ring_points(k[deg], self.ring_radius, cnt)
                extra = self._states(kr, np.repeat(w[deg], cnt) / cnt, np.repeat(spacing[deg], cnt, axis=0),
                                     ring=False)
                keep = ~deg
                main = self._states(k[keep], w[keep], spacing[keep], ring=False) if keep.any() else None
                parts = [p for p in (main, extra) if p is not None]
                return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        dH = m.dhamiltonian(k)
        W = dH @ U[:, None]
        vel = np.sum(np.conj(U)[:, None] * W, axis=-2).real  # (nk, 2, B)
        fs = np.stack([vel[:, a] * vel[:, b] for a, b in INPLANE], axis=-1)  # (nk, B, 3)
        sea = {"n": np.ones_like(e), "Jp": m.interlayer_expectation(k, U)}
        if not m.constant_gamma:
            dj = m.dinterlayer_expectation(k, U)
            sea["dJm_x"], sea["dJm_y"] = dj[:, 0], dj[:, 1]
        if self.checks:
            dz = self.z[:, None] - self.z[None, :]
            sea["ZZH"] = _expect(dz**2 * H, U)
            zd = _expect(1j * dz * dH, U)
            sea["ZdH_x"], sea["ZdH_y"] = zd[:, 0], zd[:, 1]
            d2 = _expect(m.d2hamiltonian(k), U)
            sea["d2H_xx"], sea["d2H_xy"], sea["d2H_yy"] = d2[:, 0], d2[:, 1], d2[:, 2]
        for name, op in self.operators.items():
            mat = op(k) if callable(op) else np.broadcast_to(np.asarray(op, dtype=complex), H.shape)
            sea[f"op:{name}"] = _expect(np.asarray(mat, dtype=complex), U)
        out = {
            "energy": e,
            "w": np.broadcast_to(w[:, None], e.shape),
            "fs": fs,
            "sea": np.stack([sea[nm] for nm in self.names], axis=-1),
            # energy change across the local cell: |v . e_u| + |v . e_v|
            "spread": np.abs(np.einsum("kab,kbn->kan", spacing, vel)).sum(axis=1),
        }
        if self.checks:
            Vm = np.conj(np.swapaxes(U, -1, -2))[:, None] @ W  # (nk, 2, B, B)
            R = np.stack([(Vm[:, a] * np.conj(Vm[:, b])).real for a, b in INPLANE], axis=-1)
            pair = np.empty((len(self.mus), 3))
            for i, mu in enumerate(self.mus):
                dd = divided_difference(e, mu, self.kT)
                pair[i] = np.einsum("k,knm,knmc->c", w, dd, R)
            out["pair"] = pair[None]
        return out

    def level(self, frame, n_s, n_t, new_only):
        """Build the :class:`Level` of grid ``(n_s, n_t)``."""
        k, w, spacing = grid_points(frame, n_s, n_t, self.refine, new_only=new_only)
        chunk = batch_size(self.model.n_bands)
        parts = [self._states(k[i:i + chunk], w[i:i + chunk], spacing[i:i + chunk])
                 for i in range(0, len(k), chunk)]
        cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0] if key != "pair"}
        energy = cat["energy"].ravel()
        order = np.argsort(energy, kind="stable")
        wflat = cat["w"].ravel()[order]
        fs = cat["fs"].reshape(-1, 3)[order] * wflat[:, None]
        sea = cat["sea"].reshape(-1, len(self.names))[order] * wflat[:, None]
        cum = np.zeros((len(sea) + 1, sea.shape[1]))
        np.cumsum(sea, axis=0, out=cum[1:])
        pair = sum(p["pair"][0] for p in parts) if self.checks else None
        bands = np.stack([cat["energy"].min(axis=0), cat["energy"].max(axis=0)], axis=1)
        return Level(n_s, n_t, energy[order], fs, sea, cum, cat["spread"].ravel()[order], pair, len(k), bands)

    # --------------------------------------------------------------- sums
    def sums(self, lev, mu):
        """Unnormalised sums of one level at ``mu``: ``fs`` (3,) and ``sea`` (q,)."""
        kT = self.kT
        lo, hi = np.searchsorted(lev.energy, [mu - XMAX * kT, mu + XMAX * kT])
        x = (lev.energy[lo:hi] - mu) / kT
        f = expit(-x)
        fs = (f * expit(x) / kT) @ lev.fs[lo:hi]
        sea = lev.sea_cum[lo] + f @ lev.sea[lo:hi]
        return fs, sea

    def resolution(self, lev, mu):
        """Largest energy variation across one grid cell [k_B T] among the states
        whose cell can reach the thermal shell ``|e - mu| < 3 k_B T``."""
        reach = 3.0 * self.kT + lev.max_spread
        lo, hi = np.searchsorted(lev.energy, [mu - reach, mu + reach])
        e, sp = lev.energy[lo:hi], lev.spread[lo:hi]
        near = np.abs(e - mu) - sp < 3.0 * self.kT
        return float(sp[near].max() / self.kT) if near.any() else 0.0
