"""rnncourse.synth: a piano roll to a waveform (length, range, pitch, held notes, rests,
aliasing, speed), the IPython player, and the errors that name their argument."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from rnncourse import synth
from rnncourse.synth import midi_to_hz, synthesize

SR = 8000


def _roll(T, P, notes):
    """notes: (column, first step, number of steps)."""
    roll = np.zeros((T, P), dtype=np.float32)
    for p, t0, n in notes:
        roll[t0:t0 + n, p] = 1
    return roll


def _chorale(T=64, seed=0):
    """Four voices, each changing pitch every 1 to 4 steps, in a range of 46 pitches."""
    rng = np.random.default_rng(seed)
    roll = np.zeros((T, 46), dtype=np.float32)
    for v in range(4):
        t = 0
        while t < T:
            d = int(rng.integers(1, 5))
            roll[t:t + d, int(rng.integers(v * 10, v * 10 + 12))] = 1
            t += d
    return roll


def _peak_hz(wave, sr=SR):
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return np.fft.rfftfreq(len(wave), 1 / sr)[np.argmax(spectrum)], sr / len(wave)


# ============================================================================= shape, range, silence
@pytest.mark.parametrize(("T", "step", "sr"), [(64, 0.25, 8000), (7, 0.1, 11025), (1, 0.3, 1000), (5, 0.125, 8000)])
def test_length_dtype_range_and_peak(T, step, sr):
    wave = synthesize(_chorale(T, seed=T), 24, step_seconds=step, sample_rate=sr)  # below 500 Hz
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert len(wave) == round(T * step * sr)  # no release tail
    assert np.abs(wave).max() <= 1.0
    assert np.isclose(np.abs(wave).max(), 0.9, atol=1e-6)


def test_frequency_of_midi_pitch():
    assert midi_to_hz(69) == 440.0 and np.isclose(midi_to_hz(60), 261.6256, atol=1e-4)
    assert np.allclose(midi_to_hz([57, 81]), [220.0, 880.0])


@pytest.mark.parametrize("shape", [(16, 46), (1, 3), (0, 5), (4, 0)])
def test_silence_stays_silence(shape):
    with np.errstate(all="raise"):  # no division by a zero peak
        wave = synthesize(np.zeros(shape), 36)
    assert wave.dtype == np.float32 and len(wave) == round(shape[0] * 0.25 * SR)
    assert not wave.any()


def test_accepts_bool_and_int_rolls_and_lists():
    roll = _roll(4, 5, [(2, 0, 3)])
    expected = synthesize(roll, 60)
    assert np.array_equal(synthesize(roll.astype(bool), 60), expected)
    assert np.array_equal(synthesize(roll.astype(int).tolist(), 60), expected)


def test_gain_scales_the_sum_and_clips():
    roll = _roll(4, 13, [(0, 0, 4), (4, 0, 4), (7, 0, 4)])
    quiet = synthesize(roll, 60, gain=0.1)
    loud = synthesize(roll, 60, gain=10.0)
    assert 0 < np.abs(quiet).max() < 0.9 and np.abs(loud).max() == 1.0
    one = synthesize(_roll(4, 13, [(0, 0, 4)]), 60, gain=0.1)
    assert np.abs(one).max() < np.abs(quiet).max()  # unlike normalisation, gain keeps the loudness


# ============================================================================= pitch
@pytest.mark.parametrize("midi", [69, 36, 60, 84])
def test_dominant_frequency_is_the_pitch(midi):
    wave = synthesize(_roll(8, 1, [(0, 0, 8)]), midi)  # 2 s: bins of 0.5 Hz
    peak, bin_hz = _peak_hz(wave)
    assert abs(peak - midi_to_hz(midi)) <= bin_hz
    if midi == 69:
        assert abs(peak - 440.0) <= bin_hz


def test_column_is_lowest_plus_p():
    wave = synthesize(_roll(8, 20, [(9, 0, 8)]), 60)  # column 9 of a roll starting at C4 is A4
    assert abs(_peak_hz(wave)[0] - 440.0) <= _peak_hz(wave)[1]


def test_partials_above_nyquist_are_dropped():
    midi = 102  # 2960 Hz: the 2nd partial, 5920 Hz, is above 4000 Hz and would alias to 2080 Hz
    f = float(midi_to_hz(midi))
    wave = synthesize(_roll(8, 1, [(0, 0, 8)]), midi, harmonics=(1.0, 1.0))
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    freqs = np.fft.rfftfreq(len(wave), 1 / SR)
    near = lambda hz: spectrum[np.abs(freqs - hz) < 20].max()  # noqa: E731
    assert near(f) > 0.5 * spectrum.max()
    assert near(SR - 2 * f) < 1e-3 * spectrum.max()
    # below Nyquist the 2nd partial is there, as strong as asked
    low = synthesize(_roll(8, 1, [(0, 0, 8)]), 69, harmonics=(1.0, 1.0))
    s = np.abs(np.fft.rfft(low * np.hanning(len(low))))
    assert np.isclose(s[np.abs(freqs - 880) < 20].max() / s[np.abs(freqs - 440) < 20].max(), 1.0, rtol=0.05)


def test_note_with_every_partial_above_nyquist_is_silent_with_a_warning():
    with pytest.warns(UserWarning, match="Nyquist"):
        wave = synthesize(_roll(4, 1, [(0, 0, 4)]), 120, sample_rate=8000)  # 8372 Hz
    assert not wave.any()


# ============================================================================= notes, envelopes, rests
def _envelope(wave, width):
    """The running maximum of |wave| over windows of ``width`` samples."""
    return np.lib.stride_tricks.sliding_window_view(np.abs(wave), width).max(axis=1)


def test_held_note_is_one_tone_without_dips_at_the_step_boundaries():
    step = int(0.25 * SR)  # 2000 samples
    wave = synthesize(_roll(6, 1, [(0, 1, 4)]), 69, harmonics=(1.0,))  # steps 1..4
    env = _envelope(wave, 40)  # 40 samples = 5 ms, more than a period of 440 Hz
    for boundary in (2, 3, 4):
        around = env[boundary * step - 100:boundary * step + 60]
        assert around.min() > 0.89, boundary  # full amplitude across the boundary: not re-struck
    assert not wave[:step].any() and not wave[5 * step:].any()
    assert wave[step] == 0.0 and abs(wave[step + 1]) < 0.02  # a linear attack, no click
    tau = np.arange(4 * step) / SR  # one phase-continuous sine from the onset
    sustained = slice(int(0.02 * SR), int(0.9 * SR))
    assert np.allclose(wave[step:5 * step][sustained], 0.9 * np.sin(2 * np.pi * 440 * tau[sustained]), atol=1e-5)


def test_restruck_notes_are_two_notes_with_silence_in_the_rest():
    step = int(0.25 * SR)
    wave = synthesize(_roll(5, 1, [(0, 0, 2), (0, 3, 2)]), 69)  # a rest at step 2
    assert not wave[2 * step:3 * step].any()
    assert np.abs(wave[:2 * step]).max() > 0.5 and np.abs(wave[3 * step:]).max() > 0.5
    assert wave[2 * step - 1] == 0.0 and wave[3 * step] == 0.0  # the release ends inside the note


def test_no_clicks_at_note_edges():
    wave = synthesize(_chorale(16), 36)
    assert wave[0] == 0.0 and wave[-1] == 0.0
    # the largest jump between samples stays that of the highest partial at full level
    highest = float(midi_to_hz(36 + 45)) * 3
    assert np.abs(np.diff(wave)).max() <= 0.9 * 2 * np.pi * highest / SR * 1.75


def test_short_notes_fit_their_attack_and_release():
    wave = synthesize(_roll(3, 1, [(0, 0, 1), (0, 2, 1)]), 69, step_seconds=0.005)  # 40 samples a note
    assert np.isclose(np.abs(wave).max(), 0.9)
    assert wave[0] == 0.0 and wave[39] == 0.0 and not wave[40:80].any()


def test_decay_makes_the_tone_fade():
    wave = synthesize(_roll(8, 1, [(0, 0, 8)]), 69, decay=2.0)
    env = _envelope(wave, 40)
    assert env[1000] > 0.5 and env[12000] < 0.1 * env[1000]


def test_speed_of_a_64_step_four_voice_roll():
    roll = _chorale(64)
    synthesize(roll, 36)
    best = min(_timed(lambda: synthesize(roll, 36)) for _ in range(5))
    assert best < 0.5


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ============================================================================= the player
def test_audio_returns_an_ipython_player_with_a_wav():
    pytest.importorskip("IPython")
    from IPython.display import Audio

    player = synth.audio(_roll(4, 13, [(0, 0, 2), (4, 2, 2)]), 60, step_seconds=0.25, sample_rate=8000)
    assert isinstance(player, Audio)
    assert player.data[:4] == b"RIFF" and player.data[8:12] == b"WAVE"
    assert abs(len(player.data) - 44 - 2 * 8000 * 1.0) <= 2  # 16-bit mono: 2 bytes a sample


def test_audio_without_ipython_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    with pytest.raises(ImportError, match="needs IPython"):
        synth.audio(np.zeros((2, 3)), 60)


def test_importing_synth_does_not_import_ipython():
    import subprocess

    code = "import sys, rnncourse.synth; print('IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ============================================================================= errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(roll=np.zeros(5)), "roll must be 2-D"),
        (dict(roll=np.zeros((2, 3, 4))), "roll must be 2-D"),
        (dict(roll=np.full((2, 3), 0.5)), "roll must be binary"),
        (dict(roll=np.array([[0, 2]])), "roll must be binary"),
        (dict(roll=np.array([[np.nan, 1]])), "roll must be binary"),
        (dict(roll="abc"), "roll must be"),
        (dict(roll=[[0, 1], [1]]), "roll must be"),
        (dict(lowest=126), "lowest=126 puts column 2, which has notes, at MIDI pitch 128"),
        (dict(lowest=-1), "lowest=-1 puts column 0"),
        (dict(lowest=60.0), "lowest must be an int"),
        (dict(lowest=True), "lowest must be an int"),
        (dict(step_seconds=0), "step_seconds must be > 0"),
        (dict(step_seconds=-0.25), "step_seconds must be > 0"),
        (dict(step_seconds=float("nan")), "step_seconds must be a finite number"),
        (dict(sample_rate=999), "sample_rate must be a whole number of Hz >= 1000"),
        (dict(sample_rate=8000.5), "sample_rate"),
        (dict(sample_rate="8000"), "sample_rate"),
        (dict(harmonics=()), "harmonics must be"),
        (dict(harmonics=(1.0, -0.5)), "harmonics must be"),
        (dict(harmonics=(0.0, 0.0)), "harmonics must be"),
        (dict(harmonics=((1.0, 0.5),)), "harmonics must be"),
        (dict(harmonics=(1.0, float("inf"))), "harmonics must be"),
        (dict(harmonics="loud"), "harmonics must be"),
        (dict(attack=-0.01), "attack must be >= 0"),
        (dict(release=float("inf")), "release must be a finite number"),
        (dict(decay=-1.0), "decay must be >= 0"),
        (dict(gain=0.0), "gain must be > 0"),
    ],
)
def test_errors_name_the_argument(kwargs, match):
    args = dict(roll=_roll(2, 3, [(2, 0, 1), (0, 1, 1)]), lowest=60)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        synthesize(**args)


def test_lowest_is_checked_only_for_the_columns_with_notes():
    roll = _roll(2, 128, [(0, 0, 2), (5, 0, 1)])
    assert synthesize(roll, 100).any()  # columns 28..127 would be above 127, but are empty
    with pytest.raises(ValueError, match="column 28"):
        synthesize(_roll(2, 128, [(28, 0, 1)]), 100)
