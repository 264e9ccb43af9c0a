"""Discovery of the public estimators of skrg, as :mod:`sklearn.utils.discovery` does."""

import inspect
import pkgutil
from importlib import import_module

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def _public_modules():
    """``skrg`` and every module and subpackage of it whose path has no ``_`` part."""
    import skrg

    yield skrg
    for info in pkgutil.walk_packages(skrg.__path__, prefix="skrg."):
        parts = info.name.split(".")
        if any(part.startswith("_") or part == "tests" for part in parts[1:]):
            continue
        yield import_module(info.name)


def all_estimators():
    """Every public estimator class of skrg.

    An estimator is public when a class subclassing scikit-learn's
    :class:`~sklearn.base.BaseEstimator`, defined in skrg, not abstract and
    with a name not starting with ``_``, is exported in ``__all__`` of
    ``skrg`` or of one of its public modules and subpackages.

    Returns
    -------
    estimators : list of tuple (str, type)
        ``(name, class)`` pairs, sorted by name, each class once.

    See Also
    --------
    sklearn.utils.discovery.all_estimators : The scikit-learn counterpart.

    Examples
    --------
    >>> from skrg.utils.discovery import all_estimators
    >>> estimators = all_estimators()
    >>> ("BlockSpinRG", __import__("skrg").BlockSpinRG) in estimators
    True
    """
    found = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not name.startswith("_")
                and obj.__module__.split(".")[0] == "skrg"
                and not inspect.isabstract(obj)
            ):
                found[obj] = obj.__name__
    return sorted(((name, cls) for cls, name in found.items()), key=lambda pair: pair[0])
