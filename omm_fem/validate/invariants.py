"""Physical invariants on a genuinely 2D device (SPEC §3, §5, §8).

Sink contacts, drift on and a 6 x 3 L_m rectangle make n two-dimensional
(contact layers, corners), so nothing here relies on the strip limit. Each
identity holds exactly in the discrete system: only rounding remains.
"""
from __future__ import annotations

import numpy as np

from ..geometry import rectangle
from ..steady import Pipeline
from .cases import Case, rel_error
from .common import field_for_phi, make_pipeline, material

TOL = 1e-10
WHY = "an identity of the discrete system (symmetry or conservation): rounding only"


def invariants():
    """Current balance, field reversal, in-plane isotropy, B along z, Schur vs block -> cases."""
    mat = material(L_m=100e-9, tau=1e-12, alpha=0.05, m_star=0.041, theta=0.3, mobility=1.0)
    Lm = mat.L_m
    B = float(field_for_phi(mat, 3.0))
    mesh = rectangle(length=6 * Lm, width=3 * Lm, size=Lm / 2, edge_size=Lm / 8)
    pipe = make_pipeline(mesh, mat, "sink", ("source", "drain"), order=2, drift=True,
                         current=2e-4)

    def rho(field):
        return pipe.two_terminal(pipe.at_field(field))["rho"]

    r0, rB = rho([0, 0, 0]), rho([B, 0, 0])
    bal = 0.0
    for field in ([0, 0, 0], [B, 0, 0], [0.3 * B, 0.5 * B, 0.2 * B]):
        sol = pipe.at_field(field)
        I = np.array(list(sol.currents.values()))
        bal = max(bal, abs(I.sum()) / np.abs(I).max())
    rot = [rho([B * np.cos(a), B * np.sin(a), 0]) for a in np.radians([30, 90, 200])]
    k = int(np.argmax(np.abs(np.array(rot) - rB)))
    cpl = Pipeline(pipe.problem, force_coupled=True)
    field = [0.6 * B, -0.3 * B, 0.74 * B]
    r_dec, r_cpl = rho(field), cpl.two_terminal(cpl.at_field(field))["rho"]
    where = "6 x 3 L_m rectangle, sink contacts, drift on, theta = 0.3, phi = 3"
    return [
        Case("invariants.current_balance", f"|sum of contact currents| / max|I| over three fields, "
             f"{where}", bal, 0.0, bal, TOL, WHY),
        Case("invariants.reversal", f"rho(-B) vs rho(B), B along x, {where}, relative",
             rho([-B, 0, 0]), rB, rel_error(rho([-B, 0, 0]), rB), TOL, WHY),
        Case("invariants.in_plane", f"rho for in-plane fields at 30, 90, 200 deg vs along x "
             f"(X_xx = X_yy), {where}, worst relative", rot[k], rB, rel_error(rot[k], rB), TOL, WHY),
        Case("invariants.along_z", f"rho(B along z) vs rho(0) (a field along z does not precess "
             f"n^z), {where}, relative", rho([0, 0, B]), r0, rel_error(rho([0, 0, B]), r0), TOL,
             WHY),
        Case("invariants.schur_vs_block", f"rho from the decoupled Schur solve vs the coupled 3N "
             f"block solve, oblique field, {where}, relative", r_dec, r_cpl,
             rel_error(r_dec, r_cpl), TOL, "two exact solution paths of the same linear system: "
             "rounding only"),
    ]
