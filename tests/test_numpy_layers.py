"""Layers RNN, LSTM, GRU of rnncourse.numpy: gradient checks, state_dict, shapes, errors."""

import numpy as np
import pytest

import rnncourse.numpy as rn
from rnncourse.numpy import gradcheck

TOL = 1e-7


def _layer(kind, D, H, **kw):
    if kind == "rnn_relu":
        return rn.RNN(D, H, nonlinearity="relu", **kw)
    if kind == "gru_cho":
        return rn.GRU(D, H, reset_after=False, **kw)
    return {"rnn": rn.RNN, "lstm": rn.LSTM, "gru": rn.GRU}[kind](D, H, **kw)


LAYER_CASES = [
    # kind, T, B, D, H, num_layers, bidirectional, bias, batch_first
    ("rnn", 1, 1, 1, 1, 1, False, True, False),
    ("rnn", 3, 2, 3, 2, 3, True, True, True),
    ("rnn_relu", 3, 2, 2, 3, 2, True, False, False),
    ("lstm", 1, 1, 2, 1, 1, False, True, False),
    ("lstm", 3, 2, 3, 2, 2, True, True, False),
    ("lstm", 2, 1, 1, 2, 3, False, False, True),
    ("gru", 3, 2, 3, 2, 2, True, True, False),
    ("gru", 1, 1, 1, 1, 3, True, True, True),
    ("gru_cho", 3, 2, 2, 3, 2, True, True, False),
]


@pytest.mark.parametrize("kind, T, B, D, H, L, bidirectional, bias, batch_first", LAYER_CASES)
@pytest.mark.parametrize("with_lengths", [False, True])
def test_layer_backward_gradcheck(kind, T, B, D, H, L, bidirectional, bias, batch_first, with_lengths):
    rng = np.random.default_rng([T, B, D, H, L, int(bidirectional), int(with_lengths), len(kind)])
    layer = _layer(kind, D, H, num_layers=L, bidirectional=bidirectional, bias=bias, batch_first=batch_first,
                   rng=rng)
    dirs = 2 if bidirectional else 1
    x = rng.normal(size=(B, T, D) if batch_first else (T, B, D))
    states = {"h0": rng.normal(size=(L * dirs, B, H))}
    if kind == "lstm":
        states["c0"] = rng.normal(size=(L * dirs, B, H))
    lengths = rng.integers(1, T + 1, size=B) if with_lengths else None
    out_shape = (B, T, dirs * H) if batch_first else (T, B, dirs * H)
    w_out = rng.normal(size=out_shape)
    w_fin = [rng.normal(size=(L * dirs, B, H)) for _ in states]
    params = dict(layer.parameters(), x=x, **states)

    def run():
        h0 = (states["h0"], states["c0"]) if kind == "lstm" else states["h0"]
        out, fin = layer.forward(x, h0, lengths=lengths)
        return out, (fin if kind == "lstm" else (fin,))

    def loss():
        out, fin = run()
        return np.sum(w_out * out) + sum(np.sum(w * f) for w, f in zip(w_fin, fin))

    run()
    dx, dh0 = layer.backward(w_out, tuple(w_fin) if kind == "lstm" else w_fin[0])
    grads = dict(layer.grads, x=dx)
    if kind == "lstm":
        grads["h0"], grads["c0"] = dh0
    else:
        grads["h0"] = dh0
    assert set(layer.grads) == set(layer.state_dict())
    errors = gradcheck(loss, params, grads)
    bad = {k: v for k, v in errors.items() if not v < TOL}
    assert not bad, bad


@pytest.mark.parametrize("cls, G", [(rn.RNN, 1), (rn.LSTM, 4), (rn.GRU, 3)])
def test_layer_state_dict_names_and_shapes_follow_pytorch(cls, G):
    layer = cls(3, 5, num_layers=2, bidirectional=True, rng=0)
    sd = layer.state_dict()
    expected = []
    for k in range(2):
        for sfx in ("", "_reverse"):
            D = 3 if k == 0 else 10
            expected += [(f"weight_ih_l{k}{sfx}", (G * 5, D)), (f"weight_hh_l{k}{sfx}", (G * 5, 5)),
                         (f"bias_ih_l{k}{sfx}", (G * 5,)), (f"bias_hh_l{k}{sfx}", (G * 5,))]
    assert [(k, v.shape) for k, v in sd.items()] == expected
    assert all(v.dtype == np.float64 for v in sd.values())
    no_bias = cls(3, 5, bias=False, rng=0).state_dict()
    assert list(no_bias) == ["weight_ih_l0", "weight_hh_l0"]


def test_layer_init_is_uniform_with_pytorch_bound_and_seeded():
    layer = rn.LSTM(4, 16, rng=np.random.default_rng(5))
    allw = np.concatenate([p.ravel() for p in layer.parameters().values()])
    assert np.abs(allw).max() <= 0.25 and np.abs(allw).max() > 0.24  # 1/sqrt(16)
    again = rn.LSTM(4, 16, rng=np.random.default_rng(5))
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v, again.state_dict()[k])


def test_lstm_forget_bias_is_added_to_forget_block():
    base = rn.LSTM(2, 3, rng=1)
    fb = rn.LSTM(2, 3, rng=1, forget_bias=1.0)
    diff = fb.bias_ih_l0 - base.bias_ih_l0
    np.testing.assert_allclose(diff, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(fb.bias_hh_l0, base.bias_hh_l0)


def test_layer_state_dict_round_trip_and_in_place_load():
    a, b = rn.GRU(2, 3, num_layers=2, rng=0), rn.GRU(2, 3, num_layers=2, rng=1)
    params_before = b.parameters()
    arrays_before = {k: id(v) for k, v in params_before.items()}
    b.load_state_dict(a.state_dict())
    assert {k: id(v) for k, v in b.parameters().items()} == arrays_before  # loaded in place
    x = np.random.default_rng(2).normal(size=(4, 2, 2))
    np.testing.assert_array_equal(a(x)[0], b(x)[0])
    sd = a.state_dict()
    sd["weight_ih_l0"][:] = 0.0  # state_dict returns copies
    assert np.any(a.weight_ih_l0 != 0.0)


def test_layer_load_state_dict_lists_every_problem():
    layer = rn.LSTM(3, 4, rng=0)
    sd = layer.state_dict()
    del sd["bias_hh_l0"]
    sd["weight_hh_l0"] = np.zeros((16, 5))
    sd["weight_ih_l1"] = np.zeros((16, 4))
    with pytest.raises(ValueError, match=r"missing keys: \['bias_hh_l0'\]") as info:
        layer.load_state_dict(sd)
    msg = str(info.value)
    assert "unexpected keys: ['weight_ih_l1']" in msg
    assert "weight_hh_l0: expected (16, 4), got (16, 5)" in msg
    assert not np.all(layer.weight_hh_l0 == 0.0)  # nothing was loaded


def test_layer_float32_forward_backward_dtype():
    layer = rn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=np.float32, rng=0)
    x = np.random.default_rng(0).normal(size=(5, 2, 3))  # float64 input is cast
    out, (h_n, c_n) = layer(x)
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32
    dx, (dh0, dc0) = layer.backward(np.ones_like(out))
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in layer.grads.values())
    ref = rn.LSTM(3, 4, num_layers=2, bidirectional=True, rng=0)
    ref.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(out, ref(x.astype(np.float32))[0], rtol=1e-4, atol=1e-5)


def test_layer_unbatched_input_like_torch():
    layer = rn.GRU(3, 2, num_layers=2, rng=0)
    x = np.random.default_rng(1).normal(size=(4, 3))
    out, h_n = layer(x)
    assert out.shape == (4, 2) and h_n.shape == (2, 2)
    dx, dh0 = layer.backward(np.ones((4, 2)))
    assert dx.shape == (4, 3) and dh0.shape == (2, 2)
    out_b, h_n_b = layer(x[:, None, :])
    np.testing.assert_array_equal(out, out_b[:, 0])
    np.testing.assert_array_equal(dx, layer.backward(np.ones((4, 1, 2)))[0][:, 0])


def test_layer_truncated_bptt_carries_state():
    """Two chunks with the carried state (dh0 ignored = detach) give the long forward."""
    layer = rn.LSTM(2, 3, rng=0)
    x = np.random.default_rng(1).normal(size=(10, 2, 2))
    out_full, (h_n, c_n) = layer(x)
    out_a, state = layer(x[:6])
    out_b, (h_b, c_b) = layer(x[6:], state)
    np.testing.assert_allclose(np.concatenate([out_a, out_b]), out_full, rtol=1e-14)
    np.testing.assert_allclose(c_b, c_n, rtol=1e-14)
    dx, (dh0, dc0) = layer.backward(np.ones_like(out_b))
    assert dx.shape == (4, 2, 2) and dh0.shape == (1, 2, 3)


def test_layer_zero_grad_and_parameters_are_the_forward_arrays():
    layer = rn.RNN(2, 3, rng=0)
    x = np.ones((2, 1, 2))
    out, _ = layer(x)
    layer.backward(np.ones_like(out))
    assert any(np.any(g != 0) for g in layer.grads.values())
    layer.zero_grad()
    assert all(np.all(g == 0) for g in layer.grads.values())
    layer.parameters()["weight_ih_l0"][...] = 0.0  # an optimiser updates in place
    layer.parameters()["weight_hh_l0"][...] = 0.0
    layer.parameters()["bias_ih_l0"][...] = 0.0
    layer.parameters()["bias_hh_l0"][...] = 0.0
    assert np.all(layer(x)[0] == 0.0)


def test_layer_repr_shows_arguments():
    assert repr(rn.LSTM(3, 4, num_layers=2, bidirectional=True)) == "LSTM(3, 4, num_layers=2, bidirectional=True)"
    assert repr(rn.GRU(3, 4, reset_after=False)) == "GRU(3, 4, reset_after=False)"


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
def test_layer_wrong_input_size_names_expected_shape():
    layer = rn.RNN(3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\) \(input_size=3\), got \(5, 2, 4\)"):
        layer(np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 3\)"):
        rn.GRU(3, 4, batch_first=True)(np.zeros((5, 2, 4)))


def test_layer_wrong_state_shape_raises():
    layer = rn.LSTM(3, 4, num_layers=2)
    x = np.zeros((5, 2, 3))
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 2, 4\)"):
        layer(x, (np.zeros((1, 2, 4)), np.zeros((2, 2, 4))))
    with pytest.raises(TypeError, match=r"h0 of an LSTM must be a tuple \(h0, c0\)"):
        layer(x, np.zeros((2, 2, 4)))


def test_layer_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        rn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        rn.GRU(3, 0)
    with pytest.raises(TypeError, match="dtype must be numpy.float32 or numpy.float64"):
        rn.LSTM(3, 4, dtype=np.int32)


def test_layer_bad_lengths_raise():
    layer = rn.GRU(2, 3)
    x = np.zeros((4, 3, 2))
    with pytest.raises(ValueError, match=r"lengths must be in \[1, T\] = \[1, 4\]"):
        layer(x, lengths=[4, 5, 1])
    with pytest.raises(ValueError, match=r"lengths must have shape \(3,\)"):
        layer(x, lengths=[4, 2])
    with pytest.raises(TypeError, match="lengths must be integers"):
        layer(x, lengths=[1.5, 2, 3])


def test_layer_backward_errors():
    layer = rn.RNN(2, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((4, 1, 3)))
    layer(np.zeros((4, 1, 2)))
    with pytest.raises(ValueError, match=r"d_output must have shape \(4, 1, 3\)"):
        layer.backward(np.zeros((4, 1, 2)))


def test_step_functions_name_wrong_shapes():
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    W_xh, W_hh, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 4)), rng.normal(size=4)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 3\) \(D=3 from W_xh\), got \(2, 5\)"):
        rn.rnn_step_forward(rng.normal(size=(2, 5)), h, W_xh, W_hh, b)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(2, 4\)"):
        rn.rnn_step_forward(x, rng.normal(size=(3, 4)), W_xh, W_hh, b)
    with pytest.raises(ValueError, match=r"W_hh must have shape \(4\*H, H\) for the LSTM"):
        rn.lstm_step_forward(x, h, h, rng.normal(size=(16, 3)), W_hh, None)
    with pytest.raises(ValueError, match=r"b_h must have shape \(4,\)"):
        rn.rnn_step_forward(x, h, W_xh, W_hh, np.zeros(3))
    with pytest.raises(TypeError, match="x must be a real-valued array, got dtype complex128"):
        rn.rnn_step_forward(x + 1j, h, W_xh, W_hh, b)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\)"):
        rn.gru_forward(x, None, rng.normal(size=(12, 3)), rng.normal(size=(12, 4)), None, None)
    with pytest.raises(ValueError, match="at least one time step"):
        rn.lstm_forward(np.zeros((0, 2, 3)), None, None, rng.normal(size=(16, 3)), W_hh.repeat(4, 0), None)


def test_sequence_backward_checks_gradient_shape():
    rng = np.random.default_rng(0)
    h, h_n, cache = rn.rnn_forward(rng.normal(size=(3, 2, 1)), None, np.ones((4, 1)), np.eye(4), None)
    with pytest.raises(ValueError, match=r"dh must have shape \(3, 2, 4\)"):
        rn.rnn_backward(np.zeros((3, 2, 5)), cache)
    with pytest.raises(ValueError, match=r"dh_n must have shape \(2, 4\)"):
        rn.rnn_backward(None, cache, np.zeros((4,)))
    with pytest.raises(TypeError, match="cache must be the dict returned by lstm_forward"):
        rn.lstm_backward(None, cache)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "gru_cho"])
def test_layer_fast_path_equals_step_functions(kind):
    """One layer, one direction: forward and backward equal a loop over the step functions."""
    rng = np.random.default_rng(21)
    T, B, D, H = 5, 3, 4, 2
    layer = _layer(kind, D, H, rng=rng)
    p = layer.parameters()
    x, h0, c0 = rng.normal(size=(T, B, D)), rng.normal(size=(1, B, H)), rng.normal(size=(1, B, H))
    d_out = rng.normal(size=(T, B, H))
    out, _ = layer(x, (h0, c0) if kind == "lstm" else h0)
    dx, _ = layer.backward(d_out)
    W_xh, W_hh, b_ih, b_hh = p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]
    h, c, caches, outs = h0[0], c0[0], [], []
    for t in range(T):
        if kind == "rnn":
            h, cache = rn.rnn_step_forward(x[t], h, W_xh, W_hh, b_ih + b_hh)
        elif kind == "lstm":
            h, c, cache = rn.lstm_step_forward(x[t], h, c, W_xh, W_hh, b_ih + b_hh)
        else:
            h, cache = rn.gru_step_forward(x[t], h, W_xh, W_hh, b_ih, b_hh, reset_after=(kind == "gru"))
        caches.append(cache)
        outs.append(h)
    np.testing.assert_allclose(out, np.stack(outs), rtol=1e-12, atol=1e-14)
    dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
    dW_xh = np.zeros_like(W_xh)
    dxs = [None] * T
    for t in range(T - 1, -1, -1):
        if kind == "lstm":
            dxs[t], dh_next, dc_next, g, *_ = rn.lstm_step_backward(d_out[t] + dh_next, dc_next, caches[t])
        elif kind == "rnn":
            dxs[t], dh_next, g, *_ = rn.rnn_step_backward(d_out[t] + dh_next, caches[t])
        else:
            dxs[t], dh_next, g, *_ = rn.gru_step_backward(d_out[t] + dh_next, caches[t])
        dW_xh += g
    np.testing.assert_allclose(dx, np.stack(dxs), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.grads["weight_ih_l0"], dW_xh, rtol=1e-12, atol=1e-14)


def test_layer_backward_from_final_state_only():
    """d_output=None means a loss on h_n only (e.g. the adding problem); same as zeros."""
    layer = rn.LSTM(2, 3, num_layers=2, bidirectional=True, rng=0)
    x = np.random.default_rng(1).normal(size=(4, 2, 2))
    out, (h_n, c_n) = layer(x)
    dh_n = np.random.default_rng(2).normal(size=h_n.shape)
    dx_none, (dh0_none, _) = layer.backward(None, (dh_n, None))
    grads_none = layer.grads
    dx_zero, (dh0_zero, _) = layer.backward(np.zeros_like(out), (dh_n, np.zeros_like(c_n)))
    np.testing.assert_array_equal(dx_none, dx_zero)
    np.testing.assert_array_equal(dh0_none, dh0_zero)
    for k in grads_none:
        np.testing.assert_array_equal(grads_none[k], layer.grads[k])
