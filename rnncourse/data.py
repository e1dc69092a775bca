"""Generated sequence tasks, for the lessons and tests (NumPy only, no downloads).

Every generator takes a ``numpy.random.Generator`` (or a seed) and returns time-major
arrays: inputs of shape (T, B, D), as everywhere in the course.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_generator",
    "adding_problem",
    "ADDING_BASELINE_MSE",
    "copy_task",
    "copy_task_baseline",
    "temporal_xor",
    "prefix_parity",
    "CharVocab",
]

#: MSE of always predicting 1, the mean of the target: Var(U1 + U2) = 2/12 = 1/6.
ADDING_BASELINE_MSE = 1.0 / 6.0


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` if it is a Generator, else ``np.random.default_rng(rng)``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def _check_positive(**kwargs: int) -> None:
    for name, value in kwargs.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def adding_problem(batch_size: int, T: int, rng=None, dtype=np.float64):
    r"""The adding problem of Hochreiter and Schmidhuber (1997), as in Le et al. (2015).

    Each sequence has two channels: a value drawn from U(0, 1) and a marker that is 1 at
    exactly two steps (one in the first half, one in the second) and 0 elsewhere. The target
    is the sum of the two marked values,

    .. math::
        y = \sum_{t=1}^{T} x_{t,0}\, x_{t,1}.

    Predicting the mean, 1, gives the baseline MSE of 1/6 (:data:`ADDING_BASELINE_MSE`).

    Parameters
    ----------
    batch_size : int
        B, the number of sequences.
    T : int
        Sequence length, at least 2.
    rng : numpy.random.Generator, int or None
        Source of randomness.

    Returns
    -------
    x : ndarray, shape (T, B, 2)
    y : ndarray, shape (B, 1)
    """
    _check_positive(batch_size=batch_size, T=T)
    if T < 2:
        raise ValueError(f"T must be at least 2 for the adding problem, got {T}")
    rng = as_generator(rng)
    B = batch_size
    values = rng.uniform(0.0, 1.0, size=(T, B))  # (T, B)
    half = T // 2
    first = rng.integers(0, half, size=B)  # (B,)
    second = rng.integers(half, T, size=B)  # (B,)
    markers = np.zeros((T, B))  # (T, B)
    markers[first, np.arange(B)] = 1.0
    markers[second, np.arange(B)] = 1.0
    x = np.stack([values, markers], axis=-1).astype(dtype)  # (T, B, 2)
    y = (values * markers).sum(axis=0, keepdims=True).T.astype(dtype)  # (B, 1)
    return x, y


def copy_task(batch_size: int, delay: int, n_symbols: int = 8, length: int = 10, rng=None):
    """The copy-memory task (Hochreiter and Schmidhuber 1997; Arjovsky et al. 2016).

    The input is ``length`` symbols from {1..n_symbols}, then ``delay`` blanks (0), then a
    go marker (n_symbols + 1) followed by ``length - 1`` blanks. The target is blank
    everywhere except the last ``length`` steps, which must repeat the first ``length``
    symbols.

    Returns
    -------
    x : ndarray of int64, shape (T, B), with T = 2 * length + delay
        Token ids in [0, n_symbols + 1]; the vocabulary size is V = n_symbols + 2.
    y : ndarray of int64, shape (T, B)
        Target token ids in [0, n_symbols].
    """
    _check_positive(batch_size=batch_size, n_symbols=n_symbols, length=length)
    if delay < 0:
        raise ValueError(f"delay must be >= 0, got {delay}")
    rng = as_generator(rng)
    T = 2 * length + delay
    symbols = rng.integers(1, n_symbols + 1, size=(length, batch_size))  # (length, B)
    x = np.zeros((T, batch_size), dtype=np.int64)  # (T, B)
    y = np.zeros((T, batch_size), dtype=np.int64)  # (T, B)
    x[:length] = symbols
    x[length + delay] = n_symbols + 1
    y[-length:] = symbols
    return x, y


def copy_task_baseline(delay: int, n_symbols: int = 8, length: int = 10) -> float:
    """Cross-entropy (nats per step) of the best memoryless guess for :func:`copy_task`.

    It predicts blank with certainty until the copy phase, then a uniform guess over the
    ``n_symbols`` symbols: ``length * log(n_symbols) / (2 * length + delay)``.
    """
    T = 2 * length + delay
    return float(length * np.log(n_symbols) / T)


def temporal_xor(n_pairs: int, rng=None):
    """Elman's (1990) temporal XOR: bits in triples ``a, b, a XOR b``, one bit per step.

    Only every third bit is predictable, from the two before it.

    Returns
    -------
    x : ndarray, shape (T, 1, 1) with T = 3 * n_pairs - 1
        The bit stream, as the input.
    y : ndarray, shape (T, 1, 1)
        The next bit, as the target.
    """
    _check_positive(n_pairs=n_pairs)
    rng = as_generator(rng)
    ab = rng.integers(0, 2, size=(n_pairs, 2))  # (n_pairs, 2)
    triples = np.concatenate([ab, ab[:, :1] ^ ab[:, 1:]], axis=1)  # (n_pairs, 3)
    bits = triples.reshape(-1).astype(np.float64)  # (3 * n_pairs,)
    x = bits[:-1].reshape(-1, 1, 1)  # (T, 1, 1)
    y = bits[1:].reshape(-1, 1, 1)  # (T, 1, 1)
    return x, y


def prefix_parity(batch_size: int, T: int, rng=None):
    r"""Prefix parity: random bits in, the parity of all bits so far out, at every step.

    .. math::

        y_t = x_1 \oplus x_2 \oplus \dots \oplus x_t = \Big(\sum_{s \le t} x_s\Big) mod 2

    The task needs one bit of state that flips on every 1, whatever the length: a recurrent
    network that learns the flip at T = 20 keeps it at any T, and a recurrence whose state
    can only decay (a linear recurrence with positive a_t) cannot represent it (Grazzi et al.,
    ICLR 2025). Always guessing gives accuracy 1/2: the targets are fair coin flips.

    Parameters
    ----------
    batch_size : int
        B.
    T : int
        Steps per sequence.
    rng : numpy.random.Generator, int or None
        The random bits (an int seeds a new generator).

    Returns
    -------
    x : ndarray of float32, shape (T, B, 1)
        The bits, 0.0 or 1.0.
    y : ndarray of int64, shape (T, B)
        The running parity, 0 or 1.
    """
    _check_positive(batch_size=batch_size, T=T)
    rng = as_generator(rng)
    bits = rng.integers(0, 2, size=(T, batch_size))  # (T, B)
    y = np.cumsum(bits, axis=0) % 2  # (T, B)
    return bits[:, :, None].astype(np.float32), y.astype(np.int64)


class CharVocab:
    """A character vocabulary: ``encode`` text to ids, ``decode`` ids to text.

    The ids are the ranks of the characters in code-point order: ``chars[i]`` has id ``i``.

    Parameters
    ----------
    text : str
        The characters of this text (sorted) make up the vocabulary; V = len(vocab).
    unknown : str or None, optional
        What ``encode`` does with a character that is not in the vocabulary. None (the
        default): raise ValueError naming the unknown characters. A single character of
        ``text``: map every unknown character to its id (V does not change, so a model trained
        on ``text`` can read any string).

    Raises
    ------
    ValueError
        If ``text`` is empty or not a string, or ``unknown`` is not a single character of
        ``text``.
    """

    def __init__(self, text: str, unknown: str | None = None):
        if not isinstance(text, str) or not text:
            raise ValueError("CharVocab needs a non-empty string")
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}
        if unknown is not None and (not isinstance(unknown, str) or unknown not in self.index):
            raise ValueError(f"unknown must be None or one character of the vocabulary, got {unknown!r}")
        self.unknown = unknown
        self._codes = np.array([ord(ch) for ch in self.chars], dtype=np.int64)  # (V,) sorted

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Map a string to an int64 array of ids, shape (len(text),).

        Characters outside the vocabulary raise ValueError (naming them), or become the id of
        ``unknown`` when it was given.
        """
        if not isinstance(text, str):
            text = "".join(text)  # a sequence of characters
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.int64)  # (N,)
        ids = np.searchsorted(self._codes, codes).clip(max=len(self) - 1)  # (N,)
        missing = self._codes[ids] != codes  # (N,)
        if missing.any():
            if self.unknown is None:
                unknown = sorted({chr(c) for c in np.unique(codes[missing])})
                raise ValueError(f"characters not in the vocabulary: {unknown!r}")
            ids[missing] = self.index[self.unknown]
        return ids

    def decode(self, ids) -> str:
        """Map a sequence of ids back to a string."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must lie in [0, {len(self) - 1}], got range [{ids.min()}, {ids.max()}]")
        return "".join(self.chars[int(i)] for i in ids)
