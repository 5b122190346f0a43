"""Convergence of rho on the shipped flake mesh under uniform refinement.

Each level splits every triangle of the previous one into four (h halves),
keeping the tags. Reported per level: unknowns, the two-terminal rho (c1 -> c3)
and the four-terminal rho (current c1 -> c3, voltage c2 - c4); from the last
three levels the observed order p = log2(|r1 - r0| / |r2 - r1|) and the
Richardson estimate r_inf = r2 + (r2 - r1) / (2^p - 1). ``table()`` renders
validation/flake_convergence.md.

:func:`flake_mesh` meshes ``meshes/flake.geo`` with other element sizes (as
``meshes/generate.py flake --edge-size .. --size ..`` does), for the same
study on a coarser mesh.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..geometry import load_mesh
from ..material import Material
from ..measure import Measurement, Terminals
from ..problem import Contact, Problem
from ..steady import Pipeline
from ..units import M_E
from . import MESHES

__all__ = ["MATERIAL", "CONTACTS", "FOUR", "B", "MESH", "flake_mesh", "study", "run", "table"]

MATERIAL = Material(D=0.09, tau=4e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                    X=np.diag([24.4, 24.4, 2.44]) / M_E)  # L_m = 600 nm
CONTACTS = [Contact("c1", current=1e-6), Contact("c3", voltage=0.0),
            Contact("c2", current=0.0), Contact("c4", current=0.0)]
FOUR = Measurement("R_c2_c4", ("c1", "c3"), ("c2", "c4"))
B = (0.5, 0.0, 0.0)
MESH = MESHES / "flake.msh"


def flake_mesh(out, *, edge_size=None, size=None):
    """Mesh ``meshes/flake.geo`` into the MSH 4.1 file ``out`` with the given
    boundary and bulk element sizes [m] (None: the .geo defaults); returns ``out``."""
    from ..geometry.gmsh_tools import mesh_geo_file

    return mesh_geo_file(MESHES / "flake.geo", out, edge_size=edge_size, size=size)


def study(mesh, levels=3, order=1):
    """rho (two- and four-terminal) per refinement level of ``mesh``; returns a dict of
    lists (``dofs``, ``rho2``, ``rho4``) plus ``rho2_order``, ``rho2_richardson``,
    ``rho4_order``, ``rho4_richardson`` from the last three levels."""
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


def run(mesh=None, levels=3, order=1):
    """:func:`study` on ``mesh`` (a mesh file or a loaded mesh; default the shipped
    meshes/flake.msh); the result also holds ``order`` and ``levels``."""
    if mesh is None:
        mesh = MESH
    if isinstance(mesh, (str, Path)):
        mesh = load_mesh(mesh)
    res = study(mesh, levels, order)
    res.update(order=order, levels=levels)
    return res


def table(result):
    """validation/flake_convergence.md."""
    res = result
    lines = ["# rho on the flake mesh under uniform refinement", "",
             f"P{res['order']}, drift on, B = {list(B)} T along x, L_m = {MATERIAL.L_m:.2g} m; "
             "two-terminal c1 -> c3 and four-terminal (I c1 -> c3, V c2 - c4).", "",
             "| level | unknowns | rho two-terminal | rho four-terminal |", "|---|---|---|---|"]
    for k, (n, r2, r4) in enumerate(zip(res["dofs"], res["rho2"], res["rho4"])):
        lines.append(f"| {k} | {n} | {r2:.8e} | {r4:.8e} |")
    lines += ["", f"observed order: two-terminal {res['rho2_order']:.2f}, four-terminal "
              f"{res['rho4_order']:.2f}", f"Richardson estimate: two-terminal "
              f"{res['rho2_richardson']:.8e}, four-terminal {res['rho4_richardson']:.8e}"]
    return "\n".join(lines) + "\n"
