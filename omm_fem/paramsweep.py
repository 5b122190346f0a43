"""Parameter sweeps: one steady run per value of a scalar input, each with its field sweep.

``[sweep] parameter = "material.tau"`` with ``values`` (and optionally ``B_T`` or
``angle_deg``: a parameter x field grid) runs :func:`omm_fem.run.run` once per
value, on the validated configuration of that value
(:mod:`omm_fem.config.parameters`). Cached work is reused where it stays valid:

* a **material** number (D, tau, alpha, sigma, mobility, an X entry) keeps the
  mesh, made once for the smallest boundary layer of all values (the smallest
  ``edge_size`` and bulk ``size`` any value needs), and the discretisation (basis,
  contact DOFs and the internal units of the first value:
  :meth:`omm_fem.discretization.Discretization.with_materials`); the charge
  factorisation is kept too unless sigma changes. A value's numbers equal
  those of a run of its own on the same mesh (``[mesh] edge_size`` and ``size``
  set to the sweep's) up to rounding (the internal units differ);
* a **geometry** length remeshes at every value (a run of its own, exactly).

results.json: the usual entries are those of ``values[0]``;
``parameter_sweep`` holds the parameter, its unit and values and per value the
measured quantities and the field-sweep arrays (``points``). sweep.csv has one
row per (value, field) (:func:`omm_fem.tables.sweep_table`). Every value's
field sweep is checkpointed (``chunk_pNNNN_*.npz``) and resumed with ``--resume``;
without a field sweep, the entry of every value after the first is
(``chunk_ptNNNN_0000.npz``: its ``points`` entry, fingerprinted by the value's
configuration and mesh). The first value is always solved: the run's fields
and figures are of it.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from .config.sections import SINGLE
from .errors import OmmError
from .problem import Problem
from .provenance import provenance
from .steady import Pipeline

log = logging.getLogger(__name__)
POINT_KEYS = ("field_T", "current_A", "voltage_V", "resistance_ohm", "resistance0_ohm", "rho",
              "delta_I_over_I0", "pair", "measurements", "van_der_pauw", "sweep", "warnings")


class SharedMesh:
    """One mesh and discretisation for every value of a material parameter.

    Parameters
    ----------
    points : sequence of RunSpec
        The validated run of every value (they differ in one material number).
    """

    def __init__(self, points):
        s0 = points[0]
        self.resolved = {"edge_size_m": min(s.resolved["edge_size_m"] for s in points),
                         "ell_m": min(s.resolved["ell_m"] for s in points)}
        if s0.geometry["kind"] == "mesh":
            mesh_spec = s0
        else:
            self.resolved["size_m"] = min(s.resolved["size_m"] for s in points)
            mesh_spec = replace(s0, mesh_opts=replace(
                s0.mesh_opts, edge_size=self.resolved["edge_size_m"],
                size=self.resolved["size_m"]))
        self.mesh = mesh_spec.build_problem().mesh
        self.base = None  # the first value's pipeline: its discretisation serves the others
        self.charge_reused = 0

    def setup(self, spec):
        """(Problem, Pipeline) of one value on the shared mesh (for :func:`omm_fem.run.run`)."""
        mats = spec.materials[SINGLE] if list(spec.materials) == [SINGLE] else spec.materials
        problem = Problem(mesh=self.mesh, materials=mats, contacts=spec.contacts, B=spec.B,
                          order=spec.mesh_opts.order, drift=spec.drift)
        pipe = Pipeline(problem, force_coupled=spec.coupled, linear=spec.linear, reuse=self.base)
        if self.base is None:
            self.base = pipe
        elif pipe.charge is self.base.charge:
            self.charge_reused += 1
        return problem, pipe


def point_entry(value, results):
    """The ``parameter_sweep.points`` entry of one value from its run's results."""
    out = {"value": float(value)}
    out.update({k: results[k] for k in POINT_KEYS if k in results})
    out["mesh"] = {k: results["mesh"][k] for k in ("nodes", "elements", "dofs")}
    out["resolved"] = {k: results["resolved"][k] for k in ("ell_m", "edge_size_m")}
    out["time_s"] = results["timing"]["total_s"]
    return out


def run_parameter_sweep(spec, *, progress=True, n_profile=401, out_dir=None, resume=False):
    """Run every value of ``spec.parameter_sweep``; returns the
    :class:`~omm_fem.run.RunResult` of the first value with ``parameter_sweep`` added
    to its results (module docstring)."""
    from .run import run

    ps = spec.parameter_sweep
    t0 = time.perf_counter()
    shared = SharedMesh(ps.points) if ps.kind == "material" else None
    points, first, reused, resumed = [], None, 0, 0
    n = len(ps.values)
    for k, (value, sk) in enumerate(zip(ps.values, ps.points)):
        stored = out_dir is not None and sk.sweep is None and k > 0  # a point file of its own
        if stored and resume:
            entry = _saved_point(out_dir, k, value, sk, shared)
            if entry is not None:
                points.append(entry)
                resumed += 1
                log.info("parameter sweep %d/%d: %s = %.6g %s taken from the checkpoint",
                         k + 1, n, ps.path, value, ps.unit)
                continue
        res = run(sk, progress=progress, n_profile=n_profile, out_dir=out_dir, resume=resume,
                  setup=None if shared is None else shared.setup, checkpoint_tag=f"p{k:04d}")
        r = res.results
        if shared is not None:  # the mesh is the sweep's, not this value's own rule
            r["resolved"] = {**r["resolved"], **shared.resolved}
        reused += r["timing"].get("sweep_fields_from_checkpoint", 0)
        points.append(point_entry(value, r))
        if stored:
            _point_store(out_dir, k, sk, res.pipeline.problem.mesh).save({"entry": points[-1]})
        first = first or res
        log.info("parameter sweep %d/%d: %s = %.6g %s: R = %.8g Ohm, rho = %.6g (%.1f s)",
                 k + 1, n, ps.path, value, ps.unit, r["resistance_ohm"], r["rho"],
                 r["timing"]["total_s"])
    results = dict(first.results)
    results["input"] = spec.config
    results["parameter_sweep"] = {
        "parameter": ps.path, "unit": ps.unit, "scale": ps.scale, "values": ps.values,
        "mesh": ("one mesh for every value (for the smallest boundary layer of the values)"
                 if shared is not None else "a new mesh for every value"),
        "reused": {"mesh": shared is not None, "discretization": shared is not None,
                   "charge_factorization": shared is not None
                   and shared.charge_reused == n - 1 - resumed},
        "results_outside": "the other entries of results.json are those of values[0]",
        "points": points}
    results["timing"] = {**results["timing"], "sweep_fields_from_checkpoint": reused,
                         "parameter_values_from_checkpoint": resumed,
                         "total_s": time.perf_counter() - t0}
    results["provenance"] = provenance(spec.config)
    first.results = results
    return first


def _point_store(out_dir, k, spec, mesh):
    """The checkpoint of value k of a sweep without field sweep (``NpzStore``)."""
    from .io import SWEEP_DIR
    from .persist import NpzStore, fingerprint

    return NpzStore(Path(out_dir) / SWEEP_DIR / f"chunk_pt{k:04d}_0000.npz",
                    fingerprint(spec.config, mesh, spec.mesh_opts.order))


def _saved_point(out_dir, k, value, spec, shared):
    """The saved ``points`` entry of value k, or None; OmmError for a file of another
    run (fingerprint) or with other content."""
    mesh = shared.mesh if shared is not None else spec.build_problem().mesh
    store = _point_store(out_dir, k, spec, mesh)
    saved = store.load()
    if saved is None:
        return None
    entry = saved[0].get("entry")
    if not isinstance(entry, dict) or entry.get("value") != float(value) \
            or not isinstance(entry.get("measurements"), dict):
        raise OmmError(f"--resume: checkpoint {str(store.path)!r} does not hold the entry of "
                       f"value {k + 1} ({float(value)!r}); run without --resume to start over")
    return entry


def summary_line(results):
    """The printed summary's line of a parameter sweep."""
    ps = results["parameter_sweep"]
    v = ps["values"]
    grid = len(ps["points"][0].get("sweep", {}).get("fields_T", [])) if ps["points"] else 0
    return (f"parameter sweep: {ps['parameter']} over {len(v)} values from {min(v):.6g} to "
            f"{max(v):.6g} {ps['unit']}" + (f", each with {grid} fields" if grid else "")
            + f" ({ps['mesh']}); the values above are those of {ps['parameter']} = {v[0]:.6g}"
            + (f"; resumed: {got} values taken from the checkpoint of the killed run"
               if (got := results["timing"].get("parameter_values_from_checkpoint")) else ""))
