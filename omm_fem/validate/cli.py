"""``omm-fem validate``: run the validation suite and write its report (glue only).

Wiring (in omm_fem/cli.py)::

    from .validate import cli as vcli
    vcli.add_parser(sub)

Exit codes: 0 every case within its tolerance, 1 any case fails, 2 bad input.
"""
from __future__ import annotations

import sys

from ..errors import OmmError

DESCRIPTION = ("Run the validation suite: FEM against the exact strip solution, the paper's Fig. "
               "2-3 and quantitative claims, Hall-bar maps of where the strip formula fails, "
               "the Corbino disc, the nonlocal resistance of an H-bar, transient and X-tensor "
               "checks. Writes DIR/report.md, DIR/results.json and the figures.")


def add_parser(subparsers):
    """Add the ``validate`` subcommand to an argparse subparsers object."""
    from .suite import DEFAULT_OUT, STUDIES

    p = subparsers.add_parser("validate", help="run the validation suite and write a report",
                              description=DESCRIPTION)
    p.add_argument("--quick", action="store_true",
                   help="the CI-sized suite (a few minutes at most): no Hall-bar maps, no Fig. 2 "
                        "scans, fewer points")
    p.add_argument("--out", default=DEFAULT_OUT,
                   help=f"output directory (default: ./{DEFAULT_OUT}/)")
    p.add_argument("--only", default=None, metavar="STUDY[,STUDY]",
                   help=f"run only these studies: {', '.join(STUDIES)}")
    p.set_defaults(func=run)
    return p


def run(args, *, tolerances=None):
    """Run the suite for parsed ``args``; returns the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        ``quick``, ``out`` and optionally ``only`` (comma-separated study names).
    tolerances : dict {case id: float}, optional
        Programmatic tolerance overrides (not on the command line).

    Returns
    -------
    int
        0 when every case passes, 1 when any case fails, 2 for bad input.
    """
    from ..logs import configured, printer
    from .suite import run_suite

    only = getattr(args, "only", None)
    if isinstance(only, str):
        only = [s.strip() for s in only.split(",") if s.strip()]
    with configured(verbose=bool(getattr(args, "verbose", False)),
                    log_file=getattr(args, "log_file", None), focus=("omm_fem.validate",)):
        log = printer("omm_fem.validate")
        try:
            result = run_suite(quick=bool(args.quick), out=args.out, only=only,
                               tolerances=tolerances, log=log)
        except OmmError as exc:
            print(f"omm-fem validate: error: {exc}", file=sys.stderr)
            return 2
        failed = result.failed
        log(f"{len(result.cases)} cases, {len(result.cases) - len(failed)} passed, "
            f"{len(failed)} failed ({result.seconds:.0f} s); report: {result.out / 'report.md'}")
        for c in failed:
            log(f"FAIL {c.id}: error {c.error:.3e} > tolerance {c.tolerance:.3e} ({c.quantity})")
    return 0 if result.passed else 1


def main(argv=None):
    """Stand-alone entry point: ``python -m omm_fem.validate.cli [--quick] [--out DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="omm-fem")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["validate"] + list(sys.argv[1:] if argv is None else argv))
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
