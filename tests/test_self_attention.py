"""rnncourse.attention.causal_mask and self_attention (lesson 15), and rnncourse.scan.scan_combine:
equal to torch's functions, in NumPy and in torch, with clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.attention import causal_mask, self_attention
from rnncourse.scan import scan_combine

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("T", [1, 2, 5, 17])
def test_causal_mask_equals_torch_generate_square_subsequent_mask(T):
    expected = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    mask = causal_mask(T)
    assert mask.dtype == np.float64 and mask.shape == (T, T)
    np.testing.assert_array_equal(mask, expected.numpy())


@pytest.mark.parametrize("T", [0, -1, 2.0, True, "3"])
def test_causal_mask_rejects_a_bad_length(T):
    with pytest.raises(ValueError, match="T must be a positive integer"):
        causal_mask(T)


@pytest.mark.parametrize("lead, T, S, d, dv", [((), 1, 1, 1, 1), ((2,), 4, 4, 3, 5), ((2, 3), 6, 6, 8, 2),
                                               ((1,), 3, 7, 4, 4)])
@pytest.mark.parametrize("masked", [False, True])
def test_self_attention_equals_torch_scaled_dot_product_attention(lead, T, S, d, dv, masked):
    rng = np.random.default_rng(0)
    q = rng.normal(size=(*lead, T, d))
    k = rng.normal(size=(*lead, S, d))
    v = rng.normal(size=(*lead, S, dv))
    mask = None
    if masked:
        mask = np.where(np.triu(np.ones((T, S), dtype=bool), k=1 + S - T), -np.inf, 0.0)  # (T, S)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.as_tensor(x) for x in (q, k, v)), attn_mask=None if mask is None else torch.as_tensor(mask))
    out, weights = self_attention(q, k, v, mask)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    if mask is not None:
        assert np.all(weights[..., mask == -np.inf] == 0.0)
    out_t, weights_t = self_attention(*(torch.as_tensor(x) for x in (q, k, v)),
                                      None if mask is None else torch.as_tensor(mask))
    assert isinstance(out_t, torch.Tensor)
    np.testing.assert_allclose(out_t.numpy(), out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights_t.numpy(), weights, rtol=1e-12, atol=1e-12)


def test_self_attention_does_not_overflow_on_large_scores():
    q = np.full((2, 4), 100.0)
    k = np.array([[100.0] * 4, [-100.0] * 4])
    out, weights = self_attention(q, k, np.eye(2))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(weights, [[1.0, 0.0], [1.0, 0.0]])


def test_self_attention_gradient_reaches_allowed_keys_only():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(3))
    out, _ = self_attention(q, k, v, torch.as_tensor(causal_mask(4)))
    out[1].sum().backward()  # query 1 reads keys 0 and 1
    assert torch.all(v.grad[2:] == 0) and torch.all(k.grad[2:] == 0)
    assert torch.all(v.grad[:2] != 0)


@pytest.mark.parametrize("args, message", [
    ((np.ones((3, 2)), np.ones((3, 4)), np.ones((3, 2))), "k must end in the d = 2"),
    ((np.ones((3, 2)), np.ones((3, 2)), np.ones((4, 2))), "v must have one row per key"),
    ((np.ones((3, 2)), np.ones((3, 2)), np.ones((3, 2)), np.zeros((2, 3))), r"mask must have shape \(T, S\)"),
    ((np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)), np.array([[-np.inf, -np.inf], [0, 0]])), "mask row 0"),
    ((np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)), np.array([[0, np.nan], [0, 0]])), "NaN"),
    ((np.ones(3), np.ones((3, 2)), np.ones((3, 2))), "q must have shape"),
])
def test_self_attention_rejects_bad_shapes_and_masks(args, message):
    with pytest.raises(ValueError, match=message):
        self_attention(*args)


@pytest.mark.parametrize("args, error, message", [
    ((np.ones((3, 2), dtype=int), np.ones((3, 2)), np.ones((3, 2))), TypeError, "q must hold floating-point"),
    ((np.ones((3, 2)), [[1.0, 2.0]] * 3, np.ones((3, 2))), TypeError, "k must be a NumPy array"),
    ((torch.ones(3, 2), np.ones((3, 2)), torch.ones(3, 2)), TypeError, "k must be a torch tensor"),
])
def test_self_attention_rejects_mixed_or_wrong_types(args, error, message):
    with pytest.raises(error, match=message):
        self_attention(*args)


def test_scan_combine_is_first_then_second_and_associative():
    rng = np.random.default_rng(1)
    p1, p2, p3 = (tuple(rng.normal(size=(2, 3, 4))) for _ in range(3))
    a, b = scan_combine(p1, p2)
    h = rng.normal(size=(3, 4))
    np.testing.assert_allclose(a * h + b, p2[0] * (p1[0] * h + p1[1]) + p2[1])
    left = scan_combine(scan_combine(p1, p2), p3)
    right = scan_combine(p1, scan_combine(p2, p3))
    for x, y in zip(left, right):
        np.testing.assert_allclose(x, y, rtol=1e-12)


@pytest.mark.parametrize("first, second, error, message", [
    ((np.ones(2),), (np.ones(2), np.ones(2)), TypeError, "first must be a pair"),
    ((np.ones(2), np.ones(3)), (np.ones(2), np.ones(2)), ValueError, "first's a and b"),
    ((np.ones(2), np.ones(2)), (np.ones(3), np.ones(3)), ValueError, "same shape"),
    ((np.ones(2), 1.0), (np.ones(2), np.ones(2)), TypeError, "first's b must be an array"),
])
def test_scan_combine_rejects_bad_pairs(first, second, error, message):
    with pytest.raises(error, match=message):
        scan_combine(first, second)
