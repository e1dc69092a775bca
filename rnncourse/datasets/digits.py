r"""Handwritten digits read as sequences: lines of digits for CTC, and moving digits for video.

Source
------
The Optical Recognition of Handwritten Digits data set (Alpaydin & Kaynak 1998) of the UCI
Machine Learning Repository (licence CC BY 4.0), as bundled in scikit-learn (BSD-3-Clause;
``sklearn.datasets.load_digits``): 1,797 images of 8 x 8 pixels with values 0..16 (the ink of
4 x 4 blocks of a 32 x 32 bitmap), the digits 0..9 about equally often (174 to 183 each). They
are the UCI test set, written by 13 people. Nothing is downloaded; ``pip install
'rnncourse[apps]'`` installs scikit-learn. The lines and clips below are generated from these
images by this module with NumPy's ``default_rng``; everything is fixed by the ``seed``.

Split
-----
:func:`load_digit_split` splits the images (not the lines or clips made from them): a
stratified split by class (``sklearn.model_selection.train_test_split(..., stratify=labels,
random_state=seed)``), 25 % test by default (1,347 training and 450 test images). Build training
lines or clips from the training images only and test ones from the test images only, so that no
handwritten image is seen in both. The split is by image, not by writer: scikit-learn gives no
writer ids, so the same 13 hands write both splits, and a test score measures new images of
familiar writers.

Lines of digits (:func:`make_digit_lines`, for CTC)
---------------------------------------------------
A line is ``min_digits`` to ``max_digits`` digits (the count uniform), each a randomly chosen
image (uniform, with replacement, from the images given), set side by side along the width.
Before the first digit, between two digits and after the last one lie blank (zero) columns,
each run 0 to ``max_gap`` columns wide (uniform). The images are copied unchanged: no noise, no
scaling, no cropping; a digit's own image may have blank columns at its border too (1,797 images
have 2 to 8 inked columns), so with ``max_gap=0`` two digits may touch.

A line is read column by column: it is an (8, W) array, height 8 the features of a time step,
width W the time steps; :func:`pad_lines` turns a batch into ``(B, W_max, 8)`` for a recurrent
network. CTC convention (:meth:`DigitLines.targets`): class 0 is the blank, digit d is class
d + 1, so 11 classes (:data:`N_CTC_CLASSES`). Each digit spans 8 columns, so a line always has
more time steps than CTC needs (at most 2 per digit).

Moving digits (:func:`make_moving_digit_clips`, for video)
----------------------------------------------------------
A clip shows ONE digit moving horizontally on a ``height x width`` canvas that wraps around:
frame f is the canvas holding the image at columns 0..w-1 (rows centred), rolled along the
width by ``np.roll`` to the position ``p_f = start + speed * f`` (moving right, label 0) or
``start - speed * f`` (moving left, label 1), modulo ``width``: the digit leaves on one side and
re-enters on the other. The start is uniform over the ``width`` columns, the speed uniform over
``speeds`` (pixels per frame), the image uniform over the images given, and exactly
``n_clips // 2`` clips move left, in random order. The class is the direction, and only the
order of the frames tells it:

- a single frame: p_f is uniform over the columns whatever the direction, speed or f, and
  independent of the image, so every frame has the same distribution in both classes;
- the set of frames (shuffled, or averaged): the left clip with start a shows the positions
  {a - s f} = {a' + s f'} with a' = a - s (F - 1) and f' = F - 1 - f, the positions of a right
  clip with start a' (uniform too): the same set, with the same probability;
- reversing time maps a right clip with start a onto the left clip with start a + s (F - 1),
  and back, one to one with equal probability.

So a classifier must compare frames in order. Even more: every linear function of the pixels
of a clip is a sum of linear functions of single frames, so it has the same mean in both classes;
a linear classifier on the pixels, on the frame average or on the frame differences is left with
the shapes of the two distributions, and scores near chance. Seeing the motion takes a product of
two frames (a correlation at a shift, a "motion energy").

Speeds must satisfy 1 <= speed < width / 2: at speed width / 2 moving right and moving left are
the same clip, and at speed v > width / 2 moving right is moving left at speed width - v.

Measured (8 x 24 canvas, 8 frames, speeds 1 and 2, eight seeds; 4,000 clips from the training
images of the default split, 2,000 from the test images): the mean clips of the two classes
differ by at most 0.022 to 0.030 in any pixel of any frame (pixel means up to 0.135), as much as
under a random relabelling of the clips (0.023 to 0.031 in four draws); the share of ink per
column in frame 0 is 1/24 within 0.005 in each class. Logistic regression (scikit-learn,
default C) scores 47.5 to 52.0 % on the frame average, 50.0 to 53.6 % on all the pixels, 49.9 to
54.8 % on the 7 frame-to-frame differences, and 100 % on 7 motion-energy features of frames 0
and 1 (their correlation at column shifts -3..3).

Speed (2-core CPU): 5,000 lines of 3 to 6 digits take about 0.1 s, 4,000 clips about 0.05 s,
:func:`pad_lines` of 5,000 lines 0.01 s; the first
:func:`load_digit_split` of a process takes about 1.5 s (importing scikit-learn), later ones
a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncourse.datasets._checks import check_int as _check_int
from rnncourse.datasets._checks import check_seed as _check_seed

__all__ = ["DIGITS_SOURCE", "DIRECTIONS", "CTC_BLANK", "N_CTC_CLASSES", "DigitSplit", "DigitLines",
           "DigitClips", "load_digit_split", "make_digit_lines", "pad_lines",
           "make_moving_digit_clips"]

DIGITS_SOURCE = ("Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998, UCI Machine Learning "
                 "Repository, CC BY 4.0), 1,797 images of 8 x 8, as bundled in scikit-learn "
                 "(sklearn.datasets.load_digits, BSD-3-Clause)")
#: The direction of motion of each clip label: 0 = "right", 1 = "left".
DIRECTIONS = ("right", "left")
#: The CTC blank class of :meth:`DigitLines.targets`; digit d is class d + 1.
CTC_BLANK = 0
#: Classes of a CTC output layer for the digits: the blank and the ten digits.
N_CTC_CLASSES = 11

_INSTALL_HINT = "pip install 'rnncourse[apps]'"
_N_IMAGES = 1797

# load_digits' images (1797, 8, 8) float32 in [0, 1] and labels (1797,) int64, kept after the first load.
_MEMORY: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True, eq=False)
class DigitSplit:
    """The digit images split by :func:`load_digit_split`.

    Attributes
    ----------
    train_images, test_images : ndarray of float32, shape (N, 8, 8)
        Pixel values divided by 16, in [0, 1].
    train_labels, test_labels : ndarray of int64, shape (N,)
        The digits, 0..9.
    train_index, test_index : ndarray of int64, shape (N,)
        Where each image is in ``load_digits()``'s order; disjoint, together 0..1796, each
        in increasing order.
    test_size : float
    seed : int
    source : str
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray
    test_size: float = 0.25
    seed: int = 0
    source: str = DIGITS_SOURCE


@dataclass(frozen=True, eq=False)
class DigitLines:
    """Lines of handwritten digits made by :func:`make_digit_lines`.

    Attributes
    ----------
    images : list of ndarray of float32, shape (h, W_i)
        One line each: height h (8) the features of a column, width W_i the time steps.
    labels : list of ndarray of int64, shape (n_i,)
        The digits of each line, left to right.
    spans : list of ndarray of int64, shape (n_i, 2)
        The columns [start, stop) of each digit in its line: ``images[i][:, a:b]`` is the image
        of digit j for ``(a, b) = spans[i][j]``.
    source_index : list of ndarray of int64, shape (n_i,)
        Which of the images given to :func:`make_digit_lines` each digit is.
    seed : int or numpy.random.SeedSequence
    source : str
    """

    images: list
    labels: list
    spans: list
    source_index: list
    seed: object = 0
    source: str = DIGITS_SOURCE

    def __len__(self) -> int:
        return len(self.images)

    def lengths(self) -> np.ndarray:
        """The width (time steps) of each line: int64 array (n_lines,)."""
        return np.array([x.shape[1] for x in self.images], dtype=np.int64)

    def targets(self, offset: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Targets for CTC: the labels of all lines concatenated, plus ``offset``, and their counts.

        With the default ``offset=1`` class 0 is the CTC blank and digit d is class d + 1
        (:data:`N_CTC_CLASSES` = 11 classes), as ``torch.nn.CTCLoss(blank=0)`` expects.

        Returns
        -------
        targets : ndarray of int64, shape (sum of n_i,)
        target_lengths : ndarray of int64, shape (n_lines,)
        """
        offset = _check_int("offset", offset, 0)
        target_lengths = np.array([len(y) for y in self.labels], dtype=np.int64)   # (n_lines,)
        if not self.labels:
            return np.zeros(0, dtype=np.int64), target_lengths
        return np.concatenate(self.labels).astype(np.int64) + offset, target_lengths


@dataclass(frozen=True, eq=False)
class DigitClips:
    """Clips of one digit moving right or left, made by :func:`make_moving_digit_clips`.

    Attributes
    ----------
    frames : ndarray of float32, shape (N, F, height, width)
    labels : ndarray of int64, shape (N,)
        The direction: 0 = right, 1 = left (:data:`DIRECTIONS`).
    speeds : ndarray of int64, shape (N,)
        Pixels per frame.
    starts : ndarray of int64, shape (N,)
        The column of the digit's left edge in frame 0; in frame f it is
        ``(start + speed * f) % width`` moving right, ``(start - speed * f) % width`` moving left.
    digits : ndarray of int64, shape (N,)
        The digit shown (its label).
    source_index : ndarray of int64, shape (N,)
        Which of the images given the clip shows.
    seed : int or numpy.random.SeedSequence
    source : str
    """

    frames: np.ndarray
    labels: np.ndarray
    speeds: np.ndarray
    starts: np.ndarray
    digits: np.ndarray
    source_index: np.ndarray
    seed: object = 0
    source: str = DIGITS_SOURCE

    def __len__(self) -> int:
        return len(self.labels)


# -- argument checks ------------------------------------------------------------------------------

def _check_images(images, labels) -> tuple[np.ndarray, np.ndarray]:
    """images (N, h, w) of floats and labels (N,) of non-negative ints, as float32 and int64."""
    images = np.asarray(images)
    if images.ndim != 3 or min(images.shape) < 1:
        raise ValueError(f"images must be an array of shape (N, h, w) with N, h, w >= 1 "
                         f"(e.g. DigitSplit.train_images, (N, 8, 8)), got shape {images.shape}")
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"images must hold floats (pixel values in [0, 1]), got dtype {images.dtype}")
    if not np.isfinite(images).all():
        raise ValueError("images must be finite (no NaN or inf)")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of {len(images)} integers (one per image), "
                         f"got shape {labels.shape}, dtype {labels.dtype}")
    if labels.min() < 0:
        raise ValueError(f"labels must be non-negative (the digits 0..9), got {labels.min()}")
    return images.astype(np.float32, copy=False), labels.astype(np.int64, copy=False)


# -- the images -----------------------------------------------------------------------------------

def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    """load_digits' images (1797, 8, 8) float32 / 16 and labels (1797,) int64 (kept in memory)."""
    global _MEMORY
    if _MEMORY is None:
        try:
            from sklearn.datasets import load_digits
        except ImportError as exc:
            raise ImportError(f"load_digit_split needs scikit-learn: {_INSTALL_HINT}") from exc
        data = load_digits()
        images = (np.asarray(data.images, dtype=np.float64) / 16.0).astype(np.float32)  # (1797, 8, 8)
        labels = np.asarray(data.target, dtype=np.int64)                                 # (1797,)
        if images.shape != (_N_IMAGES, 8, 8) or labels.shape != (_N_IMAGES,):
            raise RuntimeError(f"sklearn's load_digits returned images {images.shape} and labels "
                               f"{labels.shape}, expected ({_N_IMAGES}, 8, 8) and ({_N_IMAGES},)")
        images.setflags(write=False)
        labels.setflags(write=False)
        _MEMORY = images, labels
    return _MEMORY


def load_digit_split(test_size: float = 0.25, seed: int = 0) -> DigitSplit:
    """The 1,797 digit images of scikit-learn, split by image, stratified by class.

    Parameters
    ----------
    test_size : float in (0, 1)
        The share of test images (rounded up by scikit-learn: 450 of 1,797 at 0.25).
    seed : int >= 0
        The ``random_state`` of ``train_test_split``.

    Returns
    -------
    DigitSplit
        Images (N, 8, 8) float32 in [0, 1], labels int64, and the indices of the images in
        ``load_digits()``'s order (each split in increasing order).

    Raises
    ------
    ImportError
        If scikit-learn is missing (``pip install 'rnncourse[apps]'``).
    """
    if isinstance(test_size, bool) or not isinstance(test_size, (float, int, np.floating, np.integer)) \
            or not 0.0 < float(test_size) < 1.0:
        raise ValueError(f"test_size must be a float in (0, 1), the share of test images, got {test_size!r}")
    if isinstance(seed, np.random.SeedSequence):
        raise TypeError("seed must be a non-negative int for load_digit_split, got a SeedSequence")
    seed = _check_seed(seed)
    images, labels = _load_digits()
    from sklearn.model_selection import train_test_split

    train_index, test_index = train_test_split(np.arange(_N_IMAGES), test_size=float(test_size),
                                               stratify=labels, random_state=seed)
    train_index = np.sort(train_index).astype(np.int64)                                 # (N_train,)
    test_index = np.sort(test_index).astype(np.int64)                                   # (N_test,)
    return DigitSplit(train_images=images[train_index], train_labels=labels[train_index],
                      test_images=images[test_index], test_labels=labels[test_index],
                      train_index=train_index, test_index=test_index, test_size=float(test_size),
                      seed=seed)


# -- lines of digits ------------------------------------------------------------------------------

def make_digit_lines(images, labels, n_lines: int, min_digits: int = 3, max_digits: int = 6,
                     max_gap: int = 3, seed=0, crop: bool = False) -> DigitLines:
    """Lines of ``min_digits`` to ``max_digits`` random digit images side by side, for CTC.

    See the module docstring. Per line: the digit count uniform in [min_digits, max_digits];
    each digit an image drawn uniformly with replacement from ``images``; a blank margin of 0 to
    ``max_gap`` columns at each end and a blank gap of 0 to ``max_gap`` columns between two
    digits, each uniform. The images are copied unchanged, or with ``crop=True`` cut to their
    inked columns first (the first to the last column holding ink), so that a gap of 0 makes
    two digits touch, as letters do in joined-up handwriting. The random draws do not depend on
    ``crop``: the same seed gives the same digits and gaps either way.

    Parameters
    ----------
    images : array (N, h, w) of floats
        The digit images, e.g. ``DigitSplit.train_images`` for training lines and
        ``DigitSplit.test_images`` for test lines.
    labels : array (N,) of ints
        The digit of each image.
    n_lines : int >= 1
    min_digits, max_digits : int, 1 <= min_digits <= max_digits
    max_gap : int >= 0
    seed : int >= 0 or numpy.random.SeedSequence
    crop : bool
        Cut each digit to its inked columns before gluing (a blank image is kept whole).

    Returns
    -------
    DigitLines
        Lines (h, W_i) float32, with W_i between min_digits * w and
        max_digits * w + (max_digits + 1) * max_gap.
    """
    images, labels = _check_images(images, labels)
    n_lines = _check_int("n_lines", n_lines, 1)
    min_digits = _check_int("min_digits", min_digits, 1)
    max_digits = _check_int("max_digits", max_digits, 1)
    if min_digits > max_digits:
        raise ValueError(f"min_digits must be <= max_digits, got min_digits={min_digits} > "
                         f"max_digits={max_digits}")
    max_gap = _check_int("max_gap", max_gap, 0)
    seed = _check_seed(seed)
    if not isinstance(crop, (bool, np.bool_)):
        raise TypeError(f"crop must be True or False, got {crop!r}")

    rng = np.random.default_rng(seed)
    n, h, w = images.shape
    counts = rng.integers(min_digits, max_digits + 1, size=n_lines)          # (n_lines,)
    total = int(counts.sum())
    chosen = rng.integers(0, n, size=total)                                  # (total,)
    blanks = rng.integers(0, max_gap + 1, size=total + n_lines)              # (total + n_lines,)
    lines, line_labels, spans, sources = [], [], [], []
    d0 = 0                                                                   # first digit of the line
    for i, k in enumerate(counts.tolist()):
        src = chosen[d0:d0 + k]                                              # (k,)
        gap = blanks[d0 + i:d0 + i + k + 1]                                  # (k + 1,) margins and gaps
        digits = [_ink(images[j]) if crop else images[j] for j in src]       # k x (h, w_j)
        widths = np.array([d.shape[1] for d in digits], dtype=np.int64)      # (k,)
        starts = np.cumsum(gap[:k]) + np.concatenate([[0], np.cumsum(widths)[:-1]])  # (k,)
        width = int(gap.sum() + widths.sum())
        line = np.zeros((h, width), dtype=np.float32)                        # (h, W_i)
        for j in range(k):
            line[:, starts[j]:starts[j] + widths[j]] = digits[j]
        lines.append(line)
        line_labels.append(labels[src].astype(np.int64))
        spans.append(np.stack([starts, starts + widths], axis=1).astype(np.int64))  # (k, 2)
        sources.append(src.astype(np.int64))
        d0 += k
    return DigitLines(images=lines, labels=line_labels, spans=spans, source_index=sources, seed=seed)


def _ink(image: np.ndarray) -> np.ndarray:
    """The image cut to its inked columns, first to last (a blank image whole)."""
    inked = np.flatnonzero((image > 0).any(axis=0))                          # columns with ink
    return image if inked.size == 0 else image[:, inked[0]:inked[-1] + 1]


def pad_lines(images) -> tuple[np.ndarray, np.ndarray]:
    """A batch of lines as sequences of columns, zero padded: X (B, W_max, h) and lengths (B,).

    Parameters
    ----------
    images : DigitLines, or a non-empty list of arrays (h, W_i) of the same height h
        Column t of line b becomes ``X[b, t]``: the time steps run along the width.

    Returns
    -------
    X : ndarray of float32, shape (B, W_max, h)
        ``X[b, :lengths[b]] = images[b].T`` and zeros after.
    lengths : ndarray of int64, shape (B,)
    """
    if isinstance(images, DigitLines):
        images = images.images
    if isinstance(images, np.ndarray) and images.ndim == 2:
        raise ValueError("images must be a list of (h, W_i) arrays (one line each), got one 2-D array; "
                         "wrap it in a list")
    images = [np.asarray(x) for x in images]
    if not images:
        raise ValueError("images must hold at least one line, got none")
    h = images[0].shape[0] if images[0].ndim == 2 else None
    for i, x in enumerate(images):
        if x.ndim != 2 or x.shape[0] != h or x.shape[1] < 1:
            raise ValueError(f"images must be 2-D arrays (h, W_i) of one height h >= 1 and W_i >= 1; "
                             f"images[{i}] has shape {x.shape}, images[0] {images[0].shape}")
    lengths = np.array([x.shape[1] for x in images], dtype=np.int64)        # (B,)
    X = np.zeros((len(images), int(lengths.max()), h), dtype=np.float32)    # (B, W_max, h)
    for b, x in enumerate(images):
        X[b, :x.shape[1]] = x.T
    return X, lengths


# -- moving digits --------------------------------------------------------------------------------

def make_moving_digit_clips(images, labels, n_clips: int, n_frames: int = 8, height: int = 8,
                            width: int = 24, speeds=(1, 2), seed=0) -> DigitClips:
    """Clips of one digit moving right (label 0) or left (label 1) on a canvas that wraps around.

    See the module docstring: start uniform over the ``width`` columns, speed uniform over
    ``speeds``, image uniform over ``images``, ``n_clips // 2`` clips moving left in random
    order; frame f is the canvas rolled (``np.roll``, axis -1) to ``start + speed * f``
    (right) or ``start - speed * f`` (left), modulo ``width``. Every frame alone, and the set
    of frames, has the same distribution in both classes, and reversing time turns a right
    clip into a left one with equal probability: only the order of the frames tells the class.

    Parameters
    ----------
    images : array (N, h, w) of floats
        E.g. ``DigitSplit.train_images``.
    labels : array (N,) of ints
        The digit of each image.
    n_clips : int >= 1
    n_frames : int >= 2
    height : int >= h
        The image sits in rows ``(height - h) // 2`` onwards.
    width : int >= w
        The canvas width; the digit wraps around it.
    speeds : non-empty sequence of ints, each 1 <= speed < width / 2
        Pixels per frame.
    seed : int >= 0 or numpy.random.SeedSequence

    Returns
    -------
    DigitClips
        frames (n_clips, n_frames, height, width) float32.
    """
    images, labels = _check_images(images, labels)
    n, h, w = images.shape
    n_clips = _check_int("n_clips", n_clips, 1)
    n_frames = _check_int("n_frames", n_frames, 2)
    height = _check_int("height", height, 1)
    width = _check_int("width", width, 1)
    if height < h:
        raise ValueError(f"height must be >= the images' height {h}, got height={height}")
    if width < w:
        raise ValueError(f"width must be >= the images' width {w}, got width={width}")
    if isinstance(speeds, (int, np.integer)) or isinstance(speeds, str):
        raise TypeError(f"speeds must be a sequence of ints (e.g. (1, 2)), got {speeds!r}")
    speeds = list(speeds)
    if not speeds:
        raise ValueError("speeds must hold at least one speed, got none")
    for s in speeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 1 <= 2 * s < width:
            raise ValueError(f"speeds must be integers with 1 <= speed < width / 2 = {width / 2:g} "
                             f"(else moving right and moving left are the same clip), got {s!r}")
    seed = _check_seed(seed)

    rng = np.random.default_rng(seed)
    clip_labels = rng.permutation(np.repeat(np.array([0, 1], dtype=np.int64),
                                            [n_clips - n_clips // 2, n_clips // 2]))     # (N,)
    clip_speeds = np.asarray(speeds, dtype=np.int64)[rng.integers(0, len(speeds), size=n_clips)]
    starts = rng.integers(0, width, size=n_clips).astype(np.int64)                       # (N,)
    source = rng.integers(0, n, size=n_clips).astype(np.int64)                           # (N,)

    top = (height - h) // 2
    canvas = np.zeros((n_clips, height, width), dtype=np.float32)                        # (N, H, W)
    canvas[:, top:top + h, :w] = images[source]
    direction = 1 - 2 * clip_labels                                                      # +1 right, -1 left
    shift = starts[:, None] + (direction * clip_speeds)[:, None] * np.arange(n_frames)   # (N, F)
    cols = (np.arange(width) - shift[:, :, None]) % width                                # (N, F, W)
    # np.roll(canvas[i], p, axis=-1)[:, c] == canvas[i][:, (c - p) % W]
    frames = np.take_along_axis(canvas[:, None, :, :], cols[:, :, None, :], axis=3)      # (N, F, H, W)
    return DigitClips(frames=np.ascontiguousarray(frames, dtype=np.float32), labels=clip_labels,
                      speeds=clip_speeds, starts=starts, digits=labels[source].astype(np.int64),
                      source_index=source, seed=seed)
