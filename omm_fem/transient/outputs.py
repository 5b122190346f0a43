"""Files of a transient run, each written atomically (temporary name + rename).

- ``traces.csv``: one row per recorded step (columns in SI, see run.Tracer);
- ``results.json``: settings, counters, final values, the steady reference, traces;
- ``fields_NNNN.vtu`` + ``fields.pvd``: snapshots at ``vtu_times`` (ParaView time series);
- ``traces.png``: Delta I/I0 and rho, the drive and field, n at points, integrals;
- ``nz.gif``: animation of n^z on the device;
- ``final_state.npz``: n at every DOF, to start another run (``initial = "file"``).

The run's ``checkpoint.npz`` (checkpoint.py) is removed once these are written.
"""
from __future__ import annotations

import logging
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import quoteattr

import numpy as np

from ..errors import ConfigError
from ..io import MAX_STATE_C_PER_M2, atomic_write, ensure_dir, write_csv, write_json, write_vtu
from ..logs import log_written
from ..postprocess import cell_currents
from ..schemas import SCHEMA_VERSION

log = logging.getLogger(__name__)


def write_transient_outputs(result, out_dir):
    """Write every output file of ``result`` into ``out_dir``; returns the paths.

    results.json is written last; after it the run's checkpoint, when it is in
    ``out_dir``, is removed (the finished run needs none).
    """
    from .plots import mesh_area, plot_nz_gif, plot_traces

    t0 = time.perf_counter()
    out = ensure_dir(out_dir)
    written = []
    tr = result.traces
    written.append(write_csv(out / "traces.csv", list(tr), list(tr.values())))
    written.extend(write_snapshots(result, out))
    written.append(plot_traces(out / "traces.png", tr, title=_title(result),
                               area_m2=mesh_area(result.system.problem.mesh)))
    if len(result.frames) >= 2:
        written.append(plot_nz_gif(out / "nz.gif", result.system.problem.mesh, result.frames))
    written.append(write_state(out / "final_state.npz", result))
    written.append(write_json(out / "results.json",
                              {"schema_version": SCHEMA_VERSION, **result.results}))
    ck = result.checkpoint
    if ck is not None and Path(ck).parent.resolve() == out.resolve():
        Path(ck).unlink(missing_ok=True)
    log_written(log, written, out, t0)
    return written


def _title(result):
    r = result.results
    t = r["transient"]
    return (f"{t['scheme']}{' adaptive' if t['adaptive'] else ''}, {t['steps']} steps, "
            f"{r['mesh']['dofs']} DOFs (P{r['mesh']['order']})")


def write_snapshots(result, out):
    """VTU files of the snapshots and the .pvd collection that orders them in time."""
    if not result.snapshots:
        return []
    pipe = result.system.pipeline
    paths, entries = [], []
    for k, (t, sol, phi0) in enumerate(result.snapshots):
        shim = SimpleNamespace(disc=pipe.disc, phi0=phi0)  # alpha^0 potential of time t
        J0, dJ = cell_currents(pipe, sol, phi0)
        name = f"fields_{k:04d}.vtu"
        paths.append(write_vtu(out / name, shim, sol, {"J0_A_per_m": J0, "dJ_A_per_m": dJ},
                               time=t))
        entries.append(f'    <DataSet timestep="{t!r}" group="" part="0" file={quoteattr(name)}/>')
    text = ('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n  <Collection>\n'
            + "\n".join(entries) + "\n  </Collection>\n</VTKFile>\n")

    def w(tmp):
        Path(tmp).write_text(text, encoding="utf-8")

    paths.append(atomic_write(out / "fields.pvd", w))
    from ..fieldfiles import write_xdmf_series

    paths.append(write_xdmf_series(out / "fields.xdmf", pipe, result.snapshots))
    return paths


def write_state(path, result):
    """``final_state.npz``: n [C/m^2] (3, ndofs), the mesh vertices [m], order, t_end [s]."""
    pb = result.system.problem

    def w(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, n_C_per_m2=result.final_state, points_m=pb.mesh.p, order=pb.order,
                     t_s=result.results["transient"]["t_end_s"])

    return atomic_write(path, w)


STATE_KEYS = {"n_C_per_m2", "points_m", "order"}


def read_state(path, where="transient.initial_file"):
    """Read a ``final_state.npz`` of :func:`write_state` (no pickles).

    Returns
    -------
    n : ndarray (3, ndofs)
        [C/m^2].
    points : ndarray (2, nvertices)
        Mesh vertices [m].
    order : int

    Raises
    ------
    ConfigError
        Naming ``where``: the file is not such a file (unreadable, truncated,
        keys or shapes missing, values not finite or with |n| above
        :data:`MAX_STATE_C_PER_M2`).
    """
    head = f"{where} = {str(path)!r} is invalid"
    what = "expected a final_state.npz written by an earlier transient run"
    if not zipfile.is_zipfile(path):
        raise ConfigError(f"{head}: not an .npz archive (truncated or another format); {what}")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {k: data[k] for k in STATE_KEYS & set(data.files)}
            files = sorted(data.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{head}: not a readable .npz archive ({exc}); {what}") from None
    if len(arrays) < len(STATE_KEYS):
        raise ConfigError(f"{head}: it has no {sorted(STATE_KEYS - set(arrays))} (it has "
                          f"{files}); {what}")
    if any(a.dtype.kind not in "iuf" for a in arrays.values()):
        raise ConfigError(f"{head}: its arrays are not numeric; {what}")
    n, pts, order = (arrays["n_C_per_m2"].astype(float), arrays["points_m"].astype(float),
                     arrays["order"])
    if order.shape != () or order.dtype.kind not in "iu" or int(order) not in (1, 2):
        raise ConfigError(f"{head}: order = {order!r}, expected 1 or 2")
    if n.ndim != 2 or n.shape[0] != 3 or pts.ndim != 2 or pts.shape[0] != 2:
        raise ConfigError(f"{head}: n_C_per_m2 of shape {n.shape} and points_m of shape "
                          f"{pts.shape}, expected (3, ndofs) and (2, nvertices)")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(pts))):
        raise ConfigError(f"{head}: it holds non-finite values")
    big = float(np.abs(n).max(initial=0.0))
    if big > MAX_STATE_C_PER_M2:
        raise ConfigError(f"{head}: |n| reaches {big:.3g} C/m^2, above MAX_STATE_C_PER_M2 = "
                          f"{MAX_STATE_C_PER_M2:g} C/m^2 (no drive within the contact limits "
                          f"comes near it, and the norms of such a state overflow); {what}")
    return n, pts, int(order)
