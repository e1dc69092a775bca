"""Exercises on decoding (lesson 9): top-k filtering, nucleus filtering, one step of beam search.

Single source: each reference is the package's own function in :mod:`rnncourse.decoding`
(its arguments checked by a wrapper; ``inspect.getsource`` shows the body, which runs on its
own with NumPy alone). Every ``impl(faults, *args)`` below reproduces its reference when
``faults`` is empty, and a named mistake for each fault.
"""

from __future__ import annotations

import numpy as np

from rnncourse import decoding

from .core import Case, Exercise, Fault

NUCLEUS_RTOL = decoding.NUCLEUS_RTOL


def _stable_softmax(z, unstable=False):
    if not unstable:
        z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _order(values, f):
    """Token ids of each row in the order a (possibly wrong) sort puts them, along the last axis."""
    if "unsorted_cumsum" in f:
        return np.broadcast_to(np.arange(values.shape[-1]), values.shape)
    if "smallest_k" in f or "ascending_order" in f:
        return np.argsort(values, axis=-1, kind="stable")
    if "ties_to_higher_index" in f:
        return np.argsort(values, axis=-1, kind="stable")[..., ::-1]  # ascending, reversed
    return np.argsort(-values, axis=-1, kind="stable")


def _along_rows(mask_fn, x, f):
    """``mask_fn`` applied along the last axis, or down the columns for ``wrong_axis``."""
    if "wrong_axis" in f and x.ndim == 2:
        return mask_fn(x.T).T
    return mask_fn(x)


# ----------------------------------------------------------------------------- top-k
def _top_k(f, logits, k):
    n = k + 1 if "keeps_one_too_many" in f else k - 1 if "keeps_one_too_few" in f else k

    def mask(x):
        order = _order(x, f)
        keep = np.zeros(x.shape, dtype=bool)
        np.put_along_axis(keep, order[..., :n], True, axis=-1)
        if "ties_all_kept" in f and n >= 1:
            cut = np.take_along_axis(x, order[..., min(n, x.shape[-1]) - 1:][..., :1], axis=-1)
            keep = x >= cut  # every token tied with the last one kept
        return keep

    keep = _along_rows(mask, logits, f)
    if "not_renormalised" in f:
        return np.where(keep, _stable_softmax(logits, "unstable_softmax" in f), 0.0)
    z = np.where(keep, logits, -np.inf)
    return _stable_softmax(z, "unstable_softmax" in f)


def _top_k_cases(rng):
    def case(label, logits, k, nonfinite=None):
        logits = np.asarray(logits, dtype=float)
        dims = dict(B=logits.shape[0], V=logits.shape[1]) if logits.ndim == 2 else dict(V=logits.shape[0])
        return Case(label, (logits, k), dims, nonfinite_mistake=nonfinite)

    ties = [
        [1.0, 3.0, 2.0, 3.0, 0.0, 3.0, 3.0],  # four tied at the top, cut after two
        [5.0, 4.0, 2.0, 2.0, 1.0, 0.0, 2.0],  # a clean cut after two, three tied just below it
        [2.0, 7.0, 7.0, 1.0, 7.0, 0.0, 3.0],  # three tied at the top, cut after two
    ]
    return [
        case("B=3, V=8, k=3", rng.normal(0, 2, (3, 8)), 3),
        case("one row (V,), V=6, k=2", rng.normal(0, 2, 6), 2),
        case("B=1, V=5, k=1", rng.normal(0, 2, (1, 5)), 1),
        case("k=6 >= V=4 keeps every token", rng.normal(0, 2, (2, 4)), 6),
        case("B=2, V=9, k=4", rng.normal(0, 1, (2, 9)), 4),
        case("ties at the cut (the lower index wins)", ties, 2),
        case("large logits (size 1e4)", rng.normal(0, 1e4, (2, 5)), 3, nonfinite="unstable_softmax"),
    ]


top_k_filter = Exercise(
    id="top_k_filter",
    title="Top-k filtering: keep the k likeliest tokens, renormalised",
    lesson="09_language_models",
    reference=decoding.top_k_filter,
    impl=_top_k,
    output_names=("probs",),
    make_cases=_top_k_cases,
    faults=[
        Fault(
            "keeps_one_too_many",
            "Your function keeps one token more than k in each row.",
            "Count the tokens you keep: exactly k per row (all of them when k >= V). Slicing `[:k]` takes k items.",
            group="count",
        ),
        Fault(
            "keeps_one_too_few",
            "Your function keeps one token fewer than k in each row.",
            "Count the tokens you keep: exactly k per row (all of them when k >= V). Slicing `[:k]` takes k items.",
            group="count",
        ),
        Fault(
            "smallest_k",
            "Your function keeps the k smallest logits, not the k largest.",
            "`np.argsort` sorts in increasing order: the largest logits come last. Sort the negated logits "
            "to put the largest first.",
            group="order",
        ),
        Fault(
            "ties_to_higher_index",
            "When logits tie at the cut, your function keeps the token with the higher index; the rule is "
            "that the lower index wins.",
            "Reversing an increasing sort also reverses the order of equal values. Sort the negated logits "
            "with `kind=\"stable\"`, which keeps equal values in index order.",
            group="order",
        ),
        Fault(
            "ties_all_kept",
            "When several logits tie with the k-th largest, your function keeps all of them, so it keeps "
            "more than k tokens.",
            "Comparing with the k-th largest value keeps every token equal to it. Choose the tokens by "
            "their positions in a sorted order instead, so that exactly k are kept.",
            group="count",
        ),
        Fault(
            "not_renormalised",
            "Your function takes the softmax over all tokens and then zeroes the others, so each row sums "
            "to less than 1.",
            "The kept tokens must share all the probability: normalise over the kept tokens only (or "
            "divide the kept probabilities by their sum).",
        ),
        Fault(
            "unstable_softmax",
            "The softmax overflows for large logits: exp of a large number is inf.",
            "Softmax does not change when you subtract the same number from every logit of a row; choose "
            "that number so that the largest exponent is 0.",
        ),
        Fault(
            "wrong_axis",
            "Your function chooses the top k down each column (across the batch) instead of along each row "
            "(across the vocabulary).",
            "Each row is one position's distribution over the V tokens: sort and select along `axis=-1`.",
        ),
    ],
    incompatible=[
        ("not_renormalised", "unstable_softmax"),
        ("ties_to_higher_index", "ties_all_kept"),  # all tied tokens kept, whatever their order
    ],
    hints=[
        "Two steps: find which k tokens of each row to keep, then take a softmax over those tokens only, "
        "with 0 for the others. Write it with `axis=-1` so that one (V,) row and a (B, V) batch both work.",
        "`np.argsort(-logits, axis=-1, kind=\"stable\")` lists each row's token ids from the largest logit "
        "down, equal logits in index order; its first k columns are the tokens to keep. "
        "`np.put_along_axis` can write True into a boolean mask at those ids.",
        "Set the logits you drop to `-np.inf` (`np.where(keep, logits, -np.inf)`): exp(-inf) = 0, so an "
        "ordinary stable softmax (subtract the row maximum first) then gives the answer.",
    ],
)


# ----------------------------------------------------------------------------- nucleus
def _nucleus(f, probs, p):
    def mask(x):
        order = _order(x, f)
        sorted_probs = np.take_along_axis(x, order, axis=-1)
        cumulative = np.cumsum(sorted_probs, axis=-1)
        if "excludes_crossing_token" in f:
            keep_sorted = cumulative < p * (1 - NUCLEUS_RTOL)
        else:
            keep_sorted = cumulative - sorted_probs < p * (1 - NUCLEUS_RTOL)
        keep = np.zeros(x.shape, dtype=bool)
        np.put_along_axis(keep, order, keep_sorted, axis=-1)
        return keep

    kept = np.where(_along_rows(mask, probs, f), probs, 0.0)
    if "not_renormalised" in f:
        return kept
    return kept / kept.sum(axis=-1, keepdims=True)


def _nucleus_cases(rng):
    def partial_sums(probs):
        return np.cumsum(-np.sort(-probs, axis=-1), axis=-1)

    def case(label, probs, p):
        probs = np.asarray(probs, dtype=float)
        # p stays away from every partial sum, where float rounding would decide (p = 1 aside)
        assert p == 1 or np.min(np.abs(partial_sums(probs) - p)) > 1e-3, label
        dims = dict(B=probs.shape[0], V=probs.shape[1]) if probs.ndim == 2 else dict(V=probs.shape[0])
        return Case(label, (probs, p), dims)

    def random_case(label, shape, p):
        probs = decoding.softmax(rng.normal(0, 1.5, shape))
        while np.min(np.abs(partial_sums(probs) - p)) <= 1e-3:
            p = round(p + 0.01, 2)
        return case(f"{label}, p={p:g}", probs, p)

    return [
        random_case("B=3, V=8", (3, 8), 0.9),
        random_case("one row (V,), V=6", (6,), 0.5),
        random_case("B=1, V=5", (1, 5), 0.75),
        random_case("B=4, V=10", (4, 10), 0.6),
        case("p=1 keeps every token", decoding.softmax(rng.normal(0, 1.5, (2, 4))), 1.0),
        case("the most probable token alone reaches p", [[0.7, 0.1, 0.15, 0.05], [0.05, 0.05, 0.6, 0.3]], 0.5),
        case("ties at the cut (the lower index wins)", [[0.4, 0.2, 0.2, 0.2], [0.25, 0.25, 0.25, 0.25]], 0.55),
    ]


nucleus_filter = Exercise(
    id="nucleus_filter",
    title="Nucleus (top-p) filtering: the smallest likeliest set reaching p",
    lesson="09_language_models",
    reference=decoding.nucleus_filter,
    impl=_nucleus,
    output_names=("probs",),
    make_cases=_nucleus_cases,
    faults=[
        Fault(
            "excludes_crossing_token",
            "Your function stops one token early: it keeps only the tokens whose running total stays below "
            "p, so what it keeps adds up to less than p (and nothing at all when the likeliest token alone "
            "reaches p).",
            "The token that takes the running total past p belongs to the nucleus: keep a token when the "
            "tokens before it have not yet reached p.",
        ),
        Fault(
            "not_renormalised",
            "Your function zeroes the tokens outside the nucleus but does not renormalise the rest, so each "
            "row sums to less than 1.",
            "The result is a distribution again: divide the kept probabilities by their sum.",
        ),
        Fault(
            "unsorted_cumsum",
            "Your function adds up the probabilities in token-index order, not from the most probable down.",
            "The nucleus is made of the likeliest tokens: sort each row in decreasing order before the "
            "running sum, then map the decision back to the token ids.",
            group="order",
        ),
        Fault(
            "ascending_order",
            "Your function adds up the probabilities from the least probable token up, so it keeps the "
            "unlikely tail instead of the likeliest tokens.",
            "`np.argsort` sorts in increasing order; sort the negated probabilities to start from the "
            "most probable token.",
            group="order",
        ),
        Fault(
            "ties_to_higher_index",
            "When probabilities tie at the cut, your function keeps the token with the higher index; the "
            "rule is that the lower index wins.",
            "Reversing an increasing sort also reverses the order of equal values. Sort the negated "
            "probabilities with `kind=\"stable\"`, which keeps equal values in index order.",
            group="order",
        ),
        Fault(
            "wrong_axis",
            "Your function sorts and sums down each column (across the batch) instead of along each row "
            "(across the vocabulary).",
            "Each row is one position's distribution over the V tokens: sort, sum and select along `axis=-1`.",
        ),
    ],
    incompatible=[("ties_to_higher_index", "wrong_axis")],  # the columns of the cases have no ties
    hints=[
        "Sort each row from the most probable token down, take the running sum, and keep a token while the "
        "tokens before it hold less than p. Then put the decisions back in token order and renormalise.",
        "`order = np.argsort(-probs, axis=-1, kind=\"stable\")` and `np.take_along_axis(probs, order, axis=-1)` "
        "give the sorted rows; `np.cumsum(..., axis=-1)` minus the sorted probabilities is the mass of the "
        "tokens before each one.",
        "`np.put_along_axis(keep, order, keep_sorted, axis=-1)` writes the sorted decisions back to the token "
        "ids; then `np.where(keep, probs, 0.0)` divided by its row sums (`keepdims=True`) is the answer. The "
        "most probable token is always kept.",
    ],
)


# ----------------------------------------------------------------------------- beam search step
def _beam_step(f, scores, log_probs, beam_width):
    N, V = log_probs.shape
    if "ignores_parent_score" in f:
        total = log_probs + 0.0
    elif "multiplies_log_probs" in f:
        total = scores[:, None] * log_probs
    else:
        total = scores[:, None] + log_probs
    flat = total.reshape(-1)
    if "best_token_per_parent" in f:
        candidates = np.arange(N) * V + np.argmax(total, axis=1)  # (N,) one extension per parent
    else:
        candidates = np.arange(N * V)
    if "worst_first" in f:
        order = np.argsort(flat[candidates], kind="stable")
    elif "ties_to_higher_index" in f:
        order = np.argsort(flat[candidates], kind="stable")[::-1]
    else:
        order = np.argsort(-flat[candidates], kind="stable")
    best = candidates[order][:beam_width]
    parents, tokens = np.divmod(best, N if "divides_by_N" in f else V)
    new_scores = log_probs.reshape(-1)[best] if "returns_token_log_prob" in f else flat[best]
    return parents, tokens, new_scores


def _beam_step_cases(rng):
    def log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    def case(label, N, V, beam_width, scores=None):
        if scores is None:
            scores = rng.uniform(-4.0, -0.5, N)
        log_probs = log_softmax(rng.normal(0, 1.5, (N, V)))
        K = min(beam_width, N * V)
        return Case(label, (np.asarray(scores, dtype=float), log_probs, beam_width), dict(N=N, V=V, K=K))

    ties_log_probs = np.log(np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]]))
    return [
        case("N=3, V=5, beam_width=3", 3, 5, 3),
        case("first step: N=1, scores [0.], V=6, beam_width=4", 1, 6, 4, scores=[0.0]),
        case("N=4 > V=3, beam_width=1", 4, 3, 1),
        case("beam_width=10 > N*V=6: every extension", 2, 3, 10),
        case("N=5, V=2, beam_width=4", 5, 2, 4),
        case("N=2, V=7, beam_width=5", 2, 7, 5),
        Case(
            "ties: the lower parent * V + token first",
            (np.array([-1.0, -1.0]), ties_log_probs, 3),
            dict(N=2, V=3, K=3),
        ),
    ]


beam_search_step = Exercise(
    id="beam_search_step",
    title="One step of beam search: the best extensions of all hypotheses",
    lesson="09_language_models",
    reference=decoding.beam_search_step,
    impl=_beam_step,
    output_names=("parents", "tokens", "new_scores"),
    make_cases=_beam_step_cases,
    faults=[
        Fault(
            "ignores_parent_score",
            "Your function ranks the extensions by the new token's log-probability alone, forgetting the "
            "score of the hypothesis it extends.",
            "A hypothesis's score is the log-probability of its whole sequence: the score so far plus the "
            "new token's log-probability.",
            group="score",
        ),
        Fault(
            "multiplies_log_probs",
            "Your function multiplies the hypothesis's score by the token's log-probability. Probabilities "
            "multiply; their logarithms add.",
            "log(a * b) = log a + log b: in log space, extending a sequence is an addition.",
            group="score",
        ),
        Fault(
            "returns_token_log_prob",
            "The ranking is right, but `new_scores` holds only the new token's log-probability, not the "
            "summed score of the extended hypothesis.",
            "`new_scores` becomes the next step's `scores`: it must be the log-probability of the whole "
            "extended sequence.",
        ),
        Fault(
            "best_token_per_parent",
            "Your function extends each hypothesis by its own best token only, so two extensions of one "
            "strong hypothesis can never both survive.",
            "Rank all N * V (hypothesis, token) pairs together and keep the best `beam_width` of them, "
            "wherever they come from.",
        ),
        Fault(
            "worst_first",
            "Your function keeps the lowest-scoring extensions (an increasing sort): it should keep the "
            "highest, best first.",
            "Log-probabilities are at most 0; the best extension has the score closest to 0. Sort the "
            "negated scores to put it first.",
            group="order",
        ),
        Fault(
            "ties_to_higher_index",
            "When extensions tie, your function puts the one with the higher flat index parent * V + token "
            "first; the rule is that the lower one wins.",
            "Reversing an increasing sort also reverses the order of equal values. Sort the negated scores "
            "with `kind=\"stable\"`, which keeps equal values in index order.",
            group="order",
        ),
        Fault(
            "divides_by_N",
            "The extensions are right, but `parents` and `tokens` are recovered from the flat index with N, "
            "the number of hypotheses, instead of V, the vocabulary size.",
            "In a flattened (N, V) array, entry (n, v) sits at n * V + v: each row is V long.",
        ),
    ],
    incompatible=[("ignores_parent_score", "returns_token_log_prob")],
    hints=[
        "Add each hypothesis's score to its row of log-probabilities: an (N, V) array holding the score of "
        "every possible extension. Broadcasting `scores[:, None]` does it in one line.",
        "Flatten that array to N * V entries and sort them from the best down with "
        "`np.argsort(-flat, kind=\"stable\")` (stable: ties keep the lower index first); keep the first "
        "`beam_width`.",
        "Entry n * V + v of the flat array is the extension of hypothesis n by token v: `np.divmod(best, V)` "
        "recovers `(parents, tokens)`, and `flat[best]` the new scores.",
    ],
)
