"""Exercises on evaluation metrics: the perplexity of a padded batch.

The reference is the public metric itself, :func:`rnncourse.metrics.masked_perplexity`, so the
function the lessons use, the oracle and the shown solution are one source.
"""

from __future__ import annotations

import numpy as np

from rnncourse import metrics

from .core import Case, Exercise, Fault


# ----------------------------------------------------------------------------- masked perplexity
def _masked_perplexity(f, losses, mask):
    m = np.asarray(mask, dtype=float)                              # (T, B): 1.0 on real tokens
    per_token = np.exp(losses) if "exp_before_mean" in f else losses
    if "padding_not_masked" in f:
        mean = per_token.mean()                                    # over all T*B positions
    elif "mean_of_sequence_means" in f:
        mean = ((m * per_token).sum(axis=0) / m.sum(axis=0)).mean()  # (B,) means, then their mean
    elif "divided_by_T_times_B" in f:
        mean = (m * per_token).sum() / m.size
    elif "summed_not_averaged" in f:
        mean = (m * per_token).sum()
    else:
        mean = (m * per_token).sum() / m.sum()
    if "no_exp" in f or "exp_before_mean" in f:
        return float(mean)
    if "base_2" in f:
        return float(2.0 ** mean)
    return float(np.exp(mean))


def _masked_perplexity_cases(rng):
    def case(label, lengths, T):
        """Right-padded sequences of these lengths; padding holds large losses (6 to 9 nats)."""
        B = len(lengths)
        mask = np.arange(T)[:, None] < np.asarray(lengths)[None, :]  # (T, B) bool
        losses = np.where(mask, rng.uniform(0.2, 3.0, (T, B)), rng.uniform(6.0, 9.0, (T, B)))
        return Case(label, (losses, mask), dict(T=T, B=B))

    return [
        case("T=6, B=4, lengths [6, 2, 5, 1]", [6, 2, 5, 1], 6),
        case("T=1 (one token per sequence), B=3", [1, 1, 1], 1),
        case("B=1, length 4 of T=7", [4], 7),
        case("no padding (every token real), T=5, B=2", [5, 5], 5),
        case("T=8, B=5, lengths [3, 8, 1, 6, 2]", [3, 8, 1, 6, 2], 8),
    ]


masked_perplexity = Exercise(
    id="masked_perplexity",
    title="Perplexity of a padded batch",
    lesson="09_language_models",
    reference=metrics.masked_perplexity,
    impl=_masked_perplexity,
    output_names=("perplexity",),
    make_cases=_masked_perplexity_cases,
    faults=[
        Fault(
            "padding_not_masked",
            "The padding positions are averaged in with the real tokens, so the result depends on whatever "
            "values happen to sit in the padding.",
            "Padding is not text the model had to predict: only the positions where `mask` is True count, both "
            "in the total and in the number of tokens.",
            group="average",
        ),
        Fault(
            "mean_of_sequence_means",
            "Each sequence is averaged on its own first, and then the sequences' averages are averaged: a short "
            "sequence weighs as much as a long one.",
            "Perplexity is a per-token measure of the whole batch: every real token has the same weight, "
            "whichever sequence it belongs to.",
            group="average",
        ),
        Fault(
            "divided_by_T_times_B",
            "The padding is left out of the total, but the total is divided by the number of all positions, "
            "padding included, so the average is too low.",
            "Divide by the number of losses you actually added up: how many positions does the mask mark as real?",
            group="average",
        ),
        Fault(
            "summed_not_averaged",
            "The losses of the real tokens are added up but not averaged, so the result grows with the size "
            "of the batch.",
            "Perplexity is per token: it should not change if the same batch were repeated twice.",
            group="average",
        ),
        Fault(
            "no_exp",
            "The result is the mean negative log-likelihood in nats, not the perplexity.",
            "Perplexity undoes the logarithm: it is the effective number of equally likely choices per token, "
            "so a model that is uniform over V symbols must score exactly V.",
            group="exponent",
        ),
        Fault(
            "base_2",
            "The mean loss is turned into a perplexity with base 2, but the losses are natural logarithms (nats).",
            "Undo the logarithm with the exponential of the same base: these losses come from `np.log` "
            "(base 2 is right only for losses in bits).",
            group="exponent",
        ),
        Fault(
            "exp_before_mean",
            "Each token's loss is exponentiated first and those values are averaged: that is an average of "
            "per-token perplexities, which is never below the true perplexity and usually well above it.",
            "Average in log space, and undo the logarithm once, at the end: perplexity is a geometric mean "
            "of the inverse probabilities, not an arithmetic one.",
            group="exponent",
        ),
    ],
    hints=[
        "The result is one number. `losses[t, b]` is the negative log-likelihood, in nats, of token t of "
        "sequence b; `mask[t, b]` is True where that token is real and False on padding, whose losses "
        "mean nothing.",
        "Average the losses over the real tokens only, every real token with the same weight (not sequence "
        "by sequence), then turn that mean NLL into a perplexity: e to the power of the mean.",
        "`losses[mask]` picks out the real tokens as a 1-D array (boolean indexing); the perplexity is "
        "`np.exp` of their mean. Return it as a float.",
    ],
)
