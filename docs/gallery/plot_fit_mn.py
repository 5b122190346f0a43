"""
Fitting measured Hanle curves
=============================

:func:`omm_fem.fit` fits material parameters, with standard errors, to
measured curves on the device geometry. ``examples/fit_mn/fit_mn.toml`` is a
Mn thickness series (3, 6 and 12 nm films seen as strips) made at the
parameters of Sala et al. (PRL 131, 156703, 2023): alpha = 0.016,
tau = 2 ps (held fixed) and L_m = 2 nm. For one material without drift every
parameter set is the same reduced model (SPEC §13), so the whole fit costs
a few steady solves. ``compare_formula`` also fits the strip formula
(Eq. 22), reported under ``result.formula``.
"""

import math
from pathlib import Path

import matplotlib.pyplot as plt

import omm_fem as om


def repository_root():
    """The checkout root (``__file__`` is not defined when sphinx-gallery runs this)."""
    here = Path(globals().get("__file__", Path.cwd() / "plot_fit_mn.py")).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "examples" / "fit_mn" / "fit_mn.toml").is_file():
            return folder
    raise FileNotFoundError("examples/fit_mn/fit_mn.toml not found above " + str(here))


result = om.fit(repository_root() / "examples" / "fit_mn" / "fit_mn.toml", progress=False)
for path, p in result.parameters.items():
    err = "fixed" if p["fixed"] else f"+- {p['stderr']:.2g}"
    print(f"{path:>15} = {p['value']:.5g} {err}")
D, tau = result.value("material.D"), result.value("material.tau")
print(f"L_m = sqrt(D tau) = {math.sqrt(D * tau) * 1e9:.3f} nm; reduced chi^2 = "
      f"{result.reduced_chi2:.3f}; {result.evaluations} evaluations")
if result.formula is not None:
    print(f"strip formula: alpha = {result.formula.value('material.alpha'):.5g}")

# %%
# Data (with error bars) and the fitted model of each film: (R(B) - R(0)) / R(0)
fig, (ax, ax_res) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, layout="constrained",
                                 gridspec_kw={"height_ratios": [3, 1]})
for k, d in enumerate(result.datasets):
    ax.errorbar(d["B_T"], d["data"], d["sigma"], fmt="o", ms=3, color=f"C{k}",
                label=f"{d['name']} data")
    # the smooth model curve (present when the dataset has a field direction), else the points
    B, model = d.get("curve_B_T", d["B_T"]), d.get("curve", d["model"])
    ax.plot(B, model, "-", color=f"C{k}", label=f"{d['name']} model")
    ax_res.plot(d["B_T"], d["residual"], "o-", ms=3, color=f"C{k}")
ax.set_ylabel("(R(B) - R(0)) / R(0)")
ax.legend(ncols=3, fontsize="small")
ax_res.set_xlabel("B (T)")
ax_res.set_ylabel("data - model")
