r"""One time step of the RNN, the LSTM and the GRU, written with torch operations.

Each cell is split in two, the way the layers in :mod:`rnncourse.torch.layers` use it:

1. the *input projection* :math:`W_{ih} x_t + b_{ih}`, which does not depend on the state and
   so can be computed for all time steps at once (one big matrix product), and
2. the *step function* (:func:`rnn_step`, :func:`lstm_step`, :func:`gru_step`), which adds
   the recurrent part :math:`W_{hh} h_{t-1} + b_{hh}` and applies the gates.

Autograd records the operations, so there is no backward pass to write here: that is the
point of the PyTorch half of the course (the NumPy half writes it by hand).

Shapes: x (B, D), h (B, H); weights in PyTorch's layout, ``W_ih`` (G*H, D), ``W_hh``
(G*H, H), biases (G*H,), with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates
r, z, n). The batched code is the column-vector maths with rows as examples:
:math:`W x` becomes ``x @ W.T``.

Empty dimensions follow torch.nn's layers: an empty batch (B = 0) works (empty outputs, zero
parameter gradients); a hidden size of 0 (in a step function) and ``input_size`` or
``hidden_size`` of 0 (in a cell) are refused with a ValueError naming them. (torch.nn's
cells accept sizes of 0; its layers refuse them, and so do these cells.)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "rnn_step",
    "lstm_step",
    "gru_step",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "init_uniform_",
]

_NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


# ----------------------------------------------------------------------------------------
# step functions (the maths)


def rnn_step(gx: Tensor, h_prev: Tensor, W_hh: Tensor, b_hh: Tensor | None = None,
             nonlinearity: str = "tanh") -> Tensor:
    r"""One step of the simple (Elman) RNN, given the input projection.

    .. math::

        h_t = \phi(\underbrace{W_{ih} x_t + b_{ih}}_{g^x_t} + W_{hh} h_{t-1} + b_{hh}),
        \qquad \phi \in \{\tanh, \mathrm{relu}\}

    Parameters
    ----------
    gx : Tensor
        The input projection :math:`g^x_t = W_{ih} x_t + b_{ih}`, shape (B, H).
    h_prev : Tensor
        :math:`h_{t-1}`, shape (B, H).
    W_hh : Tensor
        Recurrent weights, shape (H, H).
    b_hh : Tensor or None
        Recurrent bias, shape (H,); None when it is already folded into ``gx``.
    nonlinearity : {"tanh", "relu"}
        :math:`\phi`.

    Returns
    -------
    Tensor
        :math:`h_t`, shape (B, H).
    """
    _check_hidden("rnn_step", h_prev, W_hh)
    a = torch.addmm(gx, h_prev, W_hh.t())  # (B, H) = gx + h_prev @ W_hh.T
    if b_hh is not None:
        a = a + b_hh
    return _NONLINEARITIES[nonlinearity](a)


def lstm_step(gx: Tensor, h_prev: Tensor, c_prev: Tensor, W_hh: Tensor,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    r"""One step of the LSTM (gate order i, f, g, o, as PyTorch), given the input projection.

    .. math::

        \begin{aligned}
        (a_i, a_f, a_g, a_o) &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
        i &= \sigma(a_i), \quad f = \sigma(a_f), \quad g = \tanh(a_g), \quad o = \sigma(a_o) \\
        c_t &= f \odot c_{t-1} + i \odot g \\
        h_t &= o \odot \tanh(c_t)
        \end{aligned}

    Parameters
    ----------
    gx : Tensor
        The input projection :math:`W_{ih} x_t + b_{ih}`, shape (B, 4H).
    h_prev, c_prev : Tensor
        :math:`h_{t-1}` and :math:`c_{t-1}`, shape (B, H) each.
    W_hh : Tensor
        Recurrent weights, shape (4H, H).
    b_hh : Tensor or None
        Recurrent bias, shape (4H,); None when it is already folded into ``gx``.

    Returns
    -------
    tuple of Tensor
        :math:`(h_t, c_t)`, shape (B, H) each.
    """
    _check_hidden("lstm_step", h_prev, W_hh)
    a = torch.addmm(gx, h_prev, W_hh.t())  # (B, 4H)
    if b_hh is not None:
        a = a + b_hh
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)  # 4 x (B, H)
    i = torch.sigmoid(a_i)
    f = torch.sigmoid(a_f)
    o = torch.sigmoid(a_o)
    g = torch.tanh(a_g)
    c_next = f * c_prev + i * g
    h_next = o * torch.tanh(c_next)
    return h_next, c_next


def gru_step(gx: Tensor, h_prev: Tensor, W_hh: Tensor, b_hh: Tensor | None = None,
             reset_after: bool = True) -> Tensor:
    r"""One step of the GRU (gate order r, z, n, as PyTorch), given the input projection.

    With ``reset_after=True`` (PyTorch, cuDNN) the reset gate multiplies the recurrent
    projection; with ``reset_after=False`` (Cho et al., 2014) it multiplies the state first:

    .. math::

        \begin{aligned}
        r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n &= \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn}))
             \quad \text{(reset after)} \\
        n &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r \odot h_{t-1}) + b_{hn})
             \quad \text{(Cho et al.)} \\
        h_t &= (1 - z) \odot n + z \odot h_{t-1}
        \end{aligned}

    Parameters
    ----------
    gx : Tensor
        The input projection :math:`W_{ih} x_t + b_{ih}`, shape (B, 3H).
    h_prev : Tensor
        :math:`h_{t-1}`, shape (B, H).
    W_hh : Tensor
        Recurrent weights, shape (3H, H).
    b_hh : Tensor or None
        Recurrent bias, shape (3H,); None for no bias (or, with ``reset_after=False``, when
        it is already folded into ``gx``: there every part of it sits outside the gates).
    reset_after : bool
        Where the reset gate goes (see above).

    Returns
    -------
    Tensor
        :math:`h_t`, shape (B, H).
    """
    _check_hidden("gru_step", h_prev, W_hh)
    H = h_prev.shape[-1]
    x_r, x_z, x_n = gx.chunk(3, dim=1)  # 3 x (B, H)
    if reset_after:
        gh = F.linear(h_prev, W_hh, b_hh)  # (B, 3H)
        h_r, h_z, h_n = gh.chunk(3, dim=1)  # 3 x (B, H)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
    else:
        b_rz = None if b_hh is None else b_hh[: 2 * H]
        b_n = None if b_hh is None else b_hh[2 * H:]
        h_r, h_z = F.linear(h_prev, W_hh[: 2 * H], b_rz).chunk(2, dim=1)  # 2 x (B, H)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + F.linear(r * h_prev, W_hh[2 * H:], b_n))  # (B, H)
    return (1 - z) * n + z * h_prev


# ----------------------------------------------------------------------------------------
# initialisation and checks shared with the layers


@torch.no_grad()
def init_uniform_(params, hidden_size: int, generator: torch.Generator | None = None) -> None:
    r"""Fill ``params`` in place from :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`, as torch.nn does.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to fill (any shape, device and dtype).
    hidden_size : int
        H; with H = 0 the bound is 0.
    generator : torch.Generator or None
        Source of randomness. The numbers are drawn on the generator's device and copied
        to each tensor's device, so a CPU generator gives the same weights on every device.
        None uses torch's global generator (exactly what torch.nn does).
    """
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in params:
        if generator is None:
            p.uniform_(-bound, bound)
        else:
            draw = torch.empty(p.shape, dtype=p.dtype, device=generator.device)
            p.copy_(draw.uniform_(-bound, bound, generator=generator))


def _check_hidden(fn: str, h_prev: Tensor, W_hh: Tensor) -> None:
    """Refuse H = 0 in a step function (torch.nn refuses hidden_size=0 in its layers).

    Only W_hh is looked at (this runs at every step): an h_prev of another width fails in the
    product with W_hh anyway.
    """
    if W_hh.shape[-1] == 0:
        raise ValueError(f"{fn}: the hidden size H must be at least 1, got h_prev of shape "
                         f"{tuple(h_prev.shape)} and W_hh of shape {tuple(W_hh.shape)}")


def _check_size(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return value


def _check_tensor_like(name: str, t: Tensor, ref: Tensor) -> None:
    """Raise a clear error when ``t`` does not have ``ref``'s dtype and device."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype != ref.dtype:
        var = name.split()[-1].strip("()")  # "input", or "h_0" for "hx (h_0)"
        hint = f"convert the {'input' if var == 'input' else 'state'}: {var}.to({ref.dtype})"
        if ref.dtype == torch.float32:
            hint += f" or {var}.float()"
        if t.dtype.is_floating_point:  # a module can take another floating dtype, not an integer one
            hint += f", or convert the module: module.to({t.dtype})"
        raise TypeError(f"{name} has dtype {t.dtype} but the module's parameters are {ref.dtype}; {hint}")
    if t.device != ref.device:
        raise ValueError(f"{name} is on {t.device} but the module's parameters are on {ref.device}; "
                         f"move one of them (e.g. x.to({str(ref.device)!r}))")


# ----------------------------------------------------------------------------------------
# cell modules (one step, torch.nn's names and signatures)


class _CellBase(nn.Module):
    _num_gates = 1
    _num_states = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device=None, dtype=None, *, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.bias = bool(bias)
        factory = {"device": device, "dtype": dtype}
        G, H, D = self._num_gates, hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, D, **factory))  # W_ih (G*H, D)
        self.weight_hh = nn.Parameter(torch.empty(G * H, H, **factory))  # W_hh (G*H, H)
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(G * H, **factory))  # b_ih (G*H,)
            self.bias_hh = nn.Parameter(torch.empty(G * H, **factory))  # b_hh (G*H,)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), as torch.nn."""
        init_uniform_(self.parameters(), self.hidden_size, generator)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s

    def _prepare(self, x: Tensor, hx):
        """Check the input and the state; return them batched, plus whether to unbatch."""
        _check_tensor_like("input", x, self.weight_ih)
        if x.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: expected input of shape (B, {self.input_size}) "
                             f"or ({self.input_size},), got {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input.size(-1) must equal input_size="
                             f"{self.input_size}, got input of shape {tuple(x.shape)}")
        unbatched = x.dim() == 1
        if unbatched:
            x = x.unsqueeze(0)  # (1, D)
        B, H = x.shape[0], self.hidden_size
        if hx is None:
            zeros = torch.zeros(B, H, dtype=x.dtype, device=x.device)  # (B, H)
            states = (zeros,) * self._num_states
        else:
            states = (hx,) if self._num_states == 1 else hx
            if not isinstance(states, (tuple, list)) or len(states) != self._num_states:
                raise TypeError(f"{type(self).__name__}: hx must be a tuple (h, c) of two tensors")
            expected = (H,) if unbatched else (B, H)
            checked = []
            for name, s in zip(("h", "c"), states):
                _check_tensor_like(f"hx ({name})", s, self.weight_ih)
                if tuple(s.shape) != expected:
                    raise ValueError(f"{type(self).__name__}: expected hidden state {name} of shape "
                                     f"{expected}, got {tuple(s.shape)}")
                checked.append(s.unsqueeze(0) if unbatched else s)  # (B, H)
            states = tuple(checked)
        gx = F.linear(x, self.weight_ih, self.bias_ih)  # (B, G*H)
        return gx, states, unbatched


class RNNCell(_CellBase):
    r"""One step of the simple RNN, with torch.nn.RNNCell's arguments and parameter names.

    .. math::

        h' = \phi(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    bias : bool
        Whether to have ``bias_ih`` and ``bias_hh`` (H,).
    nonlinearity : {"tanh", "relu"}
        :math:`\phi`.
    device, dtype
        Where and how to create the parameters (torch.nn's factory arguments).
    generator : torch.Generator, optional
        Source of randomness for the initial weights (see :func:`rnncourse.torch.init_uniform_`).

    Notes
    -----
    ``forward(input, hx=None)``: input (B, D) or (D,), hx (B, H) or (H,) (zeros when
    None); returns h' of the same shape as hx. Parameters: ``weight_ih`` (H, D),
    ``weight_hh`` (H, H), ``bias_ih`` (H,), ``bias_hh`` (H,).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None, *,
                 generator: torch.Generator | None = None) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype, generator=generator)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        gx, (h,), unbatched = self._prepare(input, hx)  # gx (B, H)
        h_next = rnn_step(gx, h, self.weight_hh, self.bias_hh, self.nonlinearity)  # (B, H)
        return h_next.squeeze(0) if unbatched else h_next


class LSTMCell(_CellBase):
    r"""One step of the LSTM, with torch.nn.LSTMCell's arguments and parameter names.

    The equations are those of :func:`lstm_step` (gate order i, f, g, o).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    bias : bool
        Whether to have ``bias_ih`` and ``bias_hh`` (4H,).
    device, dtype
        Where and how to create the parameters (torch.nn's factory arguments).
    generator : torch.Generator, optional
        Source of randomness for the initial weights (see :func:`rnncourse.torch.init_uniform_`).

    Notes
    -----
    ``forward(input, hx=None)``: input (B, D) or (D,), hx a pair (h, c) of (B, H) or (H,)
    (zeros when None); returns (h', c'). Parameters: ``weight_ih`` (4H, D), ``weight_hh``
    (4H, H), ``bias_ih`` (4H,), ``bias_hh`` (4H,).
    """

    _num_gates = 4
    _num_states = 2

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        gx, (h, c), unbatched = self._prepare(input, hx)  # gx (B, 4H)
        h_next, c_next = lstm_step(gx, h, c, self.weight_hh, self.bias_hh)  # (B, H) each
        if unbatched:
            return h_next.squeeze(0), c_next.squeeze(0)
        return h_next, c_next


class GRUCell(_CellBase):
    r"""One step of the GRU, with torch.nn.GRUCell's arguments and parameter names.

    The equations are those of :func:`gru_step` (gate order r, z, n).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    bias : bool
        Whether to have ``bias_ih`` and ``bias_hh`` (3H,).
    device, dtype
        Where and how to create the parameters (torch.nn's factory arguments).
    reset_after : bool
        True (default) is PyTorch's and cuDNN's GRU; False is Cho et al. (2014), which
        torch.nn does not offer (same parameters, different function).
    generator : torch.Generator, optional
        Source of randomness for the initial weights (see :func:`rnncourse.torch.init_uniform_`).

    Notes
    -----
    ``forward(input, hx=None)``: input (B, D) or (D,), hx (B, H) or (H,) (zeros when
    None); returns h'. Parameters: ``weight_ih`` (3H, D), ``weight_hh`` (3H, H),
    ``bias_ih`` (3H,), ``bias_hh`` (3H,).
    """

    _num_gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None, *, reset_after: bool = True,
                 generator: torch.Generator | None = None) -> None:
        self.reset_after = bool(reset_after)
        super().__init__(input_size, hidden_size, bias, device, dtype, generator=generator)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        gx, (h,), unbatched = self._prepare(input, hx)  # gx (B, 3H)
        h_next = gru_step(gx, h, self.weight_hh, self.bias_hh, self.reset_after)  # (B, H)
        return h_next.squeeze(0) if unbatched else h_next
