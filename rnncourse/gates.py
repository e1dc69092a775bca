r"""Look inside gated cells: gate activations over a sequence, and gradients through time.

Two kinds of measurement that lessons 05 (LSTM) and 06 (GRU) plot, in NumPy only:

* the gates of a cell at every step of a sequence (:func:`lstm_gates`, :func:`gru_gates`),
  recomputed from the hidden states that :mod:`rnncourse.numpy` returns, so that the
  activations can be drawn next to the inputs;
* the gradient of a loss that depends only on the final state with respect to every earlier
  state, :math:`\partial L / \partial h_t` for :math:`t = 0, \dots, T`
  (:func:`rnn_state_gradients`, :func:`lstm_state_gradients`, :func:`gru_state_gradients`),
  obtained by chaining the step backward functions, as backpropagation through time does.

Shapes are time-major: x (T, B, D), states (B, H); weights in PyTorch's layout with the gates
stacked in the rows (LSTM i, f, g, o; GRU r, z, n).
"""

from __future__ import annotations

import numpy as np

from rnncourse.numpy import (
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_step_backward,
    rnn_step_forward,
    sigmoid,
)

__all__ = [
    "lstm_gates",
    "gru_gates",
    "rnn_state_gradients",
    "lstm_state_gradients",
    "gru_state_gradients",
]


def _check_x(x):
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"x must be a floating-point array, got dtype {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (T, B, D), got shape {x.shape}")
    if x.shape[0] < 1:
        raise ValueError("x must have at least one time step (T >= 1)")
    return x


def _check_weights(W_xh, W_hh, G, D, name):
    W_xh, W_hh = np.asarray(W_xh), np.asarray(W_hh)
    if W_hh.ndim != 2 or W_hh.shape[0] != G * W_hh.shape[1]:
        raise ValueError(f"W_hh of the {name} must have shape ({G}*H, H), got {W_hh.shape}")
    H = W_hh.shape[1]
    if W_xh.shape != (G * H, D):
        raise ValueError(f"W_xh of the {name} must have shape ({G * H}, {D}) = ({G}*H, D), "
                         f"got {W_xh.shape}")
    return W_xh, W_hh, H


def _state(name, s, B, H, dtype):
    if s is None:
        return np.zeros((B, H), dtype)
    s = np.asarray(s, dtype=dtype)
    if s.shape != (B, H):
        raise ValueError(f"{name} must have shape (B, H) = ({B}, {H}), got {s.shape}")
    return s


def lstm_gates(x, W_xh, W_hh, b_h=None, h0=None, c0=None):
    r"""Gate activations of a one-layer LSTM at every step of a sequence.

    Runs :func:`rnncourse.numpy.lstm_forward`, then recomputes the pre-activations of all
    steps at once from the inputs and the previous hidden states,

    .. math::

        [a_i; a_f; a_g; a_o] = W_{xh} x_t + W_{hh} h_{t-1} + b_h,

        i_t, f_t, o_t = \sigma(a_i), \sigma(a_f), \sigma(a_o), \quad g_t = \tanh(a_g),

    and the cell state :math:`c_t = f_t \odot c_{t-1} + i_t \odot g_t`.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    W_xh : ndarray, shape (4H, D)
        Gate blocks i, f, g, o (PyTorch's ``weight_ih_l0``).
    W_hh : ndarray, shape (4H, H)
    b_h : ndarray, shape (4H,), or None
        ``bias_ih_l0 + bias_hh_l0``; None for no bias.
    h0, c0 : ndarray, shape (B, H), or None (zeros)

    Returns
    -------
    dict
        ``"i"``, ``"f"``, ``"g"``, ``"o"``, ``"c"``, ``"h"``: arrays of shape (T, B, H).
    """
    x = _check_x(x)
    T, B, D = x.shape
    W_xh, W_hh, H = _check_weights(W_xh, W_hh, 4, D, "LSTM")
    h0, c0 = _state("h0", h0, B, H, x.dtype), _state("c0", c0, B, H, x.dtype)
    h, _, _ = lstm_forward(x, h0, c0, W_xh, W_hh, b_h)  # (T, B, H)
    h_prev = np.concatenate([h0[None], h[:-1]])  # (T, B, H), h_{t-1}
    a = x @ W_xh.T + h_prev @ W_hh.T  # (T, B, 4H)
    if b_h is not None:
        a = a + np.asarray(b_h)
    i, f, o = sigmoid(a[..., :H]), sigmoid(a[..., H:2 * H]), sigmoid(a[..., 3 * H:])  # (T, B, H)
    g = np.tanh(a[..., 2 * H:3 * H])  # (T, B, H)
    c = np.empty_like(g)  # (T, B, H)
    c_prev = c0
    for t in range(T):
        c[t] = f[t] * c_prev + i[t] * g[t]
        c_prev = c[t]
    return {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}


def gru_gates(x, W_xh, W_hh, b_xh=None, b_hh=None, h0=None, reset_after=True):
    r"""Gate activations of a one-layer GRU at every step of a sequence.

    Runs :func:`rnncourse.numpy.gru_forward`, then recomputes from the inputs and the previous
    hidden states

    .. math::

        r_t = \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}), \quad
        z_t = \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}),

    and the candidate :math:`n_t`, with the reset gate after the recurrent product
    (``reset_after=True``, PyTorch) or before it (``reset_after=False``, Cho et al. 2014).

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    W_xh : ndarray, shape (3H, D)
        Gate blocks r, z, n (PyTorch's ``weight_ih_l0``).
    W_hh : ndarray, shape (3H, H)
    b_xh, b_hh : ndarray, shape (3H,), or None
        ``bias_ih_l0`` and ``bias_hh_l0``; None for no bias.
    h0 : ndarray, shape (B, H), or None (zeros)
    reset_after : bool

    Returns
    -------
    dict
        ``"r"``, ``"z"``, ``"n"``, ``"h"``: arrays of shape (T, B, H).
    """
    x = _check_x(x)
    T, B, D = x.shape
    W_xh, W_hh, H = _check_weights(W_xh, W_hh, 3, D, "GRU")
    h0 = _state("h0", h0, B, H, x.dtype)
    h, _, _ = gru_forward(x, h0, W_xh, W_hh, b_xh, b_hh, reset_after=reset_after)  # (T, B, H)
    h_prev = np.concatenate([h0[None], h[:-1]])  # (T, B, H), h_{t-1}
    b_xh = np.zeros(3 * H, x.dtype) if b_xh is None else np.asarray(b_xh)
    b_hh = np.zeros(3 * H, x.dtype) if b_hh is None else np.asarray(b_hh)
    ax = x @ W_xh.T + b_xh  # (T, B, 3H)
    ah = h_prev @ W_hh.T + b_hh  # (T, B, 3H)
    r = sigmoid(ax[..., :H] + ah[..., :H])  # (T, B, H)
    z = sigmoid(ax[..., H:2 * H] + ah[..., H:2 * H])  # (T, B, H)
    if reset_after:
        n = np.tanh(ax[..., 2 * H:] + r * ah[..., 2 * H:])  # (T, B, H)
    else:
        n = np.tanh(ax[..., 2 * H:] + (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:])  # (T, B, H)
    return {"r": r, "z": z, "n": n, "h": h}


def _check_dh_n(name, dh_n, B, H):
    if dh_n is None:
        raise TypeError(f"{name} must be an array of shape (B, H) = ({B}, {H}), got None")
    dh_n = np.asarray(dh_n)
    if dh_n.shape != (B, H):
        raise ValueError(f"{name} must have shape (B, H) = ({B}, {H}), got {dh_n.shape}")
    return dh_n


def rnn_state_gradients(x, h0, W_xh, W_hh, b_h, dh_n, nonlinearity="tanh"):
    r"""Gradients :math:`\partial L / \partial h_t` of a loss that reads only the last state.

    Runs the simple RNN forward with :func:`rnncourse.numpy.rnn_step_forward`, then carries
    :math:`\partial L/\partial h_T` = ``dh_n`` backwards with
    :func:`rnncourse.numpy.rnn_step_backward`:

    .. math::

        \frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top
            \Big(\frac{\partial L}{\partial h_t} \odot \phi'(a_t)\Big).

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0 : ndarray, shape (B, H), or None (zeros)
    W_xh : ndarray, shape (H, D)
    W_hh : ndarray, shape (H, H)
    b_h : ndarray, shape (H,), or None
    dh_n : ndarray, shape (B, H)
        :math:`\partial L / \partial h_T`.
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    dh : ndarray, shape (T + 1, B, H)
        ``dh[t]`` is :math:`\partial L / \partial h_t`; ``dh[0]`` belongs to ``h0`` and
        ``dh[T]`` is ``dh_n``.
    """
    x = _check_x(x)
    T, B, D = x.shape
    W_xh, W_hh, H = _check_weights(W_xh, W_hh, 1, D, "RNN")
    h = _state("h0", h0, B, H, x.dtype)
    dh_n = _check_dh_n("dh_n", dh_n, B, H)
    caches = []
    for t in range(T):
        h, cache = rnn_step_forward(x[t], h, W_xh, W_hh, b_h, nonlinearity=nonlinearity)
        caches.append(cache)
    dh = np.empty((T + 1, B, H), x.dtype)  # (T+1, B, H)
    dh[T] = dh_n
    for t in range(T, 0, -1):
        dh[t - 1] = rnn_step_backward(dh[t], caches[t - 1])[1]
    return dh


def lstm_state_gradients(x, h0, c0, W_xh, W_hh, b_h, dh_n, dc_n=None):
    r"""Gradients with respect to every hidden and cell state, for a loss on the last state.

    Runs the LSTM forward with :func:`rnncourse.numpy.lstm_step_forward`, then chains
    :func:`rnncourse.numpy.lstm_step_backward` from :math:`t = T` down to 1. Along the cell
    state alone the gradient is multiplied by the forget gate,
    :math:`\partial L/\partial c_{t-1} \ni \partial L/\partial c_t \odot f_t`; the
    hidden-state path adds products with :math:`W_{hh}`.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0, c0 : ndarray, shape (B, H), or None (zeros)
    W_xh : ndarray, shape (4H, D)
    W_hh : ndarray, shape (4H, H)
    b_h : ndarray, shape (4H,), or None
    dh_n : ndarray, shape (B, H)
        :math:`\partial L / \partial h_T`.
    dc_n : ndarray, shape (B, H), or None (zero)
        :math:`\partial L / \partial c_T` from outside the layer.

    Returns
    -------
    dh : ndarray, shape (T + 1, B, H)
        ``dh[t]`` is :math:`\partial L / \partial h_t` (``dh[0]`` belongs to ``h0``).
    dc : ndarray, shape (T + 1, B, H)
        ``dc[t]`` is :math:`\partial L / \partial c_t` (``dc[0]`` belongs to ``c0``).
    """
    x = _check_x(x)
    T, B, D = x.shape
    W_xh, W_hh, H = _check_weights(W_xh, W_hh, 4, D, "LSTM")
    h, c = _state("h0", h0, B, H, x.dtype), _state("c0", c0, B, H, x.dtype)
    dh_n = _check_dh_n("dh_n", dh_n, B, H)
    dc_n = np.zeros((B, H), x.dtype) if dc_n is None else _check_dh_n("dc_n", dc_n, B, H)
    caches = []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[t], h, c, W_xh, W_hh, b_h)
        caches.append(cache)
    dh = np.empty((T + 1, B, H), x.dtype)  # (T+1, B, H)
    dc = np.empty((T + 1, B, H), x.dtype)  # (T+1, B, H)
    dh[T], dc[T] = dh_n, dc_n
    for t in range(T, 0, -1):
        _, dh[t - 1], dc[t - 1], *_ = lstm_step_backward(dh[t], dc[t], caches[t - 1])
    return dh, dc


def gru_state_gradients(x, h0, W_xh, W_hh, b_xh, b_hh, dh_n, reset_after=True):
    r"""Gradients :math:`\partial L / \partial h_t` of a GRU, for a loss on the last state.

    Runs the GRU forward with :func:`rnncourse.numpy.gru_step_forward`, then chains
    :func:`rnncourse.numpy.gru_step_backward`. The direct path multiplies the gradient by
    the update gate,
    :math:`\partial L/\partial h_{t-1} \ni \partial L/\partial h_t \odot z_t`; the other paths
    go through the gates and the candidate, with products with :math:`W_{hh}`.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0 : ndarray, shape (B, H), or None (zeros)
    W_xh : ndarray, shape (3H, D)
    W_hh : ndarray, shape (3H, H)
    b_xh, b_hh : ndarray, shape (3H,), or None
    dh_n : ndarray, shape (B, H)
        :math:`\partial L / \partial h_T`.
    reset_after : bool

    Returns
    -------
    dh : ndarray, shape (T + 1, B, H)
        ``dh[t]`` is :math:`\partial L / \partial h_t` (``dh[0]`` belongs to ``h0``).
    """
    x = _check_x(x)
    T, B, D = x.shape
    W_xh, W_hh, H = _check_weights(W_xh, W_hh, 3, D, "GRU")
    h = _state("h0", h0, B, H, x.dtype)
    dh_n = _check_dh_n("dh_n", dh_n, B, H)
    caches = []
    for t in range(T):
        h, cache = gru_step_forward(x[t], h, W_xh, W_hh, b_xh, b_hh, reset_after=reset_after)
        caches.append(cache)
    dh = np.empty((T + 1, B, H), x.dtype)  # (T+1, B, H)
    dh[T] = dh_n
    for t in range(T, 0, -1):
        dh[t - 1] = gru_step_backward(dh[t], caches[t - 1])[1]
    return dh
