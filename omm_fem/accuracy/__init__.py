"""Every number with an error estimate; meshes refined until it holds (SPEC §14).

* :func:`estimate` — Richardson estimate of the discretization error of
  ΔI/I₀ and of each measurement's ρ and R from one uniform refinement;
* :func:`refine_to_tolerance` — adaptive refinement by the estimator's
  element indicators until every relative estimate is below a tolerance
  (:func:`plot_history` draws its steps);
* :func:`sink_rectangle_delta_I_over_I0` — an exact reference with corners.

In a configured run: ``[mesh] error_estimate = true`` and ``tolerance``
(:mod:`omm_fem.accuracy.runs`).
"""
from .adapt import Adapted, plot_history, refine_to_tolerance
from .estimate import ErrorEstimate, estimate
from .reference import sink_rectangle_delta_I_over_I0

__all__ = ["Adapted", "ErrorEstimate", "estimate", "plot_history", "refine_to_tolerance",
           "sink_rectangle_delta_I_over_I0"]
