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

The backward (beta) recursion is the same recursion run on the reversed sequence and the
reversed target: :math:`\beta_t(s)`, the log-probability of all path suffixes from step t to
T - 1 that start at position s (its emission :math:`\log y_t(l'_s)` included) and finish
reading :math:`l`. Then for every t,
:math:`\log p(l \mid x) = \operatorname{logsumexp}_s\big(\alpha_t(s) + \beta_t(s)
- \log y_t(l'_s)\big)`, and the *occupancy* of position s at step t (the posterior
probability that a path is there) is
:math:`\gamma_t(s) = \exp\big(\alpha_t(s) + \beta_t(s) - \log y_t(l'_s) - \log p\big)`.

- :func:`~rnncourse.numpy.ctc.extend_with_blanks`, :func:`~rnncourse.numpy.ctc.ctc_alpha_step`: the pieces (the latter is an exercise
  of the CTC lesson, and its body is the reference solution shown in the book);
- :func:`~rnncourse.numpy.ctc.ctc_alpha`, :func:`~rnncourse.numpy.ctc.ctc_beta`: the whole lattices (T, S') of one sequence;
- :func:`~rnncourse.numpy.ctc.ctc_loss`: the loss of a batch, with the arguments and semantics of
  ``torch.nn.functional.ctc_loss``;
- :func:`~rnncourse.numpy.ctc.ctc_loss_grad`: its gradient by the forward-backward recursion.

Which gradient? The loss depends on each :math:`\log y_t(k)` only through the paths that
emit k at t, so with the log-probabilities as free inputs
:math:`\partial L / \partial \log y_t(k) = -\sum_{s:\, l'_s = k} \gamma_t(s)`; this is what
:func:`~rnncourse.numpy.ctc.ctc_loss_grad` returns by default, checked against central differences. PyTorch's
``ctc_loss`` returns something else as the gradient of ``log_probs``:
:math:`\exp(\log y_t(k)) - \sum_{s:\, l'_s = k} \gamma_t(s)`, which is the gradient with respect
to the *logits* z when ``log_probs = log_softmax(z)`` (it folds the log-softmax's Jacobian in,
and the autograd of the log-softmax, applied to it, then leaves it unchanged since its rows sum
to 0). So ``log_probs.grad`` after ``ctc_loss(log_probs, ...).backward()`` with ``log_probs`` a
leaf is *not* the gradient with respect to those log_probs, while the gradient reaching the
logits through an explicit ``log_softmax`` is right. ``ctc_loss_grad(..., wrt="logits")``
returns that one.

Source: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal
Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006;
the argument conventions of ``torch.nn.functional.ctc_loss`` (PyTorch 2.x).
"""

from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np

from .._checked import checked as _checked
from ._check import to_numpy

__all__ = [
    "extend_with_blanks",
    "ctc_alpha_step",
    "ctc_alpha",
    "ctc_beta",
    "ctc_loss",
    "ctc_loss_grad",
]

REDUCTIONS = ("none", "mean", "sum")


# ----------------------------------------------------------------------------- argument checks
def _float_array(x, name):
    """``x`` (array_like or torch tensor) as a float64 array, else TypeError naming ``name``."""
    try:
        array = to_numpy(x)
    except Exception:  # a ragged list, or an object numpy cannot read
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from None
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    return array.astype(np.float64)


def _int_array(x, name):
    """``x`` as an int64 array (an empty one of any dtype too), else TypeError naming ``name``."""
    try:
        array = to_numpy(x)
    except Exception:
        raise TypeError(f"{name} must be an array of ints, got {type(x).__name__}") from None
    if array.size == 0:
        return array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold ints, got dtype {array.dtype}")
    return array.astype(np.int64)


def _class_index(value, name, num_classes):
    """An int in [0, C), else TypeError / ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value < num_classes:
        raise ValueError(f"{name} must be in [0, C) = [0, {num_classes}), got {value}")
    return int(value)


def _log_probabilities(array, name):
    """Refuse NaN and +inf (log-probabilities are <= 0 in theory; -inf, probability 0, is fine)."""
    if np.any(np.isnan(array)) or np.any(array == np.inf):
        raise ValueError(f"{name} must not contain NaN or +inf (-inf, probability 0, is allowed)")
    return array


def _labels(target, name, num_classes, blank):
    """Refuse labels outside [0, C) or equal to the blank."""
    bad = (target < 0) | (target >= num_classes) | (target == blank)  # (S,)
    if np.any(bad):
        raise ValueError(
            f"{name} must hold labels in [0, C) = [0, {num_classes}) other than the blank "
            f"({blank}), got {target[bad].tolist()}"
        )
    return target


def _ctc_alpha_step_args(log_alpha, log_probs_t, extended, blank=0):
    log_alpha = _log_probabilities(_float_array(log_alpha, "log_alpha"), "log_alpha")
    log_probs_t = _log_probabilities(_float_array(log_probs_t, "log_probs_t"), "log_probs_t")
    extended = _int_array(extended, "extended")
    if log_alpha.ndim != 1:
        raise ValueError(f"log_alpha must be 1-D (S',), got shape {log_alpha.shape}")
    if log_probs_t.ndim != 1 or log_probs_t.size == 0:
        raise ValueError(f"log_probs_t must be 1-D (C,) with C >= 1, got shape {log_probs_t.shape}")
    num_classes = log_probs_t.size
    blank = _class_index(blank, "blank", num_classes)
    if extended.shape != log_alpha.shape:
        raise ValueError(
            f"extended must be 1-D of length S' = len(log_alpha) = {log_alpha.size}, "
            f"got shape {extended.shape}"
        )
    if np.any((extended < 0) | (extended >= num_classes)):
        raise ValueError(
            f"extended must hold class indices in [0, C) = [0, {num_classes}), "
            f"got {extended.tolist()}"
        )
    return log_alpha, log_probs_t, extended, blank


def _ctc_lattice_args(log_probs, target, blank=0):
    log_probs = _log_probabilities(_float_array(log_probs, "log_probs"), "log_probs")
    if log_probs.ndim != 2 or 0 in log_probs.shape:
        raise ValueError(
            f"log_probs must have shape (T, C) with T, C >= 1, got shape {log_probs.shape}"
        )
    num_classes = log_probs.shape[1]
    blank = _class_index(blank, "blank", num_classes)
    target = _int_array(target, "target")
    if target.ndim != 1:
        raise ValueError(f"target must be 1-D (S,), got shape {target.shape}")
    return log_probs, _labels(target, "target", num_classes, blank), blank


class _Batch(NamedTuple):
    """The checked arguments of :func:`~rnncourse.numpy.ctc.ctc_loss`, one target array per batch element."""

    log_probs: np.ndarray  # (T, B, C) float64
    labels: list  # B arrays (S_b,) of int64
    input_lengths: np.ndarray  # (B,) int64
    target_lengths: np.ndarray  # (B,) int64
    blank: int
    reduction: str
    zero_infinity: bool
    unbatched: bool


def _lengths(lengths, name, batch, unbatched):
    """B lengths as an int64 array (B,); unbatched, an int or a one-element array."""
    lengths = _int_array(lengths, name)
    if unbatched and lengths.shape in ((), (1,)):
        lengths = lengths.reshape(1)  # (1,)
    if lengths.shape != (batch,):
        expected = "an int or shape (1,) for unbatched log_probs" if unbatched else f"({batch},)"
        raise ValueError(
            f"{name} must have one length per batch element, {expected}, got shape {lengths.shape}"
        )
    if np.any(lengths < 0):
        raise ValueError(f"{name} must be >= 0, got {lengths.tolist()}")
    return lengths


def _split_targets(targets, target_lengths, batch, unbatched):
    """The B targets, from a padded (B, S) array or a concatenated (sum of lengths,) one."""
    targets = _int_array(targets, "targets")
    if targets.ndim == 2 and not unbatched:
        if targets.shape[0] != batch:
            raise ValueError(
                f"targets must have shape (B, S) = ({batch}, S) when padded, got {targets.shape}"
            )
        if np.any(target_lengths > targets.shape[1]):
            raise ValueError(
                f"target_lengths must be at most S = {targets.shape[1]} (the padded targets' "
                f"width), got {target_lengths.tolist()}"
            )
        return [targets[b, :n] for b, n in enumerate(target_lengths)]
    if targets.ndim == 1:
        if targets.size != target_lengths.sum():
            raise ValueError(
                f"target_lengths must sum to len(targets) = {targets.size} when targets are "
                f"concatenated (1-D), got {target_lengths.tolist()}"
            )
        return np.split(targets, np.cumsum(target_lengths)[:-1])  # B arrays (S_b,)
    expected = "(S,)" if unbatched else "(B, S) padded or (sum of target_lengths,) concatenated"
    raise ValueError(f"targets must have shape {expected}, got {targets.shape}")


def _ctc_loss_args(log_probs, targets, input_lengths, target_lengths, blank=0,
                   reduction="mean", zero_infinity=False):
    log_probs = _log_probabilities(_float_array(log_probs, "log_probs"), "log_probs")
    if log_probs.ndim not in (2, 3) or 0 in log_probs.shape:
        raise ValueError(
            "log_probs must have shape (T, B, C), or (T, C) unbatched, with T, B, C >= 1, "
            f"got shape {log_probs.shape}"
        )
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs[:, None, :]  # (T, 1, C)
    length, batch, num_classes = log_probs.shape
    blank = _class_index(blank, "blank", num_classes)
    if isinstance(reduction, str) and reduction in REDUCTIONS:
        reduction = str(reduction)
    else:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise TypeError(f"zero_infinity must be a bool, got {type(zero_infinity).__name__}")
    input_lengths = _lengths(input_lengths, "input_lengths", batch, unbatched)
    if np.any(input_lengths > length):
        raise ValueError(
            f"input_lengths must be at most T = {length}, got {input_lengths.tolist()}"
        )
    target_lengths = _lengths(target_lengths, "target_lengths", batch, unbatched)
    labels = _split_targets(targets, target_lengths, batch, unbatched)
    labels = [_labels(target, "targets", num_classes, blank) for target in labels]
    return _Batch(log_probs, labels, input_lengths, target_lengths, blank, reduction,
                  bool(zero_infinity), unbatched)


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
        The target extended with blanks (:func:`~rnncourse.numpy.ctc.extend_with_blanks`).
    blank : int
        Index of the blank.

    Returns
    -------
    ndarray, shape (S',)
        :math:`\alpha_t`.

    Raises
    ------
    TypeError
        An array not numeric (``extended`` not ints), or ``blank`` not an int.
    ValueError
        A wrong shape (``extended`` of another length than ``log_alpha``),
        an index outside [0, C), or NaN / +inf in ``log_alpha`` or ``log_probs_t``. These
        checks are made by a wrapper, so the source above is the recursion alone.
    """
    stay = log_alpha  # (S',) from the same position
    S = len(log_alpha)
    none = np.full(2, -np.inf)  # nothing comes from before position 0
    advance = np.concatenate([none[:1], log_alpha])[:S]  # (S',) from s - 1
    skip = np.concatenate([none, log_alpha])[:S]  # (S',) from s - 2
    previous = np.concatenate([[-1, -1], extended])[:S]  # (S',) label at s - 2
    can_skip = (extended != blank) & (extended != previous)  # (S',)
    skip = np.where(can_skip, skip, -np.inf)  # select, never multiply by a mask
    total = np.logaddexp(np.logaddexp(stay, advance), skip)  # (S',)
    return total + log_probs_t[extended]


ctc_alpha_step = _checked(ctc_alpha_step, _ctc_alpha_step_args)


# ----------------------------------------------------------------------------- lattices
def ctc_alpha(log_probs, target, blank=0):
    r"""The forward lattice of one sequence: :math:`\alpha_t(s)` for every step and position.

    .. math::

        \alpha_0(0) = \log y_0(-), \quad \alpha_0(1) = \log y_0(l_1), \quad
        \alpha_0(s) = -\infty \ (s \ge 2),

    then :func:`~rnncourse.numpy.ctc.ctc_alpha_step` for t = 1, ..., T - 1. The log-probability of the target is
    :math:`\operatorname{logsumexp}(\alpha_{T-1}(S'-1), \alpha_{T-1}(S'-2))` (the last blank or
    the last label); an empty target (S' = 1) has the all-blank path only.

    Parameters
    ----------
    log_probs : array_like, shape (T, C)
        Log-probabilities (nats) of one sequence, T >= 1; -inf (probability 0) is allowed.
    target : array_like of int, shape (S,)
        Labels in [0, C), none equal to ``blank``; S = 0 is allowed.
    blank : int
        Index of the blank, in [0, C).

    Returns
    -------
    ndarray of float64, shape (T, S'), S' = 2S + 1
        Log alphas in nats, -inf where no path prefix reaches.

    Raises
    ------
    TypeError
        ``log_probs`` not numeric, ``target`` not ints, ``blank`` not an int.
    ValueError
        ``log_probs`` not (T, C) with T, C >= 1 or with NaN / +inf; ``target`` not 1-D or with a
        label outside [0, C) or equal to the blank; ``blank`` outside [0, C).
    """
    extended = extend_with_blanks(target, blank)  # (S',)
    log_alpha = np.full((len(log_probs), len(extended)), -np.inf)  # (T, S')
    log_alpha[0, 0] = log_probs[0, blank]  # start with the blank ...
    if len(extended) > 1:
        log_alpha[0, 1] = log_probs[0, extended[1]]  # ... or with the first label
    for t in range(1, len(log_probs)):
        log_alpha[t] = ctc_alpha_step(log_alpha[t - 1], log_probs[t], extended, blank)
    return log_alpha


ctc_alpha = _checked(ctc_alpha, _ctc_lattice_args)


def ctc_beta(log_probs, target, blank=0):
    r"""The backward lattice of one sequence: :math:`\beta_t(s)` for every step and position.

    :math:`\beta_t(s)` is the log-probability of the path suffixes over steps t, ..., T - 1
    that start at position s of :math:`l'` (emitting :math:`l'_s` at t, included) and finish
    reading the target:

    .. math::

        \beta_{T-1}(S'-1) = \log y_{T-1}(-), \quad \beta_{T-1}(S'-2) = \log y_{T-1}(l_S),

        \beta_t(s) = \log y_t(l'_s) + \operatorname{logsumexp}\big(\beta_{t+1}(s),\
            \beta_{t+1}(s+1),\ [\beta_{t+1}(s+2)]\big),

    the term s + 2 only where :math:`l'_s` is a label different from :math:`l'_{s+2}`. This is
    the alpha recursion on the reversed sequence and the reversed target (whose extension is
    :math:`l'` reversed, with the same skip rule), so it is computed as :func:`~rnncourse.numpy.ctc.ctc_alpha`
    there, flipped back.

    Parameters
    ----------
    log_probs : array_like, shape (T, C)
        Log-probabilities (nats) of one sequence, T >= 1; -inf is allowed.
    target : array_like of int, shape (S,)
        Labels in [0, C), none equal to ``blank``; S = 0 is allowed.
    blank : int
        Index of the blank, in [0, C).

    Returns
    -------
    ndarray of float64, shape (T, S'), S' = 2S + 1
        Log betas in nats. :math:`\operatorname{logsumexp}(\beta_0(0), \beta_0(1))` is the log-
        probability of the target, as from the alphas.

    Raises
    ------
    TypeError, ValueError
        As :func:`~rnncourse.numpy.ctc.ctc_alpha`.
    """
    reversed_alpha = ctc_alpha(log_probs[::-1], target[::-1], blank)  # (T, S'), both reversed
    return np.ascontiguousarray(reversed_alpha[::-1, ::-1])  # (T, S')


ctc_beta = _checked(ctc_beta, _ctc_lattice_args)


# ----------------------------------------------------------------------------- the loss
def _sequence_loss(log_probs, target, blank):
    """-log p(target | x) in nats for one sequence, log_probs (L, C); inf if impossible."""
    if len(log_probs) == 0:  # no step: only the empty target can be read (as torch)
        return 0.0 if len(target) == 0 else np.inf
    last = ctc_alpha(log_probs, target, blank)[-1, -2:]  # (2,) the last label, the last blank
    return -float(np.logaddexp.reduce(last))


def _sequence_losses(batch):
    """The B losses (B,) of the checked batch, before reduction."""
    losses = np.array([
        _sequence_loss(batch.log_probs[:length, b], target, batch.blank)
        for b, (length, target) in enumerate(zip(batch.input_lengths, batch.labels))
    ])  # (B,)
    if batch.zero_infinity:
        losses = np.where(np.isinf(losses), 0.0, losses)  # (B,)
    return losses


def _reduction_weights(batch):
    """d loss / d loss_b (B,): 1/(B max(S_b, 1)) for "mean", 1 for "sum" and "none"."""
    if batch.reduction == "mean":
        return 1.0 / (len(batch.labels) * np.maximum(batch.target_lengths, 1))  # (B,)
    return np.ones(len(batch.labels))  # (B,)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    r"""The CTC loss of a batch, :math:`-\log p(l_b \mid x_b)` in nats, as
    ``torch.nn.functional.ctc_loss``.

    For each batch element b, with :math:`T_b` its input length and :math:`\alpha` the
    lattice of :func:`~rnncourse.numpy.ctc.ctc_alpha` over its first :math:`T_b` steps,

    .. math::

        L_b = -\operatorname{logsumexp}\big(\alpha_{T_b-1}(S'_b - 1),\
            \alpha_{T_b-1}(S'_b - 2)\big),

    then ``"mean"`` returns :math:`\frac{1}{B} \sum_b L_b / \max(S_b, 1)` (each loss divided by
    its target length, as torch does), ``"sum"`` returns :math:`\sum_b L_b` and ``"none"``
    the :math:`L_b`.

    Parameters
    ----------
    log_probs : array_like, shape (T, B, C), or (T, C) for one unbatched sequence
        Log-probabilities (nats) over C classes, normally ``log_softmax`` outputs; -inf is
        allowed, NaN and +inf are not. Computed in float64 whatever the input dtype.
    targets : array_like of int, shape (B, S) or (sum(target_lengths),)
        Padded targets (element b's labels are ``targets[b, :target_lengths[b]]``, the rest
        is ignored), or all targets concatenated; (S,) with S = target_length when unbatched.
        Labels in [0, C), none equal to ``blank``.
    input_lengths : array_like of int, shape (B,)
        Steps of each element, in [0, T]; an int when unbatched. Steps t >= input_lengths[b]
        are ignored. Input length 0 gives loss 0 for an empty target and inf otherwise (as
        torch).
    target_lengths : array_like of int, shape (B,)
        Labels of each element, >= 0 (<= S when padded); an int when unbatched.
    blank : int
        Index of the blank, in [0, C).
    reduction : {"mean", "sum", "none"}
    zero_infinity : bool
        Replace infinite losses (impossible alignments) with 0.

    Returns
    -------
    float, or ndarray of float64 with shape (B,) for ``"none"`` (a float when unbatched)
        In nats. inf when a target cannot be read in its input length (a target longer than
        its input, or repeated labels needing a blank between them, ``[a, a]`` needs 3 steps),
        unless ``zero_infinity``.

    Raises
    ------
    TypeError
        ``log_probs`` not numeric; ``targets`` or a length not ints; ``blank`` not an int;
        ``zero_infinity`` not a bool.
    ValueError
        Shapes not as above; NaN or +inf in ``log_probs``; a label outside [0, C) or equal to
        the blank; ``input_lengths`` outside [0, T]; ``target_lengths`` negative, above S
        (padded) or not summing to len(targets) (concatenated); ``blank`` outside [0, C);
        ``reduction`` not one of the three. Stricter than torch, which reads invalid labels
        without complaint.

    Notes
    -----
    Matches ``torch.nn.functional.ctc_loss`` in float64 to about 1e-12 relative. Source:
    Graves et al. (2006).
    """
    batch = _ctc_loss_args(log_probs, targets, input_lengths, target_lengths, blank,
                           reduction, zero_infinity)
    losses = _sequence_losses(batch)  # (B,)
    if batch.reduction == "none":
        return float(losses[0]) if batch.unbatched else losses
    return float(np.sum(_reduction_weights(batch) * losses))


# ----------------------------------------------------------------------------- the gradient
def _sequence_grad(log_probs, target, blank, zero_infinity):
    r"""d L / d log y for one sequence, log_probs (L, C): :math:`-\sum_{l'_s = k} \gamma_t(s)`."""
    grad = np.zeros(log_probs.shape)  # (L, C)
    if len(log_probs) == 0:
        return grad
    log_alpha = ctc_alpha(log_probs, target, blank)  # (L, S')
    log_p = np.logaddexp.reduce(log_alpha[-1, -2:])  # log p(target | x)
    if log_p == -np.inf:  # impossible: the gradient of an infinite loss is undefined
        return grad if zero_infinity else np.full(log_probs.shape, np.nan)  # (L, C)
    log_beta = ctc_beta(log_probs, target, blank)  # (L, S')
    extended = extend_with_blanks(target, blank)  # (S',)
    emitted = log_probs[:, extended]  # (L, S') log y_t(l'_s), counted in both alpha and beta
    emitted = np.where(emitted == -np.inf, 0.0, emitted)  # alpha + beta is -inf there anyway
    occupancy = np.exp(log_alpha + log_beta - emitted - log_p)  # (L, S') gamma_t(s)
    np.add.at(grad.T, extended, -occupancy.T)  # grad[t, k] -= sum over s with l'_s = k
    return grad


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, blank=0,
                  reduction="mean", zero_infinity=False, *, wrt="log_probs"):
    r"""The gradient of :func:`~rnncourse.numpy.ctc.ctc_loss` by the forward-backward (alpha-beta) recursion.

    With :math:`\gamma_t(s) = \exp\big(\alpha_t(s) + \beta_t(s) - \log y_t(l'_s) - \log p\big)`
    the occupancy of position s at step t (:func:`~rnncourse.numpy.ctc.ctc_alpha`, :func:`~rnncourse.numpy.ctc.ctc_beta`), and
    :math:`w_b` the reduction's weight of element b (:math:`1 / (B \max(S_b, 1))` for
    ``"mean"``, 1 otherwise),

    .. math::

        \frac{\partial L}{\partial \log y_t^b(k)} = -w_b \sum_{s:\, l'_s = k} \gamma^b_t(s)
        \qquad (\texttt{wrt="log\_probs"}),

    the log-probabilities taken as free inputs (checked against central differences), and

    .. math::

        \frac{\partial L}{\partial z_t^b(k)} = w_b \Big(y_t^b(k)
            - \sum_{s:\, l'_s = k} \gamma^b_t(s)\Big) \qquad (\texttt{wrt="logits"}),

    the gradient with respect to logits z when ``log_probs = log_softmax(z)``: the first
    chained through the log-softmax, :math:`g - y \sum_k g_k`. The latter is what PyTorch
    stores in ``log_probs.grad`` (see the module docstring), and what reaches the logits
    through an explicit ``log_softmax`` in torch.

    Parameters
    ----------
    log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
        As :func:`~rnncourse.numpy.ctc.ctc_loss`. With ``"none"`` the gradient is that of the sum of the B losses:
        element b's loss depends only on ``log_probs[:, b]``, so column b holds its own
        gradient.
    wrt : {"log_probs", "logits"}, keyword-only
        What to differentiate with respect to, as above. ``"logits"`` assumes that the rows
        of ``exp(log_probs)`` sum to 1.

    Returns
    -------
    ndarray of float64, shape (T, B, C), or (T, C) unbatched
        Zero at steps t >= input_lengths[b] and for infinite losses zeroed by
        ``zero_infinity``; NaN at steps t < input_lengths[b] of an infinite loss without it
        (as torch); 0 where ``log_probs`` is -inf (torch gives NaN there).

    Raises
    ------
    TypeError, ValueError
        As :func:`~rnncourse.numpy.ctc.ctc_loss`; ValueError for ``wrt`` not one of the two.
    """
    if wrt not in ("log_probs", "logits"):
        raise ValueError(f"wrt must be 'log_probs' or 'logits', got {wrt!r}")
    batch = _ctc_loss_args(log_probs, targets, input_lengths, target_lengths, blank,
                           reduction, zero_infinity)
    grad = np.zeros(batch.log_probs.shape)  # (T, B, C)
    weights = _reduction_weights(batch)  # (B,)
    for b, (length, target) in enumerate(zip(batch.input_lengths, batch.labels)):
        grad_b = _sequence_grad(batch.log_probs[:length, b], target, batch.blank,
                                batch.zero_infinity)  # (T_b, C)
        grad[:length, b] = weights[b] * grad_b
    if wrt == "logits":  # through log_softmax: dz = g - softmax(z) * sum_k g_k
        probs = np.exp(batch.log_probs)  # (T, B, C)
        grad = grad - probs * grad.sum(axis=-1, keepdims=True)  # (T, B, C)
    return grad[:, 0] if batch.unbatched else grad  # (T, B, C) or (T, C)
