"""Exact real-space coarse-graining: block spins (majority, decimation, average)."""

from ._block_spin import BlockSpinRG

__all__ = ["BlockSpinRG"]
