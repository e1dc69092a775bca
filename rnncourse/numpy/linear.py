r"""Fully connected layer, :math:`y = W x + b`, applied to the last axis of any array.

Used on top of a recurrent layer to read out every time step: (T, B, H) -> (T, B, V).
"""

from __future__ import annotations

import numpy as np

from ._check import as_float_array, as_generator, check_dtype, check_positive_int
from .init import init_uniform
from .state import load_state_dict_into

__all__ = ["Linear"]


class Linear:
    r"""Affine map on the last axis, as ``torch.nn.Linear``.

    .. math::

        y = W x + b, \qquad \frac{\partial L}{\partial x} = W^\top \frac{\partial L}{\partial y},
        \quad \frac{\partial L}{\partial W} = \sum \frac{\partial L}{\partial y} x^\top,
        \quad \frac{\partial L}{\partial b} = \sum \frac{\partial L}{\partial y},

    the sums running over all leading positions (time steps and batch).

    Parameters
    ----------
    in_features : int
        Size of the last axis of the input.
    out_features : int
        Size of the last axis of the output.
    bias : bool
    dtype : numpy.float64 or numpy.float32
    rng : numpy.random.Generator, int or None
        Weights and bias from :math:`\mathcal{U}(-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}})`, as PyTorch.

    Attributes
    ----------
    grads : dict
        ``"weight"`` (and ``"bias"``), filled by :meth:`backward`. The parameters themselves
        are the properties ``weight`` (out_features, in_features) and ``bias`` (out_features,).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64, rng=None):
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.dtype = check_dtype(dtype)
        rng = as_generator(rng)
        shape = (self.out_features, self.in_features)
        self._params = {"weight": init_uniform(shape, self.in_features, rng, self.dtype)}
        if bias:
            self._params["bias"] = init_uniform((self.out_features,), self.in_features, rng, self.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self._params.items()}
        self._x = None

    @property
    def weight(self) -> np.ndarray:
        """W, (out_features, in_features)."""
        return self._params["weight"]

    @property
    def bias(self):
        """b, (out_features,), or None."""
        return self._params.get("bias")

    def parameters(self) -> dict:
        """The dict name -> parameter array (the arrays ``forward`` reads)."""
        return self._params

    def state_dict(self) -> dict:
        """Copies of ``weight`` (and ``bias``), PyTorch's names and shapes."""
        return {k: v.copy() for k, v in self._params.items()}

    def load_state_dict(self, state_dict) -> None:
        """Copy parameters in place from a mapping (torch CPU tensors accepted); names, shapes, dtypes checked.

        See ``rnncourse.numpy.state.load_state_dict_into``: nothing is loaded on any problem.
        """
        load_state_dict_into(self, self._params, state_dict)

    def zero_grad(self) -> None:
        """Set the gradients to zero."""
        for g in self.grads.values():
            g[...] = 0.0

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"

    def forward(self, x):
        """Apply the map to the last axis.

        Parameters
        ----------
        x : array-like, shape (..., in_features)

        Returns
        -------
        y : ndarray, shape (..., out_features)
        """
        x = as_float_array("x", x, self.dtype)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have shape (..., {self.in_features}) (in_features={self.in_features}), "
                             f"got {x.shape}")
        self._x = x
        y = x @ self.weight.T  # (..., out)
        if self.bias is not None:
            y += self.bias
        return y

    __call__ = forward

    def backward(self, dy):
        """Gradient of the last ``forward``; fills ``grads`` (overwriting).

        Parameters
        ----------
        dy : array-like, shape (..., out_features)

        Returns
        -------
        dx : ndarray, shape (..., in_features)
        """
        if self._x is None:
            raise RuntimeError("backward() called before forward()")
        x = self._x
        expected = x.shape[:-1] + (self.out_features,)
        dy = as_float_array("dy", dy, self.dtype)
        if dy.shape != expected:
            raise ValueError(f"dy must have shape {expected} like the output, got {dy.shape}")
        dy2 = dy.reshape(-1, self.out_features)  # (N, out)
        self.grads = {"weight": dy2.T @ x.reshape(-1, self.in_features)}  # (out, in)
        if self.bias is not None:
            self.grads["bias"] = dy2.sum(axis=0)  # (out,)
        return dy @ self.weight  # (..., in)
