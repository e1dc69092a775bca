"""Exercises of lesson 15 (outlook): the operator of a parallel scan, the causal mask of
self-attention, and scaled dot-product attention itself.

Single source: each reference is the package's own function (:func:`rnncourse.scan.scan_combine`,
:func:`rnncourse.attention.causal_mask`, :func:`rnncourse.attention.self_attention`; their
arguments checked by a wrapper, ``inspect.getsource`` showing the NumPy body). Every
``impl(faults, ...)`` below reproduces its reference when ``faults`` is empty, and a named
mistake for each fault, written the way a learner would write it: where the learner's shapes
do not fit (``q @ k`` unless S == d, ``k.T`` on a batch of keys, ``v @ weights`` unless
dv == T), the variant fails on the same cases, so a learner's error is named too.

Decisions:

- ``scan_combine`` returns a pair. A list ``[a, b]`` with the right values passes, as a list
  does for every other exercise that returns several outputs (the comparison is not strict
  about tuple versus list; only ``detach_state``, whose output must keep the structure of
  its input, is). Updating the arrays of ``first`` or ``second`` in place gives the right
  values and is named as a changed input; these two faults are ``standalone``: their own
  message says which pair changed and why a scan needs it unchanged, so the generic
  changed-input text does not follow it (the changed entries are a detail).
- ``causal_mask`` asks for the values of ``torch.nn.Transformer.
  generate_square_subsequent_mask``: 0 and -inf, floating point. -1e9 for the blocked
  entries is named (``large_negative_not_inf``), not accepted, and the message says why
  with the facts: the attention weights come out the same here (exp(-1e9) is exactly 0 in
  float32 and float64), but -1e9 does not fit a float16 tensor (torch refuses
  ``masked_fill`` with it), a row that blocks every key then gives uniform weights instead
  of failing loudly, and code that finds the blocked entries with ``mask == -inf`` finds
  none. Other large negatives (-1e10, say) get the plain wrong-values verdict, which shows
  the value and the -inf expected. An integer mask (``-10**9`` is an int) is a wrong type,
  "dtype int64; expected floating-point numbers"; it has no fault of its own, because the
  variants are told apart by their values, and its values are those of -1e9. Boolean
  masks, either way round, and 0/1 masks (1 where allowed, to multiply; 1 where blocked,
  to scale by a large negative) are named: the exercise asks for the additive form. -inf
  is a value of the mask (``minus_inf_is_a_value``): a -inf in the wrong place gets no
  remark on log(0) in the details. The messages count rows from 0, as the code indexes
  them, and say so where it matters ("row 0 (the first query)"); the lesson counts
  positions from 1.
- ``self_attention`` is checked with the mask as a separate argument, always passed (None on
  the cases without one). Scores of several thousand come last: NaN or inf there, once
  every earlier case is right, is a softmax that was not stabilised row by row (a
  ``nonfinite_mistake`` of two names, told apart by their NaN): no maximum subtracted
  (``unstable_softmax``: exp overflows, inf / inf), or one maximum for the whole array
  (``global_max``: the rows far below it underflow, 0 / 0). ``keepdims=True`` forgotten
  on the max, on the sum or on both are three faults of one group; each raises on a batch
  and is named from the single sequences with T == S, where it runs.
  Returning ``out`` alone gets the wrong-type verdict, "expected a tuple (out, weights)",
  rather than a fault of its own: the catalogue's distance between a variant returning one
  array and one returning a tuple is not defined (``compare.distance`` turns the tuple into
  an array, which fails for arrays of different shapes).
"""

from __future__ import annotations

import numpy as np

from rnncourse import attention, scan

from .core import Case, Exercise, Fault

LESSON = "15_outlook"


# ----------------------------------------------------------------------------- scan_combine
def _scan_combine(f, first, second):
    if "order_reversed" in f:
        first, second = second, first
    a1, b1 = first
    a2, b2 = second
    if "first_updated_in_place" in f:  # right values, written into the caller's first pair
        b1 *= a2
        b1 += b2
        a1 *= a2
        return a1, b1
    if "second_updated_in_place" in f:  # right values, accumulated in the later pair, as a scan might
        b2 += a2 * b1
        a2 *= a1
        return a2, b2
    if "a_from_second_only" in f:
        a = a2
    elif "a_from_first_only" in f:
        a = a1
    elif "a_added" in f:
        a = a1 + a2
    else:
        a = a2 * a1
    if "b_not_scaled" in f:
        b = b1 + b2
    elif "b_scaled_by_first_a" in f:
        b = a1 * b1 + b2
    elif "b2_scaled_too" in f:
        b = a2 * (b1 + b2)
    else:
        b = a2 * b1 + b2
    if "pair_swapped" in f:
        return b, a
    return a, b


def _scan_combine_cases(rng):
    def case(label, first, second):
        a1, b1 = (np.asarray(x, dtype=np.float64) for x in first)
        a2, b2 = (np.asarray(x, dtype=np.float64) for x in second)
        dims = dict(zip(("T", "B", "H")[-a1.ndim:], a1.shape))
        return Case(label, ((a1, b1), (a2, b2)), dims)

    def decays(shape, low=0.2, high=0.95):
        return rng.uniform(low, high, shape) * np.where(rng.random(shape) < 0.3, -1.0, 1.0)

    def pair(shape):
        return decays(shape), rng.normal(0.0, 1.0, shape)

    reset_a1, reset_a2 = decays((2, 5)), decays((2, 5))
    reset_a2[:, ::2] = 0.0  # the second step forgets the state in these units ...
    reset_a1[0, 1] = 0.0  # ... and the first step in this one
    return [
        case("(B, H) = (3, 4): random a (some negative) and b; the order of the steps matters",
             pair((3, 4)), pair((3, 4))),
        case("(H,) = (6,): one sequence, no batch axis", pair(6), pair(6)),
        case("H=1, B=1: a (1, 1) pair", pair((1, 1)), pair((1, 1))),
        case("a = 0 (a reset: the state before is forgotten) in some entries, (B, H) = (2, 5)",
             (reset_a1, rng.normal(0.0, 1.0, (2, 5))), (reset_a2, rng.normal(0.0, 1.0, (2, 5)))),
        case("negative a in both steps (the sign flips at every step), (B, H) = (2, 3)",
             (-rng.uniform(0.5, 1.5, (2, 3)), rng.normal(0.0, 1.0, (2, 3))),
             (-rng.uniform(0.5, 1.5, (2, 3)), rng.normal(0.0, 1.0, (2, 3)))),
        case("first is the identity step (a = 1, b = 0): the result is second itself, (B, H) = (2, 4)",
             (np.ones((2, 4)), np.zeros((2, 4))), pair((2, 4))),
        case("(T, B, H) = (3, 2, 4): a leading time axis (elementwise: any shape)",
             pair((3, 2, 4)), pair((3, 2, 4))),
    ]


scan_combine = Exercise(
    id="scan_combine",
    title="Two steps of a linear recurrence as one: the operator of a parallel scan",
    lesson=LESSON,
    reference=scan.scan_combine,
    impl=_scan_combine,
    output_names=("a", "b"),
    make_cases=_scan_combine_cases,
    faults=[
        Fault(
            "order_reversed",
            "Your function composes the steps in the wrong order: it applies `second` first and `first` after "
            "it, so its b is a1 * b2 + b1. The operator is not commutative: `first` is the earlier step, so the "
            "state it produces goes into `second`, and a reset (a = 0) in `second` must forget what `first` "
            "did, not the other way round.",
            "Apply `first` to a state h, feed the result to `second`, and expand: the a of the later step "
            "scales everything the earlier one produced.",
        ),
        Fault(
            "a_from_second_only",
            "Your new a is the a of `second` alone: the a of `first` is lost. After both steps the old state "
            "has been scaled twice, once by each step's a, so the new a must contain both.",
            "Write the two steps out: h is scaled by a1, then the result by a2. What multiplies h in the end?",
            group="a",
        ),
        Fault(
            "a_from_first_only",
            "Your new a is the a of `first` alone: the a of `second` is lost. After both steps the old state "
            "has been scaled twice, once by each step's a, so the new a must contain both.",
            "Write the two steps out: h is scaled by a1, then the result by a2. What multiplies h in the end?",
            group="a",
        ),
        Fault(
            "a_added",
            "Your function adds the two a's. The state is scaled by a1 in the first step and the result by a2 "
            "in the second: scalings in a row multiply, they do not add (two halvings leave a quarter, not 1).",
            "Expand a2 * (a1 * h + b1) + b2 and read off the factor of h.",
            group="a",
        ),
        Fault(
            "b_not_scaled",
            "Your new b is b1 + b2: the offset of the first step is added as it is. But the second step scales "
            "everything that came before it by a2, the first step's offset included; only b2, added after "
            "that scaling, stays as it is.",
            "The first step leaves a1 * h + b1; the second multiplies all of that by a2 before adding b2.",
            group="b",
        ),
        Fault(
            "b_scaled_by_first_a",
            "Your function scales b1 by a1, the a of its own step. In the first step b1 is added after the "
            "state is scaled by a1, so a1 never touches it; it is the second step's a that scales b1.",
            "In a1 * h + b1, b1 is outside the product. Which a comes after it?",
            group="b",
        ),
        Fault(
            "b2_scaled_too",
            "Your function scales b2 by a2 as well, a2 * (b1 + b2): b2 is the offset of the last step, "
            "added after a2 has scaled the state, so nothing multiplies it.",
            "In the second step the state is scaled by a2 and then b2 is added: b2 stays as it is.",
            group="b",
        ),
        Fault(
            "pair_swapped",
            "Your function returns the pair the wrong way round, (b, a): the multiplier must come first and "
            "the offset second, as in the pairs you were given, so that the result can be combined again.",
            "Return `(a, b)`, in the order of the input pairs.",
        ),
        Fault(
            "first_updated_in_place",
            "Your values are right, but your function writes them in place into the arrays of `first` "
            "(`a1 *= a2`, `b1 += ...`): the caller's pair has changed. A scan combines each pair with several "
            "others, so its inputs must stay as they were.",
            "Compute new arrays (`a = a2 * a1`) instead of updating with `*=` and `+=`.",
            status="mutated_input",
            standalone=True,
        ),
        Fault(
            "second_updated_in_place",
            "Your values are right, but your function accumulates them in place in the arrays of `second` "
            "(`b2 += ...`, `a2 *= a1`): the caller's pair has changed. A scan combines each pair with several "
            "others, so its inputs must stay as they were.",
            "Compute new arrays (`a = a2 * a1`) instead of updating with `*=` and `+=`.",
            status="mutated_input",
            standalone=True,
        ),
    ],
    incompatible=[
        # b1 + b2 and a1 * a2 do not depend on the order: the same numbers as b_not_scaled
        ("order_reversed", "b_not_scaled"),
    ],
    hints=[
        "The pair (a, b) stands for the step h -> a * h + b. Apply `first` to a state h, apply `second` "
        "to the result, and expand: it is again of the form a * h + b, and that new pair is the answer.",
        "a2 * (a1 * h + b1) + b2: collect what multiplies h (the new a) and what is left (the new b). The "
        "later step's a scales everything the earlier step produced, its offset b1 included, but not b2.",
        "`a1, b1 = first` and `a2, b2 = second`, then return the tuple `(a2 * a1, a2 * b1 + b2)`. "
        "Elementwise products, no matrix product, and new arrays (no `*=`).",
    ],
)


# ----------------------------------------------------------------------------- causal_mask
def _causal_mask(f, T):
    k = 0 if "diagonal_masked" in f else 2 if "one_future_allowed" in f else 1
    blocked = np.triu(np.ones((T, T), dtype=bool), k=k)  # (T, T)
    if "transposed" in f:
        blocked = blocked.T  # the past blocked instead of the future
    if "bool_allowed" in f:
        return ~blocked
    if "bool_blocked" in f:
        return blocked
    if "multiplicative" in f:
        return np.where(blocked, 0.0, 1.0)
    if "ones_where_blocked" in f:
        return np.where(blocked, 1.0, 0.0)
    if "inf_times_zero" in f:
        with np.errstate(invalid="ignore"):
            return -np.inf * blocked.astype(np.float64)  # 0 * -inf = NaN where allowed
    if "large_negative_not_inf" in f:
        return np.where(blocked, -1e9, 0.0)
    return np.where(blocked, -np.inf, 0.0)


def _causal_mask_cases(rng):
    return [
        Case("T=5", (5,), dict(T=5)),
        Case("T=1: a single position (it may read itself)", (1,), dict(T=1)),
        Case("T=2", (2,), dict(T=2)),
        Case("T=8", (8,), dict(T=8)),
    ]


_BOOL_WHY = (
    "The mask here is additive: a float added to the scores before the softmax, 0 where a key may be "
    "read and -inf where not, the values of torch's `nn.Transformer.generate_square_subsequent_mask`. A "
    "boolean mask is ambiguous: `F.scaled_dot_product_attention` reads True as 'may attend', "
    "`nn.MultiheadAttention` and `nn.Transformer` read True as 'blocked'; and added to the scores, True "
    "counts as 1 and blocks nothing."
)

causal_mask = Exercise(
    id="causal_mask",
    title="The causal mask of self-attention: no looking ahead",
    lesson=LESSON,
    reference=attention.causal_mask,
    impl=_causal_mask,
    output_names=("mask",),
    make_cases=_causal_mask_cases,
    minus_inf_is_a_value=True,  # the blocked entries: a -inf in the wrong place is no log(0)
    faults=[
        Fault(
            "diagonal_masked",
            "Your mask blocks the diagonal too: query t may not read key t, its own position, so row 0 (the "
            "first query) reads nothing at all: it is -inf everywhere, and its softmax is 0 / 0 = NaN. A "
            "position may read itself and the positions before it; only the keys after it, s > t, are "
            "blocked.",
            "Row t is query t, column s key s. Block the entries strictly above the diagonal: `np.triu` with "
            "k=1, not k=0.",
            group="diagonal",
        ),
        Fault(
            "one_future_allowed",
            "Your mask lets each query read one key ahead: the -inf start one diagonal too high, so query t "
            "also reads key t + 1, the very token a language model is asked to predict there. Training would "
            "teach it to copy the next input.",
            "Block every key s > t, starting right above the diagonal: `np.triu` with k=1.",
            group="diagonal",
        ),
        Fault(
            "transposed",
            "Your mask blocks the past instead of the future: the -inf are below the diagonal, so query t reads "
            "keys t, t + 1, ..., the positions after it. Row t is the query and column s the key, and the "
            "keys to hide are the later ones, s > t: above the diagonal.",
            "The entry [t, s] is what query t may read from key s. Which entries have s > t?",
        ),
        Fault(
            "bool_allowed",
            "Your mask is boolean, True where a query may read a key (as `np.tril` of a boolean matrix gives). "
            + _BOOL_WHY,
            "Turn the booleans into the additive mask: 0.0 where a key may be read, -np.inf where not "
            "(`np.where`).",
            group="form",
        ),
        Fault(
            "bool_blocked",
            "Your mask is boolean, True where a key is blocked (as `np.triu(..., k=1)` of a boolean matrix "
            "gives). " + _BOOL_WHY,
            "Turn the booleans into the additive mask: -np.inf where blocked, 0.0 elsewhere (`np.where`).",
            group="form",
        ),
        Fault(
            "multiplicative",
            "Your mask holds 1 where a key may be read and 0 where not, a mask to multiply the scores with. "
            "But a score multiplied by 0 is a score of 0, and exp(0) = 1: the future keys still get weight. "
            "The mask here is added to the scores before the softmax: 0 leaves a score as it is, and -inf "
            "gives the weight exp(-inf) = 0.",
            "Put 0.0 where a key may be read and -np.inf where it may not: the mask is added, not multiplied.",
            group="form",
        ),
        Fault(
            "ones_where_blocked",
            "Your mask holds 1 where a key is blocked and 0 elsewhere, a mask that some code scales by a large "
            "negative number before adding it. Added as it is, it only lowers each blocked score by 1: the "
            "future keys keep most of their weight. The mask here is the additive one itself: -inf where a "
            "key is blocked, 0 elsewhere.",
            "Put -np.inf where a key is blocked (not 1) and 0.0 elsewhere.",
            group="form",
        ),
        Fault(
            "inf_times_zero",
            "Your mask multiplies -inf by a matrix of 0s and 1s: where the matrix is 0, 0 * (-inf) is NaN, not "
            "0, so every entry that should be 0 is NaN (and NaN spreads through the softmax to every weight "
            "of its row).",
            "Select instead of multiplying: `np.where(blocked, -np.inf, 0.0)` with a boolean `blocked`, or "
            "start from zeros and write -np.inf into the blocked entries.",
            group="form",
        ),
        Fault(
            "large_negative_not_inf",
            "Your mask uses -1e9 for the blocked entries; this exercise asks for -inf, the values torch's "
            "`generate_square_subsequent_mask` gives. Here the attention weights would come out the same "
            "(exp(-1e9) is exactly 0 in float32 and float64), but -1e9 does not fit a float16 tensor (torch "
            "refuses `masked_fill(mask, -1e9)` on one: 'value cannot be converted to type c10::Half without "
            "overflow'), a row that blocks every key then gives uniform weights instead of failing loudly, "
            "and code that finds the blocked entries with `mask == -np.inf` finds none.",
            "Use -np.inf (or float('-inf')) for the blocked entries: added to any finite score it gives "
            "-inf, and exp(-inf) = 0 in every precision.",
            group="form",
        ),
    ],
    incompatible=[
        # for a mask of two values, blocking the past and swapping the values overlap with the
        # diagonal faults (the past blocked, True where allowed: True on and above the diagonal, which
        # is diagonal_masked with True where blocked): which one the learner meant cannot be told
        ("transposed", "bool_allowed"),
        ("transposed", "bool_blocked"),
        ("transposed", "multiplicative"),
        ("transposed", "ones_where_blocked"),
    ],
    hints=[
        "Row t is query t and column s is key s, both counted from 0 as the code indexes them (the "
        "lesson's maths counts positions from 1). Row t may read columns 0, 1, ..., t, the first t + 1 "
        "keys (the past and itself): 0 there, and -inf where s > t, strictly above the diagonal. Floats, "
        "shape (T, T).",
        "`np.triu(m, k=1)` keeps the entries strictly above the diagonal (k=0 would keep the diagonal too). "
        "Build a boolean matrix of the blocked entries and turn it into 0.0 and -np.inf with `np.where`; "
        "multiplying -np.inf by 0 would give NaN.",
        "`blocked = np.triu(np.ones((T, T), dtype=bool), k=1)`, then return "
        "`np.where(blocked, -np.inf, 0.0)`.",
    ],
)


# ----------------------------------------------------------------------------- self_attention
def _self_attention(f, q, k, v, mask=None):
    d = q.shape[-1]
    if "k_not_transposed" in f:
        keys = k  # q @ k: only runs when S == d
    elif "k_T_reverses_all_axes" in f:
        keys = k.T  # right for (S, d); for (B, S, d) it is (d, S, B)
    else:
        keys = np.swapaxes(k, -1, -2)
    scores = q @ keys  # (..., T, S)
    if "scale_missing" not in f:
        scores = scores / (d if "scaled_by_d" in f else np.sqrt(d))
    if mask is not None and "mask_ignored" not in f:
        scores = scores * mask if "mask_multiplied" in f else scores + mask
    axis = -2 if "softmax_over_queries" in f else -1
    # without keepdims, (..., T, S) - (..., T) lines T up with S
    keep_max = not f & {"keepdims_missing", "max_keepdims_missing"}
    keep_sum = not f & {"keepdims_missing", "sum_keepdims_missing"}
    if "global_max" in f:
        scores = scores - scores.max()  # one number for the whole array
    elif "unstable_softmax" not in f:  # the variant: no max subtracted at all
        scores = scores - scores.max(axis=axis, keepdims=keep_max)
    e = np.exp(scores)
    weights = e / e.sum(axis=axis, keepdims=keep_sum)
    if "v_times_weights" in f:
        out = v @ weights  # only runs when dv == T
    elif "values_from_q" in f:
        out = weights @ q  # only runs when S == T
    elif "values_from_k" in f:
        out = weights @ k
    else:
        out = weights @ v
    return out, weights


def _self_attention_cases(rng):
    def case(label, lead, T, S, d, dv, mask=None, scale=1.0, nonfinite=None):
        q = rng.normal(0.0, scale, (*lead, T, d))
        k = rng.normal(0.0, scale, (*lead, S, d))
        v = rng.normal(0.0, 1.0, (*lead, S, dv))
        dims = dict(zip(("B", "h")[: len(lead)], lead), T=T, S=S, d=d, dv=dv)
        return Case(label, (q, k, v, mask), dims, nonfinite_mistake=nonfinite)

    padding = np.zeros((3, 6))
    padding[:, 4:] = -np.inf  # the last two keys are padding
    padding[0, 2] = -np.inf  # and query 0 may not read key 2 either
    return [
        case("(B, h, T, d) = (2, 3, 5, 4): a batch of 2 with 3 heads, dv=6, the causal mask",
             (2, 3), 5, 5, 4, 6, attention.causal_mask(5)),
        case("T=3 queries, S=6 keys (T != S), d=4, dv=3, a batch of 2, no mask", (2,), 3, 6, 4, 3),
        case("T=3, S=6, d=4, dv=2, a batch of 2: a mask that hides the last two keys (padding) and key 2 "
             "from query 0", (2,), 3, 6, 4, 2, padding),
        case("no batch: T=S=d=dv=4 (square), no mask", (), 4, 4, 4, 4),
        case("T=1: a single query over S=4 keys, d=3, dv=2, no batch, no mask", (), 1, 4, 3, 2),
        case("no batch: T=S=d=dv=6 (square), the causal mask", (), 6, 6, 6, 6, attention.causal_mask(6)),
        # last: NaN or inf here, with every other case right, is an exponential that overflowed, or
        # one that underflowed in every entry of a row
        case("large scores: q and k of size about 40, scores q . k / sqrt(d) up to several thousand "
             "(exp overflows beyond 709), T=S=d=dv=4, no batch, no mask", (), 4, 4, 4, 4,
             scale=40.0, nonfinite=("unstable_softmax", "global_max")),
    ]


self_attention = Exercise(
    id="self_attention",
    title="Scaled dot-product (self-)attention",
    lesson=LESSON,
    reference=attention.self_attention,
    impl=_self_attention,
    output_names=("out", "weights"),
    make_cases=_self_attention_cases,
    faults=[
        Fault(
            "scale_missing",
            "Your scores are not scaled: a dot product of d terms grows with d (its spread is about sqrt(d) "
            "when the entries have variance 1), so without the scale the softmax saturates as d grows, one "
            "weight near 1 and the others near 0, and its gradients vanish.",
            "Divide the scores by sqrt(d), d = q.shape[-1], before the mask and the softmax.",
            group="scale",
        ),
        Fault(
            "scaled_by_d",
            "Your scores are divided by d, not sqrt(d): the spread of a dot product of d terms of variance 1 "
            "is sqrt(d), so dividing by d shrinks the scores too much and flattens the weights (more so as d "
            "grows).",
            "The scale is 1 / sqrt(d): `np.sqrt(q.shape[-1])`.",
            group="scale",
        ),
        Fault(
            "softmax_over_queries",
            "Your softmax runs over the queries (axis -2), so each column of the weights sums to 1. Each "
            "query reads a weighted average of the values, so its own weights, a row over the S keys, must "
            "sum to 1: the softmax runs over the keys, the last axis.",
            "The weights are (..., T, S): query t's weights are row t. Take the max, the exp and the sum over "
            "axis=-1.",
            group="axis",
        ),
        Fault(
            "keepdims_missing",
            "Your softmax takes both the max and the sum over the keys without `keepdims=True`: each result "
            "has shape (..., T), and (..., T, S) minus or divided by (..., T) lines the axes up from the "
            "right, T with S, so each column s is shifted and divided by the values of row s. For a single "
            "sequence with T == S this runs and gives wrong weights; otherwise it raises.",
            "Keep the reduced axis: `.max(axis=-1, keepdims=True)` and `.sum(axis=-1, keepdims=True)` are "
            "(..., T, 1), which broadcasts along each row.",
            group="keepdims",
        ),
        Fault(
            "max_keepdims_missing",
            "Your softmax takes the max over the keys without `keepdims=True` (the sum keeps it): "
            "`scores.max(axis=-1)` has shape (..., T), and (..., T, S) minus (..., T) lines the axes up from "
            "the right, T with S, so each column s is shifted by the max of row s instead of each row by its "
            "own max. For a single sequence with T == S this runs and gives wrong weights; otherwise it "
            "raises.",
            "Add `keepdims=True` to the max as well: `.max(axis=-1, keepdims=True)` is (..., T, 1), which "
            "broadcasts along each row.",
            group="keepdims",
        ),
        Fault(
            "sum_keepdims_missing",
            "Your softmax divides by the sum over the keys taken without `keepdims=True` (the max keeps it): "
            "the sum has shape (..., T), and (..., T, S) divided by (..., T) lines the axes up from the right, "
            "T with S, so each column s is divided by the sum of row s, and the rows no longer sum to 1. For a "
            "single sequence with T == S this runs and gives wrong weights; otherwise it raises.",
            "Add `keepdims=True` to the sum as well: `.sum(axis=-1, keepdims=True)` is (..., T, 1), which "
            "divides each row by its own sum.",
            group="keepdims",
        ),
        Fault(
            "mask_ignored",
            "Your function ignores `mask`: the blocked keys get weight like the others, so with the causal "
            "mask each query reads the future too.",
            "When a mask is given, add it to the scores before the softmax: -inf there makes the weight "
            "exp(-inf) = 0.",
            group="mask",
        ),
        Fault(
            "mask_multiplied",
            "Your function multiplies the scores by the mask: where the mask is 0 (allowed) the score becomes "
            "0, and where it is -inf the score becomes -inf or +inf depending on its sign, and +inf - inf in "
            "the softmax is NaN. The mask is additive: 0 leaves a score alone, -inf removes the key.",
            "Add the mask to the scores (`scores + mask`), after the scaling and before the softmax.",
            group="mask",
        ),
        Fault(
            "k_not_transposed",
            "Your function multiplies q by k as it is (`q @ k`): that pairs the entries of a query with the "
            "keys' positions, not with their features, and it runs only when S == d. A score is the dot "
            "product of a query (a row of q) with a key (a row of k): q times k transposed, (..., T, d) @ "
            "(..., d, S).",
            "Swap the last two axes of k before the product: `np.swapaxes(k, -1, -2)`, (..., d, S).",
            group="keys",
        ),
        Fault(
            "k_T_reverses_all_axes",
            "Your function transposes k with `k.T`: right for a single sequence (S, d), but for a batch "
            "(B, S, d) `.T` reverses every axis, giving (d, S, B), and the product no longer pairs each "
            "query with the keys of its own sequence (it raises, or mixes the batch up).",
            "Swap only the last two axes: `np.swapaxes(k, -1, -2)` (or `k.swapaxes(-1, -2)`), which works for "
            "any number of leading axes.",
            group="keys",
        ),
        Fault(
            "unstable_softmax",
            "Your softmax overflows on large scores: exp of a score above about 709 is inf, and inf / inf is "
            "NaN. Subtracting the largest score of each row (over the keys, with keepdims=True) changes no "
            "weight, since the factor cancels in the ratio, and keeps every exp at most 1 with at least one "
            "exp equal to 1 in each row.",
            "Subtract each row's own max before `np.exp` (axis=-1, keepdims=True). A row's weights do not "
            "change when the same number is subtracted from all its scores.",
            group="stability",
        ),
        Fault(
            "global_max",
            "Your softmax subtracts one maximum for the whole array, but the max must be taken per row, over "
            "the keys (axis=-1, keepdims=True): with a global max, a row whose scores all lie far below it "
            "(by more than about 745) underflows, every exp of that row is 0, and 0 / 0 is NaN. Each row's "
            "own max keeps its largest exp at exactly 1, so its sum is at least 1.",
            "Take one max per query: `.max(axis=-1, keepdims=True)` is (..., T, 1). A row's weights do not "
            "change when the same number is subtracted from all its scores, but each row needs its own.",
            group="stability",
        ),
        Fault(
            "v_times_weights",
            "Your function multiplies the values by the weights in the wrong order (`v @ weights`): it runs "
            "only when dv == T, and mixes the values' features instead of averaging over the keys. Query t's "
            "output is the weighted sum over s of weights[t, s] times row s of v: (..., T, S) @ (..., S, dv).",
            "Weights first: `weights @ v`, (..., T, S) @ (..., S, dv) -> (..., T, dv).",
            group="values",
        ),
        Fault(
            "values_from_q",
            "Your function averages the queries (`weights @ q`) instead of the values: the weights say how "
            "much each key's value counts, so they multiply v, one row per key.",
            "The output is `weights @ v`: the values are what is read; the queries and keys only decide the "
            "weights.",
            group="values",
        ),
        Fault(
            "values_from_k",
            "Your function averages the keys (`weights @ k`) instead of the values: the keys decide the "
            "weights (with the queries), the values are what is read.",
            "The output is `weights @ v`, (..., T, S) @ (..., S, dv).",
            group="values",
        ),
    ],
    incompatible=[
        # with the softmax over axis -2, the reduced (..., S) broadcasts right even without keepdims
        ("softmax_over_queries", "keepdims_missing"),
        ("softmax_over_queries", "max_keepdims_missing"),
        ("softmax_over_queries", "sum_keepdims_missing"),
        # both raise on every batch (the leading axes do not line up) and are right on a single sequence
        ("keepdims_missing", "k_T_reverses_all_axes"),
        ("max_keepdims_missing", "k_T_reverses_all_axes"),
        ("sum_keepdims_missing", "k_T_reverses_all_axes"),
        # no max per row, so no keepdims on it to forget: what is left is sum_keepdims_missing
        ("unstable_softmax", "max_keepdims_missing"),
        ("unstable_softmax", "keepdims_missing"),
        ("global_max", "max_keepdims_missing"),
        ("global_max", "keepdims_missing"),
    ],
    hints=[
        "Scores first: the dot product of every query with every key, (..., T, S), divided by sqrt(d). "
        "Add the mask if one is given, take a softmax over the keys (the last axis), and return the "
        "weighted average of the values together with the weights.",
        "For a batch, `k.T` reverses every axis: swap only the last two, `np.swapaxes(k, -1, -2)`. For a "
        "stable softmax subtract each row's max before `np.exp`, and divide by the row sums; both with "
        "`axis=-1, keepdims=True`.",
        "`scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])`; `if mask is not None: scores = "
        "scores + mask`; the stable softmax over axis -1 gives `weights`; return `weights @ v, weights`.",
    ],
)

EXERCISES = (scan_combine, causal_mask, self_attention)
