"""What a configured run will mesh, before any solve (``omm-fem inspect``).

:func:`inspect_run` builds (or reads) the mesh of a :class:`~omm_fem.config.RunSpec`
and reports its physical tags and regions, which tags the contacts name and
which are insulating, the sample size against L_m and the boundary-layer
length ell, the unknowns, the mesh quality and the warnings a run would give.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .quality import edge_lengths, mesh_quality


@dataclass
class Inspection:
    """The report of :func:`inspect_run` (SI units; ``mesh`` is the tagged mesh)."""

    geometry: dict
    mesh: object = field(repr=False)
    order: int
    tags: dict  # name -> {"edges", "length_m", "role"}
    regions: dict  # name -> {"elements", "area_m2"}
    insulating: list
    extent_m: float
    L_m: dict
    ell_m: float
    edge_size_m: float
    graded_edge_max_m: float  # longest element on the tags the rule applies to (not reflecting)
    estimated_dofs: float
    dofs: int
    max_dofs: float
    quality: dict
    warnings: list

    def to_dict(self):
        """JSON-friendly copy (everything but the mesh)."""
        return {k: v for k, v in self.__dict__.items() if k != "mesh"}

    def text(self):
        """The human-readable report printed by ``omm-fem inspect``."""
        g = self.geometry
        src = (f"mesh file {g['file']} (scale {g['scale']:g})" if g["kind"] == "mesh"
               else f"generated {g['kind']}")
        Lm = ", ".join(f"{v:.3g} m" + ("" if k == "all" else f" ({k})") for k, v in self.L_m.items())
        lo = min(self.L_m.values())
        lines = [f"geometry: {src}",
                 f"sample: {self.extent_m:.3g} m across = {self.extent_m / lo:.3g} L_m = "
                 f"{self.extent_m / self.ell_m:.3g} ell; L_m = {Lm}; boundary layer ell = "
                 f"{self.ell_m:.3g} m; boundary elements needed <= {self.edge_size_m:.3g} m "
                 f"(P{self.order})",
                 "physical curves (boundary tags):"]
        width = max([len(n) for n in self.tags] + [4])
        for name, t in self.tags.items():
            lines.append(f"  {name:<{width}}  {t['edges']:6d} edges, {t['length_m']:.3g} m, "
                         f"elements <= {t['edge_max_m']:.3g} m: {t['role']}")
        lines.append("physical surfaces (regions): " + ("; ".join(
            f"{n} ({r['elements']} triangles, {r['area_m2']:.3g} m^2)"
            for n, r in self.regions.items()) or "none (one material for the whole sample)"))
        lines.append("insulating (no contact names them): " + (", ".join(self.insulating)
                                                              or "none"))
        lines.append(f"unknowns: estimated {self.estimated_dofs:.4g}, this mesh {self.dofs} "
                     f"(P{self.order}; mesh.max_dofs = {self.max_dofs:.3g})")
        q = self.quality
        rule = "met" if self.graded_edge_max_m <= self.edge_size_m * (1 + 1e-9) else "NOT met"
        lines.append(f"mesh quality: {q['nodes']} nodes, {q['elements']} triangles, angles "
                     f"{q['min_angle_deg']:.1f}..{q['max_angle_deg']:.1f} deg, worst shape "
                     f"{q['min_shape']:.2f} (1 = equilateral), edges {q['edge_min_m']:.3g}.."
                     f"{q['edge_max_m']:.3g} m; boundary elements <= "
                     f"{self.graded_edge_max_m:.3g} m (rule <= {self.edge_size_m:.3g} m: {rule}; "
                     "reflecting contacts need no grading and are left out)")
        lines += [f"WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)

    def plot(self, ax=None):
        """The mesh with its boundary tags: contacts thick and named, insulating tags thin.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn into; by default a new bare Figure (no pyplot).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.collections import LineCollection

        from ..solution_common import axes_or_new

        ax = axes_or_new(ax, (8, 6))
        mesh = self.mesh
        p = mesh.p * 1e6
        ax.triplot(p[0], p[1], mesh.t.T, color="0.75", lw=0.2)
        k = 0
        for name, facets in sorted((mesh.boundaries or {}).items()):
            seg = p[:, mesh.facets[:, facets]].transpose(2, 1, 0)
            contact = self.tags[name]["role"].startswith("contact")
            colour = f"C{k % 10}" if contact else "0.35"
            k += contact
            ax.add_collection(LineCollection(seg, colors=colour, linewidths=2.5 if contact else 0.8,
                                             label=f"{name} ({self.tags[name]['role']})"))
            if contact:
                ax.annotate(name, seg.reshape(-1, 2).mean(axis=0), fontsize=8, ha="center",
                            va="center", bbox=dict(boxstyle="round,pad=0.2", fc="w", ec=colour))
        ax.set_aspect("equal")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
        ax.legend(fontsize=7, loc="best")
        ax.set_title(f"{self.quality['nodes']} nodes, {self.dofs} unknowns (P{self.order}), "
                     f"ell = {self.ell_m:.3g} m", fontsize=9)
        from ..plotting import figure_of

        return figure_of(ax)


def inspect_run(spec):
    """Mesh a validated run specification (or read its mesh file) and report on it.

    Parameters
    ----------
    spec : RunSpec

    Returns
    -------
    Inspection

    Raises
    ------
    ConfigError, MeshError
        As a run would, before any assembly: unknown tags, a bad mesh, too many unknowns.
    """
    from ..run import resolution_warnings

    problem = spec.build_problem()
    mesh = problem.mesh
    contacts = {c.name: c for c in spec.contacts}
    probes = set(spec.probes)
    tags = {}
    for name, facets in sorted((mesh.boundaries or {}).items()):
        lengths = edge_lengths(mesh, facets)
        c = contacts.get(name)
        if c is not None:
            drive = (f"voltage {c.voltage:g} V" if c.current is None else
                     "floating (current 0)" if c.current == 0 else f"current {c.current:g} A")
            role = f"contact, {drive}, omm {c.omm}"
        else:
            role = "insulating, probe" if name in probes else "insulating"
        tags[name] = {"edges": int(len(facets)), "length_m": float(lengths.sum()),
                      "edge_max_m": float(lengths.max()) if len(facets) else 0.0, "role": role}
    regions = {}
    for name, els in sorted((mesh.subdomains or {}).items()):
        t = mesh.t[:, els]
        a, b, c = (mesh.p[:, t[k]] for k in range(3))
        area = 0.5 * np.abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
        regions[name] = {"elements": int(len(els)), "area_m2": float(area.sum())}
    warnings, _ = resolution_warnings(spec, problem)
    reflecting = {c.name for c in spec.contacts if c.omm == "reflecting"}
    graded = [t["edge_max_m"] for n, t in tags.items() if n not in reflecting]
    res = spec.resolved
    order = spec.mesh_opts.order
    nodes, edges = mesh.p.shape[1], mesh.facets.shape[1]
    dofs = nodes + edges if order == 2 else nodes
    estimated = res.get("estimated_dofs", nodes * (4 if order == 2 else 1))
    return Inspection(
        geometry={k: v for k, v in spec.geometry.items() if k in ("kind", "file", "scale")},
        mesh=mesh, order=order, tags=tags, regions=regions,
        insulating=[n for n in tags if n not in contacts],
        extent_m=float(np.ptp(mesh.p, axis=1).max()), L_m=dict(res["L_m_m"]),
        ell_m=float(res["ell_m"]), edge_size_m=float(res["edge_size_m"]),
        graded_edge_max_m=max(graded, default=0.0),
        estimated_dofs=float(estimated), dofs=int(dofs), max_dofs=float(spec.mesh_opts.max_dofs),
        quality=mesh_quality(mesh), warnings=list(warnings))
