r"""Embedding table: integer ids to vectors, :math:`e = E[\text{id}]`."""

from __future__ import annotations

import numpy as np

from .._checked import checked as _checked
from ._check import as_float_array, as_generator, check_dtype, check_positive_int
from .state import load_state_dict_into

__all__ = ["Embedding", "embedding_backward"]


def _embedding_backward_args(ids, d_out, num_embeddings):
    num_embeddings = check_positive_int("num_embeddings", num_embeddings)
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= num_embeddings):
        raise ValueError(f"ids must be in [0, {num_embeddings}) (num_embeddings={num_embeddings}), "
                         f"got min {ids.min()} and max {ids.max()}")
    d_out = as_float_array("d_out", d_out)
    if d_out.shape[:-1] != ids.shape or d_out.ndim != ids.ndim + 1:
        expected = "(" + "".join(f"{n}, " for n in ids.shape) + "E)"
        raise ValueError(f"d_out must have shape ids.shape + (E,) = {expected}, got {d_out.shape}")
    return ids, d_out, num_embeddings


def embedding_backward(ids, d_out, num_embeddings):
    """The gradient of an embedding table from that of its output.

    The lookup reads row ``ids[p]`` at each position p, so row v
    of the gradient sums ``d_out[p]`` over the positions that read
    v (zero for an id never read).

    Parameters
    ----------
    ids : ndarray of int, shape (...), e.g. (T, B)
        The ids looked up, in [0, num_embeddings).
    d_out : ndarray, shape (..., E)
        dL/d(output): the gradient of each looked-up vector.
    num_embeddings : int
        V, the number of rows of the table.

    Returns
    -------
    ndarray, shape (V, E), the dtype of d_out
        dL/dW. The checks of the arguments are made by a wrapper.
    """
    V, E = num_embeddings, d_out.shape[-1]
    dW = np.zeros((V, E), dtype=d_out.dtype)  # (V, E), zeros
    np.add.at(dW, ids, d_out)  # one addition per position
    return dW


embedding_backward = _checked(embedding_backward, _embedding_backward_args)


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
        """Fill ``grads["weight"]`` (overwriting) from the gradient of the last output,
        with :func:`embedding_backward`.

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
        self.grads = {"weight": embedding_backward(self._ids, dout, self.num_embeddings)}  # (V, E)
