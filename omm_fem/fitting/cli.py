"""``omm-fem fit FIT.toml --out DIR``."""
from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("fit", help="fit material parameters to measured Hanle curves "
                                   "(FIT.toml: datasets, parameters)")
    p.add_argument("config", help="FIT.toml: [[dataset]] entries and [parameters]")
    p.add_argument("--out", default="omm-fem-fit", help="output directory (default: ./omm-fem-fit)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_fit)


def _fmt(entry):
    v, e = entry["value"], entry["stderr"]
    return f"{v:.6g} (fixed)" if e is None else f"{v:.6g} +- {e:.2g}"


def summary(res):
    lines = [f"fit: chi2 = {res.chi2:.6g}, reduced chi2 = {res.reduced_chi2:.4g}, "
             f"{res.n_data} points, {res.evaluations} evaluations"]
    for path, entry in res.parameters.items():
        line = f"  {path} = {_fmt(entry)}"
        if res.formula is not None:
            line += f"   [strip formula: {_fmt(res.formula.parameters[path])}]"
        lines.append(line)
    for d in res.datasets:
        lines.append(f"  dataset {d['name']}: rms residual {d['rms_residual']:.3g}")
    lines += [f"warning: {w}" for w in res.warnings]
    return "\n".join(lines)


def _cmd_fit(args):
    import logging
    import time

    from ..logs import RESULT, memory_text
    from . import fit, load_fit

    log = logging.getLogger(__name__)
    t0 = time.perf_counter()
    spec = load_fit(args.config)  # every input checked before any solve
    log.info(f"omm-fem fit: {args.config} ({len(spec.datasets)} datasets, "
             f"{len(spec.free)} free parameters)", extra=RESULT)
    res = fit(spec, progress=not args.quiet)
    files = res.write(args.out)
    for line in [*summary(res).splitlines(), "wrote: " + ", ".join(str(f) for f in files)]:
        log.info(line, extra=RESULT)
    log.info("finished in %.1f s, %s", time.perf_counter() - t0, memory_text())
    return 0
