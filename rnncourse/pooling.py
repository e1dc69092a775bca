"""From a padded batch of hidden states to one vector per sequence (many-to-one).

A classifier reads a batch of sequences of different lengths, right-padded to a common length
T, and answers once per sequence. Given the outputs ``h`` (T, B, H) of a unidirectional
recurrent layer and each sequence's length L_b (its steps t < L_b are real, the rest padding),
three ways to summarise sequence b:

:func:`last_valid_state`
    :math:`h_{L_b - 1,\\, b}`, the state after the last *real* step. The classic bug takes
    ``h[-1]``: for a sequence shorter than T, that state was computed after reading padding.
:func:`masked_mean_pool`
    :math:`\\frac{1}{L_b}\\sum_{t < L_b} h_{t,b}`, the average over the real steps only.
:func:`masked_max_pool`
    :math:`\\max_{t < L_b} h_{t,b}`, feature by feature.

:func:`lengths_mask` gives the (T, B) boolean mask of the real steps.

Every function takes NumPy arrays or torch tensors and returns the same kind: a torch model
calls them on tensors that require grad (any device), and the gradient flows back to the real
steps only (it is zero on padding). Arrays are time-major, (T, B, H), as everywhere in this
course. Lengths must lie in [1, T] (a sequence with no real step has no state to summarise).
Bad input raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong shape or
values), naming the argument and what was expected.

:func:`last_valid_state` and :func:`masked_mean_pool` are also exercises of lesson 10, and the
source of their NumPy bodies is the reference solution shown in the book. So that a body reads
as the algorithm alone (and runs on its own when pasted into a notebook), a wrapper applied
after each definition checks the arguments and, for torch tensors, runs an equivalent torch
version; ``inspect.getsource`` and ``help`` show the function itself. This module imports
nothing beyond NumPy: it never imports torch itself.
"""

from __future__ import annotations

import functools
import sys
from numbers import Integral

import numpy as np

__all__ = ["last_valid_state", "masked_mean_pool", "masked_max_pool", "lengths_mask"]


# ----------------------------------------------------------------------------- argument checks
def _torch_of(x):
    """The torch module if ``x`` is a torch.Tensor, else None (torch is never imported here)."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def _lengths_array(lengths) -> np.ndarray:
    """``lengths`` as a 1-D int64 NumPy array (a tensor on any device is read); else an error."""
    if _torch_of(lengths) is not None:
        lengths = lengths.detach().cpu().numpy()
    expected = "a 1-D array (or list, or tensor) of integers, one length per sequence"
    try:
        lens = np.asarray(lengths)
    except (TypeError, ValueError):
        raise TypeError(f"lengths must be {expected}; got {type(lengths).__name__}") from None
    if lens.dtype.kind == "f" and lens.size == 0:
        lens = lens.astype(np.int64)  # an empty list: a batch of no sequences
    if lens.dtype.kind not in "iu":
        what = "booleans" if lens.dtype.kind == "b" else f"dtype {lens.dtype}"
        raise TypeError(f"lengths must be {expected}; got {what}")
    if lens.ndim != 1:
        raise ValueError(f"lengths must be {expected}, shape (B,); got shape {lens.shape}")
    return lens.astype(np.int64)


def _check_range(lens: np.ndarray, low: int, T: int) -> None:
    bad = (lens < low) | (lens > T)
    if bad.any():
        i = int(np.argmax(bad))
        why = " (a sequence needs at least one real step)" if low == 1 else ""
        raise ValueError(f"every length must be in [{low}, T] = [{low}, {T}]{why}; got lengths[{i}] = {lens[i]}")


def _checked_lengths(outputs, lengths) -> np.ndarray:
    """Check ``outputs`` (T, B, H) and ``lengths`` (B,); return the lengths as int64 NumPy."""
    torch = _torch_of(outputs)
    if torch is None and not isinstance(outputs, np.ndarray):
        raise TypeError(
            f"outputs must be a NumPy array or a torch tensor of shape (T, B, H); got {type(outputs).__name__}"
        )
    if outputs.ndim != 3:
        raise ValueError(f"outputs must have shape (T, B, H), time-major; got shape {tuple(outputs.shape)}")
    real = (
        not (outputs.is_complex() or outputs.dtype == torch.bool)
        if torch is not None
        else outputs.dtype.kind in "iuf"
    )
    if not real:
        raise TypeError(f"outputs must hold real numbers; got dtype {outputs.dtype}")
    T, B = int(outputs.shape[0]), int(outputs.shape[1])
    if T == 0:
        raise ValueError(f"outputs must have at least one time step; got shape {tuple(outputs.shape)}")
    lens = _lengths_array(lengths)
    if lens.shape != (B,):
        raise ValueError(
            f"lengths must have shape (B,) = ({B},), one length per sequence of outputs "
            f"{tuple(outputs.shape)} = (T, B, H); got shape {lens.shape}"
        )
    _check_range(lens, 1, T)
    return lens


def _with_torch(numpy_version, torch_version):
    """The public function: arguments checked, then ``numpy_version`` runs, or for a tensor
    ``torch_version(torch, outputs, lengths)``. Both get the lengths as an int64 NumPy array."""

    @functools.wraps(numpy_version)  # keeps the name, the docstring and (in __wrapped__) the source
    def pooled(outputs, lengths):
        lens = _checked_lengths(outputs, lengths)
        torch = _torch_of(outputs)
        if torch is not None:
            return torch_version(torch, outputs, lens)
        result = numpy_version(outputs, lens)
        return result.astype(outputs.dtype, copy=False) if outputs.dtype.kind == "f" else result

    return pooled


# ----------------------------------------------------------------------------- torch versions
def _real_steps_torch(torch, outputs, lens):
    """(T, B, 1) bool tensor on the device of ``outputs``, True on real steps."""
    T = outputs.shape[0]
    lengths = torch.as_tensor(lens, device=outputs.device)
    return (torch.arange(T, device=outputs.device)[:, None] < lengths[None, :])[:, :, None]


def _last_valid_state_torch(torch, outputs, lens):
    steps = torch.as_tensor(lens - 1, device=outputs.device)  # (B,)
    batch = torch.arange(outputs.shape[1], device=outputs.device)  # (B,)
    return outputs[steps, batch]  # (B, H); the gradient reaches only these entries


def _masked_mean_pool_torch(torch, outputs, lens):
    real = _real_steps_torch(torch, outputs, lens)
    zero = torch.zeros((), dtype=outputs.dtype, device=outputs.device)
    total = torch.where(real, outputs, zero).sum(dim=0)  # (B, H); padding (even NaN) adds nothing
    count = torch.as_tensor(lens, device=outputs.device)
    if total.is_floating_point():
        count = count.to(total.dtype)
    return total / count[:, None]


def _masked_max_pool_torch(torch, outputs, lens):
    real = _real_steps_torch(torch, outputs, lens)
    low = float("-inf") if outputs.is_floating_point() else torch.iinfo(outputs.dtype).min
    return outputs.masked_fill(~real, low).amax(dim=0)  # (B, H)


# ----------------------------------------------------------------------------- public functions
def lengths_mask(lengths, T):
    """Boolean mask (T, B) of the real steps: True where t < lengths[b].

    Parameters
    ----------
    lengths : array-like or Tensor of int, shape (B,)
        Each sequence's length, in [0, T] (a length of 0 gives a column of False).
    T : int
        The padded length, >= 0.

    Returns
    -------
    ndarray of bool, shape (T, B); a bool tensor on the device of ``lengths`` if it is a tensor.

    Raises
    ------
    TypeError
        ``T`` is not an int; ``lengths`` does not hold integers.
    ValueError
        ``T`` < 0; ``lengths`` is not 1-D; a length is below 0 or above T.
    """
    if isinstance(T, bool) or not isinstance(T, Integral):
        raise TypeError(f"T must be an int >= 0 (the padded length); got {T!r}")
    if T < 0:
        raise ValueError(f"T must be an int >= 0 (the padded length); got {T}")
    lens = _lengths_array(lengths)
    _check_range(lens, 0, int(T))
    torch = _torch_of(lengths)
    if torch is not None:
        return torch.arange(int(T), device=lengths.device)[:, None] < lengths[None, :]
    return np.arange(T)[:, None] < lens[None, :]  # (T, B)


def last_valid_state(outputs, lengths):
    """Each sequence's hidden state at its last real step.

    .. math:: s_b = h_{L_b - 1,\\, b}

    For a unidirectional layer this is the final state ``h_n`` that ``torch.nn.GRU`` returns
    for a packed batch (``pack_padded_sequence``): the state after reading exactly the
    sequence, none of its padding.

    Parameters
    ----------
    outputs : ndarray or Tensor, shape (T, B, H)
        The layer's output at every step, right-padded (steps t >= L_b are padding).
    lengths : array-like or Tensor of int, shape (B,)
        Each sequence's length L_b, in [1, T].

    Returns
    -------
    ndarray or Tensor, shape (B, H), the same kind as ``outputs``.

    Raises
    ------
    TypeError
        ``outputs`` is neither an array nor a tensor of real numbers; ``lengths`` does not
        hold integers.
    ValueError
        ``outputs`` is not 3-D; ``lengths`` is not (B,); a length is 0 or above T.
    """
    B = outputs.shape[1]
    return outputs[lengths - 1, np.arange(B)]  # (B, H): step lengths[b] - 1 of sequence b


last_valid_state = _with_torch(last_valid_state, _last_valid_state_torch)


def masked_mean_pool(outputs, lengths):
    """The average of each sequence's outputs over its real steps.

    .. math:: s_b = \\frac{1}{L_b} \\sum_{t=0}^{L_b - 1} h_{t, b}

    Parameters, returns and errors as in :func:`last_valid_state`: (T, B, H) and (B,) in,
    (B, H) out. Whatever the padding holds (even NaN) does not change the result.
    """
    T = outputs.shape[0]
    real = np.arange(T)[:, None] < lengths  # (T, B): True on real steps
    total = np.where(real[:, :, None], outputs, 0.0).sum(axis=0)  # (B, H): padding adds 0
    return total / lengths[:, None]  # (B, H): each row divided by its own length


masked_mean_pool = _with_torch(masked_mean_pool, _masked_mean_pool_torch)


def masked_max_pool(outputs, lengths):
    """The feature-wise maximum of each sequence's outputs over its real steps.

    .. math:: s_{b,j} = \\max_{t < L_b} h_{t, b, j}

    Parameters, returns and errors as in :func:`last_valid_state`: (T, B, H) and (B,) in,
    (B, H) out. Whatever the padding holds does not change the result.
    """
    T = outputs.shape[0]
    real = np.arange(T)[:, None] < lengths  # (T, B): True on real steps
    return np.where(real[:, :, None], outputs, -np.inf).max(axis=0)  # (B, H)


masked_max_pool = _with_torch(masked_max_pool, _masked_max_pool_torch)
