"""Problem definition: tagged mesh, materials by region, contacts, field.

A :class:`Problem` is validated once, when it is built, so that every later
stage can trust it. Everything is SI.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .checks import integer, real
from .errors import MeshError, OmmError, bad_value
from .material import Material, as_field_vector

OMM_CONDITIONS = ("sink", "reflecting", "relaxing")
VOLTAGE_MAX = 1.0e6  # |contact voltage| [V] accepted (a sample holds volts, not megavolts)
CURRENT_MAX = 1.0e3  # |contact current| [A] accepted (a 2D sample carries mA, not kA)


@dataclass(frozen=True)
class Contact:
    """A metal contact on a tagged boundary.

    Parameters
    ----------
    name : str
        Boundary tag of the contact.
    voltage : float, optional
        Fixed potential [V], ``|voltage| <= VOLTAGE_MAX``. Exactly one of
        ``voltage`` and ``current``.
    current : float, optional
        Total current flowing *into* the sample through this contact [A],
        ``|current| <= CURRENT_MAX``.
    omm : {"sink", "reflecting", "relaxing"}
        OMM condition: n = 0, zero total flux, or flux ``s n``.
    s : float
        Surface relaxation velocity [m/s] for ``omm = "relaxing"``.
    """

    name: str
    voltage: float | None = None
    current: float | None = None
    omm: str = "sink"
    s: float = 0.0

    def __post_init__(self):
        p = f"contacts.{self.name}"
        if (self.voltage is None) == (self.current is None):
            raise OmmError(f"{p}: give exactly one of 'voltage' [V] or 'current' [A] "
                           f"(got voltage={self.voltage!r}, current={self.current!r})")
        for key, cap, unit in (("voltage", VOLTAGE_MAX, "V"), ("current", CURRENT_MAX, "A")):
            val = getattr(self, key)
            if val is not None:
                val = real(f"{p}.{key}", val, message="must be a finite number")
                if abs(val) > cap:
                    raise OmmError(bad_value(f"{p}.{key}", val, f"|{key}| must be <= {cap:g} "
                                             f"{unit} (the largest drive of a sample this solver "
                                             "accepts)"))
                object.__setattr__(self, key, val)
        if self.omm not in OMM_CONDITIONS:
            raise OmmError(bad_value(f"{p}.omm", self.omm, f"allowed: {list(OMM_CONDITIONS)}"))
        s = self.s
        real(f"{p}.s", s, nonneg=True, message="must be a finite velocity >= 0 in m/s")
        if s > 0 and self.omm != "relaxing":
            raise OmmError(bad_value(f"{p}.s", s, "is only used with omm = 'relaxing'"))
        object.__setattr__(self, "s", float(s))

    @property
    def driven_by_current(self):
        return self.current is not None


class Problem:
    """Steady OMM problem on a tagged mesh.

    Parameters
    ----------
    mesh : skfem.MeshTri
        Triangle mesh in metres with named ``boundaries`` (contacts) and
        optionally named ``subdomains`` (material regions).
    materials : Material or dict[str, Material]
        One material for the whole mesh, or one per subdomain name.
    contacts : sequence of Contact
        At least two; at least one with a fixed voltage (the ground).
    B : array_like, shape (3,)
        Magnetic field [T].
    order : {1, 2}
        Lagrange element order.
    drift : bool
        Include the drift term v_d = -mu_e E0 (SPEC §3) and the drift part of
        Delta J (SPEC §5).
    """

    def __init__(self, *, mesh, materials: Material | dict, contacts, B: ArrayLike = (0.0, 0.0, 0.0),
                 order: int = 2, drift: bool = True):
        integer("mesh.order", order, low=1, high=2, numpy=True, integral=True,
                message="allowed: 1 or 2")
        self.mesh = mesh
        self.order = int(order)
        self.drift = bool(drift)
        self.B = as_field_vector(B)
        self.contacts = self._check_contacts(mesh, contacts)
        self._check_islands(mesh, self.contacts)
        self.materials, self.element_region = self._check_materials(mesh, materials)
        for mat in self.materials.values():
            mat.check_stable(self.B)

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _check_contacts(mesh, contacts):
        contacts = list(contacts)
        if len(contacts) < 2:
            raise OmmError(bad_value("contacts", [c.name for c in contacts],
                                     "need at least two contacts"))
        tags = dict(mesh.boundaries or {})
        names = [c.name for c in contacts]
        for c in contacts:
            if c.name not in tags:
                raise OmmError(bad_value(f"contacts.{c.name}", c.name,
                                         f"no boundary with this name; the mesh has {sorted(tags)}"))
            if len(tags[c.name]) == 0:
                raise MeshError(f"contacts.{c.name}: the boundary tag marks no facets")
        if len(set(names)) != len(names):
            raise OmmError(bad_value("contacts", names, "contact names must be unique"))
        if not any(c.voltage is not None for c in contacts):
            raise OmmError("contacts: at least one contact needs a fixed 'voltage' "
                           "(the ground reference); all are current-driven")
        # contacts may not share facets or vertices (they would short)
        seen = {}
        for c in contacts:
            verts = np.unique(mesh.facets[:, tags[c.name]])
            for v in verts:
                if v in seen and seen[v] != c.name:
                    raise MeshError(f"contacts {seen[v]!r} and {c.name!r} touch at vertex "
                                    f"{mesh.p[:, v].tolist()}; contacts must be separated "
                                    "by insulating edge")
                seen[v] = c.name
        return {c.name: c for c in contacts}

    @staticmethod
    def _check_islands(mesh, contacts):
        """Every connected piece of the sample needs a contact with a fixed voltage."""
        import scipy.sparse as sp
        from scipy.sparse.csgraph import connected_components

        t = mesh.t
        nv = mesh.p.shape[1]
        rows = np.concatenate([t[0], t[1], t[2]])
        cols = np.concatenate([t[1], t[2], t[0]])
        graph = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(nv, nv))
        ncomp, label = connected_components(graph, directed=False)
        if ncomp == 1:
            return
        comp_of = {name: int(label[mesh.facets[0, mesh.boundaries[name][0]]]) for name in contacts}
        for k in range(ncomp):
            here = [n for n, c in comp_of.items() if c == k]
            ntri = int(np.sum(label[t[0]] == k))
            if not here:
                raise MeshError(f"mesh: {ntri} triangles form an island that touches no contact "
                                "(its potential is undefined); remove it or add a contact")
            if all(contacts[n].voltage is None for n in here):
                raise MeshError(f"contacts {here} lie on a disconnected island ({ntri} triangles) "
                                "without a contact of fixed voltage")

    @staticmethod
    def _check_materials(mesh, materials):
        nel = mesh.t.shape[1]
        subs = dict(mesh.subdomains or {})
        if isinstance(materials, Material):
            return {"all": materials}, np.zeros(nel, dtype=np.int64)
        if not isinstance(materials, dict) or not materials:
            raise OmmError(bad_value("material", materials,
                                     "expected a Material or a dict region -> Material"))
        region = np.full(nel, -1, dtype=np.int64)
        for k, (name, mat) in enumerate(materials.items()):
            if not isinstance(mat, Material):
                raise OmmError(bad_value(f"material.{name}", mat, "expected a Material"))
            if name not in subs:
                raise MeshError(f"material.{name}: no region (subdomain) with this name; "
                                f"the mesh has {sorted(subs)}")
            els = np.asarray(subs[name])
            clash = els[region[els] >= 0]
            if clash.size:
                raise MeshError(f"material.{name}: {clash.size} elements also belong to "
                                f"region {list(materials)[region[clash[0]]]!r}")
            region[els] = k
        if np.any(region < 0):
            missing = [n for n in subs if n not in materials]
            raise MeshError(f"material: {int(np.sum(region < 0))} elements have no material; "
                            f"regions without a material: {missing}")
        return dict(materials), region

    # --------------------------------------------------------------- derived
    @property
    def reference(self):
        """The material whose L_m, tau, D, sigma set the internal scaling."""
        return next(iter(self.materials.values()))

    @property
    def uniform_relaxation(self):
        """True when every region has the same D-independent matrix A (decoupled solve)."""
        mats = list(self.materials.values())
        m0 = mats[0]
        return all(m.tau == m0.tau and np.array_equal(m.X, m0.X) for m in mats[1:])

    def with_field(self, B: ArrayLike) -> Problem:
        """Same problem in another field (validated)."""
        new = object.__new__(Problem)
        new.__dict__.update(self.__dict__)
        new.B = as_field_vector(B)
        for mat in self.materials.values():
            mat.check_stable(new.B)
        return new


def boundary_layer_length(materials, fields) -> float:
    """ell = 1 / max |lambda| over regions, fields and modes [m] (SPEC §6).

    For each region, the scalar modes decay like exp(-lambda d) with
    lambda^2 = eig(A(B)) / D.
    """
    ell = math.inf
    for mat in materials:
        for B in fields:
            lam = np.linalg.eigvals(mat.relaxation_matrix(B))
            with np.errstate(over="ignore", divide="ignore"):  # inf: no finite layer (tau ~ 1e308)
                ell = min(ell, math.sqrt(mat.D / np.abs(lam).max()))
    return ell
