"""``rnncourse.models.music`` (lesson 14): the next-frame model of piano rolls, its training,
its held-out NLL per step and sampling. Small shapes and local generators throughout."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from rnncourse.baselines import IndependentBernoulli, RepeatPreviousFrame  # noqa: E402
from rnncourse.metrics import bernoulli_nll  # noqa: E402
from rnncourse.models.music import (BOOK_CONFIGS, FULL_CONFIGS, MusicConfig, NextFrameModel,  # noqa: E402
                                    fit_music, nll_per_step, sample)

P = 4
SMALL = MusicConfig(cell="gru", hidden_size=8, steps=5, batch_size=4, seq_len=8, seed=0)


def _random_rolls(n, P=P, low=3, high=12, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.random((int(rng.integers(low, high)), P)) < 0.4).astype(np.float32) for _ in range(n)]


def _cycle_rolls(n, T=32, seed=0):
    """Pieces of a 4-step cycle of chords: pitch p sounds at step t iff (t + p + phase) % 4 < 2,
    with a random phase per piece. Each pitch is on half the time, and on half the time after
    it was on: neither counting baseline can do better than a coin per pitch, but the previous
    frame (a whole chord) fixes the next one."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None]
    p = np.arange(P)[None, :]
    return [(((t + p + int(rng.integers(4))) % 4) < 2).astype(np.float32) for _ in range(n)]


# ----------------------------------------------------------------------------- MusicConfig
def test_music_config_defaults_and_book_configs():
    c = MusicConfig()
    assert (c.cell, c.hidden_size, c.num_layers, c.seed) == ("gru", 64, 1, 0)
    assert set(BOOK_CONFIGS) == set(FULL_CONFIGS) == {"rnn", "gru", "lstm"}
    for cell in BOOK_CONFIGS:
        assert BOOK_CONFIGS[cell].cell == FULL_CONFIGS[cell].cell == cell
        assert FULL_CONFIGS[cell].hidden_size > BOOK_CONFIGS[cell].hidden_size
        assert FULL_CONFIGS[cell].steps > BOOK_CONFIGS[cell].steps


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_music_config_accepts_each_cell(cell):
    assert MusicConfig(cell=cell).cell == cell


@pytest.mark.parametrize("cell", ["LSTM", "tanh", "", None, "transformer"])
def test_music_config_rejects_unknown_cell_naming_it(cell):
    with pytest.raises(ValueError, match="cell must be one of"):
        MusicConfig(cell=cell)


@pytest.mark.parametrize("name", ["hidden_size", "num_layers", "steps", "batch_size", "seq_len"])
@pytest.mark.parametrize("value", [0, -1, 2.0, True, "4", None])
def test_music_config_rejects_non_positive_integer_sizes_naming_the_field(name, value):
    with pytest.raises(ValueError, match=f"^{name} must be a positive integer"):
        MusicConfig(**{name: value})


@pytest.mark.parametrize("name", ["lr", "clip_norm"])
@pytest.mark.parametrize("value", [0, 0.0, -1e-3, float("inf"), float("nan"), True, "0.1", None])
def test_music_config_rejects_bad_positive_numbers_naming_the_field(name, value):
    with pytest.raises(ValueError, match=f"^{name} must be a positive finite number"):
        MusicConfig(**{name: value})


@pytest.mark.parametrize("name", ["lr", "clip_norm"])
def test_music_config_accepts_int_and_float_positive_numbers(name):
    assert getattr(MusicConfig(**{name: 2}), name) == 2
    assert getattr(MusicConfig(**{name: 1e-4}), name) == 1e-4


@pytest.mark.parametrize("value", [-1, 1.0, True, "0", None])
def test_music_config_rejects_bad_seed_naming_it(value):
    with pytest.raises(ValueError, match="^seed must be a non-negative integer"):
        MusicConfig(seed=value)


def test_music_config_accepts_seed_zero_and_is_frozen():
    c = MusicConfig(seed=0)
    with pytest.raises(Exception):
        c.seed = 1  # type: ignore[misc]


def test_music_config_replace_changes_fields_and_validates_again():
    c = MusicConfig()
    d = c.replace(cell="lstm", hidden_size=16)
    assert (d.cell, d.hidden_size) == ("lstm", 16)
    assert (c.cell, c.hidden_size) == ("gru", 64)  # the original is untouched
    assert d.replace() == d and d.replace() is not d
    with pytest.raises(ValueError, match="cell must be one of"):
        c.replace(cell="rnn2")
    with pytest.raises(ValueError, match="^seq_len must be"):
        c.replace(seq_len=0)
    with pytest.raises(TypeError):
        c.replace(hidden=3)


# ----------------------------------------------------------------------------- NextFrameModel
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_next_frame_model_output_shapes_and_state(cell, num_layers):
    H, T, B = 5, 6, 3
    model = NextFrameModel(P, config=SMALL.replace(cell=cell, hidden_size=H, num_layers=num_layers))
    assert model.n_pitches == P
    assert isinstance(model.rnn, {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell])
    x = torch.as_tensor((np.random.default_rng(0).random((T, B, P)) < 0.5).astype(np.float32))
    logits, state = model(x)
    assert logits.shape == (T, B, P) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    states = state if cell == "lstm" else (state,)
    assert len(states) == (2 if cell == "lstm" else 1)
    for s in states:
        assert s.shape == (num_layers, B, H)
    # the state carries on: two halves with the state passed along equal the whole
    first, mid = model(x[:2])
    second, _ = model(x[2:], mid)
    torch.testing.assert_close(torch.cat([first, second]), logits, rtol=1e-5, atol=1e-6)


def test_next_frame_model_accepts_numpy_frames():
    model = NextFrameModel(P, config=SMALL)
    x = np.zeros((3, 2, P))  # float64 is converted to the model's dtype
    logits, _ = model(x)
    assert logits.shape == (3, 2, P) and logits.dtype == torch.float32


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_next_frame_model_is_deterministic_by_seed_and_ignores_global_rng(cell):
    config = SMALL.replace(cell=cell, seed=3)
    torch.manual_seed(0)
    a = NextFrameModel(P, config=config)
    torch.manual_seed(12345)
    torch.rand(7)
    before = torch.random.get_rng_state().clone()
    b = NextFrameModel(P, config=config)
    after = torch.random.get_rng_state()
    assert torch.equal(before, after)  # building a model draws nothing from the global RNG
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = NextFrameModel(P, config=config.replace(seed=4))
    assert any(not torch.equal(sa[k], c.state_dict()[k]) for k in sa)


def test_next_frame_model_weights_lie_within_the_torch_bound():
    H = 9
    model = NextFrameModel(P, config=SMALL.replace(hidden_size=H))
    bound = 1 / math.sqrt(H)
    for p in model.parameters():
        assert p.abs().max() <= bound + 1e-7


@pytest.mark.parametrize("shape", [(3, 2, P + 1), (3, 2, P - 1), (3, P), (P,), (1, 3, 2, P)])
def test_next_frame_model_refuses_wrong_frame_shape_naming_p(shape):
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match=rf"\(T, B, P={P}\)"):
        model(torch.zeros(shape))


@pytest.mark.parametrize("n", [0, -2, 2.0, True, "4", None])
def test_next_frame_model_refuses_bad_n_pitches(n):
    with pytest.raises(ValueError, match="^n_pitches must be a positive integer"):
        NextFrameModel(n, config=SMALL)


# ----------------------------------------------------------------------------- fit_music
@pytest.fixture(scope="module")
def cycle_task():
    """A GRU trained on the 4-step chord cycle, with held-out pieces and both baselines."""
    train = _cycle_rolls(12, seed=1)
    test = _cycle_rolls(6, seed=2)
    config = MusicConfig(cell="gru", hidden_size=16, steps=150, batch_size=16, seq_len=16, lr=1e-2, seed=0)
    model = NextFrameModel(P, config=config)
    before = nll_per_step(model, test)
    history = fit_music(model, train, progress=False)
    return model, history, train, test, before


def test_fit_music_lowers_the_loss_markedly(cycle_task):
    model, history, *_ = cycle_task
    assert len(history) == 150 and len(history.grad_norms) == 150
    assert all(math.isfinite(v) for v in history.losses)
    start = np.mean(history.losses[:5])
    end = np.mean(history.losses[-10:])
    assert start > 2.0  # about 4 ln 2 = 2.77 nats: a coin per pitch
    assert end < 0.1 * start


def test_fit_music_beats_both_counting_baselines_on_held_out_pieces(cycle_task):
    model, _, train, test, before = cycle_task
    after = nll_per_step(model, test)
    independent = IndependentBernoulli().fit(train).nll_per_step(test)
    repeat = RepeatPreviousFrame().fit(train).nll_per_step(test)
    # each pitch is on half the time, and half the time after it was on: a coin per pitch
    assert independent == pytest.approx(P * math.log(2), rel=0.05)
    assert repeat == pytest.approx(P * math.log(2), rel=0.05)
    assert after < 0.1 * min(independent, repeat)
    assert after < 0.25 * before


def test_fit_music_is_deterministic_and_steps_override_the_config():
    rolls = _random_rolls(5, seed=3)
    h1 = fit_music(NextFrameModel(P, config=SMALL), rolls, steps=3, progress=False)
    h2 = fit_music(NextFrameModel(P, config=SMALL), rolls, steps=3, progress=False)
    assert len(h1) == 3
    assert h1.losses == h2.losses
    h3 = fit_music(NextFrameModel(P, config=SMALL.replace(seed=1)), rolls, steps=3, progress=False)
    assert h3.losses != h1.losses


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_fit_music_trains_pieces_shorter_than_seq_len(cell):
    rolls = _random_rolls(3, low=1, high=4, seed=4)  # 1 to 3 steps; crops of seq_len = 8
    assert all(len(r) < SMALL.seq_len for r in rolls)
    model = NextFrameModel(P, config=SMALL.replace(cell=cell))
    history = fit_music(model, rolls, steps=4, progress=False)
    assert len(history) == 4 and all(math.isfinite(v) for v in history.losses)
    assert math.isfinite(nll_per_step(model, rolls))


def test_fit_music_accepts_a_single_frame_piece_and_a_seq_len_of_one():
    model = NextFrameModel(P, config=SMALL.replace(seq_len=1))
    history = fit_music(model, [np.ones((1, P)), np.zeros((5, P))], steps=2, progress=False)
    assert len(history) == 2


@pytest.mark.parametrize("bad", [np.full((4, P), 0.5), np.full((4, P), 2.0), np.full((4, P), -1.0),
                                 np.full((4, P), np.nan)])
def test_fit_music_refuses_non_binary_rolls(bad):
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match=r"^rolls\[1\] must hold only 0 and 1"):
        fit_music(model, [np.zeros((4, P)), bad], steps=1, progress=False)


@pytest.mark.parametrize("shape", [(4, P + 1), (4, P - 1), (4,), (0, P), (2, 4, P)])
def test_fit_music_refuses_wrong_shapes_naming_p(shape):
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match=rf"^rolls\[1\] must be a piano roll \(T, P={P}\)"):
        fit_music(model, [np.zeros((4, P)), np.zeros(shape)], steps=1, progress=False)


def test_fit_music_refuses_an_empty_list():
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match="^rolls holds no pieces"):
        fit_music(model, [], steps=1, progress=False)


# ----------------------------------------------------------------------------- nll_per_step
def _hand_nll(model, rolls):
    """Feed each piece one frame at a time (state passed along), the first from a silent
    frame; sum the BCE over pitches and frames; divide by the frames."""
    total, frames = 0.0, 0
    with torch.no_grad():
        for roll in rolls:
            y = torch.as_tensor(roll, dtype=torch.float32)
            state, prev = None, torch.zeros(1, 1, P)
            for t in range(len(roll)):
                logits, state = model(prev, state)
                total += float(F.binary_cross_entropy_with_logits(logits[0, 0], y[t], reduction="sum"))
                prev = y[t][None, None]
            frames += len(roll)
    return total / frames


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_nll_per_step_equals_a_hand_computation(cell):
    model = NextFrameModel(P, config=SMALL.replace(cell=cell, seed=5))
    rolls = _random_rolls(4, low=1, high=9, seed=6)
    assert len({len(r) for r in rolls}) > 1  # pieces of different lengths: a mean over frames
    assert nll_per_step(model, rolls) == pytest.approx(_hand_nll(model, rolls), rel=1e-5)


def test_nll_per_step_equals_bernoulli_nll_weighted_by_lengths():
    model = NextFrameModel(P, config=SMALL.replace(seed=7))
    rolls = _random_rolls(3, low=2, high=10, seed=8)
    per_piece, lengths = [], []
    with torch.no_grad():
        for roll in rolls:
            previous = np.concatenate([np.zeros((1, P), np.float32), roll[:-1]])  # silence first
            logits, _ = model(torch.as_tensor(previous)[:, None])
            per_piece.append(bernoulli_nll(logits[:, 0].numpy(), roll))
            lengths.append(len(roll))
    expected = np.dot(per_piece, lengths) / np.sum(lengths)
    assert nll_per_step(model, rolls) == pytest.approx(expected, rel=1e-5)
    # a plain mean of the per-piece figures would be another number
    assert np.mean(per_piece) != pytest.approx(expected, rel=1e-5)


def test_nll_per_step_first_frame_is_predicted_from_silence():
    model = NextFrameModel(P, config=SMALL.replace(seed=9))
    roll = np.array([[1, 0, 1, 0]], dtype=np.float32)
    with torch.no_grad():
        logits, _ = model(torch.zeros(1, 1, P))
    expected = float(F.binary_cross_entropy_with_logits(logits[0, 0], torch.as_tensor(roll[0]), reduction="sum"))
    assert nll_per_step(model, [roll]) == pytest.approx(expected, rel=1e-6)


def test_nll_per_step_refuses_bad_rolls():
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match="^rolls holds no pieces"):
        nll_per_step(model, [])
    with pytest.raises(ValueError, match=rf"P={P}"):
        nll_per_step(model, [np.zeros((3, P + 2))])
    with pytest.raises(ValueError, match="only 0 and 1"):
        nll_per_step(model, [np.full((3, P), 0.3)])


# ----------------------------------------------------------------------------- sample
def test_sample_returns_binary_float32_frames():
    model = NextFrameModel(P, config=SMALL)
    opening = _random_rolls(1, low=3, high=4, seed=10)[0]
    out = sample(model, opening, 12, seed=0)
    assert out.shape == (12, P) and out.dtype == np.float32
    assert np.isin(out, (0.0, 1.0)).all()


def test_sample_is_deterministic_by_seed_differs_across_seeds_and_ignores_global_rng():
    model = NextFrameModel(P, config=SMALL)
    opening = np.zeros((2, P), np.float32)
    torch.manual_seed(0)
    a = sample(model, opening, 30, seed=1)
    torch.manual_seed(99)
    state = torch.random.get_rng_state().clone()
    b = sample(model, opening, 30, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())
    np.testing.assert_array_equal(a, b)
    c = sample(model, opening, 30, seed=2)
    assert not np.array_equal(a, c)  # 120 draws near p = 1/2


def test_sample_prefix_does_not_depend_on_n_steps():
    model = NextFrameModel(P, config=SMALL)
    opening = np.ones((1, P), np.float32)
    long = sample(model, opening, 10, seed=3)
    short = sample(model, opening, 4, seed=3)
    np.testing.assert_array_equal(short, long[:4])


@pytest.mark.parametrize("bias, value", [(20.0, 1.0), (-20.0, 0.0)])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_sample_with_saturated_head_bias_is_all_on_or_all_off(cell, bias, value):
    model = NextFrameModel(P, config=SMALL.replace(cell=cell))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.fill_(bias)
    out = sample(model, np.zeros((3, P), np.float32), 25, seed=4)
    np.testing.assert_array_equal(out, np.full((25, P), value, np.float32))


@pytest.mark.parametrize("n_steps", [0, -1, 2.0, True, "3", None])
def test_sample_refuses_bad_n_steps(n_steps):
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match="^n_steps must be a positive integer"):
        sample(model, np.zeros((2, P)), n_steps)


@pytest.mark.parametrize("shape", [(2, P + 1), (2, P - 1), (0, P), (P,)])
def test_sample_refuses_a_wrong_opening_naming_it(shape):
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match=rf"^opening\[0\] must be a piano roll \(T, P={P}\)"):
        sample(model, np.zeros(shape), 3)


def test_sample_refuses_a_non_binary_opening():
    model = NextFrameModel(P, config=SMALL)
    with pytest.raises(ValueError, match="^opening.* must hold only 0 and 1"):
        sample(model, np.full((2, P), 0.5), 3)
