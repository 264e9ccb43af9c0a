"""Learned coarse-grainers: spin RBMs (single layers and greedy stacks)."""

from ._rbm import BernoulliRBM

__all__ = ["BernoulliRBM"]
