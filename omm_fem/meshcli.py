"""``omm-fem mesh`` (a user's geometry, boundary-graded for a configuration) and
``omm-fem inspect`` (what a configuration will mesh, before any solve): glue only."""
from __future__ import annotations

from pathlib import Path

from .logs import say


def _spec(cfg, base):
    """The RunSpec of a loaded configuration (a transient's B(t) in its mesh resolution)."""
    from .config import parse_config

    spec = parse_config(cfg, base_dir=base)
    if "transient" in cfg:
        from .transient.config import parse_transient, run_spec

        spec = run_spec(spec, parse_transient(cfg, spec, base_dir=base))
    return spec


def _with_file(cfg, path, scale):
    """``cfg`` with ``[geometry]`` replaced by the mesh file ``path`` (``scale`` if given)."""
    g = {"kind": "mesh", "file": str(Path(path).resolve())}
    if scale is not None:
        g["scale"] = scale
    return {**cfg, "geometry": g}


def _cmd_mesh(args):
    from .config import load_toml
    from .geometry.inspection import inspect_run
    from .geometry.usermesh import CAD, mesh_user_geometry

    cfg = load_toml(args.config)
    base = Path(args.config).parent
    tab = cfg.get("geometry") if isinstance(cfg.get("geometry"), dict) else {}
    scale = tab.get("scale") if tab.get("kind") == "mesh" else None
    if scale is None and Path(args.geometry).suffix.lower() in CAD:
        scale = 1e-3  # gmsh (OpenCASCADE) reads CAD files in millimetres
    spec = _spec(_with_file(cfg, args.geometry, scale), base)
    res = spec.resolved
    say(f"omm-fem mesh: {args.geometry} with the boundary grading of {args.config}: "
          f"ell = {res['ell_m']:.3g} m, boundary elements <= {res['edge_size_m']:.3g} m "
          f"(P{spec.mesh_opts.order})")
    made = mesh_user_geometry(args.geometry, args.out_file, edge_size=res["edge_size_m"],
                              size=spec.mesh_opts.size,
                              ungraded=[c.name for c in spec.contacts if c.omm == "reflecting"],
                              scale=spec.geometry["scale"], order=spec.mesh_opts.order,
                              max_dofs=spec.mesh_opts.max_dofs,
                              needed=[c.name for c in spec.contacts] + list(spec.probes))
    say(f"wrote: {made.path} ({made.mesh.p.shape[1]} nodes, {made.mesh.t.shape[1]} triangles; "
          f"graded towards {', '.join(made.graded) or 'nothing'}"
          + (f"; not graded (reflecting): {', '.join(made.ungraded)}" if made.ungraded else "")
          + (f"; physical groups added: {', '.join(made.added)}" if made.added else "") + ")")
    say(inspect_run(_spec(_with_file(cfg, made.path, scale), base)).text())
    say(f'use it with: [geometry] kind = "mesh", file = "{made.path}"'
          + ("" if scale is None else f", scale = {scale!r}"))
    return 0


def _cmd_inspect(args):
    from .config import load_toml
    from .geometry.inspection import inspect_run
    from .plotting import save_png

    cfg = load_toml(args.config)
    ins = inspect_run(_spec(cfg, Path(args.config).parent))
    say(f"omm-fem inspect: {args.config}")
    say(ins.text())
    if args.png:
        say(f"wrote: {save_png(ins.plot(), args.png)}")
    return 0


def add_parser(sub):
    """Register the ``mesh`` and ``inspect`` subcommands on an argparse subparsers object."""
    p = sub.add_parser("mesh", help="mesh your own geometry (.geo, .msh, .step, ...) with the "
                                    "boundary grading a configuration needs")
    p.add_argument("geometry", help="gmsh .geo, gmsh .msh (re-meshed from its elements) or a "
                                    "CAD file (.step, .stp, .iges, .igs, .brep, .brp) of a planar "
                                    "sample; physical groups (names) are kept")
    p.add_argument("--config", required=True,
                   help="TOML configuration whose material, fields, contacts and [mesh] set the "
                        "grading (its [geometry] is replaced by the file; its geometry.scale, "
                        "if any, gives the file's unit; CAD files are read in mm: scale 1e-3)")
    p.add_argument("--out", dest="out_file", required=True,
                   help="mesh file to write (gmsh MSH 4.1, in the geometry file's units)")
    p.set_defaults(func=_cmd_mesh)
    q = sub.add_parser("inspect", help="show what a configuration will mesh (tags, contacts, "
                                       "insulating curves, size against L_m and ell, unknowns, "
                                       "mesh quality) before any solve")
    q.add_argument("config", help="TOML configuration file")
    q.add_argument("--png", help="also draw the mesh with the contacts named into this PNG file")
    q.set_defaults(func=_cmd_inspect)
