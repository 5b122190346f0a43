"""Time-dependent OMM dynamics (SPEC §7): Eq. (1) with dn/dt kept, driven by
switched, pulsed or rotating fields and currents.

Python use::

    from omm_fem import Pipeline
    from omm_fem.transient import Schedule, TransientSystem, evolve, make_waveform

    pipe = Pipeline(problem)
    sched = Schedule([make_waveform({"target": "contacts.source", "kind": "step",
                                     "amplitude": 1e-6})],
                     B=problem.B, contacts=problem.contacts)
    system = TransientSystem(pipe, sched)
    for t, n in evolve(system, n0, t_end=2e-11, dt=2.5e-13, scheme="cn"):
        ...   # n: (3, nfree) scaled; system.observe(t, n) gives SI observables

Configured runs: :func:`parse_transient`, :func:`run_transient`,
:func:`write_transient_outputs`, :func:`summary`; a run with an output
directory saves checkpoints there and can be resumed (checkpoint.py).
"""
from .config import TransientSpec, parse_transient
from .outputs import write_transient_outputs
from .run import TransientResult, initial_state, run_transient, simulate, summary
from .stepper import ORDER, SCHEMES, Integrator, Stepper, StepStats, evolve
from .system import TransientSystem
from .traces import Observation, Tracer, observe, two_terminal
from .waveforms import Schedule, Waveform, make_waveform

__all__ = [
    "TransientSpec", "parse_transient", "run_transient", "simulate", "summary",
    "write_transient_outputs", "TransientResult", "Observation", "Tracer", "observe",
    "initial_state",
    "evolve", "Stepper", "Integrator", "StepStats", "SCHEMES", "ORDER",
    "TransientSystem", "two_terminal", "Schedule", "Waveform", "make_waveform",
]
