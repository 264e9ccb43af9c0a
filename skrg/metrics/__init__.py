"""Scores and diagnostics shared by every coarse-grainer (one signature for all)."""

from ._correlation import hidden_visible_correlation

__all__ = ["hidden_visible_correlation"]
