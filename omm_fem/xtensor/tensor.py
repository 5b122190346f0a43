"""The inverse-mass tensor ``X`` of a multilayer model (SPEC §10).

Normalisation: per unit cell, ``(1/N_k) sum_k`` over the Brillouin zone, times
the spin degeneracy ``g_s``; with ``k`` in 1/m and energies in J every
component is in 1/kg. Components:

* in-plane ``X_ab`` (a, b = x, y), Eq. (12), in the Fermi-surface form
  ``(g_s/hbar^2) <sum_n (-df/de) d_a e_n d_b e_n>_BZ``;
* ``X_zz``, Eq. (14): ``-(g_s d^2/hbar^2) <sum_n f <u_n|J_+|u_n>>_BZ``;
* ``X_za``, Eq. (15) with the factor ``i`` of ``[r_a, H] = i dH/dk_a``
  restored: ``-(g_s d/hbar^2) <sum_n f <u_n| i dJ_-/dk_a |u_n>>_BZ``. As
  printed, Eq. (15) is the expectation of an anti-Hermitian operator (purely
  imaginary); seed Eq. (S36) drops the ``i`` of Eq. (S35).

Accuracy: the equal-weight rule on the valley-refined grid (:mod:`.bz`)
converges spectrally for smooth integrands; grids double until the error
estimate (:func:`_estimate`) is below ``tol * max|X|`` and every cell that can
reach the thermal shell changes the band energy by at most ``4 k_B T``. At a
Dirac point within a few ``k_B T`` of ``mu`` (monolayer graphene, biased ABA
stacks) the integrand has a kink, convergence is only algebraic and the
estimate can be optimistic by a small factor.

``checks=True`` adds independent evaluations (``XResult.checks``):
``zz_double_commutator`` ``= -(1/hbar^2)<[r_z,[r_z,H]]>`` from the full
``H(k)`` and the layer positions; ``za_double_commutator`` from
``[r_z, i dH/dk_a]``; ``inplane_band_curvature`` ``= (1/hbar^2) <sum_n f
d_a d_b e_n>`` by second-order perturbation theory (Eq. 12 as written); and
``inplane_double_commutator`` ``= (1/hbar^2) <sum_n f <d_a d_b H>>``, the
literal Eq. (2) for in-plane indices. The last one is *not* Eq. (12): it is
the full f-sum (diamagnetic) weight, which exceeds the band-curvature form by
the interband term and does not vanish in a gap.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..checks import finite, integer
from ..errors import OmmError, bad_value
from ..units import EV, HBAR, K_B, M_E
from .bz import level_sizes, refinement_frame
from .integrate import RESOLUTION, Engine
from .models import Multilayer

__all__ = ["XResult", "XScan", "inverse_mass_tensor", "scan_mu", "scan_V", "PER_KG"]

PER_KG = EV / HBAR**2  # (eV m^2) / hbar^2 -> 1/kg
MAX_LEVEL = 6  # finest automatic grid: (512, 896) -> 1.38e6 k-points
G_S_MAX = 4  # spin degeneracy: 1 (no spin), 2 (spin), 4 (an extra twofold degeneracy)
MAX_STATES = 1.0e7  # k-points x bands of one calculation (memory: ~200 bytes per state)
MAX_WORK = 1.0e9  # k-points x bands^3 (eigen-decompositions; bilayer, finest automatic grid: 9e7)
MIN_LEVELS = 3  # grid levels the automatic refinement needs for its error estimate


def validate_common(*, T, g_s, tol, nk, refine):
    """Check the shared numerical arguments; returns them normalised."""
    T = finite("T", T, low=0.0, high=1e5, low_open=True)
    integer("g_s", g_s, low=1, high=G_S_MAX, numpy=True,
            message=f"spin degeneracy must be an integer in [1, {G_S_MAX}]")
    tol = finite("tol", tol, low=1e-12, high=0.5)
    if nk is not None:
        rule = ("k-grid points along b must be an even integer, 2 <= nk <= 4096 "
                "(or omit it for automatic refinement)")
        if integer("nk", nk, low=2, high=4096, numpy=True, message=rule) % 2:
            raise OmmError(bad_value("nk", nk, rule))
    refine = finite("refine", refine, low=0.0, high=0.99)
    return T, int(g_s), tol, nk, refine


@dataclass(frozen=True)
class XResult:
    """``X`` at one chemical potential.

    Attributes
    ----------
    X : ndarray, shape (3, 3)
        Inverse-mass tensor [1/kg], symmetric.
    error : ndarray, shape (3, 3)
        Error estimate [1/kg] from grid doubling, geometrically extrapolated
        once the doubling differences decrease (see ``_estimate``).
    error_doubling : ndarray, shape (3, 3)
        The raw difference ``|X(grid) - X(grid/2)|`` [1/kg] (the error of the
        coarser grid; a loose upper bound for ``X``).
    converged : bool
        ``max|error| <= tol max|X|`` and the grid resolves ``k_B T``.
    """

    model: str
    mu: float
    T: float
    g_s: int
    X: np.ndarray
    error: np.ndarray
    error_doubling: np.ndarray
    converged: bool
    n_kpoints: int
    grid: tuple
    resolution: float
    n_electrons: float
    tol: float
    checks: dict = field(default_factory=dict)
    expectations: dict = field(default_factory=dict)
    band_range: np.ndarray = None

    @property
    def X_me(self):
        """``X`` in units of the inverse electron mass."""
        return self.X * M_E

    @property
    def rel_error(self):
        """``max|error| / max|X|`` (the accuracy criterion)."""
        scale = np.abs(self.X).max()
        return float(np.abs(self.error).max() / scale) if scale > 0 else 0.0

    @property
    def theta(self):
        """Anisotropy ``X_zz / X_yy``; ``None`` when X_yy is zero within its error."""
        yy = self.X[1, 1]
        if yy <= max(10.0 * self.error[1, 1], 1e-12 * np.abs(self.X).max()):
            return None
        return float(self.X[2, 2] / yy)

    def in_gap(self, valence_bands=None):
        """Whether ``mu`` lies between the top of band ``valence_bands - 1`` and the
        bottom of the next (default: half the bands filled, as in graphene)."""
        b = self.band_range
        nv = len(b) // 2 if valence_bands is None else int(valence_bands)
        return bool(0 < nv < len(b) and b[nv - 1, 1] < self.mu < b[nv, 0])

    def to_dict(self):
        """JSON-serialisable summary (X and checks also in 1/m_e)."""
        out = {
            "model": self.model, "mu_eV": self.mu, "T_K": self.T, "g_s": self.g_s,
            "X_per_kg": self.X.tolist(), "X_per_m_e": self.X_me.tolist(),
            "error_per_m_e": (self.error * M_E).tolist(), "relative_error": self.rel_error,
            "doubling_difference_per_m_e": (self.error_doubling * M_E).tolist(),
            "tol": self.tol, "converged": self.converged, "n_kpoints": self.n_kpoints,
            "grid": list(self.grid), "resolution_kT": self.resolution,
            "n_electrons_per_cell": self.n_electrons, "theta": self.theta,
            "checks_per_m_e": {k: (np.asarray(v) * M_E).tolist() for k, v in self.checks.items()},
        }
        if self.expectations:
            out["expectations"] = dict(self.expectations)
        return out


@dataclass(frozen=True)
class XScan:
    """``X`` over a list of chemical potentials (arrays with a leading ``nmu`` axis)."""

    points: tuple

    @property
    def mu(self):
        return np.array([p.mu for p in self.points])

    @property
    def X(self):
        return np.array([p.X for p in self.points])

    @property
    def error(self):
        return np.array([p.error for p in self.points])

    @property
    def converged(self):
        return all(p.converged for p in self.points)

    def __len__(self):
        return len(self.points)

    def __getitem__(self, i):
        return self.points[i]


def _assemble(fs, sea, names, d, g_s):
    """Tensor (..., 3, 3) [1/kg] from normalised sums."""
    col = {n: i for i, n in enumerate(names)}
    X = np.zeros(fs.shape[:-1] + (3, 3))
    X[..., 0, 0], X[..., 1, 1] = fs[..., 0], fs[..., 2]
    X[..., 0, 1] = X[..., 1, 0] = fs[..., 1]
    X[..., 2, 2] = -d * d * sea[..., col["Jp"]]
    if "dJm_x" in col:
        X[..., 2, 0] = X[..., 0, 2] = -d * sea[..., col["dJm_x"]]
        X[..., 2, 1] = X[..., 1, 2] = -d * sea[..., col["dJm_y"]]
    return g_s * PER_KG * X


def _checks(sea, pair, names, g_s):
    col = {n: i for i, n in enumerate(names)}
    s = lambda n: sea[col[n]] * g_s * PER_KG  # noqa: E731
    dia = np.array([[s("d2H_xx"), s("d2H_xy")], [s("d2H_xy"), s("d2H_yy")]])
    inter = g_s * PER_KG * np.array([[pair[0], pair[1]], [pair[1], pair[2]]])
    return {
        "zz_double_commutator": -s("ZZH"),
        "za_double_commutator": -np.array([s("ZdH_x"), s("ZdH_y")]),
        "inplane_double_commutator": dia,
        "inplane_band_curvature": dia + inter,
    }


def _estimate(diffs):
    """Error estimate (nmu, 3, 3) from the grid-doubling differences so far.

    ``d_L = |X_L - X_{L-1}|`` measures the error of the coarser grid. Once the
    sequence converges (``rho = max d_L / max d_{L-1} <= 1/2``) the error of
    ``X_L`` is estimated as ``sqrt(rho) d_L``, halfway (geometrically) between
    ``d_L`` and the geometric extrapolation ``rho d_L`` -- the same
    compromise as QUADPACK's ``(200 d)^1.5`` rule, because the extrapolation
    alone can under-estimate in the pre-asymptotic regime. Otherwise ``d_L``
    itself is returned.
    """
    d = diffs[-1]
    if len(diffs) < 2:
        return d
    cur, old = d.max(axis=(1, 2)), diffs[-2].max(axis=(1, 2))
    rho = np.where(old > 0, cur / np.where(old > 0, old, 1.0), 1.0)
    factor = np.where(rho <= 0.5, np.sqrt(rho), 1.0)
    return d * factor[:, None, None]


def _bounded_sizes(n_bands, nk, max_level):
    """The grid levels of a calculation within MAX_STATES and MAX_WORK, checked before any work.

    A fixed ``nk`` beyond the limits, or an automatic refinement whose first
    MIN_LEVELS levels already exceed them, raises OmmError naming ``nk``; the
    automatic refinement otherwise stops at the finest level within them.
    """
    sizes = level_sizes(nk, max_level)

    def cost(n_s, n_t):  # the grids are nested: a level completes the 3 n_s n_t point grid
        npts = 3 * n_s * n_t
        return npts, npts * n_bands, npts * float(n_bands) ** 3

    def within(size):
        _, states, work = cost(*size)
        return states <= MAX_STATES and work <= MAX_WORK

    limits = (f"the limits are {MAX_STATES:.3g} states (k-points x bands, memory) and "
              f"{MAX_WORK:.3g} k-points x bands^3 (eigen-decompositions)")
    if nk is not None:
        npts, states, work = cost(*sizes[-1])
        if not within(sizes[-1]):
            raise OmmError(bad_value("nk", nk, f"{npts} k-points x {n_bands} bands ({states:.3g} "
                                     f"states, {work:.3g} k-points x bands^3) exceed the "
                                     f"resource limits: {limits}; lower nk or use fewer layers"))
        return sizes
    kept = [s for s in sizes if within(s)]
    if len(kept) < MIN_LEVELS:
        npts, states, work = cost(*sizes[MIN_LEVELS - 1])
        raise OmmError(f"nk: the automatic k-grid refinement (nk omitted) of a model with "
                       f"{n_bands} bands needs at least {npts} k-points ({states:.3g} states, "
                       f"{work:.3g} k-points x bands^3), beyond the resource limits: {limits}; "
                       "use fewer layers or give a small fixed nk")
    return kept


def _solve(model, mus, *, T, g_s, tol, nk, refine, checks, operators, max_level=MAX_LEVEL):
    if not isinstance(model, Multilayer):
        raise OmmError(bad_value("model", model, "expected an omm_fem.xtensor.Multilayer "
                                                 "(see bilayer_graphene, graphene_multilayer, "
                                                 "Multilayer.from_layer)"))
    T, g_s, tol, nk, refine = validate_common(T=T, g_s=g_s, tol=tol, nk=nk, refine=refine)
    mus = np.atleast_1d(np.asarray(mus, dtype=float))
    if mus.ndim != 1 or len(mus) == 0 or not np.all(np.isfinite(mus)):
        raise OmmError(bad_value("mu", mus.tolist(), "expected finite chemical potential(s) in eV"))
    for name, op in (operators or {}).items():
        if not callable(op) and np.shape(op) != (model.n_bands,) * 2:
            raise OmmError(bad_value(f"operators[{name!r}]", np.shape(op),
                                     f"expected a ({model.n_bands}, {model.n_bands}) matrix or a callable"))
    sizes = _bounded_sizes(model.n_bands, nk, max_level)
    kT = K_B * T / EV
    eng = Engine(model, kT, refine, checks=checks, operators=operators, mus=mus)
    frame = refinement_frame(model.reciprocal)
    q = len(eng.names)
    acc_fs, acc_sea, acc_pair = np.zeros((len(mus), 3)), np.zeros((len(mus), q)), np.zeros((len(mus), 3))
    prev, npts, bands, diffs = None, 0, None, []
    for lev_i, (n_s, n_t) in enumerate(sizes):
        lev = eng.level(frame, n_s, n_t, new_only=lev_i > 0)
        npts += lev.n_points
        bands = lev.band_range if bands is None else np.stack(
            [np.minimum(bands[:, 0], lev.band_range[:, 0]),
             np.maximum(bands[:, 1], lev.band_range[:, 1])], axis=1)
        for i, mu in enumerate(mus):
            fs, sea = eng.sums(lev, mu)
            acc_fs[i] += fs
            acc_sea[i] += sea
        if checks:
            acc_pair += lev.pair
        X = _assemble(acc_fs / lev.norm, acc_sea / lev.norm, eng.names, model.spacing, g_s)
        if prev is not None:
            diffs.append(np.abs(X - prev))
            err = _estimate(diffs)
            scale = np.abs(X).max(axis=(1, 2))
            rel = err.max(axis=(1, 2)) / np.where(scale > 0, scale, 1.0)
            res = np.array([eng.resolution(lev, mu) for mu in mus])
            ok = (rel <= tol) & (res <= RESOLUTION)
            if nk is None and ok.all() and lev_i >= 2:
                break
        prev = X
    if nk is None and not ok.all():
        limit = "" if len(sizes) == max_level + 1 else " allowed by the resource limits"
        warnings.warn(f"X not converged to tol={tol:g} on the finest grid{limit} ({npts} k-points) "
                      f"for {int((~ok).sum())} of {len(mus)} chemical potentials (worst relative "
                      f"error estimate {rel.max():.2g}, resolution {res.max():.2g} k_B T); lower "
                      "tol, raise T or pass nk", RuntimeWarning, stacklevel=3)
    sea_n = acc_sea / lev.norm
    col = {n: i for i, n in enumerate(eng.names)}
    out = []
    for i, mu in enumerate(mus):
        chk = _checks(sea_n[i], acc_pair[i] / lev.norm, eng.names, g_s) if checks else {}
        exp = {n[3:]: float(g_s * sea_n[i, col[n]]) for n in eng.names if n.startswith("op:")}
        out.append(XResult(model=model.name, mu=float(mu), T=T, g_s=g_s, X=X[i], error=err[i],
                           error_doubling=diffs[-1][i], converged=bool(ok[i]), n_kpoints=npts,
                           grid=(n_s, n_t), resolution=float(res[i]),
                           n_electrons=float(g_s * sea_n[i, col["n"]]), tol=tol, checks=chk,
                           expectations=exp, band_range=bands))
    return out


def inverse_mass_tensor(model, *, mu, T=300.0, g_s=1, tol=1e-4, nk=None, refine=0.6,
                        checks=False, operators=None):
    """Inverse-mass tensor ``X`` of ``model`` at one chemical potential.

    Parameters
    ----------
    model : Multilayer
        Tight-binding model (e.g. :func:`bilayer_graphene`).
    mu : float
        Chemical potential [eV] (model energy zero; 0 = neutrality for graphene).
    T : float
        Temperature [K], > 0 (the Fermi-surface form needs thermal broadening).
    g_s : int
        Spin degeneracy multiplying every component (1: the 4x4 model has no spin).
    tol : float
        Target relative accuracy ``max|error| / max|X|`` (``XResult.error``,
        from grid doubling); grids double until it is met and the grid
        resolves ``k_B T`` (at most 1.4e6 k-points, then a RuntimeWarning).
    nk : int, optional
        Fixed grid instead (even, >= 2): ``nk`` points along the reciprocal
        vector ``b1``, about ``nk / sqrt(3)`` per K-length along the other edge.
    refine : float
        Valley concentration of the k-grid, ``0 <= refine <= 0.99`` (0: uniform).
    checks : bool
        Also evaluate the independent cross-checks (slower).
    operators : dict, optional
        Extra Fermi-sea averages ``g_s <sum_n f <u_n|O|u_n>>_BZ`` per unit cell.

    Returns
    -------
    XResult
    """
    return _solve(model, [mu], T=T, g_s=g_s, tol=tol, nk=nk, refine=refine, checks=checks,
                  operators=operators)[0]


def scan_mu(model, mu, *, T=300.0, g_s=1, tol=1e-4, nk=None, refine=0.6, checks=False, operators=None):
    """``X`` for every chemical potential in ``mu`` [eV], sharing one set of
    eigen-decompositions; the grid is refined until all points meet ``tol``.

    Returns
    -------
    XScan
    """
    mu = np.atleast_1d(np.asarray(mu, dtype=float))
    return XScan(tuple(_solve(model, mu, T=T, g_s=g_s, tol=tol, nk=nk, refine=refine, checks=checks,
                              operators=operators)))


def scan_V(factory, V, mu, *, T=300.0, g_s=1, tol=1e-4, nk=None, refine=0.6):
    """``X`` over displacement energies ``V`` [eV] (and chemical potentials ``mu``).

    Parameters
    ----------
    factory : callable
        ``factory(V) -> Multilayer``, e.g. ``lambda V: bilayer_graphene(V=V)``.
    V, mu : array_like
        Displacement energies and chemical potentials [eV].

    Returns
    -------
    tuple of XScan
        One scan over ``mu`` per value of ``V`` (each needs its own
        eigen-decompositions; the ``mu`` values share them).
    """
    V = np.atleast_1d(np.asarray(V, dtype=float))
    if V.ndim != 1 or not np.all(np.isfinite(V)):
        raise OmmError(bad_value("V", V.tolist(), "expected finite displacement energies in eV"))
    return tuple(scan_mu(factory(float(v)), mu, T=T, g_s=g_s, tol=tol, nk=nk, refine=refine) for v in V)
