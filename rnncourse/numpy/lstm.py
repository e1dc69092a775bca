r"""Long short-term memory (Hochreiter and Schmidhuber, 1997, with the forget gate of Gers et al.).

Per example, with the gates in PyTorch's order i, f, g, o stacked in the rows of the weights,

.. math::

    \begin{aligned}
    i_t &= \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i), &
    f_t &= \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f), \\
    g_t &= \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g), &
    o_t &= \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o), \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t, &
    h_t &= o_t \odot \tanh(c_t).
    \end{aligned}

``W_xh`` is (4H, D) with the blocks :math:`W_{xi}, W_{xf}, W_{xg}, W_{xo}` on top of each
other (PyTorch's ``weight_ih_l0``), ``W_hh`` is (4H, H) and ``b_h`` is (4H,)
(``bias_ih + bias_hh``).

The step functions are the readable derivation. The sequence functions compute the same
thing organised for speed (see :func:`lstm_forward`).
"""

from __future__ import annotations

import numpy as np

from ._check import check_cache, check_cell_args, check_grad, check_lengths
from .activations import sigmoid
from .sequence import _prepare_dh, _zero_padding, last_step

__all__ = ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"]


def lstm_step_forward(x, h_prev, c_prev, W_xh, W_hh, b_h):
    r"""One step of the LSTM.

    .. math::

        a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h = [a_i; a_f; a_g; a_o],

        i_t, f_t, o_t = \sigma(a_i), \sigma(a_f), \sigma(a_o), \quad g_t = \tanh(a_g),

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \quad h_t = o_t \odot \tanh(c_t).

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Inputs :math:`x_t`.
    h_prev : ndarray, shape (B, H)
        :math:`h_{t-1}`.
    c_prev : ndarray, shape (B, H)
        Cell state :math:`c_{t-1}`.
    W_xh : ndarray, shape (4H, D)
        Input weights, gate blocks i, f, g, o.
    W_hh : ndarray, shape (4H, H)
        Recurrent weights, same block order.
    b_h : ndarray, shape (4H,), or None
        Bias; None for no bias.

    Returns
    -------
    h_next : ndarray, shape (B, H)
    c_next : ndarray, shape (B, H)
    cache : tuple
        What :func:`lstm_step_backward` needs.
    """
    x, W_xh, W_hh, s, b, dims = check_cell_args(
        "LSTM", 4, x, W_xh, W_hh, {"h_prev": h_prev, "c_prev": c_prev}, {"b_h": b_h}
    )
    h_prev, c_prev, b_h = s["h_prev"], s["c_prev"], b["b_h"]
    if h_prev is None or c_prev is None:
        raise TypeError("h_prev and c_prev must be arrays of shape (B, H), got None")
    H = dims["H"]
    a = x @ W_xh.T + h_prev @ W_hh.T  # (B, 4H)
    if b_h is not None:
        a = a + b_h
    i = sigmoid(a[:, 0 * H : 1 * H])  # input gate (B, H)
    f = sigmoid(a[:, 1 * H : 2 * H])  # forget gate (B, H)
    g = np.tanh(a[:, 2 * H : 3 * H])  # candidate (B, H)
    o = sigmoid(a[:, 3 * H : 4 * H])  # output gate (B, H)
    c_next = f * c_prev + i * g  # (B, H)
    tanh_c = np.tanh(c_next)  # (B, H)
    h_next = o * tanh_c  # (B, H)
    cache = (x, h_prev, c_prev, i, f, g, o, tanh_c,
             W_xh, W_hh, b_h is not None)
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    r"""Backward pass of :func:`lstm_step_forward`.

    The cell state receives gradient both directly and through :math:`h_t`:

    .. math::

        \frac{\partial L}{\partial c_t} = \frac{\partial L}{\partial c_t}\Big|_{\text{next}}
            + \frac{\partial L}{\partial h_t} \odot o_t \odot (1 - \tanh^2 c_t),

        \frac{\partial L}{\partial o_t} = \frac{\partial L}{\partial h_t} \odot \tanh c_t, \quad
        \frac{\partial L}{\partial i_t} = \frac{\partial L}{\partial c_t} \odot g_t, \quad
        \frac{\partial L}{\partial f_t} = \frac{\partial L}{\partial c_t} \odot c_{t-1}, \quad
        \frac{\partial L}{\partial g_t} = \frac{\partial L}{\partial c_t} \odot i_t,

        \frac{\partial L}{\partial c_{t-1}} = \frac{\partial L}{\partial c_t} \odot f_t,

    then through the nonlinearities (:math:`\sigma' = \sigma(1-\sigma)`,
    :math:`\tanh' = 1 - \tanh^2`) to :math:`\delta = \partial L / \partial a_t` (B, 4H),
    and
    as for the simple RNN :math:`\partial L/\partial h_{t-1} = W_{hh}^\top \delta`,
    :math:`\partial L/\partial W_{hh} = \delta h_{t-1}^\top`, and so on.

    Parameters
    ----------
    dh_next : ndarray, shape (B, H)
        :math:`\partial L / \partial h_t`.
    dc_next : ndarray, shape (B, H), or None
        :math:`\partial L / \partial c_t` from later steps (None means zero).
    cache : tuple
        From :func:`lstm_step_forward`.

    Returns
    -------
    dx : ndarray, shape (B, D)
    dh_prev : ndarray, shape (B, H)
    dc_prev : ndarray, shape (B, H)
    dW_xh : ndarray, shape (4H, D)
    dW_hh : ndarray, shape (4H, H)
    db_h : ndarray, shape (4H,), or None without bias
    """
    (x, h_prev, c_prev, i, f, g, o, tanh_c,
     W_xh, W_hh, has_bias) = cache
    dh_next = check_grad("dh_next", dh_next, h_prev.shape,
                         h_prev.dtype, "(B, H)")
    dc_next = check_grad("dc_next", dc_next, h_prev.shape,
                         h_prev.dtype, "(B, H)")
    dc = dh_next * o * (1.0 - tanh_c**2)  # (B, H)
    if dc_next is not None:
        dc = dc + dc_next
    do = dh_next * tanh_c  # (B, H)
    di = dc * g  # (B, H)
    df = dc * c_prev  # (B, H)
    dg = dc * i  # (B, H)
    dc_prev = dc * f  # (B, H)
    da = np.concatenate(  # (B, 4H), blocks i, f, g, o
        [di * i * (1 - i), df * f * (1 - f),
         dg * (1 - g**2), do * o * (1 - o)],
        axis=1,
    )
    dx = da @ W_xh  # (B, D)
    dh_prev = da @ W_hh  # (B, H)
    dW_xh = da.T @ x  # (4H, D)
    dW_hh = da.T @ h_prev  # (4H, H)
    db_h = da.sum(axis=0) if has_bias else None  # (4H,)
    return dx, dh_prev, dc_prev, dW_xh, dW_hh, db_h


def _to_internal(a, H):
    """Gate blocks i, f, g, o -> o, i, f, g (rows of a weight, or a bias)."""
    return np.concatenate([a[3 * H :], a[: 3 * H]])


def _from_internal(a, H):
    """Gate blocks o, i, f, g -> i, f, g, o."""
    return np.concatenate([a[H:], a[:H]])


def lstm_forward(x, h0, c0, W_xh, W_hh, b_h, lengths=None):
    r"""Run the LSTM over a sequence (one layer, one direction).

    Computes :func:`lstm_step_forward` for :math:`t = 1, \dots, T`. For speed, the input
    projection :math:`W_{xh} x_t + b_h` of all steps is one matrix product, the gates are
    kept internally in the order o, i, f, g so that the three sigmoid gates are contiguous,
    and :math:`\sigma(a) = (1 + \tanh(a/2))/2` lets one ``tanh`` call activate all four
    blocks (the sigmoid rows of the weights are pre-scaled by 1/2).

    For truncated BPTT, pass the carried ``(h, c)`` as ``h0, c0`` and ignore the returned
    ``dh0, dc0``: that is the ``detach()``.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0 : ndarray, shape (B, H), or None (zeros)
    c0 : ndarray, shape (B, H), or None (zeros)
    W_xh : ndarray, shape (4H, D)
    W_hh : ndarray, shape (4H, H)
    b_h : ndarray, shape (4H,), or None
    lengths : array-like of int, shape (B,), or None
        Sequence lengths in [1, T]; padded steps output zeros, leave the final state alone
        and get no gradient.

    Returns
    -------
    h : ndarray, shape (T, B, H)
        Hidden states (zero on padding); do not modify it in place.
    (h_n, c_n) : tuple of ndarray, shapes (B, H)
        Final hidden and cell states.
    cache : dict
        What :func:`lstm_backward` needs.
    """
    x, W_xh, W_hh, s, b, dims = check_cell_args(
        "LSTM", 4, x, W_xh, W_hh, {"h0": h0, "c0": c0}, {"b_h": b_h}, x_spec=("T", "B", "D")
    )
    T, B, D, H = dims["T"], dims["B"], dims["D"], dims["H"]
    lengths = check_lengths(lengths, T, B)
    x = _zero_padding(x, lengths)  # padding never reaches the states
    dt = x.dtype
    Wx = _to_internal(W_xh, H)  # (4H, D), blocks o, i, f, g
    Wh = _to_internal(W_hh, H)  # (4H, H)
    scale = np.ones(4 * H, dt)  # sigma(a) = (1 + tanh(a/2)) / 2 for o, i, f
    scale[: 3 * H] = 0.5
    WhT_scaled = np.ascontiguousarray((Wh * scale[:, None]).T)  # (H, 4H)

    hs = np.empty((T + 1, B, H), dt)  # hs[t] = h_t
    cs = np.empty((T + 1, B, H), dt)  # cs[t] = c_t
    hs[0] = 0.0 if s["h0"] is None else s["h0"]
    cs[0] = 0.0 if s["c0"] is None else s["c0"]
    A = np.matmul(x.reshape(T * B, D), (Wx * scale[:, None]).T).reshape(T, B, 4 * H)  # (T, B, 4H)
    if b["b_h"] is not None:
        A += _to_internal(b["b_h"], H) * scale
    tanh_c = np.empty((T, B, H), dt)
    IG = np.empty((T, B, H), dt)  # i_t * g_t, kept for the backward pass
    FC = np.empty((T, B, H), dt)  # f_t * c_{t-1}, kept for the backward pass
    tmp = np.empty((B, 4 * H), dt)
    for t in range(T):
        a = A[t]  # (B, 4H), pre-activations then activations
        np.matmul(hs[t], WhT_scaled, out=tmp)
        a += tmp
        np.tanh(a, out=a)
        sig = a[:, : 3 * H]
        sig *= 0.5
        sig += 0.5  # o, i, f = sigmoid
        o, i, f, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, cs[t], out=FC[t])
        np.multiply(i, g, out=IG[t])
        np.add(FC[t], IG[t], out=cs[t + 1])  # c_t = f * c_{t-1} + i * g
        np.tanh(cs[t + 1], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=hs[t + 1])  # h_t = o * tanh(c_t)
    h = hs[1:]  # (T, B, H)
    h_n = last_step(h, lengths).copy()  # (B, H)
    c_n = last_step(cs[1:], lengths).copy()  # (B, H)
    if lengths is not None:
        real = (np.arange(T)[:, None] < lengths)[:, :, None]  # (T, B, 1)
        h = np.where(real, h, 0.0)  # zeros on padding (select, never multiply)
    cache = {"x": x, "hs": hs, "cs": cs, "A": A, "tanh_c": tanh_c, "IG": IG, "FC": FC, "Wx": Wx, "Wh": Wh,
             "has_bias": b["b_h"] is not None, "lengths": lengths,
             "b_h": None if b["b_h"] is None else b["b_h"].copy()}
    return h, (h_n, c_n), cache


def lstm_backward(dh, cache, dh_n=None, dc_n=None):
    r"""Backpropagation through time for :func:`lstm_forward`.

    Applies :func:`lstm_step_backward` from :math:`t = T` down to 1, carrying
    :math:`\partial L/\partial h_{t-1}` and :math:`\partial L/\partial c_{t-1}`. The local
    derivatives of the gates, which need no incoming gradient, are computed for a few steps
    at a time (few NumPy calls, data still in the CPU cache); each step then only multiplies
    them by :math:`\partial L/\partial h_t` or :math:`\partial L/\partial c_t`. The weight
    gradients are one matrix product over the stacked steps after the loop.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H), or None
        Gradient from the layer above (None means zero).
    cache : dict
        From :func:`lstm_forward`. The pass writes its gradients into the cache's
        buffers; a second pass on the same cache recomputes them first.
    dh_n, dc_n : ndarray, shape (B, H), or None
        Gradients with respect to the final states.

    Returns
    -------
    dx : ndarray, shape (T, B, D)
    dh0 : ndarray, shape (B, H)
    dc0 : ndarray, shape (B, H)
    dW_xh : ndarray, shape (4H, D)
    dW_hh : ndarray, shape (4H, H)
    db_h : ndarray, shape (4H,), or None without bias
    """
    check_cache(cache, ("x", "hs", "cs", "A", "IG", "FC"), "lstm_forward")
    if cache["A"] is None:  # a backward already ran and used the buffers: rebuild them
        H = cache["hs"].shape[2]
        cache = lstm_forward(cache["x"], cache["hs"][0], cache["cs"][0], _from_internal(cache["Wx"], H),
                             _from_internal(cache["Wh"], H), cache["b_h"], cache["lengths"])[2]
    x, hs, cs, A, tanh_c = cache["x"], cache["hs"], cache["cs"], cache["A"], cache["tanh_c"]
    Wx, Wh, lengths = cache["Wx"], cache["Wh"], cache["lengths"]
    T1, B, H = hs.shape
    T, D = T1 - 1, x.shape[2]
    dt = hs.dtype
    dh = check_grad("dh", dh, (T, B, H), dt, "(T, B, H), like the output h")
    dh_n = check_grad("dh_n", dh_n, (B, H), dt, "(B, H), like h_n")
    dc_n = check_grad("dc_n", dc_n, (B, H), dt, "(B, H), like c_n")
    dhs, dh_next = _prepare_dh(dh, dh_n, lengths, T, B, H, dt, copy=False)  # read only
    dc_in, dc_carry = _prepare_dh(None, dc_n, lengths, T, B, H, dt)

    IG, FC = cache["IG"], cache["FC"]
    dA = A  # dL/da_t overwrites the activations a_t, step by step (blocks o, i, f, g)
    cache["A"] = None  # consumed: a second backward would read gradients as activations
    dh_t, dc, dc_prev = np.empty((B, H), dt), np.empty((B, H), dt), np.empty((B, H), dt)
    K = max(1, min(T, 65536 // max(1, B * H)))  # steps per block: a block of A stays in the cache; B may be 0
    Q, F = np.empty((K, B, H), dt), np.empty((K, B, H), dt)
    for t1 in range(T, 0, -K):
        t0 = max(0, t1 - K)
        k = t1 - t0
        a, h, q, f_ = A[t0:t1], hs[t0 + 1 : t1 + 1], Q[:k], F[:k]  # (k, B, 4H), (k, B, H) ...
        o, i, f, g = a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]
        # What does not depend on the gradients, for the k steps at once:
        np.multiply(h, tanh_c[t0:t1], out=q)
        np.subtract(o, q, out=q)  # o (1 - tanh^2 c_t) = o - h_t tanh c_t
        f_[...] = f  # kept for dL/dc_{t-1} = dL/dc_t f
        g *= IG[t0:t1]
        np.subtract(i, g, out=g)  # (1 - g^2) i = i - (i g) g, before i is overwritten
        np.subtract(1.0, a[..., : 3 * H], out=a[..., : 3 * H])  # 1 - o, 1 - i, 1 - f
        o *= h  # tanh(c_t) o (1 - o) = h_t (1 - o)
        i *= IG[t0:t1]  # i (1 - i) g = (i g) (1 - i)
        f *= FC[t0:t1]  # f (1 - f) c_{t-1} = (f c_{t-1}) (1 - f)
        for t in range(t1 - 1, t0 - 1, -1):  # then the recursion, step by step
            da = A[t]  # (B, 4H): local derivatives, times the incoming gradients below
            np.add(dhs[t], dh_next, out=dh_t)  # dL/dh_t
            np.multiply(q[t - t0], dh_t, out=dc)
            dc += dc_carry  # dL/dc_t, through h_t and from step t+1
            if lengths is not None:
                dc += dc_in[t]
            np.multiply(dc, f_[t - t0], out=dc_prev)  # dL/dc_{t-1} (B, H)
            da[:, :H] *= dh_t  # dL/da_o
            da.reshape(B, 4, H)[:, 1:] *= dc[:, None, :]  # dL/da_i, dL/da_f, dL/da_g
            np.matmul(da, Wh, out=dh_next)  # dL/dh_{t-1} (B, H)
            dc_carry, dc_prev = dc_prev, dc_carry
    dA2 = dA.reshape(T * B, 4 * H)
    dW_xh = _from_internal(dA2.T @ x.reshape(T * B, D), H)  # (4H, D)
    dW_hh = _from_internal(dA2.T @ hs[:-1].reshape(T * B, H), H)  # (4H, H)
    db_h = _from_internal(np.ones(T * B, dt) @ dA2, H) if cache["has_bias"] else None  # (4H,), faster than sum
    dx = (dA2 @ Wx).reshape(T, B, D)  # (T, B, D)
    return dx, dh_next, dc_carry, dW_xh, dW_hh, db_h
