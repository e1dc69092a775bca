"""Tests for rnncourse.gradient_flow (Jacobians and gradient norms through time)."""

import numpy as np
import pytest

import rnncourse.numpy as rn
from rnncourse.exercises import solutions
from rnncourse.gradient_flow import (
    decay_factor,
    hidden_jacobian,
    jacobian_norms,
    scaled_orthogonal,
    state_gradient_norms,
)


def _rnn(rng, T, B, D, H, w_scale=1.0):
    x = rng.normal(size=(T, B, D))
    h0 = rng.normal(size=(B, H)) * 0.5
    W_xh = rng.normal(size=(H, D)) * 0.5
    W_hh = rng.normal(size=(H, H)) * w_scale / np.sqrt(H)
    b_h = rng.normal(size=H) * 0.1
    return x, h0, W_xh, W_hh, b_h


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("B, D, H", [(1, 1, 1), (3, 2, 4), (2, 5, 3)])
def test_hidden_jacobian_matches_finite_differences(nonlinearity, B, D, H):
    rng = np.random.default_rng(0)
    x, h_prev, W_xh, W_hh, b_h = _rnn(rng, 1, B, D, H)
    h_next, _ = rn.rnn_step_forward(x[0], h_prev, W_xh, W_hh, b_h, nonlinearity)
    J = hidden_jacobian(h_next, W_hh, nonlinearity)
    assert J.shape == (B, H, H)
    eps = 1e-6
    for j in range(H):
        e = np.zeros(H)
        e[j] = eps
        plus, _ = rn.rnn_step_forward(x[0], h_prev + e, W_xh, W_hh, b_h, nonlinearity)
        minus, _ = rn.rnn_step_forward(x[0], h_prev - e, W_xh, W_hh, b_h, nonlinearity)
        np.testing.assert_allclose(J[:, :, j], (plus - minus) / (2 * eps), atol=1e-8)


def test_hidden_jacobian_equals_exercise_reference():
    rng = np.random.default_rng(1)
    h_next = np.tanh(rng.normal(size=(4, 3)))
    W_hh = rng.normal(size=(3, 3))
    np.testing.assert_allclose(hidden_jacobian(h_next, W_hh),
                               solutions.rnn_hidden_jacobian(h_next, W_hh), rtol=0, atol=0)


def test_hidden_jacobian_scalar_golden_value():
    # H = 1: J = (1 - h^2) w
    J = hidden_jacobian(np.array([[0.5]]), np.array([[2.0]]))
    assert J.shape == (1, 1, 1)
    assert J[0, 0, 0] == pytest.approx(0.75 * 2.0)


@pytest.mark.parametrize("T, B, H", [(1, 1, 1), (4, 2, 3), (6, 1, 5)])
def test_jacobian_norms_equal_explicit_product(T, B, H):
    rng = np.random.default_rng(2)
    x, h0, W_xh, W_hh, b_h = _rnn(rng, T, B, 2, H, w_scale=1.5)
    h, _, _ = rn.rnn_forward(x, h0, W_xh, W_hh, b_h)
    norms = jacobian_norms(h, W_hh)
    assert norms.shape == (T + 1, B)
    np.testing.assert_allclose(norms[T], 1.0)
    for b in range(B):
        for t in range(T):
            P = np.eye(H)
            for k in range(T, t, -1):  # J_T ... J_{t+1}
                P = P @ ((1 - h[k - 1, b] ** 2)[:, None] * W_hh)
            assert norms[t, b] == pytest.approx(np.linalg.norm(P, 2), rel=1e-12)


def test_jacobian_norms_bounded_by_powers_of_sigma_max():
    rng = np.random.default_rng(3)
    T, B, H = 30, 3, 8
    x, h0, W_xh, W_hh, b_h = _rnn(rng, T, B, 2, H, w_scale=2.0)
    sigma = np.linalg.norm(W_hh, 2)
    h, _, _ = rn.rnn_forward(x, h0, W_xh, W_hh, b_h)
    norms = jacobian_norms(h, W_hh)
    bound = sigma ** (T - np.arange(T + 1))  # (T + 1,)
    assert np.all(norms <= bound[:, None] * (1 + 1e-12))


def test_jacobian_norms_vanish_and_explode_with_the_scale():
    rng = np.random.default_rng(4)
    T, B, D, H = 40, 4, 2, 32
    x = rng.normal(size=(T, B, D))
    W_xh = rng.normal(size=(H, D)) * 0.05
    rates = {}
    for s in (0.5, 1.0, 2.0):
        W_hh = scaled_orthogonal(H, s, rng=5)
        h, _, _ = rn.rnn_forward(x, None, W_xh, W_hh, None)
        rates[s] = decay_factor(jacobian_norms(h, W_hh))
    assert rates[0.5] <= 0.5 + 1e-9          # the bound sigma_max^(T - t)
    assert 0.9 < rates[1.0] <= 1.0 + 1e-9     # about stable, slowly decaying
    assert rates[2.0] > 1.05                   # exploding


@pytest.mark.parametrize("T, B, D, H", [(1, 1, 1, 1), (5, 2, 3, 4), (8, 3, 2, 2)])
def test_state_gradient_norms_match_rnn_backward_and_jacobians(T, B, D, H):
    rng = np.random.default_rng(6)
    x, h0, W_xh, W_hh, b_h = _rnn(rng, T, B, D, H)
    dh_T = rng.normal(size=(B, H))
    norms = state_gradient_norms(x, h0, W_xh, W_hh, b_h, dh_T)
    assert norms.shape == (T + 1, B)
    np.testing.assert_allclose(norms[T], np.linalg.norm(dh_T, axis=1))
    # t = 0: BPTT of a loss on h_n only gives dL/dh0
    h, _, cache = rn.rnn_forward(x, h0, W_xh, W_hh, b_h)
    dh0 = rn.rnn_backward(None, cache, dh_n=dh_T)[1]
    np.testing.assert_allclose(norms[0], np.linalg.norm(dh0, axis=1), rtol=1e-12)
    # every t: dL/dh_t = (dh_T/dh_t)^T dL/dh_T
    for t in range(T):
        for b in range(B):
            P = np.eye(H)
            for k in range(T, t, -1):
                P = P @ hidden_jacobian(h[k - 1, b][None], W_hh)[0]
            assert norms[t, b] == pytest.approx(np.linalg.norm(P.T @ dh_T[b]), rel=1e-10)


def test_state_gradient_norms_zero_initial_state_and_no_bias():
    rng = np.random.default_rng(7)
    x, _, W_xh, W_hh, _ = _rnn(rng, 3, 2, 2, 3)
    dh_T = np.ones((2, 3))
    a = state_gradient_norms(x, None, W_xh, W_hh, None, dh_T)
    b = state_gradient_norms(x, np.zeros((2, 3)), W_xh, W_hh, np.zeros(3), dh_T)
    np.testing.assert_allclose(a, b, rtol=0, atol=0)


def test_decay_factor_of_a_geometric_sequence():
    T = 20
    for rho in (0.5, 1.0, 3.0):
        norms = rho ** (T - np.arange(T + 1.0))
        assert decay_factor(norms) == pytest.approx(rho, rel=1e-10)
        assert decay_factor(np.stack([norms, 2 * norms], axis=1)) == pytest.approx(rho, rel=1e-10)


@pytest.mark.parametrize("H, scale", [(1, 0.5), (3, 1.0), (16, 2.0)])
def test_scaled_orthogonal_singular_values(H, scale):
    W = scaled_orthogonal(H, scale, rng=np.random.default_rng(8))
    assert W.shape == (H, H) and W.dtype == np.float64
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), scale, rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W)), scale, rtol=1e-10)


def test_scaled_orthogonal_is_deterministic_and_float32():
    a = scaled_orthogonal(5, 1.0, rng=0, dtype=np.float32)
    b = scaled_orthogonal(5, 1.0, rng=np.random.default_rng(0), dtype=np.float32)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_bad_inputs_raise_clear_errors():
    h = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"W_hh must have shape \(H, H\) = \(3, 3\)"):
        hidden_jacobian(h, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"h_next must have shape \(B, H\)"):
        hidden_jacobian(np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="nonlinearity"):
        hidden_jacobian(h, np.zeros((3, 3)), "sigmoid")
    with pytest.raises(TypeError, match="h_next"):
        hidden_jacobian(None, np.zeros((3, 3)))
    with pytest.raises(TypeError, match="dtype"):
        hidden_jacobian(np.array([["a", "b"]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"h must have shape \(T, B, H\)"):
        jacobian_norms(h, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"dh_T must have shape \(B, H\) = \(1, 3\)"):
        state_gradient_norms(np.zeros((2, 1, 2)), None, np.zeros((3, 2)), np.zeros((3, 3)), None,
                             np.zeros((2, 3)))
    with pytest.raises(ValueError, match="positive and finite"):
        decay_factor(np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="T >= 1"):
        decay_factor(np.array([1.0]))
    with pytest.raises(ValueError, match="H must be a positive integer"):
        scaled_orthogonal(0, 1.0)
    with pytest.raises(ValueError, match="scale must be a positive number"):
        scaled_orthogonal(3, -1.0)
