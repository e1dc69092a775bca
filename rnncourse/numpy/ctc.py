r"""Connectionist temporal classification (CTC): the loss of a labelling summed over all its
alignments, computed by the forward (alpha) recursion in log space (Graves et al., 2006).

A network reads T input steps and emits, at each step t, log-probabilities ``log_probs[t]``
over C classes: the labels and one *blank*. A *path* picks one class per step; it *reads* as
a labelling after merging repeats and dropping blanks. The labelling's probability is the sum
over every path that reads as it, and the recursion below computes that sum in O(T S) time
for a target of S labels.

The target :math:`l = (l_1, \dots, l_S)` is extended with blanks around and between its labels,
:math:`l' = (-, l_1, -, l_2, \dots, -, l_S, -)`, of length :math:`S' = 2S + 1`. With
:math:`\alpha_t(s)` the log-probability of all path prefixes of length t + 1 that end at
position s of :math:`l'` having read :math:`l'_{1..s}`,

.. math::

    \alpha_t(s) = \log y_t(l'_s) + \operatorname{logsumexp}\big(\alpha_{t-1}(s),\
        \alpha_{t-1}(s-1),\ [\alpha_{t-1}(s-2)]\big),

where the skip from s - 2 is allowed only when :math:`l'_s` is a label different from
:math:`l'_{s-2}`: a blank may not be skipped between two equal labels (``a a`` needs
``a - a``), and a blank is never the target of a skip. The paths may start at the first blank
or the first label, and the loss is :math:`-\operatorname{logsumexp}(\alpha_{T-1}(S'-1),
\alpha_{T-1}(S'-2))`.

Source: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal
Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

__all__ = ["extend_with_blanks", "ctc_alpha_step"]


def extend_with_blanks(target, blank=0):
    """The target with a blank before, between and after its labels: (S,) -> (2S + 1,).

    Parameters
    ----------
    target : array_like of int, shape (S,)
        Labels, none equal to ``blank``. S = 0 gives ``[blank]``.
    blank : int
        Index of the blank.

    Returns
    -------
    ndarray of int64, shape (2S + 1,)

    Raises
    ------
    TypeError
        ``target`` not integers, or ``blank`` not an int.
    ValueError
        ``target`` not 1-D, or a label equal to ``blank``.
    """
    if isinstance(blank, bool) or not isinstance(blank, Integral):
        raise TypeError(f"blank must be an int, got {type(blank).__name__}")
    target = np.asarray(target)
    if target.size == 0:
        target = target.astype(np.int64).reshape(0)
    if target.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer labels, got dtype {target.dtype}")
    if target.ndim != 1:
        raise ValueError(f"target must be 1-D (S,), got shape {target.shape}")
    if np.any(target == blank):
        raise ValueError(f"target must not contain the blank ({blank}): got {target.tolist()}")
    extended = np.full(2 * len(target) + 1, blank, dtype=np.int64)  # (2S + 1,)
    extended[1::2] = target
    return extended


def ctc_alpha_step(log_alpha, log_probs_t, extended, blank=0):
    r"""One step of the CTC forward recursion in log space: :math:`\alpha_{t-1} \to \alpha_t`.

    .. math::

        \alpha_t(s) = \log y_t(l'_s) + \operatorname{logsumexp}\big(\alpha_{t-1}(s),\
            \alpha_{t-1}(s-1),\ [\alpha_{t-1}(s-2)]\big),

    the term s - 2 only where :math:`l'_s` is not the blank and differs from
    :math:`l'_{s-2}`; terms before position 0 are :math:`-\infty`.

    Parameters
    ----------
    log_alpha : ndarray, shape (S',)
        :math:`\alpha_{t-1}`, log-probabilities (-inf where no path prefix reaches).
    log_probs_t : ndarray, shape (C,)
        The network's log-probabilities at step t.
    extended : ndarray of int, shape (S',)
        The target extended with blanks (:func:`extend_with_blanks`).
    blank : int
        Index of the blank.

    Returns
    -------
    ndarray, shape (S',)
        :math:`\alpha_t`.
    """
    stay = log_alpha  # (S',) from the same position
    advance = np.concatenate([[-np.inf], log_alpha[:-1]])  # (S',) from s - 1
    skip = np.concatenate([[-np.inf, -np.inf], log_alpha[:-2]])  # (S',) from s - 2
    previous = np.concatenate([[-1, -1], extended[:-2]])  # (S',) the label at s - 2
    can_skip = (extended != blank) & (extended != previous)  # (S',)
    skip = np.where(can_skip, skip, -np.inf)  # select, never multiply by a mask
    total = np.logaddexp(np.logaddexp(stay, advance), skip)  # (S',)
    return total + log_probs_t[extended]
