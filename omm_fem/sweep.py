"""Field sweeps: rho(B), the normalised rho*(B) (SPEC §5, Eq. 23) and fast
terminal-response sweeps.

The field-independent work (mesh, charge factorisation, OMM assembly, Delta J
coupling) is done once in a :class:`~omm_fem.steady.Pipeline`; every
observable of a field is then a small matrix-vector product of n^z
(:class:`~omm_fem.measure.Terminals`). :func:`sweep_terminals` gets n^z for all
fields either from a reduced-order model (:mod:`omm_fem.reduced`: a few full
solves, error-controlled, for any number of fields) or point by point.

Executors
---------
Direct solves (``method="direct"``, or the fields a reduced model could not
certify) run in chunks through any :class:`concurrent.futures.Executor`. Each
task carries the picklable :class:`~omm_fem.problem.Problem`; a worker builds
its own Pipeline once per sweep and returns only response arrays. With
``executor=None`` the sweep times its first field and uses a spawned
``ProcessPoolExecutor`` (up to 8 workers, one per CPU) when the estimate

    POOL_START_S + POOL_SETUP_FIELDS * t1 + n * t1 / workers < 0.8 * n * t1

holds (t1 the first field's solve time, n the remaining fields); pass
``executor=False`` to stay serial. Beyond one machine::

    from dask.distributed import Client
    client = Client("scheduler-address:8786")
    res = sweep_terminals(pipe, fields, terminals=T, method="direct",
                          executor=client.get_executor())

    # mpiexec -n 17 python -m mpi4py.futures script.py
    from mpi4py.futures import MPIPoolExecutor
    with MPIPoolExecutor() as ex:
        res = sweep_terminals(pipe, fields, terminals=T, method="direct", executor=ex)

The workers need omm_fem installed; the caller owns (and shuts down) the executor.
Thread pools work too (one pipeline per thread) but were measured slower
than serial (16 fields, ~40k nodes: 5.3 s against 3.5 s).
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from dataclasses import field as dc_field

import numpy as np
from numpy.typing import ArrayLike

from . import logs
from .checks import integer
from .errors import OmmError, bad_value
from .measure import Terminals, rho_infinity_factor, rho_star  # noqa: F401 (re-exported)
from .reduced import greedy_reduced
from .steady import Pipeline

METHODS = ("auto", "reduced", "direct")
AUTO_REDUCED_MIN_FIELDS = 8  # a reduced model needs 4-6 full solves (measured; bench_sweep.md)
POOL_SETUP_FIELDS = 4.0  # a worker's Pipeline setup in units of one field solve (measured 3.5)
POOL_START_S = 5.0  # spawning workers, importing, pickling the problem [s]
_CHUNK = 16  # fields per n^z reconstruction (bounds memory to 16 x ndofs)


@dataclass
class SweepResult:
    """Terminal responses of a field sweep.

    Attributes
    ----------
    fields : ndarray (nfields, 3)
        Fields [T].
    response : dict of ndarray
        As :meth:`~omm_fem.measure.Terminals.response`, leading dimension
        nfields: ``V`` contact voltages [V], ``I`` contact currents [A],
        ``dI_fixed`` current changes at fixed voltages [A], ``P`` probe potentials [V].
    zeroth : dict of ndarray
        :meth:`~omm_fem.measure.Terminals.zeroth_order` (one row).
    kept : dict[int, FieldSolution]
        Full solutions (SI) of the requested indices.
    method : {"reduced", "direct"}
    info : dict
        Always ``time_s`` (phase timings [s]), ``fallback`` (indices solved
        directly) and ``workers``. Reduced method also: ``basis`` (size k),
        ``snapshots`` (field indices of the full solves), ``factorizations``,
        ``backsolves``, ``residual`` and ``error_estimate`` (nfields,),
        ``tol``, ``effectivity``, ``verified``, ``history`` and
        ``uncontrolled`` (measurements whose rho is undefined).
    """

    fields: np.ndarray
    response: dict
    zeroth: dict
    kept: dict
    method: str
    info: dict = dc_field(default_factory=dict)


def sweep_terminals(pipeline: Pipeline, fields: ArrayLike, *, terminals: Terminals, keep=(),
                    measurements=(), method: str = "auto", executor=None, progress: bool = True,
                    tol: float = 1e-8, max_snapshots: int = 30) -> SweepResult:
    """Terminal responses for every field of a sweep.

    Parameters
    ----------
    pipeline : Pipeline
    fields : array_like (nfields, 3)
        Fields [T], any list (magnitude or angle sweeps, arbitrary order).
    terminals : Terminals
        Built on ``pipeline``; sets the contacts and probes reported.
    keep : iterable of int
        Indices whose :class:`~omm_fem.steady.FieldSolution` is returned.
    measurements : sequence of Measurement
        Their rho joins the outputs whose error the reduced model controls
        (contact currents and probe potentials always do).
    method : {"auto", "reduced", "direct"}
        ``"direct"`` solves every field; ``"reduced"`` uses
        :func:`omm_fem.reduced.greedy_reduced` and solves directly only the
        fields it cannot certify; ``"auto"`` is ``"reduced"`` from
        ``AUTO_REDUCED_MIN_FIELDS`` fields on.
    executor : concurrent.futures.Executor, False or None
        Runs the direct solves in chunks (module docstring). None: a process
        pool when it pays off; False: serial.
    progress : bool
        A bar on a terminal, else progress lines (:func:`omm_fem.logs.progress`; shown
        only for sweeps longer than 2 s), and a final line with the count and time.
    tol : float
        Reduced method: target estimated relative error of every output and
        field (1e-8 keeps rho within 1e-6 with a wide margin; bench_sweep.md).
    max_snapshots : int
        Reduced method: at most this many full solves in the greedy.

    Returns
    -------
    SweepResult
    """
    t_start = time.perf_counter()
    fields = _check_fields(pipeline, fields)
    nf = len(fields)
    keep = sorted({_index(k, nf) for k in keep})
    if method not in METHODS:
        raise OmmError(bad_value("sweep.method", method, f"allowed: {list(METHODS)}"))
    if method == "auto":
        method = "reduced" if nf >= AUTO_REDUCED_MIN_FIELDS else "direct"
    if terminals.pipe is not pipeline:
        raise OmmError("sweep.terminals: built on another pipeline; "
                       "use Terminals(pipeline, probes)")
    info = {"fallback": [], "workers": 1, "time_s": {}}
    with logs.progress(nf, f"field sweep ({method})", "field", disable=not progress) as bar:
        if method == "direct":
            resp, kept = _direct(pipeline, terminals, fields, np.arange(nf), keep, executor, bar,
                                 info)
        else:
            resp, kept = _reduced(pipeline, terminals, fields, keep, measurements, executor, bar,
                                  info, tol, max_snapshots)
    info["time_s"]["total"] = time.perf_counter() - t_start
    return SweepResult(fields=fields, response=resp, zeroth=terminals.zeroth_order(), kept=kept,
                       method=method, info=info)


def _check_fields(pipeline, fields):
    try:
        arr = np.array(fields, dtype=float, ndmin=2)
    except (TypeError, ValueError):
        raise OmmError(bad_value("sweep.fields", fields,
                                 "expected an (n, 3) array of fields in tesla")) from None
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0 or not np.all(np.isfinite(arr)):
        raise OmmError(bad_value("sweep.fields", f"array of shape {np.shape(arr)}",
                                 "expected a non-empty (n, 3) array of finite fields in tesla"))
    for k, B in enumerate(arr):
        for mat in pipeline.problem.materials.values():
            mat.check_stable(B, where=f"sweep.fields[{k}]")
    return arr


def _index(k, nf):
    integer("sweep.keep", k, low=-nf, high=nf - 1, numpy=True,
            message=f"must be a field index in [0, {nf})")
    return int(k) % nf


# ----------------------------------------------------------------------------- direct
_WORKER = threading.local()  # per worker process (and thread): the current sweep's pipeline


def _direct_chunk(token, problem, force_coupled, probes, fields, linear="direct",
                  krylov_rtol=None):
    """Worker task: responses of a chunk of fields; builds the pipeline once per sweep."""
    if getattr(_WORKER, "token", None) != token:
        _WORKER.token = _WORKER.pipe = _WORKER.terminals = None  # free the previous sweep's
        _WORKER.pipe = pipe = Pipeline(problem, force_coupled=force_coupled, linear=linear,
                                             krylov_rtol=krylov_rtol)
        _WORKER.terminals = Terminals(pipe, probes)
        _WORKER.token = token
    pipe, terms = _WORKER.pipe, _WORKER.terminals
    return terms.response(np.array([pipe.omm.solve(B)[2] for B in fields]))


def _solve_one(pipe, terms, fields, k, keep, kept):
    if k in keep:
        kept[k] = pipe.at_field(fields[k])
        return terms.response(kept[k].n[2] / pipe.disc.units.density)
    return terms.response(pipe.omm.solve(fields[k])[2])


def _default_pool(n, t1):
    """A spawned process pool when it is estimated to beat n serial solves of t1 s, else None."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cpus or 1, 8, n)
    if workers < 2:
        return None
    parallel = POOL_START_S + POOL_SETUP_FIELDS * t1 + n * t1 / workers
    if parallel >= 0.8 * n * t1:
        return None
    return process_pool(workers)


def executor_workers(executor):
    """How many tasks ``executor`` runs at once: a pool's ``_max_workers``, a Dask
    ``ClientExecutor``'s cluster threads (``client.nthreads()``, asked at submit time,
    not the local CPU count), an mpi4py pool's ``num_workers``; else the local CPUs."""
    n = getattr(executor, "_max_workers", None) or getattr(executor, "num_workers", None)
    client = getattr(executor, "_client", None)
    if not n and client is not None and callable(getattr(client, "nthreads", None)):
        try:
            n = sum(client.nthreads().values())
        except Exception:  # noqa: BLE001 - a cluster that cannot answer: fall back below
            n = None
    return int(n) if n else (os.cpu_count() or 1)


def process_pool(workers):
    """A spawned process pool of ``workers`` processes (every pool the package starts)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _direct(pipe, terms, fields, idx, keep, executor, bar, info):
    """Solve ``fields[idx]`` one by one; returns (responses in the order of idx, kept)."""
    t0 = time.perf_counter()
    idx = [int(k) for k in idx]
    got, kept, own = {}, {}, False
    local = [k for k in idx if k in keep]  # full solutions are made in this process
    remote = [k for k in idx if k not in keep]
    if executor is None and len(remote) > 1:
        k = remote.pop(0)  # time one field, then decide on a pool
        t = time.perf_counter()
        got[k] = _solve_one(pipe, terms, fields, k, keep, kept)
        bar.update(1)
        executor = _default_pool(len(remote), time.perf_counter() - t)
        own = executor is not None
    if not executor:
        local, remote = local + remote, []
    try:
        if remote:
            info["workers"] = executor_workers(executor)
            token = uuid.uuid4().hex
            force = pipe.omm.coupled and pipe.problem.uniform_relaxation
            chunks = np.array_split(np.array(remote), min(len(remote), 2 * info["workers"]))
            futs = {executor.submit(_direct_chunk, token, pipe.problem, force, terms.probes,
                                    fields[c], pipe.linear, pipe.krylov_rtol): c for c in chunks}
            for fut in as_completed(futs):
                res, c = fut.result(), futs[fut]
                for i, k in enumerate(c):
                    got[int(k)] = {key: v[i:i + 1] for key, v in res.items()}
                bar.update(len(c))
        for k in local:
            got[k] = _solve_one(pipe, terms, fields, k, keep, kept)
            bar.update(1)
    finally:
        if own:
            executor.shutdown()
    info["time_s"]["direct"] = time.perf_counter() - t0
    if not idx:
        return {}, kept
    return {key: np.concatenate([got[k][key] for k in idx]) for key in got[idx[0]]}, kept


# ---------------------------------------------------------------------------- reduced
def _output_functionals(pipe, terms, measurements):
    """Rows l with g = l . n^z (free DOFs): contact currents, probe potentials, each rho.

    rho of a measurement is linear in n^z (Terminals.resistance); its row is
    found by evaluating rho on n^z vectors that hit each output direction once.
    """
    free = pipe.omm.free
    G = np.vstack([terms.A_I, terms.A_P])[:, free]
    rows, skipped = [G], []
    if measurements:
        lam, U = np.linalg.eigh(G @ G.T)
        good = lam > 1e-12 * lam.max()
        U, lam = U[:, good], lam[good]
        probe = np.zeros((U.shape[1], pipe.disc.ndofs))
        probe[:, free] = (G.T @ U / lam).T  # G @ probe_i = U_i
        vals = terms.response(probe)
        zeroth = terms.zeroth_order()
        for m in measurements:
            w = terms.resistance(vals, zeroth, m)[2]
            if not np.all(np.isfinite(w)):
                skipped.append(m.name)
                continue
            rows.append((U @ w) @ G)
    return np.vstack(rows), skipped


def _solution_from(pipe, B, n_free):
    """FieldSolution for a given scaled n on the free DOFs (the pipeline's own correction)."""
    n = np.zeros((3, pipe.disc.ndofs))
    n[:, pipe.omm.free] = n_free
    return pipe.solution_from_n(np.asarray(B, float), n)


def _reduced(pipe, terms, fields, keep, measurements, executor, bar, info, tol, max_snapshots):
    t0 = time.perf_counter()
    omm = pipe.omm
    nf = len(fields)
    if not np.any(omm.f_free):  # alpha = 0 or no current: n = 0 at every field
        zero = np.zeros((3, omm.free.size))
        kept = {k: _solution_from(pipe, fields[k], zero) for k in keep}
        bar.update(nf)
        resp = terms.response(np.zeros((nf, pipe.disc.ndofs)))
        info.update(basis=0, snapshots=[], note="no n^z source: n = 0 at every field")
        return resp, kept
    As = np.array([omm.relaxation(B) for B in fields])
    L, info["uncontrolled"] = _output_functionals(pipe, terms, measurements)
    red = greedy_reduced(omm, As, outputs=L, tol=tol, max_steps=max_snapshots, bar=bar)
    t1 = time.perf_counter()
    info.update(basis=red.basis.size, snapshots=red.snapshots,
                factorizations=red.factorizations, backsolves=red.backsolves,
                residual=red.residual, error_estimate=red.error, tol=tol,
                effectivity=red.effectivity, verified=red.verified, history=red.history)
    good = np.flatnonzero(red.converged)
    bad = np.flatnonzero(~red.converged)
    rows = {}
    for lo in range(0, good.size, _CHUNK):
        part = good[lo:lo + _CHUNK]
        nz = np.zeros((part.size, pipe.disc.ndofs))
        nz[:, omm.free] = (red.basis.V @ red.coeffs[part, :, 2].T).T
        res = terms.response(nz)
        for i, k in enumerate(part):
            rows[int(k)] = {key: v[i:i + 1] for key, v in res.items()}
    kept = {k: _solution_from(pipe, fields[k], (red.basis.V @ red.coeffs[k]).T)
            for k in keep if red.converged[k]}
    info["time_s"].update(greedy=t1 - t0, reconstruct=time.perf_counter() - t1)
    if bad.size:
        info["fallback"] = bad.tolist()
        resp_bad, kept_bad = _direct(pipe, terms, fields, bad, keep, executor, bar, info)
        kept.update(kept_bad)
        for i, k in enumerate(bad):
            rows[int(k)] = {key: v[i:i + 1] for key, v in resp_bad.items()}
    bar.n = nf
    bar.refresh()
    return {key: np.concatenate([rows[k][key] for k in range(nf)]) for key in rows[0]}, kept
