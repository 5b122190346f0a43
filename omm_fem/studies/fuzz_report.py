"""Fuzz outcomes: how many mutated inputs were rejected, accepted or crashed.

Draws the cases of :mod:`omm_fem.studies.fuzz_cases` (the strategies of
tests/test_fuzz.py, with a fixed seed: ``derandomize``) and runs each through
the same check as the tests: parse the steady config, parse the transient
config, or read a damaged copy of ``meshes/cross.msh`` and build a Problem on
it. Every case ends in one of

* ``OmmError``  -- rejected with a message naming the key or tag (the check
  the tests assert);
* ``accepted``  -- the mutation left a valid input (e.g. a number replaced by
  another allowed number, a deleted optional key, a comment line damaged);
* ``other``     -- any other exception, or an ``OmmError`` whose message names
  nothing: a bug (the tests fail on these).

``run()`` counts them per mutated section (configs) or damage kind (meshes)
with the slowest case, which bounds what a typo costs before any meshing or
assembly; ``table()`` renders validation/fuzz_report.md.

With ``attacks``, the end-to-end strategies of :mod:`omm_fem.studies.fuzz_attacks`
(type confusion, huge numbers, deep nesting, special files, crafted
checkpoints, fit inputs) also run through the command line in worker
processes (:mod:`omm_fem.studies.fuzz_runner`), each case ending ``clean``
(exit code 2 and an ``omm-fem: error:`` message), ``valid`` (exit code 0,
every observable finite) or ``failure`` (a traceback, another exit code, a hang
past the time limit, a null or non-finite observable, an overlong message).
"""
from __future__ import annotations

import re
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from ..errors import OmmError
from . import fuzz_cases as fz

__all__ = ["OUTCOMES", "ATTACK_OUTCOMES", "tally", "run", "run_attacks", "table"]

OUTCOMES = ("OmmError", "accepted", "other")
ATTACK_OUTCOMES = ("clean", "valid", "failure")


def tally(strategy, check, label, n):
    """Run ``check`` on ``n`` drawn cases; counts[(label(case), outcome)], slowest [s]."""
    counts, slowest = defaultdict(Counter), [0.0]

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case):
        a = time.perf_counter()
        try:
            check(case)
            outcome = "accepted"
        except OmmError:
            outcome = "OmmError"
        except Exception:  # noqa: BLE001 -- counted: a crash, or an OmmError naming nothing
            outcome = "other"
        slowest[0] = max(slowest[0], time.perf_counter() - a)
        counts[label(case)][outcome] += 1

    run()
    return counts, slowest[0]


def _named(exc, pattern):
    if not re.search(pattern, str(exc)):
        raise AssertionError(f"message names no key: {exc}") from None
    raise exc


def _steady(case):
    from ..config import parse_config

    try:
        parse_config(case[0])
    except OmmError as exc:
        _named(exc, fz.KEY_PATTERN)


def _transient(case):
    from ..config import parse_config
    from ..transient import parse_transient

    try:
        parse_transient(case[0], parse_config(case[0]))
    except OmmError as exc:
        _named(exc, fz.KEY_PATTERN)


def _mesh_check(tmp):
    from ..geometry import load_mesh
    from ..problem import Contact, Problem

    def mesh(case):
        path = tmp / "cross.msh"
        path.write_text(case[0])
        try:
            Problem(mesh=load_mesh(path), materials=fz.MAT,
                    contacts=[Contact("c1", current=1e-6), Contact("c3", voltage=0.0)])
        except OmmError as exc:
            if not str(exc):
                raise AssertionError("empty message") from None
            raise

    return mesh


def run_attacks(n, log=None, time_limit=None, case_log=None):
    """``n`` cases (fixed seed) of each end-to-end strategy; one section per strategy
    (``counts`` per label over :data:`ATTACK_OUTCOMES`, ``total``, ``kinds``: failures
    per :data:`~omm_fem.studies.fuzz_runner.FAILURE_KINDS`, ``cases``, ``slowest_s``,
    ``wall_s``, ``failures``: the failing cases, ``time_limit_s``, ``workers``).
    ``case_log(result)``, if given, receives each case's outcome dict as it ends."""
    from . import fuzz_attacks, fuzz_runner

    sections = []
    limit = time_limit or fuzz_runner.TIME_LIMIT_S
    with fuzz_runner.Runner(time_limit=limit) as runner:
        for name in fuzz_attacks.STRATEGIES:
            a = time.perf_counter()
            cases = fuzz_runner.draw_cases(fuzz_attacks.case_strategy(name), n, derandomize=True)
            results = runner.run(cases, log=case_log)
            counts, tot = defaultdict(Counter), Counter()
            for r in results:
                counts[r["label"]][r["outcome"]] += 1
                tot[r["outcome"]] += 1
            kinds = Counter(r.get("kind", "?") for r in results if r["outcome"] == "failure")
            sections.append({
                "title": f"End to end: {name.replace('_', ' ')}", "what": "case", "attack": True,
                "strategy": name,
                "counts": {k: {o: counts[k][o] for o in ATTACK_OUTCOMES} for k in sorted(counts)},
                "total": {o: tot[o] for o in ATTACK_OUTCOMES}, "cases": len(results),
                "kinds": dict(kinds), "slowest_s": max(r["seconds"] for r in results),
                "wall_s": time.perf_counter() - a, "time_limit_s": limit, "workers": runner.n,
                "failures": [r for r in results if r["outcome"] == "failure"]})
            if log is not None:
                log(summary(sections[-1]))
    return sections


def machine():
    """One line on where and when a study ran: date (UTC), cores, CPU, Python, load."""
    import datetime
    import os
    import platform

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu = platform.processor()
    try:  # Linux names the model here (platform.processor() is often empty)
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    return (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores "
            f"({cpu or 'unknown CPU'}), Python {platform.python_version()}, "
            f"load average {load:.1f} at the end")


def run(configs=1500, transients=1000, meshes=1000, attacks=0, log=None, time_limit=None,
        case_log=None):
    """Draw and check the three kinds of cases (``log``, if given, receives the
    :func:`summary` line of each kind as it finishes), and ``attacks`` cases of each
    end-to-end strategy (:func:`run_attacks`, each case within ``time_limit`` seconds,
    ``case_log`` receiving each outcome; 0: none). A count of 0 skips that kind.

    Returns
    -------
    dict
        ``sections``: one dict per kind with ``title``, ``what`` (the label
        column), ``counts`` ({label: {outcome: n}} over :data:`OUTCOMES`),
        ``total`` ({outcome: n}), ``cases``, ``slowest_s``, ``wall_s``;
        ``other``: the number of ``other`` outcomes (and end-to-end failures) over all
        kinds; ``machine``: :func:`machine`.
    """
    with tempfile.TemporaryDirectory(prefix="omm-fuzz-") as tmp:
        runs = [
            ("Steady configs (Hall bar, sweep, measure)", fz.mutated_config(), _steady,
             lambda c: str(c[1][0]), configs, "mutated section"),
            ("Transient configs", fz.TRANSIENT_CASES, _transient, lambda c: str(c[1][0]),
             transients, "mutated section"),
            ("Damaged meshes (meshes/cross.msh)", fz.damaged_mesh(), _mesh_check(Path(tmp)),
             lambda c: c[1], meshes, "damage"),
        ]
        sections = []
        for title, strategy, check, label, n, what in runs:
            if not n:  # a kind not asked for
                continue
            a = time.perf_counter()
            counts, slow = tally(strategy, check, label, n)
            wall = time.perf_counter() - a
            tot = Counter()
            for c in counts.values():
                tot.update(c)
            sections.append({
                "title": title, "what": what,
                "counts": {key: {o: counts[key][o] for o in OUTCOMES} for key in sorted(counts)},
                "total": {o: tot[o] for o in OUTCOMES}, "cases": sum(tot.values()),
                "slowest_s": slow, "wall_s": wall})
            if log is not None:
                log(summary(sections[-1]))
    if attacks:
        sections += run_attacks(attacks, log, time_limit, case_log)
    return {"sections": sections, "machine": machine(), "other": sum(s["total"].get("other", 0)
                                               + s["total"].get("failure", 0) for s in sections)}


def summary(section):
    """One line per kind, as printed while the study runs."""
    s, tot = section, section["total"]
    if s.get("attack"):
        return (f"{s['title']}: {s['cases']} cases, {tot['clean']} clean errors, {tot['valid']} "
                f"valid runs, {tot['failure']} failures; slowest "
                f"{s['slowest_s']:.1f} s")
    return (f"{s['title']}: {s['cases']} cases, {tot['OmmError']} OmmError, "
            f"{tot['accepted']} accepted, {tot['other']} other; slowest {s['slowest_s'] * 1e3:.0f} ms")


def table(result):
    """validation/fuzz_report.md."""
    lines = ["# Fuzz outcomes — `fuzz_report.py`", "",
             "Cases drawn by the strategies of `tests/test_fuzz.py` with a fixed seed. "
             "`OmmError`: rejected with a message naming the key or tag; `accepted`: the "
             "mutation left a valid input; `other`: any other exception or a message that "
             "names nothing (a bug). End-to-end sections (`fuzz_attacks`, through the command "
             "line): `clean error` = exit code 2 with an `omm-fem: error:` message; `valid run` "
             "= exit code 0 with every observable finite (or a fit spec read); `failure` = a "
             "traceback, another exit code, a hang past the per-case time limit, a null or "
             "non-finite observable or a message longer than `errors.MESSAGE_MAX`.", ""]
    lines += attack_summary(result["sections"], result.get("machine", "an unrecorded machine"))
    for s in result["sections"]:
        tot = s["total"]
        if s.get("attack"):
            lines += _attack_table(s)
            continue
        lines += [f"## {s['title']}", "", f"| {s['what']} | cases | OmmError | accepted | other |",
                  "|---|---|---|---|---|"]
        for key, c in s["counts"].items():
            lines.append(f"| {key} | {sum(c.values())} | {c['OmmError']} | {c['accepted']} | "
                         f"{c['other']} |")
        lines += [f"| **all** | {s['cases']} | {tot['OmmError']} | {tot['accepted']} | "
                  f"{tot['other']} |", "",
                  f"Slowest case {s['slowest_s'] * 1e3:.0f} ms; {s['wall_s']:.1f} s for all.", ""]
    return "\n".join(lines)


def _attack_table(s):
    tot = s["total"]
    lines = [f"## {s['title']}", "", f"| {s['what']} | cases | clean error | valid run | failure |",
             "|---|---|---|---|---|"]
    for key, c in s["counts"].items():
        lines.append(f"| {key} | {sum(c.values())} | {c['clean']} | {c['valid']} | "
                     f"{c['failure']} |")
    lines += [f"| **all** | {s['cases']} | {tot['clean']} | {tot['valid']} | {tot['failure']} |",
              "", f"Slowest case {s['slowest_s']:.1f} s; {s['wall_s']:.1f} s for all "
              f"({s['workers']} worker processes).", ""]
    for r in s["failures"]:
        why = r.get("why", "").strip().splitlines()
        lines.append(f"- {r.get('kind', '?')}: {r['detail']} -- {why[0] if why else ''}"[:400])
    return lines + ([""] if s["failures"] else [])


def attack_summary(sections, machine_line):
    """The end-to-end summary: per strategy the cases, clean errors, valid runs and the
    failures by kind (tracebacks, hangs, null or non-finite observables, others)."""
    from .fuzz_runner import FAILURE_KINDS

    attacks = [s for s in sections if s.get("attack")]
    if not attacks:
        return []
    limit = attacks[0]["time_limit_s"]
    lines = ["## End to end: summary", "",
             f"{sum(s['cases'] for s in attacks)} cases of the {len(attacks)} strategies of "
             f"`omm_fem/studies/fuzz_attacks.py` (fixed seed), each within {limit:g} s "
             f"(a hang past it is a failure), on {machine_line}.", "",
             "| strategy | cases | clean error | valid run | tracebacks | hangs | null or "
             "non-finite | other failures | slowest [s] |", "|---|---|---|---|---|---|---|---|---|"]
    rows = [(s["strategy"], s["cases"], s["total"]["clean"], s["total"]["valid"],
             s["kinds"].get("traceback", 0), s["kinds"].get("hang", 0),
             s["kinds"].get("observable", 0),
             sum(v for k, v in s["kinds"].items() if k not in FAILURE_KINDS[:3]),
             s["slowest_s"]) for s in attacks]
    rows.append(("**all**", *(sum(r[k] for r in rows) for k in range(1, 8)),
                 max(r[8] for r in rows)))
    lines += [f"| {' | '.join(map(str, r[:8]))} | {r[8]:.1f} |" for r in rows]
    return lines + [""]
