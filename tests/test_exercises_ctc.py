"""The exercises of lesson 13 (images as sequences, CTC): ctc_greedy_decode and ctc_alpha_step.

The shared checks of test_exercises_catalogue.py and test_exercises_behaviour.py cover them as
registered exercises; here, learner-style answers, right and wrong, written independently of the
exercises' ``impl``, are checked by name, and -inf is compared quietly."""

from __future__ import annotations

import copy
import importlib.util
import inspect
import itertools
import warnings
from itertools import groupby

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse import decoding
from rnncourse.exercises import ctc_exercises as cx
from rnncourse.exercises.compare import compare, distance
from rnncourse.numpy import ctc

GREEDY = cx.ctc_greedy_decode
ALPHA = cx.ctc_alpha_step
LESSON_13 = [GREEDY, ALPHA]
IDS = [e.id for e in LESSON_13]
FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py

# the faults that only a special case shows (a blank other than 0, a long input, an unreached position)
SPECIAL = {
    "ctc_greedy_decode": {"blank_assumed_zero"},
    "ctc_alpha_step": {"blank_assumed_zero", "exp_underflow", "unreached_is_nan", "shape_breaks_for_short_targets"},
}


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _verdict(e, fn):
    result = e.evaluate(fn)
    return result.status, result.mistake


# ============================================================================= the module
@pytest.mark.parametrize("e", LESSON_13, ids=IDS)
def test_metadata(e):
    from rnncourse.exercises import core

    assert e.lesson == "13_images_as_sequences"
    assert len(e.hints) >= 3 and len(e.faults) >= 3
    assert len(e.variants) > len(e.faults)
    assert all(f.message and f.hint for f in e.faults)
    assert isinstance(e, core.Exercise)
    assert cx.EXERCISES == tuple(LESSON_13)
    assert ex.EXERCISES[e.id] is e


def test_references_are_the_package_functions():
    assert GREEDY.reference is decoding.ctc_greedy_decode
    assert ALPHA.reference is ctc.ctc_alpha_step
    assert GREEDY.params == ("log_probs", "blank")
    assert ALPHA.params == ("log_alpha", "log_probs_t", "extended", "blank")


@pytest.mark.parametrize("e", LESSON_13, ids=IDS)
def test_reference_source_is_the_short_body(e):
    source = inspect.getsource(e.reference)
    assert source.startswith(f"def {e.id}(")
    assert len(source.split('"""')[-1].strip().splitlines()) <= 10


@pytest.mark.parametrize("e", LESSON_13, ids=IDS)
def test_first_case_tells_every_single_mistake_from_the_reference(e):
    expected = e._expected(0)
    for f in e.faults:
        if f.name in SPECIAL[e.id]:
            continue
        kind, value, _ = e._variant((f.name,), 0)
        assert kind == "error" or distance(expected, value) > FAR, f.name


@pytest.mark.parametrize("e", LESSON_13, ids=IDS)
def test_special_faults_are_shown_by_some_case(e):
    for name in SPECIAL[e.id]:
        shown = [
            j for j in range(len(e.cases))
            if e._variant((name,), j)[0] == "error" or distance(e._expected(j), e._variant((name,), j)[1]) > FAR
        ]
        assert shown, name


# ============================================================================= -inf, quietly
def test_alpha_cases_hold_minus_inf_and_compare_it_as_equal():
    with_inf = [c for c in ALPHA.cases if np.isneginf(c.args[0]).any()]
    assert len(with_inf) >= 2
    for j, c in enumerate(ALPHA.cases):
        expected = ALPHA._expected(j)
        assert np.array_equal(np.isneginf(expected), np.isneginf(ALPHA.reference(*c.make())))
        assert distance(expected, expected.copy()) == 0.0


def _alpha_no_emission(log_alpha, log_probs_t, extended, blank=0):
    out = ctc.ctc_alpha_step(log_alpha, log_probs_t, extended, blank)
    return out - log_probs_t[extended]


def _alpha_in_place(log_alpha, log_probs_t, extended, blank=0):
    out = ctc.ctc_alpha_step(log_alpha, log_probs_t, extended, blank)
    log_alpha += 1.0
    return out


def _alpha_nan_everywhere_unreached(log_alpha, log_probs_t, extended, blank=0):
    out = ctc.ctc_alpha_step(log_alpha, log_probs_t, extended, blank)
    return np.where(np.isneginf(out), np.nan, out + 0.5)


@pytest.mark.parametrize(
    ("fn", "status"),
    [(_alpha_no_emission, "mistake"), (_alpha_in_place, "mutated_input"),
     (_alpha_nan_everywhere_unreached, "wrong_values")],
)
def test_wrong_answers_on_minus_inf_cases_emit_no_warning(fn, status, recwarn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning inside the check would be a checker failure
        result = ALPHA.evaluate(fn)
    assert result.status == status, repr(result)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_check_of_a_wrong_answer_writes_nothing_to_stderr(capfd):
    ALPHA.check(_alpha_no_emission)
    GREEDY.check(lambda log_probs, blank=0: [int(k) for k in np.argmax(log_probs, axis=1) if k != blank])
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out.count("] ctc_alpha_step: ") == 1 and captured.out.count("] ctc_greedy_decode: ") == 1


# ============================================================================= ctc_greedy_decode
def test_greedy_cases():
    assert {f.name for f in GREEDY.faults} >= {
        "repeats_not_merged", "merged_across_blank", "blanks_kept", "blank_assumed_zero",
    }
    labels = " ".join(c.label for c in GREEDY.cases)
    for what in ("T=1", "every step the blank", "first and the last step", "long runs", "blank = C - 1", "-inf"):
        assert what in labels, what
    blanks = []
    for j, c in enumerate(GREEDY.cases):
        log_probs, blank = c.args
        T, C = log_probs.shape
        assert (T, C) == (c.dims["T"], c.dims["C"]) and 0 <= blank < C
        top2 = np.sort(log_probs, axis=1)[:, -2:]
        assert (top2[:, 1] > top2[:, 0]).all()  # no ties
        finite = np.where(np.isfinite(log_probs), log_probs, -np.inf)
        assert np.allclose(np.log(np.exp(finite).sum(axis=1)), 0.0)  # rows are log-probabilities
        blanks.append(blank)
    assert {0, GREEDY.cases[6].args[0].shape[1] - 1} <= set(blanks) and len(set(blanks)) >= 3
    assert GREEDY._expected(2) == [] and GREEDY._expected(1) == [2]


def greedy_loop(log_probs, blank=0):
    path = np.argmax(log_probs, axis=1)
    out = []
    previous = None
    for k in path:
        if k != previous and k != blank:
            out.append(int(k))
        previous = k
    return out


def greedy_groupby(log_probs, blank=0):
    return [k for k, _ in groupby(np.argmax(log_probs, axis=-1).tolist()) if k != blank]


def greedy_vectorised(log_probs, blank=0):
    path = log_probs.argmax(axis=1)
    new_run = np.concatenate([[True], path[1:] != path[:-1]])
    return list(path[new_run & (path != blank)])  # np.int64 entries are ints too


def greedy_tuple(log_probs, blank=0):
    return tuple(greedy_loop(log_probs, blank))


def greedy_first_then_loop(log_probs, blank=0):
    path = np.argmax(log_probs, axis=1)
    out = [int(path[0])] if path[0] != blank else []
    for t in range(1, len(path)):
        if path[t] != path[t - 1] and path[t] != blank:
            out.append(int(path[t]))
    return out


@pytest.mark.parametrize("fn", [greedy_loop, greedy_groupby, greedy_vectorised, greedy_tuple, greedy_first_then_loop])
def test_greedy_learner_correct_variants_pass(fn):
    result = GREEDY.evaluate(fn)
    assert result.status == "pass", repr(result)


def greedy_no_merge(log_probs, blank=0):
    return [int(k) for k in np.argmax(log_probs, axis=1) if k != blank]


def greedy_blanks_first(log_probs, blank=0):
    labels = [int(k) for k in np.argmax(log_probs, axis=1) if k != blank]
    return [k for k, _ in groupby(labels)]


def greedy_keeps_blanks(log_probs, blank=0):
    return [k for k, _ in groupby(np.argmax(log_probs, axis=1).tolist())]


def greedy_zero_blank(log_probs, blank=0):
    return [k for k, _ in groupby(np.argmax(log_probs, axis=1).tolist()) if k != 0]


def greedy_over_time(log_probs, blank=0):
    path = np.argmax(log_probs, axis=0)
    out, previous = [], None
    for k in path:
        if k != previous and k != blank:
            out.append(int(k))
        previous = k
    return out


def greedy_from_one(log_probs, blank=0):
    path = np.argmax(log_probs, axis=1)
    return [int(path[t]) for t in range(1, len(path)) if path[t] != path[t - 1] and path[t] != blank]


def greedy_raw_path(log_probs, blank=0):
    return np.argmax(log_probs, axis=1).tolist()


def greedy_zero_blank_no_merge(log_probs, blank=0):
    return [int(k) for k in np.argmax(log_probs, axis=1) if k]


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (greedy_no_merge, "repeats_not_merged"),
        (greedy_blanks_first, "merged_across_blank"),
        (greedy_keeps_blanks, "blanks_kept"),
        (greedy_zero_blank, "blank_assumed_zero"),
        (greedy_over_time, "argmax_over_time"),
        (greedy_from_one, "first_step_dropped"),
        (greedy_raw_path, "repeats_not_merged+blanks_kept"),
        (greedy_zero_blank_no_merge, "repeats_not_merged+blank_assumed_zero"),
    ],
)
def test_greedy_learner_mistakes_named(fn, mistake):
    result = GREEDY.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_greedy_merged_across_blank_message_tells_why():
    result = GREEDY.evaluate(greedy_blanks_first)
    assert "a - a" in result.message and "blank" in result.message


def test_greedy_other_statuses():
    def as_array(log_probs, blank=0):
        return np.array(greedy_loop(log_probs, blank))

    def as_string(log_probs, blank=0):
        return "".join(map(str, greedy_loop(log_probs, blank)))

    def floats(log_probs, blank=0):
        return [float(k) for k in greedy_loop(log_probs, blank)]

    def one_too_many(log_probs, blank=0):
        return greedy_loop(log_probs, blank) + [1]

    def crashes_on_empty(log_probs, blank=0):
        labels = greedy_loop(log_probs, blank)
        return labels[:-1] + [labels[-1]]  # IndexError when nothing is read

    result = GREEDY.evaluate(as_array)
    assert result.status == "wrong_type" and "NumPy array" in result.message
    assert GREEDY.evaluate(as_string).status == "wrong_type"
    assert GREEDY.evaluate(floats).status == "wrong_type"
    result = GREEDY.evaluate(one_too_many)
    assert result.status == "wrong_values" and result.mistake is None, repr(result)
    assert "Not yet: wrong values" in repr(result) and "wrong type" not in repr(result)
    expected = GREEDY._expected(0)
    assert f"`labels` has {len(expected) + 1} values; expected {len(expected)}: yours {expected + [1]}, " \
           f"expected {expected}." in result.message
    result = GREEDY.evaluate(crashes_on_empty)
    assert result.status == "error" and "IndexError" in " ".join(result.details)
    assert "every step the blank" in result.message
    assert GREEDY.evaluate(lambda log_probs: greedy_loop(log_probs)).status == "error"  # no blank parameter


# ============================================================================= ctc_alpha_step
def test_alpha_cases():
    assert {f.name for f in ALPHA.faults} >= {
        "skip_between_equal_labels", "skip_into_blank", "no_logsumexp", "summed_logs", "emission_missing",
        "emission_of_position", "skip_masked_by_multiplying", "stay_missing", "skip_missing", "shift_reversed",
        "shape_breaks_for_short_targets",
    }
    assert "negative_index_wraps" not in {f.name for f in ALPHA.faults}  # the same as roll_wraps_around
    labels = " ".join(c.label for c in ALPHA.cases)
    for what in ("repeated label", "S=1", "-inf", "blank = C - 1", "-1000", "empty target", "S'=1"):
        assert what in labels, what
    longer = 0
    for c in ALPHA.cases:
        log_alpha, log_probs_t, extended, blank = c.args
        S_, C = c.dims["S'"], c.dims["C"]
        assert S_ != C and log_alpha.shape == extended.shape == (S_,) and log_probs_t.shape == (C,)
        assert (extended[::2] == blank).all() and (extended[1::2] != blank).all()
        assert np.isclose(np.log(np.exp(log_probs_t).sum()), 0.0) and (log_alpha <= 0).all()
        longer += S_ > C
    assert 1 <= longer < len(ALPHA.cases) - 1  # emission_of_position both fails and gives values
    assert ALPHA.cases[0].args[3] == 0 and np.isfinite(ALPHA.cases[0].args[0]).all()
    assert any(len(set(c.args[2][1::2].tolist())) < len(c.args[2][1::2]) for c in ALPHA.cases[1:])
    underflow = [c for c in ALPHA.cases if "-1000" in c.label][0]
    assert underflow.args[0].max() < -746  # exp of every entry underflows to 0
    empty = [c for c in ALPHA.cases if c.dims["S'"] == 1]
    assert len(empty) == 1 and empty[0].args[2].tolist() == [empty[0].args[3]]  # the blank alone
    assert np.isfinite(empty[0].args[0]).all()


def test_alpha_cases_tell_the_learner_forms_apart():
    """Where two faults differ, some case shows it: an unreached label that may be skipped into (a
    masked-by-multiplying skip is -inf there, NaN under an unguarded max shift too), and an S'=1
    case on which every other case passes."""
    unreached_skippable = 0
    for c in ALPHA.cases:
        log_alpha, _, extended, blank = c.args
        S_ = len(extended)
        for s in range(2, S_):
            if extended[s] != blank and extended[s] != extended[s - 2] and np.isneginf(log_alpha[s - 2 : s + 1]).all():
                unreached_skippable += c.dims["S'"] <= c.dims["C"]  # emission_of_position runs there
    assert unreached_skippable
    j = next(j for j, c in enumerate(ALPHA.cases) if c.dims["S'"] == 1)
    for name in ("shape_breaks_for_short_targets", "shift_reversed+shape_breaks_for_short_targets"):
        kind, value, _ = ALPHA._variant(tuple(name.split("+")), j)
        assert kind == "ok" and value.shape == (2,)
    for i in range(len(ALPHA.cases)):  # elsewhere the broken shift is right
        if i != j:
            assert distance(ALPHA._expected(i), ALPHA._variant(("shape_breaks_for_short_targets",), i)[1]) <= 1.0


def test_alpha_cases_follow_the_recursion():
    """The cases' alpha are those of a real lattice: the reference from t = 0 gives them."""
    rng = np.random.default_rng(5)
    target, C = [2, 2, 3], 6
    extended = ctc.extend_with_blanks(target)
    rows = cx._log_softmax(rng.normal(size=(4, C)))
    alpha = np.full(7, -np.inf)
    alpha[:2] = rows[0, extended[:2]]
    for t in range(1, 4):
        ours = cx._ctc_alpha_step(frozenset(), alpha, rows[t], extended, 0)
        alpha = ctc.ctc_alpha_step(alpha, rows[t], extended)
        assert np.array_equal(np.isneginf(ours), np.isneginf(alpha))
        assert np.allclose(ours[np.isfinite(ours)], alpha[np.isfinite(alpha)], rtol=1e-12)


def _shifted(log_alpha, k):
    return np.concatenate([np.full(k, -np.inf), log_alpha])[:len(log_alpha)]  # (S',) even for S' = 1


def alpha_vectorised(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = _shifted(log_alpha, 1), _shifted(log_alpha, 2)
    previous = np.concatenate([[blank, blank], extended])[:len(extended)]
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    return np.logaddexp.reduce(np.stack([log_alpha, advance, skip]), axis=0) + log_probs_t[extended]


def alpha_loop(log_alpha, log_probs_t, extended, blank=0):
    S = len(extended)
    out = np.empty(S)
    for s in range(S):
        total = log_alpha[s]
        if s >= 1:
            total = np.logaddexp(total, log_alpha[s - 1])
        if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
            total = np.logaddexp(total, log_alpha[s - 2])
        out[s] = total + log_probs_t[extended[s]]
    return out


def alpha_scipy(log_alpha, log_probs_t, extended, blank=0):
    from scipy.special import logsumexp

    out = []
    for s in range(len(extended)):
        terms = [log_alpha[s]]
        if s >= 1:
            terms.append(log_alpha[s - 1])
        if s >= 2 and extended[s] not in (blank, extended[s - 2]):
            terms.append(log_alpha[s - 2])
        out.append(logsumexp(terms) + log_probs_t[extended[s]])
    return np.array(out)


def alpha_filled(log_alpha, log_probs_t, extended, blank=0):
    S = len(log_alpha)
    advance, skip, previous = np.full(S, -np.inf), np.full(S, -np.inf), np.full(S, -1)
    advance[1:], skip[2:], previous[2:] = log_alpha[:-1], log_alpha[:-2], extended[:-2]  # empty slices at S' = 1
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip) + log_probs_t[extended]


def alpha_stable_by_hand(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = _shifted(log_alpha, 1), _shifted(log_alpha, 2)
    previous = np.concatenate([[-1, -1], extended])[:len(extended)]
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    terms = np.stack([log_alpha, advance, skip])  # (3, S')
    m = terms.max(axis=0)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.exp(terms - m).sum(axis=0)) + log_probs_t[extended]


@pytest.mark.parametrize("fn", [alpha_vectorised, alpha_loop, alpha_scipy, alpha_filled, alpha_stable_by_hand])
def test_alpha_learner_correct_variants_pass(fn):
    result = ALPHA.evaluate(fn)
    assert result.status == "pass", repr(result)


def _alpha_loop_with(log_alpha, log_probs_t, extended, blank, *, can_skip, combine, emission):
    S = len(extended)
    out = np.empty(S)
    for s in range(S):
        terms = [log_alpha[s]]
        if s >= 1:
            terms.append(log_alpha[s - 1])
        if s >= 2 and can_skip(extended, s, blank):
            terms.append(log_alpha[s - 2])
        out[s] = combine(terms) + emission(log_probs_t, extended, s)
    return out


def _ok_skip(extended, s, blank):
    return extended[s] != blank and extended[s] != extended[s - 2]


def _logsumexp(terms):
    total = -np.inf
    for x in terms:
        total = np.logaddexp(total, x)
    return total


def _emit(log_probs_t, extended, s):
    return log_probs_t[extended[s]]


def alpha_skips_equal_labels(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=lambda e, s, b: e[s] != b,
                            combine=_logsumexp, emission=_emit)


def alpha_skips_into_blank(log_alpha, log_probs_t, extended, blank=0):
    # "a blank may not be skipped between two equal labels": only that case is forbidden
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank,
                            can_skip=lambda e, s, b: not (e[s] == e[s - 2] and e[s] != b),
                            combine=_logsumexp, emission=_emit)


def alpha_always_skips(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=lambda e, s, b: True,
                            combine=_logsumexp, emission=_emit)


def alpha_viterbi(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip, combine=max,
                            emission=_emit)


def alpha_adds_logs(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip, combine=sum,
                            emission=_emit)


def alpha_exp_then_log(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip,
                            combine=lambda terms: np.log(np.sum(np.exp(terms))), emission=_emit)


def alpha_max_shift_unguarded(log_alpha, log_probs_t, extended, blank=0):
    def lse(terms):
        m = max(terms)
        return m + np.log(sum(np.exp(x - m) for x in terms))

    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip, combine=lse,
                            emission=_emit)


def alpha_no_emission(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip, combine=_logsumexp,
                            emission=lambda lp, e, s: 0.0)


def alpha_emission_by_position(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip, combine=_logsumexp,
                            emission=lambda lp, e, s: lp[s])


def alpha_emission_sliced(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = _shifted(log_alpha, 1), _shifted(log_alpha, 2)
    previous = np.concatenate([[-1, -1], extended])[:len(extended)]
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip) + log_probs_t[:len(extended)]  # ValueError


def alpha_rolled(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = np.roll(log_alpha, 1), np.roll(log_alpha, 2)
    can_skip = (extended != blank) & (extended != np.roll(extended, 2))
    skip = np.where(can_skip, skip, -np.inf)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip) + log_probs_t[extended]


def alpha_zero_blank(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank,
                            can_skip=lambda e, s, b: e[s] != 0 and e[s] != e[s - 2],
                            combine=_logsumexp, emission=_emit)


def alpha_viterbi_no_emission(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=_ok_skip, combine=max,
                            emission=lambda lp, e, s: 0.0)


def alpha_mask_multiplied(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = _shifted(log_alpha, 1), _shifted(log_alpha, 2)
    previous = np.concatenate([[-1, -1], extended])[:len(extended)]
    can_skip = (extended != blank) & (extended != previous)
    return np.logaddexp(np.logaddexp(log_alpha, advance), can_skip * skip) + log_probs_t[extended]


def alpha_float_mask_multiplied(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = _shifted(log_alpha, 1), _shifted(log_alpha, 2)
    previous = np.concatenate([[-1, -1], extended])[:len(extended)]
    mask = ((extended != blank) & (extended != previous)).astype(float)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip * mask) + log_probs_t[extended]


def alpha_no_stay(log_alpha, log_probs_t, extended, blank=0):
    S = len(extended)
    out = np.empty(S)
    for s in range(S):
        total = -np.inf
        if s >= 1:
            total = np.logaddexp(total, log_alpha[s - 1])
        if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
            total = np.logaddexp(total, log_alpha[s - 2])
        out[s] = total + log_probs_t[extended[s]]
    return out


def alpha_no_skip(log_alpha, log_probs_t, extended, blank=0):
    return np.logaddexp(log_alpha, _shifted(log_alpha, 1)) + log_probs_t[extended]


def alpha_no_skip_loop(log_alpha, log_probs_t, extended, blank=0):
    return _alpha_loop_with(log_alpha, log_probs_t, extended, blank, can_skip=lambda e, s, b: False,
                            combine=_logsumexp, emission=_emit)


def alpha_reversed_loop(log_alpha, log_probs_t, extended, blank=0):
    S = len(extended)
    out = np.empty(S)
    for s in range(S):
        total = log_alpha[s]
        if s + 1 < S:
            total = np.logaddexp(total, log_alpha[s + 1])
        if s + 2 < S and extended[s] != blank and extended[s] != extended[s + 2]:
            total = np.logaddexp(total, log_alpha[s + 2])
        out[s] = total + log_probs_t[extended[s]]
    return out


def alpha_reversed_rolled(log_alpha, log_probs_t, extended, blank=0):
    advance, skip = np.roll(log_alpha, -1), np.roll(log_alpha, -2)
    skip = np.where((extended != blank) & (extended != np.roll(extended, -2)), skip, -np.inf)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip) + log_probs_t[extended]


def alpha_reversed_sliced(log_alpha, log_probs_t, extended, blank=0):
    advance = np.concatenate([log_alpha[1:], [-np.inf]])
    skip = np.concatenate([log_alpha[2:], [-np.inf, -np.inf]])  # (2,) when S' = 1
    previous = np.concatenate([extended[2:], [-1, -1]])
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip) + log_probs_t[extended]


def alpha_negative_index(log_alpha, log_probs_t, extended, blank=0):
    S = len(extended)
    out = np.empty(S)
    for s in range(S):  # no guard: at s = 0 and 1, log_alpha[s - 2] is an entry from the end
        total = np.logaddexp(log_alpha[s], log_alpha[s - 1])
        if extended[s] != blank and extended[s] != extended[s - 2]:
            total = np.logaddexp(total, log_alpha[s - 2])
        out[s] = total + log_probs_t[extended[s]]
    return out


def alpha_short_slices(log_alpha, log_probs_t, extended, blank=0):
    advance = np.concatenate([[-np.inf], log_alpha[:-1]])
    skip = np.concatenate([[-np.inf, -np.inf], log_alpha[:-2]])  # (2,) when S' = 1
    previous = np.concatenate([[-1, -1], extended[:-2]])
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    return np.logaddexp(np.logaddexp(log_alpha, advance), skip) + log_probs_t[extended]


def alpha_short_slices_stacked(log_alpha, log_probs_t, extended, blank=0):
    advance = np.concatenate([[-np.inf], log_alpha[:-1]])
    skip = np.concatenate([[-np.inf, -np.inf], log_alpha[:-2]])
    previous = np.concatenate([[-1, -1], extended[:-2]])
    skip = np.where((extended != blank) & (extended != previous), skip, -np.inf)
    return np.logaddexp.reduce(np.stack([log_alpha, advance, skip]), axis=0) + log_probs_t[extended]  # ValueError


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (alpha_skips_equal_labels, "skip_between_equal_labels"),
        (alpha_skips_into_blank, "skip_into_blank"),
        (alpha_always_skips, "skip_between_equal_labels+skip_into_blank"),
        (alpha_viterbi, "no_logsumexp"),
        (alpha_adds_logs, "summed_logs"),
        (alpha_exp_then_log, "exp_underflow"),
        (alpha_max_shift_unguarded, "unreached_is_nan"),
        (alpha_no_emission, "emission_missing"),
        (alpha_emission_by_position, "emission_of_position"),
        (alpha_emission_sliced, "emission_of_position"),
        (alpha_rolled, "roll_wraps_around"),
        (alpha_zero_blank, "blank_assumed_zero"),
        (alpha_viterbi_no_emission, "no_logsumexp+emission_missing"),
        (alpha_mask_multiplied, "skip_masked_by_multiplying"),
        (alpha_float_mask_multiplied, "skip_masked_by_multiplying"),
        (alpha_no_stay, "stay_missing"),
        (alpha_no_skip, "skip_missing"),
        (alpha_no_skip_loop, "skip_missing"),
        (alpha_reversed_loop, "shift_reversed"),
        (alpha_reversed_rolled, "roll_wraps_around+shift_reversed"),
        (alpha_reversed_sliced, "shift_reversed+shape_breaks_for_short_targets"),
        (alpha_negative_index, "roll_wraps_around"),
        (alpha_short_slices, "shape_breaks_for_short_targets"),
    ],
)
def test_alpha_learner_mistakes_named(fn, mistake):
    result = ALPHA.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_alpha_new_fault_messages_tell_why():
    result = ALPHA.evaluate(alpha_mask_multiplied)
    assert "0 * (-inf) = NaN" in result.message and "np.where" in result.hint
    assert "`log_alpha_t` is NaN at [0], expected" in " ".join(result.details)
    result = ALPHA.evaluate(alpha_no_stay)  # -inf is no overflow: the detail says what was expected there
    details = " ".join(result.details)
    assert "`log_alpha_t` is -inf at [0], expected -" in details and "log(0)" in details
    assert "overflow" not in details and "divided" not in details
    result = ALPHA.evaluate(alpha_negative_index)
    assert "np.roll" in result.message and "negative index" in result.message
    result = ALPHA.evaluate(alpha_short_slices)
    assert result.status == "mistake" and "empty" in result.message and "S' = 1" in result.message
    assert "has shape (2,); expected (1,) = (S',)" in " ".join(result.details)
    assert "empty target" in " ".join(result.details)


def test_alpha_short_slices_stacked_fail_on_the_empty_target_with_the_learner_line():
    """np.stack refuses the (2,) skip: an error (no variant raises there, so no name), on the
    empty target, with the learner's own line."""
    result = ALPHA.evaluate(alpha_short_slices_stacked)
    assert result.status == "error" and "empty target" in result.message, repr(result)
    details = " ".join(result.details)
    assert "ValueError" in details and "np.stack" in details and "log_alpha (1,) = (S',)" in details


def test_alpha_minus_inf_where_a_value_is_expected_is_told_without_overflow():
    def first_unreached(log_alpha, log_probs_t, extended, blank=0):
        out = ctc.ctc_alpha_step(log_alpha, log_probs_t, extended, blank)
        out[0] = -np.inf
        return out

    result = ALPHA.evaluate(first_unreached)
    assert result.status == "wrong_values" and result.mistake is None, repr(result)
    expected = ALPHA._expected(0)[0]
    assert result.message.startswith(f"On the first case: `log_alpha_t` is -inf at [0], expected {expected:.6g}.")
    assert "overflow" not in result.message and "NaN or inf" not in result.message


def test_compare_nonfinite_messages_name_the_entry_and_the_expected_value():
    issue = compare(np.array([-3.2, -1.0, -np.inf]), np.array([-np.inf, -np.inf, -np.inf]), "`a`")
    assert issue.kind == "nonfinite"
    assert issue.message.startswith("`a` is -inf at [0], expected -3.2 (2 of 3 entries are -inf where")
    assert "overflow" not in issue.message  # the -inf expected at [2] is no issue
    issue = compare(np.array([[1.0, 2.0]]), np.array([[1.0, np.inf]]), "`b`")
    assert issue.kind == "nonfinite" and issue.message.startswith("`b` is +inf at [0, 1], expected 2.")
    assert "overflowed or divided by zero" in issue.message
    issue = compare(np.array([1.0, 2.0]), np.array([np.nan, -np.inf]), "`c`")
    assert issue.message.startswith("`c` is NaN at [0], expected 1 (2 of 2 entries are NaN or -inf")
    assert "0 * inf" in issue.message and "overflowed" in issue.message
    issue = compare(np.float64(0.5), np.float64(-np.inf), "`d`")
    assert issue.kind == "nonfinite" and issue.message.startswith("`d` is -inf; expected 0.5.")
    assert compare(np.array([-np.inf, 1.0]), np.array([-np.inf, 1.0])) is None


def test_compare_list_of_another_length_is_a_wrong_value_not_a_wrong_type():
    issue = compare([3, 1, 4, 1], [3, 1, 4, 1, 5], "`labels`")
    assert issue.kind == "wrong_values"
    assert issue.message == "`labels` has 5 values; expected 4: yours [3, 1, 4, 1, 5], expected [3, 1, 4, 1]."
    issue = compare([2], (), "`labels`")
    assert issue.kind == "wrong_values"
    assert issue.message == "`labels` has 0 values; expected 1: yours [], expected [2]."
    long = list(range(20))
    assert compare(long, long + [0], "`x`").message == (
        "`x` has 21 values; expected 20: yours has 1 value too many at the end (the first 20 agree).")
    assert compare(long, long[:3] + [9] + long[4:-1], "`x`").message == (
        "`x` has 19 values; expected 20; the first difference is at [3].")
    issue = compare((1, 2), (1, 2, 3), "`pair`")  # a tuple is a fixed structure: still a wrong type
    assert issue.kind == "wrong_type" and issue.message == "`pair` has 3 values; expected 2."


def test_greedy_use_of_a_wrong_length_says_wrong_values(capsys):
    def one_too_many(log_probs, blank=0):
        return greedy_loop(log_probs, blank) + [1]

    assert GREEDY.use(one_too_many) is GREEDY.reference
    assert "(yours: wrong values)" in capsys.readouterr().out


def test_alpha_emission_index_error_is_named_with_the_learner_line():
    result = ALPHA.evaluate(alpha_emission_by_position)
    assert result.mistake == "emission_of_position"
    for j, c in enumerate(ALPHA.cases):  # where the extended target is longer than C, both fail
        if c.dims["S'"] > c.dims["C"]:
            assert ALPHA._variant(("emission_of_position",), j)[0] == "error"
    for fn, error in ((alpha_emission_by_position, "IndexError"), (alpha_emission_sliced, "ValueError")):
        def only_the_long_targets(log_alpha, log_probs_t, extended, blank=0, fn=fn):
            if len(extended) <= len(log_probs_t):
                return ctc.ctc_alpha_step(log_alpha, log_probs_t, extended, blank)
            return fn(log_alpha, log_probs_t, extended, blank)

        result = ALPHA.evaluate(only_the_long_targets)  # right where it runs: an error, and no name
        assert result.status == "error" and error in " ".join(result.details), repr(result)
        assert any("fn(log_alpha" in d for d in result.details)


def test_alpha_underflow_is_told_on_the_long_input():
    result = ALPHA.evaluate(alpha_exp_then_log)
    assert "-1000" in " ".join(result.details) and "underflow" in result.message


def test_alpha_other_statuses():
    def probabilities(log_alpha, log_probs_t, extended, blank=0):
        return np.exp(alpha_vectorised(log_alpha, log_probs_t, extended, blank))

    def one_longer(log_alpha, log_probs_t, extended, blank=0):
        return np.append(alpha_vectorised(log_alpha, log_probs_t, extended, blank), -np.inf)

    def as_list(log_alpha, log_probs_t, extended, blank=0):
        return list(alpha_vectorised(log_alpha, log_probs_t, extended, blank))

    def ints(log_alpha, log_probs_t, extended, blank=0):
        return np.zeros(len(extended), dtype=int)

    def all_minus_inf(log_alpha, log_probs_t, extended, blank=0):
        return np.full(len(extended), -np.inf)

    assert ALPHA.evaluate(probabilities).status == "wrong_values"
    result = ALPHA.evaluate(one_longer)
    assert result.status == "wrong_shape" and "(S',)" in result.message
    assert ALPHA.evaluate(as_list).status == "wrong_type"
    assert ALPHA.evaluate(ints).status == "wrong_type"
    assert ALPHA.evaluate(all_minus_inf).status in ("wrong_values", "mistake")
    assert ALPHA.evaluate(lambda log_alpha, log_probs_t, extended: log_alpha).status == "error"  # no blank
