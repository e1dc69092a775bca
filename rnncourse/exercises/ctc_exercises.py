"""Exercises of lesson 13 (images as sequences, CTC): best-path decoding, and one step of the
CTC forward (alpha) recursion in log space.

Single source: each reference is the package's own function
(:func:`rnncourse.decoding.ctc_greedy_decode`, :func:`rnncourse.numpy.ctc.ctc_alpha_step`; its
arguments checked by a wrapper, ``inspect.getsource`` showing the NumPy body). Every
``impl(faults, ...)`` below reproduces its reference when ``faults`` is empty, and a named
mistake for each fault, written the way a learner would write it: where the learner's index
runs past the end of an array (the emission read at position s of a target longer than the
alphabet), the variant fails on the same cases, so a learner's error is named too.

CTC's log-probabilities are -inf wherever no path reaches, so the outputs compared hold -inf;
the comparison treats -inf as equal to -inf, quietly. The cases of ``ctc_alpha_step`` include
an empty target (S' = 1, the blank alone), on which a shift written with ``log_alpha[:-2]`` has
the wrong length.
"""

from __future__ import annotations

import functools

import numpy as np

from rnncourse import decoding
from rnncourse.numpy import ctc

from .core import Case, Exercise, Fault

LESSON = "13_images_as_sequences"


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# ----------------------------------------------------------------------------- ctc_greedy_decode
def _ctc_greedy_decode(f, log_probs, blank=0):
    if "blank_assumed_zero" in f:
        blank = 0
    path = np.argmax(log_probs, axis=0 if "argmax_over_time" in f else 1).tolist()
    if "merged_across_blank" in f:
        path = [k for k in path if k != blank]  # blanks dropped first: a - a becomes a a
    labels = []
    start = 1 if "first_step_dropped" in f else 0  # the loop compares each step with the one before
    for t in range(start, len(path)):
        k = path[t]
        new_run = "repeats_not_merged" in f or t == 0 or k != path[t - 1]
        if new_run and (k != blank or "blanks_kept" in f):
            labels.append(k)
    return labels


def _ctc_greedy_decode_cases(rng):
    def case(label, path, C, blank=0, hard=False):
        path = np.asarray(path)
        T = len(path)
        if hard:  # one-hot outputs: log 1 = 0, log 0 = -inf
            log_probs = np.where(np.eye(C, dtype=bool)[path], 0.0, -np.inf)
        else:  # noisy outputs whose likeliest class at step t is path[t], with a clear margin
            logits = rng.normal(0.0, 1.0, (T, C))
            logits[np.arange(T), path] = logits.max(axis=1) + rng.uniform(0.5, 2.5, T)
            log_probs = _log_softmax(logits)
        return Case(label, (log_probs, blank), dict(T=T, C=C))

    def runs(classes, lengths):
        return [k for k, n in zip(classes, lengths) for _ in range(n)]

    long_classes = [1, 0, 2, 2, 0, 5, 3, 0, 3, 4, 0]  # a label twice with no blank between: one run
    long_lengths = rng.integers(3, 9, len(long_classes))
    return [
        case("a a - a b b - - c c c -: a blank keeps the two a apart, C=5",
             [1, 1, 0, 1, 2, 2, 0, 0, 3, 3, 3, 0], 5),
        case("T=1: one step, a label, C=4", [2], 4),
        case("every step the blank: nothing to read, T=6, C=3", [0] * 6, 3),
        case("labels at the first and the last step, T=7, C=6", [5, 0, 3, 3, 0, 1, 4], 6),
        case("the same label three times, a blank between each: - a a - a - - a -, C=3",
             [0, 1, 1, 0, 1, 0, 0, 1, 0], 3),
        case(f"long runs of 3 to 8 steps, T={int(long_lengths.sum())}, C=6",
             runs(long_classes, long_lengths), 6),
        case("blank = C - 1 = 4 (not 0), label 0 in use, C=5", [0, 0, 4, 1, 1, 4, 0, 4, 4, 3, 3], 5, blank=4),
        case("hard one-hot outputs (log 0 = -inf), T=8, C=4", [3, 3, 0, 0, 3, 2, 2, 0], 4, hard=True),
        case("blank = 2 in the middle of C=5", [2, 1, 1, 2, 2, 0, 3, 3, 2, 0, 0, 2], 5, blank=2),
    ]


ctc_greedy_decode = Exercise(
    id="ctc_greedy_decode",
    title="Best-path (greedy) decoding of CTC outputs",
    lesson=LESSON,
    reference=decoding.ctc_greedy_decode,
    impl=_ctc_greedy_decode,
    output_names=("labels",),
    make_cases=_ctc_greedy_decode_cases,
    faults=[
        Fault(
            "repeats_not_merged",
            "Your function drops the blanks but keeps every step of a run: a label held for three steps is "
            "read three times (`a a - b` reads `a a b`). A network holds a label for as many steps as the "
            "character is wide, so the consecutive repeats of a path are one label.",
            "First merge each run of equal consecutive classes into one, then drop the blanks.",
            group="collapse",
        ),
        Fault(
            "merged_across_blank",
            "Your function drops the blanks first and merges repeats afterwards: two equal labels with a blank "
            "between them become one (`a - a` reads `a`). The blank between them is exactly what makes a double "
            "letter readable; only consecutive equal classes are one run.",
            "Do it in the other order: merge runs of equal consecutive classes on the path as it is, blanks "
            "included, and drop the blanks only then.",
            group="collapse",
        ),
        Fault(
            "blanks_kept",
            "Your function merges the repeats but keeps the blanks: the blank's index shows up among the "
            "labels. The blank means 'no label at this step'; it is never part of what is read.",
            "After merging the runs, leave out every run of the blank (compare with the `blank` argument).",
        ),
        Fault(
            "blank_assumed_zero",
            "Your function treats class 0 as the blank whatever `blank` says: when the blank is another class, "
            "label 0 disappears from what is read and the real blank is read as a label.",
            "Compare with the `blank` argument, not with 0: the blank can be any class (some models put it "
            "last, at C - 1).",
        ),
        Fault(
            "argmax_over_time",
            "Your function takes the argmax over the time axis (axis 0): for each class it finds the step "
            "where that class is likeliest, so it 'reads' step numbers, one per class, instead of one class "
            "per step.",
            "`log_probs` is (T, C): the likeliest class at step t is the argmax of row t, over the classes, "
            "axis 1. The path has T entries.",
        ),
        Fault(
            "first_step_dropped",
            "Your function never reads the first step: a label that starts at t = 0 is lost (your loop starts "
            "at t = 1, comparing each step with the one before, and the first step has none).",
            "The first step starts a run by itself. Start with 'no previous class' (None, say) and loop over "
            "every step, or handle t = 0 before the loop.",
        ),
    ],
    incompatible=[
        ("merged_across_blank", "repeats_not_merged"),  # nothing is merged, across blanks or not
        ("merged_across_blank", "blanks_kept"),  # the blanks are gone before the merge
        ("blanks_kept", "blank_assumed_zero"),  # which class is the blank no longer matters
        ("merged_across_blank", "argmax_over_time"),  # step numbers hardly ever repeat: nothing to merge
    ],
    hints=[
        "Two steps: find the path (the likeliest class at each of the T steps), then read it: merge each run "
        "of equal consecutive classes into one, and drop the blanks. `- a a - a b b -` reads `a a b`.",
        "The order matters: merge first, on the path as it is, then drop the blanks; the blank between the "
        "two `a` keeps them apart. `np.argmax(log_probs, axis=1)` gives the path, (T,).",
        "Loop over the path with `previous = None`: append the class k when `k != previous and k != blank`, "
        "then set `previous = k` (at every step, blanks included). Return the list of labels.",
    ],
)


# ----------------------------------------------------------------------------- ctc_alpha_step
def _ctc_alpha_step(f, log_alpha, log_probs_t, extended, blank=0):
    if "blank_assumed_zero" in f:
        blank = 0
    S = len(extended)
    s = np.arange(S)
    way = -1 if "shift_reversed" in f else 1  # a term from s - k, or (reversed) from s + k
    none = np.full(2, -np.inf)
    if "roll_wraps_around" in f:  # np.roll, or a loop's log_alpha[s - 2] at s < 2, wraps round the end
        advance, skip, previous = np.roll(log_alpha, way), np.roll(log_alpha, 2 * way), np.roll(extended, 2 * way)
    elif "shape_breaks_for_short_targets" in f:  # log_alpha[:-2] is empty when S' = 1: (2,), not (S',)
        if way == 1:
            advance = np.concatenate([none[:1], log_alpha[:-1]])
            skip = np.concatenate([none, log_alpha[:-2]])
            previous = np.concatenate([[-1, -1], extended[:-2]])
        else:
            advance = np.concatenate([log_alpha[1:], none[:1]])
            skip = np.concatenate([log_alpha[2:], none])
            previous = np.concatenate([extended[2:], [-1, -1]])
    elif way == 1:  # (S',) from s - 1 and s - 2, and the label at s - 2
        advance = np.concatenate([none[:1], log_alpha])[:S]
        skip = np.concatenate([none, log_alpha])[:S]
        previous = np.concatenate([[-1, -1], extended])[:S]
    else:  # from s + 1 and s + 2: the arrays shifted the other way
        advance = np.concatenate([log_alpha, none[:1]])[1:]
        skip = np.concatenate([log_alpha, none])[2:]
        previous = np.concatenate([extended, [-1, -1]])[2:]
    is_label = extended != blank
    if "skip_between_equal_labels" in f and "skip_into_blank" in f:
        can_skip = np.ones(len(extended), dtype=bool)  # no condition at all
    elif "skip_between_equal_labels" in f:
        can_skip = is_label
    elif "skip_into_blank" in f:
        can_skip = ~is_label | (extended != previous)  # only equal labels are kept from skipping
    else:
        can_skip = is_label & (extended != previous)
    if "skip_masked_by_multiplying" in f:
        skip = can_skip * skip  # 0 * -inf = NaN, 0 * a finite log = 0 (log 1)
    else:
        skip = np.where(can_skip, skip, -np.inf)
    # the ways into s, and where each exists (for a learner who adds the terms that exist)
    rolled = "roll_wraps_around" in f
    within = (s - way >= 0) & (s - way < S)  # the term from s - 1 (or s + 1) exists
    within2 = (s - 2 * way >= 0) & (s - 2 * way < S)
    ways = [(advance, within | rolled)]
    if "stay_missing" not in f:
        ways.insert(0, (log_alpha, np.ones(S, dtype=bool)))
    if "skip_missing" not in f:
        ways.append((skip, can_skip & (within2 | rolled)))
    terms = [t for t, _ in ways]
    if "no_logsumexp" in f:
        total = functools.reduce(np.maximum, terms)  # the best path only (Viterbi)
    elif "summed_logs" in f:  # the terms that exist, added as logs: a product of probabilities
        total = sum(np.where(exists, t, 0.0) for t, exists in ways)
    elif "exp_underflow" in f:
        total = np.log(sum(np.exp(t) for t in terms))
    elif "unreached_is_nan" in f:
        m = functools.reduce(np.maximum, terms)  # -inf where nothing reaches
        total = m + np.log(sum(np.exp(t - m) for t in terms))
    else:
        total = functools.reduce(np.logaddexp, terms)
    if "emission_missing" in f:
        return total
    if "emission_of_position" in f:
        return total + log_probs_t[np.arange(len(extended))]  # IndexError when S' > C
    return total + log_probs_t[extended]


def _alpha_before(rng, target, C, t, blank=0, spread=1.0, favour=None):
    """(alpha_{t-1}, log_probs_t, extended): t - 1 steps of the recursion on random outputs
    (the class ``favour``, if any, likelier than the others at every step)."""
    extended = ctc.extend_with_blanks(np.asarray(target, dtype=np.int64), blank)  # (S',)
    logits = rng.normal(0.0, spread, (t + 1, C))
    if favour is not None:
        logits[:, favour] += 2.5
    rows = _log_softmax(logits)  # (t + 1, C)
    alpha = np.full(len(extended), -np.inf)
    alpha[:2] = rows[0, extended[:2]]  # a path starts at the first blank or the first label
    for k in range(1, t):
        alpha = _ctc_alpha_step(frozenset(), alpha, rows[k], extended, blank)
    return alpha, rows[t], extended


def _ctc_alpha_step_cases(rng):
    def case(label, target, C, t, blank=0, spread=1.0, favour=None):
        log_alpha, log_probs_t, extended = _alpha_before(rng, target, C, t, blank, spread, favour)
        return Case(label, (log_alpha, log_probs_t, extended, blank), {"S'": len(extended), "C": C})

    return [
        case("target [2, 2, 3] (a repeated label), C=9, S'=7, step t=6: every position reached",
             [2, 2, 3], 9, 6),
        case("step t=1: alpha_0 is -inf beyond position 1, target [1, 4, 2], C=8, S'=7",
             [1, 4, 2], 8, 1),
        case("a target of one label (S=1, S'=3), C=4, step t=3", [2], 4, 3),
        case("step t=2 of target [2, 2, 2], label 2 likely: the last positions still -inf, C=4, S'=7 "
             "(longer than C)", [2, 2, 2], 4, 2, favour=2),
        case("blank = C - 1 = 9 (not 0), target [1, 0, 4, 0] (label 0 in use), label 1 likely, C=10, S'=9, "
             "step t=7", [1, 0, 4, 0], 10, 7, blank=9, favour=1),
        case("a long input, step t=480: alpha near -1000 (exp underflows to 0), target [3, 1, 3], C=8, S'=7",
             [3, 1, 3], 8, 480, spread=0.5),
        case("target [5, 1, 1, 6, 2], C=7, S'=11 (longer than C), step t=12", [5, 1, 1, 6, 2], 7, 12),
        case("an empty target (S=0, S'=1: the extended target is the blank alone), C=3, step t=4", [], 3, 4),
    ]


ctc_alpha_step = Exercise(
    id="ctc_alpha_step",
    title="One step of the CTC forward (alpha) recursion in log space",
    lesson=LESSON,
    reference=ctc.ctc_alpha_step,
    impl=_ctc_alpha_step,
    output_names=("log_alpha_t",),
    make_cases=_ctc_alpha_step_cases,
    faults=[
        Fault(
            "skip_between_equal_labels",
            "Your step lets a path jump from s - 2 to s even when the labels at s and s - 2 are equal: it skips "
            "the blank between two equal labels, so the path reads them as one (`a a` read as `a`). A blank "
            "between two equal labels is what makes `a a` readable, so it may not be skipped.",
            "The skip from s - 2 is allowed only into a label that differs from the label at s - 2. For the "
            "target [2, 2], position 3 (the second 2) may be reached from 2 (the blank) or 3, not from 1.",
        ),
        Fault(
            "skip_into_blank",
            "Your step also lets a path jump from s - 2 into a blank at s: that skips the label at s - 1 "
            "altogether, so the path never emits it. Only a blank may be skipped, never a label.",
            "A skip leaves out the position between: allow it only into a label (extended[s] != blank) that "
            "differs from the label at s - 2. A blank is reached from itself or from the label before it.",
        ),
        Fault(
            "no_logsumexp",
            "Your step takes the maximum of the log-probabilities of the ways into position s instead of "
            "adding the probabilities: that keeps only the best path (the Viterbi recursion), not the sum over "
            "all the paths, so your alpha is too small.",
            "The ways into s are alternatives, so their probabilities add: in log space that is "
            "log(exp(a) + exp(b)), `np.logaddexp(a, b)`, which is a little more than max(a, b).",
            group="combine",
        ),
        Fault(
            "summed_logs",
            "Your step adds the log-probabilities of the ways into position s: that is the log of their "
            "product, as if a path took all of them at once. The ways are alternatives: their probabilities "
            "add, and in log space that is log-sum-exp, not a sum.",
            "Adding logs multiplies probabilities. To add probabilities given as logs a and b, compute "
            "log(exp(a) + exp(b)) stably: `np.logaddexp(a, b)`.",
            group="combine",
        ),
        Fault(
            "exp_underflow",
            "Your step computes log(exp(a) + exp(b) + exp(c)) directly: after a few hundred steps alpha is "
            "around -1000, exp of it underflows to 0, and the log of 0 is -inf, as if no path reached. That "
            "underflow is the reason CTC works in log space in the first place.",
            "Never leave log space: `np.logaddexp(a, b)` computes log(exp(a) + exp(b)) without forming the "
            "exponentials (it subtracts the larger of the two first).",
            group="combine",
        ),
        Fault(
            "unreached_is_nan",
            "Your log-sum-exp subtracts the maximum m of the terms, but where every term is -inf (a position no "
            "path reaches yet) m is -inf too and -inf - (-inf) is NaN: an unreached position must stay -inf.",
            "Where the maximum is -inf, shift by 0 instead (`np.where(np.isfinite(m), m, 0.0)`), or use "
            "`np.logaddexp`, which handles -inf.",
            group="combine",
        ),
        Fault(
            "emission_missing",
            "Your step sums over the ways into position s but never multiplies by the probability of emitting "
            "the class of s at this step: alpha must include the network's output log y_t(l'_s).",
            "After combining the ways in, add the log-probability, at step t, of the class at position s of "
            "the extended target.",
            group="emission",
        ),
        Fault(
            "emission_of_position",
            "Your step adds the log-probability of class s (the position's number) instead of the class at "
            "position s of the extended target, and fails when the extended target is longer than the "
            "alphabet. Position s emits the class extended[s].",
            "Look the class up first: the emission at position s is `log_probs_t[extended[s]]`, the blank at "
            "the even positions and a label at the odd ones.",
            group="emission",
        ),
        Fault(
            "roll_wraps_around",
            "Your step shifts alpha in a way that wraps around: `np.roll`, or a loop that reads `log_alpha[s - 1]` "
            "and `log_alpha[s - 2]` at s = 0 and 1 too (a negative index counts from the end in Python), brings "
            "the last positions of alpha round to the front, as if a path could come back to the first blank "
            "from the end of the target.",
            "Nothing comes from before position 0. Vectorised, shift with -inf coming in at the front and the "
            "end cut off: `np.concatenate([[-np.inf], log_alpha])[:S]` for s - 1 (and two -inf for s - 2); in a "
            "loop, take the term from s - 1 only when s >= 1 and the one from s - 2 only when s >= 2.",
        ),
        Fault(
            "shift_reversed",
            "Your step takes its terms from s + 1 and s + 2 instead of s - 1 and s - 2: the arrays are shifted "
            "the wrong way (`log_alpha[1:]` with -inf added at the end), so a path moves backwards along the "
            "extended target. A path only moves forward: position s is reached from s, s - 1 and s - 2.",
            "The advance term at position s is `log_alpha[s - 1]`: shift towards the end, with -inf coming in at "
            "the front (`np.concatenate([[-np.inf], log_alpha])[:S]`), and shift the skip term and the label "
            "at s - 2 the same way, by two.",
        ),
        Fault(
            "stay_missing",
            "Your step leaves out the way that stays at position s: a path may emit the same class on "
            "consecutive steps (a character wider than one step, or blanks in a row), so alpha_{t-1}(s) itself "
            "is one of the ways into s. Without it the first blank is never reached again after step 0 (it "
            "comes out -inf) and every path that holds a class for more than one step is lost.",
            "Position s is reached from s itself (stay), from s - 1 (advance) and sometimes from s - 2 (skip): "
            "combine all three, `log_alpha` included as it is.",
        ),
        Fault(
            "skip_missing",
            "Your step never lets a path skip from s - 2 to s: between two different labels the blank is "
            "optional (a path may go straight from `a` to `b`), so the skip is one of the ways into a label "
            "position. Without it alpha misses every path that has no blank between two different labels.",
            "Add the term from s - 2 (two positions back), allowed only into a label that differs from the "
            "label at s - 2; elsewhere it is -inf.",
        ),
        Fault(
            "skip_masked_by_multiplying",
            "Your step masks the skip term by multiplying it by the boolean mask (`can_skip * skip`): where the "
            "skip is not allowed that gives 0 * (-inf) = NaN, or 0 * a finite log-probability = 0, which is "
            "log 1, a certain path, instead of no path at all. A term that must not count is -inf in log "
            "space, and a multiplication cannot make it -inf.",
            "Select rather than multiply: `np.where(mask, skip, -np.inf)` keeps the skip where it is allowed "
            "and puts -inf (no path) everywhere else.",
        ),
        Fault(
            "shape_breaks_for_short_targets",
            "Your step gives an array of the wrong length when the target is empty (S' = 1, the extended "
            "target is the blank alone): the slice `log_alpha[:-2]` (or `log_alpha[2:]`) is then empty, so "
            "with the two -inf added to it the skip term has 2 entries, not S', and the result has the shape "
            "(2,). An empty target is a real case: an image with no digit in it.",
            "Shift so that the length stays S' whatever S' is: put the -inf in front of the whole array and "
            "cut the result back to S' (`[:len(log_alpha)]`), or fill `np.full(len(log_alpha), -np.inf)` and "
            "assign from index 2 on. The same for the labels at s - 2.",
        ),
        Fault(
            "blank_assumed_zero",
            "Your step tests for the blank with 0 whatever `blank` says: when the blank is another class, "
            "label 0 is treated as a blank and may not be reached by a skip.",
            "Compare with the `blank` argument, not with 0: the blank can be any class.",
        ),
    ],
    incompatible=[
        # blank = 0 no longer matters once every position may be skipped into
        ("blank_assumed_zero", "skip_between_equal_labels"),
        ("blank_assumed_zero", "skip_into_blank"),
        # without a skip term, which skips are allowed, and how they are masked, no longer matters
        ("skip_missing", "skip_between_equal_labels"),
        ("skip_missing", "skip_into_blank"),
        ("skip_missing", "blank_assumed_zero"),
        ("skip_missing", "skip_masked_by_multiplying"),
        # adding the logs of the terms that exist: a masked-out term is 0 either way
        ("summed_logs", "skip_masked_by_multiplying"),
        # np.roll keeps the length: no slice to come out empty
        ("roll_wraps_around", "shape_breaks_for_short_targets"),
        ("skip_missing", "shape_breaks_for_short_targets"),  # the slice that breaks is the skip's
    ],
    hints=[
        "Position s can be reached at step t from s itself (stay), from s - 1 (advance), and from s - 2 "
        "(skip a blank), but the skip only into a label that differs from the label at s - 2. Then multiply by "
        "the probability of emitting the class at s: in log space, add log_probs_t[extended[s]].",
        "The ways in are alternatives, so their probabilities add: log(exp(a) + exp(b)) is `np.logaddexp(a, b)`, "
        "stable and -inf-safe (never `np.log(np.exp(...))`: alpha is near -1000 after a few hundred steps). "
        "A term before position 0 is -inf.",
        "Vectorised, with S = len(log_alpha): `advance = np.concatenate([[-np.inf], log_alpha])[:S]`, `skip` "
        "likewise shifted by two (cut back to S, it keeps its length even for an empty target, S = 1); the "
        "label two positions back, shifted the same way, gives `can_skip = (extended != blank) & (extended "
        "!= previous)`; `skip = np.where(can_skip, skip, -np.inf)`; combine with two `np.logaddexp` and add "
        "`log_probs_t[extended]`.",
    ],
)

EXERCISES = (ctc_greedy_decode, ctc_alpha_step)
