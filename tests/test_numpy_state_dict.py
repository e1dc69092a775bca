"""The shared state_dict conversion of the NumPy layers (rnncourse.numpy.state)."""

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import rnncourse.numpy as rn
from rnncourse.numpy.state import as_float_param

torch = pytest.importorskip("torch")

LAYERS = {
    "RNN": (lambda dtype: rn.RNN(3, 4, num_layers=2, bidirectional=True, dtype=dtype, rng=0),
            lambda: torch.nn.RNN(3, 4, num_layers=2, bidirectional=True)),
    "LSTM": (lambda dtype: rn.LSTM(3, 4, num_layers=2, dtype=dtype, rng=0),
             lambda: torch.nn.LSTM(3, 4, num_layers=2)),
    "GRU": (lambda dtype: rn.GRU(3, 4, dtype=dtype, rng=0),
            lambda: torch.nn.GRU(3, 4)),
    "Linear": (lambda dtype: rn.Linear(4, 3, dtype=dtype, rng=0),
               lambda: torch.nn.Linear(4, 3)),
    "Embedding": (lambda dtype: rn.Embedding(7, 4, dtype=dtype, rng=0),
                  lambda: torch.nn.Embedding(7, 4)),
}
LOW = [(torch.bfloat16, "torch.bfloat16"), (torch.float16, "torch.float16")]


def _pair(kind, dtype=np.float64):
    make_np, make_torch = LAYERS[kind]
    torch.manual_seed(0)
    return make_np(dtype), make_torch()


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("tdtype, name", LOW)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_load_state_dict_upcasts_half_precision_torch_with_warning(kind, tdtype, name, dtype):
    layer, tm = _pair(kind, dtype)
    sd = tm.to(tdtype).state_dict()
    with pytest.warns(UserWarning) as record:
        layer.load_state_dict(sd)
    messages = [str(w.message) for w in record]
    for key in sd:
        assert any(m.startswith(f"{key}: ") and name in m for m in messages), (key, messages)
    assert all(w.filename == __file__ for w in record)  # points at the caller's line
    for key, t in sd.items():
        got = layer.state_dict()[key]
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, t.float().numpy().astype(dtype))  # exact upcast


@pytest.mark.parametrize("kind", ["LSTM", "Linear", "Embedding"])
def test_load_state_dict_upcasts_float16_numpy_with_warning(kind):
    layer, tm = _pair(kind)
    sd = {k: v.numpy().astype(np.float16) for k, v in tm.state_dict().items()}
    with pytest.warns(UserWarning) as record:
        layer.load_state_dict(sd)
    assert sorted(str(w.message) for w in record) == sorted(
        f"{key}: upcasting float16 to float64; the values keep the precision of float16, which is below float32"
        for key in sd)
    for k, v in sd.items():
        np.testing.assert_array_equal(layer.state_dict()[k], v.astype(np.float64))


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("tdtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_load_state_dict_float32_float64_torch_without_warning(kind, tdtype, dtype):
    layer, tm = _pair(kind, dtype)
    sd = tm.to(tdtype).state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer.load_state_dict(sd)
        layer.load_state_dict({k: v.numpy() for k, v in sd.items()})
        layer.load_state_dict(dict(tm.named_parameters()))  # tensors that require grad
    for k, v in sd.items():
        assert layer.state_dict()[k].dtype == dtype
        np.testing.assert_array_equal(layer.state_dict()[k], v.numpy().astype(dtype))


BAD = [
    (lambda s: np.ones(s, np.complex128), "complex128"),
    (lambda s: np.ones(s, np.int64), "int64"),
    (lambda s: np.ones(s, np.int32), "int32"),
    (lambda s: np.ones(s, np.uint8), "uint8"),
    (lambda s: np.ones(s, bool), "bool"),
    (lambda s: np.ones(s, object), "object"),
    (lambda s: np.full(s, "a"), "<U1"),
    (lambda s: torch.ones(s, dtype=torch.complex64), "torch.complex64"),
    (lambda s: torch.ones(s, dtype=torch.int64), "torch.int64"),
    (lambda s: torch.ones(s, dtype=torch.bool), "torch.bool"),
]


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("make_bad, dtype_name", BAD)
def test_load_state_dict_refuses_non_float_naming_key_and_dtype(kind, make_bad, dtype_name):
    layer, tm = _pair(kind)
    before = layer.state_dict()
    sd = {k: v.numpy().astype(np.float64) for k, v in tm.state_dict().items()}
    key = "weight" if "weight" in sd else "weight_hh_l0"
    sd[key] = make_bad(sd[key].shape)
    with pytest.raises(TypeError) as info:
        layer.load_state_dict(sd)
    msg = str(info.value)
    assert re.search(rf"{key}: expected a real floating-point array .*got dtype {re.escape(dtype_name)}", msg), msg
    for k, v in before.items():  # nothing loaded, not even the valid keys
        np.testing.assert_array_equal(layer.state_dict()[k], v)


def test_linear_and_embedding_refuse_complex_instead_of_dropping_imaginary_part():
    lin, emb = rn.Linear(2, 3, rng=0), rn.Embedding(5, 2, rng=0)
    w = np.ones((3, 2)) + 1j
    with pytest.raises(TypeError, match=r"weight: expected a real floating-point array .*got dtype complex128"):
        lin.load_state_dict({"weight": w, "bias": np.zeros(3)})
    with pytest.raises(TypeError, match=r"weight: expected a real floating-point array .*got dtype complex64"):
        emb.load_state_dict({"weight": np.ones((5, 2), np.complex64)})
    assert not np.all(lin.weight == 1.0) and not np.all(emb.weight == 1.0)


def test_load_state_dict_lists_keys_shapes_and_dtypes_together():
    layer = rn.GRU(3, 4, rng=0)
    sd = layer.state_dict()
    del sd["bias_hh_l0"]
    sd["weight_hh_l0"] = np.zeros((12, 5))
    sd["bias_ih_l0"] = np.zeros(12, np.complex128)
    sd["weight_ih_l1"] = np.zeros((12, 4))
    with pytest.raises(ValueError) as info:  # names or shapes wrong: ValueError, as before
        layer.load_state_dict(sd)
    msg = str(info.value)
    assert "missing keys: ['bias_hh_l0']" in msg
    assert "unexpected keys: ['weight_ih_l1']" in msg
    assert "weight_hh_l0: expected (12, 4), got (12, 5)" in msg
    assert "bias_ih_l0: expected a real floating-point array" in msg and "got dtype complex128" in msg


@pytest.mark.parametrize("kind", ["Linear", "Embedding"])
def test_linear_and_embedding_missing_unexpected_and_shape_errors_name_the_key(kind):
    layer, tm = _pair(kind)
    sd = {k: v.numpy() for k, v in tm.state_dict().items()}
    with pytest.raises(ValueError, match=r"missing keys: \['weight'\]"):
        layer.load_state_dict({k: v for k, v in sd.items() if k != "weight"})
    with pytest.raises(ValueError, match=r"unexpected keys: \['extra'\]"):
        layer.load_state_dict({**sd, "extra": np.zeros(3)})
    shape = sd["weight"].shape
    with pytest.raises(ValueError, match=re.escape(f"weight: expected {shape}, got {(shape[0] + 1, shape[1])}")):
        layer.load_state_dict({**sd, "weight": np.zeros((shape[0] + 1, shape[1]))})
    with pytest.raises(TypeError, match="state_dict must be a mapping"):
        layer.load_state_dict([("weight", sd["weight"])])


def test_as_float_param_converts_and_names_the_key():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = as_float_param("w", [[1.0, 2.0]], np.float32)
    assert out.dtype == np.float32 and out.tolist() == [[1.0, 2.0]]
    t = torch.tensor([1.0, 2.0 ** -10 + 1.0], dtype=torch.bfloat16)
    with pytest.warns(UserWarning, match=r"^w: upcasting torch\.bfloat16 to float64"):
        out = as_float_param("w", t, np.float64)
    np.testing.assert_array_equal(out, t.float().numpy())
    with pytest.raises(TypeError, match=r"w: expected a real floating-point array .*got None"):
        as_float_param("w", None, np.float64)
    with pytest.raises(TypeError, match=r"^w: expected a real floating-point array"):
        as_float_param("w", [[1.0], [1.0, 2.0]], np.float64)  # ragged


def test_numpy_state_module_does_not_import_torch():
    code = ("import sys, numpy as np, rnncourse.numpy as rn; "
            "rn.LSTM(2, 3).load_state_dict(rn.LSTM(2, 3, rng=1).state_dict()); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
