"""The pooling exercises of lesson 10 (last_valid_state, masked_mean_pool): metadata, cases, and
learners' own right and wrong functions. The checks every exercise gets (reference passes,
stubs not attempted, confusion matrix, far-apart variants, total checks) are in
test_exercises_catalogue.py and test_exercises_behaviour.py, which cover these exercises too."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from rnncourse import pooling
from rnncourse.exercises import pooling_exercises as px
from rnncourse.exercises.compare import distance

LAST = px.last_valid_state
MEAN = px.masked_mean_pool
FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _status(e, fn):
    result = e.evaluate(fn)
    return result.status, result.mistake


# ----------------------------------------------------------------------------- metadata and cases
@pytest.mark.parametrize("e", [LAST, MEAN], ids=["last_valid_state", "masked_mean_pool"])
def test_exercise_metadata(e):
    assert e.lesson == "10_classification"
    assert e.reference is getattr(pooling, e.id)  # single source: the package's function
    assert e.params == ("outputs", "lengths")
    assert len(e.hints) >= 3
    labels = " ".join(c.label for c in e.cases)
    for small in ("T=1", "B=1", "H=1", "no padding"):
        assert small in labels, small
    assert "no padding" not in e.cases[0].label


def test_exercise_fault_names():
    assert {f.name for f in LAST.faults} >= {
        "last_padded_step", "first_step", "max_over_time", "index_is_length", "index_is_length_clipped",
        "one_step_early", "swapped_indices", "no_batch_index",
    }
    assert {f.name for f in MEAN.faults} >= {
        "mean_over_all_steps", "padding_summed", "divided_by_T", "summed_not_averaged", "lengths_not_broadcast",
        "mask_one_step_too_long", "wrong_axis", "mask_multiplied",
    }


@pytest.mark.parametrize("e", [LAST, MEAN], ids=["last_valid_state", "masked_mean_pool"])
def test_cases_are_time_major_with_valid_lengths(e):
    uneven = 0
    for c in e.cases:
        outputs, lengths = c.args
        T, B, H = outputs.shape
        assert (T, B, H) == (c.dims["T"], c.dims["B"], c.dims["H"])
        assert lengths.shape == (B,) and lengths.dtype.kind == "i"
        assert lengths.min() >= 1 and lengths.max() <= T
        uneven += len(set(lengths.tolist())) > 1
        finite = outputs[np.isfinite(outputs)]
        assert len(np.unique(finite)) == finite.size  # every entry distinct: every mistake shows
    assert uneven >= 3


def test_mean_pool_cases_padding_stands_out():
    for c in MEAN.cases:
        outputs, lengths = c.args
        padding = np.arange(outputs.shape[0])[:, None] >= lengths[None, :]
        assert np.isfinite(outputs[~padding]).all()
        finite_padding = outputs[padding][np.isfinite(outputs[padding])]
        if finite_padding.size:
            assert finite_padding.min() > outputs[~padding].max()


def test_mean_pool_cases_include_nan_padding():
    """The statement says the padding may hold NaN: one case checks that it does not leak."""
    assert any(np.isnan(c.args[0]).any() for c in MEAN.cases)


def test_last_valid_state_first_case_has_full_and_unit_lengths():
    outputs, lengths = LAST.cases[0].args
    assert lengths.max() == outputs.shape[0] and lengths.min() == 1 and len(set(lengths.tolist())) == len(lengths)


def test_last_padded_step_is_right_without_padding_but_never_first():
    no_padding = [i for i, c in enumerate(LAST.cases) if "no padding" in c.label]
    assert no_padding and no_padding[0] > 0
    for i in no_padding:
        _, value, _ = LAST._variant(("last_padded_step",), i)
        assert distance(LAST._expected(i), value) <= 1.0  # outputs[-1] is right here, so it can't come first


@pytest.mark.parametrize("e", [LAST, MEAN], ids=["last_valid_state", "masked_mean_pool"])
def test_first_case_tells_every_single_mistake_from_the_reference(e):
    expected = e._expected(0)
    for f in e.faults:
        kind, value, _ = e._variant((f.name,), 0)
        assert kind == "error" or distance(expected, value) > FAR, f.name


def test_reference_source_is_the_short_numpy_body():
    for e in (LAST, MEAN):
        source = inspect.getsource(e.reference)
        assert source.startswith(f"def {e.id}(outputs, lengths):")
        assert "torch" not in source.split('"""')[-1]


# ----------------------------------------------------------------------------- last_valid_state: learners
def last_loop(outputs, lengths):
    T, B, H = outputs.shape
    result = np.empty((B, H))
    for b in range(B):
        result[b] = outputs[lengths[b] - 1, b]
    return result


def last_fancy_index(outputs, lengths):
    return outputs[lengths - 1, range(len(lengths))]


def last_take_along_axis(outputs, lengths):
    index = (lengths - 1)[None, :, None]  # (1, B, 1)
    return np.take_along_axis(outputs, index, axis=0)[0]


def last_one_hot_sum(outputs, lengths):
    T = outputs.shape[0]
    pick = np.arange(T)[:, None] == lengths[None, :] - 1  # (T, B)
    return (outputs * pick[:, :, None]).sum(axis=0)


def last_batch_major_first(outputs, lengths):
    batch_major = outputs.transpose(1, 0, 2)  # (B, T, H)
    return batch_major[np.arange(len(lengths)), lengths - 1]


@pytest.mark.parametrize("fn", [last_loop, last_fancy_index, last_take_along_axis, last_one_hot_sum,
                                last_batch_major_first])
def test_last_valid_state_learner_correct_variants_pass(fn):
    result = LAST.evaluate(fn)
    assert result.status == "pass", repr(result)


def last_minus_one(outputs, lengths):
    return outputs[-1]


def first_state(outputs, lengths):
    return outputs[0]


def max_state(outputs, lengths):
    return np.max(outputs, axis=0)


def index_with_length(outputs, lengths):
    return outputs[lengths, np.arange(len(lengths))]


def index_with_length_clipped(outputs, lengths):
    T = outputs.shape[0]
    return outputs[np.clip(lengths, 0, T - 1), np.arange(len(lengths))]


def loop_two_back(outputs, lengths):
    return np.stack([outputs[L - 2, b] for b, L in enumerate(lengths)])


def batch_major_loop(outputs, lengths):
    return np.stack([outputs[b, L - 1] for b, L in enumerate(lengths)])


def time_index_only(outputs, lengths):
    return outputs[lengths - 1]


def time_index_only_with_length(outputs, lengths):
    return outputs[lengths]


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (last_minus_one, "last_padded_step"),
        (first_state, "first_step"),
        (max_state, "max_over_time"),
        (index_with_length, "index_is_length"),
        (index_with_length_clipped, "index_is_length_clipped"),
        (loop_two_back, "one_step_early"),
        (batch_major_loop, "swapped_indices"),
        (time_index_only, "no_batch_index"),
        (time_index_only_with_length, "index_is_length+no_batch_index"),
    ],
)
def test_last_valid_state_learner_mistakes_named(fn, mistake):
    result = LAST.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_last_valid_state_index_error_is_named_with_the_learner_line():
    result = LAST.evaluate(index_with_length)
    assert "IndexError" in result.message
    assert any("outputs[lengths, np.arange(len(lengths))]" in d for d in result.details)


def test_last_valid_state_views_are_fine_but_writing_into_outputs_is_not():
    def returns_view(outputs, lengths):
        return outputs[-1] if (lengths == outputs.shape[0]).all() else last_fancy_index(outputs, lengths)

    def zeroes_padding(outputs, lengths):
        outputs[np.arange(outputs.shape[0])[:, None] >= lengths[None, :]] = 0.0
        return last_fancy_index(outputs, lengths)

    assert LAST.evaluate(returns_view).status == "pass"
    assert LAST.evaluate(zeroes_padding).status == "mutated_input"


# ----------------------------------------------------------------------------- masked_mean_pool: learners
def mean_loop(outputs, lengths):
    return np.stack([outputs[:L, b].mean(axis=0) for b, L in enumerate(lengths)])


def mean_where_sum(outputs, lengths):
    T = outputs.shape[0]
    real = np.arange(T)[:, None] < lengths
    return np.where(real[..., None], outputs, 0).sum(0) / lengths[:, None]


def mean_with_where_argument(outputs, lengths):
    T = outputs.shape[0]
    real = (np.arange(T)[:, None] < lengths)[:, :, None]
    return np.mean(outputs, axis=0, where=np.broadcast_to(real, outputs.shape))


def mean_cumsum(outputs, lengths):
    running = np.cumsum(outputs, axis=0)  # running[t, b] = sum of steps 0..t
    return running[lengths - 1, np.arange(len(lengths))] / lengths[:, None]


@pytest.mark.parametrize("fn", [mean_loop, mean_where_sum, mean_with_where_argument, mean_cumsum])
def test_masked_mean_pool_learner_correct_variants_pass(fn):
    result = MEAN.evaluate(fn)
    assert result.status == "pass", repr(result)


def _masked_total(outputs, lengths, axis=0, inclusive=False):
    t = np.arange(outputs.shape[0])[:, None]
    real = t <= lengths if inclusive else t < lengths
    return np.where(real[:, :, None], outputs, 0.0).sum(axis=axis), real


def mean_einsum(outputs, lengths):  # multiplies by the mask: 0 * NaN is NaN
    mask = (np.arange(outputs.shape[0])[:, None] < lengths).astype(float)
    return np.einsum("tb,tbh->bh", mask, outputs) / lengths[:, None]


def mean_times_mask(outputs, lengths):
    real = np.arange(outputs.shape[0])[:, None] < lengths
    return (outputs * real[:, :, None]).sum(axis=0) / lengths[:, None]


def plain_mean(outputs, lengths):
    return outputs.mean(axis=0)


def sum_all_over_lengths(outputs, lengths):
    return outputs.sum(axis=0) / lengths[:, None]


def over_T(outputs, lengths):
    total, _ = _masked_total(outputs, lengths)
    return total / outputs.shape[0]


def no_division(outputs, lengths):
    total, _ = _masked_total(outputs, lengths)
    return total


def loop_one_too_many(outputs, lengths):
    return np.stack([outputs[: L + 1, b].sum(axis=0) / L for b, L in enumerate(lengths)])


def divide_by_lengths_row(outputs, lengths):
    total, _ = _masked_total(outputs, lengths)
    return total / lengths


def across_batch(outputs, lengths):
    total, real = _masked_total(outputs, lengths, axis=1)
    return total / real.sum(axis=1)[:, None]


def mean_over_batch_axis(outputs, lengths):
    return outputs.mean(axis=1)


def plain_sum(outputs, lengths):
    return outputs.sum(axis=0)


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (mean_einsum, "mask_multiplied"),
        (mean_times_mask, "mask_multiplied"),
        (plain_mean, "mean_over_all_steps"),
        (sum_all_over_lengths, "padding_summed"),
        (over_T, "divided_by_T"),
        (no_division, "summed_not_averaged"),
        (loop_one_too_many, "mask_one_step_too_long"),
        (divide_by_lengths_row, "lengths_not_broadcast"),
        (across_batch, "wrong_axis"),
        (mean_over_batch_axis, "mean_over_all_steps+wrong_axis"),
        (plain_sum, "padding_summed+summed_not_averaged"),
    ],
)
def test_masked_mean_pool_learner_mistakes_named(fn, mistake):
    result = MEAN.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_masked_mean_pool_zeroing_padding_in_place_is_mutated_input():
    def zero_padding(outputs, lengths):
        outputs[np.arange(outputs.shape[0])[:, None] >= lengths[None, :]] = 0.0
        return outputs.sum(axis=0) / lengths[:, None]

    assert MEAN.evaluate(zero_padding).status == "mutated_input"


# ----------------------------------------------------------------------------- total checks
def forgot_return(outputs, lengths):
    pooled = outputs[lengths - 1, np.arange(len(lengths))]  # noqa: F841 - computed, never returned


@pytest.mark.parametrize("e", [LAST, MEAN], ids=["last_valid_state", "masked_mean_pool"])
@pytest.mark.parametrize(
    ("fn", "status"),
    [
        (lambda outputs, lengths: 1 / 0, "error"),
        (forgot_return, "wrong_type"),
        (lambda outputs, lengths: outputs.tolist(), "wrong_type"),
        (lambda outputs, lengths: np.full((len(lengths), outputs.shape[2]), np.nan), "wrong_values"),
        (lambda outputs, lengths: outputs[0].T, "wrong_shape"),
        (lambda outputs: outputs[0], "error"),  # wrong signature
        (None, "wrong_type"),
    ],
)
def test_check_never_raises_and_gives_a_status(e, fn, status, capsys):
    result = e.evaluate(fn)
    assert result.status == status, repr(result)
    e.check(fn)  # shows a verdict, never raises
    assert capsys.readouterr().out
