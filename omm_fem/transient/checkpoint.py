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
(floats round-trip exactly), arrays as arrays; nothing is pickled.
:func:`~omm_fem.transient.outputs.write_transient_outputs`
removes the checkpoint once every output file is written.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..persist import NpzStore
from ..persist import fingerprint as run_fingerprint

NAME = "checkpoint.npz"


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

    @staticmethod
    def restore(saved, *, stepper, factors, tracer, recorder):
        """Put a loaded checkpoint back into the objects of a new run of the same configuration."""
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
