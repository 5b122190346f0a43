"""Notebook entry points: :func:`solve`, :func:`sweep` and :func:`simulate`.

SI in, SI out. Each builds the field-independent setup
(:class:`~omm_fem.steady.Pipeline`) of a :class:`~omm_fem.problem.Problem`
once and returns a solution object (:mod:`omm_fem.solutions`) that reads
resistances, rho, profiles, figures, dicts and data frames::

    import numpy as np
    import omm_fem as om

    mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                                 X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")
    mesh = om.hall_bar(length=2e-6, width=0.5e-6, arms=[0.7e-6, 1.3e-6],
                       arm_width=0.2e-6, arm_length=0.3e-6, edge_size=25e-9)
    problem = om.Problem(mesh=mesh, materials=mat, B=[1.0, 0, 0],
                         contacts=[om.Contact("source", current=1e-6),
                                   om.Contact("drain", voltage=0.0)])
    R4 = om.Measurement("R4", current=("source", "drain"),
                        voltage=("probe_1_top", "probe_2_top"))
    sol = om.solve(problem, measurements=[R4])
    sol.rho("R4"), sol.resistance("two_terminal")
    sw = om.sweep(problem, B_T=np.linspace(0, 6, 31), measurements=[R4])
    sw.plot(star=True)              # a matplotlib Figure (no pyplot)
    sw.to_dataframe()

Every measurement may name contacts and (as voltage terminals) other tagged
boundaries (probes, e.g. Hall-bar arm ends). Its ``current`` pair is its own
drive: current into the first contact, out of the second, every other contact
floating (:mod:`omm_fem.circuits`), so a van der Pauw pair, a Hall and a
nonlocal resistance come from one call. ``"two_terminal"`` is reserved: it is
always measured, on the primary contact pair under the problem's own drive.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from .accuracy.runs import field_extremes
from .circuits import Circuits, drive_is
from .errors import OmmError, bad_value
from .krylov import rtol_for
from .linalg import LINEAR
from .measure import Measurement, Terminals
from .problem import Problem
from .solutions import TWO_TERMINAL, SteadySolution, SweepSolution, TransientSolution
from .steady import Pipeline
from .sweep import sweep_terminals

SWEEP_METHODS = ("auto", "reduced", "direct")
SCHEMES = ("be", "cn", "bdf2", "strang")
INITIAL = ("zero", "steady")


# ------------------------------------------------------------------------------ checks
def _check_problem(problem):
    if not isinstance(problem, Problem):
        raise OmmError(bad_value("problem", problem, "expected an omm_fem.Problem"))
    return problem


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise OmmError(bad_value(name, value, "expected True or False"))
    return bool(value)


def _check_linear(value):
    if not isinstance(value, str) or value not in LINEAR:
        raise OmmError(bad_value("linear", value, f"allowed: {list(LINEAR)}"))


def _check_number(name, value, *, positive=True):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise OmmError(bad_value(name, value, "expected a number"))
    v = float(value)
    if not math.isfinite(v) or (positive and v <= 0):
        raise OmmError(bad_value(name, value, "must be finite" + (" and > 0" if positive else "")))
    return v


def _as_measurement(k, m):
    if isinstance(m, Measurement):
        return m
    if isinstance(m, dict) and set(m) == {"name", "current", "voltage"}:
        return Measurement(**m)
    raise OmmError(bad_value(f"measurements[{k}]", m, "expected an omm_fem.Measurement (or a "
                             "dict with keys 'name', 'current', 'voltage')"))


def _measurements(problem, measurements):
    """Validated user measurements (name -> Measurement) and the probe tags their
    voltages need; checked before any solve."""
    if isinstance(measurements, (Measurement, dict, str)) or not isinstance(measurements, Iterable):
        raise OmmError(bad_value("measurements", measurements,
                                 "expected a list of omm_fem.Measurement"))
    contacts = list(problem.contacts)
    tags = sorted(problem.mesh.boundaries or {})
    out, probes = {}, []
    for k, m in enumerate(measurements):
        m = _as_measurement(k, m)
        where = f"measurements[{k}] ({m.name!r})"
        if m.name == TWO_TERMINAL:
            raise OmmError(bad_value(f"{where}.name", m.name, f"{TWO_TERMINAL!r} is reserved "
                                     "for the primary contact pair, which is always measured; "
                                     "choose another name"))
        if m.name in out:
            raise OmmError(bad_value(f"{where}.name", m.name, "measurement names must be unique"))
        for c in m.current:
            if c not in contacts:
                raise OmmError(bad_value(f"{where}.current", list(m.current),
                                         f"{c!r} is not a contact; contacts: {contacts}"))
        for p in m.voltage:
            if p in contacts:
                continue
            if p not in tags or len(problem.mesh.boundaries[p]) == 0:
                raise OmmError(bad_value(f"{where}.voltage", list(m.voltage),
                                         f"{p!r} is neither a contact nor a tagged boundary; "
                                         f"contacts: {contacts}, boundaries: {tags}"))
            if p not in probes:
                probes.append(p)
        out[m.name] = m
    return out, probes


def _with_two_terminal(pipe, user):
    """``"two_terminal"`` (the pipeline's primary pair) followed by the user measurements."""
    a, b = pipe.pair
    return {TWO_TERMINAL: Measurement(TWO_TERMINAL, current=(a, b), voltage=(a, b)), **user}


def _fields(problem, fields, B_T, direction):
    """Validated fields (n, 3) [T] and the unit direction of a ``B_T`` sweep (else None)."""
    if (fields is None) == (B_T is None):
        given = "both" if fields is not None else "neither"
        raise OmmError(f"sweep: give exactly one of 'fields' (an (n, 3) array of fields in T) "
                       f"or 'B_T' (magnitudes in T along 'direction'); {given} given")
    u = None
    if fields is not None:
        F = _array("fields", fields, "expected an (n, 3) array of fields in T")
        F = F.reshape(1, 3) if F.shape == (3,) else F
        if F.ndim != 2 or F.shape[1] != 3 or F.shape[0] == 0 or not np.all(np.isfinite(F)):
            raise OmmError(bad_value("fields", f"array of shape {np.shape(fields)}",
                                     "expected a non-empty (n, 3) array of finite fields in T"))
    else:
        b = _array("B_T", B_T, "expected a 1-D array of field magnitudes in T")
        u = _array("direction", direction, "expected three numbers [ux, uy, uz]")
        if b.ndim != 1 or b.size == 0 or not np.all(np.isfinite(b)):
            raise OmmError(bad_value("B_T", B_T, "expected a non-empty 1-D array of finite "
                                     "field magnitudes in T"))
        if u.shape != (3,) or not np.all(np.isfinite(u)) or not np.linalg.norm(u) > 0:
            raise OmmError(bad_value("direction", direction, "expected three finite numbers, "
                                     "not all 0 (normalised internally)"))
        u = u / np.linalg.norm(u)
        F = np.outer(b, u)
    name = "fields" if u is None else "B_T"
    for k, B in enumerate(F):
        for mat in problem.materials.values():
            mat.check_stable(B, where=f"{name}[{k}]")
    return F, u


def _array(name, value, allowed):
    try:
        return np.array(value, dtype=float, ndmin=1)
    except (TypeError, ValueError):
        raise OmmError(bad_value(name, value, allowed)) from None


def _check_executor(executor):
    if executor is None or executor is False or callable(getattr(executor, "submit", None)):
        return executor
    raise OmmError(bad_value("executor", executor, "expected None (automatic), False (serial) "
                             "or a concurrent.futures.Executor"))


# ------------------------------------------------------------------------- entry points
def solve(problem: Problem, *, measurements: Sequence[Measurement] = (), linear: str = "auto",
          error_estimate: bool = False, tolerance: float | None = None, max_dofs: float = 3.0e6,
          force_coupled: bool = False) -> SteadySolution:
    """Solve a steady problem at its own field ``problem.B``.

    Parameters
    ----------
    problem : Problem
    measurements : sequence of Measurement
        Extra measurements (two- or four-terminal); ``"two_terminal"`` is
        always added and is a reserved name.
    linear : {"auto", "direct", "iterative"}
        Sparse direct factorisations, or AMG-preconditioned Krylov solves (memory
        linear in the mesh: a 1e6-node P1 device in ~2.3 GB instead of ~5.6 GB);
        ``"auto"`` is iterative from 1e6 unknowns (SPEC §12, "Linear solvers").
    error_estimate : bool
        Also estimate the discretisation error of ΔI/I₀ and of every measurement's
        ρ and R (Richardson, one uniform refinement: about 5 x the cost; SPEC §14),
        in ``.accuracy``.
    tolerance : float, optional
        Refine the mesh (adaptively, by the estimator's indicators) until every
        relative estimate is below it, in (0, 0.5); the solution is that of the
        final mesh (``.problem``), ``.accuracy`` holds the estimate and the
        refinement history. A tolerance not reached within ``max_dofs`` gives a
        warning (``warnings.warn``) and the best mesh reached.
    max_dofs : float
        Cap on the unknowns of any solve of the estimate or the refinement.
    force_coupled : bool
        Use the 3N coupled block solve even for a uniform material (testing).

    Returns
    -------
    SteadySolution

    See Also
    --------
    omm_fem.accuracy.estimate : the discretisation error of every observable.
    omm_fem.accuracy.refine_to_tolerance : a mesh refined until the estimates meet a
        tolerance.

    Raises
    ------
    OmmError
        Bad input, naming the argument, the value and what is allowed.
    """
    _check_problem(problem)
    force_coupled = _check_bool("force_coupled", force_coupled)
    error_estimate = _check_bool("error_estimate", error_estimate)
    _check_linear(linear)
    user, probes = _measurements(problem, measurements)
    problem, accuracy = _accuracy(problem, list(user.values()), linear, error_estimate,
                                  tolerance, max_dofs)
    pipe = Pipeline(problem, force_coupled=force_coupled, linear=linear,
                    krylov_rtol=None if tolerance is None else rtol_for(tolerance))
    terminals = Terminals(pipe, probes=probes)
    circuits = Circuits(pipe, user, probes)
    sol = SteadySolution(pipe, pipe.at_field(problem.B), terminals, _with_two_terminal(pipe, user),
                         own=circuits.at_field(problem.B))
    sol.accuracy = accuracy
    return sol


def _accuracy(problem, measurements, linear, error_estimate, tolerance, max_dofs, fields=None):
    """(problem to solve, accuracy dict or None) of :func:`solve` and :func:`sweep`
    (``fields``: those estimated, default the problem's own)."""
    if tolerance is None and not error_estimate:
        return problem, None
    from .accuracy import estimate, refine_to_tolerance
    from .accuracy.meshes import refined_dof_count

    given, max_dofs = max_dofs, _check_number("max_dofs", max_dofs)
    if tolerance is not None:
        tolerance = _check_number("tolerance", tolerance)
        ad = refine_to_tolerance(problem, tolerance, measurements, fields=fields,
                                 linear=linear, max_dofs=max_dofs)
        for w in ad.warnings:
            warnings.warn(w, stacklevel=3)
        d = ad.to_dict()  # error_estimate None: not even the first estimate fit under max_dofs
        return ad.problem, {"refinement": ad.refinement(), "error_estimate": d["error_estimate"],
                            "warnings": d["warnings"]}
    need = refined_dof_count(problem.mesh, problem.order)
    if need > max_dofs:
        raise OmmError(bad_value("max_dofs", given, f"the error estimate needs a solve with "
                                 f"about {need} unknowns: raise max_dofs"))
    est = estimate(problem, measurements, fields=fields, linear=linear)
    return problem, {"error_estimate": est.to_dict(measurements)}


def sweep(problem: Problem, fields=None, *, B_T=None, direction=(1.0, 0.0, 0.0),
          measurements: Sequence[Measurement] = (), method: str = "auto", executor=None,
          progress: bool = False, linear: str = "auto", error_estimate: bool = False,
          tolerance: float | None = None, max_dofs: float = 3.0e6) -> SweepSolution:
    """rho and R of every measurement over a list of fields.

    Parameters
    ----------
    problem : Problem
        Its own field ``problem.B`` is not used.
    fields : array_like (nf, 3), optional
        Fields [T] in any order (magnitude or angle sweeps).
    B_T : array_like (nf,), optional
        Field magnitudes [T] along ``direction`` (exactly one of ``fields`` and ``B_T``).
    direction : array_like (3,)
        Field direction for ``B_T`` (normalised).
    measurements : sequence of Measurement
        As :func:`solve`.
    method : {"auto", "reduced", "direct"}
        ``"reduced"``: a reduced-order model with error control (a few full
        solves for any number of fields; rho within ~1e-6 relative);
        ``"direct"``: one solve per field; ``"auto"``: reduced from 8 fields on.
    executor : concurrent.futures.Executor, False or None
        Runs direct solves (None: a process pool when it pays off; False: serial).
    progress : bool
        Progress bar for long sweeps.
    linear : {"auto", "direct", "iterative"}
        As :func:`solve`.
    error_estimate, tolerance, max_dofs
        As :func:`solve`, at the sweep's smallest and largest |B| (the first and last
        field of an angle sweep), where the boundary layers are widest and thinnest;
        with a tolerance the whole sweep runs on the refined mesh.

    Returns
    -------
    SweepSolution
    """
    _check_problem(problem)
    if method not in SWEEP_METHODS:
        raise OmmError(bad_value("method", method, f"allowed: {list(SWEEP_METHODS)}"))
    progress = _check_bool("progress", progress)
    executor = _check_executor(executor)
    _check_linear(linear)
    error_estimate = _check_bool("error_estimate", error_estimate)
    fields, u = _fields(problem, fields, B_T, direction)
    user, probes = _measurements(problem, measurements)
    problem, accuracy = _accuracy(problem, list(user.values()), linear, error_estimate,
                                  tolerance, max_dofs, fields=field_extremes(fields))
    pipe = Pipeline(problem, linear=linear,
                    krylov_rtol=None if tolerance is None else rtol_for(tolerance))
    meas = _with_two_terminal(pipe, user)
    terminals = Terminals(pipe, probes=probes)
    circuits = Circuits(pipe, user, probes)
    mine = [m for name, m in meas.items() if name not in circuits.own]
    res = sweep_terminals(pipe, fields, terminals=terminals, measurements=mine,
                          method=method, executor=executor, progress=progress)
    own = circuits.sweep(fields, user, method=method, executor=executor, progress=progress)
    out = SweepSolution(pipe, res, terminals, meas, direction=u, own=own)
    out.accuracy = accuracy
    return out


def simulate(problem: Problem, *, t_end: float, dt: float, scheme: str = "cn",
             waveforms: Sequence = (), measurements: Sequence[Measurement] = (),
             initial: str = "zero", adaptive: bool = False, tol: float = 1e-4,
             progress: bool = False) -> TransientSolution:
    """Integrate the time-dependent OMM equation from t = 0 to ``t_end``.

    Parameters
    ----------
    problem : Problem
        Field and contact drive of every target without a waveform.
    t_end : float
        End time [s], > 0.
    dt : float
        Time step [s] (the first step when ``adaptive``), 0 < dt <= t_end.
    scheme : {"be", "cn", "bdf2", "strang"}
    waveforms : sequence of Waveform or dict
        Time dependence of ``B.x``/``B.y``/``B.z`` [T] or ``contacts.NAME``
        (its voltage [V] or current [A]); a dict is passed to
        :func:`omm_fem.make_waveform`, e.g. ``{"target": "contacts.source",
        "kind": "step", "amplitude": 1e-6}``.
    measurements : sequence of Measurement
        Traced as ``NAME.R_ohm``, ``NAME.R0_ohm``, ``NAME.rho``.
    initial : {"zero", "steady"}
        n = 0, or the steady state of the t = 0 drive and field.
    adaptive : bool
        Step-doubling error control (be, cn, strang).
    tol : float
        Local error per step relative to max ||n|| (adaptive only), in (0, 1).
    progress : bool

    Returns
    -------
    TransientSolution
    """
    from .transient import TransientSpec, TransientSystem
    from .transient.run import simulate as run_simulate
    from .transient.waveforms import Schedule, make_waveform

    _check_problem(problem)
    t_end = _check_number("t_end", t_end)
    dt = _check_number("dt", dt)
    if dt > t_end:
        raise OmmError(bad_value("dt", dt, f"must not exceed t_end = {t_end!r} s"))
    if scheme not in SCHEMES:
        raise OmmError(bad_value("scheme", scheme, f"allowed: {list(SCHEMES)}"))
    adaptive = _check_bool("adaptive", adaptive)
    if adaptive and scheme == "bdf2":
        raise OmmError(bad_value("adaptive", adaptive, "step control is available for "
                                 "scheme 'be', 'cn' and 'strang', not 'bdf2'"))
    tol = _check_number("tol", tol)
    if not tol < 1:
        raise OmmError(bad_value("tol", tol, "must be in (0, 1)"))
    if initial not in INITIAL:
        raise OmmError(bad_value("initial", initial, f"allowed: {list(INITIAL)}"))
    progress = _check_bool("progress", progress)
    if isinstance(waveforms, dict) or not isinstance(waveforms, Iterable):
        raise OmmError(bad_value("waveforms", waveforms, "expected a list of Waveform or dict"))
    waves = []
    for k, w in enumerate(waveforms):
        if isinstance(w, dict):
            w = make_waveform(w, where=f"waveforms[{k}]")
        elif not (hasattr(w, "target") and callable(getattr(w, "value", None))):
            raise OmmError(bad_value(f"waveforms[{k}]", w, "expected a Waveform or a dict for "
                                     "omm_fem.make_waveform"))
        waves.append(w)
    schedule = Schedule(waves, B=problem.B, contacts=problem.contacts)
    t_probe = sorted({0.0, t_end, *schedule.breakpoints(t_end)})
    for t in t_probe:  # refuse an unstable B(t) before any stepping
        for mat in problem.materials.values():
            mat.check_stable(schedule.field(t), where=f"waveforms: B(t = {t:.6g} s)")
    user, probes = _measurements(problem, measurements)
    for name, m in user.items():
        if not drive_is(problem, m.current):
            raise OmmError(bad_value(f"measurements ({name!r}).current", list(m.current),
                                     "a transient traces the problem's own drive: the current "
                                     "pair must be the two contacts that carry its current"))
    pipe = Pipeline(problem)
    system = TransientSystem(pipe, schedule, probes=probes)
    tspec = TransientSpec(t_end=t_end, dt=dt, scheme=scheme, adaptive=adaptive, tol=tol,
                          initial=initial, waveforms=tuple(waves), gif_frames=0,
                          checkpoint_every=0)
    # the primary pair is traced by the run itself (resistance_ohm, rho, ...)
    res = run_simulate(system, tspec, progress=progress, measurements=list(user.values()))
    return TransientSolution(res, _with_two_terminal(pipe, user))
