"""Compare a learner's output with the expected one, and describe the first difference.

The messages say what is wrong and where (which output, which entry, which dimension), never
how the expected values are computed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

RTOL = 1e-5
ATOL = 1e-8


@dataclass
class Issue:
    kind: str  # "wrong_type", "wrong_shape", "nonfinite", "wrong_values"
    message: str
    where: str = ""


def _is_tensor(x) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def type_name(x) -> str:
    if x is None:
        return "None"
    if _is_tensor(x):
        return "a torch.Tensor"
    if isinstance(x, np.ndarray):
        return f"a NumPy array of shape {tuple(x.shape)}"
    t = type(x)
    mod = "" if t.__module__ == "builtins" else t.__module__ + "."
    article = "an" if t.__name__[:1].lower() in "aeiou" else "a"
    return f"{article} {mod}{t.__name__}"


def dims_of(shape, dims: Mapping) -> str:
    """'(3, 5) = (B, H)' where every size is one unambiguous dimension letter, else '(3, 5)'."""
    shape = tuple(int(s) for s in shape)
    letters = []
    for size in shape:
        names = [k for k, v in dims.items() if v == size]
        letters.append(names[0] if len(names) == 1 else None)
    text = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    if shape and all(letters):
        text += " = (" + ", ".join(letters) + ("," if len(shape) == 1 else "") + ")"
    return text


def _item(name: str, suffix: str) -> str:
    """`h`[0] -> `h[0]`: keep an indexed name inside one code span."""
    return name[:-1] + suffix + "`" if name.endswith("`") else name + suffix


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (complex, np.complexfloating)):
        return str(complex(v))
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    return f"{v:.6g}"


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def values_issue(
    expected: np.ndarray, got: np.ndarray, name: str, exact: bool = False, log_zero_remark: bool = True
) -> Issue | None:
    """Compare arrays of equal shape (NaN equals NaN, inf equals the same inf).

    ``log_zero_remark=False``: a -inf where a finite value is expected gets no remark on log(0)
    (for an output that holds -inf as an ordinary value, such as an additive mask).
    """
    if expected.dtype == bool or got.dtype == bool or exact:
        bad = ~((expected == got) | (_isnan(expected) & _isnan(got)))
        if expected.dtype != bool and got.dtype != bool:
            e, g = expected.astype(float), got.astype(float)
    else:
        e = expected.astype(np.complex128 if np.iscomplexobj(expected) else np.float64)
        g = got.astype(np.complex128 if np.iscomplexobj(got) else np.float64)
        with np.errstate(all="ignore"):
            close = np.isclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True)
        if not np.all(np.isfinite(e)) and expected.size:  # nonfinite expected (a variant's output)
            close |= (e == g)
        finite_expected = np.isfinite(e)
        nonfinite_got = ~np.isfinite(g) & finite_expected
        if nonfinite_got.any():
            return _nonfinite_issue(expected, got, nonfinite_got, name, log_zero_remark)
        bad = ~close
    if not bad.any():
        return None
    n_bad = int(bad.sum())
    if got.ndim == 0:
        return Issue("wrong_values", f"{name} is {_fmt(got)}; expected {_fmt(expected)}.", name)
    if expected.dtype == bool or got.dtype == bool or expected.dtype.kind not in "fciu":
        idx = np.argwhere(bad)[0]
    else:
        with np.errstate(invalid="ignore"):  # -inf - (-inf): those entries are not bad anyway
            diff = np.where(bad, np.abs(g - e), -1.0)
        diff = np.nan_to_num(diff, nan=np.inf)
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return Issue(
        "wrong_values",
        f"{name} is wrong at {n_bad} of {got.size} entries; for example at {_index(idx)} "
        f"it is {_fmt(got[tuple(idx)])}, expected {_fmt(expected[tuple(idx)])}.",
        name,
    )


def _nonfinite_word(v) -> str:
    """'NaN', '+inf' or '-inf' (for a complex number: 'not finite')."""
    if np.iscomplexobj(v):
        return "NaN" if np.isnan(v) else "not finite"
    v = float(v)
    if np.isnan(v):
        return "NaN"
    return "+inf" if v > 0 else "-inf"


# why a non-finite value appears, by kind: -inf is a normal value in log space (the log of 0),
# so only NaN and +inf suggest an overflow or a division by zero
_NONFINITE_CAUSE = {
    "NaN": "NaN comes from an undefined operation such as 0 * inf, inf - inf or 0 / 0, often after something "
    "overflowed or divided by zero.",
    "+inf": "Something overflowed or divided by zero.",
    "-inf": "-inf is what log(0) gives: did something that should be positive come out as 0 there?",
    "not finite": "Something overflowed or divided by zero.",
}


def _nonfinite_issue(
    expected: np.ndarray, got: np.ndarray, nonfinite_got: np.ndarray, name: str, log_zero_remark: bool = True
) -> Issue:
    """NaN or inf where a finite value is expected: which entry, what it is, what was expected."""
    if got.ndim == 0:
        word = _nonfinite_word(got)
        what = f"{name} is {word}; expected {_fmt(expected)}."
    else:
        idx = tuple(np.argwhere(nonfinite_got)[0])
        word = _nonfinite_word(got[idx])
        what = f"{name} is {word} at {_index(idx)}, expected {_fmt(expected[idx])}."
        n = int(nonfinite_got.sum())
        if n > 1:
            kinds = sorted({_nonfinite_word(x) for x in got[nonfinite_got]}, key=list(_NONFINITE_CAUSE).index)
            what = what[:-1] + (
                f" ({n} of {got.size} entries are {' or '.join(kinds)} where a finite value is expected)."
            )
    if word == "-inf" and not log_zero_remark:
        return Issue("nonfinite", what, name)
    return Issue("nonfinite", f"{what} {_NONFINITE_CAUSE[word]}", name)


_SHOWN = 12  # a list of at most this many plain values is shown whole in a wrong-length message


def _plain(x) -> bool:
    return isinstance(x, (bool, int, float, str, np.generic)) and not isinstance(x, np.ndarray)


def _show(values) -> str:
    return "[" + ", ".join(_fmt(v) if isinstance(v, (float, np.floating)) else repr(_py(v)) for v in values) + "]"


def _py(v):
    return v.item() if isinstance(v, np.generic) else v


def _length_message(expected: list, got, name: str) -> str:
    """'`labels` has 5 values; expected 4: yours [...], expected [...].' (a variable-length list)."""
    head = f"{name} has {len(got)} value{'' if len(got) == 1 else 's'}; expected {len(expected)}"
    if all(map(_plain, expected)) and all(map(_plain, got)) and max(len(got), len(expected)) <= _SHOWN:
        return f"{head}: yours {_show(got)}, expected {_show(expected)}."
    n = min(len(got), len(expected))
    first = next((i for i, (e, g) in enumerate(zip(expected, got)) if compare(e, g) is not None), n)
    if first < n:
        return f"{head}; the first difference is at [{first}]."
    k = abs(len(got) - len(expected))
    values = f"{k} value{'' if k == 1 else 's'}"
    agree = f" (the first {n} agree)" if n > 1 else " (the first agrees)" if n == 1 else ""
    if len(got) > len(expected):
        return f"{head}: yours has {values} too many at the end{agree}."
    return f"{head}: yours lacks the last {values}{agree}."


def _isnan(a):
    try:
        return np.isnan(a)
    except TypeError:
        return np.zeros(np.shape(a), dtype=bool)


def _shape_issue(expected_shape, got_shape, name, dims) -> Issue:
    msg = f"{name} has shape {dims_of(got_shape, dims)}; expected {dims_of(expected_shape, dims)}."
    if (
        len(got_shape) == len(expected_shape) >= 2
        and sorted(got_shape) == sorted(expected_shape)
        and tuple(got_shape) != tuple(expected_shape)
    ):
        msg += " It looks transposed (the right sizes in the wrong order)."
    elif len(got_shape) == len(expected_shape) + 1 and got_shape[1:] == tuple(expected_shape):
        msg += " It has one extra entry along a new first axis."
    elif len(got_shape) + 1 == len(expected_shape) and tuple(got_shape) == tuple(expected_shape[1:]):
        msg += " The first axis is missing."
    return Issue("wrong_shape", msg, name)


def compare(
    expected,
    got,
    name: str = "the result",
    dims: Mapping | None = None,
    exact: bool = False,
    strict: bool = False,
    log_zero_remark: bool = True,
) -> Issue | None:
    """The first difference between ``got`` and ``expected``, or None if they agree.

    ``exact``: no tolerance. ``strict``: a tuple and a list are different containers.
    ``log_zero_remark=False``: see :func:`values_issue`.
    """
    dims = dims or {}
    if isinstance(expected, (tuple, list)):
        kind = type(expected).__name__
        if not isinstance(got, (tuple, list)) or (strict and type(got) is not type(expected)):
            return Issue("wrong_type", f"{name} is {type_name(got)}; expected a {kind} of {len(expected)} values.", name)
        if len(got) != len(expected):
            if isinstance(expected, list):  # a variable-length output: a wrong length is a wrong value
                return Issue("wrong_values", _length_message(expected, got, name), name)
            return Issue("wrong_type", f"{name} has {len(got)} values; expected {len(expected)}.", name)
        for i, (e, g) in enumerate(zip(expected, got)):
            issue = compare(e, g, _item(name, f"[{i}]"), dims, exact, strict, log_zero_remark)
            if issue:
                return issue
        return None
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return Issue("wrong_type", f"{name} is {type_name(got)}; expected a dict.", name)
        if set(got) != set(expected):
            return Issue(
                "wrong_type",
                f"{name} has the keys {sorted(map(str, got))}; expected {sorted(map(str, expected))}.",
                name,
            )
        for key in expected:
            issue = compare(expected[key], got[key], _item(name, f"[{key!r}]"), dims, exact, strict, log_zero_remark)
            if issue:
                return issue
        return None
    if _is_tensor(expected):
        return _compare_tensor(expected, got, name, dims, exact, log_zero_remark)
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if got is None:
            return Issue("wrong_type", f"{name} is None; expected a NumPy array.", name)
        if not isinstance(got, np.ndarray):
            return Issue("wrong_type", f"{name} is {type_name(got)}; expected a NumPy array.", name)
        if expected.dtype == bool and got.dtype != bool:
            return Issue("wrong_type", f"{name} has dtype {got.dtype}; expected a boolean array (dtype bool).", name)
        if expected.dtype.kind in "fc" and got.dtype.kind not in "fc":
            return Issue("wrong_type", f"{name} has dtype {got.dtype}; expected floating-point numbers.", name)
        if expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
            return Issue("wrong_type", f"{name} has dtype {got.dtype}; expected integers.", name)
        if got.shape != expected.shape:
            return _shape_issue(expected.shape, got.shape, name, dims)
        return values_issue(expected, got, name, exact, log_zero_remark)
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return Issue("wrong_type", f"{name} is {type_name(got)}; expected True or False.", name)
        return None if bool(got) == bool(expected) else Issue("wrong_values", f"{name} is {got}; expected {expected}.", name)
    if isinstance(expected, (int, np.integer)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            return Issue("wrong_type", f"{name} is {type_name(got)}; expected an int.", name)
        return None if int(got) == int(expected) else Issue("wrong_values", f"{name} is {int(got)}; expected {int(expected)}.", name)
    if isinstance(expected, (float, np.floating)) or (isinstance(expected, np.ndarray) and expected.ndim == 0):
        if isinstance(got, np.ndarray):
            if got.ndim != 0:
                return Issue("wrong_shape", f"{name} has shape {tuple(got.shape)}; expected a single number.", name)
        elif isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return Issue("wrong_type", f"{name} is {type_name(got)}; expected a number.", name)
        return values_issue(
            np.asarray(expected, dtype=float), np.asarray(got, dtype=float), name, exact, log_zero_remark
        )
    if isinstance(expected, str) or expected is None:
        return None if got == expected else Issue("wrong_values", f"{name} differs.", name)
    return None if type(got) is type(expected) and got == expected else Issue("wrong_values", f"{name} differs.", name)


def _compare_tensor(expected, got, name, dims, exact, log_zero_remark=True):
    if not _is_tensor(got):
        return Issue("wrong_type", f"{name} is {type_name(got)}; expected a torch.Tensor.", name)
    if tuple(got.shape) != tuple(expected.shape):
        return _shape_issue(tuple(expected.shape), tuple(got.shape), name, dims)
    issue = values_issue(expected.detach().cpu().numpy(), got.detach().cpu().numpy(), name, exact, log_zero_remark)
    if issue:
        return issue
    if (expected.grad_fn is None) != (got.grad_fn is None) or expected.requires_grad != got.requires_grad:
        if expected.grad_fn is None and not expected.requires_grad:
            return Issue(
                "wrong_values",
                f"{name} has the right values but is still attached to the graph "
                f"(requires_grad={got.requires_grad}).",
                name,
            )
        return Issue("wrong_values", f"{name} has the right values but is not attached to the graph as expected.", name)
    return None


def distance(expected, got) -> float:
    """How far apart two outputs are, in units of the tolerance (inf: not comparable)."""
    if isinstance(expected, (tuple, list)):
        if type(got) is not type(expected) or len(got) != len(expected):
            return np.inf
        return max((distance(e, g) for e, g in zip(expected, got)), default=0.0)
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping) or set(got) != set(expected):
            return np.inf
        return max((distance(expected[k], got[k]) for k in expected), default=0.0)
    if _is_tensor(expected):
        if not _is_tensor(got) or got.shape != expected.shape:
            return np.inf
        if (expected.grad_fn is None) != (got.grad_fn is None) or expected.requires_grad != got.requires_grad:
            return np.inf
        return distance(expected.detach().cpu().numpy(), got.detach().cpu().numpy())
    e = np.asarray(expected)
    g = np.asarray(got)
    if e.shape != g.shape or (e.dtype == bool) != (g.dtype == bool):
        return np.inf
    if e.dtype.kind not in "biufc" or g.dtype.kind not in "biufc":
        return 0.0 if np.array_equal(e, g) else np.inf
    e = e.astype(float)
    g = g.astype(float)
    if e.size == 0:
        return 0.0
    if (np.isnan(e) != np.isnan(g)).any() or (np.isinf(e) & (e != g)).any() or (np.isinf(g) & (e != g)).any():
        return np.inf
    ok = np.isfinite(e)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(e[ok] - g[ok]) / (ATOL + RTOL * np.abs(e[ok]))))
