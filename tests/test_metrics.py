"""rnncourse.metrics: golden values, the relations between units, and errors that name the argument."""

from __future__ import annotations

import functools
import math
import subprocess
import sys

import numpy as np
import pytest

from rnncourse import metrics as M


# ----------------------------------------------------------------------------- perplexity and bits
def test_perplexity_and_bits_golden_values():
    assert M.perplexity(0.0) == 1.0
    assert M.perplexity(1.0) == pytest.approx(math.e, rel=1e-15)
    assert M.perplexity(math.log(65)) == pytest.approx(65.0, rel=1e-14)
    assert M.bits_per_char(math.log(2)) == pytest.approx(1.0, rel=1e-15)
    assert M.bits_per_char(1.0) == pytest.approx(1.4426950408889634, rel=1e-15)
    assert M.bits_per_char(0.0) == 0.0


def test_perplexity_is_two_to_the_bits():
    rng = np.random.default_rng(0)
    for nll in rng.uniform(0, 6, 20):
        assert M.perplexity(nll) == pytest.approx(2 ** M.bits_per_char(nll), rel=1e-12)


@pytest.mark.parametrize("V", [1, 2, 27, 65, 50257])
def test_perplexity_of_uniform_model_is_vocabulary_size(V):
    nll = -np.log(np.full(10, 1.0 / V)).mean()  # every token gets probability 1/V
    assert M.perplexity(nll) == pytest.approx(V, rel=1e-12)
    assert M.bits_per_char(nll) == pytest.approx(math.log2(V), rel=1e-12, abs=1e-15)


def test_perplexity_accepts_numpy_scalars_and_arrays():
    assert isinstance(M.perplexity(np.float32(1.5)), float)
    assert isinstance(M.bits_per_char(np.float64(1.5)), float)
    assert isinstance(M.perplexity(2), float)
    assert isinstance(M.perplexity(np.array(1.5)), float)
    curve = M.perplexity([0.0, 1.0, 2.0])
    np.testing.assert_allclose(curve, np.exp([0.0, 1.0, 2.0]), rtol=1e-15)
    np.testing.assert_allclose(M.bits_per_char(np.array([[1.0, 2.0]])), [[1 / math.log(2), 2 / math.log(2)]])


def test_perplexity_of_infinite_nll_is_infinite():
    assert M.perplexity(math.inf) == math.inf
    assert M.bits_per_char(math.inf) == math.inf


@pytest.mark.parametrize("fn", [M.perplexity, M.bits_per_char])
@pytest.mark.parametrize(
    ("nll", "error"),
    [(-0.1, ValueError), (math.nan, ValueError), ([1.0, -2.0], ValueError), ("1.5", TypeError), (None, TypeError),
     (True, TypeError)],
)
def test_perplexity_bad_nll_raises_naming_nll(fn, nll, error):
    with pytest.raises(error, match="nll"):
        fn(nll)


# ----------------------------------------------------------------------------- masked perplexity
def _ragged(rng, lengths, pad_value=np.nan):
    """Ragged per-token losses, and the same padded to (T, B) with a mask."""
    seqs = [rng.uniform(0.1, 4.0, n) for n in lengths]
    T = max(lengths)
    losses = np.full((T, len(lengths)), pad_value)
    mask = np.zeros((T, len(lengths)), dtype=bool)
    for b, s in enumerate(seqs):
        losses[:len(s), b] = s
        mask[:len(s), b] = True
    return seqs, losses, mask


@pytest.mark.parametrize("lengths", [[5, 2, 7, 1], [3], [1, 1, 1], [4, 4], [9, 0, 2]])
def test_masked_perplexity_equals_unpadded_tokens_concatenated(lengths):
    rng = np.random.default_rng(1)
    seqs, losses, mask = _ragged(rng, lengths)
    all_tokens = np.concatenate(seqs)  # every real token once, each with the same weight
    assert M.masked_mean_nll(losses, mask) == pytest.approx(all_tokens.mean(), rel=1e-13)
    assert M.masked_perplexity(losses, mask) == pytest.approx(math.exp(all_tokens.mean()), rel=1e-13)
    assert M.masked_perplexity(losses, mask) == pytest.approx(M.perplexity(M.masked_mean_nll(losses, mask)), rel=1e-14)


def test_masked_perplexity_is_not_the_mean_of_sequence_means():
    losses = np.array([[1.0, 3.0], [1.0, 0.0], [1.0, 0.0]])  # sequence 0: three tokens of 1; sequence 1: one of 3
    mask = np.array([[True, True], [True, False], [True, False]])
    assert M.masked_mean_nll(losses, mask) == pytest.approx(6.0 / 4.0)  # not (1 + 3) / 2
    assert M.masked_perplexity(losses, mask) == pytest.approx(math.exp(1.5))


def test_masked_perplexity_ignores_padding_whatever_it_holds():
    rng = np.random.default_rng(2)
    _, losses, mask = _ragged(rng, [4, 1, 3], pad_value=0.0)
    expected = M.masked_perplexity(losses, mask)
    for pad in (np.nan, np.inf, -np.inf, -5.0, 1e300):
        garbage = np.where(mask, losses, pad)
        assert M.masked_perplexity(garbage, mask) == expected
        assert M.masked_mean_nll(garbage, mask) == M.masked_mean_nll(losses, mask)


def test_masked_perplexity_accepts_bool_int_and_float_masks_and_lists():
    rng = np.random.default_rng(3)
    _, losses, mask = _ragged(rng, [3, 5, 2], pad_value=7.0)
    expected = M.masked_perplexity(losses, mask)
    assert isinstance(expected, float)
    for m in (mask.astype(int), mask.astype(float), mask.astype(np.float32), mask.tolist()):
        assert M.masked_perplexity(losses, m) == expected
    assert M.masked_perplexity(losses.tolist(), mask) == expected
    assert M.masked_perplexity(losses.astype(np.float32), mask) == pytest.approx(expected, rel=1e-6)


def test_masked_perplexity_all_real_equals_plain_mean():
    rng = np.random.default_rng(4)
    losses = rng.uniform(0, 3, (6, 3))
    assert M.masked_perplexity(losses, np.ones((6, 3), bool)) == pytest.approx(math.exp(losses.mean()), rel=1e-14)


def test_masked_perplexity_does_not_modify_inputs():
    rng = np.random.default_rng(5)
    _, losses, mask = _ragged(rng, [3, 1], pad_value=np.nan)
    losses0, mask0 = losses.copy(), mask.copy()
    M.masked_perplexity(losses, mask)
    np.testing.assert_array_equal(losses, losses0)
    np.testing.assert_array_equal(mask, mask0)


@pytest.mark.parametrize("fn", [M.masked_perplexity, M.masked_mean_nll])
@pytest.mark.parametrize(
    ("losses", "mask", "error", "name"),
    [
        (np.ones((3, 2)), np.zeros((3, 2), bool), ValueError, "mask"),       # no real token
        (np.ones((3, 2)), np.zeros((3, 2)), ValueError, "mask"),             # no real token, as floats
        (np.ones((0, 2)), np.ones((0, 2), bool), ValueError, "mask"),        # empty batch
        (np.ones((3, 2)), np.ones((2, 3), bool), ValueError, "mask"),        # shape
        (np.ones((3, 2)), np.ones(3, bool), ValueError, "mask"),             # shape
        (np.ones((3, 2)), np.full((3, 2), 2), ValueError, "mask"),           # not 0/1
        (np.ones((3, 2)), np.full((3, 2), "a"), TypeError, "mask"),          # not boolean
        (np.ones((3, 2)), None, TypeError, "mask"),
        (np.full((3, 2), -1.0), np.ones((3, 2), bool), ValueError, "losses"),  # negative NLL
        (np.full((3, 2), np.nan), np.ones((3, 2), bool), ValueError, "losses"),  # NaN on a real token
        (np.ones((3, 2), bool), np.ones((3, 2), bool), TypeError, "losses"),
        ("abc", np.ones(3, bool), TypeError, "losses"),
        (1.5, True, ValueError, "losses"),                                    # not an array
    ],
)
def test_masked_perplexity_bad_input_raises_naming_argument(fn, losses, mask, error, name):
    with pytest.raises(error, match=name):
        fn(losses, mask)


# ----------------------------------------------------------------------------- Wilson interval
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        # Newcombe (1998), Table II, method 3 (score interval without continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_golden_values(k, n, low, high):
    lo, hi = M.wilson_interval(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_interval_exact_ends_at_zero_and_n():
    assert M.wilson_interval(0, 7)[0] == 0.0
    assert M.wilson_interval(7, 7)[1] == 1.0


def test_wilson_interval_bounds_solve_the_score_equation():
    """The bounds are the p with (k/n - p)^2 = z^2 p (1 - p) / n (Wilson 1927)."""
    z = 2.5758293035489004  # the 99.5 % normal quantile: a 99 % interval
    for k, n in [(3, 17), (50, 100), (999, 1000), (1, 2)]:
        for p in M.wilson_interval(k, n, confidence=0.99):
            assert (k / n - p) ** 2 == pytest.approx(z**2 * p * (1 - p) / n, rel=1e-9)


def test_wilson_interval_symmetry():
    for k, n in [(0, 5), (2, 9), (37, 120), (1, 1)]:
        lo, hi = M.wilson_interval(k, n)
        lo2, hi2 = M.wilson_interval(n - k, n)
        assert lo == pytest.approx(1 - hi2, abs=1e-15)
        assert hi == pytest.approx(1 - lo2, abs=1e-15)


def test_wilson_interval_contains_proportion_and_stays_in_unit_interval():
    rng = np.random.default_rng(6)
    for _ in range(200):
        n = int(rng.integers(1, 500))
        k = int(rng.integers(0, n + 1))
        lo, hi = M.wilson_interval(k, n, confidence=float(rng.uniform(0.5, 0.999)))
        assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_interval_narrower_for_larger_n_and_lower_confidence():
    widths = [np.subtract(*M.wilson_interval(n // 4 * 3, n)[::-1]) for n in (8, 40, 400, 4000)]
    assert all(a > b for a, b in zip(widths, widths[1:]))
    w = [np.subtract(*M.wilson_interval(30, 50, c)[::-1]) for c in (0.5, 0.9, 0.95, 0.99)]
    assert all(a < b for a, b in zip(w, w[1:]))


def test_wilson_interval_accepts_numpy_integers():
    correct = np.array([1, 1, 0, 1, 1, 1, 1, 0, 1, 1], bool)
    assert M.wilson_interval(correct.sum(), np.int32(correct.size)) == M.wilson_interval(8, 10)


def test_wilson_interval_coverage_is_close_to_nominal():
    """Over many binomial samples, about 95 % of the intervals contain the true proportion."""
    rng = np.random.default_rng(7)
    p, n = 0.3, 60
    ks = rng.binomial(n, p, size=4000)
    cover = np.mean([lo <= p <= hi for lo, hi in (M.wilson_interval(int(k), n) for k in ks)])
    assert 0.93 < cover < 0.97


@pytest.mark.parametrize(
    ("args", "error", "name"),
    [
        ((0, 0), ValueError, "n"),
        ((0, -3), ValueError, "n"),
        ((11, 10), ValueError, "successes"),
        ((-1, 10), ValueError, "successes"),
        ((8.0, 10), TypeError, "successes"),
        ((8, 10.0), TypeError, "n"),
        ((True, 10), TypeError, "successes"),
        (("8", 10), TypeError, "successes"),
        ((8, 10, 1.0), ValueError, "confidence"),
        ((8, 10, 0.0), ValueError, "confidence"),
        ((8, 10, 95), ValueError, "confidence"),
        ((8, 10, "95%"), TypeError, "confidence"),
        ((8, 10, None), TypeError, "confidence"),
    ],
)
def test_wilson_interval_bad_input_raises_naming_argument(args, error, name):
    with pytest.raises(error, match=rf"\b{name}\b"):
        M.wilson_interval(*args)


def test_accuracy_with_interval():
    correct = np.array([True] * 8 + [False] * 2)
    acc, lo, hi = M.accuracy_with_interval(correct)
    assert acc == 0.8
    assert (lo, hi) == M.wilson_interval(8, 10)
    rng = np.random.default_rng(8)
    grid = rng.random((5, 7)) < 0.6  # any shape counts every entry
    acc, lo, hi = M.accuracy_with_interval(grid.astype(int), confidence=0.9)
    assert acc == grid.mean()
    assert (lo, hi) == M.wilson_interval(int(grid.sum()), grid.size, 0.9)
    assert all(isinstance(v, float) for v in (acc, lo, hi))
    assert M.accuracy_with_interval([True]) == (1.0, M.wilson_interval(1, 1)[0], 1.0)


@pytest.mark.parametrize(
    ("correct", "error"),
    [([], ValueError), ([0, 1, 2], ValueError), (["yes", "no"], TypeError), (None, TypeError), ("1010", TypeError)],
)
def test_accuracy_with_interval_bad_input_raises_naming_correct(correct, error):
    with pytest.raises(error, match="correct"):
        M.accuracy_with_interval(correct)


# ----------------------------------------------------------------------------- edit distance, CER, exact match
@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("kitten", "sitting", 3),
        ("", "", 0),
        ("", "abc", 3),
        ("abc", "", 3),
        ("abc", "abc", 0),
        ("flaw", "lawn", 2),
        ("intention", "execution", 5),
        ("ab", "ba", 2),  # no transpositions in Levenshtein's distance
        (["the", "cat", "sat"], ["the", "cat", "sit", "down"], 2),
        ((1, 2, 3), [1, 3], 1),
        (np.array([4, 5, 6]), np.array([4, 6, 6]), 1),
    ],
)
def test_edit_distance_golden_values(a, b, d):
    assert M.edit_distance(a, b) == d
    assert M.edit_distance(b, a) == d
    assert isinstance(M.edit_distance(a, b), int)


def _levenshtein_recursive(a, b):
    @functools.lru_cache(maxsize=None)
    def d(i, j):  # distance between a[:i] and b[:j]
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def test_edit_distance_matches_recursive_definition_on_random_strings():
    rng = np.random.default_rng(9)
    for _ in range(300):
        a = "".join(rng.choice(list("abc"), int(rng.integers(0, 9))))
        b = "".join(rng.choice(list("abc"), int(rng.integers(0, 9))))
        d = M.edit_distance(a, b)
        assert d == _levenshtein_recursive(a, b)
        assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))


def test_edit_distance_triangle_inequality():
    rng = np.random.default_rng(10)
    for _ in range(100):
        a, b, c = ("".join(rng.choice(list("xy"), int(rng.integers(0, 7)))) for _ in range(3))
        assert M.edit_distance(a, c) <= M.edit_distance(a, b) + M.edit_distance(b, c)


@pytest.mark.parametrize(("a", "b", "name"), [(3, "abc", "reference"), ("abc", None, "hypothesis")])
def test_edit_distance_bad_input_raises_naming_argument(a, b, name):
    with pytest.raises(TypeError, match=name):
        M.edit_distance(a, b)


def test_char_error_rate_golden_values():
    assert M.char_error_rate(["kitten"], ["sitting"]) == 3 / 6
    assert M.char_error_rate(["kitten", "abc"], ["sitting", "abc"]) == 3 / 9
    assert M.char_error_rate(("abc", "de"), ("abc", "de")) == 0.0
    assert M.char_error_rate(["ab", ""], ["", "xyz"]) == (2 + 3) / 2  # can exceed 1
    assert M.char_error_rate(["a"], ["b"]) == 1.0


def test_char_error_rate_weighs_lines_by_length():
    """A corpus rate (total edits / total characters), not the mean of per-line rates."""
    refs, hyps = ["a", "abcdefghij"], ["b", "abcdefghij"]
    assert M.char_error_rate(refs, hyps) == pytest.approx(1 / 11)


@pytest.mark.parametrize(
    ("refs", "hyps", "error", "name"),
    [
        (["abc", "d"], ["abc"], ValueError, "same length"),
        ([], [], ValueError, "references"),
        (["", ""], ["a", "b"], ValueError, "references"),
        ("kitten", ["sitting"], TypeError, "references"),
        (["kitten"], "sitting", TypeError, "hypotheses"),
        ([["k", "i"]], ["ki"], TypeError, r"references\[0\]"),
        (["ki"], [None], TypeError, r"hypotheses\[0\]"),
        (5, [1], TypeError, "references"),
    ],
)
def test_char_error_rate_bad_input_raises_naming_argument(refs, hyps, error, name):
    with pytest.raises(error, match=name):
        M.char_error_rate(refs, hyps)


def test_exact_match():
    assert M.exact_match(["2020-01-02", "1999-12-31"], ["2020-01-02", "1999-12-30"]) == 0.5
    assert M.exact_match(["a"], ["a"]) == 1.0
    assert M.exact_match([(1, 2), (3,)], [(1, 2), (3, 4)]) == 0.5
    assert M.exact_match(["Ab"], ["ab"]) == 0.0


@pytest.mark.parametrize(
    ("refs", "hyps", "error", "name"),
    [(["a"], ["a", "b"], ValueError, "same length"), ([], [], ValueError, "references"),
     ("abc", ["abc"], TypeError, "references"), (["abc"], 3, TypeError, "hypotheses")],
)
def test_exact_match_bad_input_raises_naming_argument(refs, hyps, error, name):
    with pytest.raises(error, match=name):
        M.exact_match(refs, hyps)


# ----------------------------------------------------------------------------- module
def test_metrics_imports_without_torch():
    code = "import sys, rnncourse.metrics; assert 'torch' not in sys.modules and 'scipy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- McNemar
def _mcnemar_reference(a_only, b_only):
    from math import comb

    n = a_only + b_only
    return min(1.0, 2 * sum(comb(n, i) for i in range(min(a_only, b_only) + 1)) / 2**n)


@pytest.mark.parametrize("a_only, b_only", [(0, 5), (3, 3), (1, 9), (12, 30), (40, 0)])
def test_mcnemar_exact_matches_the_binomial_formula(a_only, b_only):
    pytest.importorskip("statsmodels")
    from rnncourse.metrics import mcnemar_exact

    both, neither = 50, 7
    a = np.array([1] * both + [1] * a_only + [0] * b_only + [0] * neither, dtype=bool)
    b = np.array([1] * both + [0] * a_only + [1] * b_only + [0] * neither, dtype=bool)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(a))
    got = mcnemar_exact(a[order], b[order])
    assert got[:2] == (a_only, b_only)
    assert got[2] == pytest.approx(_mcnemar_reference(a_only, b_only), rel=1e-12)


def test_mcnemar_exact_no_discordant_items_and_errors():
    from rnncourse.metrics import mcnemar_exact

    assert mcnemar_exact([1, 0, 1], [1, 0, 1]) == (0, 0, 1.0)
    with pytest.raises(ValueError, match="one shape"):
        mcnemar_exact([1, 0], [1, 0, 1])
    with pytest.raises(ValueError, match="0/1"):
        mcnemar_exact([1, 2], [1, 0])


# ----------------------------------------------------------------------------- forecast errors (lesson 12)
def test_mae_and_rmse_hand_values():
    assert M.mae([1.0, 2.0, 3.0], [2.0, 2.0, 5.0]) == pytest.approx(1.0)
    assert M.rmse([1.0, 2.0, 3.0], [2.0, 2.0, 5.0]) == pytest.approx(math.sqrt(5.0 / 3.0))
    assert M.mae(3, 1) == 2.0 and M.rmse(3, 1) == 2.0
    assert isinstance(M.mae(np.ones(2), np.zeros(2)), float)
    rng = np.random.default_rng(0)
    a, f = rng.normal(size=(2, 50))
    assert M.rmse(a, f) >= M.mae(a, f)
    assert M.rmse(a, a + 0.5) == pytest.approx(M.mae(a, a + 0.5))  # equal errors: equal


def test_mase_hand_value():
    train = np.array([1.0, 2.0, 4.0, 7.0])  # naive errors 1, 2, 3: scale 2
    assert M.mase([3.0, 5.0], [4.0, 4.0], train) == pytest.approx(0.5)
    seasonal = np.array([1.0, 5.0, 2.0, 6.0, 4.0, 9.0])  # lag 2: |2-1|, |6-5|, |4-2|, |9-6| -> scale 7/4
    assert M.mase([1.0], [4.5], seasonal, period=2) == pytest.approx(3.5 / 1.75)


@pytest.mark.parametrize("period", [1, 2, 4, 7])
def test_mase_of_the_seasonal_naive_forecast_on_its_training_data_is_one(period):
    train = np.random.default_rng(period).normal(size=40).cumsum()
    one_step_naive = train[:-period]  # the forecast of train[t] is train[t - period]
    assert M.mase(train[period:], one_step_naive, train, period=period) == pytest.approx(1.0, rel=1e-14)


def test_mase_does_not_depend_on_the_units_or_the_test_values_in_its_scale():
    rng = np.random.default_rng(1)
    train, actual, forecast = rng.normal(size=30), rng.normal(size=5), rng.normal(size=5)
    value = M.mase(actual, forecast, train, 3)
    assert M.mase(100 * actual + 7, 100 * forecast + 7, 100 * train + 7, 3) == pytest.approx(value)
    shifted = M.mase(actual + 1, forecast + 1, train, 3)
    assert shifted == pytest.approx(value)  # only the errors count, not the level of the test part


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        (([1.0, 2.0], [1.0], [1.0, 2.0, 3.0]), ValueError, "same shape"),
        (([1.0], [1.0], [1.0, 2.0], 2), ValueError, "more than period = 2 values"),
        (([1.0], [1.0], [2.0, 2.0, 2.0]), ValueError, "scale of MASE is 0"),
        (([1.0], [1.0], [1.0, 2.0, 1.0, 2.0], 2), ValueError, "scale of MASE is 0"),
        (([1.0], [1.0], [1.0, 2.0, 3.0], 0), ValueError, "period must be >= 1"),
        (([1.0], [1.0], [1.0, 2.0, 3.0], 1.0), TypeError, "period must be an integer"),
        (([], [], [1.0, 2.0, 3.0]), ValueError, "at least one value"),
        (([np.nan], [1.0], [1.0, 2.0, 3.0]), ValueError, "finite"),
        (([1.0], [1.0], [[1.0, 2.0, 3.0]]), ValueError, "train must be 1-D"),
    ],
)
def test_mase_errors(args, error, words):
    with pytest.raises(error) as info:
        M.mase(*args)
    assert words in str(info.value)


def test_mae_rmse_errors():
    with pytest.raises(ValueError, match="same shape"):
        M.mae([1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="real numbers"):
        M.rmse([True], [False])
    with pytest.raises(ValueError, match="at least one value"):
        M.rmse([], [])
