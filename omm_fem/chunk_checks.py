"""Content checks of a sweep chunk read back for ``--resume``
(:meth:`omm_fem.persist.SweepCheckpoint.load`): what a chunk with a valid
fingerprint must still hold before its numbers are reused.

A chunk is written atomically by this program, but a file can be edited or
damaged later; its values are echoed into results.json and divided by (R = V/I),
so besides shapes and finiteness (``Contents.array``) they must carry the run's
drive, stay within :data:`RESPONSE_SPAN` times the alpha^0 values, and its solver
info may hold only what :func:`omm_fem.persist.reproducible_info` keeps.
"""
from __future__ import annotations

import numpy as np

__all__ = ["RESPONSE_SPAN", "check_drive", "check_info"]

RESPONSE_SPAN = 1e3  # |a chunk's voltages, currents| <= this times the run's alpha^0 ones


def check_drive(chk, response, drive, contacts):
    """The chunk's contact values carry the run's drive: each current-driven contact its
    current, each voltage-driven one its voltage (``drive``: (current-driven mask, alpha^0
    voltages, alpha^0 currents)), the currents balance, and no value exceeds RESPONSE_SPAN
    times the alpha^0 ones (a value of 1e308 overflows R and rho)."""
    if drive is None or "V" not in response or "I" not in response:
        return
    cur, V0, I0 = (np.asarray(x) for x in drive)
    V, I = response["V"], response["I"]
    if V.shape[1:] != V0.shape or I.shape[1:] != I0.shape:
        raise chk.error(f"arrays 'resp_V', 'resp_I' have shapes {V.shape}, {I.shape}, expected "
                        f"(rows, {V0.size})")
    tol_I, tol_V = 1e-6 * np.abs(I0).max(), 1e-6 * np.abs(V0).max()
    for k, name in enumerate(contacts):
        want, got, tol, what = ((I0[k], I[:, k], tol_I, "current [A]") if cur[k] else
                                (V0[k], V[:, k], tol_V, "voltage [V]"))
        off = np.flatnonzero(~(np.abs(got - want) <= tol))
        if off.size:
            raise chk.error(f"its contact {name!r} has {what} {float(got[off[0]])!r} in field "
                            f"{off[0]} of the chunk, where this run drives {float(want)!r}")
    off = np.flatnonzero(~(np.abs(I.sum(axis=1)) <= 1e-6 * np.abs(I0).max()))
    if off.size:
        raise chk.error(f"its contact currents do not balance in field {off[0]} of the chunk "
                        f"(sum {float(I[off[0]].sum())!r} A)")
    for key, ref, unit in (("V", V0, "V"), ("P", V0, "V"), ("I", I0, "A"), ("dI_fixed", I0, "A")):
        a = response.get(key)
        scale = float(np.abs(ref).max())
        off = np.argwhere(~(np.abs(a) <= RESPONSE_SPAN * scale)) if a is not None else []
        if len(off):  # the O(alpha^2) corrections are a fraction of the alpha^0 values
            raise chk.error(f"array 'resp_{key}' holds {float(a[tuple(off[0])])!r} {unit} in "
                            f"field {off[0][0]} of the chunk, beyond {RESPONSE_SPAN:g} times "
                            f"this run's largest alpha^0 value ({scale:.3g} {unit})")


# what reproducible_info keeps, echoed into results.json: numbers >= 0 and index lists
_INFO = {"basis": "int", "factorizations": "int", "tol": "float", "max_error_estimate": "float",
         "snapshots": "list", "fallback": "list"}


def check_info(chk, info):
    """The solver info of a chunk: only the entries of :func:`reproducible_info`."""
    if not set(info) <= set(_INFO):
        raise chk.error(f"its solver info has {sorted(map(str, info))}, expected entries "
                        f"among {sorted(_INFO)}")
    for key, kind in _INFO.items():
        if key in info:
            v = chk.entry(info, key, kind, f"info.{key}", low=0)
            for j, x in enumerate(v if kind == "list" else []):
                chk.entry({"v": x}, "v", "int", f"info.{key}[{j}]", low=0)
    return info
