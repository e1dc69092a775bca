r"""The associative operator of a linear recurrence (NumPy or torch, imports NumPy only).

A linear recurrence

.. math::

    h_t = a_t \odot h_{t-1} + b_t

maps the state before a step to the state after it by the affine function
:math:`h \mapsto a_t \odot h + b_t`, which the pair :math:`(a_t, b_t)` describes. Two steps in a
row compose into one affine function of the same form: first :math:`(a_1, b_1)`, then
:math:`(a_2, b_2)` gives :math:`h \mapsto a_2 \odot (a_1 \odot h + b_1) + b_2`, the pair

.. math::

    (a_1, b_1) \bullet (a_2, b_2) = (a_2 \odot a_1,\; a_2 \odot b_1 + b_2).

Composition of functions is associative, so :math:`\bullet` is too, and the states
:math:`h_t` (with :math:`h_0` folded into :math:`b_1`) are the prefix "sums" of the pairs under
:math:`\bullet`: a parallel scan computes them in :math:`\lceil \log_2 T \rceil` sequential
steps (:func:`rnncourse.torch.linear_scan`). The operator is not commutative: the order of the
two pairs matters.

:func:`scan_combine` is also the exercise ``scan_combine`` of lesson 15; its body is the
reference solution shown in the book.
"""

from __future__ import annotations

from rnncourse._checked import checked

__all__ = ["scan_combine"]


def _scan_combine_args(first, second):
    for name, pair in (("first", first), ("second", second)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"{name} must be a pair (a, b) of arrays or tensors of one shape; "
                f"got {type(pair).__name__}"
                + (f" of length {len(pair)}" if isinstance(pair, (tuple, list)) else ""))
        a, b = pair
        for part, x in (("a", a), ("b", b)):
            if not hasattr(x, "shape"):
                raise TypeError(f"{name}'s {part} must be an array or a tensor; got {type(x).__name__}")
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(
                f"{name}'s a and b must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}")
    if tuple(first[0].shape) != tuple(second[0].shape):
        raise ValueError(
            f"first and second must hold arrays of the same shape; got {tuple(first[0].shape)} "
            f"and {tuple(second[0].shape)}")
    return first, second


def scan_combine(first, second):
    r"""Two steps of h_t = a_t * h_{t-1} + b_t as one step.

    .. math::

        (a_1, b_1) \bullet (a_2, b_2)
        = (a_2 \odot a_1,\; a_2 \odot b_1 + b_2)

    Applying the result to a state h gives the same as applying
    ``first`` and then ``second``: ``a2 * (a1 * h + b1) + b2``.
    Elementwise, so any shape (H,), (B, H), (T, B, H) works, for
    NumPy arrays and torch tensors alike (the result is of the
    same kind).

    Parameters
    ----------
    first, second : pair (a, b) of ndarray or Tensor
        The earlier and the later step, four arrays of one shape.

    Returns
    -------
    (a, b) : pair of the same shape
        The two steps as one.

    Raises
    ------
    TypeError
        A pair is not a tuple or list of two arrays.
    ValueError
        The shapes differ.

    References
    ----------
    G. E. Blelloch, "Prefix sums and their applications",
    CMU-CS-90-190 (1990), section 1.4 (first-order recurrences).
    """
    a1, b1 = first
    a2, b2 = second
    return a2 * a1, a2 * b1 + b2


scan_combine = checked(scan_combine, _scan_combine_args)
