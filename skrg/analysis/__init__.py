"""Coupling analysis: the operator basis, pseudo-likelihood couplings, MCRG, RBM flows."""

from ._couplings import estimate_couplings, estimate_temperature
from ._flow import CouplingFlowAnalyzer, coupling_locality_score
from ._matching import matching_critical_temperature
from ._mcrg import mcrg_exponents, rbm_flow
from ._operators import (
    OPERATORS,
    check_operators,
    evaluate_operators,
    local_operator_fields,
    operator_names,
    operator_reach,
)

__all__ = [
    "CouplingFlowAnalyzer",
    "OPERATORS",
    "check_operators",
    "coupling_locality_score",
    "estimate_couplings",
    "estimate_temperature",
    "evaluate_operators",
    "local_operator_fields",
    "matching_critical_temperature",
    "mcrg_exponents",
    "operator_names",
    "operator_reach",
    "rbm_flow",
]
