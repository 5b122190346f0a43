"""
Inverse-mass tensor of bilayer graphene
=======================================

:mod:`omm_fem.xtensor` computes the inverse-mass tensor X (Eq. 2, SPEC §10)
of Bernal bilayer graphene (Eq. 16) from its tight-binding Hamiltonian:
the in-plane block from the Fermi surface (Eq. 12), X_zz from the Fermi sea
(Eq. 17). Its anisotropy theta = X_zz / X_yy sets how strongly an in-plane
field dephases n^z. :func:`~omm_fem.xtensor.scan_mu` shares one set of
eigen-decompositions between all chemical potentials; a fixed coarse k-grid
(``nk = 128``) keeps the scan quick, and its grid-doubling error estimate is
drawn as error bars (the automatic refinement, ``tol``, gives the documented
values of :mod:`omm_fem.xtensor`).
"""

import matplotlib.pyplot as plt
import numpy as np

import omm_fem as om
from omm_fem.xtensor import bilayer_graphene, inverse_mass_tensor, scan_mu

model = bilayer_graphene(V=0.1)  # displacement energy V = 0.1 eV
res = inverse_mass_tensor(model, mu=0.2, T=300.0, tol=1e-3)
print("X at mu = 0.2 eV [1/m_e]:")
print(np.array2string(res.X_me, precision=5, suppress_small=True))
print(f"theta = {res.theta:.4f}, estimated relative error {res.rel_error:.1e}, "
      f"{res.n_kpoints} k-points, converged: {res.converged}")

# %%
# X_xx, X_zz and theta against the chemical potential (electron doping)
mu = np.linspace(0.1, 1.0, 19)
scan = scan_mu(model, mu, T=300.0, nk=128)
X_me, err_me = scan.X * om.M_E, scan.error * om.M_E  # 1/kg -> 1/m_e
print(f"largest relative error estimate on this grid: {max(p.rel_error for p in scan):.1e}")

fig, (ax_X, ax_theta) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_X.errorbar(scan.mu, X_me[:, 0, 0], err_me[:, 0, 0], fmt="o-", label="$X_{xx} = X_{yy}$")
ax_X.errorbar(scan.mu, X_me[:, 2, 2], err_me[:, 2, 2], fmt="s-", label="$X_{zz}$")
ax_X.set_xlabel(r"$\mu$ (eV)")
ax_X.set_ylabel("X (1/$m_e$)")
ax_X.legend()
ax_theta.plot(scan.mu, X_me[:, 2, 2] / X_me[:, 1, 1], "o-", color="C2")
ax_theta.set_xlabel(r"$\mu$ (eV)")
ax_theta.set_ylabel(r"$\theta = X_{zz} / X_{yy}$")
ax_theta.plot([res.mu], [res.theta], "k*", ms=12, label="automatic grid, tol = 1e-3")
ax_theta.set_title("V = 0.1 eV, T = 300 K")
ax_theta.legend()
