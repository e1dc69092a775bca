"""Exercises on the simple (Elman) RNN: step forward and backward, the sequence, BPTT, the
Jacobian of one step. Each ``_impl`` is the reference with switchable faults; with no fault
it computes exactly what :mod:`rnncourse.exercises.solutions` computes."""

from __future__ import annotations

import numpy as np

from . import solutions
from .core import Case, Exercise, Fault
from .gradients import max_rel_error, numerical_gradients


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


_ACTIVATIONS = {
    "sigmoid_activation": _sigmoid,
    "relu_activation": lambda a: np.maximum(a, 0),
    "no_activation": lambda a: a,
}


def _weights(rng, D, H, scale=0.6):
    """Weights of moderate scale (tanh not saturated), non-symmetric W_hh."""
    W_xh = rng.normal(0, scale / np.sqrt(D), (H, D))
    W_hh = rng.normal(0, scale / np.sqrt(H), (H, H))
    b_h = rng.normal(0, 0.4, H)
    return W_xh, W_hh, b_h


# ----------------------------------------------------------------------------- step forward
def _step_forward(f, x, h_prev, W_xh, W_hh, b_h):
    if "swapped_weights" in f:
        a = x @ W_hh.T + h_prev @ W_xh.T
    else:
        a = x @ (W_xh if "transposed_W_xh" in f else W_xh.T)
        if "ignores_h_prev" not in f:
            a = a + h_prev @ (W_hh if "transposed_W_hh" in f else W_hh.T)
    if "missing_bias" not in f:
        a = a + b_h
    for name, act in _ACTIVATIONS.items():
        if name in f:
            return act(a)
    return np.tanh(a)


def _step_forward_cases(rng):
    def case(label, B, D, H, diagnostic=False):
        x = rng.normal(0, 1, (B, D))
        h_prev = rng.uniform(-0.9, 0.9, (B, H))
        return Case(label, (x, h_prev, *_weights(rng, D, H)), dict(B=B, D=D, H=H), diagnostic=diagnostic)

    return [
        case("B=3, D=4, H=5", 3, 4, 5),
        case("B=1", 1, 3, 4),
        case("H=1", 2, 3, 1),
        case("D=1", 2, 1, 3),
        case("B=4, D=6, H=2", 4, 6, 2),
        case("D == H (to name mistakes)", 3, 5, 5, diagnostic=True),
    ]


_FWD_SQUARE = " Your code only runs when D == H, because the shapes do not line up otherwise."

rnn_step_forward = Exercise(
    id="rnn_step_forward",
    title="One step of a simple RNN",
    lesson="02_simple_rnn",
    reference=solutions.rnn_step_forward,
    impl=_step_forward,
    output_names=("h_next",),
    make_cases=_step_forward_cases,
    faults=[
        Fault(
            "transposed_W_xh",
            "`W_xh` is used as stored, without transposing it." + _FWD_SQUARE,
            "`W_xh` has shape (H, D) and `x` has shape (B, D): write down the shape of each product and "
            "make the result (B, H).",
        ),
        Fault(
            "transposed_W_hh",
            "`W_hh` is used as stored, without transposing it (it is square, so no error shows it).",
            "`W_hh[i, j]` is the weight from unit j at time t-1 to unit i at time t. With examples as rows, "
            "which way round must it multiply `h_prev`?",
        ),
        Fault(
            "swapped_weights",
            "`W_xh` and `W_hh` are swapped: the input is multiplied by the recurrent weights." + _FWD_SQUARE,
            "`W_xh` maps the input to the hidden state; `W_hh` maps the previous hidden state.",
        ),
        Fault("missing_bias", "The bias `b_h` is missing.", "Add `b_h` to the pre-activation, before the nonlinearity."),
        Fault(
            "sigmoid_activation",
            "The nonlinearity is a sigmoid, not tanh.",
            "The simple RNN of this course uses tanh: `np.tanh`.",
            group="activation",
        ),
        Fault(
            "relu_activation",
            "The nonlinearity is a ReLU, not tanh.",
            "The simple RNN of this course uses tanh: `np.tanh`.",
            group="activation",
        ),
        Fault(
            "no_activation",
            "No nonlinearity is applied: the result is the pre-activation itself.",
            "Apply tanh to the sum of the input term, the recurrent term and the bias.",
            group="activation",
        ),
        Fault(
            "ignores_h_prev",
            "`h_prev` is ignored: the new state depends only on the input.",
            "The recurrence is what makes it an RNN: the new state depends on the previous one through `W_hh`.",
        ),
    ],
    incompatible=[
        ("swapped_weights", "transposed_W_xh"),
        ("swapped_weights", "transposed_W_hh"),
        ("swapped_weights", "ignores_h_prev"),
        ("transposed_W_hh", "ignores_h_prev"),
    ],
    hints=[
        "Work with shapes first: x is (B, D), h_prev is (B, H), W_xh is (H, D), W_hh is (H, H), and the "
        "answer h_next must be (B, H). Rows are examples.",
        "The maths per example is h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h) with column vectors. With a "
        "batch of row vectors, every product `W v` becomes `v @ W.T`.",
        "Two matrix products (one for the input, one for the previous state), plus the bias broadcast "
        "over the batch, then `np.tanh` of the sum; return it.",
    ],
)


# ----------------------------------------------------------------------------- step backward
def _step_backward(f, dh_next, x, h_prev, h_next, W_xh, W_hh):
    if "missing_tanh_derivative" in f:
        da = dh_next
    elif "tanh_applied_again" in f:
        da = dh_next * (1 - np.tanh(h_next) ** 2)
    else:
        da = dh_next * (1 - h_next ** 2)
    dx = da @ (W_xh.T if "dx_transposed_weight" in f else W_xh)
    dh_prev = da @ (W_hh.T if "dh_prev_transposed_weight" in f else W_hh)
    h_used = h_next if "dW_hh_from_h_next" in f else h_prev
    dW_xh = x.T @ da if "transposed_dW_xh" in f else da.T @ x
    dW_hh = h_used.T @ da if "transposed_dW_hh" in f else da.T @ h_used
    db_h = da.sum(axis=1) if "db_wrong_axis" in f else da.sum(axis=0)
    return dx, dh_prev, dW_xh, dW_hh, db_h


def _step_backward_cases(rng):
    def case(label, B, D, H, diagnostic=False):
        x = rng.normal(0, 1, (B, D))
        h_prev = rng.uniform(-0.9, 0.9, (B, H))
        W_xh, W_hh, b_h = _weights(rng, D, H)
        h_next = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)
        dh_next = rng.normal(0, 1, (B, H))
        return Case(
            label, (dh_next, x, h_prev, h_next, W_xh, W_hh), dict(B=B, D=D, H=H), extra={"b_h": b_h},
            diagnostic=diagnostic,
        )

    return [
        case("B=3, D=4, H=5", 3, 4, 5),
        case("B=1", 1, 3, 4),
        case("H=1", 2, 3, 1),
        case("D=1", 2, 1, 3),
        case("B=6, D=2, H=3", 6, 2, 3),
        case("D == H (to name mistakes)", 3, 5, 5, diagnostic=True),
    ]


def _step_backward_gradcheck(case, grads):
    dh_next, x, h_prev, _, W_xh, W_hh = (np.array(a, dtype=float) for a in case.args)
    b_h = case.extra["b_h"].copy()

    def loss():
        return float(np.sum(dh_next * np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)))

    return max_rel_error(grads, numerical_gradients(loss, [x, h_prev, W_xh, W_hh, b_h]))


rnn_step_backward = Exercise(
    id="rnn_step_backward",
    title="Backward pass of one RNN step",
    lesson="03_bptt",
    reference=solutions.rnn_step_backward,
    impl=_step_backward,
    output_names=("dx", "dh_prev", "dW_xh", "dW_hh", "db_h"),
    make_cases=_step_backward_cases,
    gradcheck=_step_backward_gradcheck,
    faults=[
        Fault(
            "missing_tanh_derivative",
            "The gradient skips the tanh: `dh_next` is used as if it were the gradient of the pre-activation.",
            "Go back through tanh first: its derivative can be written with the output `h_next` alone.",
            group="tanh",
        ),
        Fault(
            "tanh_applied_again",
            "The tanh derivative is computed from tanh(h_next), applying tanh a second time.",
            "`h_next` is already the output of tanh; the derivative at that point needs no further tanh.",
            group="tanh",
        ),
        Fault(
            "dW_hh_from_h_next",
            "`dW_hh` is computed from `h_next` instead of `h_prev`.",
            "`W_hh` multiplies the state that came in to this step, so its gradient pairs the upstream "
            "gradient with that state.",
        ),
        Fault(
            "transposed_dW_xh",
            "`dW_xh` is transposed.",
            "A gradient has the shape of its parameter: `dW_xh` must be (H, D), like `W_xh`.",
        ),
        Fault(
            "transposed_dW_hh",
            "`dW_hh` is transposed (it is square, so the shape does not show it).",
            "Check one entry: `dW_hh[i, j]` pairs the gradient at unit i with the previous state of unit j.",
        ),
        Fault(
            "db_wrong_axis",
            "`db_h` is summed over the wrong axis (over units instead of over the batch).",
            "The bias is shared by all examples: sum the per-example gradients over the batch axis; "
            "`db_h` has shape (H,).",
        ),
        Fault(
            "dx_transposed_weight",
            "`dx` goes back through the transpose of the weight used in the forward pass (only runs when D == H).",
            "The forward pass used `x @ W_xh.T`; the gradient of `u @ M` with respect to `u` is `g @ M.T`.",
        ),
        Fault(
            "dh_prev_transposed_weight",
            "`dh_prev` goes back through `W_hh` the wrong way round (transposed).",
            "The forward pass used `h_prev @ W_hh.T`; what is the gradient of `u @ M` with respect to `u`?",
        ),
    ],
    hints=[
        "Name the pre-activation a = x W_xh^T + h_prev W_hh^T + b_h and h_next = tanh(a). First compute "
        "dL/da from dh_next; every other gradient follows from it.",
        "tanh'(a) = 1 - tanh(a)^2, and tanh(a) is h_next, which you are given. For a product `u @ M`, "
        "the gradient with respect to u is `g @ M.T` and with respect to M it is `u.T @ g`.",
        "Check every gradient against the shape of what it is the gradient of: dx (B, D), dh_prev (B, H), "
        "dW_xh (H, D), dW_hh (H, H), db_h (H,). The bias is shared across the batch.",
    ],
)


# ----------------------------------------------------------------------------- sequence forward
def _forward(f, x, h0, W_xh, W_hh, b_h):
    T, B = x.shape[:2]
    H = W_hh.shape[0]
    h = np.zeros((T, B, H))
    h_prev = np.zeros_like(h0) if "ignores_h0" in f else h0
    order = reversed(range(T)) if "reversed_time" in f else range(T)
    for t in order:
        state = h0 if "state_not_carried" in f else h_prev
        new = np.tanh(x[t] @ W_xh.T + state @ W_hh.T + (0 if "missing_bias" in f else b_h))
        h[t] = h_prev if "stores_previous_state" in f else new
        h_prev = new
    if "returns_last_state_only" in f:
        return h_prev
    if "includes_h0" in f:
        return np.concatenate([h0[None], h], axis=0)
    return h


def _forward_cases(rng):
    def case(label, T, B, D, H):
        x = rng.normal(0, 1, (T, B, D))
        h0 = rng.uniform(-0.8, 0.8, (B, H))
        return Case(label, (x, h0, *_weights(rng, D, H)), dict(T=T, B=B, D=D, H=H))

    return [
        case("T=6, B=3, D=4, H=5", 6, 3, 4, 5),
        case("T=1", 1, 2, 3, 4),
        case("B=1", 4, 1, 2, 3),
        case("H=1", 3, 2, 4, 1),
        case("T=5, B=2, D=1, H=3", 5, 2, 1, 3),
    ]


rnn_forward = Exercise(
    id="rnn_forward",
    title="A simple RNN over a whole sequence",
    lesson="02_simple_rnn",
    reference=solutions.rnn_forward,
    impl=_forward,
    output_names=("h",),
    make_cases=_forward_cases,
    faults=[
        Fault(
            "ignores_h0",
            "The initial state `h0` is ignored: the loop starts from zeros.",
            "The first step's previous state is `h0`, which the caller may set (for example to carry state "
            "across batches).",
        ),
        Fault(
            "state_not_carried",
            "Every step starts again from `h0`: the new state is not carried to the next step.",
            "After computing the state at time t, it becomes the previous state of time t + 1.",
        ),
        Fault(
            "reversed_time",
            "The loop runs backwards in time (from the last step to the first).",
            "The forward pass reads the sequence in order, t = 0, 1, ..., T - 1.",
        ),
        Fault(
            "missing_bias",
            "The bias `b_h` is missing.",
            "Add `b_h` inside the tanh, at every step.",
        ),
        Fault(
            "stores_previous_state",
            "Position t of the output holds the state before step t, not after it (off by one).",
            "`h[t]` is the state computed at step t, from `x[t]` and the state of step t - 1.",
            group="output",
        ),
        Fault(
            "returns_last_state_only",
            "Only the last state is returned, not the states of all time steps.",
            "Collect the state of every step in an array of shape (T, B, H).",
            group="output",
        ),
        Fault(
            "includes_h0",
            "The output starts with `h0`, so it has T + 1 steps.",
            "Return the T states computed by the loop, without the initial state.",
            group="output",
        ),
    ],
    incompatible=[("ignores_h0", "state_not_carried"), ("state_not_carried", "reversed_time")],
    hints=[
        "Start from `h_prev = h0` and loop over time, t = 0, ..., T - 1, applying one RNN step to `x[t]`. "
        "Allocate the output `h` of shape (T, B, H) before the loop.",
        "Each step is the step function of the previous exercise: h_t = tanh(x_t W_xh^T + h_{t-1} W_hh^T + b_h), "
        "with rows as examples.",
        "Inside the loop, store the new state in `h[t]` and make it the previous state of the next step. "
        "Return all of `h`.",
    ],
)


# ----------------------------------------------------------------------------- BPTT
def _backward(f, dh, x, h0, h, W_xh, W_hh):
    T = x.shape[0]
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    order = range(T) if "wrong_loop_direction" in f else reversed(range(T))
    for t in order:
        h_prev = h[t - 1] if t > 0 else h0
        if "dW_hh_from_h_t" in f:
            h_prev = h[t]
        upstream = dh[t] if "no_gradient_from_next_step" in f else dh[t] + dh_next
        da = upstream if "missing_tanh_derivative" in f else upstream * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        if "overwrite_not_accumulate" in f:
            dW_xh, dW_hh, db_h = da.T @ x[t], da.T @ h_prev, da.sum(axis=0)
        else:
            dW_xh = dW_xh + da.T @ x[t]
            dW_hh = dW_hh + da.T @ h_prev
            db_h = db_h + da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


def _backward_cases(rng):
    def case(label, T, B, D, H):
        x = rng.normal(0, 1, (T, B, D))
        h0 = rng.uniform(-0.8, 0.8, (B, H))
        W_xh, W_hh, b_h = _weights(rng, D, H, scale=0.9)
        h = solutions.rnn_forward(x, h0, W_xh, W_hh, b_h)
        dh = rng.normal(0, 1, (T, B, H))
        return Case(label, (dh, x, h0, h, W_xh, W_hh), dict(T=T, B=B, D=D, H=H), extra={"b_h": b_h})

    return [
        case("T=5, B=3, D=4, H=6", 5, 3, 4, 6),
        case("T=1", 1, 2, 3, 4),
        case("B=1", 4, 1, 2, 3),
        case("H=1", 3, 2, 4, 1),
        case("T=2, B=4, D=1, H=2", 2, 4, 1, 2),
    ]


def _backward_gradcheck(case, grads):
    dh, x, h0, _, W_xh, W_hh = (np.array(a, dtype=float) for a in case.args)
    b_h = case.extra["b_h"].copy()

    def loss():
        return float(np.sum(dh * solutions.rnn_forward(x, h0, W_xh, W_hh, b_h)))

    return max_rel_error(grads, numerical_gradients(loss, [x, h0, W_xh, W_hh, b_h]))


rnn_backward = Exercise(
    id="rnn_backward",
    title="Backpropagation through time",
    lesson="03_bptt",
    reference=solutions.rnn_backward,
    impl=_backward,
    output_names=("dx", "dh0", "dW_xh", "dW_hh", "db_h"),
    make_cases=_backward_cases,
    gradcheck=_backward_gradcheck,
    faults=[
        Fault(
            "no_gradient_from_next_step",
            "The gradient that flows back from step t + 1 into the state at step t is dropped; only the "
            "gradient from the layer above is used.",
            "h_t influences the loss twice: directly (dh[t]) and through h_{t+1}. Add both before going through tanh.",
        ),
        Fault(
            "overwrite_not_accumulate",
            "The weight gradients are overwritten at each step instead of summed over time (only one step "
            "is left at the end).",
            "The same weights are used at every step, so their gradient is the sum of the per-step gradients: "
            "start from zeros and add.",
        ),
        Fault(
            "wrong_loop_direction",
            "The loop runs forwards in time; backpropagation through time must run from the last step to the first.",
            "The gradient for step t needs the gradient coming back from step t + 1, so start at t = T - 1.",
        ),
        Fault(
            "dW_hh_from_h_t",
            "`dW_hh` pairs the gradient at step t with h_t instead of the previous state h_{t-1} (h0 at t = 0).",
            "At step t, `W_hh` multiplies the state that came in: h_{t-1}, which is `h0` for t = 0.",
        ),
        Fault(
            "missing_tanh_derivative",
            "The gradient skips the tanh at each step.",
            "Multiply by the tanh derivative, which you can write with the stored `h[t]`.",
        ),
    ],
    hints=[
        "Loop backwards, t = T - 1, ..., 0, carrying `dh_next`, the gradient with respect to h_t that comes "
        "back from step t + 1 (zeros at the last step). The previous state of step t is `h[t-1]`, or `h0` at t = 0.",
        "At each step, add `dh[t]` and `dh_next`, go back through tanh, and then it is exactly the step "
        "backward of the previous exercise: it gives dx[t], the weight gradients of this step, and the new `dh_next`.",
        "The weights are shared across time: accumulate `dW_xh`, `dW_hh`, `db_h` with `+=` from zeros. "
        "After the loop, `dh_next` is the gradient with respect to `h0`.",
    ],
)


# ----------------------------------------------------------------------------- Jacobian
def _jacobian(f, h_next, W_hh):
    if "missing_tanh_derivative" in f:
        d = np.ones_like(h_next)
    elif "tanh_applied_again" in f:
        d = 1 - np.tanh(h_next) ** 2
    elif "missing_square" in f:
        d = 1 - h_next
    else:
        d = 1 - h_next ** 2
    W = W_hh.T if "transposed_W_hh" in f else W_hh
    if "derivative_on_columns" in f:
        return d[:, None, :] * W[None, :, :]
    return d[:, :, None] * W[None, :, :]


def _jacobian_cases(rng):
    def case(label, B, H):
        h_next = rng.uniform(-0.9, 0.9, (B, H))
        W_hh = rng.normal(0, 1 / np.sqrt(H), (H, H))
        return Case(label, (h_next, W_hh), dict(B=B, H=H))

    return [case("B=3, H=4", 3, 4), case("B=1", 1, 5), case("H=1", 4, 1), case("B=2, H=6", 2, 6)]


rnn_hidden_jacobian = Exercise(
    id="rnn_hidden_jacobian",
    title="The Jacobian of one RNN step, dh_t / dh_{t-1}",
    lesson="04_vanishing_gradients",
    reference=solutions.rnn_hidden_jacobian,
    impl=_jacobian,
    output_names=("J",),
    make_cases=_jacobian_cases,
    incompatible=[("missing_tanh_derivative", "derivative_on_columns")],
    faults=[
        Fault(
            "missing_tanh_derivative",
            "The tanh derivative is missing: every example gets the bare `W_hh`.",
            "The chain rule goes through tanh: the Jacobian depends on the state through 1 - h_t^2.",
            group="derivative",
        ),
        Fault(
            "tanh_applied_again",
            "The tanh derivative is computed from tanh(h_next), applying tanh a second time.",
            "`h_next` is already tanh of the pre-activation.",
            group="derivative",
        ),
        Fault(
            "missing_square",
            "The tanh derivative is written 1 - h instead of 1 - h squared.",
            "d tanh(a) / da = 1 - tanh(a)^2.",
            group="derivative",
        ),
        Fault(
            "transposed_W_hh",
            "`W_hh` is transposed: entry [i, j] must be the derivative of unit i at time t with respect to unit j at t - 1.",
            "In the column-vector maths h_t = tanh(W_hh h_{t-1} + ...), so dh_t/dh_{t-1} uses `W_hh` as stored.",
        ),
        Fault(
            "derivative_on_columns",
            "The tanh derivative scales the columns of `W_hh` instead of its rows.",
            "Row i of the Jacobian belongs to unit i of h_t, so the factor 1 - h_t[i]^2 multiplies row i: "
            "diag(d) @ W, not W @ diag(d).",
        ),
    ],
    hints=[
        "Per example, h_t = tanh(a) with a = W_hh h_{t-1} + W_xh x_t + b_h. The chain rule gives "
        "dh_t/dh_{t-1} = diag(tanh'(a)) W_hh.",
        "tanh'(a) = 1 - h_t^2, so you need only `h_next` and `W_hh`. The result has one (H, H) matrix per example: (B, H, H).",
        "diag(d) @ W scales row i of W by d[i]. For a batch, broadcasting does it: give d shape (B, H, 1) and "
        "W shape (1, H, H).",
    ],
)
