"""Exercises of lesson 10 (sequence classification): one vector per padded sequence.

Single source: each reference is the package's own function in :mod:`rnncourse.pooling` (its
arguments checked, and torch tensors handled, by a wrapper; ``inspect.getsource`` shows the
NumPy body, which runs on its own). Every ``impl(faults, outputs, lengths)`` below reproduces
its reference when ``faults`` is empty, and a named mistake for each fault, written the way a
learner would write it: where the learner's indexing fails (an index past the end, shapes that
do not broadcast), the variant fails on the same cases, so a learner's error is named too.
"""

from __future__ import annotations

import numpy as np

from rnncourse import pooling

from .core import Case, Exercise, Fault


def _padded_outputs(rng, lengths, T, H, padding=(4.0, 6.0)):
    """Outputs (T, B, H): real steps ~ N(0, 1), padding steps uniform in ``padding`` (or, when
    ``padding`` is None, ~ N(0, 1) too, like the states a layer computes while reading padding)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    B = len(lengths)
    outputs = rng.normal(0.0, 1.0, (T, B, H))
    if padding is not None:
        real = np.arange(T)[:, None] < lengths[None, :]  # (T, B)
        outputs = np.where(real[:, :, None], outputs, rng.uniform(*padding, (T, B, H)))
    return outputs, lengths


# ----------------------------------------------------------------------------- last valid state
def _last_valid_state(f, outputs, lengths):
    T, B, H = outputs.shape
    if "last_padded_step" in f:
        return outputs[-1].copy()
    if "first_step" in f:
        return outputs[0].copy()
    if "max_over_time" in f:
        return outputs.max(axis=0)
    if "index_is_length" in f:
        steps = lengths  # past the end (IndexError) for a sequence of full length
    elif "index_is_length_clipped" in f:
        steps = np.minimum(lengths, T - 1)
    elif "one_step_early" in f:
        steps = lengths - 2  # -1 for a length of 1: wraps round to the final step
    else:
        steps = lengths - 1
    if "swapped_indices" in f:
        return outputs[np.arange(B), steps]  # as if (B, T, H); IndexError where out of range
    if "no_batch_index" in f:
        return outputs[steps]  # (B, B, H)
    return outputs[steps, np.arange(B)]


def _last_valid_state_cases(rng):
    def case(label, lengths, T, H):
        # the padding holds states like the real ones (a layer keeps running over padding)
        outputs, lengths = _padded_outputs(rng, lengths, T, H, padding=None)
        return Case(label, (outputs, lengths), dict(T=T, B=len(lengths), H=H))

    return [
        case("T=6, B=4, H=3, lengths [4, 2, 6, 1]", [4, 2, 6, 1], 6, 3),
        case("T=1 (one step per sequence), B=3, H=2", [1, 1, 1], 1, 2),
        case("B=1, length 4 of T=7, H=2", [4], 7, 2),
        case("H=1, T=5, B=3, lengths [3, 5, 2]", [3, 5, 2], 5, 1),
        case("no padding (every length is T=3), B=3, H=4", [3, 3, 3], 3, 4),
        case("T=7, B=4, H=2, lengths [2, 3, 1, 3]", [2, 3, 1, 3], 7, 2),
    ]


last_valid_state = Exercise(
    id="last_valid_state",
    title="The last real hidden state of each padded sequence",
    lesson="10_classification",
    reference=pooling.last_valid_state,
    impl=_last_valid_state,
    output_names=("last",),
    make_cases=_last_valid_state_cases,
    faults=[
        Fault(
            "last_padded_step",
            "Your function returns every sequence's state at the final step of the padded batch. For a sequence "
            "shorter than T that state was computed after reading padding, so it is not the state at the end of "
            "the sequence (it is right only for the sequences of full length).",
            "Each sequence ends at its own step: use `lengths` to find, for each sequence, where its real steps "
            "stop.",
            group="step",
        ),
        Fault(
            "first_step",
            "Your function returns each sequence's state after its first step: it has read only one input.",
            "The summary of a sequence is the state after reading all of its real inputs, at its last real step.",
            group="step",
        ),
        Fault(
            "max_over_time",
            "Your function takes the largest value of each feature over all T steps, padding included, instead "
            "of picking the state at one step.",
            "No reduction over time is needed: pick one row of `outputs` per sequence, the one at its last real "
            "step.",
            group="step",
        ),
        Fault(
            "index_is_length",
            "Your function reads the step just after each sequence's last real step: for a sequence of full "
            "length there is no such step (an IndexError), and for the others it is a state computed after "
            "reading one padding step.",
            "Steps are counted from 0: a sequence of length L has its real steps at t = 0, 1, ..., L - 1.",
            group="step",
        ),
        Fault(
            "index_is_length_clipped",
            "Your function reads the step just after each sequence's last real step (held back at the final step "
            "for the sequences of full length): the shorter sequences get a state computed after reading one "
            "padding step.",
            "Steps are counted from 0: a sequence of length L has its real steps at t = 0, 1, ..., L - 1, so no "
            "index needs clipping.",
            group="step",
        ),
        Fault(
            "one_step_early",
            "Your function reads the step before each sequence's last real step, so the last real input is never "
            "seen (and for a sequence of length 1 the negative index wraps round to the final padded step).",
            "Steps are counted from 0: a sequence of length L has its real steps at t = 0, 1, ..., L - 1.",
            group="step",
        ),
        Fault(
            "swapped_indices",
            "Your function indexes `outputs` as if it were batch-major, (B, T, H): the sequence numbers go to the "
            "time axis and the steps to the batch axis (an IndexError wherever one is out of range).",
            "In this course sequences are time-major: `outputs[t, b]` is the state of sequence b at step t. Put "
            "the steps first.",
            group="indexing",
        ),
        Fault(
            "no_batch_index",
            "Your function indexes only the time axis, so for each sequence's step it returns the states of the "
            "whole batch at that step: an array (B, B, H) instead of one row per sequence.",
            "Pair each step with its own sequence: index the batch axis too, with `np.arange(B)`, so that the two "
            "index arrays are matched element by element.",
            group="indexing",
        ),
    ],
    incompatible=[
        (a, b)
        for a in ("last_padded_step", "first_step", "max_over_time")
        for b in ("swapped_indices", "no_batch_index")
    ],  # these take a whole step (or reduce over time): no per-sequence index to get wrong
    hints=[
        "Sequence b has `lengths[b]` real steps, followed by padding; the states at the padding steps were "
        "computed after reading padding. For each sequence b, pick the row `outputs[t, b]` at its own last real "
        "step: a different t for each sequence, and a result of shape (B, H).",
        "As a loop: `result = np.empty((B, H))`, then for each b, row b of the result is `outputs[t, b]` with t "
        "the last real step of sequence b. Steps are counted from 0, so a sequence of length L ends at t = L - 1.",
        "Without a loop: index two axes at once with two integer arrays of length B, `outputs[steps, batch]`. "
        "NumPy pairs them element by element and returns (B, H). Here `steps = lengths - 1` and "
        "`batch = np.arange(B)`.",
    ],
)


# ----------------------------------------------------------------------------- masked mean pool
def _masked_mean_pool(f, outputs, lengths):
    T, B, H = outputs.shape
    axis = 1 if "wrong_axis" in f else 0  # 1: across the batch at each step
    if "mean_over_all_steps" in f:
        return outputs.mean(axis=axis)
    t = np.arange(T)[:, None]
    real = t <= lengths if "mask_one_step_too_long" in f else t < lengths  # (T, B)
    if "padding_summed" in f:
        real = np.ones_like(real)
    if "mask_multiplied" in f:  # 0 * NaN is NaN: padding that holds NaN leaks through
        total = (outputs * real[:, :, None]).sum(axis=axis)
    else:
        total = np.where(real[:, :, None], outputs, 0.0).sum(axis=axis)  # (B, H), or (T, H) across the batch
    if "summed_not_averaged" in f:
        return total
    if "divided_by_T" in f:
        return total / outputs.shape[axis]
    count = lengths if axis == 0 else real.sum(axis=1)  # across the batch: the real sequences at each step
    if "lengths_not_broadcast" in f:
        return total / count  # (B, H) / (B,): lined up with the H features
    return total / count[:, None]


def _masked_mean_pool_cases(rng):
    def case(label, lengths, T, H):
        outputs, lengths = _padded_outputs(rng, lengths, T, H)  # padding stands out: every mistake shows
        return Case(label, (outputs, lengths), dict(T=T, B=len(lengths), H=H))

    def nan_case(label, lengths, T, H, everywhere):
        outputs, lengths = _padded_outputs(rng, lengths, T, H)
        if everywhere:
            outputs[np.arange(T)[:, None] >= lengths[None, :]] = np.nan  # every padding step
        else:
            outputs[-1, int(np.argmin(lengths)), 0] = np.nan  # one padding entry; the rest still tells
        return Case(label, (outputs, lengths), dict(T=T, B=len(lengths), H=H))

    return [
        nan_case("T=6, B=4, H=3, lengths [4, 2, 6, 1], one padding entry NaN", [4, 2, 6, 1], 6, 3,
                 everywhere=False),
        case("T=1 (one step per sequence), B=3, H=2", [1, 1, 1], 1, 2),
        case("B=1, length 4 of T=7, H=2", [4], 7, 2),
        case("H=1, T=5, B=3, lengths [3, 5, 2]", [3, 5, 2], 5, 1),
        case("no padding (every length is T=4), B=2, H=3", [4, 4], 4, 3),
        case("B=3 equal to H=3, T=5, lengths [2, 5, 3]", [2, 5, 3], 5, 3),
        nan_case("every padding step NaN: T=5, B=3, H=2, lengths [3, 5, 1]", [3, 5, 1], 5, 2,
                 everywhere=True),
    ]


masked_mean_pool = Exercise(
    id="masked_mean_pool",
    title="Mean pooling over the real steps of padded sequences",
    lesson="10_classification",
    reference=pooling.masked_mean_pool,
    impl=_masked_mean_pool,
    output_names=("pooled",),
    make_cases=_masked_mean_pool_cases,
    faults=[
        Fault(
            "mean_over_all_steps",
            "Your function averages over all T steps, padding included: the result depends on whatever the "
            "padding holds, and a short sequence is diluted by it.",
            "Only the real steps of a sequence count, both in the total and in the number you divide by.",
            group="steps",
        ),
        Fault(
            "padding_summed",
            "Your function divides by each sequence's own length, but the total it divides adds up the padding "
            "steps as well as the real ones.",
            "Leave the padding out of the total: zero it (or select the real steps) before adding up over time.",
            group="steps",
        ),
        Fault(
            "mask_one_step_too_long",
            "Your mask of real steps is one step too long: besides the real steps, the total includes the first "
            "padding step of every sequence shorter than T.",
            "Steps are counted from 0: a sequence of length L has its real steps at t = 0, 1, ..., L - 1. Check "
            "the comparison that builds your mask.",
            group="steps",
        ),
        Fault(
            "mask_multiplied",
            "Your function zeroes the padding by multiplying it by a 0/1 mask. That works for finite padding, "
            "but 0 * NaN is NaN (and 0 * inf too), so padding that holds NaN turns the whole mean into NaN.",
            "Select the real steps instead of multiplying, e.g. `np.where(mask[:, :, None], outputs, 0.0)`, "
            "so that what the padding holds is never used at all.",
            group="steps",
        ),
        Fault(
            "divided_by_T",
            "Your function leaves the padding out of the total but divides it by the padded length T, not by each "
            "sequence's own number of real steps, so the shorter sequences come out too small.",
            "Divide by the number of steps you actually added up, which is different for each sequence.",
            group="divisor",
        ),
        Fault(
            "summed_not_averaged",
            "Your function adds up each sequence's real steps but does not divide: the result grows with the "
            "length of the sequence.",
            "A mean divides the total by the number of terms: here each sequence's own number of real steps.",
            group="divisor",
        ),
        Fault(
            "lengths_not_broadcast",
            "Your function divides the totals (B, H) by `lengths` (B,) as it is: NumPy lines the B lengths up "
            "with the H features, so the shapes fit only when H equals B (or one of them is 1), and where they "
            "do, feature j of every sequence is divided by the length of sequence j.",
            "Row b must be divided by `lengths[b]`: turn the lengths into a column, shape (B, 1), so that they "
            "broadcast along the features.",
            group="divisor",
        ),
        Fault(
            "wrong_axis",
            "Your function averages across the batch at each time step instead of over time for each sequence: "
            "it returns one row per step, (T, H), instead of one row per sequence, (B, H).",
            "`outputs` is time-major, (T, B, H): time is axis 0. Reduce over time, keeping one row per sequence.",
        ),
    ],
    incompatible=[
        ("mean_over_all_steps", "divided_by_T"),  # already a mean over all T steps
        ("mean_over_all_steps", "summed_not_averaged"),  # the same as padding_summed + summed_not_averaged
        ("mean_over_all_steps", "lengths_not_broadcast"),
        ("padding_summed", "divided_by_T"),  # the same as mean_over_all_steps
        ("padding_summed", "wrong_axis"),  # the same as mean_over_all_steps + wrong_axis
        ("lengths_not_broadcast", "wrong_axis"),
        ("mask_multiplied", "lengths_not_broadcast"),  # the shapes fit only where no padding is NaN
    ],
    hints=[
        "Sequence b has `lengths[b]` real steps, followed by padding whose values must not count. For each "
        "sequence, add up its real rows `outputs[t, b]` and divide by its own number of real steps: one row of "
        "H features per sequence, (B, H).",
        "Build a boolean mask (T, B) of the real steps: `np.arange(T)[:, None] < lengths` compares every step "
        "with every length. Use it to zero the padding with `np.where`, giving the mask a last axis of size 1 "
        "(`mask[:, :, None]`) so that it broadcasts over the H features.",
        "`np.where(mask[:, :, None], outputs, 0.0).sum(axis=0)` adds up the real steps of each sequence, (B, H). "
        "Divide it by `lengths[:, None]`, a column, so that row b is divided by `lengths[b]`.",
    ],
)
