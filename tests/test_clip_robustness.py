"""rnncourse.torch.clip_grad_norm_ against torch.nn.utils.clip_grad_norm_ for every input form and
option, and the max_norm checks shared with rnncourse.numpy.clip_grad_norm."""

import math
import re
import warnings

import numpy as np
import pytest
import torch

import rnncourse.numpy as rn
from rnncourse.torch import clip_grad_norm_

SHAPES = [(3, 2), (4,), (2, 2, 2)]


def _params(seed=0, scale=5.0, dtype=torch.float64, shapes=SHAPES):
    """Two identical sets of leaf tensors with the same random .grad: ours and torch's."""
    g = torch.Generator().manual_seed(seed)
    grads = [scale * torch.randn(s, generator=g, dtype=dtype) for s in shapes]
    sets = []
    for _ in range(2):
        ps = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes]
        for p, gr in zip(ps, grads):
            p.grad = gr.clone()
        sets.append(ps)
    return sets


def _assert_same(ours_params, ours_norm, torch_params, torch_norm, rtol=1e-12):
    assert type(ours_norm) is float, "rnncourse returns the norm as a Python float"
    assert isinstance(torch_norm, torch.Tensor)
    if math.isnan(torch_norm.item()):
        assert math.isnan(ours_norm)
    else:
        assert ours_norm == pytest.approx(torch_norm.item(), rel=rtol, abs=0)
    for a, b in zip(ours_params, torch_params):
        if b.grad is None:
            assert a.grad is None
        else:
            torch.testing.assert_close(a.grad, b.grad, rtol=rtol, atol=0, equal_nan=True)


@pytest.mark.parametrize("form", ["list", "tuple", "generator", "module_parameters"])
@pytest.mark.parametrize("max_norm", [1.0, 1, 100.0])
def test_clip_grad_norm_matches_torch_for_iterables_and_max_norm_types(form, max_norm):
    ours, theirs = _params(seed=1)
    wrap = {"list": list, "tuple": tuple, "generator": lambda ps: (p for p in ps),
            "module_parameters": lambda ps: _module(ps).parameters()}[form]
    n_ours = clip_grad_norm_(wrap(ours), max_norm)
    n_torch = torch.nn.utils.clip_grad_norm_(wrap(theirs), max_norm)
    _assert_same(ours, n_ours, theirs, n_torch)
    if max_norm != 100.0:
        assert n_ours > max_norm, "the gradients get clipped in this case"


def _module(params):
    m = torch.nn.Module()
    for i, p in enumerate(params):
        m.register_parameter(f"p{i}", torch.nn.Parameter(p, requires_grad=True))
        m.get_parameter(f"p{i}").grad = p.grad  # Parameter(p) shares data, not .grad
    return m


def test_clip_grad_norm_module_parameters_clips_the_module_gradients():
    ours, theirs = _params(seed=2)
    m_ours, m_theirs = _module(ours), _module(theirs)
    n_ours = clip_grad_norm_(m_ours.parameters(), 1.0)
    n_torch = torch.nn.utils.clip_grad_norm_(m_theirs.parameters(), 1.0)
    _assert_same(list(m_ours.parameters()), n_ours, list(m_theirs.parameters()), n_torch)


def test_clip_grad_norm_single_tensor_matches_torch():
    (a,), (b,) = _params(seed=3, shapes=[(5, 3)])
    n_ours = clip_grad_norm_(a, 0.5)
    n_torch = torch.nn.utils.clip_grad_norm_(b, 0.5)
    _assert_same([a], n_ours, [b], n_torch)
    assert n_ours > 0.5


def test_clip_grad_norm_skips_parameters_without_grad_like_torch():
    ours, theirs = _params(seed=4)
    ours[1].grad, theirs[1].grad = None, None
    n_ours = clip_grad_norm_(ours, 1.0)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    _assert_same(ours, n_ours, theirs, n_torch)
    assert ours[1].grad is None


@pytest.mark.parametrize("norm_type", [2.0, 2, 1.0, 3.0, 0.5, float("inf"), "inf"])
def test_clip_grad_norm_norm_type_matches_torch(norm_type):
    ours, theirs = _params(seed=5)
    n_ours = clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)
    _assert_same(ours, n_ours, theirs, n_torch)
    ours2, theirs2 = _params(seed=5)  # positionally too
    _assert_same(ours2, clip_grad_norm_(ours2, 1.0, norm_type), theirs2,
                 torch.nn.utils.clip_grad_norm_(theirs2, 1.0, norm_type))


def test_clip_grad_norm_inf_norm_is_the_largest_absolute_entry():
    a = torch.zeros(3, requires_grad=True)
    a.grad = torch.tensor([1.0, -7.0, 2.0])
    assert clip_grad_norm_([a], 3.5, norm_type=float("inf")) == 7.0
    torch.testing.assert_close(a.grad, torch.tensor([0.5, -3.5, 1.0]), rtol=1e-6, atol=0)


@pytest.mark.parametrize("foreach", [None, False, True])
def test_clip_grad_norm_foreach_matches_torch(foreach):
    ours, theirs = _params(seed=6)
    n_ours = clip_grad_norm_(ours, 1.0, foreach=foreach)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0, foreach=foreach)
    _assert_same(ours, n_ours, theirs, n_torch)


@pytest.mark.parametrize("foreach", [None, True])
def test_clip_grad_norm_mixed_dtypes_match_torch(foreach):
    o32, t32 = _params(seed=7, dtype=torch.float32, shapes=[(3,), (2, 2)])
    o64, t64 = _params(seed=8, dtype=torch.float64, shapes=[(4,)])
    n_ours = clip_grad_norm_(o32 + o64, 1.0, foreach=foreach)
    n_torch = torch.nn.utils.clip_grad_norm_(t32 + t64, 1.0, foreach=foreach)
    _assert_same(o32 + o64, n_ours, t32 + t64, n_torch, rtol=1e-6)
    assert o32[0].grad.dtype == torch.float32, "each gradient keeps its dtype"


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_clip_grad_norm_error_if_nonfinite_raises_like_torch(bad):
    ours, theirs = _params(seed=9)
    ours[0].grad[0, 0], theirs[0].grad[0, 0] = bad, bad
    before = [p.grad.clone() for p in ours]
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    for p, b in zip(ours, before):  # nothing was scaled
        torch.testing.assert_close(p.grad, b, rtol=0, atol=0, equal_nan=True)
    # without the flag, both scale by the non-finite norm (NaN or zeros), and agree
    n_ours = clip_grad_norm_(ours, 1.0, error_if_nonfinite=False)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=False)
    _assert_same(ours, n_ours, theirs, n_torch)


def test_clip_grad_norm_error_if_nonfinite_passes_finite_gradients_like_torch():
    ours, theirs = _params(seed=10)
    n_ours = clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    _assert_same(ours, n_ours, theirs, n_torch)


@pytest.mark.parametrize("max_norm", [0.0, 0, float("inf"), np.float32(1.5), np.int64(2),
                                      torch.tensor(1.5)])
def test_clip_grad_norm_other_max_norm_values_match_torch(max_norm):
    ours, theirs = _params(seed=11)
    n_ours = clip_grad_norm_(ours, max_norm)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    _assert_same(ours, n_ours, theirs, n_torch, rtol=1e-6)


def test_clip_grad_norm_keywords_as_torch():
    ours, theirs = _params(seed=12)
    kw = dict(max_norm=1.0, norm_type=1.0, error_if_nonfinite=True, foreach=False)
    _assert_same(ours, clip_grad_norm_(parameters=ours, **kw),
                 theirs, torch.nn.utils.clip_grad_norm_(parameters=theirs, **kw))


def test_clip_grad_norm_no_gradients_returns_zero_like_torch():
    ours, theirs = _params(seed=13)
    for p in ours + theirs:
        p.grad = None
    assert clip_grad_norm_(ours, 1.0) == 0.0
    assert torch.nn.utils.clip_grad_norm_(theirs, 1.0).item() == 0.0
    assert clip_grad_norm_([], 1.0) == 0.0


def test_clip_grad_norm_empty_generator_warns_like_torch():
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        assert clip_grad_norm_((p for p in []), 1.0) == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        torch.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_none_only_measures():
    ours, theirs = _params(seed=14)
    before = [p.grad.clone() for p in ours]
    n_ours = clip_grad_norm_(ours, None)
    n_torch = torch.nn.utils.clip_grad_norm_(theirs, float("inf"))  # torch: never clips
    _assert_same(ours, n_ours, theirs, n_torch)
    for p, b in zip(ours, before):
        assert torch.equal(p.grad, b)
    assert clip_grad_norm_(ours, None, norm_type=float("inf")) == max(b.abs().max().item() for b in before)


@pytest.mark.parametrize("max_norm", [-1.0, -1, -1e-9, float("nan"), float("-inf"),
                                      np.float64(-2.0), torch.tensor(-1.0)])
def test_clip_grad_norm_rejects_negative_or_nan_max_norm(max_norm):
    ours, _ = _params(seed=15)
    before = [p.grad.clone() for p in ours]
    with pytest.raises(ValueError, match=r"max_norm must be a non-negative number or None, got "
                                         + re.escape(repr(max_norm))):
        clip_grad_norm_(ours, max_norm)
    for p, b in zip(ours, before):  # unlike torch, nothing flipped or NaN
        assert torch.equal(p.grad, b)


@pytest.mark.parametrize("max_norm", ["1.0", [1.0], object()])
def test_clip_grad_norm_rejects_non_number_max_norm(max_norm):
    ours, _ = _params(seed=16)
    with pytest.raises(TypeError, match="max_norm must be a number or None, got " + re.escape(repr(max_norm))):
        clip_grad_norm_(ours, max_norm)


def test_clip_grad_norm_torch_flips_gradients_silently_where_we_refuse():
    """The behaviour the check guards against (if torch ever refuses too, the note can go)."""
    _, theirs = _params(seed=17)
    before = theirs[0].grad.clone()
    torch.nn.utils.clip_grad_norm_(theirs, -1.0)
    assert (torch.sign(theirs[0].grad) == -torch.sign(before)).all()


@pytest.mark.parametrize("max_norm", [-1.0, float("nan"), 0.0])
def test_clip_grad_norm_numpy_rejects_nonpositive_or_nan_max_norm(max_norm):
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    with pytest.raises(ValueError, match=r"max_norm must be a positive number, got " + re.escape(repr(max_norm))):
        rn.clip_grad_norm(grads, max_norm)
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])


def test_clip_grad_norm_messages_consistent_between_numpy_and_torch():
    grads = {"a": np.array([3.0, 0.0])}
    a = torch.zeros(2, requires_grad=True)
    a.grad = torch.tensor([3.0, 0.0])
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError) as np_err:
            rn.clip_grad_norm(grads, bad)
        with pytest.raises(ValueError) as torch_err:
            clip_grad_norm_([a], bad)
        m_np, m_torch = str(np_err.value), str(torch_err.value)
        assert m_np.startswith("max_norm must be a ") and m_torch.startswith("max_norm must be a ")
        assert f"got {bad!r} " in m_np and f"got {bad!r} " in m_torch
        reason = "(a negative max_norm would flip every gradient, a NaN one make them NaN)"
        assert m_np.endswith(reason) and m_torch.endswith(reason)


def test_clip_grad_norm_float64_has_no_warning():
    ours, _ = _params(seed=18)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm_(ours, 1.0)
        clip_grad_norm_(iter(ours), 1.0)
