r"""Elementwise activations used by the cells.

The logistic sigmoid is computed through the hyperbolic tangent,

.. math::

    \sigma(a) = \frac{1}{1 + e^{-a}} = \tfrac12 \left(1 + \tanh\tfrac{a}{2}\right),

which never overflows (``np.exp(-a)`` does for ``a < -709``) and costs one transcendental.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "tanh", "relu"]


def sigmoid(a: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid, :math:`\sigma(a) = 1 / (1 + e^{-a})`, elementwise; any shape.

    Its derivative is :math:`\sigma'(a) = \sigma(a)\,(1 - \sigma(a))`.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def tanh(a: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent, elementwise; any shape. Derivative :math:`1 - \tanh^2(a)`."""
    return np.tanh(a)


def relu(a: np.ndarray) -> np.ndarray:
    r"""Rectified linear unit, :math:`\max(a, 0)`, elementwise; any shape.

    Its derivative is 1 where :math:`a > 0` and 0 elsewhere (0 at :math:`a = 0`, as PyTorch).
    """
    return np.maximum(a, 0.0)
