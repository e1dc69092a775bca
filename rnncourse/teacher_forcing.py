"""Teacher forcing: the decoder of a sequence-to-sequence model is fed the true previous token.

During training the decoder does not read its own (possibly wrong) predictions: at step t it
reads the target token of step t - 1, and at step 0 a begin-of-sequence id (BOS). Its inputs
are the targets shifted one step to the right, BOS in front; the last real target (the
end-of-sequence id, EOS) is never an input, because nothing is predicted after it. At
generation time there is no target, and the decoder reads its own previous output instead.

:func:`teacher_forcing_inputs` builds those inputs for a right-padded, time-major batch. It is
also an exercise of lesson 11; a wrapper applied after the definition checks the arguments (and
handles torch tensors), so that ``inspect.getsource`` shows the short NumPy body alone. This
module imports nothing beyond NumPy.
"""

from __future__ import annotations

import functools
import sys
from numbers import Integral

import numpy as np

__all__ = ["teacher_forcing_inputs"]


def _torch_of(x):
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def _token_id(x, name: str) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (Integral, np.integer)):
        raise TypeError(f"{name} must be an int token id; got {x!r} ({type(x).__name__})")
    return int(x)


def _checked(numpy_version):
    """The public function: arguments checked, then ``numpy_version`` on NumPy arrays (a torch
    tensor is converted, and the result converted back to a tensor on its device)."""

    @functools.wraps(numpy_version)  # keeps the name, the docstring and (in __wrapped__) the source
    def teacher_forcing_inputs(targets, bos, pad=0):
        torch = _torch_of(targets)
        array = targets.detach().cpu().numpy() if torch is not None else targets
        if not isinstance(array, np.ndarray):
            raise TypeError(
                "targets must be a NumPy array (or torch tensor) of int ids, shape (T, B); "
                f"got {type(targets).__name__}"
            )
        if array.dtype.kind not in "iu":
            raise TypeError(f"targets must hold int token ids; got dtype {array.dtype}")
        if array.ndim != 2 or array.shape[0] == 0:
            raise ValueError(f"targets must have shape (T, B), time-major, with T >= 1; got shape {array.shape}")
        bos, pad = _token_id(bos, "bos"), _token_id(pad, "pad")
        if bos == pad:
            raise ValueError(f"bos and pad must be different ids; got {bos} for both")
        real = array != pad  # (T, B)
        late = real[1:] & ~real[:-1]  # a real token after padding
        if late.any():
            t, b = (int(i[0]) for i in np.nonzero(late))
            raise ValueError(
                f"targets must be right-padded: column {b} has padding (id {pad}) at t = {t} and a real token "
                f"at t = {t + 1}"
            )
        result = numpy_version(array, bos, pad)
        if torch is not None:
            return torch.as_tensor(result, device=targets.device)
        return result

    return teacher_forcing_inputs


def teacher_forcing_inputs(targets, bos, pad=0):
    """The decoder's inputs under teacher forcing: BOS, then each target token one step late.

    .. math:: x_{0,b} = \\mathrm{BOS}, \\qquad x_{t,b} = y_{t-1,b} \\; (1 \\le t < L_b),
              \\qquad x_{t,b} = \\mathrm{pad} \\; (t \\ge L_b)

    The decoder reads ``inputs[t]`` and must predict ``targets[t]``: it is fed the true previous
    token, not its own guess. Each column keeps the length L_b of its target, so the same mask
    serves the inputs and the loss: the last real target (EOS) is never an input, and position
    L_b, where the shift would bring it, stays padding.

    Parameters
    ----------
    targets : ndarray or Tensor of int, shape (T, B)
        Target ids, time-major, right-padded with ``pad``; each real sequence ends with EOS.
    bos : int
        The begin-of-sequence id, different from ``pad``.
    pad : int, default 0
        The padding id (it never occurs inside a real sequence).

    Returns
    -------
    ndarray of int, shape (T, B), the dtype of ``targets`` (a tensor for a tensor).

    Raises
    ------
    TypeError
        ``targets`` is not an int array or tensor; ``bos`` or ``pad`` is not an int.
    ValueError
        ``targets`` is not 2-D with T >= 1; ``bos`` equals ``pad``; a real token follows padding.
    """
    real = targets != pad  # (T, B): True on real target tokens
    inputs = np.empty_like(targets)  # (T, B)
    inputs[0] = bos  # every sequence starts from BOS
    inputs[1:] = targets[:-1]  # then the true previous token
    return np.where(real, inputs, pad)  # padding stays padding (the shifted EOS is dropped)


teacher_forcing_inputs = _checked(teacher_forcing_inputs)
