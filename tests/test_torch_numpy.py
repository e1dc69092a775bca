"""rnncourse.torch (autograd) against rnncourse.numpy (hand-written BPTT), same weights.

Together with test_torch_layers.py (rnncourse.torch against torch.nn) this closes the
triangle: three independent implementations agree on outputs, states and gradients. The
GRU with ``reset_after=False`` (Cho et al.), which torch.nn lacks, is checked here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnncourse.numpy as rn
import rnncourse.torch as rt

MODES = {
    "rnn_tanh": (rt.RNN, rn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.RNN, rn.RNN, {"nonlinearity": "relu"}),
    "lstm": (rt.LSTM, rn.LSTM, {}),
    "gru": (rt.GRU, rn.GRU, {}),
    "gru_cho": (rt.GRU, rn.GRU, {"reset_after": False}),
}

CONFIGS = {
    "basic": dict(T=5, B=3, D=4, H=3),
    "tiny": dict(T=1, B=1, D=1, H=1),
    "bidirectional_2l": dict(T=4, B=2, D=3, H=2, num_layers=2, bidirectional=True),
    "batch_first_no_bias": dict(T=3, B=2, D=2, H=4, batch_first=True, bias=False),
}


def to_numpy(t):
    return t.detach().cpu().double().numpy()


def make_pair(mode, backend, **kwargs):
    ours_cls, np_cls, extra = MODES[mode]
    ours = ours_cls(**kwargs, **extra, device=backend.device, dtype=backend.dtype,
                    generator=rt.make_generator(0))
    ref = np_cls(**kwargs, **extra, dtype=np.float64)
    ref.load_state_dict({k: to_numpy(v) for k, v in ours.state_dict().items()})
    return ours, ref


def pack_state(states, n):
    if n == 0:
        return None
    return states[0] if n == 1 else tuple(states)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", MODES)
def test_torch_layer_matches_numpy_bptt(mode, config, backend):
    cfg = dict(CONFIGS[config])
    T, B, D, H = cfg.pop("T"), cfg.pop("B"), cfg.pop("D"), cfg.pop("H")
    ours, ref = make_pair(mode, backend, input_size=D, hidden_size=H, **cfg)
    rng = np.random.default_rng(1)
    L_dirs = cfg.get("num_layers", 1) * (2 if cfg.get("bidirectional") else 1)
    n_states = 2 if mode == "lstm" else 1
    x_np = rng.standard_normal((B, T, D) if cfg.get("batch_first") else (T, B, D))
    hx_np = [rng.standard_normal((L_dirs, B, H)) for _ in range(n_states)]
    dirs_H = H * (2 if cfg.get("bidirectional") else 1)
    dout_np = rng.standard_normal(x_np.shape[:2] + (dirs_H,))
    dhn_np = [rng.standard_normal((L_dirs, B, H)) for _ in range(n_states)]

    out_np, hn_np = ref.forward(x_np, pack_state(hx_np, n_states))
    dx_np, dh0_np = ref.backward(dout_np, pack_state(dhn_np, n_states))
    hn_np = (hn_np,) if n_states == 1 else hn_np
    dh0_np = (dh0_np,) if n_states == 1 else dh0_np

    as_t = lambda a: torch.tensor(a, device=backend.device, dtype=backend.dtype)  # noqa: E731
    x = as_t(x_np).requires_grad_(True)
    hx = [as_t(h).requires_grad_(True) for h in hx_np]
    out, hn = ours(x, pack_state(hx, n_states))
    hn = (hn,) if n_states == 1 else hn
    loss = (out * as_t(dout_np)).sum() + sum((h * as_t(d)).sum() for h, d in zip(hn, dhn_np))
    loss.backward()

    backend.close(out, out_np, "output")
    for a, b in zip(hn, hn_np):
        backend.close(a, b, "final state")
    backend.close(x.grad, dx_np, "dx")
    for a, b in zip(hx, dh0_np):
        backend.close(a.grad, b, "dh0")
    assert set(ref.grads) == {n for n, _ in ours.named_parameters()}
    for name, p in ours.named_parameters():
        backend.close(p.grad, ref.grads[name], f"gradient of {name}")


@pytest.mark.parametrize("mode", MODES)
def test_torch_packed_sequence_matches_numpy_lengths(mode, backend):
    """A PackedSequence in rnncourse.torch is the NumPy layers' ``lengths`` argument."""
    ours, ref = make_pair(mode, backend, input_size=3, hidden_size=2, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    lengths = np.array([2, 5, 1, 4])
    T, B = 5, 4
    x_np = rng.standard_normal((T, B, 3)) * (np.arange(T)[:, None] < lengths)[:, :, None]
    dout_np = rng.standard_normal((T, B, 4)) * (np.arange(T)[:, None] < lengths)[:, :, None]
    out_np, hn_np = ref.forward(x_np, None, lengths=lengths)
    dx_np, _ = ref.backward(dout_np)

    x = torch.tensor(x_np, device=backend.device, dtype=backend.dtype)
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    packed.data.requires_grad_(True)
    out, hn = ours(packed)
    out_padded, _ = pad_packed_sequence(out, total_length=T)
    (out_padded * torch.tensor(dout_np, device=backend.device, dtype=backend.dtype)).sum().backward()
    dx = torch.zeros_like(x)
    dx_padded, _ = pad_packed_sequence(
        torch.nn.utils.rnn.PackedSequence(packed.data.grad, packed.batch_sizes,
                                          packed.sorted_indices, packed.unsorted_indices), total_length=T)
    dx += dx_padded

    backend.close(out_padded, out_np, "output")
    for a, b in zip(hn if isinstance(hn, tuple) else (hn,), hn_np if isinstance(hn_np, tuple) else (hn_np,)):
        backend.close(a, b, "final state")
    backend.close(dx, dx_np, "dx")
    for name, p in ours.named_parameters():
        backend.close(p.grad, ref.grads[name], f"gradient of {name}")


@pytest.mark.parametrize("reset_after", [True, False])
def test_torch_gru_cell_matches_numpy_step(reset_after, backend):
    B, D, H = 3, 4, 2
    cell = rt.GRUCell(D, H, reset_after=reset_after, device=backend.device, dtype=backend.dtype,
                      generator=rt.make_generator(3))
    p = {k: to_numpy(v) for k, v in cell.state_dict().items()}
    rng = np.random.default_rng(4)
    x_np, h_np, dh_np = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h_next_np, cache = rn.gru_step_forward(x_np, h_np, p["weight_ih"], p["weight_hh"],
                                           p["bias_ih"], p["bias_hh"], reset_after=reset_after)
    dx_np, dh_prev_np, dW_xh, dW_hh, db_xh, db_hh = rn.gru_step_backward(dh_np, cache)

    as_t = lambda a: torch.tensor(a, device=backend.device, dtype=backend.dtype)  # noqa: E731
    x, h = as_t(x_np).requires_grad_(True), as_t(h_np).requires_grad_(True)
    h_next = cell(x, h)
    (h_next * as_t(dh_np)).sum().backward()
    backend.close(h_next, h_next_np)
    backend.close(x.grad, dx_np)
    backend.close(h.grad, dh_prev_np)
    for name, expected in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (dW_xh, dW_hh, db_xh, db_hh)):
        backend.close(getattr(cell, name).grad, expected, name)


def test_torch_lstm_cell_matches_numpy_step(backend):
    B, D, H = 2, 3, 4
    cell = rt.LSTMCell(D, H, device=backend.device, dtype=backend.dtype, generator=rt.make_generator(5))
    p = {k: to_numpy(v) for k, v in cell.state_dict().items()}
    rng = np.random.default_rng(6)
    x_np, h_np, c_np = (rng.standard_normal(s) for s in ((B, D), (B, H), (B, H)))
    dh_np, dc_np = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h_n, c_n, cache = rn.lstm_step_forward(x_np, h_np, c_np, p["weight_ih"], p["weight_hh"],
                                           p["bias_ih"] + p["bias_hh"])
    dx_np, dh_prev, dc_prev, dW_xh, dW_hh, db_h = rn.lstm_step_backward(dh_np, dc_np, cache)

    as_t = lambda a: torch.tensor(a, device=backend.device, dtype=backend.dtype)  # noqa: E731
    x, h, c = (as_t(a).requires_grad_(True) for a in (x_np, h_np, c_np))
    h2, c2 = cell(x, (h, c))
    ((h2 * as_t(dh_np)).sum() + (c2 * as_t(dc_np)).sum()).backward()
    backend.close(h2, h_n)
    backend.close(c2, c_n)
    for got, expected in ((x.grad, dx_np), (h.grad, dh_prev), (c.grad, dc_prev),
                          (cell.weight_ih.grad, dW_xh), (cell.weight_hh.grad, dW_hh),
                          (cell.bias_ih.grad, db_h), (cell.bias_hh.grad, db_h)):
        backend.close(got, expected)


def test_torch_state_dict_loads_into_numpy_and_back():
    ours = rt.GRU(3, 2, num_layers=2, bidirectional=True, reset_after=False, dtype=torch.float64,
                  generator=rt.make_generator(7))
    ref = rn.GRU(3, 2, num_layers=2, bidirectional=True, reset_after=False)
    ref.load_state_dict(ours.state_dict())  # torch tensors straight in
    back = rt.GRU(3, 2, num_layers=2, bidirectional=True, reset_after=False, dtype=torch.float64)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ref.state_dict().items()})
    for k, v in ours.state_dict().items():
        assert torch.equal(back.state_dict()[k], v), k
