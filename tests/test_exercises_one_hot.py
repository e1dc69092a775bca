"""The one_hot exercise: its reference against torch, its cases, and answers written the way a
learner would write them (not the catalogue's own variants) get the right verdict."""

from __future__ import annotations

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse.exercises import solutions as S


pytestmark = pytest.mark.usefixtures("exercise_isolation")


@pytest.mark.parametrize(("shape", "V"), [((7,), 5), ((4, 3), 6), ((1, 3), 4), ((5, 1), 2), ((3, 2), 1), ((2, 3, 4), 3)])
def test_one_hot_reference_matches_torch(shape, V):
    torch = pytest.importorskip("torch")
    ids = np.random.default_rng(0).integers(0, V, size=shape)
    before = ids.copy()
    ours = S.one_hot(ids, V)
    assert ours.shape == shape + (V,) and ours.dtype == np.float64
    np.testing.assert_array_equal(ours, torch.nn.functional.one_hot(torch.from_numpy(ids), V).numpy())
    np.testing.assert_array_equal(ids, before)


def test_one_hot_golden_values():
    out = S.one_hot(np.array([[2, 0], [1, 2]]), 3)
    np.testing.assert_array_equal(out, [[[0, 0, 1], [1, 0, 0]], [[0, 1, 0], [0, 0, 1]]])


def test_one_hot_cases_cover_the_edges():
    cases = ex.one_hot.cases
    shapes = [c.args[0].shape for c in cases]
    assert any(len(s) == 1 for s in shapes) and any(len(s) == 2 for s in shapes) and any(len(s) == 3 for s in shapes)
    assert any(len(s) == 2 and s[0] == 1 for s in shapes)  # T = 1
    assert any(len(s) == 2 and s[1] == 1 for s in shapes)  # B = 1
    assert any(c.args[1] == 1 for c in cases)  # V = 1
    ids, V = cases[0].args
    assert ids.min() == 0 and ids.max() == V - 1  # the first case uses both ends of the vocabulary
    assert any(c.args[0].max() < c.args[1] - 2 for c in cases)  # a case where the largest ids never occur
    for c in cases:
        ids, V = c.args
        assert np.issubdtype(ids.dtype, np.integer) and 0 <= ids.min() and ids.max() < V
        assert isinstance(V, int)


def _loop(ids, V):
    out = np.zeros(ids.shape + (V,))
    for idx in np.ndindex(ids.shape):
        out[idx + (ids[idx],)] = 1.0
    return out


def _compare_with_arange(ids, V):
    return (ids[..., None] == np.arange(V)).astype(np.float32)  # float32 is a float too


def _put_minus_one(ids, V):
    out = np.zeros(ids.shape + (V,))
    np.put_along_axis(out, ids[..., None] - 1, 1.0, axis=-1)
    return out


def _loop_plus_one(ids, V):
    out = np.zeros(ids.shape + (V,))
    for idx in np.ndindex(ids.shape):
        out[idx + (ids[idx] + 1,)] = 1.0
    return out


def _vocabulary_from_data(ids, V):
    return np.eye(ids.max() + 1)[ids]


def _moveaxis_first(ids, V):
    return np.moveaxis(np.eye(V)[ids], -1, 0)


def _swapped(ids, V):
    return (ids[..., None] != np.arange(V)).astype(float)


def _flatten_in_place(ids, V):
    shape = ids.shape
    ids.shape = (-1,)
    out = np.zeros((ids.size, V))
    out[np.arange(ids.size), ids] = 1.0
    return out.reshape(shape + (V,))


def _bool(ids, V):
    return ids[..., None] == np.arange(V)


def _int(ids, V):
    return np.eye(V, dtype=int)[ids]


def _only_2d(ids, V):
    T, B = ids.shape
    out = np.zeros((T, B, V))
    out[np.arange(T)[:, None], np.arange(B), ids] = 1.0
    return out


@pytest.mark.parametrize(
    ("fn", "status", "mistake"),
    [
        (_loop, "pass", None),
        (_compare_with_arange, "pass", None),
        (_put_minus_one, "mistake", "ids_minus_one"),
        (_loop_plus_one, "mistake", "ids_plus_one"),
        (_vocabulary_from_data, "mistake", "size_from_max_id"),
        (_moveaxis_first, "mistake", "class_axis_first"),
        (_swapped, "mistake", "inverted"),
        (_flatten_in_place, "mutated_input", "flattened_in_place"),
        (_bool, "wrong_type", None),
        (_int, "wrong_type", None),
    ],
)
def test_one_hot_learner_answers_get_their_verdict(fn, status, mistake):
    result = ex.one_hot.evaluate(fn)
    assert (result.status, result.mistake) == (status, mistake), repr(result)


@pytest.mark.parametrize("fn", [_bool, _int])
def test_one_hot_wrong_dtype_is_a_type_problem_naming_the_dtype(fn):
    # A dtype is not a named mistake: the values may be right, and the verdict says which dtype is expected.
    result = ex.one_hot.evaluate(fn)
    assert "dtype" in result.message and "floating-point" in result.message


def test_one_hot_answer_for_two_axes_only_fails_on_other_shapes():
    result = ex.one_hot.evaluate(_only_2d)
    assert result.status == "error"
    assert "(N,)" in result.message or "N=9" in result.message  # the case that broke it is named
