"""Fuzz outcomes: how many mutated inputs were rejected, accepted or crashed.

    python validation/fuzz_report.py [--configs 1500] [--transients 1000] [--meshes 1000]

Draws the cases of ``tests/test_fuzz.py`` (the same strategies, a fixed seed:
``derandomize``) and runs each through the same check as the tests: parse the
steady config, parse the transient config, or read a damaged copy of
``meshes/cross.msh`` and build a Problem on it. Every case ends in one of

* ``OmmError``  -- rejected with a message naming the key or tag (the check
  the tests assert);
* ``accepted``  -- the mutation left a valid input (e.g. a number replaced by
  another allowed number, a deleted optional key, a comment line damaged);
* ``other``     -- any other exception, or an ``OmmError`` whose message names
  nothing: a bug (the tests fail on these).

Prints and writes ``validation/fuzz_report.md`` with the counts per mutated
section (configs) or damage kind (meshes) and the slowest case, which bounds
what a typo costs before any meshing or assembly.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from omm_fem.errors import OmmError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz_cases", ROOT / "tests" / "test_fuzz.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=1500)
    ap.add_argument("--transients", type=int, default=1000)
    ap.add_argument("--meshes", type=int, default=1000)
    args = ap.parse_args(argv)
    fz = _fuzz_module()

    from omm_fem.config import parse_config
    from omm_fem.geometry import load_mesh
    from omm_fem.problem import Contact, Problem
    from omm_fem.transient import parse_transient

    def named(exc, pattern):
        if not re.search(pattern, str(exc)):
            raise AssertionError(f"message names no key: {exc}") from None
        raise exc

    def steady(case):
        try:
            parse_config(case[0])
        except OmmError as exc:
            named(exc, fz.KEY_PATTERN)

    def transient(case):
        try:
            parse_transient(case[0], parse_config(case[0]))
        except OmmError as exc:
            named(exc, fz.KEY_PATTERN)

    tmp = Path(tempfile.mkdtemp(prefix="omm-fuzz-"))

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

    runs = [
        ("Steady configs (Hall bar, sweep, measure)", fz.mutated_config(), steady,
         lambda c: str(c[1][0]), args.configs, "mutated section"),
        ("Transient configs", fz.TRANSIENT_CASES, transient, lambda c: str(c[1][0]),
         args.transients, "mutated section"),
        ("Damaged meshes (meshes/cross.msh)", fz.damaged_mesh(), mesh, lambda c: c[1],
         args.meshes, "damage"),
    ]
    lines = ["# Fuzz outcomes — `fuzz_report.py`", "",
             "Cases drawn by the strategies of `tests/test_fuzz.py` with a fixed seed. "
             "`OmmError`: rejected with a message naming the key or tag; `accepted`: the "
             "mutation left a valid input; `other`: any other exception or a message that "
             "names nothing (a bug).", ""]
    total_other = 0
    for title, strategy, check, label, n, what in runs:
        a = time.perf_counter()
        counts, slow = tally(strategy, check, label, n)
        wall = time.perf_counter() - a
        tot = Counter()
        for c in counts.values():
            tot.update(c)
        total_other += tot["other"]
        lines += [f"## {title}", "", f"| {what} | cases | OmmError | accepted | other |",
                  "|---|---|---|---|---|"]
        for key in sorted(counts):
            c = counts[key]
            lines.append(f"| {key} | {sum(c.values())} | {c['OmmError']} | {c['accepted']} | "
                         f"{c['other']} |")
        lines += [f"| **all** | {sum(tot.values())} | {tot['OmmError']} | {tot['accepted']} | "
                  f"{tot['other']} |", "",
                  f"Slowest case {slow * 1e3:.0f} ms; {wall:.1f} s for all.", ""]
        print(f"{title}: {sum(tot.values())} cases, {tot['OmmError']} OmmError, "
              f"{tot['accepted']} accepted, {tot['other']} other; slowest {slow * 1e3:.0f} ms")
    text = "\n".join(lines)
    (HERE / "fuzz_report.md").write_text(text)
    print(f"wrote {HERE / 'fuzz_report.md'}")
    return 1 if total_other else 0


if __name__ == "__main__":
    raise SystemExit(main())
