"""rnncourse.gates: gate activations over a sequence and state gradients through time."""

import numpy as np
import pytest

from rnncourse.gates import (
    gru_gates,
    gru_state_gradients,
    lstm_gates,
    lstm_state_gradients,
    rnn_state_gradients,
)
from rnncourse.numpy import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    numerical_gradient,
    rel_error,
    rnn_backward,
    rnn_forward,
)

SHAPES = [(1, 1, 1, 1), (5, 3, 4, 2), (6, 2, 2, 5)]  # (T, B, D, H): T=1, B=1, H=1, D != H


def _weights(rng, G, D, H, scale=0.5):
    return (scale * rng.standard_normal((G * H, D)), scale * rng.standard_normal((G * H, H)),
            0.1 * rng.standard_normal(G * H), 0.1 * rng.standard_normal(G * H))


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_gates_reproduce_states_of_lstm_forward(T, B, D, H):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, D))
    W_xh, W_hh, b, _ = _weights(rng, 4, D, H)
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    gates = lstm_gates(x, W_xh, W_hh, b, h0, c0)
    h, (h_n, c_n), _ = lstm_forward(x, h0, c0, W_xh, W_hh, b)
    assert set(gates) == {"i", "f", "g", "o", "c", "h"}
    assert all(v.shape == (T, B, H) for v in gates.values())
    np.testing.assert_allclose(gates["o"] * np.tanh(gates["c"]), h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gates["c"][-1], c_n, rtol=0, atol=1e-12)
    for name in "ifo":
        assert np.all((gates[name] > 0) & (gates[name] < 1))
    assert np.all(np.abs(gates["g"]) < 1)


def test_lstm_gates_golden_value_of_one_unit():
    # One unit, one input, weights chosen by hand: every pre-activation is known.
    x = np.array([[[1.0]], [[0.0]]])  # (T=2, B=1, D=1)
    W_xh = np.array([[1.0], [0.0], [2.0], [0.0]])  # i, f, g, o
    W_hh = np.zeros((4, 1))
    b = np.array([0.0, 3.0, 0.0, -1.0])
    gates = lstm_gates(x, W_xh, W_hh, b)
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    c1 = sig(1.0) * np.tanh(2.0)
    np.testing.assert_allclose(gates["i"][:, 0, 0], [sig(1.0), 0.5])
    np.testing.assert_allclose(gates["f"][:, 0, 0], [sig(3.0), sig(3.0)])
    np.testing.assert_allclose(gates["c"][:, 0, 0], [c1, sig(3.0) * c1 + 0.5 * 0.0])
    np.testing.assert_allclose(gates["h"][:, 0, 0], sig(-1.0) * np.tanh(gates["c"][:, 0, 0]))


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_gru_gates_reproduce_states_of_gru_forward(T, B, D, H, reset_after):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, B, D))
    W_xh, W_hh, b_xh, b_hh = _weights(rng, 3, D, H)
    h0 = rng.standard_normal((B, H))
    gates = gru_gates(x, W_xh, W_hh, b_xh, b_hh, h0, reset_after=reset_after)
    h, _, _ = gru_forward(x, h0, W_xh, W_hh, b_xh, b_hh, reset_after=reset_after)
    h_prev = np.concatenate([h0[None], h[:-1]])
    np.testing.assert_allclose((1 - gates["z"]) * gates["n"] + gates["z"] * h_prev, h,
                               rtol=0, atol=1e-12)
    for name in "rz":
        assert np.all((gates[name] > 0) & (gates[name] < 1))


def test_gru_gates_reset_placement_changes_the_candidate():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2, 3))
    W_xh, W_hh, b_xh, b_hh = _weights(rng, 3, 3, 4, scale=1.0)
    after = gru_gates(x, W_xh, W_hh, b_xh, b_hh, reset_after=True)
    before = gru_gates(x, W_xh, W_hh, b_xh, b_hh, reset_after=False)
    assert np.abs(after["n"] - before["n"]).max() > 1e-3


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_rnn_state_gradients_match_bptt_on_every_suffix(T, B, D, H):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, B, D))
    W_xh, W_hh, b, _ = _weights(rng, 1, D, H)
    h0, dh_n = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    dh = rnn_state_gradients(x, h0, W_xh, W_hh, b, dh_n)
    assert dh.shape == (T + 1, B, H)
    h, _, _ = rnn_forward(x, h0, W_xh, W_hh, b)
    states = np.concatenate([h0[None], h])  # (T+1, B, H)
    for t in range(T):
        # dL/dh_t is dh0 of the backward pass over the rest of the sequence, started from h_t.
        _, _, cache = rnn_forward(x[t:], states[t], W_xh, W_hh, b)
        dh0 = rnn_backward(None, cache, dh_n=dh_n)[1]
        np.testing.assert_allclose(dh[t], dh0, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(dh[T], dh_n)


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_state_gradients_match_bptt_on_every_suffix(T, B, D, H):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((T, B, D))
    W_xh, W_hh, b, _ = _weights(rng, 4, D, H)
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    dh_n, dc_n = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    dh, dc = lstm_state_gradients(x, h0, c0, W_xh, W_hh, b, dh_n, dc_n)
    gates = lstm_gates(x, W_xh, W_hh, b, h0, c0)
    hs = np.concatenate([h0[None], gates["h"]])
    cs = np.concatenate([c0[None], gates["c"]])
    for t in range(T):
        _, _, cache = lstm_forward(x[t:], hs[t], cs[t], W_xh, W_hh, b)
        _, dh0, dc0, *_ = lstm_backward(None, cache, dh_n=dh_n, dc_n=dc_n)
        np.testing.assert_allclose(dh[t], dh0, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dc[t], dc0, rtol=1e-10, atol=1e-12)


def test_lstm_state_gradients_agree_with_numerical_gradient_of_h0_and_c0():
    rng = np.random.default_rng(5)
    T, B, D, H = 4, 2, 3, 3
    x = rng.standard_normal((T, B, D))
    W_xh, W_hh, b, _ = _weights(rng, 4, D, H)
    h0, c0, R = rng.standard_normal((B, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def loss():
        _, (h_n, _), _ = lstm_forward(x, h0, c0, W_xh, W_hh, b)
        return float(np.sum(R * h_n))

    dh, dc = lstm_state_gradients(x, h0, c0, W_xh, W_hh, b, dh_n=R)
    assert rel_error(dh[0], numerical_gradient(loss, h0)) < 1e-7
    assert rel_error(dc[0], numerical_gradient(loss, c0)) < 1e-7


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_gru_state_gradients_match_bptt_on_every_suffix(T, B, D, H, reset_after):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((T, B, D))
    W_xh, W_hh, b_xh, b_hh = _weights(rng, 3, D, H)
    h0, dh_n = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    dh = gru_state_gradients(x, h0, W_xh, W_hh, b_xh, b_hh, dh_n, reset_after=reset_after)
    h, _, _ = gru_forward(x, h0, W_xh, W_hh, b_xh, b_hh, reset_after=reset_after)
    states = np.concatenate([h0[None], h])
    for t in range(T):
        _, _, cache = gru_forward(x[t:], states[t], W_xh, W_hh, b_xh, b_hh, reset_after=reset_after)
        dh0 = gru_backward(None, cache, dh_n=dh_n)[1]
        np.testing.assert_allclose(dh[t], dh0, rtol=1e-10, atol=1e-12)


def test_gates_reject_bad_shapes_and_dtypes():
    rng = np.random.default_rng(7)
    W_xh, W_hh, b, _ = _weights(rng, 4, 3, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\)"):
        lstm_gates(np.zeros((4, 3)), W_xh, W_hh, b)
    with pytest.raises(TypeError, match="floating-point"):
        lstm_gates(np.zeros((4, 1, 3), dtype=int), W_xh, W_hh, b)
    with pytest.raises(ValueError, match=r"W_xh of the LSTM must have shape \(8, 5\)"):
        lstm_gates(np.zeros((4, 1, 5)), W_xh, W_hh, b)
    with pytest.raises(ValueError, match=r"W_hh of the GRU must have shape \(3\*H, H\)"):
        gru_gates(np.zeros((4, 1, 3)), W_xh, W_hh)
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) = \(1, 2\)"):
        lstm_gates(np.zeros((4, 1, 3)), W_xh, W_hh, b, h0=np.zeros((2, 2)))
    with pytest.raises(TypeError, match="dh_n must be an array"):
        lstm_state_gradients(np.zeros((4, 1, 3)), None, None, W_xh, W_hh, b, dh_n=None)
    with pytest.raises(ValueError, match=r"dh_n must have shape \(B, H\) = \(1, 2\)"):
        lstm_state_gradients(np.zeros((4, 1, 3)), None, None, W_xh, W_hh, b, dh_n=np.zeros(2))
