"""The validated run specification: frozen, typed sections and the mesh resolution.

Parsing (:func:`omm_fem.config.parse_config`) builds these once; nothing
mutates them afterwards. A transient run that needs its B(t) resolved by the
mesh gets a new specification from :meth:`RunSpec.with_fields`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from ..errors import ConfigError, show
from ..material import ALPHA_WARN
from ..problem import boundary_layer_length
from . import geometry as geom

EDGE_FRACTION = {1: 16, 2: 8}  # default edge_size = ell / EDGE_FRACTION[order]
MAX_DOFS_LIMIT = 5.0e7  # the largest mesh.max_dofs accepted (mesher and factorisation memory)
EDGE_WARN_FACTOR = 2.0  # an explicit edge_size this many times the rule's is warned about
TOLERANCE_START = 4  # a [mesh] tolerance run starts from boundary elements 4x the rule's


def _frozen(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class MeshOptions:
    """[mesh]: element order, bulk and boundary element sizes [m], the dof guard;
    ``error_estimate`` and ``tolerance`` (accuracy on demand: :mod:`omm_fem.accuracy`)."""

    order: int = 2
    size: float | None = None
    edge_size: float | None = None
    max_dofs: float = 3.0e6
    error_estimate: bool = False  # one solve on the uniformly refined mesh (about 5x the run)
    generator: str = "auto"  # "auto", "structured" or "gmsh" (config.geometry.mesh_generator)
    tolerance: float | None = None  # refine until every relative estimate is below it


@dataclass(frozen=True)
class SweepSpec:
    """[sweep]: the fields of a magnitude or angle sweep and how to evaluate them.

    ``fields`` (n, 3) [T]; a magnitude sweep has ``B_T`` (n,) along the unit
    ``direction``; an angle sweep ``angle_deg`` (n,) about ``axis`` at the
    magnitude ``B_T``, starting from ``direction``.
    """

    kind: str
    fields: np.ndarray
    B_T: np.ndarray | float
    direction: np.ndarray
    method: str = "auto"
    workers: int = 1
    angle_deg: np.ndarray | None = None
    axis: np.ndarray | None = None

    def __post_init__(self):
        for key in ("fields", "direction", "angle_deg", "axis"):
            if getattr(self, key) is not None:
                object.__setattr__(self, key, _frozen(getattr(self, key)))
        if self.kind == "magnitude":
            object.__setattr__(self, "B_T", _frozen(self.B_T))


@dataclass(frozen=True)
class ParameterSweepSpec:
    """[sweep] parameter, values: a sweep over one scalar input (:mod:`omm_fem.config.parameters`).

    ``path`` the dotted path, ``kind`` "material" (one mesh for every value) or
    "geometry" (a mesh per value), ``unit`` of the values (SI; X in its X_unit),
    ``values`` (n,), ``scale`` ("list", "linear" or "log") and ``points`` the
    validated :class:`RunSpec` of every value (a run of its own, with the field sweep).
    """

    path: str
    kind: str
    unit: str
    values: np.ndarray
    scale: str
    points: tuple

    def __post_init__(self):
        object.__setattr__(self, "values", _frozen(self.values))
        object.__setattr__(self, "points", tuple(self.points))


@dataclass(frozen=True)
class OutputSpec:
    """[output]: extra VTU files of sweep points; the strip-formula overlay on hmr.png."""

    vtu_sweep_points: tuple = ()
    strip_overlay: bool = False


def resolve_mesh(geometry, mesh, materials, fields):
    """Mesh resolution of a run: a pure function of its inputs.

    ``edge_size`` is ``mesh.edge_size`` or the boundary-layer length ell over
    every region and field (SPEC §6) over EDGE_FRACTION[order] (times
    TOLERANCE_START under ``mesh.tolerance``, whose refinement takes over); the bulk size
    and the estimated unknown count follow for generated geometries, which
    are refused above ``mesh.max_dofs``.

    Parameters
    ----------
    geometry : dict
        Parsed [geometry].
    mesh : MeshOptions
    materials : dict[str, Material]
    fields : sequence of (3,) arrays
        Every field of the run [T].

    Returns
    -------
    dict
        ``L_m_m``, ``ell_m``, ``edge_size_m``, ``size_m`` [m] and, for a
        generated geometry, ``estimated_dofs``. ``size_m`` is None for a mesh
        file (its elements are the file's).
    """
    ell = boundary_layer_length(list(materials.values()), fields)
    if not math.isfinite(ell):
        taus = ", ".join(f"material{'' if k == 'all' else '.' + str(k)}.tau = {m.tau!r}"
                         for k, m in materials.items())
        raise ConfigError(f"material: the boundary-layer length ell = sqrt(D / max|eig A(B)|) "
                          f"overflows ({taus}): the relaxation and precession rates underflow; "
                          "the parameters are far outside any physical range")
    start = TOLERANCE_START if mesh.tolerance is not None else 1  # adaptivity refines from there
    edge = mesh.edge_size or start * ell / EDGE_FRACTION[mesh.order]
    out = {"L_m_m": {str(k): m.L_m for k, m in materials.items()}, "ell_m": ell,
           "edge_size_m": edge}
    if geometry["kind"] == "mesh":
        return {**out, "size_m": None}
    size = max(mesh.size or geom.default_size(geometry), edge)
    est = geom.estimate_dofs(geometry, size, edge, mesh.order)
    if est > mesh.max_dofs:
        raise ConfigError(
            f"mesh: about {est:.2g} unknowns for edge_size = {edge:.3g} m (boundary-layer length "
            f"ell = {ell:.3g} m) exceeds mesh.max_dofs = {mesh.max_dofs:.3g}; "
            "raise mesh.max_dofs, give a larger mesh.edge_size, or reduce the largest field")
    return {**out, "size_m": size, "estimated_dofs": est,
            "mesh_generator": geom.chosen_generator(geometry, mesh.generator, est / (
                4 if mesh.order == 2 else 1))}


def input_warnings(spec):
    """Warnings about valid but doubtful inputs of a run (results["warnings"]).

    * ``|alpha| > ALPHA_WARN``: rho is the O(alpha^2) term; the neglected
      O(alpha^4) terms are no longer negligible.
    * an explicit ``mesh.edge_size`` of a generated geometry above
      ``EDGE_WARN_FACTOR`` times the boundary-layer rule ell/EDGE_FRACTION[order]:
      the boundary layer is under-resolved (n^z converges at rate order + 1).

    Returns
    -------
    list of str
    """
    out = []
    for name, m in spec.materials.items():
        if abs(m.alpha) > ALPHA_WARN:
            key = "material.alpha" if len(spec.materials) == 1 else f"material.{name}.alpha"
            out.append(f"{key} = {m.alpha:g}: |alpha| > {ALPHA_WARN:g}; the model keeps the "
                       f"O(alpha^2) term of rho and neglects the O(alpha^4) terms, which are no "
                       f"longer negligible (relative size about alpha^2 = {m.alpha ** 2:.2g})")
    order, edge = spec.mesh_opts.order, spec.mesh_opts.edge_size
    if edge is not None and spec.geometry["kind"] != "mesh":
        ell = spec.resolved["ell_m"]
        rule = ell / EDGE_FRACTION[order]
        ratio = edge / rule
        if ratio > EDGE_WARN_FACTOR:
            out.append(f"mesh.edge_size = {edge:.3g} m is {ratio:.3g} times the boundary-layer "
                       f"rule ell/{EDGE_FRACTION[order]} = {rule:.3g} m for P{order} "
                       f"(ell = {ell:.3g} m); "
                       f"the boundary-layer error grows roughly like (edge_size/rule)^{order + 1}, "
                       f"here about {ratio ** (order + 1):.3g} times that of the default mesh: "
                       "results such as Delta I/I0 can be far off; omit mesh.edge_size or make it "
                       "smaller")
    return out


@dataclass(frozen=True)
class RunSpec:
    """Everything a run needs, validated and frozen; meshing happens in :meth:`build_problem`.

    ``resolved`` (read-only mapping) holds what was derived from the inputs:
    the mesh resolution (:func:`resolve_mesh`), X-tensor model details, and
    for a transient the boundary-layer length of its B(t).
    """

    config: dict
    geometry: dict
    mesh_opts: MeshOptions
    materials: dict
    contacts: tuple
    B: np.ndarray
    sweep: SweepSpec | None
    measurements: tuple
    drift: bool
    coupled: bool
    output: OutputSpec
    linear: str = "auto"  # [solver] linear: "direct", "iterative" or "auto" (omm_fem.linalg)
    parameter_sweep: ParameterSweepSpec | None = None  # [sweep] parameter, values
    extra_fields: tuple = ()
    info: dict = field(default_factory=dict)  # derived facts that are not mesh resolution
    resolved: MappingProxyType = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "B", _frozen(self.B))
        object.__setattr__(self, "contacts", tuple(self.contacts))
        object.__setattr__(self, "measurements", tuple(self.measurements))
        res = {**self.info, **resolve_mesh(self.geometry, self.mesh_opts, self.materials,
                                           self.all_fields())}
        object.__setattr__(self, "resolved", MappingProxyType(res))

    def all_fields(self):
        """Every field of the run [T]: [field] B, zero, extra (B(t)) and the sweep's."""
        fields = [self.B, np.zeros(3)] + list(self.extra_fields)
        if self.sweep is not None:
            fields.extend(self.sweep.fields)
        return fields

    def with_fields(self, fields, **info):
        """The same run with more fields [T] (e.g. of a transient B(t)) in the mesh
        resolution and the max_dofs guard, and ``info`` added to ``resolved``."""
        extra = tuple(self.extra_fields) + tuple(_frozen(f) for f in fields)
        return replace(self, extra_fields=extra, info={**self.info, **info})

    @property
    def probes(self):
        """Voltage terminals of the measurements that are not contacts."""
        names = {c.name for c in self.contacts}
        out = []
        for m in self.measurements:
            out += [v for v in m.voltage if v not in names and v not in out]
        return out

    def build_problem(self):
        """Generate (or read) the mesh and return the validated Problem."""
        from ..problem import Problem
        from .sections import SINGLE

        ungraded = [c.name for c in self.contacts if c.omm == "reflecting"]
        mesh = geom.build_mesh(self.geometry, size=self.resolved["size_m"],
                               edge_size=self.resolved["edge_size_m"], ungraded=ungraded,
                               generator=self.resolved.get("mesh_generator", "gmsh"))
        if self.geometry["kind"] == "mesh":
            dofs = mesh.p.shape[1] * (4 if self.mesh_opts.order == 2 else 1)
            if dofs > self.mesh_opts.max_dofs:
                raise ConfigError(f"mesh: about {dofs:.3g} unknowns exceed mesh.max_dofs = "
                                  f"{self.mesh_opts.max_dofs:.3g}")
        mats = self.materials
        if list(mats) == [SINGLE]:
            mats = mats[SINGLE]
        pb = Problem(mesh=mesh, materials=mats, contacts=self.contacts, B=self.B,
                     order=self.mesh_opts.order, drift=self.drift)
        tags = dict(mesh.boundaries or {})
        for p in self.probes:
            if p not in tags:
                raise ConfigError(f"measure: terminal {show(p)} is neither a contact nor a "
                                  f"boundary tag of the mesh; tags: {sorted(tags)}")
        return pb
