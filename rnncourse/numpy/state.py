"""Loading ``state_dict`` mappings into the NumPy layers: one conversion, one set of checks.

Every NumPy ``load_state_dict`` (``RNN``/``LSTM``/``GRU``, ``Linear``, ``Embedding``) goes
through :func:`load_state_dict_into`, which converts each value with :func:`as_float_param`:

* NumPy arrays, array-likes and CPU torch tensors are accepted; torch is never imported (a
  tensor is recognised by its ``detach``/``cpu``/``numpy`` methods, and one whose dtype NumPy
  cannot hold, such as ``torch.bfloat16``, is converted with ``.float()`` first);
* float16 and bfloat16 values are upcast exactly to the layer's dtype, with a ``UserWarning``
  naming the key and the original dtype (the values carry only half precision);
* complex, boolean, integer, object and string arrays are refused with a TypeError naming the
  key, the dtype received and what was expected.

Names and shapes are checked before anything is copied, so a failed load leaves the layer
unchanged, and the error lists every problem with its key.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["as_float_param", "load_state_dict_into"]

_EXPECTED = "a real floating-point array (float16, bfloat16, float32 or float64)"


def _is_tensor(value) -> bool:
    return all(hasattr(value, m) for m in ("detach", "cpu", "numpy"))


def _dtype_name(value) -> str:
    """The dtype as the caller knows it: ``torch.bfloat16`` for a tensor, ``float16`` for an array."""
    dt = getattr(value, "dtype", None)
    return str(dt) if dt is not None else type(value).__name__


def _tensor_to_numpy(key, value):
    """A torch tensor as a NumPy array, and whether it was upcast from a float NumPy lacks.

    Duck-typed, torch is not imported: ``value.detach().cpu().numpy()``, or for a floating
    dtype NumPy cannot represent (bfloat16, float8) ``value.detach().cpu().float().numpy()``.
    """
    try:
        t = value.detach().cpu()
    except Exception as exc:  # pragma: no cover - exotic tensors
        raise TypeError(f"{key}: cannot move the tensor to the CPU ({exc})") from None
    try:
        return t.numpy(), False
    except (TypeError, RuntimeError) as exc:  # e.g. "Got unsupported ScalarType BFloat16"
        is_float = getattr(t, "is_floating_point", None)
        if callable(is_float) and is_float() and hasattr(t, "float"):
            return t.float().numpy(), True  # bfloat16 (and other small floats) -> float32, exactly
        raise TypeError(f"{key}: expected {_EXPECTED}, got dtype {_dtype_name(value)} "
                        f"(NumPy cannot represent it: {exc})") from None


def as_float_param(key, value, dtype, *, stacklevel: int = 2) -> np.ndarray:
    """Convert one ``state_dict`` entry to a NumPy array of the parameter's ``dtype``.

    Parameters
    ----------
    key : str
        The entry's name, used in every message.
    value : array-like or torch.Tensor
        NumPy array, nested list, or CPU torch tensor (it may require grad).
    dtype : numpy.float32 or numpy.float64
        The dtype of the parameter it will be copied into.
    stacklevel : int
        Passed to ``warnings.warn`` for the upcast warning.

    Returns
    -------
    ndarray of ``dtype``

    Raises
    ------
    TypeError
        If ``value`` is not real floating point (complex, bool, integer, object, string ...).

    Warns
    -----
    UserWarning
        If ``value`` has less precision than float32 (float16, bfloat16) and is upcast.
    """
    dtype = np.dtype(dtype)
    original = _dtype_name(value)
    if value is None:
        raise TypeError(f"{key}: expected {_EXPECTED}, got None")
    upcast = False
    if _is_tensor(value):
        arr, upcast = _tensor_to_numpy(key, value)
    else:
        try:
            arr = np.asarray(value)
        except Exception as exc:  # ragged lists, unconvertible objects
            raise TypeError(f"{key}: expected {_EXPECTED}, got {type(value).__name__} that NumPy "
                            f"cannot convert ({exc})") from None
    if arr.dtype.kind != "f":
        hint = " (cast it to a float dtype explicitly)" if arr.dtype.kind in "iub" else ""
        raise TypeError(f"{key}: expected {_EXPECTED} for a {dtype} parameter, "
                        f"got dtype {original if _is_tensor(value) else arr.dtype}{hint}")
    if upcast or arr.dtype.itemsize < 4:
        warnings.warn(f"{key}: upcasting {original} to {dtype}; the values keep the precision of {original}, "
                      f"which is below float32", UserWarning, stacklevel=stacklevel + 1)
    return arr.astype(dtype, copy=False)


def load_state_dict_into(owner, params: dict, state_dict) -> None:
    """Copy ``state_dict`` into ``params`` (name -> ndarray, updated in place) after checking it.

    Every key of ``params`` must be present with the same shape and a real floating dtype, and
    no other key may be present. Otherwise nothing is copied and one error lists the missing
    keys, the unexpected keys, the wrong shapes and the wrong dtypes, each with its key: a
    ValueError if any name or shape is wrong, else a TypeError (dtypes only).
    ``owner`` (the layer) is named in the message.
    """
    if not hasattr(state_dict, "keys"):
        raise TypeError(f"state_dict must be a mapping name -> array, got {type(state_dict).__name__}")
    missing = [k for k in params if k not in state_dict]
    unexpected = [k for k in state_dict.keys() if k not in params]
    arrays, wrong_shapes, wrong_dtypes = {}, [], []
    for name, p in params.items():
        if name not in state_dict:
            continue
        try:
            # stacklevel: as_float_param <- here <- the layer's load_state_dict <- the caller
            arr = as_float_param(name, state_dict[name], p.dtype, stacklevel=3)
        except TypeError as exc:
            wrong_dtypes.append(str(exc))
            continue
        if arr.shape != p.shape:
            wrong_shapes.append(f"{name}: expected {p.shape}, got {arr.shape}")
        arrays[name] = arr
    if missing or unexpected or wrong_shapes or wrong_dtypes:
        lines = [f"cannot load state_dict into {owner!r}:"]
        if missing:
            lines.append(f"missing keys: {missing}")
        if unexpected:
            lines.append(f"unexpected keys: {unexpected}")
        if wrong_shapes:
            lines.append("wrong shapes: " + "; ".join(wrong_shapes))
        if wrong_dtypes:
            lines.append("wrong dtypes: " + "; ".join(wrong_dtypes))
        error = ValueError if (missing or unexpected or wrong_shapes) else TypeError
        raise error("\n  ".join(lines))
    for name, arr in arrays.items():
        np.copyto(params[name], arr)
