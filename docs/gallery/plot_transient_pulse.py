"""
Transient: a field pulse
========================

:func:`omm_fem.simulate` integrates the time-dependent Eq. (1) (the charge
problem stays quasi-static). The current flows from t = 0 and the run starts
from its steady state; a 1 ps, 4 T rectangular pulse of B along x then
precesses the edge accumulation n^z into n^y and back, and the
resistance change Delta I / I_0 follows it. The Python form of
``examples/transient_pulse.toml``; the Strang splitting takes the precession
exactly, so the pulse costs no extra factorisation.
"""

import matplotlib.pyplot as plt
import numpy as np

import omm_fem as om

mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                             X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")  # L_m = 100 nm
mesh = om.rectangle(length=0.4e-6, width=0.6e-6, edge_size=10e-9, size=50e-9)
problem = om.Problem(mesh=mesh, materials=mat, B=[0.0, 0.0, 0.0], order=1, drift=False,
                     contacts=[om.Contact("source", current=1e-6, omm="reflecting"),
                               om.Contact("drain", voltage=0.0, omm="reflecting")])
pulse = {"target": "B.x", "kind": "pulse", "shape": "rectangular", "amplitude": 4.0,
         "t0": 2e-12, "width": 1e-12}
run = om.simulate(problem, t_end=7e-12, dt=5e-14, scheme="strang", initial="steady",
                  waveforms=[pulse])
print(run)
print("steps:", run.results["transient"].get("steps"))

# %%
# Delta I / I_0 and the applied field against time
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
run.plot(ax=ax)
ax_B = ax.twinx()
ax_B.plot(run.t, run.trace("B_x_T"), "C3:", label="$B_x$")
ax_B.set_ylabel("$B_x$ (T)", color="C3")
