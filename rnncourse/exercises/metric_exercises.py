"""Exercises on evaluation metrics: the perplexity of a padded batch (lesson 9), the Wilson
confidence interval of an accuracy (lesson 10).

Each reference is the public metric itself (:func:`rnncourse.metrics.masked_perplexity`,
:func:`rnncourse.metrics.wilson_interval`), so the function the lessons use, the oracle and the
shown solution are one source.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from rnncourse import metrics

from .core import Case, Exercise, Fault


# ----------------------------------------------------------------------------- masked perplexity
def _masked_perplexity(f, losses, mask):
    real = np.asarray(mask, dtype=bool)                            # (T, B): True on real tokens
    per_token = np.exp(losses) if "exp_before_mean" in f else losses
    kept = np.where(real, per_token, 0.0)                          # padding, whatever it holds, is 0
    if "padding_not_masked" in f:
        mean = per_token.mean()                                    # over all T*B positions
    elif "mean_of_sequence_means" in f:
        mean = (kept.sum(axis=0) / real.sum(axis=0)).mean()        # (B,) means, then their mean
    elif "divided_by_T_times_B" in f:
        mean = kept.sum() / real.size
    elif "summed_not_averaged" in f:
        mean = kept.sum()
    else:
        mean = kept.sum() / real.sum()
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


# ----------------------------------------------------------------------------- Wilson interval
def _wilson_interval(f, successes, n, confidence):
    if "one_sided_z" in f:
        z = NormalDist().inv_cdf(confidence)  # all of 1 - confidence in one tail
    elif "fixed_z" in f:
        z = 1.96  # the 95 % value, whatever the confidence
    elif "fixed_one_sided_z" in f:
        z = 1.645  # the one-sided 95 % value, whatever the confidence
    else:
        z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    m = n - 1 if "variance_n_minus_1" in f else n  # the n under p(1 - p)
    if "wald_interval" in f:
        half = z * math.sqrt(p * (1 - p) / m)
        return p - half, p + half
    shrink = 1.0 if "denominator_missing" in f else 1 + z**2 / n
    centre = p if "centre_at_p" in f else (p + z**2 / (2 * n)) / shrink
    quarter = 0.0 if "missing_quarter_term" in f else z**2 / (4 * n**2)
    half = z / shrink * math.sqrt(p * (1 - p) / m + quarter)
    return centre - half, centre + half


def _wilson_interval_cases(rng):
    def case(label, successes, n, confidence=0.95):
        return Case(label, (successes, n, confidence), {})

    return [
        case("k=7 of n=20, confidence 0.95", 7, 20),
        case("k=0 (no success) of n=12", 0, 12),
        case("k=n=15 (every trial a success)", 15, 15),
        case("small n: k=2 of n=5", 2, 5),
        case("large n: k=4120 of n=10000", 4120, 10_000),
        case("confidence 0.90: k=33 of n=40", 33, 40, 0.90),
        case("confidence 0.99: k=3 of n=8", 3, 8, 0.99),
    ]


wilson_interval = Exercise(
    id="wilson_interval",
    title="The Wilson confidence interval of an accuracy",
    lesson="10_classification",
    reference=metrics.wilson_interval,
    impl=_wilson_interval,
    output_names=("low", "high"),
    make_cases=_wilson_interval_cases,
    faults=[
        Fault(
            "wald_interval",
            "Your function computes the textbook (Wald) interval: centred on the observed proportion, with the "
            "normal approximation's width at that proportion. It shrinks to a single point when k = 0 or k = n, "
            "and it can reach outside [0, 1] for small n.",
            "Wilson's interval keeps the unknown proportion p in the standard error: its bounds are the values of "
            "p that lie exactly z standard errors of p (not of k/n) away from k/n.",
        ),
        Fault(
            "one_sided_z",
            "Your z is a one-sided quantile: it puts all of 1 - confidence in one tail (1.645 at 95 %), so the "
            "interval is too narrow.",
            "A two-sided interval leaves half of 1 - confidence in each tail: z is the normal quantile at "
            "1 - (1 - confidence) / 2 (1.96 at 95 %).",
            group="z",
        ),
        Fault(
            "fixed_z",
            "Your function uses the same z whatever `confidence` is: about right at 95 %, wrong at any other level.",
            "Compute z from `confidence` (two-sided), e.g. with `statistics.NormalDist().inv_cdf`; its exact "
            "value, not the rounded 1.96, is what the check expects at 95 %.",
            group="z",
        ),
        Fault(
            "fixed_one_sided_z",
            "Your function uses z = 1.645 whatever `confidence` is: the one-sided value for 95 % (it puts all "
            "of the 5 % in one tail), so at 95 % the interval is too narrow, and other levels are ignored.",
            "A two-sided interval leaves half of 1 - confidence in each tail: compute z from `confidence`, the "
            "normal quantile at 1 - (1 - confidence) / 2 (1.959964 at 95 %).",
            group="z",
        ),
        Fault(
            "missing_quarter_term",
            "Inside the square root your function has the term with the observed proportion but not the second "
            "term, the one that depends on z and n alone, so the interval is too narrow and has no width at "
            "all when k = 0 or k = n.",
            "The square root has two terms; the second one keeps the interval open when k/n is 0 or 1.",
        ),
        Fault(
            "centre_at_p",
            "Your interval is centred on the observed proportion k/n. The Wilson interval's centre is pulled "
            "from k/n towards 1/2, by more when n is small.",
            "The centre is the midpoint of the two roots of a quadratic in p: it has a z-dependent term added to "
            "k/n, and is divided by the same factor as the half-width.",
        ),
        Fault(
            "denominator_missing",
            "Your centre and half-width are not divided by the factor that both share (it grows with z squared "
            "over n), so for small n the interval is too wide and its centre too far from k/n.",
            "Both the centre and the half-width are divided by one and the same factor, which tends to 1 as n "
            "grows.",
        ),
        Fault(
            "variance_n_minus_1",
            "Your function divides the observed proportion's variance term by n - 1, as for a sample variance, "
            "instead of by n, so the interval is too wide.",
            "The variance of a proportion over n trials is p(1 - p) / n: there is no n - 1 correction here.",
        ),
    ],
    incompatible=[
        ("wald_interval", "missing_quarter_term"),  # Wald has neither the quarter term,
        ("wald_interval", "centre_at_p"),  # nor the shifted centre,
        ("wald_interval", "denominator_missing"),  # nor the common factor
    ],
    hints=[
        "With p̂ = k/n (k = `successes`) and z the two-sided normal quantile for `confidence`, the Wilson interval "
        "holds the proportions p for which p̂ lies within z standard errors of p, the standard error computed "
        "with p itself: |p̂ - p| <= z sqrt(p (1 - p) / n). Its two bounds are the p where this is an equality.",
        "Squaring gives a quadratic in p; its roots are centre ± half with centre = (p̂ + z²/(2n)) / (1 + z²/n) "
        "and half = z / (1 + z²/n) · sqrt(p̂ (1 - p̂) / n + z²/(4n²)). Two-sided: z is the normal quantile at "
        "1 - (1 - confidence) / 2, 1.959964 at 95 %.",
        "`z = statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2)`, `p = successes / n`, "
        "`shrink = 1 + z**2 / n`; then `centre = (p + z**2 / (2 * n)) / shrink` and "
        "`half = z / shrink * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))`. Return the tuple "
        "`(centre - half, centre + half)`.",
    ],
)


# ============================================================================= char error rate (lesson 11)
# The learner writes the whole metric, the edit distance (dynamic programming) included; the
# reference is :func:`rnncourse.metrics.char_error_rate`.
def _edit_distance(f, r, h):
    if "hamming" in f:  # position by position, plus the difference in length
        return sum(a != b for a, b in zip(r, h)) + abs(len(r) - len(h))
    n, m = len(r), len(h)
    sub = 2 if "substitution_cost_2" in f else 1
    D = [[0] * (m + 1) for _ in range(n + 1)]
    if "borders_not_initialised" not in f:
        for i in range(n + 1):
            D[i][0] = i
        for j in range(m + 1):
            D[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [D[i - 1][j - 1] + (sub if r[i - 1] != h[j - 1] else 0)]
            if "no_deletion_step" not in f:
                options.append(D[i - 1][j] + 1)
            if "no_insertion_step" not in f:
                options.append(D[i][j - 1] + 1)
            D[i][j] = min(options)
    return D[n][m]


def _char_error_rate(f, references, hypotheses):
    edits = [_edit_distance(f, r, h) for r, h in zip(references, hypotheses)]
    if "mean_of_line_rates" in f:
        return sum(e / len(r) for e, r in zip(edits, references)) / len(references)
    if "divided_by_hypothesis_length" in f:
        return sum(edits) / sum(len(h) for h in hypotheses)
    return sum(edits) / sum(len(r) for r in references)


def _char_error_rate_cases(rng):
    def case(label, references, hypotheses):
        return Case(label, (list(references), list(hypotheses)), {})

    return [
        case(
            "four lines: substitutions, insertions and deletions, at the start, inside and at the end",
            ["the cat sat", "hello", "recurrent", "gate"],
            ["a cot sat on", "xxhello", "recurent", "gated"],
        ),
        case("one line, one substitution", ["kitten"], ["sitten"]),
        case("identical lines (no edit at all)", ["abc", "de"], ["abc", "de"]),
        case("one character per line", ["a", "b", "c"], ["a", "x", ""]),
        case("an empty hypothesis (every character deleted) and an extra word", ["speech", "model"],
             ["", "models rock"]),
        case("an empty reference line among others", ["", "rnn", "lstm"], ["ab", "rn", "lstms"]),
        case("hypotheses much longer than the references (a rate above 1)", ["ab", "c"],
             ["xaby", "zzczz"]),
        case("words reordered", ["sequence to sequence", "attention"], ["to sequence sequence", "tentation"]),
    ]


char_error_rate = Exercise(
    id="char_error_rate",
    title="Character error rate, with the edit distance written by dynamic programming",
    lesson="11_seq2seq",
    reference=metrics.char_error_rate,
    impl=_char_error_rate,
    output_names=("cer",),
    make_cases=_char_error_rate_cases,
    faults=[
        Fault(
            "divided_by_hypothesis_length",
            "Your function divides the edits by the number of characters in the hypotheses (as if references "
            "and hypotheses were swapped): a system that drops characters looks worse, one that adds them "
            "looks better.",
            "The rate is per reference character: the reference is the fixed yardstick, whatever the system "
            "produced.",
            group="rate",
        ),
        Fault(
            "mean_of_line_rates",
            "Your function averages the lines' own error rates: a short line weighs as much as a long one (and "
            "an empty reference line divides by zero).",
            "CER is a corpus rate: add up the edits of all lines, add up the reference characters of all lines, "
            "and divide once at the end.",
            group="rate",
        ),
        Fault(
            "hamming",
            "Your edit counts compare the lines position by position (plus the difference in length): one "
            "inserted or deleted character shifts everything after it, and each shifted character counts as an "
            "error.",
            "The edit distance is the *fewest* insertions, deletions and substitutions; it needs the best "
            "alignment of the two lines, found by dynamic programming over their prefixes.",
            group="distance",
        ),
        Fault(
            "substitution_cost_2",
            "Your edit distance charges 2 for a substitution (like a deletion plus an insertion), so lines with "
            "substituted characters get too many edits.",
            "Each of the three edits costs 1: replacing a character by another is one edit, and matching equal "
            "characters is free.",
            group="distance",
        ),
        Fault(
            "no_insertion_step",
            "Your dynamic programme never inserts a hypothesis character inside the line (that option is "
            "missing from the minimum), so extra characters in the hypothesis are not counted as they should be.",
            "Each cell D[i][j] takes the best of three moves: from D[i-1][j] (delete a reference character), "
            "from D[i][j-1] (insert a hypothesis character) and from D[i-1][j-1] (match or substitute).",
            group="distance",
        ),
        Fault(
            "no_deletion_step",
            "Your dynamic programme never deletes a reference character inside the line (that option is missing "
            "from the minimum), so characters the hypothesis lacks are not counted as they should be.",
            "Each cell D[i][j] takes the best of three moves: from D[i-1][j] (delete a reference character), "
            "from D[i][j-1] (insert a hypothesis character) and from D[i-1][j-1] (match or substitute).",
            group="distance",
        ),
        Fault(
            "borders_not_initialised",
            "Your table's first row and first column are left at 0: characters inserted or deleted at the start "
            "of a line cost nothing.",
            "D[i][0] is the distance from the first i reference characters to the empty string: i deletions. "
            "Likewise D[0][j] = j insertions.",
            group="distance",
        ),
    ],
    hints=[
        "CER = (the edits of all lines added up) / (the reference characters of all lines added up). The edits "
        "of a line are its Levenshtein distance: the fewest single-character insertions, deletions and "
        "substitutions, each costing 1, that turn the reference into the hypothesis. You write that distance "
        "too.",
        "Dynamic programming: D[i][j] is the distance between the first i characters of the reference r and "
        "the first j of the hypothesis h. D[i][0] = i, D[0][j] = j, and D[i][j] is the smallest of "
        "D[i-1][j] + 1, D[i][j-1] + 1 and D[i-1][j-1] + (0 if r[i-1] == h[j-1] else 1). The line's edits are "
        "D[len(r)][len(h)].",
        "A table of (len(r) + 1) rows of (len(h) + 1) zeros (a list of lists), fill the borders, then two nested "
        "loops over i = 1..len(r) and j = 1..len(h). Add up those distances over `zip(references, hypotheses)`, "
        "divide by `sum(len(r) for r in references)`, and return the float.",
    ],
)
