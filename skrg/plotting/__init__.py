"""Displays in scikit-learn's style: receptive fields, levels, correlator maps, RG flows.

Every display holds its data and draws it with ``plot(ax=...)``, which returns
the display with ``figure_``, ``axes_`` and ``ax_`` set (and its artists); the
classmethods ``from_estimator`` compute the data from a fitted estimator and
plot it, as :class:`sklearn.metrics.ConfusionMatrixDisplay` does.

matplotlib is an optional dependency (``pip install "skrg[plot]"``). This
module imports without it; drawing without it raises an ImportError saying
how to install it.
"""

from ._flow import CouplingFlowDisplay, ExponentConvergenceDisplay
from ._lattice import ConfigurationsDisplay, CorrelatorMapDisplay, ReceptiveFieldsDisplay

__all__ = [
    "ConfigurationsDisplay",
    "CorrelatorMapDisplay",
    "CouplingFlowDisplay",
    "ExponentConvergenceDisplay",
    "ReceptiveFieldsDisplay",
]
