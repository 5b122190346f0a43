"""Benchmark: peak memory and wall time by phase of large steady runs, iterative vs direct.

Each case runs in its own Python process (``python -m omm_fem.studies.bench_memory
CASE_JSON``), so that its peak resident set size (``VmHWM``,
:func:`omm_fem.memory.peak_rss_mb`) is its own. The device is a Hall bar
(channel 40 um x 10 um, two arm pairs 5 um wide) meshed by the structured generator
(:mod:`omm_fem.geometry.structured`) with the boundary-layer rule
``edge_size = ell / 16`` (P1) or ``ell / 8`` (P2) and the bulk size chosen for
the node count; B = 2 T along x, drift on, sink contacts, current drive.

Cases (``kind``):

* ``steady``: mesh, problem checks, :class:`omm_fem.steady.Pipeline` set-up
  (discretisation, charge factorisation or AMG, OMM assembly), one field,
  the two-terminal observables; ``linear`` = "direct" or "iterative";
* ``poisson``: the lean Poisson reference of the direct path on the same
  mesh: basis, assembly of sigma K, factorisation of the non-contact block
  (Cholesky, as the charge problem) and one solve.

``run()`` runs a list of cases one at a time and returns their records with
the machine's load average before each; ``table()`` renders
validation/bench_memory.md against the issue's goals.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

__all__ = ["hall_bar_problem", "lean_poisson", "run_case", "run", "table", "GOALS"]

HALL = dict(length=40e-6, width=10e-6, arms=[12.5e-6, 27.5e-6], arm_width=5e-6, arm_length=7.5e-6)
GOALS = {"rss_p1_GB": 3.0, "wall_over_poisson": 2.0, "rss_p2_GB": 8.0}


def _material():
    from ..material import Material
    from ..units import M_E

    return Material(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                    X=np.diag([24.4, 24.4, 2.44]) / M_E)


def _size_for(nodes, edge, hall=None):
    """Bulk size [m] giving about ``nodes`` structured nodes on the Hall bar ``hall``
    (default :data:`HALL`), by bisection on the exact node count."""
    from ..geometry.structured import hall_bar_grid, node_count

    hall = HALL if hall is None else hall

    def count(size):
        xs, ys, boxes, _ = hall_bar_grid(**hall, size=size, edge_size=edge, growth=0.15)
        return node_count(xs, ys, boxes)

    lo, hi = edge / 4, hall["width"]
    for _ in range(30):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if count(mid) > nodes else (lo, mid)
    return hi


def hall_bar_problem(nodes, order):
    """(Problem, mesh seconds) of the benchmark Hall bar with about ``nodes`` nodes."""
    from ..config.spec import EDGE_FRACTION
    from ..geometry.structured import structured_hall_bar
    from ..problem import Contact, Problem, boundary_layer_length

    mat = _material()
    B = [2.0, 0.0, 0.0]
    edge = boundary_layer_length([mat], [np.array(B), np.zeros(3)]) / EDGE_FRACTION[order]
    size = _size_for(nodes, edge)
    t = time.perf_counter()
    mesh = structured_hall_bar(**HALL, size=size, edge_size=edge, growth=0.15)
    t_mesh = time.perf_counter() - t
    pb = Problem(mesh=mesh, materials=mat, B=B, order=order, drift=True,
                 contacts=[Contact("source", current=1e-6, omm="sink"),
                           Contact("drain", voltage=0.0, omm="sink")])
    return pb, t_mesh, time.perf_counter() - t - t_mesh


def lean_poisson(pb):
    """Lean Poisson solve of the direct path on the built mesh of ``pb``: basis,
    assembly of K, Cholesky factorisation of the non-contact block, one solve.

    Returns
    -------
    dict
        ``basis_s``, ``assembly_s``, ``factor_s``, ``solve_s``, ``total_s`` [s], ``dofs``.
    """
    from skfem import Basis

    from .. import forms, intsets
    from ..discretization import ELEMENTS
    from ..linalg import factor

    t = [time.perf_counter()]
    basis = Basis(pb.mesh, ELEMENTS[pb.order]())
    t.append(time.perf_counter())
    K = forms.diffusion.assemble(basis, c=np.ones((basis.nelems, basis.X.shape[1]))).tocsr()
    fixed = intsets.unique(np.concatenate([basis.get_dofs(c).all() for c in ("source", "drain")]))
    free = intsets.complement(basis.N, fixed)
    phi = np.zeros(basis.N)
    phi[basis.get_dofs("source").all()] = 1.0
    rhs = -(K[free][:, fixed] @ phi[fixed])
    Kff = K[free][:, free]
    t.append(time.perf_counter())
    lu = factor(Kff, spd=True, supernodal=True)
    t.append(time.perf_counter())
    phi[free] = lu.solve(rhs)
    t.append(time.perf_counter())
    return {"basis_s": t[1] - t[0], "assembly_s": t[2] - t[1], "factor_s": t[3] - t[2],
            "solve_s": t[4] - t[3], "total_s": t[4] - t[0], "dofs": int(basis.N)}


def run_case(case):
    """Run one case in this process; returns its record (times [s], memory [MB])."""
    from ..memory import peak_rss_mb
    from ..steady import Pipeline

    pb, t_mesh, t_problem = hall_bar_problem(case["nodes"], case["order"])
    rec = {**case, "nodes_built": int(pb.mesh.p.shape[1]), "mesh_s": t_mesh,
           "problem_s": t_problem, "rss_after_mesh_MB": peak_rss_mb()}
    if case["kind"] == "poisson":
        rec.update(lean_poisson(pb))
    else:
        t = time.perf_counter()
        pipe = Pipeline(pb, linear=case["linear"])
        t1 = time.perf_counter()
        sol = pipe.at_field(pb.B)
        obs = pipe.two_terminal(sol)
        t2 = time.perf_counter()
        rec.update({"dofs": int(pipe.disc.ndofs), "setup_s": t1 - t, "field_s": t2 - t1,
                    "total_s": t2 - t, "rho": float(obs["rho"]),
                    "delta_I_over_I0": float(obs["delta_I_over_I0"])})
    rec["peak_rss_MB"] = peak_rss_mb()
    return rec


def _load():
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return None


def run(cases, timeout=1800):
    """Run ``cases`` (dicts: kind, nodes, order, linear) one subprocess each, in order.

    Returns
    -------
    list of dict
        One record per case (see :func:`run_case`) with ``load`` (1-minute load
        average before the case), ``wall_s`` (the subprocess) and, for a case that
        failed (e.g. out of memory), ``error``.
    """
    out = []
    for case in cases:
        load = _load()
        t = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", __name__, json.dumps(case)],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc = None
        wall = time.perf_counter() - t
        lines = [] if proc is None else [ln for ln in proc.stdout.splitlines()
                                         if ln.startswith("{")]
        if proc is None:
            rec = {**case, "error": f"not finished within {timeout:g} s"}
        elif proc.returncode == 0 and lines:
            rec = json.loads(lines[-1])
        else:
            rec = {**case, "error": (proc.stderr.strip().splitlines()
                                     or [f"exit status {proc.returncode}"])[-1]}
        out.append({**rec, "load": load, "wall_s": wall, "cpus": os.cpu_count()})
    return out


def _find(records, **match):
    for r in records:
        if all(r.get(k) == v for k, v in match.items()) and "error" not in r:
            return r
    return None


def table(records, machine):
    """validation/bench_memory.md from the records of :func:`run`."""
    lines = ["# Memory and time of large steady runs", "",
             f"Machine: {machine}. Each case in its own process, one at a time; peak RSS is "
             "the process's VmHWM; `load` is the 1-minute load average before the case (the "
             "machine is shared: compare ratios). Hall bar 40 um x 10 um with two arm pairs, "
             "structured graded mesh (edge_size = ell/16 at P1, ell/8 at P2), B = 2 T along x, "
             "drift on, one field.", "",
             "| case | nodes | dofs | load | mesh (s) | set-up (s) | field (s) | solve total (s) "
             "| peak RSS (MB) | Delta I/I0 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        name = (f"P{r['order']} {r['kind']}" + (f" {r['linear']}" if r["kind"] == "steady"
                                                else " (lean, direct)"))
        if "error" in r:
            lines.append(f"| {name} | {r['nodes']} | | {r['load']:.1f} | failed: {r['error']} "
                         "| | | | | |")
            continue
        setup = r.get("setup_s", r.get("assembly_s", 0.0) + r.get("factor_s", 0.0)
                      + r.get("basis_s", 0.0))
        field = r.get("field_s", r.get("solve_s"))
        lines.append(f"| {name} | {r['nodes_built']} | {r['dofs']} | {r['load']:.1f} | "
                     f"{r['mesh_s']:.1f} | {setup:.1f} | {field:.1f} | {r['total_s']:.1f} | "
                     f"{r['peak_rss_MB']:.0f} | "
                     + (f"{r['delta_I_over_I0']:.9e} |" if "delta_I_over_I0" in r else " |"))
    lines += ["", "Against the goals (issue: scale and accuracy on demand):", "",
              "| goal | measured | met |", "|---|---|---|"]
    pois = _find(records, kind="poisson", order=1)
    for linear in ("iterative", "direct"):
        r = _find(records, kind="steady", order=1, linear=linear)
        if r is None:
            continue
        gb = r["peak_rss_MB"] / 1e3
        lines.append(f"| P1 {linear}: peak RSS <= {GOALS['rss_p1_GB']:g} GB | {gb:.2f} GB | "
                     f"{'yes' if gb <= GOALS['rss_p1_GB'] else 'no'} |")
        if pois is not None:
            ratio = r["total_s"] / pois["total_s"]
            # one run each, on a shared machine: the loads say whether the ratio compares
            load = (f" (loads {r['load']:.1f} / {pois['load']:.1f})"
                    if r.get("load") is not None and pois.get("load") is not None else "")
            # the least a pipeline does: its charge problem (this Poisson problem) and the
            # field's OMM solve (validation/bench_pipeline.md: the same floor at 176k nodes)
            floor = 1.0 + r["field_s"] / pois["total_s"]
            goal = GOALS["wall_over_poisson"]
            met = "yes" if ratio <= goal else "no, below the floor" if goal < floor else "no"
            lines.append(f"| P1 {linear}: wall <= {goal:g} lean Poisson solves "
                         f"({pois['total_s']:.1f} s) | {ratio:.2f}, floor {floor:.2f}{load} | "
                         f"{met} |")
    r = _find(records, kind="steady", order=2)
    if r is not None:
        gb = r["peak_rss_MB"] / 1e3
        lines.append(f"| P2 ({r['dofs']} dofs, {r['linear']}): peak RSS <= "
                     f"{GOALS['rss_p2_GB']:g} GB | {gb:.2f} GB | "
                     f"{'yes' if gb <= GOALS['rss_p2_GB'] else 'no'} |")
    lines += ["", "floor = 1 + (field part) / Poisson: the charge problem (the Poisson problem "
              "itself) and one OMM solve at the field, the least a steady run does with the path's solvers."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(json.dumps(run_case(json.loads(sys.argv[1]))))
