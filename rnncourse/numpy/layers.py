"""Recurrent layers with PyTorch's constructor arguments, parameter names and shapes.

``RNN``, ``LSTM`` and ``GRU`` stack ``num_layers`` layers, optionally bidirectional, on top
of the sequence functions :func:`~rnncourse.numpy.rnn_forward`,
:func:`~rnncourse.numpy.lstm_forward` and :func:`~rnncourse.numpy.gru_forward`. Their
parameters are stored exactly as ``torch.nn.RNN``/``LSTM``/``GRU`` store them, so a PyTorch
``state_dict()`` loads as it is::

    lstm = LSTM(3, 5, num_layers=2)
    lstm.load_state_dict(torch_lstm.state_dict())   # CPU tensors are fine

For layer ``k`` (``_reverse`` for the backward direction):

* ``weight_ih_l{k}``: W_xh, (G*H, D_k) with D_0 = input_size and D_k = num_directions*H;
* ``weight_hh_l{k}``: W_hh, (G*H, H);
* ``bias_ih_l{k}``, ``bias_hh_l{k}``: (G*H,), present when ``bias=True``.

Gates: G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).

Empty dimensions follow torch.nn: an empty batch (B = 0) runs forward and backward, giving
empty outputs and states and zero parameter gradients; an empty sequence (T = 0) and
``input_size``, ``hidden_size`` or ``num_layers`` of 0 are refused with a ValueError naming
them.
"""

from __future__ import annotations

import numpy as np

from ._check import as_float_array, as_generator, check_dtype, check_lengths, check_positive_int
from .gru import gru_backward, gru_forward
from .init import init_uniform
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward
from .sequence import reverse_padded
from .state import load_state_dict_into

__all__ = ["RNN", "LSTM", "GRU"]


class _RecurrentLayer:
    """Shared machinery of RNN, LSTM and GRU (parameters, state_dict, stacking, directions)."""

    _name = ""
    _gates = 1

    def __init__(self, input_size, hidden_size, num_layers, bias, batch_first, bidirectional, dtype, rng):
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        for flag, value in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{flag} must be True or False, got {value!r}")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.dtype = check_dtype(dtype)
        rng = as_generator(rng)
        self._params = {name: init_uniform(shape, self.hidden_size, rng, self.dtype)
                        for name, shape in self._param_shapes().items()}
        self.grads = {name: np.zeros_like(p) for name, p in self._params.items()}
        self._cache = None

    # -- parameters -------------------------------------------------------------------------
    @property
    def num_directions(self) -> int:
        """2 if bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    def _param_shapes(self) -> dict:
        GH, H = self._gates * self.hidden_size, self.hidden_size
        shapes = {}
        for k in range(self.num_layers):
            D_k = self.input_size if k == 0 else self.num_directions * H
            for sfx in ("", "_reverse")[: self.num_directions]:
                shapes[f"weight_ih_l{k}{sfx}"] = (GH, D_k)
                shapes[f"weight_hh_l{k}{sfx}"] = (GH, H)
                if self.bias:
                    shapes[f"bias_ih_l{k}{sfx}"] = (GH,)
                    shapes[f"bias_hh_l{k}{sfx}"] = (GH,)
        return shapes

    def parameters(self) -> dict:
        """The dict name -> parameter array; the very arrays ``forward`` reads (for optimisers)."""
        return self._params

    def __getattr__(self, name):
        params = self.__dict__.get("_params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def state_dict(self) -> dict:
        """Copies of the parameters, with PyTorch's names and shapes, in PyTorch's order."""
        return {name: p.copy() for name, p in self._params.items()}

    def load_state_dict(self, state_dict) -> None:
        """Copy parameters in place from a mapping name -> array-like (e.g. a torch ``state_dict()``).

        Every name, shape and dtype is checked first; on any difference nothing is loaded and a
        ValueError lists the missing names, the unexpected names and the wrong shapes (a
        TypeError if only dtypes are wrong: complex, integer, boolean, object). float16 and
        bfloat16 values are upcast with a UserWarning. See ``rnncourse.numpy.state``.
        """
        load_state_dict_into(self, self._params, state_dict)

    def zero_grad(self) -> None:
        """Set every gradient in ``grads`` to zero."""
        for g in self.grads.values():
            g[...] = 0.0

    def __repr__(self):
        args = [str(self.input_size), str(self.hidden_size)]
        if self.num_layers != 1:
            args.append(f"num_layers={self.num_layers}")
        args += self._extra_repr()
        if not self.bias:
            args.append("bias=False")
        if self.batch_first:
            args.append("batch_first=True")
        if self.bidirectional:
            args.append("bidirectional=True")
        if self.dtype != np.float64:
            args.append(f"dtype={self.dtype}")
        return f"{type(self).__name__}({', '.join(args)})"

    def _extra_repr(self):
        return []

    # -- the cell-specific part, implemented by the subclasses -------------------------------
    def _cell_forward(self, x, state0, p, lengths):  # pragma: no cover - abstract
        raise NotImplementedError

    def _cell_backward(self, dh, cache, dstate_n):  # pragma: no cover - abstract
        raise NotImplementedError

    def _p(self, k, sfx):
        get = self._params.get
        return (get(f"weight_ih_l{k}{sfx}"), get(f"weight_hh_l{k}{sfx}"),
                get(f"bias_ih_l{k}{sfx}"), get(f"bias_hh_l{k}{sfx}"))

    # -- forward and backward over layers and directions ---------------------------------------
    def _check_x(self, x):
        x = as_float_array("x", x, self.dtype)
        D = self.input_size
        unbatched = x.ndim == 2 and x.shape[1] == D  # unbatched (T, D), as torch.nn accepts
        axes = "(T, {})" if unbatched else "(B, T, {})" if self.batch_first else "(T, B, {})"
        if not unbatched and (x.ndim != 3 or x.shape[2] != D):
            raise ValueError(f"x must have shape {axes.format(D)} (input_size={D}), got {x.shape}")
        if x.shape[1 if self.batch_first and not unbatched else 0] == 0:  # B = 0 is fine, T = 0 is not
            raise ValueError(f"x must have at least one time step (T >= 1), got T=0: x has shape {x.shape} "
                             f"{axes.format('D')} (torch.nn.{self._name} refuses it too: 'Expected sequence "
                             "length to be larger than 0')")
        if unbatched:
            return x[:, None, :], True
        if self.batch_first:
            x = x.transpose(1, 0, 2)  # (T, B, D)
        return x, False

    def _check_state(self, name, s, B, unbatched):
        shape = (self.num_layers * self.num_directions, B, self.hidden_size)
        if s is None:
            return np.zeros(shape, self.dtype)
        s = as_float_array(name, s, self.dtype)
        if unbatched:
            if s.shape != (shape[0], shape[2]):
                raise ValueError(f"{name} must have shape {(shape[0], shape[2])} (num_layers*num_directions, "
                                 f"hidden_size) for an unbatched input, got {s.shape}")
            return s[:, None, :]
        if s.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (num_layers*num_directions, B, hidden_size), "
                             f"got {s.shape}")
        return s

    def _forward(self, x, states0, lengths):
        """x (T, B, D); states0: tuple of (L*dirs, B, H) arrays. Returns output, tuple of final states."""
        T, B, _ = x.shape
        lengths = check_lengths(lengths, T, B)
        dirs, H = self.num_directions, self.hidden_size
        finals = [np.empty_like(s) for s in states0]
        caches = []
        inp = x
        for k in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(("", "_reverse")[:dirs]):
                idx = k * dirs + d
                xin = inp if d == 0 else reverse_padded(inp, lengths)
                h, state_n, cache = self._cell_forward(xin, tuple(s[idx] for s in states0), self._p(k, sfx), lengths)
                for f, s in zip(finals, state_n):
                    f[idx] = s
                outs.append(h if d == 0 else reverse_padded(h, lengths))
                caches.append(cache)
            inp = outs[0] if dirs == 1 else np.concatenate(outs, axis=2)  # (T, B, dirs*H)
        self._cache = {"caches": caches, "T": T, "B": B, "lengths": lengths, "D": x.shape[2], "H": H}
        return inp, tuple(finals)

    def _backward(self, d_output, d_finals):
        c = self._cache
        if c is None:
            raise RuntimeError("backward() called before forward()")
        T, B, H, lengths = c["T"], c["B"], c["H"], c["lengths"]
        dirs = self.num_directions
        d_states0 = [np.zeros((self.num_layers * dirs, B, H), self.dtype) for _ in d_finals]
        grads = {}
        dout = d_output
        for k in range(self.num_layers - 1, -1, -1):
            D_k = c["D"] if k == 0 else dirs * H
            d_in = np.zeros((T, B, D_k), self.dtype) if dirs == 2 else None
            for d, sfx in enumerate(("", "_reverse")[:dirs]):
                idx = k * dirs + d
                dh = None if dout is None else dout[..., d * H : (d + 1) * H]
                if dh is not None and d == 1:
                    dh = reverse_padded(dh, lengths)
                dstate_n = tuple(None if g is None else g[idx] for g in d_finals)
                dx, dstate0, pgrads = self._cell_backward(dh, c["caches"][idx], dstate_n)
                if dirs == 1:
                    d_in = dx
                else:
                    d_in += dx if d == 0 else reverse_padded(dx, lengths)
                for acc, g in zip(d_states0, dstate0):
                    acc[idx] = g
                for name, g in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), pgrads):
                    if g is not None:
                        grads[f"{name}_l{k}{sfx}"] = g
            dout = d_in
        self.grads = {name: grads[name].astype(self.dtype, copy=False) for name in self._params}
        return dout, d_states0

    def _check_dout(self, d_output, unbatched):
        c = self._cache
        if c is None:
            raise RuntimeError("backward() called before forward()")
        T, B, F = c["T"], c["B"], self.num_directions * self.hidden_size
        if d_output is None:
            return None
        d = as_float_array("d_output", d_output, self.dtype)
        if unbatched:
            if d.shape != (T, F):
                raise ValueError(f"d_output must have shape {(T, F)} like the output, got {d.shape}")
            return d[:, None, :]
        expected = (B, T, F) if self.batch_first else (T, B, F)
        if d.shape != expected:
            raise ValueError(f"d_output must have shape {expected} like the output, got {d.shape}")
        return d.transpose(1, 0, 2) if self.batch_first else d

    def _finish_dx(self, dx, unbatched):
        if unbatched:
            return dx[:, 0, :]
        return dx.transpose(1, 0, 2) if self.batch_first else dx

    def _squeeze_state(self, s, unbatched):
        return s[:, 0, :] if unbatched else s

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class RNN(_RecurrentLayer):
    r"""Multi-layer Elman RNN, as ``torch.nn.RNN``, with a hand-written backward pass.

    Layer :math:`k` computes :math:`h_t = \phi(W_{xh} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`
    on the outputs of layer :math:`k-1` (see :func:`~rnncourse.numpy.rnn_forward`).

    Parameters
    ----------
    input_size : int
        D, features of the input.
    hidden_size : int
        H.
    num_layers : int
        L, stacked layers.
    nonlinearity : {"tanh", "relu"}
    bias : bool
        Whether to have ``bias_ih_l{k}`` and ``bias_hh_l{k}``.
    batch_first : bool
        Inputs and outputs (B, T, ...) instead of (T, B, ...); states stay (L*dirs, B, H).
    bidirectional : bool
        Add a backward direction; outputs concatenate both directions, (T, B, 2H).
    dtype : numpy.float64 or numpy.float32
    rng : numpy.random.Generator, int or None
        Source of the initial weights, :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`.

    Notes
    -----
    ``forward(x, h0=None, lengths=None)`` returns ``(output, h_n)`` with output
    (T, B, dirs*H) and h_n (L*dirs, B, H). ``backward(d_output, d_h_n=None)`` returns
    ``(dx, dh0)`` and overwrites ``grads`` (PyTorch would accumulate; here each backward
    stores the gradient of the last forward). For truncated BPTT pass the carried state as
    ``h0`` and ignore ``dh0``: that is the detach.
    """

    _name = "RNN"
    _gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, bidirectional=False, dtype=np.float64, rng=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, dtype, rng)

    def _extra_repr(self):
        return [] if self.nonlinearity == "tanh" else [f"nonlinearity={self.nonlinearity!r}"]

    def _cell_forward(self, x, state0, p, lengths):
        W_ih, W_hh, b_ih, b_hh = p
        b_h = None if b_ih is None else b_ih + b_hh
        h, h_n, cache = rnn_forward(x, state0[0], W_ih, W_hh, b_h, self.nonlinearity, lengths)
        return h, (h_n,), cache

    def _cell_backward(self, dh, cache, dstate_n):
        dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, cache, dstate_n[0])
        return dx, (dh0,), (dW_xh, dW_hh, db_h, None if db_h is None else db_h.copy())

    def forward(self, x, h0=None, lengths=None):
        """Run the layers over ``x`` (T, B, D) (or (B, T, D) with batch_first, or unbatched (T, D)).

        Parameters
        ----------
        x : array-like, shape (T, B, D)
        h0 : array-like, shape (L*dirs, B, H), or None (zeros)
        lengths : array-like of int, shape (B,), or None
            Lengths of padded sequences (as pack_padded_sequence): padding outputs zeros,
            does not change h_n and gets no gradient.

        Returns
        -------
        output : ndarray, shape (T, B, dirs*H)
        h_n : ndarray, shape (L*dirs, B, H)
        """
        x, unbatched = self._check_x(x)
        h0 = self._check_state("h0", h0, x.shape[1], unbatched)
        out, (h_n,) = self._forward(x, (h0,), lengths)
        self._cache["unbatched"] = unbatched
        return self._finish_dx(out, unbatched), self._squeeze_state(h_n, unbatched)

    def backward(self, d_output, d_h_n=None):
        """Backpropagate through the last ``forward``; fills ``grads``.

        Parameters
        ----------
        d_output : array-like, shape of the output, or None
        d_h_n : array-like, shape (L*dirs, B, H), or None

        Returns
        -------
        dx : ndarray, shape of x
        dh0 : ndarray, shape (L*dirs, B, H)
        """
        unbatched = self._cache["unbatched"] if self._cache else False
        dout = self._check_dout(d_output, unbatched)
        dhn = None if d_h_n is None else self._check_state("d_h_n", d_h_n, self._cache["B"], unbatched)
        dx, (dh0,) = self._backward(dout, (dhn,))
        return self._finish_dx(dx, unbatched), self._squeeze_state(dh0, unbatched)


class LSTM(_RecurrentLayer):
    r"""Multi-layer LSTM, as ``torch.nn.LSTM``, with a hand-written backward pass.

    See :func:`~rnncourse.numpy.lstm_forward` for the equations (gates i, f, g, o).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    num_layers : int
        L.
    bias : bool
    batch_first : bool
    bidirectional : bool
    dtype : numpy.float64 or numpy.float32
    rng : numpy.random.Generator, int or None
    forget_bias : float
        Added to the forget-gate block of every ``bias_ih`` after the uniform initialisation
        (1.0 is the classic choice of Gers et al. and Jozefowicz et al.); 0.0 is PyTorch's init.

    Notes
    -----
    ``forward(x, h0=None, lengths=None)`` with ``h0 = (h0, c0)`` returns
    ``(output, (h_n, c_n))``; ``backward(d_output, d_h_n=None)`` with ``d_h_n = (dh_n, dc_n)``
    (either may be None) returns ``(dx, (dh0, dc0))`` and overwrites ``grads``.
    """

    _name = "LSTM"
    _gates = 4

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 bidirectional=False, dtype=np.float64, rng=None, forget_bias=0.0):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, dtype, rng)
        self.forget_bias = float(forget_bias)
        if self.forget_bias != 0.0:
            if not self.bias:
                raise ValueError("forget_bias needs bias=True")
            H = self.hidden_size
            for name, p in self._params.items():
                if name.startswith("bias_ih"):
                    p[H : 2 * H] += self.forget_bias

    def _cell_forward(self, x, state0, p, lengths):
        W_ih, W_hh, b_ih, b_hh = p
        b_h = None if b_ih is None else b_ih + b_hh
        h, (h_n, c_n), cache = lstm_forward(x, state0[0], state0[1], W_ih, W_hh, b_h, lengths)
        return h, (h_n, c_n), cache

    def _cell_backward(self, dh, cache, dstate_n):
        dx, dh0, dc0, dW_xh, dW_hh, db_h = lstm_backward(dh, cache, dstate_n[0], dstate_n[1])
        return dx, (dh0, dc0), (dW_xh, dW_hh, db_h, None if db_h is None else db_h.copy())

    def forward(self, x, h0=None, lengths=None):
        """Run the layers over ``x``.

        Parameters
        ----------
        x : array-like, shape (T, B, D) (or (B, T, D) with batch_first, or unbatched (T, D))
        h0 : tuple (h0, c0) of array-likes of shape (L*dirs, B, H), or None (zeros)
        lengths : array-like of int, shape (B,), or None

        Returns
        -------
        output : ndarray, shape (T, B, dirs*H)
        (h_n, c_n) : tuple of ndarray, shapes (L*dirs, B, H)
        """
        x, unbatched = self._check_x(x)
        if h0 is None:
            h0 = (None, None)
        if not isinstance(h0, (tuple, list)) or len(h0) != 2:
            raise TypeError("h0 of an LSTM must be a tuple (h0, c0) (or None), got "
                            f"{type(h0).__name__}")
        B = x.shape[1]
        states0 = (self._check_state("h0", h0[0], B, unbatched), self._check_state("c0", h0[1], B, unbatched))
        out, (h_n, c_n) = self._forward(x, states0, lengths)
        self._cache["unbatched"] = unbatched
        sq = self._squeeze_state
        return self._finish_dx(out, unbatched), (sq(h_n, unbatched), sq(c_n, unbatched))

    def backward(self, d_output, d_h_n=None):
        """Backpropagate through the last ``forward``; fills ``grads``.

        Parameters
        ----------
        d_output : array-like, shape of the output, or None
        d_h_n : tuple (dh_n, dc_n) of array-likes (L*dirs, B, H) or None, or None

        Returns
        -------
        dx : ndarray, shape of x
        (dh0, dc0) : tuple of ndarray, shapes (L*dirs, B, H)
        """
        unbatched = self._cache["unbatched"] if self._cache else False
        dout = self._check_dout(d_output, unbatched)
        if d_h_n is None:
            d_h_n = (None, None)
        if not isinstance(d_h_n, (tuple, list)) or len(d_h_n) != 2:
            raise TypeError(f"d_h_n of an LSTM must be a tuple (dh_n, dc_n) (or None), got {type(d_h_n).__name__}")
        B = self._cache["B"]
        d_fin = tuple(None if g is None else self._check_state(n, g, B, unbatched)
                      for n, g in zip(("dh_n", "dc_n"), d_h_n))
        dx, (dh0, dc0) = self._backward(dout, d_fin)
        sq = self._squeeze_state
        return self._finish_dx(dx, unbatched), (sq(dh0, unbatched), sq(dc0, unbatched))


class GRU(_RecurrentLayer):
    r"""Multi-layer GRU, as ``torch.nn.GRU``, with a hand-written backward pass.

    See :func:`~rnncourse.numpy.gru_forward` for the equations (gates r, z, n).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    num_layers : int
        L.
    bias : bool
    batch_first : bool
    bidirectional : bool
    reset_after : bool
        True: PyTorch's (and cuDNN's) GRU; False: Cho et al. (2014), reset gate applied to
        :math:`h_{t-1}` before the product with :math:`W_{hn}` (no torch.nn counterpart).
    dtype : numpy.float64 or numpy.float32
    rng : numpy.random.Generator, int or None

    Notes
    -----
    ``forward(x, h0=None, lengths=None)`` returns ``(output, h_n)``;
    ``backward(d_output, d_h_n=None)`` returns ``(dx, dh0)`` and overwrites ``grads``.
    """

    _name = "GRU"
    _gates = 3

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 bidirectional=False, reset_after=True, dtype=np.float64, rng=None):
        if not isinstance(reset_after, (bool, np.bool_)):
            raise TypeError(f"reset_after must be True or False, got {reset_after!r}")
        self.reset_after = bool(reset_after)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, dtype, rng)

    def _extra_repr(self):
        return [] if self.reset_after else ["reset_after=False"]

    def _cell_forward(self, x, state0, p, lengths):
        W_ih, W_hh, b_ih, b_hh = p
        h, h_n, cache = gru_forward(x, state0[0], W_ih, W_hh, b_ih, b_hh, self.reset_after, lengths)
        return h, (h_n,), cache

    def _cell_backward(self, dh, cache, dstate_n):
        dx, dh0, dW_xh, dW_hh, db_xh, db_hh = gru_backward(dh, cache, dstate_n[0])
        return dx, (dh0,), (dW_xh, dW_hh, db_xh, db_hh)

    forward = RNN.forward
    backward = RNN.backward
