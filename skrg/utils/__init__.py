"""Utilities shared by every skrg module: spin conversion, validation and seeding."""

from ._seeding import spawn_seeds
from ._validation import binary_to_spins, check_spins, validate_spin_data
from .discovery import all_estimators

__all__ = ["all_estimators", "binary_to_spins", "check_spins", "spawn_seeds", "validate_spin_data"]
