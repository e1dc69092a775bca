r"""The simple (Elman) RNN: one step, and a whole sequence with backpropagation through time.

Per example, in column-vector form,

.. math::

    h_t = \phi(W_{hh} h_{t-1} + W_{xh} x_t + b_h), \qquad \phi = \tanh \text{ or ReLU}.

The batched code keeps examples in rows: ``h_t = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)``.
PyTorch stores the bias as two vectors, ``bias_ih`` and ``bias_hh``; here :math:`b_h` is their
sum (the layers RNN, LSTM and GRU do the bookkeeping).

The step functions are the readable derivation. The sequence functions compute exactly the
same thing, organised for speed: one matrix product for the input projection of all time
steps, preallocated arrays, and the weight gradients summed over time by one matrix product
after the loop.
"""

from __future__ import annotations

import numpy as np

from ._check import check_cache, check_cell_args, check_grad, check_lengths
from .sequence import _prepare_dh, _zero_padding, last_step

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]

_NONLINEARITIES = ("tanh", "relu")


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def rnn_step_forward(x, h_prev, W_xh, W_hh, b_h,
                     nonlinearity="tanh"):
    r"""One step of the simple RNN.

    .. math::

        a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h,
        \qquad h_t = \phi(a_t).

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Inputs :math:`x_t` of the batch.
    h_prev : ndarray, shape (B, H)
        Previous hidden state :math:`h_{t-1}`.
    W_xh : ndarray, shape (H, D)
        Input-to-hidden weights.
    W_hh : ndarray, shape (H, H)
        Hidden-to-hidden weights.
    b_h : ndarray, shape (H,), or None
        Bias (``bias_ih + bias_hh`` in PyTorch); None for no bias.
    nonlinearity : {"tanh", "relu"}
        :math:`\phi`.

    Returns
    -------
    h_next : ndarray, shape (B, H)
        :math:`h_t`.
    cache : tuple
        What :func:`rnn_step_backward` needs.
    """
    _check_nonlinearity(nonlinearity)
    x, W_xh, W_hh, s, b, _ = check_cell_args(
        "RNN", 1, x, W_xh, W_hh, {"h_prev": h_prev}, {"b_h": b_h}
    )
    h_prev, b_h = s["h_prev"], b["b_h"]
    if h_prev is None:
        raise TypeError(
            "h_prev must be an array of shape (B, H), got None"
        )
    a = x @ W_xh.T + h_prev @ W_hh.T  # (B, H)
    if b_h is not None:
        a = a + b_h
    if nonlinearity == "tanh":
        h_next = np.tanh(a)  # (B, H)
    else:
        h_next = np.maximum(a, 0.0)  # (B, H)
    cache = (x, h_prev, h_next, W_xh, W_hh, b_h is not None,
             nonlinearity)
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    r"""Backward pass of :func:`rnn_step_forward`.

    With
    :math:`\delta = \partial L / \partial a_t = \partial L / \partial h_t \odot \phi'(a_t)`,
    where :math:`\tanh' = 1 - h_t^2` and :math:`\mathrm{ReLU}' = [h_t > 0]`,

    .. math::

        \frac{\partial L}{\partial x_t} = W_{xh}^\top \delta, \quad
        \frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top \delta, \quad
        \frac{\partial L}{\partial W_{xh}} = \delta x_t^\top, \quad
        \frac{\partial L}{\partial W_{hh}} = \delta h_{t-1}^\top, \quad
        \frac{\partial L}{\partial b_h} = \delta,

    each summed over the batch.

    Parameters
    ----------
    dh_next : ndarray, shape (B, H)
        :math:`\partial L / \partial h_t`.
    cache : tuple
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (B, D)
    dh_prev : ndarray, shape (B, H)
    dW_xh : ndarray, shape (H, D)
    dW_hh : ndarray, shape (H, H)
    db_h : ndarray, shape (H,), or None when the forward pass had no bias
    """
    x, h_prev, h_next, W_xh, W_hh, has_bias, nonlinearity = cache
    dh_next = check_grad("dh_next", dh_next, h_next.shape,
                         h_next.dtype, "(B, H)")
    if nonlinearity == "tanh":
        da = dh_next * (1.0 - h_next**2)  # (B, H)
    else:
        da = dh_next * (h_next > 0)  # (B, H)
    dx = da @ W_xh  # (B, D)
    dh_prev = da @ W_hh  # (B, H)
    dW_xh = da.T @ x  # (H, D)
    dW_hh = da.T @ h_prev  # (H, H)
    db_h = da.sum(axis=0) if has_bias else None  # (H,)
    return dx, dh_prev, dW_xh, dW_hh, db_h


def rnn_forward(x, h0, W_xh, W_hh, b_h, nonlinearity="tanh", lengths=None):
    r"""Run the simple RNN over a sequence (one layer, one direction).

    .. math::

        h_t = \phi(W_{xh} x_t + W_{hh} h_{t-1} + b_h), \qquad t = 1, \dots, T.

    For truncated backpropagation through time, pass the state carried from the previous
    chunk as ``h0`` and ignore the ``dh0`` that :func:`rnn_backward` returns: not sending the
    gradient further back is exactly what ``detach()`` does in PyTorch.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Input sequence, time-major.
    h0 : ndarray, shape (B, H), or None
        Initial state (zeros when None).
    W_xh : ndarray, shape (H, D)
    W_hh : ndarray, shape (H, H)
    b_h : ndarray, shape (H,), or None
    nonlinearity : {"tanh", "relu"}
    lengths : array-like of int, shape (B,), or None
        Sequence lengths in [1, T]. Steps ``t >= lengths[b]`` are padding: the output there
        is zero, the final state is the state after the last real step, and padding gets no
        gradient (as ``pack_padded_sequence`` in PyTorch).

    Returns
    -------
    h : ndarray, shape (T, B, H)
        Hidden states :math:`h_1, \dots, h_T` (zero on padding). Do not modify it in place:
        the cache refers to it.
    h_n : ndarray, shape (B, H)
        Final state.
    cache : dict
        What :func:`rnn_backward` needs.
    """
    _check_nonlinearity(nonlinearity)
    x, W_xh, W_hh, s, b, dims = check_cell_args(
        "RNN", 1, x, W_xh, W_hh, {"h0": h0}, {"b_h": b_h}, x_spec=("T", "B", "D")
    )
    h0, b_h = s["h0"], b["b_h"]
    T, B, D, H = dims["T"], dims["B"], dims["D"], dims["H"]
    lengths = check_lengths(lengths, T, B)
    x = _zero_padding(x, lengths)  # padding never reaches the states
    dt = x.dtype
    hs = np.empty((T + 1, B, H), dt)  # hs[t] = h_t, hs[0] = h_0
    hs[0] = 0.0 if h0 is None else h0
    a = hs[1:]  # (T, B, H) view: first the input projection, then the states
    np.matmul(x.reshape(T * B, D), W_xh.T, out=a.reshape(T * B, H))  # all steps at once
    if b_h is not None:
        a += b_h
    W_hhT = np.ascontiguousarray(W_hh.T)  # (H, H)
    tmp = np.empty((B, H), dt)
    for t in range(T):
        np.matmul(hs[t], W_hhT, out=tmp)  # (B, H)
        a[t] += tmp
        if nonlinearity == "tanh":
            np.tanh(a[t], out=a[t])
        else:
            np.maximum(a[t], 0.0, out=a[t])
    h = hs[1:]  # (T, B, H)
    h_n = last_step(h, lengths).copy()  # (B, H)
    if lengths is not None:
        real = (np.arange(T)[:, None] < lengths)[:, :, None]  # (T, B, 1)
        h = np.where(real, h, 0.0)  # zeros on padding (select, never multiply)
    cache = {"x": x, "hs": hs, "W_xh": W_xh, "W_hh": W_hh, "has_bias": b_h is not None,
             "nonlinearity": nonlinearity, "lengths": lengths}
    return h, h_n, cache


def rnn_backward(dh, cache, dh_n=None):
    r"""Backpropagation through time for :func:`rnn_forward`.

    Going backwards in time, the gradient reaching :math:`h_t` is the one from above plus
    the one coming back through the recurrence,

    .. math::

        \frac{\partial L}{\partial h_t} = \frac{\partial \ell}{\partial h_t}
            + W_{hh}^\top \delta_{t+1}, \qquad
        \delta_t = \frac{\partial L}{\partial h_t} \odot \phi'(a_t),

    and the weight gradients are sums over time, e.g.
    :math:`\partial L/\partial W_{hh} = \sum_t \delta_t h_{t-1}^\top`, computed after the loop
    as one matrix product over the stacked steps.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H), or None
        :math:`\partial \ell / \partial h_t` from the layer above (not through time); None
        means zero (e.g. a loss on the final state only).
    cache : dict
        From :func:`rnn_forward`.
    dh_n : ndarray, shape (B, H), or None
        Gradient with respect to the final state ``h_n``.

    Returns
    -------
    dx : ndarray, shape (T, B, D)
    dh0 : ndarray, shape (B, H)
    dW_xh : ndarray, shape (H, D)
    dW_hh : ndarray, shape (H, H)
    db_h : ndarray, shape (H,), or None without bias
    """
    check_cache(cache, ("x", "hs", "W_xh", "W_hh"), "rnn_forward")
    x, hs, W_xh, W_hh = cache["x"], cache["hs"], cache["W_xh"], cache["W_hh"]
    lengths = cache["lengths"]
    T1, B, H = hs.shape
    T, D = T1 - 1, x.shape[2]
    dt = hs.dtype
    dh = check_grad("dh", dh, (T, B, H), dt, "(T, B, H), like the output h")
    dh_n = check_grad("dh_n", dh_n, (B, H), dt, "(B, H), like h_n")
    da, dh_next = _prepare_dh(dh, dh_n, lengths, T, B, H, dt)  # da = dL/dh_t from above
    tanh = cache["nonlinearity"] == "tanh"
    deriv = np.empty((B, H), dt)
    for t in range(T - 1, -1, -1):
        h_t = hs[t + 1]
        if tanh:
            np.multiply(h_t, h_t, out=deriv)
            np.subtract(1.0, deriv, out=deriv)  # tanh'(a_t) = 1 - h_t^2
        else:
            np.greater(h_t, 0.0, out=deriv)  # relu'(a_t) = [h_t > 0]
        da[t] += dh_next  # dL/dh_t
        da[t] *= deriv  # delta_t = dL/da_t
        np.matmul(da[t], W_hh, out=dh_next)  # dL/dh_{t-1} (B, H)
    da2 = da.reshape(T * B, H)
    dW_xh = da2.T @ x.reshape(T * B, D)  # (H, D)
    dW_hh = da2.T @ hs[:-1].reshape(T * B, H)  # (H, H)
    db_h = da2.sum(axis=0) if cache["has_bias"] else None  # (H,)
    dx = (da2 @ W_xh).reshape(T, B, D)  # (T, B, D)
    return dx, dh_next, dW_xh, dW_hh, db_h
