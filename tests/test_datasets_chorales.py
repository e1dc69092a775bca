"""Bach's chorales (music21 corpus): piano rolls, transposition, the melody split, the cache, MIDI.

Every load reads a few files only (``max_files``) and caches in a temporary folder
(``RNNCOURSE_CACHE_DIR``), so the file runs in about 10 s and never touches the user's cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from rnncourse.datasets import chorales
from rnncourse.datasets.chorales import (CHORALES_SOURCE, ChoraleData, load_chorales, piano_roll,
                                         read_midi_notes, roll_to_notes, score_steps, score_to_notes,
                                         write_midi)

music21 = pytest.importorskip("music21")

N_FILES = 12  # the first 12 distinct files: 11 four-voice chorales and BWV 41.6 (9 parts)


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """A temporary cache folder for the whole module: the user's cache is never read or written."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNCOURSE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def data():
    return load_chorales(max_files=N_FILES)  # parses, and writes the module's cache file


@pytest.fixture(scope="module")
def original():
    return load_chorales(max_files=N_FILES, cache=False, transpose=False)


@pytest.fixture(scope="module")
def small():
    return load_chorales(max_files=3, cache=False)


def forbid_parsing(monkeypatch):
    def parse(*args, **kwargs):
        raise AssertionError("music21.corpus.parse was called")

    monkeypatch.setattr(music21.corpus, "parse", parse)


def assert_same_data(a: ChoraleData, b: ChoraleData):
    assert len(a) == len(b)
    assert all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a.rolls, b.rolls))
    for name in ("titles", "files", "keys", "dropped", "counts", "lowest", "n_pitches", "step",
                 "transposed", "seed", "source"):
        assert getattr(a, name) == getattr(b, name), name
    assert np.array_equal(a.groups, b.groups) and np.array_equal(a.shifts, b.shifts)
    assert all(np.array_equal(a.split[k], b.split[k]) for k in ("train", "valid", "test"))


# -- piano rolls of a score -----------------------------------------------------------------------

def two_part_score():
    """Two bars of 4/4 in two parts, with a rest, a tie across the bar line, two sixteenths and a
    grace note."""
    from music21 import meter, note, stream, tie

    def bar(number, *elements, time_signature=False):
        m = stream.Measure(number=number)
        if time_signature:
            m.append(meter.TimeSignature("4/4"))
        for e in elements:
            m.append(e)
        return m

    def n(name, ql, tie_type=None):
        x = note.Note(name, quarterLength=ql)
        if tie_type:
            x.tie = tie.Tie(tie_type)
        return x

    upper, lower = stream.Part(), stream.Part()
    upper.append(bar(1, n("G4", 1), note.Rest(quarterLength=0.5), n("A4", 0.5), n("B4", 2, "start"),
                     time_signature=True))
    upper.append(bar(2, n("B4", 1, "stop"), n("C5", 0.25), n("B4", 0.25), n("A4", 0.5), n("G4", 2)))
    lower.append(bar(1, n("C4", 2), n("E4", 1), note.Rest(quarterLength=1), time_signature=True))
    lower.append(bar(2, note.Note("D4").getGrace(), n("F4", 2), n("E4", 2)))
    score = stream.Score()
    score.insert(0, upper)
    score.insert(0, lower)
    return score


# Columns: C4 C#4 D4 D#4 E4 F4 F#4 G4 G#4 A4 A#4 B4 C5 (lowest = 60, 13 pitches); rows: eighths.
GOLDEN = """
1000000100000
1000000100000
1000000000000
1000000001000
0000100000010
0000100000010
0000000000010
0000000000010
0000010000010
0000010000010
0000010000001
0000010001000
0000100100000
0000100100000
0000100100000
0000100100000
"""


def test_score_to_notes_merges_ties_drops_grace_and_rounds_to_the_grid():
    notes = score_to_notes(two_part_score(), 0.5)
    assert notes == [(60, 0, 4), (67, 0, 2), (69, 3, 1), (64, 4, 2), (71, 4, 6),  # B4 tied: one note
                     (65, 8, 4),                    # the grace D4 before it is dropped
                     (72, 10, 1), (69, 11, 1),      # C5 16th: 1 step; the B4 16th after it: none
                     (64, 12, 4), (67, 12, 4)]
    assert score_to_notes(two_part_score(), 0.5, shift=2)[0] == (62, 0, 4)


def test_piano_roll_of_a_hand_written_score_equals_the_golden_matrix():
    score = two_part_score()
    assert score_steps(score, 0.5) == 16
    roll = piano_roll(score_to_notes(score, 0.5), score_steps(score, 0.5), 60, 13)
    expected = np.array([[int(c) for c in row] for row in GOLDEN.split()], dtype=np.float32)
    assert roll.dtype == np.float32 and roll.shape == (16, 13)
    np.testing.assert_array_equal(roll, expected)


def test_score_to_notes_on_a_sixteenth_grid_keeps_every_note():
    notes = score_to_notes(two_part_score(), 0.25)
    assert (71, 21, 1) in notes and (72, 20, 1) in notes and len(notes) == 11


# -- roll_to_notes and MIDI -----------------------------------------------------------------------

def random_notes(rng, n_steps=40, lowest=50, n_pitches=20):
    """Notes of which no two of the same pitch touch or overlap."""
    notes = []
    for pitch in range(lowest, lowest + n_pitches):
        t = int(rng.integers(0, 4))
        while t < n_steps:
            duration = int(rng.integers(1, 6))
            if t + duration > n_steps:
                break
            if rng.random() < 0.6:
                notes.append((pitch, t, duration))
            t += duration + 1 + int(rng.integers(0, 3))  # at least one silent step after
    return notes


@pytest.mark.parametrize("seed", range(5))
def test_roll_to_notes_inverts_piano_roll(seed):
    notes = random_notes(np.random.default_rng(seed))
    roll = piano_roll(notes, 40, 50, 20)
    assert roll_to_notes(roll, 50) == sorted(notes, key=lambda n: (n[1], n[0]))
    assert all(isinstance(v, int) for n in roll_to_notes(roll, 50) for v in n)


def test_roll_to_notes_merges_touching_notes_of_one_pitch():
    roll = piano_roll([(60, 0, 2), (60, 2, 3), (62, 1, 1), (62, 3, 1)], 6, 60, 3)
    assert roll_to_notes(roll, 60) == [(60, 0, 5), (62, 1, 1), (62, 3, 1)]
    assert roll_to_notes(np.zeros((0, 4)), 60) == [] and roll_to_notes(np.ones((3, 1)), 7) == [(7, 0, 3)]


def test_write_midi_reads_back_the_same_notes(tmp_path):
    notes = random_notes(np.random.default_rng(7), n_steps=24)
    roll = piano_roll(notes, 24, 50, 20)
    for step in (0.5, 0.25, 1.0):
        path = write_midi(roll, 50, step, tmp_path / f"r{step}.mid", tempo=90)
        assert path == tmp_path / f"r{step}.mid" and path.stat().st_size > 0
        assert read_midi_notes(path, step) == roll_to_notes(roll, 50)


def test_write_midi_of_a_chorale_reads_back_its_notes(data, tmp_path):
    roll = data.rolls[0]
    path = write_midi(roll, data.lowest, data.step, str(tmp_path / "bwv269.mid"))
    assert read_midi_notes(path, data.step) == roll_to_notes(roll, data.lowest)


# -- the corpus -----------------------------------------------------------------------------------

def test_load_chorales_keeps_four_voice_scores_and_says_why_others_are_dropped(data):
    assert isinstance(data, ChoraleData) and len(data) == N_FILES - 1
    assert list(data.dropped) == ["bach/bwv41.6"] and data.dropped["bach/bwv41.6"].startswith("9 parts")
    assert data.files[:3] == ["bach/bwv269", "bach/bwv347", "bach/bwv153.1"]
    assert data.titles[0] == "Aus meines Herzens Grunde"
    assert len(set(data.files)) == len(data) == len(data.titles) == len(data.groups) == len(data.keys)
    assert data.source == CHORALES_SOURCE and "music21" in data.source and "public domain" in data.source
    assert data.counts["notes"] > 2000 and data.counts["grace"] == 0 and data.counts["off_grid"] >= 0


def test_load_chorales_rolls_are_binary_float32_over_the_pitch_range(data):
    assert data.step == 0.5 and data.transposed
    for roll in data.rolls:
        assert roll.dtype == np.float32 and roll.ndim == 2 and roll.shape[1] == data.n_pitches
        assert set(np.unique(roll)) <= {0.0, 1.0}
        assert 48 <= len(roll) <= 400
        assert roll.sum(axis=1).max() <= 4  # four voices
    used = np.concatenate(data.rolls).sum(axis=0)                  # (P,)
    assert used[0] > 0 and used[-1] > 0                            # the range is the range used


def test_load_chorales_transposes_to_c_major_or_a_minor(data):
    for key, shift in zip(data.keys, data.shifts):
        tonic = music21.pitch.Pitch(key.split()[0]).pitchClass
        major_tonic = tonic + (3 if key.endswith("minor") else 0)
        assert -6 <= shift <= 5 and (major_tonic + shift) % 12 == 0
    assert data.keys[0] == "G major" and data.shifts[0] == 5


def test_load_chorales_transposition_shifts_the_roll_and_keeps_intervals(data, original):
    assert not original.transposed and set(original.keys) == {""} and not original.shifts.any()
    assert original.files == data.files
    for roll, plain, shift in zip(data.rolls, original.rolls, data.shifts):
        assert roll.shape[0] == plain.shape[0]
        full_t = np.zeros((len(roll), 128), np.float32)
        full_t[:, data.lowest:data.lowest + data.n_pitches] = roll
        full_o = np.zeros((len(plain), 128), np.float32)
        full_o[:, original.lowest:original.lowest + original.n_pitches] = plain
        np.testing.assert_array_equal(full_t, np.roll(full_o, int(shift), axis=1))


def test_load_chorales_split_is_disjoint_complete_and_keeps_groups_together(data):
    parts = [data.split[k] for k in ("train", "valid", "test")]
    assert all(p.dtype == np.int64 and (np.diff(p) > 0).all() for p in parts)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(data)))
    assert [len(p) for p in parts] == [9, 1, 1]  # round(0.1 * 11) = 1 each
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(data.groups[parts[a]]) & set(data.groups[parts[b]])
    assert [len(data.part(k)) for k in ("train", "valid", "test")] == [9, 1, 1]
    assert data.part("test")[0] is data.rolls[data.split["test"][0]]


def test_load_chorales_split_is_fixed_by_the_seed(data, monkeypatch):
    forbid_parsing(monkeypatch)  # from the module's cache
    again = load_chorales(max_files=N_FILES, seed=0)
    splits = {seed: load_chorales(max_files=N_FILES, seed=seed).split for seed in range(6)}
    assert all(np.array_equal(again.split[k], data.split[k]) for k in data.split)
    assert len({tuple(s["test"]) + tuple(s["valid"]) for s in splits.values()}) > 1


def test_split_groups_never_straddle_and_sizes_are_about_ten_percent():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(200), rng.integers(1, 6, size=200))    # 600 chorales, groups of 1-5
    groups = groups[rng.permutation(len(groups))]
    for seed in range(10):
        split = chorales._split_groups(groups, seed)
        sides = {g: {k for k, idx in split.items() if g in groups[idx]} for g in range(200)}
        assert all(len(s) == 1 for s in sides.values())
        n = len(groups)
        assert sum(len(v) for v in split.values()) == n
        assert round(0.1 * n) - 5 <= len(split["test"]) <= round(0.1 * n)
        assert round(0.1 * n) - 5 <= len(split["valid"]) <= round(0.1 * n)
    assert all(np.array_equal(chorales._split_groups(groups, 3)[k], chorales._split_groups(groups, 3)[k])
               for k in ("train", "valid", "test"))


def test_melody_groups_join_same_titles_and_same_opening_intervals():
    melody = (2, 2, 1, -1, -2, -2, 4, 3)
    groups = chorales._melody_groups(
        [["Nun danket alle Gott"], ["Lobt Gott, ihr Christen allzugleich"], ["nun DANKET alle gott!"],
         ["Other"], ["Lobt Gott ihr Christen, allzugleich"], ["A", "Other"], ["B"]],
        [(), melody, (), (1,) * 8, (), (), melody])
    assert groups.tolist() == [0, 1, 0, 2, 1, 2, 1]


def test_load_chorales_groups_harmonisations_of_one_tune(monkeypatch):
    """The Passion chorale under three titles, and two harmonisations of another tune."""
    files = ["bach/bwv270", "bach/bwv244.54", "bach/bwv153.5", "bach/bwv269", "bach/bwv244.37",
             "bach/bwv245.11"]
    titles = {"bach/bwv270": ["Befiehl du deine Wege"], "bach/bwv244.54": ["O Haupt voll Blut und Wunden"],
              "bach/bwv153.5": ["Herzlich tut mich verlangen"], "bach/bwv269": ["Aus meines Herzens Grunde"],
              "bach/bwv244.37": ["In allen meinen Taten"], "bach/bwv245.11": ["Nun ruhen alle Wälder"]}
    monkeypatch.setattr(chorales, "_chorale_list", lambda: (files, titles))
    data = load_chorales(cache=False)
    assert data.files == files
    assert data.groups.tolist() == [0, 0, 0, 1, 2, 2]
    for k in ("train", "valid", "test"):
        others = [j for j in ("train", "valid", "test") if j != k]
        assert not set(data.groups[data.split[k]]) & {g for j in others for g in data.groups[data.split[j]]}


# -- the cache ------------------------------------------------------------------------------------

def test_load_chorales_second_load_comes_from_the_cache_without_parsing(data, monkeypatch):
    path = chorales._cache_path(0.5, True, N_FILES)
    assert path.is_file() and path.parent.parent == chorales.Path(os.environ["RNNCOURSE_CACHE_DIR"])
    forbid_parsing(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_chorales(max_files=N_FILES)
    assert_same_data(again, data)
    again.rolls[0][:] = 1                     # fresh arrays: changing them changes no later load
    assert_same_data(load_chorales(max_files=N_FILES), data)


def test_load_chorales_from_the_cache_imports_no_music21(data):
    code = ("import sys; from rnncourse.datasets.chorales import load_chorales; "
            f"d = load_chorales(max_files={N_FILES}); print(len(d), 'music21' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.stdout.split() == [str(len(data)), "False"] and out.stderr == ""


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_version", "missing_key"])
def test_load_chorales_rebuilds_a_bad_cache_with_a_warning(small, damage, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNCOURSE_CACHE_DIR", str(tmp_path))
    path = chorales._cache_path(0.5, True, 3)
    path.parent.mkdir(parents=True)
    if damage == "garbage":
        path.write_bytes(b"\x00not a zip file" * 20)
    else:
        arrays = chorales._parse_corpus(0.5, True, 3)
        if damage == "wrong_version":
            arrays["format"] = np.array(99)
        if damage == "missing_key":
            del arrays["groups"]
        np.savez_compressed(path, **arrays)
        if damage == "truncated":
            path.write_bytes(path.read_bytes()[:400])
    with pytest.warns(UserWarning, match="rebuilt"):
        rebuilt = load_chorales(max_files=3)
    assert_same_data(rebuilt, small)
    forbid_parsing(monkeypatch)  # the rebuilt cache is good
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_data(load_chorales(max_files=3), small)


def test_load_chorales_cache_false_neither_reads_nor_writes(small, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("RNNCOURSE_CACHE_DIR", str(tmp_path))
    path = chorales._cache_path(0.5, True, 3)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # the bad file is not even read
        assert_same_data(load_chorales(max_files=3, cache=False), small)
    assert path.read_bytes() == b"garbage" and sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert capfd.readouterr() == ("", "")   # nothing on stdout or stderr


def test_load_chorales_skips_and_counts_a_score_without_notes(small, monkeypatch):
    from music21 import stream

    real_parse = music21.corpus.parse

    def parse(name, *args, **kwargs):
        if name == "bach/bwv347":
            empty = stream.Score()
            for _ in range(4):
                empty.insert(0, stream.Part())
            return empty
        return real_parse(name, *args, **kwargs)

    monkeypatch.setattr(music21.corpus, "parse", parse)
    data = load_chorales(max_files=3, cache=False)
    assert data.dropped == {"bach/bwv347": "no notes"}
    assert data.files == [f for f in small.files if f != "bach/bwv347"]


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, name", [
    ({"step": 0}, ValueError, "step"), ({"step": -0.5}, ValueError, "step"),
    ({"step": float("nan")}, ValueError, "step"), ({"step": "0.5"}, TypeError, "step"),
    ({"step": True}, TypeError, "step"), ({"max_files": 0}, ValueError, "max_files"),
    ({"max_files": 2.5}, TypeError, "max_files"), ({"max_files": True}, TypeError, "max_files"),
    ({"seed": -1}, ValueError, "seed"), ({"seed": 1.5}, TypeError, "seed"),
    ({"cache": "yes"}, TypeError, "cache"), ({"transpose": 1}, TypeError, "transpose"),
])
def test_load_chorales_bad_arguments_name_the_argument(kwargs, error, name, monkeypatch):
    forbid_parsing(monkeypatch)
    with pytest.raises(error, match=name):
        load_chorales(**kwargs)


def test_load_chorales_without_music21_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "music21", None)
    with pytest.raises(ImportError, match=r"rnncourse\[apps\]"):
        load_chorales(max_files=1, cache=False)


def test_chorale_data_part_names_the_argument(data):
    with pytest.raises(ValueError, match="name must be one of"):
        data.part("training")


def test_piano_roll_names_a_pitch_outside_the_range():
    with pytest.raises(ValueError, match=r"notes\[1\] has pitch 90, outside the range \[60, 73\)"):
        piano_roll([(60, 0, 1), (90, 0, 1)], 4, 60, 13)


@pytest.mark.parametrize("call, error, match", [
    (lambda p: roll_to_notes(np.full((3, 2), 0.7), 60), ValueError, "roll must hold only 0s and 1s"),
    (lambda p: roll_to_notes(np.zeros(5), 60), ValueError, "roll must be a 2-D array"),
    (lambda p: roll_to_notes(np.zeros((2, 2)), 60.0), TypeError, "lowest must be an int"),
    (lambda p: write_midi(np.zeros((2, 10)), 120, 0.5, p), ValueError, "lowest must keep"),
    (lambda p: write_midi(np.zeros((2, 10)), -1, 0.5, p), ValueError, "lowest must keep"),
    (lambda p: write_midi(np.zeros((2, 10)), 60, 0, p), ValueError, "step must be"),
    (lambda p: write_midi(np.zeros((2, 10)), 60, 0.5, p, tempo=0), ValueError, "tempo must be"),
    (lambda p: write_midi(np.zeros((2, 10)), 60, 0.5, 3), TypeError, "path must be"),
    (lambda p: read_midi_notes(p, 0.5), FileNotFoundError, "path"),
    (lambda p: read_midi_notes(p, -1), ValueError, "step must be"),
    (lambda p: score_to_notes([1, 2], 0.5), TypeError, "score must be a music21 stream"),
    (lambda p: score_to_notes(two_part_score(), 0.5, shift=0.5), TypeError, "shift must be an int"),
])
def test_notes_and_midi_bad_arguments_name_the_argument(call, error, match, tmp_path):
    with pytest.raises(error, match=match):
        call(tmp_path / "missing.mid")
