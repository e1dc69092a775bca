"""The masked_perplexity exercise: the catalogue checks (reference passes, stubs are not attempted,
every known mistake is named exactly, variants far apart) and learners' own wrong functions."""

from __future__ import annotations

import importlib.util
import inspect
import itertools

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


def test_reference_passes():
    result = E.evaluate(E.reference)
    assert result.status == "pass", repr(result)


def test_no_fault_impl_equals_reference():
    for j in range(len(E.cases)):
        kind, value, _ = E._variant((), j)
        assert kind == "ok"
        assert distance(E._expected(j), value) <= 1.0


@pytest.mark.parametrize(
    "body",
    ['    """Your code here."""\n', "    ...  # your code here\n", "    pass\n",
     '    raise NotImplementedError("your code here")\n', "    result = None\n    return result\n",
     "    return ____\n"],
)
def test_stub_is_not_attempted(body, tmp_path):
    path = tmp_path / "stub_masked_perplexity.py"
    path.write_text(f"def masked_perplexity(losses, mask):\n{body}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert E.evaluate(module.masked_perplexity).status == "not_attempted"


def test_confusion_matrix_every_variant_named_exactly():
    assert len(E.variants) > len(E.faults)
    for v in E.variants:
        result = E.evaluate(E.variant_function(v))
        assert (result.status, result.mistake) == ("mistake", E.variant_name(v)), repr(result)
        assert result.message and result.hint


def test_variants_far_apart_from_each_other_and_the_reference():
    keys = [()] + list(E.variants)
    outs = {v: [E._variant(v, j) for j in range(len(E.cases))] for v in keys}
    for a, b in itertools.combinations(keys, 2):
        d = 0.0
        for j in range(len(E.cases)):
            (ka, va, _), (kb, vb, _) = outs[a][j], outs[b][j]
            assert ka == kb == "ok"
            d = max(d, distance(va, vb), distance(vb, va))
        assert d > FAR, f"{E.variant_name(a) or 'reference'} and {E.variant_name(b)} are too close: {d:.3g}"


def test_first_case_tells_every_single_mistake_from_the_reference():
    expected = E._expected(0)
    for f in E.faults:
        _, value, _ = E._variant((f.name,), 0)
        assert distance(expected, value) > FAR, f.name


def test_messages_do_not_leak_the_solution():
    code = [line.split("#")[0].strip() for line in inspect.getsource(E.reference).splitlines()]
    code = [line for line in code if len(line) > 15 and not line.startswith(("def ", "r\"\"\"", '"""'))]
    for f in E.faults:
        assert all(line not in f.message and line not in f.hint for line in code)
        assert "np.exp" not in f.message and "/" not in f.message


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


def test_evaluate_keeps_the_global_random_state():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    E.evaluate(unmasked)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_two_evaluations_render_identically():
    assert repr(E.evaluate(per_sequence)) == repr(E.evaluate(per_sequence))
