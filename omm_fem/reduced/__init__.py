"""Reduced-order model of field sweeps (SPEC §12): a greedy reduced basis with
residual-based error control (:mod:`.basis`) built from full-order snapshots
of the OMM operator (:mod:`.snapshots`)."""
from .basis import ReducedBasis, ReducedSweep, greedy_reduced

__all__ = ["ReducedBasis", "ReducedSweep", "greedy_reduced"]
