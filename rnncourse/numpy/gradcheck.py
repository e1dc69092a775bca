r"""Numerical gradient checking by central differences.

For a scalar function :math:`f` of an array :math:`x`,

.. math::

    \frac{\partial f}{\partial x_k} \approx \frac{f(x + \epsilon e_k) - f(x - \epsilon e_k)}{2 \epsilon},

with an error of order :math:`\epsilon^2` (truncation) plus :math:`u |f| / \epsilon` (rounding,
:math:`u \approx 10^{-16}` in float64). With :math:`\epsilon = 10^{-6}` a correct analytic
gradient agrees to about :math:`10^{-9}` relative error; a bug shows up as :math:`10^{-2}` or
worse. Always check in float64: in float32 rounding dominates.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "gradcheck"]


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    .. math::

        g_k = \frac{f(x + \epsilon e_k) - f(x - \epsilon e_k)}{2 \epsilon}.

    Parameters
    ----------
    f : callable
        Takes no argument and returns a scalar; it must read ``x`` (which is perturbed in
        place, one element at a time, and restored exactly afterwards).
    x : ndarray, any shape, floating dtype
        The array to differentiate with respect to.
    eps : float
        Step :math:`\epsilon`.

    Returns
    -------
    ndarray, same shape as ``x``, float64
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"x must be a floating-point numpy array (perturbed in place), got {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else ""))
    grad = np.zeros(x.shape, np.float64)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + eps
        f_plus = float(f())
        x[k] = old - eps
        f_minus = float(f())
        x[k] = old  # restore exactly
        grad[k] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def rel_error(a, b) -> float:
    r"""Relative error of two arrays, :math:`\max_k |a_k - b_k| / \max(\max_k (|a_k| + |b_k|), \text{tiny})`.

    Scaling by the largest entry (not entry by entry) keeps tiny gradient entries, whose
    numerical estimate is dominated by rounding, from inflating the error.

    Parameters
    ----------
    a, b : array-like, same shape

    Returns
    -------
    float
        0 for identical arrays; about 1e-9 or less for a correct gradient in float64.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a) + np.abs(b))), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b)) / scale)


def gradcheck(f, params: dict, grads: dict, eps: float = 1e-6, *,
              allow_low_precision: bool | None = None) -> dict:
    r"""Compare analytic gradients with central differences, parameter by parameter.

    Check in float64. Central differences have a truncation error of order :math:`\epsilon^2`
    and a rounding error of order :math:`u |f| / \epsilon`, :math:`u` the unit roundoff. In
    float64 (:math:`u \approx 10^{-16}`) with :math:`\epsilon = 10^{-6}` both are tiny and a
    correct gradient agrees to about :math:`10^{-9}`. In float32 (:math:`u \approx 6 \cdot
    10^{-8}`) the rounding term is about :math:`10^{-1}` relative: the difference
    :math:`f(x + \epsilon) - f(x - \epsilon)` cancels about 6 to 7 significant digits, nearly all
    of float32's 7 (and :math:`x \pm \epsilon` itself rounds, for :math:`|x| \approx 1` to a
    step off by several percent), so an exact gradient can show :math:`10^{-2}` or worse and a
    real bug hides in the noise; no :math:`\epsilon` brings it near float64's
    :math:`10^{-9}` (the best trade-off, :math:`\epsilon \approx u^{1/3} \approx 4 \cdot 10^{-3}`,
    still leaves about :math:`10^{-5}`). So, like ``torch.autograd.gradcheck``, a floating
    parameter below float64 warns by default.

    Parameters
    ----------
    f : callable
        ``f()`` returns the scalar loss, reading the arrays in ``params`` (which are
        perturbed in place and restored).
    params : dict of str to ndarray
        The arrays to check (float64; see above).
    grads : dict of str to ndarray
        The analytic gradients, same keys and shapes (a subset of ``params`` is allowed).
    eps : float
        Step :math:`\epsilon` of :func:`numerical_gradient`.
    allow_low_precision : bool or None, keyword-only
        What to do when an array in ``params`` is floating-point below float64 (float32,
        float16): None (default) warns (``UserWarning`` naming the parameter and its dtype),
        True allows it silently, False raises ``ValueError`` naming the parameter.

    Returns
    -------
    dict of str to float
        :func:`rel_error` for each name in ``grads``.
    """
    missing = [k for k in grads if k not in params]
    if missing:
        raise ValueError(f"grads has names that params lacks: {missing}")
    if allow_low_precision not in (None, True, False):
        raise TypeError(f"allow_low_precision must be None, True or False, got {allow_low_precision!r}")
    if allow_low_precision is not True:
        lost_digits = max(0, round(-math.log10(eps))) if eps > 0 else "all"  # |x| ~ 1: 6 for 1e-6
        for name, p in params.items():
            dtype = getattr(p, "dtype", None)
            if not isinstance(dtype, np.dtype) or dtype.kind != "f" or dtype.itemsize >= 8:
                continue
            digits = round((np.finfo(dtype).nmant + 1) * math.log10(2))  # 7 for float32
            message = (f"params[{name!r}] has dtype {dtype}, below float64: central differences "
                       f"with eps={eps:g} lose about {lost_digits} significant digits, and {dtype} "
                       f"has only about {digits}, so even an exact gradient can show a relative "
                       "error of 1e-2 or worse; check in float64")
            if allow_low_precision is False:
                raise ValueError(message + " (or pass allow_low_precision=True)")
            warnings.warn(message + " (allow_low_precision=True silences this warning)",
                          UserWarning, stacklevel=2)
    errors = {}
    for name, g in grads.items():
        p = params[name]
        if np.shape(g) != np.shape(p):
            raise ValueError(f"grads[{name!r}] must have shape {np.shape(p)} like params[{name!r}], got {np.shape(g)}")
        errors[name] = rel_error(numerical_gradient(f, p, eps), g)
    return errors
