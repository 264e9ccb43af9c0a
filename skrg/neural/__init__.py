"""Learned coarse-grainers: spin RBMs (single layers and greedy stacks) and autoencoders."""

from ._autoencoder import IsingAutoencoder
from ._rbm import BernoulliRBM
from ._stack import BernoulliRBMStack

__all__ = ["BernoulliRBM", "BernoulliRBMStack", "IsingAutoencoder"]
