"""Scaled finite-element discretisation shared by the charge and OMM solves.

Internal units (SPEC §8): length ``l0 = L_m`` and time ``t0 = tau`` of the
reference material, diffusion ``D0 = l0**2/t0``, sheet conductance ``s0``,
potential in volts. Then currents are ``s0 * I~`` [A], sheet current densities
``s0 / l0 * J~`` [A/m] and OMM densities ``s0 / D0 * n~`` [C/m^2].
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
from skfem import Basis, ElementTriP1, ElementTriP2, FacetBasis

from . import intsets
from .assembly import Pattern, assemble
from .geometry.tagged import check_triangles

ELEMENTS = {1: ElementTriP1, 2: ElementTriP2}
_TOPOLOGY = ("_facets", "_t2f", "_f2t", "_f2e", "_edges", "_t2e")  # skfem's cached connectivity


def scaled_mesh(mesh, factor):
    """``mesh`` with every coordinate multiplied by ``factor``, sharing its topology.

    ``skfem.Mesh.scaled`` returns a new mesh whose facets, facet-to-element and
    edge maps are built again on first use (1.7 s at 187k nodes); scaling does
    not change them, so the arrays already built for ``mesh`` are reused (they
    are never modified in place). Boundaries and subdomains carry over.
    """
    mesh.facets, mesh.f2t  # built once, for both meshes
    new = replace(mesh, doflocs=mesh.doflocs * factor)
    for name in _TOPOLOGY:
        if name in vars(mesh):
            setattr(new, name, vars(mesh)[name])
    return new


@dataclass(frozen=True)
class Units:
    """Reference scales [SI]."""

    length: float
    time: float
    sigma: float

    @property
    def diffusion(self):
        return self.length**2 / self.time

    @property
    def density(self):
        """OMM density unit [C/m^2] (for potentials in volts)."""
        return self.sigma / self.diffusion

    @property
    def current_density(self):
        """Sheet current density unit [A/m]."""
        return self.sigma / self.length


class Discretization:
    """Basis, element-wise parameters and contact DOFs of a :class:`Problem`."""

    def __init__(self, problem):
        self.problem = problem
        ref = problem.reference
        self.units = Units(length=ref.L_m, time=ref.tau, sigma=ref.sigma)
        u = self.units
        self.mesh = scaled_mesh(problem.mesh, 1.0 / u.length)
        self._check_elements()
        self.element = ELEMENTS[problem.order]()
        self._basis = Basis(self.mesh, self.element)
        self._pattern = None
        # the iterative path (large meshes) sets this: assemble through one pattern (assemble)
        self.lean_assembly = False
        self.ndofs = self.basis.N
        self.nqp = self.basis.X.shape[1]
        self._coefficients(problem)

        self.contact_names = list(problem.contacts)
        self.contact_dofs = {c: intsets.unique(self.basis.get_dofs(c).all())
                             for c in self.contact_names}
        # indicator functions of the contacts (columns), shape (ndofs, ncontacts)
        chi = np.zeros((self.ndofs, len(self.contact_names)))
        for k, c in enumerate(self.contact_names):
            chi[self.contact_dofs[c], k] = 1.0
        self.chi = chi

    @property
    def basis(self):
        """The scikit-fem basis of the scaled mesh (built again on first use after
        :meth:`release_basis`)."""
        if self._basis is None:
            self._basis = Basis(self.mesh, self.element)
        return self._basis

    def release_basis(self):
        """Free the basis (its basis-function values and gradients, weights and DOF maps at
        every element: ~0.7 GB at 1e6 P1 nodes) once the operators are assembled; the next
        use of :attr:`basis` builds the same basis again. The assembly pattern goes too."""
        self._basis = None
        self._pattern = None

    def grad_at_quadrature(self, w):
        """Gradient of the finite-element function ``w`` (ndofs,) at the quadrature
        points, (2, nelems, nqp): scikit-fem's ``basis.interpolate(w).grad``, the same
        sum in the same order, without what that call also does and the pipeline does
        not use (an ``np.unique`` over all element DOFs to split the components, the
        values and, at P2, the Hessians: 1.2 s per call at 7e5 P2 unknowns)."""
        basis = self.basis
        w = np.asarray(w)
        out = 0.0 * (w[basis.element_dofs[0]][None, :, None] * basis.basis[0][0].grad)
        for i in range(basis.Nbfun):
            out += w[basis.element_dofs[i]][None, :, None] * basis.basis[i][0].grad
        return out

    def assemble(self, form, **kwargs):
        """A bilinear form on :attr:`basis` as CSR: with :attr:`lean_assembly` through one
        sparsity pattern and scatter map for every form (:mod:`omm_fem.assembly`: the
        finished matrix and one array of element values instead of scikit-fem's COO
        triplets), else by scikit-fem."""
        if not self.lean_assembly:
            return form.assemble(self.basis, **kwargs).tocsr()
        if self._pattern is None:
            self._pattern = Pattern(self.basis)
        return assemble(form, self.basis, self._pattern, **kwargs)

    def _coefficients(self, problem):
        """The element-wise material coefficients (scaled by ``self.units``) of ``problem``."""
        u = self.units
        mats = list(problem.materials.values())
        reg = problem.element_region

        def per_element(values):
            # a read-only (nelems, nqp) view of one value per element (no copy per point)
            arr = np.asarray(values, dtype=float)[reg]
            return np.broadcast_to(arr[:, None], (arr.size, self.nqp))

        self.D = per_element([m.D / u.diffusion for m in mats])
        self.sigma = per_element([m.sigma / u.sigma for m in mats])
        self.alpha = per_element([m.alpha for m in mats])
        # mobility in units of D0 per volt
        self.mobility = per_element([m.mobility / u.diffusion for m in mats])
        self.region_indicator = [per_element(np.arange(len(mats)) == k) for k in range(len(mats))]

    def with_materials(self, problem):
        """The same discretisation (mesh, basis, contact DOFs and internal units) for
        ``problem``, which differs from this one's in its materials only (a parameter sweep
        over a material number): only the element-wise coefficients are new. The units stay
        those of this discretisation's reference material, so the results equal those of a
        new discretisation up to rounding."""
        if problem.mesh is not self.problem.mesh or problem.order != self.problem.order:
            raise ValueError("with_materials: the problem must have the same mesh and order")
        new = copy.copy(self)
        new.problem = problem
        new._coefficients(problem)
        return new

    def _check_elements(self):
        # meshes built by omm_fem are checked already; this catches skfem meshes passed in directly
        check_triangles(self.mesh.p, self.mesh.t, "mesh")

    def delta_J_coefficients(self, grad_phi, *, drift, diffusion=True):
        """Coefficients of :func:`omm_fem.forms.delta_J` for a potential gradient.

        ``grad_phi`` (2, nel, nqp) [V per length unit]; ``drift`` keeps the
        alpha mu_e n E part, ``diffusion`` the alpha D curl part (the transient
        splits Delta J into these, one drift part per contact).
        """
        shape = self.alpha.shape

        def per_element(a):  # element-wise constants: one value per element, a read-only view
            return np.broadcast_to(a[:, :1], shape)

        zero = per_element(np.zeros((shape[0], 1)))
        return {"aD": per_element(self.alpha[:, :1] * self.D[:, :1]) if diffusion else zero,
                "amu": per_element(self.alpha[:, :1] * self.mobility[:, :1]) if drift else zero,
                "ex": -grad_phi[0], "ey": -grad_phi[1]}

    def facet_basis(self, boundary):
        """FacetBasis on a named boundary of the scaled mesh."""
        return FacetBasis(self.mesh, self.element, facets=self.mesh.boundaries[boundary])

    def to_si_points(self):
        """DOF locations in metres, shape (2, ndofs)."""
        return self.basis.doflocs * self.units.length
