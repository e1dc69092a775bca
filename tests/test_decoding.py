"""rnncourse.decoding: filters, sampling, the generation loop and beam search, against brute force
on small random models."""

from __future__ import annotations

import inspect
import itertools
import math
import subprocess
import sys
import zlib

import numpy as np
import pytest

from rnncourse import decoding
from rnncourse.decoding import (
    beam_search,
    beam_search_step,
    generate,
    greedy_search,
    next_token,
    nucleus_filter,
    sample,
    softmax,
    top_k_filter,
)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# ----------------------------------------------------------------------------- small models
class BigramModel:
    """Next-token log-probabilities that depend on the last token only; bos = V."""

    def __init__(self, V, seed, scale=2.0, eos=0):
        rng = np.random.default_rng(seed)
        self.V, self.eos, self.bos = V, eos, V
        self.table = _log_softmax(rng.normal(0, scale, (V + 1, V)))  # (V + 1, V): row = last token
        self.calls = []

    def __call__(self, prefixes):
        self.calls.append([list(p) for p in prefixes])
        return np.stack([self.table[p[-1]] for p in prefixes])  # (N, V)


class PrefixModel:
    """Next-token log-probabilities that depend on the whole prefix (a generator seeded by it)."""

    def __init__(self, V, seed, scale=2.0, eos=0):
        self.V, self.seed, self.scale, self.eos, self.bos = V, seed, scale, eos, V

    def row(self, prefix):
        key = zlib.crc32(np.asarray(prefix, dtype=np.int64).tobytes()) + 7919 * self.seed
        return _log_softmax(np.random.default_rng(key).normal(0, self.scale, self.V))  # (V,)

    def __call__(self, prefixes):
        return np.stack([self.row(p) for p in prefixes])


def _sequences(V, eos, max_len):
    """Every finished sequence: ending with eos, or max_len tokens long (eos only at the end)."""
    out = []

    def extend(seq):
        for v in range(V):
            s = seq + [v]
            if v == eos or len(s) == max_len:
                out.append(s)
            else:
                extend(s)

    extend([])
    return out


def _score(model, tokens):
    total = 0.0
    for i, token in enumerate(tokens):
        total += float(model([[model.bos] + tokens[:i]])[0, token])
    return total


def _exhaustive(model, max_len, alpha=None):
    seqs = _sequences(model.V, model.eos, max_len)
    scored = [(s, _score(model, s)) for s in seqs]
    key = (lambda h: -h[1]) if alpha is None else (lambda h: -h[1] / len(h[0]) ** alpha)
    return sorted(scored, key=key)


# ----------------------------------------------------------------------------- softmax
def test_softmax_rows_sum_to_one_and_stable_for_large_logits():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1e4, (3, 6))
    p = softmax(logits)
    assert p.shape == (3, 6) and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(softmax(logits[0]), p[0])


def test_softmax_temperature_to_zero_approaches_argmax():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1, (5, 7))
    one_hot = np.eye(7)[logits.argmax(axis=-1)]
    gaps = [np.abs(softmax(logits, t) - one_hot).max() for t in (1.0, 0.1, 0.01, 1e-3, 1e-4)]
    assert all(b <= a for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-12


def test_softmax_high_temperature_approaches_uniform():
    logits = np.random.default_rng(2).normal(0, 1, 9)
    np.testing.assert_allclose(softmax(logits, 1e6), np.full(9, 1 / 9), rtol=1e-5)


# ----------------------------------------------------------------------------- top-k
def test_top_k_filter_keeps_exactly_the_k_largest_with_ties_to_the_lower_index():
    rng = np.random.default_rng(3)
    for trial in range(300):
        V = int(rng.integers(1, 9))
        B = int(rng.integers(1, 4))
        k = int(rng.integers(1, V + 3))
        logits = rng.integers(-2, 3, (B, V)).astype(float)  # many ties
        probs = top_k_filter(logits, k)
        assert probs.shape == (B, V)
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0)
        for row, p in zip(logits, probs):
            kept = np.flatnonzero(p > 0)
            dropped = np.flatnonzero(p == 0)
            assert len(kept) == min(k, V)
            if len(dropped):
                assert row[kept].min() >= row[dropped].max()  # nothing outside the top k
                cut = row[kept].min()
                tied_kept = kept[row[kept] == cut]
                tied_dropped = dropped[row[dropped] == cut]
                if len(tied_dropped):
                    assert tied_kept.max() < tied_dropped.min()  # the lower index wins
            np.testing.assert_allclose(p[kept], softmax(row[kept]))


def test_top_k_filter_tie_rule_example():
    logits = np.array([1.0, 3.0, 2.0, 3.0, 0.0, 3.0])
    np.testing.assert_array_equal(top_k_filter(logits, 2), [0, 0.5, 0, 0.5, 0, 0])


def test_top_k_filter_k_at_least_v_is_the_softmax():
    logits = np.random.default_rng(4).normal(0, 2, (3, 5))
    for k in (5, 6, 100):
        np.testing.assert_allclose(top_k_filter(logits, k), softmax(logits))


def test_top_k_filter_k_one_is_one_hot_argmax():
    logits = np.random.default_rng(5).normal(0, 2, (4, 6))
    np.testing.assert_array_equal(top_k_filter(logits, 1), np.eye(6)[logits.argmax(axis=-1)])


def test_top_k_filter_row_and_batch_agree_and_large_logits_stay_finite():
    logits = np.random.default_rng(6).normal(0, 1e4, (3, 7))
    batch = top_k_filter(logits, 3)
    assert np.all(np.isfinite(batch))
    for row, out in zip(logits, batch):
        np.testing.assert_allclose(top_k_filter(row, 3), out)


def test_top_k_filter_accepts_lists_keywords_and_leaves_input_unchanged():
    logits = np.array([[0.5, 2.0, -1.0]])
    before = logits.copy()
    np.testing.assert_allclose(top_k_filter(logits=logits.tolist(), k=2), top_k_filter(logits, 2))
    np.testing.assert_array_equal(logits, before)
    assert tuple(inspect.signature(top_k_filter).parameters) == ("logits", "k")
    assert "Fan et al." in top_k_filter.__doc__


# ----------------------------------------------------------------------------- nucleus
def _smallest_reaching(p_row, p):
    """Brute force: the size of the smallest set of tokens with total probability >= p."""
    V = len(p_row)
    for m in range(1, V + 1):
        if any(sum(p_row[list(c)]) >= p for c in itertools.combinations(range(V), m)):
            return m
    return V


def test_nucleus_filter_keeps_the_smallest_set_reaching_p_brute_force():
    rng = np.random.default_rng(7)
    checked = 0
    for trial in range(300):
        V = int(rng.integers(1, 8))
        probs = rng.dirichlet(np.full(V, 0.7))
        p = float(rng.uniform(0.05, 1.0))
        partial = np.cumsum(np.sort(probs)[::-1])
        if np.min(np.abs(partial - p)) < 1e-9:
            continue  # rounding would decide
        out = nucleus_filter(probs, p)
        kept = np.flatnonzero(out > 0)
        assert len(kept) == _smallest_reaching(probs, p)
        assert probs[kept].sum() >= p
        dropped = np.setdiff1d(np.arange(V), kept)
        if len(dropped):
            assert probs[kept].min() >= probs[dropped].max()  # the most probable ones
        np.testing.assert_allclose(out[kept], probs[kept] / probs[kept].sum())
        np.testing.assert_allclose(out.sum(), 1.0)
        checked += 1
    assert checked > 250


def test_nucleus_filter_reaches_p_despite_rounding():
    # 0.6 + 0.3 == 0.8999999999999999 in floating point; the set {0.6, 0.3} still reaches 0.9
    np.testing.assert_allclose(nucleus_filter(np.array([0.6, 0.3, 0.1]), 0.9), [2 / 3, 1 / 3, 0])


def test_nucleus_filter_p_one_keeps_every_token_with_nonzero_probability():
    rng = np.random.default_rng(8)
    probs = rng.dirichlet(np.ones(6), size=4)  # (4, 6)
    probs[:, 2] = 0.0
    probs /= probs.sum(axis=-1, keepdims=True)
    out = nucleus_filter(probs, 1.0)
    np.testing.assert_array_equal(out > 0, probs > 0)
    np.testing.assert_allclose(out, probs)


def test_nucleus_filter_keeps_the_most_probable_token_for_a_tiny_p():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    np.testing.assert_array_equal(nucleus_filter(probs, 1e-9), [[0, 1, 0], [1, 0, 0]])


def test_nucleus_filter_tie_rule_example():
    probs = np.array([0.4, 0.2, 0.2, 0.2])
    np.testing.assert_allclose(nucleus_filter(probs, 0.5), [2 / 3, 1 / 3, 0, 0])


def test_nucleus_filter_row_and_batch_agree():
    probs = np.random.default_rng(9).dirichlet(np.ones(7), size=3)
    batch = nucleus_filter(probs, 0.7)
    for row, out in zip(probs, batch):
        np.testing.assert_allclose(nucleus_filter(row, 0.7), out)


# ----------------------------------------------------------------------------- sampling
def test_sample_is_reproducible_with_a_seeded_generator():
    probs = np.random.default_rng(10).dirichlet(np.ones(6), size=5)  # (5, 6)

    def draws(seed):
        rng = np.random.default_rng(seed)
        return [sample(probs[0], rng) for _ in range(50)] + sample(probs, rng).tolist()

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


def test_sample_frequencies_match_the_probabilities():
    probs = np.array([0.5, 0.25, 0.15, 0.1, 0.0])
    rng = np.random.default_rng(11)
    n = 20_000
    draws = sample(np.tile(probs, (n, 1)), rng)  # (n,)
    assert draws.shape == (n,) and draws.dtype.kind == "i"
    freq = np.bincount(draws, minlength=5) / n
    assert freq[4] == 0  # a zero-probability token is never drawn
    sigma = np.sqrt(probs * (1 - probs) / n)
    assert np.all(np.abs(freq - probs) <= 5 * sigma + 1e-12)


def test_sample_returns_python_int_for_one_row():
    token = sample(np.array([0.0, 1.0, 0.0]), np.random.default_rng(0))
    assert type(token) is int and token == 1


def test_sample_does_not_touch_the_global_random_state():
    before = np.random.get_state()
    sample(np.full((3, 4), 0.25), np.random.default_rng(0))
    next_token(np.zeros(4), np.random.default_rng(0), top_k=2, top_p=0.9)
    after = np.random.get_state()
    assert np.array_equal(before[1], after[1]) and before[2:] == after[2:]


# ----------------------------------------------------------------------------- next token
def test_next_token_temperature_zero_is_argmax_without_rng():
    logits = np.random.default_rng(12).normal(0, 1, (4, 9))
    np.testing.assert_array_equal(next_token(logits, temperature=0), logits.argmax(axis=-1))
    assert next_token(logits[0], temperature=0) == int(logits[0].argmax())
    assert next_token(np.array([1.0, 3.0, 3.0]), temperature=0) == 1  # the lower index wins


def test_next_token_small_temperature_samples_the_argmax():
    rng = np.random.default_rng(13)
    logits = rng.normal(0, 1, (50, 6))
    top2 = np.sort(logits, axis=-1)[:, -2:]
    logits = logits[top2[:, 1] - top2[:, 0] > 0.05]
    np.testing.assert_array_equal(next_token(logits, rng, temperature=1e-4), logits.argmax(axis=-1))


def test_next_token_filters_limit_what_is_drawn():
    rng = np.random.default_rng(14)
    logits = rng.normal(0, 1, 8)
    top3 = set(np.argsort(-logits)[:3].tolist())
    draws = {next_token(logits, rng, top_k=3) for _ in range(300)}
    assert draws <= top3 and len(draws) == 3
    assert {next_token(logits, rng, top_k=1) for _ in range(20)} == {int(logits.argmax())}
    assert {next_token(logits, rng, top_p=1e-6) for _ in range(20)} == {int(logits.argmax())}
    nucleus = nucleus_filter(softmax(logits, 0.7), 0.5)
    draws = {next_token(logits, rng, temperature=0.7, top_p=0.5) for _ in range(300)}
    assert draws <= set(np.flatnonzero(nucleus).tolist())


def test_next_token_reads_torch_tensors():
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(15).normal(0, 1, (2, 5))
    t = torch.tensor(logits, requires_grad=True) * 1.0  # with a graph
    assert next_token(t, temperature=0).tolist() == logits.argmax(axis=-1).tolist()
    a = next_token(t, np.random.default_rng(3))
    b = next_token(logits, np.random.default_rng(3))
    assert a.tolist() == b.tolist()


# ----------------------------------------------------------------------------- generate
class BigramStep:
    """``step(ids, state)`` of a bigram model over V tokens; the state is the last id read."""

    def __init__(self, V, seed, torch_out=False):
        self.table = np.random.default_rng(seed).normal(0, 2, (V, V))  # (V, V) logits
        self.calls = []
        self.torch_out = torch_out

    def __call__(self, ids, state):
        self.calls.append((list(ids), state))
        logits = self.table[ids[-1]]
        if self.torch_out:
            import torch

            logits = torch.tensor(logits)
        return logits, ids[-1]


def test_generate_greedy_is_the_argmax_chain():
    step = BigramStep(6, 16)
    out = generate(step, [2, 4], 10, temperature=0)
    token, chain = 4, []
    for _ in range(10):
        token = int(step.table[token].argmax())
        chain.append(token)
    assert out == chain and all(type(t) is int for t in out)


def test_generate_reads_the_prompt_once_then_one_token_per_call():
    step = BigramStep(5, 17)
    out = generate(step, [1, 2, 3], 4, rng=np.random.default_rng(0))
    assert [ids for ids, _ in step.calls] == [[1, 2, 3], [out[0]], [out[1]], [out[2]]]
    assert [state for _, state in step.calls] == [None, 3, out[0], out[1]]
    assert generate(BigramStep(5, 17), [1], 0) == []


def test_generate_is_reproducible_with_a_seed():
    def run(seed, **how):
        return generate(BigramStep(7, 18), [0], 40, rng=np.random.default_rng(seed), **how)

    assert run(5) == run(5)
    assert run(5) != run(6)
    assert run(5, top_k=2, top_p=0.9, temperature=0.8) == run(5, top_k=2, top_p=0.9, temperature=0.8)


def test_generate_accepts_torch_logits():
    pytest.importorskip("torch")
    a = generate(BigramStep(6, 19, torch_out=True), [3], 12, rng=np.random.default_rng(1), top_k=3)
    b = generate(BigramStep(6, 19), [3], 12, rng=np.random.default_rng(1), top_k=3)
    assert a == b


# ----------------------------------------------------------------------------- beam search step
def test_beam_search_step_matches_brute_force():
    rng = np.random.default_rng(20)
    for trial in range(50):
        N, V = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        width = int(rng.integers(1, N * V + 3))
        scores = rng.uniform(-5, 0, N)
        log_probs = _log_softmax(rng.normal(0, 2, (N, V)))
        parents, tokens, new = beam_search_step(scores, log_probs, width)
        pairs = sorted(((scores[n] + log_probs[n, v], n * V + v) for n in range(N) for v in range(V)),
                       key=lambda c: (-c[0], c[1]))[:width]
        assert parents.tolist() == [i // V for _, i in pairs]
        assert tokens.tolist() == [i % V for _, i in pairs]
        np.testing.assert_allclose(new, [s for s, _ in pairs])
        assert len(new) == min(width, N * V)


def test_beam_search_step_ties_go_to_the_lower_flat_index():
    log_probs = np.log(np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]]))
    parents, tokens, _ = beam_search_step(np.array([-1.0, -1.0]), log_probs, 4)
    assert list(zip(parents.tolist(), tokens.tolist())) == [(0, 0), (1, 0), (0, 1), (0, 2)]


# ----------------------------------------------------------------------------- beam search
@pytest.mark.parametrize("model_cls", [BigramModel, PrefixModel])
@pytest.mark.parametrize("seed", range(6))
def test_beam_search_width_one_is_greedy(model_cls, seed):
    model = model_cls(5, seed)
    (tokens, score), = beam_search(model, model.bos, model.eos, 1, 8)
    assert (tokens, score) == greedy_search(model, model.bos, model.eos, 8)
    # greedy: each token is the argmax after its prefix
    for i, token in enumerate(tokens):
        assert token == int(np.argmax(model([[model.bos] + tokens[:i]])[0]))


@pytest.mark.parametrize("model_cls", [BigramModel, PrefixModel])
@pytest.mark.parametrize("seed", range(4))
def test_beam_search_full_width_is_exhaustive(model_cls, seed):
    V, max_len = 4, 4
    model = model_cls(V, seed, scale=1.5)
    expected = _exhaustive(model, max_len)
    got = beam_search(model, model.bos, model.eos, V ** max_len, max_len)
    assert sorted(t for t, _ in got) == sorted(t for t, _ in expected)  # every sequence ...
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-12)  # ... best first
    assert expected[0][1] - expected[1][1] > 1e-9 and got[0][0] == expected[0][0]  # the best, exactly
    if model_cls is PrefixModel:  # no ties: the same order (a bigram model has equal sums in any order)
        assert [t for t, _ in got] == [t for t, _ in expected]
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)
    for tokens, score in got:
        assert score == pytest.approx(_score(model, tokens), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_beam_search_full_width_with_length_penalty_is_exhaustive(alpha):
    V, max_len = 4, 4
    model = PrefixModel(V, 3, scale=1.0)
    expected = _exhaustive(model, max_len, alpha)
    got = beam_search(model, model.bos, model.eos, V ** max_len, max_len, length_penalty=alpha)
    assert [t for t, _ in got] == [t for t, _ in expected]
    for tokens, score in got:  # the summed log-probability, whatever the order
        assert score == pytest.approx(_score(model, tokens), rel=1e-12)


def test_beam_search_returns_at_most_beam_width_best_first_and_respects_eos_and_max_len():
    model = PrefixModel(5, 11)
    for width in (1, 2, 3, 7):
        for max_len in (1, 2, 5):
            hyps = beam_search(model, model.bos, model.eos, width, max_len)
            assert 1 <= len(hyps) <= width
            scores = [s for _, s in hyps]
            assert scores == sorted(scores, reverse=True)
            for tokens, score in hyps:
                assert 1 <= len(tokens) <= max_len
                assert model.eos not in tokens[:-1]  # eos ends a hypothesis, kept as its last token
                assert tokens[-1] == model.eos or len(tokens) == max_len
                assert score == pytest.approx(_score(model, tokens), rel=1e-12)


def test_beam_search_calls_the_model_with_prefixes_that_start_with_bos():
    model = BigramModel(4, 12)
    beam_search(model, model.bos, model.eos, 3, 5)
    assert model.calls[0] == [[model.bos]]
    assert all(p[0] == model.bos and len(p) <= 5 for call in model.calls for p in call)
    assert all(1 <= len(call) <= 3 for call in model.calls)


def test_beam_search_stops_early_when_no_live_hypothesis_can_win():
    # eos is likely at every step: two hypotheses finish early and beat everything still live
    V, max_len = 4, 6
    table = np.log(np.array([0.85, 0.05, 0.06, 0.04]))

    class Likely:
        bos, eos, calls = V, 0, 0

        def __call__(self, prefixes):
            Likely.calls += 1
            return np.tile(table, (len(prefixes), 1))

    model = Likely()
    got = beam_search(model, V, 0, 2, max_len)
    assert Likely.calls < max_len
    assert [t for t, _ in got] == [[0], [2, 0]]
    exact = sorted(((s, _score(model, s)) for s in _sequences(V, 0, max_len)), key=lambda h: -h[1])
    assert [t for t, _ in got] == [t for t, _ in exact[:2]]


def test_beam_search_certain_eos_and_impossible_tokens():
    class EosFirst:
        def __call__(self, prefixes):
            return np.tile([0.0, -np.inf, -np.inf], (len(prefixes), 1))

    (tokens, score), *rest = beam_search(EosFirst(), 3, 0, 2, 4)
    assert tokens == [0] and score == 0.0
    assert all(s == -np.inf for _, s in rest)


def test_beam_search_accepts_cpu_torch_tensors():
    torch = pytest.importorskip("torch")
    model = PrefixModel(4, 13)

    def torch_model(prefixes):
        return torch.tensor(model(prefixes))

    assert beam_search(torch_model, model.bos, model.eos, 3, 4) == beam_search(model, model.bos, model.eos, 3, 4)
    assert greedy_search(torch_model, model.bos, model.eos, 4) == greedy_search(model, model.bos, model.eos, 4)


# ----------------------------------------------------------------------------- bad input
GOOD_LOGITS = np.array([[0.1, 1.0, -0.5]])
GOOD_PROBS = np.array([0.2, 0.5, 0.3])


def _bigram_step(ids, state):
    return np.zeros(3), None


def _model(prefixes):
    return np.log(np.full((len(prefixes), 3), 1 / 3))


BAD_CALLS = {
    "softmax temperature 0": (lambda: softmax(GOOD_LOGITS, 0), ValueError, "temperature"),
    "softmax temperature -1": (lambda: softmax(GOOD_LOGITS, -1.0), ValueError, "temperature"),
    "softmax 3-D logits": (lambda: softmax(np.zeros((2, 2, 2))), ValueError, "logits"),
    "softmax NaN logits": (lambda: softmax(np.array([0.0, np.nan])), ValueError, "logits"),
    "top_k k 0": (lambda: top_k_filter(GOOD_LOGITS, 0), ValueError, "k"),
    "top_k k float": (lambda: top_k_filter(GOOD_LOGITS, 2.0), TypeError, "k"),
    "top_k k bool": (lambda: top_k_filter(GOOD_LOGITS, True), TypeError, "k"),
    "top_k scalar logits": (lambda: top_k_filter(np.float64(1.0), 1), ValueError, "logits"),
    "top_k empty logits": (lambda: top_k_filter(np.zeros(0), 1), ValueError, "logits"),
    "top_k 3-D logits": (lambda: top_k_filter(np.zeros((1, 2, 3)), 1), ValueError, "logits"),
    "top_k inf logits": (lambda: top_k_filter(np.array([1.0, np.inf]), 1), ValueError, "logits"),
    "top_k string logits": (lambda: top_k_filter(["a", "b"], 1), TypeError, "logits"),
    "nucleus p 0": (lambda: nucleus_filter(GOOD_PROBS, 0), ValueError, "p"),
    "nucleus p 1.5": (lambda: nucleus_filter(GOOD_PROBS, 1.5), ValueError, "p"),
    "nucleus p NaN": (lambda: nucleus_filter(GOOD_PROBS, float("nan")), ValueError, "p"),
    "nucleus p string": (lambda: nucleus_filter(GOOD_PROBS, "0.5"), TypeError, "p"),
    "nucleus probs not summing to 1": (lambda: nucleus_filter(np.array([0.5, 0.2]), 0.5), ValueError, "probs"),
    "nucleus negative probs": (lambda: nucleus_filter(np.array([1.5, -0.5]), 0.5), ValueError, "probs"),
    "nucleus 3-D probs": (lambda: nucleus_filter(np.ones((1, 1, 1)), 0.5), ValueError, "probs"),
    "sample without rng": (lambda: sample(GOOD_PROBS, None), TypeError, "rng"),
    "sample legacy RandomState": (lambda: sample(GOOD_PROBS, np.random.RandomState(0)), TypeError, "rng"),
    "sample bad probs": (lambda: sample(np.array([0.5, 0.6]), np.random.default_rng(0)), ValueError, "probs"),
    "next_token negative temperature": (lambda: next_token(GOOD_LOGITS, temperature=-0.1), ValueError, "temperature"),
    "next_token top_k 0": (lambda: next_token(GOOD_LOGITS, np.random.default_rng(0), top_k=0), ValueError, "top_k"),
    "next_token top_p 0": (lambda: next_token(GOOD_LOGITS, np.random.default_rng(0), top_p=0.0), ValueError, "top_p"),
    "next_token sampling without rng": (lambda: next_token(GOOD_LOGITS), TypeError, "rng"),
    "next_token NaN logits": (lambda: next_token(np.array([np.nan, 0.0]), temperature=0), ValueError, "logits"),
    "generate empty prompt": (lambda: generate(_bigram_step, [], 3, temperature=0), ValueError, "prompt"),
    "generate negative n": (lambda: generate(_bigram_step, [1], -1, temperature=0), ValueError, "n"),
    "generate float n": (lambda: generate(_bigram_step, [1], 2.0, temperature=0), TypeError, "n"),
    "generate float id": (lambda: generate(_bigram_step, [1.5], 2, temperature=0), TypeError, "prompt"),
    "generate 2-D logits from step": (
        lambda: generate(lambda ids, s: (np.zeros((1, 3)), s), [1], 2, temperature=0), ValueError, "step"),
    "step beam_width 0": (lambda: beam_search_step(np.zeros(1), np.zeros((1, 3)), 0), ValueError, "beam_width"),
    "step beam_width float": (lambda: beam_search_step(np.zeros(1), np.zeros((1, 3)), 2.5), TypeError, "beam_width"),
    "step 2-D scores": (lambda: beam_search_step(np.zeros((1, 1)), np.zeros((1, 3)), 2), ValueError, "scores"),
    "step mismatched log_probs": (lambda: beam_search_step(np.zeros(2), np.zeros((1, 3)), 2), ValueError, "log_probs"),
    "step NaN log_probs": (
        lambda: beam_search_step(np.zeros(1), np.array([[0.0, np.nan]]), 2), ValueError, "log_probs"),
    "beam beam_width 0": (lambda: beam_search(_model, 3, 0, 0, 4), ValueError, "beam_width"),
    "beam max_len 0": (lambda: beam_search(_model, 3, 0, 2, 0), ValueError, "max_len"),
    "beam max_len float": (lambda: beam_search(_model, 3, 0, 2, 4.0), TypeError, "max_len"),
    "beam negative length_penalty": (lambda: beam_search(_model, 3, 0, 2, 4, length_penalty=-1), ValueError,
                                     "length_penalty"),
    "beam negative bos": (lambda: beam_search(_model, -1, 0, 2, 4), ValueError, "bos"),
    "beam string eos": (lambda: beam_search(_model, 3, "0", 2, 4), TypeError, "eos"),
    "beam wrong shape from log_probs_fn": (lambda: beam_search(lambda p: np.zeros(3), 3, 0, 2, 4), ValueError,
                                           "log_probs_fn"),
    "beam logits instead of log-probs": (lambda: beam_search(lambda p: np.ones((len(p), 3)), 3, 0, 2, 4),
                                         ValueError, "log_probs_fn"),
    "greedy max_len 0": (lambda: greedy_search(_model, 3, 0, 0), ValueError, "max_len"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_input_raises_naming_the_argument(case):
    call, error, name = BAD_CALLS[case]
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value)


# ----------------------------------------------------------------------------- module
def test_decoding_imports_without_torch():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "import rnncourse.decoding\n"
        "assert 'torch' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exercise_references_show_their_own_source():
    for fn in (top_k_filter, nucleus_filter, beam_search_step):
        source = inspect.getsource(fn)
        assert source.startswith(f"def {fn.__name__}(")
        assert "_checked" not in source and "_args" not in source  # the checks live in the wrapper
        assert fn.__doc__ and fn.__module__ == "rnncourse.decoding"
    assert math.isclose(decoding.NUCLEUS_RTOL, 1e-12)
