"""The many-to-one sequence classifier: packing, pooling, training, prediction, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnncourse.models.classifier import (  # noqa: E402
    ClassifierConfig, SequenceClassifier, fit_classifier, pad_sequences, predict, predict_proba,
)
from rnncourse.pooling import last_valid_state, masked_max_pool, masked_mean_pool  # noqa: E402


def _tokens(rng, n, V=6, low=1, high=9):
    seqs = [rng.integers(1, V, rng.integers(low, high + 1)) for _ in range(n)]
    return seqs, pad_sequences(seqs)


def test_pad_sequences_pads_time_major_with_zeros():
    x, lengths = pad_sequences([np.array([1, 2, 3]), np.array([4])])
    assert x.shape == (3, 2) and lengths.tolist() == [3, 1]
    assert x[:, 0].tolist() == [1, 2, 3] and x[:, 1].tolist() == [4, 0, 0]
    frames, lengths = pad_sequences([np.ones((2, 5)), np.ones((4, 5))])
    assert frames.shape == (4, 2, 5) and frames[2:, 0].sum() == 0


@pytest.mark.parametrize("sequences, message", [
    ([], "at least one sequence"),
    ([np.ones((2, 2, 2))], r"1-D \(L_b,\) or 2-D \(L_b, D\); sequence 0 has shape"),
    ([np.array([1]), np.array([], dtype=int)], "sequence 1 is empty"),
    ([np.ones((2, 3)), np.ones((2, 4))],
     r"same trailing shape; sequence 0 has \(3,\), sequence 1 has \(4,\)"),
])
def test_pad_sequences_rejects_bad_input_with_a_clear_message(sequences, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences(sequences)


def test_pad_sequences_casts_to_the_requested_dtype_and_round_trips():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(T, 3)) for T in (4, 1, 7)]
    padded, lengths = pad_sequences(seqs, dtype=np.float32)
    assert padded.shape == (7, 3, 3) and padded.dtype == np.float32
    for b, s in enumerate(seqs):
        np.testing.assert_allclose(padded[:lengths[b], b], s, rtol=1e-6)
        assert not padded[lengths[b]:, b].any()


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_classifier_ignores_padding(cell, pooling):
    """Padding values never change a sequence's logits: the batch is packed."""
    rng = np.random.default_rng(0)
    _, (x, lengths) = _tokens(rng, 5)
    model = SequenceClassifier(3, vocab_size=6, config=ClassifierConfig(cell=cell, pooling=pooling,
                                                                        hidden_size=4)).double()
    x = torch.as_tensor(x)
    noisy = x.clone()
    pad = torch.as_tensor(np.arange(x.shape[0])[:, None] >= lengths[None, :])
    noisy[pad] = 5
    torch.testing.assert_close(model(x, lengths), model(noisy, lengths), rtol=0, atol=0)


def test_classifier_last_pooling_equals_last_valid_state_of_outputs():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 4, 3))
    lengths = np.array([7, 1, 4, 2])
    model = SequenceClassifier(2, input_size=3, config=ClassifierConfig(hidden_size=5)).double()
    out, h_n = model.hidden_states(torch.as_tensor(x), lengths)
    torch.testing.assert_close(last_valid_state(out, lengths), h_n[-1])
    torch.testing.assert_close(model.summary(torch.as_tensor(x), lengths), h_n[-1])


def test_classifier_mean_and_max_pooling_use_the_pooling_functions():
    rng = np.random.default_rng(2)
    x = torch.as_tensor(rng.normal(size=(6, 3, 2)))
    lengths = np.array([6, 1, 3])
    for pooling, pool in (("mean", masked_mean_pool), ("max", masked_max_pool)):
        model = SequenceClassifier(2, input_size=2, config=ClassifierConfig(hidden_size=3, pooling=pooling))
        model = model.double()
        out, _ = model.hidden_states(x, lengths)
        torch.testing.assert_close(model.summary(x, lengths), pool(out, lengths))


def test_classifier_bidirectional_last_summary_has_both_directions():
    rng = np.random.default_rng(3)
    x = torch.as_tensor(rng.normal(size=(5, 2, 3)))
    lengths = np.array([5, 2])
    model = SequenceClassifier(2, input_size=3, config=ClassifierConfig(hidden_size=4, bidirectional=True))
    model = model.double()
    out, h_n = model.hidden_states(x, lengths)
    s = model.summary(x, lengths)
    assert s.shape == (2, 8)
    torch.testing.assert_close(s[:, :4], last_valid_state(out[..., :4], lengths))  # forward: last real step
    torch.testing.assert_close(s[:, 4:], out[0, :, 4:])  # backward: after reading back to t = 0


def test_classifier_same_seed_same_weights_and_global_state_untouched():
    before = torch.random.get_rng_state()
    a = SequenceClassifier(2, vocab_size=5, config=ClassifierConfig(seed=3))
    b = SequenceClassifier(2, vocab_size=5, config=ClassifierConfig(seed=3))
    c = SequenceClassifier(2, vocab_size=5, config=ClassifierConfig(seed=4))
    assert torch.equal(torch.random.get_rng_state(), before)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(a.head.weight, c.head.weight)
    assert a.embed.weight[0].abs().sum() == 0  # the padding id has a zero embedding


def test_fit_classifier_learns_a_task_that_needs_order():
    """Label: does symbol 1 come before symbol 2? Counts are the same in both classes."""
    rng = np.random.default_rng(4)
    seqs, labels = [], []
    for _ in range(600):
        s = rng.integers(3, 6, rng.integers(4, 10))
        i, j = rng.choice(len(s), 2, replace=False)
        s[i], s[j] = 1, 2
        seqs.append(s)
        labels.append(int(i < j))
    x, lengths = pad_sequences(seqs)
    model = SequenceClassifier(2, vocab_size=6, config=ClassifierConfig(hidden_size=16, steps=250, lr=1e-2))
    before = torch.random.get_rng_state()
    history = fit_classifier(model, x, lengths, labels)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert len(history) == 250 and history.losses[-1] < history.losses[0]
    accuracy = (predict(model, x, lengths) == np.array(labels)).mean()
    assert accuracy > 0.9


def test_fit_classifier_is_deterministic():
    rng = np.random.default_rng(5)
    seqs, (x, lengths) = _tokens(rng, 40)
    y = np.array([int(s[0] > 2) for s in seqs])
    runs = []
    for _ in range(2):
        m = SequenceClassifier(2, vocab_size=6, config=ClassifierConfig(hidden_size=4, steps=5, batch_size=8))
        runs.append(fit_classifier(m, x, lengths, y).losses)
    assert runs[0] == runs[1]


def test_predict_proba_rows_sum_to_one_and_batching_does_not_matter():
    rng = np.random.default_rng(6)
    _, (x, lengths) = _tokens(rng, 9, low=1, high=6)
    model = SequenceClassifier(4, vocab_size=6, config=ClassifierConfig(hidden_size=3))
    p = predict_proba(model, x, lengths)
    assert p.shape == (9, 4) and np.allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(predict_proba(model, x, lengths, batch_size=2), p, atol=1e-6)


def test_logits_over_time_ends_at_the_answer():
    rng = np.random.default_rng(7)
    _, (x, lengths) = _tokens(rng, 4, low=1, high=5)
    model = SequenceClassifier(2, vocab_size=6, config=ClassifierConfig(hidden_size=3)).double()
    xt = torch.as_tensor(x)
    steps = model.logits_over_time(xt, lengths)                    # (T, B, C)
    torch.testing.assert_close(last_valid_state(steps, lengths), model(xt, lengths))
    with pytest.raises(ValueError, match="unidirectional"):
        SequenceClassifier(2, vocab_size=6, config=ClassifierConfig(pooling="mean")).logits_over_time(xt, lengths)


def test_classifier_config_and_inputs_errors():
    with pytest.raises(ValueError, match="cell"):
        ClassifierConfig(cell="rnn")
    with pytest.raises(ValueError, match="pooling"):
        ClassifierConfig(pooling="sum")
    with pytest.raises(ValueError, match="hidden_size"):
        ClassifierConfig(hidden_size=0)
    with pytest.raises(ValueError, match="exactly one"):
        SequenceClassifier(2)
    with pytest.raises(ValueError, match="n_classes"):
        SequenceClassifier(1, vocab_size=3)
    model = SequenceClassifier(2, vocab_size=3)
    with pytest.raises(ValueError, match=r"\(T, B\)"):
        model(torch.zeros(2, 3, 4), [1, 1, 1])
    with pytest.raises(ValueError, match=r"\[1, T\]"):
        model(torch.ones(2, 2, dtype=torch.int64), [3, 1])
    with pytest.raises(ValueError, match="labels must lie"):
        fit_classifier(model, np.ones((2, 2), dtype=np.int64), [2, 1], [0, 2], steps=1)


def test_classifier_t1_b1_h1():
    model = SequenceClassifier(2, input_size=1, config=ClassifierConfig(hidden_size=1, steps=2, batch_size=1))
    x = np.ones((1, 1, 1))
    history = fit_classifier(model, x, [1], [1])
    assert len(history) == 2
    assert predict_proba(model, x, [1]).shape == (1, 2)
