"""From a padded sequence of hidden states to one vector per sequence (many-to-one).

A classifier reads a batch of sequences of different lengths, right-padded to a common length
T, and must answer once per sequence. Three ways to summarise the outputs ``h`` (T, B, H) of a
unidirectional recurrent layer, given each sequence's length L_b:

:func:`last_valid_state`
    :math:`h_{L_b - 1, b}`: the state after the last *real* step. The classic bug takes
    ``h[-1]``, which for a shorter sequence is a state computed after reading padding.
:func:`masked_mean_pool`
    :math:`\\frac{1}{L_b}\\sum_{t < L_b} h_{t,b}`: the average over real steps only.
:func:`masked_max_pool`
    :math:`\\max_{t < L_b} h_{t,b}`, feature by feature.

Every function takes NumPy arrays or torch tensors (and returns the same kind), time-major, as
everywhere in this course. This module imports neither torch nor any package beyond NumPy.
Bad input raises ``TypeError`` or ``ValueError`` naming the argument and what was expected.
"""

from __future__ import annotations

import numpy as np

__all__ = ["last_valid_state", "masked_mean_pool", "masked_max_pool", "lengths_mask"]


def _is_tensor(x) -> bool:
    return type(x).__module__.startswith("torch")


def _check(outputs, lengths, name: str = "outputs"):
    """Check ``outputs`` (T, B, H) and ``lengths`` (B,); return (T, B, lengths as ints)."""
    if not (isinstance(outputs, np.ndarray) or _is_tensor(outputs)):
        raise TypeError(f"{name} must be a NumPy array or a torch tensor of shape (T, B, H), "
                        f"got {type(outputs).__name__}")
    if outputs.ndim != 3:
        raise ValueError(f"{name} must have shape (T, B, H) (time-major), got shape {tuple(outputs.shape)}")
    T, B = int(outputs.shape[0]), int(outputs.shape[1])
    if _is_tensor(lengths):
        lengths = lengths.detach().cpu().numpy()
    try:
        lens = np.asarray(lengths)
    except Exception as exc:
        raise TypeError(f"lengths must be a 1-D array of integers, got {type(lengths).__name__}") from exc
    if lens.dtype.kind == "f" and lens.size and np.all(lens == np.round(lens)):
        lens = lens.astype(np.int64)
    if lens.dtype.kind not in "iu":
        raise TypeError(f"lengths must hold integers, got dtype {lens.dtype}")
    if lens.shape != (B,):
        raise ValueError(f"lengths must have shape (B,) = ({B},), one length per sequence of {name}, "
                         f"got shape {lens.shape}")
    if B and (lens.min() < 1 or lens.max() > T):
        bad = lens[(lens < 1) | (lens > T)][0]
        raise ValueError(f"every length must be in [1, T] = [1, {T}] (a sequence of length 0 has no "
                         f"state to read), got {int(bad)}")
    return T, B, lens.astype(np.int64)


def lengths_mask(lengths, T: int) -> np.ndarray:
    """Boolean (T, B) mask, True where step t of sequence b is real (t < lengths[b])."""
    lens = np.asarray(lengths)
    return np.arange(T)[:, None] < lens[None, :]                  # (T, B)


def last_valid_state(outputs, lengths):
    """Each sequence's hidden state at its last real step.

    .. math:: s_b = h_{L_b - 1,\\, b}

    For a unidirectional layer this equals the final state ``h_n`` that ``torch.nn.GRU``
    returns for a packed batch (``pack_padded_sequence``): the state after reading exactly the
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
        ``outputs`` is neither an array nor a tensor; ``lengths`` does not hold integers.
    ValueError
        ``outputs`` is not 3-D; ``lengths`` is not (B,); a length is 0 or above T.
    """
    T, B, lens = _check(outputs, lengths)
    if _is_tensor(outputs):
        import torch

        t = torch.as_tensor(lens - 1, device=outputs.device)       # (B,)
        b = torch.arange(B, device=outputs.device)                 # (B,)
        return outputs[t, b]                                       # (B, H)
    return outputs[lens - 1, np.arange(B)]                         # (B, H)


def masked_mean_pool(outputs, lengths):
    """The average of each sequence's outputs over its real steps.

    .. math:: s_b = \\frac{1}{L_b} \\sum_{t=0}^{L_b - 1} h_{t, b}

    Parameters and errors as in :func:`last_valid_state`; returns (B, H).
    """
    T, B, lens = _check(outputs, lengths)
    mask = lengths_mask(lens, T)                                   # (T, B)
    if _is_tensor(outputs):
        import torch

        m = torch.as_tensor(mask, device=outputs.device, dtype=outputs.dtype)  # (T, B)
        n = torch.as_tensor(lens, device=outputs.device, dtype=outputs.dtype)  # (B,)
        return (outputs * m[:, :, None]).sum(0) / n[:, None]       # (B, H)
    summed = (outputs * mask[:, :, None]).sum(axis=0)              # (B, H)
    return summed / lens[:, None]                                  # (B, H)


def masked_max_pool(outputs, lengths):
    """The feature-wise maximum of each sequence's outputs over its real steps.

    .. math:: s_{b,j} = \\max_{t < L_b} h_{t, b, j}

    Parameters and errors as in :func:`last_valid_state`; returns (B, H).
    """
    T, B, lens = _check(outputs, lengths)
    mask = lengths_mask(lens, T)                                   # (T, B)
    if _is_tensor(outputs):
        import torch

        m = torch.as_tensor(mask, device=outputs.device)[:, :, None]  # (T, B, 1)
        return outputs.masked_fill(~m, float("-inf")).amax(0)      # (B, H)
    return np.where(mask[:, :, None], outputs, -np.inf).max(axis=0)  # (B, H)
