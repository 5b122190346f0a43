"""
Van der Pauw and Hall resistances from one call
===============================================

On the Greek cross ``meshes/cross.msh`` (contacts ``c1`` = +x, ``c2`` = +y,
``c3`` = -x, ``c4`` = -y) every :class:`omm_fem.Measurement` is driven
through its own current pair, every other contact floating, as in a lab
(:mod:`omm_fem.circuits`). So one :func:`omm_fem.solve` gives the two van der
Pauw configurations and the transverse (Hall-type) pair. The discretisation
and the charge factorisation are shared; each circuit costs little more.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import brentq

import omm_fem as om


def repository_root():
    """The checkout root (``__file__`` is not defined when sphinx-gallery runs this)."""
    here = Path(globals().get("__file__", Path.cwd() / "plot_van_der_pauw.py")).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "meshes" / "cross.msh").is_file():
            return folder
    raise FileNotFoundError("meshes/cross.msh not found above " + str(here))


mesh = om.load_mesh(repository_root() / "meshes" / "cross.msh")
mat = om.Material.from_units(D=9e-2, tau=4e-12, alpha=0.05, sigma=1.6e-3,
                             X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")  # L_m = 600 nm
# the problem's own drive (c1 -> c3) is the "two_terminal" measurement
cross = om.Problem(mesh=mesh, materials=mat, B=[0.5, 0.5, 0.0], order=1, drift=False,
                   contacts=[om.Contact("c1", current=1e-6), om.Contact("c3", voltage=0.0),
                             om.Contact("c2", current=0.0), om.Contact("c4", current=0.0)])
measurements = [
    om.Measurement("R_12,43", current=("c1", "c2"), voltage=("c4", "c3")),  # van der Pauw A
    om.Measurement("R_23,14", current=("c2", "c3"), voltage=("c1", "c4")),  # van der Pauw B
    om.Measurement("R_13,24", current=("c1", "c3"), voltage=("c2", "c4")),  # transverse pair
]
sol = om.solve(cross, measurements=measurements)
for name in sol.measurement_names:
    print(f"{name:>13}: R = {sol.resistance(name):10.4f} Ohm, R0 = {sol.resistance0(name):10.4f} "
          f"Ohm, rho = {sol.rho(name):.4e}")

# %%
# The van der Pauw equation exp(-pi R_A / R_s) + exp(-pi R_B / R_s) = 1 gives
# the sheet resistance; at alpha^0 it is the material's 1 / sigma up to the
# finite size of the contacts at the arm ends.
RA, RB = sol.resistance0("R_12,43"), sol.resistance0("R_23,14")
Rs = brentq(lambda r: np.exp(-np.pi * RA / r) + np.exp(-np.pi * RB / r) - 1.0, 1.0, 1e6)
print(f"van der Pauw R_s = {Rs:.2f} Ohm (1/sigma = {1 / mat.sigma:.2f} Ohm)")

# %%
# The transverse pair: its R0 vanishes by symmetry up to the asymmetry of the
# unstructured mesh, so its rho is reported as NaN; R - R0 is its O(alpha^2) correction.
R0xy = sol.resistance0("R_13,24")
dRxy = sol.resistance("R_13,24") - R0xy
print(f"transverse: R0 = {R0xy:.2e} Ohm (mesh asymmetry), R - R0 = {dRxy:.2e} Ohm")

# %%
# n^z of the problem's own drive (c1 -> c3), and rho of every circuit
fig, (ax_map, ax_bar) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
sol.plot_map(ax=ax_map)
names = sol.measurement_names
rho = [sol.rho(n) for n in names]
ax_bar.bar(range(len(names)), [0.0 if np.isnan(r) else r for r in rho], color="C0")
for k, r in enumerate(rho):
    if np.isnan(r):
        ax_bar.annotate("undefined\n($V_0$ = 0)", (k, 0.0), ha="center", va="bottom")
ax_bar.set_xticks(range(len(names)), names)
ax_bar.axhline(0.0, color="k", lw=0.8)
ax_bar.set_ylabel(r"$\rho$ (relative resistance change)")
ax_bar.set_title("one drive per measurement")
