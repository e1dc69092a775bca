"""Exercises of lesson 12 (forecasting): framing a series without leaking the future, the
seasonal naive forecast, and the mean absolute scaled error.

Single source: each reference is the package's own function
(:func:`rnncourse.forecasting.make_forecast_windows`,
:func:`rnncourse.baselines.seasonal_naive_forecast`, :func:`rnncourse.metrics.mase`; its
arguments checked by a wrapper, ``inspect.getsource`` showing the NumPy body). Every
``impl(faults, ...)`` below reproduces its reference when ``faults`` is empty, and a named
mistake for each fault, written the way a learner would write it: where the learner's slices
or indices run past the end of the series (a ragged ``np.stack``, an IndexError), the variant
fails on the same cases, so a learner's error is named too.

Not yet registered in :mod:`rnncourse.exercises` (lesson ``12_forecasting`` is not in
``rnncourse.LESSONS`` yet): import them from this module.
"""

from __future__ import annotations

import warnings

import numpy as np

from rnncourse import baselines, forecasting, metrics

from .core import Case, Exercise, Fault

LESSON = "12_forecasting"


def _series(rng, N, period=None, trend=0.0):
    """A series (N,) that looks like one: a level, a trend, a season, noise; all values distinct."""
    t = np.arange(N)
    season = 0.0 if period is None else 4.0 * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    return 20.0 + trend * t + season + rng.normal(0.0, 1.5, N)


# ----------------------------------------------------------------------------- make_forecast_windows
def _make_forecast_windows(f, series, window, horizon=1):
    N = len(series)
    M = N - window - horizon + 1
    start = window  # where a target starts, counted from the start of its input
    if "target_overlaps_input" in f:
        start = window - 1
    if "target_one_step_late" in f:
        start = window + 1
        M -= 1  # the late target of the last window would run past the end: one window fewer
    if "too_few_windows" in f:
        M -= 1
    if "count_ignores_horizon" in f:
        M = N - window - (1 if "target_one_step_late" in f else 0)  # as in lesson 1: one target value
    width = 1 if "horizon_ignored" in f else horizon
    axis = 1 if "stacked_on_wrong_axis" in f else 0
    # np.stack raises ValueError for no windows at all, or for a target cut short at the end
    X = np.stack([series[i:i + window] for i in range(M)], axis=axis)
    Y = np.stack([series[i + start:i + start + width] for i in range(M)], axis=axis)
    return X, Y


def _make_forecast_windows_cases(rng):
    def case(label, N, window, horizon, **kw):
        series = _series(rng, N, **kw)
        M = N - window - horizon + 1
        return Case(label, (series, window, horizon), dict(N=N, W=window, H=horizon, M=M))

    return [
        case("N=14, window 4, horizon 3 (M=8 windows)", 14, 4, 3, period=6),
        case("one-step targets: horizon=1, N=9, window 3", 9, 3, 1, trend=0.5),
        case("window=1, N=7, horizon 2", 7, 1, 2),
        case("exactly one window: N=7 = window 4 + horizon 3", 7, 4, 3),
        case("horizon longer than the window: N=15, window 2, horizon 5", 15, 2, 5, period=4),
        case("as many windows as the window is long: N=10, window 4, horizon 3 (M=4)", 10, 4, 3),
        case("horizon=2, N=11, window 3", 11, 3, 2, trend=-0.4),
        case("horizon=1, window 5, N=20", 20, 5, 1, period=7),
    ]


make_forecast_windows = Exercise(
    id="make_forecast_windows",
    title="Inputs and multi-step targets from a series, without leaking the future",
    lesson=LESSON,
    reference=forecasting.make_forecast_windows,
    impl=_make_forecast_windows,
    output_names=("X", "Y"),
    make_cases=_make_forecast_windows_cases,
    faults=[
        Fault(
            "target_overlaps_input",
            "Your targets start one step too early: the first value of each target is the last value of its "
            "own input, so the model is asked to 'forecast' a value it has just been shown. That leaks the "
            "answer and makes the task look far easier than it is.",
            "Input i covers the indices i, ..., i + window - 1. Its target must start at the first index after "
            "that.",
            group="target",
        ),
        Fault(
            "target_one_step_late",
            "Your targets start one step too late: the value right after each input is skipped, so the "
            "forecast is for two steps ahead, not one (and one window fewer fits into the series).",
            "Input i covers the indices i, ..., i + window - 1. Its target starts at the very next index; "
            "write the indices of the first window down on paper and check.",
            group="target",
        ),
        Fault(
            "too_few_windows",
            "Your function makes one window too few: the last input whose target still fits inside the series "
            "is missing.",
            "Count the windows on a small example: with N values, a window of W and a horizon of H, the last "
            "window starts where its target ends exactly at the end of the series.",
            group="count",
        ),
        Fault(
            "count_ignores_horizon",
            "Your function makes N - window windows, as for one-step targets: for a horizon above 1 the last "
            "horizon - 1 windows have no complete target (their target slices are cut short at the end of the "
            "series).",
            "Each window needs window + horizon values in all, so the number of windows depends on the horizon "
            "as well as on the window.",
            group="count",
        ),
        Fault(
            "stacked_on_wrong_axis",
            "Your function puts the windows in the columns: X comes out (window, M) and Y (horizon, M), the "
            "transpose of what is expected.",
            "One row per example: X must be (M, window), row i the i-th input, and Y (M, horizon). `np.stack` "
            "adds its new axis where `axis` says; the default, 0, makes each stacked array a row.",
        ),
        Fault(
            "horizon_ignored",
            "Your targets hold only the next value, one column, whatever the horizon: the later steps of each "
            "target are missing.",
            "Each target holds the `horizon` values that follow its input: a slice of length horizon, not a "
            "single value.",
        ),
    ],
    incompatible=[],
    hints=[
        "Write the first two examples down for a small series, say N = 8, window 3, horizon 2: input 0 is "
        "`series[0:3]`, and its target is the next 2 values, indices 3 and 4. No index of a target may be "
        "an index of its own input.",
        "How many windows fit? Each needs window + horizon values, and the last one must end exactly at the "
        "end of the series: M = N - window - horizon + 1 (M = 4 in the example above).",
        "In a loop over i in range(M): input i is `series[i:i + window]`, target i is the `horizon` values "
        "starting at index i + window. Collect them in two lists and `np.stack` each into an array with one "
        "row per example: X (M, window), Y (M, horizon).",
    ],
)


# ----------------------------------------------------------------------------- seasonal_naive_forecast
def _seasonal_naive_forecast(f, history, period, horizon):
    N = len(history)
    if "persistence" in f:
        return np.full(horizon, history[-1])
    steps = np.arange(horizon)  # h - 1 for h = 1, ..., horizon
    if "off_by_one_season" in f:
        steps = steps + 1  # h itself: one step further into the season
    if "no_wrap_past_end" in f:
        index = N - period + steps  # runs past the end (IndexError) once steps reach period
    elif "no_wrap_from_start" in f:
        index = -period + steps  # turns non-negative: reads from the start of the history
    elif "reversed_season" in f:
        index = -1 - steps % period  # step h gets history[-h]: the last season backwards
    else:
        index = -period + steps % period
    return history[index]


def _seasonal_naive_cases(rng):
    def case(label, N, period, horizon):
        history = _series(rng, N, period=period, trend=0.2)
        return Case(label, (history, period, horizon), dict(N=N, m=period, H=horizon))

    return [
        case("N=15, period 4, horizon 7 (more than a season)", 15, 4, 7),
        case("horizon = period = 3, N=10", 10, 3, 3),
        case("horizon=1, weekly period 7, N=21", 21, 7, 1),
        case("period=1 (persistence), horizon 4, N=6", 6, 1, 4),
        case("horizon shorter than the period: period 12, horizon 5, N=30", 30, 12, 5),
        case("history of exactly one season: N = period = 5, horizon 8", 5, 5, 8),
        case("horizon of more than two seasons: period 3, horizon 8, N=11", 11, 3, 8),
    ]


seasonal_naive_forecast = Exercise(
    id="seasonal_naive_forecast",
    title="The seasonal naive forecast: the value one season before",
    lesson=LESSON,
    reference=baselines.seasonal_naive_forecast,
    impl=_seasonal_naive_forecast,
    output_names=("forecast",),
    make_cases=_seasonal_naive_cases,
    faults=[
        Fault(
            "persistence",
            "Your function repeats the last value of the history for every step: that is the persistence "
            "(random walk) forecast, the seasonal one only when the period is 1.",
            "Step h must get the value one whole season (period steps) before it, so the forecast repeats the "
            "pattern of the last season instead of one value.",
        ),
        Fault(
            "off_by_one_season",
            "Your function reads each step's value one position too far into the season: step 1 gets the "
            "value period - 1 steps back instead of period steps back, and so on.",
            "Step h (counted from 1) lies period steps after the value it copies. For h = 1 that value is "
            "`history[-period]`; count your steps from 0 (h - 1) when you index.",
        ),
        Fault(
            "no_wrap_past_end",
            "Your function does not start the season again once the horizon is longer than a season: from step "
            "period + 1 on its index runs past the end of the history (an IndexError).",
            "Beyond one season the forecast repeats: step h copies the same position of the last season as "
            "step h - period. The remainder `% period` keeps the position inside the season.",
            group="wrap",
        ),
        Fault(
            "no_wrap_from_start",
            "Your function does not start the season again once the horizon is longer than a season: from step "
            "period + 1 on, its negative index turns non-negative and reads values from the start of the "
            "history.",
            "Beyond one season the forecast repeats: step h copies the same position of the last season as "
            "step h - period. The remainder `% period` keeps the position inside the season.",
            group="wrap",
        ),
        Fault(
            "reversed_season",
            "Your function reads the last season backwards: step 1 gets the last value, step 2 the one before "
            "it, and so on.",
            "Step h copies the value exactly period steps before it, so the forecast keeps the order of the "
            "last season: its first value comes first.",
            group="wrap",
        ),
    ],
    incompatible=[("persistence", other) for other in (
        "off_by_one_season", "no_wrap_past_end", "no_wrap_from_start", "reversed_season",
    )],  # persistence reads no season at all
    hints=[
        "For step h = 1, 2, ..., horizon the forecast is the value one season before it. The last observed "
        "value is `history[-1]`; step 1 is one step later, so one season before it is `history[-period]`.",
        "Step 2 copies `history[-period + 1]`, step 3 `history[-period + 2]`, ..., step period copies "
        "`history[-1]`. Then the season starts again: step period + 1 copies the same value as step 1.",
        "With `steps = np.arange(horizon)` (that is h - 1), the positions in the last season are "
        "`steps % period`, and `history[-period + steps % period]` picks all the values at once.",
    ],
)


# ----------------------------------------------------------------------------- mase
def _mase(f, actual, forecast, train, period=1):
    m = 1 if "lag_one_scale" in f else period
    errors = actual - forecast if "signed_errors" in f else np.abs(actual - forecast)
    if "scaled_by_test_naive" in f:
        naive = actual[m:] - actual[:-m]  # within the test part (none when H <= m: a NaN mean)
    elif "mean_of_ratios" in f:
        before = np.concatenate([train, actual])[len(train) - m:len(train) - m + len(actual)]
        naive = actual - before  # the naive forecast's error at each test step
    else:
        naive = train[m:] - train[:-m]  # its in-sample errors on the training part
    if "signed_scale" not in f:
        naive = np.abs(naive)
    if "mean_of_ratios" in f:
        return np.mean(errors / naive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no naive errors is NaN
        scale = np.sqrt(np.mean(naive ** 2)) if "scale_is_rmse" in f else np.mean(naive)
    return float(np.mean(errors) / scale)


def _mase_cases(rng):
    def case(label, n, H, period, trend=0.3, perfect=False):
        series = _series(rng, n + H, period=period if period > 1 else None, trend=trend)
        train, actual = series[:n], series[n:]
        if perfect:
            forecast = actual.copy()
        else:
            naive = np.concatenate([train, actual])[n - period:n - period + H]
            forecast = naive + rng.normal(0.0, 1.5, H)  # errors of both signs
        return Case(label, (actual, forecast, train, period), dict(H=H, n=n))

    return [
        case("period 4, n=24 training values, H=6", 24, 6, 4),
        case("period=1 (persistence scale), n=15, H=3", 15, 3, 1, trend=0.8),
        case("H=1, period 12, n=40", 40, 1, 12),
        case("train one step longer than a season: period 7, n=8, H=5", 8, 5, 7),
        case("a perfect forecast: period 3, n=12, H=4", 12, 4, 3, perfect=True),
        case("falling trend, period 2, n=30, H=7", 30, 7, 2, trend=-0.6),
    ]


mase = Exercise(
    id="mase",
    title="The mean absolute scaled error of a forecast",
    lesson=LESSON,
    reference=metrics.mase,
    impl=_mase,
    output_names=("mase",),
    make_cases=_mase_cases,
    faults=[
        Fault(
            "scaled_by_test_naive",
            "Your function computes the scale from the test values (`actual` against itself a season "
            "earlier) instead of the training part: the scale then changes with the very values being scored, "
            "it is not known when the forecast is made, and with a test part no longer than a season there is "
            "nothing to average (NaN).",
            "The scale is one number computed from `train` alone: the mean error of the one-step seasonal "
            "naive forecast inside the training part.",
            group="scale_from",
        ),
        Fault(
            "mean_of_ratios",
            "Your function divides each step's absolute error by the naive forecast's error at that same step "
            "and averages these ratios: one step where the naive forecast happens to be nearly right blows the "
            "average up.",
            "MASE is a ratio of two means: the mean absolute error of the forecast over one number, the mean "
            "absolute error of the naive forecast on the training part.",
            group="scale_from",
        ),
        Fault(
            "lag_one_scale",
            "Your scale compares each training value with the one just before it (a lag of 1), whatever the "
            "period: for a seasonal series that is the persistence forecast, not the seasonal naive one.",
            "The naive forecast of the scale copies the value one season earlier: compare `train` with itself "
            "shifted by `period` steps.",
        ),
        Fault(
            "signed_errors",
            "Your function averages the forecast errors with their signs: errors above and below the actual "
            "values cancel out, so a bad forecast can score near 0 (or below it).",
            "Take the absolute value of each forecast error before averaging.",
        ),
        Fault(
            "signed_scale",
            "Your scale averages the naive forecast's errors with their signs: they cancel out (what is left "
            "is about the trend), so the scale is far too small or even negative.",
            "Take the absolute value of each of the naive forecast's errors before averaging them.",
            group="scale_form",
        ),
        Fault(
            "scale_is_rmse",
            "Your scale is the root mean squared error of the naive forecast, not its mean absolute error: "
            "the ratio then compares two different kinds of error.",
            "Numerator and denominator must be the same kind of error: both mean absolute errors.",
            group="scale_form",
        ),
    ],
    incompatible=[("mean_of_ratios", "scale_is_rmse")],  # the ratios have no mean to take the root of
    hints=[
        "MASE = (mean absolute error of the forecast) / (mean absolute error of the naive forecast on the "
        "training part). Below 1 means better than that naive forecast was on the training data.",
        "The naive forecast of the scale forecasts each training value `train[t]` by the value one season "
        "before, `train[t - period]`, for t = period, ..., n - 1. Its errors are the differences between "
        "`train` and itself shifted by `period`: `train[period:]` against `train[:-period]`.",
        "Two means and a division: `np.mean(np.abs(actual - forecast))` over "
        "`np.mean(np.abs(train[period:] - train[:-period]))`. Nothing in the scale depends on `actual` or "
        "`forecast`.",
    ],
)

EXERCISES = (make_forecast_windows, seasonal_naive_forecast, mase)
