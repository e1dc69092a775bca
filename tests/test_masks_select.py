"""Masks select, they never multiply (issue 18): 0 * inf and 0 * NaN are NaN.

For every masked reduction of the package, whatever sits under the mask (-inf, +inf, NaN) must
reach neither the result nor its gradient: the result equals the one with finite junk (zeros)
there, and the gradient is finite, zero at masked positions and unchanged elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnncourse.numpy as rn
from rnncourse import metrics, pooling
from rnncourse.numpy.sequence import _prepare_dh

JUNK = [-np.inf, np.inf, np.nan]
JUNK_IDS = ["-inf", "+inf", "nan"]


def _mask(rng, shape, p_real=0.6):
    """A random boolean mask with at least one True and at least one False."""
    m = rng.random(shape) < p_real
    m.flat[0], m.flat[-1] = True, False
    return m


def _lengths_mask(lengths, T):
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]  # (T, B)


def _assert_same_and_finite(dirty, clean):
    assert np.all(np.isfinite(dirty))
    np.testing.assert_array_equal(dirty, clean)


# ----------------------------------------------------------------------------- softmax_cross_entropy
@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("whole_row", [True, False], ids=["whole_row", "one_logit"])
def test_softmax_cross_entropy_nonfinite_logits_under_mask_change_nothing(junk, whole_row):
    rng = np.random.default_rng(0)
    T, B, V = 5, 3, 7
    logits = rng.normal(0.0, 2.0, (T, B, V))
    targets = rng.integers(0, V, (T, B))
    mask = _mask(rng, (T, B))
    clean = logits.copy()
    clean[~mask] = 0.0
    dirty = logits.copy()
    if whole_row:
        dirty[~mask] = junk
    else:
        dirty[~mask, 0] = junk  # one logit of each masked row: the row's softmax is NaN or 0/1
    loss_clean, d_clean = rn.softmax_cross_entropy(clean, targets, mask)
    loss, d = rn.softmax_cross_entropy(dirty, targets, mask)
    assert np.isfinite(loss) and loss == loss_clean
    _assert_same_and_finite(d, d_clean)
    assert np.all(d[~mask] == 0.0)
    assert not np.isfinite(dirty[~mask]).all()  # the junk really is under the mask


@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
def test_softmax_cross_entropy_issue18_example_masked_padding_matches_torch_ignore_index(junk):
    # The example of issue 18: padding positions with logits -inf (or NaN) gave a NaN loss and
    # a NaN gradient, though the docstring promises torch's cross_entropy with ignore_index.
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(18)
    T, B, V = 6, 4, 5
    lengths = np.array([6, 3, 1, 4])
    mask = _lengths_mask(lengths, T)
    logits = rng.normal(0.0, 3.0, (T, B, V))
    logits[~mask] = junk
    targets = rng.integers(0, V, (T, B))
    loss, dlogits = rn.softmax_cross_entropy(logits, targets, mask)

    zt = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    yt = torch.where(torch.tensor(mask), torch.tensor(targets), torch.full((T, B), -100))
    ref = F.cross_entropy(zt.reshape(-1, V), yt.reshape(-1), ignore_index=-100)
    ref.backward()
    assert np.isfinite(ref.item())  # torch's loss ignores the padding
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    # torch's gradient at an ignored row of -inf/NaN logits is NaN; compare the real positions only
    np.testing.assert_allclose(dlogits[mask], zt.grad.numpy()[mask], rtol=1e-10, atol=1e-15)
    assert np.all(np.isfinite(dlogits)) and np.all(dlogits[~mask] == 0.0)


@pytest.mark.parametrize("as_dtype", [np.int64, np.float64])
def test_softmax_cross_entropy_numeric_mask_selects_like_bool_mask(as_dtype):
    rng = np.random.default_rng(3)
    logits = rng.normal(0.0, 1.0, (4, 2, 3))
    targets = rng.integers(0, 3, (4, 2))
    mask = _mask(rng, (4, 2))
    logits[~mask] = np.nan
    loss_b, d_b = rn.softmax_cross_entropy(logits, targets, mask)
    loss_n, d_n = rn.softmax_cross_entropy(logits, targets, mask.astype(as_dtype))
    assert np.isfinite(loss_n) and loss_n == loss_b
    _assert_same_and_finite(d_n, d_b)


def test_softmax_cross_entropy_mask_of_weights_is_refused_not_multiplied():
    # a mask selects; 0.5 is neither a selected nor a masked position
    logits, targets = np.zeros((2, 3)), np.array([0, 1])
    with pytest.raises(ValueError, match="0/1"):
        rn.softmax_cross_entropy(logits, targets, np.array([0.5, 1.0]))
    loss, _ = rn.softmax_cross_entropy(logits, targets, np.array([0.0, 1.0]))
    assert loss == pytest.approx(np.log(3.0), rel=1e-15)


# ----------------------------------------------------------------------------- mse_loss
@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("mask_ndim", [1, 2, 3])
@pytest.mark.parametrize("where", ["pred", "target", "both"])
def test_mse_loss_nonfinite_values_under_mask_change_nothing(junk, mask_ndim, where):
    rng = np.random.default_rng(mask_ndim)
    shape = (5, 3, 2)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    mask = _mask(rng, shape[:mask_ndim])
    masked = ~mask  # indexes the leading mask_ndim axes
    clean_p, clean_t = pred.copy(), target.copy()
    clean_p[masked] = 0.0
    clean_t[masked] = 0.0
    dirty_p, dirty_t = pred.copy(), target.copy()
    if where in ("pred", "both"):
        dirty_p[masked] = junk
    if where in ("target", "both"):
        dirty_t[masked] = -junk if where == "both" else junk  # both: inf - (-inf) and the like
    loss_clean, d_clean = rn.mse_loss(clean_p, clean_t, mask)
    loss, d = rn.mse_loss(dirty_p, dirty_t, mask)
    assert np.isfinite(loss) and loss == loss_clean
    _assert_same_and_finite(d, d_clean)
    assert np.all(d[masked] == 0.0)
    # and unmasked entries get the usual 2 (pred - target) / N
    N = mask.sum() * np.prod(shape[mask_ndim:])
    np.testing.assert_allclose(d[mask], 2.0 * (pred[mask] - target[mask]) / N, rtol=1e-15)


def test_mse_loss_mask_dtype_float32_kept_with_nan_padding():
    rng = np.random.default_rng(4)
    pred = rng.normal(size=(4, 2)).astype(np.float32)
    target = rng.normal(size=(4, 2)).astype(np.float32)
    mask = np.array([True, True, False, False])
    pred[2:] = np.nan
    loss, d = rn.mse_loss(pred, target, mask)
    assert d.dtype == np.float32 and np.all(np.isfinite(d)) and np.all(d[2:] == 0.0)
    assert loss == pytest.approx(float(np.mean((pred[:2] - target[:2]) ** 2)), rel=1e-6)


# ----------------------------------------------------------------------------- metrics
@pytest.mark.parametrize("junk", [np.inf, np.nan, -np.inf], ids=["+inf", "nan", "-inf"])
@pytest.mark.parametrize("fn", [metrics.masked_mean_nll, metrics.masked_perplexity],
                         ids=["masked_mean_nll", "masked_perplexity"])
def test_masked_metric_nonfinite_padding_losses_change_nothing(fn, junk):
    rng = np.random.default_rng(5)
    T, B = 6, 4
    mask = _lengths_mask([6, 2, 4, 1], T)
    losses = rng.uniform(0.1, 3.0, (T, B))
    clean, dirty = np.where(mask, losses, 0.0), np.where(mask, losses, junk)
    value = fn(dirty, mask)
    assert np.isfinite(value) and value == fn(clean, mask)
    assert fn(dirty, mask.astype(np.int64)) == value  # a 0/1 mask selects the same tokens


@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
def test_masked_perplexity_exercise_reference_impl_selects(junk):
    from rnncourse.exercises.metric_exercises import _masked_perplexity

    rng = np.random.default_rng(6)
    mask = _lengths_mask([5, 3, 1], 5)
    losses = np.where(mask, rng.uniform(0.2, 3.0, mask.shape), junk)
    got = _masked_perplexity((), losses, mask)
    assert np.isfinite(got)
    assert got == pytest.approx(metrics.masked_perplexity(losses, mask), rel=1e-12)
    # the averaging mistakes are averaging mistakes only: finite too, whatever the padding holds
    for fault in ("mean_of_sequence_means", "divided_by_T_times_B", "summed_not_averaged", "base_2"):
        clean = np.where(mask, losses, 0.0)
        assert _masked_perplexity((fault,), losses, mask) == _masked_perplexity((fault,), clean, mask), fault


# ----------------------------------------------------------------------------- pooling, NumPy
@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("fn", [pooling.masked_mean_pool, pooling.masked_max_pool],
                         ids=["masked_mean_pool", "masked_max_pool"])
def test_masked_pool_numpy_nonfinite_padding_changes_nothing(fn, junk):
    rng = np.random.default_rng(7)
    T, lengths = 6, np.array([6, 2, 4, 1])
    real = _lengths_mask(lengths, T)[:, :, None]
    outputs = rng.normal(size=(T, 4, 3))
    clean, dirty = np.where(real, outputs, 0.0), np.where(real, outputs, junk)
    _assert_same_and_finite(fn(dirty, lengths), fn(clean, lengths))


def test_masked_mean_pool_exercise_mask_multiplied_stays_a_mistake():
    from rnncourse.exercises.pooling_exercises import _masked_mean_pool

    rng = np.random.default_rng(8)
    lengths = np.array([3, 1, 4])
    outputs = np.where(_lengths_mask(lengths, 4)[:, :, None], rng.normal(size=(4, 3, 2)), np.nan)
    right = _masked_mean_pool((), outputs, lengths)
    _assert_same_and_finite(right, pooling.masked_mean_pool(outputs, lengths))
    assert np.isnan(_masked_mean_pool(("mask_multiplied",), outputs, lengths)).any()


# ----------------------------------------------------------------------------- pooling, torch
@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("fn", [pooling.masked_mean_pool, pooling.masked_max_pool],
                         ids=["masked_mean_pool", "masked_max_pool"])
def test_masked_pool_torch_nonfinite_padding_changes_neither_result_nor_gradient(fn, junk):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    T, lengths = 5, np.array([5, 2, 3])
    real = _lengths_mask(lengths, T)[:, :, None]
    outputs = rng.normal(size=(T, 3, 4))
    weights = torch.tensor(rng.normal(size=(3, 4)))  # a loss that weighs every pooled entry

    def run(padding_value):
        x = torch.tensor(np.where(real, outputs, padding_value), requires_grad=True)
        pooled = fn(x, torch.tensor(lengths))
        (pooled * weights).sum().backward()
        return pooled.detach().numpy(), x.grad.numpy()

    pooled_clean, grad_clean = run(0.0)
    pooled, grad = run(junk)
    _assert_same_and_finite(pooled, pooled_clean)
    _assert_same_and_finite(grad, grad_clean)
    assert np.all(grad[~np.broadcast_to(real, grad.shape)] == 0.0)
    np.testing.assert_allclose(pooled, fn(np.where(real, outputs, junk), lengths), rtol=1e-13)  # NumPy agrees


# ----------------------------------------------------------------------------- sequence helpers, BPTT
@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
def test_prepare_dh_nonfinite_gradient_on_padding_is_dropped(junk):
    rng = np.random.default_rng(10)
    T, B, H = 4, 3, 2
    lengths = np.array([4, 1, 2])
    real = _lengths_mask(lengths, T)[:, :, None]
    dh = np.where(real, rng.normal(size=(T, B, H)), junk)
    dh_n = rng.normal(size=(B, H))
    dh_before = dh.copy()
    out, carry = _prepare_dh(dh, dh_n, lengths, T, B, H, np.float64)
    clean, _ = _prepare_dh(np.where(real, dh, 0.0), dh_n, lengths, T, B, H, np.float64)
    _assert_same_and_finite(out, clean)
    assert np.all(out[~real[:, :, 0]] == 0.0) and np.all(carry == 0.0)
    np.testing.assert_array_equal(dh, dh_before)  # the caller's dh, junk included, is left as it was


def _run_rnn(kind, x, dh, lengths, rng_seed=11):
    rng = np.random.default_rng(rng_seed)
    T, B, D = x.shape
    H = dh.shape[2]
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    W_xh, W_hh = rng.normal(0, 0.5, (G * H, D)), rng.normal(0, 0.5, (G * H, H))
    b, h0, c0 = rng.normal(0, 0.1, G * H), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    dh_n = rng.normal(size=(B, H))
    if kind == "rnn":
        h, h_n, cache = rn.rnn_forward(x, h0, W_xh, W_hh, b, lengths=lengths)
        grads = rn.rnn_backward(dh, cache, dh_n)
    elif kind == "lstm":
        h, h_n, cache = rn.lstm_forward(x, h0, c0, W_xh, W_hh, b, lengths=lengths)  # h_n = (h_n, c_n)
        grads = rn.lstm_backward(dh, cache, dh_n, rng.normal(size=(B, H)))
    else:
        b2 = rng.normal(0, 0.1, G * H)
        h, h_n, cache = rn.gru_forward(x, h0, W_xh, W_hh, b, b2, lengths=lengths)
        grads = rn.gru_backward(dh, cache, dh_n)
    return h, h_n, grads


@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_recurrent_backward_nonfinite_padding_in_inputs_and_gradients_changes_nothing(kind, junk):
    rng = np.random.default_rng(12)
    T, B, D, H = 5, 3, 2, 4
    lengths = np.array([5, 2, 3])
    real = _lengths_mask(lengths, T)[:, :, None]
    x, dh = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))
    h_c, hn_c, grads_c = _run_rnn(kind, np.where(real, x, 0.0), np.where(real, dh, 0.0), lengths)
    h, hn, grads = _run_rnn(kind, np.where(real, x, junk), np.where(real, dh, junk), lengths)
    _assert_same_and_finite(h, h_c)
    _assert_same_and_finite(hn, hn_c)
    for g, g_c in zip(grads, grads_c):
        if g_c is not None:
            _assert_same_and_finite(g, g_c)
    dx = grads[0]
    assert np.all(dx[~real[:, :, 0]] == 0.0)  # no gradient into padded inputs
