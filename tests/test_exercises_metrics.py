"""The masked_perplexity exercise: its cases, and learners' own right and wrong functions. The
checks every exercise gets are in test_exercises_catalogue.py and test_exercises_behaviour.py."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse import metrics
from rnncourse.exercises.compare import distance
from rnncourse.exercises.metric_exercises import masked_perplexity as E

FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def test_exercise_metadata():
    assert E.id == "masked_perplexity"
    assert E.lesson == "09_language_models"
    assert E.reference is metrics.masked_perplexity
    assert E.params == ("losses", "mask")
    assert len(E.hints) >= 3
    assert {f.name for f in E.faults} >= {
        "padding_not_masked", "mean_of_sequence_means", "divided_by_T_times_B", "no_exp", "base_2",
    }
    labels = " ".join(c.label for c in E.cases)
    assert "T=1" in labels and "B=1" in labels and "no padding" in labels


def test_cases_have_uneven_lengths_and_distinct_padding():
    uneven = [c for c in E.cases if len(set(c.args[1].sum(axis=0))) > 1]
    assert len(uneven) >= 2
    for c in E.cases:
        losses, mask = c.args
        assert mask.dtype == bool and losses.shape == mask.shape == (c.dims["T"], c.dims["B"])
        if (~mask).any():
            assert losses[~mask].min() > losses[mask].max()  # padding stands out: each mistake shows


def test_first_case_tells_every_single_mistake_from_the_reference():
    expected = E._expected(0)
    for f in E.faults:
        _, value, _ = E._variant((f.name,), 0)
        assert distance(expected, value) > FAR, f.name


# ----------------------------------------------------------------------------- learners' own code
def correct_with_product(losses, mask):
    return np.exp((losses * mask).sum() / mask.sum())


def correct_with_where(losses, mask):
    return np.exp(np.mean(losses, where=mask))


def correct_as_0d_array(losses, mask):
    return np.asarray(np.exp(losses[mask].mean()))


def unmasked(losses, mask):
    return np.exp(losses.mean())


def per_sequence(losses, mask):
    lengths = mask.sum(axis=0)
    seq_means = (losses * mask).sum(axis=0) / lengths
    return np.exp(seq_means.mean())


def all_positions(losses, mask):
    T, B = losses.shape
    return np.exp((losses * mask).sum() / (T * B))


def mean_nll(losses, mask):
    return losses[mask].mean()


def two_to_the(losses, mask):
    return 2 ** losses[mask].mean()


def mean_of_exps(losses, mask):
    return np.exp(losses[mask]).mean()


def sum_nll_per_sequence_means_in_bits(losses, mask):  # two mistakes at once
    return 2 ** ((losses * mask).sum(axis=0) / mask.sum(axis=0)).mean()


@pytest.mark.parametrize("fn", [correct_with_product, correct_with_where, correct_as_0d_array])
def test_learner_correct_variants_pass(fn):
    assert E.evaluate(fn).status == "pass", repr(E.evaluate(fn))


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (unmasked, "padding_not_masked"),
        (per_sequence, "mean_of_sequence_means"),
        (all_positions, "divided_by_T_times_B"),
        (mean_nll, "no_exp"),
        (two_to_the, "base_2"),
        (mean_of_exps, "exp_before_mean"),
        (sum_nll_per_sequence_means_in_bits, "mean_of_sequence_means+base_2"),
    ],
)
def test_learner_mistakes_named(fn, mistake):
    result = E.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_learner_that_zeroes_padding_in_place_is_mutated_input():
    def zero_padding(losses, mask):
        losses[~mask] = 0.0
        return np.exp(losses.sum() / mask.sum())

    assert E.evaluate(zero_padding).status == "mutated_input"


def test_array_instead_of_number_is_wrong_shape():
    def per_sequence_array(losses, mask):
        return np.exp((losses * mask).sum(axis=0, keepdims=True) / mask.sum())

    assert E.evaluate(per_sequence_array).status == "wrong_shape"


def forgot_return(losses, mask):
    perplexity = np.exp(losses[mask].mean())  # noqa: F841 - computed, never returned


def returns_text(losses, mask):
    return f"{np.exp(losses[mask].mean()):.2f}"


@pytest.mark.parametrize(
    ("fn", "status"),
    [
        (lambda losses, mask: 1 / 0, "error"),
        (forgot_return, "wrong_type"),
        (returns_text, "wrong_type"),
        (lambda losses, mask: float("nan"), "wrong_values"),
        (lambda losses, mask: 4.2, "wrong_values"),
        (lambda losses: 1.0, "error"),  # wrong signature
        (None, "wrong_type"),
        (5.0, "wrong_type"),
    ],
)
def test_check_never_raises_and_gives_a_status(fn, status, capsys):
    result = E.evaluate(fn)
    assert result.status == status, repr(result)
    E.check(fn)  # shows a verdict, never raises
    assert capsys.readouterr().out




# ============================================================================= wilson_interval (lesson 10)
from rnncourse.exercises.metric_exercises import wilson_interval as W  # noqa: E402


def test_wilson_exercise_metadata():
    assert W.id == "wilson_interval"
    assert W.lesson == "10_classification"
    assert W.reference is metrics.wilson_interval
    assert W.params == ("successes", "n", "confidence")
    assert W.output_names == ("low", "high")
    assert len(W.hints) >= 3
    assert {f.name for f in W.faults} >= {
        "wald_interval", "one_sided_z", "fixed_z", "fixed_one_sided_z", "missing_quarter_term", "centre_at_p",
        "denominator_missing", "variance_n_minus_1",
    }


def test_wilson_cases_cover_the_edges():
    args = [c.args for c in W.cases]
    assert all(isinstance(k, int) and isinstance(n, int) and 0 <= k <= n for k, n, _ in args)
    assert any(k == 0 for k, n, _ in args) and any(k == n for k, n, _ in args)
    assert min(n for _, n, _ in args) <= 5 and max(n for _, n, _ in args) >= 1000
    assert {c for _, _, c in args} - {0.95}  # another confidence level too
    assert args[0][2] == 0.95 and 0 < args[0][0] < args[0][1]


def test_wilson_first_case_tells_every_single_mistake_but_fixed_z_from_the_reference():
    expected = W._expected(0)
    for f in W.faults:
        _, value, _ = W._variant((f.name,), 0)
        if f.name == "fixed_z":  # 1.96 is 1.959964 rounded: it shows only at other confidences
            assert distance(expected, value) < FAR
        else:
            assert distance(expected, value) > FAR, f.name


# ----------------------------------------------------------------------------- learners' own code
def wilson_formula(successes, n, confidence=0.95):
    from statistics import NormalDist

    z = NormalDist().inv_cdf((1 + confidence) / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def wilson_scipy_list(successes, n, confidence=0.95):
    from scipy.stats import norm

    z = norm.ppf(1 - (1 - confidence) / 2)
    a = n + z**2
    centre = (successes + z**2 / 2) / a
    half = z / a * np.sqrt(successes * (n - successes) / n + z**2 / 4)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def wilson_quadratic_roots(successes, n, confidence=0.95):
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    # |p - q| = z sqrt(q (1 - q) / n), squared: a q^2 + b q + c = 0
    a, b, c = 1 + z**2 / n, -(2 * p + z**2 / n), p**2
    disc = np.sqrt(b * b - 4 * a * c)
    return (-b - disc) / (2 * a), (-b + disc) / (2 * a)


@pytest.mark.parametrize("fn", [wilson_formula, wilson_scipy_list, wilson_quadratic_roots])
def test_wilson_learner_correct_variants_pass(fn):
    pytest.importorskip("scipy")
    result = W.evaluate(fn)
    assert result.status == "pass", repr(result)


def _z(confidence, two_sided=True):
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - (1 - confidence) / 2 if two_sided else confidence)


def wald(successes, n, confidence=0.95):
    p = successes / n
    half = _z(confidence) * np.sqrt(p * (1 - p) / n)
    return p - half, p + half


def wald_sample_variance(successes, n, confidence=0.95):
    p = successes / n
    half = _z(confidence) * np.sqrt(p * (1 - p) / (n - 1))
    return p - half, p + half


def wilson_with(successes, n, confidence=0.95, z=None, quarter=True, centre_p=False, shrink=True, m=None):
    z = _z(confidence) if z is None else z
    p = successes / n
    s = 1 + z**2 / n if shrink else 1.0
    centre = p if centre_p else (p + z**2 / (2 * n)) / s
    half = z / s * np.sqrt(p * (1 - p) / (m or n) + (z**2 / (4 * n**2) if quarter else 0.0))
    return centre - half, centre + half


def wilson_variant(**mistakes):
    """A learner's Wilson interval with these mistakes (see ``wilson_with``)."""
    return lambda successes, n, confidence: wilson_with(successes, n, confidence, **mistakes)


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (wald, "wald_interval"),
        (wilson_variant(z=1.645), "fixed_one_sided_z"),
        (lambda successes, n, confidence: wilson_with(successes, n, z=_z(confidence, False)), "one_sided_z"),
        (wilson_variant(z=1.96), "fixed_z"),
        (wilson_variant(quarter=False), "missing_quarter_term"),
        (wilson_variant(centre_p=True), "centre_at_p"),
        (wilson_variant(shrink=False), "denominator_missing"),
        (lambda successes, n, confidence: wilson_with(successes, n, confidence, m=n - 1), "variance_n_minus_1"),
        (wald_sample_variance, "wald_interval+variance_n_minus_1"),
        (wilson_variant(z=1.96, centre_p=True), "fixed_z+centre_at_p"),
    ],
)
def test_wilson_learner_mistakes_named(fn, mistake):
    result = W.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_wilson_bounds_in_the_wrong_order_are_wrong_values():
    result = W.evaluate(lambda successes, n, confidence: metrics.wilson_interval(successes, n, confidence)[::-1])
    assert result.status == "wrong_values"


@pytest.mark.parametrize(
    ("fn", "status"),
    [
        (lambda successes, n, confidence: np.array(metrics.wilson_interval(successes, n, confidence)), "wrong_type"),
        (lambda successes, n, confidence: metrics.wilson_interval(successes, n, confidence)[0], "wrong_type"),
        (lambda successes, n, confidence: (0.1, 0.2, 0.3), "wrong_type"),
        (lambda successes, n, confidence: (str(0.1), 0.2), "wrong_type"),
        (lambda successes, n: (0.1, 0.2), "error"),  # no confidence parameter
        (lambda successes, n, confidence: (successes / 0, 1.0), "error"),
        (lambda successes, n, confidence: (float("nan"), 1.0), "wrong_values"),
    ],
)
def test_wilson_check_never_raises_and_gives_a_status(fn, status, capsys):
    result = W.evaluate(fn)
    assert result.status == status, repr(result)
    W.check(fn)
    assert capsys.readouterr().out


# ============================================================================= char_error_rate (lesson 11)
# The shared catalogue and behaviour checks run on it in test_exercises_seq2seq.py.
from functools import lru_cache  # noqa: E402

from rnncourse.exercises.metric_exercises import char_error_rate as CER  # noqa: E402


def test_cer_exercise_metadata():
    assert CER.id == "char_error_rate"
    assert CER.lesson == "11_seq2seq"
    assert CER.reference is metrics.char_error_rate
    assert CER.params == ("references", "hypotheses")
    assert CER.output_names == ("cer",)
    assert len(CER.hints) >= 3
    assert "dynamic programming" in CER.title
    assert {f.name for f in CER.faults} >= {
        "divided_by_hypothesis_length", "mean_of_line_rates", "hamming", "substitution_cost_2",
        "no_insertion_step", "no_deletion_step", "borders_not_initialised",
    }


def test_cer_cases_are_small_lists_of_strings_with_the_edges():
    for c in CER.cases:
        refs, hyps = c.args
        assert isinstance(refs, list) and isinstance(hyps, list) and len(refs) == len(hyps) >= 1
        assert all(isinstance(s, str) and len(s) <= 25 for s in refs + hyps)
        assert sum(map(len, refs)) > 0
    args = [c.args for c in CER.cases]
    assert any(len(r) == 1 for r, _ in args)  # one line
    assert any("" in r for r, _ in args) and any("" in h for _, h in args)  # empty lines
    assert any(metrics.char_error_rate(r, h) == 0 for r, h in args)
    assert any(metrics.char_error_rate(r, h) > 1 for r, h in args)
    assert "" not in args[0][0]  # the first case runs every mistake (no division by zero)


def test_cer_first_case_tells_every_single_mistake_from_the_reference():
    expected = CER._expected(0)
    for f in CER.faults:
        kind, value, _ = CER._variant((f.name,), 0)
        assert kind == "ok" and distance(expected, value) > FAR, f.name


# ----------------------------------------------------------------------------- learners' own code
def _table(r, h):
    D = [[0] * (len(h) + 1) for _ in range(len(r) + 1)]
    for i in range(len(r) + 1):
        D[i][0] = i
    for j in range(len(h) + 1):
        D[0][j] = j
    return D


def lev_table(r, h, sub=1, insert=True, delete=True, borders=True):
    D = _table(r, h) if borders else [[0] * (len(h) + 1) for _ in range(len(r) + 1)]
    for i in range(1, len(r) + 1):
        for j in range(1, len(h) + 1):
            best = D[i - 1][j - 1] + (0 if r[i - 1] == h[j - 1] else sub)
            if delete:
                best = min(best, D[i - 1][j] + 1)
            if insert:
                best = min(best, D[i][j - 1] + 1)
            D[i][j] = best
    return D[-1][-1]


def cer_table(references, hypotheses):
    edits = sum(lev_table(r, h) for r, h in zip(references, hypotheses))
    return edits / sum(len(r) for r in references)


def cer_recursive(references, hypotheses):
    def lev(r, h):
        @lru_cache(maxsize=None)
        def d(i, j):  # distance between r[:i] and h[:j]
            if i == 0 or j == 0:
                return i + j
            return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (r[i - 1] != h[j - 1]))

        return d(len(r), len(h))

    total = 0
    chars = 0
    for r, h in zip(references, hypotheses):
        total += lev(r, h)
        chars += len(r)
    return total / chars


def cer_two_rows_numpy(references, hypotheses):
    edits = 0
    for r, h in zip(references, hypotheses):
        prev = np.arange(len(h) + 1)
        for i, a in enumerate(r, 1):
            cur = np.empty_like(prev)
            cur[0] = i
            for j, b in enumerate(h, 1):
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b))
            prev = cur
        edits += prev[-1]
    return edits / np.sum([len(r) for r in references])  # a NumPy float is fine


def cer_with_package_distance(references, hypotheses):
    return sum(metrics.edit_distance(r, h) for r, h in zip(references, hypotheses)) / len("".join(references))


@pytest.mark.parametrize("fn", [cer_table, cer_recursive, cer_two_rows_numpy, cer_with_package_distance])
def test_cer_learner_correct_variants_pass(fn):
    result = CER.evaluate(fn)
    assert result.status == "pass", repr(result)


def cer_by_hypothesis_length(references, hypotheses):
    return sum(lev_table(r, h) for r, h in zip(references, hypotheses)) / sum(len(h) for h in hypotheses)


def cer_swapped(references, hypotheses):
    return cer_table(hypotheses, references)  # the arguments the wrong way round


def cer_mean_of_lines(references, hypotheses):
    return float(np.mean([lev_table(r, h) / len(r) for r, h in zip(references, hypotheses)]))


def cer_hamming(references, hypotheses):
    edits = 0
    for r, h in zip(references, hypotheses):
        edits += sum(1 for a, b in zip(r, h) if a != b) + abs(len(r) - len(h))
    return edits / sum(len(r) for r in references)


def _cer_with(**kw):
    def cer(references, hypotheses):
        return sum(lev_table(r, h, **kw) for r, h in zip(references, hypotheses)) / sum(map(len, references))

    return cer


def cer_mean_of_hamming_rates(references, hypotheses):
    rates = [
        (sum(a != b for a, b in zip(r, h)) + abs(len(r) - len(h))) / len(r) for r, h in zip(references, hypotheses)
    ]
    return sum(rates) / len(rates)


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (cer_by_hypothesis_length, "divided_by_hypothesis_length"),
        (cer_swapped, "divided_by_hypothesis_length"),
        (cer_mean_of_lines, "mean_of_line_rates"),
        (cer_hamming, "hamming"),
        (_cer_with(sub=2), "substitution_cost_2"),
        (_cer_with(insert=False), "no_insertion_step"),
        (_cer_with(delete=False), "no_deletion_step"),
        (_cer_with(borders=False), "borders_not_initialised"),
        (cer_mean_of_hamming_rates, "mean_of_line_rates+hamming"),
    ],
)
def test_cer_learner_mistakes_named(fn, mistake):
    result = CER.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_cer_mean_of_line_rates_division_by_zero_is_named():
    result = CER.evaluate(cer_mean_of_lines)
    assert result.mistake == "mean_of_line_rates"
    result = CER.evaluate(cer_table)  # and the right answer has no trouble with the empty reference line
    assert result.passed


@pytest.mark.parametrize(
    ("fn", "status"),
    [
        (lambda references, hypotheses: [cer_table([r], [h]) for r, h in zip(references, hypotheses)], "wrong_type"),
        (lambda references, hypotheses: sum(lev_table(r, h) for r, h in zip(references, hypotheses)), "wrong_values"),
        (lambda references, hypotheses: f"{cer_table(references, hypotheses):.2f}", "wrong_type"),
        (lambda references: 0.0, "error"),
        (lambda references, hypotheses: references[0] / 2, "error"),
    ],
)
def test_cer_check_never_raises_and_gives_a_status(fn, status, capsys):
    result = CER.evaluate(fn)
    assert result.status == status, repr(result)
    CER.check(fn)
    assert capsys.readouterr().out
