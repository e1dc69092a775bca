"""Empty dimensions (issue 18), in both halves, following torch.nn.

- T = 0 (no time step): an error that names T (ValueError in rnncourse.numpy; in
  rnncourse.torch the RuntimeError that torch.nn raises);
- B = 0 (empty batch): forward and backward work, with the shapes torch.nn gives, empty
  input and state gradients and parameter gradients that are zeros of the parameters' shapes;
- H = 0, D = 0, num_layers = 0 and the other sizes of 0: a ValueError at construction (or,
  for arrays given to a step or sequence function, at the call) that names the argument.

Also the dtype message of rnncourse.torch for an integer input: it suggests converting the
input, not ``module.to(torch.int64)`` (which torch refuses).
"""

from __future__ import annotations

import numpy as np
import pytest

import rnncourse.numpy as rn

torch = pytest.importorskip("torch")
import rnncourse.torch as rt  # noqa: E402
from torch.nn.utils.rnn import PackedSequence  # noqa: E402

KINDS = ["RNN", "LSTM", "GRU"]
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
T_MESSAGE = r"T ?= ?0"  # every T = 0 message says "T = 0" or "T=0"


def _rng(seed):
    return np.random.default_rng(seed)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _states(s):
    """h_n, or (h_n, c_n), as a tuple."""
    return tuple(s) if isinstance(s, (tuple, list)) else (s,)


def _hx(kind, states):
    """A tuple of state tensors/arrays as the layer's hx argument."""
    return tuple(states) if kind == "LSTM" else states[0]


# ---------------------------------------------------------------------------------------
# T = 0


LAYOUTS = {  # name -> (layer kwargs, shape of an input with T = 0, D = 3, B = 2)
    "time_major": ({}, (0, 2, 3)),
    "batch_first": ({"batch_first": True}, (2, 0, 3)),
    "unbatched": ({}, (0, 3)),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("kind", KINDS)
def test_layer_time_zero_error_names_T_as_torch_nn(kind, layout):
    kwargs, shape = LAYOUTS[layout]
    with pytest.raises(RuntimeError) as ref:  # what torch.nn does
        getattr(torch.nn, kind)(3, 4, **kwargs)(torch.zeros(shape))
    assert "sequence length" in str(ref.value)
    with pytest.raises(type(ref.value), match=T_MESSAGE) as ours:
        getattr(rt, kind)(3, 4, **kwargs)(torch.zeros(shape))
    assert "sequence length" in str(ours.value) and str(tuple(shape)) in str(ours.value)
    with pytest.raises(ValueError, match=T_MESSAGE) as ours_np:
        getattr(rn, kind)(3, 4, **kwargs, rng=0)(np.zeros(shape))
    assert "time step" in str(ours_np.value) and str(tuple(shape)) in str(ours_np.value), \
        "the message shows the shape the user passed, not a transposed one"


def test_layer_time_zero_issue_example():
    """The issue's example: it failed inside torch.stack ("non-empty TensorList")."""
    with pytest.raises(RuntimeError, match=r"sequence length T .*T = 0") as err:
        rt.LSTM(3, 4)(torch.zeros(0, 2, 3))
    assert "TensorList" not in str(err.value)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_time_zero_packed_sequence_names_T(kind):
    """A PackedSequence with no steps can only be built by hand (packing refuses empty input)."""
    with pytest.raises(RuntimeError, match="empty"):
        torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(0, 2, 3), torch.zeros(2, dtype=torch.long))
    empty = PackedSequence(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(RuntimeError, match=T_MESSAGE):
        getattr(rt, kind)(3, 4)(empty)


def _numpy_sequence_call(kind, x, H=4, D=3, seed=0, h0=None, lengths=None):
    rng = _rng(seed)
    G = GATES[kind]
    W_xh, W_hh, b = rng.normal(size=(G * H, D)), rng.normal(size=(G * H, H)), rng.normal(size=G * H)
    if kind == "RNN":
        return rn.rnn_forward(x, h0, W_xh, W_hh, b, lengths=lengths)
    if kind == "LSTM":
        c0 = None if h0 is None else h0 * 0.5
        return rn.lstm_forward(x, h0, c0, W_xh, W_hh, b, lengths=lengths)
    return rn.gru_forward(x, h0, W_xh, W_hh, b, b * 0.5, lengths=lengths)


@pytest.mark.parametrize("kind", KINDS)
def test_sequence_function_time_zero_error_names_T(kind):
    with pytest.raises(ValueError, match=T_MESSAGE + r": x has shape \(0, 2, 3\) \(T, B, D\)"):
        _numpy_sequence_call(kind, np.zeros((0, 2, 3)))
    G = GATES[kind]
    with pytest.raises(RuntimeError, match=T_MESSAGE):
        rt.recurrent_loop(lambda gx_t, s: s, torch.zeros(0, 2, G * 4), (torch.zeros(2, 4),))


# ---------------------------------------------------------------------------------------
# B = 0


CONFIGS = {  # name -> layer kwargs (D = 3, H = 4 always)
    "plain": {},
    "batch_first": {"batch_first": True},
    "bidirectional_2_layers": {"bidirectional": True, "num_layers": 2},
    "bidirectional_batch_first_3_layers": {"bidirectional": True, "num_layers": 3, "batch_first": True},
    "no_bias": {"bias": False},
}


def _torch_run(module, kind, x, hx):
    """Forward and backward of sum(output) + sum(states); the shapes of everything."""
    out, st = module(x, None if hx is None else _hx(kind, hx))
    states = _states(st)
    (out.sum() + sum(s.sum() for s in states)).backward()
    params = dict(module.named_parameters())
    return {
        "output": tuple(out.shape),
        "states": [tuple(s.shape) for s in states],
        "dx": tuple(x.grad.shape),
        "dhx": None if hx is None else [tuple(h.grad.shape) for h in hx],
        "params": {k: tuple(p.grad.shape) for k, p in params.items()},
        "_grads": {k: p.grad for k, p in params.items()},
    }


def _torch_empty_batch(kind, config, with_state, module_cls, batch_first):
    T, D, H = 5, 3, 4
    m = module_cls(D, H, **CONFIGS[config])
    LD = m.num_layers * (2 if m.bidirectional else 1)
    x = torch.zeros((0, T, D) if batch_first else (T, 0, D), requires_grad=True)
    hx = None
    if with_state:
        hx = [torch.zeros(LD, 0, H, requires_grad=True) for _ in range(2 if kind == "LSTM" else 1)]
    return _torch_run(m, kind, x, hx)


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", KINDS)
def test_torch_layer_empty_batch_forward_backward_as_torch_nn(kind, config, with_state):
    bf = CONFIGS[config].get("batch_first", False)
    torch.manual_seed(0)
    ref = _torch_empty_batch(kind, config, with_state, getattr(torch.nn, kind), bf)
    ours = _torch_empty_batch(kind, config, with_state, getattr(rt, kind), bf)
    grads = ours.pop("_grads")
    ref.pop("_grads")
    assert ours == ref
    assert ours["output"][0 if bf else 1] == 0 and all(s[1] == 0 for s in ours["states"])
    for name, g in grads.items():
        assert g is not None and torch.count_nonzero(g) == 0, name


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", KINDS)
def test_numpy_layer_empty_batch_forward_backward_as_torch_nn(kind, config, with_state, with_lengths):
    T, D, H = 5, 3, 4
    bf = CONFIGS[config].get("batch_first", False)
    ref = _torch_empty_batch(kind, config, with_state, getattr(torch.nn, kind), bf)
    ref.pop("_grads")
    layer = getattr(rn, kind)(D, H, **CONFIGS[config], rng=_rng(1))
    LD = layer.num_layers * layer.num_directions
    x = np.zeros((0, T, D) if bf else (T, 0, D))
    n_states = 2 if kind == "LSTM" else 1
    hx = [np.zeros((LD, 0, H)) for _ in range(n_states)] if with_state else None
    lengths = np.zeros(0, dtype=np.int64) if with_lengths else None
    out, st = layer(x, None if hx is None else _hx(kind, hx), lengths=lengths)
    states = _states(st)
    layer.grads = {k: np.ones_like(v) for k, v in layer.grads.items()}  # backward must overwrite them
    d_states = [np.ones(s.shape) for s in states]
    dx, dst = layer.backward(np.ones(out.shape), _hx(kind, d_states))
    ours = {
        "output": out.shape,
        "states": [s.shape for s in states],
        "dx": dx.shape,
        "dhx": None if hx is None else [s.shape for s in _states(dst)],
        "params": {k: g.shape for k, g in layer.grads.items()},
    }
    assert ours == ref
    assert all(s.shape == (LD, 0, H) for s in _states(dst))
    for name, g in layer.grads.items():
        assert g.shape == layer.parameters()[name].shape and not g.any(), name


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_layer_empty_batch_unbatched_still_unbatched(kind):
    """(T, D) is one sequence, not an empty batch: B = 0 needs the batch axis (as torch.nn)."""
    out, _ = getattr(rn, kind)(3, 4, rng=0)(np.zeros((5, 3)))
    ref, _ = getattr(torch.nn, kind)(3, 4)(torch.zeros(5, 3))
    assert out.shape == tuple(ref.shape) == (5, 4)


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("kind", KINDS + ["GRU_cho"])
def test_sequence_function_empty_batch_forward_backward(kind, with_state, with_lengths):
    T, D, H = 5, 3, 4
    base = kind.split("_")[0]
    G = GATES[base]
    rng = _rng(2)
    W_xh, W_hh, b = rng.normal(size=(G * H, D)), rng.normal(size=(G * H, H)), rng.normal(size=G * H)
    x = np.zeros((T, 0, D))
    h0 = np.zeros((0, H)) if with_state else None
    lengths = np.zeros(0, dtype=np.int64) if with_lengths else None
    dh, dn = np.ones((T, 0, H)), np.ones((0, H))
    if base == "RNN":
        h, h_n, cache = rn.rnn_forward(x, h0, W_xh, W_hh, b, lengths=lengths)
        dx, dh0, *pgrads = rn.rnn_backward(dh, cache, dn)
        dstates, finals = (dh0,), (h_n,)
    elif base == "LSTM":
        h, (h_n, c_n), cache = rn.lstm_forward(x, h0, h0, W_xh, W_hh, b, lengths=lengths)
        dx, dh0, dc0, *pgrads = rn.lstm_backward(dh, cache, dn, dn)
        dstates, finals = (dh0, dc0), (h_n, c_n)
    else:
        h, h_n, cache = rn.gru_forward(x, h0, W_xh, W_hh, b, b, reset_after=kind == "GRU", lengths=lengths)
        dx, dh0, *pgrads = rn.gru_backward(dh, cache, dn)
        dstates, finals = (dh0,), (h_n,)
    assert h.shape == (T, 0, H) and dx.shape == (T, 0, D)
    assert all(s.shape == (0, H) for s in finals + dstates)
    expected = [(G * H, D), (G * H, H)] + [(G * H,)] * (len(pgrads) - 2)
    assert [g.shape for g in pgrads] == expected
    assert not any(g.any() for g in pgrads)


def _numpy_step(kind, x, h, W_xh, W_hh, b):
    """Forward and backward of one step with dL/dh_next = 1; returns (outputs, grads)."""
    if kind == "RNN":
        h_next, cache = rn.rnn_step_forward(x, h, W_xh, W_hh, b)
        return (h_next,), rn.rnn_step_backward(np.ones(h_next.shape), cache)
    if kind == "LSTM":
        h_next, c_next, cache = rn.lstm_step_forward(x, h, h, W_xh, W_hh, b)
        return (h_next, c_next), rn.lstm_step_backward(np.ones(h_next.shape), np.ones(c_next.shape), cache)
    h_next, cache = rn.gru_step_forward(x, h, W_xh, W_hh, b, b)
    return (h_next,), rn.gru_step_backward(np.ones(h_next.shape), cache)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_step_empty_batch_forward_backward(kind):
    D, H, G = 3, 4, GATES[kind]
    rng = _rng(3)
    W_xh, W_hh, b = rng.normal(size=(G * H, D)), rng.normal(size=(G * H, H)), rng.normal(size=G * H)
    outs, grads = _numpy_step(kind, np.zeros((0, D)), np.zeros((0, H)), W_xh, W_hh, b)
    assert all(o.shape == (0, H) for o in outs)
    n_states = len(outs)
    dx, dstates, pgrads = grads[0], grads[1 : 1 + n_states], grads[1 + n_states :]
    assert dx.shape == (0, D) and all(d.shape == (0, H) for d in dstates)
    assert [g.shape for g in pgrads[:2]] == [(G * H, D), (G * H, H)]
    assert all(g.shape == (G * H,) for g in pgrads[2:])
    assert not any(g.any() for g in pgrads)


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_torch_cell_empty_batch_forward_backward_as_torch_nn(kind, with_state):
    def run(cls):
        cell = cls(3, 4)
        x = torch.zeros(0, 3, requires_grad=True)
        hx = [torch.zeros(0, 4, requires_grad=True) for _ in range(2 if kind == "LSTM" else 1)]
        out = cell(x, _hx(kind, hx) if with_state else None)
        outs = _states(out)
        sum(o.sum() for o in outs).backward()
        shapes = ([tuple(o.shape) for o in outs], tuple(x.grad.shape),
                  [tuple(h.grad.shape) for h in hx] if with_state else None,
                  {k: tuple(p.grad.shape) for k, p in cell.named_parameters()})
        return shapes, [p.grad for p in cell.parameters()]

    ref, _ = run(getattr(torch.nn, kind + "Cell"))
    ours, grads = run(getattr(rt, kind + "Cell"))
    assert ours == ref
    assert all(torch.count_nonzero(g) == 0 for g in grads)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_step_empty_batch_forward_backward(kind):
    G, H = GATES[kind], 4
    W_hh = torch.randn(G * H, H, generator=_gen(4), requires_grad=True)
    gx, h = torch.zeros(0, G * H, requires_grad=True), torch.zeros(0, H)
    if kind == "LSTM":
        outs = rt.lstm_step(gx, h, h, W_hh)
    else:
        outs = (rt.rnn_step(gx, h, W_hh) if kind == "RNN" else rt.gru_step(gx, h, W_hh),)
    assert all(tuple(o.shape) == (0, H) for o in outs)
    sum(o.sum() for o in outs).backward()
    assert tuple(gx.grad.shape) == (0, G * H)
    assert tuple(W_hh.grad.shape) == (G * H, H) and torch.count_nonzero(W_hh.grad) == 0


def test_linear_embedding_empty_batch_forward_backward():
    lin = rn.Linear(3, 5, rng=0)
    y = lin(np.zeros((0, 3)))
    assert y.shape == (0, 5) and lin.backward(np.zeros((0, 5))).shape == (0, 3)
    assert lin.grads["weight"].shape == (5, 3) and not lin.grads["weight"].any()
    assert lin.grads["bias"].shape == (5,) and not lin.grads["bias"].any()
    emb = rn.Embedding(7, 2, rng=0)
    e = emb(np.zeros((0, 4), dtype=np.int64))
    assert e.shape == tuple(torch.nn.Embedding(7, 2)(torch.zeros(0, 4, dtype=torch.long)).shape) == (0, 4, 2)
    emb.backward(np.zeros((0, 4, 2)))
    assert emb.grads["weight"].shape == (7, 2) and not emb.grads["weight"].any()


# ---------------------------------------------------------------------------------------
# sizes of 0


SIZE_ARGS = {  # argument -> (input_size, hidden_size, num_layers)
    "input_size": (0, 4, 1),
    "hidden_size": (3, 0, 1),
    "num_layers": (3, 4, 0),
}


@pytest.mark.parametrize("arg", list(SIZE_ARGS))
@pytest.mark.parametrize("kind", KINDS)
def test_layer_zero_size_construction_error_names_argument(kind, arg):
    D, H, L = SIZE_ARGS[arg]
    with pytest.raises(ValueError, match=arg):  # torch.nn: "<arg> must be greater than zero"
        getattr(torch.nn, kind)(D, H, num_layers=L)
    with pytest.raises(ValueError, match=f"{arg} must be a positive integer, got 0"):
        getattr(rt, kind)(D, H, num_layers=L)
    with pytest.raises(ValueError, match=f"{arg} must be a positive integer, got 0"):
        getattr(rn, kind)(D, H, num_layers=L)


@pytest.mark.parametrize("arg", ["input_size", "hidden_size"])
@pytest.mark.parametrize("kind", KINDS)
def test_torch_cell_zero_size_construction_error_names_argument(kind, arg):
    """torch.nn's cells accept sizes of 0; these refuse them, as torch.nn's layers do."""
    D, H, _ = SIZE_ARGS[arg]
    with pytest.raises(ValueError, match=f"{arg} must be a positive integer, got 0"):
        getattr(rt, kind + "Cell")(D, H)


@pytest.mark.parametrize("cls, args, arg", [
    (rn.Linear, (0, 3), "in_features"),
    (rn.Linear, (3, 0), "out_features"),
    (rn.Embedding, (0, 3), "num_embeddings"),
    (rn.Embedding, (3, 0), "embedding_dim"),
])
def test_linear_embedding_zero_size_construction_error_names_argument(cls, args, arg):
    with pytest.raises(ValueError, match=f"{arg} must be a positive integer, got 0"):
        cls(*args)


def _zero_dim_arrays(kind, D, H, B=2):
    G = GATES[kind]
    rng = _rng(5)
    return (rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(G * H, D)),
            rng.normal(size=(G * H, H)), rng.normal(size=G * H))


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_step_zero_input_size_error_names_D(kind):
    x, h, W_xh, W_hh, b = _zero_dim_arrays(kind, D=0, H=4)
    with pytest.raises(ValueError, match=r"input size D must be at least 1, got D=0.*x has shape \(2, 0\)"):
        _numpy_step(kind, x, h, W_xh, W_hh, b)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_step_zero_hidden_size_error_names_H(kind):
    x, h, W_xh, W_hh, b = _zero_dim_arrays(kind, D=3, H=0)
    with pytest.raises(ValueError, match=r"hidden size H must be at least 1, got H=0.*W_hh has shape \(0, 0\)"):
        _numpy_step(kind, x, h, W_xh, W_hh, b)


@pytest.mark.parametrize("kind", KINDS)
def test_sequence_function_zero_sizes_error_names_argument(kind):
    with pytest.raises(ValueError, match="input size D must be at least 1, got D=0"):
        _numpy_sequence_call(kind, np.zeros((5, 2, 0)), D=0)
    with pytest.raises(ValueError, match="hidden size H must be at least 1, got H=0"):
        _numpy_sequence_call(kind, np.zeros((5, 2, 3)), H=0)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_step_zero_hidden_size_error_names_H(kind):
    gx, h, W_hh = torch.zeros(2, 0), torch.zeros(2, 0), torch.zeros(0, 0)
    with pytest.raises(ValueError, match=r"hidden size H must be at least 1.*W_hh of shape \(0, 0\)"):
        if kind == "LSTM":
            rt.lstm_step(gx, h, h, W_hh)
        else:
            (rt.rnn_step if kind == "RNN" else rt.gru_step)(gx, h, W_hh)


# ---------------------------------------------------------------------------------------
# the dtype message for integer inputs


@pytest.mark.parametrize("module", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_torch_integer_input_dtype_error_suggests_converting_input(module):
    m = getattr(rt, module)(3, 4)
    x = torch.ones((5, 2, 3) if "Cell" not in module else (2, 3), dtype=torch.int64)
    with pytest.raises(TypeError, match=r"input\.to\(torch\.float32\)") as err:
        m(x)
    assert "module.to(torch.int64)" not in str(err.value)
    with pytest.raises(TypeError, match="floating point"):  # why that advice would be wrong
        m.to(torch.int64)
    m(x.to(torch.float32))  # the advice works
    m(x.float())


def test_torch_integer_state_dtype_error_suggests_converting_state():
    m = rt.GRU(3, 4)
    with pytest.raises(TypeError, match=r"h_0\.to\(torch\.float32\)") as err:
        m(torch.zeros(5, 2, 3), torch.zeros(1, 2, 4, dtype=torch.int32))
    assert "module.to" not in str(err.value)


def test_torch_float_input_dtype_error_still_offers_both_conversions():
    m = rt.LSTM(3, 4)
    x = torch.zeros(5, 2, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"input\.to\(torch\.float32\).*module\.to\(torch\.float64\)"):
        m(x)
    m.to(torch.float64)(x)  # that advice works for a floating dtype
