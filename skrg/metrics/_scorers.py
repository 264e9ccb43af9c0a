"""``get_scorer``: skrg's shared scores by name, for ``scoring=`` in model selection."""

from ..analysis import coupling_locality_score
from ._mutual_information import mutual_information_score
from ._preservation import correlation_preservation_score
from ._scores import block_alignment_score, reconstruction_score
from ._sparsity import weight_sparsity

__all__ = ["get_scorer", "get_scorer_names"]


_SCORERS = {
    "block_alignment": block_alignment_score,
    "correlation_preservation": correlation_preservation_score,
    "coupling_locality": coupling_locality_score,
    "mutual_information": mutual_information_score,
    "reconstruction": reconstruction_score,
    "weight_sparsity": weight_sparsity,
}


def get_scorer_names():
    """Names accepted by :func:`get_scorer`, sorted.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from skrg.metrics import get_scorer_names
    >>> get_scorer_names()
    ['block_alignment', 'correlation_preservation', 'coupling_locality', 'mutual_information', 'reconstruction', 'weight_sparsity']
    """
    return sorted(_SCORERS)


def get_scorer(name):
    """The scorer ``scorer(estimator, X, y=None) -> float`` registered under ``name``.

    Every skrg scorer is higher-is-better and works on any fitted
    coarse-grainer, so it can be passed to scikit-learn's model selection:
    ``GridSearchCV(..., scoring={"mi": get_scorer("mutual_information"), ...},
    refit="mi")``. scikit-learn resolves bare strings only from its own
    registry, which skrg does not patch.

    Parameters
    ----------
    name : str
        One of :func:`get_scorer_names`.

    Returns
    -------
    scorer : callable

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones).

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import get_scorer
    >>> X = [[1, -1] * 32]
    >>> get_scorer("weight_sparsity")(BlockSpinRG(rule="decimation").fit(X), X)
    1.0
    """
    if isinstance(name, str) and name in _SCORERS:
        return _SCORERS[name]
    raise ValueError(
        f"Unknown skrg scorer {name!r}; valid names are {get_scorer_names()}."
    )
