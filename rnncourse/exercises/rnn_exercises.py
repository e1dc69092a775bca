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
