"""rnncourse.numpy.gradcheck warns about (or refuses) parameters below float64."""

import warnings

import numpy as np
import pytest

import rnncourse.numpy as rn


def _cubic(dtype, n=4):
    """A loss sum(x**3) with its exact gradient 3 x**2 (in float64)."""
    x = np.linspace(-2.0, 1.5, n).astype(dtype)
    return (lambda: np.sum(x.astype(np.float64) ** 3)), x, 3.0 * x.astype(np.float64) ** 2


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_gradcheck_warns_below_float64_naming_parameter_and_dtype(dtype):
    f, x, g = _cubic(dtype)
    name = np.dtype(dtype).name
    with pytest.warns(UserWarning, match=rf"params\['x'\] has dtype {name}, below float64"):
        errors = rn.gradcheck(f, {"x": x}, {"x": g})
    assert set(errors) == {"x"}, "it warns, and still checks"


def test_gradcheck_float32_exact_gradient_shows_the_large_error_the_warning_explains():
    f, x, g = _cubic(np.float32)
    with pytest.warns(UserWarning, match="significant digits"):
        err32 = rn.gradcheck(f, {"x": x}, {"x": g})["x"]
    f, x, g = _cubic(np.float64)
    err64 = rn.gradcheck(f, {"x": x}, {"x": g})["x"]
    assert err32 > 1e-4 and err64 < 1e-8, (err32, err64)


def test_gradcheck_warns_for_an_unchecked_low_precision_parameter():
    """f reads every array in params, so a float32 one degrades the check even if not in grads."""
    x = np.array([1.0, 2.0])
    w = np.array([0.5, 0.25], dtype=np.float32)
    with pytest.warns(UserWarning, match=r"params\['w'\] has dtype float32"):
        rn.gradcheck(lambda: np.sum(w * x**2), {"x": x, "w": w}, {"x": 2 * w * x})


def test_gradcheck_allow_low_precision_false_raises_naming_parameter():
    f, x, g = _cubic(np.float32)
    before = x.copy()
    with pytest.raises(ValueError, match=r"params\['x'\] has dtype float32.*allow_low_precision=True"):
        rn.gradcheck(f, {"x": x}, {"x": g}, allow_low_precision=False)
    np.testing.assert_array_equal(x, before)  # refused before perturbing anything


def test_gradcheck_allow_low_precision_true_is_silent():
    f, x, g = _cubic(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = rn.gradcheck(f, {"x": x}, {"x": g}, allow_low_precision=True)
    assert errors["x"] < 1.0


def test_gradcheck_allow_low_precision_rejects_non_bool():
    f, x, g = _cubic(np.float64)
    with pytest.raises(TypeError, match="allow_low_precision must be None, True or False, got 'yes'"):
        rn.gradcheck(f, {"x": x}, {"x": g}, allow_low_precision="yes")


@pytest.mark.parametrize("allow", [None, False])
def test_gradcheck_float64_has_no_warning(allow):
    f, x, g = _cubic(np.float64)
    ids = np.array([0, 2])  # integer arrays (not floating) never warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = rn.gradcheck(f, {"x": x, "ids": ids}, {"x": g}, allow_low_precision=allow)
        errors_default = rn.gradcheck(f, {"x": x}, {"x": g})
    assert errors["x"] < 1e-8 and errors_default["x"] < 1e-8


def test_gradcheck_longdouble_has_no_warning():
    x = np.array([1.0, -2.0], dtype=np.longdouble)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = rn.gradcheck(lambda: float(np.sum(x**2)), {"x": x}, {"x": (2 * x).astype(np.float64)})
    assert errors["x"] < 1e-8


def test_gradcheck_positional_eps_still_works():
    f, x, g = _cubic(np.float64)
    assert rn.gradcheck(f, {"x": x}, {"x": g}, 1e-5)["x"] < 1e-8
