r"""Gradient clipping by global norm (Pascanu et al., 2013), against exploding gradients."""

from __future__ import annotations

import numpy as np

__all__ = ["clip_grad_norm"]


def clip_grad_norm(grads, max_norm):
    r"""Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    .. math::

        \|g\| = \sqrt{\textstyle\sum_k \|g_k\|^2}, \qquad
        g_k \leftarrow g_k \cdot \min\left(1, \frac{\tau}{\|g\| + 10^{-6}}\right),

    as ``torch.nn.utils.clip_grad_norm_`` (which has the same :math:`10^{-6}`). The direction of
    the update is kept; only its length is capped.

    Parameters
    ----------
    grads : dict of str to array-like
        The gradients (not modified).
    max_norm : float
        :math:`\tau > 0` (``inf``: never clips). Zero, a negative number or NaN raises
        ``ValueError`` naming ``max_norm``: in the formula a negative :math:`\tau` would flip
        every gradient and NaN make them NaN (``torch.nn.utils.clip_grad_norm_`` does so silently;
        :func:`rnncourse.torch.clip_grad_norm_` refuses them too, but accepts 0 as torch does).

    Returns
    -------
    clipped : dict of str to ndarray
        New arrays, same names and shapes.
    total_norm : float
        :math:`\|g\|` before clipping.
    """
    if not hasattr(grads, "items"):
        raise TypeError(f"grads must be a dict name -> array, got {type(grads).__name__}")
    if not isinstance(max_norm, (int, float, np.integer, np.floating)) or not max_norm > 0:
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r} "
                         "(a negative max_norm would flip every gradient, a NaN one make them NaN)")
    arrays = {}
    for name, g in grads.items():
        a = np.asarray(g)
        if a.dtype.kind not in "fiu":
            raise TypeError(f"grads[{name!r}] must be a real-valued array, "
                            f"got dtype {a.dtype}")
        arrays[name] = a
    total_norm = float(np.sqrt(sum(  # ||g||, all arrays, in float64
        np.sum(np.square(a, dtype=np.float64))
        for a in arrays.values())))
    coef = min(1.0, float(max_norm) / (total_norm + 1e-6))
    # new arrays, same dtypes
    clipped = {name: a * coef for name, a in arrays.items()}
    return clipped, total_norm
