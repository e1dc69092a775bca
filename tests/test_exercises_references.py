"""The reference solutions agree with independent implementations: torch.nn and torch.autograd,
and rnncourse.numpy (the course's own layers), on random shapes including B=1, H=1, D != H."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.exercises import solutions as S

torch = pytest.importorskip("torch")

SHAPES = [(3, 4, 5), (1, 2, 3), (2, 3, 1), (4, 1, 2)]  # (B, D, H)


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _weights(rng, G, D, H):
    return rng.normal(0, 0.7, (G * H, D)), rng.normal(0, 0.7, (G * H, H)), rng.normal(0, 0.5, G * H)


@pytest.mark.parametrize(("B", "D", "H"), SHAPES)
def test_step_forwards_match_torch_cells(B, D, H):
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    for G, cls in ((1, torch.nn.RNNCell), (4, torch.nn.LSTMCell), (3, torch.nn.GRUCell)):
        W_xh, W_hh, b_xh = _weights(rng, G, D, H)
        b_hh = rng.normal(0, 0.5, G * H)
        cell = cls(D, H, dtype=torch.float64)
        with torch.no_grad():
            cell.weight_ih.copy_(t(W_xh))
            cell.weight_hh.copy_(t(W_hh))
            cell.bias_ih.copy_(t(b_xh))
            cell.bias_hh.copy_(t(b_hh))
        with torch.no_grad():
            if G == 1:
                ours = S.rnn_step_forward(x, h, W_xh, W_hh, b_xh + b_hh)
                np.testing.assert_allclose(ours, cell(t(x), t(h)).numpy(), rtol=1e-10, atol=1e-12)
            elif G == 4:
                h_next, c_next = S.lstm_step_forward(x, h, c, W_xh, W_hh, b_xh + b_hh)
                th, tc = cell(t(x), (t(h), t(c)))
                np.testing.assert_allclose(h_next, th.numpy(), rtol=1e-10, atol=1e-12)
                np.testing.assert_allclose(c_next, tc.numpy(), rtol=1e-10, atol=1e-12)
            else:
                ours = S.gru_step_forward(x, h, W_xh, W_hh, b_xh, b_hh)
                np.testing.assert_allclose(ours, cell(t(x), t(h)).numpy(), rtol=1e-10, atol=1e-12)


def test_rnn_forward_matches_torch_rnn():
    rng = np.random.default_rng(1)
    T, B, D, H = 5, 3, 4, 6
    x, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    W_xh, W_hh, b = _weights(rng, 1, D, H)
    rnn = torch.nn.RNN(D, H, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(t(W_xh))
        rnn.weight_hh_l0.copy_(t(W_hh))
        rnn.bias_ih_l0.copy_(t(b))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(t(x), t(h0)[None])
    np.testing.assert_allclose(S.rnn_forward(x, h0, W_xh, W_hh, b), out.numpy(), rtol=1e-10, atol=1e-12)


def test_backward_references_match_autograd():
    rng = np.random.default_rng(2)
    T, B, D, H = 4, 2, 3, 5
    x, h0, dh = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))
    W_xh, W_hh, b = _weights(rng, 1, D, H)
    h = S.rnn_forward(x, h0, W_xh, W_hh, b)
    tx, th0, tW, tU, tb = t(x, True), t(h0, True), t(W_xh, True), t(W_hh, True), t(b, True)
    state, hs = th0, []
    for step in range(T):
        state = torch.tanh(tx[step] @ tW.T + state @ tU.T + tb)
        hs.append(state)
    (torch.stack(hs) * t(dh)).sum().backward()
    ours = S.rnn_backward(dh, x, h0, h, W_xh, W_hh)
    for a, ref in zip(ours, (tx, th0, tW, tU, tb)):
        np.testing.assert_allclose(a, ref.grad.numpy(), rtol=1e-10, atol=1e-12)
    # one step, and the one-step Jacobian
    step = S.rnn_step_backward(dh[0], x[0], h0, h[0], W_xh, W_hh)
    tx0, th, tW, tU, tb = t(x[0], True), t(h0, True), t(W_xh, True), t(W_hh, True), t(b, True)
    (torch.tanh(tx0 @ tW.T + th @ tU.T + tb) * t(dh[0])).sum().backward()
    for a, ref in zip(step, (tx0, th, tW, tU, tb)):
        np.testing.assert_allclose(a, ref.grad.numpy(), rtol=1e-10, atol=1e-12)
    J = torch.autograd.functional.jacobian(lambda s: torch.tanh(t(x[0]) @ t(W_xh).T + s @ t(W_hh).T + t(b)), t(h0))
    J_per_example = np.stack([J[i, :, i, :].numpy() for i in range(B)])  # (B, H, H)
    np.testing.assert_allclose(S.rnn_hidden_jacobian(h[0], W_hh), J_per_example, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("B", "D", "H"), SHAPES)
def test_lstm_step_backward_matches_autograd(B, D, H):
    rng = np.random.default_rng(3)
    x, h, c = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    dh, dc = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    W_xh, W_hh, b = _weights(rng, 4, D, H)
    tensors = [t(a, True) for a in (x, h, c, W_xh, W_hh, b)]
    tx, th, tc, tW, tU, tb = tensors
    i, f, g, o = (tx @ tW.T + th @ tU.T + tb).chunk(4, dim=1)
    c_next = torch.sigmoid(f) * tc + torch.sigmoid(i) * torch.tanh(g)
    h_next = torch.sigmoid(o) * torch.tanh(c_next)
    ((h_next * t(dh)).sum() + (c_next * t(dc)).sum()).backward()
    ours = S.lstm_step_backward(dh, dc, x, h, c, W_xh, W_hh, b)
    dx, dh_prev, dc_prev, dW_xh, dW_hh, db = ours
    for a, ref in zip((dx, dh_prev, dc_prev, dW_xh, dW_hh, db), tensors):
        np.testing.assert_allclose(a, ref.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softmax_cross_entropy_matches_torch_and_is_stable():
    rng = np.random.default_rng(4)
    for scale in (1.0, 1e4):
        logits = rng.normal(size=(3, 2, 5)) * scale
        targets = rng.integers(0, 5, (3, 2))
        tl = t(logits, True)
        loss = torch.nn.functional.cross_entropy(tl.reshape(-1, 5), torch.tensor(targets.reshape(-1)))
        loss.backward()
        ours, dlogits = S.softmax_cross_entropy(logits, targets)
        assert np.isfinite(ours) and np.all(np.isfinite(dlogits))
        np.testing.assert_allclose(ours, loss.item(), rtol=1e-10)
        np.testing.assert_allclose(dlogits, tl.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softmax_with_temperature_matches_torch():
    rng = np.random.default_rng(5)
    for shape, temp in (((4, 7), 0.3), ((6,), 2.0), ((2, 3), 0.001)):
        logits = rng.normal(size=shape) * 10
        ref = torch.softmax(t(logits) / temp, dim=-1).numpy()
        np.testing.assert_allclose(S.softmax_with_temperature(logits, temp), ref, rtol=1e-10, atol=1e-300)


def test_clip_grad_norm_matches_torch_and_leaves_inputs():
    rng = np.random.default_rng(6)
    grads = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    before = {k: v.copy() for k, v in grads.items()}
    params = [torch.zeros(v.shape, dtype=torch.float64, requires_grad=True) for v in grads.values()]
    for p, g in zip(params, grads.values()):
        p.grad = t(g)
    total = torch.nn.utils.clip_grad_norm_(params, 1.5)
    clipped, norm = S.clip_grad_norm(grads, 1.5)
    assert norm == pytest.approx(total.item(), rel=1e-12)
    for p, key in zip(params, grads):
        np.testing.assert_allclose(clipped[key], p.grad.numpy(), rtol=1e-6)  # torch adds eps=1e-6 to the norm
        np.testing.assert_array_equal(grads[key], before[key])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("D", "H", "L", "bi"), [(10, 20, 1, False), (3, 5, 2, True), (1, 1, 3, False), (7, 2, 3, True)])
def test_count_parameters_matches_torch(cell, D, H, L, bi):
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = cls(D, H, num_layers=L, bidirectional=bi)
    assert S.count_parameters(cell, D, H, L, bi) == sum(p.numel() for p in module.parameters())


def test_padding_mask_and_windows():
    mask = S.padding_mask(np.array([2, 0, 3]), 4)
    assert mask.dtype == bool and mask.shape == (4, 3)
    np.testing.assert_array_equal(mask[:, 0], [True, True, False, False])
    assert not mask[:, 1].any() and mask[:3, 2].all()
    X, y = S.make_windows(np.arange(6.0), 2)
    np.testing.assert_array_equal(X, [[0, 1], [1, 2], [2, 3], [3, 4]])
    np.testing.assert_array_equal(y, [2, 3, 4, 5])


def test_detach_state_cuts_graph_and_keeps_structure():
    w = torch.ones(2, requires_grad=True)
    h, c = w * 2, w * 3
    out = S.detach_state((h, c))
    assert isinstance(out, tuple) and len(out) == 2
    assert all(o.grad_fn is None and not o.requires_grad for o in out)
    assert h.grad_fn is not None  # the caller's tensors keep their graph
    assert S.detach_state(h).grad_fn is None


def test_references_agree_with_rnncourse_numpy():
    rn = pytest.importorskip("rnncourse.numpy")
    rng = np.random.default_rng(7)
    B, D, H = 3, 4, 5
    x, h = rng.normal(size=(B, D)), rng.normal(size=(B, H))
    W_xh, W_hh, b = _weights(rng, 1, D, H)
    if hasattr(rn, "rnn_step_forward"):
        ours = S.rnn_step_forward(x, h, W_xh, W_hh, b)
        theirs, cache = rn.rnn_step_forward(x, h, W_xh, W_hh, b)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
        dh = rng.normal(size=(B, H))
        for a, r in zip(S.rnn_step_backward(dh, x, h, ours, W_xh, W_hh), rn.rnn_step_backward(dh, cache)):
            np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
