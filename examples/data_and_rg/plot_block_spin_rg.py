"""
Block-spin renormalization of Ising configurations
==================================================

:class:`skrg.BlockSpinRG` performs Kadanoff's block-spin transformation. Every
2 x 2 block of spins is replaced by one coarse spin, here by majority rule (the
sign of the block sum, with ties broken at random). The lattice side halves at
each step. This example applies one and two steps to equilibrium
configurations below, at and above the critical temperature
T_c = 2 / ln(1 + sqrt 2). It then follows the magnetization ``<|m|>`` and the
nearest-neighbour correlation level by level over a range of temperatures.
This is the RG flow seen through an observable: below T_c it runs to the
ordered fixed point, above T_c to the disordered one, and T_c is the unstable
fixed point between them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skrg import BlockSpinRG, make_ising
from skrg.ising.exact import critical_temperature, onsager_magnetization
from skrg.ising.observables import binned_standard_error, energy, magnetization

T_c = critical_temperature(2)

# %%
# Two majority-rule steps at three temperatures
# ---------------------------------------------
# One configuration of a 64 x 64 lattice at each temperature, then the same
# configuration after one step (32 x 32) and after two steps (16 x 16).
# ``BlockSpinRG(n_steps=2)`` runs both steps in one estimator. Its first step
# uses the same random key as ``BlockSpinRG(n_steps=1)`` with the same
# ``random_state``, so the middle column is the intermediate level of the
# right-hand one. ``level_shapes_`` lists the lattice at every level.
L_picture = 64
picture_temperatures = [2.0, T_c, 3.0]
X_pictures, y_pictures = make_ising(
    1, (L_picture, L_picture), picture_temperatures, random_state=0, n_jobs=-1
)
steps = [BlockSpinRG(n_steps=n, random_state=0).fit(X_pictures) for n in (1, 2)]
print("lattice at every level:", steps[-1].level_shapes_)
levels = [X_pictures] + [rg.transform(X_pictures) for rg in steps]
shapes = steps[-1].level_shapes_

fig, axes = plt.subplots(3, 3, figsize=(8, 8.4), layout="constrained")
for row, T in enumerate(y_pictures):
    label = "$T = T_c$" if np.isclose(T, T_c) else f"$T = {T:.1f}$"
    for col, (X_level, shape) in enumerate(zip(levels, shapes)):
        ax = axes[row, col]
        config = X_level[row]
        ax.imshow(config.reshape(shape), cmap="gray", vmin=-1, vmax=1)
        ax.set_title(f"{label}, {shape[0]} x {shape[1]}, m = {config.mean():+.2f}",
                     fontsize="small")
        ax.set_axis_off()
fig.suptitle("Original, one and two majority-rule steps (black: -1, white: +1)")

# %%
# Below T_c the minority islands are smaller than a block, so majority rule
# removes them: the coarse lattices are more ordered than the original. Above
# T_c the domains are only a few sites wide. Each step shrinks them further in
# lattice units, and the coarse lattice looks like a hotter system. At T_c
# the domains have every size, and the coarse lattices look like the original
# (statistically, not site by site). This scale invariance is the defining
# property of the critical fixed point.
#
# The RG flow seen through the magnetization
# ------------------------------------------
# 200 configurations of a 64 x 64 lattice at each of 10 temperatures, placed
# more densely near T_c, with T_c itself among them. We measure ``<|m|>`` and the
# nearest-neighbour correlation <s_i s_j> on every level. Error bars are
# binned standard errors over the sequence of samples.
L = 64
n_samples = 200
temperatures = np.array([1.6, 1.8, 2.0, 2.15, T_c, 2.4, 2.6, 2.8, 3.0, 3.4])
X, y = make_ising(n_samples, (L, L), temperatures, random_state=0, n_jobs=-1)

steps = [BlockSpinRG(n_steps=n, random_state=0).fit(X) for n in (1, 2)]
levels = [X] + [rg.transform(X) for rg in steps]
shapes = steps[-1].level_shapes_


def per_temperature(values):
    """Mean and binned standard error of one value per configuration, per temperature."""
    values = values.reshape(len(temperatures), n_samples)
    return values.mean(axis=1), binned_standard_error(values.T)


# energy() is -(1/N) times the sum over the 2N bonds of a periodic square
# lattice, so the nearest-neighbour correlation is -u / 2.
abs_m = [per_temperature(magnetization(Z, absolute=True)) for Z in levels]
nn = [per_temperature(-energy(Z, shape) / 2) for Z, shape in zip(levels, shapes)]

T_fine = np.linspace(temperatures[0], temperatures[-1], 400)
fig, (ax_m, ax_c) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_m.plot(T_fine, onsager_magnetization(T_fine), "k-", lw=1,
          label="Onsager (infinite lattice)")
for level, ((m, m_err), (c, c_err), shape) in enumerate(zip(abs_m, nn, shapes)):
    name = "original" if level == 0 else f"{level} step{'s' * (level > 1)}"
    label = f"{name}, {shape[0]} x {shape[1]}"
    ax_m.errorbar(temperatures, m, yerr=m_err, fmt="o-", ms=4, capsize=2,
                  color=f"C{level}", label=label)
    # <|m|> of independent random spins on this level's lattice: the
    # disordered fixed point of a finite lattice of N sites.
    ax_m.axhline(np.sqrt(2 / (np.pi * np.prod(shape))), color=f"C{level}", lw=0.8, ls=":")
    ax_c.errorbar(temperatures, c, yerr=c_err, fmt="o-", ms=4, capsize=2,
                  color=f"C{level}", label=label)
ax_m.set_ylabel("magnetization per site <|m|>")
ax_c.set_ylabel(r"nearest-neighbour correlation $\langle s_i s_j \rangle$")
for ax in (ax_m, ax_c):
    ax.set_xlabel("temperature T of the original lattice")
    ax.axvline(T_c, color="gray", lw=0.8, ls="--")
    ax.text(T_c, 1.01, "$T_c$", color="gray", ha="center", va="bottom",
            transform=ax.get_xaxis_transform())
ax_m.legend(loc="center right", fontsize="small")
ax_c.legend(loc="upper right", fontsize="small")
fig.suptitle("Majority rule, b = 2: every level as a function of the original temperature")

# %%
# Read the left panel from the original lattice up. Below T_c every step
# raises ``<|m|>`` toward 1: the coarse lattices flow to the **ordered fixed
# point** (T = 0, all spins aligned). Above T_c every step leaves the coarse
# spins less correlated: they flow to the **disordered fixed point**
# (T = infinity, independent spins), where ``<|m|>`` -> 0 on an infinite lattice.
# On a lattice of N sites independent spins still have ``<|m|>`` of about
# sqrt(2 / (pi N)) (dotted lines, one per level), which doubles at every step
# because N falls by 4. So on these finite lattices the coarse ``<|m|>`` above T_c
# rises toward its own dotted line instead of falling to 0. The floor itself
# goes to 0 as L grows.
#
# At T_c the coarse lattice is again a critical system, of side L / b. A
# critical system of side L has ``<|m|>`` proportional to L^(-1/8), so each step
# multiplies ``<|m|>`` by b^(1/8) = 1.09 (see the table below). That is the
# scaling of the magnetic operator at the **unstable fixed point**, and on a
# finite lattice ``<|m|>`` alone cannot tell the two sides of T_c apart.
#
# The nearest-neighbour correlation (right panel) is local, so it has no
# finite-size floor, and it shows the flow plainly. Below T_c it runs to 1 and
# above T_c to 0. At T_c it stays put, at about 0.71 on every level. The three
# curves cross at T_c: this is the fixed point, and the crossing locates it.
# Any small deviation from T_c grows step by step, which is why the fixed point
# is unstable.
print("<|m|> per level (majority rule, 64 x 64, 200 configurations per temperature)")
print(f"{'T':>7}" + "".join(f"{f'{s[0]} x {s[1]}':>19}" for s in shapes))
for T in picture_temperatures:
    i = int(np.argmin(np.abs(temperatures - T)))
    print(f"{temperatures[i]:7.3f}" + "".join(
        f"{m[i]:10.3f} +- {err[i]:.3f}" for m, err in abs_m))

# %%
# Three rules at T_c
# ------------------
# Majority rule is not the only coarse-graining. ``"decimation"`` keeps one
# spin per block. ``"average"`` with ``output="mean"`` gives the block average,
# a soft spin in [-1, 1]. This is the comparator of de Mello Koch et al. The
# magnetization is linear in the spins, so neither of the other two rules
# moves ``<|m|>``. One step of block averages keeps each configuration's m
# exactly. (With ``n_steps=2`` the intermediate step draws spins, as it does
# for every rule, so at the second level m is kept only on average.) The
# decimated spins are one spin in four of the original ones. Their
# neighbours, however, are less correlated than the original neighbours.
# Decimation keeps spins two sites apart. Block averages have ``|s| < 1``, so
# their products are smaller. Of the three rules, only majority rule keeps the
# neighbour correlation at T_c the same on every level.
X_c = X[np.isclose(y, T_c)]


def neighbour_correlation(Z, shape):
    """Mean of s_i s_j over nearest neighbours, for spins or soft spins."""
    Z = Z.reshape(-1, *shape)
    return np.mean([np.mean(Z * np.roll(Z, 1, axis=axis)) for axis in (1, 2)])


print(f"\nT = T_c, {len(X_c)} configurations of 64 x 64: <|m|> and <s_i s_j> per level")
print(f"{'':<20}" + "".join(f"{f'{s[0]} x {s[1]}':>19}" for s in shapes))
print(f"{'rule':<20}" + f"{'<|m|>':>9}{'<s_i s_j>':>10}" * len(shapes))
for rule, output in [("majority", "spins"), ("decimation", "spins"), ("average", "mean")]:
    coarse = [X_c] + [
        BlockSpinRG(rule=rule, output=output, n_steps=n, random_state=0).fit_transform(X_c)
        for n in (1, 2)
    ]
    print(f"{f'{rule} ({output})':<20}" + "".join(
        f"{np.abs(Z.mean(axis=1)).mean():9.3f}{neighbour_correlation(Z, shape):10.3f}"
        for Z, shape in zip(coarse, shapes)))

plt.show()
