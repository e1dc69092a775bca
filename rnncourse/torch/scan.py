r"""A linear recurrence computed by a parallel scan, and the minGRU layer built on it.

A recurrence whose new state is an *affine* function of the old one,

.. math::

    h_t = a_t \odot h_{t-1} + b_t, \qquad t = 1, \dots, T,

with :math:`a_t, b_t` that depend on the input only (not on :math:`h_{t-1}`), need not be
computed one step after the other. Each step is the pair :math:`(a_t, b_t)`; two steps in a row
are again one step, :math:`(a_1, b_1) \bullet (a_2, b_2) = (a_2 \odot a_1, a_2 \odot b_1 + b_2)`
(:func:`rnncourse.scan.scan_combine`), and :math:`\bullet` is associative. So the states are
prefix "sums" under :math:`\bullet`, and a parallel scan finds them all in
:math:`\lceil \log_2 T \rceil` rounds of elementwise operations over the whole sequence
(:func:`linear_scan`), where the loop needs T rounds (:func:`linear_scan_loop`).

The price: the gates must read :math:`x_t` only. :class:`MinGRU` is such a layer, a GRU with
the state taken out of its gates (Feng et al., 2024).

Shapes: T time steps, B batch, D input features, H hidden units; time-major, (T, B, H).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnncourse.scan import scan_combine

from .cells import _check_size, _check_tensor_like, init_uniform_

__all__ = ["linear_scan", "linear_scan_loop", "mingru_coefficients", "MinGRU"]


# ----------------------------------------------------------------------------------------
# the recurrence, two ways


def _check_scan_args(fn: str, a, b, h0) -> None:
    """Raise a clear error, naming the argument, unless a, b are (T, B, H) and h0 is (B, H)."""
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {name} must be a torch.Tensor of shape (T, B, H), got {type(t).__name__}")
        if t.dim() != 3:
            raise ValueError(f"{fn}: {name} must have shape (T, B, H) (3 dimensions, time-major), "
                             f"got shape {tuple(t.shape)}")
        if not t.dtype.is_floating_point:
            raise TypeError(f"{fn}: {name} must have a floating dtype (e.g. torch.float32), got {t.dtype}")
    if a.shape != b.shape:
        raise ValueError(f"{fn}: a and b must have the same shape (T, B, H), got a {tuple(a.shape)} "
                         f"and b {tuple(b.shape)}")
    if a.dtype != b.dtype:
        raise TypeError(f"{fn}: a and b must have the same dtype, got a {a.dtype} and b {b.dtype}")
    if a.device != b.device:
        raise ValueError(f"{fn}: a and b must be on the same device, got a on {a.device} and b on {b.device}")
    if h0 is None:
        return
    expected = tuple(a.shape[1:])  # (B, H)
    if not isinstance(h0, Tensor):
        raise TypeError(f"{fn}: h0 must be a torch.Tensor of shape (B, H) = {expected} or None, "
                        f"got {type(h0).__name__}")
    if tuple(h0.shape) != expected:
        raise ValueError(f"{fn}: h0 must have shape (B, H) = {expected} to match a and b of shape "
                         f"{tuple(a.shape)}, got {tuple(h0.shape)}")
    if h0.dtype != a.dtype:
        raise TypeError(f"{fn}: h0 must have the dtype of a and b ({a.dtype}), got {h0.dtype}")
    if h0.device != a.device:
        raise ValueError(f"{fn}: h0 must be on the device of a and b ({a.device}), got {h0.device}")


def linear_scan(a: Tensor, b: Tensor,
                h0: Tensor | None = None) -> Tensor:
    r"""Every h_t of h_t = a_t * h_{t-1} + b_t by a parallel scan.

    The Hillis–Steele scan: after the round with offset k
    (k = 1, 2, 4, ...), position t holds the composition of the
    steps t - 2k + 1 .. t (or 1 .. t, near the start), obtained by
    combining it with position t - k. After
    :math:`\lceil \log_2 T \rceil` rounds position t holds steps
    1 .. t, whose ``b`` part is :math:`h_t`, with :math:`h_0`
    folded into the first step as :math:`b_1 + a_1 \odot h_0`.
    Every round is out of place, so autograd differentiates
    through it.

    Parameters
    ----------
    a : Tensor
        The decays :math:`a_t`, shape (T, B, H), a floating dtype.
    b : Tensor
        The inputs :math:`b_t`, shape (T, B, H), the dtype and
        device of ``a``.
    h0 : Tensor or None
        The state before the first step, shape (B, H); None means
        zeros.

    Returns
    -------
    Tensor
        :math:`h_1, \dots, h_T`, shape (T, B, H); empty (0, B, H)
        when T = 0.

    Raises
    ------
    TypeError
        ``a``, ``b`` or ``h0`` is not a tensor, or has a
        non-floating or a different dtype.
    ValueError
        ``a`` or ``b`` is not 3-D, their shapes differ, ``h0`` is
        not (B, H), or a device differs.

    Notes
    -----
    It does :math:`O(T \log T)` work (the loop does O(T)) in
    O(log T) sequential rounds, and under autograd it keeps about
    two (T, B, H) tensors per round for the backward pass: about
    :math:`2 \lceil \log_2 T \rceil` times the memory of the
    loop's outputs.

    References
    ----------
    W. D. Hillis and G. L. Steele, "Data parallel algorithms",
    Communications of the ACM 29 (1986). G. E. Blelloch, "Prefix
    sums and their applications", CMU-CS-90-190 (1990). E. Martin
    and C. Cundy, "Parallelizing linear recurrent neural nets over
    sequence length", ICLR 2018.
    """
    _check_scan_args("linear_scan", a, b, h0)
    if h0 is None:
        h0 = a.new_zeros(a.shape[1:])  # (B, H)
    b = torch.cat([b[:1] + a[:1] * h0, b[1:]])  # (T, B, H)
    k = 1
    while k < a.shape[0]:
        # position t >= k takes in position t - k (earlier)
        a_k, b_k = scan_combine((a[:-k], b[:-k]),
                                (a[k:], b[k:]))  # (T - k, B, H)
        a = torch.cat([a[:k], a_k])  # (T, B, H): first k are done
        b = torch.cat([b[:k], b_k])  # (T, B, H)
        k *= 2
    return b  # (T, B, H): b_t now holds h_t


def linear_scan_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    r"""All the states of :math:`h_t = a_t \odot h_{t-1} + b_t`, one step after the other.

    The reference for :func:`linear_scan`: the same arguments, the same result, T sequential
    steps. Each state is a new tensor (nothing is written in place), collected in a list and
    stacked at the end, so autograd differentiates through it.

    Parameters
    ----------
    a, b : Tensor
        Shape (T, B, H), the same floating dtype and device.
    h0 : Tensor or None
        Shape (B, H); None means zeros.

    Returns
    -------
    Tensor
        :math:`h_1, \dots, h_T`, shape (T, B, H); empty (0, B, H) when T = 0.

    Raises
    ------
    TypeError, ValueError
        As :func:`linear_scan`.
    """
    _check_scan_args("linear_scan_loop", a, b, h0)
    T, B, H = a.shape
    if T == 0:
        return b.new_zeros(0, B, H)  # (0, B, H)
    h = a.new_zeros(B, H) if h0 is None else h0  # (B, H)
    states = []
    for a_t, b_t in zip(a.unbind(0), b.unbind(0)):  # T x (B, H)
        h = a_t * h + b_t  # (B, H)
        states.append(h)
    return torch.stack(states)  # (T, B, H)


# ----------------------------------------------------------------------------------------
# minGRU


_DECAYS = ("positive", "signed")


def mingru_coefficients(gx: Tensor, decay: str = "positive") -> tuple[Tensor, Tensor]:
    r"""The pair :math:`(a_t, b_t)` of a minGRU from its input projection.

    .. math::

        (g_t, n_t) = W_{ih} x_t + b_{ih}, \qquad
        a_t = \begin{cases} \sigma(g_t) & \text{positive} \\
                            2\sigma(g_t) - 1 & \text{signed} \end{cases}, \qquad
        b_t = (1 - a_t) \odot n_t

    so that :math:`h_t = a_t \odot h_{t-1} + (1 - a_t) \odot n_t`.

    Parameters
    ----------
    gx : Tensor
        The input projection, shape (..., 2H): the update-gate part :math:`g_t` then the
        candidate :math:`n_t`.
    decay : {"positive", "signed"}
        The range of :math:`a_t`: (0, 1) or (-1, 1).

    Returns
    -------
    a, b : Tensor
        Shape (..., H) each.
    """
    if decay not in _DECAYS:
        raise ValueError(f"decay must be one of {_DECAYS}, got {decay!r}")
    g, n = gx.chunk(2, dim=-1)  # 2 x (..., H)
    z = torch.sigmoid(g)
    a = z if decay == "positive" else 2 * z - 1
    return a, (1 - a) * n


class MinGRU(nn.Module):
    r"""A minGRU layer: a GRU whose gates read :math:`x_t` only, computed by a parallel scan.

    In this course's GRU convention (PyTorch's: an update gate near 1 keeps the old state):

    .. math::

        \begin{aligned}
        z_t &= \sigma(W_{iz} x_t + b_{iz}), \qquad n_t = W_{in} x_t + b_{in} \\
        h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot n_t
        \end{aligned}

    that is :math:`h_t = a_t \odot h_{t-1} + b_t` with :math:`a_t = z_t` and
    :math:`b_t = (1 - z_t) \odot n_t` (``mingru_coefficients``), which
    :func:`linear_scan` computes for all t at once. Compared with the GRU there is no reset
    gate, no :math:`W_{hh}` and no tanh on the candidate: without them nothing depends on
    :math:`h_{t-1}` but the one product :math:`a_t \odot h_{t-1}`. Feng et al. write the gate
    the other way round (:math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t`); it is
    the same layer with :math:`z \mapsto 1 - z`.

    ``decay="signed"`` widens the decay to :math:`a_t = 2\sigma(W_{iz} x_t + b_{iz}) - 1 \in
    (-1, 1)`, the "negative eigenvalues" of Grazzi et al. (2025), and keeps the same update
    :math:`h_t = a_t \odot h_{t-1} + (1 - a_t) \odot n_t`. Written as
    :math:`h_t - n_t = a_t \odot (h_{t-1} - n_t)`: each step moves the state towards
    :math:`n_t` (:math:`a_t > 0`) or reflects it about :math:`n_t` (:math:`a_t < 0`), and
    never takes it further from :math:`n_t` than it was. So the state stays bounded:
    :math:`|h_t| \le \rho |h_{t-1}| + (1 + \rho) N` with :math:`\rho = \max |a_t| < 1` and
    :math:`N = \max |n_t|`, hence :math:`|h_t| \le \max(|h_0|, \tfrac{1+\rho}{1-\rho} N)`,
    and even when :math:`|a_t|` rounds to 1 it grows at most linearly in t, never
    exponentially. Why not the tighter :math:`b_t = (1 - |a_t|) \odot n_t`, which keeps
    :math:`|h_t| \le \max(|h_0|, N)`? Because it forbids the step that counts modulo 2: with
    :math:`a = -1`, :math:`b = 1` the step is :math:`h \mapsto 1 - h`, which flips
    :math:`h \in \{0, 1\}`; the update above reaches it with :math:`n = 1/2`, and with
    :math:`a = 1` the step that keeps :math:`h`. With :math:`a_t > 0` only, no such flip
    exists: that is why the positive minGRU cannot learn parity (Grazzi et al., 2025).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    decay : {"positive", "signed"}
        The range of :math:`a_t`, (0, 1) or (-1, 1) (see above).
    scan : bool
        True: :func:`linear_scan`; False: :func:`linear_scan_loop` (the same numbers, for
        comparison).
    generator : torch.Generator, optional
        Source of randomness for the initial weights (see :func:`rnncourse.torch.init_uniform_`);
        None uses torch's global generator, as torch.nn does.
    device, dtype
        Where and how to create the parameters (torch.nn's factory arguments).

    Notes
    -----
    ``forward(input, h0=None) -> (output, h_n)``, as a one-layer ``torch.nn.GRU``: input
    (T, B, D), h0 and h_n (1, B, H) (h0 None means zeros), output (T, B, H); T = 0 is a
    RuntimeError, as in torch.nn. Parameters, in PyTorch's layout: ``weight_ih`` (2H, D),
    rows :math:`[W_{iz}; W_{in}]`, and ``bias_ih`` (2H,), drawn from
    :math:`U(-1/\sqrt{H}, 1/\sqrt{H})` as torch.nn.GRU draws its own.

    Raises
    ------
    ValueError
        ``input_size`` or ``hidden_size`` is not a positive integer, ``decay`` is unknown; in
        ``forward``, a shape is wrong or T = 0 (RuntimeError).
    TypeError
        In ``forward``, the input or h0 is not a tensor of the parameters' dtype.

    References
    ----------
    L. Feng, F. Tung, M. O. Ahmed, Y. Bengio and H. Hajimirsadeghi, "Were RNNs all we
    needed?", arXiv:2410.01201 (2024).
    R. Grazzi, J. Siems, A. Zela, J. K. H. Franke, F. Hutter and M. Pontil, "Unlocking
    state-tracking in linear RNNs through negative eigenvalues", ICLR 2025, arXiv:2411.12537.
    """

    def __init__(self, input_size: int, hidden_size: int, *, decay: str = "positive",
                 scan: bool = True, generator: torch.Generator | None = None,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        if decay not in _DECAYS:
            raise ValueError(f"decay must be one of {_DECAYS}, got {decay!r}")
        self.decay = decay
        self.scan = bool(scan)
        factory = {"device": device, "dtype": dtype}
        H, D = hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(2 * H, D, **factory))  # [W_iz; W_in] (2H, D)
        self.bias_ih = nn.Parameter(torch.empty(2 * H, **factory))  # [b_iz; b_in] (2H,)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), as torch.nn.GRU."""
        init_uniform_(self.parameters(), self.hidden_size, generator)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.decay != "positive":
            s += f", decay={self.decay!r}"
        return s if self.scan else s + ", scan=False"

    def forward(self, input: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """input (T, B, D), h0 (1, B, H) or None -> output (T, B, H), h_n (1, B, H)."""
        _check_tensor_like("input", input, self.weight_ih)
        if input.dim() != 3 or input.shape[2] != self.input_size:
            raise ValueError(f"MinGRU: expected input of shape (T, B, D) with D = input_size = "
                             f"{self.input_size}, got {tuple(input.shape)}")
        T, B = input.shape[:2]
        if T == 0:
            raise RuntimeError(f"MinGRU: expected sequence length T to be larger than 0 (at least one "
                               f"time step), got T = 0 in input of shape {tuple(input.shape)} (T, B, D)")
        if h0 is not None:
            _check_tensor_like("h0", h0, self.weight_ih)
            if tuple(h0.shape) != (1, B, self.hidden_size):
                raise ValueError(f"MinGRU: expected h0 of shape (1, B, H) = {(1, B, self.hidden_size)}, "
                                 f"got {tuple(h0.shape)}")
            h0 = h0[0]  # (B, H)
        gx = F.linear(input, self.weight_ih, self.bias_ih)  # (T, B, 2H)
        a, b = mingru_coefficients(gx, self.decay)  # (T, B, H) each
        output = (linear_scan if self.scan else linear_scan_loop)(a, b, h0)  # (T, B, H)
        return output, output[-1:]  # (T, B, H), (1, B, H)
