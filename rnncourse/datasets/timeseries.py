r"""Real time series for forecasting: sunspots, Mauna Loa CO2, Seattle weather, monthly stock prices.

Every loader returns a :class:`TimeSeries`: one float64 series without gaps, its time stamps, the
seasonal period a seasonal-naive forecast uses, and train / validation / test ranges that follow
each other in time (the test years are always the latest ones). Nothing is downloaded:
``pip install 'rnncourse[apps]'`` installs statsmodels and vega_datasets, which bundle the data.

Series
------
``load_sunspots()``: yearly sunspot numbers, 1700-1979 (N = 280)
    Source: statsmodels ``sm.datasets.sunspots`` ("Yearly (1700-2008) data on sunspots from the
    National Geophysical Data Center", NOAA NGDC); its ``COPYRIGHT`` reads "This data is public
    domain."; statsmodels itself is BSD-3-Clause. These are the classic (version 1,
    Wolf / Zurich) yearly means: 1700 is 5.0, 1749 80.9, 1800 14.5, 1900 9.5, 1979 155.4 (SILSO's
    recalibrated version 2 of 2015 gives other numbers, e.g. 8.3 for 1700). The years 1980-2008
    of the file are dropped so that the series ends with the classic second test period.
    Splits (Box & Jenkins; Tong 1990; the benchmark of many neural forecasting papers, which fit
    1700-1920 and test on 1921-1955 and 1956-1979): ``train`` 1700-1900 (201 years), ``valid``
    1901-1920 (20), ``train_full`` = train + valid 1700-1920 (221; refit on it once the
    validation set has chosen the model), ``test1`` 1921-1955 (35), ``test2`` 1956-1979 (24).
    ``index`` holds the years as int64. ``period`` is None: the cycle of about 11 years varies
    from 9 to 14, so there is no fixed seasonal lag.

``load_co2()``: monthly mean CO2 at Mauna Loa, 1958-03 to 2001-12 (N = 526)
    Source: statsmodels ``sm.datasets.co2``: weekly averages of continuous measurements at
    Mauna Loa Observatory, Hawaii (Keeling & Whorf 2004, Scripps Institution of Oceanography, via
    CDIAC); its ``COPYRIGHT`` reads "This is public domain."; statsmodels is BSD-3-Clause. Unit:
    ppmv (parts per million by volume, mole fraction in dry air).
    The file has 2,284 weeks (each labelled by its Saturday, 1958-03-29 to 2001-12-29), of which
    59 are missing (NaN). The weeks are averaged per calendar month (pandas
    ``resample("MS").mean()``, a week belonging to the month of its Saturday, missing weeks
    skipped); months hold 1 to 5 observed weeks. Five months have no observed week at all:
    1958-06, 1958-10, 1964-02, 1964-03 and 1964-04; they are filled by linear interpolation in
    time between the neighbouring months, and ``notes`` names them. ``period`` = 12.
    Splits: ``train`` 1958-03 to 1990-12 (394 months), ``valid`` 1991-01 to 1995-12 (60),
    ``test`` 1996-01 to 2001-12 (72). All interpolated months lie in ``train``.

``load_seattle_weather(variable="temp_max")``: daily weather in Seattle, 2012-2015 (N = 1461)
    Source: vega_datasets ``data.seattle_weather()`` (file ``seattle-weather.csv``, bundled in the
    package, so ``data.seattle_weather.is_local`` is True): NOAA daily observations, public domain
    ("drawn from public-domain NOAA data"); the vega-datasets collection is BSD-3-Clause, the
    ``vega_datasets`` Python package MIT. Variables and units: ``temp_max`` and ``temp_min``
    (daily maximum and minimum temperature, degrees C), ``precipitation`` (daily total, mm; the
    wettest day has 55.9, possible in mm but not in cm as one tutorial says), ``wind`` (average
    wind speed, m/s). The chosen variable is ``values``; the other three are ``covariates``. The
    file's ``weather`` column (sun, fog, rain, drizzle, snow) is left out: vega-datasets says they
    synthesised it from several NOAA fields. Every day from 2012-01-01 to 2015-12-31 is present
    (1,461 days, checked), with no missing value.
    ``period`` = 365: "the same day last year". No split holds a 29 February (2012 is the only leap
    year and lies in train), so 365 steps back from any day of 2014 or 2015 is the same calendar
    date; only in January and February 2013 does it land one calendar day late.
    Splits: ``train`` 2012-2013 (731 days), ``valid`` 2014 (365), ``test`` 2015 (365).
    Not ``data.seattle_temps()``: that file is a 30-year hourly *climatology* (NOAA hourly normals
    of Seattle-Tacoma airport, in degrees F, stamped with the year 2010), an average year rather
    than weather that happened, so there is nothing to forecast in it.

``load_stocks(symbol="IBM")``: monthly stock prices, 2000-01 to 2010-03 (N = 123; GOOG 68)
    Source: vega_datasets ``data.stocks()`` (file ``stocks.csv``, bundled); vega-datasets
    (BSD-3-Clause) states no further source. One closing price per month for MSFT, AMZN, IBM,
    GOOG and AAPL, stamped with the first of the month (the package's description says "daily
    closing stock prices", but the file holds one price per month). Unit: USD. The prices are
    adjusted for stock splits (AAPL's 2:1 splits of June 2000 and February 2005 make no jump).
    GOOG starts at 2004-08 (its listing), so it has 68 months. ``period`` is None (no
    seasonality; the naive "last value" forecast is the baseline to beat).
    Splits: ``train`` to 2006-12 (84 months; GOOG 29), ``valid`` 2007 (12), ``test`` 2008-01 to
    2010-03 (27, the financial crisis and the rebound: a hard, honest test).

``load_series(name)`` loads any of :data:`SERIES_NAMES` ("sunspots", "co2", "weather",
"stocks:IBM", ...); "weather:VARIABLE" picks another weather variable.

Loading
-------
statsmodels and vega_datasets are imported on the first call only (statsmodels' datasets in
about 0.5 s); the parsed arrays are kept in memory, so later calls take microseconds and return
fresh copies (changing one series' arrays never changes another's). Loading writes nothing to
stdout or stderr: warnings of statsmodels and pandas are silenced at their source.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["TimeSeries", "load_sunspots", "load_co2", "load_seattle_weather", "load_stocks",
           "load_series", "SERIES_NAMES", "STOCK_SYMBOLS", "WEATHER_VARIABLES", "WEATHER_UNITS"]

_INSTALL_HINT = "pip install 'rnncourse[apps]'"

#: The symbols of ``vega_datasets.data.stocks()``, in the file's order.
STOCK_SYMBOLS = ("MSFT", "AMZN", "IBM", "GOOG", "AAPL")
#: The numeric columns of ``vega_datasets.data.seattle_weather()`` and their units.
WEATHER_UNITS = {"temp_max": "degrees C", "temp_min": "degrees C", "precipitation": "mm",
                 "wind": "m/s"}
WEATHER_VARIABLES = tuple(WEATHER_UNITS)
#: The names :func:`load_series` accepts (plus "weather:VARIABLE" for the other weather variables).
SERIES_NAMES = ("sunspots", "co2", "weather") + tuple(f"stocks:{s}" for s in STOCK_SYMBOLS)

SUNSPOTS_SOURCE = ("yearly sunspot numbers 1700-2008 of the National Geophysical Data Center (NOAA NGDC), "
                   "as bundled in statsmodels (sm.datasets.sunspots)")
CO2_SOURCE = ("weekly CO2 at Mauna Loa Observatory, Hawaii, 1958-2001 (Keeling & Whorf 2004, Scripps "
              "Institution of Oceanography, via CDIAC), as bundled in statsmodels (sm.datasets.co2)")
WEATHER_SOURCE = ("daily weather of Seattle 2012-2015 from NOAA, as bundled in vega_datasets "
                  "(data.seattle_weather, file seattle-weather.csv of vega-datasets)")
STOCKS_SOURCE = ("monthly closing prices of MSFT, AMZN, IBM, GOOG, AAPL 2000-2010, as bundled in "
                 "vega_datasets (data.stocks, file stocks.csv of vega-datasets; no further source stated)")
STATSMODELS_LICENCE = "data: public domain (statsmodels' COPYRIGHT note); statsmodels: BSD-3-Clause"
WEATHER_LICENCE = ("data: public domain (NOAA); vega-datasets: BSD-3-Clause; vega_datasets (Python): MIT")
STOCKS_LICENCE = "vega-datasets: BSD-3-Clause; vega_datasets (Python): MIT"

# Inclusive first and last time stamps of each split (years, or "YYYY-MM[-DD]" dates).
_SUNSPOT_SPLITS = {"train": (1700, 1900), "valid": (1901, 1920), "train_full": (1700, 1920),
                   "test1": (1921, 1955), "test2": (1956, 1979)}
_CO2_SPLITS = {"train": ("1958-03", "1990-12"), "valid": ("1991-01", "1995-12"),
               "test": ("1996-01", "2001-12")}
_WEATHER_SPLITS = {"train": ("2012-01-01", "2013-12-31"), "valid": ("2014-01-01", "2014-12-31"),
                   "test": ("2015-01-01", "2015-12-31")}
_STOCK_SPLITS = {"train": ("2000-01", "2006-12"), "valid": ("2007-01", "2007-12"),
                 "test": ("2008-01", "2010-03")}

# Parsed arrays, filled by the loaders on first use: {"sunspots": (years, values), ...}.
_CACHE: dict = {}


@dataclass(frozen=True, eq=False)
class TimeSeries:
    """One series to forecast, its time stamps, its seasonal period and its splits in time order.

    Attributes
    ----------
    name : str
        E.g. "sunspots", "co2", "weather:temp_max", "stocks:IBM".
    values : ndarray of float64, shape (N,)
        The series, oldest first, without NaN.
    index : ndarray, shape (N,)
        The time stamps, strictly increasing by one step: int64 years (yearly data) or
        ``datetime64[D]`` dates (first of the month for monthly data).
    frequency : str
        "yearly", "monthly" or "daily".
    period : int or None
        The seasonal lag in steps of a seasonal-naive forecast (12 for monthly CO2, 365 for daily
        weather), None where there is no fixed season.
    unit : str
        The unit of ``values``.
    splits : dict of str to (int, int)
        Half-open index ranges ``[a, b)``, e.g. ``{"train": (0, 394), ...}``, in time order.
        The sunspots' ``train_full`` is the union of ``train`` and ``valid``; all other splits
        are disjoint.
    covariates : dict of str to ndarray of float64 (N,)
        Other series observed at the same time stamps (the other weather variables); may be empty.
    source, licence : str
        Where the data comes from; its licence and the bundling package's.
    notes : str
        What was chosen, resampled or filled to make the series.

    Instances compare by identity (``eq=False``): ``==`` on arrays would be ambiguous.
    """

    name: str
    values: np.ndarray
    index: np.ndarray
    frequency: str
    period: int | None
    unit: str
    splits: dict
    covariates: dict = field(default_factory=dict)
    source: str = ""
    licence: str = ""
    notes: str = ""

    def __post_init__(self):
        n = len(self.values)
        if self.values.shape != (n,) or self.index.shape != (n,):
            raise ValueError(f"values and index must both have shape ({n},), got {self.values.shape} "
                             f"and {self.index.shape}")
        for key, (a, b) in self.splits.items():
            if not 0 <= a < b <= n:
                raise ValueError(f"split {key!r} = ({a}, {b}) is not a non-empty range within [0, {n}]")
        for key, cov in self.covariates.items():
            if cov.shape != (n,):
                raise ValueError(f"covariate {key!r} must have shape ({n},), got {cov.shape}")

    def __len__(self) -> int:
        return len(self.values)

    def part(self, name: str) -> np.ndarray:
        """``values[a:b]`` for the split ``name`` (e.g. "train"): float64 array (b - a,), a view."""
        if name not in self.splits:
            raise ValueError(f"unknown split {name!r} of series {self.name!r}; the splits are "
                             f"{list(self.splits)}")
        a, b = self.splits[name]
        return self.values[a:b]


# -- helpers --------------------------------------------------------------------------------------

def _import(module: str, what: str):
    """Import ``module`` with its warnings silenced; a missing one says how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{what} needs the package {module.split('.')[0]!r}, which is not installed: "
                          f"{_INSTALL_HINT}") from err


def _splits(index: np.ndarray, bounds: dict) -> dict:
    """Half-open index ranges of inclusive (first, last) time stamps: {name: (a, b)}."""
    if np.issubdtype(index.dtype, np.datetime64):
        unit = np.datetime_data(index.dtype)[0]
        to_stamp = lambda s, last: (np.datetime64(s) + (1 if last else 0)).astype(f"datetime64[{unit}]")
    else:
        to_stamp = lambda s, last: s + (1 if last else 0)
    out = {}
    for name, (first, last) in bounds.items():
        a = int(np.searchsorted(index, to_stamp(first, False), side="left"))
        b = int(np.searchsorted(index, to_stamp(last, True), side="left"))
        out[name] = (a, b)
    return out


def _consecutive(index: np.ndarray, step: str) -> bool:
    """Whether ``index`` (datetime64) advances by exactly one ``step`` ("M" or "D") each time."""
    return bool(np.all(np.diff(index.astype(f"datetime64[{step}]").astype(np.int64)) == 1))


def _series(cached: tuple, **kwargs) -> TimeSeries:
    """A TimeSeries of fresh copies of the cached arrays (so callers may change theirs freely)."""
    index, values, covariates = cached
    return TimeSeries(values=values.copy(), index=index.copy(),
                      covariates={k: v.copy() for k, v in covariates.items()}, **kwargs)


# -- loaders --------------------------------------------------------------------------------------

def load_sunspots() -> TimeSeries:
    """Yearly sunspot numbers 1700-1979 (280 years) with the classic splits (module docstring).

    Returns
    -------
    TimeSeries
        ``frequency`` "yearly", ``index`` int64 years, ``period`` None, splits ``train`` (1700-1900),
        ``valid`` (1901-1920), ``train_full`` (1700-1920), ``test1`` (1921-1955), ``test2`` (1956-1979).
    """
    if "sunspots" not in _CACHE:
        sunspots = _import("statsmodels.datasets.sunspots", "load_sunspots")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = sunspots.load_pandas().data
            years = df["YEAR"].to_numpy(dtype=np.float64)
            values = df["SUNACTIVITY"].to_numpy(dtype=np.float64)
        keep = years <= 1979
        years, values = years[keep].astype(np.int64), values[keep]
        if years[0] != 1700 or not np.all(np.diff(years) == 1) or np.isnan(values).any():
            raise RuntimeError("statsmodels' sunspots data are not the expected complete years 1700-1979")
        _CACHE["sunspots"] = (years, values, {})
    cached = _CACHE["sunspots"]
    return _series(cached, name="sunspots", frequency="yearly", period=None,
                   unit="sunspot number (yearly mean)",
                   splits=_splits(cached[0], _SUNSPOT_SPLITS), source=SUNSPOTS_SOURCE,
                   licence=STATSMODELS_LICENCE,
                   notes=("the years 1700-1979 of statsmodels' 1700-2008 file (classic version-1 numbers); "
                          "1980-2008 dropped so the series ends with the classic test period 1956-1979"))


def load_co2() -> TimeSeries:
    """Monthly mean CO2 at Mauna Loa 1958-03 to 2001-12 (526 months) from weekly data.

    Months without any observed week (five) are filled by linear interpolation and named in
    ``notes``; see the module docstring.

    Returns
    -------
    TimeSeries
        ``frequency`` "monthly", ``index`` datetime64[D] (first of each month), ``period`` 12,
        ``unit`` "ppmv", splits ``train`` (to 1990-12), ``valid`` (1991-1995), ``test`` (1996-2001).
    """
    if "co2" not in _CACHE:
        co2 = _import("statsmodels.datasets.co2", "load_co2")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weekly = co2.load_pandas().data["co2"]
            monthly = weekly.resample("MS").mean()
            n_weeks, n_missing = len(weekly), int(weekly.isna().sum())
            index = monthly.index.to_numpy().astype("datetime64[D]")
            values = monthly.to_numpy(dtype=np.float64)
        if not _consecutive(index, "M"):
            raise RuntimeError("the monthly CO2 index is not consecutive months")
        empty = np.isnan(values)
        if empty[0] or empty[-1]:
            raise RuntimeError("the first or last month of statsmodels' CO2 data has no observation")
        if empty.any():
            t = index.astype(np.int64)
            values = values.copy()
            values[empty] = np.interp(t[empty], t[~empty], values[~empty])
        filled = [str(d)[:7] for d in index[empty].astype("datetime64[M]")]
        _CACHE["co2"] = (index, values, {})
        _CACHE["co2_notes"] = (
            f"monthly means of {n_weeks} weekly values ({n_missing} weeks missing, skipped; a week counts "
            f"in the month of its Saturday); {len(filled)} months had no observed week and were filled "
            f"by linear interpolation in time: {', '.join(filled) or 'none'}")
    cached = _CACHE["co2"]
    return _series(cached, name="co2", frequency="monthly", period=12, unit="ppmv",
                   splits=_splits(cached[0], _CO2_SPLITS), source=CO2_SOURCE,
                   licence=STATSMODELS_LICENCE, notes=_CACHE["co2_notes"])


def _check_choice(kind: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {list(choices)}")
    return value


def load_seattle_weather(variable: str = "temp_max") -> TimeSeries:
    """Daily weather in Seattle 2012-2015 (1,461 days): one variable, the others as covariates.

    Parameters
    ----------
    variable : {"temp_max", "temp_min", "precipitation", "wind"}
        The series to forecast (units in :data:`WEATHER_UNITS`).

    Returns
    -------
    TimeSeries
        ``frequency`` "daily", ``index`` datetime64[D], ``period`` 365 ("same day last year"),
        ``covariates`` the other three variables, splits ``train`` (2012-2013), ``valid`` (2014),
        ``test`` (2015). Not vega's ``seattle_temps`` (a climatology; see the module docstring).
    """
    variable = _check_choice("weather variable", variable, WEATHER_VARIABLES)
    if "weather" not in _CACHE:
        vega = _import("vega_datasets", "load_seattle_weather")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = vega.data.seattle_weather()
            index = df["date"].to_numpy().astype("datetime64[D]")
            columns = {c: df[c].to_numpy(dtype=np.float64) for c in WEATHER_VARIABLES}
        if not _consecutive(index, "D") or len(index) != 1461:
            raise RuntimeError(f"vega_datasets' seattle_weather should hold every day of 2012-2015 "
                               f"(1461), got {len(index)} days, consecutive: {_consecutive(index, 'D')}")
        if any(np.isnan(v).any() for v in columns.values()):
            raise RuntimeError("vega_datasets' seattle_weather has missing values")
        _CACHE["weather"] = (index, columns)
    index, columns = _CACHE["weather"]
    others = {c: columns[c] for c in WEATHER_VARIABLES if c != variable}
    return _series((index, columns[variable], others), name=f"weather:{variable}", frequency="daily",
                   period=365, unit=WEATHER_UNITS[variable], splits=_splits(index, _WEATHER_SPLITS),
                   source=WEATHER_SOURCE, licence=WEATHER_LICENCE,
                   notes=(f"{variable} as values; covariates {list(others)}; the synthesised 'weather' "
                          f"category column left out; period 365 = same calendar day last year for "
                          f"every day of valid and test (the only 29 February, 2012, is in train)"))


def load_stocks(symbol: str = "IBM") -> TimeSeries:
    """Monthly closing price of one stock 2000-01 to 2010-03 (GOOG from 2004-08), in USD.

    Parameters
    ----------
    symbol : {"MSFT", "AMZN", "IBM", "GOOG", "AAPL"}

    Returns
    -------
    TimeSeries
        ``frequency`` "monthly", ``index`` datetime64[D] (first of each month), ``period`` None,
        ``unit`` "USD", splits ``train`` (to 2006-12), ``valid`` (2007), ``test`` (2008-01 to
        2010-03).
    """
    symbol = _check_choice("stock symbol", symbol, STOCK_SYMBOLS)
    if "stocks" not in _CACHE:
        vega = _import("vega_datasets", "load_stocks")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = vega.data.stocks()
            symbols = df["symbol"].to_numpy().astype(str)
            dates = df["date"].to_numpy().astype("datetime64[D]")
            prices = df["price"].to_numpy(dtype=np.float64)
        table = {}
        for s in STOCK_SYMBOLS:
            rows = symbols == s
            order = np.argsort(dates[rows], kind="stable")
            index, values = dates[rows][order], prices[rows][order]
            complete = _consecutive(index, "M") and not np.isnan(values).any()
            if not complete or index[-1] != np.datetime64("2010-03-01"):
                raise RuntimeError(f"vega_datasets' stocks: {s} is not a complete monthly series to 2010-03")
            table[s] = (index, values, {})
        _CACHE["stocks"] = table
    cached = _CACHE["stocks"][symbol]
    start = str(cached[0][0])[:7]
    return _series(cached, name=f"stocks:{symbol}", frequency="monthly", period=None, unit="USD",
                   splits=_splits(cached[0], _STOCK_SPLITS), source=STOCKS_SOURCE, licence=STOCKS_LICENCE,
                   notes=(f"{symbol} from {start} to 2010-03 ({len(cached[0])} months), one split-adjusted "
                          f"closing price per month stamped with the first of the month"
                          + ("; GOOG starts at its listing, so it has fewer months"
                             if symbol == "GOOG" else "")))


def load_series(name: str) -> TimeSeries:
    """Load a series by name: "sunspots", "co2", "weather" (temp_max), "weather:VARIABLE",
    or "stocks:SYMBOL" (e.g. "stocks:IBM"); see :data:`SERIES_NAMES`."""
    if not isinstance(name, str):
        raise ValueError(f"name must be a str, one of {list(SERIES_NAMES)}, got {name!r}")
    if name == "sunspots":
        return load_sunspots()
    if name == "co2":
        return load_co2()
    if name == "weather":
        return load_seattle_weather()
    kind, _, arg = name.partition(":")
    if kind == "weather" and arg in WEATHER_VARIABLES:
        return load_seattle_weather(arg)
    if kind == "stocks" and arg in STOCK_SYMBOLS:
        return load_stocks(arg)
    raise ValueError(f"unknown series {name!r}; choose one of {list(SERIES_NAMES)} "
                     f"(or 'weather:VARIABLE' with VARIABLE in {list(WEATHER_VARIABLES)})")
