"""Ising configurations and the exact results everything else is measured against.

Submodules
----------
exact
    Exact results: Onsager, finite-lattice energies, the 1D chain, enumeration.
observables
    Magnetization, energy, correlations, fluctuations, autocorrelation and errors.
"""

from . import exact, observables
from ._sampling import make_ising

__all__ = ["exact", "make_ising", "observables"]
