"""Scores and diagnostics shared by every coarse-grainer (one signature for all)."""

from ._correlation import hidden_visible_correlation
from ._preservation import correlation_preservation, correlation_preservation_score
from ._sparsity import hoyer_sparsity, weight_sparsity

__all__ = [
    "correlation_preservation",
    "correlation_preservation_score",
    "hidden_visible_correlation",
    "hoyer_sparsity",
    "weight_sparsity",
]
