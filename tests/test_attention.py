"""rnncourse.attention.additive_attention: the equation (against a plain double loop), masking,
padding that holds NaN or inf, the torch twin (values and gradients), small shapes, errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from rnncourse.attention import additive_attention


def _inputs(rng, S=5, B=3, H=4, Hk=6, A=2, lengths=None, dtype=np.float64):
    lengths = np.asarray(lengths if lengths is not None else rng.integers(1, S + 1, B))
    mask = np.arange(S)[:, None] < lengths[None, :]  # (S, B)
    args = (
        rng.normal(size=(B, H)),
        rng.normal(size=(S, B, Hk)),
        mask,
        rng.normal(size=(A, H)) / np.sqrt(H),
        rng.normal(size=(A, Hk)) / np.sqrt(Hk),
        rng.normal(size=A),
    )
    return tuple(a if a.dtype == bool else a.astype(dtype) for a in args)


def _loop(query, keys, mask, W_q, W_k, v):
    """The definition, one sequence and one source position at a time."""
    S, B, Hk = keys.shape
    context = np.zeros((B, Hk))
    weights = np.zeros((S, B))
    for b in range(B):
        real = [s for s in range(S) if mask[s, b]]
        e = {s: float(v @ np.tanh(W_q @ query[b] + W_k @ keys[s, b])) for s in real}
        total = sum(np.exp(x) for x in e.values())
        for s in real:
            weights[s, b] = np.exp(e[s]) / total
            context[b] += weights[s, b] * keys[s, b]
    return context, weights


SHAPES = [
    dict(S=5, B=3, H=4, Hk=6, A=2),
    dict(S=1, B=3, H=2, Hk=3, A=4),
    dict(S=4, B=1, H=2, Hk=3, A=5),
    dict(S=4, B=3, H=1, Hk=2, A=3),
    dict(S=4, B=3, H=2, Hk=1, A=3),
    dict(S=4, B=3, H=3, Hk=2, A=1),
    dict(S=1, B=1, H=1, Hk=1, A=1),
    dict(S=7, B=6, H=5, Hk=5, A=5),
]


@pytest.mark.parametrize("dims", SHAPES, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_equals_the_double_loop(dims):
    rng = np.random.default_rng(0)
    for _ in range(3):
        args = _inputs(rng, **dims)
        context, weights = additive_attention(*args)
        want_c, want_w = _loop(*args)
        assert context.shape == (dims["B"], dims["Hk"]) and weights.shape == (dims["S"], dims["B"])
        np.testing.assert_allclose(context, want_c, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(weights, want_w, rtol=1e-12, atol=1e-12)


def test_weights_sum_to_one_over_real_positions_and_are_zero_on_padding():
    rng = np.random.default_rng(1)
    args = _inputs(rng, S=8, B=5, lengths=[8, 1, 3, 5, 2])
    _, weights = additive_attention(*args)
    mask = args[2]
    assert (weights[~mask] == 0.0).all()
    assert (weights[mask] > 0).all()
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-14)
    assert weights[0, 1] == 1.0  # a sequence of length 1 puts all its weight on its one position


@pytest.mark.parametrize("junk", [np.nan, np.inf, -np.inf, 1e300])
def test_nothing_the_padding_holds_changes_the_result(junk):
    rng = np.random.default_rng(2)
    query, keys, mask, W_q, W_k, v = _inputs(rng, S=6, B=4, lengths=[6, 2, 4, 1])
    clean = additive_attention(query, keys, mask, W_q, W_k, v)
    dirty_keys = keys.copy()
    dirty_keys[~mask] = junk
    with np.errstate(all="raise"):  # no warning either: the padding is never computed with
        dirty = additive_attention(query, dirty_keys, mask, W_q, W_k, v)
    for a, b in zip(clean, dirty):
        assert np.array_equal(a, b)
    assert np.isnan(dirty_keys[~mask]).all() == np.isnan(junk)  # the inputs are left as they were


def test_inputs_are_not_changed():
    rng = np.random.default_rng(3)
    args = _inputs(rng, lengths=[5, 2, 3])
    args[1][~args[2]] = np.nan
    before = [a.copy() for a in args]
    additive_attention(*args)
    for a, b in zip(before, args):
        assert np.array_equal(a, b, equal_nan=True)


def test_large_scores_do_not_overflow():
    rng = np.random.default_rng(4)
    query, keys, mask, W_q, W_k, v = _inputs(rng, S=5, B=3, lengths=[5, 3, 1])
    context, weights = additive_attention(query, keys, mask, W_q, W_k, 1e4 * v)  # scores up to ~1e4
    assert np.isfinite(context).all() and np.isfinite(weights).all()
    np.testing.assert_allclose(weights.sum(axis=0), 1.0)
    assert np.allclose(weights.max(axis=0), 1.0)  # all the weight on the best position


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    context, weights = additive_attention(*_inputs(rng, dtype=np.float32))
    assert context.dtype == np.float32 and weights.dtype == np.float32


def test_source_is_the_short_numpy_body():
    source = inspect.getsource(additive_attention)
    assert source.startswith("def additive_attention(query, keys, mask, W_q, W_k, v):")
    body = source.split('"""')[-1]
    assert "torch" not in body
    for line in body.strip().splitlines():
        if "=" in line and "return" not in line:
            assert "#" in line, line  # every line that makes an array says what it holds
    assert "Bahdanau" in additive_attention.__doc__ and "(S, B, Hk)" in additive_attention.__doc__


# ----------------------------------------------------------------------------- the torch twin
def test_torch_twin_equals_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    args = _inputs(rng, S=6, B=4, lengths=[6, 1, 3, 4])
    args[1][~args[2]] = np.nan
    out = additive_attention(*(torch.from_numpy(a) for a in args))
    want = additive_attention(*args)
    for got, w in zip(out, want):
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), w, rtol=1e-12, atol=1e-14)


def test_torch_gradients_match_finite_differences():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    query, keys, mask, W_q, W_k, v = (torch.from_numpy(a) for a in _inputs(rng, S=4, B=3, H=3, Hk=2, A=2,
                                                                               lengths=[4, 2, 1]))
    leaves = [t.clone().requires_grad_(True) for t in (query, keys, W_q, W_k, v)]

    def f(q, k, wq, wk, vv):
        return additive_attention(q, k, mask, wq, wk, vv)

    assert torch.autograd.gradcheck(f, tuple(leaves), eps=1e-6, atol=1e-7)


def test_torch_no_gradient_reaches_padding_even_when_it_holds_nan():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    query, keys, mask, W_q, W_k, v = (torch.from_numpy(a) for a in _inputs(rng, lengths=[5, 2, 3]))
    keys = keys.clone()
    keys[~mask] = float("nan")
    keys.requires_grad_(True)
    W_q.requires_grad_(True)
    context, weights = additive_attention(query, keys, mask, W_q, W_k, v)
    (context.sum() + (weights * torch.arange(5.0, dtype=torch.float64)[:, None]).sum()).backward()
    assert torch.isfinite(context).all() and torch.isfinite(weights).all()
    assert (keys.grad[~mask] == 0).all() and torch.isfinite(keys.grad).all()
    assert torch.isfinite(W_q.grad).all() and (W_q.grad != 0).any()


def test_torch_float32_and_no_grad_inputs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    args = [torch.from_numpy(a) for a in _inputs(rng, dtype=np.float32)]
    context, weights = additive_attention(*args)
    assert context.dtype == torch.float32 and weights.dtype == torch.float32
    assert not context.requires_grad


# ----------------------------------------------------------------------------- errors
def _good():
    return list(_inputs(np.random.default_rng(10), S=5, B=3, H=4, Hk=6, A=2, lengths=[5, 2, 3]))


@pytest.mark.parametrize(
    ("index", "value", "error", "words"),
    [
        (0, [[1.0, 2.0]], TypeError, "query must be a NumPy array"),
        (1, np.zeros((5, 3)), ValueError, "keys must have shape (S, B, Hk)"),
        (1, np.zeros((5, 2, 6)), ValueError, "the B = 3 of query"),
        (1, np.zeros((0, 3, 6)), ValueError, "S >= 1"),
        (2, np.ones((5, 3), dtype=int), TypeError, "mask must hold booleans"),
        (2, np.ones((3, 5), dtype=bool), ValueError, "mask must have shape (S, B) = (5, 3)"),
        (3, np.zeros((2, 6)), ValueError, "W_q must have shape (A, H) = (2, 4)"),
        (4, np.zeros((3, 6)), ValueError, "W_k must have shape (A, Hk) = (2, 6)"),
        (5, np.zeros((2, 1)), ValueError, "v must have shape (A,)"),
        (5, np.zeros(3), ValueError, "v must have shape (A,) = (2,)"),
        (0, np.zeros((3, 4), dtype=int), TypeError, "query must hold floating-point numbers"),
        (1, np.zeros((5, 3, 6), dtype=complex), TypeError, "keys must hold floating-point numbers"),
    ],
)
def test_errors_name_the_argument_and_the_shape(index, value, error, words):
    args = _good()
    args[index] = value
    with pytest.raises(error) as info:
        additive_attention(*args)
    assert words in str(info.value)


def test_a_column_with_no_real_position_is_an_error():
    args = _good()
    args[2] = args[2].copy()
    args[2][:, 1] = False
    with pytest.raises(ValueError, match=r"mask\[:, 1\] is all False"):
        additive_attention(*args)


def test_mixing_tensors_and_arrays_is_a_type_error():
    torch = pytest.importorskip("torch")
    args = _good()
    args[0] = torch.from_numpy(args[0])
    with pytest.raises(TypeError, match="keys must be a torch tensor"):
        additive_attention(*args)
