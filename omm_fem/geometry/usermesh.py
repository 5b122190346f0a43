"""A user's own geometry (gmsh ``.geo``, CAD ``.step``/``.iges``/``.brep`` or a gmsh
``.msh``) meshed with the same boundary grading as the built-in geometries.

Every boundary curve of the sample's surfaces (except the ``ungraded`` ones,
e.g. reflecting contacts) gets elements of at most ``edge_size`` within a band
of :data:`~omm_fem.config.geometry.LAYER` edge sizes, growing by
:data:`~omm_fem.config.geometry.GROWTH` per element into the bulk
(:func:`~omm_fem.geometry.gmsh_tools.graded_size_field`). Physical groups and
their names are kept; boundary curves in no physical group are collected in a
physical curve ``edge`` (insulating unless a contact names it); the curves of a
CAD file, which has no physical groups, get one group each (its CAD label, or
``curve_K`` with K gmsh's curve number: ``omm-fem inspect`` lists them). A ``.msh`` is
re-meshed from its own elements (:mod:`omm_fem.geometry.msh_geometry`: its
boundary nodes stay where they are, its curves become polylines).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks import file_problem
from ..errors import ConfigError, MeshError, show
from .gmsh_tools import _curve_length, generate, gmsh_session, graded_size_field, to_skfem
from .mesh_io import MESH_MAX_BYTES
from .msh_geometry import rebuild_from_mesh

CAD = (".step", ".stp", ".iges", ".igs", ".brep", ".brp")
SUFFIXES = (".geo", ".msh") + CAD
UNTAGGED = "edge"  # the physical curve collecting boundary curves in no group


@dataclass
class UserMesh:
    """The outcome of :func:`mesh_user_geometry` (lengths in metres).

    Attributes
    ----------
    path : Path
        The written MSH 4.1 file (coordinates in the source's units).
    mesh : skfem.MeshTri
        The mesh read back, in metres, with its tags.
    edge_size, size : float
        Boundary and bulk element sizes [m] asked of gmsh.
    estimated_dofs : float
        The estimate checked against ``max_dofs`` before meshing.
    graded, ungraded : list of str
        Physical curves graded towards, and those left ungraded.
    added : list of str
        Physical groups this function had to create (none in the source).
    """

    path: Path
    mesh: object
    edge_size: float
    size: float
    estimated_dofs: float
    graded: list = field(default_factory=list)
    ungraded: list = field(default_factory=list)
    added: list = field(default_factory=list)

    def to_dict(self):
        """JSON-friendly summary (SI)."""
        return {"path": str(self.path), "nodes": int(self.mesh.p.shape[1]),
                "elements": int(self.mesh.t.shape[1]), "edge_size_m": self.edge_size,
                "size_m": self.size, "estimated_dofs": self.estimated_dofs,
                "boundaries": sorted(self.mesh.boundaries or {}),
                "regions": sorted(self.mesh.subdomains or {}), "graded": self.graded,
                "ungraded": self.ungraded, "added": self.added}


def mesh_user_geometry(src, out, *, edge_size, size=None, ungraded=(), scale=1.0, order=2,
                       max_dofs=float("inf"), needed=()):
    """Mesh a user's geometry file with ell-based boundary grading into ``out`` (MSH 4.1).

    Parameters
    ----------
    src : str or Path
        ``.geo``, ``.msh``, or a CAD file (``.step``, ``.stp``, ``.iges``, ``.igs``,
        ``.brep``, ``.brp``) of a planar sample.
    out : str or Path
        The mesh file written (atomically), in the source's coordinate units.
    edge_size : float
        Largest element edge along the graded boundary [m].
    size : float, optional
        Bulk element size [m] (default: a tenth of the smaller extent of the sample).
    ungraded : iterable of str
        Physical curves not graded towards (reflecting contacts).
    scale : float
        Source coordinate unit in metres (1e-6 for um). gmsh (OpenCASCADE) reads
        CAD files in millimetres whatever their own unit: give 1e-3 for them.
    order : int
        Element order of the run (for the unknown estimate).
    max_dofs : float
        Refuse (before meshing) a mesh estimated larger than this.
    needed : iterable of str
        Physical curves the run needs (its contacts and probes), checked before meshing.

    Returns
    -------
    UserMesh

    Raises
    ------
    ConfigError
        An unknown file type, a missing file, a ``needed`` curve the file does not name,
        or an estimate above ``max_dofs``.
    MeshError
        gmsh cannot read or mesh the geometry; it is not a planar 2D sample.
    """
    from ..config.geometry import GROWTH, LAYER, graded_dofs
    from ..io import atomic_write

    src, out = Path(src), Path(out)
    suffix = src.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"mesh: {show(str(src))} has the suffix {show(src.suffix)}; allowed: "
                          f"{', '.join(SUFFIXES)}")
    problem = file_problem(src, MESH_MAX_BYTES)
    if problem is not None:
        raise ConfigError(f"mesh: the geometry file {show(str(src))} {problem}")
    name = src.name
    with gmsh_session(name) as gmsh:
        if suffix == ".geo":  # the shipped .geo files read their sizes through ONELAB
            gmsh.onelab.setNumber("edge_size", [edge_size / scale])
            if size is not None:
                gmsh.onelab.setNumber("size", [size / scale])
        gmsh.open(str(src))
        loops = rebuild_from_mesh(gmsh, name) if suffix == ".msh" else None
        surfaces = _surfaces(gmsh, name)
        added = _complete_groups(gmsh, surfaces, each=suffix in CAD)
        boundary = sorted({abs(t) for _, t in gmsh.model.getBoundary(
            [(2, s) for s in surfaces], combined=True, oriented=False)})
        skip, names, skipped = _ungraded_curves(gmsh, boundary, set(ungraded))
        missing = [n for n in needed if n not in names]
        if missing:
            raise ConfigError(f"mesh: {name} has no physical curve {', '.join(map(show, missing))} "
                              f"that the configuration's contacts or probes name; its physical "
                              f"curves: {sorted(names)}")
        lo = gmsh.model.getBoundingBox(-1, -1)
        extent = min(lo[3] - lo[0], lo[4] - lo[1])
        size_u = extent / 10 if size is None else size / scale
        size_u = max(size_u, edge_size / scale)
        per = sum(_curve_length(gmsh, c) for c in boundary) * scale
        area = _area(gmsh, surfaces) * scale ** 2
        loops = None if loops is None else [P * scale for P in loops]
        est = float(graded_dofs(per, area, size_u * scale, edge_size, order, loops=loops))
        if est > max_dofs:
            raise ConfigError(
                f"mesh: about {est:.2g} unknowns for edge_size = {edge_size:.3g} m on {name} "
                f"(boundary {per:.3g} m, area {area:.3g} m^2 with geometry.scale = {scale:g}) "
                f"exceed mesh.max_dofs = {max_dofs:.3g}; if the file's coordinates are not "
                "metres set geometry.scale (1e-6 for um, 1e-9 for nm), else raise mesh.max_dofs "
                "or give a larger mesh.edge_size")
        opt = gmsh.option
        opt.setNumber("Mesh.ElementOrder", 1)
        opt.setNumber("Mesh.RecombineAll", 0)
        opt.setNumber("Mesh.SaveAll", 0)
        opt.setNumber("Mesh.MeshSizeFactor", 1)
        graded_size_field(gmsh, [c for c in boundary if c not in skip], size=size_u,
                          edge_size=edge_size / scale, layer=LAYER * edge_size / scale,
                          growth=GROWTH)
        generate(gmsh)
        mesh = to_skfem(gmsh, source=f"{name} meshed", scale=scale)
        opt.setNumber("Mesh.MshFileVersion", 4.1)
        opt.setNumber("Mesh.Binary", 0)
        atomic_write(out, lambda tmp: gmsh.write(str(tmp)), suffix=".msh")
    return UserMesh(path=out, mesh=mesh, edge_size=edge_size, size=size_u * scale,
                    estimated_dofs=est, graded=sorted(names - skipped),
                    ungraded=sorted(skipped), added=added)


def _surfaces(gmsh, name):
    """The sample's surfaces; a model with volumes or out of the z = const plane is refused."""
    if gmsh.model.getEntities(3):
        raise MeshError(f"{name}: the geometry has volumes; a sample is a planar surface "
                        "(z = const), e.g. one face exported from the CAD tool")
    surfaces = [s for _, s in gmsh.model.getEntities(2)]
    if not surfaces:
        raise MeshError(f"{name}: no surface; a sample is a planar surface bounded by curves "
                        "(in a .geo: Plane Surface)")
    box = gmsh.model.getBoundingBox(-1, -1)
    # a coarse test (CAD boxes are enlarged by their tolerance); the mesh is checked exactly
    if box[5] - box[2] > 1e-3 * max(box[3] - box[0], box[4] - box[1]):
        raise MeshError(f"{name}: the geometry is not planar (z from {box[2]:g} to {box[5]:g}); "
                        "a sample lies in a plane z = const")
    return surfaces


def _complete_groups(gmsh, surfaces, each=False):
    """Add a physical surface ``sample`` if there is none and collect boundary curves
    in no physical curve into ``edge``; with ``each`` (CAD files, which have no physical
    groups) every such curve gets its own group, named by its CAD label or ``curve_K``."""
    added = []
    groups = gmsh.model.getPhysicalGroups()
    if not any(d == 2 for d, _ in groups):
        gmsh.model.addPhysicalGroup(2, surfaces, name="sample")
        added.append("sample")
    inside = {int(c) for d, t in groups if d == 1
              for c in gmsh.model.getEntitiesForPhysicalGroup(d, t)}
    boundary = sorted({abs(t) for _, t in gmsh.model.getBoundary(
        [(2, s) for s in surfaces], combined=True, oriented=False)})
    rest = [c for c in boundary if c not in inside]
    labelled = {}
    for c in rest:
        label = gmsh.model.getEntityName(1, c).split("/")[-1].strip()
        labelled.setdefault(label or (f"curve_{c}" if each else UNTAGGED), []).append(c)
    taken = {gmsh.model.getPhysicalName(d, t) for d, t in groups}
    for label, curves in sorted(labelled.items()):
        if label in taken:  # extend the user's group of that name
            tag = next(t for d, t in groups if d == 1 and gmsh.model.getPhysicalName(d, t) == label)
            curves = sorted({*map(int, gmsh.model.getEntitiesForPhysicalGroup(1, tag)), *curves})
            gmsh.model.removePhysicalGroups([(1, tag)])
        gmsh.model.addPhysicalGroup(1, curves, name=label)
        added.append(label)
    return added


def _ungraded_curves(gmsh, boundary, ungraded):
    """Curves (of ``boundary``) left ungraded: those whose every physical curve is in
    ``ungraded``. Returns (those curves, all physical curve names, the ungraded names)."""
    owners = {}
    for d, t in gmsh.model.getPhysicalGroups(1):
        nm = gmsh.model.getPhysicalName(d, t) or f"{d}_{t}"
        for c in gmsh.model.getEntitiesForPhysicalGroup(d, t):
            owners.setdefault(int(c), set()).add(nm)
    skip = {c for c in boundary if owners.get(c) and owners[c] <= ungraded}
    names = set().union(*owners.values()) if owners else set()
    return skip, names, names & ungraded


def _area(gmsh, surfaces, samples=64):
    """Area of planar surfaces (file units^2): the shoelace sum over their oriented
    boundary curves, each sampled at ``samples`` parameter values."""
    total = 0.0
    for s in surfaces:
        a = 0.0
        for _, c in gmsh.model.getBoundary([(2, s)], combined=False, oriented=True):
            lo, hi = gmsh.model.getParametrizationBounds(1, abs(c))
            t = np.linspace(lo[0], hi[0], samples)
            xy = np.asarray(gmsh.model.getValue(1, abs(c), t)).reshape(-1, 3)[:, :2]
            if c < 0:
                xy = xy[::-1]
            a += 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))
        total += abs(a)
    return total
