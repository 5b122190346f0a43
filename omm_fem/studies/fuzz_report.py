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

__all__ = ["OUTCOMES", "tally", "run", "table"]

OUTCOMES = ("OmmError", "accepted", "other")


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


def run(configs=1500, transients=1000, meshes=1000, log=None):
    """Draw and check the three kinds of cases (``log``, if given, receives the
    :func:`summary` line of each kind as it finishes).

    Returns
    -------
    dict
        ``sections``: one dict per kind with ``title``, ``what`` (the label
        column), ``counts`` ({label: {outcome: n}} over :data:`OUTCOMES`),
        ``total`` ({outcome: n}), ``cases``, ``slowest_s``, ``wall_s``;
        ``other``: the number of ``other`` outcomes over all kinds.
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
    return {"sections": sections, "other": sum(s["total"]["other"] for s in sections)}


def summary(section):
    """One line per kind, as printed while the study runs."""
    s, tot = section, section["total"]
    return (f"{s['title']}: {s['cases']} cases, {tot['OmmError']} OmmError, "
            f"{tot['accepted']} accepted, {tot['other']} other; slowest {s['slowest_s'] * 1e3:.0f} ms")


def table(result):
    """validation/fuzz_report.md."""
    lines = ["# Fuzz outcomes — `fuzz_report.py`", "",
             "Cases drawn by the strategies of `tests/test_fuzz.py` with a fixed seed. "
             "`OmmError`: rejected with a message naming the key or tag; `accepted`: the "
             "mutation left a valid input; `other`: any other exception or a message that "
             "names nothing (a bug).", ""]
    for s in result["sections"]:
        tot = s["total"]
        lines += [f"## {s['title']}", "", f"| {s['what']} | cases | OmmError | accepted | other |",
                  "|---|---|---|---|---|"]
        for key, c in s["counts"].items():
            lines.append(f"| {key} | {sum(c.values())} | {c['OmmError']} | {c['accepted']} | "
                         f"{c['other']} |")
        lines += [f"| **all** | {s['cases']} | {tot['OmmError']} | {tot['accepted']} | "
                  f"{tot['other']} |", "",
                  f"Slowest case {s['slowest_s'] * 1e3:.0f} ms; {s['wall_s']:.1f} s for all.", ""]
    return "\n".join(lines)
