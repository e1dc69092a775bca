"""The exercises of lesson 11 (sequence to sequence): additive_attention, teacher_forcing_inputs
and char_error_rate (the last in metric_exercises.py; its learners are in test_exercises_metrics.py).

The checks every exercise gets run in test_exercises_catalogue.py and test_exercises_behaviour.py;
here, learner-style answers, right and wrong, are checked by name. Also here: the reference :func:`rnncourse.teacher_forcing.teacher_forcing_inputs` itself."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse import attention, teacher_forcing
from rnncourse.exercises import seq2seq_exercises as sx
from rnncourse.exercises.compare import distance
from rnncourse.exercises.metric_exercises import char_error_rate as CER

ATT = sx.additive_attention
TF = sx.teacher_forcing_inputs
LESSON_11 = [ATT, TF, CER]
FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _status(e, fn):
    result = e.evaluate(fn)
    return result.status, result.mistake


# The shared catalogue and behaviour checks (tests/test_exercises_catalogue.py,
# tests/test_exercises_behaviour.py) run over every registered exercise, these included.


@pytest.mark.parametrize("e", LESSON_11, ids=[e.id for e in LESSON_11])
def test_metadata(e):
    assert e.lesson == "11_seq2seq"
    assert len(e.hints) >= 3 and len(e.faults) >= 3
    assert len(e.variants) > len(e.faults)
    assert all(f.message and f.hint for f in e.faults)
    assert ex.EXERCISES[e.id] is e  # registered with lesson 11


@pytest.mark.parametrize("e", LESSON_11, ids=[e.id for e in LESSON_11])
def test_first_case_tells_every_single_mistake_from_the_reference(e):
    expected = e._expected(0)
    for f in e.faults:
        kind, value, _ = e._variant((f.name,), 0)
        assert kind == "error" or distance(expected, value) > FAR, f.name


# ============================================================================= additive_attention
def test_attention_metadata_and_cases():
    assert ATT.reference is attention.additive_attention
    assert ATT.params == ("query", "keys", "mask", "W_q", "W_k", "v")
    assert ATT.output_names == ("context", "weights")
    assert {f.name for f in ATT.faults} >= {
        "softmax_over_batch", "padding_not_masked", "mask_after_softmax", "padding_keys_multiplied",
        "missing_tanh", "scores_summed", "projections_swapped", "context_wrong_axis",
    }
    labels = " ".join(c.label for c in ATT.cases)
    for small in ("S=1", "B=1", "H=1", "A=1", "no padding", "NaN", "inf"):
        assert small in labels, small
    for c in ATT.cases:
        query, keys, mask, W_q, W_k, v = c.args
        d = c.dims
        assert query.shape == (d["B"], d["H"]) and keys.shape == (d["S"], d["B"], d["Hk"])
        assert mask.shape == (d["S"], d["B"]) and mask.dtype == bool and mask.any(axis=0).all()
        assert W_q.shape == (d["A"], d["H"]) and W_k.shape == (d["A"], d["Hk"]) and v.shape == (d["A"],)
        assert np.isfinite(keys[mask]).all()
    assert np.isnan(ATT.cases[0].args[1]).any()  # the first case has NaN in its padding
    assert any(c.args[0].shape[1] == c.args[1].shape[2] for c in ATT.cases)  # H == Hk somewhere


def test_attention_scores_are_moderate():
    """tanh is not saturated, and the softmax is far from uniform: every mistake shows."""
    for c in ATT.cases:
        query, keys, mask, W_q, W_k, v = c.args
        pre = query @ W_q.T + np.where(mask[:, :, None], keys, 0.0) @ W_k.T
        assert np.abs(pre).mean() < 2.0


def attention_loop(query, keys, mask, W_q, W_k, v):
    S, B, Hk = keys.shape
    context = np.zeros((B, Hk))
    weights = np.zeros((S, B))
    for b in range(B):
        scores = {}
        for s in range(S):
            if mask[s, b]:
                scores[s] = v @ np.tanh(W_q @ query[b] + W_k @ keys[s, b])
        top = max(scores.values())
        total = sum(np.exp(x - top) for x in scores.values())
        for s, x in scores.items():
            weights[s, b] = np.exp(x - top) / total
            context[b] += weights[s, b] * keys[s, b]
    return context, weights


def attention_einsum(query, keys, mask, W_q, W_k, v):
    clean = np.where(mask[..., None], keys, 0)
    hidden = np.tanh(np.einsum("ah,bh->ba", W_q, query)[None] + np.einsum("ak,sbk->sba", W_k, clean))
    scores = np.einsum("sba,a->sb", hidden, v)
    scores[~mask] = -np.inf
    w = np.exp(scores - scores.max(0, keepdims=True))
    w /= w.sum(0, keepdims=True)
    return np.einsum("sb,sbk->bk", w, clean), w


def attention_per_column(query, keys, mask, W_q, W_k, v):
    S, B, Hk = keys.shape
    context = np.zeros((B, Hk))
    weights = np.zeros((S, B))
    for b in range(B):
        k = keys[mask[:, b], b]  # (L_b, Hk): the real keys only
        e = np.tanh(W_q @ query[b] + k @ W_k.T) @ v
        a = np.exp(e - e.max())
        a = a / a.sum()
        weights[mask[:, b], b] = a
        context[b] = a @ k
    return [context, weights]  # a list is fine


def attention_additive_mask(query, keys, mask, W_q, W_k, v):
    keys = np.where(mask[:, :, None], keys, 0.0)
    scores = np.tanh((query @ W_q.T)[None] + keys @ W_k.T) @ v
    scores = scores - 1e9 * (~mask)  # a large negative number instead of -inf
    w = np.exp(scores - scores.max(0))
    w = w / w.sum(0)
    return (w[:, :, None] * keys).sum(0), w


@pytest.mark.parametrize("fn", [attention_loop, attention_einsum, attention_per_column, attention_additive_mask])
def test_attention_learner_correct_variants_pass(fn):
    result = ATT.evaluate(fn)
    assert result.status == "pass", repr(result)


def _scores(query, keys, W_q, W_k, v, tanh=True, use_v=True, swap=False):
    a, b = (W_k, W_q) if swap else (W_q, W_k)
    pre = query @ a.T + keys @ b.T
    hidden = np.tanh(pre) if tanh else pre
    return hidden @ v if use_v else hidden.sum(-1)


def _softmax(scores, axis=0):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention_over_batch(query, keys, mask, W_q, W_k, v):
    scores = np.where(mask, _scores(query, keys, W_q, W_k, v), -np.inf)
    w = _softmax(scores, axis=1)
    return (w[:, :, None] * np.where(mask[:, :, None], keys, 0)).sum(0), w


def attention_unmasked(query, keys, mask, W_q, W_k, v):
    w = _softmax(_scores(query, keys, W_q, W_k, v))
    return (w[:, :, None] * keys).sum(axis=0), w


def attention_mask_after(query, keys, mask, W_q, W_k, v):
    w = _softmax(_scores(query, keys, W_q, W_k, v)) * mask
    return (w[:, :, None] * keys).sum(axis=0), w


def attention_times_keys(query, keys, mask, W_q, W_k, v):
    scores = np.where(mask, _scores(query, keys, W_q, W_k, v), -np.inf)
    w = _softmax(scores)
    return (w[:, :, None] * keys).sum(axis=0), w  # 0 * NaN


def attention_keys_times_mask(query, keys, mask, W_q, W_k, v):
    keys = keys * mask[:, :, None]  # zeroes finite padding, keeps NaN
    scores = np.where(mask, _scores(query, keys, W_q, W_k, v), -np.inf)
    w = _softmax(scores)
    return (w[:, :, None] * keys).sum(axis=0), w


def _masked(query, keys, mask, W_q, W_k, v, **kw):
    keys = np.where(mask[:, :, None], keys, 0.0)
    w = _softmax(np.where(mask, _scores(query, keys, W_q, W_k, v, **kw), -np.inf))
    return keys, w


def attention_no_tanh(query, keys, mask, W_q, W_k, v):
    keys, w = _masked(query, keys, mask, W_q, W_k, v, tanh=False)
    return (w[:, :, None] * keys).sum(0), w


def attention_sum_not_v(query, keys, mask, W_q, W_k, v):
    keys, w = _masked(query, keys, mask, W_q, W_k, v, use_v=False)
    return (w[:, :, None] * keys).sum(0), w


def attention_swapped(query, keys, mask, W_q, W_k, v):
    keys, w = _masked(query, keys, mask, W_q, W_k, v, swap=True)
    return (w[:, :, None] * keys).sum(0), w


def attention_context_over_batch(query, keys, mask, W_q, W_k, v):
    keys, w = _masked(query, keys, mask, W_q, W_k, v)
    return (w[:, :, None] * keys).sum(1), w


def attention_unmasked_no_tanh(query, keys, mask, W_q, W_k, v):
    w = _softmax(_scores(query, keys, W_q, W_k, v, tanh=False))
    return (w[:, :, None] * keys).sum(axis=0), w


def attention_over_batch_summed_over_batch(query, keys, mask, W_q, W_k, v):
    keys = np.where(mask[:, :, None], keys, 0.0)
    w = _softmax(np.where(mask, _scores(query, keys, W_q, W_k, v), -np.inf), axis=1)
    return (w[:, :, None] * keys).sum(1), w


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (attention_over_batch, "softmax_over_batch"),
        (attention_unmasked, "padding_not_masked"),
        (attention_mask_after, "mask_after_softmax"),
        (attention_times_keys, "padding_keys_multiplied"),
        (attention_keys_times_mask, "padding_keys_multiplied"),
        (attention_no_tanh, "missing_tanh"),
        (attention_sum_not_v, "scores_summed"),
        (attention_swapped, "projections_swapped"),
        (attention_context_over_batch, "context_wrong_axis"),
        (attention_unmasked_no_tanh, "padding_not_masked+missing_tanh"),
        (attention_over_batch_summed_over_batch, "softmax_over_batch+context_wrong_axis"),
    ],
)
def test_attention_learner_mistakes_named(fn, mistake):
    result = ATT.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_attention_swapped_projections_error_is_named_with_the_learner_line():
    result = ATT.evaluate(attention_swapped)
    assert "ValueError" in result.message and "known mistake" in result.message


def test_attention_weights_only_or_transposed_are_told():
    def weights_only(query, keys, mask, W_q, W_k, v):
        return attention.additive_attention(query, keys, mask, W_q, W_k, v)[1]

    def transposed_weights(query, keys, mask, W_q, W_k, v):
        c, w = attention.additive_attention(query, keys, mask, W_q, W_k, v)
        return c, w.T

    def zeroes_padding_in_place(query, keys, mask, W_q, W_k, v):
        keys[~mask] = 0.0
        return attention.additive_attention(query, keys, mask, W_q, W_k, v)

    assert ATT.evaluate(weights_only).status == "wrong_type"
    result = ATT.evaluate(transposed_weights)
    assert result.status == "wrong_shape" and "transposed" in result.message
    assert ATT.evaluate(zeroes_padding_in_place).status == "mutated_input"


# ============================================================================= teacher_forcing_inputs
def test_teacher_forcing_metadata_and_cases():
    assert TF.reference is teacher_forcing.teacher_forcing_inputs
    assert TF.params == ("targets", "bos", "pad")
    assert {f.name for f in TF.faults} >= {
        "not_shifted", "shifted_left", "wrong_axis", "bos_missing", "eos_not_dropped", "padding_is_bos",
    }
    labels = " ".join(c.label for c in TF.cases)
    for small in ("T=1", "B=1", "no padding", "pad id 3"):
        assert small in labels, small
    uneven = 0
    for c in TF.cases:
        targets, bos, pad = c.args
        assert targets.shape == (c.dims["T"], c.dims["B"]) and targets.dtype == np.int64
        real = targets != pad
        lengths = real.sum(axis=0)
        assert (real == (np.arange(len(targets))[:, None] < lengths)).all()  # right-padded
        assert (targets[lengths - 1, np.arange(len(lengths))] == 2).all()  # each ends with EOS
        assert bos not in targets[real]
        uneven += len(set(lengths.tolist())) > 1
    assert uneven >= 3


def tf_loop(targets, bos, pad=0):
    T, B = targets.shape
    inputs = np.full((T, B), pad, dtype=targets.dtype)
    for b in range(B):
        L = int((targets[:, b] != pad).sum())
        inputs[0, b] = bos
        inputs[1:L, b] = targets[: L - 1, b]
    return inputs


def tf_concatenate(targets, bos, pad=0):
    shifted = np.concatenate([np.full((1, targets.shape[1]), bos), targets[:-1]], axis=0)
    shifted[targets == pad] = pad
    return shifted


def tf_roll(targets, bos, pad=0):
    inputs = np.roll(targets, 1, axis=0)
    inputs[0] = bos
    return np.where(targets == pad, pad, inputs)


@pytest.mark.parametrize("fn", [tf_loop, tf_concatenate, tf_roll])
def test_teacher_forcing_learner_correct_variants_pass(fn):
    result = TF.evaluate(fn)
    assert result.status == "pass", repr(result)


def tf_as_is(targets, bos, pad=0):
    return targets.copy()


def tf_left(targets, bos, pad=0):
    inputs = np.full_like(targets, pad)
    inputs[:-1] = targets[1:]
    return np.where(targets != pad, inputs, pad)


def tf_batch_axis(targets, bos, pad=0):
    inputs = np.concatenate([np.full((targets.shape[0], 1), bos), targets[:, :-1]], axis=1)
    return np.where(targets != pad, inputs, pad)


def tf_pad_first(targets, bos, pad=0):
    inputs = np.full_like(targets, pad)
    inputs[1:] = targets[:-1]
    return np.where(targets != pad, inputs, pad)


def tf_no_mask(targets, bos, pad=0):
    return np.concatenate([np.full((1, targets.shape[1]), bos), targets[:-1]], axis=0)


def tf_bos_everywhere(targets, bos, pad=0):
    inputs = np.full_like(targets, bos)
    for b in range(targets.shape[1]):
        L = int((targets[:, b] != pad).sum())
        inputs[1:L, b] = targets[: L - 1, b]
    return inputs


def tf_pad_first_no_mask(targets, bos, pad=0):
    inputs = np.full_like(targets, pad)
    inputs[1:] = targets[:-1]
    return inputs


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (tf_as_is, "not_shifted"),
        (tf_left, "shifted_left"),
        (tf_batch_axis, "wrong_axis"),
        (tf_pad_first, "bos_missing"),
        (tf_no_mask, "eos_not_dropped"),
        (tf_bos_everywhere, "padding_is_bos"),
        (tf_pad_first_no_mask, "bos_missing+eos_not_dropped"),
    ],
)
def test_teacher_forcing_learner_mistakes_named(fn, mistake):
    result = TF.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_teacher_forcing_zeros_instead_of_bos_is_named_with_a_caveat():
    def zeros_first(targets, bos, pad=0):
        inputs = np.zeros_like(targets)
        inputs[1:] = targets[:-1]
        return np.where(targets != pad, inputs, pad)

    result = TF.evaluate(zeros_first)
    assert (result.status, result.mistake) == ("mistake", "bos_missing"), repr(result)


def test_teacher_forcing_other_statuses():
    def as_floats(targets, bos, pad=0):
        return tf_loop(targets, bos, pad).astype(float)

    def shifts_in_place(targets, bos, pad=0):
        real = targets != pad
        targets[1:] = targets[:-1].copy()
        targets[0] = bos
        return np.where(real, targets, pad)

    def one_longer(targets, bos, pad=0):
        return np.concatenate([np.full((1, targets.shape[1]), bos), targets], axis=0)

    assert TF.evaluate(as_floats).status == "wrong_type"
    assert TF.evaluate(shifts_in_place).status == "mutated_input"
    assert TF.evaluate(one_longer).status == "wrong_shape"
    assert TF.evaluate(lambda targets, bos: targets).status == "error"  # no pad parameter


# ----------------------------------------------------------------------------- the reference itself
def test_teacher_forcing_reference_example():
    EOS, BOS = 2, 1
    targets = np.array([[5, 7, 9], [6, EOS, 8], [EOS, 0, EOS], [0, 0, 0]])  # lengths 3, 2, 3 of T=4
    want = np.array([[BOS, BOS, BOS], [5, 7, 9], [6, 0, 8], [0, 0, 0]])
    got = teacher_forcing.teacher_forcing_inputs(targets, BOS)
    assert np.array_equal(got, want) and got.dtype == targets.dtype
    assert ((got != 0) == (targets != 0)).all()  # each column keeps its length
    assert np.array_equal(targets[:, 0], [5, 6, EOS, 0])  # inputs unchanged


def test_teacher_forcing_reference_edges_and_other_pad():
    f = teacher_forcing.teacher_forcing_inputs
    assert np.array_equal(f(np.array([[2, 2]]), 1), [[1, 1]])  # T=1: only BOS
    assert np.array_equal(f(np.array([[4], [2]]), 1), [[1], [4]])  # B=1, no padding
    targets = np.array([[4, 5], [2, 2], [-1, 9], [-1, 2]])
    assert np.array_equal(f(targets, 0, pad=-1), [[0, 0], [4, 5], [-1, 2], [-1, 9]])
    assert np.array_equal(f(np.array([[0, 4], [0, 2]]), 1), [[0, 1], [0, 4]])  # an empty column stays empty
    assert f(np.zeros((3, 0), dtype=np.int32), 1).shape == (3, 0)


def test_teacher_forcing_reference_torch():
    torch = pytest.importorskip("torch")
    targets = torch.tensor([[5, 7], [2, 8], [0, 2]])
    got = teacher_forcing.teacher_forcing_inputs(targets, 1)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.int64
    assert got.tolist() == [[1, 1], [5, 7], [0, 8]]


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        (([[1, 2]], 1), TypeError, "targets must be a NumPy array"),
        ((np.ones((2, 2)), 1), TypeError, "int token ids"),
        ((np.ones(3, dtype=int), 1), ValueError, "shape (T, B)"),
        ((np.ones((0, 2), dtype=int), 1), ValueError, "T >= 1"),
        ((np.ones((2, 2), dtype=int), 1.0), TypeError, "bos must be an int"),
        ((np.ones((2, 2), dtype=int), True), TypeError, "bos must be an int"),
        ((np.ones((2, 2), dtype=int), 1, None), TypeError, "pad must be an int"),
        ((np.ones((2, 2), dtype=int), 3, 3), ValueError, "bos and pad must be different"),
        ((np.array([[4, 0], [2, 5]]), 1), ValueError, "column 1 has padding (id 0) at t = 0"),
    ],
)
def test_teacher_forcing_reference_errors(args, error, words):
    with pytest.raises(error) as info:
        teacher_forcing.teacher_forcing_inputs(*args)
    assert words in str(info.value)


def test_teacher_forcing_reference_source_is_the_short_body():
    source = inspect.getsource(teacher_forcing.teacher_forcing_inputs)
    assert source.startswith("def teacher_forcing_inputs(targets, bos, pad=0):")
    assert len(source.split('"""')[-1].strip().splitlines()) <= 6
