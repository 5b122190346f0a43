"""Validation cases: one computed quantity against its reference, with a tolerance.

A :class:`Case` carries the FEM value, the reference (exact solution or an
independent evaluation), the error measure actually tested, the tolerance and
the reason for that tolerance. ``passed`` is decided here and nowhere else, so
a tolerance override (see :func:`apply_tolerances`) changes the verdict of the
report and the exit code of ``omm-fem validate`` alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..checks import real
from ..errors import OmmError, bad_value


@dataclass
class Case:
    """One row of the validation table.

    Parameters
    ----------
    id : str
        Unique identifier, ``study.name``.
    quantity : str
        What is compared and how the error is measured.
    fem : float
        Value from the finite-element run (or the solver under test).
    reference : float
        Exact or independent reference value.
    error : float
        The error measure that is tested against ``tolerance``.
    tolerance : float
        Largest acceptable ``error``.
    why : str
        Why this tolerance (shown as a footnote in the report).
    """

    id: str
    quantity: str
    fem: float
    reference: float
    error: float
    tolerance: float
    why: str

    @property
    def study(self):
        return self.id.split(".", 1)[0]

    @property
    def passed(self):
        """True when the error is a finite number not above the tolerance."""
        return bool(math.isfinite(self.error) and self.error <= self.tolerance)

    def to_dict(self):
        return {"id": self.id, "quantity": self.quantity, "fem": self.fem,
                "reference": self.reference, "error": self.error, "tolerance": self.tolerance,
                "why": self.why, "passed": self.passed}


@dataclass
class StudyResult:
    """Everything one study produced.

    Attributes
    ----------
    name : str
        Study name (the ``--only`` key).
    title : str
        Section heading in the report.
    cases : list of Case
    figures : list of (str, str)
        (file name inside the output directory, caption).
    text : str
        Markdown body of the study's report section (numbers from the run).
    data : dict
        Numbers for ``results.json``.
    seconds : float
        Wall time of the study.
    """

    name: str
    title: str
    cases: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    text: str = ""
    data: dict = field(default_factory=dict)
    seconds: float = 0.0


def rel_error(value, reference):
    """|value - reference| / |reference| (inf when the reference is 0 and value is not)."""
    if reference == 0:
        return 0.0 if value == 0 else math.inf
    return abs(value - reference) / abs(reference)


def apply_tolerances(cases, overrides):
    """Replace the tolerance of the cases named in ``overrides`` {id: tolerance}.

    Raises :class:`OmmError` for an id that names no case or a tolerance that
    is not a number >= 0.
    """
    if not overrides:
        return cases
    ids = {c.id for c in cases}
    for cid, tol in overrides.items():
        if cid not in ids:
            raise OmmError(bad_value("tolerance override", cid,
                                     f"no such case in this run; cases: {sorted(ids)}"))
        real(f"tolerance[{cid}]", tol, nonneg=True, allow_inf=True, message="must be a number >= 0")
    for c in cases:
        if c.id in overrides:
            c.tolerance = float(overrides[c.id])
            c.why = f"tolerance overridden to {c.tolerance:g} by the caller (was: {c.why})"
    return cases
