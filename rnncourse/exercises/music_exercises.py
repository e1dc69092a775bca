"""Exercises of lesson 14 (music): notes to a piano roll, and the negative log-likelihood of
piano-roll frames under independent Bernoulli outputs, computed from logits.

Single source: each reference is the package's own function
(:func:`rnncourse.datasets.chorales.piano_roll`, :func:`rnncourse.metrics.bernoulli_nll`; its
arguments checked by a wrapper, ``inspect.getsource`` showing the NumPy body). Every
``impl(faults, ...)`` below reproduces its reference when ``faults`` is empty, and a named
mistake for each fault, written the way a learner would write it: where the learner's column
runs past the end of the roll (the pitch used as the column, or one column too high), the
variant fails on the same cases, so a learner's IndexError is named too; where the learner's
arithmetic overflows or takes the log of 0 (logits of 1e4, probabilities that round to exactly
0 or 1), the variant gives the same inf or NaN, so that is named too. Sorting ``notes`` in
place (``notes.sort()``) is named as a changed input, with ``sorted(notes)`` suggested.

A clipped probability is named for the usual threshold, 1e-7 (``np.clip(p, 1e-7, 1 - 1e-7)``),
and an eps added inside the log for eps = 1e-8 (``np.log(p + 1e-8)``); another threshold gives
other wrong values (-log of the threshold for a confident wrong logit), reported as wrong values
on the case of logits of 1e4, whose label says why. An overflow of exp(+-1e4), in whichever
term (``np.log(1 + np.exp(z))``, ``np.log(1 + np.exp(-z))``, a sigmoid ``1 / (1 + np.exp(-z))``
whose log is taken, with or without ``np.where``), gives inf or NaN on the cases of logits of
1e4, and NaN or inf there is named so (``nonfinite_mistake``): a probability that rounds to
exactly 1 gives NaN on an earlier case, the logits of +-40, where exp does not overflow. The
catalogue's variant is the statement's two terms, each written log(1 + exp(+-z)). The two
caps are close cousins: a clip at 1e-8 and an eps of 1e-7 inside the log agree with the other
fault on the confidently wrong case and are named so, with the note that another case differs.
"""

from __future__ import annotations

import numpy as np

from rnncourse import metrics
from rnncourse.datasets import chorales

from .core import Case, Exercise, Fault

LESSON = "14_music"


# ----------------------------------------------------------------------------- piano_roll
def _piano_roll(f, notes, n_steps, lowest, n_pitches):
    swapped = "axes_swapped" in f
    roll = np.zeros((n_pitches, n_steps) if swapped else (n_steps, n_pitches), dtype=np.float32)
    if "notes_sorted_in_place" in f:
        notes.sort()  # the caller's list, reordered (by pitch, then onset)
    for pitch, onset, duration in notes:
        column = pitch - lowest
        if "pitch_not_offset" in f:
            column = pitch  # IndexError when the pitch is at least n_pitches
        elif "pitch_offset_wrong_way" in f:
            column = lowest - pitch  # <= 0: a negative index counts from the last column
        elif "pitch_off_by_one" in f:
            column = pitch - lowest - 1  # the lowest pitch, at -1, wraps round to the last column
        elif "pitch_off_by_one_high" in f:
            column = pitch - lowest + 1  # IndexError at the highest pitch of the range
        elif "pitch_axis_flipped" in f:
            column = lowest + n_pitches - 1 - pitch  # the highest pitch in column 0, as on a score
        end = onset + duration
        if "note_one_step_too_long" in f:
            end = onset + duration + 1  # a slice past the last step stops there quietly
        elif "note_one_step_short" in f:
            end = onset + duration - 1  # a note of one step vanishes
        elif "duration_read_as_end" in f:
            end = duration
        elif "onset_only" in f:
            end = onset + 1
        where = (column, slice(onset, end)) if swapped else (slice(onset, end), column)
        if "overlap_adds" in f:
            roll[where] += 1.0
        else:
            roll[where] = 1.0
    return roll


def _piano_roll_cases(rng):
    def case(label, notes, n_steps, lowest, n_pitches):
        notes = [tuple(int(v) for v in note) for note in notes]
        return Case(label, (notes, n_steps, lowest, n_pitches), dict(T=n_steps, P=n_pitches, N=len(notes)))

    # a melody of random steps and lengths, with a rest at the start and silence after the end
    melody, t = [], 2
    for pitch in rng.choice(np.arange(60, 73), 5, replace=False):
        duration = int(rng.integers(1, 4))
        melody.append((pitch, t, duration))
        t += duration + int(rng.integers(0, 2))
    return [
        case("four voices of a chorale, T=8, lowest=48, P=29 (the alto joins the soprano's 76 while it is held)",
             [(72, 0, 2), (74, 2, 2), (76, 4, 4),  # soprano
              (67, 0, 4), (69, 4, 2), (76, 6, 2),  # alto: its 76 overlaps the soprano's
              (64, 0, 3), (65, 3, 5),  # tenor
              (48, 0, 4), (55, 4, 3)], 8, 48, 29),  # bass, from the lowest pitch; the last step a rest
        case(f"a melody with a rest at the start and silence after its end, T={t + 3}, lowest=60, P=13",
             melody, t + 3, 60, 13),
        case("one pitch struck again and again, the notes touching (one run in the roll), T=9, lowest=60, P=12",
             [(64, 0, 2), (64, 2, 3), (64, 5, 1), (64, 6, 1), (67, 7, 2)], 9, 60, 12),
        case("the lowest and the highest pitch of the range, a note on the last step, T=10, lowest=36, P=46",
             [(36, 0, 3), (81, 1, 4), (60, 4, 3), (36, 6, 3), (81, 9, 1)], 10, 36, 46),
        case("T=1: a chord of one step, lowest=60, P=13", [(60, 0, 1), (64, 0, 1), (67, 0, 1)], 1, 60, 13),
        case("a bass line in the lowest columns of a wide range (pitches 36 to 45), the tenor doubling its 43, "
             "T=12, lowest=36, P=46",
             [(36, 0, 4), (40, 4, 2), (43, 6, 2), (45, 8, 3), (38, 11, 1), (43, 5, 3)], 12, 36, 46),
        case("two voices in unison, both starting together, one held longer, T=7, lowest=55, P=25",
             [(67, 1, 2), (67, 1, 5), (62, 0, 3), (59, 3, 4)], 7, 55, 25),
        case("no notes at all: an empty list, T=5, lowest=60, P=13", [], 5, 60, 13),
    ]


piano_roll = Exercise(
    id="piano_roll",
    title="Notes to a piano roll: a binary (time step, pitch) matrix",
    lesson=LESSON,
    reference=chorales.piano_roll,
    impl=_piano_roll,
    output_names=("roll",),
    make_cases=_piano_roll_cases,
    faults=[
        Fault(
            "note_one_step_too_long",
            "Your notes sound one step too long: a note of duration 2 that starts at step 4 fills steps 4, 5 "
            "and 6. Its last step is onset + duration - 1, and a note that reaches the end of the roll hides "
            "the mistake, because a slice past the end stops there quietly.",
            "Write the steps of a short note down: onset 4, duration 2 sounds at steps 4 and 5, and the slice "
            "a:b covers a up to b - 1.",
            group="length",
        ),
        Fault(
            "note_one_step_short",
            "Your notes sound one step too short: a note of duration 2 that starts at step 4 fills step 4 only, "
            "and a note of one step vanishes altogether.",
            "A note of duration d fills d rows. The slice a:b covers b - a rows, a up to b - 1.",
            group="length",
        ),
        Fault(
            "duration_read_as_end",
            "Your function reads the third number of a note as the step where it ends, not as its duration: "
            "a note (pitch, 4, 2) fills nothing (steps 4 up to 2) and a note (pitch, 1, 3) only steps 1 and 2.",
            "A note is (pitch, onset, duration): the number of steps it sounds. Its end is onset plus "
            "duration.",
            group="length",
        ),
        Fault(
            "onset_only",
            "Your roll marks only the step where each note starts: every note lasts one step, whatever its "
            "duration. A piano roll marks every step a note sounds, so a held note is a run of 1s.",
            "Fill all the steps of the note, from its onset for `duration` rows, not just the first.",
            group="length",
        ),
        Fault(
            "pitch_not_offset",
            "Your function uses the MIDI pitch itself as the column: pitch 60 lands in column 60, past the "
            "end of a roll of fewer pitches (an IndexError), or in a wrong column when the pitch happens to "
            "be small enough. Column 0 is the pitch `lowest`, not pitch 0.",
            "The columns count pitches from `lowest`: pitch m belongs in the column that is m's distance "
            "above `lowest`.",
            group="column",
        ),
        Fault(
            "pitch_offset_wrong_way",
            "Your function subtracts the wrong way round, `lowest` minus the pitch: that is 0 or negative, and "
            "a negative index counts from the last column, so the music comes out upside down (only the "
            "lowest pitch lands right).",
            "Pitch m is m - lowest steps above the lowest pitch: the higher the pitch, the higher the column.",
            group="column",
        ),
        Fault(
            "pitch_off_by_one",
            "Your notes land one column too low: the pitch lowest + 1 is in column 0, every note one column "
            "left of its own, and the pitch `lowest` itself, at column -1, wraps round to the last column "
            "(a negative index counts from the end). The indices in the comparison are [row, column], "
            "with row = step and column = pitch - lowest.",
            "Column p is the pitch lowest + p: the pitch `lowest` is column 0, so there is nothing to add "
            "or subtract after the offset.",
            group="column",
        ),
        Fault(
            "pitch_off_by_one_high",
            "Your notes land one column too high: the pitch `lowest` is in column 1, every note one column "
            "right of its own, and the highest pitch, lowest + n_pitches - 1, falls past the last column "
            "(an IndexError). Columns count from 0, not 1.",
            "Column p is the pitch lowest + p: the pitch `lowest` is column 0, so there is nothing to add "
            "after the offset.",
            group="column",
        ),
        Fault(
            "pitch_axis_flipped",
            "Your pitch axis is upside down: the highest pitch is in column 0 and the lowest in the last "
            "column, as on a score, where the high notes are at the top. In the roll the pitch rises with "
            "the column: column 0 is the pitch `lowest`. The indices in the comparison are [row, column], "
            "with row = step and column = pitch - lowest.",
            "Count the columns up from the pitch `lowest`: the higher the pitch, the higher the column. Only "
            "a plot of the roll puts the high notes at the top, and it does so when drawing (imshow's "
            "origin='lower'), not by flipping the array.",
            group="column",
        ),
        Fault(
            "axes_swapped",
            "Your roll has one row per pitch and one column per step: (n_pitches, n_steps), the transpose of "
            "a piano roll (n_steps, n_pitches), whose row t is the frame at step t.",
            "Make the zeros (n_steps, n_pitches) and index them [steps, column]: time first, as every "
            "sequence in this course.",
        ),
        Fault(
            "overlap_adds",
            "Your function adds 1 for each note: where two notes of the same pitch sound at once (two voices "
            "in unison), the roll holds 2. A piano roll is binary, 1 where the pitch sounds at all.",
            "Set the entries to 1 instead of adding 1: a pitch that two voices sing is still one pitch "
            "sounding.",
        ),
        Fault(
            "notes_sorted_in_place",
            "Your roll is right, but your function sorts the caller's list: `notes.sort()` reorders `notes` "
            "itself. The roll does not need the notes in any order (each is written on its own), and where "
            "you want them sorted, `sorted(notes)` returns a new list and leaves `notes` as it was.",
            "Use `sorted(notes)`, a new list, or no sorting at all: `notes.sort()` changes the list the "
            "caller passed in.",
            status="mutated_input",
        ),
    ],
    incompatible=[
        # a note of one step at most: no overlap is left to add up in any case
        ("onset_only", "overlap_adds"),
    ],
    hints=[
        "Start from zeros of shape (n_steps, n_pitches): one row per time step, one column per pitch. "
        "Column 0 is the pitch `lowest`, so pitch m goes in column m - lowest.",
        "A note (pitch, onset, duration) sounds during the steps onset, onset + 1, ..., onset + duration - 1: "
        "`duration` rows, and the slice a:b covers a up to b - 1. Set those entries to 1 (set, not add: two "
        "voices on one pitch are still a 1).",
        "`roll = np.zeros((n_steps, n_pitches), dtype=np.float32)`, then for each `pitch, onset, duration` "
        "in notes: `roll[onset:onset + duration, pitch - lowest] = 1`. Return the roll.",
    ],
)


# ----------------------------------------------------------------------------- bernoulli_nll
def _bernoulli_nll(f, logits, frames):
    z, y = logits, frames
    if "labels_swapped" in f:
        y = 1 - y
    if "softmax_over_pitches" in f:  # one class per frame: a stable log-softmax over the pitches
        m = z.max(axis=-1, keepdims=True)
        per_pitch = -y * (z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))
    elif "from_probabilities_clipped" in f or "probabilities_unclipped" in f or "eps_inside_log" in f:
        p = 1 / (1 + np.exp(-z))  # rounds to exactly 1.0 from z = 37, to 0.0 below z = -745
        if "from_probabilities_clipped" in f:
            p = np.clip(p, 1e-7, 1 - 1e-7)
        eps = 1e-8 if "eps_inside_log" in f else 0.0  # -log(eps) = 18.4 at most for a wrong logit
        if "off_notes_ignored" in f:
            per_pitch = -(y * np.log(p + eps))
        else:
            per_pitch = -(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))  # 0 * -inf is NaN
    elif "sigmoid_overflow" in f:  # both terms as the statement writes them, each log(1 + e^(+-z)) as written
        on, off = np.log(1 + np.exp(-z)), np.log(1 + np.exp(z))  # inf at z = -1e4 and at z = 1e4
        per_pitch = y * on if "off_notes_ignored" in f else y * on + (1 - y) * off  # 0 * inf is NaN
    else:
        softplus = np.logaddexp(0.0, z)
        per_pitch = softplus - y * z
        if "off_notes_ignored" in f:
            per_pitch = y * (softplus - z)  # -log sigma(z) where a note sounds, nothing elsewhere
    per_step = per_pitch.mean(axis=-1) if "mean_over_pitches" in f else per_pitch.sum(axis=-1)
    total = per_step.sum() if "sum_over_steps" in f else per_step.mean()
    return float(-total if "sign_flipped" in f else total)


def _bernoulli_nll_cases(rng):
    def case(label, logits, frames, nonfinite=None):
        logits = np.asarray(logits, dtype=np.float64)
        frames = np.asarray(frames, dtype=np.float32)
        dims = dict(zip(("B", "T", "P")[-logits.ndim:], logits.shape))
        return Case(label, (logits, frames), dims, nonfinite_mistake=nonfinite)

    def random(shape, scale=2.0, density=0.3):
        return rng.normal(0.0, scale, shape), rng.random(shape) < density

    def confident(shape, size, wrong):
        """Logits of +-size, their frames matching them except at ``wrong`` entries.

        Both signs in every case; with wrong entries, the first four entries are a wrong logit of
        each sign, then a right one of each sign, so that a log(1 + e^(+-z)) that overflows in
        either term shows (inf where the term counts, NaN where a label of 0 multiplies it)."""
        signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        signs.flat[: max(shape[-1], 4)] = np.resize([1.0, -1.0], max(shape[-1], 4))
        frames = signs > 0
        flip = np.zeros(shape, dtype=bool)
        if wrong:
            flip.flat[:2] = True
            flip.flat[4 + rng.choice(flip.size - 4, wrong - 2, replace=False)] = True
        return size * signs, frames ^ flip

    def right(shape, confident):
        """Random logits whose signs match their frames; the first entries those of ``confident``."""
        z = rng.normal(0.0, 2.0, shape)
        z.flat[: len(confident)] = confident
        return z, z > 0

    # the order matters where a wrong answer fails first: a probability that rounds to exactly 1
    # fails on the right logits of +-40 (NaN), before the logits of 1e4, where NaN or inf is an
    # overflow of exp; and a confidently wrong logit comes before the all-matching case, where
    # a capped or clipped loss only differs by about 1e-8
    return [
        case("random logits and frames with chords, T=6, P=5", *random((6, 5), density=0.4)),
        case("T=1: a single frame, P=7", *random((1, 7), density=0.5)),
        case("logits all on the right side of their frames, a few of them +-40 (sigmoid(40) rounds to exactly "
             "1), T=4, P=6", *right((4, 6), [40.0, -40.0, 0.5, 40.0, -1.5, -40.0])),
        # NaN or inf here, after the cases above, is an overflow of exp(+-1e4), in whichever term;
        # 4 wrong of 15: a loss capped at -log(1e-k) = k ln 10 per wrong entry matches no variant's
        # (7 ln 10 clipped, 8 ln 10 with eps, on the 4 wrong or, labels swapped, the 11 right
        # entries) for the other k up to 16; 6 wrong of 15 made 1e-12 look like eps+labels_swapped
        case("logits of +-1e4 (sigmoid rounds to exactly 0 or 1, e^1e4 overflows to inf), some confidently "
             "wrong, T=5, P=3", *confident((5, 3), 1e4, 4), nonfinite="sigmoid_overflow"),
        case("logits of +-1e4 (sigmoid rounds to exactly 0 or 1, e^1e4 overflows to inf), all matching their "
             "frames, T=4, P=3", *confident((4, 3), 1e4, 0), nonfinite="sigmoid_overflow"),
        case("logits of +-40 (sigmoid(40) rounds to exactly 1), some confidently wrong, T=6, P=4",
             *confident((6, 4), 40.0, 7)),
        case("all-zero frames (a rest: no pitch sounds), T=8, P=6", rng.normal(0.0, 2.0, (8, 6)), np.zeros((8, 6))),
        case("a batch (B, T, P) = (3, 5, 4): the mean runs over the batch and the steps", *random((3, 5, 4))),
    ]


bernoulli_nll = Exercise(
    id="bernoulli_nll",
    title="Negative log-likelihood of piano-roll frames under independent Bernoulli outputs, from logits",
    lesson=LESSON,
    reference=metrics.bernoulli_nll,
    impl=_bernoulli_nll,
    output_names=("nll",),
    make_cases=_bernoulli_nll_cases,
    faults=[
        Fault(
            "from_probabilities_clipped",
            "Your function turns the logits into probabilities and clips them away from 0 and 1 before the "
            "log: for a confident logit the sigmoid rounds to exactly 1 (from about z = 37) or 0, and the "
            "clipping threshold then decides the loss. A confidently wrong logit of 40 should cost 40 nats, "
            "not -log(1e-7) = 16.1, and a logit of 1e4 costs 1e4.",
            "Stay with the logits: -log sigma(z) and -log(1 - sigma(z)) are softplus(-z) and softplus(z), "
            "exact for a logit of any size, with no threshold to choose.",
            group="form",
        ),
        Fault(
            "probabilities_unclipped",
            "Your function turns the logits into probabilities and takes their log: for a confident logit the "
            "sigmoid rounds to exactly 1 or 0, the log of 0 is -inf, and 0 times -inf (the term of the other "
            "label) is NaN.",
            "Never go through the probability: with softplus(z) = log(1 + e^z), -log sigma(z) is softplus(-z) "
            "and -log(1 - sigma(z)) is softplus(z).",
            group="form",
        ),
        Fault(
            "eps_inside_log",
            "Your function turns the logits into probabilities and adds a small eps inside the log, "
            "log(p + eps) and log(1 - p + eps): for a confident logit the sigmoid rounds to exactly 0 or 1, "
            "and the loss of a confidently wrong entry is then capped at -log(eps) = 18.4 nats (eps = 1e-8). "
            "A logit of 1e4 against a label of 0 should cost 1e4 nats, and one of 40 costs 40; a confidently "
            "right entry costs about -eps, a little below 0.",
            "Stay with the logits, with no eps to choose: -log sigma(z) and -log(1 - sigma(z)) are "
            "softplus(-z) and softplus(z), exact for a logit of any size.",
            group="form",
        ),
        Fault(
            "sigmoid_overflow",
            "Your function computes log(1 + exp(z)) or log(1 + exp(-z)) as written (or a sigmoid "
            "1 / (1 + exp(-z)), whose log it takes): for a logit of +-1e4, exp(+-1e4) overflows to inf. The "
            "term is then inf where the loss should be about 1e4 (a sigmoid of exactly 0 has the log -inf), "
            "and times a label of 0 (the term that label does not use) it is 0 * inf = NaN. Use "
            "np.logaddexp(0, z) and np.logaddexp(0, -z), which never form exp(+-z).",
            "`np.logaddexp(0, z)` is log(e^0 + e^z) = log(1 + e^z), and `np.logaddexp(0, -z)` is "
            "log(1 + e^-z), both computed without forming e^z or e^-z (they factor out the larger term).",
            group="form",
        ),
        Fault(
            "softmax_over_pitches",
            "Your function scores each frame with a softmax over the pitches, as if exactly one pitch sounded "
            "at each step. A frame of a chorale holds a chord, several pitches at once (or none, in a rest): "
            "each pitch is its own yes/no, a Bernoulli with probability sigma(z).",
            "Treat each entry on its own: -log sigma(z) where the pitch sounds, -log(1 - sigma(z)) where it "
            "does not, summed over the pitches. No normalisation across the pitches.",
            group="form",
        ),
        Fault(
            "off_notes_ignored",
            "Your function only scores the pitches that sound (y = 1): the silent pitches cost nothing, so a "
            "model that predicts every pitch on at every step would get a loss of 0. A silent pitch costs "
            "-log(1 - sigma(z)).",
            "Each entry is a yes/no: y = 1 costs -log sigma(z) and y = 0 costs -log(1 - sigma(z)). Both terms "
            "are in the loss.",
        ),
        Fault(
            "labels_swapped",
            "Your function uses 1 - y where y belongs: it scores the model as if every sounding pitch were "
            "silent and every silent pitch sounding.",
            "A frame's entry is 1 where the pitch sounds; the term with log sigma(z) (the probability of 'on') "
            "goes with y = 1.",
        ),
        Fault(
            "mean_over_pitches",
            "Your function averages over the pitches instead of summing them: the loss of a frame is the sum "
            "of its P independent yes/no losses (the log of a product of probabilities), so yours is P times "
            "too small.",
            "The frame's log-likelihood is the sum over its pitches; only the time steps (and the batch) are "
            "averaged over.",
        ),
        Fault(
            "sum_over_steps",
            "Your function sums over the time steps instead of averaging: the result is the loss of the whole "
            "sequence (and batch), not nats per step, and grows with the length.",
            "Sum over the pitches of each frame (the last axis), then take the mean over all the remaining "
            "axes (the steps, and the batch if there is one).",
        ),
        Fault(
            "sign_flipped",
            "Your function returns the log-likelihood, not its negative: the result is negative, and "
            "minimising it would make the model worse.",
            "A log-probability is at most 0; the loss is minus it, a non-negative number of nats.",
        ),
    ],
    incompatible=[
        ("softmax_over_pitches", "off_notes_ignored"),  # a softmax cross-entropy only has the y = 1 term
        # y log(1 + e^-z) alone is -y log sigma(z): the same numbers, NaN and all, as
        # probabilities_unclipped+off_notes_ignored, which names it
        ("sigmoid_overflow", "off_notes_ignored"),
    ],
    hints=[
        "Each pitch of each frame is its own yes/no: the model says 'on' with probability sigma(z). One "
        "entry costs -log sigma(z) if y = 1 and -log(1 - sigma(z)) if y = 0. Sum over the P pitches of a "
        "frame, then average over the frames (all the leading axes).",
        "In terms of the logit, -log sigma(z) = softplus(-z) and -log(1 - sigma(z)) = softplus(z), with "
        "softplus(z) = log(1 + e^z); together y softplus(-z) + (1 - y) softplus(z) = softplus(z) - y z. Never "
        "form sigma(z) itself: it rounds to exactly 0 or 1 for a confident logit.",
        "`np.logaddexp(0, logits)` is softplus without overflow: `per_pitch = np.logaddexp(0, logits) - "
        "frames * logits`, then `per_pitch.sum(axis=-1).mean()`; return it as a float.",
    ],
)

EXERCISES = (piano_roll, bernoulli_nll)
