r"""Framing a time series for supervised forecasting, without letting the future leak in.

A forecaster at time t may use the values before t and nothing else. Three places where the
future slips in unnoticed, and the function here that keeps it out:

:func:`make_forecast_windows`
    Cuts a series into inputs and targets: input i is ``series[i:i + window]``, its target the
    ``horizon`` values that follow, ``series[i + window:i + window + horizon]``. No target value
    ever lies inside its own input (an off-by-one that does so makes the task trivially easy,
    and the score meaningless).
:func:`rolling_origins`
    Walk-forward (rolling-origin) evaluation. For each forecast origin t, fit on everything
    before t (``series[:t]``), forecast ``series[t:t + horizon]``, score, move t on. A single
    random train/test split would train on the future of its test points.
:func:`fit_scaler`, :func:`scale`, :func:`unscale`
    Standardisation with a mean and a standard deviation computed on the training part only,
    then applied unchanged to the validation and test parts (statistics of the whole series
    would tell the model the level of the future).

Bad input raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong shape or
values), naming the argument and what was expected. NumPy only.

:func:`make_forecast_windows` is the exercise of lesson 12; the source of its body is the
reference solution shown in the book. So that the body reads as the algorithm alone (and runs
on its own when pasted into a notebook), a wrapper applied after the definition checks the
arguments; ``inspect.getsource`` and ``help`` show the function itself.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

__all__ = ["make_forecast_windows", "rolling_origins", "fit_scaler", "scale", "unscale"]


# ----------------------------------------------------------------------------- argument checks
def _int(x, name: str, low: int) -> int:
    """``x`` as an int >= ``low`` (a NumPy integer is fine; a bool or a float is not)."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int >= {low}, got a bool")
    try:
        value = operator.index(x)
    except TypeError:
        raise TypeError(f"{name} must be an int >= {low}, got {x!r} ({type(x).__name__})") from None
    if value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value}")
    return value


def _values(x, name: str, ndims=(1,)) -> np.ndarray:
    """``x`` as an array of real numbers with no NaN (its dtype kept; ints stay ints)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - e.g. a tensor that requires grad
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "iuf":
        what = "booleans" if a.dtype.kind == "b" else f"dtype {a.dtype}"
        raise TypeError(f"{name} must hold real numbers, got {what}")
    if a.ndim not in ndims:
        shapes = " or ".join({1: "(N,)", 2: "(N, D)"}[d] for d in ndims)
        raise ValueError(f"{name} must have shape {shapes}, got shape {a.shape}")
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a)
        if bad.any():
            where = np.argwhere(bad)
            shown = ", ".join(str(int(i[0])) if a.ndim == 1 else str(tuple(int(j) for j in i)) for i in where[:10])
            more = f" (and {len(where) - 10} more)" if len(where) > 10 else ""
            raise ValueError(
                f"{name} must hold finite values; it has NaN or inf at index {shown}{more}: "
                "fill or drop them before framing the series"
            )
    return a


def _checked_windows(body):
    """The public function: arguments checked, then ``body`` runs on the checked series."""

    @functools.wraps(body)  # keeps the name, the docstring and (in __wrapped__) the source
    def make_forecast_windows(series, window, horizon=1):
        series = _values(series, "series")
        window = _int(window, "window", 1)
        horizon = _int(horizon, "horizon", 1)
        N = len(series)
        if window + horizon > N:
            raise ValueError(
                f"a window of {window} and a horizon of {horizon} need at least {window + horizon} values; "
                f"the series has {N}"
            )
        return body(series, window, horizon)

    return make_forecast_windows


# ----------------------------------------------------------------------------- windows
def make_forecast_windows(series, window, horizon=1):
    """Inputs X (M, window) and targets Y (M, horizon) from a series (N,), M = N - window - horizon + 1.

    Row i of X is ``series[i:i + window]``; row i of Y holds the ``horizon`` values right after
    it, ``series[i + window:i + window + horizon]``. With ``horizon=1``, ``(X, Y[:, 0])`` is
    lesson 1's ``make_windows(series, window)``.

    Parameters
    ----------
    series : array-like of real numbers, shape (N,)
        Finite values (NaN or inf is refused, with their indices).
    window : int >= 1
        How many past values each input holds.
    horizon : int >= 1
        How many future values each target holds.

    Returns
    -------
    X : ndarray, shape (M, window)
    Y : ndarray, shape (M, horizon)
        New arrays (not views of ``series``), of the dtype of ``series``.

    Raises
    ------
    TypeError
        ``series`` does not hold real numbers; ``window`` or ``horizon`` is not an int.
    ValueError
        ``series`` is not 1-D or holds NaN/inf; ``window`` or ``horizon`` is below 1;
        ``window + horizon`` is more than N (not even one window fits).
    """
    M = len(series) - window - horizon + 1  # the number of (input, target) pairs that fit
    X = np.stack([series[i:i + window] for i in range(M)])  # (M, window): the past
    Y = np.stack([series[i + window:i + window + horizon] for i in range(M)])  # (M, horizon): what follows
    return X, Y


make_forecast_windows = _checked_windows(make_forecast_windows)


# ----------------------------------------------------------------------------- walk-forward evaluation
def rolling_origins(start, stop, n_origins, horizon):
    """Forecast origins for walk-forward (rolling-origin) evaluation, evenly spaced.

    An origin t is the index of the first value to forecast. At each origin, a model is fitted
    (or a scaler computed, or a network trained) on ``series[:t]`` only, everything before t,
    and it forecasts ``series[t:t + horizon]``; the errors over all origins are then averaged.
    Unlike a random train/test split, no forecast is ever scored with a model that has seen
    values from after its origin.

    The origins run from ``start`` to ``stop - horizon`` (the last origin whose forecast still
    fits before ``stop``), both included when ``n_origins >= 2``, rounded to the nearest
    integer; with ``n_origins == 1`` the single origin is ``stop - horizon``, the classic
    hold-out of the last ``horizon`` values.

    Parameters
    ----------
    start : int >= 1
        The earliest origin (the shortest training part, ``series[:start]``, has this many values).
    stop : int
        One past the last index that may be forecast (usually ``len(series)``, or the start of
        a test part that must stay unseen).
    n_origins : int >= 1
    horizon : int >= 1

    Returns
    -------
    list of int
        ``n_origins`` strictly increasing origins t, each with ``start <= t`` and
        ``t + horizon <= stop``.

    Raises
    ------
    TypeError
        An argument is not an int.
    ValueError
        ``start`` < 1, ``n_origins`` < 1 or ``horizon`` < 1; ``start + horizon > stop``; more
        origins asked for than there are distinct ones (``stop - horizon - start + 1``).
    """
    start = _int(start, "start", 1)
    stop = _int(stop, "stop", 0)
    n_origins = _int(n_origins, "n_origins", 1)
    horizon = _int(horizon, "horizon", 1)
    last = stop - horizon
    if last < start:
        raise ValueError(
            f"no origin fits: an origin t >= start = {start} with t + horizon <= stop needs stop >= "
            f"{start + horizon}; got stop = {stop}"
        )
    if n_origins > last - start + 1:
        raise ValueError(
            f"only {last - start + 1} distinct origins lie in [start, stop - horizon] = [{start}, {last}]; "
            f"got n_origins = {n_origins}"
        )
    if n_origins == 1:
        return [last]
    spaced = np.floor(np.linspace(start, last, n_origins) + 0.5).astype(np.int64)  # steps >= 1: distinct
    return [int(t) for t in spaced]


# ----------------------------------------------------------------------------- standardisation
def fit_scaler(train):
    """The mean and standard deviation of the training part, to standardise every part with.

    Compute them on the training part only and apply them unchanged (:func:`scale`) to the
    validation and test parts: statistics of the whole series would carry information about
    the future (its level, its spread) into the inputs.

    Parameters
    ----------
    train : array-like of real numbers, shape (N,) or (N, D)
        The training part (time along axis 0), at least 2 finite values per column.

    Returns
    -------
    (mean, std)
        Floats for (N,); arrays (D,) for (N, D), one per column. ``std`` is the population
        standard deviation (``ddof=0``).

    Raises
    ------
    TypeError
        ``train`` does not hold real numbers.
    ValueError
        ``train`` is not (N,) or (N, D), has fewer than 2 rows, holds NaN/inf, or a column is
        constant (a standard deviation of 0 cannot scale anything).
    """
    a = _values(train, "train", ndims=(1, 2)).astype(np.float64)
    if len(a) < 2:
        raise ValueError(f"train must hold at least 2 values along its time axis, got {len(a)}")
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    if np.any(std == 0):
        which = "" if a.ndim == 1 else f" (column {int(np.argmax(std == 0))})"
        raise ValueError(f"train is constant{which}: its standard deviation is 0, so it cannot be standardised")
    if a.ndim == 1:
        return float(mean), float(std)
    return mean, std


def _scale_args(x, mean, std, name):
    a = _values(x, name, ndims=(1, 2)).astype(np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    if np.any(std <= 0):
        raise ValueError("std must be > 0 (use the pair that fit_scaler returns)")
    try:
        np.broadcast_shapes(a.shape, mean.shape, std.shape)
    except ValueError:
        raise ValueError(
            f"{name} of shape {a.shape} does not match mean {mean.shape} and std {std.shape} from fit_scaler"
        ) from None
    return a, mean, std


def scale(x, mean, std):
    """``(x - mean) / std`` with the training part's ``(mean, std)`` from :func:`fit_scaler`.

    Returns a new float64 array of the shape of ``x``. Raises ``ValueError`` for NaN/inf in
    ``x``, a ``std`` <= 0, or shapes that do not match.
    """
    a, mean, std = _scale_args(x, mean, std, "x")
    return (a - mean) / std


def unscale(z, mean, std):
    """``z * std + mean``: standardised values (a model's forecasts) back in the series' units.

    The inverse of :func:`scale` for the same ``(mean, std)``; errors as in :func:`scale`.
    """
    a, mean, std = _scale_args(z, mean, std, "z")
    return a * std + mean
