"""Lesson 13's segmentation baseline: cut a line at empty columns, centre each piece, classify it."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.baselines import centre_piece, fit_piece_classifier, segment_and_classify, segment_columns


class _Recorder:
    """A stand-in classifier: keeps what ``predict`` was given and answers 0, 1, 2, ..."""

    def __init__(self):
        self.seen = []

    def predict(self, X):
        self.seen.append(np.array(X))
        return np.arange(len(X))


def _image(ink_columns, W, D=3, value=1.0):
    image = np.zeros((D, W))
    for c in ink_columns:
        image[c % D, c] = value
    return image


# -- segment_columns ----------------------------------------------------------------------------

@pytest.mark.parametrize("columns, W, spans", [
    ([1, 2, 5, 7, 8, 9], 11, [(1, 3), (5, 6), (7, 10)]),
    ([0, 1, 4], 5, [(0, 2), (4, 5)]),                      # runs at both edges
    (list(range(6)), 6, [(0, 6)]),                          # all inked: one run
    ([3], 4, [(3, 4)]),
    ([0], 1, [(0, 1)]),
])
def test_segment_columns_finds_the_runs_of_inked_columns(columns, W, spans):
    assert segment_columns(_image(columns, W)) == spans
    assert all(type(a) is int and type(b) is int for a, b in segment_columns(_image(columns, W)))


def test_segment_columns_of_a_blank_image_is_empty():
    assert segment_columns(np.zeros((8, 12))) == []
    assert segment_columns(np.zeros((8, 0))) == []
    assert segment_columns(-np.ones((2, 5))) == []         # nothing above the threshold 0


def test_segment_columns_threshold_is_strict():
    image = np.array([[0.0, 0.3, 0.5, 0.0, 0.9, 0.2],
                      [0.0, 0.0, 0.1, 0.0, 0.0, 0.6]])
    assert segment_columns(image) == [(1, 3), (4, 6)]
    assert segment_columns(image, threshold=0.3) == [(2, 3), (4, 6)]   # 0.3 is not above 0.3
    assert segment_columns(image, threshold=0.5) == [(4, 6)]
    assert segment_columns(image, threshold=0.9) == []
    assert segment_columns(image, threshold=-1.0) == [(0, 6)]


def test_segment_columns_reads_a_column_by_any_of_its_pixels():
    image = np.zeros((4, 5))
    image[3, 1] = image[0, 2] = image[2, 4] = 1.0
    assert segment_columns(image) == [(1, 3), (4, 5)]
    assert segment_columns(image.tolist()) == [(1, 3), (4, 5)]        # lists are accepted


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), ()])
def test_segment_columns_rejects_an_image_that_is_not_2d(shape):
    with pytest.raises(ValueError, match=r"image must have shape \(D, W\)"):
        segment_columns(np.ones(shape))


# -- centre_piece -------------------------------------------------------------------------------

def test_centre_piece_centres_a_narrow_piece():
    piece = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(centre_piece(piece, 6), [[0, 0, 1, 2, 0, 0], [0, 0, 3, 4, 0, 0]])
    # an odd margin: the extra zero goes to the right
    np.testing.assert_array_equal(centre_piece(piece, 5), [[0, 1, 2, 0, 0], [0, 3, 4, 0, 0]])
    np.testing.assert_array_equal(centre_piece(piece, 2), piece)       # as wide: unchanged
    assert centre_piece(piece, 6).dtype == np.float64


def test_centre_piece_crops_the_middle_of_a_wide_piece():
    piece = np.arange(14.0).reshape(2, 7)                              # columns 0..6
    np.testing.assert_array_equal(centre_piece(piece, 3), piece[:, 2:5])
    np.testing.assert_array_equal(centre_piece(piece, 4), piece[:, 1:5])   # left margin rounded down
    np.testing.assert_array_equal(centre_piece(piece, 1), piece[:, 3:4])


def test_centre_piece_does_not_modify_its_input():
    piece = np.ones((2, 3))
    out = centre_piece(piece, 5)
    out[:] = 7.0
    np.testing.assert_array_equal(piece, 1.0)


@pytest.mark.parametrize("width, error", [
    (0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError), ("4", TypeError),
    (None, TypeError),
])
def test_centre_piece_and_segment_and_classify_reject_a_bad_width_naming_it(width, error):
    with pytest.raises(error, match="width"):
        centre_piece(np.ones((2, 2)), width)
    with pytest.raises(error, match="width"):
        segment_and_classify(np.ones((2, 2)), _Recorder(), width)


def test_centre_piece_accepts_a_numpy_integer_width():
    np.testing.assert_array_equal(centre_piece(np.ones((1, 1)), np.int64(3)), [[0, 1, 0]])


@pytest.mark.parametrize("shape", [(4,), (2, 2, 2)])
def test_centre_piece_rejects_a_piece_that_is_not_2d(shape):
    with pytest.raises(ValueError, match=r"piece must have shape \(D, w\)"):
        centre_piece(np.ones(shape), 4)


# -- segment_and_classify with a stand-in classifier --------------------------------------------

def test_segment_and_classify_gives_the_classifier_centred_flattened_pieces():
    rng = np.random.default_rng(0)
    image = np.zeros((3, 16))
    image[:, 1:3] = rng.uniform(0.5, 1.0, (3, 2))
    image[:, 5:11] = rng.uniform(0.5, 1.0, (3, 6))                     # wider than 4: cropped
    image[1, 13] = 0.7
    recorder = _Recorder()
    assert segment_and_classify(image, recorder, 4) == [0, 1, 2]
    [X] = recorder.seen
    expected = np.stack([centre_piece(image[:, a:b], 4).reshape(-1)
                         for a, b in [(1, 3), (5, 11), (13, 14)]])
    assert X.shape == (3, 12)
    np.testing.assert_array_equal(X, expected)
    # one column in 4: left margin (4 - 1) // 2 = 1
    np.testing.assert_array_equal(X[2].reshape(3, 4), [[0, 0, 0, 0], [0, 0.7, 0, 0], [0, 0, 0, 0]])


def test_segment_and_classify_of_a_blank_line_is_empty_without_calling_the_classifier():
    recorder = _Recorder()
    assert segment_and_classify(np.zeros((8, 20)), recorder, 8) == []
    assert recorder.seen == []


def test_segment_and_classify_passes_the_threshold_on():
    image = np.array([[0.2, 0.0, 0.9, 0.9, 0.0, 0.3]])
    assert len(segment_and_classify(image, _Recorder(), 2)) == 3
    assert len(segment_and_classify(image, _Recorder(), 2, threshold=0.5)) == 1


def test_segment_and_classify_returns_python_ints():
    labels = segment_and_classify(_image([0, 2], 3, D=1), _Recorder(), 2)
    assert labels == [0, 1] and all(type(k) is int for k in labels)


def test_segment_and_classify_rejects_an_image_that_is_not_2d():
    with pytest.raises(ValueError, match=r"image must have shape \(D, W\)"):
        segment_and_classify(np.ones(8), _Recorder(), 8)


# -- fit_piece_classifier -----------------------------------------------------------------------

def test_fit_piece_classifier_rejects_a_blank_image_and_a_bad_shape():
    pytest.importorskip("sklearn")
    images = np.zeros((3, 2, 4))
    images[0, 0, 1] = images[2, 1, 3] = 1.0
    with pytest.raises(ValueError, match=r"images\[1\] is blank"):
        fit_piece_classifier(images, [0, 1, 0])
    with pytest.raises(ValueError, match=r"images must have shape \(N, D, w\)"):
        fit_piece_classifier(np.ones((2, 4)), [0, 1])
    with pytest.raises(ValueError, match="width"):
        fit_piece_classifier(np.ones((2, 2, 4)), [0, 1], width=0)


def test_fit_piece_classifier_trains_on_cropped_centred_images():
    """A shape at any horizontal position is the same piece once cropped and centred."""
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(1)
    shapes = {0: np.array([[1.0, 1.0], [1.0, 1.0]]), 1: np.array([[1.0, 0.0], [0.0, 1.0]])}
    images, labels = [], []
    for _ in range(40):
        k = int(rng.integers(0, 2))
        image = np.zeros((2, 8))
        start = int(rng.integers(0, 7))
        image[:, start:start + 2] = shapes[k]
        images.append(image)
        labels.append(k)
    classifier = fit_piece_classifier(np.stack(images), np.array(labels), width=4)
    line = np.zeros((2, 12))
    line[:, 0:2], line[:, 4:6], line[:, 9:11] = shapes[1], shapes[0], shapes[1]
    assert segment_and_classify(line, classifier, 4) == [1, 0, 1]


# -- on lines of handwritten digits -------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn")
    from rnncourse.datasets.digits import load_digit_split

    split = load_digit_split()
    return split, fit_piece_classifier(split.train_images, split.train_labels)


def test_segment_and_classify_reads_most_lines_of_digits(digits):
    from rnncourse.datasets.digits import make_digit_lines
    from rnncourse.metrics import char_error_rate

    split, classifier = digits
    lines = make_digit_lines(split.test_images, split.test_labels, 150, max_gap=3, seed=5)
    refs = ["".join(map(str, y)) for y in lines.labels]
    hyps = ["".join(map(str, segment_and_classify(im, classifier, 8))) for im in lines.images]
    assert char_error_rate(refs, hyps) < 0.15
    assert np.mean([h == r for h, r in zip(hyps, refs)]) > 0.6


def test_segment_columns_cuts_a_line_of_digits_into_pieces_inside_one_digit_each(digits):
    from rnncourse.datasets.digits import make_digit_lines

    split, _ = digits
    lines = make_digit_lines(split.test_images, split.test_labels, 20, max_gap=2, seed=6)
    for image, spans in zip(lines.images, lines.spans):
        pieces = segment_columns(image)
        for a, b in pieces:                                  # every piece lies inside one digit
            assert sum(s <= a and b <= e for s, e in spans) == 1
        assert len(pieces) == len(spans)                     # no digit touches, none is broken


def test_segment_and_classify_reads_two_touching_digits_as_one(digits):
    """The documented failure: no empty column between two digits, one piece, one label."""
    split, classifier = digits
    images, labels = split.test_images, split.test_labels
    right_inked = np.flatnonzero((images[:, :, -1] > 0).any(axis=1))   # ink in the last column
    left_inked = np.flatnonzero((images[:, :, 0] > 0).any(axis=1))     # ink in the first column
    assert len(right_inked) and len(left_inked)
    i, j = right_inked[0], left_inked[0]
    line = np.concatenate([np.zeros((8, 2)), images[i], images[j], np.zeros((8, 2))], axis=1)
    assert segment_columns(line) != [] and len(segment_columns(line)) == 1
    read = segment_and_classify(line, classifier, 8)
    assert len(read) == 1 and 0 <= read[0] <= 9
    # the same two digits with one blank column between them are two pieces
    spaced = np.concatenate([images[i], np.zeros((8, 1)), images[j]], axis=1)
    assert len(segment_and_classify(spaced, classifier, 8)) == 2
    assert labels[i] in range(10) and labels[j] in range(10)
