"""Step and sequence functions of rnncourse.numpy: golden values, gradient checks, fast path."""

import numpy as np
import pytest

import rnncourse.numpy as rn
from rnncourse.numpy import gradcheck

TOL = 1e-7  # float64 central differences of a correct gradient give ~1e-9


# --------------------------------------------------------------------------------------------
# golden values, computed by hand (H = D = B = 1, every weight 0.5)
# --------------------------------------------------------------------------------------------
def test_rnn_step_forward_golden_values():
    # h1 = tanh(0.5*1 + 0.5*0 + 0) = tanh(0.5) = 0.46211715726000974
    # h2 = tanh(0.5*1 + 0.5*h1)    = tanh(0.73105857863)  = 0.6237125498258757
    W = np.array([[0.5]])
    x = np.array([[1.0]])
    h1, _ = rn.rnn_step_forward(x, np.zeros((1, 1)), W, W, np.zeros(1))
    h2, _ = rn.rnn_step_forward(x, h1, W, W, None)
    np.testing.assert_allclose(h1, [[0.46211715726000974]], rtol=1e-15)
    np.testing.assert_allclose(h2, [[0.6237125498258757]], rtol=1e-15)
    # the sequence function gives the same two states
    h, h_n, _ = rn.rnn_forward(np.ones((2, 1, 1)), None, W, W, None)
    np.testing.assert_allclose(h[:, 0, 0], [0.46211715726000974, 0.6237125498258757], rtol=1e-15)
    np.testing.assert_allclose(h_n, h[-1])


def test_rnn_step_forward_relu_golden_value():
    # relu(0.5*1 + 0.5*0.5 + 0) = 0.75 ; with x = -4: relu(-2 + 0.25) = 0
    W = np.array([[0.5]])
    h, _ = rn.rnn_step_forward(np.array([[1.0], [-4.0]]), np.full((2, 1), 0.5), W, W, None, nonlinearity="relu")
    np.testing.assert_array_equal(h, [[0.75], [0.0]])


def test_rnn_step_backward_golden_values():
    # h = tanh(a), a = 0.5, dL/dh = 1: delta = 1 - tanh(0.5)^2 = 0.7864477329659274
    # dx = 0.5 delta, dh_prev = 0.5 delta, dW_xh = delta * x = delta, dW_hh = delta * h_prev = 0
    W = np.array([[0.5]])
    _, cache = rn.rnn_step_forward(np.ones((1, 1)), np.zeros((1, 1)), W, W, np.zeros(1))
    dx, dh_prev, dW_xh, dW_hh, db_h = rn.rnn_step_backward(np.ones((1, 1)), cache)
    delta = 0.7864477329659274
    np.testing.assert_allclose([dx[0, 0], dh_prev[0, 0], dW_xh[0, 0], dW_hh[0, 0], db_h[0]],
                               [0.5 * delta, 0.5 * delta, delta, 0.0, delta], rtol=1e-15, atol=0)


def test_lstm_step_forward_golden_values():
    # every pre-activation is 0.5*1 + 0.5*0 = 0.5, so
    # i = f = o = sigmoid(0.5) = 0.6224593312018546, g = tanh(0.5) = 0.46211715726000974
    # c = f*0 + i*g = 0.28764913664496794, h = o*tanh(c) = 0.17426971865610508
    W_xh, W_hh = np.full((4, 1), 0.5), np.full((4, 1), 0.5)
    h, c, _ = rn.lstm_step_forward(np.ones((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), W_xh, W_hh, np.zeros(4))
    np.testing.assert_allclose(c, [[0.28764913664496794]], rtol=1e-15)
    np.testing.assert_allclose(h, [[0.17426971865610508]], rtol=1e-15)


@pytest.mark.parametrize("reset_after, n, h", [
    # x = h_prev = 1, weights 0.5, b_xh = 0, b_hh = (0, 0, 0.5): r = z = sigmoid(1) = 0.7310585786300049
    # reset_after=True:  n = tanh(0.5 + r*(0.5*1 + 0.5)) = tanh(0.5 + r)     = 0.8428861033202313
    # reset_after=False: n = tanh(0.5 + 0.5*(r*1) + 0.5) = tanh(1 + 0.5 r)   = 0.877669306801747
    # h = (1 - z) n + z * 1
    (True, 0.8428861033202313, 0.9577455653099645),
    (False, 0.877669306801747, 0.967100209494085),
])
def test_gru_step_forward_golden_values(reset_after, n, h):
    W_xh, W_hh = np.full((3, 1), 0.5), np.full((3, 1), 0.5)
    b_hh = np.array([0.0, 0.0, 0.5])
    h_next, cache = rn.gru_step_forward(np.ones((1, 1)), np.ones((1, 1)), W_xh, W_hh, np.zeros(3), b_hh,
                                        reset_after=reset_after)
    np.testing.assert_allclose(h_next, [[h]], rtol=1e-15)
    np.testing.assert_allclose(cache[4], [[n]], rtol=1e-15)  # the candidate n


# --------------------------------------------------------------------------------------------
# gradient checks of the step functions
# --------------------------------------------------------------------------------------------
SHAPES = [(1, 1, 1), (2, 3, 4), (3, 1, 2), (1, 4, 3)]  # (B, D, H), including B=1, H=1, D != H


def _assert_small(errors):
    bad = {k: v for k, v in errors.items() if not v < TOL}
    assert not bad, f"relative errors too large: {bad}"


@pytest.mark.parametrize("B, D, H", SHAPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_step_backward_gradcheck(B, D, H, nonlinearity, bias):
    rng = np.random.default_rng(B * 100 + D * 10 + H)
    p = {"x": rng.normal(size=(B, D)), "h_prev": rng.normal(size=(B, H)),
         "W_xh": rng.normal(size=(H, D)), "W_hh": rng.normal(size=(H, H)), "b_h": rng.normal(size=H)}
    w = rng.normal(size=(B, H))  # L = sum(w * h_next)
    b = p["b_h"] if bias else None

    def loss():
        return np.sum(w * rn.rnn_step_forward(p["x"], p["h_prev"], p["W_xh"], p["W_hh"], p["b_h"] if bias else None,
                                              nonlinearity)[0])

    _, cache = rn.rnn_step_forward(p["x"], p["h_prev"], p["W_xh"], p["W_hh"], b, nonlinearity)
    dx, dh_prev, dW_xh, dW_hh, db_h = rn.rnn_step_backward(w, cache)
    grads = {"x": dx, "h_prev": dh_prev, "W_xh": dW_xh, "W_hh": dW_hh}
    if bias:
        grads["b_h"] = db_h
    else:
        assert db_h is None
    _assert_small(gradcheck(loss, p, grads))


@pytest.mark.parametrize("B, D, H", SHAPES)
def test_lstm_step_backward_gradcheck(B, D, H):
    rng = np.random.default_rng(B * 100 + D * 10 + H)
    p = {"x": rng.normal(size=(B, D)), "h_prev": rng.normal(size=(B, H)), "c_prev": rng.normal(size=(B, H)),
         "W_xh": rng.normal(size=(4 * H, D)), "W_hh": rng.normal(size=(4 * H, H)), "b_h": rng.normal(size=4 * H)}
    wh, wc = rng.normal(size=(B, H)), rng.normal(size=(B, H))

    def loss():
        h, c, _ = rn.lstm_step_forward(p["x"], p["h_prev"], p["c_prev"], p["W_xh"], p["W_hh"], p["b_h"])
        return np.sum(wh * h) + np.sum(wc * c)

    _, _, cache = rn.lstm_step_forward(p["x"], p["h_prev"], p["c_prev"], p["W_xh"], p["W_hh"], p["b_h"])
    names = ["x", "h_prev", "c_prev", "W_xh", "W_hh", "b_h"]
    grads = dict(zip(names, rn.lstm_step_backward(wh, wc, cache)))
    _assert_small(gradcheck(loss, p, grads))


@pytest.mark.parametrize("B, D, H", SHAPES)
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_step_backward_gradcheck(B, D, H, reset_after):
    rng = np.random.default_rng(B * 100 + D * 10 + H)
    p = {"x": rng.normal(size=(B, D)), "h_prev": rng.normal(size=(B, H)),
         "W_xh": rng.normal(size=(3 * H, D)), "W_hh": rng.normal(size=(3 * H, H)),
         "b_xh": rng.normal(size=3 * H), "b_hh": rng.normal(size=3 * H)}
    w = rng.normal(size=(B, H))
    args = lambda: (p["x"], p["h_prev"], p["W_xh"], p["W_hh"], p["b_xh"], p["b_hh"], reset_after)  # noqa: E731

    def loss():
        return np.sum(w * rn.gru_step_forward(*args())[0])

    _, cache = rn.gru_step_forward(*args())
    grads = dict(zip(["x", "h_prev", "W_xh", "W_hh", "b_xh", "b_hh"], rn.gru_step_backward(w, cache)))
    _assert_small(gradcheck(loss, p, grads))


def test_gru_step_backward_without_bias_returns_none():
    rng = np.random.default_rng(0)
    _, cache = rn.gru_step_forward(rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(6, 3)),
                                   rng.normal(size=(6, 2)), None, None)
    grads = rn.gru_step_backward(np.ones((2, 2)), cache)
    assert grads[4] is None and grads[5] is None


# --------------------------------------------------------------------------------------------
# sequence functions: gradient checks (with and without lengths)
# --------------------------------------------------------------------------------------------
SEQ_SHAPES = [(1, 1, 1, 1), (4, 3, 2, 3), (3, 2, 3, 1)]  # (T, B, D, H)


def _seq_problem(cell, T, B, D, H, rng, reset_after=True):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    p = {"x": rng.normal(size=(T, B, D)), "h0": rng.normal(size=(B, H)),
         "W_xh": rng.normal(size=(G * H, D)), "W_hh": rng.normal(size=(G * H, H))}
    if cell == "lstm":
        p["c0"] = rng.normal(size=(B, H))
    if cell == "gru":
        p["b_xh"], p["b_hh"] = rng.normal(size=G * H), rng.normal(size=G * H)
    else:
        p["b_h"] = rng.normal(size=G * H)
    return p


def _seq_forward(cell, p, lengths, reset_after=True, nonlinearity="tanh"):
    if cell == "rnn":
        h, h_n, cache = rn.rnn_forward(p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"], nonlinearity, lengths)
        return h, (h_n,), cache
    if cell == "lstm":
        h, (h_n, c_n), cache = rn.lstm_forward(p["x"], p["h0"], p["c0"], p["W_xh"], p["W_hh"], p["b_h"], lengths)
        return h, (h_n, c_n), cache
    h, h_n, cache = rn.gru_forward(p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_xh"], p["b_hh"], reset_after, lengths)
    return h, (h_n,), cache


def _seq_backward(cell, dh, cache, dfinal):
    if cell == "rnn":
        names, out = ["x", "h0", "W_xh", "W_hh", "b_h"], rn.rnn_backward(dh, cache, dfinal[0])
    elif cell == "lstm":
        names, out = ["x", "h0", "c0", "W_xh", "W_hh", "b_h"], rn.lstm_backward(dh, cache, *dfinal)
    else:
        names, out = ["x", "h0", "W_xh", "W_hh", "b_xh", "b_hh"], rn.gru_backward(dh, cache, dfinal[0])
    return dict(zip(names, out))


CELLS = [("rnn", {}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}),
         ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]


@pytest.mark.parametrize("cell, kw", CELLS)
@pytest.mark.parametrize("T, B, D, H", SEQ_SHAPES)
@pytest.mark.parametrize("with_lengths", [False, True])
def test_sequence_backward_gradcheck(cell, kw, T, B, D, H, with_lengths):
    rng = np.random.default_rng(T * 1000 + B * 100 + D * 10 + H)
    p = _seq_problem(cell, T, B, D, H, rng)
    lengths = rng.integers(1, T + 1, size=B) if with_lengths else None
    w = rng.normal(size=(T, B, H))
    n_final = 2 if cell == "lstm" else 1
    wf = [rng.normal(size=(B, H)) for _ in range(n_final)]

    def loss():
        h, finals, _ = _seq_forward(cell, p, lengths, **kw)
        return np.sum(w * h) + sum(np.sum(a * f) for a, f in zip(wf, finals))

    _, _, cache = _seq_forward(cell, p, lengths, **kw)
    _assert_small(gradcheck(loss, p, _seq_backward(cell, w, cache, wf)))


@pytest.mark.parametrize("cell, kw", CELLS)
def test_sequence_lengths_padding_is_inert(cell, kw):
    """Padded steps output zeros, leave the final state as after the last real step, get no gradient."""
    rng = np.random.default_rng(7)
    T, B, D, H = 5, 3, 2, 3
    p = _seq_problem(cell, T, B, D, H, rng)
    lengths = np.array([5, 2, 1])
    h, finals, cache = _seq_forward(cell, p, lengths, **kw)
    mask = rn.padding_mask(lengths, T)
    assert np.all(h[~mask] == 0.0)
    for b, n in enumerate(lengths):  # each sequence alone, cut to its length
        q = dict(p, x=p["x"][:n, b : b + 1], h0=p["h0"][b : b + 1], **({"c0": p["c0"][b : b + 1]} if "c0" in p else {}))
        h_b, finals_b, _ = _seq_forward(cell, q, None, **kw)
        np.testing.assert_allclose(h[:n, b], h_b[:, 0], rtol=1e-13, atol=1e-15)
        for f, f_b in zip(finals, finals_b):
            np.testing.assert_allclose(f[b], f_b[0], rtol=1e-13, atol=1e-15)
    # changing the padding (even to NaN) changes nothing, and padding gets exactly zero gradient
    for pad in (1e3, np.nan):
        p2 = dict(p, x=np.where(mask[:, :, None], p["x"], pad))
        h2, finals2, cache2 = _seq_forward(cell, p2, lengths, **kw)
        np.testing.assert_array_equal(h, h2)
        for f, f2 in zip(finals, finals2):
            np.testing.assert_array_equal(f, f2)
        dh = rng.normal(size=(T, B, H))
        grads = _seq_backward(cell, dh, cache2, [np.ones((B, H))] * len(finals))
        assert np.all(grads["x"][~mask] == 0.0)
        assert all(np.all(np.isfinite(g)) for g in grads.values())


# --------------------------------------------------------------------------------------------
# the fast sequence functions equal a loop over the readable step functions
# --------------------------------------------------------------------------------------------
def _loop_over_steps(cell, p, dh, dfinal, kw):
    T = p["x"].shape[0]
    caches, hs = [], []
    h, c = p["h0"], p.get("c0")
    for t in range(T):
        if cell == "rnn":
            h, cache = rn.rnn_step_forward(p["x"][t], h, p["W_xh"], p["W_hh"], p["b_h"], kw.get("nonlinearity", "tanh"))
        elif cell == "lstm":
            h, c, cache = rn.lstm_step_forward(p["x"][t], h, c, p["W_xh"], p["W_hh"], p["b_h"])
        else:
            h, cache = rn.gru_step_forward(p["x"][t], h, p["W_xh"], p["W_hh"], p["b_xh"], p["b_hh"],
                                           kw.get("reset_after", True))
        caches.append(cache)
        hs.append(h)
    finals = (h, c) if cell == "lstm" else (h,)
    dh_next, dc_next = dfinal[0], (dfinal[1] if cell == "lstm" else None)
    dxs, sums = [None] * T, None
    for t in range(T - 1, -1, -1):
        if cell == "lstm":
            dx, dh_next, dc_next, *dparams = rn.lstm_step_backward(dh[t] + dh_next, dc_next, caches[t])
        elif cell == "rnn":
            dx, dh_next, *dparams = rn.rnn_step_backward(dh[t] + dh_next, caches[t])
        else:
            dx, dh_next, *dparams = rn.gru_step_backward(dh[t] + dh_next, caches[t])
        dxs[t] = dx
        sums = dparams if sums is None else [a + b for a, b in zip(sums, dparams)]
    d_initial = [dh_next, dc_next] if cell == "lstm" else [dh_next]
    return np.stack(hs), finals, [np.stack(dxs)] + d_initial + sums


@pytest.mark.parametrize("cell, kw", CELLS)
def test_fast_sequence_path_equals_step_functions(cell, kw):
    rng = np.random.default_rng(11)
    T, B, D, H = 6, 4, 5, 3
    p = _seq_problem(cell, T, B, D, H, rng)
    dh = rng.normal(size=(T, B, H))
    dfinal = [rng.normal(size=(B, H)) for _ in range(2 if cell == "lstm" else 1)]
    h_ref, finals_ref, grads_ref = _loop_over_steps(cell, p, dh, dfinal, kw)
    h, finals, cache = _seq_forward(cell, p, None, **kw)
    grads = list(_seq_backward(cell, dh, cache, dfinal).values())
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-14)
    for a, b in zip(finals, finals_ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert len(grads) == len(grads_ref)
    for a, b in zip(grads, grads_ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_sequence_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 4)).astype(np.float32)
    W_xh, W_hh, b = (rng.normal(size=s).astype(np.float32) for s in [(8, 4), (8, 2), (8,)])
    h, (h_n, c_n), cache = rn.lstm_forward(x, None, None, W_xh, W_hh, b)
    assert h.dtype == h_n.dtype == np.float32
    grads = rn.lstm_backward(np.ones_like(h), cache)
    assert all(g.dtype == np.float32 for g in grads)


def test_truncated_bptt_chunks_equal_one_long_forward():
    """Carrying the state across chunks reproduces the long forward pass exactly."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 2, 3))
    W_xh, W_hh, b = rng.normal(size=(12, 3)), rng.normal(size=(12, 3)) * 0.5, rng.normal(size=12)
    h_full, (h_n, c_n), _ = rn.lstm_forward(x, None, None, W_xh, W_hh, b)
    h_a, (h_mid, c_mid), _ = rn.lstm_forward(x[:5], None, None, W_xh, W_hh, b)
    h_b, (h_end, c_end), _ = rn.lstm_forward(x[5:], h_mid, c_mid, W_xh, W_hh, b)
    np.testing.assert_allclose(np.concatenate([h_a, h_b]), h_full, rtol=1e-14)
    np.testing.assert_allclose(c_end, c_n, rtol=1e-14)
