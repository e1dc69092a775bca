r"""Gated recurrent unit (Cho et al., 2014), in PyTorch's and in Cho's variant.

Per example, with the gates in PyTorch's order r, z, n stacked in the rows of the weights,

.. math::

    \begin{aligned}
    r_t &= \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}), \\
    z_t &= \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}), \\
    n_t &= \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))
        && \text{reset\_after=True (PyTorch, cuDNN)}, \\
    n_t &= \tanh(W_{xn} x_t + b_{xn} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})
        && \text{reset\_after=False (Cho et al. 2014)}, \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}.
    \end{aligned}

The update gate :math:`z_t` keeps the old state (as PyTorch and Cho et al. write it). The GRU
needs its two biases separately: with ``reset_after=True``, :math:`b_{hn}` sits inside the
product with :math:`r_t`. ``W_xh`` is (3H, D) (``weight_ih_l0``), ``W_hh`` is (3H, H)
(``weight_hh_l0``), ``b_xh`` and ``b_hh`` are (3H,).
"""

from __future__ import annotations

import numpy as np

from ._check import check_cache, check_cell_args, check_grad, check_lengths
from .activations import sigmoid
from .sequence import _prepare_dh, _zero_padding, last_step

__all__ = ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"]


def gru_step_forward(x, h_prev, W_xh, W_hh, b_xh, b_hh, reset_after=True):
    r"""One step of the GRU.

    .. math::

        r_t = \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}), \quad
        z_t = \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}),

        n_t = \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))
        \quad \text{or, with reset\_after=False,} \quad
        n_t = \tanh(W_{xn} x_t + b_{xn} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}),

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.

    Parameters
    ----------
    x : ndarray, shape (B, D)
    h_prev : ndarray, shape (B, H)
    W_xh : ndarray, shape (3H, D)
        Input weights, gate blocks r, z, n.
    W_hh : ndarray, shape (3H, H)
        Recurrent weights, same block order.
    b_xh : ndarray, shape (3H,), or None
        Input bias (PyTorch's ``bias_ih``); None for no bias.
    b_hh : ndarray, shape (3H,), or None
        Recurrent bias (``bias_hh``); None for no bias.
    reset_after : bool
        True: reset gate applied after the recurrent product (PyTorch); False: before
        (Cho et al.).

    Returns
    -------
    h_next : ndarray, shape (B, H)
    cache : tuple
        What :func:`gru_step_backward` needs.
    """
    x, W_xh, W_hh, s, b, dims = check_cell_args(
        "GRU", 3, x, W_xh, W_hh, {"h_prev": h_prev}, {"b_xh": b_xh, "b_hh": b_hh}
    )
    h_prev, b_xh, b_hh = s["h_prev"], b["b_xh"], b["b_hh"]
    if h_prev is None:
        raise TypeError("h_prev must be an array of shape (B, H), got None")
    H = dims["H"]
    gx = x @ W_xh.T  # (B, 3H)
    if b_xh is not None:
        gx = gx + b_xh
    b_hh_ = np.zeros(3 * H, W_hh.dtype) if b_hh is None else b_hh
    W_hr, W_hz, W_hn = (W_hh[:H], W_hh[H : 2 * H],
                        W_hh[2 * H :])  # (H, H) each
    r = sigmoid(gx[:, :H] + h_prev @ W_hr.T
                + b_hh_[:H])  # reset gate (B, H)
    z = sigmoid(gx[:, H : 2 * H] + h_prev @ W_hz.T
                + b_hh_[H : 2 * H])  # update gate (B, H)
    if reset_after:
        gh_n = h_prev @ W_hn.T + b_hh_[2 * H :]  # (B, H)
        n = np.tanh(gx[:, 2 * H :] + r * gh_n)  # candidate (B, H)
    else:
        gh_n = (r * h_prev) @ W_hn.T + b_hh_[2 * H :]  # (B, H)
        n = np.tanh(gx[:, 2 * H :] + gh_n)  # candidate (B, H)
    h_next = (1.0 - z) * n + z * h_prev  # (B, H)
    has_bias = (b_xh is not None, b_hh is not None)
    cache = (x, h_prev, r, z, n, gh_n, W_xh, W_hh, has_bias,
             reset_after)
    return h_next, cache


def gru_step_backward(dh_next, cache):
    r"""Backward pass of :func:`gru_step_forward`.

    From :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}`,

    .. math::

        \frac{\partial L}{\partial n_t} = \frac{\partial L}{\partial h_t}
            \odot (1 - z_t), \quad
        \frac{\partial L}{\partial z_t} = \frac{\partial L}{\partial h_t}
            \odot (h_{t-1} - n_t),

    then :math:`\delta_n = \partial L/\partial n_t \odot (1 - n_t^2)`,
    :math:`\delta_z = \partial L/\partial z_t \odot z_t (1 - z_t)`.
    With reset_after=True,
    :math:`\partial L/\partial r_t = \delta_n \odot (W_{hn} h_{t-1} + b_{hn})` and the
    recurrent pre-activation of the n block receives :math:`\delta_n \odot r_t`; with
    reset_after=False,
    :math:`\partial L/\partial (r_t \odot h_{t-1}) = W_{hn}^\top \delta_n`.
    :math:`\partial L/\partial h_{t-1}` collects the direct path :math:`z_t` and every
    product with :math:`W_{hh}`.

    Parameters
    ----------
    dh_next : ndarray, shape (B, H)
        :math:`\partial L / \partial h_t`.
    cache : tuple
        From :func:`gru_step_forward`.

    Returns
    -------
    dx : ndarray, shape (B, D)
    dh_prev : ndarray, shape (B, H)
    dW_xh : ndarray, shape (3H, D)
    dW_hh : ndarray, shape (3H, H)
    db_xh : ndarray, shape (3H,), or None without bias
    db_hh : ndarray, shape (3H,), or None without bias
    """
    (x, h_prev, r, z, n, gh_n, W_xh, W_hh,
     (has_bxh, has_bhh), reset_after) = cache
    dh_next = check_grad("dh_next", dh_next, h_prev.shape,
                         h_prev.dtype, "(B, H)")
    H = h_prev.shape[1]
    W_hr_z, W_hn = W_hh[: 2 * H], W_hh[2 * H :]
    dn = dh_next * (1.0 - z)  # (B, H)
    dz = dh_next * (h_prev - n)  # (B, H)
    dh_prev = dh_next * z  # direct path (B, H)
    da_n = dn * (1.0 - n**2)  # (B, H)
    da_z = dz * z * (1.0 - z)  # (B, H)
    if reset_after:
        dr = da_n * gh_n  # (B, H)
        dgh_n = da_n * r  # gradient of W_hn h + b_hn (B, H)
        dW_hn = dgh_n.T @ h_prev  # (H, H)
        dh_prev = dh_prev + dgh_n @ W_hn
    else:
        drh = da_n @ W_hn  # gradient of r * h_prev (B, H)
        dr = drh * h_prev  # (B, H)
        dgh_n = da_n  # (B, H)
        dW_hn = da_n.T @ (r * h_prev)  # (H, H)
        dh_prev = dh_prev + drh * r
    da_r = dr * r * (1.0 - r)  # (B, H)
    da_rz = np.concatenate([da_r, da_z], axis=1)  # (B, 2H)
    dh_prev = dh_prev + da_rz @ W_hr_z  # (B, H)
    dgx = np.concatenate([da_rz, da_n], axis=1)  # (B, 3H)
    dx = dgx @ W_xh  # (B, D)
    dW_xh = dgx.T @ x  # (3H, D)
    dW_hh = np.concatenate([da_rz.T @ h_prev, dW_hn],
                           axis=0)  # (3H, H)
    db_xh = dgx.sum(axis=0) if has_bxh else None  # (3H,)
    # gradient of W_hh h + b_hh
    dgh = np.concatenate([da_rz, dgh_n], axis=1)  # (B, 3H)
    db_hh = dgh.sum(axis=0) if has_bhh else None  # (3H,)
    return dx, dh_prev, dW_xh, dW_hh, db_xh, db_hh


def gru_forward(x, h0, W_xh, W_hh, b_xh, b_hh, reset_after=True, lengths=None):
    r"""Run the GRU over a sequence (one layer, one direction).

    Computes :func:`gru_step_forward` for :math:`t = 1, \dots, T`, organised for speed: one
    matrix product for the input projection of all steps, and the sigmoid computed as
    :math:`(1 + \tanh(a/2))/2` so that one ``tanh`` call activates both r and z.

    For truncated BPTT, pass the carried state as ``h0`` and ignore the returned ``dh0``:
    that is the ``detach()``.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0 : ndarray, shape (B, H), or None (zeros)
    W_xh : ndarray, shape (3H, D)
    W_hh : ndarray, shape (3H, H)
    b_xh, b_hh : ndarray, shape (3H,), or None
    reset_after : bool
        PyTorch's variant (True) or Cho et al.'s (False).
    lengths : array-like of int, shape (B,), or None
        Sequence lengths in [1, T]; padded steps output zeros, leave the final state alone
        and get no gradient.

    Returns
    -------
    h : ndarray, shape (T, B, H)
        Hidden states (zero on padding); do not modify it in place.
    h_n : ndarray, shape (B, H)
    cache : dict
        What :func:`gru_backward` needs.
    """
    x, W_xh, W_hh, s, b, dims = check_cell_args(
        "GRU", 3, x, W_xh, W_hh, {"h0": h0}, {"b_xh": b_xh, "b_hh": b_hh}, x_spec=("T", "B", "D")
    )
    T, B, D, H = dims["T"], dims["B"], dims["D"], dims["H"]
    lengths = check_lengths(lengths, T, B)
    x = _zero_padding(x, lengths)  # padding never reaches the states
    dt = x.dtype
    scale = np.ones(3 * H, dt)  # sigma(a) = (1 + tanh(a/2)) / 2 for r and z
    scale[: 2 * H] = 0.5
    b_xh, b_hh = b["b_xh"], b["b_hh"]

    hs = np.empty((T + 1, B, H), dt)  # hs[t] = h_t
    hs[0] = 0.0 if s["h0"] is None else s["h0"]
    A = np.matmul(x.reshape(T * B, D), (W_xh * scale[:, None]).T).reshape(T, B, 3 * H)  # (T, B, 3H)
    if b_xh is not None:
        A += b_xh * scale
    tmp = np.empty((B, H), dt)
    if reset_after:
        GHn = np.empty((T, B, H), dt)  # W_hn h_{t-1} + b_hn, kept for the backward pass
        WhT_scaled = np.ascontiguousarray((W_hh * scale[:, None]).T)  # (H, 3H)
        bh_scaled = None if b_hh is None else b_hh * scale
        gh = np.empty((B, 3 * H), dt)  # W_hh h_{t-1} + b_hh (r, z blocks scaled by 1/2)
        for t in range(T):
            a = A[t]  # (B, 3H)
            np.matmul(hs[t], WhT_scaled, out=gh)
            if bh_scaled is not None:
                gh += bh_scaled
            GHn[t] = gh[:, 2 * H :]
            rz = a[:, : 2 * H]
            rz += gh[:, : 2 * H]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5  # r, z = sigmoid
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            np.multiply(r, gh[:, 2 * H :], out=tmp)
            n += tmp
            np.tanh(n, out=n)  # n = tanh(W_xn x + b_xn + r * (W_hn h + b_hn))
            np.subtract(hs[t], n, out=hs[t + 1])
            hs[t + 1] *= z
            hs[t + 1] += n  # h_t = n + z * (h_{t-1} - n)
        extra = {"GHn": GHn}
    else:
        if b_hh is not None:
            A += b_hh * scale  # every bias is outside the products here
        W_hrzT_scaled = np.ascontiguousarray((W_hh[: 2 * H] * 0.5).T)  # (H, 2H)
        W_hnT = np.ascontiguousarray(W_hh[2 * H :].T)  # (H, H)
        RH = np.empty((T, B, H), dt)  # r_t * h_{t-1}
        tmp2 = np.empty((B, 2 * H), dt)
        for t in range(T):
            a = A[t]
            rz = a[:, : 2 * H]
            np.matmul(hs[t], W_hrzT_scaled, out=tmp2)
            rz += tmp2
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            np.multiply(r, hs[t], out=RH[t])
            np.matmul(RH[t], W_hnT, out=tmp)
            n += tmp
            np.tanh(n, out=n)  # n = tanh(W_xn x + b_xn + W_hn (r * h) + b_hn)
            np.subtract(hs[t], n, out=hs[t + 1])
            hs[t + 1] *= z
            hs[t + 1] += n
        extra = {"RH": RH}
    h = hs[1:]  # (T, B, H)
    h_n = last_step(h, lengths).copy()  # (B, H)
    if lengths is not None:
        real = (np.arange(T)[:, None] < lengths)[:, :, None]  # (T, B, 1)
        h = np.where(real, h, 0.0)  # zeros on padding (select, never multiply)
    cache = {"x": x, "hs": hs, "A": A, "W_xh": W_xh, "W_hh": W_hh, "reset_after": reset_after,
             "has_bxh": b_xh is not None, "has_bhh": b_hh is not None, "lengths": lengths, **extra,
             "b_xh": None if b_xh is None else b_xh.copy(), "b_hh": None if b_hh is None else b_hh.copy()}
    return h, h_n, cache


def gru_backward(dh, cache, dh_n=None):
    r"""Backpropagation through time for :func:`gru_forward`.

    Applies :func:`gru_step_backward` from :math:`t = T` down to 1, each step on small
    (B, H) buffers that stay in the cache; the weight gradients are one matrix product over the
    stacked steps after the loop.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H), or None
        Gradient from the layer above (None means zero).
    cache : dict
        From :func:`gru_forward`. With reset_after=True the pass writes its gradients into
        the cache's buffers; a second pass on the same cache recomputes them first.
    dh_n : ndarray, shape (B, H), or None
        Gradient with respect to the final state.

    Returns
    -------
    dx : ndarray, shape (T, B, D)
    dh0 : ndarray, shape (B, H)
    dW_xh : ndarray, shape (3H, D)
    dW_hh : ndarray, shape (3H, H)
    db_xh : ndarray, shape (3H,), or None without bias
    db_hh : ndarray, shape (3H,), or None without bias
    """
    check_cache(cache, ("x", "hs", "A", "W_xh", "W_hh"), "gru_forward")
    if cache["A"] is None:  # a backward already ran and used the buffers: rebuild them
        cache = gru_forward(cache["x"], cache["hs"][0], cache["W_xh"], cache["W_hh"], cache["b_xh"],
                            cache["b_hh"], cache["reset_after"], cache["lengths"])[2]
    x, hs, A, W_xh, W_hh, lengths = cache["x"], cache["hs"], cache["A"], cache["W_xh"], cache["W_hh"], cache["lengths"]
    T1, B, H = hs.shape
    T, D = T1 - 1, x.shape[2]
    dt = hs.dtype
    dh = check_grad("dh", dh, (T, B, H), dt, "(T, B, H), like the output h")
    dh_n = check_grad("dh_n", dh_n, (B, H), dt, "(B, H), like h_n")
    dhs, dh_next = _prepare_dh(dh, dh_n, lengths, T, B, H, dt, copy=not cache["reset_after"])
    r, z, n = A[..., :H], A[..., H : 2 * H], A[..., 2 * H :]  # (T, B, H)
    h_prev = hs[:-1]  # (T, B, H)
    tmp = np.empty((B, H), dt)
    if cache["reset_after"]:
        GHn = cache["GHn"]  # W_hn h_{t-1} + b_hn
        # The gradients overwrite the forward's buffers, step by step (the cache is used up):
        dGX = A  # dL/d(W_xh x_t + b_xh)
        dGHn = GHn  # dL/d(W_hn h_{t-1} + b_hn); the r, z blocks of dL/d(W_hh h + b_hh) are dGX's
        cache["A"] = None
        dh_t, tmp2, tmp3 = np.empty((B, H), dt), np.empty((B, H), dt), np.empty((B, H), dt)
        dg = np.empty((B, 3 * H), dt)  # dL/d(W_hh h_{t-1} + b_hh) at step t
        for t in range(T - 1, -1, -1):
            a = A[t]  # (B, 3H): activations, then gradients
            r_t, z_t, n_t = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            np.add(dhs[t], dh_next, out=dh_t)  # dL/dh_t
            np.subtract(1.0, z_t, out=tmp)
            tmp *= dh_t  # dL/dn = dL/dh_t (1 - z)
            np.subtract(h_prev[t], n_t, out=tmp3)
            tmp3 *= dh_t  # dL/dz = dL/dh_t (h_{t-1} - n)
            np.multiply(n_t, n_t, out=n_t)
            np.subtract(1.0, n_t, out=n_t)
            n_t *= tmp  # dL/da_n = dL/dn (1 - n^2), in place of n
            np.multiply(n_t, GHn[t], out=tmp2)  # dL/dr = dL/da_n (W_hn h + b_hn)
            np.multiply(n_t, r_t, out=dg[:, 2 * H :])  # through r * (W_hn h + b_hn)
            np.subtract(1.0, a[:, : 2 * H], out=dg[:, : 2 * H])
            dg[:, : 2 * H] *= a[:, : 2 * H]  # sigma' for r and z
            dg[:, :H] *= tmp2  # dL/da_r
            dg[:, H : 2 * H] *= tmp3  # dL/da_z
            np.multiply(dh_t, z_t, out=tmp)  # direct path, before z is overwritten
            a[:, : 2 * H] = dg[:, : 2 * H]
            dGHn[t] = dg[:, 2 * H :]
            np.matmul(dg, W_hh, out=dh_next)
            dh_next += tmp  # dL/dh_{t-1}
        dGX2, dGHn2, h_prev2 = dGX.reshape(T * B, 3 * H), dGHn.reshape(T * B, H), h_prev.reshape(T * B, H)
        dW_hh = np.concatenate([dGX2[:, : 2 * H].T @ h_prev2, dGHn2.T @ h_prev2])  # (3H, H)
        db_hh = None
        if cache["has_bhh"]:
            ones = np.ones(T * B, dt)
            db_hh = np.concatenate([ones @ dGX2[:, : 2 * H], ones @ dGHn2])  # (3H,)
    else:
        RH = cache["RH"]
        Pn = (1 - z) * (1 - n * n)  # d a_n / d h_t (T, B, H)
        Pz = (h_prev - n) * z * (1 - z)  # d a_z / d h_t
        hr = h_prev * r * (1 - r)  # (T, B, H)
        W_hrz, W_hn = W_hh[: 2 * H], W_hh[2 * H :]
        dGX = np.empty((T, B, 3 * H), dt)  # dL/da (all biases are outside the products)
        drh = np.empty((B, H), dt)
        for t in range(T - 1, -1, -1):
            dh_t = dhs[t]
            dh_t += dh_next
            da = dGX[t]
            np.multiply(dh_t, Pn[t], out=da[:, 2 * H :])  # delta_n
            np.matmul(da[:, 2 * H :], W_hn, out=drh)  # dL/d(r * h_prev)
            np.multiply(dh_t, Pz[t], out=da[:, H : 2 * H])  # delta_z
            np.multiply(drh, hr[t], out=da[:, :H])  # delta_r
            np.matmul(da[:, : 2 * H], W_hrz, out=dh_next)
            np.multiply(dh_t, z[t], out=tmp)
            dh_next += tmp
            np.multiply(drh, r[t], out=tmp)
            dh_next += tmp  # dL/dh_{t-1}
        dGX2 = dGX.reshape(T * B, 3 * H)
        dW_hh = np.concatenate(
            [dGX2[:, : 2 * H].T @ h_prev.reshape(T * B, H), dGX2[:, 2 * H :].T @ RH.reshape(T * B, H)]
        )  # (3H, H)
        db_hh = dGX2.sum(axis=0) if cache["has_bhh"] else None
    dGX2 = dGX.reshape(T * B, 3 * H)
    dW_xh = dGX2.T @ x.reshape(T * B, D)  # (3H, D)
    db_xh = np.ones(T * B, dt) @ dGX2 if cache["has_bxh"] else None  # (3H,), a product: faster than sum
    dx = (dGX2 @ W_xh).reshape(T, B, D)  # (T, B, D)
    return dx, dh_next, dW_xh, dW_hh, db_xh, db_hh
