r"""Bach's chorales as piano rolls: the music21 corpus, split by melody, cached.

A *piano roll* is a binary matrix, one row per time step of a fixed grid and one column per
pitch: entry (t, p) is 1 when pitch ``lowest + p`` sounds during step t.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

__all__ = ["piano_roll"]


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


def _checked(fn, check_args):
    import functools
    import inspect

    signature = inspect.signature(fn)

    @functools.wraps(fn)  # keeps the name, the docstring and the source
    def checked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        return fn(*check_args(*bound.args))

    return checked


piano_roll = _checked(piano_roll, _piano_roll_args)
