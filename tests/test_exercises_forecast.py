"""The exercises of lesson 12 (forecasting): make_forecast_windows, seasonal_naive_forecast and mase.

The checks every exercise gets run in test_exercises_catalogue.py and test_exercises_behaviour.py;
here, learner-style answers, right and wrong, are checked here by name."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse import baselines, forecasting, metrics
from rnncourse.exercises import forecast_exercises as fx
from rnncourse.exercises.compare import distance

WIN = fx.make_forecast_windows
SN = fx.seasonal_naive_forecast
MASE = fx.mase
LESSON_12 = [WIN, SN, MASE]
FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _verdict(e, fn):
    result = e.evaluate(fn)
    return result.status, result.mistake


# The shared catalogue and behaviour checks (tests/test_exercises_catalogue.py,
# tests/test_exercises_behaviour.py) run over every registered exercise, these included.


@pytest.mark.parametrize("e", LESSON_12, ids=[e.id for e in LESSON_12])
def test_metadata(e):
    assert e.lesson == "12_forecasting"
    assert len(e.hints) >= 3 and len(e.faults) >= 3
    assert len(e.variants) > len(e.faults)
    assert all(f.message and f.hint for f in e.faults)
    assert ex.EXERCISES[e.id] is e  # registered with lesson 12
    assert fx.EXERCISES == tuple(LESSON_12)


@pytest.mark.parametrize("e", LESSON_12, ids=[e.id for e in LESSON_12])
def test_first_case_tells_every_single_mistake_from_the_reference(e):
    expected = e._expected(0)
    for f in e.faults:
        kind, value, _ = e._variant((f.name,), 0)
        assert kind == "error" or distance(expected, value) > FAR, f.name


def test_references_are_the_package_functions():
    assert WIN.reference is forecasting.make_forecast_windows
    assert SN.reference is baselines.seasonal_naive_forecast
    assert MASE.reference is metrics.mase
    assert WIN.params == ("series", "window", "horizon")
    assert SN.params == ("history", "period", "horizon")
    assert MASE.params == ("actual", "forecast", "train", "period")


@pytest.mark.parametrize("e", LESSON_12, ids=[e.id for e in LESSON_12])
def test_reference_source_is_the_short_body(e):
    source = inspect.getsource(e.reference)
    assert source.startswith(f"def {e.id}(")
    assert len(source.split('"""')[-1].strip().splitlines()) <= 4


# ============================================================================= make_forecast_windows
def test_windows_cases():
    assert {f.name for f in WIN.faults} == {
        "target_overlaps_input", "target_one_step_late", "too_few_windows", "count_ignores_horizon",
        "stacked_on_wrong_axis", "horizon_ignored",
    }
    horizons = [c.args[2] for c in WIN.cases]
    assert WIN.cases[0].args[2] >= 2 and 1 in horizons and any(h > c.args[1] for c, h in zip(WIN.cases, horizons))
    assert any(c.dims["M"] == 1 for c in WIN.cases) and any(c.dims["M"] == c.dims["W"] for c in WIN.cases)
    for c in WIN.cases:
        series, window, horizon = c.args
        assert len(np.unique(series)) == len(series)  # every shifted target differs


def win_loop(series, window, horizon=1):
    X, Y = [], []
    for i in range(len(series) - window - horizon + 1):
        X.append(series[i:i + window])
        Y.append(series[i + window:i + window + horizon])
    return np.array(X), np.array(Y)


def win_sliding_view(series, window, horizon=1):
    both = np.lib.stride_tricks.sliding_window_view(series, window + horizon)
    return both[:, :window].copy(), both[:, window:].copy()


def win_fancy_index(series, window, horizon=1):
    M = len(series) - window - horizon + 1
    starts = np.arange(M)[:, None]
    return series[starts + np.arange(window)], series[starts + window + np.arange(horizon)]


def win_preallocated(series, window, horizon=1):
    M = len(series) - (window + horizon) + 1
    X = np.zeros((M, window))
    Y = np.zeros((M, horizon))
    for i in range(M):
        X[i] = series[i:i + window]
        Y[i] = series[i + window:i + window + horizon]
    return X, Y


def win_views(series, window, horizon=1):
    both = np.lib.stride_tricks.sliding_window_view(series, window + horizon)
    return both[:, :window], both[:, window:]  # read-only views are fine: the caller reads them


@pytest.mark.parametrize("fn", [win_loop, win_sliding_view, win_fancy_index, win_preallocated, win_views])
def test_windows_learner_correct_variants_pass(fn):
    result = WIN.evaluate(fn)
    assert result.status == "pass", repr(result)


def win_overlap(series, window, horizon=1):
    X, Y = [], []
    for i in range(len(series) - window - horizon + 1):
        X.append(series[i:i + window])
        Y.append(series[i + window - 1:i + window - 1 + horizon])  # starts at the input's last value
    return np.array(X), np.array(Y)


def win_overlap_sliding(series, window, horizon=1):
    both = np.lib.stride_tricks.sliding_window_view(series, window + horizon - 1)
    return both[:-1, :window].copy(), both[:-1, window - 1:].copy()


def win_late(series, window, horizon=1):
    n = len(series) - window - horizon  # one fewer, "so that the target fits"
    X = np.array([series[i:i + window] for i in range(n)])
    Y = np.array([series[i + window + 1:i + window + 1 + horizon] for i in range(n)])
    return X, Y


def win_too_few(series, window, horizon=1):
    n = len(series) - window - horizon
    return (np.array([series[i:i + window] for i in range(n)]),
            np.array([series[i + window:i + window + horizon] for i in range(n)]))


def win_lesson_one_count(series, window, horizon=1):
    n = len(series) - window  # as in lesson 1
    X = np.stack([series[i:i + window] for i in range(n)])
    Y = np.stack([series[i + window:i + window + horizon] for i in range(n)])  # ragged at the end
    return X, Y


def win_columns(series, window, horizon=1):
    M = len(series) - window - horizon + 1
    X = np.stack([series[i:i + window] for i in range(M)], axis=1)
    Y = np.stack([series[i + window:i + window + horizon] for i in range(M)], axis=1)
    return X, Y


def win_transposed_at_the_end(series, window, horizon=1):
    X, Y = win_loop(series, window, horizon)
    return X.T, Y.T


def win_one_target(series, window, horizon=1):
    M = len(series) - window - horizon + 1
    X = np.array([series[i:i + window] for i in range(M)])
    Y = np.array([[series[i + window]] for i in range(M)])
    return X, Y


def win_lesson_one_copy(series, window, horizon=1):
    n = len(series) - window
    X = np.stack([series[i:i + window] for i in range(n)])
    y = series[window:]
    return X, y[:, None]


def win_columns_too_few(series, window, horizon=1):
    X, Y = win_too_few(series, window, horizon)
    return X.T, Y.T


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (win_overlap, "target_overlaps_input"),
        (win_overlap_sliding, "target_overlaps_input"),
        (win_late, "target_one_step_late"),
        (win_too_few, "too_few_windows"),
        (win_lesson_one_count, "count_ignores_horizon"),
        (win_columns, "stacked_on_wrong_axis"),
        (win_transposed_at_the_end, "stacked_on_wrong_axis"),
        (win_one_target, "horizon_ignored"),
        (win_lesson_one_copy, "count_ignores_horizon+horizon_ignored"),
        (win_columns_too_few, "too_few_windows+stacked_on_wrong_axis"),
    ],
)
def test_windows_learner_mistakes_named(fn, mistake):
    result = WIN.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_windows_ragged_stack_error_is_named_with_the_learner_line():
    result = WIN.evaluate(win_lesson_one_count)
    assert "ValueError" in result.message and "known mistake" in result.message
    assert any("np.stack" in d for d in result.details)


def test_windows_other_statuses():
    def flat_targets(series, window, horizon=1):
        X, Y = win_loop(series, window, horizon)
        return X, Y[:, 0]

    def only_x(series, window, horizon=1):
        return win_loop(series, window, horizon)[0]

    def shifts_in_place(series, window, horizon=1):
        out = win_loop(series.copy(), window, horizon)
        series -= series.mean()  # "normalises" the caller's series
        return out

    assert WIN.evaluate(flat_targets).status == "wrong_shape"
    assert WIN.evaluate(only_x).status == "wrong_type"
    assert WIN.evaluate(shifts_in_place).status == "mutated_input"
    assert WIN.evaluate(lambda series, window: win_loop(series, window)).status == "error"  # no horizon


# ============================================================================= seasonal_naive_forecast
def test_seasonal_naive_cases():
    assert {f.name for f in SN.faults} == {
        "persistence", "off_by_one_season", "no_wrap_past_end", "no_wrap_from_start", "reversed_season",
    }
    history, period, horizon = SN.cases[0].args
    assert 3 <= period < horizon and horizon % period  # wraps, not a whole number of seasons
    periods = [c.args[1] for c in SN.cases]
    assert 1 in periods and any(c.args[2] < c.args[1] for c in SN.cases)
    assert any(len(c.args[0]) == c.args[1] for c in SN.cases)  # a history of exactly one season


def sn_loop(history, period, horizon):
    N = len(history)
    return np.array([history[N - period + (h - 1) % period] for h in range(1, horizon + 1)])


def sn_resize(history, period, horizon):
    return np.resize(history[-period:], horizon)


def sn_tile(history, period, horizon):
    reps = -(-horizon // period)
    return np.tile(history[-period:], reps)[:horizon]


def sn_recursive(history, period, horizon):
    extended = list(history)
    for _ in range(horizon):
        extended.append(extended[-period])  # each new value copies the one a season before
    return np.array(extended[len(history):])


@pytest.mark.parametrize("fn", [sn_loop, sn_resize, sn_tile, sn_recursive])
def test_seasonal_naive_learner_correct_variants_pass(fn):
    result = SN.evaluate(fn)
    assert result.status == "pass", repr(result)


def sn_last_value(history, period, horizon):
    return np.full(horizon, history[-1])


def sn_one_based(history, period, horizon):
    return np.array([history[-period + h % period] for h in range(1, horizon + 1)])


def sn_positive_index(history, period, horizon):
    return history[len(history) - period + np.arange(horizon)]


def sn_negative_index(history, period, horizon):
    return np.array([history[-period + k] for k in range(horizon)])


def sn_backwards(history, period, horizon):
    return np.resize(history[-period:][::-1], horizon)


def sn_one_based_negative(history, period, horizon):
    return np.array([history[-period + h] for h in range(1, horizon + 1)])


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (sn_last_value, "persistence"),
        (sn_one_based, "off_by_one_season"),
        (sn_positive_index, "no_wrap_past_end"),
        (sn_negative_index, "no_wrap_from_start"),
        (sn_backwards, "reversed_season"),
        (sn_one_based_negative, "off_by_one_season+no_wrap_from_start"),
    ],
)
def test_seasonal_naive_learner_mistakes_named(fn, mistake):
    result = SN.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_seasonal_naive_index_error_is_named():
    result = SN.evaluate(sn_positive_index)
    assert "IndexError" in result.message and "known mistake" in result.message


def test_seasonal_naive_other_statuses():
    def as_list(history, period, horizon):
        return list(sn_resize(history, period, horizon))

    def one_longer(history, period, horizon):
        return np.resize(history[-period:], horizon + 1)

    def ints(history, period, horizon):
        return sn_resize(history, period, horizon).astype(int)

    assert SN.evaluate(as_list).status == "wrong_type"
    assert SN.evaluate(one_longer).status == "wrong_shape"
    assert SN.evaluate(ints).status == "wrong_type"


# ============================================================================= mase
def test_mase_cases():
    assert {f.name for f in MASE.faults} == {
        "scaled_by_test_naive", "mean_of_ratios", "lag_one_scale", "signed_errors", "signed_scale",
        "scale_is_rmse",
    }
    assert MASE.cases[0].args[3] > 1 and len(MASE.cases[0].args[0]) > MASE.cases[0].args[3]
    for c in MASE.cases:
        actual, forecast, train, period = c.args
        assert actual.shape == forecast.shape == (c.dims["H"],) and train.shape == (c.dims["n"],)
        assert len(train) > period
    errors = [c.args[0] - c.args[1] for c in MASE.cases]
    assert sum((e > 0).any() and (e < 0).any() for e in errors) >= 3  # errors of both signs


def mase_plain(actual, forecast, train, period=1):
    scale = np.mean(np.abs(train[period:] - train[:-period]))
    return np.mean(np.abs(actual - forecast)) / scale


def mase_loop(actual, forecast, train, period=1):
    naive = [abs(train[t] - train[t - period]) for t in range(period, len(train))]
    errors = [abs(a - f) for a, f in zip(actual, forecast)]
    return (sum(errors) / len(errors)) / (sum(naive) / len(naive))


def mase_from_helpers(actual, forecast, train, period=1):
    return metrics.mae(actual, forecast) / metrics.mae(train[period:], train[:-period])


def mase_scaled_errors(actual, forecast, train, period=1):
    q = np.abs(actual - forecast) / np.mean(np.abs(train[period:] - train[:-period]))  # Hyndman's q_t
    return float(q.mean())


@pytest.mark.parametrize("fn", [mase_plain, mase_loop, mase_from_helpers, mase_scaled_errors])
def test_mase_learner_correct_variants_pass(fn):
    result = MASE.evaluate(fn)
    assert result.status == "pass", repr(result)


def mase_test_scale(actual, forecast, train, period=1):
    return np.mean(np.abs(actual - forecast)) / np.mean(np.abs(actual[period:] - actual[:-period]))


def mase_per_step(actual, forecast, train, period=1):
    series = np.concatenate([train, actual])
    n = len(train)
    naive = series[n - period:n - period + len(actual)]  # the value a season before each test step
    return np.mean(np.abs(actual - forecast) / np.abs(actual - naive))


def mase_diff(actual, forecast, train, period=1):
    return np.mean(np.abs(actual - forecast)) / np.mean(np.abs(np.diff(train)))


def mase_bias(actual, forecast, train, period=1):
    return np.mean(actual - forecast) / np.mean(np.abs(train[period:] - train[:-period]))


def mase_signed_scale(actual, forecast, train, period=1):
    return np.mean(np.abs(actual - forecast)) / np.mean(train[period:] - train[:-period])


def mase_rmse_scale(actual, forecast, train, period=1):
    return np.mean(np.abs(actual - forecast)) / np.sqrt(np.mean((train[period:] - train[:-period]) ** 2))


def mase_no_abs_anywhere(actual, forecast, train, period=1):
    def mean_error(a, b):
        return np.mean(a - b)

    return mean_error(actual, forecast) / mean_error(train[period:], train[:-period])


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (mase_test_scale, "scaled_by_test_naive"),
        (mase_per_step, "mean_of_ratios"),
        (mase_diff, "lag_one_scale"),
        (mase_bias, "signed_errors"),
        (mase_signed_scale, "signed_scale"),
        (mase_rmse_scale, "scale_is_rmse"),
        (mase_no_abs_anywhere, "signed_errors+signed_scale"),
    ],
)
def test_mase_learner_mistakes_named(fn, mistake):
    result = MASE.evaluate(fn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)


def test_mase_other_statuses():
    def as_array(actual, forecast, train, period=1):
        return np.array([mase_plain(actual, forecast, train, period)])

    def mae_only(actual, forecast, train, period=1):
        return np.mean(np.abs(actual - forecast))

    assert MASE.evaluate(as_array).status == "wrong_shape"
    assert MASE.evaluate(mae_only).status == "wrong_values"
