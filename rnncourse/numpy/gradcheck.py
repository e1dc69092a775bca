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


def gradcheck(f, params: dict, grads: dict, eps: float = 1e-6) -> dict:
    """Compare analytic gradients with central differences, parameter by parameter.

    Parameters
    ----------
    f : callable
        ``f()`` returns the scalar loss, reading the arrays in ``params`` (which are
        perturbed in place and restored).
    params : dict of str to ndarray
        The arrays to check (float64 recommended).
    grads : dict of str to ndarray
        The analytic gradients, same keys and shapes (a subset of ``params`` is allowed).

    Returns
    -------
    dict of str to float
        :func:`rel_error` for each name in ``grads``.
    """
    missing = [k for k in grads if k not in params]
    if missing:
        raise ValueError(f"grads has names that params lacks: {missing}")
    errors = {}
    for name, g in grads.items():
        p = params[name]
        if np.shape(g) != np.shape(p):
            raise ValueError(f"grads[{name!r}] must have shape {np.shape(p)} like params[{name!r}], got {np.shape(g)}")
        errors[name] = rel_error(numerical_gradient(f, p, eps), g)
    return errors
