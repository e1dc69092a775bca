"""rnncourse.numpy.ctc: the CTC loss and its gradient in NumPy, against hand-computed values,
central differences and ``torch.nn.functional.ctc_loss`` (float64)."""

from __future__ import annotations

import inspect
import itertools
import math

import numpy as np
import pytest

from rnncourse.numpy.ctc import (
    __all__ as ctc_all,
    ctc_alpha,
    ctc_alpha_step,
    ctc_beta,
    ctc_loss,
    ctc_loss_grad,
    extend_with_blanks,
)
from rnncourse.numpy.gradcheck import numerical_gradient, rel_error

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the NumPy checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")

RTOL = 1e-10
REDUCTIONS = ("none", "mean", "sum")


# ----------------------------------------------------------------------------- helpers
def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _random_log_probs(rng, *shape):
    return _log_softmax(2.0 * rng.normal(size=shape))


def _random_batch(seed, T=6, B=3, C=4, blank=0, max_target=3):
    """Log-probs (T, B, C), padded targets (B, S), mixed input and target lengths."""
    rng = np.random.default_rng(seed)
    log_probs = _random_log_probs(rng, T, B, C)
    labels = [k for k in range(C) if k != blank]
    target_lengths = rng.integers(0, max_target + 1, size=B)
    target_lengths[0] = max_target  # at least one full-width target
    targets = rng.choice(labels, size=(B, max_target))
    input_lengths = rng.integers(max(1, 2 * max_target), T + 1, size=B)
    input_lengths[-1] = T
    return log_probs, targets, input_lengths, target_lengths


def _torch_loss(log_probs, targets, input_lengths, target_lengths, **kwargs):
    return F.ctc_loss(
        torch.tensor(log_probs, dtype=torch.float64),
        torch.as_tensor(np.asarray(targets, dtype=np.int64)),
        torch.as_tensor(np.asarray(input_lengths, dtype=np.int64)),
        torch.as_tensor(np.asarray(target_lengths, dtype=np.int64)),
        **kwargs,
    ).numpy()


def _assert_close_to_torch(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=RTOL, atol=1e-300)


# ----------------------------------------------------------------------------- golden values
def test_ctc_loss_golden_value_hand_computed():
    # T = 2, C = 2, target [1]: the paths "1 1", "- 1", "1 -" read as [1].
    y = np.array([[0.4, 0.6], [0.3, 0.7]])  # y[t, k]
    p = y[0, 1] * y[1, 1] + y[0, 0] * y[1, 1] + y[0, 1] * y[1, 0]  # 0.42 + 0.28 + 0.18
    assert p == pytest.approx(0.88, rel=1e-15)
    loss = ctc_loss(np.log(y)[:, None, :], [[1]], [2], [1], reduction="sum")
    assert isinstance(loss, float)
    assert loss == pytest.approx(-math.log(0.88), rel=1e-12)
    assert loss == pytest.approx(0.12783337150988489, rel=1e-12)


def test_ctc_loss_golden_lattice_alpha_and_beta():
    y = np.array([[0.4, 0.6], [0.3, 0.7]])
    alpha = np.exp(ctc_alpha(np.log(y), [1]))  # positions: -, 1, -
    expected_alpha = [[0.4, 0.6, 0.0], [0.4 * 0.3, (0.4 + 0.6) * 0.7, 0.6 * 0.3]]
    np.testing.assert_allclose(alpha, expected_alpha, rtol=1e-14)
    beta = np.exp(ctc_beta(np.log(y), [1]))
    # beta_0(2): a suffix from the last blank (its alpha is 0, so it adds no path)
    expected_beta = [[0.4 * 0.7, 0.6 * (0.7 + 0.3), 0.4 * 0.3], [0.0, 0.7, 0.3]]
    np.testing.assert_allclose(beta, expected_beta, rtol=1e-14, atol=0)


def test_ctc_loss_single_step_is_minus_log_of_the_label():
    # B = 1, T = 1, C = 2: one label in one step has one path.
    log_probs = np.log([[[0.25, 0.75]]])  # (1, 1, 2)
    assert ctc_loss(log_probs, [[1]], [1], [1]) == pytest.approx(-math.log(0.75), rel=1e-14)
    assert ctc_loss(log_probs, [[1]], [1], [0]) == pytest.approx(-math.log(0.25), rel=1e-14)
    assert ctc_loss(log_probs, [[1, 1]], [1], [2]) == math.inf


def test_ctc_loss_brute_force_over_all_paths():
    rng = np.random.default_rng(7)
    T, C, target = 5, 3, [1, 1, 2]
    log_probs = _random_log_probs(rng, T, C)
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != 0] == target:
            total += math.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
    loss = ctc_loss(log_probs[:, None, :], [target], [T], [3], reduction="sum")
    assert loss == pytest.approx(-math.log(total), rel=1e-12)


def test_ctc_loss_alpha_and_beta_give_the_same_probability_at_every_step():
    rng = np.random.default_rng(3)
    log_probs = _random_log_probs(rng, 7, 4)
    target = np.array([2, 2, 3])
    alpha, beta = ctc_alpha(log_probs, target), ctc_beta(log_probs, target)
    assert alpha.shape == beta.shape == (7, 7)
    emitted = log_probs[:, extend_with_blanks(target)]  # (T, S')
    log_p = np.logaddexp.reduce(alpha + beta - emitted, axis=1)  # (T,)
    np.testing.assert_allclose(log_p, np.logaddexp.reduce(alpha[-1, -2:]), rtol=1e-13)
    np.testing.assert_allclose(np.logaddexp.reduce(beta[0, :2]), log_p[0], rtol=1e-13)


def test_ctc_loss_empty_target_is_the_all_blank_path():
    rng = np.random.default_rng(4)
    log_probs = _random_log_probs(rng, 4, 3)
    np.testing.assert_allclose(ctc_alpha(log_probs, []), np.cumsum(log_probs[:, [0]], axis=0))
    np.testing.assert_allclose(ctc_beta(log_probs, []), np.cumsum(log_probs[::-1, [0]], 0)[::-1])
    loss = ctc_loss(log_probs[:, None], np.zeros((1, 2), dtype=int), [4], [0], reduction="mean")
    assert loss == pytest.approx(-log_probs[:, 0].sum(), rel=1e-14)  # divided by max(0, 1)


# ----------------------------------------------------------------------------- against torch
@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_loss_matches_torch_padded_mixed_lengths(reduction, blank):
    log_probs, targets, input_lengths, target_lengths = _random_batch(10 + blank, T=8, B=4,
                                                                      blank=blank)
    assert len(set(input_lengths.tolist())) > 1 and len(set(target_lengths.tolist())) > 1
    ours = ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction)
    theirs = _torch_loss(log_probs, targets, input_lengths, target_lengths, blank=blank,
                         reduction=reduction)
    _assert_close_to_torch(ours, theirs)
    if reduction == "none":
        assert isinstance(ours, np.ndarray) and ours.shape == (4,)
    else:
        assert isinstance(ours, float)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_matches_torch_concatenated_targets(reduction):
    log_probs, targets, input_lengths, target_lengths = _random_batch(20, T=7, B=3)
    concatenated = np.concatenate([t[:n] for t, n in zip(targets, target_lengths)])
    ours = ctc_loss(log_probs, concatenated, input_lengths, target_lengths, reduction=reduction)
    padded = ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction=reduction)
    theirs = _torch_loss(log_probs, concatenated, input_lengths, target_lengths,
                         reduction=reduction)
    _assert_close_to_torch(ours, theirs)
    np.testing.assert_array_equal(ours, padded)


@needs_torch
@pytest.mark.parametrize("T", [4, 5, 6])
def test_ctc_loss_repeated_labels_need_blanks_between(T):
    # [1, 1, 1] reads only from paths with a blank between equal labels: at least 5 steps.
    rng = np.random.default_rng(T)
    log_probs = _random_log_probs(rng, T, 1, 3)
    ours = ctc_loss(log_probs, [[1, 1, 1]], [T], [3], reduction="none")
    _assert_close_to_torch(ours, _torch_loss(log_probs, [[1, 1, 1]], [T], [3], reduction="none"))
    assert np.isinf(ours[0]) == (T < 5)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_target_length_zero_matches_torch(reduction):
    rng = np.random.default_rng(5)
    log_probs = _random_log_probs(rng, 4, 2, 3)
    args = (log_probs, [[1, 2], [2, 1]], [4, 3], [0, 2])
    _assert_close_to_torch(ctc_loss(*args, reduction=reduction),
                           _torch_loss(*args, reduction=reduction))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_zero_infinity_matches_torch(reduction):
    rng = np.random.default_rng(6)
    log_probs = _random_log_probs(rng, 5, 3, 3)
    # element 0: [1, 1] in 2 steps is impossible; element 1: 3 labels in 2 steps too.
    args = (log_probs, [[1, 1, 2], [1, 2, 1], [2, 1, 2]], [2, 2, 5], [2, 3, 3])
    without = ctc_loss(*args, reduction="none")
    assert np.isinf(without[:2]).all() and np.isfinite(without[2])
    with_zero = ctc_loss(*args, reduction="none", zero_infinity=True)
    np.testing.assert_array_equal(with_zero[:2], 0.0)
    assert with_zero[2] == without[2]
    for zero_infinity in (False, True):
        _assert_close_to_torch(
            ctc_loss(*args, reduction=reduction, zero_infinity=zero_infinity),
            _torch_loss(*args, reduction=reduction, zero_infinity=zero_infinity),
        )


@needs_torch
def test_ctc_loss_inf_for_target_longer_than_input():
    rng = np.random.default_rng(8)
    log_probs = _random_log_probs(rng, 3, 1, 5)
    args = (log_probs, [[1, 2, 3, 4]], [3], [4])
    assert ctc_loss(*args) == math.inf
    assert ctc_loss(*args, zero_infinity=True) == 0.0
    _assert_close_to_torch(ctc_loss(*args, reduction="none"),
                           _torch_loss(*args, reduction="none"))


@needs_torch
def test_ctc_loss_input_length_zero_matches_torch():
    # No step reads only the empty target (loss 0); any label is impossible (inf).
    rng = np.random.default_rng(9)
    log_probs = _random_log_probs(rng, 3, 3, 3)
    args = (log_probs, [[1], [1], [2]], [0, 0, 3], [0, 1, 1])
    ours = ctc_loss(*args, reduction="none")
    np.testing.assert_array_equal(ours[:2], [0.0, math.inf])
    _assert_close_to_torch(ours, _torch_loss(*args, reduction="none"))
    grad = ctc_loss_grad(*args, reduction="sum", zero_infinity=True)
    np.testing.assert_array_equal(grad[:, :2], 0.0)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_unbatched_matches_torch(reduction):
    rng = np.random.default_rng(11)
    log_probs = _random_log_probs(rng, 5, 4)  # (T, C)
    ours = ctc_loss(log_probs, [3, 1], 5, 2, reduction=reduction)
    assert isinstance(ours, float)
    theirs = F.ctc_loss(torch.tensor(log_probs), torch.tensor([3, 1]), torch.tensor(5),
                        torch.tensor(2), reduction=reduction).item()
    assert ours == pytest.approx(theirs, rel=RTOL)
    assert ctc_loss(log_probs, [3, 1], [5], [2], reduction=reduction) == ours
    grad = ctc_loss_grad(log_probs, [3, 1], 5, 2, reduction=reduction)
    assert grad.shape == (5, 4)


@needs_torch
def test_ctc_loss_accepts_torch_tensors_and_float32():
    log_probs, targets, input_lengths, target_lengths = _random_batch(12)
    expected = ctc_loss(log_probs, targets, input_lengths, target_lengths)
    tensors = [torch.tensor(a) for a in (log_probs, targets, input_lengths, target_lengths)]
    assert ctc_loss(*tensors) == expected
    float32 = ctc_loss(log_probs.astype(np.float32), targets, input_lengths, target_lengths)
    assert float32 == pytest.approx(expected, rel=1e-5)


@needs_torch
def test_ctc_loss_random_cases_match_torch():
    rng = np.random.default_rng(13)
    for _ in range(20):
        T, B, C = (int(n) for n in rng.integers([1, 1, 2], [7, 4, 5]))
        blank = int(rng.integers(0, C))
        log_probs = _random_log_probs(rng, T, B, C)
        target_lengths = rng.integers(0, 4, size=B)
        labels = [k for k in range(C) if k != blank]
        targets = rng.choice(labels, size=(B, 3))
        input_lengths = rng.integers(0, T + 1, size=B)
        for reduction, zero_infinity in itertools.product(REDUCTIONS, (False, True)):
            kwargs = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
            _assert_close_to_torch(
                ctc_loss(log_probs, targets, input_lengths, target_lengths, **kwargs),
                _torch_loss(log_probs, targets, input_lengths, target_lengths, **kwargs),
            )


# ----------------------------------------------------------------------------- the gradient
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_grad_matches_numerical_gradient(reduction):
    log_probs, targets, input_lengths, target_lengths = _random_batch(30, T=6, B=3, C=3,
                                                                      max_target=2)
    targets[1, :2] = [2, 2]  # a repeated label
    target_lengths[1] = 2
    x = log_probs.copy()

    def loss():
        value = ctc_loss(x, targets, input_lengths, target_lengths, reduction=reduction)
        return np.sum(value)

    grad = ctc_loss_grad(log_probs, targets, input_lengths, target_lengths,
                         reduction=reduction)
    assert grad.shape == log_probs.shape
    assert rel_error(grad, numerical_gradient(loss, x)) < 1e-8
    for b, length in enumerate(input_lengths):
        np.testing.assert_array_equal(grad[length:, b], 0.0)  # steps beyond the input


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_grad_logits_match_torch_through_log_softmax(reduction):
    rng = np.random.default_rng(31)
    logits = 2.0 * rng.normal(size=(7, 3, 4))
    log_probs = _log_softmax(logits)
    targets, input_lengths, target_lengths = [[1, 2, 2], [3, 1, 0], [2, 3, 1]], [7, 5, 6], [3, 2, 3]
    z = torch.tensor(logits, requires_grad=True)
    loss = F.ctc_loss(torch.log_softmax(z, dim=-1), torch.tensor(targets),
                      torch.tensor(input_lengths), torch.tensor(target_lengths),
                      reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    ours = ctc_loss_grad(log_probs, targets, input_lengths, target_lengths,
                         reduction=reduction, wrt="logits")
    np.testing.assert_allclose(ours, z.grad.numpy(), rtol=1e-9, atol=1e-13)
    # the same by chaining our free gradient through log_softmax's Jacobian by hand
    free = ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, reduction=reduction)
    chained = free - np.exp(log_probs) * free.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(chained, z.grad.numpy(), rtol=1e-9, atol=1e-13)


@needs_torch
def test_ctc_loss_grad_torch_log_probs_grad_is_the_logits_gradient():
    # The finding: torch's gradient for a log_probs leaf is exp(log_probs) - occupancy, the
    # gradient w.r.t. the logits, not w.r.t. the log_probs (which the central differences give).
    log_probs, targets, input_lengths, target_lengths = _random_batch(32, T=5, B=2, C=3,
                                                                      max_target=2)
    x = torch.tensor(log_probs, requires_grad=True)
    F.ctc_loss(x, torch.tensor(targets), torch.tensor(input_lengths),
               torch.tensor(target_lengths), reduction="sum").backward()
    theirs = x.grad.numpy()
    logits_grad = ctc_loss_grad(log_probs, targets, input_lengths, target_lengths,
                                reduction="sum", wrt="logits")
    np.testing.assert_allclose(logits_grad, theirs, rtol=1e-9, atol=1e-13)
    free = ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, reduction="sum")
    difference = (theirs - free)[:input_lengths.min()]
    np.testing.assert_allclose(difference, np.exp(log_probs)[:input_lengths.min()], rtol=1e-9)


@needs_torch
def test_ctc_loss_grad_infinite_loss_zero_infinity_and_nan_as_torch():
    rng = np.random.default_rng(33)
    log_probs = _random_log_probs(rng, 4, 2, 3)
    args = (log_probs, [[1, 1], [1, 2]], [2, 4], [2, 2])  # element 0 is impossible
    for zero_infinity in (False, True):
        x = torch.tensor(log_probs, requires_grad=True)
        F.ctc_loss(x, torch.tensor(args[1]), torch.tensor(args[2]), torch.tensor(args[3]),
                   reduction="mean", zero_infinity=zero_infinity).backward()
        ours = ctc_loss_grad(*args, zero_infinity=zero_infinity, wrt="logits")
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(x.grad.numpy()))
        finite = ~np.isnan(ours)
        np.testing.assert_allclose(ours[finite], x.grad.numpy()[finite], rtol=1e-9, atol=1e-13)
        free = ctc_loss_grad(*args, zero_infinity=zero_infinity)
        assert np.isnan(free[:2, 0]).all() != zero_infinity
        np.testing.assert_array_equal(free[2:, 0], 0.0)  # beyond the input length
        if zero_infinity:
            np.testing.assert_array_equal(free[:, 0], 0.0)


def test_ctc_loss_grad_zero_where_log_probs_are_minus_inf():
    rng = np.random.default_rng(34)
    log_probs = _random_log_probs(rng, 5, 1, 3)
    log_probs[2, 0, 1] = -np.inf  # probability 0: no path goes through it
    args = (log_probs, [[1, 2]], [5], [2])
    assert np.isfinite(ctc_loss(*args))
    for wrt in ("log_probs", "logits"):
        grad = ctc_loss_grad(*args, wrt=wrt)
        assert np.isfinite(grad).all()
        assert grad[2, 0, 1] == 0.0


def test_ctc_loss_grad_of_none_is_per_element():
    log_probs, targets, input_lengths, target_lengths = _random_batch(35)
    grad = ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, reduction="none")
    for b in range(3):
        alone = ctc_loss_grad(log_probs[:, b:b + 1], targets[b:b + 1], input_lengths[b:b + 1],
                              target_lengths[b:b + 1], reduction="sum")
        np.testing.assert_allclose(grad[:, b], alone[:, 0], rtol=1e-14)


# ----------------------------------------------------------------------------- errors
def _valid():
    log_probs, targets, input_lengths, target_lengths = _random_batch(40, T=6, B=2, C=4)
    return dict(log_probs=log_probs, targets=targets, input_lengths=input_lengths,
                target_lengths=target_lengths)


def _with_nan():
    log_probs = _valid()["log_probs"]
    log_probs[0, 0, 0] = np.nan
    return log_probs


@pytest.mark.parametrize("change, error, match", [
    (dict(log_probs=np.zeros((6, 2, 4, 1))), ValueError, "log_probs must have shape"),
    (dict(log_probs=np.zeros((0, 2, 4))), ValueError, "log_probs must have shape"),
    (dict(log_probs=np.full((6, 2, 4), "a")), TypeError, "log_probs"),
    (dict(log_probs=_with_nan()), ValueError, "log_probs must not contain NaN"),
    (dict(log_probs=np.full((6, 2, 4), np.inf)), ValueError, "log_probs must not contain"),
    (dict(targets=np.array([[1.0, 2.0, 3.0]] * 2)), TypeError, "targets must hold ints"),
    (dict(targets=np.array([[0, 1, 2]] * 2)), ValueError, r"targets must hold labels .* blank"),
    (dict(targets=np.array([[1, 4, 2]] * 2)), ValueError, r"targets must hold labels in \[0, C\)"),
    (dict(targets=np.array([[-1, 2, 3]] * 2)), ValueError, "targets must hold labels"),
    (dict(targets=np.ones((3, 3), dtype=int)), ValueError, r"targets must have shape \(B, S\)"),
    (dict(targets=np.ones((2, 3, 1), dtype=int)), ValueError, "targets must have shape"),
    (dict(targets=np.ones((2, 2), dtype=int)), ValueError, "target_lengths must be at most S"),
    (dict(targets=np.ones(5, dtype=int)), ValueError, "target_lengths must sum to len"),
    (dict(input_lengths=[7, 6]), ValueError, "input_lengths must be at most T"),
    (dict(input_lengths=[-1, 6]), ValueError, "input_lengths must be >= 0"),
    (dict(input_lengths=[6]), ValueError, "input_lengths must have one length"),
    (dict(input_lengths=[6.0, 6.0]), TypeError, "input_lengths must hold ints"),
    (dict(target_lengths=[3, -1]), ValueError, "target_lengths must be >= 0"),
    (dict(target_lengths=[3, 3, 3]), ValueError, "target_lengths must have one length"),
    (dict(blank=4), ValueError, r"blank must be in \[0, C\)"),
    (dict(blank=1.0), TypeError, "blank must be an int"),
    (dict(blank=True), TypeError, "blank must be an int"),
    (dict(reduction="average"), ValueError, "reduction must be one of"),
    (dict(reduction=None), ValueError, "reduction must be one of"),
    (dict(zero_infinity="yes"), TypeError, "zero_infinity must be a bool"),
])
@pytest.mark.parametrize("function", [ctc_loss, ctc_loss_grad])
def test_ctc_loss_errors_name_the_argument(function, change, error, match):
    kwargs = {**_valid(), **change}
    with pytest.raises(error, match=match):
        function(**kwargs)


def test_ctc_loss_unbatched_errors_name_the_argument():
    log_probs = _random_log_probs(np.random.default_rng(41), 5, 3)
    with pytest.raises(ValueError, match=r"targets must have shape \(S,\)"):
        ctc_loss(log_probs, [[1, 2]], 5, 2)
    with pytest.raises(ValueError, match="target_lengths must sum to len"):
        ctc_loss(log_probs, [1, 2, 1], 5, 2)
    with pytest.raises(ValueError, match="input_lengths must have one length"):
        ctc_loss(log_probs, [1, 2], [5, 5], 2)
    with pytest.raises(ValueError, match="input_lengths must be >= 0"):
        ctc_loss(log_probs, [1, 2], -1, 2)
    with pytest.raises(ValueError, match="target_lengths must be >= 0"):
        ctc_loss(log_probs, [1, 2], 5, [-1])


def test_ctc_loss_grad_wrt_error():
    with pytest.raises(ValueError, match="wrt must be"):
        ctc_loss_grad(**_valid(), wrt="probs")


@pytest.mark.parametrize("function", [ctc_alpha, ctc_beta])
@pytest.mark.parametrize("args, error, match", [
    ((np.zeros((3, 2, 1)), [1]), ValueError, r"log_probs must have shape \(T, C\)"),
    ((np.full((3, 2), np.nan), [1]), ValueError, "log_probs must not contain NaN"),
    ((np.zeros((3, 2)), [[1]]), ValueError, r"target must be 1-D"),
    ((np.zeros((3, 2)), [1.0]), TypeError, "target must hold ints"),
    ((np.zeros((3, 2)), [0]), ValueError, "target must hold labels"),
    ((np.zeros((3, 2)), [2]), ValueError, "target must hold labels"),
    ((np.zeros((3, 2)), [1], 2), ValueError, r"blank must be in \[0, C\)"),
    ((np.zeros((3, 2)), [1], "0"), TypeError, "blank must be an int"),
])
def test_ctc_loss_lattice_errors_name_the_argument(function, args, error, match):
    with pytest.raises(error, match=match):
        function(*args)


# ----------------------------------------------------------------------------- ctc_alpha_step
def _step_args():
    extended = extend_with_blanks([1, 2])  # (5,)
    log_alpha = np.log([0.5, 0.5, 1e-3, 1e-4, 1e-5])
    log_probs_t = np.log([0.2, 0.3, 0.5])
    return log_alpha, log_probs_t, extended


@pytest.mark.parametrize("index, value, error, match", [
    (0, np.zeros((5, 1)), ValueError, r"log_alpha must be 1-D"),
    (0, np.array([0.0, np.nan, 0.0, 0.0, 0.0]), ValueError, "log_alpha must not contain NaN"),
    (0, np.array(["a"] * 5), TypeError, "log_alpha must be an array of real numbers"),
    (1, np.zeros((1, 3)), ValueError, r"log_probs_t must be 1-D \(C,\)"),
    (1, np.array([0.0, np.nan, 0.0]), ValueError, "log_probs_t must not contain NaN"),
    (1, np.array([0.0, np.inf, 0.0]), ValueError, r"log_probs_t must not contain NaN or \+inf"),
    (2, np.array([0.0, 1.0, 0.0, 2.0, 0.0]), TypeError, "extended must hold ints"),
    (2, np.array([0, 1, 0]), ValueError, r"extended must be 1-D of length S' = len\(log_alpha\)"),
    (2, np.array([0, 1, 0, 3, 0]), ValueError, r"extended must hold class indices in \[0, C\)"),
    (3, 3, ValueError, r"blank must be in \[0, C\)"),
    (3, 0.0, TypeError, "blank must be an int"),
])
def test_ctc_loss_alpha_step_wrapper_errors(index, value, error, match):
    args = list(_step_args()) + [0]
    args[index] = value
    with pytest.raises(error, match=match):
        ctc_alpha_step(*args)


@pytest.mark.parametrize("S_ext", [1, 3])
def test_ctc_alpha_step_short_targets(S_ext):
    # S' = 1 (the empty target) and S' = 3 (one label): the shifts must not change the length
    log_probs_t = np.log([0.25, 0.75])
    extended = np.array([0, 1, 0])[:S_ext]
    log_alpha = np.log([0.5, 0.2, 0.1])[:S_ext]
    step = ctc_alpha_step(log_alpha, log_probs_t, extended)
    expected = [np.log(0.5) + np.log(0.25)]
    if S_ext == 3:
        expected += [np.log(0.7) + np.log(0.75), np.log(0.3) + np.log(0.25)]
    np.testing.assert_allclose(step, expected, rtol=1e-12)


def test_ctc_loss_alpha_step_minus_inf_allowed_and_keywords_work():
    log_alpha, log_probs_t, extended = _step_args()
    log_alpha[2:] = -np.inf
    step = ctc_alpha_step(log_alpha, log_probs_t, extended=extended, blank=0)
    plain = ctc_alpha_step.__wrapped__(log_alpha, log_probs_t, extended, 0)
    np.testing.assert_array_equal(step, plain)
    assert step[4] == -np.inf and np.isfinite(step[:4]).all()


def test_ctc_loss_alpha_step_source_is_the_plain_recursion():
    source = inspect.getsource(ctc_alpha_step)
    assert "def ctc_alpha_step(log_alpha, log_probs_t, extended, blank=0):" in source
    assert "logaddexp" in source
    assert "raise" not in source and "_check" not in source
    assert ctc_alpha_step.__name__ == "ctc_alpha_step"
    assert list(inspect.signature(ctc_alpha_step).parameters) == [
        "log_alpha", "log_probs_t", "extended", "blank"]
    assert "raise" not in inspect.getsource(ctc_alpha)


def test_ctc_loss_module_exports():
    assert set(ctc_all) == {"extend_with_blanks", "ctc_alpha_step", "ctc_alpha", "ctc_beta",
                            "ctc_loss", "ctc_loss_grad"}
