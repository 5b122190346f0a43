"""Every measurement with its own drive: the current pair it names.

A :class:`~omm_fem.measure.Measurement` ``current = (a, b)`` is the device
driven through that pair alone: a current into contact ``a`` and out of
``b``, every other contact floating (no net current; an equipotential metal
lead). That is how a lab takes a van der Pauw pair, a Hall resistance or a
nonlocal signal. When the configured drive already is that circuit (only
``a`` and ``b`` carry current), the run's own solution serves; otherwise the
measurement gets its own drive (:meth:`omm_fem.steady.Pipeline.with_drive`),
exact, never re-interpreted.

Cost: the problem is linear in the drive. The discretisation and the charge
factorisation are shared by every circuit; without drift the OMM operator
does not depend on the drive either, so each field's factorisations serve all
circuits and a circuit costs back-substitutions only. With drift (mu_e > 0)
the drift velocity is the drive's own: each circuit gets its own OMM
factorisations (still exact; superposition of drives does not hold).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .errors import OmmError
from .measure import Terminals

DEFAULT_CURRENT = 1e-6  # A: the current of a measurement's own drive (R does not depend on it)


def drive_is(problem, pair):
    """True when the configured drive is the circuit of ``pair``: exactly the two
    contacts of the pair carry (or can carry) current, every other contact floats."""
    a, b = pair
    for name, c in problem.contacts.items():
        if name in (a, b):
            continue
        if c.voltage is not None or (c.current is not None and c.current != 0.0):
            return False
    ca, cb = problem.contacts[a], problem.contacts[b]
    if ca.current is not None and cb.current is not None:
        return False  # no ground among the pair: the configured drive grounds another contact
    return not (ca.current == 0.0 or cb.current == 0.0 or
                (ca.voltage is not None and cb.voltage is not None and ca.voltage == cb.voltage))


def circuit_contacts(problem, pair, current=None):
    """Contacts of the circuit of ``pair``: ``current`` [A] into a, b grounded, the rest
    floating; OMM conditions kept."""
    a, b = pair
    if current is None:
        drives = [abs(c.current) for c in problem.contacts.values() if c.current]
        current = max(drives) if drives else DEFAULT_CURRENT
    out = []
    for name, c in problem.contacts.items():
        if name == a:
            out.append(replace(c, voltage=None, current=current))
        elif name == b:
            out.append(replace(c, voltage=0.0, current=None))
        else:
            out.append(replace(c, voltage=None, current=0.0))
    return out


class Circuits:
    """The pipelines and terminal maps of a set of measurements.

    Parameters
    ----------
    pipeline : Pipeline
        The configured drive.
    measurements : dict[str, Measurement]
    probes : sequence of str
        Non-contact voltage terminals of the measurements.
    """

    def __init__(self, pipeline, measurements, probes=()):
        self.main = pipeline
        self.probes = list(probes)
        self.own = {}  # measurement name -> pair with its own drive
        self._pipes = {}  # pair -> (Pipeline, Terminals)
        for name, m in measurements.items():
            pair = tuple(m.current)
            if drive_is(pipeline.problem, pair):
                continue
            self.own[name] = pair
            if pair not in self._pipes:
                try:
                    p = pipeline.with_drive(circuit_contacts(pipeline.problem, pair), pair=pair)
                except OmmError as exc:
                    raise OmmError(f"measure {name!r}: its current pair {list(pair)} cannot be "
                                   f"driven: {exc}") from None
                self._pipes[pair] = (p, Terminals(p, probes=self.probes))

    @property
    def pairs(self):
        return list(self._pipes)

    def of(self, name):
        """(Pipeline, Terminals) of measurement ``name``'s own drive (KeyError if it has none)."""
        return self._pipes[self.own[name]]

    def at_field(self, B):
        """{measurement name: (Terminals, response, zeroth)} at field B [T] for the
        measurements with their own drive."""
        got = {}
        for pair, (p, t) in self._pipes.items():
            sol = p.at_field(np.asarray(B, float))
            got[pair] = (t, t.response_of(sol), t.zeroth_order())
        return {name: got[pair] for name, pair in self.own.items()}

    def sweep(self, fields, measurements, **kw):
        """{name: (Terminals, response, zeroth)} over ``fields`` (n, 3) [T]; keywords go to
        :func:`omm_fem.sweep_terminals` (method, executor, progress)."""
        from .sweep import sweep_terminals

        got = {}
        for pair, (p, t) in self._pipes.items():
            ms = [measurements[n] for n, q in self.own.items() if q == pair]
            res = sweep_terminals(p, fields, terminals=t, measurements=ms, **kw)
            got[pair] = (t, res.response, res.zeroth)
        return {name: got[pair] for name, pair in self.own.items()}

    def checkpointed_sweep(self, fields, measurements, *, checkpoint_for=None, resume=False,
                           **kw):
        """:meth:`sweep` through :func:`omm_fem.persist.checkpointed_sweep`, one checkpoint
        per drive pair, so that ``--resume`` reuses the finished chunks of each.

        Parameters
        ----------
        checkpoint_for : callable, optional
            ``(index, pair) -> SweepCheckpoint`` of the pair's own sweep (None: none).
        resume : bool
        **kw
            ``method``, ``workers``, ``progress`` of :func:`~omm_fem.persist.checkpointed_sweep`.

        Returns
        -------
        (dict, int)
            As :meth:`sweep`, and the number of fields taken from checkpoints.
        """
        from .persist import checkpointed_sweep

        got, reused = {}, 0
        for k, (pair, (p, t)) in enumerate(self._pipes.items()):
            ms = [measurements[n] for n, q in self.own.items() if q == pair]
            ckpt = None if checkpoint_for is None else checkpoint_for(k, pair)
            res = checkpointed_sweep(p, fields, terminals=t, measurements=ms, checkpoint=ckpt,
                                     resume=resume, **kw)
            got[pair] = (t, res.response, t.zeroth_order())
            reused += res.reused
        return {name: got[pair] for name, pair in self.own.items()}, reused
