"""``omm-fem init``: a commented starter configuration for one geometry kind.

``omm-fem init --kind KIND [--out FILE] [--force]`` writes a TOML file with
every section ([geometry], [mesh], [material], [field], [sweep], [contacts],
[[measure]], [solver], [output]) and a comment on every key; it runs as
written (``omm-fem run FILE``, a few seconds on a laptop) and is meant to be
edited. Kinds: the geometry kinds of :mod:`omm_fem.config.geometry`
(``rectangle``, ``hall_bar``, ``polygon``, ``annulus``, ``mesh``: the shipped
flake mesh) and ``van_der_pauw`` (the shipped cross mesh, both van der Pauw
resistances and the Hall resistance).
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import OmmError
from .logs import say

MESHES = Path(__file__).resolve().parents[1] / "meshes"  # the shipped meshes (source tree)

HEAD = """\
# omm-fem starter configuration: {title}
# Written by `omm-fem init --kind {kind}`; run it with
#     omm-fem run {file} --out {kind}-out
# All inputs are SI. Unknown keys are errors that name the key; every key is
# described in the configuration reference of the documentation (docs/config.rst).
# The sizes below keep the run to a few seconds: enlarge the device, the sweep
# or the accuracy (mesh.order, mesh.edge_size) as you need.

"""

MESH = """\
[mesh]
order = {order}                 # Lagrange P1 or P2 (P2: ~1e-4 of max|n^z| at the default edge size;
#                         # P1 needs boundary elements of ell/16 for the same, P2 ell/8)
# size = 1.0e-7           # bulk element size [m] (default: a tenth of the smallest extent)
# edge_size = 2.0e-8      # largest element edge along the boundary [m]; default: from the
#                         # boundary-layer length ell of the run (ell/8 for P2, ell/16 for P1)
# max_dofs = 3.0e6        # refuse meshes estimated larger than this (unknowns)

"""

MATERIAL = """\
[material]                # one material everywhere; or one table per region: [material.REGION]
D = {D}                # OMM diffusion constant [m^2/s]
tau = {tau}             # OMM relaxation time [s]   -> L_m = sqrt(D tau) = {L_m}
alpha = 0.05              # orbital Hall angle (|alpha| < 1; a warning above 0.3)
sigma = 1.6e-3            # sheet conductance [S]
mobility = 1.0            # electron mobility [m^2/(V s)] (the drift term of [solver])
X = [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]]   # symmetric inverse-mass tensor
X_unit = "1/m_e"          # units of X: "1/m_e" (per electron mass) or "1/kg" (the default)
# X = {{model = "blg", mu = 0.2, T = 300, V = 0.1}}   # X of bilayer graphene (eV, K, eV)

[field]
B = [{B}, 0.0, 0.0]       # magnetic field [T], any direction

[sweep]                   # rho(B) and rho*(B); delete the section for one field only
B_T = {{start = 0.0, stop = {B_max}, num = 5}}   # field magnitudes [T] (or a list [0, 0.5, ...])
direction = [1.0, 0.0, 0.0]                   # field direction of the sweep
# angle sweep instead: angle_deg = {{start = 0, stop = 180, num = 19}}, B_T = 1.0 (|B|),
#                      direction = [1, 0, 0] (at angle 0), axis = [0, 0, 1] (rotation axis)
# method = "auto"         # "reduced" (error-controlled reduced model), "direct" (one solve
#                         # per field), "auto": reduced from 8 fields on
# workers = 1             # direct solves on a process pool of this many workers

"""

SOLVER = """\
[solver]
drift = {drift}              # drift v_d = -mu_e E0 in Eq. (1) and in Delta J
# linear = "auto"         # direct below 1e6 unknowns, iterative (AMG + Krylov) above; or "direct"

[output]
# vtu_sweep_points = [0, 4]   # also write fields_sweep_NNNN.vtu at these sweep indices
# strip_overlay = true        # draw the strip formula on hmr.png (default: rectangles only)
"""

OMM = ("omm = \"sink\"              # OMM at the contact: \"sink\" (n = 0), \"reflecting\" "
       "(no flux),\n                          # \"relaxing\" (flux s n, with s = ... [m/s])")

TWO_CONTACTS = """\
[contacts.{a}]
current = 1.0e-6          # A into the sample (or voltage = ... [V]; current = 0: floating)
{omm}

[contacts.{b}]
voltage = 0.0             # V; at least one contact has a voltage (the ground)
omm = "sink"

"""

KINDS = {
    "rectangle": {
        "title": "a rectangular channel (two-terminal; the strip limit of SPEC §6)",
        "geometry": """\
[geometry]
kind = "rectangle"        # channel along x: contacts "source" (x = 0) and "drain" (x = length),
length = 2.0e-6           # m                 the long sides are tagged "edge"
width = 1.0e-6            # m
""",
        "contacts": ("source", "drain"),
        "measure": """\
[[measure]]               # any number; R = (phi(voltage[0]) - phi(voltage[1])) / I(current[0])
name = "R2t"              # each is driven through its own current pair, other contacts floating
current = ["source", "drain"]
voltage = ["source", "drain"]
""",
        "D": "9.0e-2", "B": "0.5", "B_max": "1.0", "drift": "true"},
    "hall_bar": {
        "title": "a Hall bar (four-terminal Rxx and the Hall resistance Rxy)",
        "geometry": """\
[geometry]
kind = "hall_bar"         # channel along x, arm pairs at the x positions of arms
length = 2.5e-6           # m
width = 1.0e-6            # m
arms = [0.8e-6, 1.7e-6]   # m, arm centres along x (from the source)
arm_width = 0.3e-6        # m
arm_length = 0.3e-6       # m; arm ends: probe_K_top, probe_K_bottom (K = 1.. from the source)
""",
        "contacts": ("source", "drain"),
        "measure": """\
[[measure]]               # any number; R = (phi(voltage[0]) - phi(voltage[1])) / I(current[0])
name = "Rxx"              # voltages: contacts or probes (mean phi over a tagged edge)
current = ["source", "drain"]
voltage = ["probe_1_top", "probe_2_top"]

[[measure]]
name = "Rxy"              # transverse: R0 = 0 by symmetry, so rho is reported as null
current = ["source", "drain"]
voltage = ["probe_1_top", "probe_1_bottom"]
""",
        "D": "9.0e-2", "B": "0.5", "B_max": "1.0", "drift": "true"},
    "polygon": {
        "title": "a polygon with a hole (your own outline)",
        "geometry": """\
[geometry]
kind = "polygon"          # any simple outline [m]; segment k joins point k and point k+1
outline = [[0.0, 0.0], [2.0e-6, 0.0], [2.5e-6, 1.0e-6], [0.5e-6, 1.0e-6]]   # [x, y] in m
holes = [[[0.9e-6, 0.4e-6], [1.4e-6, 0.4e-6], [1.4e-6, 0.6e-6], [0.9e-6, 0.6e-6]]]   # loops
tags = {source = [3], drain = [1]}   # name = [segment k of the outline, or [loop, k] of a hole]
#                                      untagged segments (and holes) are "edge"
""",
        "contacts": ("source", "drain"),
        "measure": """\
[[measure]]               # any number; R = (phi(voltage[0]) - phi(voltage[1])) / I(current[0])
name = "R2t"              # two-terminal: the voltage between the current contacts
current = ["source", "drain"]
voltage = ["source", "drain"]
""",
        "D": "9.0e-2", "B": "0.5", "B_max": "1.0", "drift": "true"},
    "annulus": {
        "title": "a Corbino disk (annulus: contacts on the inner and the outer circle)",
        "geometry": """\
[geometry]
kind = "annulus"          # centred at the origin; boundary tags "inner" and "outer". The orbital
#                         # Hall current circulates around the disk and meets no edge: nothing
#                         # accumulates, R = R0 and rho = 0 (a check; compare the Hall bar)
inner_radius = 0.3e-6     # m
outer_radius = 1.0e-6     # m
""",
        "contacts": ("inner", "outer"),
        "measure": """\
[[measure]]               # any number; R = (phi(voltage[0]) - phi(voltage[1])) / I(current[0])
name = "R_corbino"        # two-terminal, inner to outer
current = ["inner", "outer"]
voltage = ["inner", "outer"]
""",
        "D": "9.0e-2", "B": "0.5", "B_max": "1.0", "drift": "true"},
    "mesh": {
        "title": "a mesh file (the shipped irregular flake with a hole, four contacts)",
        "geometry": """\
[geometry]
kind = "mesh"             # gmsh .msh (or any meshio format with named line and surface sets):
#                         # physical curves are contacts, probes and "edge", physical
#                         # surfaces regions; file: relative to this file (or absolute)
file = "{mesh}"
# scale = 1e-6            # if the file's coordinates are in um
""",
        "mesh_file": "flake.msh",
        "contacts_text": """\
[contacts.c1]
current = 1.0e-6          # A into the sample (or voltage = ... [V])
{omm}

[contacts.c3]
voltage = 0.0             # V; at least one contact has a voltage (the ground)

[contacts.c2]
current = 0.0             # a floating voltage probe (an equipotential metal contact)

[contacts.c4]
current = 0.0

""",
        "measure": """\
[[measure]]               # any number; R = (phi(voltage[0]) - phi(voltage[1])) / I(current[0])
name = "R_c2_c4"          # four-terminal: current c1 -> c3, voltage between c2 and c4
current = ["c1", "c3"]
voltage = ["c2", "c4"]
""",
        "D": "2.5e-1", "tau": "4.0e-12", "order": 1, "B": "0.1", "B_max": "0.2",
        "drift": "false"},
    "van_der_pauw": {
        "title": "a van der Pauw cross (mesh file: both vdP resistances and the Hall resistance)",
        "geometry": """\
[geometry]
kind = "mesh"             # the shipped Greek cross: contacts c1 (+x), c2 (+y), c3 (-x), c4 (-y)
#                         # file: relative to this file (or absolute)
file = "{mesh}"
""",
        "mesh_file": "cross.msh",
        "contacts_text": """\
[contacts.c1]
current = 1.0e-6          # A into the sample (or voltage = ... [V])
{omm}

[contacts.c2]
current = 0.0             # floating (each [[measure]] drives its own pair)

[contacts.c3]
current = 0.0

[contacts.c4]
voltage = 0.0             # V; at least one contact has a voltage (the ground)

""",
        "measure": """\
[[measure]]               # each driven through its own current pair, the others floating
name = "R_12_43"          # van der Pauw: current c1 -> c2, voltage c4 - c3
current = ["c1", "c2"]
voltage = ["c4", "c3"]

[[measure]]
name = "R_23_14"          # the other van der Pauw resistance
current = ["c2", "c3"]
voltage = ["c1", "c4"]

[[measure]]
name = "R_hall"           # Hall: current c1 -> c3, voltage c2 - c4 (R0 = 0: rho is null)
current = ["c1", "c3"]
voltage = ["c2", "c4"]
""",
        "D": "2.5e-1", "tau": "4.0e-12", "order": 1, "B": "0.1", "B_max": "0.2",
        "drift": "false"},
}


def _length_text(t):
    L = (float(t["D"]) * float(t.get("tau", "1e-12"))) ** 0.5
    return f"{L * 1e9:.0f} nm"


def _mesh_path(name, out):
    """Path of the shipped mesh ``name`` relative to the folder of ``out`` when both are
    in one tree below the file-system root (absolute otherwise)."""
    src = MESHES / name
    if not src.is_file():
        raise OmmError(f"the shipped mesh {str(src)!r} is missing (the meshes/ folder of the "
                       "source tree); use --kind polygon, or kind = \"mesh\" with a file of "
                       "your own")
    folder = Path(out).absolute().parent
    try:
        shared = Path(os.path.commonpath([src, folder]))
    except ValueError:  # different drives
        return src.as_posix()
    if shared == Path(shared.anchor):
        return src.as_posix()
    return Path(os.path.relpath(src, folder)).as_posix()


def starter_config(kind, out="starter.toml"):
    """The text of the starter configuration of ``kind`` (a key of :data:`KINDS`), with
    mesh paths relative to the folder of the file ``out``."""
    if kind not in KINDS:
        raise OmmError(f"--kind {kind!r} is unknown; allowed: {', '.join(KINDS)}")
    t = KINDS[kind]
    geometry = t["geometry"]
    if "mesh_file" in t:
        geometry = geometry.replace("{mesh}", _mesh_path(t["mesh_file"], out))
    if "contacts_text" in t:
        contacts = t["contacts_text"].format(omm=OMM)
    else:
        contacts = TWO_CONTACTS.format(a=t["contacts"][0], b=t["contacts"][1], omm=OMM)
    return (HEAD.format(title=t["title"], kind=kind, file=Path(out).name) + geometry + "\n"
            + MESH.format(order=t.get("order", 2))
            + MATERIAL.format(D=t["D"], tau=t.get("tau", "1.0e-12"), L_m=_length_text(t),
                              B=t["B"], B_max=t["B_max"])
            + contacts + t["measure"] + "\n" + SOLVER.format(drift=t["drift"]))


def write_starter(kind, out, force=False):
    """Write the starter configuration of ``kind`` to ``out`` (atomically); refuses an
    existing file unless ``force``. Returns the path."""
    from .io import write_text

    path = Path(out)
    if path.is_dir():
        raise OmmError(f"--out {str(out)!r} is a directory; give a file name (e.g. "
                       f"{(path / (kind + '.toml')).as_posix()!r})")
    if path.exists() and not force:
        raise OmmError(f"--out {str(out)!r} exists; choose another name or pass --force to "
                       "overwrite it")
    if not path.parent.exists():
        raise OmmError(f"--out {str(out)!r}: the folder {str(path.parent)!r} does not exist")
    return write_text(path, starter_config(kind, path))


def _cmd_init(args):
    out = args.out_file or f"{args.kind}.toml"
    path = write_starter(args.kind, out, force=args.force)
    say(f"wrote {path} ({KINDS[args.kind]['title']})")
    say(f"run it with: omm-fem run {path} --out {args.kind}-out")
    return 0


def add_parser(sub):
    """Register ``omm-fem init`` on the subparsers ``sub`` of the main parser."""
    p = sub.add_parser("init", help="write a commented starter configuration for a geometry kind",
                       description="Write a commented starter configuration (TOML) for a "
                                   "geometry kind; it runs as written with omm-fem run.")
    p.add_argument("--kind", required=True, choices=list(KINDS),
                   help="geometry: " + "; ".join(f"{k}: {v['title']}" for k, v in KINDS.items()))
    p.add_argument("--out", dest="out_file", metavar="FILE",
                   help="file to write (default: KIND.toml in the current folder)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=_cmd_init)
    return p
