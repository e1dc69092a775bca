"""rnncourse.torch cells against torch.nn cells: names, outputs and every gradient."""

from __future__ import annotations

import pytest
import torch

import rnncourse.torch as rt

CELLS = {
    "rnn_tanh": (rt.RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (rt.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (rt.GRUCell, torch.nn.GRUCell, {}),
}


def randn(shape, g, backend):
    t = torch.randn(shape, generator=g, dtype=torch.float64)
    return t.to(backend.device, backend.dtype).requires_grad_(True)


def run(cell, x, hx, upstream):
    for t in [x, *hx, *cell.parameters()]:
        t.grad = None
    arg = None if not hx else (hx[0] if len(hx) == 1 else tuple(hx))
    out = cell(x, arg)
    outs = out if isinstance(out, tuple) else (out,)
    sum((o * u).sum() for o, u in zip(outs, upstream)).backward()
    grads = {n: p.grad.clone() for n, p in cell.named_parameters()}
    return outs, grads, [t.grad.clone() for t in [x, *hx]]


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("shape", [(3, 4, 2), (1, 1, 1), (2, 2, 5)], ids=["B3D4H2", "B1D1H1", "B2D2H5"])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch_nn(kind, shape, bias, batched, backend):
    ours_cls, ref_cls, extra = CELLS[kind]
    B, D, H = shape
    factory = {"device": backend.device, "dtype": backend.dtype}
    ours = ours_cls(D, H, bias=bias, **extra, **factory, generator=rt.make_generator(0))
    ref = ref_cls(D, H, bias=bias, **extra, **factory)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict())
    g = torch.Generator().manual_seed(1)
    lead = (B,) if batched else ()
    x = randn(lead + (D,), g, backend)
    n_states = 2 if kind == "lstm" else 1
    upstream = [randn(lead + (H,), g, backend).detach() for _ in range(n_states)]
    for hx in ([randn(lead + (H,), g, backend) for _ in range(n_states)], []):
        outs_o, grads_o, dinputs_o = run(ours, x, hx, upstream)
        outs_r, grads_r, dinputs_r = run(ref, x, hx, upstream)
        for a, b in zip(outs_o, outs_r):
            assert a.shape == b.shape
            backend.close(a, b, "cell output")
        assert grads_o.keys() == grads_r.keys()
        for name in grads_r:
            backend.close(grads_o[name], grads_r[name], f"gradient of {name}")
        for a, b in zip(dinputs_o, dinputs_r):
            backend.close(a, b, "input gradient")


@pytest.mark.parametrize("kind", CELLS)
def test_cell_parameter_shapes_match_torch_nn(kind):
    ours_cls, ref_cls, extra = CELLS[kind]
    ours, ref = ours_cls(3, 5, **extra), ref_cls(3, 5, **extra)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    assert all(p.abs().max() <= 5 ** -0.5 for p in ours.parameters())


def test_gru_cell_reset_after_false_differs_from_torch_nn():
    """Cho et al.'s placement is a different function of the same parameters."""
    a = rt.GRUCell(3, 4, dtype=torch.float64, generator=rt.make_generator(2))
    b = rt.GRUCell(3, 4, dtype=torch.float64, reset_after=False)
    b.load_state_dict(a.state_dict())
    g = torch.Generator().manual_seed(3)
    x, h = torch.randn(2, 3, generator=g, dtype=torch.float64), torch.randn(2, 4, generator=g, dtype=torch.float64)
    assert not torch.allclose(a(x, h), b(x, h))
    # by hand, Cho et al.: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
    W_ir, W_iz, W_in = b.weight_ih.chunk(3)
    W_hr, W_hz, W_hn = b.weight_hh.chunk(3)
    b_ir, b_iz, b_in = b.bias_ih.chunk(3)
    b_hr, b_hz, b_hn = b.bias_hh.chunk(3)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    torch.testing.assert_close(b(x, h), (1 - z) * n + z * h, rtol=1e-12, atol=1e-14)


def test_cell_rejects_wrong_shapes():
    cell = rt.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"input_size=3.*\(2, 5\)"):
        cell(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"expected hidden state c of shape \(2, 4\), got \(2, 3\)"):
        cell(torch.zeros(2, 3), (torch.zeros(2, 4), torch.zeros(2, 3)))
    with pytest.raises(TypeError, match=r"tuple \(h, c\)"):
        cell(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"\(B, 3\)"):
        cell(torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match=r"expected hidden state h of shape \(4,\)"):
        rt.GRUCell(3, 4)(torch.zeros(3), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        rt.RNNCell(3, 4, nonlinearity="gelu")
