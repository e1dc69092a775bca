"""The dates data: the CLDR rules, the gold spans, the splits and the encodings, checked on every example."""

from __future__ import annotations

import datetime
import sys
import unicodedata

import numpy as np
import pytest

pytest.importorskip("babel")

import babel.dates as bd  # noqa: E402
from babel import Locale  # noqa: E402

from rnncourse.data import CharVocab  # noqa: E402
from rnncourse.datasets import dates  # noqa: E402
from rnncourse.datasets.dates import (BOS, EOS, FORMATS, HELD_OUT_LOCALES, HELD_OUT_YEARS, PAD,  # noqa: E402
                                      SPLITS, SUPPORTED_YEARS, TARGET_CHARS, TRAIN_LOCALES, TRAIN_YEARS,
                                      DateData, DateSplit, date_formats, excluded_formats, format_with_spans,
                                      load_dates)

SMALL = dict(seed=3, n_train=2000, n_test=200)
MONTH_WIDTHS = {3: "abbreviated", 4: "wide", 5: "narrow"}
DAY_WIDTHS = {1: "abbreviated", 2: "abbreviated", 3: "abbreviated", 4: "wide", 5: "narrow", 6: "short"}


@pytest.fixture(scope="module")
def data() -> DateData:
    return load_dates(**SMALL)


def _fields(locale: str, fmt: str) -> dict[str, tuple[str, int]]:
    """Field kind -> (pattern letter, count), read from babel's pattern independently of the module."""
    pattern = bd.get_date_format(fmt, locale=Locale.parse(locale)).pattern
    kinds = {"d": "day", "M": "month", "L": "month", "y": "year", "E": "weekday", "c": "weekday"}
    return {kinds[c]: (c, n) for kind, (c, n) in
            ((k, v) for k, v in bd.tokenize_pattern(pattern) if k == "field")}


def _usable_pairs():
    return [(loc, fmt) for loc in TRAIN_LOCALES + HELD_OUT_LOCALES for fmt in date_formats(loc)]


# -- the rules -------------------------------------------------------------------------------------

def test_date_formats_have_full_calendar_years_only():
    pairs = _usable_pairs()
    assert len(pairs) > 80
    for loc, fmt in pairs:
        pattern = date_formats(loc)[fmt]
        fields = [v for k, v in bd.tokenize_pattern(pattern) if k == "field"]
        assert not any(c == "Y" for c, _ in fields), (loc, fmt, pattern)
        assert [n for c, n in fields if c == "y"] in ([1], [4]), (loc, fmt, pattern)


def test_excluded_formats_name_two_digit_years():
    excluded = excluded_formats()
    assert "yy" in excluded[("en_US", "short")]
    assert ("en_US", "short") not in {(loc, f) for loc, f in _usable_pairs()}
    assert set(excluded).isdisjoint(_usable_pairs())
    for loc, fmt in excluded:
        assert "yy" in excluded[(loc, fmt)] or "Y" in excluded[(loc, fmt)] or "field" in excluded[(loc, fmt)]
    # every training locale keeps at least its long and full formats
    for loc in TRAIN_LOCALES + HELD_OUT_LOCALES:
        assert {"long", "full"} <= set(date_formats(loc)), loc


def test_date_formats_locales_use_latin_digits():
    for loc in TRAIN_LOCALES + HELD_OUT_LOCALES:
        assert Locale.parse(loc).default_numbering_system == "latn", loc


def test_format_with_spans_equals_babel_format_date():
    days = [datetime.date(1900, 1, 1), datetime.date(1951, 2, 28), datetime.date(1996, 7, 14),
            datetime.date(2024, 2, 29), datetime.date(2049, 12, 31), datetime.date(2099, 10, 5)]
    for loc, fmt in _usable_pairs():
        for day in days:
            text, spans = format_with_spans(day, loc, fmt)
            assert text == bd.format_date(day, format=fmt, locale=loc), (loc, fmt, day)
            assert text[slice(*spans["year"])] == str(day.year)


def test_format_with_spans_keeps_invisible_characters():
    text, spans = format_with_spans(datetime.date(2023, 3, 9), "ru_RU", "long")
    assert text == "9 марта 2023\u202fг."
    assert spans == {"day": (0, 1), "month": (2, 7), "year": (8, 12)}


def test_format_with_spans_no_input_reads_as_two_dates():
    """No string is written for two different dates by any pair (d/M against M/d, ...)."""
    owner = {}
    days = [datetime.date(2001, m, d) for m in range(1, 13) for d in range(1, 13)]
    days += [datetime.date(y, 1, 2) for y in (1950, 2012, 2049)]
    for loc, fmt in _usable_pairs():
        for day in days:
            text, _ = format_with_spans(day, loc, fmt)
            assert owner.setdefault(text, day) == day, (text, loc, fmt)


# -- the spans -------------------------------------------------------------------------------------

def _check_spans(source, date, locale, fmt, spans):
    fields = _fields(locale, fmt)
    assert set(spans) == set(fields), (source, spans)
    bounds = sorted(spans.values())
    assert all(a[1] <= b[0] for a, b in zip(bounds, bounds[1:])), (source, spans)  # no overlap
    day = source[slice(*spans["day"])]
    assert day.isdigit() and day.isascii() and int(day) == date.day, (source, day)
    year = source[slice(*spans["year"])]
    assert len(year) == 4 and year.isascii() and int(year) == date.year, (source, year)
    month = source[slice(*spans["month"])]
    char, count = fields["month"]
    if count <= 2:
        assert month.isdigit() and month.isascii() and int(month) == date.month, (source, month)
    else:
        context = "format" if char == "M" else "stand-alone"
        names = bd.get_month_names(MONTH_WIDTHS[count], context, locale)
        assert month == names[date.month], (source, month)
    if "weekday" in spans:
        char, count = fields["weekday"]
        context = "format" if char == "E" else "stand-alone"
        names = bd.get_day_names(DAY_WIDTHS[count], context, locale)
        assert source[slice(*spans["weekday"])] == names[date.weekday()], source


def test_load_dates_spans_give_back_the_label(data):
    for name in SPLITS:
        split = data.split(name)
        for i in range(len(split)):
            source, date, loc, fmt = split.sources[i], split.dates[i], split.locales[i], split.formats[i]
            assert split.targets[i] == date.isoformat()
            assert source == bd.format_date(date, format=fmt, locale=loc), (name, source)
            _check_spans(source, date, loc, fmt, split.spans[i])


def test_load_dates_covers_every_pair_and_digit_rule(data):
    train_pairs = {(loc, f) for loc, f in zip(data.train.locales, data.train.formats)}
    assert train_pairs == {(loc, f) for loc, f in _usable_pairs() if loc in TRAIN_LOCALES}
    for name in SPLITS:
        for source in data.split(name).sources:
            digits = {ch for ch in source if unicodedata.category(ch) == "Nd"}
            assert digits <= set("0123456789"), source


# -- the splits ------------------------------------------------------------------------------------

def test_load_dates_sizes_and_types(data):
    assert len(data.train) == SMALL["n_train"]
    for name in SPLITS[1:]:
        assert len(data.split(name)) == SMALL["n_test"]
    split = data.train
    assert isinstance(split, DateSplit)
    assert all(isinstance(d, datetime.date) for d in split.dates)
    assert set(split.formats) <= set(FORMATS)
    assert data.max_train_length == dates.MAX_TRAIN_LENGTH
    assert "BSD-3-Clause" in data.licence and "Unicode" in data.licence
    assert "babel" in data.source and "CLDR" in data.source
    assert "Y" in data.rules and "yy" in data.rules


def test_load_dates_splits_follow_their_rules(data):
    lo, hi = HELD_OUT_YEARS

    def years(name):
        return np.array([d.year for d in data.split(name).dates])

    def lengths(name):
        return np.array([len(s) for s in data.split(name).sources])

    for name in ("train", "test_iid", "test_locales", "test_long"):
        y = years(name)
        assert ((y >= TRAIN_YEARS[0]) & (y <= TRAIN_YEARS[1])).all(), name
        assert not ((y >= lo) & (y <= hi)).any(), name
    y = years("test_years")
    assert ((y >= lo) & (y <= hi)).all()
    for name in ("train", "test_iid", "test_years", "test_long"):
        assert set(data.split(name).locales) <= set(TRAIN_LOCALES), name
    assert set(data.test_locales.locales) <= set(HELD_OUT_LOCALES)
    assert set(data.test_locales.locales).isdisjoint(data.train.locales)
    assert lengths("train").max() <= data.max_train_length
    for name in ("test_iid", "test_years", "test_locales"):
        assert lengths(name).max() <= data.max_train_length, name
    assert lengths("test_long").min() > lengths("train").max()
    assert lengths("test_long").min() > data.max_train_length
    train = set(data.train.sources)
    assert len(train) == len(data.train)
    for name in SPLITS[1:]:
        sources = data.split(name).sources
        assert len(set(sources)) == len(sources), name
        assert train.isdisjoint(sources), name


def test_load_dates_test_years_needs_an_unseen_decade(data):
    assert all(t[2] == "9" for t in data.test_years.targets)
    assert not any(t[2] == "9" for t in data.train.targets)
    train_chars = set("".join(data.train.targets))
    assert set("".join(data.test_years.targets)) <= train_chars


def test_load_dates_test_locales_are_new_strings(data):
    train_pairs = [(loc, f) for loc, f in _usable_pairs() if loc in TRAIN_LOCALES]
    for source, date in zip(data.test_locales.sources, data.test_locales.dates):
        assert all(bd.format_date(date, format=f, locale=loc) != source for loc, f in train_pairs), source


def test_load_dates_vocabularies(data):
    assert isinstance(data.source_vocab, CharVocab) and isinstance(data.target_vocab, CharVocab)
    assert data.source_vocab.chars[0] == PAD and data.target_vocab.chars[0] == PAD
    assert data.source_vocab.chars == sorted(set(PAD + "".join(data.train.sources)))
    assert "".join(data.target_vocab.chars) == TARGET_CHARS
    assert data.target_vocab.index[BOS] == 1 and data.target_vocab.index[EOS] == 2
    source_chars = set(data.source_vocab.chars)
    for name in SPLITS:
        split = data.split(name)
        assert set("".join(split.sources)) <= source_chars, name
        assert set("".join(split.targets)) <= set(TARGET_CHARS[3:]), name
        assert all(len(t) == 10 for t in split.targets), name


def test_load_dates_deterministic_by_seed(data):
    again = load_dates(**SMALL)
    other = load_dates(**{**SMALL, "seed": 4})
    for name in SPLITS:
        a, b, c = data.split(name), again.split(name), other.split(name)
        assert a.sources == b.sources and a.dates == b.dates and a.spans == b.spans, name
        assert a.sources != c.sources, name


def test_load_dates_default_sizes_and_lengths():
    full = load_dates()
    assert len(full.train) == 20000 and len(full.test_long) == 1000
    assert max(len(s) for s in full.train.sources) <= 30 < min(len(s) for s in full.test_long.sources)
    assert "\u202f" in full.source_vocab.chars
    assert len(full.target_vocab) == 14


# -- encoding ---------------------------------------------------------------------------------------

def test_encode_sources_round_trip_and_padding(data):
    for name in SPLITS:
        ids, lengths = data.encode_sources(name)
        sources = data.split(name).sources
        assert ids.dtype == np.int64 and lengths.dtype == np.int64
        assert ids.shape == (max(map(len, sources)), len(sources))
        assert lengths.tolist() == [len(s) for s in sources]
        for b, source in enumerate(sources):
            assert data.source_vocab.decode(ids[:lengths[b], b]) == source
            assert (ids[lengths[b]:, b] == 0).all()
            assert (ids[:lengths[b], b] != 0).all()


def test_encode_targets_end_with_eos_and_round_trip(data):
    eos = data.target_vocab.index[EOS]
    for name in SPLITS:
        ids, lengths = data.encode_targets(name)
        targets = data.split(name).targets
        assert ids.shape == (11, len(targets)) and ids.dtype == np.int64
        assert (lengths == 11).all() and (ids[10] == eos).all()
        for b, target in enumerate(targets):
            assert data.decode_target(ids[:, b]) == target


def test_decode_target_stops_at_eos_and_skips_pad(data):
    v = data.target_vocab
    ids = [v.index[BOS]] + list(v.encode("2023-03-09")) + [v.index[EOS]] + list(v.encode("99")) + [0, 0]
    assert data.decode_target(ids) == "2023-03-09"
    assert data.decode_target([v.index["1"], 0, v.index["2"]]) == "12"
    assert data.decode_target(np.array([], dtype=np.int64)) == ""


# -- errors -----------------------------------------------------------------------------------------

def test_load_dates_rejects_bad_arguments():
    for seed in (-1, 1.5, "0", True, None):
        with pytest.raises(ValueError, match="seed must be an int >= 0"):
            load_dates(seed=seed, n_train=10, n_test=1)
    with pytest.raises(ValueError, match="n_train must be an int >= 1"):
        load_dates(n_train=0)
    with pytest.raises(ValueError, match="n_test must be an int >= 1"):
        load_dates(n_test=0)
    with pytest.raises(ValueError, match="max_train_length must be an int >= 10"):
        load_dates(max_train_length=5)
    with pytest.raises(ValueError, match="test_long"):
        load_dates(n_train=10, n_test=1, max_train_length=60)


def test_split_rejects_unknown_name(data):
    with pytest.raises(ValueError, match="split must be one of .*'train'.*got 'valid'"):
        data.split("valid")
    with pytest.raises(ValueError, match="split must be one of"):
        data.encode_sources("test")


def test_format_with_spans_rejects_bad_input():
    day = datetime.date(2000, 1, 2)
    with pytest.raises(ValueError, match="locale must be one of the supported locales.*'en_US'.*got 'xx_XX'"):
        format_with_spans(day, "xx_XX", "long")
    with pytest.raises(ValueError, match="locale must be one of"):
        format_with_spans(day, "ar_EG", "long")
    usable = r"usable formats of en_US \('medium', 'long', 'full'\).*'short'.*yy"
    with pytest.raises(ValueError, match=usable):
        format_with_spans(day, "en_US", "short")
    with pytest.raises(ValueError, match="usable formats of en_GB"):
        format_with_spans(day, "en_GB", "iso")
    with pytest.raises(ValueError, match=f"years {SUPPORTED_YEARS[0]}-{SUPPORTED_YEARS[1]}"):
        format_with_spans(datetime.date(1899, 12, 31), "en_GB", "long")
    with pytest.raises(ValueError, match="years 1900-2099"):
        format_with_spans(datetime.date(2100, 1, 1), "en_GB", "long")
    with pytest.raises(TypeError, match="datetime.date"):
        format_with_spans(datetime.datetime(2000, 1, 2), "en_GB", "long")


def test_encode_texts_names_unknown_characters_with_repr(data):
    with pytest.raises(ValueError, match=r"not in the source vocabulary: \['\\u200f', '€'\]"):
        data.encode_texts(["9\u200f/3/2023 €"])
    with pytest.raises(ValueError, match="not in the source vocabulary"):
        data.encode_texts([PAD])
    with pytest.raises(TypeError, match="list of strings"):
        data.encode_texts("9.3.2023")


def test_decode_target_rejects_bad_ids(data):
    with pytest.raises(ValueError, match="1-D"):
        data.decode_target(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match=r"\[0, 14\)"):
        data.decode_target([4, 99])


def test_load_dates_without_babel_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "babel", None)
    monkeypatch.setitem(sys.modules, "babel.dates", None)
    dates._patterns.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"pip install 'rnncourse\[apps\]'"):
            load_dates(n_train=10, n_test=1)
    finally:
        dates._patterns.cache_clear()
