"""Synthetic Hanle data of the Mn thickness series: mn_t3.csv, mn_t6.csv, mn_t12.csv.

    python examples/fit_mn/make_data.py [--out DIR]

The magnetoresistance mr(B) = (R(B) - R(0)) / R(0) of each film (mn_t3.toml,
mn_t6.toml, mn_t12.toml: thickness 3, 6 and 12 nm) is computed with the FEM at
the parameters of Sala et al., PRL 131, 156703 (2023) (TRUTH below, the values
in the configs), for fields along x from 0.5 to 9 T; Gaussian noise of 2 % of
the film's largest |mr| is added (seeded) and written as the sigma column.
The CSVs go next to this script (or into DIR); ``omm-fem fit
examples/fit_mn/fit_mn.toml`` then fits them.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from omm_fem.config import load_toml
from omm_fem.fitting.model import DatasetModel
from omm_fem.fitting.spec import Dataset, Parameter

HERE = Path(__file__).resolve().parent
TRUTH = {"material.alpha": 0.016, "material.D": 2.0e-6, "material.tau": 2.0e-12}  # L_m = 2 nm
THICKNESS_NM = (3, 6, 12)
B_T = np.arange(1, 19) * 0.5  # 0.5 .. 9 T along x
NOISE = 0.02  # of the largest |mr| of each film
SEED = 20231013


def film(t_nm, out_dir=HERE):
    """The Dataset of one film (fields of B_T; data and sigma are placeholders)."""
    cfg_path = HERE / f"mn_t{t_nm}.toml"
    fields = B_T[:, None] * np.array([1.0, 0.0, 0.0])
    return Dataset(name=f"t{t_nm}nm", config=load_toml(cfg_path), base_dir=HERE,
                   measure="two_terminal", quantity="mr", fields=fields, B_T=B_T,
                   data=np.zeros_like(B_T), sigma=None,
                   source=str(Path(out_dir) / f"mn_t{t_nm}.csv"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE), help="folder of the CSVs (default: here)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    params = [Parameter(path=p, value=v, min=v / 10, max=v * 10, fixed=False)
              for p, v in TRUTH.items()]
    for t in THICKNESS_NM:
        ds = film(t, out)
        mr = DatasetModel(ds, params).evaluate(TRUTH)
        sigma = NOISE * float(np.abs(mr).max())
        noisy = mr + sigma * rng.standard_normal(mr.size)
        lines = [f"# Mn film, thickness {t} nm: synthetic mr(B) of make_data.py "
                 f"(alpha = {TRUTH['material.alpha']:g}, D = {TRUTH['material.D']:g} m^2/s, "
                 f"tau = {TRUTH['material.tau']:g} s; noise {100 * NOISE:g} % of max |mr|, "
                 f"seed {SEED})", "B_T,mr,sigma"]
        lines += [f"{b:g},{v:.6e},{sigma:.6e}" for b, v in zip(B_T, noisy)]
        Path(ds.source).write_text("\n".join(lines) + "\n")
        print(f"{Path(ds.source).name}: {mr.size} fields, max mr = {np.abs(mr).max():.4e}, "
              f"sigma = {sigma:.3e}")


if __name__ == "__main__":
    main()
