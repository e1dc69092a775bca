r"""RNN, LSTM and GRU layers written from scratch: a loop over time with torch operations.

They are drop-in twins of ``torch.nn.RNN``, ``torch.nn.LSTM`` and ``torch.nn.GRU``: the same
constructor arguments, parameter names and shapes (so ``load_state_dict`` works both ways),
the same ``forward(x, hx=None)`` and the same return values, PackedSequence input included.
Autograd does the backward pass.

The whole idea fits in :func:`recurrent_loop`::

    gx = x @ W_ih.T + b                   # (T, B, G*H): the input part, all steps at once
    for t in range(T):                     # the recurrence: one step after the other
        state = step(gx[t], state)

Computing the input projection before the loop (one matrix product of shape (T*B, D) by
(D, G*H) instead of T small ones) is the one optimisation; the rest is kept readable.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .cells import _NONLINEARITIES, _check_size, _check_tensor_like, gru_step, init_uniform_, lstm_step, rnn_step

__all__ = ["recurrent_loop", "RNN", "LSTM", "GRU"]

State = tuple  # a tuple of (B, H) tensors: (h,) or (h, c)


def recurrent_loop(step: Callable[[Tensor, State], State], gx: Tensor, state: State,
                   reverse: bool = False, mask: Tensor | None = None) -> tuple[Tensor, State]:
    r"""Run one recurrent layer over a sequence: :math:`s_t = \mathrm{step}(g^x_t, s_{t-1})`.

    Parameters
    ----------
    step : callable
        ``step(gx_t, state) -> state``, with ``gx_t`` of shape (B, G*H) and ``state`` a
        tuple of (B, H) tensors whose first element is the output :math:`h_t`.
    gx : Tensor
        The input projections of all steps, shape (T, B, G*H).
    state : tuple of Tensor
        The initial state, tensors of shape (B, H).
    reverse : bool
        Run from t = T-1 down to 0 (the backward direction of a bidirectional layer).
    mask : Tensor or None
        Bool, shape (T, B, 1), True on real steps. On padding steps the state is kept as it
        is and the output is zero, as for a PackedSequence in torch.nn.

    Returns
    -------
    output : Tensor
        :math:`h_t` for every step, shape (T, B, H).
    state : tuple of Tensor
        The state after the last real step of each sequence, (B, H) each.

    Raises
    ------
    RuntimeError
        If T = 0, as torch.nn's layers ("Expected sequence length to be larger than 0").
        B = 0 is fine: the outputs are empty.
    """
    T = gx.shape[0]
    if T == 0:  # torch.stack would fail on the empty list of outputs
        raise RuntimeError(f"recurrent_loop: expected sequence length T to be larger than 0 (at least one "
                           f"time step), got T = 0: gx has shape {tuple(gx.shape)} (T, B, G*H)")
    # One unbind, so that autograd gathers the gradients once.
    gx_steps = gx.unbind(0)  # T x (B, G*H)
    outputs = [None] * T
    steps = range(T - 1, -1, -1) if reverse else range(T)
    for t in steps:
        new_state = step(gx_steps[t], state)  # (B, H) each
        if mask is None:
            outputs[t] = new_state[0]
        else:
            m = mask[t]  # (B, 1)
            # zero outputs on padding; keep the old state there
            outputs[t] = torch.where(m, new_state[0], 0.0)
            new_state = tuple(
                torch.where(m, new, old)
                for new, old in zip(new_state, state)
            )
        state = new_state
    return torch.stack(outputs), state  # (T, B, H)


class _RNNBase(nn.Module):
    """What RNN, LSTM and GRU share: parameters, checks, layers, directions, packing."""

    _num_gates = 1
    _num_states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.num_layers = _check_size("num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a number in [0, 1] (the probability of zeroing "
                             f"an element), got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout acts between layers, so with num_layers=1 it does nothing "
                          f"(got dropout={dropout})", UserWarning, stacklevel=3)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0  # as torch.nn; LSTM projections are not implemented
        factory = {"device": device, "dtype": dtype}
        G, H, dirs = self._num_gates, hidden_size, 2 if bidirectional else 1
        self._weight_names: list[list[str]] = []  # per (layer, direction): [W_ih, W_hh, (b_ih, b_hh)]
        for layer in range(num_layers):
            D = input_size if layer == 0 else dirs * H
            for direction in range(dirs):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (G * H, D), "weight_hh": (G * H, H)}
                if bias:
                    shapes.update(bias_ih=(G * H,), bias_hh=(G * H,))
                names = []
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, nn.Parameter(torch.empty(shape, **factory)))
                    names.append(kind + suffix)
                self._weight_names.append(names)
        self.reset_parameters(generator)

    # -- parameters --------------------------------------------------------------------

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), as torch.nn."""
        init_uniform_(self.parameters(), self.hidden_size, generator)

    def flatten_parameters(self) -> None:
        """Do nothing; kept so that code written for torch.nn (which packs its weights for
        cuDNN here) runs unchanged."""

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The parameters per (layer, direction), as torch.nn: [W_ih, W_hh, b_ih, b_hh]."""
        return [[getattr(self, name) for name in names] for names in self._weight_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # -- what each cell defines --------------------------------------------------------

    def _input_bias(self, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
        """The bias added to the input projection (b_hh is folded in when it can be)."""
        return None if b_ih is None else b_ih + b_hh

    def _make_step(self, W_hh: Tensor, b_hh: Tensor | None) -> Callable[[Tensor, State], State]:
        raise NotImplementedError

    # -- forward -----------------------------------------------------------------------

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        _check_tensor_like("input", x, self.weight_ih_l0)
        layout = "(B, T, D)" if self.batch_first else "(T, B, D)"
        if x.dim() not in (2, 3):
            raise ValueError(f"{name}: expected input of shape {layout} or unbatched (T, D) with "
                             f"D = input_size = {self.input_size}, got shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must equal input_size={self.input_size}, "
                             f"got input of shape {tuple(x.shape)}")
        if x.shape[1 if self.batch_first and x.dim() == 3 else 0] == 0:  # B = 0 is fine, T = 0 is not
            layout = layout if x.dim() == 3 else "(T, D)"
            raise RuntimeError(f"{name}: expected sequence length T to be larger than 0 (at least one time "
                               f"step), got T = 0 in input of shape {tuple(x.shape)} {layout}")

    def _initial_state(self, hx, B: int, unbatched: bool, ref: Tensor) -> State:
        """Check ``hx`` and return it as a tuple of (L*dirs, B, H) tensors (zeros if None)."""
        name = type(self).__name__
        dirs = 2 if self.bidirectional else 1
        L_dirs, H = self.num_layers * dirs, self.hidden_size
        if hx is None:
            zeros = torch.zeros(L_dirs, B, H, dtype=ref.dtype, device=ref.device)  # (L*dirs, B, H)
            return (zeros,) * self._num_states
        states = (hx,) if self._num_states == 1 else hx
        if not isinstance(states, (tuple, list)) or len(states) != self._num_states:
            raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
        expected = (L_dirs, H) if unbatched else (L_dirs, B, H)
        checked = []
        for label, s in zip(("h_0", "c_0"), states):
            _check_tensor_like(f"hx ({label})", s, ref)
            if tuple(s.shape) != expected:
                raise ValueError(f"{name}: expected hidden state {label} of shape {expected} "
                                 f"(num_layers * num_directions, {'' if unbatched else 'B, '}H), "
                                 f"got {tuple(s.shape)}")
            checked.append(s.unsqueeze(1) if unbatched else s)  # (L*dirs, B, H)
        return tuple(checked)

    def forward(self, input, hx=None):
        """Run the layers over a sequence; see the class docstring for shapes."""
        packed = isinstance(input, PackedSequence)
        if packed:
            _check_tensor_like("input", input.data, self.weight_ih_l0)
            if input.batch_sizes.numel() == 0:  # only a hand-built one: torch's packing refuses empty input
                raise RuntimeError(f"{type(self).__name__}: expected sequence length T to be larger than 0 "
                                   "(at least one time step), got a PackedSequence with T = 0 (empty batch_sizes)")
            x, lengths = pad_packed_sequence(input)  # (T, B, D), lengths (B,) in the original order
            self._check_input(x)
            unbatched = False
        elif isinstance(input, Tensor):
            self._check_input(input)
            unbatched = input.dim() == 2
            x = input.unsqueeze(1) if unbatched else input  # (T, B, D) or (B, T, D)
            if self.batch_first and not unbatched:
                x = x.transpose(0, 1)  # (T, B, D)
            lengths = None
        else:
            raise TypeError(f"{type(self).__name__}: input must be a Tensor or a PackedSequence, "
                            f"got {type(input).__name__}")
        T, B = x.shape[0], x.shape[1]
        state0 = self._initial_state(hx, B, unbatched, x)  # each (L*dirs, B, H)

        mask = None
        if lengths is not None:
            steps = torch.arange(T, device=x.device).unsqueeze(1)  # (T, 1)
            mask = (steps < lengths.to(x.device).unsqueeze(0)).unsqueeze(2)  # (T, B, 1)

        dirs = 2 if self.bidirectional else 1
        final = [[None] * (self.num_layers * dirs) for _ in range(self._num_states)]
        layer_input = x  # (T, B, D)
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(dirs):
                k = layer * dirs + direction
                W_ih, W_hh, *biases = self.all_weights[k]
                b_ih, b_hh = biases if biases else (None, None)
                gx = F.linear(layer_input, W_ih, self._input_bias(b_ih, b_hh))  # (T, B, G*H)
                step = self._make_step(W_hh, b_hh)
                out, state = recurrent_loop(step, gx, tuple(s[k] for s in state0),
                                            reverse=direction == 1, mask=mask)  # out (T, B, H)
                outputs.append(out)
                for i, s in enumerate(state):
                    final[i][k] = s
            layer_input = outputs[0] if dirs == 1 else torch.cat(outputs, dim=2)  # (T, B, dirs*H)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        output = layer_input  # (T, B, dirs*H)
        h_n = tuple(torch.stack(f) for f in final)  # each (L*dirs, B, H)

        if packed:  # back to a PackedSequence with the input's batch sizes and order
            if input.sorted_indices is not None:
                output = output.index_select(1, input.sorted_indices)  # (T, B, dirs*H), sorted
                lengths = lengths.index_select(0, input.sorted_indices.cpu())  # (B,), descending
            data = pack_padded_sequence(output, lengths, enforce_sorted=True).data  # (N, dirs*H)
            output = PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        elif unbatched:
            output = output.squeeze(1)  # (T, dirs*H)
            h_n = tuple(h.squeeze(1) for h in h_n)  # (L*dirs, H)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (B, T, dirs*H)
        return output, (h_n if self._num_states == 2 else h_n[0])


_SHAPES_DOC = """
    Shapes (as torch.nn; dirs = 2 if bidirectional else 1):

    - ``input``: (T, B, D), (B, T, D) with ``batch_first=True``, unbatched (T, D), or a
      PackedSequence (any ``enforce_sorted``); the output is then a PackedSequence with the
      same ``batch_sizes``, ``sorted_indices`` and ``unsorted_indices`` (no padding), and the
      final state holds each sequence's state after its last real step.
    - ``output``: (T, B, dirs*H), the top layer's :math:`h_t` (both directions concatenated).
    - states: (L*dirs, B, H), layer-major then direction (forward first); unbatched
      (L*dirs, H). ``batch_first`` does not apply to them.
    - empty dimensions, as torch.nn: B = 0 runs forward and backward (empty outputs and
      states, zero parameter gradients); T = 0 is a RuntimeError, and ``input_size``,
      ``hidden_size`` or ``num_layers`` of 0 a ValueError, each naming the dimension.
    - parameters of layer k: ``weight_ih_l{k}`` (G*H, D_k) with D_0 = D and D_k = dirs*H
      after, ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (G*H,), and
      the same with the suffix ``_reverse`` for the backward direction.
"""

_ARGS_DOC = """
    input_size : int
        D, the number of input features.
    hidden_size : int
        H, the number of hidden units.
    num_layers : int
        L, the number of stacked layers.
    bias : bool
        Whether to have the biases ``bias_ih_l{k}`` and ``bias_hh_l{k}``.
    batch_first : bool
        Input and output as (B, T, ...) instead of (T, B, ...).
    dropout : float
        Probability of zeroing each element of a layer's output before the next layer, in
        training mode; never applied to the last layer's output.
    bidirectional : bool
        Add a second layer per level that reads the sequence backwards.
    device, dtype
        Where and how to create the parameters (torch.nn's factory arguments).
    generator : torch.Generator, optional
        Source of randomness for the initial weights, for reproducible initialisation on any
        device (see :func:`rnncourse.torch.init_uniform_`). None uses torch's global
        generator as torch.nn does.
"""


class RNN(_RNNBase):
    __doc__ = r"""The simple (Elman) RNN, from scratch, with torch.nn.RNN's interface.

    For each layer, with :math:`x_t` the input (or the layer below's output):

    .. math::

        h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad
        \phi \in \{\tanh, \mathrm{relu}\}

    Parameters
    ----------""" + _ARGS_DOC + r"""    nonlinearity : {"tanh", "relu"}
        :math:`\phi`.

    Notes
    -----
    ``forward(input, hx=None) -> (output, h_n)``, hx and h_n of shape (L*dirs, B, H); G = 1.
""" + _SHAPES_DOC

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None, *,
                 generator: torch.Generator | None = None) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, generator)
        self.nonlinearity = nonlinearity
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"  # torch.nn's names

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"

    def _make_step(self, W_hh, b_hh):
        nonlinearity = self.nonlinearity

        def step(gx_t: Tensor, state: State) -> State:
            return (rnn_step(gx_t, state[0], W_hh, None, nonlinearity),)  # b_hh is in gx
        return step


class LSTM(_RNNBase):
    __doc__ = r"""The LSTM, from scratch, with torch.nn.LSTM's interface (gate order i, f, g, o).

    For each layer, the step of :func:`rnncourse.torch.lstm_step`:

    .. math::

        \begin{aligned}
        (i, f, g, o) &= (\sigma, \sigma, \tanh, \sigma)(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \\
        c_t &= f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)
        \end{aligned}

    Parameters
    ----------""" + _ARGS_DOC + r"""    proj_size : int
        Only 0 is supported (torch.nn's LSTM with projections is not implemented).

    Notes
    -----
    ``forward(input, hx=None) -> (output, (h_n, c_n))``, with hx = (h_0, c_0), each of shape
    (L*dirs, B, H); G = 4.
""" + _SHAPES_DOC

    _num_gates = 4
    _num_states = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None, *,
                 generator: torch.Generator | None = None) -> None:
        if proj_size != 0:
            raise ValueError(f"proj_size={proj_size!r}: LSTM with projections is not supported "
                             "by rnncourse.torch.LSTM; use proj_size=0 (or torch.nn.LSTM)")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, generator)
        self.mode = "LSTM"

    def _make_step(self, W_hh, b_hh):
        def step(gx_t: Tensor, state: State) -> State:
            return lstm_step(gx_t, state[0], state[1], W_hh)  # b_hh is in gx
        return step


class GRU(_RNNBase):
    __doc__ = r"""The GRU, from scratch, with torch.nn.GRU's interface (gate order r, z, n).

    For each layer, the step of :func:`rnncourse.torch.gru_step`:

    .. math::

        \begin{aligned}
        r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
        z = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n &= \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z) \odot n + z \odot h_{t-1}
        \end{aligned}

    With ``reset_after=False`` (Cho et al., 2014) the candidate is
    :math:`n = \tanh(W_{in} x_t + b_{in} + W_{hn} (r \odot h_{t-1}) + b_{hn})`.

    Parameters
    ----------""" + _ARGS_DOC + r"""    reset_after : bool
        True (default): PyTorch's and cuDNN's GRU. False: Cho et al. (2014), which torch.nn
        does not offer; its state dict has the same names and shapes but a different meaning.

    Notes
    -----
    ``forward(input, hx=None) -> (output, h_n)``, hx and h_n of shape (L*dirs, B, H); G = 3.
""" + _SHAPES_DOC

    _num_gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, reset_after: bool = True,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, generator)
        self.reset_after = bool(reset_after)
        self.mode = "GRU"

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"

    def _input_bias(self, b_ih, b_hh):
        if b_ih is None or self.reset_after:
            return b_ih  # b_hn sits inside r * (W_hn h + b_hn): b_hh stays in the step
        return b_ih + b_hh  # Cho et al.: every part of b_hh sits outside the gates

    def _make_step(self, W_hh, b_hh):
        reset_after = self.reset_after
        b_step = b_hh if reset_after else None

        def step(gx_t: Tensor, state: State) -> State:
            return (gru_step(gx_t, state[0], W_hh, b_step, reset_after),)
        return step
