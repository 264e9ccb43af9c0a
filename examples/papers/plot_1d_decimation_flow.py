"""
RG flow of the Ising chain: decimation and learned coarse-grainers
==================================================================

Gong & Xia ("Interpreting Deep Learning by Establishing a Rigorous
Corresponding Relationship with Renormalization Group", arXiv 2212.00005)
relate a fully connected network trained on data of the 1D Ising chain to
real-space RG. They prove that at the optimal parameters the coupling of the
distribution of the network's output tends to the stable fixed point of RG,
``K* = 0`` for decimation. The numerical check is to apply the learned
coarse-graining level after level, measure the coupling ``K`` of each output,
and compare it with the exact recursion.

Decimation with scale factor ``b`` keeps every ``b``-th spin of the periodic
chain. It maps the nearest-neighbour chain onto a nearest-neighbour chain
with ``tanh K' = tanh(K)^b`` (:func:`skrg.ising.exact.decimation_coupling`).
Every finite ``K`` flows to ``K* = 0``.

This example does the check with :class:`skrg.CouplingFlowAnalyzer`:

* exact (independent) samples of a periodic chain of 256 sites at
  ``K = 0.5, 1, 2``, four levels with ``b = 2`` (256 -> 16 sites);
* ``BlockSpinRG(rule="decimation")``, which must follow the recursion;
* a local :class:`skrg.IsingAutoencoder` and a local
  :class:`skrg.BernoulliRBM` (each coarse spin sees its own block of 2
  spins), refitted at every level on the output of the level below
  (``refit_each_level=True``), as in the paper's check. These are local
  models, not the paper's fully connected network. At the end, a dense RBM
  closer to the paper's network shows what the measurement does when the
  coarse spins lose their lattice positions.

The coupling of every level comes from inverting the exact nearest-neighbour
correlation of the finite periodic chain, with jackknife errors.
The default settings run in under 20 seconds on 2 cores. ``FULL = True``
uses a chain of 1,024 sites, 10,000 samples per coupling and six levels
(1024 -> 16), with more data per training epoch (a few minutes).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from skrg import BernoulliRBM, BlockSpinRG, CouplingFlowAnalyzer, IsingAutoencoder, make_ising
from skrg.ising.exact import decimation_coupling

FULL = False  # True: 1,024 sites, 10,000 samples, 6 levels

N_SITES, N_SAMPLES, N_LEVELS = (1024, 10_000, 6) if FULL else (256, 4_000, 4)
COUPLINGS = [0.5, 1.0, 2.0]

# The learned models multiply small matrices. There, several BLAS threads on a
# busy machine only wait for each other (10x slower on a loaded 2-core machine).
threadpool_limits(1, user_api="blas")

# %%
# Exact samples of the chain
# --------------------------
# In 1D ``make_ising`` draws independent configurations of the periodic chain
# directly (no Markov chain). The temperature is ``T = 1/K``.
X, y = make_ising(N_SAMPLES, N_SITES, [1 / K for K in COUPLINGS], random_state=0)
print(f"{N_SAMPLES} exact samples of a periodic chain of {N_SITES} sites at K = "
      + ", ".join(f"{K:g}" for K in COUPLINGS))

# %%
# Three coarse-grainers, level after level
# ----------------------------------------
# A learned coarse-grainer is fitted on the data of one coupling, then a fresh
# clone is fitted on its output, and so on (the analyzer seeds every level
# from its own ``random_state``). Each coupling gets its own analysis, so a
# learned model only ever sees one chain, as in the paper. The analyzer reads
# every model with ``output="spins"`` (coarse spins drawn from the model). An
# RBM's hidden unit and its weights can flip together without changing the
# model, so training leaves each unit's sign to chance; skrg's learned
# coarse-grainers read every unit with the sign that aligns it with its own
# block (``hidden_signs_``), and the analyzer checks that against the data
# (``fix_gauge=True``, the default). Without it the coarse chain would carry
# random signs.
coarse_grainers = {
    "decimation": BlockSpinRG(rule="decimation"),
    "autoencoder (local)": IsingAutoencoder(max_iter=20, batch_size=50,
                                            learning_rate_init=0.01),
    "RBM (local)": BernoulliRBM(connectivity="local", n_iter=5,
                                learning_rate=0.05, batch_size=50),
}
flows, K_measured, K_std = {}, {}, {}
for name, coarse_grainer in coarse_grainers.items():
    learned = not isinstance(coarse_grainer, BlockSpinRG)
    flows[name] = [
        CouplingFlowAnalyzer(coarse_grainer, n_levels=N_LEVELS, operators="nn",
                             refit_each_level=learned, lattice_shape=N_SITES,
                             random_state=0).fit(X[y == 1 / K], y[y == 1 / K])
        for K in COUPLINGS
    ]
    K_measured[name] = np.vstack([flow.couplings_[0, :, 0] for flow in flows[name]])
    K_std[name] = np.vstack([flow.couplings_std_[0, :, 0] for flow in flows[name]])
shapes = flows["decimation"][0].lattice_shapes_
print("levels:", " -> ".join(str(shape[0]) for shape in shapes), "sites")

exact = np.array([[K] for K in COUPLINGS])
for _ in range(N_LEVELS):
    exact = np.hstack([exact, decimation_coupling(exact[:, -1:], b=2)])

print(f"\n{'K at level':<22}" + "".join(f"{n:>16d}" for n in range(N_LEVELS + 1)))
for i, K0 in enumerate(COUPLINGS):
    print(f"{f'exact, K = {K0:g}':<22}" + "".join(f"{K:16.4f}" for K in exact[i]))
    for name in coarse_grainers:
        print(f"{name:<22}" + "".join(
            f"{K:8.4f} +- {s:.4f}" for K, s in zip(K_measured[name][i], K_std[name][i])))

# %%
# The flow, and the map it iterates
# ---------------------------------
# Left: the measured coupling at every level, one colour per starting
# coupling, with the exact recursion as thin lines. Right: the same data as a
# map, ``tanh K`` of level ``n + 1`` against ``tanh K`` of level ``n``, where
# decimation is the parabola ``t' = t^2``. Its fixed points are ``t = 0``
# (``K* = 0``, stable) and ``t = 1`` (``K* = infinity``, unstable). Any
# coarse-graining whose points lie below the diagonal lowers the coupling at
# every step and so flows to ``K* = 0``.
markers = {"decimation": "o", "autoencoder (local)": "s", "RBM (local)": "^"}
levels = np.arange(N_LEVELS + 1)
fig, (ax_flow, ax_map) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for i, K0 in enumerate(COUPLINGS):
    ax_flow.plot(levels, exact[i], "-", color=f"C{i}", lw=1)
    for j, name in enumerate(coarse_grainers):
        shift = 0.08 * (j - 1)
        ax_flow.errorbar(levels + shift, K_measured[name][i], yerr=K_std[name][i],
                         fmt=markers[name], ms=5, capsize=2, color=f"C{i}", mfc="none")
        t = np.tanh(K_measured[name][i])
        ax_map.plot(t[:-1], t[1:], markers[name], ms=5, color=f"C{i}", mfc="none")
for name in coarse_grainers:  # legend entries in black, for every colour
    for ax in (ax_flow, ax_map):
        ax.plot([], [], markers[name], ms=5, color="k", mfc="none", label=name)
ax_flow.plot([], [], "k-", lw=1, label=r"exact: $\tanh K' = \tanh^2 K$")
ax_flow.axhline(0, color="gray", lw=0.8, ls=":")
ax_flow.set_xlabel("level n (the chain has %d / 2^n sites)" % N_SITES)
ax_flow.set_ylabel("nearest-neighbour coupling K")
ax_flow.set_title("K = " + ", ".join(f"{K:g}" for K in COUPLINGS) + " (colours) flow to K* = 0")
ax_flow.legend(fontsize="small")
t_grid = np.linspace(0, 1, 200)
ax_map.plot(t_grid, t_grid**2, "k-", lw=1, label="decimation, $t' = t^2$")
ax_map.plot(t_grid, t_grid * (1 + t_grid) ** 2 / 4, "k:", lw=1,
            label="firm vote of 2 spins, $t' = t(1+t)^2/4$ (see below)")
ax_map.plot(t_grid, t_grid, color="gray", lw=0.8, ls="--", label="$t' = t$ (no change)")
ax_map.set_xlabel(r"$\tanh K$ at level n")
ax_map.set_ylabel(r"$\tanh K$ at level n + 1")
ax_map.set_aspect("equal")
ax_map.legend(fontsize="small", loc="upper left")

# %%
# How closely each one follows the recursion
# ------------------------------------------
# The correlation length of the chain, in units of its own lattice spacing,
# is ``xi = -1 / ln tanh K``. One exact step with ``b = 2`` divides it by 2.
# The measured ratio ``b_eff = ln tanh K^(n+1) / ln tanh K^(n)``, the factor
# by which a step shrinks ``xi``, says how closely a coarse-graining follows
# the recursion. ``b_eff = 2`` is exact, ``b_eff > 2`` means correlations are
# lost on the way, and ``b_eff < 2`` means the coarse spins are more correlated
# than decimated ones. The errors propagate the jackknife errors of both levels
# as if independent. Steps where either coupling is within 3 errors of 0 are
# left out (``-``): there ``ln tanh K`` is undetermined.


def effective_b(K, K_err):
    """b_eff per step and its propagated error, NaN where K is not resolved."""
    with np.errstate(invalid="ignore", divide="ignore"):
        log_t = np.log(np.tanh(K))
        log_t_err = 2 * K_err / np.sinh(2 * K)  # d ln tanh K / dK = 2 / sinh 2K
        b = log_t[1:] / log_t[:-1]
        b_err = np.abs(b) * np.hypot(log_t_err[1:] / log_t[1:], log_t_err[:-1] / log_t[:-1])
    resolved = (K[1:] > 3 * K_err[1:]) & (K[:-1] > 3 * K_err[:-1])
    return np.where(resolved, b, np.nan), np.where(resolved, b_err, np.nan)


print(f"\n{'b_eff of step':<30}" + "".join(f"{f'{n} -> {n + 1}':>15}"
                                          for n in range(N_LEVELS)))
for i, K0 in enumerate(COUPLINGS):
    for name in coarse_grainers:
        b, b_err = effective_b(K_measured[name][i], K_std[name][i])
        print(f"{f'{name}, K = {K0:g}':<30}" + "".join(
            f"{v:7.3f} +- {e:.3f}" if np.isfinite(v) else f"{'-':>15}" for v, e in zip(b, b_err)))

# %%
# Decimation follows the recursion within its errors at every level and every
# starting coupling. It is the exact map, so this checks the measurement
# itself. The two learned coarse-grainers also lower ``K`` at every resolved
# step, toward ``K* = 0``: this is the flow of Gong & Xia's theorem. From
# ``K = 2`` four levels are not enough to get near 0, for the exact recursion
# as well. How closely each model follows ``tanh K' = tanh^2 K`` can be read
# off the ``b_eff`` table. The local RBM stays within 2 errors of 2 at every
# step. The autoencoder misses 2 by several errors at most steps.
# What did the models learn?
# --------------------------
# Each coarse spin is drawn with mean ``tanh(w_1 s_1 + w_2 s_2 + c)`` from the
# two spins of its block, in both models (the autoencoder shares one kernel
# ``(w_1, w_2)`` between all units, each RBM unit has its own). Decimation
# would put all the weight on one spin. With equal weights ``w`` and ``c = 0``
# the mean is ``f (s_1 + s_2) / 2`` with ``f = tanh 2w``. This is a majority
# vote on a block of two: a block of opposite spins gives a coin flip, and
# ``f`` says how firmly an aligned block sets the coarse spin. Neighbouring
# coarse spins then correlate as ``f^2 <(s_1 + s_2)(s_3 + s_4)> / 4``, which is
# ``tanh K' = f^2 t (1 + t)^2 / 4`` with ``t = tanh K``. Decimation gives
# ``t^2``.
#
# The RBM fixes ``f`` by maximum likelihood. Summing out its hidden units, it
# models the chain as ``prod_j 2 cosh(w (s_2j + s_2j+1))`` (up to biases). This
# couples only the two spins inside each block, and matching their
# correlation gives ``tanh^2 w = t``, so ``f = 2 sqrt(t) / (1 + t)``. Put into
# the vote, that is ``tanh K' = t^2``: the recursion of decimation, exactly.
# The autoencoder is trained to reconstruct its input, which rewards a firm
# vote (``f`` near 1), so it does not.
#
# The table checks this at the first level of every run. It gives the split
# of the weight (larger / sum; 0.5 equal, 1 decimation), the mean ``f`` of the
# units, the RBM's maximum-likelihood ``f`` for the data, and ``K'``
# predicted by the formula against ``K'`` measured.
print(f"\n{'level 0 -> 1':<30}{'split':>7}{'f':>8}{'f (ML)':>8}{'K1 predicted':>14}"
      f"{'K1 measured':>19}")
for i, K0 in enumerate(COUPLINGS):
    t = np.tanh(K_measured["decimation"][i, 0])  # the data's coupling
    for name in ("autoencoder (local)", "RBM (local)"):
        model = flows[name][i].coarse_grainers_[0]
        if hasattr(model, "encoder_weights_"):
            W = np.abs(np.atleast_2d(model.encoder_weights_))
        else:
            W = np.abs(model.components_)  # zero outside each unit's window of 2 spins
        split = (W.max(axis=1) / W.sum(axis=1)).mean()
        f = np.tanh(W.sum(axis=1)).mean()
        predicted = np.arctanh(f**2 * t * (1 + t) ** 2 / 4)
        print(f"{f'{name}, K = {K0:g}':<30}{split:7.2f}{f:8.3f}{2 * np.sqrt(t) / (1 + t):8.3f}"
              f"{predicted:14.4f}{K_measured[name][i, 1]:11.4f} +- {K_std[name][i, 1]:.4f}")

# %%
# Both models weigh the two spins about equally. The RBM's ``f`` sits at its
# maximum-likelihood value, and its ``K'`` falls on the decimation recursion.
# The two are different coarse-grainings (a vote, not a choice of one spin)
# that give the same nearest-neighbour coupling. The autoencoder's ``f`` is set
# by reconstruction, not by the chain's correlation, and it barely changes
# with ``K``. So its coupling follows the formula but not the recursion: above
# it where ``f`` exceeds the maximum-likelihood value, below it where ``f``
# falls short. Both flow to ``K* = 0``; a measurement like this one tells how.

# %%
# Flowing to ``K* = 0`` alone proves little
# -----------------------------------------
# Any coarse-graining that loses correlations flows to ``K* = 0``, the fixed
# point of independent spins. A dense RBM (every hidden unit connected to
# every spin, closer to the paper's fully connected network) trained the same
# way makes the point. ``fit`` places each hidden unit on the coarse site
# nearest the centroid of its receptive field. Here the receptive fields are
# broad, so those places are not blocks, and neighbouring coarse spins barely
# correlate.
dense = CouplingFlowAnalyzer(
    BernoulliRBM(n_iter=10, learning_rate=0.01, batch_size=50, l1=1e-3),
    n_levels=1, operators="nn", refit_each_level=True, lattice_shape=N_SITES, random_state=0,
).fit(X[y == 1.0], y[y == 1.0])
rbm = dense.coarse_grainers_[0]
weights = np.abs(rbm.components_)
peak = weights.argmax(axis=1)
window = (peak[:, None] + np.arange(-2, 3)) % N_SITES
share = np.take_along_axis(weights, window, axis=1).sum(axis=1) / weights.sum(axis=1)
print(f"\ndense RBM, K = 1: K at level 1 = {dense.couplings_[0, 1, 0]:.4f} +- "
      f"{dense.couplings_std_[0, 1, 0]:.4f} (exact one step: {exact[1, 1]:.4f})")
print(f"share of each unit's |weights| within 2 sites of its largest weight: "
      f"mean {share.mean():.2f} (5 of {N_SITES} sites)")

# %%
# The dense model reaches ``K* = 0`` in one step, far faster than any
# decimation. That is why the comparison with the exact recursion, and not
# the arrival at ``K* = 0``, is the informative part of the check.

plt.show()
