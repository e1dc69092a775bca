r"""Bach's chorales as piano rolls: the music21 corpus, split by melody, cached.

A *piano roll* is a binary matrix, one row per time step of a fixed grid and one column per
pitch: entry (t, p) is 1 when pitch ``lowest + p`` sounds during step t.

Source
------
J. S. Bach's four-part chorale harmonisations (the music is in the public domain), as encoded
by Margaret Greentree (jsbchorales.net, used by permission) and shipped in the corpus of the
PyPI package ``music21`` (BSD-3-Clause). Nothing is downloaded; ``pip install 'rnncourse[apps]'``
installs music21. The list of chorales is music21's ``corpus.chorales.ChoraleListRKBWV``,
the 371 chorales in Riemenschneider's numbering with their titles (what
``corpus.chorales.Iterator(returnType='filename')`` iterates over): 371 numbers but only 350
distinct files, since 21 numbers name a file that another number already names. Each file is
read once, in Riemenschneider order.

Which scores (measured with music21 10.5)
-----------------------------------------
Of the 350 files, 331 have exactly four parts, soprano, alto, tenor and bass (3 of them with
unnamed parts, checked to be S, A, T, B by their average pitches) and are kept. The other 19 are
dropped: 18 add instrumental parts (violins, horns, trumpets, timpani, continuo, ...: 5 to 15
parts, often independent of the voices) and one (BWV 27.6) has two soprano parts.
:attr:`ChoraleData.dropped` names each dropped file and why; a file without a note would be
dropped too ("no notes": none in this version).

Notes on the grid
-----------------
Each kept score becomes a list of notes (MIDI pitch, onset, end) in quarter lengths over all
four parts: tied notes are merged, grace notes (3 in the corpus) dropped, rests are silence,
repeat signs are not expanded (the music is read once, as written; 156 of the kept chorales
have some) and fermatas do not lengthen notes. On a grid of ``step`` quarter lengths (0.5:
eighth notes) onset and end are rounded to the nearest grid point (halves up), and a note whose
onset and end round to the same point is dropped (``score_to_notes``). At step 0.5, 2,119
of the 75,705 notes of the kept chorales (sixteenths, dotted eighths, a few 32nds) start or
end off the grid and 1,061 (1.4 %) vanish, mostly the second of two sixteenths, absorbed by
its neighbour; at step 0.25 nothing but a few 32nds is lost. Consecutive notes of one part
never overlap after rounding. :func:`piano_roll` then marks each note's steps. 296 of the kept
chorales are in 4/4, 32 in 3/4, 2 switch between them and one is in 3/2; the grid ignores bars.

Transposition (``transpose=True``)
----------------------------------
Every chorale is moved to C major or A minor: its key is estimated with music21's
``score.analyze('key')`` (Krumhansl-Schmuckler key profiles), and all its pitches move by the
k semitones, -6 <= k <= 5, that take the tonic (a minor key: its relative major) to C. The
analysis costs about 0.04 s a score, half a parse. The key signature would be cheaper, but it
disagrees with the analysed key in 57 of the 350 files: many minor chorales carry the old
"Dorian" signature with one flat fewer (D minor with no flat), and BWV 244.15 has 4 sharps in
the soprano and 2 in the other parts. Of the kept chorales music21 finds 164 in a major and 167
in a minor key; k runs from -5 to 5. :attr:`ChoraleData.keys` and :attr:`ChoraleData.shifts`
record the analysed key and the k of each chorale (``transpose=False``: no analysis, k = 0).

The pitch range is the range the whole corpus uses (after transposition, if any): ``lowest`` is
its lowest MIDI pitch and ``n_pitches`` covers up to its highest. Transposing *widens* it:
36 (C2) to 81 (A5), 46 pitches, as written; 31 (G1) to 84 (C6), 54 pitches, transposed, since
moving a low chorale down and a high one up stretches both ends (two of the 54 never sound).

Split (by melody, so that no tune is on both sides)
---------------------------------------------------
Bach harmonised many hymn tunes more than once, so two files can share their soprano line.
Chorales are put in the same *melody group* when

- they have the same title in music21's list (compared in lower case, letters only; a file
  listed under two titles joins both), or
- their soprano lines start with the same 8 melodic intervals, counting only notes of a
  quarter or longer (ties merged, repeated pitches merged; in semitones, so transposition does
  not matter). This catches tunes sung to other texts (the "Passion chorale" appears as "O
  Haupt voll Blut und Wunden", "Befiehl du deine Wege" and "Herzlich tut mich verlangen")
  and spelling variants of a title.

Over the 331 kept chorales that makes 194 groups, 64 of them with more than one chorale (201
chorales in all; the largest has 10). Titles alone give 64 groups of more than one (173
chorales); the melodies add 28 chorales to them and link groups with different titles. The 8
intervals were chosen by reading the groups: with 12, versions of a tune that part after the
first phrase stay apart; with 6, unrelated tunes merge.

The groups are shuffled with ``np.random.default_rng(seed)`` and dealt in that order: a group
goes to test if it fits in ``round(0.1 n)`` chorales, else to validation if it fits in
``round(0.1 n)``, else to training. So the split is about 80 / 10 / 10 % of the chorales, every
group lies on one side, and the same seed gives the same split.

Loading and the cache
---------------------
Parsing with music21 is slow (measured on a 2-core CPU: all 350 files take about 40 s, of
which the key analysis is 11 s, so 30 s with ``transpose=False``; the first 100 files 12 s), so
the result (rolls, titles, files, groups, keys, the pitch range, ``step``, ``transpose``, a
format version and music21's version) is saved to
``<cache>/datasets/chorales-step<step>-<transposed|original>[-first<N>]-v1.npz`` (0.1 MB),
where ``<cache>`` is ``$RNNCOURSE_CACHE_DIR`` if set, else
``platformdirs.user_cache_dir("rnncourse")``. A load from the cache takes about 0.05 s and imports
no music21. A cache that cannot be read, or that was written by another format or music21
version, is rebuilt with a ``UserWarning``. ``cache=False`` neither reads nor writes it. music21
itself is told not to write its own pickles (``forceSource=True``).
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np

from .._checked import checked as _checked

__all__ = ["piano_roll", "roll_to_notes", "score_to_notes", "score_steps", "load_chorales",
           "ChoraleData", "write_midi", "read_midi_notes", "CHORALES_SOURCE"]

CHORALES_SOURCE = ("J. S. Bach's four-part chorales (public domain), encoded by Margaret Greentree, "
                   "from the corpus of the PyPI package music21 (BSD-3-Clause)")

SPLITS = ("train", "valid", "test")

_INSTALL_HINT = "pip install 'rnncourse[apps]'"
_CACHE_FORMAT = 1           # bump when the cached arrays change meaning
_N_VOICES = 4               # soprano, alto, tenor, bass
_MELODY_INTERVALS = 8       # soprano intervals that identify a tune
_MELODY_MIN_QUARTERS = 1.0  # the notes those intervals count: a quarter or longer
_HELD_OUT = 0.1             # the share of chorales in validation, and in test


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    return int(value)


def _piano_roll_args(notes, n_steps, lowest, n_pitches):
    n_steps = _int(n_steps, "n_steps")
    lowest = _int(lowest, "lowest")
    n_pitches = _int(n_pitches, "n_pitches")
    if n_steps < 0 or n_pitches < 1:
        raise ValueError(f"need n_steps >= 0 and n_pitches >= 1, got {n_steps} and {n_pitches}")
    checked = []
    for i, note in enumerate(notes):
        try:
            pitch, onset, duration = (_int(v, f"notes[{i}]") for v in note)
        except (TypeError, ValueError):
            raise TypeError(f"notes[{i}] must be three ints (pitch, onset, duration), got {note!r}") from None
        if not lowest <= pitch < lowest + n_pitches:
            raise ValueError(f"notes[{i}] has pitch {pitch}, outside the range [{lowest}, "
                             f"{lowest + n_pitches}) of lowest={lowest}, n_pitches={n_pitches}")
        if onset < 0 or duration < 1 or onset + duration > n_steps:
            raise ValueError(f"notes[{i}] = (pitch {pitch}, onset {onset}, duration {duration}) must "
                             f"have onset >= 0, duration >= 1 and end by step n_steps = {n_steps}")
        checked.append((pitch, onset, duration))
    return checked, n_steps, lowest, n_pitches


def piano_roll(notes, n_steps, lowest, n_pitches):
    """Notes to a binary piano roll (n_steps, n_pitches).

    Parameters
    ----------
    notes : iterable of (pitch, onset, duration)
        MIDI pitch (60 is middle C), and the first step and the number of steps the note
        sounds, in grid steps: a note with onset 4 and duration 2 sounds during steps 4 and 5.
    n_steps : int
        T, the number of time steps of the roll.
    lowest : int
        The MIDI pitch of column 0.
    n_pitches : int
        P, the number of columns: pitches ``lowest`` to ``lowest + n_pitches - 1``.

    Returns
    -------
    ndarray of float32, shape (n_steps, n_pitches)
        1 where a note sounds, else 0. Two notes of the same pitch that follow each other
        without a rest merge into one run: a piano roll does not mark onsets.

    Raises
    ------
    TypeError
        A note that is not three ints, or a size that is not an int.
    ValueError
        A pitch outside the range (named, with the range), a note that starts before 0, has
        no duration or ends after ``n_steps``.
    """
    roll = np.zeros((n_steps, n_pitches), dtype=np.float32)  # (T, P)
    for pitch, onset, duration in notes:
        roll[onset:onset + duration, pitch - lowest] = 1.0
    return roll


piano_roll = _checked(piano_roll, _piano_roll_args)


# -- the data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChoraleData:
    """Bach's chorales as piano rolls, with a split that keeps each melody on one side.

    Attributes
    ----------
    rolls : list of ndarray
        One float32 array (T_i, n_pitches) of 0s and 1s per chorale (:func:`piano_roll`): row t
        is the grid step t, column p the MIDI pitch ``lowest + p``; all four voices in one roll.
    titles : list of str
        The title of each chorale in music21's list (a file listed under two titles has both,
        joined by " / ").
    files : list of str
        music21 corpus names, e.g. ``"bach/bwv269"`` (``music21.corpus.parse`` reads them).
    groups : ndarray of int64, shape (n,)
        The melody group of each chorale, numbered from 0 in order of first appearance.
    split : dict[str, ndarray]
        "train", "valid", "test" -> int64 indices into ``rolls``, ascending; together they cover
        every chorale once, and every group lies in one of them.
    lowest : int
        The MIDI pitch of column 0: the lowest pitch of the corpus.
    n_pitches : int
        P, the number of columns: up to the highest pitch of the corpus.
    step : float
        Quarter lengths per grid step (0.5: eighth notes).
    transposed : bool
        Whether each chorale was moved to C major or A minor.
    keys : list of str
        The key music21 found in each chorale before transposing ("g minor", "A major"), or
        "" when not transposed.
    shifts : ndarray of int64, shape (n,)
        The semitones each chorale was moved by, in [-6, 5] (0 when not transposed).
    dropped : dict[str, str]
        Corpus name -> why the file was not kept.
    counts : dict[str, int]
        Over the kept chorales: "notes" (ties merged), "grace" (grace notes dropped) and
        "off_grid" (notes whose onset and end round to the same grid point, dropped).
    seed : int
        The seed of the split.
    source : str
        One line: the data set, where it comes from, its licence.
    """

    rolls: list
    titles: list
    files: list
    groups: np.ndarray
    split: dict
    lowest: int
    n_pitches: int
    step: float
    transposed: bool
    keys: list
    shifts: np.ndarray
    dropped: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    seed: int = 0
    source: str = CHORALES_SOURCE

    def __len__(self) -> int:
        return len(self.rolls)

    def part(self, name: str) -> list:
        """The rolls of split ``name``, one of "train", "valid", "test", in corpus order."""
        if name not in SPLITS:
            raise ValueError(f"name must be one of {SPLITS}, got {name!r}")
        return [self.rolls[i] for i in self.split[name]]

    def lengths(self) -> np.ndarray:
        """The number of steps of each roll: int64 array (n,)."""
        return np.array([len(r) for r in self.rolls], dtype=np.int64)  # (n,)


# -- argument checks ------------------------------------------------------------------------------

def _check_step(step) -> float:
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)):
        raise TypeError(f"step must be a positive number of quarter lengths (0.5: eighth notes), "
                        f"got {step!r} ({type(step).__name__})")
    step = float(step)
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"step must be a positive number of quarter lengths (0.5: eighth notes), "
                         f"got {step!r}")
    return step


def _check_max_files(max_files) -> int | None:
    if max_files is None:
        return None
    if isinstance(max_files, bool) or not isinstance(max_files, (int, np.integer)):
        raise TypeError(f"max_files must be None or an int >= 1, got {max_files!r} "
                        f"({type(max_files).__name__})")
    if max_files < 1:
        raise ValueError(f"max_files must be None or an int >= 1, got {max_files!r}")
    return int(max_files)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_roll(roll) -> np.ndarray:
    roll = np.asarray(roll)
    if roll.ndim != 2:
        raise ValueError(f"roll must be a 2-D array (n_steps, n_pitches), got shape {roll.shape}")
    if roll.size and not np.isin(roll, (0, 1)).all():
        raise ValueError("roll must hold only 0s and 1s (threshold a model's probabilities first, "
                         "e.g. roll > 0.5)")
    return roll


def _check_midi_range(lowest, n_pitches: int) -> int:
    lowest = _int(lowest, "lowest")
    if lowest < 0 or lowest + n_pitches > 128:
        raise ValueError(f"lowest must keep the roll's pitches in MIDI's range 0..127: lowest={lowest} "
                         f"with {n_pitches} columns reaches {lowest + n_pitches - 1}")
    return lowest


# -- notes ----------------------------------------------------------------------------------------

def roll_to_notes(roll, lowest) -> list:
    """The notes of a piano roll: the inverse of :func:`piano_roll`.

    Every run of consecutive 1s in a column is one note. So ``roll_to_notes(piano_roll(notes,
    T, lowest, P), lowest)`` gives back ``notes`` (sorted) unless two notes of the same pitch
    touch or overlap: those come back as one note, since a piano roll does not mark onsets.

    Parameters
    ----------
    roll : array (n_steps, n_pitches) of 0s and 1s
    lowest : int
        The MIDI pitch of column 0.

    Returns
    -------
    list of (pitch, onset, duration)
        Python ints, sorted by onset, then pitch.
    """
    roll = _check_roll(roll)
    lowest = _int(lowest, "lowest")
    on = np.zeros((roll.shape[0] + 2, roll.shape[1]), dtype=np.int8)  # (T + 2, P), silence around
    on[1:-1] = roll != 0
    change = np.diff(on, axis=0)                                       # (T + 1, P): +1 start, -1 end
    starts_t, starts_p = np.nonzero(change == 1)
    ends_t, ends_p = np.nonzero(change == -1)
    # np.nonzero walks row by row: order both by (pitch, time) to pair each start with its end
    s = np.lexsort((starts_t, starts_p))
    e = np.lexsort((ends_t, ends_p))
    notes = [(int(p) + lowest, int(t0), int(t1 - t0))
             for p, t0, t1 in zip(starts_p[s], starts_t[s], ends_t[e])]
    return sorted(notes, key=lambda n: (n[1], n[0]))


def _grid(quarters: float, step: float) -> int:
    """The nearest grid point to a time in quarter lengths (halves round up)."""
    return math.floor(quarters / step + 0.5 + 1e-9)


def _voice_notes(voice) -> tuple[list, int]:
    """The notes of one part: [(midi, onset, end)] in quarter lengths, in time order, ties merged,
    grace notes dropped, chords split into their notes; and how many grace notes were dropped."""
    from music21 import chord

    flat = voice.flatten()
    raw, n_grace = [], 0
    for element in flat.notes:
        if element.duration.isGrace:
            n_grace += 1
            continue
        onset = float(element.getOffsetBySite(flat))
        end = onset + float(element.duration.quarterLength)
        members = element.notes if isinstance(element, chord.Chord) else (element,)
        for member in members:
            tie = member.tie.type if member.tie is not None else None
            raw.append((member.pitch.midi, onset, end, tie in ("stop", "continue")))
    raw.sort(key=lambda n: (n[1], n[0]))
    merged, open_ends = [], {}  # open_ends: (pitch, end) -> index into merged
    for pitch, onset, end, tied in raw:  # a tied note joins the note of its pitch that ends there
        i = open_ends.pop((pitch, onset), None) if tied else None
        if i is None:
            merged.append([pitch, onset, end])
            i = len(merged) - 1
        else:
            merged[i][2] = end
        open_ends[(pitch, end)] = i
    return [tuple(n) for n in merged], n_grace


def _voices(score) -> tuple[list, int]:
    """_voice_notes of each part of a score (a stream without parts is one voice)."""
    parts = list(score.parts) if hasattr(score, "parts") else []
    voices, n_grace = [], 0
    for part in parts or [score]:
        notes, n = _voice_notes(part)
        voices.append(notes)
        n_grace += n
    return voices, n_grace


def _on_grid(notes: list, step: float) -> tuple[list, int]:
    """[(midi, onset, end)] in quarter lengths -> [(midi, onset, duration)] in grid steps, and
    how many notes vanished (onset and end rounded to the same grid point)."""
    out, n_lost = [], 0
    for pitch, onset, end in notes:
        a, b = _grid(onset, step), _grid(end, step)
        if b > a:
            out.append((int(pitch), a, b - a))
        else:
            n_lost += 1
    return out, n_lost


def score_to_notes(score, step, shift=0) -> list:
    """The notes of a music21 score on a grid of ``step`` quarter lengths, over all its parts.

    The rule of :func:`load_chorales`: tied notes are merged (within a part), grace notes
    dropped, rests are silence, onset and end are rounded to the nearest grid point (halves up),
    and a note whose onset and end round to the same point is dropped.

    Parameters
    ----------
    score : music21.stream.Score (or a Part, or any stream of notes)
    step : float > 0
        Quarter lengths per grid step.
    shift : int
        Semitones to add to every pitch (a transposition).

    Returns
    -------
    list of (pitch, onset, duration)
        Python ints (MIDI pitch, grid steps), sorted by onset, then pitch; ready for
        :func:`piano_roll`.
    """
    step = _check_step(step)
    shift = _int(shift, "shift")
    if not hasattr(score, "flatten"):
        raise TypeError(f"score must be a music21 stream, got {type(score).__name__}")
    voices, _ = _voices(score)
    notes, _ = _on_grid([(p + shift, a, b) for voice in voices for p, a, b in voice], step)
    return sorted(notes, key=lambda n: (n[1], n[0]))


def score_steps(score, step) -> int:
    """The number of grid steps of a score: its length (``highestTime``) rounded to the grid."""
    step = _check_step(step)
    return _grid(float(score.highestTime), step)


def _melody_key(soprano: list) -> tuple:
    """The first intervals of a soprano line [(midi, onset, end)], counting notes of a quarter or
    longer, repeated pitches merged: a tuple of _MELODY_INTERVALS ints, or () if it is shorter."""
    pitches = [p for p, onset, end in soprano if end - onset >= _MELODY_MIN_QUARTERS - 1e-9]
    line = [p for i, p in enumerate(pitches) if i == 0 or p != pitches[i - 1]]
    intervals = tuple(b - a for a, b in zip(line, line[1:]))
    return intervals[:_MELODY_INTERVALS] if len(intervals) >= _MELODY_INTERVALS else ()


def _title_key(title: str) -> str:
    return "".join(c for c in title.casefold() if c.isalpha())


# -- reading the corpus ---------------------------------------------------------------------------

def _music21():
    try:
        import music21
    except ImportError as err:
        raise ImportError(f"load_chorales needs the package music21: {_INSTALL_HINT}") from err
    return music21


def _music21_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("music21")
    except PackageNotFoundError:
        return _music21().__version__


def _chorale_list() -> tuple[list, dict]:
    """The distinct corpus files in Riemenschneider order, and file -> its titles."""
    from music21.corpus import chorales

    by_number = chorales.ChoraleListRKBWV().byRiemenschneider
    files, titles = [], {}
    for number in sorted(by_number):
        entry = by_number[number]
        name = f"bach/bwv{entry['bwv']}"
        if name not in titles:
            files.append(name)
            titles[name] = []
        if entry["title"] not in titles[name]:
            titles[name].append(entry["title"])
    return files, titles


def _shift_to_c(key) -> int:
    """The semitones in [-6, 5] that move ``key``'s tonic (a minor key: its relative major) to C."""
    major_tonic = key.tonic.pitchClass + (3 if key.mode == "minor" else 0)
    return (-major_tonic + 6) % 12 - 6


def _read_score(name: str, step: float, transpose: bool):
    """One corpus file -> (notes on the grid, n_steps, melody key, key name, shift, counts), or
    a str saying why the file is not kept."""
    from music21 import corpus

    score = corpus.parse(name, forceSource=True)  # forceSource: music21 writes no pickle
    parts = list(score.parts)
    if len(parts) != _N_VOICES:
        names = ", ".join(str(p.partName) for p in parts)
        return f"{len(parts)} parts ({names}), not the four voices alone"
    voices, n_grace = _voices(score)
    counts = {"grace": n_grace, "lost": 0, "notes": 0}
    if not any(voices):
        return "no notes"
    key_name, shift = "", 0
    if transpose:
        key = score.analyze("key")
        key_name, shift = f"{key.tonic.name} {key.mode}", _shift_to_c(key)
    notes = []
    for voice in voices:
        on_grid, n_lost = _on_grid([(p + shift, a, b) for p, a, b in voice], step)
        notes += on_grid
        counts["lost"] += n_lost
        counts["notes"] += len(voice)
    n_steps = max(score_steps(score, step), max((a + d for _, a, d in notes), default=0))
    return notes, n_steps, _melody_key(voices[0]), key_name, shift, counts


def _melody_groups(titles: list, melodies: list) -> np.ndarray:
    """Union of "same title" and "same melody key": a group id per chorale, int64 (n,)."""
    parent = list(range(len(titles)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = {}
    for i, (names, melody) in enumerate(zip(titles, melodies)):
        keys = [("title", _title_key(t)) for t in names] + ([("melody", melody)] if melody else [])
        for k in keys:
            if k in first:
                parent[find(i)] = find(first[k])
            else:
                first[k] = i
    ids = {}
    return np.array([ids.setdefault(find(i), len(ids)) for i in range(len(titles))], dtype=np.int64)


def _parse_corpus(step: float, transpose: bool, max_files: int | None) -> dict:
    """Read the corpus: the arrays that the cache holds."""
    _music21()
    files, titles_of = _chorale_list()
    if max_files is not None:
        files = files[:max_files]
    kept, dropped = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a third party's warnings must not reach the page
        for name in files:
            result = _read_score(name, step, transpose)
            if isinstance(result, str):
                dropped[name] = result
            else:
                kept.append((name, *result))
    if not kept:
        raise RuntimeError(f"none of the {len(files)} files read has the four voices (max_files="
                           f"{max_files}); dropped: {dropped}")
    pitches = [p for k in kept for p, _, _ in k[1]]
    lowest, highest = min(pitches), max(pitches)
    n_pitches = highest - lowest + 1
    rolls = [piano_roll(k[1], k[2], lowest, n_pitches) for k in kept]  # (T_i, P) each
    names = [k[0] for k in kept]
    titles = [titles_of[name] for name in names]
    return {
        "format": np.array(_CACHE_FORMAT),
        "music21_version": np.array(_music21_version()),
        "step": np.array(step),
        "transpose": np.array(transpose),
        "max_files": np.array(-1 if max_files is None else max_files),
        "rolls": np.concatenate(rolls).astype(np.uint8),                   # (sum T_i, P)
        "offsets": np.cumsum([0] + [len(r) for r in rolls]).astype(np.int64),  # (n + 1,)
        "files": np.array(names, dtype=str),
        "titles": np.array([" / ".join(t) for t in titles], dtype=str),
        "groups": _melody_groups(titles, [k[3] for k in kept]),
        "keys": np.array([k[4] for k in kept], dtype=str),
        "shifts": np.array([k[5] for k in kept], dtype=np.int64),
        "lowest": np.array(lowest, dtype=np.int64),
        "n_pitches": np.array(n_pitches, dtype=np.int64),
        "dropped_files": np.array(list(dropped), dtype=str),
        "dropped_reasons": np.array(list(dropped.values()), dtype=str),
        "counts": np.array([sum(k[6][c] for k in kept) for c in ("notes", "grace", "lost")],
                           dtype=np.int64),  # notes (ties merged), grace notes dropped, notes lost
    }


# -- the cache ------------------------------------------------------------------------------------

_KEYS = ("format", "music21_version", "step", "transpose", "max_files", "rolls", "offsets", "files",
         "titles", "groups", "keys", "shifts", "lowest", "n_pitches", "dropped_files",
         "dropped_reasons", "counts")


def _cache_path(step: float, transpose: bool, max_files: int | None) -> Path:
    root = os.environ.get("RNNCOURSE_CACHE_DIR")
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("rnncourse", appauthor=False)
    subset = "" if max_files is None else f"-first{max_files}"
    kind = "transposed" if transpose else "original"
    return Path(root) / "datasets" / f"chorales-step{step!r}-{kind}{subset}-v{_CACHE_FORMAT}.npz"


def _check_arrays(a: dict, step: float, transpose: bool, max_files: int | None) -> str | None:
    """Why cached arrays do not fit this load, or None if they do."""
    if int(a["format"]) != _CACHE_FORMAT:
        return f"format {int(a['format'])}, not {_CACHE_FORMAT}"
    if str(a["music21_version"]) != _music21_version():
        return f"written with music21 {a['music21_version']}, not {_music21_version()}"
    if (float(a["step"]) != step or bool(a["transpose"]) != transpose
            or int(a["max_files"]) != (-1 if max_files is None else max_files)):
        return "written for other arguments"
    n, offsets, rolls = len(a["files"]), a["offsets"], a["rolls"]
    if (offsets.ndim != 1 or len(offsets) != n + 1 or n == 0 or offsets[0] != 0
            or offsets[-1] != len(rolls) or (np.diff(offsets) < 0).any() or rolls.ndim != 2
            or rolls.shape[1] != int(a["n_pitches"]) or rolls.max(initial=0) > 1
            or not len(a["titles"]) == len(a["groups"]) == len(a["keys"]) == len(a["shifts"]) == n
            or len(a["dropped_files"]) != len(a["dropped_reasons"]) or a["counts"].shape != (3,)):
        return "inconsistent arrays"
    return None


def _read_cache(path: Path, step: float, transpose: bool, max_files: int | None) -> dict | None:
    """The cached arrays, or None if there is no cache file; a bad file is warned about."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:  # our handle: always closed
            arrays = {k: f[k] for k in _KEYS}
        problem = _check_arrays(arrays, step, transpose, max_files)
    except (OSError, KeyError, ValueError, EOFError, TypeError, AttributeError, zipfile.BadZipFile) as err:
        problem = f"unreadable ({type(err).__name__})"
    if problem is None:
        return arrays
    warnings.warn(f"the chorale cache {path} is {problem}: rebuilt it from the music21 corpus",
                  UserWarning, stacklevel=3)
    return None


def _write_cache(path: Path, arrays: dict) -> None:
    """Write atomically (a temporary file, then os.replace); a failure only means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError:
        pass


# -- the split ------------------------------------------------------------------------------------

def _split_groups(groups: np.ndarray, seed: int) -> dict:
    """Deal shuffled melody groups to test, then validation (each up to round(0.1 n) chorales),
    the rest to training: split name -> ascending int64 indices."""
    n = len(groups)
    target = round(_HELD_OUT * n)
    sizes = np.bincount(groups)                                      # (G,)
    order = np.random.default_rng(seed).permutation(len(sizes))      # (G,)
    side = np.zeros(len(sizes), dtype=np.int64)                      # 0 train, 1 valid, 2 test
    filled = {1: 0, 2: 0}
    for g in order:
        for s in (2, 1):
            if filled[s] + sizes[g] <= target:
                side[g], filled[s] = s, filled[s] + sizes[g]
                break
    where = side[groups]                                             # (n,)
    return {name: np.flatnonzero(where == s).astype(np.int64) for s, name in enumerate(SPLITS)}


# -- loading --------------------------------------------------------------------------------------

def load_chorales(step=0.5, seed=0, max_files=None, cache=True, transpose=True) -> ChoraleData:
    """Bach's chorales from the music21 corpus as piano rolls, split by melody.

    331 four-voice chorales (of 350 distinct files; see the module docstring for what is
    dropped, how notes are put on the grid, the transposition and the split). With the defaults
    (step 0.5, transposed) the rolls have 54 columns, MIDI pitches 31 (G1) to 84 (C6), and 48
    to 386 steps (median 96, i.e. 12 bars of 4/4); the split is 265 / 33 / 33 chorales.

    Parameters
    ----------
    step : float > 0
        Quarter lengths per row of a roll: 0.5 (eighth notes), 0.25 (sixteenths), 1 (quarters).
    seed : int >= 0
        Fixes the split (nothing else is random).
    max_files : int >= 1, optional
        Read only the first ``max_files`` distinct files in Riemenschneider order (all 350 when
        None, or when larger); the pitch range and the groups are then those of that subset.
    cache : bool
        Read the parsed corpus from, and write it to, the cache file (see the module docstring);
        ``cache=False`` parses the corpus again and touches no file. The result is the same.
    transpose : bool
        Move every chorale to C major or A minor (by music21's key analysis).

    Returns
    -------
    ChoraleData

    Raises
    ------
    ImportError
        If music21 is not installed (the message says ``pip install 'rnncourse[apps]'``).
    """
    step = _check_step(step)
    seed = _check_seed(seed)
    max_files = _check_max_files(max_files)
    cache = _check_flag(cache, "cache")
    transpose = _check_flag(transpose, "transpose")
    path = _cache_path(step, transpose, max_files) if cache else None
    arrays = _read_cache(path, step, transpose, max_files) if cache else None
    if arrays is None:
        arrays = _parse_corpus(step, transpose, max_files)
        if cache:
            _write_cache(path, arrays)
    offsets = arrays["offsets"]
    rolls = arrays["rolls"].astype(np.float32)                       # (sum T_i, P), a fresh copy
    groups = arrays["groups"].astype(np.int64)
    return ChoraleData(
        rolls=[rolls[a:b] for a, b in zip(offsets[:-1], offsets[1:])],
        titles=arrays["titles"].tolist(), files=arrays["files"].tolist(), groups=groups,
        split=_split_groups(groups, seed), lowest=int(arrays["lowest"]),
        n_pitches=int(arrays["n_pitches"]), step=step, transposed=transpose,
        keys=arrays["keys"].tolist(), shifts=arrays["shifts"].astype(np.int64),
        dropped=dict(zip(arrays["dropped_files"].tolist(), arrays["dropped_reasons"].tolist())),
        counts=dict(zip(("notes", "grace", "off_grid"), arrays["counts"].tolist())), seed=seed)


# -- MIDI -----------------------------------------------------------------------------------------

def write_midi(roll, lowest, step, path, tempo=None) -> Path:
    """Write a piano roll as a one-track MIDI file (with music21).

    Each run of 1s in a column (:func:`roll_to_notes`) becomes a note of that pitch, starting at
    step ``onset`` and lasting ``duration`` steps of ``step`` quarter lengths.

    Parameters
    ----------
    roll : array (n_steps, n_pitches) of 0s and 1s
    lowest : int
        The MIDI pitch of column 0; the roll's pitches must lie in 0..127.
    step : float > 0
        Quarter lengths per row (``ChoraleData.step``).
    path : str or Path
        Where to write (a ``.mid`` file; the folder must exist).
    tempo : float > 0, optional
        Quarter notes per minute; None leaves music21's default (120).

    Returns
    -------
    Path
        ``path``.
    """
    roll = _check_roll(roll)
    lowest = _check_midi_range(lowest, roll.shape[1])
    step = _check_step(step)
    if tempo is not None:
        if isinstance(tempo, bool) or not isinstance(tempo, (int, float, np.integer, np.floating)) \
                or not math.isfinite(tempo) or tempo <= 0:
            raise ValueError(f"tempo must be None or a positive number of quarter notes per minute, "
                             f"got {tempo!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a Path, got {type(path).__name__}")
    _music21()
    from music21 import note, stream
    from music21 import tempo as m21tempo

    part = stream.Part()
    if tempo is not None:
        part.insert(0.0, m21tempo.MetronomeMark(number=float(tempo)))
    for pitch, onset, duration in roll_to_notes(roll, lowest):
        part.insert(onset * step, note.Note(pitch, quarterLength=duration * step))
    path = Path(path)
    part.write("midi", fp=str(path))
    return path


def read_midi_notes(path, step) -> list:
    """The notes of a MIDI file on the grid: the way back from :func:`write_midi`.

    The file's note-on and note-off events are read directly (music21's ``midi.MidiFile``, all
    tracks and channels together, tempo ignored: times are in quarter notes), not through
    music21's conversion to a score, which splits long notes into tied pieces across voices.
    Onset and end are rounded to the grid as in ``score_to_notes``.

    Parameters
    ----------
    path : str or Path
        A MIDI file.
    step : float > 0
        Quarter lengths per grid step.

    Returns
    -------
    list of (pitch, onset, duration)
        Python ints in grid steps, sorted by onset, then pitch.
    """
    step = _check_step(step)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a Path, got {type(path).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file")
    _music21()
    from music21 import midi

    mf = midi.MidiFile()
    mf.open(str(path))
    try:
        mf.read()
    finally:
        mf.close()
    ticks = float(mf.ticksPerQuarterNote)
    note_on, note_off = midi.ChannelVoiceMessages.NOTE_ON, midi.ChannelVoiceMessages.NOTE_OFF
    notes = []
    for track in mf.tracks:
        time, sounding = 0, {}  # (channel, pitch) -> onsets in ticks, first in first out
        for event in track.events:
            if isinstance(event, midi.DeltaTime):
                time += event.time
            elif event.type == note_on and event.velocity > 0:
                sounding.setdefault((event.channel, event.pitch), []).append(time)
            elif event.type in (note_on, note_off) and sounding.get((event.channel, event.pitch)):
                onset = sounding[(event.channel, event.pitch)].pop(0)
                notes.append((event.pitch, onset / ticks, time / ticks))
    on_grid, _ = _on_grid(notes, step)
    return sorted(on_grid, key=lambda n: (n[1], n[0]))
