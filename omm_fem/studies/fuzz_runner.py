"""Run the cases of :mod:`omm_fem.studies.fuzz_attacks` end to end, each within a time limit.

Cases run in worker processes (:class:`Runner`, one per core by default), each
case in-process there (``omm_fem.cli.main(argv)``, or
:func:`omm_fem.fitting.load_fit`) in a fresh folder; the parent kills a worker
whose case outlives the time limit (a *hang*) and starts another. Outcomes
(:func:`run_case`):

* ``clean``: exit code 2 and a message on stderr starting ``omm-fem: error:``
  without a traceback (``load_fit``: an :class:`~omm_fem.errors.OmmError`);
* ``valid``: exit code 0 and every observable of results.json finite and not
  null, except the documented undefined ones (:func:`observable_problems`);
  ``load_fit`` returned a spec;
* ``failure``: anything else, its ``kind`` one of :data:`FAILURE_KINDS`
  (``traceback``: an exception other than OmmError, or a traceback printed;
  ``hang``: no outcome within the time limit; ``observable``: exit 0 with a
  null or non-finite observable; ``message``: a message longer than
  :data:`~omm_fem.errors.MESSAGE_MAX`; ``exit code``: another exit code; ``worker
  died``; ``setup``: the case's files could not be made).

Warnings raised during a case are recorded with it (not failures).
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ..errors import MESSAGE_MAX

__all__ = ["Runner", "run_case", "observable_problems", "draw_cases", "TIME_LIMIT_S",
           "FAILURE_KINDS"]

TIME_LIMIT_S = 120.0  # a case takes seconds; 120 s still passes on a machine loaded tenfold
FAILURE_KINDS = ("traceback", "hang", "observable", "message", "exit code", "worker died",
                 "setup")


# ----------------------------------------------------------------- one case
def materialize(case, folder, resources):
    """Write the files of ``case`` into ``folder``; returns notes (edits made)."""
    from . import fuzz_files
    from .fuzz_io_attacks import FIT_CSV

    notes = []
    for rel, spec in sorted(case["files"].items()):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            path.write_text(spec, encoding="utf-8")
        elif isinstance(spec, bytes):
            path.write_bytes(spec)
        elif "special" in spec:
            fuzz_files.make_special(str(path), spec["special"], spec.get("via", "name"))
        elif "resource" in spec:
            shutil.copy(resources[spec["resource"]], path)
            if spec.get("ops"):
                notes += fuzz_files.edit_store(path, spec["ops"])
        elif "csv" in spec:
            text = fuzz_files.csv_text(FIT_CSV, spec["csv"])
            (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return notes


def _walk(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))
    else:
        yield path, node


SKIP = {"input", "provenance", "timing"}  # the echo of the input, and bookkeeping
NO_CURRENT = {"rho", "R_ohm", "R0_ohm", "resistance_ohm", "resistance0_ohm", "delta_I_over_I0"}


def _documented(results, path):
    """Whether a null at ``path`` is a documented undefined value."""
    node = results
    for k in path[:-1]:
        node = node[k]
    last = path[-1]
    if path[0] == "transient" and last in ("tol", "dt_min", "dt_max"):
        return True  # settings of the adaptive stepper, null for a fixed step
    if path == ("resolved", "size_m"):
        return (results.get("input", {}).get("geometry") or {}).get("kind") == "mesh"
    if (path[0] == "strip_reference" and "error_note" in node
            and str(last).endswith(("_rel_error", "_error_rel"))):
        return True  # relative errors against an exact n of zero (alpha = 0)
    if isinstance(node, dict) and "rho_star_note" in node and last in ("rho_star", "rho_inf"):
        return True  # rho* undefined, its reason in rho_star_note
    if isinstance(last, int):  # a list entry: the list's key and the row
        row, key, owner = last, path[-2], results
        for k in path[:-2]:
            owner = owner[k]
    else:
        row, key, owner = None, last, node
    name = str(key).rsplit(".", 1)[-1]
    if isinstance(owner, dict) and "rho_star_note" in owner and name in ("rho_star", "rho_inf"):
        return True
    if name == "rho" and isinstance(owner, dict) and "R0_ohm" in owner:
        r0 = owner["R0_ohm"]
        r0 = r0[row] if isinstance(r0, list) and row is not None else r0
        ref = results.get("resistance0_ohm") or (results.get("final") or {}).get(
            "resistance0_ohm")
        if isinstance(r0, float) and isinstance(ref, float) and abs(r0) <= 1e-3 * abs(ref):
            return True  # a transverse pair: rho of a vanishing R0 is not reported
    note = results.get("steady_at_t_end", {}).get("note") if path[0] == "steady_at_t_end" else None
    if note is not None:  # the steady reference, a reason for what is undefined in "note"
        from ..transient.run import NO_DRIVE_NOTE

        return note == NO_DRIVE_NOTE or str(last) in note
    if path[0] in ("traces", "final") and name in NO_CURRENT:
        block = results[path[0]]
        drive = [block.get(k) for k in ("current0_A", "voltage0_V")]
        drive = [d[row] if isinstance(d, list) and row is not None else d for d in drive]
        if 0.0 in drive:
            return True  # transient: every ratio is NaN while the drive is off
    return False


def observable_problems(results):
    """Null or non-finite observables of a results.json dict without a documented reason."""
    bad = []
    for path, v in _walk(results):
        if not path or path[0] in SKIP:
            continue
        if v is None and not _documented(results, path):
            bad.append(".".join(map(str, path)) + " = null")
        elif isinstance(v, float) and not math.isfinite(v):
            bad.append(".".join(map(str, path)) + f" = {v}")
    return bad


def _call(case, folder):
    """Run the case; (exit code, stdout, stderr), exit code None for a raised exception."""
    out, err, crash = io.StringIO(), io.StringIO(), None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if case["call"] == "load_fit":
                from ..errors import OmmError
                from ..fitting import load_fit

                try:
                    load_fit(folder / case["config"])
                    code = 0
                except OmmError as exc:
                    print(f"omm-fem: error: {exc}", file=err)
                    code = 2
            else:
                from ..cli import main

                argv = ["run", str(folder / case["config"]), "--out", str(folder / "out"),
                        "--quiet"] + (["--resume"] if case.get("resume") else [])
                code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
            print(f"SystemExit({exc.code!r})", file=err)
        except BaseException as exc:  # noqa: BLE001 -- the failure being looked for
            code = None
            print(traceback.format_exc(), file=err)
            crash = _innermost(exc)
    return code, out.getvalue(), err.getvalue(), crash


def _innermost(exc):
    """(package file, function, exception type) of the innermost omm_fem frame of a raise."""
    where = ("?", "?")
    for frame in traceback.extract_tb(exc.__traceback__):
        rel = frame.filename.replace(os.sep, "/").rpartition("/omm_fem/")
        if rel[1] and not rel[2].startswith("studies/"):
            where = ("omm_fem/" + rel[2], frame.name)
    return (*where, type(exc).__name__)


def run_case(case, root, resources):
    """Run one case in a new folder under ``root``; returns its outcome dict."""
    folder = Path(tempfile.mkdtemp(dir=root, prefix="case-"))
    start, cwd = time.perf_counter(), os.getcwd()
    result = {"strategy": case["strategy"], "label": case["label"], "detail": case["detail"]}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result["edits"] = materialize(case, folder, resources)
            except Exception:  # noqa: BLE001 -- a case that cannot be built is not run
                result.update(outcome="failure", kind="setup",
                              why="case setup: " + traceback.format_exc())
                return result
            os.chdir(folder)
            try:
                code, _, err, crash = _call(case, folder)
            finally:
                os.chdir(cwd)
        result["warnings"] = sorted({f"{w.category.__name__}: {w.message}"[:200]
                                     for w in caught})[:5]
        result.update(exit=code, message=err.strip().splitlines()[0][:300] if err.strip()
                      else "", message_chars=len(err))
        if code == 2 and err.startswith("omm-fem: error: ") and "Traceback" not in err:
            long = len(err.strip()) > len("omm-fem: error: ") + MESSAGE_MAX
            result.update(outcome="failure" if long else "clean",
                          why=f"a message of {len(err)} characters" if long else "")
            if long:
                result["kind"] = "message"
        elif code == 0 and case["call"] == "load_fit":
            result["outcome"] = "valid"
        elif code == 0:
            rfile = folder / "out" / "results.json"
            try:
                problems = observable_problems(json.loads(rfile.read_text()))
            except (OSError, ValueError) as exc:
                problems = [f"results.json unreadable: {exc}"]
            result.update(outcome="failure" if problems else "valid", why="; ".join(problems))
            if problems:
                result["kind"] = "observable"
        else:
            result.update(outcome="failure", why=f"exit code {code}: {err[-3000:]}", where=crash,
                          kind="traceback" if crash or "Traceback" in err else "exit code")
    finally:
        result["seconds"] = time.perf_counter() - start
        for p in folder.rglob("*"):
            with contextlib.suppress(OSError):
                if not p.is_symlink():
                    os.chmod(p, 0o700)
        shutil.rmtree(folder, ignore_errors=True)
    return result


# ----------------------------------------------------------------- workers
def serve(fd, resource_dir):
    """A worker's loop (``python -c``): cases in, outcomes out over the socket ``fd``."""
    from . import fuzz_files

    conn = Connection(fd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resources = fuzz_files.produce_resources(resource_dir)
    root = tempfile.mkdtemp(prefix="omm-fuzz-worker-")
    conn.send("ready")
    while True:
        case = conn.recv()
        if case is None:
            break
        conn.send(run_case(case, root, resources))
    shutil.rmtree(root, ignore_errors=True)


class Runner:
    """A pool of worker processes that runs cases, each within ``time_limit`` seconds.

    Parameters
    ----------
    workers : int
        Processes (default: the number of cores, at most 2).
    time_limit : float
        Seconds one case may take before its worker is killed (a hang).
    recycle : int
        A worker is replaced after this many cases (bounds what leaks between cases).
    """

    def __init__(self, workers=None, time_limit=TIME_LIMIT_S, recycle=150):
        self.n = workers or max(1, min(2, os.cpu_count() or 1))
        self.time_limit, self.recycle = time_limit, recycle
        self._tmp = tempfile.TemporaryDirectory(prefix="omm-fuzz-")
        self.resource_dir = Path(self._tmp.name) / "resources"
        self._workers = []
        for _ in range(self.n):  # the first produces the resources, the others reuse them
            self._workers.append(self._start())

    def _start(self):
        mine, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])  # the omm_fem package's folder
        code = (f"import sys; sys.path.insert(0, {root!r}); "
                f"from omm_fem.studies.fuzz_runner import serve; "
                f"serve({theirs.fileno()}, {str(self.resource_dir)!r})")
        proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        theirs.close()
        parent = Connection(mine.detach())
        if not parent.poll(600) or parent.recv() != "ready":
            proc.kill()
            raise RuntimeError("a fuzz worker did not start")
        return {"proc": proc, "conn": parent, "done": 0, "busy": None}

    def _replace(self, w):
        w["proc"].kill()
        w["proc"].wait()
        w["conn"].close()
        w.update(self._start())

    def run(self, cases, log=None):
        """Outcome dicts of ``cases`` (in order); ``log(result)`` is called as each ends."""
        cases, results, todo = list(cases), [None] * len(cases), list(range(len(cases)))[::-1]
        while todo or any(w["busy"] for w in self._workers):
            for w in self._workers:
                if w["busy"] is None and todo:
                    k = todo.pop()
                    w["conn"].send(cases[k])
                    w["busy"] = (k, time.monotonic())
            busy = [w for w in self._workers if w["busy"]]
            left = min(self.time_limit - (time.monotonic() - w["busy"][1]) for w in busy)
            ready = wait([w["conn"] for w in busy], timeout=max(left, 0.0))
            for w in busy:
                k, t0 = w["busy"]
                res = None
                if w["conn"] in ready:
                    try:
                        res = w["conn"].recv()
                    except (EOFError, OSError):
                        res = self._dead(cases[k], w, "the worker died (exit code "
                                         f"{w['proc'].poll()})")
                elif time.monotonic() - t0 >= self.time_limit:
                    res = self._dead(cases[k], w, f"hang: no outcome within {self.time_limit:g} s")
                if res is None:
                    continue
                results[k], w["busy"] = res, None
                w["done"] += 1
                if w["done"] >= self.recycle:
                    self._replace(w)
                if log is not None:
                    log(res)
        return results

    def _dead(self, case, w, why):
        self._replace(w)
        return {"strategy": case["strategy"], "label": case["label"], "detail": case["detail"],
                "outcome": "failure", "why": why,
                "kind": "hang" if why.startswith("hang") else "worker died",
                "seconds": self.time_limit}

    def close(self):
        for w in self._workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                w["conn"].send(None)
            try:
                w["proc"].wait(5)
            except subprocess.TimeoutExpired:
                w["proc"].kill()
                w["proc"].wait()
        self._workers = []
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def draw_cases(strategy, n, *, derandomize=False):
    """``n`` cases drawn from a hypothesis strategy (``derandomize``: the same every time)."""
    from hypothesis import HealthCheck, given, settings

    drawn = []

    @settings(max_examples=n, deadline=None, database=None, derandomize=derandomize,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case):
        drawn.append(case)

    collect()
    return drawn
