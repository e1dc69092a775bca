r"""Japanese Vowels: who is speaking? Speaker recognition from short utterances.

Source
------
The Japanese Vowels data set of Kudo, Toyama and Shimbo (1999), "Multidimensional curve
classification using passing-through regions", *Pattern Recognition Letters* 20 (11-13),
1103-1111, from the UCI Machine Learning Repository (licence CC BY 4.0), as bundled in the PyPI
package ``sktime`` (BSD-3-Clause; ``sktime.datasets.load_japanese_vowels``). Nothing is
downloaded; ``pip install 'rnncourse[apps]'`` installs sktime.

Nine Japanese men each said the vowels /ae/ in succession. Each utterance was cut into frames
(sampling rate 10 kHz, analysis frames of 25.6 ms shifted by 6.4 ms) and every frame was reduced
to the 12 cepstral coefficients of a 12th-order linear prediction (LPC) analysis. So an example
is a sequence of T frames of D = 12 features, with T between 7 and 29, and its label is the
speaker.

Split (the official one of the data set, kept as it is)
-------------------------------------------------------
- training: 270 utterances, 30 per speaker;
- test: 370 utterances recorded apart from the training ones, unbalanced by the speakers'
  availability: 31, 35, 88, 44, 29, 24, 40, 50, 29 for speakers 1 to 9.

The speakers '1'..'9' become the labels 0..8. There is no validation split: take one from the
training utterances (e.g. a stratified 20 %) when a model needs one, never from the test set.

Training lengths run from 7 to 26 frames, test lengths from 7 to 29: the test set holds
utterances longer than any in training.

Loading
-------
Importing sktime takes about 1.3 s, so the parsed arrays are cached in the user's cache
directory (``platformdirs.user_cache_dir("rnncourse")/datasets``, a 1 MB ``.npz``, keyed by
sktime's version) and in memory for the rest of the process. From the cache a load takes a few
milliseconds and imports neither sktime nor pandas. The loader writes nothing to stdout or
stderr (sktime's warnings, if a version emits any, are silenced at their source).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SpeakerData", "load_japanese_vowels", "JAPANESE_VOWELS_SOURCE",
           "JAPANESE_VOWELS_LICENCE", "JAPANESE_VOWELS_SPLIT"]

SPLITS = ("train", "test")

JAPANESE_VOWELS_SOURCE = (
    "Japanese Vowels (Kudo, Toyama & Shimbo 1999, 'Multidimensional curve classification using "
    "passing-through regions', Pattern Recognition Letters 20, 1103-1111), UCI Machine Learning "
    "Repository, as bundled in the PyPI package sktime"
)
JAPANESE_VOWELS_LICENCE = "data: CC BY 4.0 (UCI Machine Learning Repository); sktime: BSD-3-Clause"
JAPANESE_VOWELS_SPLIT = (
    "the official split: 270 training utterances (30 per speaker) and 370 test utterances "
    "recorded apart (31, 35, 88, 44, 29, 24, 40, 50, 29 for speakers 1 to 9)"
)

N_CLASSES = 9
N_FEATURES = 12
#: Utterances per split, and the test utterances per speaker, as the data set documents them.
_N_EXAMPLES = {"train": 270, "test": 370}
_TEST_COUNTS = (31, 35, 88, 44, 29, 24, 40, 50, 29)

_INSTALL_HINT = "pip install 'rnncourse[apps]'"
_CACHE_FORMAT = 1  # bump when the cached arrays change meaning

# Parsed arrays {split: (frames (N_frames, 12), lengths (N,), labels (N,))}, kept by the loader.
_MEMORY: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None


@dataclass(frozen=True)
class SpeakerData:
    """Utterances as sequences of frames, labelled by speaker, with the official split.

    Attributes
    ----------
    train_x, test_x : list of ndarray
        One float64 array (T_i, n_features) per utterance: a frame per row, in time order.
    train_y, test_y : ndarray of int64, shape (N,)
        The speaker of each utterance, in [0, n_classes).
    n_classes : int
        Number of speakers (9).
    n_features : int
        Features per frame (12 LPC cepstral coefficients).
    source, licence, split : str
        One line each: the data set and where it comes from; its licence; the split rule.
    """

    train_x: list
    train_y: np.ndarray
    test_x: list
    test_y: np.ndarray
    n_classes: int = N_CLASSES
    n_features: int = N_FEATURES
    source: str = JAPANESE_VOWELS_SOURCE
    licence: str = JAPANESE_VOWELS_LICENCE
    split: str = JAPANESE_VOWELS_SPLIT

    def _check_split(self, split: str) -> str:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return split

    def x(self, split: str) -> list:
        """The utterances of ``split`` ("train" or "test"): a list of (T_i, n_features) arrays."""
        return getattr(self, f"{self._check_split(split)}_x")

    def y(self, split: str) -> np.ndarray:
        """The speakers of ``split`` ("train" or "test"): int64 array (N,)."""
        return getattr(self, f"{self._check_split(split)}_y")

    def lengths(self, split: str) -> np.ndarray:
        """The number of frames of each utterance of ``split``: int64 array (N,)."""
        return np.array([len(u) for u in self.x(split)], dtype=np.int64)  # (N,)


def _sktime_version() -> str:
    """sktime's version, without importing it; ImportError with the install hint if it is missing."""
    try:
        spec = importlib.util.find_spec("sktime")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ImportError(f"load_japanese_vowels needs the package sktime: {_INSTALL_HINT}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sktime")
    except PackageNotFoundError:
        return "unknown"


def _parse_split(split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one split from sktime: (frames (N_frames, 12), lengths (N,), labels (N,))."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a third party's warnings must not reach the page
            from sktime.datasets import load_japanese_vowels as sktime_loader

            X, y = sktime_loader(split=split.upper(), return_type="nested_univ")
    except ImportError as err:
        raise ImportError(f"load_japanese_vowels needs the package sktime: {_INSTALL_HINT}") from err
    if X.shape[1] != N_FEATURES:
        raise RuntimeError(f"sktime's JapaneseVowels {split} split has {X.shape[1]} dimensions, "
                           f"expected {N_FEATURES}; its data changed")
    utterances = []
    for i in range(X.shape[0]):
        columns = [np.asarray(X.iat[i, j], dtype=np.float64) for j in range(N_FEATURES)]
        if len({len(c) for c in columns}) != 1:
            raise RuntimeError(f"utterance {i} of the {split} split has dimensions of different lengths")
        utterances.append(np.column_stack(columns))  # (T_i, 12)
    lengths = np.array([len(u) for u in utterances], dtype=np.int64)  # (N,)
    names = np.asarray(y).astype(str)
    expected = [str(k) for k in range(1, N_CLASSES + 1)]
    unknown = sorted(set(names) - set(expected))
    if unknown:
        raise RuntimeError(f"sktime's JapaneseVowels has labels {unknown}, expected '1'..'9'")
    labels = names.astype(np.int64) - 1  # '1'..'9' -> 0..8, (N,)
    return np.concatenate(utterances, axis=0), lengths, labels  # (N_frames, 12), (N,), (N,)


def _cache_path(cache_dir, version: str) -> Path:
    if cache_dir is None:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir("rnncourse", appauthor=False)) / "datasets"
    safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in version)
    return Path(cache_dir) / f"japanese_vowels-v{_CACHE_FORMAT}-sktime-{safe}.npz"


def _valid(arrays: dict) -> bool:
    """Whether parsed or cached arrays have the shapes, counts and values the data set has."""
    for split in SPLITS:
        frames, lengths, labels = arrays[split]
        if (frames.ndim != 2 or frames.shape[1] != N_FEATURES or frames.dtype != np.float64
                or lengths.shape != (_N_EXAMPLES[split],) or labels.shape != lengths.shape
                or int(lengths.sum()) != frames.shape[0] or lengths.min() < 1
                or labels.min() < 0 or labels.max() >= N_CLASSES or not np.isfinite(frames).all()):
            return False
    return (np.bincount(arrays["train"][2], minlength=N_CLASSES) == 30).all() and \
        tuple(np.bincount(arrays["test"][2], minlength=N_CLASSES)) == _TEST_COUNTS


def _read_cache(path: Path) -> dict | None:
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:  # our handle: always closed
            arrays = {s: (f[f"{s}_frames"], f[f"{s}_lengths"], f[f"{s}_labels"]) for s in SPLITS}
    except (OSError, KeyError, ValueError, EOFError, TypeError, AttributeError, zipfile.BadZipFile):
        return None  # missing or unreadable: parse again
    return arrays if _valid(arrays) else None


def _write_cache(path: Path, arrays: dict) -> None:
    """Write atomically (a temporary file, then os.replace); a failure only means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **{f"{s}_{name}": a for s in SPLITS
                               for name, a in zip(("frames", "lengths", "labels"), arrays[s])})
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError:
        pass


def load_japanese_vowels(cache: bool = True, cache_dir=None) -> SpeakerData:
    """The Japanese Vowels speaker-recognition data, with its official train / test split.

    270 training utterances (30 per speaker) and 370 test utterances (31, 35, 88, 44, 29, 24,
    40, 50, 29 per speaker), each a sequence of 7 to 29 frames of 12 LPC cepstral coefficients;
    9 speakers, labelled 0..8. See the module docstring for the source, licence and split.

    Parameters
    ----------
    cache : bool
        Read the parsed arrays from, and write them to, the cache file (and keep them in memory
        for this process). ``cache=False`` parses sktime's copy again and touches no file; the
        result is the same.
    cache_dir : str or Path, optional
        Where the cache file lives; by default ``platformdirs.user_cache_dir("rnncourse")``
        followed by ``datasets``.

    Returns
    -------
    SpeakerData
        Fresh arrays on every call: changing them changes no later load.

    Raises
    ------
    ImportError
        If sktime is not installed (the message says ``pip install 'rnncourse[apps]'``).
    """
    global _MEMORY
    version = _sktime_version()
    arrays = _MEMORY if cache and cache_dir is None else None
    if arrays is None and cache:
        arrays = _read_cache(_cache_path(cache_dir, version))
    if arrays is None:
        arrays = {split: _parse_split(split) for split in SPLITS}
        if not _valid(arrays):
            raise RuntimeError("sktime's JapaneseVowels does not have the documented 270 / 370 "
                               "utterances of 12 finite features per frame; its data changed")
        if cache:
            _write_cache(_cache_path(cache_dir, version), arrays)
    if cache and cache_dir is None:
        _MEMORY = arrays
    out = {}
    for split in SPLITS:
        frames, lengths, labels = arrays[split]
        utterances = np.split(frames.copy(), np.cumsum(lengths)[:-1])  # N arrays (T_i, 12)
        out[f"{split}_x"], out[f"{split}_y"] = utterances, labels.astype(np.int64, copy=True)
    return SpeakerData(**out)
