"""Evaluation metrics for sequence models, written to be read.

Language models
    :func:`perplexity`, :func:`bits_per_char`, :func:`masked_mean_nll`, :func:`masked_perplexity`.
    A model's mean negative log-likelihood (NLL) per token can be reported in three units that
    say the same thing::

        perplexity = e ** (NLL in nats) = 2 ** (NLL in bits),    bits = nats / ln 2

    Losses in this course (``torch.nn.functional.cross_entropy``, the NumPy losses) are natural
    logarithms, so they are in nats.
Classification
    :func:`wilson_interval` (a confidence interval for a proportion), :func:`accuracy_with_interval`,
    :func:`mcnemar_exact` (are two classifiers' accuracies on the same items different?).
Sequences of symbols
    :func:`edit_distance` (Levenshtein), :func:`char_error_rate`, :func:`exact_match`.
Sequences of binary frames (piano rolls)
    :func:`bernoulli_nll`, the negative log-likelihood per time step of independent Bernoulli
    outputs, from logits.

This module needs only NumPy and the standard library (importing it does not import torch);
:func:`mcnemar_exact` calls statsmodels.
Bad input raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong values), with a
message that names the argument and says what was expected.
"""

from __future__ import annotations

import math
import operator
from statistics import NormalDist

import numpy as np

from ._checked import checked as _checked

__all__ = [
    "perplexity",
    "bits_per_char",
    "masked_mean_nll",
    "masked_perplexity",
    "wilson_interval",
    "accuracy_with_interval",
    "mcnemar_exact",
    "edit_distance",
    "char_error_rate",
    "exact_match",
    "mae",
    "rmse",
    "mase",
    "bernoulli_nll",
]


# ----------------------------------------------------------------------------- input checks
def _numeric_array(x, name: str) -> np.ndarray:
    """``x`` as a float array; TypeError naming ``name`` unless it holds real numbers (not bools)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except Exception as exc:  # e.g. a tensor that requires grad
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "iuf":
        what = "booleans" if a.dtype.kind == "b" else f"dtype {a.dtype}"
        raise TypeError(f"{name} must hold real numbers, got {what}")
    return a.astype(np.float64)


def _check_nll(nll) -> np.ndarray:
    """A mean NLL per token in nats: a number or an array of them, each >= 0 (``inf`` allowed)."""
    a = _numeric_array(nll, "nll")
    if np.isnan(a).any():
        raise ValueError("nll must not be NaN (a mean negative log-likelihood in nats, >= 0)")
    if (a < 0).any():
        raise ValueError(
            f"nll must be >= 0: a negative log-likelihood of a discrete model is never negative "
            f"(got {a.min():g}); pass the loss itself, not the log-likelihood"
        )
    return a


def _as_float_or_array(a: np.ndarray):
    return float(a) if a.ndim == 0 else a


def _losses_and_mask(losses, mask) -> tuple[np.ndarray, np.ndarray]:
    """Check per-token ``losses`` and a padding ``mask`` of the same shape; return them as
    (float array, bool array). Padding positions of ``losses`` are not looked at."""
    losses = _numeric_array(losses, "losses")
    if losses.ndim == 0:
        raise ValueError("losses must be an array of per-token losses, shape (T, B), got a single number")
    if mask is None or isinstance(mask, (str, bytes)):
        raise TypeError(f"mask must be an array of booleans (or 0/1) of shape (T, B), got {type(mask).__name__}")
    mask = np.asarray(mask)
    if mask.shape != losses.shape:
        raise ValueError(f"mask must have the shape of losses, {losses.shape}; got {mask.shape}")
    if mask.dtype.kind in "iuf":
        if not np.isin(mask, (0, 1)).all():
            raise ValueError("mask must hold only True/False or 0/1 (True on real tokens)")
        mask = mask.astype(bool)
    elif mask.dtype.kind != "b":
        raise TypeError(f"mask must hold booleans (or 0/1), got dtype {mask.dtype}")
    if not mask.any():
        raise ValueError("mask must mark at least one real token (it is all False): the mean over no tokens is undefined")
    real = losses[mask]
    if np.isnan(real).any():
        raise ValueError("losses must not be NaN on real tokens (where mask is True)")
    if (real < 0).any():
        raise ValueError(f"losses must be >= 0 on real tokens (a negative log-likelihood), got {real.min():g}")
    return losses, mask


def _count(x, name: str) -> int:
    """An integer count (int or NumPy integer; not a bool, not a float)."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer count, got a bool")
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{name} must be an integer count, got {x!r} ({type(x).__name__})") from None


def _sequence(x, name: str):
    """A string, or any other sequence (list, tuple, array) as a list; TypeError otherwise."""
    if isinstance(x, str):
        return x
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{name} must be a string or a sequence of symbols, got {type(x).__name__}") from None


def _lines(references, hypotheses) -> tuple[list, list]:
    """Two equal-length lists of items, neither given as one bare string."""
    for name, value in (("references", references), ("hypotheses", hypotheses)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a sequence of strings, got a single string (wrap one line in a list: [line])")
    references = _sequence(references, "references")
    hypotheses = _sequence(hypotheses, "hypotheses")
    if len(references) != len(hypotheses):
        raise ValueError(
            f"references and hypotheses must have the same length, got {len(references)} and {len(hypotheses)}"
        )
    return references, hypotheses


# ----------------------------------------------------------------------------- language models
def perplexity(nll):
    r"""Perplexity from a mean negative log-likelihood per token in nats.

    .. math:: \mathrm{PPL} = e^{\mathrm{NLL}} = 2^{\mathrm{bits}},
              \qquad \mathrm{NLL} = -\frac{1}{N} \sum_{i=1}^{N} \ln p(x_i \mid x_{<i})

    The "effective number of equally likely choices" per token: a model that spreads its
    probability uniformly over V symbols has NLL = ln V and perplexity V.

    Parameters
    ----------
    nll : float or array-like
        Mean NLL per token in nats (natural log), >= 0; ``inf`` gives ``inf``.

    Returns
    -------
    float, or an ndarray of the shape of ``nll`` when an array is given.

    Raises
    ------
    TypeError
        ``nll`` is not a number (or holds booleans).
    ValueError
        ``nll`` is negative or NaN.
    """
    return _as_float_or_array(np.exp(_check_nll(nll)))


def bits_per_char(nll):
    r"""Bits per character (or per token) from a mean NLL in nats: ``nll / ln 2``.

    .. math:: \mathrm{bits} = \frac{\mathrm{NLL}_{\text{nats}}}{\ln 2}, \qquad
              2^{\mathrm{bits}} = e^{\mathrm{NLL}} = \mathrm{perplexity}

    Bits per character is what a compressor driven by the model would spend per character
    (arithmetic coding gets within a few bits of the total), so it compares directly with
    ``zlib``/``bz2``/``lzma`` sizes in bits divided by the number of characters.

    Parameters
    ----------
    nll : float or array-like
        Mean NLL per character in nats, >= 0.

    Returns
    -------
    float, or an ndarray of the shape of ``nll``.

    Raises
    ------
    TypeError, ValueError
        As :func:`perplexity`.
    """
    return _as_float_or_array(_check_nll(nll) / math.log(2))


def masked_mean_nll(losses, mask) -> float:
    r"""Mean NLL over the real tokens of a padded batch, in nats per token.

    .. math:: \overline{\mathrm{NLL}} = \frac{\sum_{t,b} m_{tb}\, \ell_{tb}}{\sum_{t,b} m_{tb}}

    Every real token has the same weight (a long sequence counts more than a short one);
    padding positions are ignored, whatever they hold (even NaN).

    Parameters
    ----------
    losses : array-like, shape (T, B)
        Per-token NLL in nats (e.g. ``cross_entropy(..., reduction="none")``); >= 0 on real tokens.
    mask : array-like of bool or 0/1, shape (T, B)
        True (1) on real tokens, False (0) on padding.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        ``losses`` is not numeric, ``mask`` not boolean or 0/1.
    ValueError
        Shapes differ; ``mask`` has no real token; a real token's loss is negative or NaN.
    """
    losses, mask = _losses_and_mask(losses, mask)
    return float(losses[mask].mean())


def masked_perplexity(losses, mask):
    r"""Perplexity of a padded batch: e to the mean NLL over its real tokens.

    .. math:: \mathrm{PPL} = \exp\Big(\frac{\sum_{t,b} m_{tb}\, \ell_{tb}}{\sum_{t,b} m_{tb}}\Big)

    Every real token has the same weight; padding is ignored, whatever it holds (even NaN).
    Not a mean over all T*B positions, nor the mean of per-sequence values.

    Parameters
    ----------
    losses : array-like, shape (T, B)
        Per-token NLL in nats; >= 0 on real tokens.
    mask : array-like of bool or 0/1, shape (T, B)
        True (1) on real tokens, False (0) on padding.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`masked_mean_nll` (e.g. an all-False ``mask``).
    """
    losses, mask = _losses_and_mask(losses, mask)  # checks; mask as booleans
    real = losses[mask]                             # (N,): the N real tokens, padding dropped
    return float(np.exp(real.mean()))               # e ** (mean NLL in nats)


# ----------------------------------------------------------------------------- intervals
def wilson_interval(successes, n, confidence=0.95) -> tuple[float, float]:
    r"""The Wilson score interval for a proportion (Wilson 1927).

    With :math:`\hat p = k/n` and :math:`z` the standard normal quantile at
    :math:`1 - (1 - \text{confidence})/2` (1.96 for 95 %):

    .. math:: \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
              \frac{z}{1 + \frac{z^2}{n}} \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}

    The bounds are the two proportions p for which :math:`|\hat p - p| = z\sqrt{p(1-p)/n}`.
    Unlike the textbook interval :math:`\hat p \pm z\sqrt{\hat p(1-\hat p)/n}`, it stays in
    [0, 1], is not empty at k = 0 or k = n, and keeps close to its nominal coverage for small n
    (Newcombe 1998; Brown, Cai & DasGupta 2001).

    Parameters
    ----------
    successes : int
        Number of successes k (e.g. correct predictions), 0 <= k <= n.
    n : int
        Number of trials (test examples), >= 1.
    confidence : float, default 0.95
        In (0, 1).

    Returns
    -------
    (low, high) : tuple of float
        0 <= low <= k/n <= high <= 1; low is 0 when k = 0, high is 1 when k = n.

    Raises
    ------
    TypeError
        ``successes`` or ``n`` is not an integer; ``confidence`` not a number.
    ValueError
        ``n`` < 1; ``successes`` outside [0, n]; ``confidence`` outside (0, 1).

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    JASA 22 (1927) 209-212. R. G. Newcombe, "Two-sided confidence intervals for the single
    proportion: comparison of seven methods", Statistics in Medicine 17 (1998) 857-872.
    """
    k = _count(successes, "successes")
    n = _count(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1 (the number of trials), got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"successes must be between 0 and n = {n}, got {k}")
    if isinstance(confidence, (bool, np.bool_)) or not isinstance(confidence, (int, float, np.integer, np.floating)):
        raise TypeError(f"confidence must be a number in (0, 1), got {type(confidence).__name__}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95, got {confidence}")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)  # 1.959964 for 95 %
    p = k / n
    shrink = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low = 0.0 if k == 0 else max(0.0, centre - half)   # exact ends (rounding would leave ~1e-17)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def accuracy_with_interval(correct, confidence=0.95) -> tuple[float, float, float]:
    """Accuracy and its Wilson score interval from per-example outcomes.

    Parameters
    ----------
    correct : array-like of bool or 0/1, any shape
        One entry per test example: True (1) where the prediction is right.
    confidence : float, default 0.95
        In (0, 1).

    Returns
    -------
    (accuracy, low, high) : tuple of float
        ``accuracy = correct.mean()``; ``(low, high) = wilson_interval(correct.sum(), correct.size)``.

    Raises
    ------
    TypeError
        ``correct`` is not boolean or 0/1 numbers.
    ValueError
        ``correct`` is empty or holds values other than 0 and 1; ``confidence`` as in
        :func:`wilson_interval`.
    """
    if correct is None or isinstance(correct, (str, bytes)):
        raise TypeError(f"correct must be an array of booleans (or 0/1), got {type(correct).__name__}")
    c = np.asarray(correct)
    if c.dtype.kind in "iuf":
        if not np.isin(c, (0, 1)).all():
            raise ValueError("correct must hold only True/False or 0/1")
        c = c.astype(bool)
    elif c.dtype.kind != "b":
        raise TypeError(f"correct must hold booleans (or 0/1), got dtype {c.dtype}")
    if c.size == 0:
        raise ValueError("correct must hold at least one outcome, got an empty array")
    k, n = int(c.sum()), int(c.size)
    low, high = wilson_interval(k, n, confidence)
    return k / n, low, high


def mcnemar_exact(correct_a, correct_b) -> tuple[int, int, float]:
    r"""The exact McNemar test of two classifiers scored on the same test items.

    Only the items where exactly one of the two is right say anything about which is better:
    ``a_only`` (A right, B wrong) and ``b_only`` (B right, A wrong). If both had the same
    accuracy, each of those :math:`n = a_\text{only} + b_\text{only}` discordant items would be
    a fair coin, so the two-sided p-value is that of a binomial test with probability 1/2:

    .. math:: p = \min\Big(1,\; 2 \sum_{i=0}^{\min(a, b)} \binom{n}{i} 2^{-n}\Big)

    (McNemar 1947; the exact form avoids the chi-squared approximation, which is poor when few
    items are discordant). Computed by ``statsmodels.stats.contingency_tables.mcnemar`` with
    ``exact=True``. Paired, it is far more sensitive than comparing two intervals that
    overlap: the items both get right or both get wrong drop out.

    Parameters
    ----------
    correct_a, correct_b : array-like of bool or 0/1, shape (N,)
        Per-item outcomes of classifiers A and B on the same N items, in the same order.

    Returns
    -------
    (a_only, b_only, p_value) : tuple of (int, int, float)
        p_value is 1.0 when no item is discordant.

    Raises
    ------
    ValueError
        The two arrays differ in shape, are empty, or hold values other than 0/1.
    ImportError
        statsmodels is missing (``pip install 'rnncourse[apps]'``).
    """
    a = np.asarray(correct_a)
    b = np.asarray(correct_b)
    for name, x in (("correct_a", a), ("correct_b", b)):
        if x.dtype.kind not in "biuf" or not np.isin(x, (0, 1)).all():
            raise ValueError(f"{name} must hold only True/False or 0/1")
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"correct_a and correct_b must be non-empty and of one shape (the same items), "
                         f"got {a.shape} and {b.shape}")
    a, b = a.astype(bool).ravel(), b.astype(bool).ravel()
    a_only, b_only = int((a & ~b).sum()), int((b & ~a).sum())
    if a_only + b_only == 0:
        return 0, 0, 1.0
    try:
        from statsmodels.stats.contingency_tables import mcnemar
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("mcnemar_exact needs statsmodels: pip install 'rnncourse[apps]'") from exc
    table = [[int((a & b).sum()), a_only], [b_only, int((~a & ~b).sum())]]
    return a_only, b_only, float(mcnemar(table, exact=True).pvalue)


# ----------------------------------------------------------------------------- edit distance
def edit_distance(reference, hypothesis) -> int:
    r"""The Levenshtein distance: the fewest insertions, deletions and substitutions (each of
    cost 1) that turn ``reference`` into ``hypothesis`` (Levenshtein 1966).

    Dynamic programming over prefixes, one row at a time: with D[i][j] the distance between the
    first i symbols of the reference r and the first j of the hypothesis h,

    .. math:: D_{i,j} = \min\big(D_{i-1,j} + 1,\; D_{i,j-1} + 1,\;
              D_{i-1,j-1} + [r_i \ne h_j]\big), \qquad D_{i,0} = i,\; D_{0,j} = j

    O(len(reference) * len(hypothesis)) time, O(len(hypothesis)) memory, pure Python: fine for
    lines of text, slow for whole books.

    Parameters
    ----------
    reference, hypothesis : str or sequence
        Strings (compared by character) or sequences of symbols compared with ``==`` (words,
        token ids).

    Returns
    -------
    int
        Symmetric; 0 only for equal sequences; at most max(len(reference), len(hypothesis)).

    Raises
    ------
    TypeError
        An argument is not a string or a sequence.

    References
    ----------
    V. I. Levenshtein, "Binary codes capable of correcting deletions, insertions, and
    reversals", Soviet Physics Doklady 10 (1966) 707-710.
    """
    ref = _sequence(reference, "reference")
    hyp = _sequence(hypothesis, "hypothesis")
    previous = list(range(len(hyp) + 1))  # D[0][j] = j: insert the first j symbols of hyp
    for i, r in enumerate(ref, start=1):
        current = [i]                      # D[i][0] = i: delete the first i symbols of ref
        for j, h in enumerate(hyp, start=1):
            current.append(min(
                previous[j] + 1,              # delete r
                current[j - 1] + 1,           # insert h
                previous[j - 1] + (r != h),   # substitute r by h (free when equal)
            ))
        previous = current
    return int(previous[-1])


def char_error_rate(references, hypotheses) -> float:
    r"""Character error rate (CER) of a set of lines: total edits / total reference characters.

    .. math:: \mathrm{CER} = \frac{\sum_i \mathrm{lev}(r_i, h_i)}{\sum_i |r_i|}

    A corpus-level rate (long lines weigh more), as speech and handwriting recognition report
    it; it can exceed 1 when the hypotheses are much longer than the references.

    Parameters
    ----------
    references, hypotheses : sequence of str
        Equal-length sequences of lines (a single string is refused: wrap it in a list).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        An argument is a single string, or an item is not a string.
    ValueError
        The lengths differ, or the references hold no characters at all.
    """
    references, hypotheses = _lines(references, hypotheses)
    for name, lines in (("references", references), ("hypotheses", hypotheses)):
        for i, line in enumerate(lines):
            if not isinstance(line, str):
                raise TypeError(f"{name}[{i}] must be a string, got {type(line).__name__}")
    n_chars = sum(len(r) for r in references)
    if n_chars == 0:
        raise ValueError("references must contain at least one character: the rate per reference character is undefined")
    edits = sum(edit_distance(r, h) for r, h in zip(references, hypotheses))
    return edits / n_chars


def exact_match(references, hypotheses) -> float:
    """Fraction of items whose hypothesis equals its reference exactly (``==``).

    Parameters
    ----------
    references, hypotheses : sequence
        Equal-length sequences of strings (or of other items comparable with ``==``, such as
        tuples of token ids). A single string is refused: wrap it in a list.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    TypeError
        An argument is a single string or not a sequence.
    ValueError
        The lengths differ, or both are empty.
    """
    references, hypotheses = _lines(references, hypotheses)
    if not references:
        raise ValueError("references must hold at least one item, got an empty sequence")
    return sum(bool(r == h) for r, h in zip(references, hypotheses)) / len(references)


# ----------------------------------------------------------------------------- forecasts (lesson 12)
def _paired(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    """Two float arrays of the same shape, non-empty and finite."""
    a = _numeric_array(actual, "actual")
    f = _numeric_array(forecast, "forecast")
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast must have the same shape, got {a.shape} and {f.shape}")
    if a.size == 0:
        raise ValueError("actual and forecast must hold at least one value each")
    for name, x in (("actual", a), ("forecast", f)):
        if not np.isfinite(x).all():
            raise ValueError(f"{name} must hold finite values (no NaN or inf)")
    return a, f


def mae(actual, forecast) -> float:
    """Mean absolute error, ``mean(|actual - forecast|)``, in the units of the series.

    ``actual`` and ``forecast`` are numbers or arrays of one shape (finite, not empty); the
    mean is over all entries. Raises ``TypeError`` / ``ValueError`` otherwise.
    """
    a, f = _paired(actual, forecast)
    return float(np.mean(np.abs(a - f)))


def rmse(actual, forecast) -> float:
    """Root mean squared error, ``sqrt(mean((actual - forecast) ** 2))``, in the units of the series.

    Never below :func:`mae` (equal when every error has the same size); large errors weigh
    more. Arguments and errors as in :func:`mae`.
    """
    a, f = _paired(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def _checked_mase(body):
    import functools

    @functools.wraps(body)  # keeps the name, the docstring and (in __wrapped__) the source
    def mase(actual, forecast, train, period=1):
        a, f = _paired(actual, forecast)
        if a.ndim != 1:
            raise ValueError(f"actual and forecast must be 1-D, shape (H,), got shape {a.shape}")
        t = _numeric_array(train, "train")
        if t.ndim != 1:
            raise ValueError(f"train must be 1-D, shape (n,), got shape {t.shape}")
        if not np.isfinite(t).all():
            raise ValueError("train must hold finite values (no NaN or inf)")
        m = _count(period, "period")
        if m < 1:
            raise ValueError(f"period must be >= 1, got {m}")
        if len(t) <= m:
            raise ValueError(
                f"train must hold more than period = {m} values (the naive forecast needs one value a season "
                f"before it); it has {len(t)}"
            )
        if np.all(t[m:] == t[:-m]):
            raise ValueError(
                f"the seasonal naive forecast (period {m}) is exact on train, so the scale of MASE is 0; "
                "MASE is undefined for a training part that repeats itself exactly"
            )
        return float(body(a, f, t, m))

    return mase


def mase(actual, forecast, train, period=1):
    r"""Mean absolute scaled error (Hyndman and Koehler 2006): the forecast's MAE over a naive one's.

    .. math::
        \mathrm{MASE} = \frac{\frac{1}{H}\sum_{h=1}^{H} |y_h - \hat y_h|}
                             {\frac{1}{n - m}\sum_{t=m}^{n-1} |x_t - x_{t-m}|}

    The denominator is the in-sample error of the one-step seasonal naive forecast (period m;
    m = 1 is persistence) on the training part x, so it is one number, known before any test
    value is seen, and never depends on the forecast being scored. Below 1: better than that
    naive forecast did on the training part; above 1: worse. Free of the series' units, so
    MASEs of different series can be averaged.

    Parameters
    ----------
    actual, forecast : array-like of real numbers, shape (H,)
        The values of the forecast period and their forecasts.
    train : array-like of real numbers, shape (n,), n > period
        The training part (the series before the forecast period).
    period : int >= 1
        The seasonal period m of the naive forecast in the scale.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        An argument does not hold real numbers; ``period`` is not an int.
    ValueError
        Shapes differ or are not 1-D, NaN/inf, ``period`` < 1, ``train`` no longer than
        ``period``, or a scale of 0 (a training part the naive forecast gets exactly right).
    """
    naive_errors = np.abs(train[period:] - train[:-period])  # in-sample, one step ahead
    return np.mean(np.abs(actual - forecast)) / np.mean(naive_errors)


mase = _checked_mase(mase)


def _bernoulli_nll_args(logits, frames):
    z = _numeric_array(logits, "logits").astype(np.float64)
    y = _numeric_array(frames, "frames").astype(np.float64)
    if z.shape != y.shape or z.ndim < 1:
        raise ValueError(f"logits and frames must have the same shape (..., P) with at least one axis, "
                         f"got {z.shape} and {y.shape}")
    if z.size == 0:
        raise ValueError(f"logits and frames hold no time steps (shape {z.shape})")
    if np.isnan(z).any():
        raise ValueError("logits must not contain NaN")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("frames must hold only 0 and 1 (a note is off or on)")
    return z, y


def bernoulli_nll(logits, frames):
    r"""Negative log-likelihood per time step of binary frames under independent Bernoulli
    outputs, computed from logits.

    With :math:`z_{t,p}` the logit of pitch p at step t and :math:`y_{t,p} \in \{0, 1\}`,
    :math:`\log \sigma(z) = -\operatorname{softplus}(-z)` and
    :math:`\log(1 - \sigma(z)) = -\operatorname{softplus}(z)`, so

    .. math::
        \mathrm{NLL} = \frac{1}{T} \sum_t \sum_p \big(\operatorname{softplus}(z_{t,p})
                       - y_{t,p}\, z_{t,p}\big), \qquad
        \operatorname{softplus}(z) = \log(1 + e^{z}),

    summed over the P pitches of a frame and averaged over the steps (all leading axes). Working
    from logits keeps it finite and exact for logits of any size (``np.logaddexp(0, z)`` never
    overflows), where probabilities would round to 0 or 1 and need clipping, whose threshold
    would change the answer.

    Parameters
    ----------
    logits : array_like, shape (..., P)
    frames : array_like of 0 and 1, same shape

    Returns
    -------
    float
        Nats per time step (per frame).

    Raises
    ------
    ValueError
        Shapes that differ, no steps, NaN logits, frames other than 0 and 1.
    """
    per_pitch = np.logaddexp(0.0, logits) - frames * logits  # (..., P)
    return float(per_pitch.sum(axis=-1).mean())


bernoulli_nll = _checked(bernoulli_nll, _bernoulli_nll_args)

