"""``omm-fem`` command line: glue only."""
from __future__ import annotations

import argparse
import logging
import sys

from . import logs
from .errors import OmmError

log = logging.getLogger("omm_fem.cli")  # also under python -m omm_fem.cli
FOCUS = {"validate": ("omm_fem.validate",), "fit": ("omm_fem.fitting",)}  # their own progress


def _cmd_run(args):
    import time
    from pathlib import Path

    from .config import default_config, load_toml, parse_config
    from .report import summary, write_outputs
    from .run import run

    t0 = time.perf_counter()
    cfg = load_toml(args.config) if args.config else default_config()
    spec = parse_config(cfg, base_dir=Path(args.config).parent if args.config else None)
    label = args.config or "built-in example (bilayer-graphene-like strip)"
    if "transient" in cfg:
        from .transient import parse_transient, run_transient, write_transient_outputs
        from .transient import summary as transient_summary

        base = Path(args.config).parent if args.config else None
        tspec = parse_transient(cfg, spec, base_dir=base)
        _prepare(args, spec, tspec.initial_file)
        _result(f"omm-fem run (transient): {label}")
        res = run_transient(spec, tspec, progress=not args.quiet, out_dir=args.out,
                            resume=args.resume)
        files = write_transient_outputs(res, args.out)
        text = transient_summary(res)
    else:
        _prepare(args, spec)
        _result(f"omm-fem run: {label}")
        res = run(spec, progress=not args.quiet, out_dir=args.out, resume=args.resume)
        files = write_outputs(res, args.out)
        text = summary(res)
    _result(text)
    _result("wrote: " + ", ".join(str(f) for f in files))
    log.info("finished in %.1f s, %s", time.perf_counter() - t0, logs.memory_text())
    return 0


def _result(text):
    """Result lines (the summary): on stdout even with --quiet, one log record a line."""
    logs.say(text)


def _prepare(args, spec, *inputs):
    """Once the configuration is valid: clear --out of temporary files left by a kill and,
    without --resume, of an earlier run's outputs (never the run's own input files)."""
    from .io import prepare_out_dir

    geometry = spec.geometry if isinstance(spec.geometry, dict) else {}
    prepare_out_dir(args.out, resume=args.resume,
                    keep=(args.config, geometry.get("file"), *inputs))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="omm-fem",
        description="Finite-element solver for orbital magnetic moment dynamics and "
                    "orbital Hanle magnetoresistance in layered 2D materials.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"omm-fem {__version__}")
    _global_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="solve a configured case (default: a built-in strip example)")
    p.add_argument("config", nargs="?", help="TOML configuration file (omit for the example)")
    p.add_argument("--out", default="omm-fem-out",
                   help="output directory (default: ./omm-fem-out). A run without --resume "
                        "first removes what an earlier run wrote there (results.json, "
                        "fields.vtu, fields_NNNN.vtu, fields_sweep_NNNN.vtu, fields.pvd, map.png, "
                        "profiles.png, hmr.png, traces.csv, traces.png, nz.gif, final_state.npz, "
                        "checkpoint.npz, .sweep-checkpoint/) except its own input files; every "
                        "run removes the temporary files (.NAME.omm-tmp-*) that a killed write "
                        "left. Other files are never touched")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar or phase lines (the summary and errors still printed)")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed run in --out: reuse its finished sweep chunks "
                        "(transients: its last checkpoint); a checkpoint of another "
                        "configuration or mesh, or a damaged one, is refused")
    p.set_defaults(func=_cmd_run)
    from .xtensor import cli as xcli

    xcli.add_parser(sub)
    from .validate import cli as vcli

    vcli.add_parser(sub)
    from .fitting import cli as fcli

    fcli.add_parser(sub)
    __import__("omm_fem.meshcli", fromlist=["add_parser"]).add_parser(sub)
    from .starter import add_parser as add_init_parser  # omm-fem init

    add_init_parser(sub)
    for p in sub.choices.values():
        _global_options(p, argparse.SUPPRESS)
    return parser


def _global_options(parser, default):
    """-v/--verbose and --log-file, on the main parser (defaults) and on every subcommand
    (``default=SUPPRESS``: given after the subcommand they override, absent they do not)."""
    try:
        parser.add_argument("-v", "--verbose", action="store_true",
                            default=False if default is None else default,
                            help="also print debug lines (factorisations, each file written)")
        parser.add_argument("--log-file", metavar="FILE", default=default,
                            help="also write every line, debug included and time-stamped, "
                                 "to FILE (overwritten)")
    except argparse.ArgumentError:  # a subcommand with options of these names keeps its own
        pass


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with logs.configured(verbose=args.verbose, quiet=bool(getattr(args, "quiet", False)),
                             log_file=args.log_file, focus=FOCUS.get(args.command)):
            return _dispatch(args)
    except OmmError as exc:  # the log file cannot be opened
        print(f"omm-fem: error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args):
    try:
        if getattr(args, "out", None) is not None:
            from .io import check_out_dir

            check_out_dir(args.out)  # seconds, not hours, to learn that results cannot be saved
        return args.func(args)
    except OmmError as exc:
        print(f"omm-fem: error: {exc}", file=sys.stderr)
        log.error("omm-fem: error: %s", exc, extra=logs.FILE_ONLY)
        return 2
    except KeyboardInterrupt:
        print("omm-fem: interrupted", file=sys.stderr)
        log.error("omm-fem: interrupted", extra=logs.FILE_ONLY)
        return 130
    except Exception:  # a bug: the traceback goes to stderr as usual, and into the log file
        log.exception("omm-fem: unexpected error", extra=logs.FILE_ONLY)
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
