"""Convergence of rho on the shipped flake mesh under uniform refinement.

    python validation/flake_convergence.py [--levels 3] [--order 1]

Each level splits every triangle of the previous one into four (h halves),
keeping the tags. Reported per level: unknowns, the two-terminal rho (c1 -> c3)
and the four-terminal rho (current c1 -> c3, voltage c2 - c4); from the last
three levels the observed order p = log2(|r1 - r0| / |r2 - r1|) and the
Richardson estimate r_inf = r2 + (r2 - r1) / (2^p - 1). Writes
validation/flake_convergence.md.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from omm_fem.geometry import load_mesh
from omm_fem.material import Material
from omm_fem.measure import Measurement, Terminals
from omm_fem.problem import Contact, Problem
from omm_fem.steady import Pipeline
from omm_fem.units import M_E

HERE = Path(__file__).resolve().parent
MATERIAL = Material(D=0.09, tau=4e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                    X=np.diag([24.4, 24.4, 2.44]) / M_E)  # L_m = 600 nm
CONTACTS = [Contact("c1", current=1e-6), Contact("c3", voltage=0.0),
            Contact("c2", current=0.0), Contact("c4", current=0.0)]
FOUR = Measurement("R_c2_c4", ("c1", "c3"), ("c2", "c4"))
B = (0.5, 0.0, 0.0)


def study(mesh, levels=3, order=1):
    """rho (two- and four-terminal) per refinement level; returns a dict of lists."""
    out = {"dofs": [], "rho2": [], "rho4": []}
    for level in range(levels):
        pipe = Pipeline(Problem(mesh=mesh, materials=MATERIAL, contacts=CONTACTS, B=B,
                                order=order, drift=True))
        term = Terminals(pipe)
        sol = pipe.at_field(B)
        resp = term.response(sol.n[2] / pipe.disc.units.density)
        out["dofs"].append(pipe.disc.ndofs)
        out["rho2"].append(pipe.two_terminal(sol)["rho"])
        out["rho4"].append(float(term.resistance(resp, term.zeroth_order(), FOUR)[2][0]))
        if level + 1 < levels:
            mesh = mesh.refined()
    for key in ("rho2", "rho4"):
        r0, r1, r2 = out[key][-3:]
        p = math.log2(abs(r1 - r0) / abs(r2 - r1))
        out[f"{key}_order"] = p
        out[f"{key}_richardson"] = r2 + (r2 - r1) / (2**p - 1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--order", type=int, default=1, choices=(1, 2))
    ap.add_argument("--out", default=str(HERE / "flake_convergence.md"))
    args = ap.parse_args(argv)
    res = study(load_mesh(HERE.parent / "meshes" / "flake.msh"), args.levels, args.order)
    lines = ["# rho on the flake mesh under uniform refinement", "",
             f"P{args.order}, drift on, B = {list(B)} T along x, L_m = {MATERIAL.L_m:.2g} m; "
             "two-terminal c1 -> c3 and four-terminal (I c1 -> c3, V c2 - c4).", "",
             "| level | unknowns | rho two-terminal | rho four-terminal |", "|---|---|---|---|"]
    for k, (n, r2, r4) in enumerate(zip(res["dofs"], res["rho2"], res["rho4"])):
        lines.append(f"| {k} | {n} | {r2:.8e} | {r4:.8e} |")
    lines += ["", f"observed order: two-terminal {res['rho2_order']:.2f}, four-terminal "
              f"{res['rho4_order']:.2f}", f"Richardson estimate: two-terminal "
              f"{res['rho2_richardson']:.8e}, four-terminal {res['rho4_richardson']:.8e}"]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    return res


if __name__ == "__main__":
    main()
