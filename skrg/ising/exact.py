"""Exact results of the Ising model: the ground truth the rest of skrg is tested against.

Units: J = k_B = 1, coupling K = 1/T. The Hamiltonian is
``H = -sum_i sum_axis s_i s_{i + e_axis}`` on a periodic lattice, ``n_sites * ndim``
bonds (a side of 2 carries two bonds between the same pair of sites, a side of 1
couples a site to itself), the convention of :class:`skrg.lattice.Lattice`.

Contents: critical points; Onsager's infinite square lattice (magnetization and
energy); Kaufman's exact partition function of the finite periodic ``M x N``
lattice (ln Z, energy, specific heat); the periodic 1D chain and its decimation
recursion; and exhaustive enumeration of small lattices (density of states and
every thermal average derived from it).

Functions of the 1D chain and :func:`decimation_coupling` take the coupling
``K`` (the RG variable); everything else takes the temperature ``T``.
"""

import math
import numbers
from functools import lru_cache

import numpy as np
from scipy.special import ellipkm1, logsumexp

from ..lattice import Lattice, check_lattice_shape

__all__ = [
    "chain_correlation",
    "chain_correlation_length",
    "chain_energy",
    "chain_partition_function",
    "critical_coupling",
    "critical_temperature",
    "decimation_coupling",
    "enumerate_density_of_states",
    "exact_observables",
    "exact_probabilities",
    "finite_lattice_energy",
    "finite_lattice_log_partition",
    "finite_lattice_specific_heat",
    "onsager_energy",
    "onsager_magnetization",
]

_KC_2D = 0.5 * math.log1p(math.sqrt(2.0))
# Best known estimate for the simple cubic lattice (no exact solution).
_KC_3D = 0.221654626
_CRITICAL_COUPLINGS = {1: math.inf, 2: _KC_2D, 3: _KC_3D}
_TC_2D = 1.0 / _KC_2D

# 2^24 states at 4 bytes each is already 64 MB per pass; beyond that the run time
# and memory of exhaustive enumeration grow past what a test or a user expects.
MAX_ENUMERATION_SITES = 24
_ENUMERATION_CHUNK = 1 << 20

# Below this coupling ln Z = N ln 2 - K <H>_0 + K^2 Var_0(H) / 2 to relative O(K),
# and powers of 1/sinh(2K) would underflow.
_INFINITE_TEMPERATURE_COUPLING = 1e-30
# Above this coupling every excitation is suppressed by e^{-4K} < e^{-200}: the
# lattice is in its ground state to double precision, and powers of sinh(2K) overflow.
_GROUND_STATE_COUPLING = 50.0


# --------------------------------------------------------------------------- validation


def _check_temperature(temperature, name="temperature"):
    """Return ``(T as a float array, whether the input was a scalar)``."""
    scalar = np.ndim(temperature) == 0
    try:
        if np.asarray(temperature).dtype.kind not in "iuf":  # no bools, strings, complex
            raise TypeError
        values = np.asarray(temperature, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a positive finite number or array, got {temperature!r}."
        ) from None
    with np.errstate(divide="ignore", over="ignore"):
        # A subnormal T makes the coupling 1/T infinite.
        bad = ~np.isfinite(values) | (values <= 0) | ~np.isfinite(1.0 / values)
    if bad.any():
        raise ValueError(
            f"{name} must be positive and finite (1/{name} too), got "
            f"{name}={values[bad].flat[0]!r}."
        )
    return values, scalar


def _check_coupling(coupling, name="coupling", allow_inf=False):
    """Return ``(K as a float array, whether the input was a scalar)``; K >= 0."""
    scalar = np.ndim(coupling) == 0
    try:
        values = np.asarray(coupling, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a non-negative number or array, got {coupling!r}."
        ) from None
    finite = np.isfinite(values) | (allow_inf & (values == np.inf))
    bad = ~finite | (values < 0) | np.isnan(values)
    if bad.any():
        valid = "non-negative (inf allowed)" if allow_inf else "non-negative and finite"
        raise ValueError(f"{name} must be {valid}, got {name}={values[bad].flat[0]!r}.")
    return values, scalar


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {name}={value!r}.")
    return int(value)


def _check_dim(dim):
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim not in (1, 2, 3):
        raise ValueError(f"dim must be 1, 2 or 3, got dim={dim!r}.")
    return int(dim)


def _check_2d_shape(lattice_shape):
    """An int L means L x L here: Kaufman's formula is for the square lattice only."""
    if isinstance(lattice_shape, numbers.Integral) and not isinstance(lattice_shape, bool):
        lattice_shape = (lattice_shape, lattice_shape)
    shape = check_lattice_shape(lattice_shape)
    if len(shape) != 2:
        raise ValueError(
            f"lattice_shape must be an int L (an L x L lattice) or a pair (M, N), "
            f"got lattice_shape={lattice_shape!r}."
        )
    return shape


def _output(values, scalar):
    return float(values) if scalar else values


# ----------------------------------------------------------------- stable elementwise


def _log2cosh(y):
    return np.logaddexp(y, -y)


def _log2sinh(y):
    """ln(2 sinh y) for y > 0, without overflow."""
    return y + np.log(-np.expm1(-2.0 * y))


def _inv_sinh_squared(y):
    """1 / sinh(y)^2 for y > 0, without overflow."""
    return 4.0 * np.exp(-2.0 * y) / np.expm1(-2.0 * y) ** 2


def _log_tanh(k):
    """ln tanh k for k >= 0 (-inf at 0), with full relative precision at any k."""
    with np.errstate(divide="ignore"):
        # log(tanh k) rounds to 0 for k > 19; artanh(e^{-2k}) cancels for small k.
        return np.where(k < 0.5, np.log(np.tanh(k)), -2.0 * np.arctanh(np.exp(-2.0 * k)))


# ------------------------------------------------------------------- critical points


def critical_temperature(dim):
    """Critical temperature of the nearest-neighbour Ising model on a hypercubic lattice.

    Parameters
    ----------
    dim : {1, 2, 3}
        Dimension of the lattice.

    Returns
    -------
    temperature : float
        0 in 1D (no transition at T > 0); Onsager's ``2 / ln(1 + sqrt 2)`` on
        the square lattice; on the simple cubic lattice, which has no exact
        solution, ``1 / K_c`` with the best known estimate
        ``K_c = 0.221654626(5)``.

    Raises
    ------
    ValueError
        If ``dim`` is not 1, 2 or 3.

    Examples
    --------
    >>> from skrg.ising.exact import critical_temperature
    >>> round(critical_temperature(2), 10)
    2.2691853142
    >>> critical_temperature(1)
    0.0
    """
    coupling = critical_coupling(dim)
    return 0.0 if math.isinf(coupling) else 1.0 / coupling


def critical_coupling(dim):
    """Critical coupling ``K_c = 1 / T_c`` on a hypercubic lattice.

    Parameters
    ----------
    dim : {1, 2, 3}
        Dimension of the lattice.

    Returns
    -------
    coupling : float
        ``inf`` in 1D; ``ln(1 + sqrt 2) / 2`` in 2D; the best known estimate
        ``0.221654626`` in 3D.

    Raises
    ------
    ValueError
        If ``dim`` is not 1, 2 or 3.

    Examples
    --------
    >>> from skrg.ising.exact import critical_coupling
    >>> round(critical_coupling(2), 10)
    0.4406867935
    >>> critical_coupling(1)
    inf
    """
    return _CRITICAL_COUPLINGS[_check_dim(dim)]


# ------------------------------------------------------------------------- Onsager


def onsager_magnetization(temperature):
    """Spontaneous magnetization per site of the infinite square lattice.

    ``m = (1 - sinh(2K)^-4)^(1/8)`` below ``T_c`` and 0 at and above it.

    Parameters
    ----------
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    magnetization : float or ndarray
        Same shape as ``temperature``.

    Raises
    ------
    ValueError
        If a temperature is not positive and finite.

    Examples
    --------
    >>> from skrg.ising.exact import onsager_magnetization
    >>> round(onsager_magnetization(2.0), 6)
    0.911319
    >>> onsager_magnetization([1.0, 3.0])
    array([0.99927575, 0.        ])
    """
    T, scalar = _check_temperature(temperature)
    K = 1.0 / T
    # sinh(2K)^-4 written with e^{-2K} so that it underflows, not overflows, at low T.
    with np.errstate(divide="ignore", over="ignore"):  # huge above T_c, unused there
        inv_sinh4 = 16.0 * np.exp(-8.0 * K) / np.expm1(-4.0 * K) ** 4
    base = np.clip(1.0 - inv_sinh4, 0.0, None)
    m = np.where(T < _TC_2D, base**0.125, 0.0)
    return _output(m, scalar)


def onsager_energy(temperature):
    """Energy per site of the infinite square lattice (Onsager).

    ``u = -coth(2K) [1 + (2/pi) (2 tanh^2(2K) - 1) K1(q)]`` with
    ``q = 2 sinh(2K) / cosh^2(2K)`` and ``K1`` the complete elliptic integral of
    the first kind. At ``T_c``, ``q = 1`` and ``K1`` diverges logarithmically
    while its prefactor vanishes linearly, so ``u`` is continuous and
    ``u(T_c) = -sqrt 2``; this is evaluated through ``1 - q^2 =
    (2 tanh^2(2K) - 1)^2`` without loss of precision.

    Parameters
    ----------
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    energy : float or ndarray
        Energy per site, same shape as ``temperature``.

    Raises
    ------
    ValueError
        If a temperature is not positive and finite.

    Examples
    --------
    >>> from skrg.ising.exact import critical_temperature, onsager_energy
    >>> round(onsager_energy(critical_temperature(2)), 12)
    -1.414213562373
    >>> onsager_energy([1.0, 3.0])
    array([-1.9971602 , -0.81730959])
    """
    T, scalar = _check_temperature(temperature)
    K = 1.0 / T
    tanh2k = np.tanh(2.0 * K)
    a = 2.0 * tanh2k**2 - 1.0
    # a * K1 -> 0 at T_c; ellipkm1 takes 1 - q^2 = a^2, exact near q = 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        singular = np.abs(a) < 1e-100
        term = np.where(singular, 0.0, a * ellipkm1(np.where(singular, 1.0, a * a)))
    u = -(1.0 + (2.0 / np.pi) * term) / tanh2k
    return _output(u, scalar)


# ------------------------------------------------------------------ Kaufman (finite L)


def _modes(K, m, n):
    """Kaufman's modes l = 0 .. 2n-1 for each coupling (rows).

    ``cosh gamma_l = cosh(2K) coth(2K) - k_l`` with ``k_l = cos(pi l / n)``;
    ``gamma_0`` is the signed ``2K + ln tanh K`` (negative above T_c), which is
    what makes the formula hold on both sides of the transition. Each mode also
    carries one factor ``(2 sinh 2K)^(m/2)`` of the prefactor, through
    ``psi_l = |gamma_l| + ln(2 sinh 2K)``, finite at high temperature where
    ``gamma_l`` and ``ln sinh 2K`` diverge and cancel.

    Returns a dict of arrays of shape ``(n_K, 2n)``: ``gamma`` (|gamma|),
    ``gamma1`` (its K-derivative), ``curv`` (``gamma'^2 - gamma''``), ``psi``,
    ``psi1`` (``psi' + shift * k_l``, see below) and ``psi2``; ``sign0`` (the
    sign of gamma_0) and ``shift`` of shape ``(n_K, 1)``. Above T_c every ``psi_l'`` tends to ``-2 k_l``, and the modes
    cancel in the sum (``sum_l k_l`` is known exactly): ``psi1`` therefore holds
    ``psi' + 2 cosh(2K) k_l``, computed without that O(1) term, so that the
    energy keeps its relative precision as ``T -> inf``.
    """
    K = K[:, None]
    s = np.sinh(2.0 * K)
    ch = np.sqrt(1.0 + s * s)
    high = s < 1.0
    shift = np.where(high, 2.0 * ch, 0.0)
    theta = np.pi * np.arange(1, 2 * n) / n
    k = np.cos(theta)
    # s (cosh gamma - 1), kept exact near T_c; R = s sinh(gamma); P = s cosh(gamma).
    sd = (s - 1.0) ** 2 + 2.0 * s * np.sin(0.5 * theta) ** 2
    R = np.sqrt(sd) * np.sqrt(sd + 2.0 * s)
    P = s + sd
    gamma = np.log1p((sd + R) / s)
    psi = math.log(2.0) + np.log(P + R)

    # Below T_c: derivatives of gamma in closed form (4D/(s^2 R^3) has no cancellation).
    s2 = s * s
    D = (((((((-k * s + (k * k + 2.0)) * s - 5.0 * k) * s + (k * k + 6.0)) * s - 7.0 * k)
           * s + (2.0 * k * k + 3.0)) * s - 3.0 * k) * s + 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g1_low = 2.0 * ch * (s - 1.0) * (s + 1.0) / (s * R)
        g2_low = 4.0 * D / (s2 * R**3)
        # Above T_c: psi as a function of s, psi'(K) = 2 ch dpsi/ds.
        Q_s = ((4.0 * s - 6.0 * k) * s + 2.0 * (1.0 + k * k)) * s - 2.0 * k
        Q_ss = (12.0 * s - 12.0 * k) * s + 2.0 * (1.0 + k * k)
        R_s = Q_s / (2.0 * R)
        R_ss = Q_ss / (2.0 * R) - Q_s**2 / (4.0 * R**3)
        F_s = (2.0 * s - k + R_s) / (P + R)
        F_ss = (2.0 + R_ss) / (P + R) - F_s**2
        q = ((2.0 * k * s + 4.0 * (1.0 - k * k)) * s + (2.0 * k**3 - 4.0 * k)) * s + 2.0 * (
            1.0 - k * k
        )
        psi1_high = 2.0 * ch * s * ((2.0 + k * s - k * k) + q / (2.0 * R)) / (P + R)
        psi2_high = 4.0 * (1.0 + s2) * F_ss + 4.0 * s * F_s
    psi1 = np.where(high, psi1_high, g1_low + 2.0 * ch / s)
    psi2 = np.where(high, psi2_high, g2_low - 4.0 / s2)
    gamma1 = np.where(high, psi1_high - shift * k - 2.0 * ch / s, g1_low)
    curv = np.where(high, _curvature(psi1_high - shift * k, psi2_high, ch / s),
                    g1_low**2 - g2_low)

    # Mode 0: gamma_0 = 2K + ln tanh K changes sign at T_c; psi_0 in closed form.
    g0 = 2.0 * K + _log_tanh(K)
    sign0 = np.where(g0 < 0.0, -1.0, 1.0)
    with np.errstate(over="ignore"):
        e = np.exp(-2.0 * K)
        psi0 = np.where(g0 < 0.0, 2.0 * np.log1p(e), 2.0 * K + 2.0 * _log2sinh(K))
        psi0_1 = np.where(g0 < 0.0, -2.0 * (1.0 - np.tanh(K)), 2.0 + 2.0 / np.tanh(K))
        psi0_2 = np.where(g0 < 0.0, 2.0 / np.cosh(K) ** 2, -2.0 * _inv_sinh_squared(K))
    # psi0' + 2 cosh(2K) = 2 tanh K + 4 sinh^2 K exactly, above T_c.
    psi0_1 = np.where(high & (g0 < 0.0), 2.0 * np.tanh(K) + 4.0 * np.sinh(K) ** 2,
                      psi0_1 + shift)
    g0_1 = sign0 * (2.0 + 2.0 / s)
    g0_2 = sign0 * (-4.0 * ch / s2)
    curv0 = np.where(high, _curvature(psi0_1 - shift, psi0_2, ch / s), g0_1**2 - g0_2)

    def join(first, rest):
        return np.concatenate([first, rest], axis=1)

    return {
        "gamma": join(np.abs(g0), gamma),
        "gamma1": join(g0_1, gamma1),
        "psi": join(psi0, psi),
        "psi1": join(psi0_1, psi1),
        "psi2": join(psi0_2, psi2),
        "curv": join(curv0, curv),
        "sign0": sign0[:, 0],
        "shift": shift,
    }


def _curvature(dpsi, d2psi, ch_over_s):
    """gamma'^2 - gamma'' from psi = |gamma| + L, L = ln(2 sinh 2K), above T_c.

    Both terms are of order 1/K^2 there; with L'^2 + L'' = 4 exactly, the
    difference is ``psi'^2 - 2 psi' L' - psi'' + 4``, free of that cancellation.
    """
    return dpsi**2 - 4.0 * dpsi * ch_over_s - d2psi + 4.0


def _log_factors(modes, m, kind, columns):
    """ln of prod over modes of (2 sinh 2K)^(m/2) 2cosh(m gamma/2) (or 2sinh).

    Returns the log, its K-derivative A (still carrying the ``psi1`` shift)
    and its second derivative B, summed over ``columns``.
    Each factor is ``e^{m psi / 2} (1 +- w)`` with ``w = e^{-m |gamma|}``.
    """
    g, g1, curv = (modes[key][:, columns] for key in ("gamma", "gamma1", "curv"))
    psi, psi1, psi2 = (modes[key][:, columns] for key in ("psi", "psi1", "psi2"))
    w = np.exp(-m * g)
    # (ln(1 +- w))'' = -+ m r (m g'^2 - g'') - (m g' r)^2, with r = w / (1 +- w);
    # m g'^2 - g'' = (m - 1) g'^2 + curv keeps m = 1 exact at high T.
    if kind == "cosh":
        log_f = 0.5 * m * psi + np.log1p(w)
        r = w / (1.0 + w)
        sign = 1.0
    else:
        log_f = 0.5 * m * psi + np.log(-np.expm1(-m * g))
        r = w / (1.0 - w)
        sign = -1.0
    d1 = 0.5 * m * psi1 - sign * m * g1 * r
    d2 = 0.5 * m * psi2 + sign * m * r * ((m - 1) * g1**2 + curv) - (m * g1 * r) ** 2
    return log_f.sum(axis=-1), d1.sum(axis=-1), d2.sum(axis=-1)


def _kaufman(lattice_shape, temperature):
    """ln Z and its first two K-derivatives for the periodic M x N lattice.

    Kaufman (1949), in the form of Ferdinand & Fisher (1969):
    ``Z = (1/2) (2 sinh 2K)^(MN/2) (Z1 + Z2 + Z3 + Z4)`` with
    ``Z1, Z2 = prod_r 2cosh, 2sinh (M gamma_{2r+1} / 2)`` and
    ``Z3, Z4 = prod_r 2cosh, 2sinh (M gamma_{2r} / 2)``, r = 0 .. N-1. Each
    ``Z_i`` (prefactor included) is carried as a log and the sum is formed
    relative to the largest, because the products overflow for L of a few
    dozen. Z4 changes sign with gamma_0 at T_c, so its gamma_0 factor is written
    ``2cosh(M gamma_0 / 2) tanh(M gamma_0 / 2)``, finite and smooth through 0.
    Returns ``(T, scalar, n_sites, ln Z, d lnZ/dK, d2 lnZ/dK2)``.
    """
    m, n = _check_2d_shape(lattice_shape)
    T, scalar = _check_temperature(temperature)
    N = m * n
    K_all = 1.0 / T.ravel()
    ground = K_all > _GROUND_STATE_COUPLING
    hot = K_all < _INFINITE_TEMPERATURE_COUPLING
    K = np.where(ground | hot, 1.0, K_all)  # any harmless value; overwritten at the end

    modes = _modes(K, m, n)
    odd, even, rest = slice(1, None, 2), slice(0, None, 2), slice(2, None, 2)
    ln1, A1, B1 = _log_factors(modes, m, "cosh", odd)
    ln2, A2, B2 = _log_factors(modes, m, "sinh", odd)
    ln3, A3, B3 = _log_factors(modes, m, "cosh", even)
    lnp, a4, b4 = _log_factors(modes, m, "sinh", rest)
    ln0, a0, b0 = _log_factors(modes, m, "cosh", slice(0, 1))
    # Undo the psi1 shift: sum of k_l over the odd (even) modes is 0 for n >= 2.
    shift = 0.5 * m * modes["shift"][:, 0]
    k_odd, k_even = (-1.0, 1.0) if n == 1 else (0.0, 0.0)
    A1, A2 = A1 - shift * k_odd, A2 - shift * k_odd
    A3 = A3 - shift * k_even
    A4 = a0 + a4 - shift * k_even
    B4 = b0 + b4

    scale = np.maximum(ln1, ln3)  # Z1 >= Z2 and Z3 >= |Z4|
    z = [np.exp(ln - scale) for ln in (ln1, ln2, ln3)]
    A, B = [A1, A2, A3], [B1, B2, B3]
    # Z4 = e4 * tanh(M gamma_0 / 2), gamma_0 signed.
    e4 = np.exp(ln0 + lnp - scale)
    sign0 = modes["sign0"]
    y0 = 0.5 * m * sign0 * modes["gamma"][:, 0]
    g0_1 = modes["gamma1"][:, 0]  # d|gamma_0|/dK
    tau = np.tanh(y0)
    # Not 1 - tau^2: above T_c tau rounds to -1 while tau' is as large as the energy.
    w0 = np.exp(-2.0 * np.abs(y0))
    sech2 = 4.0 * w0 / (1.0 + w0) ** 2
    rho = 2.0 * w0 / (1.0 + w0)  # 1 - |tau|
    tau1 = sech2 * 0.5 * m * sign0 * g0_1
    # tau'' = sech^2 (y'' - 2 tau y'^2), rearranged so that the O(1/K^2) parts of
    # y'' and y'^2 cancel analytically (through curv) when M = 1.
    tau2 = -sign0 * sech2 * (
        0.5 * m * modes["curv"][:, 0] + 0.5 * m * (m - 1 - m * rho) * g0_1**2
    )
    z4 = e4 * tau

    total = z[0] + z[1] + z[2] + z4
    mean_A = (sum(zi * Ai for zi, Ai in zip(z, A)) + e4 * (A4 * tau + tau1)) / total
    # Second derivative as sum_i z_i [B_i + (A_i - mean)^2]: no N^2 cancellation.
    spread = sum(zi * (Bi + (Ai - mean_A) ** 2) for zi, Ai, Bi in zip(z, A, B))
    alpha = A4 - mean_A
    spread4 = e4 * ((alpha**2 + B4) * tau + 2.0 * alpha * tau1 + tau2)

    log_z = np.log(0.5) + scale + np.log(total)
    d1 = mean_A
    d2 = (spread + spread4) / total

    # Ground state: Z = 2 e^{2NK}, corrections below e^{-4K} (e^{-8K} if no side is 1).
    log_z = np.where(ground, math.log(2.0) + 2.0 * N * K_all, log_z)
    d1 = np.where(ground, 2.0 * N, d1)
    d2 = np.where(ground, 0.0, d2)
    # Infinite temperature: first two cumulants of -H over uniform spins. A side
    # of 1 gives N self-bonds (constant +1 each), a side of 2 N/2 doubled bonds.
    mean_h = N * sum(side == 1 for side in (m, n))
    var_h = sum(0 if side == 1 else (2 * N if side == 2 else N) for side in (m, n))
    K_hot = np.where(hot, K_all, 0.0)  # the other entries would overflow K^2 for nothing
    log_z = np.where(hot, N * math.log(2.0) + K_hot * mean_h + 0.5 * K_hot**2 * var_h, log_z)
    d1 = np.where(hot, mean_h + K_hot * var_h, d1)
    d2 = np.where(hot, var_h, d2)
    shape = T.shape
    return T, scalar, N, log_z.reshape(shape), d1.reshape(shape), d2.reshape(shape)


def finite_lattice_log_partition(lattice_shape, temperature):
    """Exact ln Z of the periodic ``M x N`` square lattice (Kaufman 1949).

    Evaluated in log space, so any lattice size works (the partition function
    itself overflows beyond a few dozen sites a side). Valid for every
    ``M, N >= 1``, odd sides included (checked against enumeration); a side of
    1 couples each site to itself, a side of 2 doubles its bonds, as in
    :class:`skrg.lattice.Lattice`.

    Parameters
    ----------
    lattice_shape : int or (int, int)
        ``L`` means an ``L x L`` lattice (unlike :class:`skrg.lattice.Lattice`,
        where an int is a chain: this function is for the square lattice only).
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    log_partition : float or ndarray
        ``ln Z``, same shape as ``temperature``.

    Raises
    ------
    ValueError
        If the shape is not two positive sides, or a temperature is not
        positive and finite.

    Examples
    --------
    >>> import math
    >>> from skrg.ising.exact import finite_lattice_log_partition
    >>> round(finite_lattice_log_partition(2, 1.0), 10)       # 2 e^8 + 12 + 2 e^-8
    8.6951580457
    >>> round(math.log(2 * math.exp(8) + 12 + 2 * math.exp(-8)), 10)
    8.6951580457
    """
    T, scalar, _, log_z, _, _ = _kaufman(lattice_shape, temperature)
    return _output(log_z, scalar)


def finite_lattice_energy(lattice_shape, temperature):
    """Exact energy per site ``<E> / N`` of the periodic ``M x N`` square lattice.

    ``-(1/N) d ln Z / dK`` from an analytic derivative of Kaufman's formula,
    arranged so that no large terms cancel: the relative error is ~1e-14 at
    every temperature, from the ground state (``-2``) to ``T = 1e300``
    (``-2 tanh K``), checked against enumeration, series and finite
    differences.

    Parameters
    ----------
    lattice_shape : int or (int, int)
        ``L`` means an ``L x L`` lattice.
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    energy : float or ndarray
        Energy per site, same shape as ``temperature``.

    Raises
    ------
    ValueError
        If the shape is not two positive sides, or a temperature is not
        positive and finite.

    Examples
    --------
    >>> from skrg.ising.exact import finite_lattice_energy, onsager_energy
    >>> round(finite_lattice_energy(64, 3.0), 8) == round(onsager_energy(3.0), 8)
    True
    >>> finite_lattice_energy((4, 4), [1.0, 2.5])
    array([-1.99715844, -1.37911648])
    """
    T, scalar, N, _, d1, _ = _kaufman(lattice_shape, temperature)
    return _output(-d1 / N, scalar)


def finite_lattice_specific_heat(lattice_shape, temperature):
    """Exact specific heat per site of the periodic ``M x N`` square lattice.

    ``c = (K^2 / N) d^2 ln Z / dK^2 = N (<u^2> - <u>^2) / T^2``, from an analytic
    second derivative of Kaufman's formula written as a weighted variance, so
    it keeps its accuracy on large lattices and at high temperature. The
    absolute error is below ~1e-15; deep in the ordered phase (``T < 0.4``,
    where ``c < 1e-7`` and falls as ``e^{-8/T}``) the relative error grows,
    because the mode sums cancel there.

    Parameters
    ----------
    lattice_shape : int or (int, int)
        ``L`` means an ``L x L`` lattice.
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    specific_heat : float or ndarray
        Specific heat per site, same shape as ``temperature``.

    Raises
    ------
    ValueError
        If the shape is not two positive sides, or a temperature is not
        positive and finite.

    Examples
    --------
    >>> from skrg.ising.exact import critical_temperature, finite_lattice_specific_heat
    >>> [round(finite_lattice_specific_heat(L, critical_temperature(2)), 4) for L in (16, 32)]
    [1.4987, 1.8468]
    """
    T, scalar, N, _, _, d2 = _kaufman(lattice_shape, temperature)
    # A variance: rounding can leave it a hair below zero deep in the ordered phase.
    # Divided by T twice, not by T^2: T^2 underflows to 0 for T < 1e-154 (c = 0/0).
    return _output(np.maximum(d2, 0.0) / N / T / T, scalar)


# ------------------------------------------------------------------------ 1D chain


def chain_partition_function(coupling, n_sites, *, log=False):
    """Partition function of the periodic Ising chain, ``(2 cosh K)^N + (2 sinh K)^N``.

    Parameters
    ----------
    coupling : float or array-like
        Coupling ``K = 1/T >= 0`` (not the temperature).
    n_sites : int
        Number of sites ``N >= 1``.
    log : bool, default=False
        Return ``ln Z``, computed as ``N ln(2 cosh K) + ln(1 + tanh(K)^N)``, which
        never overflows. ``Z`` itself overflows to ``inf`` for large ``N``.

    Returns
    -------
    partition : float or ndarray
        ``Z`` (or ``ln Z``), same shape as ``coupling``.

    Raises
    ------
    ValueError
        If ``coupling`` is negative or not finite, or ``n_sites < 1``.

    Examples
    --------
    >>> from skrg.ising.exact import chain_partition_function
    >>> chain_partition_function(0.0, 4)
    16.0
    >>> round(chain_partition_function(1.0, 1000, log=True), 6)
    1126.928011
    """
    K, scalar = _check_coupling(coupling)
    N = _check_positive_int(n_sites, "n_sites")
    log_z = N * _log2cosh(K) + np.log1p(np.tanh(K) ** N)
    if log:
        return _output(log_z, scalar)
    with np.errstate(over="ignore"):
        # The direct sum is exact for small values (Z = 2^N at K = 0); exp(ln Z) is not.
        z = (2.0 * np.cosh(K)) ** N + (2.0 * np.sinh(K)) ** N
        z = np.where(np.isfinite(z), z, np.exp(log_z))
    return _output(z, scalar)


def chain_correlation(coupling, r, n_sites=None):
    """Spin correlation ``<s_0 s_r>`` of the periodic Ising chain.

    ``(t^r + t^(N-r)) / (1 + t^N)`` with ``t = tanh K``; ``t^r`` for the
    infinite chain.

    Parameters
    ----------
    coupling : float or array-like
        Coupling ``K = 1/T >= 0`` (not the temperature).
    r : int or array-like of int
        Distances, ``0 <= r <= n_sites``; broadcast against ``coupling``.
    n_sites : int or None, default=None
        Number of sites; None means the infinite chain.

    Returns
    -------
    correlation : float or ndarray

    Raises
    ------
    ValueError
        If ``coupling`` is negative or not finite, ``n_sites < 1``, or a
        distance is negative, not an integer or larger than ``n_sites``.

    Examples
    --------
    >>> from skrg.ising.exact import chain_correlation
    >>> round(chain_correlation(0.5, 2), 10)                # tanh(0.5)^2
    0.213552267
    >>> chain_correlation(0.5, [0, 1, 2, 3, 4], n_sites=4)
    array([1.        , 0.5363436 , 0.40847615, 0.5363436 , 1.        ])
    """
    K, scalar_k = _check_coupling(coupling)
    r_arr = np.asarray(r)
    if r_arr.dtype.kind not in "iu" or (r_arr < 0).any():
        raise ValueError(f"r must be non-negative integers, got r={r!r}.")
    t = np.tanh(K)
    if n_sites is None:
        corr = t**r_arr
    else:
        N = _check_positive_int(n_sites, "n_sites")
        if (r_arr > N).any():
            raise ValueError(f"r must be at most n_sites={N}, got r={r!r}.")
        corr = (t**r_arr + t ** (N - r_arr)) / (1.0 + t**N)
    return _output(corr, scalar_k and r_arr.ndim == 0)


def chain_energy(coupling, n_sites=None):
    """Energy per site of the periodic Ising chain, ``-<s_0 s_1>``.

    ``-(t + t^(N-1)) / (1 + t^N)`` with ``t = tanh K``; ``-t`` for the infinite
    chain.

    Parameters
    ----------
    coupling : float or array-like
        Coupling ``K = 1/T >= 0`` (not the temperature).
    n_sites : int or None, default=None
        Number of sites; None means the infinite chain.

    Returns
    -------
    energy : float or ndarray
        Same shape as ``coupling``.

    Raises
    ------
    ValueError
        If ``coupling`` is negative or not finite, or ``n_sites < 1``.

    Examples
    --------
    >>> from skrg.ising.exact import chain_energy
    >>> round(chain_energy(1.0), 10)                        # -tanh(1)
    -0.761594156
    >>> chain_energy(0.0, n_sites=1)                        # a site bonded to itself
    -1.0
    """
    return -chain_correlation(coupling, 1, n_sites)


def chain_correlation_length(coupling):
    """Correlation length of the infinite Ising chain, ``-1 / ln tanh K``.

    Parameters
    ----------
    coupling : float or array-like
        Coupling ``K = 1/T >= 0`` (not the temperature); ``K = 0`` gives 0.

    Returns
    -------
    length : float or ndarray
        In lattice spacings, same shape as ``coupling``. Grows as
        ``e^{2K} / 2`` at large ``K``.

    Raises
    ------
    ValueError
        If ``coupling`` is negative or not finite.

    Examples
    --------
    >>> from skrg.ising.exact import chain_correlation_length
    >>> round(chain_correlation_length(1.0), 10)
    3.6718609325
    >>> chain_correlation_length([0.0, 20.0])
    array([0.00000000e+00, 1.17692633e+17])
    """
    K, scalar = _check_coupling(coupling)
    with np.errstate(divide="ignore"):
        xi = -1.0 / _log_tanh(K)
    return _output(xi, scalar)


def decimation_coupling(coupling, b=2):
    """Coupling after decimating the 1D chain by a factor ``b``: ``tanh K' = tanh(K)^b``.

    For ``b = 2`` this is ``K' = ln(cosh 2K) / 2``. Fixed points ``K* = 0``
    (stable) and ``K* = inf`` (unstable); every finite ``K`` flows to 0. Written
    in ``e^{-2K}`` so that large couplings keep their precision
    (``K' ~ K - ln(b) / 2``) instead of rounding ``tanh K`` to 1.

    Parameters
    ----------
    coupling : float or array-like
        Coupling ``K >= 0`` (``inf`` allowed, the zero-temperature fixed point).
    b : int, default=2
        Scale factor, a positive integer (``b = 1`` is the identity).

    Returns
    -------
    coupling : float or ndarray
        ``K'``, same shape as ``coupling``.

    Raises
    ------
    ValueError
        If ``coupling`` is negative or NaN, or ``b`` is not a positive integer.

    Examples
    --------
    >>> import math
    >>> from skrg.ising.exact import decimation_coupling
    >>> round(decimation_coupling(1.0), 10), round(0.5 * math.log(math.cosh(2.0)), 10)
    (0.6625013737, 0.6625013737)
    >>> decimation_coupling([0.0, 30.0, math.inf], b=4)
    array([ 0.        , 29.30685282,         inf])
    """
    K, scalar = _check_coupling(coupling, allow_inf=True)
    b = _check_positive_int(b, "b")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = b * _log_tanh(K)  # x = tanh K' = tanh(K)^b
        # artanh(x) = log1p(2x / (1 - x)) / 2, with 1 - x exact near x = 1.
        new = 0.5 * np.log1p(2.0 * np.exp(log_x) / -np.expm1(log_x))
    # e^{-2K'} = b e^{-2K} (1 + O(e^{-4K})): exact in double precision above K = 20.
    new = np.where(K > 20.0, K - 0.5 * math.log(b), new)
    return _output(new, scalar)


# ---------------------------------------------------------------------- enumeration


@lru_cache(maxsize=16)
def _density_of_states(shape):
    """Joint g(E, M) of a small lattice as read-only (energies, magnetizations, counts)."""
    lattice = Lattice(shape)
    N, ndim = lattice.n_sites, lattice.ndim
    if N > MAX_ENUMERATION_SITES:
        raise ValueError(
            f"Enumeration visits all 2^N states; lattice_shape={shape} has N={N} "
            f"sites (2^{N} states), more than the limit N <= {MAX_ENUMERATION_SITES} "
            f"(2^{MAX_ENUMERATION_SITES} states take about a second). Use "
            f"finite_lattice_* (Kaufman, any 2D size) or Monte Carlo instead."
        )
    bonds = lattice.neighbours()[:, :ndim]
    pairs = [(i, int(j)) for i in range(N) for j in bonds[i]]
    n_bonds = len(pairs)
    # Spin i is -1 when bit i is set. Only states with the last spin up are
    # visited; the global flip (M -> -M, same E) gives the other half.
    n_half = 1 << (N - 1)
    hist = np.zeros((n_bonds + 1) * (N + 1), dtype=np.int64)
    for start in range(0, n_half, _ENUMERATION_CHUNK):
        states = np.arange(start, min(start + _ENUMERATION_CHUNK, n_half), dtype=np.uint32)
        broken = np.zeros(states.size, dtype=np.int64)
        for i, j in pairs:
            broken += ((states >> i) ^ (states >> j)) & 1
        n_down = np.bitwise_count(states).astype(np.int64)
        hist += np.bincount(broken * (N + 1) + n_down, minlength=hist.size)
    hist = hist.reshape(n_bonds + 1, N + 1)
    hist = hist + hist[:, ::-1]  # n_down -> N - n_down is the global flip
    broken, n_down = np.nonzero(hist)
    energies = (2 * broken - n_bonds).astype(np.int64)
    magnetizations = (N - 2 * n_down).astype(np.int64)
    order = np.lexsort((magnetizations, energies))
    out = energies[order], magnetizations[order], hist[broken, n_down][order]
    for array in out:
        array.setflags(write=False)
    return out


def enumerate_density_of_states(lattice_shape):
    """Joint density of states ``g(E, M)`` of a small periodic lattice, by enumeration.

    Visits all ``2^N`` states (vectorised over chunks of states, using the
    global spin-flip symmetry to visit half of them). Bonds are those of
    ``skrg.lattice.Lattice(lattice_shape).neighbours()[:, :ndim]``, so
    ``E = -sum_i sum_axis s_i s_{i+e_axis}`` as everywhere in skrg.

    Parameters
    ----------
    lattice_shape : int or sequence of int
        Sides, as for :class:`skrg.lattice.Lattice`: an int is a chain, a
        pair a 2D lattice, a triple a 3D lattice. At most 24 sites.

    Returns
    -------
    energies : ndarray of int64
        Total energy ``E`` of each populated ``(E, M)`` pair.
    magnetizations : ndarray of int64
        Total magnetization ``M``.
    counts : ndarray of int64
        Number of states with that ``(E, M)``; sums to ``2^N``. Sorted by
        ``E`` then ``M``.

    Raises
    ------
    ValueError
        If the lattice has more than 24 sites, or the shape is invalid.

    Examples
    --------
    >>> from skrg.ising.exact import enumerate_density_of_states
    >>> E, M, g = enumerate_density_of_states((2, 2))
    >>> E          # a side of 2 doubles every bond: one flipped spin breaks 4
    array([-8, -8,  0,  0,  0,  8])
    >>> M
    array([-4,  4, -2,  0,  2,  0])
    >>> g
    array([1, 1, 4, 4, 4, 2])
    """
    shape = check_lattice_shape(lattice_shape)
    return tuple(array.copy() for array in _density_of_states(shape))


def _log_weights(shape, temperature):
    """Boltzmann log-weights ln g - E/T, normalised, for each temperature (rows)."""
    E, M, g = _density_of_states(check_lattice_shape(shape))
    T, scalar = _check_temperature(temperature)
    log_w = np.log(g) - E / T.reshape(-1, 1)
    # Largest first: at T ~ 1e-300 the log-weights are ~1e300 and logsumexp's
    # ln(degeneracy) would vanish in their rounding (two ground states, each P = 1).
    log_w -= log_w.max(axis=1, keepdims=True)
    log_w -= logsumexp(log_w, axis=1, keepdims=True)
    return E, M, T, scalar, log_w


def exact_probabilities(lattice_shape, temperature):
    """Exact joint distribution ``P(E, M)`` of a small lattice at temperature ``T``.

    Parameters
    ----------
    lattice_shape : int or sequence of int
        As for :func:`enumerate_density_of_states` (an int is a chain).
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    energies, magnetizations : ndarray of int64
        The populated ``(E, M)`` pairs (totals, not per site).
    probabilities : ndarray of float
        Shape ``(n_pairs,)`` for a scalar temperature, else
        ``temperature.shape + (n_pairs,)``. Each row sums to 1.

    Raises
    ------
    ValueError
        On more than 24 sites or a temperature that is not positive and finite.

    Examples
    --------
    >>> from skrg.ising.exact import exact_probabilities
    >>> E, M, p = exact_probabilities(3, 1e6)       # a 3-site chain, nearly random
    >>> E, M
    (array([-3, -3,  1,  1]), array([-3,  3, -1,  1]))
    >>> p.round(6)
    array([0.125, 0.125, 0.375, 0.375])
    """
    E, M, T, scalar, log_w = _log_weights(lattice_shape, temperature)
    p = np.exp(log_w)
    p = p[0] if scalar else p.reshape(T.shape + (E.size,))
    return E.copy(), M.copy(), p


def exact_observables(lattice_shape, temperature):
    """Exact thermal averages of a small lattice, by enumeration.

    With ``u = E / N`` and ``m = M / N`` per site.

    Parameters
    ----------
    lattice_shape : int or sequence of int
        As for :func:`enumerate_density_of_states` (an int is a chain).
    temperature : float or array-like
        Temperatures ``T > 0``.

    Returns
    -------
    observables : dict of str to float or ndarray
        ``"energy"`` ``<u>``, ``"energy_squared"`` ``<u^2>``,
        ``"abs_magnetization"`` ``<|m|>``, ``"magnetization_squared"``
        ``<m^2>``, ``"magnetization_fourth"`` ``<m^4>``, ``"specific_heat"``
        ``N (<u^2> - <u>^2) / T^2``, ``"susceptibility"``
        ``N (<m^2> - <|m|>^2) / T`` and ``"binder_cumulant"``
        ``1 - <m^4> / (3 <m^2>^2)``. Each has the shape of ``temperature``.

    Raises
    ------
    ValueError
        On more than 24 sites or a temperature that is not positive and finite.

    Examples
    --------
    >>> from skrg.ising.exact import exact_observables
    >>> obs = exact_observables((4, 4), 1.0)
    >>> round(obs["energy"], 6), round(obs["abs_magnetization"], 6)
    (-1.997158, 0.999275)
    >>> round(exact_observables((4, 4), 1e9)["binder_cumulant"], 6)   # 1 - (3 - 2/N)/3
    0.041667
    """
    E, M, T, scalar, log_w = _log_weights(lattice_shape, temperature)
    w = np.exp(log_w)
    N = math.prod(check_lattice_shape(lattice_shape))
    u, m = E / N, M / N
    mean_u = w @ u
    mean_abs_m = w @ np.abs(m)
    T_flat = T.reshape(-1)
    # Central moments directly: <u^2> - <u>^2 would cancel at low T.
    var_u = (w * (u - mean_u[:, None]) ** 2).sum(axis=1)
    var_abs_m = (w * (np.abs(m) - mean_abs_m[:, None]) ** 2).sum(axis=1)
    m2, m4 = w @ m**2, w @ m**4
    result = {
        "energy": mean_u,
        "energy_squared": w @ u**2,
        "abs_magnetization": mean_abs_m,
        "magnetization_squared": m2,
        "magnetization_fourth": m4,
        "specific_heat": N * var_u / T_flat / T_flat,
        "susceptibility": N * var_abs_m / T_flat,
        "binder_cumulant": 1.0 - m4 / (3.0 * m2**2),
    }
    return {key: _output(value[0] if scalar else value.reshape(T.shape), scalar)
            for key, value in result.items()}
