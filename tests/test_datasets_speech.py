"""Japanese Vowels (speaker recognition, from sktime): official split, shapes, labels, cache."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rnncourse.datasets import speech
from rnncourse.datasets.speech import SpeakerData, load_japanese_vowels

TEST_COUNTS = [31, 35, 88, 44, 29, 24, 40, 50, 29]


# -- the data ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """The default cache directory (platformdirs, which reads XDG_CACHE_HOME) in a temporary
    folder, and an empty in-memory cache, so these tests neither read nor write the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        mp.setattr(speech, "_MEMORY", None)
        yield


@pytest.fixture(scope="module")
def data():
    pytest.importorskip("sktime")
    return load_japanese_vowels(cache=False)  # a fresh parse, the reference for the cached loads


def test_load_japanese_vowels_official_split_sizes(data):
    assert isinstance(data, SpeakerData)
    assert len(data.train_x) == len(data.train_y) == 270
    assert len(data.test_x) == len(data.test_y) == 370
    assert data.n_classes == 9 and data.n_features == 12


def test_load_japanese_vowels_frames_are_float64_finite_12_features(data):
    for split in ("train", "test"):
        for u in data.x(split):
            assert u.dtype == np.float64 and u.ndim == 2 and u.shape[1] == 12
            assert np.isfinite(u).all()


def test_load_japanese_vowels_lengths_between_7_and_29(data):
    train, test = data.lengths("train"), data.lengths("test")
    assert train.dtype == np.int64 and train.shape == (270,) and test.shape == (370,)
    assert train.min() == 7 and train.max() == 26  # the test set holds longer utterances
    assert test.min() == 7 and test.max() == 29
    assert train.tolist() == [len(u) for u in data.train_x]


def test_load_japanese_vowels_label_counts(data):
    for y in (data.train_y, data.test_y):
        assert y.dtype == np.int64 and y.min() == 0 and y.max() == 8
    assert np.bincount(data.train_y).tolist() == [30] * 9
    assert np.bincount(data.test_y).tolist() == TEST_COUNTS


def test_load_japanese_vowels_matches_sktime(data):
    from sktime.datasets import load_japanese_vowels as sktime_loader

    X, y = sktime_loader(split="TEST", return_type="nested_univ")
    for i in (0, 100, 369):
        np.testing.assert_array_equal(data.test_x[i][:, 4], X.iat[i, 4].to_numpy())
    assert (data.test_y == y.astype(int) - 1).all()


def test_load_japanese_vowels_states_source_licence_and_split(data):
    assert "Kudo" in data.source and "UCI" in data.source and "sktime" in data.source
    assert "CC BY 4.0" in data.licence and "BSD" in data.licence
    assert "official" in data.split and "270" in data.split and "370" in data.split


def test_load_japanese_vowels_split_accessors_reject_unknown_split(data):
    assert data.x("train") is data.train_x and data.y("test") is data.test_y
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'test'\), got 'valid'"):
        data.lengths("valid")


def test_load_japanese_vowels_returns_fresh_arrays(data):
    first = load_japanese_vowels()  # the default cache: parsed, written, kept in memory
    first.train_x[0][:] = 0.0
    first.train_y[:] = 0
    second = load_japanese_vowels()  # from memory
    assert second.train_x[0].any() and np.bincount(second.train_y).tolist() == [30] * 9
    assert speech._MEMORY is not None
    files = list(speech._cache_path(None, speech._sktime_version()).parent.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"


def test_load_japanese_vowels_disk_cache_equals_fresh_parse(data, tmp_path):
    cached = load_japanese_vowels(cache_dir=tmp_path)  # parses and writes the file
    (path,) = tmp_path.iterdir()
    assert path.suffix == ".npz" and "sktime" in path.name
    again = load_japanese_vowels(cache_dir=tmp_path)  # reads it
    for other in (cached, again):
        for split in ("train", "test"):
            assert all(np.array_equal(a, b) for a, b in zip(other.x(split), data.x(split)))
            np.testing.assert_array_equal(other.y(split), data.y(split))


def test_load_japanese_vowels_rewrites_a_corrupt_cache(data, tmp_path):
    path = speech._cache_path(tmp_path, speech._sktime_version())
    for junk in (b"not an npz file", b"PK\x03\x04 truncated zip"):
        path.write_bytes(junk)
        again = load_japanese_vowels(cache_dir=tmp_path)
        assert np.bincount(again.test_y).tolist() == TEST_COUNTS
        assert path.stat().st_size > 100_000  # written again
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_load_japanese_vowels_emits_no_warnings_and_nothing_on_stderr(data, tmp_path):
    code = (f"from rnncourse.datasets.speech import load_japanese_vowels as f; "
            f"f(cache=False); f(cache_dir={str(tmp_path)!r}); f(cache_dir={str(tmp_path)!r})")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "" and out.stdout == ""


def test_load_japanese_vowels_without_sktime_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sktime", None)
    monkeypatch.setitem(sys.modules, "sktime.datasets", None)
    for kwargs in ({"cache": False}, {}):
        with pytest.raises(ImportError, match=r"pip install 'rnncourse\[apps\]'"):
            load_japanese_vowels(**kwargs)


def test_importing_speech_and_dna_imports_neither_torch_nor_sktime():
    code = ("import sys, rnncourse.datasets.speech, rnncourse.datasets.dna; "
            "assert not {'torch', 'sktime', 'pandas'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
