"""rnncourse.forecasting: windows that never leak a target into its input, walk-forward origins,
and a scaler whose statistics come from the training part only."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse import forecasting as F
from rnncourse.exercises.solutions import make_windows


# ----------------------------------------------------------------------------- windows
def test_windows_hand_example():
    X, Y = F.make_forecast_windows(np.arange(8.0), 3, 2)
    assert np.array_equal(X, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    assert np.array_equal(Y, [[3, 4], [4, 5], [5, 6], [6, 7]])


@pytest.mark.parametrize(("N", "window"), [(10, 3), (5, 1), (7, 6), (30, 12)])
def test_windows_at_horizon_one_are_lesson_one(N, window):
    series = np.random.default_rng(N).normal(size=N)
    X, Y = F.make_forecast_windows(series, window)
    X1, y1 = make_windows(series, window)
    assert np.array_equal(X, X1) and np.array_equal(Y[:, 0], y1) and Y.shape == (N - window, 1)


@pytest.mark.parametrize(("N", "window", "horizon"), [(12, 4, 3), (7, 4, 3), (9, 1, 8), (20, 2, 5)])
def test_windows_shapes_and_no_target_inside_its_input(N, window, horizon):
    series = np.arange(N) * 1.5
    X, Y = F.make_forecast_windows(series, window, horizon)
    M = N - window - horizon + 1
    assert X.shape == (M, window) and Y.shape == (M, horizon)
    index_x = (X / 1.5).astype(int)
    index_y = (Y / 1.5).astype(int)
    assert (index_y.min(axis=1) == index_x.max(axis=1) + 1).all()  # the target starts right after
    assert index_y[-1, -1] == N - 1  # the last window uses the last value


def test_windows_are_new_arrays_of_the_series_dtype():
    series = np.arange(10, dtype=np.int32)
    X, Y = F.make_forecast_windows(series, 3, 2)
    assert X.dtype == Y.dtype == np.int32
    X[0, 0] = 99
    Y[0, 0] = 99
    assert np.array_equal(series, np.arange(10))
    X, Y = F.make_forecast_windows([1.0, 2.0, 3.0], 2)  # a list is fine
    assert X.tolist() == [[1.0, 2.0]] and Y.tolist() == [[3.0]]


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((np.arange(10.0), 0), ValueError, "window must be an int >= 1"),
        ((np.arange(10.0), 3, 0), ValueError, "horizon must be an int >= 1"),
        ((np.arange(10.0), 2.0), TypeError, "window must be an int"),
        ((np.arange(10.0), True), TypeError, "got a bool"),
        ((np.arange(6.0), 4, 3), ValueError, "a window of 4 and a horizon of 3 need at least 7 values; the series has 6"),
        ((np.array([1.0, np.nan, 3.0, np.nan, 5.0]), 2), ValueError, "at index 1, 3"),
        ((np.ones((6, 2)), 2), ValueError, "shape (N,)"),
        ((np.array([True, False, True]), 1), TypeError, "booleans"),
        (("abcdef", 2), TypeError, "array of numbers"),
    ],
)
def test_windows_errors(args, error, words):
    with pytest.raises(error) as info:
        F.make_forecast_windows(*args)
    assert words in str(info.value)


# ----------------------------------------------------------------------------- rolling origins
@pytest.mark.parametrize(("start", "stop", "n", "horizon"), [(50, 100, 5, 7), (10, 20, 10, 1), (3, 40, 2, 4), (8, 30, 7, 3)])
def test_rolling_origins_properties(start, stop, n, horizon):
    origins = F.rolling_origins(start, stop, n, horizon)
    assert len(origins) == n and all(isinstance(t, int) for t in origins)
    assert origins[0] == start and origins[-1] == stop - horizon
    assert all(b > a for a, b in zip(origins, origins[1:]))
    assert all(t >= start and t + horizon <= stop for t in origins)
    gaps = np.diff(origins)
    assert gaps.max() - gaps.min() <= 1  # evenly spaced, up to rounding


def test_rolling_origins_examples():
    assert F.rolling_origins(10, 20, 3, 2) == [10, 14, 18]
    assert F.rolling_origins(10, 20, 1, 2) == [18]  # one origin: hold out the last horizon values
    assert F.rolling_origins(5, 8, 3, 1) == [5, 6, 7]
    assert F.rolling_origins(5, 9, 4, 1) == [5, 6, 7, 8]  # every possible origin


def test_rolling_origins_walk_forward_never_trains_on_the_forecast():
    series = np.arange(60.0)
    for t in F.rolling_origins(20, 60, 6, 5):
        train, target = series[:t], series[t:t + 5]
        assert len(target) == 5 and train.max() < target.min()


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((0, 10, 2, 1), ValueError, "start must be an int >= 1"),
        ((5, 10, 0, 1), ValueError, "n_origins must be an int >= 1"),
        ((5, 10, 2, 0), ValueError, "horizon must be an int >= 1"),
        ((8, 10, 1, 3), ValueError, "needs stop >= 11"),
        ((5, 10, 5, 2), ValueError, "only 4 distinct origins"),
        ((5.0, 10, 2, 1), TypeError, "start must be an int"),
    ],
)
def test_rolling_origins_errors(args, error, words):
    with pytest.raises(error) as info:
        F.rolling_origins(*args)
    assert words in str(info.value)


# ----------------------------------------------------------------------------- scaler
def test_scaler_uses_the_training_part_only():
    rng = np.random.default_rng(0)
    series = rng.normal(10.0, 3.0, 100)
    train = series[:70]
    mean, std = F.fit_scaler(train)
    assert mean == pytest.approx(train.mean(), rel=1e-14) and std == pytest.approx(train.std(), rel=1e-14)
    other = series.copy()
    other[70:] = rng.normal(500.0, 80.0, 30)  # a different future
    assert F.fit_scaler(other[:70]) == (mean, std)
    assert F.fit_scaler(series)[0] != mean  # the whole series would give other statistics
    z = F.scale(series, mean, std)
    assert abs(z[:70].mean()) < 1e-12 and z[:70].std() == pytest.approx(1.0)
    assert abs(z[70:].mean()) > 0  # the later parts are not re-centred on themselves
    assert np.allclose(F.unscale(z, mean, std), series)


def test_scaler_columns():
    train = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    mean, std = F.fit_scaler(train)
    assert mean.shape == std.shape == (2,) and np.allclose(mean, [3.0, 20.0])
    z = F.scale(np.array([[3.0, 20.0], [5.0, 40.0]]), mean, std)
    assert np.allclose(z[0], 0.0) and np.allclose(z[1], [2.0 / std[0], 20.0 / std[1]])
    assert np.allclose(F.unscale(z, mean, std), [[3.0, 20.0], [5.0, 40.0]])


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: F.fit_scaler(np.ones(5)), ValueError, "constant"),
        (lambda: F.fit_scaler(np.array([[1.0, 2.0], [1.0, 3.0]])), ValueError, "column 0"),
        (lambda: F.fit_scaler([1.0]), ValueError, "at least 2"),
        (lambda: F.fit_scaler([1.0, np.nan, 2.0]), ValueError, "at index 1"),
        (lambda: F.scale([1.0, 2.0], 0.0, 0.0), ValueError, "std must be > 0"),
        (lambda: F.scale(np.ones((3, 2)), np.zeros(3), np.ones(3)), ValueError, "does not match"),
    ],
)
def test_scaler_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_make_forecast_windows_source_is_the_short_body():
    import inspect

    source = inspect.getsource(F.make_forecast_windows)
    assert source.startswith("def make_forecast_windows(series, window, horizon=1):")
    assert len(source.split('"""')[-1].strip().splitlines()) <= 4
