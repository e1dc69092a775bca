"""Exercises of lesson 11 (sequence to sequence): additive attention, teacher forcing.

Single source: each reference is the package's own function, :func:`rnncourse.attention.additive_attention`
and :func:`rnncourse.teacher_forcing.teacher_forcing_inputs` (their arguments checked by a
wrapper; ``inspect.getsource`` shows the NumPy body, which runs on its own). Every
``impl(faults, *args)`` below reproduces its reference when ``faults`` is empty, and a named
mistake for each fault, written the way a learner would write it: where the learner's shapes do
not fit (the projections swapped when H != Hk), the variant fails on the same cases, so a
learner's error is named too.
"""

from __future__ import annotations

import numpy as np

from rnncourse import attention, teacher_forcing

from .core import Case, Exercise, Fault


# ----------------------------------------------------------------------------- additive attention
def _additive_attention(f, query, keys, mask, W_q, W_k, v):
    W_a, W_b = (W_k, W_q) if "projections_swapped" in f else (W_q, W_k)
    pre = query @ W_a.T + keys @ W_b.T  # (S, B, A), from the keys as they are (padding included)
    hidden = pre if "missing_tanh" in f else np.tanh(pre)
    scores = hidden.sum(axis=-1) if "scores_summed" in f else hidden @ v  # (S, B)
    unmasked = "padding_not_masked" in f or "mask_after_softmax" in f
    if not unmasked:
        scores = np.where(mask, scores, -np.inf)
    axis = 1 if "softmax_over_batch" in f else 0
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    weights = e / e.sum(axis=axis, keepdims=True)
    if "mask_after_softmax" in f:
        weights = weights * mask  # zero on padding, but no longer summing to 1
    # a learner who multiplies by the (zero) weights instead of selecting: 0 * NaN is NaN
    raw = unmasked or "padding_keys_multiplied" in f
    values = keys if raw else np.where(mask[:, :, None], keys, 0.0)
    context = (weights[:, :, None] * values).sum(axis=1 if "context_wrong_axis" in f else 0)
    return context, weights


def _additive_attention_cases(rng):
    def case(label, lengths, S, H, Hk, A, padding="normal"):
        lengths = np.asarray(lengths)
        B = len(lengths)
        mask = np.arange(S)[:, None] < lengths[None, :]  # (S, B)
        keys = rng.normal(0.0, 1.0, (S, B, Hk))
        if padding == "one_nan":
            s, b = np.argwhere(~mask)[0]
            keys[s, b, 0] = np.nan
        elif padding == "inf":
            keys[~mask] = np.inf
        query = rng.normal(0.0, 1.0, (B, H))
        W_q = rng.normal(0.0, 1.0 / np.sqrt(H), (A, H))
        W_k = rng.normal(0.0, 1.0 / np.sqrt(Hk), (A, Hk))
        v = rng.normal(0.0, 1.5, A)
        return Case(label, (query, keys, mask, W_q, W_k, v), dict(S=S, B=B, H=H, Hk=Hk, A=A))

    return [
        case("S=6, B=4, H=3, Hk=5, A=4, lengths [4, 6, 2, 5], one padded entry of keys NaN",
             [4, 6, 2, 5], 6, 3, 5, 4, padding="one_nan"),
        case("S=1 (one source position), B=3, H=2, Hk=3, A=4", [1, 1, 1], 1, 2, 3, 4),
        case("B=1, length 3 of S=5, H=2, Hk=3, A=4", [3], 5, 2, 3, 4),
        case("H=1 and A=1, S=4, B=3, Hk=2, lengths [4, 1, 3]", [4, 1, 3], 4, 1, 2, 1),
        case("no padding, S=4, B=2, H=Hk=3, A=2", [4, 4], 4, 3, 3, 2),
        case("H=Hk=4, S=5, B=3, A=3, lengths [5, 3, 2]", [5, 3, 2], 5, 4, 4, 3),
        case("every padded key inf, S=5, B=3, H=Hk=3, A=4, lengths [2, 5, 4]",
             [2, 5, 4], 5, 3, 3, 4, padding="inf"),
    ]


additive_attention = Exercise(
    id="additive_attention",
    title="Additive (Bahdanau) attention over padded source positions",
    lesson="11_seq2seq",
    reference=attention.additive_attention,
    impl=_additive_attention,
    output_names=("context", "weights"),
    make_cases=_additive_attention_cases,
    faults=[
        Fault(
            "softmax_over_batch",
            "Your weights are normalised across the batch (for each source position, over the B sequences) "
            "instead of over the source positions of each sequence: a column of `weights` does not sum to 1.",
            "Each sequence b attends over its own source positions: the softmax runs down each column of the "
            "(S, B) scores, over s, axis 0.",
        ),
        Fault(
            "padding_not_masked",
            "Your softmax runs over all S source positions, padding included: padded positions get a weight, "
            "and whatever the padding of `keys` holds leaks into the context (NaN padding makes it NaN).",
            "Padded positions must get weight exactly 0: before the softmax, replace their scores by -inf "
            "(select with the mask), so that exp gives 0 there and the real weights still sum to 1.",
            group="mask",
        ),
        Fault(
            "mask_after_softmax",
            "Your function zeroes the weights of the padded positions after a softmax over all S positions, "
            "and does not renormalise: the real weights of a padded sequence no longer sum to 1 (and NaN in "
            "the padding still reaches them through the softmax).",
            "Mask the scores, not the weights: give padded positions a score of -inf before the softmax, and "
            "the softmax itself makes the real weights sum to 1.",
            group="mask",
        ),
        Fault(
            "padding_keys_multiplied",
            "Your weights are right, but your context multiplies each key by its weight, padding included: "
            "the padding's weight is 0, yet 0 * NaN is NaN (and 0 * inf too), so a padded key that holds NaN "
            "or inf turns the context of its sequence into NaN.",
            "Select instead of multiplying: replace the padded keys by 0 with `np.where(mask[:, :, None], keys, "
            "0.0)` before they are used, so that what the padding holds is never read.",
            group="mask",
        ),
        Fault(
            "missing_tanh",
            "Your scores have no nonlinearity: the projected query and key are added and dotted with v "
            "directly, without the tanh in between.",
            "An additive score squashes the sum of the two projections with tanh before v turns it into a "
            "single number.",
        ),
        Fault(
            "scores_summed",
            "Your scores add up the A entries of the squashed vector instead of taking its dot product with v: "
            "v is never used.",
            "v, shape (A,), weighs the A entries of tanh(...) before they are added: a dot product (`@ v`).",
        ),
        Fault(
            "projections_swapped",
            "Your function projects the query with W_k and the keys with W_q (the shapes fit only when H "
            "equals Hk, and an error follows otherwise).",
            "W_q has shape (A, H) and goes with the query (B, H); W_k has shape (A, Hk) and goes with the keys "
            "(S, B, Hk).",
        ),
        Fault(
            "context_wrong_axis",
            "Your context adds up the weighted keys across the batch (axis 1) instead of over the source "
            "positions: it has one row per source position, (S, Hk), not one per sequence, (B, Hk).",
            "The context of sequence b is the weighted sum of its own keys over s: reduce over axis 0 of the "
            "(S, B, Hk) weighted keys.",
        ),
    ],
    hints=[
        "Three steps for each sequence b: a score for every source position s, "
        "e[s, b] = v · tanh(W_q q_b + W_k k[s, b]); weights from a softmax of the scores over s, with padded "
        "positions getting weight exactly 0; and the context, the weighted sum of the keys over s.",
        "Shapes: `query @ W_q.T` is (B, A) and `keys @ W_k.T` is (S, B, A); their sum broadcasts to (S, B, A), "
        "and `@ v` turns it into scores (S, B). The softmax runs over axis 0. For padding, select with the mask "
        "(`np.where`), never multiply: the padding of `keys` may hold NaN.",
        "`keys = np.where(mask[:, :, None], keys, 0.0)`; `scores = np.tanh(query @ W_q.T + keys @ W_k.T) @ v`; "
        "`scores = np.where(mask, scores, -np.inf)`; subtract `scores.max(axis=0)`, exponentiate, divide by the "
        "column sums; the context is `(weights[:, :, None] * keys).sum(axis=0)`. Return `(context, weights)`.",
    ],
)


# ----------------------------------------------------------------------------- teacher forcing
def _teacher_forcing_inputs(f, targets, bos, pad=0):
    real = targets != pad  # (T, B)
    first = pad if "bos_missing" in f else bos
    if "not_shifted" in f:
        inputs = targets.copy()
    elif "shifted_left" in f:
        inputs = np.full_like(targets, pad)
        inputs[:-1] = targets[1:]  # the decoder reads the token it must predict
    elif "wrong_axis" in f:
        inputs = np.empty_like(targets)
        inputs[:, 0] = first
        inputs[:, 1:] = targets[:, :-1]  # shifted along the batch
    else:
        inputs = np.empty_like(targets)
        inputs[0] = first
        inputs[1:] = targets[:-1]
    if "eos_not_dropped" in f:
        return inputs  # the shifted EOS sits at the first padding position
    return np.where(real, inputs, bos if "padding_is_bos" in f else pad)


def _teacher_forcing_cases(rng):
    EOS = 2

    def case(label, lengths, T, bos=1, pad=0):
        lengths = np.asarray(lengths)
        B = len(lengths)
        targets = rng.integers(4, 40, (T, B))
        t = np.arange(T)[:, None]
        targets[t == lengths - 1] = EOS  # each real sequence ends with EOS
        targets[t >= lengths] = pad
        return Case(label, (targets.astype(np.int64), bos, pad), dict(T=T, B=B))

    return [
        case("T=6, B=4, lengths [4, 6, 2, 5]", [4, 6, 2, 5], 6),
        case("T=1 (each target only EOS), B=3", [1, 1, 1], 1),
        case("B=1, length 3 of T=5", [3], 5),
        case("no padding (every length is T=4), B=3", [4, 4, 4], 4),
        case("pad id 3 and BOS id 1, T=5, B=3, lengths [2, 5, 3]", [2, 5, 3], 5, bos=1, pad=3),
        case("T=7, B=5, lengths [7, 1, 4, 2, 6]", [7, 1, 4, 2, 6], 7),
    ]


teacher_forcing_inputs = Exercise(
    id="teacher_forcing_inputs",
    title="The decoder's inputs under teacher forcing",
    lesson="11_seq2seq",
    reference=teacher_forcing.teacher_forcing_inputs,
    impl=_teacher_forcing_inputs,
    output_names=("inputs",),
    make_cases=_teacher_forcing_cases,
    faults=[
        Fault(
            "not_shifted",
            "Your function returns the targets as they are: at every step the decoder would read the very token "
            "it has to predict, and learn to copy its input.",
            "At step t the decoder predicts `targets[t]`; what it reads must be what came before: BOS at t = 0, "
            "then the target of step t - 1.",
            group="shift",
        ),
        Fault(
            "shifted_left",
            "Your function shifts the targets the wrong way, one step to the left: at step t the decoder reads "
            "the target of step t + 1, a token from the future, and no BOS.",
            "The inputs run one step *behind* the targets: input t is target t - 1, and input 0 is BOS.",
            group="shift",
        ),
        Fault(
            "wrong_axis",
            "Your function shifts along the batch axis: each sequence reads the tokens of its neighbour, with BOS "
            "in the first column instead of at the first step.",
            "The targets are time-major, (T, B): time is axis 0. Shift the rows, not the columns: BOS goes "
            "into row 0.",
            group="shift",
        ),
        Fault(
            "bos_missing",
            "Your function shifts the targets correctly but starts each sequence with the padding id (or 0) "
            "instead of BOS: the decoder's first input says nothing.",
            "Step 0 has no previous token, so the decoder reads the begin-of-sequence id `bos` there.",
        ),
        Fault(
            "eos_not_dropped",
            "Your shifted inputs keep the last real target (EOS) of each padded sequence: it lands on the first "
            "padding position, so the inputs are one token longer than the targets.",
            "The inputs must be padding wherever the targets are padding: nothing is predicted after EOS, so EOS "
            "is never an input. Use the padding of the targets as the mask.",
            group="padding",
        ),
        Fault(
            "padding_is_bos",
            "Your function fills the padding positions with BOS instead of the padding id.",
            "Wherever the targets are padding, the inputs hold `pad` too.",
            group="padding",
        ),
    ],
    incompatible=[
        ("not_shifted", "bos_missing"),  # no BOS to forget
        ("not_shifted", "eos_not_dropped"),  # the targets' padding is already padding
        ("shifted_left", "bos_missing"),
        ("shifted_left", "eos_not_dropped"),  # a left shift brings only padding to the padding
    ],
    hints=[
        "At step t the decoder must predict `targets[t]`, and it reads the true previous token: BOS at t = 0, "
        "`targets[t - 1]` after that. Every column keeps the length of its target: wherever `targets` holds "
        "`pad`, the inputs hold `pad` too.",
        "Time is axis 0. Make an array like `targets`, put `bos` in row 0 and `targets[:-1]` in rows 1 to "
        "T - 1. The shift brings each padded sequence's EOS onto its first padding position: put `pad` back "
        "there, using the mask `targets != pad`.",
        "`inputs = np.empty_like(targets)`; `inputs[0] = bos`; `inputs[1:] = targets[:-1]`; then return "
        "`np.where(targets != pad, inputs, pad)`.",
    ],
)
