"""Input validation shared by the NumPy code.

Every public function checks its arguments here first, so that a wrong shape or dtype
gives an error that names the argument and what was expected, for example::

    ValueError: x must have shape (T, B, 3) (input_size=3), got (5, 2, 4)

instead of a broadcasting error from deep inside a matrix product.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_float_array",
    "check_shape",
    "check_lengths",
    "check_dtype",
    "as_generator",
    "check_positive_int",
    "to_numpy",
    "check_cell_args",
    "check_grad",
    "check_cache",
]


def check_dtype(dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dt}")
    return dt


def as_float_array(name: str, a, dtype=None) -> np.ndarray:
    """Convert ``a`` to a real floating-point array (integers and booleans are cast).

    With ``dtype`` the result has that dtype; without it, float arrays keep theirs and
    integer arrays become float64. Anything else (complex, objects, strings) is a TypeError.
    Array-likes such as CPU torch tensors go through ``np.asarray``.
    """
    if a is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        arr = np.asarray(a)
    except Exception as exc:  # e.g. a CUDA tensor, or a ragged list
        raise TypeError(f"{name} must be convertible to a NumPy array, got {type(a).__name__} ({exc})") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype.kind != "f" or arr.dtype == np.float16:
        return arr.astype(np.float64)
    return arr


def _fmt(spec, dims) -> str:
    parts = []
    for s in spec:
        value = dims.get(s) if isinstance(s, str) else s
        parts.append(str(value) if value is not None else s)
    return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")


def check_shape(name: str, a: np.ndarray, spec, dims: dict, note: str = "") -> None:
    """Check ``a.shape`` against ``spec`` and bind the unknown dimension letters.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    a : ndarray
    spec : tuple of str or int
        One entry per axis: an int, or a letter such as ``"T"``. A letter already in
        ``dims`` (with a value) must match; a letter that is absent or None is bound to
        the size found, so later arguments are checked against it.
    dims : dict
        Letter -> size, updated in place.
    note : str
        Appended to the message, e.g. ``"(input_size=3)"``.
    """
    shape = tuple(a.shape)
    ok = len(shape) == len(spec)
    if ok:
        for s, n in zip(spec, shape):
            expected = dims.get(s) if isinstance(s, str) else s
            if expected is not None and expected != n:
                ok = False
                break
    if not ok:
        msg = f"{name} must have shape {_fmt(spec, dims)}"
        if note:
            msg += f" {note}"
        raise ValueError(f"{msg}, got {shape}")
    for s, n in zip(spec, shape):
        if isinstance(s, str) and dims.get(s) is None:
            dims[s] = n


def check_lengths(lengths, T: int, B: int):
    """Validate sequence lengths: ``None``, or B integers in [1, T]; returns an int array or None."""
    if lengths is None:
        return None
    arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"lengths must be integers, got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},) (one length per sequence, B={B}), got {arr.shape}")
    if B and (arr.min() < 1 or arr.max() > T):
        raise ValueError(f"lengths must be in [1, T] = [1, {T}], got min {arr.min()} and max {arr.max()}")
    return arr.astype(np.intp)


def to_numpy(value) -> np.ndarray:
    """An array-like as a NumPy array; torch tensors are detached and moved to the CPU first.

    This is duck typing (anything with ``detach`` and ``cpu`` methods), so torch is never
    imported here.
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu()
    return np.asarray(value)


def as_generator(rng) -> np.random.Generator:
    """Return ``rng`` if it is a Generator, else ``np.random.default_rng(rng)`` (seed or None)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def check_positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_cell_args(cell: str, G: int, x, W_xh, W_hh, states: dict, biases: dict, x_spec=("B", "D")):
    """Validate and convert the arguments of a step or sequence function.

    Parameters
    ----------
    cell : str
        "RNN", "LSTM" or "GRU", for the messages.
    G : int
        Gates per cell (1, 4, 3): the weights have G*H rows.
    x : array-like
        Input, with the axes named in ``x_spec`` (last one is D).
    W_xh, W_hh : array-like
        (G*H, D) and (G*H, H).
    states : dict
        Name -> array-like of shape (B, H), or None (kept None).
    biases : dict
        Name -> array-like of shape (G*H,), or None (no bias).

    Returns
    -------
    x, W_xh, W_hh, states, biases, dims
        Arrays converted to one common floating dtype; dims maps T, B, D, H to sizes.

    Raises
    ------
    ValueError
        On a wrong shape, and on an empty dimension that torch.nn refuses too: H = 0, D = 0
        or T = 0 (each named in the message). B = 0 is allowed: an empty batch gives empty
        outputs and zero weight gradients, as in torch.nn.
    """
    W_hh = as_float_array("W_hh", W_hh)
    W_xh = as_float_array("W_xh", W_xh)
    x = as_float_array("x", x)
    rows = "H" if G == 1 else f"{G}*H"
    if W_hh.ndim != 2 or W_hh.shape[0] != G * W_hh.shape[1]:
        raise ValueError(f"W_hh must have shape ({rows}, H) for the {cell} (gates stacked by rows), got {W_hh.shape}")
    H = W_hh.shape[1]
    if H == 0:  # as torch.nn, which refuses hidden_size=0
        raise ValueError(f"the hidden size H must be at least 1, got H=0: W_hh has shape {W_hh.shape} "
                         f"(hidden_size=0 is refused, as torch.nn.{cell} does)")
    dims = {"H": H, "GH": G * H}
    check_shape("W_xh", W_xh, ("GH", "D"), dims, note=f"({rows}, D) with H={H} from W_hh")
    if dims["D"] == 0:  # as torch.nn, which refuses input_size=0
        raise ValueError(f"the input size D must be at least 1, got D=0: W_xh has shape {W_xh.shape} and "
                         f"x has shape {x.shape} (input_size=0 is refused, as torch.nn.{cell} does)")
    check_shape("x", x, x_spec, dims, note=f"(D={dims['D']} from W_xh)")
    if dims.get("T") == 0:  # torch.nn: "Expected sequence length to be larger than 0"
        raise ValueError(f"x must have at least one time step (T >= 1), got T=0: x has shape {x.shape} "
                         f"{_fmt(x_spec, {})}")
    arrays = [x, W_xh, W_hh]
    out_states = {}
    for name, s in states.items():
        if s is not None:
            s = as_float_array(name, s)
            check_shape(name, s, ("B", "H"), dims, note=f"(B={dims['B']} from x, H={H} from W_hh)")
            arrays.append(s)
        out_states[name] = s
    out_biases = {}
    for name, b in biases.items():
        if b is not None:
            b = as_float_array(name, b)
            check_shape(name, b, ("GH",), dims, note=f"({rows},) with H={H}")
            arrays.append(b)
        out_biases[name] = b
    dt = np.result_type(*arrays)
    cast = lambda a: None if a is None else a.astype(dt, copy=False)  # noqa: E731
    return (
        cast(x),
        cast(W_xh),
        cast(W_hh),
        {k: cast(v) for k, v in out_states.items()},
        {k: cast(v) for k, v in out_biases.items()},
        dims,
    )


def check_grad(name: str, d, shape, dtype, what: str) -> np.ndarray | None:
    """Validate an incoming gradient (None allowed); ``what`` describes the expected shape."""
    if d is None:
        return None
    d = as_float_array(name, d, dtype)
    if d.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} ({what}), got {d.shape}")
    return d


def check_cache(cache, keys, producer: str) -> None:
    """Raise TypeError unless ``cache`` is the dict that ``producer`` returned."""
    if not isinstance(cache, dict) or any(k not in cache for k in keys):
        raise TypeError(f"cache must be the dict returned by {producer}, got {type(cache).__name__}")
