"""Timing of the X computation (issue targets: one X to 1e-4 relative in <= 5 s;
a 201-point mu scan in <= 2x that).

Cases: Bernal bilayer graphene (Eq. 16) at 300 K, V = |gamma1| = 0.38 eV (the
Fig. 2a setting) and V = 0.1 eV (SPEC §9 item 5). "One X" is the hardest
point of the Fig. 2(a) range, mu = 1 eV; the scan covers mu in [-1, 1] eV.
Each timing is the best of ``REPEAT`` runs (the machine is shared).

``run()`` returns the rows and the machine; ``table()`` renders
validation/xtensor_benchmark.md.
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

from ..xtensor import bilayer_graphene, inverse_mass_tensor, scan_mu

__all__ = ["REPEAT", "TOL", "run", "table"]

REPEAT = 3
TOL = 1e-4


def _best(fun):
    best, out = np.inf, None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fun()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(V_values=(0.38, 0.1), mu_single=1.0, mu_scan=np.linspace(-1.0, 1.0, 201)):
    """Time one X and a mu scan for each V.

    Returns
    -------
    dict
        ``rows``: one dict per V (``V``, ``mu``, ``t_one``, ``rel_error_one``,
        ``k_one``, ``n_scan``, ``t_scan``, ``rel_error_scan``, ``k_scan``,
        ``converged``, ``ratio`` = scan / one); ``tol``, ``repeat``, ``cpus``,
        ``cpu``, ``python``, ``numpy``.
    """
    rows = []
    for V in V_values:
        model = bilayer_graphene(V=V)
        t1, one = _best(lambda: inverse_mass_tensor(model, mu=mu_single, T=300.0, tol=TOL))
        t2, scan = _best(lambda: scan_mu(model, mu_scan, T=300.0, tol=TOL))
        rows.append({
            "V": V, "mu": mu_single, "t_one": t1, "rel_error_one": one.rel_error, "k_one": one.n_kpoints,
            "n_scan": len(scan), "t_scan": t2, "rel_error_scan": max(p.rel_error for p in scan.points),
            "k_scan": scan[0].n_kpoints, "converged": one.converged and scan.converged, "ratio": t2 / t1,
        })
    return {"rows": rows, "tol": TOL, "repeat": REPEAT, "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(), "numpy": np.__version__}


def table(result):
    """validation/xtensor_benchmark.md."""
    head = ("| V [eV] | one X (mu = 1 eV) [s] | its rel. error | k-points | 201-point mu scan [s] "
            "| worst rel. error | k-points | scan / one |\n|---|---|---|---|---|---|---|---|\n")
    body = "".join(
        f"| {r['V']:g} | {r['t_one']:.2f} | {r['rel_error_one']:.1e} | {r['k_one']} | {r['t_scan']:.2f} "
        f"| {r['rel_error_scan']:.1e} | {r['k_scan']} | {r['ratio']:.2f} |\n" for r in result["rows"])
    return ("# X benchmark (validation/xtensor_benchmark.py)\n\n"
            f"Bernal bilayer graphene, T = 300 K, tol = {result['tol']:g} (relative, grid-doubling "
            f"estimate), best of {result['repeat']}; {result['cpus']} CPUs ({result['cpu']}), "
            f"Python {result['python']}, numpy {result['numpy']}.\n"
            "Targets: one X <= 5 s; 201-point scan <= 2x one X.\n\n" + head + body)
