r"""A tiny synthesizer, so that the built book can play the music a model generates.

:func:`synthesize` turns a binary piano roll into a waveform; :func:`audio` wraps that
waveform in an ``IPython.display.Audio`` player. NumPy only: no audio library is needed.

The piano roll
--------------
``roll`` is an array (T, P) of 0 and 1: one row per time step of ``step_seconds`` seconds,
column p is the MIDI pitch ``m = lowest + p`` (60 is middle C, 69 is the A above it). A *note*
is a run of consecutive 1s in one column: a pitch held for four steps is one tone lasting four
steps, not four tones struck again at each step (a piano roll does not mark onsets).

The equations
-------------
The frequency of MIDI pitch m, in Hz (equal temperament, A4 = pitch 69 = 440 Hz):

.. math::
    f(m) = 440 \cdot 2^{(m - 69)/12}.

A note of pitch m from time :math:`t_0` to :math:`t_1` (seconds; :math:`\tau = t - t_0`) is a
sum of sine partials, the k-th at k times the fundamental, with amplitude ``harmonics[k-1]``:

.. math::
    x(t) = e(\tau)\, e^{-d\,\tau} \sum_{k:\; k f(m) < f_s / 2} a_k \sin(2\pi k f(m) \tau),

where :math:`f_s` is ``sample_rate``: a partial at or above the Nyquist frequency
:math:`f_s/2` is left out (it would alias, folding back to a wrong lower frequency), and
:math:`d` is ``decay`` (1/s; 0, the default, holds the tone like an organ pipe). The envelope
:math:`e` rises linearly from 0 to 1 over ``attack`` seconds and falls linearly back to 0 over
the last ``release`` seconds of the note, so that no note starts or stops with a jump (a
click). The release lies *inside* the note: the note is silent by the end of its last step,
and a rest is silence. (A note shorter than ``attack + release`` gets both shortened in
proportion.) All the notes are summed, and the sum is scaled to a peak of 0.9 (or multiplied
by ``gain`` and clipped to [-1, 1]); an all-zero roll stays all zeros.

Shapes and units
----------------
Times are in seconds, frequencies in Hz, lengths in samples. Step t covers the samples
``round(t * step_seconds * sample_rate)`` up to ``round((t + 1) * step_seconds * sample_rate)``,
so the waveform has ``round(T * step_seconds * sample_rate)`` samples: exactly the length of
the roll, no release tail after it.

Why a low sample rate
---------------------
The book embeds each player in its HTML page as a 16-bit WAV file (base64, a third larger):
about ``2 * sample_rate * seconds`` bytes. At the default 8000 Hz a 16-second chorale is
about 256 kB, at CD quality (44 100 Hz) 1.4 MB, on every page that plays it. 8 kHz keeps
pitches up to 4 kHz (MIDI 107), far above the chorales' soprano line, and a few harmonics.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np

__all__ = ["midi_to_hz", "synthesize", "audio"]

PEAK = 0.9  # the peak of a normalised waveform: a little headroom below full scale


def midi_to_hz(m):
    """The frequency in Hz of MIDI pitch ``m`` (scalar or array): 440 * 2**((m - 69) / 12)."""
    return 440.0 * 2.0 ** ((np.asarray(m, dtype=np.float64) - 69.0) / 12.0)


def _positive_real(value, name: str, *, strict: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (strict and value == 0):
        raise ValueError(f"{name} must be {'> 0' if strict else '>= 0'} (seconds, Hz or a rate), got {value!r}")
    return float(value)


def _check(roll, lowest, step_seconds, sample_rate, harmonics, attack, release, decay, gain):
    try:
        r = np.asarray(roll)
        if r.dtype == object:
            raise TypeError
        r = r.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"roll must be a numeric array (T, P) of 0 and 1, got {type(roll).__name__}") from None
    if r.ndim != 2:
        raise ValueError(f"roll must be 2-D (T steps, P pitches), got shape {r.shape}")
    if not np.isin(r, (0.0, 1.0)).all():
        raise ValueError("roll must be binary: every entry 0 or 1 (a pitch is off or on at a step)")
    if isinstance(lowest, bool) or not isinstance(lowest, Integral):
        raise ValueError(f"lowest must be an int (the MIDI pitch of column 0), got {lowest!r}")
    used = np.flatnonzero(r.any(axis=0))
    if used.size:
        pitches = int(lowest) + used
        bad = pitches[(pitches < 0) | (pitches > 127)]
        if bad.size:
            p = int(bad[0] - int(lowest))
            raise ValueError(f"lowest={lowest} puts column {p}, which has notes, at MIDI pitch {int(bad[0])}: "
                             "outside the MIDI range 0..127")
    step = _positive_real(step_seconds, "step_seconds")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, Real) or not math.isfinite(sample_rate) \
            or sample_rate != int(sample_rate) or sample_rate < 1000:
        raise ValueError(f"sample_rate must be a whole number of Hz >= 1000, got {sample_rate!r}")
    try:
        h = np.asarray(harmonics, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"harmonics must be a sequence of amplitudes, got {harmonics!r}") from None
    if h.ndim != 1 or h.size == 0 or not np.isfinite(h).all() or (h < 0).any() or not (h > 0).any():
        raise ValueError("harmonics must be a non-empty 1-D sequence of finite amplitudes >= 0, at least one "
                         f"of them > 0 (harmonics[k-1] for the k-th partial), got {harmonics!r}")
    attack = _positive_real(attack, "attack", strict=False)
    release = _positive_real(release, "release", strict=False)
    decay = _positive_real(decay, "decay", strict=False)
    if gain is not None:
        gain = _positive_real(gain, "gain")
    return r, int(lowest), step, int(sample_rate), h, attack, release, decay, gain


def synthesize(roll, lowest, step_seconds=0.25, sample_rate=8000, harmonics=(1.0, 0.5, 0.25),
               attack=0.01, release=0.05, gain=None, decay=0.0):
    """A piano roll (T, P) as a waveform: float32 (n_samples,) in [-1, 1].

    Parameters
    ----------
    roll : array_like of 0 and 1, shape (T, P)
        Column p is MIDI pitch ``lowest + p``; a run of 1s in a column is one note.
    lowest : int
        The MIDI pitch of column 0; every column that holds a note must be in 0..127.
    step_seconds : float
        The duration of one step, in seconds (> 0).
    sample_rate : int
        Samples per second, in Hz (>= 1000; see the module docstring for the low default).
    harmonics : sequence of float
        ``harmonics[k-1]`` is the amplitude of the k-th partial (k times the fundamental);
        partials at or above ``sample_rate / 2`` are dropped.
    attack, release : float
        Seconds of the linear rise at the start and the linear fall at the end of each note
        (both inside the note).
    gain : float or None
        None: the waveform is scaled to a peak of 0.9. A number: the sum of the notes is
        multiplied by it and clipped to [-1, 1] (the same loudness across clips).
    decay : float
        An exponential decay rate in 1/s (amplitude ``exp(-decay * tau)``, tau the time since
        the onset); 0 holds the tone.

    Returns
    -------
    ndarray of float32, shape (round(T * step_seconds * sample_rate),)
        No tail after the last step: each note's release ends with the note.

    Raises
    ------
    ValueError
        Naming the argument: a roll that is not 2-D or not binary, ``lowest`` that puts a used
        column outside MIDI 0..127, ``step_seconds <= 0``, ``sample_rate < 1000``, bad
        harmonics, a negative attack, release or decay, a gain <= 0.
    """
    roll, lowest, step, sr, h, attack, release, decay, gain = _check(
        roll, lowest, step_seconds, sample_rate, harmonics, attack, release, decay, gain)
    T, P = roll.shape
    bounds = np.rint(np.arange(T + 1) * step * sr).astype(np.int64)  # (T + 1,) the first sample of each step
    wave = np.zeros(int(bounds[-1]), dtype=np.float64)
    on = np.pad(roll > 0, ((1, 1), (0, 0)))  # (T + 2, P)
    change = on[1:] != on[:-1]  # (T + 1, P): a note starts or ends at this step boundary
    cols, steps = np.nonzero(change.T)  # per column, in time order: start, end, start, end, ...
    starts, ends, cols = steps[0::2], steps[1::2], cols[0::2]
    nyquist = sr / 2.0
    k = np.arange(1, h.size + 1, dtype=np.float64)  # (K,) partial numbers
    silent = 0
    for c, t0, t1 in zip(cols.tolist(), starts.tolist(), ends.tolist()):
        s0, s1 = int(bounds[t0]), int(bounds[t1])
        n = s1 - s0
        if n <= 0:
            continue
        f = float(midi_to_hz(lowest + c))
        keep = (k * f < nyquist) & (h > 0)
        if not keep.any():
            silent += 1
            continue
        tau = np.arange(n) / sr  # (n,) seconds since the onset
        phases = 2.0 * np.pi * f * tau[:, None] * k[keep]  # (n, K')
        tone = np.sin(phases) @ h[keep]  # (n,)
        wave[s0:s1] += tone * _envelope(n, attack * sr, release * sr, decay / sr)
    if silent:
        warnings.warn(f"{silent} note(s) have every partial at or above the Nyquist frequency "
                      f"{nyquist:g} Hz and are silent: raise sample_rate to hear them", stacklevel=2)
    if gain is None:
        peak = float(np.max(np.abs(wave))) if wave.size else 0.0
        if peak > 0:
            wave *= PEAK / peak
    else:
        wave = np.clip(wave * gain, -1.0, 1.0)
    return wave.astype(np.float32)


def _envelope(n, attack, release, decay_per_sample):
    """(n,) a linear rise over ``attack`` samples, a linear fall to exactly 0 at the last
    sample over ``release`` samples, times exp(-decay * i); both shortened in proportion
    when they do not fit into n samples."""
    if attack + release > n - 1:
        scale = (n - 1) / (attack + release) if attack + release > 0 else 0.0
        attack, release = attack * scale, release * scale
    i = np.arange(n, dtype=np.float64)
    rise = np.minimum(1.0, i / attack) if attack > 0 else np.ones(n)
    fall = np.minimum(1.0, (n - 1 - i) / release) if release > 0 else np.ones(n)
    env = rise * fall
    if decay_per_sample > 0:
        env *= np.exp(-decay_per_sample * i)
    return env


def audio(roll, lowest, step_seconds=0.25, sample_rate=8000, **options):
    """An ``IPython.display.Audio`` player of :func:`synthesize` ``(roll, lowest, step_seconds,
    sample_rate, **options)`` (``options``: harmonics, attack, release, gain, decay), at
    ``rate=sample_rate`` and with ``normalize=False`` (the waveform is already scaled).

    Raises ImportError if IPython is not installed (the waveform itself needs only NumPy:
    use :func:`synthesize`).
    """
    try:
        from IPython.display import Audio
    except ImportError:
        raise ImportError("rnncourse.synth.audio needs IPython (pip install ipython, or run it in Jupyter); "
                          "rnncourse.synth.synthesize gives the waveform without it") from None
    wave = synthesize(roll, lowest, step_seconds, sample_rate, **options)
    return Audio(wave, rate=int(sample_rate), normalize=False)
