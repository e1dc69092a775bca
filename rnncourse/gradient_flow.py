r"""How gradients travel back through time in a simple RNN (NumPy only).

Lesson 4 measures the two quantities that decide whether a simple RNN can learn long-range
dependencies. For :math:`h_k = \phi(a_k)`, :math:`a_k = W_{hh} h_{k-1} + W_{xh} x_k + b_h`,
the Jacobian of one step is

.. math::

    J_k = \frac{\partial h_k}{\partial h_{k-1}} = \mathrm{diag}\big(\phi'(a_k)\big) W_{hh},
    \qquad \tanh'(a_k) = 1 - h_k^2,

and the sensitivity of the last state to an earlier one is the product

.. math::

    \frac{\partial h_T}{\partial h_t} = J_T J_{T-1} \cdots J_{t+1},
    \qquad \Big\| \frac{\partial h_T}{\partial h_t} \Big\|_2
    \le \prod_{k=t+1}^{T} \|\phi'(a_k)\|_\infty \, \sigma_{\max}(W_{hh})
    \le \sigma_{\max}(W_{hh})^{T - t}.

A loss that reads :math:`h_T` sends back :math:`\partial L / \partial h_t =
(\partial h_T / \partial h_t)^\top \partial L / \partial h_T`.

Functions:

* :func:`hidden_jacobian`: :math:`J_k` for every example of a batch;
* :func:`jacobian_norms`: :math:`\|\partial h_T / \partial h_t\|_2` for every :math:`t`;
* :func:`state_gradient_norms`: :math:`\|\partial L / \partial h_t\|` for every :math:`t`, by
  running :func:`rnncourse.numpy.rnn_step_backward` step after step;
* :func:`decay_factor`: the average factor per step back in time (below 1: vanishing);
* :func:`scaled_orthogonal`: a recurrent matrix whose singular values all equal a given scale.
"""

from __future__ import annotations

import numpy as np

from rnncourse.gates import rnn_state_gradients

__all__ = ["hidden_jacobian", "jacobian_norms", "state_gradient_norms", "decay_factor",
           "scaled_orthogonal"]


def _float_array(name, a, ndim, what):
    if a is None:
        raise TypeError(f"{name} must be an array of shape {what}, got None")
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real-valued array of shape {what}, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have shape {what}, got {arr.shape}")
    return arr.astype(np.float64) if arr.dtype.kind != "f" else arr


def _check_w_hh(W_hh, H):
    W_hh = _float_array("W_hh", W_hh, 2, "(H, H)")
    if W_hh.shape != (H, H):
        raise ValueError(f"W_hh must have shape (H, H) = ({H}, {H}) to match the states, got {W_hh.shape}")
    return W_hh


def _derivative(h, nonlinearity):
    """phi'(a) written with the output h = phi(a): 1 - h^2 for tanh, [h > 0] for ReLU."""
    if nonlinearity == "tanh":
        return 1.0 - h * h
    if nonlinearity == "relu":
        return (h > 0).astype(h.dtype)
    raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def hidden_jacobian(h_next, W_hh, nonlinearity="tanh"):
    r"""Jacobian of one RNN step with respect to the previous state, for each example.

    .. math::

        J = \frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}\big(\phi'(a_t)\big) W_{hh},
        \qquad J_{ij} = \phi'(a_{t,i}) \, (W_{hh})_{ij},

    so row :math:`i` of :math:`W_{hh}` is scaled by the slope of unit :math:`i`. The inputs and
    the bias do not appear: they shift :math:`a_t` but do not depend on :math:`h_{t-1}`.

    Parameters
    ----------
    h_next : ndarray, shape (B, H)
        The new state :math:`h_t = \phi(a_t)`.
    W_hh : ndarray, shape (H, H)
        Hidden-to-hidden weights.
    nonlinearity : {"tanh", "relu"}
        :math:`\phi`; its slope is read off :math:`h_t` (:math:`1 - h_t^2` or
        :math:`[h_t > 0]`).

    Returns
    -------
    J : ndarray, shape (B, H, H)
        ``J[b]`` is :math:`\partial h_t / \partial h_{t-1}` for example ``b``.
    """
    h_next = _float_array("h_next", h_next, 2, "(B, H)")
    W_hh = _check_w_hh(W_hh, h_next.shape[1])
    slope = _derivative(h_next, nonlinearity)  # (B, H)
    return slope[:, :, None] * W_hh[None, :, :]  # (B, H, H)


def jacobian_norms(h, W_hh, nonlinearity="tanh"):
    r"""Spectral norms of :math:`\partial h_T / \partial h_t` for :math:`t = 0, 1, \dots, T`.

    The product is accumulated from the end, one step at a time,

    .. math::

        P_T = I, \qquad P_{t-1} = P_t J_t, \qquad
        P_t = \frac{\partial h_T}{\partial h_t} = J_T \cdots J_{t+1},

    and ``norms[t]`` is its largest singular value :math:`\|P_t\|_2`: the most that a change
    of :math:`h_t` can be amplified by the time it reaches :math:`h_T`.

    Parameters
    ----------
    h : ndarray, shape (T, B, H)
        The states :math:`h_1, \dots, h_T` of a forward pass (as returned by
        :func:`rnncourse.numpy.rnn_forward`). The initial state is not needed: :math:`J_t`
        only reads :math:`h_t`.
    W_hh : ndarray, shape (H, H)
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    norms : ndarray, shape (T + 1, B)
        ``norms[t, b]`` is :math:`\|\partial h_T / \partial h_t\|_2` for example ``b``;
        ``norms[T] = 1`` (the identity).
    """
    h = _float_array("h", h, 3, "(T, B, H)")
    T, B, H = h.shape
    W_hh = _check_w_hh(W_hh, H)
    # P_T = I for every example
    P = np.broadcast_to(np.eye(H), (B, H, H)).copy()  # (B, H, H)
    norms = np.empty((T + 1, B))  # (T + 1, B)
    norms[T] = 1.0
    for t in range(T, 0, -1):  # h[t - 1] holds h_t
        J_t = hidden_jacobian(h[t - 1], W_hh,
                              nonlinearity)  # (B, H, H)
        P = P @ J_t  # (B, H, H): P_{t-1} = P_t J_t
        norms[t - 1] = np.linalg.norm(P, ord=2,
                                      axis=(1, 2))  # (B,)
    return norms


def state_gradient_norms(x, h0, W_xh, W_hh, b_h, dh_T, nonlinearity="tanh"):
    r"""Norms of :math:`\partial L / \partial h_t` for a loss that reads only the last state.

    The norms of :func:`rnncourse.gates.rnn_state_gradients`, which runs
    :func:`rnncourse.numpy.rnn_step_forward` over the sequence, then
    :func:`rnncourse.numpy.rnn_step_backward` from :math:`t = T` down to 1, starting from
    ``dh_T`` :math:`= \partial L / \partial h_T`:

    .. math::

        \frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top
            \Big( \frac{\partial L}{\partial h_t} \odot \phi'(a_t) \Big)
        = J_t^\top \frac{\partial L}{\partial h_t}.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0 : ndarray, shape (B, H), or None (zeros)
    W_xh : ndarray, shape (H, D)
    W_hh : ndarray, shape (H, H)
    b_h : ndarray, shape (H,), or None
    dh_T : ndarray, shape (B, H)
        :math:`\partial L / \partial h_T`.
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    norms : ndarray, shape (T + 1, B)
        ``norms[t, b]`` is the Euclidean norm of :math:`\partial L / \partial h_t` for
        example ``b``; ``norms[T]`` is the norm of ``dh_T``.
    """
    x = _float_array("x", x, 3, "(T, B, D)")
    B = x.shape[1]
    W_hh = _float_array("W_hh", W_hh, 2, "(H, H)")
    H = W_hh.shape[0]
    dh = _float_array("dh_T", dh_T, 2, "(B, H)")
    if dh.shape != (B, H):
        raise ValueError(f"dh_T must have shape (B, H) = ({B}, {H}), got {dh.shape}")
    dh_all = rnn_state_gradients(x, h0, W_xh, W_hh, b_h, dh, nonlinearity)  # (T + 1, B, H)
    norms = np.linalg.norm(dh_all, axis=-1)  # (T + 1, B)
    return norms


def decay_factor(norms):
    r"""Average factor by which a gradient norm changes per step back in time.

    Fits :math:`\log n_t \approx c + (T - t) \log \rho` by least squares over
    :math:`t = 0, \dots, T` (averaging the logarithms over the batch first) and returns
    :math:`\rho`: below 1 the gradient vanishes geometrically as it goes back, above 1 it
    explodes. For :math:`n_t = \rho^{T - t}` exactly, the result is :math:`\rho`.

    Parameters
    ----------
    norms : ndarray, shape (T + 1,) or (T + 1, B)
        Positive norms indexed by time, the last one at :math:`t = T` (as returned by
        :func:`jacobian_norms` and :func:`state_gradient_norms`).

    Returns
    -------
    float
        :math:`\rho`.
    """
    n = np.asarray(norms, dtype=np.float64)
    if n.ndim not in (1, 2) or n.shape[0] < 2:
        raise ValueError(f"norms must have shape (T + 1,) or (T + 1, B) with T >= 1, got {n.shape}")
    if not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("norms must be positive and finite (the log of each is fitted)")
    log_n = np.log(n) if n.ndim == 1 else np.log(n).mean(axis=1)  # (T + 1,)
    distance = np.arange(len(log_n))[::-1]  # T - t
    slope = np.polyfit(distance, log_n, 1)[0]
    return float(np.exp(slope))


def scaled_orthogonal(H, scale, rng=None, dtype=np.float64):
    r"""A random :math:`H \times H` matrix whose singular values all equal ``scale``.

    .. math::

        W = s\, Q, \qquad Q^\top Q = I, \qquad \sigma_1(W) = \dots = \sigma_H(W) = s,

    with :math:`Q` drawn uniformly (Haar) from the orthogonal matrices, by the QR
    decomposition of a Gaussian matrix with the signs of :math:`R`'s diagonal fixed. Its
    eigenvalues lie on the circle of radius :math:`s` too, so :math:`s` sets both the bound
    on the Jacobians and how fast a linear recurrence grows or shrinks.

    Parameters
    ----------
    H : int
        Size, at least 1.
    scale : float
        :math:`s > 0`.
    rng : numpy.random.Generator, int or None
    dtype : numpy dtype

    Returns
    -------
    ndarray, shape (H, H)
    """
    if isinstance(H, bool) or not isinstance(H, (int, np.integer)) or H < 1:
        raise ValueError(f"H must be a positive integer, got {H!r}")
    if not isinstance(scale, (int, float, np.integer, np.floating)) or not scale > 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    rng = np.random.default_rng(rng)
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))  # (H, H), (H, H)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)  # Haar: flip columns so that diag(R) > 0
    return (scale * Q).astype(dtype)
