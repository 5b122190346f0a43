"""Validation suite and report (``omm-fem validate``).

Each study computes cases — one quantity from the solver against an exact or
independent reference, with a tolerance and the reason for it — plus figures
and the numbers of its report section::

    from omm_fem.validate import run_suite
    result = run_suite(quick=True, out="omm-fem-validate")
    result.passed, [c.id for c in result.failed]

Studies: ``strip`` (exact strip limit), ``fig3`` (the paper's Fig. 3),
``invariants``, ``transient``, ``xtensor`` (X and Fig. 2), ``claims`` (Mn
thickness dependence, bilayer graphene versus Mn), ``hallbar`` (where Eq. 22
fails), ``corbino``, ``nonlocal`` (H-bar and crossed-strip nonlocal resistance).
"""
from .cases import Case, StudyResult, apply_tolerances
from .suite import DEFAULT_OUT, STUDIES, SuiteResult, run_suite

__all__ = ["Case", "StudyResult", "SuiteResult", "apply_tolerances", "run_suite", "STUDIES",
           "DEFAULT_OUT"]
