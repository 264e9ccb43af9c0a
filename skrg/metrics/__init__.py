"""Scores and diagnostics shared by every coarse-grainer (one signature for all).

Scorers have the signature ``scorer(estimator, X, y=None) -> float``, higher is
better, so they work as ``scoring=`` in scikit-learn's model selection;
:func:`get_scorer` returns them by name. The lower-level functions return the
arrays and errors behind each score, for plots.
"""

from ..analysis import coupling_locality_score
from ._correlation import hidden_visible_correlation
from ._mutual_information import mutual_information, mutual_information_score
from ._preservation import correlation_preservation, correlation_preservation_score
from ._scorers import get_scorer, get_scorer_names
from ._scores import (
    block_alignment,
    block_alignment_score,
    coarse_entropy,
    receptive_field_locality,
    reconstruction_score,
)
from ._sparsity import hoyer_sparsity, weight_sparsity

__all__ = [
    "block_alignment",
    "block_alignment_score",
    "coarse_entropy",
    "correlation_preservation",
    "correlation_preservation_score",
    "coupling_locality_score",
    "get_scorer",
    "get_scorer_names",
    "hidden_visible_correlation",
    "hoyer_sparsity",
    "mutual_information",
    "mutual_information_score",
    "receptive_field_locality",
    "reconstruction_score",
    "weight_sparsity",
]
