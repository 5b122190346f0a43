"""Model curves of a dataset as functions of the fitted parameters.

:class:`DatasetModel` meshes the dataset's geometry once, for the smallest
boundary layer the parameter bounds allow, and evaluates the measured
quantity at every field of the data. Two paths give the same numbers:

* **scaled reduced path** (one material, no drift velocity, no Robin
  relaxation at contacts, only alpha, D, tau and X fitted). Then the scaled
  OMM system ``d S_ref n + M A~ n = alpha f_1`` (d = D / D_ref) and the load
  ``W = alpha d W_1`` give ``W n = alpha^2 W_1 n_1(A~ / d)``: every
  parameter set is the reference operator with the 3x3 matrix ``A~ / d``
  (SPEC §3). One reduced basis (:mod:`omm_fem.reduced.basis`), grown by
  rational-Krylov snapshots where its full-order residual exceeds
  ``RESIDUAL_TOL``, serves every field of every evaluation; the mesh, the
  charge solve and its factorisation are built once. alpha costs nothing.
* **rebuild path** (anything else, e.g. sigma or mobility fitted, region-wise
  materials): a new Pipeline on the same mesh per parameter set and a field
  sweep (:func:`omm_fem.sweep_terminals`).

:class:`FormulaModel` is the strip formula (Eq. 22) on the dataset's channel width.
"""
from __future__ import annotations

import time

import numpy as np

from .. import analytic
from ..circuits import circuit_contacts, drive_is
from ..config import parse_config
from ..config.sections import SINGLE
from ..errors import ConfigError
from ..measure import Measurement, Terminals
from ..problem import Problem
from ..reduced.basis import ReducedBasis
from ..reduced.snapshots import PoleSnapshots
from ..steady import Pipeline
from ..sweep import sweep_terminals
from .spec import finest_corner, formula_width, materials_of, with_values

RESIDUAL_TOL = 1e-10  # relative full-order residual of every reduced solution
MAX_BASIS = 600  # basis vectors before the basis is restarted
SCALED_KEYS = {"alpha", "D", "tau", "X"}
ALPHA_REF = 0.5  # alpha of the reference pipeline (the response scales as (alpha/ALPHA_REF)^2)


def scaled_path_reason(spec0, params):
    """Why the scaled reduced path does not apply (a string), or None."""
    if len(spec0.materials) != 1:
        return "one material per region"
    mat = next(iter(spec0.materials.values()))
    if spec0.drift and (mat.mobility > 0 or any(p.key == "mobility" and not p.fixed
                                                for p in params)):
        return "drift (mobility > 0)"
    if any(c.omm == "relaxing" and c.s > 0 for c in spec0.contacts):
        return "surface relaxation at a contact"
    if spec0.coupled:
        return "solver.coupled = true"
    other = sorted({p.key for p in params if not p.fixed} - SCALED_KEYS)
    if other:
        return f"fitted {', '.join(other)}"
    return None


class DatasetModel:
    """The measured quantity of one dataset, ``evaluate(values) -> (npoints,)``.

    Parameters
    ----------
    ds : Dataset
    params : sequence of Parameter
    log : callable, optional
        Receives progress lines.
    """

    def __init__(self, ds, params, log=None):
        self.ds = ds
        self.params = tuple(params)
        values = {p.path: p.value for p in params}
        cfg0 = with_values(ds.config, values)
        self.spec0 = parse_config(cfg0, base_dir=ds.base_dir)
        corner = finest_corner(ds, params, self.spec0)
        mesh_spec = parse_config(with_values(cfg0, corner), base_dir=ds.base_dir)
        mesh_spec = mesh_spec.with_fields(list(ds.fields))
        self.resolved = dict(mesh_spec.resolved)
        if log:
            given = self.spec0.mesh_opts.edge_size
            log(f"dataset {ds.name}: meshing with edge_size = {self.resolved['edge_size_m']:.3g} m "
                + ("(mesh.edge_size of the config" if given else "(for ell = "
                   f"{self.resolved['ell_m']:.3g} m, the smallest the bounds allow") + ")")
        t0 = time.perf_counter()
        self.mesh = mesh_spec.build_problem().mesh
        t1 = time.perf_counter()
        self.fields = np.vstack([ds.fields, np.zeros((1, 3))])  # last: B = 0 (for mr)
        self.reason = scaled_path_reason(self.spec0, params)
        self.evaluations = self.snapshots = 0
        self._cache = {}
        if self.reason is None:
            ref = next(iter(self.spec0.materials.values()))
            self.ref = type(ref)(D=ref.D, tau=ref.tau, alpha=ALPHA_REF, sigma=ref.sigma,
                                 mobility=ref.mobility, X=ref.X, name=ref.name)
            self.pipe = self._pipeline(self.ref)
            self.terms = Terminals(self.pipe, probes=self.spec0.probes)
            self._restart()
        else:
            self.pipe = self._pipeline(self._problem_materials(self.spec0.materials))
            self.terms = Terminals(self.pipe, probes=self.spec0.probes)
        self.meas = self._measurement()
        self.zeroth = self.terms.zeroth_order()
        self.dofs = int(self.pipe.disc.ndofs)
        self.timing = {"mesh_s": t1 - t0, "pipeline_s": time.perf_counter() - t1}

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _problem_materials(mats):
        return mats[SINGLE] if list(mats) == [SINGLE] else dict(mats)

    def _pipeline(self, materials):
        """The pipeline of the measurement's own circuit (omm_fem.circuits)."""
        s = self.spec0
        pb = Problem(mesh=self.mesh, materials=materials, contacts=s.contacts,
                     order=s.mesh_opts.order, drift=s.drift)
        pipe = Pipeline(pb, force_coupled=s.coupled)
        pair = self._pair(pipe)
        if drive_is(pb, pair):
            return pipe
        return pipe.with_drive(circuit_contacts(pb, pair), pair=pair)

    def _pair(self, pipe):
        if self.ds.measure == "two_terminal":
            return pipe.pair
        return next(m for m in self.spec0.measurements if m.name == self.ds.measure).current

    def current_driven(self):
        """The measurement's drive injects a current (else it holds a voltage)."""
        a, b = self.meas.current
        cs = self.pipe.problem.contacts
        return cs[a].current is not None or cs[b].current is not None

    def _measurement(self):
        if self.ds.measure == "two_terminal":
            return Measurement("two_terminal", self.pipe.pair, self.pipe.pair)
        return next(m for m in self.spec0.measurements if m.name == self.ds.measure)

    def _restart(self):
        self.rb = ReducedBasis(self.pipe.omm)
        self.snap = PoleSnapshots(self.pipe.omm)

    def materials(self, values):
        """Materials (name -> Material) of the dataset at parameter values {path: value}."""
        return materials_of(with_values(self.ds.config, values), self.spec0)

    # ------------------------------------------------------------------ evaluation
    def response(self, values, fields=None):
        """Terminal response (:meth:`Terminals.response`) at every field of the data (or
        ``fields`` (n, 3) [T]) and, last, B = 0."""
        own = fields is None
        fields = self.fields if own else np.vstack([fields, np.zeros((1, 3))])
        key = tuple(sorted((k, v) for k, v in values.items() if not k.endswith(".alpha")))
        mats = self.materials(values)
        for m in mats.values():
            for B in fields:
                m.check_stable(B, where=f"dataset {self.ds.name}: field")
        if self.reason is not None:
            return self._rebuilt(mats, fields)
        mat = next(iter(mats.values()))
        if not own:
            return self.terms.response((mat.alpha / ALPHA_REF)**2 * self._scaled_nz(mat, fields))
        if key not in self._cache:
            if len(self._cache) > 16:
                self._cache.clear()
            self._cache[key] = self._scaled_nz(mat, fields)
        return self.terms.response((mat.alpha / ALPHA_REF)**2 * self._cache[key])

    def _scaled_nz(self, mat, fields):
        omm = self.pipe.omm
        t0 = self.pipe.disc.units.time
        d = mat.D / self.ref.D
        As = np.array([[t0 * mat.relaxation_matrix(B) / d] for B in fields])
        while True:
            C = self.rb.solve(As) if self.rb.size else None
            eta = self.rb.residuals(C, As) if C is not None else np.full(len(As), np.inf)
            j = int(np.argmax(eta))
            if eta[j] <= RESIDUAL_TOL:
                break
            if self.rb.size > MAX_BASIS:
                self._restart()
                continue
            added = self.rb.extend(self.snap(As[j]))
            self.snapshots += 1
            if added == 0 and C is not None:
                if eta[j] > 1e3 * RESIDUAL_TOL:
                    raise ConfigError(f"dataset {self.ds.name}: the reduced model cannot reach "
                                      f"a residual of {RESIDUAL_TOL:g} (got {eta[j]:.2g})")
                break
        nz = np.zeros((len(As), self.pipe.disc.ndofs))
        nz[:, omm.free] = (self.rb.V @ C[:, :, 2].T).T
        return nz

    def _rebuilt(self, mats, fields):
        pipe = self._pipeline(self._problem_materials(mats))
        terms = Terminals(pipe, probes=self.spec0.probes)
        self.pipe, self.terms, self.zeroth = pipe, terms, terms.zeroth_order()
        return sweep_terminals(pipe, fields, terminals=terms, measurements=[self.meas],
                               progress=False, executor=False).response

    def evaluate(self, values, fields=None):
        """The dataset's quantity at every data point (or at ``fields`` (n, 3) [T]), shape (n,)."""
        self.evaluations += 1
        R, R0, rho = self.terms.resistance(self.response(values, fields), self.zeroth, self.meas)
        return quantity(self.ds, R, rho)

    def R0(self):
        """alpha^0 resistance of the measurement [Ohm]."""
        return float(self.terms.resistance(self.zeroth, self.zeroth, self.meas)[1][0])


def quantity(ds, R, rho):
    """mr, R_ohm or rho at the data points from R and rho at the fields and B = 0 (last)."""
    if ds.quantity == "R_ohm":
        return R[:-1]
    if ds.quantity == "rho":
        out = rho[:-1]
    else:
        out = (R[:-1] - R[-1]) / R[-1]
    if not np.all(np.isfinite(out)):
        raise ConfigError(f"dataset {ds.name}: {ds.quantity} of measure {ds.measure!r} is "
                          "undefined (its alpha^0 voltage vanishes, e.g. a transverse pair); "
                          "fit quantity = \"R_ohm\" instead")
    return out


class FormulaModel:
    """Eq. (22) of an infinite strip as wide as the dataset's channel, B along x."""

    def __init__(self, ds, spec0, R0, current_driven=True):
        self.ds, self.spec0, self.width, self.R0_ohm = ds, spec0, formula_width(ds, spec0), R0
        self.current_driven = current_driven
        self.Bx = np.append(ds.fields[:, 0], 0.0)
        self.evaluations = 0

    def evaluate(self, values, fields=None):
        self.evaluations += 1
        mat = next(iter(materials_of(with_values(self.ds.config, values), self.spec0).values()))
        Bx = self.Bx if fields is None else np.append(np.asarray(fields)[:, 0], 0.0)
        phi, theta = analytic.strip_phi_theta(mat, Bx)
        rho = analytic.strip_rho(self.width / mat.L_m, phi, theta, mat.alpha)
        # R from rho as the FEM's drive gives it (rho = dV/V0 - dI/I0, SPEC §5): a current
        # drive R0 (1 + rho), a voltage drive R0 / (1 - rho); equal to O(alpha^2)
        R = self.R0_ohm * (1.0 + rho) if self.current_driven else self.R0_ohm / (1.0 - rho)
        return quantity(self.ds, R, rho)
