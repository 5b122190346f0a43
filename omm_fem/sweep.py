"""Field sweeps: rho(B) and the normalised rho*(B) (SPEC §5, Eq. 23).

The field-independent work (mesh, charge factorisation, OMM assembly, Delta J
coupling) is done once in a :class:`~omm_fem.steady.Pipeline`; each field then
costs one OMM solve and one back-substitution of the charge factorisation.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .errors import OmmError, bad_value
from .material import as_field_vector


def sweep_fields(B_T, direction):
    """Field vectors [T], shape (n, 3), for magnitudes ``B_T`` along ``direction``."""
    u = as_field_vector(direction, "sweep.direction")
    norm = np.linalg.norm(u)
    if norm == 0:
        raise OmmError(bad_value("sweep.direction", u.tolist(), "must be a non-zero 3-vector"))
    mags = np.asarray(B_T, dtype=float)
    if mags.ndim != 1 or mags.size == 0 or not np.all(np.isfinite(mags)):
        raise OmmError(bad_value("sweep.B_T", B_T, "expected a non-empty list of finite numbers (T)"))
    return mags[:, None] * (u / norm)[None, :]


def rho_infinity_factor(materials, direction):
    """kappa with rho(inf) = kappa * rho(0) for a field growing along ``direction``.

    As |B| -> inf, n is projected onto the kernel of the precession matrix
    [u]x X. That kernel is spanned by adj(X) u when u.adj(X).u > 0, and the
    z-source survives with weight kappa = u_z (adj(X) u)_z / (u . adj(X) u);
    kappa = 0 for every in-plane direction (the dephasing of SPEC §5).

    Returns
    -------
    float or None
        None when the limit is not a multiple of rho(0) (regions with different
        kappa, or u.adj(X).u = 0 such as X_zz = 0 with an in-plane field).
    """
    u = np.asarray(direction, float)
    u = u / np.linalg.norm(u)
    kappas = []
    for mat in materials:
        X = np.asarray(mat.X, float)
        adj = np.linalg.det(X) * np.linalg.inv(X) if np.linalg.matrix_rank(X) == 3 else _adjugate(X)
        q = u @ adj @ u
        if not q > 1e-12 * np.abs(adj).max(initial=0.0):
            return None
        kappas.append(u[2] * (adj @ u)[2] / q)
    if not np.allclose(kappas, kappas[0], rtol=0, atol=1e-12):
        return None
    return float(kappas[0])


def _adjugate(X):
    C = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            minor = np.delete(np.delete(X, i, axis=0), j, axis=1)
            C[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return C.T


def rho_star(rho, rho0, kappa):
    """rho* = (rho - rho0) / (rho_inf - rho0) with rho_inf = kappa rho0, or (None, reason)."""
    if kappa is None:
        return None, ("rho* is undefined: the field direction cannot fully dephase n^z "
                      "(e.g. X_zz = 0, or regions whose large-field limits differ)")
    denom = (kappa - 1.0) * rho0
    if abs(kappa - 1.0) < 1e-12:
        return None, "rho* is undefined: a field along this direction does not precess n^z (rho(inf) = rho(0))"
    if denom == 0.0:
        return None, "rho* is undefined: rho(0) = 0 (no orbital Hall effect, alpha = 0)"
    return (np.asarray(rho) - rho0) / denom, None


def run_sweep(pipeline, fields, *, keep=(), progress=True):
    """Evaluate the pipeline at each field.

    Parameters
    ----------
    pipeline : Pipeline
    fields : ndarray (n, 3)
        Fields [T].
    keep : iterable of int
        Indices whose full :class:`FieldSolution` is returned (for plots/VTU).

    Returns
    -------
    rows : list of dict
        Two-terminal observables per field.
    kept : dict[int, FieldSolution]
    """
    keep = set(int(k) for k in keep)
    rows, kept = [], {}
    # the bar appears only for sweeps that take more than a couple of seconds
    with tqdm(total=len(fields), desc="field sweep", unit="field", delay=2.0,
              disable=not progress, leave=False) as bar:
        for k, B in enumerate(fields):
            sol = pipeline.at_field(B)
            rows.append(pipeline.two_terminal(sol))
            if k in keep:
                kept[k] = sol
            bar.update(1)
    return rows, kept
