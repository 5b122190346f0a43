"""Checkpoints of a transient run: continue a killed run bit for bit.

With an output directory, :func:`~omm_fem.transient.run.run_transient` writes
``OUT/checkpoint.npz`` every ``[transient.output] checkpoint_every`` steps and
once more after the last step, atomically (temporary name + rename: a kill
never leaves a partial file). It holds everything the rest of the run depends
on:

- the stepper's loop state (:meth:`Stepper.state`: time, step counters, n,
  BDF2's previous state, the adaptive step and error scale, the damped-start
  countdown) and the step statistics;
- the keys of the factorisation cache in LRU order and its counters (the
  factors are recomputed on first use and not counted again, so the reported
  counts and later evictions are those of an uninterrupted run);
- the trace rows so far, the states at the VTU snapshots taken (their fields
  are recomputed from them), the GIF frames, and the loop's own counters;
- the elapsed stepping and observing time;
- a fingerprint (:func:`omm_fem.persist.fingerprint`) of the configuration
  with the transient settings, of the mesh and element order, the omm_fem
  version and the file format. A checkpoint with another fingerprint is
  refused with an :class:`~omm_fem.errors.OmmError`.

The file is an :class:`omm_fem.persist.NpzStore`: scalars as JSON text
(floats round-trip exactly), arrays as arrays; nothing is pickled. Before a
resumed run uses it, its content is checked against the run
(:func:`check_saved`: every entry present, arrays of the mesh's shapes and
finite, step counts and times within the run); anything else is an
:class:`~omm_fem.errors.OmmError` naming the file and what is wrong.
:func:`~omm_fem.transient.outputs.write_transient_outputs`
removes the checkpoint once every output file is written.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import bad_value
from ..io import MAX_STATE_C_PER_M2, TRANSIENT_CHECKPOINT, Contents
from ..persist import NpzStore
from ..persist import fingerprint as run_fingerprint
from .limits import MAX_STEPS

NAME = TRANSIENT_CHECKPOINT  # "checkpoint.npz"


def fingerprint(config, tspec, system):
    """What a checkpoint must match to be resumed (JSON-serialisable dict).

    Parameters
    ----------
    config : dict
        The run's configuration (``RunSpec.config``).
    tspec : TransientSpec
    system : TransientSystem
    """
    pb = system.problem
    return run_fingerprint({"config": config, "transient": asdict(tspec)}, pb.mesh, pb.order)


def _plain(obj):
    """numpy scalars -> Python scalars; tuples -> lists; complex -> {"complex": [re, im]}."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, complex):
        return {"complex": [obj.real, obj.imag]}
    return obj


def _key(obj):
    """Inverse of _plain for factorisation keys (lists were tuples)."""
    if isinstance(obj, list):
        return tuple(_key(v) for v in obj)
    if isinstance(obj, dict):
        return complex(*obj["complex"])
    return obj


class Checkpoint:
    """The checkpoint file of one run.

    Parameters
    ----------
    out_dir : path
        The run's output directory.
    every : int
        Save every ``every`` steps and after the last step (0: never).
    fingerprint : dict
        From :func:`fingerprint`.
    """

    def __init__(self, out_dir, every, fingerprint):
        self.dir = Path(out_dir)
        self.path = self.dir / NAME
        self.every = every
        self.fingerprint = fingerprint
        self._store = NpzStore(self.path, fingerprint)

    def due(self, steps, done):
        """Save after ``steps`` steps? (every ``every`` steps and after the last one)."""
        return self.every > 0 and (steps % self.every == 0 or done)

    def remove(self):
        """Delete the checkpoint file if there is one."""
        self._store.remove()

    def save(self, *, stepper, factors, tracer, recorder):
        """Write the state of a run atomically (see the module docstring)."""
        scalars, arrays = stepper.state()
        st = stepper.stats
        keys, nfact, nsolve = factors.state()
        cols = tracer.columns
        rec = recorder.state()
        meta = {"stepper": scalars,
                "stats": {"steps": st.steps, "rejected": st.rejected, "restarts": st.restarts,
                          "h_min": st.h_min, "h_max": st.h_max, "accepted": st.accepted},
                "factors": {"keys": keys, "factorizations": nfact, "solves": nsolve},
                "columns": list(cols), "recorder": rec["scalars"]}
        data = {"traces": np.array([cols[c] for c in cols], dtype=float)}
        data.update({f"stepper_{k}": v for k, v in arrays.items()})
        data.update({f"recorder_{k}": v for k, v in rec["arrays"].items()})
        return self._store.save(_plain(meta), data)

    def load(self):
        """The saved run as ``(meta, arrays)``, or None when there is no checkpoint.

        Raises
        ------
        OmmError
            The file cannot be read, or it was written for another
            configuration, mesh, omm_fem version or file format.
        """
        return self._store.load()

    def restore(self, saved, *, stepper, factors, tracer, recorder):
        """Put a loaded checkpoint back into the objects of a new run of the same configuration.

        Raises
        ------
        OmmError
            Its content does not fit the run (:func:`check_saved`).
        """
        check_saved(saved, self.path, stepper=stepper, recorder=recorder)
        meta, arrays = saved
        stepper.restore(meta["stepper"], {k[len("stepper_"):]: v for k, v in arrays.items()
                                          if k.startswith("stepper_")})
        st, sm = stepper.stats, meta["stats"]
        st.steps, st.rejected, st.restarts = sm["steps"], sm["rejected"], sm["restarts"]
        st.h_min, st.h_max = float(sm["h_min"]), float(sm["h_max"])
        st.accepted = [tuple(a) for a in sm["accepted"]]
        fm = meta["factors"]
        factors.restore([_key(k) for k in fm["keys"]], fm["factorizations"], fm["solves"])
        tracer.columns = {c: arrays["traces"][i].tolist() for i, c in enumerate(meta["columns"])}
        recorder.restore(meta["recorder"], {k[len("recorder_"):]: v for k, v in arrays.items()
                                            if k.startswith("recorder_")})


def check_saved(saved, path, *, stepper, recorder):
    """Refuse a loaded checkpoint whose content does not fit this run.

    Checks every entry that :meth:`Checkpoint.restore` uses: present and of
    its type; the states (n, BDF2's previous n, the VTU snapshot states, the
    GIF frames) of the mesh's shapes, finite and of at most MAX_STATE_C_PER_M2; time, step counters and
    recorded times within the run (0 <= t <= t_end, at most MAX_STEPS steps).

    Raises
    ------
    OmmError
        Naming ``path``, the entry and what is wrong; saying to run without
        ``--resume``.
    """
    meta, arrays = saved
    c = Contents(path)
    t_end, adaptive = stepper.t_end, stepper.adaptive
    nfree = stepper.n.shape[1]
    sc = c.entry(meta, "stepper", "dict", "a stepper state")
    names = stepper._ADAPTIVE if adaptive else stepper._FIXED
    if set(sc) != set(names):
        raise c.error(f"its stepper state has {sorted(sc)}, this run needs {sorted(names)}")
    t = c.entry(sc, "t", "float", "stepper.t", low=0.0, high=t_end)
    c.entry(sc, "si", "int", "stepper.si", low=0, high=len(stepper.stops) - 1)
    c.entry(sc, "restart", "bool", "stepper.restart")
    c.entry(sc, "damp", "int", "stepper.damp", low=0, high=stepper.damped_steps)
    if adaptive:
        _positive(c, c.entry(sc, "h", "float", "stepper.h", low=0.0, high=stepper.dt_max),
                  "stepper.h")
        c.entry(sc, "scale", "float", "stepper.scale", low=0.0)
    else:
        c.entry(sc, "k", "int", "stepper.k", low=0, high=MAX_STEPS)
        c.entry(sc, "on_grid", "bool", "stepper.on_grid")
        h = c.entry(sc, "h_prev", "float", "stepper.h_prev", low=0.0, high=t_end, optional=True)
        _positive(c, h, "stepper.h_prev")
    big = MAX_STATE_C_PER_M2 / stepper.system.units.density  # the states are scaled
    c.array(arrays, "stepper_n", (3, nfree), bound=big)
    if "stepper_n_prev" in arrays:
        c.array(arrays, "stepper_n_prev", (3, nfree), bound=big)
    sm = c.entry(meta, "stats", "dict", "step statistics")
    steps = c.entry(sm, "steps", "int", "stats.steps", low=1, high=MAX_STEPS)
    c.entry(sm, "rejected", "int", "stats.rejected", low=0, high=MAX_STEPS)
    c.entry(sm, "restarts", "int", "stats.restarts", low=0, high=steps)
    for key in ("h_min", "h_max"):
        _positive(c, c.entry(sm, key, "float", f"stats.{key}", low=0.0, high=t_end),
                  f"stats.{key}")
    acc = c.entry(sm, "accepted", "list", "stats.accepted")
    if len(acc) != (steps if adaptive else 0) or not all(
            isinstance(a, list) and len(a) == 5 for a in acc):
        raise c.error(f"stats.accepted holds {len(acc)} entries, expected "
                      f"{steps if adaptive else 0} lists of 5")
    fm = c.entry(meta, "factors", "dict", "factorisation counters")
    keys = c.entry(fm, "keys", "list", "factors.keys")
    try:
        for k in keys:
            hash(_key(k))
    except (KeyError, TypeError, ValueError):
        raise c.error(f"factors.keys = {str(keys)[:80]!r}... are not factorisation keys") from None
    c.entry(fm, "factorizations", "int", "factors.factorizations", low=0)
    c.entry(fm, "solves", "int", "factors.solves", low=0)
    cols = c.entry(meta, "columns", "list", "trace columns")
    if not cols or cols[0] != "t_s" or len(set(map(str, cols))) != len(cols) or not all(
            isinstance(x, str) for x in cols):
        raise c.error(bad_value("columns", cols, "expected distinct names, the first 't_s'"))
    tr = c.array(arrays, "traces", (len(cols), None), finite=False)
    ts = tr[0]
    if ts.size == 0 or not (np.all(np.isfinite(ts)) and ts[0] >= 0 and ts[-1] <= t
                            and np.all(np.diff(ts) >= 0)):
        raise c.error(f"its trace times (t_s, {ts.size} rows) are not increasing times in "
                      f"[0, t = {t!r}] s")
    _check_recorder(c, meta, arrays, recorder, t, steps, nfree, big)


def _positive(c, v, where):
    if v is not None and not v > 0:
        raise c.error(bad_value(where, v, "expected a time > 0"))


def _check_recorder(c, meta, arrays, recorder, t, steps, nfree, big):
    tspec = recorder.tspec
    rm = c.entry(meta, "recorder", "dict", "recorder state")
    c.entry(rm, "k", "int", "recorder.k", low=steps + 1, high=steps + 1)
    done = c.entry(rm, "vtu_done", "int", "recorder.vtu_done", low=0, high=len(tspec.vtu_times))
    for key, most, arr, shape, bound in (
            ("snap_times", done, "recorder_snap_states", (3, nfree), big),
            ("frame_times", tspec.gif_frames, "recorder_frames", (recorder.nv,),
             MAX_STATE_C_PER_M2)):
        times = c.entry(rm, key, "list", f"recorder.{key}")
        for j, v in enumerate(times):
            c.entry({"v": v}, "v", "float", f"recorder.{key}[{j}]", low=0.0, high=t)
        if len(times) > most:
            raise c.error(f"recorder.{key} holds {len(times)} times, at most {most} expected")
        if times or arr in arrays:
            c.array(arrays, arr, (len(times), *shape), bound=bound)
    for key in ("t_step", "t_obs"):
        c.entry(rm, key, "float", f"recorder.{key}", low=0.0)
