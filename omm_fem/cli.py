"""``omm-fem`` command line: glue only."""
from __future__ import annotations

import argparse
import sys

from .errors import OmmError


def _cmd_run(args):
    from pathlib import Path

    from .config import default_config, load_toml, parse_config
    from .report import summary, write_outputs
    from .run import run

    cfg = load_toml(args.config) if args.config else default_config()
    spec = parse_config(cfg, base_dir=Path(args.config).parent if args.config else None)
    label = args.config or "built-in example (bilayer-graphene-like strip)"
    if "transient" in cfg:
        from .transient import parse_transient, run_transient, write_transient_outputs
        from .transient import summary as transient_summary

        base = Path(args.config).parent if args.config else None
        tspec = parse_transient(cfg, spec, base_dir=base)
        _prepare(args, spec, tspec.initial_file)
        print(f"omm-fem run (transient): {label}", flush=True)
        res = run_transient(spec, tspec, progress=not args.quiet, out_dir=args.out,
                            resume=args.resume)
        files = write_transient_outputs(res, args.out)
        print(transient_summary(res))
        print("wrote: " + ", ".join(str(f) for f in files))
        return 0
    _prepare(args, spec)
    print(f"omm-fem run: {label}", flush=True)
    res = run(spec, progress=not args.quiet, out_dir=args.out, resume=args.resume)
    files = write_outputs(res, args.out)
    print(summary(res))
    print("wrote: " + ", ".join(str(f) for f in files))
    return 0


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
    p.add_argument("--quiet", action="store_true", help="no progress bar")
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
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            from .io import check_out_dir

            check_out_dir(args.out)  # seconds, not hours, to learn that results cannot be saved
        return args.func(args)
    except OmmError as exc:
        print(f"omm-fem: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("omm-fem: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
