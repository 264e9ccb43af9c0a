"""Learned coarse-grainers: spin RBMs (single layers and greedy stacks)."""

from ._rbm import BernoulliRBM
from ._stack import BernoulliRBMStack

__all__ = ["BernoulliRBM", "BernoulliRBMStack"]
