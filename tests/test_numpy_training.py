"""Training pieces of rnncourse.numpy: Linear, Embedding, losses, optimisers, clipping, gradcheck."""

import subprocess
import sys

import numpy as np
import pytest

import rnncourse.numpy as rn
from rnncourse.numpy import gradcheck

TOL = 1e-7


@pytest.mark.parametrize("shape", [(1, 3), (4, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_gradcheck(shape, bias):
    rng = np.random.default_rng(len(shape))
    lin = rn.Linear(3, 2, bias=bias, rng=rng)
    x = rng.normal(size=shape)
    w = rng.normal(size=shape[:-1] + (2,))
    loss = lambda: np.sum(w * lin(x))  # noqa: E731
    lin(x)
    dx = lin.backward(w)
    errors = gradcheck(loss, dict(lin.parameters(), x=x), dict(lin.grads, x=dx))
    assert max(errors.values()) < TOL, errors
    assert set(lin.grads) == ({"weight", "bias"} if bias else {"weight"})


def test_embedding_backward_gradcheck_with_repeated_ids():
    rng = np.random.default_rng(0)
    emb = rn.Embedding(5, 3, rng=rng)
    ids = np.array([[0, 2], [2, 2], [4, 0]])  # repeated ids must add up
    w = rng.normal(size=(3, 2, 3))
    loss = lambda: np.sum(w * emb(ids))  # noqa: E731
    emb(ids)
    emb.backward(w)
    errors = gradcheck(loss, emb.parameters(), emb.grads)
    assert errors["weight"] < TOL
    assert np.all(emb.grads["weight"][[1, 3]] == 0.0)


@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 2, 5), (4, 3)])
def test_softmax_cross_entropy_gradcheck(with_mask, shape):
    rng = np.random.default_rng(shape[0])
    logits = rng.normal(size=shape) * 2
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    mask = None
    if with_mask:
        mask = rng.random(shape[:-1]) < 0.5
        mask.flat[0] = True
    loss = lambda: rn.softmax_cross_entropy(logits, targets, mask)[0]  # noqa: E731
    _, dlogits = rn.softmax_cross_entropy(logits, targets, mask)
    assert gradcheck(loss, {"z": logits}, {"z": dlogits})["z"] < TOL
    if with_mask:
        assert np.all(dlogits[~mask] == 0.0)


def test_softmax_cross_entropy_golden_value_and_large_logits():
    # uniform logits over V = 4 classes: loss = log 4, dlogits = (1/4 - onehot) / N
    loss, d = rn.softmax_cross_entropy(np.zeros((1, 2, 4)), np.array([[0, 3]]))
    assert loss == pytest.approx(np.log(4.0), rel=1e-15)
    np.testing.assert_allclose(d[0, 0], [-0.375, 0.125, 0.125, 0.125])
    # logits of size 1e4: loss is exactly the margin, no overflow, no nan
    loss, d = rn.softmax_cross_entropy(np.array([[1e4, 0.0, -1e4]]), np.array([1]))
    assert loss == pytest.approx(1e4) and np.all(np.isfinite(d))
    np.testing.assert_allclose(d, [[1.0, -1.0, 0.0]], atol=1e-300)


def test_softmax_and_log_softmax_are_stable():
    z = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(rn.softmax(z), [[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(rn.log_softmax(z), [[-np.log(2), -np.log(2)], [-1000.0, 0.0]])


@pytest.mark.parametrize("mask_shape", [None, (3,), (3, 2)])
def test_mse_loss_gradcheck(mask_shape):
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=(3, 2, 2)), rng.normal(size=(3, 2, 2))
    mask = None if mask_shape is None else (rng.random(mask_shape) < 0.6)
    if mask is not None:
        mask.flat[0] = True
    loss = lambda: rn.mse_loss(pred, target, mask)[0]  # noqa: E731
    _, dpred = rn.mse_loss(pred, target, mask)
    assert gradcheck(loss, {"p": pred}, {"p": dpred})["p"] < TOL


def test_mse_loss_golden_value():
    # ((1-0)^2 + (3-1)^2) / 2 = 2.5 ; masked second element: 1.0
    assert rn.mse_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))[0] == 2.5
    assert rn.mse_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]), mask=np.array([True, False]))[0] == 1.0


def test_sgd_step_golden_values_and_in_place():
    p = {"w": np.array([1.0, 2.0])}
    arr = p["w"]
    opt = rn.SGD(p, lr=0.5, momentum=0.9)
    opt.step({"w": np.array([1.0, -2.0])})  # v = g; w = w - 0.5 v = [0.5, 3.0]
    opt.step({"w": np.array([1.0, -2.0])})  # v = 0.9 g + g = 1.9 g; w = [0.5 - 0.95, 3 + 1.9]
    np.testing.assert_allclose(arr, [-0.45, 4.9])
    assert p["w"] is arr


def test_adam_first_step_moves_by_lr():
    # with bias correction the first Adam step is lr * g / (|g| + eps) = lr * sign(g)
    p = {"w": np.array([1.0, -1.0, 0.5])}
    rn.Adam(p, lr=0.1, eps=0.0).step({"w": np.array([3.0, -0.2, 1e-3])})
    np.testing.assert_allclose(p["w"], [0.9, -0.9, 0.4], rtol=1e-12)


def test_optimizer_checks_grads():
    opt = rn.SGD({"w": np.zeros(2)}, lr=0.1)
    with pytest.raises(ValueError, match=r"missing keys: \['w'\]"):
        opt.step({"v": np.zeros(2)})
    with pytest.raises(ValueError, match=r"w: expected \(2,\), got \(3,\)"):
        opt.step({"w": np.zeros(3)})
    with pytest.raises(TypeError, match="must be a floating-point numpy array"):
        rn.Adam({"w": [1.0, 2.0]})


def test_clip_grad_norm_golden_values_and_inputs_unchanged():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}  # global norm 5
    clipped, norm = rn.clip_grad_norm(grads, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(clipped["b"], [[0.8]], rtol=1e-6)
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # inputs untouched
    same, _ = rn.clip_grad_norm(grads, 10.0)
    np.testing.assert_array_equal(same["a"], grads["a"])
    assert same["a"] is not grads["a"]
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        rn.clip_grad_norm(grads, 0.0)


def test_numerical_gradient_and_rel_error():
    x = np.array([1.0, -2.0, 0.5])
    g = rn.numerical_gradient(lambda: np.sum(x**3), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored
    assert rn.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rn.rel_error(np.array([1.0, 0.0]), np.array([0.0, 0.0])) == 1.0
    with pytest.raises(TypeError, match="floating-point numpy array"):
        rn.numerical_gradient(lambda: 0.0, [1.0, 2.0])


def test_gradcheck_detects_a_wrong_gradient():
    x = np.array([1.0, 2.0])
    errors = gradcheck(lambda: np.sum(x**2), {"x": x}, {"x": 2 * x + np.array([0.0, 1e-3])})
    assert errors["x"] > 1e-5


def test_init_uniform_bound_dtype_and_seed():
    a = rn.init_uniform((200, 50), 25, np.random.default_rng(0), np.float32)
    assert a.dtype == np.float32 and a.shape == (200, 50)
    assert np.abs(a).max() <= 0.2 and np.abs(a).max() > 0.199
    np.testing.assert_array_equal(a, rn.init_uniform((200, 50), 25, np.random.default_rng(0), np.float32))


def test_loss_input_errors():
    with pytest.raises(ValueError, match=r"targets must have shape \(3, 2\)"):
        rn.softmax_cross_entropy(np.zeros((3, 2, 5)), np.zeros((3,), dtype=int))
    with pytest.raises(ValueError, match=r"targets must be in \[0, 5\)"):
        rn.softmax_cross_entropy(np.zeros((3, 5)), np.array([0, 5, 1]))
    with pytest.raises(TypeError, match="targets must be integers"):
        rn.softmax_cross_entropy(np.zeros((3, 5)), np.zeros(3))
    with pytest.raises(ValueError, match=r"target must have the shape of pred"):
        rn.mse_loss(np.zeros((3, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\)"):
        rn.Linear(3, 2)(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 5\)"):
        rn.Embedding(5, 2)(np.array([0, 7]))


def test_import_does_not_import_torch():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # any 'import torch' now raises ImportError\n"
        "import rnncourse.numpy as rn\n"
        "import numpy as np\n"
        "out, h = rn.LSTM(2, 3, rng=0)(np.zeros((4, 1, 2)))\n"
        "assert out.shape == (4, 1, 3)\n"
        "assert all(not m.startswith('torch') for m in sys.modules if sys.modules[m] is not None)\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
