r"""Baselines that only count: n-gram models, compressors, and order-free classifiers.

A model is worth its score only beside models that need no training loop, or that cannot see
what the network is meant to use. For language models, both kinds below score a held-out
text in the same unit as the networks, so they go in the same table:

- :class:`NGramLM`, a character n-gram model with interpolated Kneser-Ney smoothing
  (Kneser and Ney 1995; Chen and Goodman 1999), vectorised with NumPy: it fits a 5-gram on
  3.3 M characters and scores 0.43 M in about half a second on a 2-core CPU;
- :func:`compressed_bits` and :func:`compressor_bits_per_char`: zlib, bz2 and lzma from the
  standard library, at their strongest settings, as implicit language models (the size of the
  compressed text is its code length).

For sequence classification (lesson 10), features that throw the order away, each fed to a
logistic regression (scikit-learn's :class:`~sklearn.linear_model.LogisticRegression`, through
:func:`fit_logistic_regression`):

- :func:`word_counts`, the bag of words of a sentence;
- :func:`kmer_counts`, how often each k-letter word occurs in a DNA sequence;
- :func:`mean_frame`, the average frame of an utterance;

and :func:`majority_class`, the answer that ignores the input altogether.

For sequence to sequence (lesson 11), :func:`numeric_date_rule`, a hand-written reader of dates
that are written with numbers only.

NumPy and the standard library only (scikit-learn when a logistic regression is fitted);
importing this module imports neither torch nor scikit-learn.

For reading lines of handwriting (lesson 13), the classical pipeline that a CTC recogniser
replaces: :func:`segment_columns` cuts a line at its empty columns, and
:func:`segment_and_classify` reads each piece with a per-image classifier. It fails exactly
where the pieces are not one character each: touching or broken characters.

For music as piano rolls (lesson 14), two next-frame models that count:
:class:`IndependentBernoulli` (each pitch sounds with its training frequency, whatever came
before) and :class:`RepeatPreviousFrame` (each pitch keeps or changes its state with the
probabilities of the training part: a note that sounds is likely to go on sounding).

For forecasting (lesson 12), :func:`persistence_forecast` (the random walk's forecast),
:func:`seasonal_naive_forecast` (the value one season before), and an autoregression fitted by
statsmodels, :func:`fit_ar` and :func:`ar_forecast` (statsmodels is imported only when one is
fitted).
"""

from __future__ import annotations

import bz2
import lzma
import re
import zlib

import numpy as np

__all__ = ["NGramLM", "compressed_bits", "compressor_bits_per_char", "COMPRESSORS", "word_counts",
           "kmer_counts", "mean_frame", "fit_logistic_regression", "majority_class",
           "numeric_date_rule", "segment_columns", "centre_piece", "fit_piece_classifier",
           "segment_and_classify", "IndependentBernoulli", "RepeatPreviousFrame",
           "persistence_forecast", "seasonal_naive_forecast", "fit_ar", "ar_forecast"]

_INT64_MAX = np.iinfo(np.int64).max


def _check_ids(ids, V: int, name: str, allow_empty: bool = False) -> np.ndarray:
    """``ids`` as a 1-D int64 array with values in [0, V), or a ValueError naming ``name``."""
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of character ids, got shape {arr.shape}")
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.int64)
        raise ValueError(f"{name} must not be empty")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer ids, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= V:
        raise ValueError(f"{name} must lie in [0, {V - 1}] (vocab_size {V}), "
                         f"got range [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64)


class NGramLM:
    r"""Character n-gram language model with interpolated Kneser-Ney smoothing.

    The model of order n predicts character w from the n - 1 before it, its history h. Each
    order k = 1..n mixes its discounted counts with the order below (Chen and Goodman 1999,
    eq. 21; Kneser and Ney 1995),

    .. math::
        p_k(w \mid h) = \frac{\max(c_k(hw) - D_k,\ 0)}{c_k(h\,\bullet)}
            + \frac{D_k\, N_{1+}(h\,\bullet)}{c_k(h\,\bullet)}\; p_{k-1}(w \mid h'),
        \qquad p_0(w) = \frac{1}{V},

    where h holds the k - 1 characters before w, h' is h without its oldest character,
    :math:`c_k(h\,\bullet) = \sum_w c_k(hw)` and :math:`N_{1+}(h\,\bullet)` is the number of
    distinct characters seen after h. The counts are raw counts at the top order,
    :math:`c_n(hw) = \#(hw)`, and *continuation counts* below it,
    :math:`c_k(hw) = N_{1+}(\bullet\, hw)`, the number of distinct characters seen before hw:
    a lower order is only consulted when the longer context is rare, so it should know in how
    many contexts w occurs rather than how often. A history never seen at order k
    (:math:`c_k(h\,\bullet) = 0`) hands over to the order below: :math:`p_k = p_{k-1}`.
    The discount of each order is :math:`D_k = n_1 / (n_1 + 2 n_2)` (Ney, Essen and Kneser
    1994), with :math:`n_r` the number of k-grams whose count at that order is r (0.5 when
    :math:`n_1 = 0`), unless ``discount`` fixes one value for all orders.

    Every order sums to 1 over the V characters and the uniform p_0 gives every character a
    probability > 0, so the model does too. Order 1 is absolute discounting of the raw
    character counts, mixed with the uniform distribution.

    Parameters
    ----------
    order : int
        n >= 1: 1 unigram, 2 bigram, ... The n-grams are stored as int64 keys in base V, so
        V ** order must stay below 2 ** 63 (order <= 10 for V = 65).
    vocab_size : int
        V >= 1; ids lie in [0, V).
    discount : float or None
        A fixed discount D in (0, 1] for every order; None (default) estimates D_k per order.

    Attributes
    ----------
    discounts : tuple of float
        D_1, ..., D_n, after :meth:`fit`.

    Raises
    ------
    ValueError
        For an order < 1, a vocab_size < 1, V ** order >= 2 ** 63, or a discount outside (0, 1].
    """

    def __init__(self, order: int, vocab_size: int, discount: float | None = None):
        for name, value in (("order", order), ("vocab_size", vocab_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if int(vocab_size) ** int(order) > _INT64_MAX:
            raise ValueError(f"order {order} is too high for vocab_size {vocab_size}: "
                             f"the n-gram keys vocab_size ** order must fit in int64")
        if discount is not None and not (isinstance(discount, (int, float)) and 0 < discount <= 1):
            raise ValueError(f"discount must be None or a number in (0, 1], got {discount!r}")
        self.order = int(order)
        self.vocab_size = int(vocab_size)
        self.discount = None if discount is None else float(discount)
        self._levels: list[dict] | None = None
        self.discounts: tuple[float, ...] = ()

    def __repr__(self) -> str:
        return f"NGramLM(order={self.order}, vocab_size={self.vocab_size}, discount={self.discount})"

    def fit(self, ids) -> NGramLM:
        """Count the n-grams of one training stream of ids (1-D, values in [0, V)); returns self."""
        ids = _check_ids(ids, self.vocab_size, "ids")
        V, n = self.vocab_size, self.order
        raw = []  # raw[k - 1]: the distinct k-grams of the stream, as sorted keys
        keys = ids.copy()  # (N,) the 1-grams
        raw_counts = None
        for k in range(1, n + 1):
            if k > 1:
                keys = keys[:-1] * V + ids[k - 1:]  # (N - k + 1,) key of ids[i:i + k]
            uniq, counts = np.unique(keys, return_counts=True)
            raw.append(uniq)
            raw_counts = counts
        self._levels = []
        for k in range(1, n + 1):
            if k == n:
                grams, counts = raw[n - 1], raw_counts  # raw counts at the top order
            else:  # continuation counts: distinct characters before each k-gram
                grams, counts = np.unique(raw[k] % V ** k, return_counts=True)
            self._levels.append(self._level(grams, counts.astype(np.int64)))
        self.discounts = tuple(level["D"] for level in self._levels)
        return self

    def _level(self, grams: np.ndarray, counts: np.ndarray) -> dict:
        """Context totals c(h.) and type counts N1+(h.) of one order, and its discount."""
        contexts, starts, types = np.unique(grams // self.vocab_size, return_index=True,
                                            return_counts=True)
        totals = np.add.reduceat(counts, starts) if counts.size else counts  # (contexts,)
        if self.discount is not None:
            D = self.discount
        else:
            n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
            D = float(n1 / (n1 + 2 * n2)) if n1 > 0 else 0.5
        return {"grams": grams, "counts": counts, "contexts": contexts, "totals": totals,
                "types": types, "D": D}

    def _probs(self, histories: list[np.ndarray], lengths: np.ndarray, targets: np.ndarray):
        """p(targets | histories), shape (N,).

        histories[m] (N,) holds the key of the m characters before each target (valid where
        lengths >= m); lengths (N,) the available history, at most n - 1.
        """
        if self._levels is None:
            raise RuntimeError("call fit(ids) before asking for probabilities")
        V = self.vocab_size
        p = np.full(targets.shape, 1.0 / V)  # (N,) p_0, uniform
        for k, level in enumerate(self._levels, start=1):
            if level["grams"].size == 0:
                continue
            h = histories[k - 1]  # (N,) key of the k - 1 characters before the target
            i = np.searchsorted(level["contexts"], h).clip(max=level["contexts"].size - 1)
            seen = (level["contexts"][i] == h) & (lengths >= k - 1)  # (N,) c_k(h.) > 0
            gram = h * V + targets  # (N,) key of h w
            j = np.searchsorted(level["grams"], gram).clip(max=level["grams"].size - 1)
            c = np.where(level["grams"][j] == gram, level["counts"][j], 0)  # (N,) c_k(hw)
            D, total, types = level["D"], level["totals"][i], level["types"][i]
            p_k = (np.maximum(c - D, 0.0) + D * types * p) / total
            p = np.where(seen, p_k, p)
        return p

    def _histories(self, stream: np.ndarray, positions: np.ndarray):
        """History keys of stream[positions] for m = 0..n-1 characters back, and their lengths."""
        V = self.vocab_size
        lengths = np.minimum(positions, self.order - 1)  # (N,)
        histories = [np.zeros(positions.shape, dtype=np.int64)]  # m = 0: the empty history
        for m in range(1, self.order):
            older = stream[np.maximum(positions - m, 0)]  # (N,) the character m back
            histories.append(histories[-1] + older * V ** (m - 1))  # (N,) it leads the key
        return histories, lengths

    def next_char_probs(self, context) -> np.ndarray:
        """p(w | context) for every character w: shape (V,), sums to 1, all > 0.

        ``context`` is a sequence of ids of any length (only the last n - 1 are used; a
        shorter one uses the orders it has).
        """
        context = _check_ids(context, self.vocab_size, "context", allow_empty=True)
        context = context[len(context) - min(len(context), self.order - 1):]
        V = self.vocab_size
        stream = np.append(context, 0)  # the target's slot goes last
        histories, lengths = self._histories(stream, np.array([len(context)]))
        histories = [np.repeat(h, V) for h in histories]  # (V,) each
        return self._probs(histories, np.repeat(lengths, V), np.arange(V))

    def nll(self, ids, context=None) -> np.ndarray:
        r"""Negative log-likelihood of each character given the ones before it, in nats.

        .. math:: \ell_i = -\ln p(x_i \mid x_{i-n+1}, \dots, x_{i-1})

        Parameters
        ----------
        ids : array-like of int, shape (N,)
            The text to score.
        context : array-like of int or None
            Characters before ``ids[0]`` (e.g. the end of the training text). None: the first
            n - 1 characters are scored with the shorter histories they have (``ids[0]`` by
            order 1 alone).

        Returns
        -------
        ndarray, shape (N,)
        """
        ids = _check_ids(ids, self.vocab_size, "ids")
        context = _check_ids([] if context is None else context, self.vocab_size, "context",
                             allow_empty=True)
        context = context[len(context) - min(len(context), self.order - 1):]
        stream = np.concatenate([context, ids])  # (len(context) + N,)
        positions = np.arange(len(context), len(stream))  # (N,)
        histories, lengths = self._histories(stream, positions)
        return -np.log(self._probs(histories, lengths, ids))

    def mean_nll(self, ids, context=None) -> float:
        """The mean of :meth:`nll`: nats per character."""
        return float(np.mean(self.nll(ids, context)))


#: method name -> function compressing bytes at the method's strongest setting.
COMPRESSORS = {
    "zlib": lambda data: zlib.compress(data, 9),  # DEFLATE: LZ77 (32 KiB window) + Huffman
    "bz2": lambda data: bz2.compress(data, 9),  # Burrows-Wheeler, 900 kB blocks
    "lzma": lambda data: lzma.compress(data, preset=9),  # LZ77 (64 MiB) + range coder, .xz
}


def compressed_bits(data: bytes | str, method: str) -> int:
    """Size in bits of ``data`` compressed by ``method`` ("zlib", "bz2" or "lzma").

    The methods run at their strongest level (zlib 9, bz2 9, lzma preset 9) and the size
    includes each format's header. A str is encoded as UTF-8 first (ASCII text: one byte per
    character).

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`COMPRESSORS`.
    TypeError
        If ``data`` is neither bytes nor str.
    """
    if method not in COMPRESSORS:
        raise ValueError(f"method must be one of {sorted(COMPRESSORS)}, got {method!r}")
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes or str, got {type(data).__name__}")
    return 8 * len(COMPRESSORS[method](bytes(data)))


def compressor_bits_per_char(test: str, method: str, train: str | None = None) -> float:
    r"""Bits per character a compressor spends on ``test``, alone or given ``train``.

    .. math::
        \text{alone: } \frac{C(\text{test})}{|\text{test}|}, \qquad
        \text{given train: } \frac{C(\text{train} + \text{test}) - C(\text{train})}{|\text{test}|},

    with C the compressed size in bits (:func:`compressed_bits`, UTF-8) and :math:`|\text{test}|` the number of
    characters. Given ``train``, the compressor has read the training text before the test text,
    as a trained model has; it can use it only as far as its memory reaches (zlib 32 KiB, bz2
    its 900 kB block, lzma all of it).

    Raises
    ------
    ValueError
        If ``test`` is empty, or ``method`` is unknown.
    """
    if not isinstance(test, str) or not test:
        raise ValueError(f"test must be a non-empty str, got {test!r:.40}")
    if train is None:
        return compressed_bits(test, method) / len(test)
    if not isinstance(train, str):
        raise ValueError(f"train must be a str or None, got {type(train).__name__}")
    return (compressed_bits(train + test, method) - compressed_bits(train, method)) / len(test)


# ----------------------------------------------------------------------------- order-free classifiers
def word_counts(sentences, words) -> np.ndarray:
    """The bag of words: ``counts[i, j]`` = how often ``words[j]`` occurs in ``sentences[i]``.

    Sentences are split on whitespace; tokens not in ``words`` are not counted. Every
    permutation of a sentence's words has the same row: the order is gone.

    Parameters
    ----------
    sentences : sequence of str
        N sentences.
    words : sequence of str
        The vocabulary, V distinct tokens.

    Returns
    -------
    ndarray, (N, V), float64
    """
    if isinstance(sentences, str) or isinstance(words, str):
        raise TypeError("sentences and words must be sequences of strings, not one string")
    index = {w: j for j, w in enumerate(words)}
    if len(index) != len(words):
        raise ValueError("words must be distinct")
    counts = np.zeros((len(sentences), len(index)))               # (N, V)
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(f"sentences[{i}] must be a str, got {type(sentence).__name__}")
        for token in sentence.split():
            j = index.get(token)
            if j is not None:
                counts[i, j] += 1
    return counts


def kmer_counts(sequences, k: int, alphabet: str = "ACGT") -> np.ndarray:
    """How often each of the ``len(alphabet) ** k`` k-mers occurs in each sequence.

    The k-mers are numbered in base ``len(alphabet)``: ``AA..A`` is column 0, and the letter at
    position i of the k-mer has weight ``len(alphabet) ** (k - 1 - i)``. A sequence shorter than
    k has a row of zeros.

    Parameters
    ----------
    sequences : sequence of str
        N sequences over ``alphabet``.
    k : int
        1 <= k <= 8 (4**8 = 65,536 columns).
    alphabet : str
        Distinct letters.

    Returns
    -------
    ndarray, (N, len(alphabet) ** k), float64

    Raises
    ------
    ValueError
        ``k`` outside [1, 8]; a letter outside ``alphabet`` (named).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 8:
        raise ValueError(f"k must be an integer in [1, 8], got {k!r}")
    if isinstance(sequences, str):
        raise TypeError("sequences must be a sequence of strings, not one string")
    A = len(alphabet)
    lut = np.full(256, -1, dtype=np.int64)
    lut[np.frombuffer(alphabet.encode("ascii"), np.uint8)] = np.arange(A)
    weights = A ** np.arange(k - 1, -1, -1)                        # (k,)
    out = np.zeros((len(sequences), A**k))                         # (N, A^k)
    for i, seq in enumerate(sequences):
        ids = lut[np.frombuffer(seq.encode("ascii", "replace"), np.uint8)]  # (L,)
        if (ids < 0).any():
            bad = sorted({seq[j] for j in np.flatnonzero(ids < 0)})
            raise ValueError(f"sequences[{i}] holds letters outside {alphabet!r}: {bad}")
        if len(ids) >= k:
            windows = np.lib.stride_tricks.sliding_window_view(ids, k)  # (L-k+1, k)
            out[i] = np.bincount(windows @ weights, minlength=A**k)
    return out


def mean_frame(frames) -> np.ndarray:
    """Each sequence's average frame: a list of (L_i, D) arrays -> (N, D). Order is gone."""
    rows = []
    for i, f in enumerate(frames):
        f = np.asarray(f, dtype=np.float64)
        if f.ndim != 2 or len(f) == 0:
            raise ValueError(f"frames[{i}] must have shape (L, D) with L >= 1, got {f.shape}")
        rows.append(f.mean(axis=0))                                # (D,)
    if not rows:
        raise ValueError("frames is empty")
    return np.stack(rows)                                          # (N, D)


def fit_logistic_regression(features, labels, *, C: float = 1.0, standardise: bool = False):
    """A multinomial logistic regression (scikit-learn, L2 penalty ``1/C``), fitted.

    Parameters
    ----------
    features : array (N, F)
    labels : array of int (N,)
    C : float
        Inverse regularisation strength (scikit-learn's meaning).
    standardise : bool
        Scale each feature to zero mean and unit variance first (a fitted pipeline).

    Returns
    -------
    A fitted scikit-learn estimator with ``predict`` and ``predict_proba``.

    Raises
    ------
    ImportError
        scikit-learn is missing (``pip install 'rnncourse[apps]'``).
    """
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the logistic-regression baselines need scikit-learn: "
                          "pip install 'rnncourse[apps]'") from exc
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"features must be (N, F) and labels (N,), got {X.shape} and {y.shape}")
    model = LogisticRegression(C=C, max_iter=5000)
    if standardise:
        model = make_pipeline(StandardScaler(), model)
    return model.fit(X, y)


def majority_class(labels) -> int:
    """The most frequent label of the training set (the smallest one on a tie)."""
    y = np.asarray(labels)
    if y.size == 0 or y.dtype.kind not in "iu":
        raise ValueError("labels must be a non-empty array of integers")
    values, counts = np.unique(y, return_counts=True)
    return int(values[np.argmax(counts)])


def segment_columns(image, threshold: float = 0.0) -> list[tuple[int, int]]:
    """The runs of ink in an image read as columns: (start, stop) of every maximal run of
    columns holding a pixel above ``threshold``, left to right.

    Parameters
    ----------
    image : array (D, W)
        D pixels per column, W columns (a line of digits is (8, W)).
    threshold : float
        A column is empty when none of its pixels exceeds it.

    Returns
    -------
    list of (int, int)
        Column spans ``image[:, start:stop]``; empty for a blank image.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must have shape (D, W), got {image.shape}")
    ink = (image > threshold).any(axis=0)                          # (W,)
    edges = np.diff(np.concatenate([[0], ink.astype(np.int8), [0]]))  # (W + 1,)
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, stops)]


def segment_and_classify(image, classifier, width: int, threshold: float = 0.0) -> list[int]:
    """Read a line by segmentation: cut it at empty columns (:func:`segment_columns`), centre
    each piece in ``width`` columns (cropping the middle of a wider one), and label it with a
    per-image classifier.

    Parameters
    ----------
    image : array (D, W)
    classifier : fitted estimator
        For example from :func:`fit_piece_classifier`. ``classifier.predict`` takes (n, D * width) flattened images (row-major, as
        ``images.reshape(n, -1)`` of (n, D, width) images) and returns n labels.
    width : int
        The width of the images the classifier was trained on (through :func:`centre_piece`).
    threshold : float
        As in :func:`segment_columns`.

    Returns
    -------
    list of int
        One label per piece: touching characters read as one, a broken one as two.
    """
    image = np.asarray(image, dtype=np.float64)
    width = _positive(width, "width")
    pieces = [centre_piece(image[:, a:b], width).reshape(-1)       # (D * width,) each
              for a, b in segment_columns(image, threshold)]
    if not pieces:
        return []
    return [int(k) for k in classifier.predict(np.stack(pieces))]


def fit_piece_classifier(images, labels, width: int | None = None):
    """The per-image classifier of :func:`segment_and_classify`: a logistic regression
    (:func:`fit_logistic_regression`) on single-character images cropped to their inked columns
    and centred by :func:`centre_piece`, as the pieces of a segmented line will be.

    Parameters
    ----------
    images : array (N, D, w)
        One character per image.
    labels : array of int (N,)
    width : int, optional
        The width of the pieces (default: w).

    Returns
    -------
    A fitted scikit-learn estimator taking (n, D * width) flattened pieces.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, D, w), got {images.shape}")
    width = images.shape[2] if width is None else _positive(width, "width")
    pieces = []
    for i, image in enumerate(images):
        spans = segment_columns(image)
        if not spans:
            raise ValueError(f"images[{i}] is blank")
        a, b = spans[0][0], spans[-1][1]                           # first to last inked column
        pieces.append(centre_piece(image[:, a:b], width).reshape(-1))  # (D * width,)
    return fit_logistic_regression(np.stack(pieces), labels)


def centre_piece(piece, width: int) -> np.ndarray:
    """A piece of an image (D, w) centred in ``width`` columns of zeros, (D, width); the middle
    ``width`` columns when it is wider. Train the per-image classifier of
    :func:`segment_and_classify` on images passed through the same function."""
    piece = np.asarray(piece, dtype=np.float64)
    width = _positive(width, "width")
    if piece.ndim != 2:
        raise ValueError(f"piece must have shape (D, w), got {piece.shape}")
    if piece.shape[1] > width:
        left = (piece.shape[1] - width) // 2
        piece = piece[:, left:left + width]                        # (D, width)
    canvas = np.zeros((piece.shape[0], width))                     # (D, width)
    left = (width - piece.shape[1]) // 2
    canvas[:, left:left + piece.shape[1]] = piece
    return canvas


def _binary_rolls(rolls, name: str = "rolls", n_pitches: int | None = None) -> list[np.ndarray]:
    rolls = [np.asarray(r, dtype=np.float64) for r in rolls]
    if not rolls:
        raise ValueError(f"{name} holds no pieces")
    P = rolls[0].shape[-1] if n_pitches is None else n_pitches
    for i, r in enumerate(rolls):
        if r.ndim != 2 or r.shape[1] != P or len(r) == 0:
            raise ValueError(f"{name}[{i}] must be a piano roll (T, P={P}) with T >= 1, got {r.shape}")
        if not np.isin(r, (0.0, 1.0)).all():
            raise ValueError(f"{name}[{i}] must hold only 0 and 1")
    return rolls


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


class _FrameBaseline:
    """What both next-frame baselines share: scoring whole pieces."""

    n_pitches: int

    def _fitted(self) -> None:
        if not hasattr(self, "n_pitches"):
            raise ValueError(f"{type(self).__name__} is not fitted yet: call .fit(train_rolls) first")

    def logits(self, roll) -> np.ndarray:  # pragma: no cover - defined by each baseline
        raise NotImplementedError

    def nll_per_step(self, rolls) -> float:
        """Negative log-likelihood per time step (nats) over whole pieces: the total over all
        frames (each predicted from the frames before it, the first from silence) divided by
        the number of frames, as ``rnncourse.models.music.nll_per_step``."""
        from rnncourse.metrics import bernoulli_nll

        self._fitted()
        rolls = _binary_rolls(rolls, n_pitches=self.n_pitches)
        total = sum(bernoulli_nll(self.logits(r), r) * len(r) for r in rolls)
        return float(total / sum(len(r) for r in rolls))


class IndependentBernoulli(_FrameBaseline):
    r"""Each pitch sounds with its frequency in the training frames, independently of the past:
    :math:`p(x_{t,p} = 1) = (n_p + 1) / (N + 2)` (add-one smoothing: no pitch gets
    probability 0 or 1), with :math:`n_p` the training frames in which pitch p sounds out of N.

    ``fit(rolls)`` returns the fitted baseline; ``probs`` (P,); ``logits(roll)`` (T, P);
    ``nll_per_step(rolls)`` in nats.
    """

    def fit(self, rolls) -> "IndependentBernoulli":
        frames = np.concatenate(_binary_rolls(rolls))              # (N, P)
        self.n_pitches = frames.shape[1]
        self.probs = (frames.sum(axis=0) + 1.0) / (len(frames) + 2.0)  # (P,)
        return self

    def logits(self, roll) -> np.ndarray:
        """The same logits at every step of ``roll`` (T, P)."""
        self._fitted()
        roll = _binary_rolls([roll], "roll", self.n_pitches)[0]
        return np.broadcast_to(_logit(self.probs), roll.shape).copy()  # (T, P)


class RepeatPreviousFrame(_FrameBaseline):
    r"""Each pitch keeps its state or changes it, with the training part's frequencies: a
    two-state Markov chain per pitch,

    .. math::
        p(x_{t,p} = 1 \mid x_{t-1,p} = s) = \frac{n_{p}(s \to 1) + 1}{n_{p}(s) + 2},
        \qquad s \in \{0, 1\},

    counted over consecutive training frames (each piece starts from a silent frame), with
    add-one smoothing. A note that sounds tends to go on sounding: on an eighth-note grid this
    beats any model that ignores the previous frame.

    ``fit(rolls)`` returns the fitted baseline; ``p_on`` (2, P): row s for previous state s;
    ``logits(roll)`` (T, P); ``nll_per_step(rolls)`` in nats.
    """

    def fit(self, rolls) -> "RepeatPreviousFrame":
        rolls = _binary_rolls(rolls)
        self.n_pitches = P = rolls[0].shape[1]
        counts = np.zeros((2, P))                                  # frames after state s
        ons = np.zeros((2, P))                                     # ... that sound
        for r in rolls:
            prev = np.concatenate([np.zeros((1, P)), r[:-1]])      # (T, P), silence first
            for s in (0, 1):
                where = prev == s                                  # (T, P)
                counts[s] += where.sum(axis=0)
                ons[s] += (where & (r == 1)).sum(axis=0)
        self.p_on = (ons + 1.0) / (counts + 2.0)                   # (2, P)
        return self

    def logits(self, roll) -> np.ndarray:
        """Logits (T, P) of each frame of ``roll`` given the frame before it."""
        self._fitted()
        roll = _binary_rolls([roll], "roll", self.n_pitches)[0]
        prev = np.concatenate([np.zeros((1, roll.shape[1])), roll[:-1]])  # (T, P)
        return np.where(prev == 1, _logit(self.p_on[1]), _logit(self.p_on[0]))


_NUMBERS = re.compile(r"[0-9]+")


def numeric_date_rule(text: str) -> str:
    """Read a date written with numbers only, by rule; ISO 8601 ``YYYY-MM-DD``, or ``""``.

    The rule, with no knowledge of the locale: the numbers in ``text`` must be one of 4 digits
    (the year) and two of 1 or 2 digits. If the year comes first, the other two are month then
    day (``2023-03-09``, ``2023/3/9``, ``2023. 03. 09.``); otherwise day then month
    (``09.03.2023``, ``9/3/2023``), the order most locales use, and the one en_US
    (``3/9/2023``) gets wrong unless the day is above 12, in which case the two are swapped.
    Anything else (a month or weekday written as a word, an impossible date) gives ``""``,
    which is never a correct answer. It is the baseline a learned model must beat: every rule
    here was written by hand, and a model learns its rules from examples.

    Raises TypeError when ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    import datetime

    groups = _NUMBERS.findall(text)
    years = [g for g in groups if len(g) == 4]
    small = [int(g) for g in groups if len(g) <= 2]
    if len(groups) != 3 or len(years) != 1 or len(small) != 2:
        return ""
    if groups[0] == years[0]:
        month, day = small
    else:
        day, month = small
        if month > 12 >= day:
            day, month = month, day
    try:
        return datetime.date(int(years[0]), month, day).isoformat()
    except ValueError:
        return ""


# ----------------------------------------------------------------------------- forecasting (lesson 12)
def _history(history, name: str = "history") -> np.ndarray:
    """A 1-D array of finite real numbers with at least one value (dtype kept)."""
    if isinstance(history, (str, bytes)) or history is None:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(history).__name__}")
    a = np.asarray(history)
    if a.dtype.kind not in "iuf":
        what = "booleans" if a.dtype.kind == "b" else f"dtype {a.dtype}"
        raise TypeError(f"{name} must hold real numbers, got {what}")
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, shape (N,), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one value")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        bad = np.flatnonzero(~np.isfinite(a))
        raise ValueError(f"{name} must hold finite values; it has NaN or inf at index {', '.join(map(str, bad[:10]))}")
    return a


def _positive(x, name: str) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 1, got {x!r} ({type(x).__name__})")
    if x < 1:
        raise ValueError(f"{name} must be an int >= 1, got {x}")
    return int(x)


def persistence_forecast(history, horizon):
    """The last value, repeated ``horizon`` times: the naive forecast.

    For prices (and any random walk) this is the random walk's forecast: next price = this
    price. Under a random walk it is the best forecast there is (the expected next value is the
    current one), so a model of prices that does not beat it has learnt nothing. It is also
    the seasonal naive forecast with ``period=1``.

    Parameters
    ----------
    history : array-like of real numbers, shape (N,), N >= 1
    horizon : int >= 1

    Returns
    -------
    ndarray, shape (horizon,), of the dtype of ``history``.

    Raises ``TypeError`` / ``ValueError`` for a history that is not 1-D finite numbers, or a
    horizon that is not an int >= 1.
    """
    history = _history(history)
    horizon = _positive(horizon, "horizon")
    return np.full(horizon, history[-1], dtype=history.dtype)


def _checked_seasonal(body):
    import functools

    @functools.wraps(body)  # keeps the name, the docstring and (in __wrapped__) the source
    def seasonal_naive_forecast(history, period, horizon):
        history = _history(history)
        period = _positive(period, "period")
        horizon = _positive(horizon, "horizon")
        if len(history) < period:
            raise ValueError(
                f"history must hold at least one full season (period = {period} values); it has {len(history)}"
            )
        return body(history, period, horizon)

    return seasonal_naive_forecast


def seasonal_naive_forecast(history, period, horizon):
    """Each future step gets the value one season before it: the seasonal naive forecast.

    Step h = 1, 2, ..., horizon is forecast by ``history[-period + ((h - 1) % period)]``: the
    last season of the history, repeated as often as needed. ``period=1`` is the persistence
    forecast; ``period=7`` for daily data says "same as this weekday last week".

    Parameters
    ----------
    history : array-like of real numbers, shape (N,), with N >= period
    period : int >= 1
        The length of a season, in steps.
    horizon : int >= 1
        How many steps to forecast (it may exceed ``period``: the season repeats).

    Returns
    -------
    ndarray, shape (horizon,), of the dtype of ``history``.

    Raises
    ------
    TypeError
        ``history`` does not hold real numbers; ``period`` or ``horizon`` is not an int.
    ValueError
        ``history`` is not 1-D or holds NaN/inf; ``period`` or ``horizon`` is below 1;
        ``history`` is shorter than one season.
    """
    steps = np.arange(horizon)  # h - 1 for the steps h = 1, ..., horizon
    return history[-period + steps % period]  # the last season, repeated


seasonal_naive_forecast = _checked_seasonal(seasonal_naive_forecast)


def fit_ar(train, max_lag, ic="aic"):
    """An autoregression AR(p) with a constant, its order p chosen on the training part.

    .. math:: y_t = c + \\sum_{k=1}^{p} \\phi_k\\, y_{t-k} + \\varepsilon_t

    ``statsmodels.tsa.ar_model.ar_select_order`` tries p = 0..``max_lag`` by the information
    criterion ``ic`` (all fitted on the same ``train[max_lag:]`` targets, so that they are
    comparable), and the chosen ``AutoReg(train, lags=p, trend="c")`` is fitted by least
    squares. Only ``train`` is seen: forecast later parts with :func:`ar_forecast`, which keeps
    these coefficients.

    Parameters
    ----------
    train : array-like of real numbers, shape (N,), N > max_lag + 1
    max_lag : int >= 1
    ic : {"aic", "bic", "hqic"}

    Returns
    -------
    statsmodels ``AutoRegResults``: ``.params`` is ``[c, phi_1, ..., phi_p]``,
    ``.model.ar_lags`` the lags ``[1, ..., p]`` (None when p = 0).

    Raises
    ------
    TypeError, ValueError
        Bad ``train`` (not 1-D finite numbers, or too short for ``max_lag``), ``max_lag`` or ``ic``.
    ImportError
        statsmodels is missing (``pip install 'rnncourse[apps]'``).
    """
    y = _history(train, "train").astype(np.float64)  # NumPy in, so statsmodels needs no dates
    max_lag = _positive(max_lag, "max_lag")
    if ic not in ("aic", "bic", "hqic"):
        raise ValueError(f"ic must be 'aic', 'bic' or 'hqic', got {ic!r}")
    if len(y) < max_lag + 2:
        raise ValueError(f"train must hold more than max_lag + 1 = {max_lag + 1} values to fit an AR; it has {len(y)}")
    try:
        from statsmodels.tsa.ar_model import ar_select_order
    except ImportError as exc:  # pragma: no cover - statsmodels is a dependency of the course
        raise ImportError("fit_ar needs statsmodels: pip install 'rnncourse[apps]'") from exc
    selection = ar_select_order(y, maxlag=max_lag, ic=ic, trend="c")
    return selection.model.fit()


def ar_forecast(fitted, history, horizon):
    """Recursive multi-step forecast of a fitted AR from the end of ``history``.

    Step 1 applies the fitted constant and coefficients to the last p values of ``history``;
    each later step feeds the forecasts made so far back in as if they were observed. With
    ``history`` the training series itself this is ``fitted.forecast(horizon)``; with a longer
    history (training part plus validation part, say) it forecasts from a later origin with the
    coefficients of the training part, refitting nothing.

    Parameters
    ----------
    fitted : statsmodels ``AutoRegResults`` from :func:`fit_ar` (trend "c", no seasonal terms or exog)
    history : array-like of real numbers, shape (N,), N >= p
    horizon : int >= 1

    Returns
    -------
    ndarray of float64, shape (horizon,)
    """
    model = getattr(fitted, "model", None)
    if model is None or not hasattr(fitted, "params") or not hasattr(model, "ar_lags"):
        raise TypeError(f"fitted must be a fitted statsmodels AutoReg (from fit_ar), got {type(fitted).__name__}")
    if getattr(model, "trend", None) != "c" or getattr(model, "seasonal", False) or model.exog is not None:
        raise ValueError("fitted must be an AutoReg with trend='c' and no seasonal terms or exog (as fit_ar makes)")
    y = _history(history).astype(np.float64)
    horizon = _positive(horizon, "horizon")
    lags = [int(k) for k in (model.ar_lags or [])]
    params = np.asarray(fitted.params, dtype=np.float64)
    const, coefs = params[0], params[1:]
    p = max(lags, default=0)
    if len(y) < p:
        raise ValueError(f"history must hold at least p = {p} values (the AR's order); it has {len(y)}")
    values = list(y[len(y) - p:])  # the last p values, then the forecasts
    for _ in range(horizon):
        values.append(const + sum(c * values[-k] for c, k in zip(coefs, lags)))
    return np.array(values[p:], dtype=np.float64)
