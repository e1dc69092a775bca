"""Decoding: turning a language model's next-token distributions into text.

The functions here are model-agnostic and need only NumPy: a model enters as a function.

- :func:`softmax`, :func:`top_k_filter`, :func:`nucleus_filter`, :func:`sample` and
  :func:`next_token` choose one next token from the logits (V,) of one position, or from a
  batch of them (B, V);
- :func:`generate` runs the autoregressive loop with a ``step(ids, state)`` function;
- :func:`beam_search_step`, :func:`beam_search` and :func:`greedy_search` search for likely
  whole sequences with a ``log_probs_fn(prefixes)`` function.

Randomness comes only from a ``np.random.Generator`` passed in (``rng``), so a seed gives the
same text and the global random state is never touched.

Tie rule, everywhere: when tokens have equal logits (or probabilities, or scores), the one
with the lower index wins (a stable sort of the negated values; ``np.argmax`` for greedy).

:func:`top_k_filter`, :func:`nucleus_filter` and :func:`beam_search_step` are also exercises of
lesson 9, and their bodies are the reference solutions shown in the book. So that they read as
the algorithm alone and run on their own when pasted into a notebook, their arguments are
checked by a wrapper applied after each definition (``f = _checked(f, _f_args)``);
``inspect.getsource`` and ``help`` show the function itself.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._checked import checked as _checked

__all__ = [
    "softmax",
    "top_k_filter",
    "nucleus_filter",
    "sample",
    "next_token",
    "generate",
    "beam_search_step",
    "beam_search",
    "greedy_search",
    "ctc_greedy_decode",
]

PROBS_ATOL = 1e-6  # how far from 1 a row of ``probs`` may sum
NUCLEUS_RTOL = 1e-12  # a set of tokens "reaches" p when its total is at least p * (1 - NUCLEUS_RTOL)


# ----------------------------------------------------------------------------- argument checks
def _as_array(x, name):
    """``x`` as a float64 array; a torch tensor (any device, with a graph or not) is read too."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch.Tensor, without importing torch
        x = x.detach().cpu()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers; got {type(x).__name__}") from None


def _rows(x, name, what="logits"):
    """A (V,) or (B, V) float array with V >= 1, else ValueError naming ``name``."""
    x = _as_array(x, name)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(
            f"{name} must be a 1-D array (V,) or a 2-D array (B, V) of {what} with V >= 1; got shape {x.shape}"
        )
    return x


def _finite_rows(x, name):
    x = _rows(x, name)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return x


def _prob_rows(probs, name="probs"):
    probs = _rows(probs, name, what="probabilities")
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        raise ValueError(f"{name} must hold probabilities: finite and >= 0")
    if not np.allclose(probs.sum(axis=-1), 1.0, rtol=0, atol=PROBS_ATOL):
        raise ValueError(f"each row of {name} must sum to 1 (within {PROBS_ATOL:g})")
    return probs


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int >= 1; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    return int(value)


def _token_id(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must hold token ids, ints >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must hold token ids, ints >= 0; got {value!r}")
    return int(value)


def _real(value, name, expected):
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be {expected}; got {value!r}")
    return float(value)


def _temperature(temperature, allow_zero=False):
    expected = "a finite number >= 0 (0 for greedy)" if allow_zero else "a finite number > 0"
    t = _real(temperature, "temperature", expected)
    if not np.isfinite(t) or t < 0 or (t == 0 and not allow_zero):
        raise ValueError(f"temperature must be {expected}; got {temperature!r}")
    return t


def _top_p(p, name="p"):
    value = _real(p, name, "a number in (0, 1]")
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1]; got {p!r}")
    return value


def _top_k_filter_args(logits, k):
    return _finite_rows(logits, "logits"), _positive_int(k, "k")


def _nucleus_filter_args(probs, p):
    return _prob_rows(probs), _top_p(p)


def _beam_search_step_args(scores, log_probs, beam_width):
    scores = _as_array(scores, "scores")
    log_probs = _as_array(log_probs, "log_probs")
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"scores must be a 1-D array (N,) with N >= 1; got shape {scores.shape}")
    if log_probs.ndim != 2 or log_probs.shape[0] != scores.shape[0] or log_probs.shape[1] == 0:
        raise ValueError(
            f"log_probs must be a 2-D array (N, V) with N = len(scores) = {scores.shape[0]} and V >= 1; "
            f"got shape {log_probs.shape}"
        )
    for name, x in (("scores", scores), ("log_probs", log_probs)):
        if np.any(np.isnan(x)) or np.any(x == np.inf):
            raise ValueError(f"{name} must not contain NaN or +inf (-inf, an impossible token, is allowed)")
    return scores, log_probs, _positive_int(beam_width, "beam_width")


# ----------------------------------------------------------------------------- one next token
def softmax(logits, temperature=1.0):
    """Softmax of ``logits / temperature`` over the last axis.

    .. math:: p_i = \\frac{\\exp(z_i / \\tau)}{\\sum_j \\exp(z_j / \\tau)}

    Parameters
    ----------
    logits : array_like, shape (V,) or (B, V)
        Finite logits.
    temperature : float, default 1.0
        tau > 0. Below 1 the distribution sharpens (tau -> 0 puts all the mass on the
        argmax), above 1 it flattens.

    Returns
    -------
    probs : ndarray, the shape of ``logits``
        Each row sums to 1. Stable for large logits (the row maximum is subtracted).

    Raises
    ------
    ValueError
        ``logits`` not 1-D/2-D or not finite; ``temperature`` <= 0.
    """
    logits = _finite_rows(logits, "logits")
    z = logits / _temperature(temperature)
    z = z - z.max(axis=-1, keepdims=True)  # the largest exponent is 0: no overflow
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def top_k_filter(logits, k):
    """Top-k filtering (Fan et al., 2018): the softmax of the k largest logits of each row.

    .. math:: p_i = \\frac{\\exp z_i}{\\sum_{j \\in K} \\exp z_j} \\text{ for } i \\in K,
              \\quad p_i = 0 \\text{ otherwise,}

    where K holds the indices of the k largest logits of the row.

    Parameters
    ----------
    logits : array_like, shape (V,) or (B, V)
        Finite logits (divide them by a temperature first if you use one).
    k : int
        How many tokens to keep, k >= 1. Exactly k are kept in each row (every token if
        k >= V); among equal logits at the cut, the lower index wins.

    Returns
    -------
    probs : ndarray, the shape of ``logits``
        Each row sums to 1 and is 0 outside its min(k, V) kept tokens (a kept token whose
        logit lies more than about 745 below the row's largest underflows to 0 as well).

    Raises
    ------
    TypeError
        ``k`` not an int.
    ValueError
        ``logits`` not 1-D/2-D or not finite; ``k`` < 1.

    References
    ----------
    A. Fan, M. Lewis, Y. Dauphin. Hierarchical neural story generation. ACL 2018.
    """
    order = np.argsort(-logits, axis=-1, kind="stable")  # (..., V) token ids, largest logit first
    keep = np.zeros(logits.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :k], True, axis=-1)  # True for the first k of each row
    z = np.where(keep, logits, -np.inf)  # exp(-inf) = 0 for the tokens left out
    z = z - z.max(axis=-1, keepdims=True)  # stable: the largest exponent is 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


top_k_filter = _checked(top_k_filter, _top_k_filter_args)


def nucleus_filter(probs, p):
    """Nucleus (top-p) filtering (Holtzman et al., 2020): the smallest set of most probable
    tokens whose total probability reaches p, renormalised.

    Sort a row's probabilities in decreasing order, p_(1) >= p_(2) >= ...; keep the first m
    tokens, the smallest m with

    .. math:: \\sum_{j=1}^{m} p_{(j)} \\ge p,

    i.e. token (j) is kept while the tokens before it hold less than p. The kept
    probabilities are divided by their sum; the others are 0.

    Ties: among equal probabilities the lower index comes first (so it is kept first).
    Rounding: a running sum of floats is inexact (0.6 + 0.3 gives 0.8999999999999999), so
    a set counts as reaching p when its total is at least p (1 - 1e-12) (``NUCLEUS_RTOL``).
    Hence the most probable token is always kept, and p = 1 keeps every token with nonzero
    probability, except a tail of the least probable ones holding less than 1e-12 in all.

    Parameters
    ----------
    probs : array_like, shape (V,) or (B, V)
        Probabilities, each row summing to 1 (within 1e-6).
    p : float
        The mass to keep, 0 < p <= 1.

    Returns
    -------
    probs : ndarray, the shape of ``probs``
        Each row sums to 1.

    Raises
    ------
    TypeError
        ``p`` not a number.
    ValueError
        ``probs`` not 1-D/2-D, negative, not finite, or a row not summing to 1; p not in (0, 1].

    References
    ----------
    A. Holtzman, J. Buys, L. Du, M. Forbes, Y. Choi. The curious case of neural text
    degeneration. ICLR 2020.
    """
    order = np.argsort(-probs, axis=-1, kind="stable")  # (..., V) most probable first
    sorted_probs = np.take_along_axis(probs, order, axis=-1)  # (..., V)
    before = np.cumsum(sorted_probs, axis=-1) - sorted_probs  # (..., V) mass of the tokens before
    keep_sorted = before < p * (1 - 1e-12)  # p not reached yet (1e-12: float rounding)
    keep = np.zeros(probs.shape, dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)  # back to token order
    kept = np.where(keep, probs, 0.0)
    return kept / kept.sum(axis=-1, keepdims=True)


nucleus_filter = _checked(nucleus_filter, _nucleus_filter_args)


def sample(probs, rng):
    """Draw one token id from each row of ``probs`` with the generator ``rng``.

    Parameters
    ----------
    probs : array_like, shape (V,) or (B, V)
        Probabilities, each row summing to 1 (within 1e-6).
    rng : numpy.random.Generator
        The only source of randomness: the same generator state gives the same draws.

    Returns
    -------
    int for a (V,) row, or ndarray of int, shape (B,), for a batch.

    Raises
    ------
    TypeError
        ``rng`` not a ``np.random.Generator``.
    ValueError
        ``probs`` not 1-D/2-D or not a distribution.
    """
    probs = _prob_rows(probs)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {rng!r}")
    V = probs.shape[-1]
    if probs.ndim == 1:
        return int(rng.choice(V, p=probs / probs.sum()))
    return np.array([rng.choice(V, p=row / row.sum()) for row in probs], dtype=np.int64)  # (B,)


def next_token(logits, rng=None, temperature=1.0, top_k=None, top_p=None):
    """Choose the next token from the logits: greedy, or a draw after temperature and filters.

    With ``temperature == 0``, the argmax (greedy decoding; ``rng``, ``top_k`` and ``top_p``
    are not needed, since the argmax is kept by every filter). Otherwise, in this order:
    ``softmax(logits / temperature)``, then :func:`top_k_filter` if ``top_k`` is given, then
    :func:`nucleus_filter` if ``top_p`` is given, then a draw with :func:`sample`.

    Parameters
    ----------
    logits : array_like, shape (V,) or (B, V)
        Finite logits (a NumPy array, or a torch tensor, read with ``np.asarray``).
    rng : numpy.random.Generator, optional
        Needed unless ``temperature == 0``.
    temperature : float, default 1.0
        >= 0; 0 means greedy.
    top_k : int, optional
        Keep the ``top_k`` most likely tokens (>= 1).
    top_p : float, optional
        Keep the nucleus of mass ``top_p`` (in (0, 1]).

    Returns
    -------
    int for a (V,) row, or ndarray of int, shape (B,), for a batch.

    Raises
    ------
    TypeError, ValueError
        Bad logits, a negative temperature, ``top_k`` < 1, ``top_p`` outside (0, 1], or no
        ``rng`` when sampling.
    """
    logits = _finite_rows(logits, "logits")
    temperature = _temperature(temperature, allow_zero=True)
    if top_k is not None:
        top_k = _positive_int(top_k, "top_k")
    if top_p is not None:
        top_p = _top_p(top_p, "top_p")
    if temperature == 0:
        token = np.argmax(logits, axis=-1)  # () or (B,): the lower index wins ties
        return int(token) if logits.ndim == 1 else token.astype(np.int64)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng: sampling (temperature > 0) needs a numpy.random.Generator, "
                        f"e.g. np.random.default_rng(0); got {rng!r}")
    z = logits / temperature
    probs = top_k_filter(z, top_k) if top_k is not None else softmax(z)
    if top_p is not None:
        probs = nucleus_filter(probs, top_p)
    return sample(probs, rng)


def generate(step, prompt, n, *, rng=None, temperature=1.0, top_k=None, top_p=None):
    """Generate ``n`` tokens after ``prompt``, one at a time, feeding each back in.

    The model enters as ``step(ids, state) -> (logits, state)``: it reads the list of int
    token ids ``ids`` starting from ``state`` (None at first, for the model's initial state)
    and returns the logits (V,) of the next token after the last id read, with its new state
    (anything; the loop only passes it back). ``generate`` calls it once with the whole
    prompt, then once per new token with that one token: n calls in all (none for n = 0). Each token is chosen
    by :func:`next_token` with ``rng``, ``temperature``, ``top_k`` and ``top_p``.

    Parameters
    ----------
    step : callable
        ``step(ids, state) -> (logits, state)``; ``logits`` array-like (V,) (NumPy, or a torch
        tensor on any device).
    prompt : sequence of int
        At least one token id.
    n : int
        How many tokens to generate, >= 0.
    rng, temperature, top_k, top_p
        As in :func:`next_token` (``temperature=0`` is greedy decoding and needs no ``rng``).

    Returns
    -------
    list of int
        The ``n`` new token ids (without the prompt).

    Raises
    ------
    TypeError, ValueError
        An empty prompt or ids that are not ints, n < 0, logits not (V,), and the errors of
        :func:`next_token`.
    """
    prompt = list(prompt)
    if not prompt:
        raise ValueError("prompt must hold at least one token id; got an empty prompt")
    prompt = [_token_id(i, "prompt") for i in prompt]
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"n must be an int >= 0; got {n!r}")
    if n < 0:
        raise ValueError(f"n must be an int >= 0; got {n!r}")
    ids, state, new = prompt, None, []
    while len(new) < n:
        logits, state = step(ids, state)
        logits = _as_array(logits, "the logits returned by step")
        if logits.ndim != 1:
            raise ValueError(f"step must return logits of shape (V,); got shape {logits.shape}")
        token = next_token(logits, rng, temperature, top_k, top_p)
        new.append(token)
        ids = [token]  # the next call reads only the new token
    return new


# ----------------------------------------------------------------------------- beam search
def beam_search_step(scores, log_probs, beam_width):
    """One step of beam search: the ``beam_width`` best one-token extensions of N hypotheses.

    Extending hypothesis n (summed log-probability ``scores[n]``) by token v gives the score

    .. math:: s_{n,v} = \\mathrm{scores}_n + \\log p(v \\mid \\text{hypothesis } n),

    and the step keeps the K = min(beam_width, N V) best of all N V pairs (n, v), best
    first. Ties go to the lower flat index n V + v (a stable sort).

    Parameters
    ----------
    scores : array_like, shape (N,)
        Summed log-probabilities of the N live hypotheses.
    log_probs : array_like, shape (N, V)
        Next-token log-probabilities of each hypothesis (-inf for an impossible token).
    beam_width : int
        >= 1.

    Returns
    -------
    parents : ndarray of int, shape (K,)
        The hypothesis each extension extends.
    tokens : ndarray of int, shape (K,)
        The token it adds.
    new_scores : ndarray, shape (K,)
        ``scores[parents] + log_probs[parents, tokens]``, in decreasing order.

    Raises
    ------
    TypeError
        ``beam_width`` not an int.
    ValueError
        Shapes other than (N,) and (N, V); NaN or +inf; ``beam_width`` < 1.
    """
    N, V = log_probs.shape
    total = scores[:, None] + log_probs  # (N, V): the score of every extension
    flat = total.reshape(-1)  # (N * V,): entry n * V + v is extension (n, v)
    best = np.argsort(-flat, kind="stable")[:beam_width]  # (K,) best first
    parents, tokens = np.divmod(best, V)  # (K,), (K,)
    return parents, tokens, flat[best]


beam_search_step = _checked(beam_search_step, _beam_search_step_args)


def _read_log_probs(log_probs_fn, prefixes):
    """Call ``log_probs_fn`` and check that it returned (len(prefixes), V) log-probabilities."""
    log_probs = _as_array(log_probs_fn(prefixes), "the log-probabilities returned by log_probs_fn")
    if log_probs.ndim != 2 or log_probs.shape[0] != len(prefixes) or log_probs.shape[1] == 0:
        raise ValueError(
            f"log_probs_fn must return an array (len(prefixes), V) = ({len(prefixes)}, V); "
            f"got shape {log_probs.shape}"
        )
    if np.any(np.isnan(log_probs)) or np.any(log_probs > 1e-6):
        raise ValueError("log_probs_fn must return log-probabilities: <= 0 and not NaN (-inf is allowed)")
    return log_probs


def _check_search_args(bos, eos, beam_width, max_len, length_penalty):
    _token_id(bos, "bos")
    _token_id(eos, "eos")
    _positive_int(beam_width, "beam_width")
    _positive_int(max_len, "max_len")
    if length_penalty is not None:
        alpha = _real(length_penalty, "length_penalty", "None or a number >= 0")
        if not (np.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"length_penalty must be None or a finite number >= 0; got {length_penalty!r}")


def beam_search(log_probs_fn, bos, eos, beam_width, max_len, length_penalty=None):
    """Beam search: the likeliest sequences under a left-to-right model, approximately.

    The search keeps live hypotheses (prefixes starting with ``bos``, with their summed
    log-probabilities; at first ``[bos]`` alone, score 0). Each step asks the model for the
    next-token log-probabilities of every live prefix and keeps the ``beam_width`` best
    one-token extensions of them all (:func:`beam_search_step`). An extension that emits
    ``eos`` (kept in its tokens) or reaches ``max_len`` tokens after ``bos`` is finished: it is
    set aside, and the others stay live. At most ``beam_width`` finished hypotheses are
    kept, the best ones. The search stops when no hypothesis is live, or when
    ``beam_width`` hypotheses have finished and the worst of them ranks above anything a live
    one could still reach: log-probabilities are <= 0, so a live score can only fall, and
    the stop loses nothing.

    ``beam_width=1`` is greedy decoding (:func:`greedy_search`). A width that keeps every
    extension (``beam_width >= V ** max_len``) explores every sequence and returns exactly the
    ``beam_width`` best (all of them, best first, if there are fewer). A wider beam can end
    below a narrower one: it is a heuristic, not a bound.

    Parameters
    ----------
    log_probs_fn : callable
        ``log_probs_fn(prefixes)`` takes a list of N token-id lists, each starting with
        ``bos``, and returns an array-like (N, V) of next-token log-probabilities (NumPy, or
        torch tensors, read with ``np.asarray``; -inf for an impossible token).
    bos, eos : int
        The begin- and end-of-sequence token ids.
    beam_width : int
        How many hypotheses to keep, >= 1.
    max_len : int
        The most tokens a hypothesis may have after ``bos`` (eos included), >= 1.
    length_penalty : float, optional
        None: finished hypotheses are ranked by their summed log-probability. A number
        alpha >= 0: they are ranked by ``score / len(tokens) ** alpha`` (a length
        normalisation, as in fairseq; alpha = 1 is the mean log-probability per token), which
        counters beam search's preference for short outputs. The stop rule then uses the best
        a live hypothesis could reach, ``score / max_len ** alpha``, so it stays exact. The
        live beam is still chosen by the summed log-probability.

    Returns
    -------
    list of (tokens, score)
        At most ``beam_width`` pairs, best first: ``tokens`` the list of int ids after ``bos``
        (ending with ``eos`` unless it stopped at ``max_len``), ``score`` its summed
        log-probability (a float; also with a length penalty, which only sets the order).

    Raises
    ------
    TypeError, ValueError
        ``bos``/``eos`` not ints >= 0, ``beam_width`` or ``max_len`` < 1, ``length_penalty``
        < 0, or ``log_probs_fn`` returning the wrong shape, NaN or positive values.
    """
    _check_search_args(bos, eos, beam_width, max_len, length_penalty)

    def rank(score, length):  # how finished hypotheses are ordered (higher is better)
        return score if length_penalty is None else score / length ** length_penalty

    live = [[bos]]  # the live prefixes
    scores = np.zeros(1)  # (N,) their summed log-probabilities
    finished = []  # (tokens after bos, score), best first
    while live:
        log_probs = _read_log_probs(log_probs_fn, live)  # (N, V)
        parents, tokens, new_scores = beam_search_step(scores, log_probs, beam_width)  # (K,) each
        next_live, next_scores = [], []
        for parent, token, score in zip(parents, tokens, new_scores):
            prefix = live[parent] + [int(token)]
            if token == eos or len(prefix) - 1 == max_len:
                finished.append((prefix[1:], float(score)))
            else:
                next_live.append(prefix)
                next_scores.append(score)
        live, scores = next_live, np.array(next_scores)  # (N',)
        finished.sort(key=lambda hyp: -rank(hyp[1], len(hyp[0])))  # stable: earlier first on ties
        del finished[beam_width:]
        if live and len(finished) == beam_width:
            best_live = scores.max() if length_penalty is None else scores.max() / max_len ** length_penalty
            if rank(finished[-1][1], len(finished[-1][0])) >= best_live:
                break
    return finished


def greedy_search(log_probs_fn, bos, eos, max_len):
    """Greedy decoding: append the likeliest next token until ``eos`` or ``max_len`` tokens.

    The same arguments as :func:`beam_search` (``log_probs_fn`` is called with one prefix at
    a time); ties go to the lower token id. Equal to ``beam_search(..., beam_width=1)[0]``.

    Returns
    -------
    (tokens, score)
        The tokens after ``bos`` (ending with ``eos`` unless ``max_len`` was reached) and
        their summed log-probability.
    """
    _check_search_args(bos, eos, 1, max_len, None)
    prefix, score = [bos], 0.0
    while len(prefix) - 1 < max_len and (len(prefix) == 1 or prefix[-1] != eos):
        log_probs = _read_log_probs(log_probs_fn, [prefix])[0]  # (V,)
        token = int(np.argmax(log_probs))
        prefix.append(token)
        score += float(log_probs[token])
    return prefix[1:], score


# ----------------------------------------------------------------------------- CTC
def _ctc_greedy_decode_args(log_probs, blank=0):
    log_probs = _as_array(log_probs, "log_probs")
    if log_probs.ndim != 2 or log_probs.shape[1] < 2:
        raise ValueError(
            "log_probs must have shape (T, C) with C >= 2 (the labels and the blank), "
            f"got {log_probs.shape}"
        )
    if np.any(np.isnan(log_probs)):
        raise ValueError("log_probs must not contain NaN")
    if isinstance(blank, bool) or not isinstance(blank, Integral):
        raise TypeError(f"blank must be an int, got {type(blank).__name__}")
    if not 0 <= blank < log_probs.shape[1]:
        raise ValueError(f"blank must be in [0, C) = [0, {log_probs.shape[1]}), got {blank}")
    return log_probs, int(blank)


def ctc_greedy_decode(log_probs, blank=0):
    """Best-path decoding of CTC outputs: take the likeliest class at each step, merge
    repeats, then drop blanks.

    The path ``a a - a b b -`` (``-`` the blank) reads ``a a b``: the blank between the two
    ``a`` keeps them apart, and only then do blanks disappear. Best-path decoding finds the
    single likeliest *path*, not the likeliest *labelling* (which sums over its paths), but
    when the network's outputs are peaked the two agree (Graves et al., 2006).

    Parameters
    ----------
    log_probs : array_like, shape (T, C)
        Per-step log-probabilities (or any scores ordered like them) of one sequence: C - 1
        labels and the blank. Ties go to the lower class index (``np.argmax``).
    blank : int
        Index of the blank, in [0, C).

    Returns
    -------
    list of int
        The decoded labels, at most T of them.

    Raises
    ------
    TypeError
        ``blank`` not an int.
    ValueError
        ``log_probs`` not of shape (T, C) with C >= 2, or containing NaN; ``blank`` outside
        [0, C).
    """
    path = np.argmax(log_probs, axis=1)  # (T,) the likeliest class at each step
    labels = []
    previous = None
    for k in path.tolist():
        if k != previous and k != blank:  # a new run of a label (a blank ends a run)
            labels.append(k)
        previous = k
    return labels


ctc_greedy_decode = _checked(ctc_greedy_decode, _ctc_greedy_decode_args)
