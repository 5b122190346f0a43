"""Physical constants (CODATA 2018, SI) and the internal scaling.

The solver works in scaled variables: lengths in units of the reference OMM
diffusion length ``L_m = sqrt(D tau)``, times in units of ``tau``, densities in
units of ``n0 = |alpha| J_ref L_m / D``. Everything entering or leaving the
public API is SI.
"""
from dataclasses import dataclass

import numpy as np

E_CHARGE = 1.602176634e-19  # elementary charge e [C] (positive, SPEC §3)
M_E = 9.1093837015e-31  # electron mass [kg]
HBAR = 1.054571817e-34  # reduced Planck constant [J s]
EV = E_CHARGE  # one electronvolt [J]
K_B = 1.380649e-23  # Boltzmann constant [J/K]


@dataclass(frozen=True)
class Scaling:
    """SI <-> scaled conversion factors.

    Parameters
    ----------
    length : float
        Length unit [m] (reference ``L_m``).
    time : float
        Time unit [s] (reference ``tau``).
    """

    length: float
    time: float

    @property
    def diffusion(self):
        """Diffusion-constant unit ``length**2 / time`` [m^2/s]."""
        return self.length**2 / self.time

    def to_scaled_length(self, x):
        return np.asarray(x, dtype=float) / self.length
