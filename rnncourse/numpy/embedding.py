r"""Embedding table: integer ids to vectors, :math:`e = E[\text{id}]`."""

from __future__ import annotations

import numpy as np

from ._check import as_generator, check_dtype, check_positive_int
from .state import load_state_dict_into

__all__ = ["Embedding"]


class Embedding:
    r"""Lookup table, as ``torch.nn.Embedding``: ``forward(ids)`` is ``weight[ids]``.

    The lookup is a product with a one-hot vector, :math:`e = E^\top \mathrm{onehot}(\text{id})`,
    so its backward pass adds each output gradient to the row that was read:

    .. math::

        \frac{\partial L}{\partial E_v} = \sum_{\text{positions } p:\ \text{id}_p = v}
            \frac{\partial L}{\partial e_p}.

    Parameters
    ----------
    num_embeddings : int
        V, the number of ids.
    embedding_dim : int
        E, the size of each vector.
    dtype : numpy.float64 or numpy.float32
    rng : numpy.random.Generator, int or None
        Initial weights from N(0, 1), as PyTorch.

    Attributes
    ----------
    grads : dict
        ``"weight"``, filled by :meth:`backward`.
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=np.float64, rng=None):
        self.num_embeddings = check_positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        self.dtype = check_dtype(dtype)
        w = as_generator(rng).standard_normal((self.num_embeddings, self.embedding_dim)).astype(self.dtype)
        self._params = {"weight": w}
        self.grads = {"weight": np.zeros_like(w)}
        self._ids = None

    @property
    def weight(self) -> np.ndarray:
        """E, (num_embeddings, embedding_dim)."""
        return self._params["weight"]

    def parameters(self) -> dict:
        """The dict name -> parameter array."""
        return self._params

    def state_dict(self) -> dict:
        """A copy of ``weight`` under PyTorch's name."""
        return {"weight": self.weight.copy()}

    def load_state_dict(self, state_dict) -> None:
        """Copy ``weight`` in place from a mapping (torch CPU tensors accepted); name, shape, dtype checked.

        See ``rnncourse.numpy.state.load_state_dict_into``: nothing is loaded on any problem.
        """
        load_state_dict_into(self, self._params, state_dict)

    def zero_grad(self) -> None:
        """Set the gradient to zero."""
        self.grads["weight"][...] = 0.0

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def forward(self, ids):
        """Look up the vectors of ``ids``.

        Parameters
        ----------
        ids : array-like of int, any shape (...)
            Values in [0, num_embeddings).

        Returns
        -------
        ndarray, shape (..., embedding_dim)
        """
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            raise ValueError(f"ids must be in [0, {self.num_embeddings}) (num_embeddings={self.num_embeddings}), "
                             f"got min {ids.min()} and max {ids.max()}")
        self._ids = ids
        return self.weight[ids]  # (..., E)

    __call__ = forward

    def backward(self, dout) -> None:
        """Fill ``grads["weight"]`` (overwriting) from the gradient of the last output.

        Parameters
        ----------
        dout : array-like, shape (..., embedding_dim)
        """
        if self._ids is None:
            raise RuntimeError("backward() called before forward()")
        dout = np.asarray(dout, dtype=self.dtype)
        expected = self._ids.shape + (self.embedding_dim,)
        if dout.shape != expected:
            raise ValueError(f"dout must have shape {expected} like the output, got {dout.shape}")
        dW = np.zeros_like(self.weight)  # (V, E)
        np.add.at(dW, self._ids.reshape(-1), dout.reshape(-1, self.embedding_dim))  # repeated ids add up
        self.grads = {"weight": dW}
