r"""Parameter initialisation, as PyTorch's recurrent layers do it.

``torch.nn.RNN``, ``LSTM`` and ``GRU`` draw every weight and bias from

.. math::

    \mathcal{U}\left(-\frac{1}{\sqrt{H}}, \frac{1}{\sqrt{H}}\right),

with H the hidden size. We draw from a local ``numpy.random.Generator`` (never the global
NumPy state), so a seed reproduces a model exactly.
"""

from __future__ import annotations

import numpy as np

from ._check import as_generator, check_dtype, check_positive_int

__all__ = ["init_uniform"]


def init_uniform(shape, hidden_size: int, rng=None, dtype=np.float64) -> np.ndarray:
    r"""Draw an array from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`, as PyTorch's RNN layers.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the array, e.g. (G*H, D) for W_xh.
    hidden_size : int
        H, which sets the bound :math:`1/\sqrt{H}` (for ``Linear`` pass the number of inputs).
    rng : numpy.random.Generator, int or None
        Source of randomness (a seed or None makes a fresh local generator).
    dtype : numpy.float32 or numpy.float64

    Returns
    -------
    ndarray
        Array of the given shape and dtype.
    """
    H = check_positive_int("hidden_size", hidden_size)
    dt = check_dtype(dtype)
    bound = 1.0 / np.sqrt(H)
    return as_generator(rng).uniform(-bound, bound, size=shape).astype(dt)
