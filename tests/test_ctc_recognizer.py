"""The CTC recogniser of lesson 13: configuration, shapes, packing, training, decoding, CTC loss."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnncourse.decoding import ctc_greedy_decode  # noqa: E402
from rnncourse.models.ctc_recognizer import (  # noqa: E402
    BOOK_CONFIG, CTCConfig, CTCRecognizer, decode, fit_ctc, predict_log_probs,
)
from rnncourse.numpy.ctc import ctc_loss as numpy_ctc_loss  # noqa: E402

SMALL = CTCConfig(hidden_size=5, steps=3, batch_size=4)


def _batch(rng, lengths, D=3):
    """Inputs (B, T, D) float32 with noise (not zeros) after each length, and lengths (B,)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    X = rng.normal(size=(len(lengths), int(lengths.max()), D)).astype(np.float32)
    return X, lengths


def _column_task(rng, n, K=3, min_labels=1, max_labels=4):
    """Lines whose label k is 3 columns lit in feature k, with 0 to 2 blank columns around each.

    Returns inputs (n, T, K), lengths (n,), labels (list of n int arrays in [0, K))."""
    lines, labels = [], []
    for _ in range(n):
        y = rng.integers(0, K, rng.integers(min_labels, max_labels + 1))
        cols = [np.zeros((rng.integers(0, 3), K))]
        for k in y:
            block = np.zeros((3, K))
            block[:, k] = 1.0
            cols += [block, np.zeros((rng.integers(1, 3), K))]
        lines.append(np.concatenate(cols))
        labels.append(y.astype(np.int64))
    lengths = np.array([len(x) for x in lines], dtype=np.int64)
    X = np.zeros((n, int(lengths.max()), K), dtype=np.float32)
    for i, x in enumerate(lines):
        X[i, :len(x)] = x
    return X, lengths, labels


# -- configuration ------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("hidden_size", 0), ("hidden_size", 2.0), ("hidden_size", True),
    ("num_layers", 0), ("num_layers", -1),
    ("steps", 0), ("steps", 1.5), ("steps", False),
    ("batch_size", 0), ("batch_size", "8"),
    ("lr", 0.0), ("lr", -1e-3), ("lr", float("nan")), ("lr", float("inf")), ("lr", "0.1"),
    ("clip_norm", 0.0), ("clip_norm", -1.0),
    ("seed", -1), ("seed", True), ("seed", 1.0),
])
def test_ctc_config_rejects_a_bad_field_naming_it(field, value):
    with pytest.raises(ValueError, match=field):
        CTCConfig(**{field: value})


def test_ctc_config_replace_changes_one_field_and_validates_again():
    config = CTCConfig()
    changed = config.replace(hidden_size=7, bidirectional=False)
    assert changed.hidden_size == 7 and changed.bidirectional is False
    assert changed.steps == config.steps and changed.lr == config.lr and changed.seed == config.seed
    assert config.hidden_size == 64 and config.bidirectional is True      # the original is untouched
    assert config == BOOK_CONFIG
    with pytest.raises(ValueError, match="steps"):
        config.replace(steps=0)
    with pytest.raises(TypeError):
        config.replace(hidden=3)                                           # not a field


@pytest.mark.parametrize("name, args", [
    ("input_size", (0, 3)), ("input_size", (2.0, 3)), ("input_size", (True, 3)),
    ("n_labels", (3, 0)), ("n_labels", (3, None)),
])
def test_ctc_recognizer_rejects_bad_sizes_naming_them(name, args):
    with pytest.raises(ValueError, match=name):
        CTCRecognizer(*args, config=SMALL)


# -- the forward pass ---------------------------------------------------------------------------

def test_ctc_recognizer_outputs_time_major_log_probabilities():
    rng = np.random.default_rng(0)
    X, L = _batch(rng, [4, 7, 2])
    model = CTCRecognizer(3, 4, config=SMALL)
    out = model(X, L)
    assert out.shape == (7, 3, 5) and out.dtype == torch.float32            # (T, B, K + 1)
    assert model.n_labels == 4
    np.testing.assert_allclose(torch.logsumexp(out, -1).detach().numpy(), 0.0, atol=1e-5)
    assert (out <= 0).all()


def test_ctc_recognizer_is_seeded_by_config_and_ignores_the_global_generator():
    torch.manual_seed(123)
    a = CTCRecognizer(3, 4, config=SMALL)
    torch.manual_seed(456)
    state = torch.get_rng_state()
    b = CTCRecognizer(3, 4, config=SMALL)
    assert torch.equal(torch.get_rng_state(), state)                       # the global state is left alone
    c = CTCRecognizer(3, 4, config=SMALL.replace(seed=1))
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q), name
        assert not torch.equal(p, r), name


@pytest.mark.parametrize("inputs_shape, lengths, message", [
    ((2, 5, 4), [5, 5], r"inputs must have shape \(B, T, D=3\), got \(2, 5, 4\)"),
    ((5, 3), [5], r"inputs must have shape \(B, T, D=3\)"),
    ((2, 5, 3), [5, 5, 5], r"lengths must have shape \(B,\) = \(2,\), got \(3,\)"),
    ((2, 5, 3), [[5, 5]], r"lengths must have shape \(B,\)"),
    ((2, 5, 3), [5, 0], r"every length must lie in \[1, T\] = \[1, 5\]"),
    ((2, 5, 3), [6, 5], r"every length must lie in \[1, T\] = \[1, 5\]"),
])
def test_ctc_recognizer_rejects_bad_inputs_with_a_clear_message(inputs_shape, lengths, message):
    model = CTCRecognizer(3, 2, config=SMALL)
    with pytest.raises(ValueError, match=message):
        model(np.zeros(inputs_shape, dtype=np.float32), lengths)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_ctc_recognizer_padding_does_not_change_a_line(bidirectional):
    """A short line alone, or padded with noise next to a longer one: the same real steps."""
    rng = np.random.default_rng(1)
    X, L = _batch(rng, [4, 9, 6])                                          # noise after every length
    model = CTCRecognizer(3, 2, config=SMALL.replace(bidirectional=bidirectional))
    with torch.no_grad():
        together = model(X, L).numpy()                                     # (9, 3, 3)
        for b, n in enumerate(L):
            alone = model(X[b:b + 1, :n], L[b:b + 1]).numpy()              # (n, 1, 3)
            np.testing.assert_allclose(together[:n, b], alone[:, 0], rtol=0, atol=1e-6)


def test_ctc_recognizer_steps_past_a_length_hold_the_output_of_a_zero_state():
    rng = np.random.default_rng(8)
    X, L = _batch(rng, [2, 5])
    model = CTCRecognizer(3, 2, config=SMALL)
    with torch.no_grad():
        out = model(X, L)                                                  # (5, 2, 3)
        zero_state = model.head.bias.log_softmax(-1)                       # (3,)
    np.testing.assert_allclose(out[2:, 0].numpy(), np.tile(zero_state.numpy(), (3, 1)), atol=1e-6)


def test_ctc_recognizer_bidirectional_reads_the_future_unidirectional_does_not():
    rng = np.random.default_rng(2)
    X, L = _batch(rng, [6])
    changed = X.copy()
    changed[0, 4] += 1.0                                                   # change step 4 only
    for bidirectional, past_moves in ((False, False), (True, True)):
        model = CTCRecognizer(3, 2, config=SMALL.replace(bidirectional=bidirectional))
        assert model.head.in_features == (2 if bidirectional else 1) * SMALL.hidden_size
        with torch.no_grad():
            a, b = model(X, L), model(changed, L)
        assert a.shape == (6, 1, 3)
        assert (not torch.equal(a[:4], b[:4])) is past_moves
        assert not torch.equal(a[4:], b[4:])


def test_ctc_recognizer_one_line_of_one_step():
    model = CTCRecognizer(3, 2, config=SMALL)
    with torch.no_grad():
        out = model(np.ones((1, 1, 3), dtype=np.float32), [1])
    assert out.shape == (1, 1, 3)
    assert float(torch.logsumexp(out, -1)) == pytest.approx(0.0, abs=1e-6)
    assert predict_log_probs(model, np.ones((1, 1, 3)), [1]).shape == (1, 1, 3)
    [labels] = decode(model, np.ones((1, 1, 3)), [1])
    assert labels.shape in {(0,), (1,)}


# -- training -----------------------------------------------------------------------------------

def test_fit_ctc_learns_a_column_task():
    rng = np.random.default_rng(0)
    X, L, labels = _column_task(rng, 64)
    model = CTCRecognizer(3, 3, config=CTCConfig(hidden_size=16, steps=60, batch_size=16, lr=2e-2))
    history = fit_ctc(model, X, L, labels, progress=False)
    assert len(history) == 60
    first, last = np.mean(history.losses[:5]), np.mean(history.losses[-5:])
    assert np.isfinite(history.losses).all()
    assert last < 0.1 * first, (first, last)
    hits = [np.array_equal(h, y) for h, y in zip(decode(model, X, L), labels)]
    assert np.mean(hits) > 0.9


def test_fit_ctc_is_deterministic_and_steps_overrides_the_config():
    rng = np.random.default_rng(3)
    X, L, labels = _column_task(rng, 10)
    runs = []
    for _ in range(2):
        model = CTCRecognizer(3, 3, config=SMALL)
        runs.append(fit_ctc(model, X, L, labels, steps=4, progress=False).losses)
    assert len(runs[0]) == 4 and runs[0] == runs[1]


@pytest.mark.parametrize("labels, message", [
    ([[0, 1], [3]], r"labels\[1\] must lie in \[0, 3\), got \[3\]"),
    ([[-1], [0]], r"labels\[0\] must lie in \[0, 3\)"),
    ([[0, 1], [0, 1, 2, 0]], r"labels\[1\] = \[0, 1, 2, 0\] needs at least 4 steps .*, its input has 3"),
    ([[0]], r"one label sequence per input \(N = 2\), got 1"),
    ([[0], [1], [2]], r"one label sequence per input \(N = 2\), got 3"),
])
def test_fit_ctc_rejects_bad_labels_with_a_clear_message(labels, message):
    model = CTCRecognizer(3, 3, config=SMALL)
    X, L = _batch(np.random.default_rng(0), [5, 3])
    with pytest.raises(ValueError, match=message):
        fit_ctc(model, X, L, labels, steps=1, progress=False)


def test_fit_ctc_rejects_repeated_labels_that_need_more_steps_than_the_line_has():
    model = CTCRecognizer(2, 2, config=SMALL)
    X, L = _batch(np.random.default_rng(0), [2, 3], D=2)
    with pytest.raises(ValueError, match=r"labels\[0\] = \[0, 0\] needs at least 3 steps"):
        fit_ctc(model, X, L, [[0, 0], [1]], steps=1, progress=False)


def test_fit_ctc_accepts_repeated_labels_with_room_for_the_blank():
    model = CTCRecognizer(2, 2, config=SMALL)
    X, L = _batch(np.random.default_rng(0), [3, 3], D=2)
    history = fit_ctc(model, X, L, [[0, 0], [1]], steps=2, progress=False)
    assert np.isfinite(history.losses).all()


@pytest.mark.parametrize("lengths, error", [([2.7, 3.0], TypeError), ([], ValueError)])
def test_predict_log_probs_refuses_float_lengths_and_no_lines(lengths, error):
    model = CTCRecognizer(2, 2, config=SMALL)
    X = np.zeros((len(lengths), 3, 2), dtype=np.float32)
    with pytest.raises(error, match="lengths must be integers|no lines"):
        predict_log_probs(model, X, lengths)


def test_fit_ctc_rejects_lengths_that_do_not_match_the_inputs():
    model = CTCRecognizer(3, 3, config=SMALL)
    X, _ = _batch(np.random.default_rng(0), [5, 3])
    with pytest.raises(ValueError, match=r"inputs must have shape \(N, T, D\) and lengths \(N,\)"):
        fit_ctc(model, X, [5, 3, 2], [[0], [1]], steps=1, progress=False)


# -- prediction and decoding --------------------------------------------------------------------

def test_predict_log_probs_is_float64_time_major_and_batch_size_does_not_matter():
    rng = np.random.default_rng(4)
    X, L = _batch(rng, [3, 8, 5, 1, 6])
    model = CTCRecognizer(3, 4, config=SMALL)
    out = predict_log_probs(model, X, L)
    assert out.shape == (8, 5, 5) and out.dtype == np.float64
    np.testing.assert_allclose(predict_log_probs(model, X, L, batch_size=2), out, rtol=0, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(model(X, L).numpy(), out, rtol=0, atol=1e-7)


def test_decode_agrees_with_greedy_decoding_within_each_length():
    rng = np.random.default_rng(5)
    X, L = _batch(rng, [3, 9, 5, 1, 7, 2])
    model = CTCRecognizer(3, 4, config=SMALL.replace(seed=2))
    log_probs = predict_log_probs(model, X, L)                             # (9, 6, 5)
    hyps = decode(model, X, L)
    assert len(hyps) == 6
    for n, h in enumerate(hyps):
        assert h.dtype == np.int64 and h.ndim == 1 and len(h) <= L[n]
        assert ((h >= 0) & (h < 4)).all()
        expected = np.array(ctc_greedy_decode(log_probs[:L[n], n], blank=0)) - 1
        np.testing.assert_array_equal(h, expected)
        np.testing.assert_array_equal(h, decode(model, X[n:n + 1, :L[n]], L[n:n + 1])[0])
    assert sum(len(h) for h in hyps) > 0                                   # not a trivially empty check


def test_decode_reads_the_labels_of_a_trained_model_back():
    """Labels come back as labels (0..K-1), not as classes (1..K)."""
    rng = np.random.default_rng(6)
    X, L, labels = _column_task(rng, 48, K=2, max_labels=3)
    model = CTCRecognizer(2, 2, config=CTCConfig(hidden_size=12, steps=80, batch_size=16, lr=3e-2))
    fit_ctc(model, X, L, labels, progress=False)
    hyps = decode(model, X, L)
    assert np.mean([np.array_equal(h, y) for h, y in zip(hyps, labels)]) > 0.9


# -- the loss in float64 -----------------------------------------------------------------------

def test_ctc_loss_of_a_float64_model_equals_the_numpy_ctc_loss():
    rng = np.random.default_rng(7)
    X, L = _batch(rng, [6, 9, 4], D=3)
    labels = [np.array([0, 2, 2]), np.array([1, 0, 3, 3, 1]), np.array([2])]
    model = CTCRecognizer(3, 4, config=SMALL).double()
    log_probs = model(torch.as_tensor(X, dtype=torch.float64), L)          # (9, 3, 5)
    assert log_probs.dtype == torch.float64
    targets = torch.as_tensor(np.concatenate(labels) + 1)
    target_lengths = torch.as_tensor([len(y) for y in labels])
    lp = log_probs.detach().numpy()
    for reduction in ("none", "mean", "sum"):
        expected = torch.nn.CTCLoss(blank=0, reduction=reduction)(
            log_probs, targets, torch.as_tensor(L), target_lengths).detach().numpy()
        actual = numpy_ctc_loss(lp, targets.numpy(), L, target_lengths.numpy(), blank=0,
                                reduction=reduction)
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=0)
