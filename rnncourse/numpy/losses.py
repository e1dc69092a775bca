r"""Softmax, cross-entropy and mean squared error, each with its gradient.

Softmax is computed after subtracting the largest logit, which changes nothing
mathematically (:math:`\mathrm{softmax}(z) = \mathrm{softmax}(z - c)`) and keeps ``exp``
from overflowing, so logits of size :math:`10^4` are fine.
"""

from __future__ import annotations

import numpy as np

from ._check import as_float_array

__all__ = ["softmax", "log_softmax", "softmax_cross_entropy", "mse_loss"]


def log_softmax(z, axis=-1):
    r"""Log of the softmax, :math:`z_k - \max z - \log \sum_j e^{z_j - \max z}`, stable for large logits.

    Parameters
    ----------
    z : array-like, any shape
    axis : int
        Axis of the classes.

    Returns
    -------
    ndarray, same shape as ``z``
    """
    z = as_float_array("z", z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z, axis=-1):
    r"""Softmax, :math:`p_k = e^{z_k} / \sum_j e^{z_j}`, computed stably.

    Parameters
    ----------
    z : array-like, any shape
    axis : int
        Axis of the classes.

    Returns
    -------
    ndarray, same shape as ``z``; sums to 1 along ``axis``.
    """
    z = as_float_array("z", z)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _check_mask(mask, shape, what):
    """``mask`` as a bool array of ``shape`` (None stays None). A mask selects, it never weighs:
    0/1 numbers are accepted, other numbers refused."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype.kind not in "biuf":
        raise TypeError(f"mask must be boolean or 0/1 numbers, got dtype {m.dtype}")
    if m.shape != tuple(shape):
        raise ValueError(f"mask must have shape {tuple(shape)} ({what}), got {m.shape}")
    if m.dtype.kind != "b" and not np.isin(m, (0, 1)).all():
        raise ValueError("mask must hold only True/False or 0/1 (True on the positions that count)")
    return m.astype(bool, copy=False)


def softmax_cross_entropy(logits, targets, mask=None):
    r"""Mean cross-entropy of softmax predictions, and its gradient with respect to the logits.

    .. math::

        L = \frac{1}{N} \sum_{(t, b) \in \text{mask}} -\log \mathrm{softmax}(z_{t,b})_{y_{t,b}},
        \qquad
        \frac{\partial L}{\partial z_{t,b}} = \frac{1}{N} (\mathrm{softmax}(z_{t,b}) - \mathrm{onehot}(y_{t,b})),

    with :math:`N` the number of unmasked positions (all T*B without a mask), and zero gradient
    at masked positions. Equals ``torch.nn.functional.cross_entropy`` on the flattened
    positions (with ``ignore_index`` for the masked ones).

    Parameters
    ----------
    logits : array-like, shape (T, B, V) or (N, V) (any leading shape)
        Unnormalised scores z.
    targets : array-like of int, shape (T, B) (the leading shape of logits)
        Classes y in [0, V).
    mask : array-like of bool (or 0/1), shape (T, B), or None
        True (1) on the positions that count. Whatever the logits hold at masked positions
        (even -inf or NaN) changes neither the loss nor the gradient, which is zero there.

    Returns
    -------
    loss : float
        The mean; 0.0 when the mask selects nothing.
    dlogits : ndarray, shape of logits
    """
    z = as_float_array("logits", logits)
    if z.ndim < 1:
        raise ValueError(f"logits must have shape (..., V), got {z.shape}")
    y = np.asarray(targets)
    V = z.shape[-1]
    if y.dtype.kind not in "iu":
        raise TypeError(f"targets must be integers (class ids), got dtype {y.dtype}")
    if y.shape != z.shape[:-1]:
        raise ValueError(f"targets must have shape {z.shape[:-1]} (the shape of logits without its last axis V={V}), "
                         f"got {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= V):
        raise ValueError(f"targets must be in [0, {V}) (V={V}), got min {y.min()} and max {y.max()}")
    m = _check_mask(mask, y.shape, "like targets")  # bool, or None
    if m is not None:
        # Select, never multiply: 0 * inf and 0 * NaN are NaN. Masked rows (e.g. padding with
        # logits -inf or NaN) are replaced by zeros before the softmax, and left out below.
        z = np.where(m[..., None], z, 0.0)
    logp = log_softmax(z, axis=-1)  # (..., V)
    nll = -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]  # (...)
    N = float(y.size if m is None else np.count_nonzero(m))
    if N == 0.0:
        return 0.0, np.zeros_like(z)
    if m is not None:
        nll = np.where(m, nll, 0.0)
    loss = float(nll.sum() / N)
    dz = np.exp(logp)  # softmax (..., V)
    np.put_along_axis(dz, y[..., None], np.take_along_axis(dz, y[..., None], axis=-1) - 1.0, axis=-1)
    dz /= N
    if m is not None:
        dz[~m] = 0.0  # no gradient at masked positions
    return loss, dz


def mse_loss(pred, target, mask=None):
    r"""Mean squared error and its gradient.

    .. math::

        L = \frac{1}{N} \sum_k m_k (\hat y_k - y_k)^2, \qquad
        \frac{\partial L}{\partial \hat y_k} = \frac{2}{N} m_k (\hat y_k - y_k),

    with :math:`N` the number of unmasked elements (all of them without a mask), as
    ``torch.nn.functional.mse_loss`` with reduction ``"mean"``.

    Parameters
    ----------
    pred : array-like, any shape
    target : array-like, same shape as pred
    mask : array-like of bool (or 0/1), or None
        Shape ``pred.shape[:k]`` for some k (e.g. (T, B) for pred (T, B, K)): masks whole
        positions; N counts the unmasked elements. Whatever ``pred`` and ``target`` hold at
        masked positions (even inf or NaN) changes neither the loss nor the gradient, which is
        zero there.

    Returns
    -------
    loss : float
    dpred : ndarray, shape of pred
    """
    p = as_float_array("pred", pred)
    t = as_float_array("target", target)
    if p.shape != t.shape:
        raise ValueError(f"target must have the shape of pred {p.shape}, got {t.shape}")
    if mask is None:
        N = float(p.size)
    else:
        m = np.asarray(mask)
        if m.ndim > p.ndim or m.shape != p.shape[: m.ndim]:
            raise ValueError(f"mask must have a leading part of pred's shape {p.shape} (e.g. {p.shape[:2]}), "
                             f"got {m.shape}")
        m = _check_mask(m, m.shape, "")
        keep = m.reshape(m.shape + (1,) * (p.ndim - m.ndim))  # broadcasts over the trailing axes
        # Select, never multiply (0 * inf and 0 * NaN are NaN): masked entries become 0 - 0.
        p, t = np.where(keep, p, 0.0), np.where(keep, t, 0.0)
        N = float(np.count_nonzero(m)) * float(np.prod(p.shape[m.ndim :]))
    if N == 0.0:
        return 0.0, np.zeros_like(p)
    diff = p - t
    return float((diff * diff).sum() / N), (2.0 / N) * diff
