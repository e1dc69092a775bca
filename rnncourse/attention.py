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
import sys

import numpy as np

__all__ = ["additive_attention"]

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
