"""Digits read as sequences (from scikit-learn's load_digits): the split, lines of digits for CTC,
and clips of a digit moving right or left whose frames alone cannot tell the direction."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from rnncourse.datasets import digits  # noqa: E402
from rnncourse.datasets.digits import (DIGITS_SOURCE, DIRECTIONS, N_CTC_CLASSES, DigitClips,  # noqa: E402
                                       DigitLines, DigitSplit, load_digit_split,
                                       make_digit_lines, make_moving_digit_clips, pad_lines)


@pytest.fixture(scope="module")
def split():
    return load_digit_split()


@pytest.fixture(scope="module")
def lines(split):
    return make_digit_lines(split.train_images, split.train_labels, 300, seed=3)


@pytest.fixture(scope="module")
def clips(split):
    return make_moving_digit_clips(split.train_images, split.train_labels, 400, seed=5)


# -- the split --------------------------------------------------------------------------------------

def test_load_digit_split_shapes_dtypes_and_range(split):
    assert isinstance(split, DigitSplit)
    assert split.train_images.shape == (1347, 8, 8) and split.test_images.shape == (450, 8, 8)
    assert split.train_images.dtype == split.test_images.dtype == np.float32
    for a in (split.train_labels, split.test_labels, split.train_index, split.test_index):
        assert a.dtype == np.int64 and a.ndim == 1
    assert split.train_labels.shape == (1347,) and split.test_labels.shape == (450,)
    for x in (split.train_images, split.test_images):
        assert x.min() == 0.0 and x.max() == 1.0
    assert split.source == DIGITS_SOURCE and "CC BY 4.0" in DIGITS_SOURCE


def test_load_digit_split_indices_disjoint_and_cover_all(split):
    assert not set(split.train_index.tolist()) & set(split.test_index.tolist())
    assert sorted(np.concatenate([split.train_index, split.test_index]).tolist()) == list(range(1797))
    assert np.all(np.diff(split.train_index) > 0) and np.all(np.diff(split.test_index) > 0)


def test_load_digit_split_matches_load_digits(split):
    from sklearn.datasets import load_digits

    data = load_digits()
    expected = (data.images[split.train_index] / 16).astype(np.float32)
    np.testing.assert_array_equal(split.train_images, expected)
    np.testing.assert_array_equal(split.test_labels, data.target[split.test_index])


def test_load_digit_split_stratified(split):
    train, test = np.bincount(split.train_labels, minlength=10), np.bincount(split.test_labels, minlength=10)
    assert train.min() >= 130 and test.min() >= 43          # every class in both
    share = test / (train + test)
    assert np.all(np.abs(share - 0.25) < 0.01)


def test_load_digit_split_deterministic_by_seed(split):
    again = load_digit_split(seed=0)
    np.testing.assert_array_equal(again.test_index, split.test_index)
    np.testing.assert_array_equal(again.train_images, split.train_images)
    other = load_digit_split(seed=1)
    assert not np.array_equal(other.test_index, split.test_index)
    assert len(load_digit_split(test_size=0.5).test_index) in (898, 899)


def test_load_digit_split_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setattr(digits, "_MEMORY", None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'rnncourse\[apps\]'"):
        load_digit_split()


def test_importing_digits_imports_neither_sklearn_nor_torch():
    code = ("import sys, rnncourse.datasets.digits; "
            "assert not {'sklearn', 'torch'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- lines of digits --------------------------------------------------------------------------------

def test_make_digit_lines_deterministic_by_seed(split, lines):
    again = make_digit_lines(split.train_images, split.train_labels, 300, seed=3)
    assert len(again) == len(lines) == 300
    for a, b in zip(again.images, lines.images):
        np.testing.assert_array_equal(a, b)
    other = make_digit_lines(split.train_images, split.train_labels, 300, seed=4)
    assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(other.images, lines.images))


def test_make_digit_lines_spans_hold_the_source_images_and_labels(split, lines):
    assert isinstance(lines, DigitLines)
    for x, y, spans, src in zip(lines.images, lines.labels, lines.spans, lines.source_index):
        assert x.dtype == np.float32 and x.shape[0] == 8
        assert y.dtype == spans.dtype == src.dtype == np.int64
        assert spans.shape == (len(y), 2) and src.shape == y.shape
        for j, (a, b) in enumerate(spans):
            np.testing.assert_array_equal(x[:, a:b], split.train_images[src[j]])
            assert y[j] == split.train_labels[src[j]]


def test_make_digit_lines_counts_gaps_and_blank_columns(lines):
    counts = np.array([len(y) for y in lines.labels])
    assert counts.min() == 3 and counts.max() == 6
    assert np.all(np.bincount(counts)[3:] > 50)
    gaps = []
    for x, spans in zip(lines.images, lines.spans):
        W = x.shape[1]
        assert np.all(spans[:, 1] - spans[:, 0] == 8)
        edges = np.concatenate([[0], spans.ravel(), [W]]).reshape(-1, 2)   # blank runs (stop, next start)
        for a, b in edges:
            assert 0 <= b - a <= 3
            assert np.all(x[:, a:b] == 0)
            gaps.append(b - a)
    assert lines.lengths().tolist() == [x.shape[1] for x in lines.images]
    assert sorted(set(gaps)) == [0, 1, 2, 3]


def test_make_digit_lines_other_sizes(split):
    one = make_digit_lines(split.test_images, split.test_labels, 20, min_digits=1, max_digits=1,
                           max_gap=0, seed=0)
    assert all(x.shape == (8, 8) for x in one.images)
    big = np.zeros((5, 6, 4), dtype=np.float64)
    out = make_digit_lines(big, np.arange(5), 3, min_digits=2, max_digits=2, max_gap=1)
    assert all(x.shape[0] == 6 and x.dtype == np.float32 and 8 <= x.shape[1] <= 11 for x in out.images)


def test_make_digit_lines_train_and_test_lines_use_disjoint_images(split):
    train = make_digit_lines(split.train_images, split.train_labels, 200, seed=1)
    test = make_digit_lines(split.test_images, split.test_labels, 200, seed=2)
    train_orig = set(split.train_index[np.concatenate(train.source_index)].tolist())
    test_orig = set(split.test_index[np.concatenate(test.source_index)].tolist())
    assert train_orig and test_orig and not train_orig & test_orig
    assert max(np.concatenate(test.source_index)) < len(split.test_images)


def _cut_to_ink(image):
    """The image's columns from the first to the last one holding ink (a blank image whole)."""
    inked = np.flatnonzero(image.any(axis=0))
    return image if inked.size == 0 else image[:, inked[0]:inked[-1] + 1]


def _blank_runs(x, spans):
    """The lengths of the blank runs of a line: the left margin, the gaps, the right margin."""
    edges = np.concatenate([[0], spans.ravel(), [x.shape[1]]]).reshape(-1, 2)
    return (edges[:, 1] - edges[:, 0]).tolist()


@pytest.fixture(scope="module")
def cropped(split):
    return make_digit_lines(split.train_images, split.train_labels, 300, seed=3, crop=True)


def test_make_digit_lines_crop_spans_hold_the_images_cut_to_their_ink(split, cropped):
    assert isinstance(cropped, DigitLines) and len(cropped) == 300
    narrower = 0
    for x, y, spans, src in zip(cropped.images, cropped.labels, cropped.spans, cropped.source_index):
        assert x.dtype == np.float32 and x.shape[0] == 8 and spans.dtype == np.int64
        for j, (a, b) in enumerate(spans):
            expected = _cut_to_ink(split.train_images[src[j]])
            np.testing.assert_array_equal(x[:, a:b], expected)       # exactly the inked columns
            assert x[:, a].any() and x[:, b - 1].any()               # a span starts and ends on ink
            assert y[j] == split.train_labels[src[j]]
            narrower += b - a < 8
    assert narrower > 100                                             # the crop does cut


def test_make_digit_lines_crop_draws_the_same_digits_and_gaps(lines, cropped):
    for a, b in zip(lines.labels, cropped.labels):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(lines.source_index, cropped.source_index):
        np.testing.assert_array_equal(a, b)
    for x, spans, x_crop, spans_crop in zip(lines.images, lines.spans, cropped.images, cropped.spans):
        assert _blank_runs(x_crop, spans_crop) == _blank_runs(x, spans)   # margins and gaps unchanged
        edges = np.concatenate([[0], spans_crop.ravel(), [x_crop.shape[1]]]).reshape(-1, 2)
        for a, b in edges:
            assert np.all(x_crop[:, a:b] == 0)


def test_make_digit_lines_crop_width_is_ink_widths_plus_gaps(split, cropped):
    for x, spans, src in zip(cropped.images, cropped.spans, cropped.source_index):
        ink = sum(_cut_to_ink(split.train_images[j]).shape[1] for j in src)
        assert x.shape[1] == ink + sum(_blank_runs(x, spans))
        np.testing.assert_array_equal(spans[:, 1] - spans[:, 0],
                                      [_cut_to_ink(split.train_images[j]).shape[1] for j in src])
    assert cropped.lengths().tolist() == [x.shape[1] for x in cropped.images]


def test_make_digit_lines_crop_without_gaps_makes_digits_touch(split):
    out = make_digit_lines(split.train_images, split.train_labels, 50, min_digits=2, max_digits=5, max_gap=0,
                           seed=7, crop=True)
    for x, spans in zip(out.images, out.spans):
        assert spans[0, 0] == 0 and spans[-1, 1] == x.shape[1]
        np.testing.assert_array_equal(spans[1:, 0], spans[:-1, 1])      # contiguous spans
        for b in spans[1:, 0]:
            assert x[:, b - 1].any() and x[:, b].any()                  # ink on both sides of the border
    plain = make_digit_lines(split.train_images, split.train_labels, 50, min_digits=2, max_digits=5, max_gap=0,
                             seed=7)
    assert any(not x[:, 7].any() or not x[:, 8].any() for x in plain.images)  # uncropped: blank borders


def test_make_digit_lines_crop_keeps_a_blank_image_whole_and_accepts_numpy_bools():
    images = np.zeros((3, 4, 6), dtype=np.float32)
    images[1, :, 2:4] = 1.0                                             # ink in columns 2 and 3
    out = make_digit_lines(images, np.arange(3), 20, min_digits=1, max_digits=3, max_gap=1, seed=0,
                           crop=np.bool_(True))
    widths = {0: 6, 1: 2, 2: 6}
    for x, spans, src in zip(out.images, out.spans, out.source_index):
        assert (spans[:, 1] - spans[:, 0]).tolist() == [widths[int(j)] for j in src]
    assert {0, 1} <= set(np.concatenate(out.source_index).tolist())


@pytest.mark.parametrize("crop", [1, 0, "yes", None, 1.0, [True]])
def test_make_digit_lines_rejects_a_crop_that_is_not_a_bool(crop):
    with pytest.raises(TypeError, match="crop"):
        make_digit_lines(IMAGES, LABELS, 2, crop=crop)


def test_pad_lines_shapes_zero_padding_and_lengths(lines):
    X, lengths = pad_lines(lines)
    assert X.dtype == np.float32 and lengths.dtype == np.int64
    assert X.shape == (300, lengths.max(), 8)
    np.testing.assert_array_equal(lengths, lines.lengths())
    for b, x in enumerate(lines.images):
        np.testing.assert_array_equal(X[b, :lengths[b]], x.T)
        assert np.all(X[b, lengths[b]:] == 0)
    X2, lengths2 = pad_lines(lines.images[:5])
    np.testing.assert_array_equal(lengths2, lengths[:5])
    assert X2.shape == (5, lengths[:5].max(), 8)


def test_digit_lines_targets_shift_digits_by_one_for_the_blank(lines):
    targets, target_lengths = lines.targets()
    assert targets.dtype == target_lengths.dtype == np.int64
    np.testing.assert_array_equal(target_lengths, [len(y) for y in lines.labels])
    np.testing.assert_array_equal(targets, np.concatenate(lines.labels) + 1)
    assert targets.min() >= 1 and targets.max() == N_CTC_CLASSES - 1 == 10
    np.testing.assert_array_equal(lines.targets(offset=0)[0], np.concatenate(lines.labels))


# -- moving digits ----------------------------------------------------------------------------------

def test_make_moving_digit_clips_shapes_and_deterministic(split, clips):
    assert isinstance(clips, DigitClips) and len(clips) == 400
    assert clips.frames.shape == (400, 8, 8, 24) and clips.frames.dtype == np.float32
    for a in (clips.labels, clips.speeds, clips.starts, clips.digits, clips.source_index):
        assert a.shape == (400,) and a.dtype == np.int64
    again = make_moving_digit_clips(split.train_images, split.train_labels, 400, seed=5)
    np.testing.assert_array_equal(again.frames, clips.frames)
    np.testing.assert_array_equal(again.labels, clips.labels)
    other = make_moving_digit_clips(split.train_images, split.train_labels, 400, seed=6)
    assert not np.array_equal(other.frames, clips.frames)
    assert DIRECTIONS == ("right", "left")


def test_make_moving_digit_clips_balanced_and_uniform_draws(split, clips):
    assert np.bincount(clips.labels).tolist() == [200, 200]
    assert np.bincount(make_moving_digit_clips(split.train_images, split.train_labels, 7).labels).tolist() \
        == [4, 3]
    assert set(clips.speeds.tolist()) == {1, 2}
    assert clips.starts.min() >= 0 and clips.starts.max() <= 23 and len(set(clips.starts.tolist())) == 24
    np.testing.assert_array_equal(clips.digits, split.train_labels[clips.source_index])


def test_make_moving_digit_clips_frames_are_the_rolled_digit(split, clips):
    for i in range(len(clips)):
        canvas = np.zeros((8, 24), dtype=np.float32)
        canvas[:, :8] = split.train_images[clips.source_index[i]]
        sign = 1 if clips.labels[i] == 0 else -1
        for f in range(8):
            position = (clips.starts[i] + sign * clips.speeds[i] * f) % 24
            np.testing.assert_array_equal(clips.frames[i, f], np.roll(canvas, position, axis=-1))


def test_make_moving_digit_clips_taller_canvas_centres_rows():
    images = np.ones((3, 4, 5))
    out = make_moving_digit_clips(images, [0, 1, 2], 6, n_frames=3, height=8, width=11, speeds=(5,), seed=2)
    assert out.frames.shape == (6, 3, 8, 11)
    assert np.all(out.frames[:, :, :2] == 0) and np.all(out.frames[:, :, 6:] == 0)
    assert np.all(out.frames[:, :, 2:6].sum(axis=(-1, -2)) == 20)


def test_make_moving_digit_clips_reversed_right_clip_is_a_left_clip(split, clips):
    for i in np.flatnonzero(clips.labels == 0)[:50]:
        canvas = np.zeros((8, 24), dtype=np.float32)
        canvas[:, :8] = split.train_images[clips.source_index[i]]
        s = clips.speeds[i]
        start = (clips.starts[i] + s * 7) % 24                # where the reversed clip starts
        reversed_frames = clips.frames[i, ::-1]
        for f in range(8):
            np.testing.assert_array_equal(reversed_frames[f], np.roll(canvas, (start - s * f) % 24, axis=-1))


@pytest.fixture(scope="module")
def many_clips(split):
    train = make_moving_digit_clips(split.train_images, split.train_labels, 4000, seed=11)
    test = make_moving_digit_clips(split.test_images, split.test_labels, 2000, seed=12)
    return train, test


def test_make_moving_digit_clips_single_frames_same_mean_in_both_classes(many_clips):
    train, _ = many_clips
    right, left = train.frames[train.labels == 0], train.frames[train.labels == 1]  # (2000, 8, 8, 24)
    mean_right, mean_left = right.mean(axis=0), left.mean(axis=0)                   # (8, 8, 24)
    assert mean_right.max() > 0.1
    assert np.abs(mean_right - mean_left).max() < 0.04      # a random relabelling: 0.023 to 0.031
    # the frames averaged over time and clips, and the share of ink per column in frame 0
    assert np.abs(mean_right.mean(0) - mean_left.mean(0)).max() < 0.015
    share_right = right[:, 0].sum(axis=(0, 1)) / right[:, 0].sum()                  # (24,)
    share_left = left[:, 0].sum(axis=(0, 1)) / left[:, 0].sum()
    assert np.abs(share_right - 1 / 24).max() < 0.01 and np.abs(share_right - share_left).max() < 0.015


def _motion_energy(clips):
    """Correlation of frames 0 and 1 at column shifts -3..3: (N, 7), quadratic in the pixels."""
    a, b = clips.frames[:, 0], clips.frames[:, 1]
    return np.stack([(a * np.roll(b, -d, axis=-1)).sum(axis=(-1, -2)) for d in range(-3, 4)], axis=1)


def test_make_moving_digit_clips_frame_average_near_chance_motion_energy_not(many_clips):
    from sklearn.linear_model import LogisticRegression

    train, test = many_clips
    average = lambda c: c.frames.mean(axis=1).reshape(len(c), -1)   # noqa: E731  (N, 8 * 24)
    score = LogisticRegression(max_iter=5000).fit(average(train), train.labels).score(
        average(test), test.labels)
    assert 0.44 < score < 0.56
    score = LogisticRegression(max_iter=5000).fit(_motion_energy(train), train.labels).score(
        _motion_energy(test), test.labels)
    assert score > 0.95


# -- argument checks --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"test_size": 0.0}, "test_size"), ({"test_size": 1}, "test_size"), ({"test_size": "a"}, "test_size"),
    ({"test_size": True}, "test_size"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
    ({"seed": np.random.SeedSequence(0)}, "seed"),
])
def test_load_digit_split_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        load_digit_split(**kwargs)


IMAGES = np.zeros((4, 8, 8), dtype=np.float32)
LABELS = np.arange(4)


@pytest.mark.parametrize("kwargs, match", [
    ({"images": np.zeros((4, 8))}, "images must be an array of shape"),
    ({"images": np.zeros((0, 8, 8))}, "images must be an array of shape"),
    ({"images": np.zeros((4, 8, 8), dtype=np.int64)}, "images must hold floats"),
    ({"images": np.full((4, 8, 8), np.nan)}, "images must be finite"),
    ({"labels": np.arange(3)}, "labels must be a 1-D array of 4"),
    ({"labels": np.zeros(4)}, "labels must be a 1-D array of 4"),
    ({"labels": -np.arange(4)}, "labels must be non-negative"),
    ({"n_lines": 0}, "n_lines"), ({"n_lines": 2.0}, "n_lines"), ({"min_digits": 0}, "min_digits"),
    ({"max_digits": 0}, "max_digits"),
    ({"min_digits": 4, "max_digits": 3}, "min_digits must be <= max_digits"),
    ({"max_gap": -1}, "max_gap"), ({"seed": -1}, "seed"), ({"seed": "x"}, "seed"),
])
def test_make_digit_lines_rejects_bad_arguments(kwargs, match):
    args = {"images": IMAGES, "labels": LABELS, "n_lines": 2, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        make_digit_lines(**args)


@pytest.mark.parametrize("images, match", [
    ([], "at least one line"), (np.zeros((8, 5)), "list of"),
    ([np.zeros((8, 5)), np.zeros((7, 5))], r"images\[1\]"),
    ([np.zeros((8, 0))], r"images\[0\]"), ([np.zeros(8)], r"images\[0\]"),
])
def test_pad_lines_rejects_bad_arguments(images, match):
    with pytest.raises(ValueError, match=match):
        pad_lines(images)


def test_digit_lines_targets_rejects_bad_offset(lines):
    with pytest.raises(ValueError, match="offset"):
        lines.targets(offset=-1)


@pytest.mark.parametrize("kwargs, match", [
    ({"images": np.zeros((4, 8))}, "images must be an array of shape"),
    ({"labels": np.arange(5)}, "labels must be a 1-D array of 4"),
    ({"n_clips": 0}, "n_clips"), ({"n_frames": 1}, "n_frames"), ({"height": 7}, "height must be >="),
    ({"width": 7}, "width must be >="), ({"height": 0}, "height"), ({"speeds": 1}, "speeds"),
    ({"speeds": ()}, "speeds"), ({"speeds": (0,)}, "speeds"), ({"speeds": (12,)}, "speeds"),
    ({"speeds": (1.0,)}, "speeds"), ({"speeds": "1"}, "speeds"), ({"seed": -2}, "seed"),
])
def test_make_moving_digit_clips_rejects_bad_arguments(kwargs, match):
    args = {"images": IMAGES, "labels": LABELS, "n_clips": 2, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        make_moving_digit_clips(**args)
