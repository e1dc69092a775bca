"""``rnncourse.torch.scan``: the parallel scan of h_t = a_t * h_{t-1} + b_t against the loop
(values and gradients), its number of sequential rounds, its argument checks, and MinGRU.

The ``backend`` fixture (tests/conftest.py) runs the comparisons in float64 on the CPU
(rtol 1e-10) and in float32 on CUDA when there is one. Small shapes and local generators.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import rnncourse.torch as rt
import rnncourse.torch.scan as scan_module
from rnncourse.torch import MinGRU, linear_scan, linear_scan_loop
from rnncourse.torch.scan import mingru_coefficients

SCANS = {"linear_scan": linear_scan, "linear_scan_loop": linear_scan_loop}


def _coefficients(T, B, H, *, seed=0, device="cpu", dtype=torch.float64, requires_grad=False):
    """a in (-1, 1), b and h0 standard normal, G (the upstream gradient) standard normal."""
    g = torch.Generator().manual_seed(seed)
    a = 2 * torch.rand(T, B, H, generator=g, dtype=torch.float64) - 1  # (T, B, H)
    b = torch.randn(T, B, H, generator=g, dtype=torch.float64)  # (T, B, H)
    h0 = torch.randn(B, H, generator=g, dtype=torch.float64)  # (B, H)
    G = torch.randn(T, B, H, generator=g, dtype=torch.float64)  # (T, B, H)
    out = [t.to(device, dtype) for t in (a, b, h0, G)]
    for t in out[:3]:
        t.requires_grad_(requires_grad)
    return out


def _values_and_grads(fn, a, b, h0, G):
    """h = fn(a, b, h0) and the gradients of sum(h * G) with respect to a, b (and h0)."""
    h = fn(a, b, h0)
    inputs = (a, b) if h0 is None else (a, b, h0)
    grads = torch.autograd.grad((h * G).sum(), inputs)
    return h, grads


# ----------------------------------------------------------------------------- linear_scan


@pytest.mark.parametrize("with_h0", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("B, H", [(1, 1), (3, 4), (2, 1), (1, 5)])
@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 17, 100])
def test_linear_scan_matches_loop_values_and_gradients(backend, T, B, H, with_h0):
    a, b, h0, G = _coefficients(T, B, H, seed=T + 10 * B + 100 * H, device=backend.device,
                                dtype=backend.dtype, requires_grad=True)
    h0 = h0 if with_h0 else None
    h_scan, grads_scan = _values_and_grads(linear_scan, a, b, h0, G)
    h_loop, grads_loop = _values_and_grads(linear_scan_loop, a, b, h0, G)
    assert h_scan.shape == (T, B, H)
    assert h_scan.dtype == backend.dtype and h_scan.device.type == backend.device
    backend.close(h_scan, h_loop, "states")
    for name, g_scan, g_loop in zip(("a", "b", "h0"), grads_scan, grads_loop):
        backend.close(g_scan, g_loop, f"gradient of {name}")


def test_linear_scan_long_sequence_matches_loop():
    # T = 4096 with B * H = 32: the scan keeps about 2 * 12 tensors of (T, B, H) for backward
    a, b, h0, G = _coefficients(4096, 4, 8, seed=1, requires_grad=True)
    h_scan, grads_scan = _values_and_grads(linear_scan, a, b, h0, G)
    h_loop, grads_loop = _values_and_grads(linear_scan_loop, a, b, h0, G)
    torch.testing.assert_close(h_scan, h_loop, rtol=1e-10, atol=1e-12)
    for g_scan, g_loop in zip(grads_scan, grads_loop):
        torch.testing.assert_close(g_scan, g_loop, rtol=1e-10, atol=1e-12)


def test_linear_scan_matches_the_recurrence_written_out():
    # T = 3, B = H = 1: h1 = a1 h0 + b1, h2 = a2 h1 + b2, h3 = a3 h2 + b3
    a = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64).reshape(3, 1, 1)
    b = torch.tensor([1.0, 4.0, -1.0], dtype=torch.float64).reshape(3, 1, 1)
    h0 = torch.tensor([[2.0]], dtype=torch.float64)
    h = linear_scan(a, b, h0)
    assert h.flatten().tolist() == [2.0, 0.0, -1.0]


def test_linear_scan_zero_decay_resets_the_state():
    a, b, h0, _ = _coefficients(23, 2, 3, seed=2)
    a[9] = 0.0  # the state after step 10 is b_10, whatever came before
    h = linear_scan(a, b, h0)
    assert torch.equal(h[9], b[9])
    a2, b2 = a.clone(), b.clone()
    a2[:9] = 0.3
    b2[:9] = -7.0
    h2 = linear_scan(a2, b2, 5 * h0)  # another past, the same future
    torch.testing.assert_close(h2[9:], h[9:], rtol=1e-12, atol=0)


def test_linear_scan_h0_adds_the_product_of_decays_times_h0():
    # h_t(h0) = h_t(0) + (a_t * ... * a_1) * h0: the recurrence is linear in h0
    a, b, h0, _ = _coefficients(37, 3, 2, seed=3)
    torch.testing.assert_close(linear_scan(a, b, torch.zeros_like(h0)), linear_scan(a, b), rtol=0, atol=0)
    expected = linear_scan(a, b) + torch.cumprod(a, dim=0) * h0  # (T, B, H)
    torch.testing.assert_close(linear_scan(a, b, h0), expected, rtol=1e-10, atol=1e-12)


def test_linear_scan_float32_is_close_to_float64():
    a, b, h0, _ = _coefficients(1000, 4, 8, seed=4)
    exact = linear_scan_loop(a, b, h0)  # float64
    h32 = linear_scan(a.float(), b.float(), h0.float())
    assert h32.dtype == torch.float32
    torch.testing.assert_close(h32.double(), exact, rtol=1e-5, atol=1e-5)


def test_linear_scan_gradcheck():
    a, b, h0, _ = _coefficients(6, 2, 3, seed=5, requires_grad=True)
    assert torch.autograd.gradcheck(linear_scan, (a, b, h0))
    assert torch.autograd.gradcheck(lambda a, b: linear_scan(a, b), (a, b))


@pytest.mark.parametrize("T", [0, 1, 2, 3, 4, 5, 8, 9, 17, 100, 1000])
def test_linear_scan_takes_ceil_log2_T_combine_rounds(monkeypatch, T):
    calls = []
    combine = scan_module.scan_combine

    def counting_combine(first, second):
        calls.append(first[0].shape[0])  # the pairs combined in this round
        return combine(first, second)

    monkeypatch.setattr(scan_module, "scan_combine", counting_combine)
    a, b, _, _ = _coefficients(T, 2, 3, seed=6)
    linear_scan(a, b)
    assert len(calls) == (math.ceil(math.log2(T)) if T > 0 else 0)
    assert calls == [T - k for k in (2 ** i for i in range(len(calls)))]  # offsets 1, 2, 4, ...


@pytest.mark.parametrize("fn", SCANS.values(), ids=SCANS.keys())
@pytest.mark.parametrize("with_h0", [True, False], ids=["h0", "zeros"])
def test_linear_scan_empty_sequence_returns_empty_states(fn, with_h0):
    a = torch.zeros(0, 3, 4, dtype=torch.float64)
    h0 = torch.ones(3, 4, dtype=torch.float64) if with_h0 else None
    h = fn(a, a.clone(), h0)
    assert h.shape == (0, 3, 4) and h.dtype == torch.float64


@pytest.mark.parametrize("fn", SCANS.values(), ids=SCANS.keys())
def test_linear_scan_returns_a_new_tensor(fn):
    a, b, _, _ = _coefficients(1, 2, 3, seed=7)
    before = b.clone()
    h = fn(a, b)
    h += 1.0
    assert torch.equal(b, before)


def test_linear_scan_runs_without_grad_and_with_grad_on_some_inputs():
    a, b, h0, G = _coefficients(9, 2, 2, seed=8)
    with torch.no_grad():
        assert not linear_scan(a, b, h0).requires_grad
    b.requires_grad_(True)
    (db,) = torch.autograd.grad((linear_scan(a, b, h0) * G).sum(), (b,))
    (db_loop,) = torch.autograd.grad((linear_scan_loop(a, b, h0) * G).sum(), (b,))
    torch.testing.assert_close(db, db_loop, rtol=1e-10, atol=1e-12)


def _bad_arguments():
    f64 = torch.float64
    ok = torch.zeros(4, 2, 3, dtype=f64)
    h0 = torch.zeros(2, 3, dtype=f64)
    return {
        "a_not_tensor": ((ok.tolist(), ok, None), TypeError, r"\ba must be a torch.Tensor"),
        "b_not_tensor": ((ok, 1.0, None), TypeError, r"\bb must be a torch.Tensor"),
        "a_2d": ((ok[0], ok[0], None), ValueError, r"\ba must have shape \(T, B, H\)"),
        "b_4d": ((ok, ok[None], None), ValueError, r"\bb must have shape \(T, B, H\)"),
        "a_integer": ((ok.long(), ok, None), TypeError, r"\ba must have a floating dtype.*torch.int64"),
        "b_bool": ((ok, ok.bool(), None), TypeError, r"\bb must have a floating dtype"),
        "shapes_differ": ((ok, ok[:3], None), ValueError, r"a and b must have the same shape.*\(4, 2, 3\).*\(3, 2, 3\)"),
        "dtypes_differ": ((ok, ok.float(), None), TypeError, r"a and b must have the same dtype"),
        "h0_not_tensor": ((ok, ok, 0.0), TypeError, r"h0 must be a torch.Tensor of shape \(B, H\)"),
        "h0_3d": ((ok, ok, h0[None]), ValueError, r"h0 must have shape \(B, H\) = \(2, 3\)"),
        "h0_wrong_batch": ((ok, ok, h0[:1]), ValueError, r"h0 must have shape \(B, H\) = \(2, 3\).*\(1, 3\)"),
        "h0_dtype": ((ok, ok, h0.float()), TypeError, r"h0 must have the dtype of a and b \(torch.float64\)"),
    }


@pytest.mark.parametrize("fn", SCANS.values(), ids=SCANS.keys())
@pytest.mark.parametrize("case", _bad_arguments().keys())
def test_linear_scan_bad_argument_raises_naming_it(fn, case):
    args, error, pattern = _bad_arguments()[case]
    with pytest.raises(error, match=pattern) as info:
        fn(*args)
    assert fn.__name__ in str(info.value)


@pytest.mark.gpu
@pytest.mark.parametrize("fn", SCANS.values(), ids=SCANS.keys())
def test_linear_scan_inputs_on_different_devices_raise(fn):
    a = torch.zeros(4, 2, 3)
    with pytest.raises(ValueError, match="a and b must be on the same device"):
        fn(a, a.cuda())
    with pytest.raises(ValueError, match="h0 must be on the device of a and b"):
        fn(a.cuda(), a.cuda(), torch.zeros(2, 3))


def test_linear_scan_is_exported():
    for name in ("linear_scan", "linear_scan_loop", "MinGRU"):
        assert name in rt.__all__
        assert getattr(rt, name) is getattr(scan_module, name)


# ----------------------------------------------------------------------------- MinGRU


def _mingru(D, H, backend, *, decay="positive", scan=True, seed=0):
    return MinGRU(D, H, decay=decay, scan=scan, generator=rt.make_generator(seed),
                  device=backend.device, dtype=backend.dtype)


def _randn(shape, g, backend, requires_grad=False):
    t = torch.randn(shape, generator=g, dtype=torch.float64).to(backend.device, backend.dtype)
    return t.requires_grad_(requires_grad)


def _mingru_by_hand(x, h, W, bias, decay):
    """The equations of the docstring, one step after the other, for one example at a time."""
    T, B, _ = x.shape
    H = W.shape[0] // 2
    W_z, W_n, b_z, b_n = W[:H], W[H:], bias[:H], bias[H:]
    out = torch.empty(T, B, H, dtype=x.dtype, device=x.device)
    with torch.no_grad():
        for i in range(B):
            h_i = h[i]
            for t in range(T):
                z = torch.sigmoid(W_z @ x[t, i] + b_z)
                a = z if decay == "positive" else 2 * z - 1
                n = W_n @ x[t, i] + b_n
                h_i = a * h_i + (1 - a) * n
                out[t, i] = h_i
    return out


@pytest.mark.parametrize("with_h0", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("decay", ["positive", "signed"])
@pytest.mark.parametrize("scan", [True, False], ids=["scan", "loop"])
def test_mingru_matches_its_equations_written_by_hand(backend, decay, scan, with_h0):
    T, B, D, H = 7, 3, 4, 5
    g = torch.Generator().manual_seed(11)
    layer = _mingru(D, H, backend, decay=decay, scan=scan)
    x = _randn((T, B, D), g, backend)
    h0 = _randn((1, B, H), g, backend) if with_h0 else None
    out, h_n = layer(x, h0)
    h_start = h0[0] if with_h0 else torch.zeros(B, H, dtype=backend.dtype, device=backend.device)
    expected = _mingru_by_hand(x, h_start, layer.weight_ih.detach(), layer.bias_ih.detach(), decay)
    backend.close(out, expected, "output")
    backend.close(h_n, expected[-1:], "h_n")


@pytest.mark.parametrize("decay", ["positive", "signed"])
@pytest.mark.parametrize("T", [1, 6, 33])
def test_mingru_scan_equals_loop_values_and_gradients(backend, decay, T):
    B, D, H = 2, 3, 4
    g = torch.Generator().manual_seed(T)
    fast = _mingru(D, H, backend, decay=decay, scan=True, seed=T)
    slow = _mingru(D, H, backend, decay=decay, scan=False, seed=T)
    assert all(torch.equal(p, q) for p, q in zip(fast.parameters(), slow.parameters()))
    x = _randn((T, B, D), g, backend, requires_grad=True)
    h0 = _randn((1, B, H), g, backend, requires_grad=True)
    G, G_n = _randn((T, B, H), g, backend), _randn((1, B, H), g, backend)
    results = []
    for layer in (fast, slow):
        out, h_n = layer(x, h0)
        loss = (out * G).sum() + (h_n * G_n).sum()
        results.append((out, h_n, torch.autograd.grad(loss, (x, h0, *layer.parameters()))))
    (out_f, h_f, grads_f), (out_s, h_s, grads_s) = results
    backend.close(out_f, out_s, "output")
    backend.close(h_f, h_s, "h_n")
    for name, gf, gs in zip(("x", "h0", "weight_ih", "bias_ih"), grads_f, grads_s):
        backend.close(gf, gs, f"gradient of {name}")


@pytest.mark.parametrize("T, B, D, H", [(1, 1, 1, 1), (5, 3, 4, 2), (9, 1, 2, 7)])
def test_mingru_output_shapes_and_h_n_is_the_last_output(T, B, D, H):
    layer = MinGRU(D, H, generator=rt.make_generator(0))
    x = torch.randn(T, B, D, generator=torch.Generator().manual_seed(0))
    out, h_n = layer(x)
    assert out.shape == (T, B, H) and h_n.shape == (1, B, H)
    assert torch.equal(h_n[0], out[-1])


def test_mingru_empty_batch_runs_forward_and_backward():
    layer = MinGRU(3, 4, generator=rt.make_generator(0))
    out, h_n = layer(torch.zeros(5, 0, 3))
    assert out.shape == (5, 0, 4) and h_n.shape == (1, 0, 4)
    out.sum().backward()
    assert torch.equal(layer.weight_ih.grad, torch.zeros(8, 3))


def test_mingru_parameters_in_pytorch_layout_and_initialised_like_gru():
    D, H = 3, 16
    layer = MinGRU(D, H, generator=rt.make_generator(1))
    shapes = {name: tuple(p.shape) for name, p in layer.named_parameters()}
    assert shapes == {"weight_ih": (2 * H, D), "bias_ih": (2 * H,)}
    bound = 1 / math.sqrt(H)
    for p in layer.parameters():
        assert p.abs().max() <= bound
        assert p.abs().max() > bound / 2  # drawn over the whole interval, not near 0
    again = MinGRU(D, H, generator=rt.make_generator(1))
    other = MinGRU(D, H, generator=rt.make_generator(2))
    assert torch.equal(layer.weight_ih, again.weight_ih)
    assert not torch.equal(layer.weight_ih, other.weight_ih)


def test_mingru_generator_leaves_the_global_generator_alone():
    state = torch.random.get_rng_state()
    MinGRU(3, 4, generator=rt.make_generator(0))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_mingru_decay_ranges():
    gx = torch.linspace(-60, 60, 241, dtype=torch.float64).reshape(-1, 1).repeat(1, 2)  # (N, 2H), H = 1
    a_pos, _ = mingru_coefficients(gx, "positive")
    a_sig, _ = mingru_coefficients(gx, "signed")
    assert 0 <= a_pos.min() and a_pos.max() <= 1
    assert -1 <= a_sig.min() < -0.99 and 0.99 < a_sig.max() <= 1
    torch.testing.assert_close(a_sig, torch.tanh(gx[:, :1] / 2), rtol=1e-12, atol=1e-15)


def test_mingru_signed_can_count_modulo_two():
    # a = -1 on a 1 and +1 on a 0, n = 1/2: h -> 1 - h on a 1, h kept on a 0: h_t = parity
    layer = MinGRU(1, 1, decay="signed", dtype=torch.float64)
    with torch.no_grad():
        layer.weight_ih.copy_(torch.tensor([[-80.0], [0.0]]))
        layer.bias_ih.copy_(torch.tensor([40.0, 0.5]))
    bits = torch.randint(0, 2, (300, 4, 1), generator=torch.Generator().manual_seed(0)).double()
    out, _ = layer(bits)
    assert torch.equal(out, torch.cumsum(bits, dim=0) % 2)


def test_mingru_signed_state_stays_bounded():
    # |h_t| <= max(|h_0|, (1 + rho) / (1 - rho) * max |n_t|) with rho = max |a_t| (docstring)
    g = torch.Generator().manual_seed(3)
    layer = MinGRU(2, 6, decay="signed", generator=g, dtype=torch.float64)
    with torch.no_grad():
        layer.weight_ih.mul_(8)  # decays close to -1 and 1
    x = torch.randn(2000, 4, 2, generator=g, dtype=torch.float64)
    out, _ = layer(x)
    a, b = mingru_coefficients(F.linear(x, layer.weight_ih, layer.bias_ih), "signed")
    n = F.linear(x, layer.weight_ih, layer.bias_ih)[..., 6:]
    rho, N = a.abs().max(), n.abs().max()
    assert rho < 1
    assert out.abs().max() <= (1 + rho) / (1 - rho) * N
    assert torch.isfinite(out).all()


def test_mingru_repr_shows_non_default_options():
    assert repr(MinGRU(2, 3)) == "MinGRU(2, 3)"
    assert repr(MinGRU(2, 3, decay="signed", scan=False)) == "MinGRU(2, 3, decay='signed', scan=False)"


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(input_size=0, hidden_size=3), "input_size must be a positive integer"),
    (dict(input_size=2, hidden_size=0), "hidden_size must be a positive integer"),
    (dict(input_size=2.0, hidden_size=3), "input_size must be a positive integer"),
    (dict(input_size=2, hidden_size=True), "hidden_size must be a positive integer"),
    (dict(input_size=2, hidden_size=3, decay="negative"), "decay must be one of"),
    (dict(input_size=2, hidden_size=3, decay=None), "decay must be one of"),
])
def test_mingru_bad_constructor_argument_raises_naming_it(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        MinGRU(**kwargs)


@pytest.mark.parametrize("x_shape, h0_shape, error, pattern", [
    ((5, 2, 4), None, ValueError, r"expected input of shape \(T, B, D\) with D = input_size = 3"),
    ((5, 3), None, ValueError, r"expected input of shape \(T, B, D\)"),
    ((0, 2, 3), None, RuntimeError, r"sequence length T to be larger than 0"),
    ((5, 2, 3), (2, 4), ValueError, r"expected h0 of shape \(1, B, H\) = \(1, 2, 4\)"),
    ((5, 2, 3), (1, 3, 4), ValueError, r"expected h0 of shape \(1, B, H\) = \(1, 2, 4\), got \(1, 3, 4\)"),
])
def test_mingru_bad_input_raises_naming_it(x_shape, h0_shape, error, pattern):
    layer = MinGRU(3, 4, generator=rt.make_generator(0))
    x = torch.zeros(x_shape)
    h0 = None if h0_shape is None else torch.zeros(h0_shape)
    with pytest.raises(error, match=pattern):
        layer(x, h0)


def test_mingru_wrong_dtype_raises_naming_input_or_h0():
    layer = MinGRU(3, 4, generator=rt.make_generator(0))
    with pytest.raises(TypeError, match=r"input has dtype torch.float64"):
        layer(torch.zeros(5, 2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"h0 has dtype torch.float64"):
        layer(torch.zeros(5, 2, 3), torch.zeros(1, 2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"input must be a torch.Tensor"):
        layer([[[0.0, 0.0, 0.0]]])
