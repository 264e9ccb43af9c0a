"""skrg: renormalization group and deep learning side by side on Ising models."""

__version__ = "0.1.0.dev0"

from .analysis import CouplingFlowAnalyzer  # noqa: E402
from .ising import make_ising  # noqa: E402
from .neural import BernoulliRBM, BernoulliRBMStack, IsingAutoencoder  # noqa: E402
from .rg import BlockSpinRG  # noqa: E402

__all__ = [
    "BernoulliRBM",
    "BernoulliRBMStack",
    "BlockSpinRG",
    "CouplingFlowAnalyzer",
    "IsingAutoencoder",
    "__version__",
    "make_ising",
]
