r"""Human-written dates in many locales, to be translated to ISO 8601 (sequence to sequence).

Source
------
The date patterns and the month and weekday names are CLDR's (the Unicode Common Locale Data
Repository, Unicode licence v3), read through the PyPI package ``babel`` (BSD-3-Clause), which
bundles them; nothing is downloaded, and ``pip install 'rnncourse[apps]'`` installs babel. The
dates, the examples and the splits are generated here with NumPy (``default_rng``).

An example is a date written as CLDR writes it in one locale with one of the four CLDR date
formats "short", "medium", "long" or "full", e.g. ``'9. März 2023'`` (de_DE, long),
``'2023年3月9日木曜日'`` (ja_JP, full), ``'9 марта 2023\u202fг.'`` (ru_RU, long); its label is
the ISO 8601 date ``'2023-03-09'`` (``date.isoformat()``).

The rules (:data:`RULES`)
-------------------------
1. The year is the calendar year, CLDR field ``y``. A pattern with the week-based year ``Y``
   is never used (the DeepLearning.AI dates generator used ``YYY`` and so wrote the wrong
   year around New Year on about 0.4 % of its examples).
2. The year is always written in full: a (locale, format) whose pattern has a two-digit year
   (``yy``) is left out (en_US "short" ``M/d/yy``, de_DE "short" ``dd.MM.yy``, ...). So is a
   pattern with any field other than day (``d``), month (``M``, ``L``), year (``y``) and
   weekday (``E``, ``c`` as a name): an era (``G``, th_TH), a week-based year (``Y``), a
   numeric weekday. :func:`excluded_formats` lists what was left out and why.
3. Only the Gregorian calendar (babel formats no other), and only locales whose numbers are
   ASCII digits 0-9: checked by formatting every day, month and weekday of every pattern, and
   on CLDR's default numbering system, which must be ``latn``. (Babel writes ASCII digits
   even for ar_EG and fa_IR, whose CLDR default digits are Arabic-Indic: the formatting check
   alone would let them in, so the second check keeps them out.)
4. CLDR strings contain invisible characters, and they are kept, as they are real: ru_RU and
   uk_UA write U+202F NARROW NO-BREAK SPACE before "г." / "р." (the Arabic locales, not used
   here, put U+200F RIGHT-TO-LEFT MARK into their numeric patterns; U+00A0 NO-BREAK SPACE is
   common in CLDR's other data). The vocabulary and every error message show characters with
   ``repr``, so ``'\u202f'`` is visible.
5. Every example knows where its day, month and year sit in the input: ``spans`` maps
   ``"day"``, ``"month"``, ``"year"`` (and ``"weekday"`` in "full" patterns) to half-open
   character ranges ``(start, end)``, the gold alignment. :func:`format_with_spans` walks the
   pattern's tokens (``babel.dates.tokenize_pattern``), writes each field as
   ``babel.dates.DateTimeFormat(date, locale)[field]`` does, and each literal as it is,
   keeping the offsets; the text equals ``babel.dates.format_date(date, fmt, locale)``
   (checked on two dates per pattern when the patterns are first read, and on every example in
   the tests). A month may be a number (``03``) or a name (``März``, ``mars``, and in ko_KR and
   vi_VN names with a number in them: ``3월``, ``tháng 3``).

Locales
-------
:data:`TRAIN_LOCALES` (23, across the Latin, Cyrillic, Greek, Han/Kana and Hangul scripts):
en_US en_GB de_DE fr_FR es_ES it_IT pt_BR sv_SE nb_NO pl_PL cs_CZ tr_TR ro_RO fi_FI hu_HU vi_VN
id_ID ru_RU uk_UA el_GR ja_JP zh_CN ko_KR: 82 usable (locale, format) pairs with babel 2.19
(10 "short" formats have a two-digit year; in babel 2.19 no date pattern of any locale uses
``Y``). :data:`HELD_OUT_LOCALES` (4): nl_NL da_DK sl_SI et_EE: 15 usable pairs (et_EE "short"
has ``yy``), languages that training never shows, written only with characters that training
locales use. 13 of the 15 pairs occur in test_locales: da_DK "short" (``dd.MM.y``) and sl_SI
"short" (``d. M. y``) write exactly what nb_NO "short" and cs_CZ "medium" write. Regional variants (en_AU,
de_AT, es_MX, pt_PT, fr_CA) do not make a held-out test: CLDR writes them almost exactly as
en_GB, de_DE, es_ES, pt_BR and fr_FR do (en_AU and pt_PT write the very same strings for
every date, de_AT differs only in January, "Jänner"), so they would test nothing new.

The splits (:func:`load_dates`, fixed by the seed)
---------------------------------------------------
Every split is drawn by its own generator, ``np.random.SeedSequence(seed).spawn(5)`` in the
order below: a (locale, format) pair uniformly among the usable pairs, then a day uniformly
among the allowed days; a draw that breaks the split's rule, or whose input is already in
this or an earlier split, is drawn again. So every input occurs once in the data set, and
splits never share an input.

- ``train``: training locales, years :data:`TRAIN_YEARS` 1950-2049 except the held-out
  decade :data:`HELD_OUT_YEARS` 1990-1999, inputs of at most ``max_train_length`` characters
  (default :data:`MAX_TRAIN_LENGTH` = 30, about the 97th percentile of the lengths over all
  pairs; it keeps some of every pair, the longest being the Portuguese "full" dates such as
  ``'quinta-feira, 9 de março de 2023'``, 26 to 38 characters).
- ``test_iid``: drawn as train; no input is a training input.
- ``test_years``: training locales and lengths, years 1990-1999 only. Every output character
  occurs in training targets, but never a 9 as the third digit of a year (training years are
  195x-198x and 200x-204x): the model must write a decade it has never written.
- ``test_locales``: the held-out locales, years and lengths as train; and each input is new
  as a string: no training (locale, format) pair writes that same string for that date.
- ``test_long``: training pairs, years as train, inputs longer than ``max_train_length``
  (so longer than every training input).

The source vocabulary is :data:`PAD` (id 0) and every character of the training inputs,
sorted by code point (:class:`rnncourse.data.CharVocab`); a test draw with a character outside
it is drawn again, so every test input can be encoded. The target vocabulary is PAD, BOS,
EOS, ``-`` and the digits (14 symbols); a target is its 10 characters and EOS.

Speed: ``load_dates()`` (20,000 + 4 x 1,000 examples) takes 0.5 to 0.7 s on one core of a
shared 2-core CPU, plus 0.2 to 0.5 s the first time to read and check the CLDR patterns (kept
in memory): each example is written from the pre-read tables, not by ``format_date``.
"""

from __future__ import annotations

import datetime
import numbers
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rnncourse.data import CharVocab

__all__ = [
    "DateSplit",
    "DateData",
    "load_dates",
    "format_with_spans",
    "date_formats",
    "excluded_formats",
    "TRAIN_LOCALES",
    "HELD_OUT_LOCALES",
    "FORMATS",
    "TRAIN_YEARS",
    "HELD_OUT_YEARS",
    "SUPPORTED_YEARS",
    "MAX_TRAIN_LENGTH",
    "SPLITS",
    "PAD",
    "BOS",
    "EOS",
    "TARGET_CHARS",
    "RULES",
    "DATES_SOURCE",
    "DATES_LICENCE",
]

#: Locales of the training split (and of test_iid, test_years, test_long).
TRAIN_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "sv_SE", "nb_NO",
                 "pl_PL", "cs_CZ", "tr_TR", "ro_RO", "fi_FI", "hu_HU", "vi_VN", "id_ID", "ru_RU",
                 "uk_UA", "el_GR", "ja_JP", "zh_CN", "ko_KR")
#: Locales of test_locales only: languages training never shows, in characters it does.
HELD_OUT_LOCALES = ("nl_NL", "da_DK", "sl_SI", "et_EE")
#: The CLDR date formats.
FORMATS = ("short", "medium", "long", "full")
#: Years of train, test_iid, test_locales and test_long (inclusive), less HELD_OUT_YEARS.
TRAIN_YEARS = (1950, 2049)
#: The interior decade held out of training, the years of test_years (inclusive).
HELD_OUT_YEARS = (1990, 1999)
#: Years that format_with_spans accepts (inclusive).
SUPPORTED_YEARS = (1900, 2099)
#: Default longest training input, in characters (about the 97th percentile over all pairs).
MAX_TRAIN_LENGTH = 30
SPLITS = ("train", "test_iid", "test_years", "test_locales", "test_long")

#: Padding, id 0 in both vocabularies. The special tokens are control characters, so they sort
#: first in code-point order and never occur in a date.
PAD = "\x00"
#: Begin-of-sequence (the decoder's first input; made by shifting the targets right).
BOS = "\x02"
#: End-of-sequence, the last symbol of every target.
EOS = "\x03"
#: The target vocabulary's characters, in id order.
TARGET_CHARS = PAD + BOS + EOS + "-0123456789"

RULES = (
    "Dates to ISO 8601. Input: a date as CLDR (through babel) writes it in one locale with one of "
    "the date formats short, medium, long, full. Label: YYYY-MM-DD. "
    "1. The year is the calendar year (pattern field y); no pattern with the week-based year Y is used. "
    "2. The year is always written in full: (locale, format) pairs whose pattern has a two-digit "
    "year (yy) are left out, as are patterns with an era or any field but day, month, year and "
    "weekday name. "
    "3. Gregorian calendar only; only locales that write ASCII digits 0-9. "
    "4. Invisible characters of CLDR (U+202F narrow no-break space, U+00A0, U+200F) are kept; "
    "characters are shown with repr. "
    f"5. Splits: train = {len(TRAIN_LOCALES)} locales, years {TRAIN_YEARS[0]}-{TRAIN_YEARS[1]} "
    f"except {HELD_OUT_YEARS[0]}-{HELD_OUT_YEARS[1]}, inputs of at most max_train_length characters; "
    "test_iid = the same distribution, no input shared with train; "
    f"test_years = years {HELD_OUT_YEARS[0]}-{HELD_OUT_YEARS[1]} only; "
    f"test_locales = held-out locales {', '.join(HELD_OUT_LOCALES)}, each input a string no training "
    "locale writes for that date; test_long = inputs longer than max_train_length. "
    "No input occurs twice; every test input uses only characters of the training inputs."
)
DATES_SOURCE = ("CLDR date patterns, month and weekday names (Unicode Common Locale Data Repository), "
                "read through the babel package; dates, examples and splits generated by "
                "rnncourse.datasets.dates (numpy default_rng)")
DATES_LICENCE = "babel: BSD-3-Clause; CLDR data: Unicode License v3 (Unicode, Inc.)"

_INSTALL_HINT = "pip install 'rnncourse[apps]'"
_ASCII_DIGITS = frozenset("0123456789")
_FIELDS = {"d": "day", "M": "month", "L": "month", "y": "year", "E": "weekday", "c": "weekday"}
_PROBES = (datetime.date(2023, 3, 9), datetime.date(1951, 12, 30))  # checked against format_date
_TARGET_LENGTH = 11  # 10 characters + EOS


def _babel_dates():
    try:
        import babel.dates
        from babel import Locale
    except ImportError as err:
        raise ImportError(f"the dates data needs the package babel: {_INSTALL_HINT}") from err
    return babel.dates, Locale


# -- reading the CLDR patterns ---------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Pattern:
    """One usable (locale, format): its pattern as literal strings and table look-ups."""

    locale: str
    fmt: str
    pattern: str
    pieces: tuple      # each ("lit", text), ("year", width) or ("day"|"month"|"weekday", table)
    min_length: int    # bounds on the length of what it writes (years have 4 digits here)
    max_length: int


def _check_pattern(dates, loc, tokens) -> str | None:
    """Why a tokenized pattern cannot be used, or None."""
    seen = []
    for kind, value in tokens:
        if kind != "field":
            continue
        char, count = value
        if char == "Y":
            return "week-based year Y"
        if char == "y" and count == 2:
            return "two-digit year yy"
        if char not in _FIELDS or (char == "c" and count < 3):
            return f"field {char * count!r} is not a day, month, year or weekday name"
        seen.append(_FIELDS[char])
    for name in ("day", "month", "year"):
        if seen.count(name) != 1:
            return f"the {name} is written {seen.count(name)} times"
    if seen.count("weekday") > 1:
        return "the weekday is written twice"
    return None


def _read_locale(dates, Locale, name: str):
    """Usable patterns of one locale, and the reasons for the others."""
    loc = Locale.parse(name)
    usable, excluded = {}, {}
    if loc.default_numbering_system != "latn":
        for fmt in FORMATS:
            excluded[(name, fmt)] = f"CLDR's default digits are {loc.default_numbering_system!r}, not ASCII"
        return usable, excluded
    for fmt in FORMATS:
        pattern = dates.get_date_format(fmt, locale=loc).pattern
        tokens = dates.tokenize_pattern(pattern)
        reason = _check_pattern(dates, loc, tokens)
        if reason is not None:
            excluded[(name, fmt)] = f"{reason} in {pattern!r}"
            continue
        pieces = []
        for kind, value in tokens:
            if kind == "chars":
                if pieces and pieces[-1][0] == "lit":   # 'de' after a space comes as two tokens
                    pieces[-1] = ("lit", pieces[-1][1] + value)
                else:
                    pieces.append(("lit", value))
                continue
            char, count = value
            key = char * count
            kind = _FIELDS[char]
            if kind == "day":       # the tables are written by babel itself
                table = ("",) + tuple(dates.DateTimeFormat(datetime.date(2000, 1, d), loc)[key]
                                      for d in range(1, 32))
            elif kind == "month":
                table = ("",) + tuple(dates.DateTimeFormat(datetime.date(2000, m, 1), loc)[key]
                                      for m in range(1, 13))
            elif kind == "weekday":  # 2024-01-01 is a Monday, date.weekday() == 0
                table = tuple(dates.DateTimeFormat(datetime.date(2024, 1, 1 + w), loc)[key]
                              for w in range(7))
            else:
                table = count
            pieces.append((kind, table))
        texts = [t for kind, t in pieces if kind in ("day", "month", "weekday")]
        written = "".join("".join(t) for t in texts)
        digits = sorted({ch for ch in written if unicodedata.category(ch) == "Nd"} - _ASCII_DIGITS)
        if digits:
            excluded[(name, fmt)] = f"writes non-ASCII digits {digits!r}"
            continue
        lit = sum(len(t) for kind, t in pieces if kind == "lit")
        year = sum(max(t, 4) for kind, t in pieces if kind == "year")
        lengths = [[len(s) for s in t if s] for kind, t in pieces if kind in ("day", "month", "weekday")]
        entry = _Pattern(name, fmt, pattern, tuple(pieces), lit + year + sum(map(min, lengths)),
                         lit + year + sum(map(max, lengths)))
        for probe in _PROBES:
            text, _ = _render(entry, probe)
            expected = dates.format_date(probe, format=fmt, locale=loc)
            if text != expected:
                raise RuntimeError(f"{name} {fmt} {pattern!r}: walking the pattern gave {text!r}, "
                                   f"babel.dates.format_date gave {expected!r}")
        usable[(name, fmt)] = entry
    return usable, excluded


@lru_cache(maxsize=None)
def _patterns() -> tuple[dict, dict]:
    """({(locale, fmt): _Pattern} usable, {(locale, fmt): reason} excluded), read once."""
    dates, Locale = _babel_dates()
    usable, excluded = {}, {}
    for name in TRAIN_LOCALES + HELD_OUT_LOCALES:
        u, e = _read_locale(dates, Locale, name)
        usable.update(u)
        excluded.update(e)
    return usable, excluded


def _render(entry: _Pattern, date: datetime.date) -> tuple[str, dict]:
    parts, spans, pos = [], {}, 0
    for kind, value in entry.pieces:
        if kind == "lit":
            text = value
        else:
            if kind == "day":
                text = value[date.day]
            elif kind == "month":
                text = value[date.month]
            elif kind == "year":
                text = "%0*d" % (value, date.year)
            else:
                text = value[date.weekday()]
            spans[kind] = (pos, pos + len(text))
        parts.append(text)
        pos += len(text)
    return "".join(parts), spans


def date_formats(locale: str) -> dict[str, str]:
    """The usable formats of a supported locale: {format name: CLDR pattern}.

    A format is missing when a rule excludes it (see :func:`excluded_formats`).

    Raises
    ------
    ValueError
        If ``locale`` is not one of :data:`TRAIN_LOCALES` or :data:`HELD_OUT_LOCALES`.
    ImportError
        If babel is not installed.
    """
    _check_locale(locale)
    usable, _ = _patterns()
    return {fmt: usable[(locale, fmt)].pattern for fmt in FORMATS if (locale, fmt) in usable}


def excluded_formats() -> dict[tuple[str, str], str]:
    """The (locale, format) pairs of the supported locales that the rules leave out -> why."""
    return dict(_patterns()[1])


def _check_locale(locale) -> None:
    if not isinstance(locale, str) or locale not in TRAIN_LOCALES + HELD_OUT_LOCALES:
        raise ValueError(f"locale must be one of the supported locales {TRAIN_LOCALES + HELD_OUT_LOCALES}, "
                         f"got {locale!r}")


def format_with_spans(date: datetime.date, locale: str, fmt: str) -> tuple[str, dict[str, tuple[int, int]]]:
    """Write ``date`` as CLDR does in ``locale`` with format ``fmt``, and where each field sits.

    The text equals ``babel.dates.format_date(date, format=fmt, locale=locale)``.

    Returns
    -------
    text : str
    spans : dict[str, tuple[int, int]]
        ``"day"``, ``"month"``, ``"year"`` (and ``"weekday"`` when the pattern writes it) ->
        the half-open character range ``(start, end)`` of that field in ``text``.

    Raises
    ------
    TypeError
        If ``date`` is not a ``datetime.date`` (a ``datetime.datetime`` is refused too).
    ValueError
        If ``locale`` is not supported, ``fmt`` is not a usable format of that locale (a
        two-digit year, ...: the message lists the usable ones), or the year is outside
        :data:`SUPPORTED_YEARS`.
    ImportError
        If babel is not installed.
    """
    if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}")
    if not SUPPORTED_YEARS[0] <= date.year <= SUPPORTED_YEARS[1]:
        raise ValueError(f"date must lie in the years {SUPPORTED_YEARS[0]}-{SUPPORTED_YEARS[1]}, got {date}")
    _check_locale(locale)
    usable, excluded = _patterns()
    if (locale, fmt) not in usable:
        why = f" ({excluded[(locale, fmt)]})" if isinstance(fmt, str) and (locale, fmt) in excluded else ""
        raise ValueError(f"fmt must be one of the usable formats of {locale} "
                         f"{tuple(date_formats(locale))}, got {fmt!r}{why}")
    return _render(usable[(locale, fmt)], date)


# -- the data set ---------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DateSplit:
    """One split: inputs, ISO labels, and what generated each input.

    Attributes
    ----------
    sources : list[str]
        The dates as CLDR writes them (invisible characters kept).
    targets : list[str]
        ISO 8601 ``YYYY-MM-DD``, 10 characters.
    dates : list[datetime.date]
    locales, formats : list[str]
        The locale and the CLDR format ("short", "medium", "long", "full") of each input.
    spans : list[dict[str, tuple[int, int]]]
        The gold alignment: ``"day"``, ``"month"``, ``"year"`` (and ``"weekday"``) -> the
        half-open character range of that field in the input.
    """

    sources: list[str]
    targets: list[str]
    dates: list[datetime.date]
    locales: list[str]
    formats: list[str]
    spans: list[dict]

    def __len__(self) -> int:
        return len(self.sources)


def _padded(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)  # (B,)
    ids = np.zeros((int(lengths.max(initial=0)), len(seqs)), dtype=np.int64)  # (T, B)
    for b, seq in enumerate(seqs):
        ids[:len(seq), b] = seq
    return ids, lengths


@dataclass(frozen=True, eq=False)
class DateData:
    """The dates data set: five splits and two character vocabularies.

    Attributes
    ----------
    train, test_iid, test_years, test_locales, test_long : DateSplit
        See the module docstring for how each is drawn.
    source_vocab : rnncourse.data.CharVocab
        :data:`PAD` (id 0) and every character of the training inputs, in code-point order.
        Every input of every split is made of these characters.
    target_vocab : rnncourse.data.CharVocab
        :data:`TARGET_CHARS`: PAD (0), BOS (1), EOS (2), ``-`` (3), ``0``-``9`` (4-13).
    max_train_length : int
        No training input is longer; every test_long input is.
    seed : int
    rules, source, licence : str
        :data:`RULES`, :data:`DATES_SOURCE`, :data:`DATES_LICENCE`, to print in a lesson.
    """

    train: DateSplit
    test_iid: DateSplit
    test_years: DateSplit
    test_locales: DateSplit
    test_long: DateSplit
    source_vocab: CharVocab
    target_vocab: CharVocab
    max_train_length: int
    seed: int
    rules: str = RULES
    source: str = DATES_SOURCE
    licence: str = DATES_LICENCE
    _eos: int = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_eos", self.target_vocab.index[EOS])

    def split(self, name: str) -> DateSplit:
        """The split called ``name``, one of :data:`SPLITS`; other names raise ValueError."""
        if not isinstance(name, str) or name not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {name!r}")
        return getattr(self, name)

    def encode_texts(self, texts) -> tuple[np.ndarray, np.ndarray]:
        """Input strings as padded source ids.

        Returns
        -------
        ids : ndarray of int64, shape (S, B)
            Time-major, right-padded with 0 (PAD); S is the longest length.
        lengths : ndarray of int64, shape (B,)

        Raises
        ------
        TypeError
            If ``texts`` is a single string rather than a list of them.
        ValueError
            If a character is not in the source vocabulary, or is PAD (the message lists them
            with repr, so invisible characters show).
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of strings (for one input, pass [text])")
        vocab = set(self.source_vocab.chars[1:])
        unknown = sorted({ch for t in texts for ch in t if ch not in vocab})
        if unknown:
            raise ValueError(f"characters not in the source vocabulary: {unknown!r}")
        return _padded([self.source_vocab.encode(t) for t in texts])

    def encode_sources(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A split's inputs as ids (S, B), time-major, right-padded with 0, and lengths (B,)."""
        return self.encode_texts(self.split(name).sources)

    def encode_targets(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A split's labels as ids (T, B) with T = 11: the 10 characters then EOS; lengths (B,).

        The decoder's inputs are these shifted right by one, with BOS first (made elsewhere).
        """
        targets = self.split(name).targets
        seqs = [self.target_vocab.encode(t + EOS) for t in targets]
        return _padded(seqs)

    def decode_target(self, ids) -> str:
        """The string of a 1-D sequence of target ids: stops at EOS, skips PAD and BOS.

        Raises
        ------
        ValueError
            If ``ids`` is not 1-D or holds an id outside [0, 14).
        """
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"ids must be 1-D (one target), got shape {ids.shape}")
        out = []
        for i in ids.tolist():
            if not 0 <= i < len(self.target_vocab):
                raise ValueError(f"target ids must lie in [0, {len(self.target_vocab)}), got {i}")
            if i == self._eos:
                break
            ch = self.target_vocab.chars[i]
            if ch not in (PAD, BOS):
                out.append(ch)
        return "".join(out)


# -- drawing the splits ---------------------------------------------------------------------------

def _check_int(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def _ordinals(first: int, last: int, without: tuple[int, int] | None = None) -> np.ndarray:
    """Proleptic Gregorian ordinals of every day of the years first..last, less ``without``."""
    days = np.arange(datetime.date(first, 1, 1).toordinal(), datetime.date(last, 12, 31).toordinal() + 1)
    if without is not None:
        lo, hi = datetime.date(without[0], 1, 1).toordinal(), datetime.date(without[1], 12, 31).toordinal()
        days = days[(days < lo) | (days > hi)]
    return days


def _draw(rng, n: int, entries: list, days: np.ndarray, accept, seen: set, name: str) -> DateSplit:
    """n examples with distinct inputs that ``accept(text, date)`` and that are not in ``seen``."""
    rows = []
    drawn, limit = 0, 200 * n + 20_000
    if entries:
        while len(rows) < n and drawn < limit:
            k = max(2 * (n - len(rows)), 256)
            which = rng.integers(len(entries), size=k)  # (k,)
            when = days[rng.integers(len(days), size=k)]  # (k,)
            drawn += k
            for e, o in zip(which.tolist(), when.tolist()):
                entry = entries[e]
                date = datetime.date.fromordinal(o)
                text, spans = _render(entry, date)
                if text in seen or not accept(text, date):
                    continue
                seen.add(text)
                rows.append((text, date.isoformat(), date, entry.locale, entry.fmt, spans))
                if len(rows) == n:
                    break
    if len(rows) < n:
        raise ValueError(f"could only draw {len(rows)} of the {n} examples of {name} under its rules; "
                         f"ask for fewer or change max_train_length")
    cols = list(zip(*rows))
    return DateSplit(*(list(c) for c in cols))


def load_dates(seed: int = 0, n_train: int = 20000, n_test: int = 1000,
               max_train_length: int = MAX_TRAIN_LENGTH) -> DateData:
    """Draw the dates data set: train and four test splits (see the module docstring).

    Parameters
    ----------
    seed : int
        Non-negative; fixes every split (``np.random.SeedSequence(seed).spawn(5)``).
    n_train : int
        Size of train, at least 1.
    n_test : int
        Size of each test split, at least 1.
    max_train_length : int
        The longest training input, in characters, at least 10 (test_long inputs are longer).

    Returns
    -------
    DateData

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative int, a size is below 1, ``max_train_length`` is below
        10, or a split cannot be drawn with so many distinct inputs under its rules.
    ImportError
        If babel is not installed.
    """
    _check_int("seed", seed, 0)
    _check_int("n_train", n_train, 1)
    _check_int("n_test", n_test, 1)
    _check_int("max_train_length", max_train_length, 10)
    seed, n_train, n_test, max_train_length = int(seed), int(n_train), int(n_test), int(max_train_length)
    usable, _ = _patterns()
    train_entries = [e for (loc, _f), e in usable.items() if loc in TRAIN_LOCALES]
    short_entries = [e for e in train_entries if e.min_length <= max_train_length]
    long_entries = [e for e in train_entries if e.max_length > max_train_length]
    held_entries = [e for (loc, _f), e in usable.items()
                    if loc in HELD_OUT_LOCALES and e.min_length <= max_train_length]
    train_days = _ordinals(*TRAIN_YEARS, without=HELD_OUT_YEARS)
    held_days = _ordinals(*HELD_OUT_YEARS)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(SPLITS))]
    seen: set[str] = set()

    def short(text, date):
        return len(text) <= max_train_length

    train = _draw(rngs[0], n_train, short_entries, train_days, short, seen, "train")
    chars = set("".join(train.sources))
    source_vocab = CharVocab(PAD + "".join(sorted(chars)))
    target_vocab = CharVocab(TARGET_CHARS)

    def known(text):
        return chars.issuperset(text)

    def iid(text, date):
        return len(text) <= max_train_length and known(text)

    def novel(text, date):   # no training pair writes this string for this date
        return iid(text, date) and all(_render(e, date)[0] != text for e in train_entries)

    def long(text, date):
        return len(text) > max_train_length and known(text)

    test_iid = _draw(rngs[1], n_test, short_entries, train_days, iid, seen, "test_iid")
    test_years = _draw(rngs[2], n_test, short_entries, held_days, iid, seen, "test_years")
    test_locales = _draw(rngs[3], n_test, held_entries, train_days, novel, seen, "test_locales")
    test_long = _draw(rngs[4], n_test, long_entries, train_days, long, seen, "test_long")
    return DateData(train, test_iid, test_years, test_locales, test_long, source_vocab, target_vocab,
                    max_train_length, seed)
