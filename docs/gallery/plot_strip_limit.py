"""
Strip limit: FEM against the exact solution
===========================================

A rectangle with reflecting contacts and no drift is the strip of SPEC §6 at
every x, so the finite-element n^z(y) across the channel must agree with the
closed form of :mod:`omm_fem.analytic` (Eq. 19). This is the check the
built-in example ``omm-fem run`` makes, here on a smaller P2 mesh.
"""

import matplotlib.pyplot as plt
import numpy as np

import omm_fem as om

mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                             X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")  # L_m = 100 nm
length, width, current = 0.4e-6, 0.6e-6, 1e-6
mesh = om.rectangle(length=length, width=width, edge_size=12e-9, size=60e-9)
problem = om.Problem(mesh=mesh, materials=mat, B=[1.0, 0.0, 0.0], order=2, drift=False,
                     contacts=[om.Contact("source", current=current, omm="reflecting"),
                               om.Contact("drain", voltage=0.0, omm="reflecting")])
sol = om.solve(problem)
print(sol)

# %%
# n^z and n^y across the channel at x = length / 2, against Eq. (19)
y = np.linspace(-width / 2, width / 2, 201)
fem = sol.profile(np.vstack([np.full_like(y, length / 2), y]))
nz, ny = om.analytic.strip_profiles_si(y, width=width, J=current / width, B=1.0, material=mat)
err = np.max(np.abs(fem[2] - nz)) / np.max(np.abs(nz))
print(f"max |n^z(FEM) - n^z(exact)| / max |n^z| = {err:.2e}")

fig, (ax_map, ax_prof) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
sol.plot_map(ax=ax_map)
ax_prof.plot(y * 1e9, nz, "k-", lw=3, alpha=0.35, label="$n^z$ exact")
ax_prof.plot(y * 1e9, fem[2], "C0--", label="$n^z$ FEM")
ax_prof.plot(y * 1e9, ny, "k-", lw=3, alpha=0.2, label="$n^y$ exact")
ax_prof.plot(y * 1e9, fem[1], "C1--", label="$n^y$ FEM")
ax_prof.set_xlabel("y (nm)")
ax_prof.set_ylabel("n (C/m$^2$)")
ax_prof.set_title(f"x = L/2; relative error of $n^z$: {err:.1e}")
ax_prof.legend()
