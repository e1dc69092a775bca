"""Where tensors live: the default device and the checks that keep tensors on it.

The modules in :mod:`rnncourse.torch` never call ``.cuda()`` behind your back: their
parameters are created on the ``device=`` you pass (as in ``torch.nn``) and every tensor made
during a forward pass is made on the device of the input.
"""

from __future__ import annotations

import torch

__all__ = ["default_device"]


def default_device() -> torch.device:
    """Return the device the course uses when you do not choose one.

    Returns
    -------
    torch.device
        ``cuda`` when a CUDA device is available, else ``cpu``.

    Examples
    --------
    >>> from rnncourse.torch import LSTM, default_device
    >>> lstm = LSTM(8, 16, device=default_device())
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
