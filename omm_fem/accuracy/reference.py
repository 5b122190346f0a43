"""An exact reference with a corner: the rectangle between two OMM sinks (a sine series).

Rectangle 0 <= x <= L, |y| <= W/2 (lengths in units of L_m), uniform current
J x̂, field B x̂, diagonal X, drift off, insulating edges (D ∂_y n^z = αJ),
``sink`` contacts (n = 0 at x = 0 and x = L). As for the strip (SPEC §6),
u = n^z + i n^y/√θ solves D ∇²u = λ² D u with λ L_m = √(1 − i√θ φ); with
u_s(y) the strip solution,

    u = u_s(y) − Σ_m c_m sin(k_m y) cosh(μ_m (x − L/2)) / cosh(μ_m L/2),
    k_m = (2m + 1) π / W,   μ_m² = λ² + k_m²,   c_m = (4αJ/(D W)) (−1)^m / μ_m²

(sin(k_m y) has zero slope at the edges, and c_m are the sine coefficients of
u_s, so u = 0 on both contacts). The charge problem is uniform (∇ψ = x̂/L), so
Delta I at fixed voltage is (αD/L) ∫∫ ∂_y n^z = (2αD/L) ∫_0^L n^z(x, W/2) dx:

    Delta I/I0 = α² (2/(L W)) Re[ L tanh(λW/2)/λ − (8/W) Σ_m tanh(μ_m L/2)/μ_m³ ]

which is the strip's Eq. (21) when the sum is dropped. The terms fall like
m⁻³; the series is summed to ``terms`` (default 2·10⁵, remainder < 1e-12
relative). Corners where the sink meets an edge carrying the orbital Hall
flux make it a harder test of a mesh than the strip.
"""
from __future__ import annotations

import numpy as np

from ..analytic import strip_lambda

__all__ = ["sink_rectangle_delta_I_over_I0"]


def _tanh(z):
    """tanh of complex z with Re z >= 0, without overflow."""
    e = np.exp(-2.0 * z)
    return (1.0 - e) / (1.0 + e)


def sink_rectangle_delta_I_over_I0(L, W, phi, theta, alpha, terms=200_000):
    """Delta I / I0 of the sink-contact rectangle (module docstring).

    Parameters
    ----------
    L, W : float
        Length (between the contacts) and width, in units of L_m.
    phi, theta : float
        phi = (e/2) B X_yy tau and theta = X_zz/X_yy (SPEC §6).
    alpha : float
    terms : int
        Terms of the sine series.
    """
    lam = complex(strip_lambda(phi, theta))
    k = (2 * np.arange(terms) + 1) * np.pi / W
    mu = np.sqrt(lam**2 + k**2)
    series = (8.0 / W) * np.sum(_tanh(mu * L / 2) / mu**3)
    return float(alpha**2 * (2.0 / (L * W)) * (L * _tanh(lam * W / 2) / lam - series).real)
