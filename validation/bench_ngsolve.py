"""Benchmark and cross-check: the steady pipeline against NGSolve on the same mesh.

    pip install ngsolve        # not a dependency of omm_fem; this script only
    python validation/bench_ngsolve.py [--nodes 20000 80000] [--repeat 3]

The same physics written independently in NGSolve's form language, from the
weak forms of docs/SPEC.md (Eq. 1 with drift and precession, the O(alpha^2)
current correction), in internal units (lengths in l = sqrt(D tau), times in
tau, n in units of alpha tau sigma / l^2 V): the charge problem with unit
voltage scaled to the drive current, the three OMM components as one coupled
P2 system (3N unknowns, UMFPACK LU: the "coupled 3N" solve), Delta J, the
corrected potential and the contact current change at fixed voltages. Both
codes run on the same triangles (the omm_fem mesh handed to netgen), one after
the other in one process, best of ``repeat``; the table gives the times, their
ratio and the two Delta I/I0 (which must agree to the solvers' rounding: same
mesh, same elements, quadrature exact for these polynomial integrands).

Writes validation/bench_ngsolve.md.
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

import omm_fem as om
from omm_fem.steady import Pipeline
from omm_fem.units import E_CHARGE, M_E

MAT = dict(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0)
X = np.diag([24.4, 24.4, 2.44]) / M_E
B = np.array([2.0, 0.0, 0.0])
CURRENT = 1e-6  # A into "source"; "drain" at 0 V; both contacts OMM sinks
HALL = dict(length=4e-6, width=1e-6, arms=[1.5e-6, 2.5e-6], arm_width=0.2e-6, arm_length=0.4e-6)


def problem(nodes):
    """A gmsh Hall bar with about ``nodes`` nodes (uniform element size), P2."""
    mat = om.Material(X=X, **MAT)
    size = 5e-8
    for _ in range(6):  # nodes ~ 1 / size^2 in the bulk: a few corrections
        mesh = om.hall_bar(**HALL, edge_size=size)
        if abs(mesh.p.shape[1] / nodes - 1) < 0.1:
            break
        size *= np.sqrt(mesh.p.shape[1] / nodes)
    return om.Problem(mesh=mesh, materials=mat, B=B, order=2, drift=True,
                      contacts=[om.Contact("source", current=CURRENT, omm="sink"),
                                om.Contact("drain", voltage=0.0, omm="sink")])


def netgen_mesh(mesh, length):
    """The scikit-fem mesh (in m) as a netgen mesh in units of ``length``, boundary
    segments named by the mesh's boundary tags (the other edges: "wall")."""
    from netgen.meshing import Element1D, Element2D, FaceDescriptor, MeshPoint, Pnt
    from netgen.meshing import Mesh as NGMesh

    m = NGMesh(dim=2)
    m.Add(FaceDescriptor(surfnr=1, domin=1, bc=1))
    m.SetMaterial(1, "sample")
    pts = mesh.p / length
    pid = [m.Add(MeshPoint(Pnt(x, y, 0.0))) for x, y in pts.T]
    for t in mesh.t.T:
        m.Add(Element2D(1, [pid[i] for i in t]))
    tagged = np.zeros(mesh.facets.shape[1], dtype=bool)
    for k, (name, facets) in enumerate(sorted(mesh.boundaries.items()), start=1):
        m.SetBCName(k - 1, name)
        for f in facets:
            a, b = mesh.facets[:, f]
            m.Add(Element1D([pid[a], pid[b]], index=k))
        tagged[facets] = True
    rest = np.setdiff1d(mesh.boundary_facets(), np.flatnonzero(tagged))
    k = len(mesh.boundaries) + 1
    m.SetBCName(k - 1, "wall")
    for f in rest:
        a, b = mesh.facets[:, f]
        m.Add(Element1D([pid[a], pid[b]], index=k))
    return m


def ngsolve_pipeline(ngmesh):
    """Delta I/I0 at fixed voltages of the two-contact device, NGSolve, coupled 3N."""
    import ngsolve as ngs

    tau, D, sigma, mu, alpha = (MAT[k] for k in ("tau", "D", "sigma", "mobility", "alpha"))
    ell2 = D * tau
    mesh = ngs.Mesh(ngmesh)
    contacts = "source|drain"
    # charge: 1 V on the source, 0 on the drain, scaled to the drive current
    V = ngs.H1(mesh, order=2, dirichlet=contacts)
    u, v = V.TnT()
    K = ngs.BilinearForm(ngs.grad(u) * ngs.grad(v) * ngs.dx).Assemble()
    Kinv = K.mat.Inverse(V.FreeDofs(), inverse="sparsecholesky")
    phi = ngs.GridFunction(V)
    phi.Set(1.0, ngs.BND, definedon=mesh.Boundaries("source"))
    phi.vec.data += Kinv * (-1.0 * (K.mat * phi.vec))
    chi = ngs.GridFunction(V)  # indicator of the drain's DOFs
    chi.Set(1.0, ngs.BND, definedon=mesh.Boundaries("drain"))
    I_unit = ngs.Integrate(ngs.grad(phi) * ngs.grad(chi), mesh, order=4)  # sigma-scaled
    phi.vec.data *= CURRENT / (sigma * abs(I_unit))
    I0 = ngs.Integrate(ngs.grad(phi) * ngs.grad(chi), mesh, order=4)
    # OMM, three components coupled: grad n . grad v - n (w . grad v) + (tau A n) . v
    # tau A = I + tau Omega_B, Omega_B n = (e/2) B x (X n): column b is Omega_B e_b
    A = np.eye(3) + 0.5 * E_CHARGE * tau * np.array([np.cross(B, X @ e) for e in np.eye(3)]).T
    W = V * V * V
    us, vs = W.TnT()
    m_drift = mu * tau / ell2
    w = m_drift * ngs.grad(phi)
    form = sum(ngs.grad(us[a]) * ngs.grad(vs[a]) - us[a] * (w * ngs.grad(vs[a]))
               for a in range(3))
    form += sum(float(A[a, b]) * us[b] * vs[a] for a in range(3) for b in range(3)
                if A[a, b] != 0.0)
    aW = ngs.BilinearForm(form * ngs.dx).Assemble()
    gx, gy = ngs.grad(phi)[0], ngs.grad(phi)[1]
    f = ngs.LinearForm((gy * ngs.grad(vs[2])[0] - gx * ngs.grad(vs[2])[1]) * ngs.dx).Assemble()
    n = ngs.GridFunction(W)
    n.vec.data = aW.mat.Inverse(W.FreeDofs(), inverse="umfpack") * f.vec
    nz = n.components[2]
    # Delta J / (alpha^2 sigma / l): curl nz - m nz curl phi, curl f = (d_y f, -d_x f)
    g = ngs.CF((ngs.grad(nz)[1] - m_drift * nz * gy, -ngs.grad(nz)[0] + m_drift * nz * gx))
    load = ngs.LinearForm(g * ngs.grad(v) * ngs.dx).Assemble()
    phi1 = ngs.GridFunction(V)
    phi1.vec.data = Kinv * load.vec
    dI = ngs.Integrate(ngs.grad(phi1) * ngs.grad(chi) - g * ngs.grad(chi), mesh, order=6)
    return alpha ** 2 * dI / I0, int(W.ndof)


def omm_fem_pipeline(pb):
    pipe = Pipeline(pb, linear="direct")
    return float(pipe.two_terminal(pipe.at_field(pb.B))["delta_I_over_I0"]), int(pipe.disc.ndofs)


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, nargs="+", default=[20_000, 80_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).with_name("bench_ngsolve.md")))
    args = ap.parse_args(argv)
    try:
        import ngsolve
    except ImportError:
        raise SystemExit("bench_ngsolve: NGSolve is not installed (pip install ngsolve)")
    rows = []
    for nodes in args.nodes:
        pb = problem(nodes)
        ell = np.sqrt(MAT["D"] * MAT["tau"])
        t_conv, ngm = best(lambda: netgen_mesh(pb.mesh, ell), 1)
        t_ng, (dI_ng, ndof_ng) = best(lambda: ngsolve_pipeline(ngm), args.repeat)
        t_om, (dI_om, ndof_om) = best(lambda: omm_fem_pipeline(pb), args.repeat)
        rows.append(dict(nodes=int(pb.mesh.p.shape[1]), dofs=ndof_om, ng_dofs=ndof_ng,
                         t_ng=t_ng, t_om=t_om, dI_ng=dI_ng, dI_om=dI_om))
        print(rows[-1], flush=True)
    lines = ["# omm_fem against NGSolve on the same mesh", "",
             f"Machine: {platform.machine()}, 2 cores; NGSolve {ngsolve.__version__}; one run, "
             f"one process, best of {args.repeat} each. Hall bar 4 um x 1 um (gmsh), P2, "
             f"B = {B.tolist()} T, drift on, sink contacts, {CURRENT:g} A. NGSolve: the three "
             "OMM components as one coupled system (UMFPACK), charge by its sparse Cholesky; "
             "omm_fem: the default (direct) steady pipeline. Times after meshing; the netgen "
             "mesh built from omm_fem's triangles is not timed.", "",
             "| nodes | P2 dofs per component | NGSolve coupled 3N (s) | omm_fem (s) | "
             "NGSolve / omm_fem | Delta I/I0 NGSolve | Delta I/I0 omm_fem | relative difference |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rel = abs(r["dI_ng"] - r["dI_om"]) / abs(r["dI_om"])
        lines.append(f"| {r['nodes']} | {r['dofs']} | {r['t_ng']:.2f} | {r['t_om']:.2f} | "
                     f"{r['t_ng'] / r['t_om']:.2f} | {r['dI_ng']:.10e} | {r['dI_om']:.10e} | "
                     f"{rel:.1e} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    return rows


if __name__ == "__main__":
    main()
