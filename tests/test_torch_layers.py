"""rnncourse.torch layers against torch.nn: state dicts, outputs, states and every gradient."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import rnncourse.torch as rt

MODES = {
    "rnn_tanh": (rt.RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (rt.LSTM, torch.nn.LSTM, {}),
    "gru": (rt.GRU, torch.nn.GRU, {}),
}

CONFIGS = {
    "basic": dict(T=5, B=3, D=4, H=3),
    "tiny": dict(T=1, B=1, D=1, H=1),
    "two_layers": dict(T=4, B=2, D=3, H=5, num_layers=2),
    "bidirectional_2l": dict(T=4, B=3, D=3, H=2, num_layers=2, bidirectional=True),
    "batch_first": dict(T=3, B=2, D=4, H=3, batch_first=True),
    "no_bias_bidir": dict(T=3, B=2, D=4, H=3, bias=False, bidirectional=True),
}


def make_pair(mode, backend, seed=0, **kwargs):
    """Our module (seeded init) and a torch.nn twin loaded from our state dict."""
    ours_cls, ref_cls, extra = MODES[mode]
    kwargs = {**extra, **kwargs}
    factory = {"device": backend.device, "dtype": backend.dtype}
    ours = ours_cls(**kwargs, **factory, generator=rt.make_generator(seed))
    ref = ref_cls(**kwargs, **factory)
    ref.load_state_dict(ours.state_dict())
    return ours, ref


def randn(shape, g, backend, requires_grad=False):
    t = torch.randn(shape, generator=g, dtype=torch.float64).to(backend.device, backend.dtype)
    return t.requires_grad_(requires_grad)


def states_of(h_n):
    return (h_n,) if isinstance(h_n, torch.Tensor) else tuple(h_n)


def run_and_backprop(module, x, hx, upstream):
    """Forward, then backward of sum(output * G) + sum(h_n * G_h); return everything."""
    for p in module.parameters():
        p.grad = None
    inputs = [x.data if isinstance(x, PackedSequence) else x] + list(hx)
    for t in inputs:
        t.grad = None
    out, h_n = module(x, None if not hx else (hx[0] if len(hx) == 1 else tuple(hx)))
    out_data = out.data if isinstance(out, PackedSequence) else out
    states = states_of(h_n)
    loss = (out_data * upstream[0]).sum() + sum((s * g).sum() for s, g in zip(states, upstream[1:]))
    loss.backward()
    grads = {name: p.grad.clone() for name, p in module.named_parameters()}
    return out, states, grads, [t.grad.clone() for t in inputs]


def assert_same_run(ours, ref, x, hx, backend, g, x_ref=None):
    """Same outputs, final states, parameter gradients and input gradients."""
    x_ref = x if x_ref is None else x_ref
    out_o, _ = ours(x, None if not hx else (hx[0] if len(hx) == 1 else tuple(hx)))
    out_shape = (out_o.data if isinstance(out_o, PackedSequence) else out_o).shape
    n_states = 2 if isinstance(ours, rt.LSTM) else 1
    upstream = [randn(out_shape, g, backend)] + [randn((ours.num_layers * (1 + ours.bidirectional),) +
                                                       _batch_and_hidden(ours, x), g, backend)
                                                 for _ in range(n_states)]
    res_o = run_and_backprop(ours, x, hx, upstream)
    hx_ref = [h.detach().clone().requires_grad_(True) for h in hx]
    res_r = run_and_backprop(ref, x_ref, hx_ref, upstream)
    out_o, out_r = res_o[0], res_r[0]
    if isinstance(out_r, PackedSequence):
        assert isinstance(out_o, PackedSequence)
        assert torch.equal(out_o.batch_sizes, out_r.batch_sizes)
        for attr in ("sorted_indices", "unsorted_indices"):
            a, b = getattr(out_o, attr), getattr(out_r, attr)
            assert (a is None and b is None) or torch.equal(a, b), attr
        out_o, out_r = out_o.data, out_r.data
    backend.close(out_o, out_r, "output")
    assert len(res_o[1]) == len(res_r[1])
    for s_o, s_r in zip(res_o[1], res_r[1]):
        backend.close(s_o, s_r, "final state")
    assert res_o[2].keys() == res_r[2].keys()
    for name in res_r[2]:
        backend.close(res_o[2][name], res_r[2][name], f"gradient of {name}")
    for k, (a, b) in enumerate(zip(res_o[3], res_r[3])):
        backend.close(a, b, f"gradient of input {k} (0 = x, then hx)")


def _batch_and_hidden(module, x):
    if isinstance(x, PackedSequence):
        B = int(x.batch_sizes[0])
    elif x.dim() == 2:
        return (module.hidden_size,)
    else:
        B = x.shape[0] if module.batch_first else x.shape[1]
    return (B, module.hidden_size)


# ----------------------------------------------------------------------------------------
# state dicts


@pytest.mark.parametrize("mode", MODES)
def test_layer_state_dict_names_and_shapes_match_torch_nn(mode):
    ours_cls, ref_cls, extra = MODES[mode]
    kwargs = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, **extra)
    ours, ref = ours_cls(**kwargs), ref_cls(**kwargs)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for name, value in ref.state_dict().items():
        assert ours.state_dict()[name].shape == value.shape, name
    no_bias = ours_cls(**kwargs, bias=False).state_dict()
    assert list(no_bias) == list(ref_cls(**kwargs, bias=False).state_dict())
    assert not any(name.startswith("bias") for name in no_bias)


@pytest.mark.parametrize("mode", MODES)
def test_layer_attributes_match_torch_nn(mode):
    ours_cls, ref_cls, extra = MODES[mode]
    kwargs = dict(input_size=3, hidden_size=4, num_layers=2, bias=False, batch_first=True,
                  dropout=0.25, bidirectional=True, **extra)
    ours, ref = ours_cls(**kwargs), ref_cls(**kwargs)
    for name in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "mode", "nonlinearity", "proj_size"):
        assert getattr(ours, name, None) == getattr(ref, name, None), name
    assert [[p.shape for p in w] for w in ours.all_weights] == [[p.shape for p in w] for w in ref.all_weights]
    ours.flatten_parameters()  # accepted, as torch.nn's


@pytest.mark.parametrize("mode", MODES)
def test_layer_load_state_dict_from_torch_nn(mode, backend):
    """torch.nn -> ours (the other direction is used by every comparison below)."""
    ours_cls, ref_cls, extra = MODES[mode]
    kwargs = dict(input_size=3, hidden_size=2, num_layers=2, **extra)
    factory = {"device": backend.device, "dtype": backend.dtype}
    ref = ref_cls(**kwargs, **factory)
    ours = ours_cls(**kwargs, **factory, generator=rt.make_generator(1))
    ours.load_state_dict(ref.state_dict())
    for name, value in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[name], value), name
    g = torch.Generator().manual_seed(2)
    x = randn((4, 2, 3), g, backend)
    backend.close(ours(x)[0], ref(x)[0])


# ----------------------------------------------------------------------------------------
# forward and backward against torch.nn


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch_nn(mode, config, backend):
    cfg = dict(CONFIGS[config])
    T, B, D, H = cfg.pop("T"), cfg.pop("B"), cfg.pop("D"), cfg.pop("H")
    ours, ref = make_pair(mode, backend, input_size=D, hidden_size=H, **cfg)
    g = torch.Generator().manual_seed(3)
    shape = (B, T, D) if cfg.get("batch_first") else (T, B, D)
    x = randn(shape, g, backend, requires_grad=True)
    L_dirs = cfg.get("num_layers", 1) * (2 if cfg.get("bidirectional") else 1)
    n_states = 2 if mode == "lstm" else 1
    hx = [randn((L_dirs, B, H), g, backend, requires_grad=True) for _ in range(n_states)]
    assert_same_run(ours, ref, x, hx, backend, g)
    assert_same_run(ours, ref, x, [], backend, g)  # hx=None: zeros


@pytest.mark.parametrize("mode", MODES)
def test_layer_unbatched_input_matches_torch_nn(mode, backend):
    ours, ref = make_pair(mode, backend, input_size=3, hidden_size=2, num_layers=2)
    g = torch.Generator().manual_seed(4)
    x = randn((5, 3), g, backend, requires_grad=True)
    hx = [randn((2, 2), g, backend, requires_grad=True) for _ in range(2 if mode == "lstm" else 1)]
    assert_same_run(ours, ref, x, hx, backend, g)


@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_layer_packed_sequence_matches_torch_nn(mode, enforce_sorted, backend):
    ours, ref = make_pair(mode, backend, input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    g = torch.Generator().manual_seed(5)
    lengths = torch.tensor([6, 5, 3, 3, 1]) if enforce_sorted else torch.tensor([3, 6, 1, 5, 3])
    padded = randn((6, 5, 3), g, backend)
    x = pack_padded_sequence(padded, lengths, enforce_sorted=enforce_sorted)
    x.data.requires_grad_(True)
    n_states = 2 if mode == "lstm" else 1
    hx = [randn((4, 5, 4), g, backend, requires_grad=True) for _ in range(n_states)]
    assert_same_run(ours, ref, x, hx, backend, g)
    assert_same_run(ours, ref, x, [], backend, g)


def test_layer_packed_sequence_output_is_the_padded_run_for_each_sequence(backend):
    """Each sequence of a packed batch gives what it gives alone, unpadded."""
    ours = rt.GRU(2, 3, bidirectional=True, device=backend.device, dtype=backend.dtype,
                  generator=rt.make_generator(6))
    g = torch.Generator().manual_seed(7)
    lengths = [4, 2, 3]
    seqs = [randn((n, 1, 2), g, backend) for n in lengths]
    padded = torch.zeros(4, 3, 2, dtype=backend.dtype, device=backend.device)
    for b, s in enumerate(seqs):
        padded[: lengths[b], b] = s[:, 0]
    out, h_n = ours(pack_padded_sequence(padded, torch.tensor(lengths), enforce_sorted=False))
    out_padded, out_lengths = torch.nn.utils.rnn.pad_packed_sequence(out)
    assert out_lengths.tolist() == lengths
    for b, s in enumerate(seqs):
        alone_out, alone_h = ours(s)
        backend.close(out_padded[: lengths[b], b], alone_out[:, 0])
        backend.close(out_padded[lengths[b]:, b], torch.zeros_like(out_padded[lengths[b]:, b]))
        backend.close(h_n[:, b], alone_h[:, 0])


# ----------------------------------------------------------------------------------------
# dropout


@pytest.mark.parametrize("mode", MODES)
def test_layer_dropout_in_eval_mode_matches_torch_nn(mode, backend):
    ours, ref = make_pair(mode, backend, input_size=3, hidden_size=4, num_layers=3, dropout=0.5)
    ours.eval()
    ref.eval()
    g = torch.Generator().manual_seed(8)
    x = randn((4, 2, 3), g, backend, requires_grad=True)
    assert_same_run(ours, ref, x, [], backend, g)


@pytest.mark.parametrize("mode", MODES)
def test_layer_dropout_one_in_training_mode_matches_torch_nn(mode, backend):
    """p = 1 drops every input of layers 1 and 2: a deterministic check of where it acts."""
    ours, ref = make_pair(mode, backend, input_size=3, hidden_size=4, num_layers=3, dropout=1.0)
    ours.train()
    ref.train()
    g = torch.Generator().manual_seed(9)
    x = randn((4, 2, 3), g, backend, requires_grad=True)
    out, _ = ours(x)
    if backend.device == "cpu":  # cuDNN's dropout kernel with p = 1 is not a reference
        backend.close(out, ref(x)[0])
    if mode != "rnn_relu":  # relu outputs have true zeros of their own
        assert torch.all(out != 0), "dropout must not act on the last layer's output"
    top = MODES[mode][0](4, 4, **MODES[mode][2], device=backend.device, dtype=backend.dtype)
    top.load_state_dict({k.replace("_l2", "_l0"): v for k, v in ours.state_dict().items() if "_l2" in k})
    backend.close(out, top(torch.zeros_like(x[..., :1]).expand(4, 2, 4).contiguous())[0])


def test_layer_dropout_in_training_mode_acts_between_layers_only():
    """Make layer 1 the identity on positive inputs; then its output is dropout(layer 0's)."""
    p, T, B, H = 0.3, 5, 20, 50
    rnn = rt.RNN(2, H, num_layers=2, nonlinearity="relu", dropout=p, dtype=torch.float64,
                 generator=rt.make_generator(10))
    with torch.no_grad():
        rnn.weight_ih_l0.abs_()
        rnn.weight_hh_l0.abs_()
        rnn.bias_ih_l0.abs_()
        rnn.bias_hh_l0.abs_()
        rnn.weight_ih_l1.copy_(torch.eye(H, dtype=torch.float64))
        for name in ("weight_hh_l1", "bias_ih_l1", "bias_hh_l1"):
            getattr(rnn, name).zero_()
    x = torch.rand(T, B, 2, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    layer0 = rnn.eval()(x)[0]  # no dropout: layer 1 copies layer 0
    assert torch.all(layer0 > 0)
    dropped = rnn.train()(x)[0]
    ratio = dropped / layer0
    kept = ratio != 0
    torch.testing.assert_close(ratio[kept], torch.full_like(ratio[kept], 1 / (1 - p)))
    frac_zero = 1 - kept.double().mean().item()
    # n = 5000 elements: the standard deviation of the fraction is 0.0065; 0.05 is 7.7 of them.
    # Dropping the last layer's output too would give 1 - 0.7**2 = 0.51 zeros.
    assert abs(frac_zero - p) < 0.05, frac_zero


# ----------------------------------------------------------------------------------------
# initialisation


@pytest.mark.parametrize("mode", MODES)
def test_layer_init_is_uniform_within_torch_nn_bounds(mode):
    ours_cls, _, extra = MODES[mode]
    H = 64
    m = ours_cls(32, H, num_layers=2, **extra, generator=rt.make_generator(12))
    w = torch.cat([p.detach().flatten() for p in m.parameters()])
    k = 1 / math.sqrt(H)
    assert w.abs().max() <= k
    assert abs(w.mean().item()) < 0.01 * k * 3
    assert abs(w.var().item() - k * k / 3) < 0.05 * k * k / 3


@pytest.mark.parametrize("mode", MODES)
def test_layer_generator_makes_init_reproducible(mode):
    ours_cls, _, extra = MODES[mode]
    a = ours_cls(3, 4, **extra, generator=rt.make_generator(13)).state_dict()
    b = ours_cls(3, 4, **extra, generator=rt.make_generator(13)).state_dict()
    c = ours_cls(3, 4, **extra, generator=rt.make_generator(14)).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["weight_hh_l0"], c["weight_hh_l0"])
    f32 = ours_cls(3, 4, **extra, dtype=torch.float32, generator=rt.make_generator(13)).state_dict()
    assert all(torch.allclose(a[k].float(), f32[k]) for k in a), "same seed, same weights in any dtype"


@pytest.mark.parametrize("mode", MODES)
def test_layer_float32_on_cpu_matches_torch_nn(mode):
    """The learner's default: float32, where torch.nn.LSTM runs oneDNN kernels on the CPU."""
    ours_cls, ref_cls, extra = MODES[mode]
    ours = ours_cls(8, 16, num_layers=2, **extra, generator=rt.make_generator(15))
    ref = ref_cls(8, 16, num_layers=2, **extra)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(12, 4, 8, generator=torch.Generator().manual_seed(16), requires_grad=True)
    out, _ = ours(x)
    out.square().sum().backward()
    dx = x.grad.clone()
    x.grad = None
    out_ref, _ = ref(x)
    out_ref.square().sum().backward()
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(dx, x.grad, rtol=1e-4, atol=1e-5)
    for (name, p), p_ref in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, p_ref.grad, rtol=1e-4, atol=1e-5, msg=name)


def test_layer_parameters_follow_device_and_dtype(backend):
    m = rt.LSTM(3, 4, num_layers=2, device=backend.device, dtype=backend.dtype)
    for p in m.parameters():
        assert p.device.type == backend.device and p.dtype == backend.dtype
    out, (h, c) = m(torch.zeros(2, 1, 3, device=backend.device, dtype=backend.dtype))
    for t in (out, h, c):
        assert t.device.type == backend.device and t.dtype == backend.dtype


def test_default_device_is_cuda_when_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert rt.default_device() == torch.device(expected)


# ----------------------------------------------------------------------------------------
# bad input


def test_layer_rejects_wrong_input_size():
    with pytest.raises(ValueError, match=r"input_size=4.*\(5, 2, 3\)"):
        rt.LSTM(4, 3)(torch.zeros(5, 2, 3))


@pytest.mark.parametrize("mode", MODES)
def test_layer_rejects_wrong_hx_shape(mode):
    ours_cls, _, extra = MODES[mode]
    m = ours_cls(3, 5, num_layers=2, **extra)
    bad = torch.zeros(1, 4, 5)
    hx = (bad, torch.zeros(2, 4, 5)) if mode == "lstm" else bad
    with pytest.raises(ValueError, match=r"expected hidden state h_0 of shape \(2, 4, 5\).*got \(1, 4, 5\)"):
        m(torch.zeros(6, 4, 3), hx)


def test_layer_rejects_bad_hx_type_dtype_and_device():
    lstm = rt.LSTM(3, 2)
    x = torch.zeros(4, 1, 3)
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        lstm(x, torch.zeros(1, 1, 2))
    with pytest.raises(TypeError, match="float64.*float32"):
        lstm(x, (torch.zeros(1, 1, 2, dtype=torch.float64), torch.zeros(1, 1, 2)))
    with pytest.raises(TypeError, match="float64"):
        lstm(x.double())
    with pytest.raises(ValueError, match=r"\(T, B, D\)"):
        lstm(torch.zeros(2, 3, 4, 3))
    with pytest.raises(TypeError, match="Tensor or a PackedSequence"):
        lstm([[0.0, 0.0, 0.0]])


def test_layer_rejects_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity"):
        rt.RNN(3, 2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\]"):
        rt.GRU(3, 2, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="proj_size"):
        rt.LSTM(3, 2, proj_size=1)
    with pytest.raises(ValueError, match="num_layers"):
        rt.LSTM(3, 2, num_layers=0)
    with pytest.raises(ValueError, match="hidden_size"):
        rt.LSTM(3, -1)
    with pytest.warns(UserWarning, match="num_layers=1"):
        rt.LSTM(3, 2, dropout=0.5)


def test_recurrent_loop_runs_the_step_in_order():
    """The loop itself: a step that records t shows the order, both directions."""
    seen = []

    def step(gx_t, state):
        seen.append(int(gx_t[0, 0]))
        return (state[0] + gx_t,)

    gx = torch.arange(4.0).reshape(4, 1, 1)
    out, (h,) = rt.recurrent_loop(step, gx, (torch.zeros(1, 1),))
    assert seen == [0, 1, 2, 3] and out.flatten().tolist() == [0, 1, 3, 6] and h.item() == 6
    seen.clear()
    out, (h,) = rt.recurrent_loop(step, gx, (torch.zeros(1, 1),), reverse=True)
    assert seen == [3, 2, 1, 0] and out.flatten().tolist() == [6, 6, 5, 3]
