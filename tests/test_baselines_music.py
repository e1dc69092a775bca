"""The counting next-frame baselines of lesson 14: ``IndependentBernoulli`` and
``RepeatPreviousFrame`` in ``rnncourse.baselines``. Golden values on hand-made rolls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnncourse.baselines import IndependentBernoulli, RepeatPreviousFrame
from rnncourse.metrics import bernoulli_nll

# Two pieces, P = 3, N = 5 frames.
R1 = np.array([[1, 0, 0],
               [1, 0, 1],
               [0, 0, 1]], dtype=np.float32)
R2 = np.array([[1, 1, 0],
               [0, 1, 0]], dtype=np.float32)
ROLLS = [R1, R2]

# pitch counts n_p = [3, 2, 2] of N = 5: (n + 1) / (N + 2)
PROBS = np.array([4 / 7, 3 / 7, 3 / 7])
# Previous states, each piece from a silent frame:
#   pitch 0: after 0 -> [1 (R1 t0), 1 (R2 t0)]: 2 of 2;  after 1 -> [1, 0 (R1), 0 (R2)]: 1 of 3
#   pitch 1: after 0 -> [0, 0, 0 (R1), 1 (R2 t0)]: 1 of 4;  after 1 -> [1 (R2 t1)]: 1 of 1
#   pitch 2: after 0 -> [0, 1 (R1), 0, 0 (R2)]: 1 of 4;  after 1 -> [1 (R1 t2)]: 1 of 1
P_ON = np.array([[3 / 4, 2 / 6, 2 / 6],    # previous state 0: (ons + 1) / (count + 2)
                 [2 / 5, 2 / 3, 2 / 3]])   # previous state 1


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _hand_nll(prob_fn, rolls):
    """-sum log p(frame) over all frames and pitches / number of frames, from probabilities."""
    total, frames = 0.0, 0
    for r in rolls:
        prev = np.zeros(r.shape[1])
        for frame in r:
            p = prob_fn(prev)
            total -= np.sum(np.where(frame == 1, np.log(p), np.log(1 - p)))
            prev = frame
        frames += len(r)
    return total / frames


# ----------------------------------------------------------------------------- IndependentBernoulli
def test_independent_bernoulli_golden_probs_with_add_one_smoothing():
    model = IndependentBernoulli().fit(ROLLS)
    assert model.n_pitches == 3
    np.testing.assert_allclose(model.probs, PROBS, rtol=1e-12)


def test_independent_bernoulli_fit_returns_self_and_never_gives_zero_or_one():
    model = IndependentBernoulli()
    assert model.fit([np.zeros((4, 2)), np.ones((2, 2))]) is model
    np.testing.assert_allclose(model.probs, [3 / 8, 3 / 8])
    model.fit([np.zeros((6, 2))])  # a silent pitch: 1 / (N + 2), not 0
    np.testing.assert_allclose(model.probs, [1 / 8, 1 / 8])


def test_independent_bernoulli_logits_shape_and_values():
    model = IndependentBernoulli().fit(ROLLS)
    roll = np.random.default_rng(0).integers(0, 2, (7, 3))
    z = model.logits(roll)
    assert z.shape == (7, 3)
    np.testing.assert_allclose(_sigmoid(z), np.broadcast_to(PROBS, (7, 3)), rtol=1e-12)
    z[0, 0] = 99.0  # the returned array is a copy, writable, not tied to the model
    np.testing.assert_allclose(model.probs, PROBS)


def test_independent_bernoulli_nll_per_step_equals_a_hand_computation():
    model = IndependentBernoulli().fit(ROLLS)
    test = [np.array([[0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]), np.array([[0, 0, 1]])]
    expected = _hand_nll(lambda prev: PROBS, test)
    assert model.nll_per_step(test) == pytest.approx(expected, rel=1e-12)
    # first frame of the training roll R2 = [1, 1, 0]: -log(4/7) - log(3/7) - log(4/7)
    one = -2 * math.log(4 / 7) - math.log(3 / 7)
    assert model.nll_per_step([R2[:1]]) == pytest.approx(one, rel=1e-12)


# ----------------------------------------------------------------------------- RepeatPreviousFrame
def test_repeat_previous_frame_golden_transition_probs_with_silent_start():
    model = RepeatPreviousFrame().fit(ROLLS)
    assert model.n_pitches == 3 and model.p_on.shape == (2, 3)
    np.testing.assert_allclose(model.p_on, P_ON, rtol=1e-12)


def test_repeat_previous_frame_counts_the_silent_start_of_every_piece():
    # one frame, all on: its only transition is silence -> on, for every pitch
    model = RepeatPreviousFrame().fit([np.ones((1, 2)), np.ones((1, 2))])
    np.testing.assert_allclose(model.p_on, [[3 / 4, 3 / 4], [1 / 2, 1 / 2]])
    # no transition crosses from the end of one piece to the start of the next
    a = RepeatPreviousFrame().fit([np.ones((2, 1)), np.ones((2, 1))])
    b = RepeatPreviousFrame().fit([np.ones((4, 1))])
    np.testing.assert_allclose(a.p_on, [[3 / 4], [3 / 4]])
    np.testing.assert_allclose(b.p_on, [[2 / 3], [4 / 5]])


def test_repeat_previous_frame_logits_shape_and_values():
    model = RepeatPreviousFrame().fit(ROLLS)
    roll = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    z = model.logits(roll)
    assert z.shape == (4, 3)
    prev = np.concatenate([np.zeros((1, 3)), roll[:-1]]).astype(int)
    expected = P_ON[prev, np.arange(3)]
    np.testing.assert_allclose(_sigmoid(z), expected, rtol=1e-12)


def test_repeat_previous_frame_nll_per_step_equals_a_hand_computation():
    model = RepeatPreviousFrame().fit(ROLLS)
    test = [np.array([[0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]), np.array([[1, 1, 0], [1, 1, 0]])]
    expected = _hand_nll(lambda prev: P_ON[prev.astype(int), np.arange(3)], test)
    assert model.nll_per_step(test) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("Model", [IndependentBernoulli, RepeatPreviousFrame])
def test_nll_per_step_equals_bernoulli_nll_weighted_by_lengths(Model):
    rng = np.random.default_rng(1)
    train = [(rng.random((n, 4)) < 0.3).astype(np.float32) for n in (9, 5, 12)]
    test = [(rng.random((n, 4)) < 0.3).astype(np.float32) for n in (1, 6, 11)]
    model = Model().fit(train)
    per_piece = [bernoulli_nll(model.logits(r), r) for r in test]
    lengths = [len(r) for r in test]
    assert model.nll_per_step(test) == pytest.approx(np.dot(per_piece, lengths) / sum(lengths), rel=1e-12)


# ----------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("Model", [IndependentBernoulli, RepeatPreviousFrame])
@pytest.mark.parametrize("value", [0.5, 2.0, -1.0, np.nan])
def test_fit_refuses_non_binary_rolls_naming_them(Model, value):
    bad = np.zeros((3, 2))
    bad[1, 1] = value
    with pytest.raises(ValueError, match=r"^rolls\[1\] must hold only 0 and 1"):
        Model().fit([np.zeros((2, 2)), bad])


@pytest.mark.parametrize("Model", [IndependentBernoulli, RepeatPreviousFrame])
@pytest.mark.parametrize("shape", [(3, 3), (3, 1), (3,), (0, 2), (1, 3, 2)])
def test_fit_refuses_a_piece_of_another_shape_naming_p(Model, shape):
    with pytest.raises(ValueError, match=r"^rolls\[1\] must be a piano roll \(T, P=2\)"):
        Model().fit([np.zeros((2, 2)), np.zeros(shape)])


@pytest.mark.parametrize("Model", [IndependentBernoulli, RepeatPreviousFrame])
def test_fit_refuses_an_empty_list(Model):
    with pytest.raises(ValueError, match="^rolls holds no pieces"):
        Model().fit([])


@pytest.mark.parametrize("Model", [IndependentBernoulli, RepeatPreviousFrame])
def test_logits_and_nll_refuse_wrong_p_and_non_binary_frames(Model):
    model = Model().fit(ROLLS)
    with pytest.raises(ValueError, match=r"roll.* must be a piano roll \(T, P=3\)"):
        model.logits(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="roll.* must hold only 0 and 1"):
        model.logits(np.full((4, 3), 0.5))
    with pytest.raises(ValueError, match=r"^rolls\[0\] must be a piano roll \(T, P=3\)"):
        model.nll_per_step([np.zeros((4, 4))])
    with pytest.raises(ValueError, match=r"^rolls\[0\] must hold only 0 and 1"):
        model.nll_per_step([np.full((4, 3), 3.0)])
    with pytest.raises(ValueError, match="^rolls holds no pieces"):
        model.nll_per_step([])


# ----------------------------------------------------------------------------- behaviour
def _held_notes(n_pieces, T=128, P=6, seed=0):
    """Each pitch holds its state for 16 to 48 steps before it may change: long held notes."""
    rng = np.random.default_rng(seed)
    rolls = []
    for _ in range(n_pieces):
        roll = np.zeros((T, P), np.float32)
        for p in range(P):
            t, on = 0, bool(rng.integers(2))
            while t < T:
                d = int(rng.integers(16, 49))
                roll[t:t + d, p] = on
                t, on = t + d, not on
        rolls.append(roll)
    return rolls


def test_repeat_previous_frame_beats_independent_bernoulli_on_held_notes():
    train, test = _held_notes(8, seed=1), _held_notes(4, seed=2)
    independent = IndependentBernoulli().fit(train).nll_per_step(test)
    repeat = RepeatPreviousFrame().fit(train).nll_per_step(test)
    assert independent > 0.9 * 6 * math.log(2)  # about half on: close to a coin per pitch
    assert repeat < 0.3 * independent
    # and on a random roll, where the past says nothing, neither beats the other by much
    rng = np.random.default_rng(3)
    noise_train = [(rng.random((64, 6)) < 0.5).astype(np.float32) for _ in range(8)]
    noise_test = [(rng.random((64, 6)) < 0.5).astype(np.float32) for _ in range(4)]
    a = IndependentBernoulli().fit(noise_train).nll_per_step(noise_test)
    b = RepeatPreviousFrame().fit(noise_train).nll_per_step(noise_test)
    assert a == pytest.approx(b, rel=0.05)


@pytest.mark.parametrize("baseline", [IndependentBernoulli, RepeatPreviousFrame])
def test_frame_baselines_refuse_to_score_before_fit(baseline):
    roll = np.zeros((3, 2))
    with pytest.raises(ValueError, match="not fitted yet"):
        baseline().logits(roll)
    with pytest.raises(ValueError, match="not fitted yet"):
        baseline().nll_per_step([roll])
