"""rnncourse.pooling: each function against a plain Python loop, NumPy against torch, the last
valid state against torch.nn.GRU on a packed batch, gradients, small dimensions, and errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from rnncourse import pooling
from rnncourse.pooling import last_valid_state, lengths_mask, masked_max_pool, masked_mean_pool

POOLS = [last_valid_state, masked_mean_pool, masked_max_pool]
POOL_IDS = [f.__name__ for f in POOLS]


def make_batch(seed, T, lengths, H, padding=None):
    """Outputs (T, B, H) ~ N(0, 1) from a local generator; ``padding`` fills the padding steps."""
    rng = np.random.default_rng(seed)
    lengths = np.asarray(lengths, dtype=np.int64)
    outputs = rng.normal(size=(T, len(lengths), H))
    if padding is not None:
        outputs[np.arange(T)[:, None] >= lengths[None, :]] = padding
    return outputs, lengths


def random_batch(seed):
    """A batch of random size, lengths in [1, T], at least one of length T and one shorter."""
    rng = np.random.default_rng(seed)
    T, B, H = rng.integers(2, 9), rng.integers(2, 6), rng.integers(1, 5)
    lengths = rng.integers(1, T + 1, B)
    lengths[rng.integers(B)] = T
    lengths[(np.argmax(lengths) + 1) % B] = rng.integers(1, T)
    return make_batch(seed + 1000, T, lengths, H)


def loop_last(outputs, lengths):
    T, B, H = outputs.shape
    return np.array([[outputs[lengths[b] - 1, b, j] for j in range(H)] for b in range(B)])


def loop_mean(outputs, lengths):
    T, B, H = outputs.shape
    out = np.zeros((B, H))
    for b in range(B):
        for j in range(H):
            total = 0.0
            for t in range(lengths[b]):
                total += outputs[t, b, j]
            out[b, j] = total / lengths[b]
    return out


def loop_max(outputs, lengths):
    T, B, H = outputs.shape
    return np.array([[max(outputs[t, b, j] for t in range(lengths[b])) for j in range(H)] for b in range(B)])


LOOPS = {"last_valid_state": loop_last, "masked_mean_pool": loop_mean, "masked_max_pool": loop_max}


# ----------------------------------------------------------------------------- NumPy values
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_matches_python_loop(fn, seed):
    outputs, lengths = random_batch(seed)
    before = outputs.copy()
    result = fn(outputs, lengths)
    assert isinstance(result, np.ndarray) and result.shape == (outputs.shape[1], outputs.shape[2])
    np.testing.assert_allclose(result, LOOPS[fn.__name__](outputs, lengths), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(outputs, before)  # inputs unchanged


def test_last_valid_state_differs_from_last_padded_step():
    outputs, lengths = make_batch(0, 5, [5, 2, 3], 4)
    result = last_valid_state(outputs, lengths)
    np.testing.assert_array_equal(result[0], outputs[-1, 0])  # full length: the final step
    np.testing.assert_array_equal(result[1], outputs[1, 1])
    assert not np.allclose(result[1:], outputs[-1, 1:])


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_without_padding_is_plain_reduction(fn):
    outputs, lengths = make_batch(1, 4, [4, 4, 4], 3)
    plain = {"last_valid_state": outputs[-1], "masked_mean_pool": outputs.mean(axis=0),
             "masked_max_pool": outputs.max(axis=0)}[fn.__name__]
    np.testing.assert_allclose(fn(outputs, lengths), plain, rtol=1e-14)


@pytest.mark.parametrize("padding", [np.nan, np.inf, -np.inf, 1e300])
@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_ignores_whatever_the_padding_holds(fn, padding):
    outputs, lengths = make_batch(2, 6, [2, 6, 1, 4], 3, padding=padding)
    clean, _ = make_batch(2, 6, [2, 6, 1, 4], 3, padding=0.0)
    with np.errstate(all="raise"):
        result = fn(outputs, lengths)
    np.testing.assert_array_equal(result, fn(clean, lengths))
    assert np.all(np.isfinite(result))


@pytest.mark.parametrize(("T", "lengths", "H"), [(1, [1], 1), (1, [1, 1, 1], 4), (6, [3], 1), (5, [5], 2)])
@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_small_dimensions(fn, T, lengths, H):
    outputs, lengths = make_batch(3, T, lengths, H)
    result = fn(outputs, lengths)
    assert result.shape == (len(lengths), H)
    np.testing.assert_allclose(result, LOOPS[fn.__name__](outputs, lengths), rtol=1e-12, atol=1e-14)
    if T == 1:
        np.testing.assert_array_equal(result, outputs[0])


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_accepts_lengths_as_list_tuple_or_any_int_dtype(fn):
    outputs, lengths = make_batch(4, 5, [3, 5, 1], 2)
    expected = fn(outputs, lengths)
    for form in (lengths.tolist(), tuple(lengths.tolist()), lengths.astype(np.int32), lengths.astype(np.uint8)):
        np.testing.assert_array_equal(fn(outputs, form), expected)


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_keeps_float_dtype(fn):
    outputs, lengths = make_batch(5, 5, [3, 5, 1], 2)
    for dtype in (np.float32, np.float64):
        assert fn(outputs.astype(dtype), lengths).dtype == dtype


def test_masked_mean_pool_of_integers_is_exact_mean():
    outputs = np.arange(24).reshape(4, 3, 2)
    result = masked_mean_pool(outputs, [1, 4, 2])
    np.testing.assert_allclose(result, loop_mean(outputs.astype(float), [1, 4, 2]), rtol=1e-15)


# ----------------------------------------------------------------------------- lengths_mask
def test_lengths_mask_values_and_zero_length():
    mask = lengths_mask(np.array([2, 0, 3]), 4)
    assert mask.dtype == bool and mask.shape == (4, 3)
    expected = np.array([[t < L for L in (2, 0, 3)] for t in range(4)])
    np.testing.assert_array_equal(mask, expected)
    assert lengths_mask([], 3).shape == (3, 0)


def test_lengths_mask_torch_returns_bool_tensor():
    torch = pytest.importorskip("torch")
    mask = lengths_mask(torch.tensor([2, 0, 3]), 4)
    assert isinstance(mask, torch.Tensor) and mask.dtype == torch.bool
    np.testing.assert_array_equal(mask.numpy(), lengths_mask([2, 0, 3], 4))


@pytest.mark.parametrize(
    ("lengths", "T", "error", "match"),
    [
        ([2, 5], 4, ValueError, r"\[0, T\] = \[0, 4\]"),
        ([-1, 2], 4, ValueError, r"\[0, T\] = \[0, 4\]"),
        ([2, 3], 2.0, TypeError, "T must be an int"),
        ([2, 3], True, TypeError, "T must be an int"),
        ([2, 3], -1, ValueError, "T must be an int >= 0"),
        ([1.5, 2.0], 4, TypeError, "integers"),
        ([[1, 2]], 4, ValueError, r"shape \(B,\)"),
    ],
)
def test_lengths_mask_errors(lengths, T, error, match):
    with pytest.raises(error, match=match):
        lengths_mask(lengths, T)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
@pytest.mark.parametrize("bad", [[0, 3, 2], [3, 6, 2], [-2, 3, 2]])
def test_pool_lengths_out_of_range_raise_naming_range(fn, bad):
    outputs, _ = make_batch(6, 5, [1, 1, 1], 2)
    with pytest.raises(ValueError, match=r"\[1, T\] = \[1, 5\].*got lengths\[\d\] = -?\d"):
        fn(outputs, bad)


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
@pytest.mark.parametrize(
    ("outputs", "lengths", "error", "match"),
    [
        (np.zeros((4, 2, 3)).tolist(), [1, 2], TypeError, "NumPy array or a torch tensor"),
        (np.zeros((4, 2)), [1, 2], ValueError, r"shape \(T, B, H\)"),
        (np.zeros((2, 4, 2, 3)), [1, 2], ValueError, r"shape \(T, B, H\)"),
        (np.zeros((0, 2, 3)), [1, 2], ValueError, "at least one time step"),
        (np.zeros((4, 2, 3), dtype=complex), [1, 2], TypeError, "real numbers"),
        (np.zeros((4, 2, 3), dtype=bool), [1, 2], TypeError, "real numbers"),
        (np.zeros((4, 2, 3)), [1.0, 2.0], TypeError, "integers.*float64"),
        (np.zeros((4, 2, 3)), [True, False], TypeError, "booleans"),
        (np.zeros((4, 2, 3)), ["a", "b"], TypeError, "integers"),
        (np.zeros((4, 2, 3)), None, TypeError, "integers"),
        (np.zeros((4, 2, 3)), [1, 2, 3], ValueError, r"shape \(B,\) = \(2,\).*got shape \(3,\)"),
        (np.zeros((4, 2, 3)), 2, ValueError, r"shape \(B,\)"),
        (np.zeros((4, 2, 3)), [[1, 2]], ValueError, r"shape \(B,\)"),
    ],
)
def test_pool_bad_arguments_raise_clear_errors(fn, outputs, lengths, error, match):
    with pytest.raises(error, match=match):
        fn(outputs, lengths)


# ----------------------------------------------------------------------------- the shown solution
@pytest.mark.parametrize("fn", [last_valid_state, masked_mean_pool, masked_max_pool], ids=POOL_IDS)
def test_pool_shown_source_is_short_numpy_that_runs_alone(fn):
    source = inspect.getsource(fn)
    assert source.startswith(f"def {fn.__name__}(outputs, lengths):")
    body = source.split('"""')[-1]  # the code after the docstring
    code = [line for line in body.splitlines() if line.strip()]
    assert len(code) <= 4 and "torch" not in body and "_check" not in body
    namespace = {}
    exec("import numpy as np\n" + source, namespace)
    outputs, lengths = random_batch(7)
    np.testing.assert_allclose(namespace[fn.__name__](outputs, lengths), fn(outputs, lengths), rtol=1e-15)
    assert inspect.signature(fn) == inspect.signature(namespace[fn.__name__])


def test_module_imports_no_torch():
    import subprocess
    import sys

    code = "import sys, rnncourse.pooling; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- torch
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_torch_matches_numpy(fn, seed, backend, torch):
    outputs, lengths = random_batch(seed)
    expected = fn(outputs, lengths)
    tensor = torch.tensor(outputs, dtype=backend.dtype, device=backend.device)
    for lens in (lengths, lengths.tolist(), torch.tensor(lengths), torch.tensor(lengths, device=backend.device)):
        result = fn(tensor, lens)
        assert isinstance(result, torch.Tensor)
        assert result.dtype == backend.dtype and result.device == tensor.device
        backend.close(result, expected)


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_torch_small_dimensions(fn, torch):
    for T, lengths, H in [(1, [1], 1), (1, [1, 1], 3), (4, [2], 1)]:
        outputs, lengths = make_batch(8, T, lengths, H)
        result = fn(torch.tensor(outputs), torch.tensor(lengths))
        np.testing.assert_allclose(result.numpy(), LOOPS[fn.__name__](outputs, lengths), rtol=1e-12)


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_torch_gradient_flows_to_real_steps_only(fn, backend, torch):
    outputs, lengths = make_batch(9, 6, [2, 6, 1, 4], 3)
    x = torch.tensor(outputs, dtype=backend.dtype, device=backend.device, requires_grad=True)
    weights = torch.tensor(np.random.default_rng(10).normal(size=(4, 3)), dtype=backend.dtype, device=backend.device)
    (fn(x, lengths) * weights).sum().backward()
    grad = x.grad.cpu().double().numpy()
    w = weights.cpu().double().numpy()
    expected = np.zeros_like(outputs)
    for b, L in enumerate(lengths):
        if fn is last_valid_state:
            expected[L - 1, b] = w[b]
        elif fn is masked_mean_pool:
            expected[:L, b] = w[b] / L
        else:
            top = outputs[:L, b].argmax(axis=0)  # (H,) the step holding each feature's maximum
            expected[top, b, np.arange(3)] = w[b]
    padding = np.arange(6)[:, None] >= lengths[None, :]
    assert np.all(grad[padding] == 0.0)
    backend.close(torch.tensor(grad), torch.tensor(expected))


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_torch_gradcheck(fn, torch):
    outputs, lengths = make_batch(11, 5, [3, 5, 1], 2)
    x = torch.tensor(outputs, requires_grad=True)
    assert torch.autograd.gradcheck(lambda o: fn(o, torch.tensor(lengths)), (x,))


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_torch_padding_nan_leaves_no_nan_gradient(fn, torch):
    outputs, lengths = make_batch(12, 5, [3, 5, 1], 2, padding=np.nan)
    x = torch.tensor(outputs, requires_grad=True)
    result = fn(x, lengths)
    assert torch.isfinite(result).all()
    result.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("fn", POOLS, ids=POOL_IDS)
def test_pool_torch_errors_as_numpy(fn, torch):
    x = torch.zeros(5, 3, 2)
    with pytest.raises(ValueError, match=r"\[1, T\] = \[1, 5\]"):
        fn(x, torch.tensor([0, 2, 3]))
    with pytest.raises(ValueError, match=r"\[1, T\] = \[1, 5\]"):
        fn(x, torch.tensor([6, 2, 3]))
    with pytest.raises(TypeError, match="integers"):
        fn(x, torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"shape \(T, B, H\)"):
        fn(torch.zeros(5, 3), [1, 2, 3])
    with pytest.raises(TypeError, match="real numbers"):
        fn(torch.zeros(5, 3, 2, dtype=torch.complex64), [1, 2, 3])


def _gru(torch, D, H, rng, dtype):
    """A torch.nn.GRU whose weights come from a local generator (no global random state used)."""
    gru = torch.nn.GRU(D, H, dtype=dtype, device="meta").to_empty(device="cpu")  # no initialisation
    with torch.no_grad():
        for p in gru.parameters():
            p.copy_(torch.tensor(rng.normal(0.0, 0.5, tuple(p.shape)), dtype=dtype))
    return gru


def test_last_valid_state_equals_packed_gru_final_state(torch):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    rng = np.random.default_rng(13)
    T, D, H = 7, 3, 4
    lengths = np.array([3, 7, 1, 5, 7, 2])  # unsorted, with lengths 1 and T
    x = torch.tensor(rng.normal(size=(T, len(lengths), D)))  # the padding holds nonzero inputs too
    gru = _gru(torch, D, H, rng, torch.float64)
    with torch.no_grad():
        packed_out, h_n = gru(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
        unpacked, _ = pad_packed_sequence(packed_out, total_length=T)  # zeros on the padding
        padded_out, padded_h_n = gru(x)  # the layer also reads the padding
    for outputs in (padded_out, unpacked):
        torch.testing.assert_close(last_valid_state(outputs, lengths), h_n[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(last_valid_state(outputs.numpy(), lengths), h_n[0].numpy(), rtol=1e-12)
    short = lengths < T
    assert not torch.allclose(padded_h_n[0][short], h_n[0][short])  # the classic bug: h after padding


def test_last_valid_state_gradient_skips_padding_inputs_of_gru(torch):
    rng = np.random.default_rng(14)
    T, D, H = 6, 2, 3
    lengths = np.array([4, 1, 6])
    x = torch.tensor(rng.normal(size=(T, len(lengths), D)), requires_grad=True)
    gru = _gru(torch, D, H, rng, torch.float64)
    outputs, _ = gru(x)
    last_valid_state(outputs, torch.tensor(lengths)).pow(2).sum().backward()
    padding = torch.tensor(np.arange(T)[:, None] >= lengths[None, :])
    assert torch.all(x.grad[padding] == 0)  # steps after a sequence's end do not change its state
    assert torch.all(x.grad[~padding].abs().sum(-1) > 0)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in gru.parameters())


def test_pool_public_api():
    assert set(pooling.__all__) == {"last_valid_state", "masked_mean_pool", "masked_max_pool", "lengths_mask"}
