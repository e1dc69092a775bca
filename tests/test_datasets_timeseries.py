"""Tests of rnncourse.datasets.timeseries: the forecasting series, their time stamps and splits."""

import sys
import warnings

import numpy as np
import pytest

from rnncourse.datasets import timeseries as ts

def _statsmodels():
    return pytest.importorskip("statsmodels.datasets")


def _vega():
    return pytest.importorskip("vega_datasets")


def _check_common(series, frequency, step):
    """Shape, dtype, no NaN, strictly increasing stamps by one step, splits in range."""
    n = len(series)
    assert series.frequency == frequency
    assert series.values.shape == (n,) and series.values.dtype == np.float64
    assert series.index.shape == (n,)
    assert not np.isnan(series.values).any()
    if step == "year":
        assert series.index.dtype == np.int64
        assert np.all(np.diff(series.index) == 1)
    else:
        assert series.index.dtype == np.dtype("datetime64[D]")
        assert np.all(np.diff(series.index.astype(f"datetime64[{step}]").astype(np.int64)) == 1)
        if step == "M":
            assert np.all(series.index == series.index.astype("datetime64[M]").astype("datetime64[D]"))
    for name, cov in series.covariates.items():
        assert cov.shape == (n,) and cov.dtype == np.float64 and not np.isnan(cov).any(), name
    assert series.source and series.licence and series.notes


def _check_disjoint_in_order(series, names):
    """The named splits follow each other without gap or overlap and cover the whole series."""
    ranges = [series.splits[k] for k in names]
    assert ranges[0][0] == 0 and ranges[-1][1] == len(series)
    for (a0, b0), (a1, b1) in zip(ranges, ranges[1:]):
        assert a0 < b0 == a1 < b1


def _bounds(series):
    """{split: (first stamp, last stamp)} as strings (years, "YYYY-MM" or "YYYY-MM-DD")."""
    width = {"yearly": None, "monthly": 7, "daily": 10}[series.frequency]
    return {k: tuple(str(series.index[i])[:width] for i in (a, b - 1)) for k, (a, b) in series.splits.items()}


# -- TimeSeries -----------------------------------------------------------------------------------

def _toy():
    return ts.TimeSeries(name="toy", values=np.arange(6.0), index=np.arange(2000, 2006), frequency="yearly",
                         period=None, unit="1", splits={"train": (0, 4), "test": (4, 6)})


def test_timeseries_part_and_len():
    s = _toy()
    assert len(s) == 6
    np.testing.assert_array_equal(s.part("train"), [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(s.part("test"), [4.0, 5.0])


def test_timeseries_part_unknown_split_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"'train', 'test'"):
        _toy().part("valid")


def test_timeseries_rejects_bad_splits_and_shapes():
    with pytest.raises(ValueError, match="split 'test'"):
        ts.TimeSeries(name="x", values=np.zeros(3), index=np.arange(3), frequency="yearly", period=None,
                      unit="1", splits={"test": (2, 5)})
    with pytest.raises(ValueError, match="shape"):
        ts.TimeSeries(name="x", values=np.zeros(3), index=np.arange(4), frequency="yearly", period=None,
                      unit="1", splits={})


def test_timeseries_is_frozen():
    with pytest.raises(AttributeError):
        _toy().period = 3


# -- sunspots -------------------------------------------------------------------------------------

def test_sunspots_shape_and_stamps():
    _statsmodels()
    s = ts.load_sunspots()
    _check_common(s, "yearly", "year")
    assert len(s) == 280 and s.index[0] == 1700 and s.index[-1] == 1979
    assert s.period is None and s.covariates == {}


def test_sunspots_split_boundaries():
    _statsmodels()
    s = ts.load_sunspots()
    assert _bounds(s) == {"train": ("1700", "1900"), "valid": ("1901", "1920"),
                          "train_full": ("1700", "1920"), "test1": ("1921", "1955"),
                          "test2": ("1956", "1979")}
    _check_disjoint_in_order(s, ["train", "valid", "test1", "test2"])
    _check_disjoint_in_order(s, ["train_full", "test1", "test2"])
    assert {k: len(s.part(k)) for k in s.splits} == {"train": 201, "valid": 20, "train_full": 221,
                                                      "test1": 35, "test2": 24}


def test_sunspots_golden_values():
    _statsmodels()
    s = ts.load_sunspots()
    golden = {1700: 5.0, 1749: 80.9, 1800: 14.5, 1900: 9.5, 1920: 37.6, 1921: 26.1, 1956: 141.7, 1979: 155.4}
    for year, value in golden.items():
        assert s.values[s.index == year][0] == value, year


# -- CO2 ------------------------------------------------------------------------------------------

def test_co2_shape_and_stamps():
    _statsmodels()
    s = ts.load_co2()
    _check_common(s, "monthly", "M")
    assert len(s) == 526
    assert str(s.index[0]) == "1958-03-01" and str(s.index[-1]) == "2001-12-01"
    assert s.period == 12 and s.unit == "ppmv"
    assert 310 < s.values.min() < s.values.max() < 380


def test_co2_split_boundaries():
    _statsmodels()
    s = ts.load_co2()
    assert _bounds(s) == {"train": ("1958-03", "1990-12"), "valid": ("1991-01", "1995-12"),
                          "test": ("1996-01", "2001-12")}
    _check_disjoint_in_order(s, ["train", "valid", "test"])
    assert {k: len(s.part(k)) for k in s.splits} == {"train": 394, "valid": 60, "test": 72}


def test_co2_monthly_mean_equals_mean_of_the_weeks():
    co2 = _statsmodels().co2
    weekly = co2.load_pandas().data["co2"]
    dates = weekly.index.to_numpy().astype("datetime64[D]")
    raw = weekly.to_numpy(dtype=np.float64)
    s = ts.load_co2()
    for month in ("1990-12", "1984-04", "1958-05"):    # 1984-04: three of its four weeks missing
        weeks = (dates.astype("datetime64[M]") == np.datetime64(month)) & ~np.isnan(raw)
        assert weeks.sum() >= 1
        expected = raw[weeks].sum() / weeks.sum()
        assert s.values[s.index == np.datetime64(f"{month}-01")][0] == pytest.approx(expected, rel=1e-12)


def test_co2_missing_weeks_and_interpolated_months():
    co2 = _statsmodels().co2
    raw = co2.load_pandas().data["co2"].to_numpy(dtype=np.float64)
    assert raw.size == 2284 and np.isnan(raw).sum() == 59
    s = ts.load_co2()
    filled = ["1958-06", "1958-10", "1964-02", "1964-03", "1964-04"]
    assert "59 weeks missing" in s.notes and ", ".join(filled) in s.notes
    # each filled month lies on the straight line (in days) between its observed neighbours
    t = s.index.astype(np.int64)
    pos = {m: int(np.flatnonzero(s.index == np.datetime64(f"{m}-01"))[0]) for m in filled}
    for m, (lo, hi) in {"1958-06": (-1, 1), "1958-10": (-1, 1), "1964-02": (-1, 3), "1964-03": (-2, 2),
                        "1964-04": (-3, 1)}.items():
        i = pos[m]
        w = (t[i] - t[i + lo]) / (t[i + hi] - t[i + lo])
        assert s.values[i] == pytest.approx((1 - w) * s.values[i + lo] + w * s.values[i + hi], rel=1e-12)
    assert all(s.splits["train"][0] <= i < s.splits["train"][1] for i in pos.values())


# -- Seattle weather ------------------------------------------------------------------------------

def test_weather_shape_and_stamps():
    _vega()
    s = ts.load_seattle_weather()
    _check_common(s, "daily", "D")
    assert len(s) == 1461 and s.name == "weather:temp_max"
    assert str(s.index[0]) == "2012-01-01" and str(s.index[-1]) == "2015-12-31"
    assert s.period == 365 and s.unit == "degrees C"


def test_weather_split_boundaries():
    _vega()
    s = ts.load_seattle_weather()
    assert _bounds(s) == {"train": ("2012-01-01", "2013-12-31"), "valid": ("2014-01-01", "2014-12-31"),
                          "test": ("2015-01-01", "2015-12-31")}
    _check_disjoint_in_order(s, ["train", "valid", "test"])
    assert {k: len(s.part(k)) for k in s.splits} == {"train": 731, "valid": 365, "test": 365}


def test_weather_period_is_same_calendar_day_in_valid_and_test():
    _vega()
    s = ts.load_seattle_weather()
    a = s.splits["valid"][0]
    day = lambda d: str(d)[5:]
    assert all(day(s.index[i]) == day(s.index[i - s.period]) for i in range(a, len(s)))


@pytest.mark.parametrize("variable", ts.WEATHER_VARIABLES)
def test_weather_covariates_exclude_the_target(variable):
    vega = _vega()
    s = ts.load_seattle_weather(variable)
    assert set(s.covariates) == set(ts.WEATHER_VARIABLES) - {variable}
    assert s.unit == ts.WEATHER_UNITS[variable]
    df = vega.data.seattle_weather()
    np.testing.assert_array_equal(s.values, df[variable].to_numpy(dtype=np.float64))
    for name, cov in s.covariates.items():
        np.testing.assert_array_equal(cov, df[name].to_numpy(dtype=np.float64))


def test_weather_unknown_variable_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'temp_max', 'temp_min', 'precipitation', 'wind'"):
        ts.load_seattle_weather("temp")


# -- stocks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("symbol", ts.STOCK_SYMBOLS)
def test_stocks_each_symbol(symbol):
    vega = _vega()
    s = ts.load_stocks(symbol)
    _check_common(s, "monthly", "M")
    assert s.name == f"stocks:{symbol}" and s.unit == "USD" and s.period is None
    assert str(s.index[-1]) == "2010-03-01"
    n_train = 29 if symbol == "GOOG" else 84
    assert len(s) == n_train + 12 + 27
    assert str(s.index[0]) == ("2004-08-01" if symbol == "GOOG" else "2000-01-01")
    bounds = _bounds(s)
    assert bounds["valid"] == ("2007-01", "2007-12") and bounds["test"] == ("2008-01", "2010-03")
    assert bounds["train"][1] == "2006-12"
    _check_disjoint_in_order(s, ["train", "valid", "test"])
    df = vega.data.stocks()
    rows = df[df["symbol"] == symbol].sort_values("date")
    np.testing.assert_array_equal(s.values, rows["price"].to_numpy(dtype=np.float64))
    assert (s.values > 0).all()


def test_stocks_unknown_symbol_lists_the_five():
    with pytest.raises(ValueError, match=r"'MSFT', 'AMZN', 'IBM', 'GOOG', 'AAPL'"):
        ts.load_stocks("TSLA")


# -- load_series, caching, quiet, missing packages -------------------------------------------------

def test_load_series_dispatches_every_name():
    _statsmodels()
    _vega()
    for name in ts.SERIES_NAMES:
        s = ts.load_series(name)
        assert s.name == ("weather:temp_max" if name == "weather" else name)
    assert ts.load_series("weather:wind").unit == "m/s"


@pytest.mark.parametrize("name", ["sunspot", "stocks:TSLA", "stocks", "weather:rain", "", 3])
def test_load_series_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(ValueError, match=r"'sunspots', 'co2', 'weather', 'stocks:MSFT'"):
        ts.load_series(name)


def test_loaders_return_independent_copies():
    _statsmodels()
    a = ts.load_co2()
    a.values[:] = 0.0
    b = ts.load_co2()
    assert b.values.min() > 300 and a.values is not b.values


def test_loaders_write_nothing(capsys, monkeypatch):
    _statsmodels()
    _vega()
    monkeypatch.setattr(ts, "_CACHE", {})              # parse again, from the packages
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ts.SERIES_NAMES:
            ts.load_series(name)
    assert caught == []
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("module, loader", [("statsmodels.datasets.sunspots", ts.load_sunspots),
                                            ("statsmodels.datasets.co2", ts.load_co2),
                                            ("vega_datasets", ts.load_seattle_weather),
                                            ("vega_datasets", ts.load_stocks)])
def test_loaders_missing_package_says_how_to_install(monkeypatch, module, loader):
    monkeypatch.setattr(ts, "_CACHE", {})
    monkeypatch.setitem(sys.modules, module, None)     # makes `import module` raise ImportError
    with pytest.raises(ImportError, match=r"pip install 'rnncourse\[apps\]'"):
        loader()
