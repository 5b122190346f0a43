"""
Hanle magnetoresistance of a Hall bar
=====================================

:func:`omm_fem.sweep` solves a Hall bar over a list of in-plane fields and
reports rho(B) and the normalised rho*(B) (SPEC Eq. 23) of a four-terminal
measurement ``Rxx`` between the top arms, next to the always present
``two_terminal`` one. From 8 fields on the sweep uses the error-controlled
reduced-order model: a few full solves for the whole curve.
"""

import matplotlib.pyplot as plt
import numpy as np

import omm_fem as om

mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                             X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")
bar = om.hall_bar(length=2e-6, width=0.5e-6, arms=[0.7e-6, 1.3e-6], arm_width=0.2e-6,
                  arm_length=0.3e-6, edge_size=40e-9)  # coarse for speed (ell/8 is ~6 nm at 6 T)
device = om.Problem(mesh=bar, materials=mat, order=2,
                    contacts=[om.Contact("source", current=1e-6), om.Contact("drain", voltage=0.0)])
Rxx = om.Measurement("Rxx", current=("source", "drain"), voltage=("probe_1_top", "probe_2_top"))
curve = om.sweep(device, B_T=np.linspace(0.0, 6.0, 25), measurements=[Rxx])
print(curve)
print("method:", curve.method)
print("Rxx(0) =", curve.resistance("Rxx")[0], "Ohm;  rho_xx(0) =", curve.rho("Rxx")[0])

# %%
# rho(B) of both measurements, and rho*(B) of Rxx
fig, (ax_rho, ax_star) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
curve.plot(ax=ax_rho)
curve.plot(ax=ax_star, names=["Rxx"], star=True)
