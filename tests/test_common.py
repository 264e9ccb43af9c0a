"""Both common-check suites over every public estimator.

scikit-learn's generic checks, with each expected failure listed (and its
reason) in ``skrg/utils/_instances.py``, and skrg's own checks on spin-lattice
data, including the coarse-grainer protocol.
"""

from functools import partial

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator
from sklearn.utils.estimator_checks import (
    parametrize_with_checks as sklearn_parametrize_with_checks,
)

from skrg.utils import _instances
from skrg.utils._instances import INIT_PARAMS, VARIANTS, expected_failed_checks
from skrg.utils.discovery import all_estimators
from skrg.utils.estimator_checks import _estimator_id, parametrize_with_checks

# Imported through the module: pytest would collect a function named test*.
ESTIMATORS = list(_instances.tested_estimators())


def test_discovery_finds_estimators():
    assert ESTIMATORS, "all_estimators() found no estimator to check"
    assert "BlockSpinRG" in dict(all_estimators())


@pytest.mark.parametrize("name, Estimator", all_estimators())
def test_every_estimator_has_init_params(name, Estimator):
    # A new estimator cannot dodge the common checks: it needs fast, seeded
    # parameters in INIT_PARAMS, and every variant must be a valid parameter set.
    assert name in INIT_PARAMS, f"add {name} to INIT_PARAMS in skrg/utils/_instances.py"
    valid = Estimator().get_params(deep=False)
    for params in (INIT_PARAMS[name], *VARIANTS.get(name, [])):
        assert set(params) <= set(valid), f"{name}: unknown parameters {set(params) - set(valid)}"


def _check_name(check):
    return (check.func if isinstance(check, partial) else check).__name__


@sklearn_parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    reason = expected_failed_checks(estimator).get(_check_name(check))
    try:
        check(estimator)
    except Exception:
        if reason is None:
            raise
    else:
        return  # a listed check that passes is an XPASS, a failure under xfail_strict
    # An expected failure (test_expected_failures_have_their_reason checks why).
    # pytest.xfail outside the except block chains no traceback: pytest would
    # otherwise format sklearn's whole traceback (0.3 s a check) only to drop it.
    pytest.xfail(reason)


def _messages(exc):
    """The message of ``exc`` and of every exception it was raised from."""
    while exc is not None:
        yield str(exc)
        exc = exc.__cause__ or exc.__context__


# What the error must say for each kind of reason in _instances.
_REASON_EVIDENCE = {"spins are in [-1, 1]": "[-1, 1]", "is not a lattice": "perfect square"}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_estimator_id)
def test_expected_failures_have_their_reason(estimator):
    # Under an xfail mark any exception counts as the expected failure, so a bug
    # could hide behind one. Here every listed check must exist, fail, and fail
    # with an error that says what its reason says.
    expected = expected_failed_checks(estimator)
    seen, problems = set(), []
    for est, check in estimator_checks_generator(estimator, legacy=True, mark=None):
        name = _check_name(check)
        if name not in expected:
            continue
        seen.add(name)
        evidence = [e for key, e in _REASON_EVIDENCE.items() if key in expected[name]]
        try:
            check(est)
        except Exception as exc:
            if not any(e in m for e in evidence for m in _messages(exc)):
                problems.append(f"{name} fails otherwise: {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{name} passes")
    assert seen == set(expected), f"listed but not run: {set(expected) - seen}"
    assert not problems, "\n".join(problems)


@parametrize_with_checks(ESTIMATORS)
def test_skrg_compatible_estimator(estimator, check):
    check(estimator)
