"""The ``skrg`` command (also ``python -m skrg``).

Subcommands:

- ``skrg study``: generate 2D Ising data around T_c, coarse-grain it with
  BlockSpinRG, a BernoulliRBMStack and an IsingAutoencoder, analyse each with
  CouplingFlowAnalyzer and the shared metrics, and write a report
  (``report.md``, ``report.html``, ``results.json``, PNG figures). Every stage
  is cached on disk, so an interrupted study resumes where it stopped.
- ``skrg sample``: generate a dataset and save it (:func:`skrg.io.save_dataset`).
- ``skrg exponents``: MCRG exponents of a block-spin rule on a lattice, with errors.
- ``skrg info``: versions, numba's threading layer, cache locations.

``--scheduler ADDRESS`` (study, sample, exponents) runs the joblib work on a
Dask cluster, with the same results as a local run.

Bad input (an unknown option, a lattice the block size does not divide, a
temperature <= 0, an unreadable config, an unwritable output, an unreachable
scheduler) gives a one-line error and a non-zero exit status: 2 for
command-line usage, 1 otherwise. Set ``SKRG_DEBUG=1`` to get the traceback of
an unexpected error instead.
"""

import argparse
import os
import sys
import warnings

from .. import __version__
from ._config import ALGORITHMS, COARSE_GRAINERS, CLIError, one_line

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), exit status 2."""

    def error(self, message):
        raise CLIError(f"{message} (see '{self.prog} --help')", status=2)


def _add_output_modes(parser):
    parser.add_argument("-q", "--quiet", action="store_true", default=None,
                        help="print nothing but errors")
    parser.add_argument("--json", action="store_true", default=None,
                        help="machine-readable: progress as JSON lines on stderr, the result "
                             "as one JSON document on stdout")


def _add_scheduler(parser):
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the parallel work on the Dask scheduler at ADDRESS (e.g. "
                             "tcp://10.0.0.1:8786; needs pip install \"skrg[dask]\"); results "
                             "do not depend on it. The connection times out after Dask's "
                             "distributed.comm.timeouts.connect (30s unless configured)")


def build_parser():
    """The argument parser of the ``skrg`` command."""
    parser = _Parser(prog="skrg", description="Renormalization group and deep learning side "
                     "by side on Ising models.")
    parser.add_argument("--version", action="version", version=f"skrg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    p = commands.add_parser(
        "study", help="the whole study: data, three coarse-grainers, analysis, report",
        description="Sample the Ising model on a temperature grid around T_c, coarse-grain "
        "it with block-spin RG, a stack of RBMs and an autoencoder, measure couplings, flow, "
        "fixed point, MCRG exponents and the shared metrics of each, and write report.md, "
        "report.html, results.json and figures. Options may also come from --config "
        "(TOML; the command line wins). Defaults: 2D, 32 x 32, 7 temperatures from 0.9 to "
        "1.1 T_c, 2000 samples each, 2 levels.")
    p.add_argument("--config", metavar="FILE", help="TOML file of options (keys as the "
                   "long options, with _ or -; optional [study] table; [block_spin], "
                   "[rbm_stack], [autoencoder] tables of estimator parameters)")
    p.add_argument("-d", "--dimension", type=int, help="1, 2 or 3 (default 2)")
    p.add_argument("-L", "--size", type=int, help="side of the lattice (default 32 in 2D)")
    p.add_argument("-T", "--temperatures", metavar="LIST",
                   help="comma-separated temperatures, or start:stop:count (default: T_c "
                        "times 0.90, 0.94, 0.97, 1, 1.03, 1.06, 1.10)")
    p.add_argument("-n", "--samples", type=int, help="configurations per temperature "
                   "(default 2000 in 2D)")
    p.add_argument("-c", "--coarse-grainers", metavar="LIST",
                   help=f"comma-separated, from {', '.join(COARSE_GRAINERS)} (default all)")
    p.add_argument("--levels", type=int, help="coarse-graining levels (default 2 in 2D)")
    p.add_argument("--block-size", type=int, help="scale factor b of one level (default 2)")
    p.add_argument("--min-coarse-size", type=int,
                   help="smallest side allowed at the last level (default 8)")
    p.add_argument("--algorithm", help=f"sampler: {', '.join(ALGORITHMS)} (default auto)")
    p.add_argument("-j", "--n-jobs", type=int, help="parallel jobs, -1 all cores (default -1); "
                   "results do not depend on it")
    p.add_argument("--seed", type=int, help="seed of everything (default 0)")
    _add_scheduler(p)
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default skrg-study)")
    p.add_argument("--cache-dir", metavar="DIR", help="cache of finished stages (default "
                   "$SKRG_CACHE_DIR, else ~/.cache/skrg)")
    p.add_argument("--no-cache", action="store_true", default=None,
                   help="compute every stage, store nothing")
    _add_output_modes(p)

    p = commands.add_parser("sample", help="generate Ising configurations and save them",
                            description="Sample the Ising model with make_ising and save X, "
                            "y and their metadata to an .npz file (skrg.io.save_dataset).")
    p.add_argument("-d", "--dimension", type=int, default=2)
    p.add_argument("-L", "--size", type=int, default=32)
    p.add_argument("-T", "--temperatures", metavar="LIST",
                   help="comma-separated temperatures, or start:stop:count (default: the "
                        "grid of skrg study)")
    p.add_argument("-n", "--samples", type=int, default=1000,
                   help="configurations per temperature")
    p.add_argument("--algorithm", choices=ALGORITHMS, default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-j", "--n-jobs", type=int, default=-1)
    _add_scheduler(p)
    p.add_argument("-o", "--output", metavar="FILE", default="ising.npz")
    _add_output_modes(p)

    p = commands.add_parser("exponents", help="MCRG exponents of a block-spin rule",
                            description="Swendsen's MCRG exponents y_t, nu, y_h (jackknife "
                            "errors) of a BlockSpinRG rule, level pair by level pair, on "
                            "configurations sampled at one temperature (default T_c).")
    p.add_argument("--rule", choices=("majority", "decimation", "average"), default="majority")
    p.add_argument("-d", "--dimension", type=int, default=2)
    p.add_argument("-L", "--size", type=int, default=64)
    p.add_argument("-T", "--temperature", help="default: T_c of the dimension")
    p.add_argument("-n", "--samples", type=int, default=4000)
    p.add_argument("--levels", type=int, help="default: as many as keep the last level "
                   ">= --min-coarse-size")
    p.add_argument("--block-size", type=int, default=2)
    p.add_argument("--min-coarse-size", type=int, default=8)
    p.add_argument("--operators", metavar="LIST",
                   help="comma-separated operator names (default: all that fit)")
    p.add_argument("--algorithm", choices=ALGORITHMS, default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-j", "--n-jobs", type=int, default=-1)
    _add_scheduler(p)
    p.add_argument("--cache-dir", metavar="DIR")
    p.add_argument("--no-cache", action="store_true")
    _add_output_modes(p)

    p = commands.add_parser("info", help="versions, numba threading layer, cache locations")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv=None):
    """Run the ``skrg`` command; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after ``skrg``; None means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 on an error, 2 on a command-line usage error, 130
        when interrupted.
    """
    from . import _commands

    parser = build_parser()
    debug = bool(os.environ.get("SKRG_DEBUG"))
    prog = "skrg"
    args = None
    try:
        args = parser.parse_args(argv)
        prog = f"skrg {args.command}"
        handler = getattr(_commands, args.command)
        with warnings.catch_warnings():
            quiet = bool(getattr(args, "quiet", False))

            def show(message, category, filename, lineno, file=None, line=None):
                if not quiet:
                    sys.stderr.write(f"{prog}: warning: {one_line(message)}\n")

            warnings.showwarning = show
            return handler(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except CLIError as error:
        sys.stderr.write(f"{prog}: error: {error}\n")
        return error.status
    except KeyboardInterrupt as interrupt:
        where = getattr(interrupt, "where", None)
        kept = (f"; finished stages are kept in the cache ({where}): run the same command "
                "again to resume") if where else ""
        sys.stderr.write(f"\n{prog}: interrupted{kept}\n")
        return 130
    except Exception as error:
        if debug:
            raise
        sys.stderr.write(f"{prog}: error: {type(error).__name__}: {one_line(error)}"
                         " (set SKRG_DEBUG=1 for the traceback)\n")
        return 1
