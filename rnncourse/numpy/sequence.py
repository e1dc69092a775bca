"""Helpers for padded batches of variable-length sequences.

A batch of B sequences of lengths ``lengths[b] <= T`` is stored as a (T, B, ...) array
whose steps ``t >= lengths[b]`` are padding. These helpers are the NumPy counterpart of
``torch.nn.utils.rnn.pack_padded_sequence`` / ``pad_packed_sequence``: the recurrent
functions use them so that padded steps change no state, output zeros and get no gradient.
"""

from __future__ import annotations

import numpy as np

from ._check import check_lengths, check_positive_int

__all__ = ["padding_mask", "reverse_padded", "last_step"]


def padding_mask(lengths, T: int) -> np.ndarray:
    r"""Boolean mask of the real steps: ``mask[t, b] = t < lengths[b]``.

    Parameters
    ----------
    lengths : array-like of int, shape (B,)
        Length of each sequence, in [1, T].
    T : int
        Number of time steps of the padded batch.

    Returns
    -------
    ndarray of bool, shape (T, B)
        True on real steps, False on padding.
    """
    T = check_positive_int("T", T)
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise ValueError(f"lengths must have shape (B,) (one length per sequence), got {lengths.shape}")
    lengths = check_lengths(lengths, T, lengths.shape[0])
    return np.arange(T)[:, None] < lengths[None, :]  # (T, B)


def reverse_padded(x: np.ndarray, lengths=None) -> np.ndarray:
    r"""Reverse every sequence in time within its own length; padding stays at the end.

    ``out[t, b] = x[lengths[b] - 1 - t, b]`` for ``t < lengths[b]`` and ``out[t, b] = x[t, b]``
    on padding. Applying it twice gives ``x`` back. Without lengths it is ``x[::-1]``.
    This is how the backward direction of a bidirectional layer reads a padded batch: it
    starts at each sequence's last real step, as with packed sequences in PyTorch.

    Parameters
    ----------
    x : ndarray, shape (T, B, ...)
    lengths : array-like of int, shape (B,), or None

    Returns
    -------
    ndarray, shape (T, B, ...)
    """
    if lengths is None:
        return x[::-1]
    T, B = x.shape[:2]
    lengths = check_lengths(lengths, T, B)
    t = np.arange(T)[:, None]  # (T, 1)
    src = np.where(t < lengths, lengths - 1 - t, t)  # (T, B) source step of each output step
    return x[src, np.arange(B)]  # (T, B, ...)


def last_step(h: np.ndarray, lengths=None) -> np.ndarray:
    """The state after each sequence's last real step: ``h[lengths[b] - 1, b]``.

    Parameters
    ----------
    h : ndarray, shape (T, B, H)
    lengths : array-like of int, shape (B,), or None (then ``h[-1]``)

    Returns
    -------
    ndarray, shape (B, H)
    """
    if lengths is None:
        return h[-1]
    lengths = check_lengths(lengths, h.shape[0], h.shape[1])
    return h[lengths - 1, np.arange(h.shape[1])]  # (B, H)


def _zero_padding(x, lengths):
    """``x`` with its padded steps set to 0 (a copy), so that padding holding NaN or inf
    cannot leak into the states computed (and discarded) there; ``x`` itself without lengths."""
    if lengths is None:
        return x
    return np.where((np.arange(x.shape[0])[:, None] < lengths)[:, :, None], x, 0.0).astype(x.dtype, copy=False)


def _prepare_dh(dh, dh_n, lengths, T, B, H, dtype, copy=True):
    """Gradient reaching the states from outside the recurrence, as one (T, B, H) array.

    With lengths, outputs on padding are constant zeros (no gradient) and the final state is
    the state after the last real step, so ``dh_n`` enters there. Without lengths, ``dh_n``
    is returned separately and starts the backward recursion. With ``copy=False`` the result
    may be ``dh`` itself (for callers that only read it).
    """
    if dh is None:
        out = np.zeros((T, B, H), dtype)
    elif copy or lengths is not None:
        out = dh.copy()
    else:
        out = dh
    if lengths is None:
        return out, (np.zeros((B, H), dtype) if dh_n is None else dh_n.copy())
    # No gradient into padded outputs: set to 0, not multiplied by a mask (0 * NaN is NaN).
    out[np.arange(T)[:, None] >= lengths] = 0.0  # (T, B) selects whole (H,) rows
    if dh_n is not None:
        out[lengths - 1, np.arange(B)] += dh_n
    return out, np.zeros((B, H), dtype)
