"""The exercises of lesson 14 (music): piano_roll and bernoulli_nll.

The checks every registered exercise gets are in test_exercises_catalogue.py and
test_exercises_behaviour.py. Learner-style answers, right and wrong, written independently of the exercises' ``impl``, are
checked here by name; inf and NaN answers are judged quietly."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse import metrics
from rnncourse.datasets import chorales
from rnncourse.exercises import music_exercises as mx
from rnncourse.exercises.compare import distance

ROLL = mx.piano_roll
NLL = mx.bernoulli_nll
LESSON_14 = [ROLL, NLL]
IDS = [e.id for e in LESSON_14]
FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py

# the faults that only a special case shows (confident logits of 40 or 1e4)
SPECIAL = {
    "piano_roll": set(),
    "bernoulli_nll": {"from_probabilities_clipped", "probabilities_unclipped", "sigmoid_overflow", "eps_inside_log"},
}


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _verdict(e, fn):
    result = e.evaluate(fn)
    return result.status, result.mistake


# ============================================================================= the module
@pytest.mark.parametrize("e", LESSON_14, ids=IDS)
def test_metadata(e):
    from rnncourse.exercises import core

    assert e.lesson == "14_music"
    assert isinstance(e, core.Exercise)
    assert len(e.hints) >= 3 and len(e.faults) >= 3
    assert len(e.variants) > len(e.faults)
    assert all(f.message and f.hint for f in e.faults)
    assert ex.EXERCISES[e.id] is e
    assert mx.EXERCISES == tuple(LESSON_14)
    assert not hasattr(mx, "STATEMENTS") and not hasattr(mx, "STUBS")  # statements live in the lesson


def test_references_are_the_package_functions():
    assert ROLL.reference is chorales.piano_roll
    assert NLL.reference is metrics.bernoulli_nll
    assert ROLL.params == ("notes", "n_steps", "lowest", "n_pitches")
    assert NLL.params == ("logits", "frames")


@pytest.mark.parametrize("e", LESSON_14, ids=IDS)
def test_reference_source_is_the_short_body(e):
    source = inspect.getsource(e.reference)
    assert source.startswith(f"def {e.id}(")
    assert len(source.split('"""')[-1].strip().splitlines()) <= 4


@pytest.mark.parametrize("e", LESSON_14, ids=IDS)
def test_first_case_tells_every_single_mistake_from_the_reference(e):
    expected = e._expected(0)
    for f in e.faults:
        if f.name in SPECIAL[e.id]:
            continue
        kind, value, args = e._variant((f.name,), 0)
        if f.status == "mutated_input":  # the right values, the inputs changed
            assert distance(expected, value) == 0.0 and distance(e.cases[0].args, args) > FAR, f.name
            continue
        assert kind == "error" or distance(expected, value) > FAR, f.name


@pytest.mark.parametrize("e", LESSON_14, ids=IDS)
def test_special_faults_are_shown_by_some_case(e):
    for name in SPECIAL[e.id]:
        shown = [
            j for j in range(len(e.cases))
            if e._variant((name,), j)[0] == "error" or distance(e._expected(j), e._variant((name,), j)[1]) > FAR
        ]
        assert shown, name


@pytest.mark.parametrize("e", LESSON_14, ids=IDS)
def test_check_of_the_reference_and_of_wrong_answers_writes_nothing_to_stderr(e, capfd):
    for v in e.variants:
        e.check(e.variant_function(v))
    e.check(e.reference)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out.count(f"] {e.id}: ") == len(e.variants) + 1


# ============================================================================= piano_roll
def test_roll_cases():
    assert {f.name for f in ROLL.faults} >= {
        "note_one_step_too_long", "note_one_step_short", "pitch_not_offset", "pitch_offset_wrong_way",
        "axes_swapped", "overlap_adds",
    }
    labels = " ".join(c.label for c in ROLL.cases)
    for what in ("four voices", "rest at the start", "silence after", "touching", "lowest and the highest",
                 "last step", "T=1", "empty list", "unison"):
        assert what in labels, what
    touching = overlapping = tail = top = bottom = last = rest_first = 0
    for j, c in enumerate(ROLL.cases):
        notes, T, lowest, P = c.args
        assert T != P and isinstance(notes, list) and all(isinstance(n, tuple) for n in notes)
        ends = [o + d for _, o, d in notes]
        tail += bool(notes) and max(ends) < T
        rest_first += bool(notes) and min(o for _, o, _ in notes) > 0
        last += T in ends
        top += any(p == lowest + P - 1 for p, _, _ in notes)
        bottom += any(p == lowest for p, _, _ in notes)
        for (p, o, d), (q, r, e) in [(a, b) for a in notes for b in notes if a is not b]:
            touching += p == q and o + d == r
            overlapping += p == q and o < r < o + d
        roll = ROLL._expected(j)
        assert roll.dtype == np.float32 and roll.shape == (T, P) and set(np.unique(roll)) <= {0.0, 1.0}
    assert touching and overlapping >= 2 and tail and top and bottom and last and rest_first
    # pitch_not_offset both fails (an IndexError) and gives values (a wrong column)
    kinds = {ROLL._variant(("pitch_not_offset",), j)[0] for j in range(len(ROLL.cases))}
    assert kinds == {"ok", "error"}


def test_roll_touching_notes_are_one_run_and_unisons_a_one():
    roll = ROLL._expected(2)  # 64 struck at steps 0, 2, 5 and 6: one run of 7 steps
    assert roll[:7, 4].tolist() == [1.0] * 7 and roll[7:, 4].sum() == 0
    assert ROLL._expected(0).max() == 1.0 and ROLL._variant(("overlap_adds",), 0)[1].max() == 2.0


def roll_loop(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        for t in range(onset, onset + duration):
            roll[t, pitch - lowest] = 1
    return roll


def roll_max(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, pitch - lowest] += 1
    return np.minimum(roll, 1)


def roll_vectorised(notes, n_steps, lowest, n_pitches):
    steps = np.arange(n_steps)  # (T,)
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        sounding = (steps >= onset) & (steps < onset + duration)  # (T,)
        roll[:, pitch - lowest] = np.maximum(roll[:, pitch - lowest], sounding)
    return roll


def roll_transposed_back(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_pitches, n_steps), dtype=np.float32)
    for pitch, onset, duration in notes:
        roll[pitch - lowest, onset:onset + duration] = 1.0
    return roll.T


def roll_clipped_sum(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for note in notes:
        pitch, onset, duration = note
        roll[onset:onset + duration, pitch - lowest] += 1.0
    return (roll > 0).astype(np.float32)


@pytest.mark.parametrize("fn", [roll_loop, roll_max, roll_vectorised, roll_transposed_back, roll_clipped_sum])
def test_roll_learner_correct_variants_pass(fn):
    result = ROLL.evaluate(fn)
    assert result.status == "pass", repr(result)


def roll_inclusive_end(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        for t in range(onset, min(onset + duration + 1, n_steps)):  # "up to and including the end"
            roll[t, pitch - lowest] = 1
    return roll


def roll_short(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        last = onset + duration - 1
        roll[onset:last, pitch - lowest] = 1  # the slice stops before `last`
    return roll


def roll_end_step(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, start, end in notes:
        roll[start:end, pitch - lowest] = 1
    return roll


def roll_onsets(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, _ in notes:
        roll[onset, pitch - lowest] = 1
    return roll


def roll_raw_pitch(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, pitch] = 1
    return roll


def roll_backwards(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, lowest - pitch] = 1
    return roll


def roll_pitch_major(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_pitches, n_steps))
    for pitch, onset, duration in notes:
        roll[pitch - lowest, onset:onset + duration] = 1
    return roll


def roll_counts(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, pitch - lowest] = roll[onset:onset + duration, pitch - lowest] + 1
    return roll


def roll_pitch_major_raw(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_pitches, n_steps))
    for pitch, onset, duration in notes:
        roll[pitch, onset:onset + duration] = 1
    return roll


def roll_long_counts(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        roll[onset:onset + duration + 1, pitch - lowest] += 1
    return roll


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (roll_inclusive_end, "note_one_step_too_long"),
        (roll_short, "note_one_step_short"),
        (roll_end_step, "duration_read_as_end"),
        (roll_onsets, "onset_only"),
        (roll_raw_pitch, "pitch_not_offset"),
        (roll_backwards, "pitch_offset_wrong_way"),
        (roll_pitch_major, "axes_swapped"),
        (roll_counts, "overlap_adds"),
        (roll_pitch_major_raw, "pitch_not_offset+axes_swapped"),
        (roll_long_counts, "note_one_step_too_long+overlap_adds"),
    ],
)
def test_roll_learner_mistakes_named(fn, mistake):
    result = ROLL.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_roll_index_error_is_named_with_the_learner_line():
    result = ROLL.evaluate(roll_raw_pitch)
    assert result.mistake == "pitch_not_offset" and "raises IndexError" in result.message
    assert any("roll[onset:onset + duration, pitch] = 1" in d for d in result.details)
    assert "lowest" in result.message


def test_roll_other_statuses():
    def as_list(notes, n_steps, lowest, n_pitches):
        return roll_loop(notes, n_steps, lowest, n_pitches).tolist()

    def ints(notes, n_steps, lowest, n_pitches):
        return roll_loop(notes, n_steps, lowest, n_pitches).astype(int)

    def length_from_notes(notes, n_steps, lowest, n_pitches):
        T = max((o + d for _, o, d in notes), default=0)
        return roll_loop(notes, T, lowest, n_pitches)

    def booleans(notes, n_steps, lowest, n_pitches):
        return roll_loop(notes, n_steps, lowest, n_pitches) > 0

    def sorts_the_notes(notes, n_steps, lowest, n_pitches):
        notes.sort()
        return roll_loop(notes, n_steps, lowest, n_pitches)

    assert ROLL.evaluate(as_list).status == "wrong_type"
    result = ROLL.evaluate(ints)
    assert result.status == "wrong_type" and "floating-point" in result.message
    assert ROLL.evaluate(booleans).status == "wrong_type"
    result = ROLL.evaluate(length_from_notes)
    assert result.status == "wrong_shape" and "(T, P)" in result.message and "silence after" in result.message
    assert ROLL.evaluate(sorts_the_notes).status == "mutated_input"
    assert ROLL.evaluate(lambda notes, n_steps, lowest: None).status == "error"  # no n_pitches


# learners' mistakes in the column (the pitch) and in the input list, named
def roll_one_column_low(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, pitch - lowest - 1] = 1
    return roll


def roll_one_column_high(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)
    for pitch, onset, duration in notes:
        column = pitch - lowest + 1  # "column 1 is the lowest pitch"
        roll[onset:onset + duration, column] = 1
    return roll


def roll_score_order(notes, n_steps, lowest, n_pitches):
    highest = lowest + n_pitches - 1
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, highest - pitch] = 1  # high notes first, as on a score
    return roll


def roll_score_order_loop(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches))
    for pitch, onset, duration in notes:
        for t in range(onset, onset + duration):
            roll[t, lowest + n_pitches - 1 - pitch] = 1.0
    return roll


def roll_score_image(notes, n_steps, lowest, n_pitches):
    image = np.zeros((n_pitches, n_steps))  # an image: high pitches at the top, time to the right
    for pitch, onset, duration in notes:
        image[lowest + n_pitches - 1 - pitch, onset:onset + duration] = 1
    return image


def roll_sorted_in_place(notes, n_steps, lowest, n_pitches):
    notes.sort()  # "in order of pitch"
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, pitch - lowest] = 1
    return roll


def roll_sorted_copy(notes, n_steps, lowest, n_pitches):
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)
    for pitch, onset, duration in sorted(notes):
        roll[onset:onset + duration, pitch - lowest] = 1
    return roll


@pytest.mark.parametrize(
    ("fn", "status", "mistake"),
    [
        (roll_one_column_low, "mistake", "pitch_off_by_one"),
        (roll_one_column_high, "mistake", "pitch_off_by_one_high"),
        (roll_score_order, "mistake", "pitch_axis_flipped"),
        (roll_score_order_loop, "mistake", "pitch_axis_flipped"),
        (roll_score_image, "mistake", "pitch_axis_flipped+axes_swapped"),
        (roll_sorted_in_place, "mutated_input", "notes_sorted_in_place"),
    ],
)
def test_roll_column_and_sorting_mistakes_named_quietly(fn, status, mistake, capfd):
    result = ROLL.evaluate(fn)
    assert (result.status, result.mistake) == (status, mistake), repr(result)
    assert "something else differs" not in result.message
    ROLL.check(fn)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out.count("] piano_roll: ") == 1


def test_roll_column_messages_say_what_the_indices_are():
    for fn in (roll_one_column_low, roll_score_order):
        result = ROLL.evaluate(fn)
        assert "row = step and column = pitch - lowest" in result.message
        assert "wrong at" in result.details[0] and "[0, 0]" in result.details[0]  # the index the message explains
    result = ROLL.evaluate(roll_one_column_low)
    assert "wraps round to the last column" in result.message
    result = ROLL.evaluate(roll_one_column_high)
    assert "raises IndexError" in result.message and "Columns count from 0" in result.message
    assert any("roll[onset:onset + duration, column] = 1" in d for d in result.details)  # the learner's line
    result = ROLL.evaluate(roll_score_order)
    assert "highest pitch is in column 0" in result.message


def test_roll_sorting_in_place_suggests_sorted_and_a_sorted_copy_passes():
    result = ROLL.evaluate(roll_sorted_in_place)
    assert "`sorted(notes)`" in result.message and "`notes.sort()`" in result.message
    assert "`sorted(notes)`" in result.hint
    assert ROLL.evaluate(roll_sorted_copy).status == "pass"

    def sorted_by_onset_in_place(notes, n_steps, lowest, n_pitches):
        notes.sort(key=lambda note: note[1])  # another order: the generic in-place verdict
        return roll_sorted_copy(notes, n_steps, lowest, n_pitches)

    result = ROLL.evaluate(sorted_by_onset_in_place)
    assert (result.status, result.mistake) == ("mutated_input", None)
    assert "`notes`" in result.message


# ============================================================================= bernoulli_nll
def test_nll_cases():
    assert {f.name for f in NLL.faults} >= {
        "from_probabilities_clipped", "sigmoid_overflow", "mean_over_pitches", "sum_over_steps", "sign_flipped",
        "labels_swapped",
    }
    labels = " ".join(c.label for c in NLL.cases)
    for what in ("random logits", "T=1", "+-1e4", "+-40", "all-zero frames", "(B, T, P)"):
        assert what in labels, what
    big = {40.0: [0, 0], 1e4: [0, 0]}  # (cases with a matching, with a mismatching entry)
    for c in NLL.cases:
        logits, frames = c.args
        assert logits.shape == frames.shape and logits.shape[-1] == c.dims["P"]
        assert frames.dtype == np.float32 and set(np.unique(frames)) <= {0.0, 1.0}
        P, steps = logits.shape[-1], int(np.prod(logits.shape[:-1]))
        assert P != steps and (logits.ndim == 2 or logits.shape[-2] != P)  # sum and mean never coincide
        size = float(np.abs(logits).max())
        if size in big:
            assert (logits > 0).any() and (logits < 0).any()
            matches = (logits > 0) == (frames > 0)
            big[size][0] += matches.all()
            big[size][1] += (~matches).any()
    assert big[1e4] == [1, 1] and big[40.0][1] == 1
    assert {c.args[0].ndim for c in NLL.cases} == {2, 3}
    assert any(not c.args[1].any() for c in NLL.cases)
    assert any((c.args[1].sum(-1) >= 2).any() for c in NLL.cases[:1])  # chords in the first case


def test_nll_confident_right_model_costs_nothing_and_wrong_costs_the_logit():
    j = [i for i, c in enumerate(NLL.cases) if "all matching" in c.label][0]
    assert NLL._expected(j) == 0.0
    j = [i for i, c in enumerate(NLL.cases) if "+-40" in c.label and "confidently wrong" in c.label][0]
    logits, frames = NLL.cases[j].args
    wrong = ((logits > 0) != (frames > 0)).sum()
    assert np.isclose(NLL._expected(j), 40.0 * wrong / logits.shape[0], rtol=1e-12)


def nll_softplus(logits, frames):
    return float(np.mean(np.sum(np.logaddexp(0, logits) - frames * logits, axis=-1)))


def nll_two_terms(logits, frames):
    on = np.logaddexp(0, -logits)  # -log sigmoid(z)
    off = np.logaddexp(0, logits)  # -log(1 - sigmoid(z))
    return (frames * on + (1 - frames) * off).sum(axis=-1).mean()


def nll_stable_by_hand(logits, frames):
    softplus = np.maximum(logits, 0) + np.log1p(np.exp(-np.abs(logits)))
    per_step = (softplus - frames * logits).reshape(-1, logits.shape[-1]).sum(axis=1)
    return per_step.sum() / len(per_step)


def nll_array_scalar(logits, frames):
    return np.asarray(np.logaddexp(0.0, logits) - frames * logits).sum(-1).mean(keepdims=False)


def nll_torch(logits, frames):
    torch = pytest.importorskip("torch")
    z, y = torch.as_tensor(logits), torch.as_tensor(frames, dtype=torch.float64)
    per = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    return per.sum(-1).mean().item()


@pytest.mark.parametrize("fn", [nll_softplus, nll_two_terms, nll_stable_by_hand, nll_array_scalar, nll_torch])
def test_nll_learner_correct_variants_pass(fn):
    result = NLL.evaluate(fn)
    assert result.status == "pass", repr(result)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nll_clipped(logits, frames):
    eps = 1e-7
    p = np.clip(_sigmoid(logits), eps, 1 - eps)
    return -np.mean(np.sum(frames * np.log(p) + (1 - frames) * np.log(1 - p), axis=-1))


def nll_clipped_other_threshold(logits, frames):
    p = np.clip(_sigmoid(logits), 1e-12, 1 - 1e-12)
    return -np.mean(np.sum(frames * np.log(p) + (1 - frames) * np.log(1 - p), axis=-1))


def nll_textbook(logits, frames):
    p = _sigmoid(logits)
    return -np.mean(np.sum(frames * np.log(p) + (1 - frames) * np.log(1 - p), axis=-1))


def nll_naive_softplus(logits, frames):
    return np.mean(np.sum(np.log(1 + np.exp(logits)) - frames * logits, axis=-1))


def nll_softmax(logits, frames):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return float(-(frames * log_p).sum(axis=-1).mean())


def nll_only_on(logits, frames):
    return float((frames * np.logaddexp(0, -logits)).sum(-1).mean())


def nll_flipped_labels(logits, frames):
    y = 1 - frames
    return float((np.logaddexp(0, logits) - y * logits).sum(-1).mean())


def nll_mean_everything(logits, frames):
    return float(np.mean(np.logaddexp(0, logits) - frames * logits))


def nll_sum_everything(logits, frames):
    return float(np.sum(np.logaddexp(0, logits) - frames * logits))


def nll_log_likelihood(logits, frames):
    return float(np.mean(np.sum(frames * logits - np.logaddexp(0, logits), axis=-1)))


def nll_mean_and_flipped(logits, frames):
    return float(np.mean(frames * logits - np.logaddexp(0, logits)))


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (nll_clipped, "from_probabilities_clipped"),
        (nll_textbook, "probabilities_unclipped"),
        (nll_naive_softplus, "sigmoid_overflow"),
        (nll_softmax, "softmax_over_pitches"),
        (nll_only_on, "off_notes_ignored"),
        (nll_flipped_labels, "labels_swapped"),
        (nll_mean_everything, "mean_over_pitches"),
        (nll_sum_everything, "sum_over_steps"),
        (nll_log_likelihood, "sign_flipped"),
        (nll_mean_and_flipped, "mean_over_pitches+sign_flipped"),
    ],
)
def test_nll_learner_mistakes_named(fn, mistake):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning inside the check would be a checker failure
        result = NLL.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_nll_overflow_and_nan_are_told_on_the_confident_cases():
    result = NLL.evaluate(nll_naive_softplus)
    assert "1e4" in " ".join(result.details) and "overflow" in result.message
    result = NLL.evaluate(nll_textbook)
    assert "NaN" in result.message and "+-" in " ".join(result.details)


def test_nll_other_clipping_threshold_is_wrong_values_on_the_confident_case():
    result = NLL.evaluate(nll_clipped_other_threshold)
    assert result.status == "wrong_values" and "+-1e4" in result.message and "rounds to exactly" in result.message


@pytest.mark.parametrize(
    "fn",
    [nll_textbook, nll_naive_softplus, nll_clipped, nll_clipped_other_threshold,
     lambda logits, frames: float("nan"), lambda logits, frames: np.inf,
     lambda logits, frames: np.log(frames).sum(), lambda logits, frames: 1 / 0],
)
def test_nll_wrong_answers_with_inf_or_nan_write_nothing_to_stderr(fn, capfd, recwarn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NLL.check(fn)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out.count("] bernoulli_nll: ") == 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# exp(+-1e4) overflowing in either term, however the terms are written, is one named mistake
def nll_statement_terms(logits, frames):
    log_p_on = -np.log(1 + np.exp(-logits))  # log sigma(z), as the statement writes it
    log_p_off = -np.log(1 + np.exp(logits))  # log(1 - sigma(z))
    return float(-np.mean(np.sum(frames * log_p_on + (1 - frames) * log_p_off, axis=-1)))


def nll_first_term_naive(logits, frames):
    on = np.log(1 + np.exp(-logits))  # the statement's form for log sigma(z) ...
    off = np.logaddexp(0, logits)  # ... and logaddexp for the other term
    return float(np.mean(np.sum(frames * on + (1 - frames) * off, axis=-1)))


def nll_second_term_naive(logits, frames):
    on = np.logaddexp(0, -logits)
    off = np.log(1 + np.exp(logits))
    return float(np.mean(np.sum(frames * on + (1 - frames) * off, axis=-1)))


def nll_where_naive(logits, frames):
    per = np.where(frames == 1, np.log(1 + np.exp(-logits)), np.log(1 + np.exp(logits)))
    return float(per.sum(axis=-1).mean())


def nll_where_one_term_naive(logits, frames):
    per = np.where(frames > 0.5, np.log1p(np.exp(-logits)), np.logaddexp(0, logits))
    return float(per.sum(axis=-1).mean())


def nll_log_of_sigmoid_on(logits, frames):
    p = 1 / (1 + np.exp(-logits))  # 1 / (1 + inf) = 0 at z = -1e4
    return float(np.mean(np.sum(-frames * np.log(p) + (1 - frames) * np.logaddexp(0, logits), axis=-1)))


def nll_statement_terms_mean(logits, frames):
    per = frames * np.log(1 + np.exp(-logits)) + (1 - frames) * np.log(1 + np.exp(logits))
    return float(per.mean())


def nll_eps_inside_log(logits, frames):
    p = 1 / (1 + np.exp(-logits))
    return float(-np.mean(np.sum(frames * np.log(p + 1e-8) + (1 - frames) * np.log(1 - p + 1e-8), axis=-1)))


def nll_eps_inside_log_loop(logits, frames):
    eps = 1e-8
    p = _sigmoid(np.asarray(logits).reshape(-1, logits.shape[-1]))
    y = np.asarray(frames).reshape(p.shape)
    total = 0.0
    for p_t, y_t in zip(p, y):
        total += -np.sum(y_t * np.log(p_t + eps) + (1 - y_t) * np.log(1 - p_t + eps))
    return total / len(p)


OVERFLOWS = [nll_statement_terms, nll_first_term_naive, nll_second_term_naive, nll_where_naive,
             nll_where_one_term_naive, nll_log_of_sigmoid_on, nll_naive_softplus]


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [(fn, "sigmoid_overflow") for fn in OVERFLOWS] + [
        (nll_statement_terms_mean, "sigmoid_overflow+mean_over_pitches"),
        (nll_eps_inside_log, "eps_inside_log"),
        (nll_eps_inside_log_loop, "eps_inside_log"),
    ],
)
def test_nll_overflow_in_either_term_and_eps_inside_the_log_named_quietly(fn, mistake, capfd, recwarn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = NLL.evaluate(fn)
        NLL.check(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)
    assert "something else differs" not in result.message
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out.count("] bernoulli_nll: ") == 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("fn", OVERFLOWS)
def test_nll_overflow_message_says_exp_overflows_not_probabilities(fn):
    result = NLL.evaluate(fn)
    assert "overflows to inf" in result.message and "0 * inf = NaN" in result.message
    assert "np.logaddexp(0, z) and np.logaddexp(0, -z)" in result.message
    assert "turns the logits into probabilities" not in result.message
    assert "+-1e4" in result.details[0] and "some confidently wrong" in result.details[0]


def test_nll_eps_inside_the_log_is_told_on_the_confidently_wrong_case():
    result = NLL.evaluate(nll_eps_inside_log)
    assert "-log(eps) = 18.4" in result.message and "1e4" in result.message
    detail = result.details[0]
    assert "some confidently wrong" in detail and "expected 8000" in detail  # not "-3e-08; expected 0"


def test_nll_case_order_puts_the_telling_case_first():
    labels = [c.label for c in NLL.cases]
    right_40 = [i for i, t in enumerate(labels) if "right side" in t and "+-40" in t]
    wrong_1e4 = [i for i, t in enumerate(labels) if "+-1e4" in t and "confidently wrong" in t]
    all_1e4 = [i for i, t in enumerate(labels) if "+-1e4" in t and "all matching" in t]
    assert len(right_40) == len(wrong_1e4) == len(all_1e4) == 1
    assert right_40[0] < wrong_1e4[0] < all_1e4[0]
    # a probability that rounds to exactly 1 is NaN on the right logits of +-40 already ...
    assert np.isnan(NLL._variant(("probabilities_unclipped",), right_40[0])[1])
    assert NLL.evaluate(nll_textbook).details[0].startswith(f'On the case "{labels[right_40[0]]}"')
    # ... so NaN or inf on the logits of 1e4 is an overflow of exp
    for j in range(len(NLL.cases)):
        assert NLL.cases[j].nonfinite_mistake == ("sigmoid_overflow" if "+-1e4" in labels[j] else None)
    # the confidently wrong case has a wrong and a right logit of each sign (either term shows)
    logits, frames = NLL.cases[wrong_1e4[0]].args
    for sign in (1, -1):
        on_side = np.sign(logits) == sign
        assert (on_side & ((logits > 0) == (frames > 0))).any() and (on_side & ((logits > 0) != (frames > 0))).any()


def test_nll_other_statuses():
    def per_step(logits, frames):
        return (np.logaddexp(0, logits) - frames * logits).sum(-1)

    def as_list(logits, frames):
        return [nll_softplus(logits, frames)]

    def as_string(logits, frames):
        return f"{nll_softplus(logits, frames):.6f}"

    def uses_batch_axis(logits, frames):
        B, T, P = logits.shape  # ValueError on the (T, P) cases
        return nll_softplus(logits, frames)

    result = NLL.evaluate(per_step)
    assert result.status == "wrong_shape" and "single number" in result.message
    assert NLL.evaluate(as_list).status == "wrong_type"
    assert NLL.evaluate(as_string).status == "wrong_type"
    result = NLL.evaluate(uses_batch_axis)
    assert result.status == "error" and "ValueError" in " ".join(result.details)
    assert any("B, T, P = logits.shape" in d for d in result.details)
    assert NLL.evaluate(lambda logits: 0.0).status == "error"  # no frames parameter
