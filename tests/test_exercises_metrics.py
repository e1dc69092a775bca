"""The masked_perplexity exercise: its cases, and learners' own right and wrong functions. The
checks every exercise gets are in test_exercises_catalogue.py and test_exercises_behaviour.py."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse import metrics
from rnncourse.exercises.compare import distance
from rnncourse.exercises.metric_exercises import masked_perplexity as E

FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RNNCOURSE_STRICT", raising=False)
    monkeypatch.delenv("RNNCOURSE_CONTEXT", raising=False)


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


