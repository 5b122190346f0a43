"""
Four-terminal measurement on a flake
====================================

The shipped mesh ``meshes/flake.msh`` is an irregular flake with a hole and
four contacts ``c1`` .. ``c4`` (the Python form of ``examples/flake.toml``).
A current flows from ``c1`` to ``c3``; ``c2`` and ``c4`` float (``current =
0``: equipotential metal probes) and measure the voltage. Linear (P1)
elements and five fields keep the example quick; see ``meshes/README.md``
for the resolution the committed meshes are graded for.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import omm_fem as om


def repository_root():
    """The checkout root (``__file__`` is not defined when sphinx-gallery runs this)."""
    here = Path(globals().get("__file__", Path.cwd() / "plot_flake.py")).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "meshes" / "flake.msh").is_file():
            return folder
    raise FileNotFoundError("meshes/flake.msh not found above " + str(here))


mesh = om.load_mesh(repository_root() / "meshes" / "flake.msh")
mat = om.Material.from_units(D=9e-2, tau=4e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                             X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")  # L_m = 600 nm
flake = om.Problem(mesh=mesh, materials=mat, B=[0.5, 0.0, 0.0], order=1,
                   contacts=[om.Contact("c1", current=1e-6), om.Contact("c3", voltage=0.0),
                             om.Contact("c2", current=0.0), om.Contact("c4", current=0.0)])
R24 = om.Measurement("R_c2_c4", current=("c1", "c3"), voltage=("c2", "c4"))

sol = om.solve(flake, measurements=[R24])
print(sol)
print(f"R_c2_c4 = {sol.resistance('R_c2_c4'):.4f} Ohm, rho = {sol.rho('R_c2_c4'):.4e}")

curve = om.sweep(flake, B_T=np.linspace(0.0, 1.0, 5), measurements=[R24])
print(curve)

# %%
# n^z at 0.5 T and rho(B) of both measurements
fig, (ax_map, ax_rho) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained",
                                     gridspec_kw={"width_ratios": [1.5, 1]})
sol.plot_map(ax=ax_map)
curve.plot(ax=ax_rho)
