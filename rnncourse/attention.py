"""Additive attention (Bahdanau, Cho & Bengio 2015): a decoder looks back at the encoder.

An encoder-decoder that squeezes a whole source sentence into one vector forgets the start of
long sentences. Additive attention lets the decoder, at each of its steps, score every source
position against its own state (the *query*), turn the scores into weights with a softmax over
the source positions, and read the weighted average of the encoder states (the *keys*) as a
context vector. Padded source positions get weight exactly 0.

:func:`additive_attention` takes NumPy arrays or torch tensors and returns the same kind: a
torch model calls it on tensors that require grad (any device), and the gradient reaches the
real source positions only. Arrays are time-major, as everywhere in this course: the keys are
(S, B, Hk). Bad input raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong
shape or values), naming the argument and what was expected.

:func:`additive_attention` is also an exercise of lesson 11, and the source of its NumPy body
is the reference solution shown in the book. So that the body reads as the algorithm alone
(and runs on its own when pasted into a notebook), a wrapper applied after the definition
checks the arguments and, for torch tensors, runs an equivalent torch version;
``inspect.getsource`` and ``help`` show the function itself. This module imports nothing
beyond NumPy: it never imports torch itself.
"""

from __future__ import annotations

import functools
import math
import sys

import numpy as np

from rnncourse._checked import checked

__all__ = ["additive_attention", "causal_mask", "self_attention"]

_SHAPES = (  # (name, shape, number of dimensions)
    ("query", "(B, H)", 2),
    ("keys", "(S, B, Hk)", 3),
    ("mask", "(S, B)", 2),
    ("W_q", "(A, H)", 2),
    ("W_k", "(A, Hk)", 2),
    ("v", "(A,)", 1),
)


# ----------------------------------------------------------------------------- argument checks
def _torch_of(x):
    """The torch module if ``x`` is a torch.Tensor, else None (torch is never imported here)."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def _check(query, keys, mask, W_q, W_k, v):
    """Check the six arguments; return the torch module if they are tensors, else None."""
    args = (query, keys, mask, W_q, W_k, v)
    torch = _torch_of(query)
    kind = "torch tensors" if torch is not None else "NumPy arrays"
    for (name, shape, ndim), x in zip(_SHAPES, args):
        ok = _torch_of(x) is not None if torch is not None else isinstance(x, np.ndarray)
        if not ok:
            raise TypeError(
                f"{name} must be {'a torch tensor' if torch is not None else 'a NumPy array'} of shape {shape} "
                f"(all six arguments {kind}, like query); got {type(x).__name__}"
            )
        if len(x.shape) != ndim:
            raise ValueError(f"{name} must have shape {shape}; got shape {tuple(x.shape)}")
        if name == "mask":
            is_bool = x.dtype == torch.bool if torch is not None else x.dtype == np.bool_
            if not is_bool:
                raise TypeError(f"mask must hold booleans (True on real source positions); got dtype {x.dtype}")
        else:
            if not (x.is_floating_point() if torch is not None else x.dtype.kind == "f"):
                raise TypeError(f"{name} must hold floating-point numbers; got dtype {x.dtype}")
    B, H = query.shape
    S, B_k, Hk = keys.shape
    A = W_q.shape[0]
    sizes = f"query {tuple(query.shape)} = (B, H), keys {tuple(keys.shape)} = (S, B, Hk)"
    if S == 0:
        raise ValueError(f"keys must have at least one source position (S >= 1); got shape {tuple(keys.shape)}")
    if B_k != B:
        raise ValueError(f"keys must have shape (S, B, Hk) with the B = {B} of query; {sizes}")
    expected = {
        "mask": (S, B),
        "W_q": (A, H),
        "W_k": (A, Hk),
        "v": (A,),
    }
    for (name, shape, _), x in zip(_SHAPES[2:], args[2:]):
        if tuple(x.shape) != expected[name]:
            raise ValueError(
                f"{name} must have shape {shape} = {expected[name]} (A = {A} from W_q); {sizes}; "
                f"got {name} of shape {tuple(x.shape)}"
            )
    empty = ~mask.any(0)  # (B,): columns with no real position
    if bool(empty.any()):
        b = int(empty.nonzero()[0][0])
        raise ValueError(
            f"mask must mark at least one real source position in every column; mask[:, {b}] is all False "
            "(the softmax over no position is undefined)"
        )
    return torch


def _with_torch(numpy_version, torch_version):
    """The public function: arguments checked, then ``numpy_version`` runs, or for tensors
    ``torch_version(torch, *args)``."""

    @functools.wraps(numpy_version)  # keeps the name, the docstring and (in __wrapped__) the source
    def attention(query, keys, mask, W_q, W_k, v):
        torch = _check(query, keys, mask, W_q, W_k, v)
        if torch is not None:
            return torch_version(torch, query, keys, mask, W_q, W_k, v)
        return numpy_version(query, keys, mask, W_q, W_k, v)

    return attention


# ----------------------------------------------------------------------------- torch version
def _additive_attention_torch(torch, query, keys, mask, W_q, W_k, v):
    zero = torch.zeros((), dtype=keys.dtype, device=keys.device)
    keys = torch.where(mask[:, :, None], keys, zero)  # (S, B, Hk); no gradient reaches the padding
    hidden = torch.tanh(query @ W_q.T + keys @ W_k.T)  # (S, B, A)
    scores = hidden @ v  # (S, B)
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=0)  # (S, B); exactly 0 on padding
    context = (weights[:, :, None] * keys).sum(dim=0)  # (B, Hk)
    return context, weights


# ----------------------------------------------------------------------------- public function
def additive_attention(query, keys, mask, W_q, W_k, v):
    r"""Additive (Bahdanau) attention of a batch of queries over padded, time-major keys.

    .. math::

        e_{s,b} = v^\top \tanh(W_q\, q_b + W_k\, k_{s,b}), \qquad
        a_{s,b} = \frac{\exp e_{s,b}}{\sum_{s' \in \mathrm{real}(b)} \exp e_{s',b}}, \qquad
        c_b = \sum_{s} a_{s,b}\, k_{s,b}

    with :math:`a_{s,b} = 0` at padded positions (``mask[s, b]`` False). In a decoder, ``query``
    is its state and ``keys`` the encoder's outputs; the context joins the decoder's input.
    The softmax subtracts the largest real score of each column first, so large scores do not
    overflow. Whatever the padding of ``keys`` holds (even NaN or inf) does not change the
    result: it is selected away, never multiplied by 0.

    Parameters
    ----------
    query : ndarray or Tensor, shape (B, H)
        One query per sequence of the batch (the decoder state).
    keys : ndarray or Tensor, shape (S, B, Hk)
        The encoder outputs at the S source positions, time-major, right-padded.
    mask : ndarray or Tensor of bool, shape (S, B)
        True on real source positions; every column needs at least one.
    W_q : ndarray or Tensor, shape (A, H)
        Projects the query into the attention space of size A.
    W_k : ndarray or Tensor, shape (A, Hk)
        Projects each key into the same space.
    v : ndarray or Tensor, shape (A,)
        Turns a projected, squashed vector into one score.

    Returns
    -------
    context : ndarray or Tensor, shape (B, Hk)
    weights : ndarray or Tensor, shape (S, B)
        Each column sums to 1 over the real positions and is 0 on padding.

    Raises
    ------
    TypeError
        An argument is not an array (or, when ``query`` is a tensor, not a tensor); ``mask`` is
        not boolean; another argument does not hold floating-point numbers.
    ValueError
        A shape does not fit (the message names the sizes B, H, S, Hk, A); S is 0; a column of
        ``mask`` has no real position.

    References
    ----------
    D. Bahdanau, K. Cho, Y. Bengio, "Neural machine translation by jointly learning to align
    and translate", ICLR 2015, arXiv:1409.0473 (section 3.1 and appendix A.1.2).
    """
    keys = np.where(mask[:, :, None], keys, 0.0)  # (S, B, Hk): the padding, whatever it held, is 0
    hidden = np.tanh(query @ W_q.T + keys @ W_k.T)  # (S, B, A): (B, A) broadcast over S
    scores = hidden @ v  # (S, B)
    scores = np.where(mask, scores, -np.inf)  # padding can never be chosen
    top = scores.max(axis=0)  # (B,): the largest real score of each column
    e = np.exp(scores - top)  # (S, B): exp(-inf) = 0 on padding
    weights = e / e.sum(axis=0)  # (S, B): each column sums to 1
    context = (weights[:, :, None] * keys).sum(axis=0)  # (B, Hk): weighted sum over s
    return context, weights


additive_attention = _with_torch(additive_attention, _additive_attention_torch)


# ============================================================================= self-attention
def _causal_mask_args(T):
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer (the number of positions); got {T!r}")
    return (int(T),)


def causal_mask(T):
    r"""The additive causal mask of T positions: no look-ahead.

    .. math::

        M_{ts} = \begin{cases} 0 & s \le t \\
                 -\infty & s > t \end{cases}

    Added to the scores before the softmax, it gives weight
    exactly 0 to every later position: query t reads keys 1..t
    only. The same values as
    ``torch.nn.Transformer.generate_square_subsequent_mask(T)``.

    Parameters
    ----------
    T : int
        The number of positions (queries and keys alike), at least
        1.

    Returns
    -------
    ndarray of float64, shape (T, T)
        Row t is query t, column s key s: 0 on and below the
        diagonal, -inf above it.

    Raises
    ------
    ValueError
        T is not a positive integer.
    """
    later = np.triu(np.ones((T, T), dtype=bool), k=1)  # (T, T)
    return np.where(later, -np.inf, 0.0)  # (T, T)


causal_mask = checked(causal_mask, _causal_mask_args)


def _self_attention_check(q, k, v, mask):
    torch = _torch_of(q)
    kind = "a torch tensor" if torch is not None else "a NumPy array"
    for name, x, shape in (("q", q, "(..., T, d)"), ("k", k, "(..., S, d)"),
                           ("v", v, "(..., S, dv)"), ("mask", mask, "(T, S)")):
        if name == "mask" and x is None:
            continue
        ok = _torch_of(x) is not None if torch is not None else isinstance(x, np.ndarray)
        if not ok:
            raise TypeError(f"{name} must be {kind} of shape {shape} (like q); got {type(x).__name__}")
        floating = x.is_floating_point() if torch is not None else x.dtype.kind == "f"
        if not floating:
            raise TypeError(f"{name} must hold floating-point numbers; got dtype {x.dtype}")
        if len(x.shape) < 2:
            raise ValueError(f"{name} must have shape {shape}; got shape {tuple(x.shape)}")
    if mask is not None and len(mask.shape) != 2:
        raise ValueError(f"mask must have shape (T, S); got shape {tuple(mask.shape)}")
    T, d = q.shape[-2:]
    S, d_k = k.shape[-2:]
    sizes = f"q {tuple(q.shape)} = (..., T, d), k {tuple(k.shape)} = (..., S, d), v {tuple(v.shape)}"
    if d_k != d:
        raise ValueError(f"k must end in the d = {d} of q (queries and keys are compared by a dot product); {sizes}")
    if v.shape[-2] != S:
        raise ValueError(f"v must have one row per key (S = {S}); {sizes}")
    if S == 0 or T == 0:
        raise ValueError(f"q and k need at least one position each; {sizes}")
    if mask is not None:
        if tuple(mask.shape) != (T, S):
            raise ValueError(f"mask must have shape (T, S) = {(T, S)}; {sizes}; got mask {tuple(mask.shape)}")
        blocked = (mask == float("-inf")).all(-1)  # (T,): rows that allow nothing
        if bool(blocked.any()):
            t = int(blocked.nonzero()[0][0])
            raise ValueError(f"mask row {t} is -inf everywhere: query {t} may attend to no key "
                             "(the softmax over no position is undefined)")
        if bool((mask == float("inf")).any()) or bool((mask != mask).any()):
            raise ValueError("mask must hold 0 (or finite values) and -inf; it holds +inf or NaN")
    return torch


def _self_attention_torch(torch, q, k, v, mask):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # (..., T, S)
    if mask is not None:
        scores = scores + mask
    weights = torch.softmax(scores, dim=-1)  # (..., T, S): each row sums to 1
    return weights @ v, weights  # (..., T, dv)


def self_attention(q, k, v, mask=None):
    r"""Scaled dot-product attention: weighted averages of values.

    .. math::

        A = \mathrm{softmax}\Big(
            \frac{Q K^\top}{\sqrt{d}} + M\Big), \qquad
        \mathrm{out} = A V,

    the softmax taken over the keys (the last axis), so that each
    row of A sums to 1. In *self*-attention Q, K and V are three
    linear maps of the same sequence; with the :func:`causal_mask`
    as M, position t reads positions 1..t only. Dividing by
    :math:`\sqrt{d}` keeps the scores' spread near 1 when the
    entries of q and k have variance 1, so the softmax does not
    saturate as d grows.

    The time axis is the second last (``(..., T, d)``), not the
    first as elsewhere in the course: attention is two matrix
    products over the last two axes, and any leading axes (batch,
    heads) broadcast. The same values as
    ``torch.nn.functional.scaled_dot_product_attention(q, k, v,
    attn_mask=mask)``.

    Parameters
    ----------
    q : ndarray or Tensor, shape (..., T, d)
        The queries.
    k : ndarray or Tensor, shape (..., S, d)
        The keys, one per position that can be read.
    v : ndarray or Tensor, shape (..., S, dv)
        The values, one per key.
    mask : ndarray or Tensor, shape (T, S), optional
        Added to the scores: 0 where attention is allowed, -inf
        where it is not. Every row must allow at least one key.

    Returns
    -------
    out : ndarray or Tensor, shape (..., T, dv)
    weights : ndarray or Tensor, shape (..., T, S)
        Each row sums to 1; exactly 0 where ``mask`` is -inf.

    Raises
    ------
    TypeError
        An argument is not an array (not a tensor when ``q`` is
        one) or not floating point.
    ValueError
        The shapes do not fit (the message names T, S and d); a
        row of ``mask`` allows no key; ``mask`` holds +inf or NaN.

    References
    ----------
    A. Vaswani et al., "Attention is all you need", NeurIPS 2017,
    arXiv:1706.03762 (section 3.2.1).
    """
    d = q.shape[-1]
    k_T = np.swapaxes(k, -1, -2)  # (..., d, S)
    scores = q @ k_T / np.sqrt(d)  # (..., T, S)
    if mask is not None:
        scores = scores + mask  # -inf where a key is hidden
    scores = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)  # (..., T, S)
    weights = e / e.sum(axis=-1, keepdims=True)  # rows sum to 1
    return weights @ v, weights  # (..., T, dv)


def _with_torch_qkv(numpy_version, torch_version):
    @functools.wraps(numpy_version)
    def attention(q, k, v, mask=None):
        torch = _self_attention_check(q, k, v, mask)
        if torch is not None:
            return torch_version(torch, q, k, v, mask)
        return numpy_version(q, k, v, mask)

    return attention


self_attention = _with_torch_qkv(self_attention, _self_attention_torch)
