"""Exercises on gated cells: the LSTM step forward and backward, the GRU step, and counting
the parameters of torch.nn's recurrent layers."""

from __future__ import annotations

import numpy as np

from . import solutions
from .core import Case, Exercise, Fault
from .gradients import max_rel_error, numerical_gradients


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _gated_case(rng, label, B, D, H, G, two_biases=False, scale=1.0):
    x = rng.normal(0, 1, (B, D))
    h_prev = rng.uniform(-0.8, 0.8, (B, H))
    W_xh = rng.normal(0, scale / np.sqrt(D), (G * H, D))
    W_hh = rng.normal(0, scale / np.sqrt(H), (G * H, H))
    biases = (rng.normal(0, 0.5, G * H), rng.normal(0, 0.5, G * H)) if two_biases else (rng.normal(0, 0.5, G * H),)
    return x, h_prev, W_xh, W_hh, biases


# ----------------------------------------------------------------------------- LSTM forward
def _lstm_forward(f, x, h_prev, c_prev, W_xh, W_hh, b_h):
    H = h_prev.shape[1]
    a = x @ W_xh.T + h_prev @ W_hh.T + (0 if "missing_bias" in f else b_h)
    blocks = [a[:, k * H:(k + 1) * H] for k in range(4)]
    if "gate_order_ifog" in f:
        ai, af, ao, ag = blocks
    else:
        ai, af, ag, ao = blocks
    if "input_forget_swapped" in f:
        ai, af = af, ai
    i, fg, o = _sigmoid(ai), _sigmoid(af), _sigmoid(ao)
    g = _sigmoid(ag) if "sigmoid_on_candidate" in f else np.tanh(ag)
    c_next = fg * c_prev + (g if "input_gate_ignored" in f else i * g)
    if "h_without_tanh" in f:
        h_next = o * c_next
    elif "h_from_c_prev" in f:
        h_next = o * np.tanh(c_prev)
    else:
        h_next = o * np.tanh(c_next)
    return h_next, c_next


def _lstm_forward_cases(rng):
    def case(label, B, D, H):
        x, h_prev, W_xh, W_hh, (b_h,) = _gated_case(rng, label, B, D, H, 4)
        c_prev = rng.normal(0, 1, (B, H))
        return Case(label, (x, h_prev, c_prev, W_xh, W_hh, b_h), dict(B=B, D=D, H=H, G4H=4 * H))

    return [case("B=3, D=4, H=5", 3, 4, 5), case("B=1", 1, 3, 2), case("H=1", 2, 3, 1), case("B=4, D=2, H=3", 4, 2, 3)]


lstm_step_forward = Exercise(
    id="lstm_step_forward",
    title="One step of an LSTM",
    lesson="05_lstm",
    reference=solutions.lstm_step_forward,
    impl=_lstm_forward,
    output_names=("h_next", "c_next"),
    make_cases=_lstm_forward_cases,
    faults=[
        Fault(
            "gate_order_ifog",
            "The gates are read in the order i, f, o, g; PyTorch (and this course) stack them as i, f, g, o.",
            "Rows 0:H of the weights are the input gate, H:2H the forget gate, 2H:3H the candidate, 3H:4H the output gate.",
            group="order",
        ),
        Fault(
            "input_forget_swapped",
            "The input and forget gates are swapped.",
            "The first block of H rows is the input gate i, the second the forget gate f.",
            group="order",
        ),
        Fault(
            "sigmoid_on_candidate",
            "The candidate g goes through a sigmoid; it should go through tanh (values in (-1, 1)).",
            "The three gates are sigmoids (between 0 and 1); the candidate is a tanh.",
        ),
        Fault(
            "h_without_tanh",
            "The new hidden state is o * c, without squashing the cell state.",
            "The output gate multiplies a squashed copy of the new cell state.",
            group="h",
        ),
        Fault(
            "h_from_c_prev",
            "The new hidden state uses the previous cell state `c_prev` instead of the new one.",
            "Compute `c_next` first; the hidden state reads it.",
            group="h",
        ),
        Fault(
            "input_gate_ignored",
            "The input gate is not applied: the whole candidate is added to the cell.",
            "The input gate decides how much of the candidate enters the cell: multiply them.",
        ),
        Fault("missing_bias", "The bias `b_h` is missing.", "Add `b_h` (4H entries) to the pre-activations."),
    ],
    hints=[
        "Compute all four pre-activations at once: one (B, 4H) array from `x`, `h_prev` and `b_h`, as in the "
        "simple RNN. Then slice it into four (B, H) blocks, in the order i, f, g, o.",
        "Gates i, f, o use the sigmoid; the candidate g uses tanh.",
        "The new cell state keeps part of the old one (forget gate) and adds part of the candidate (input gate); "
        "the new hidden state is the output gate times tanh of the new cell state. Return `(h_next, c_next)`.",
    ],
)


# ----------------------------------------------------------------------------- GRU forward
def _gru_forward(f, x, h_prev, W_xh, W_hh, b_xh, b_hh):
    H = h_prev.shape[1]
    gx = x @ W_xh.T + b_xh
    gh = h_prev @ W_hh.T + b_hh
    r_sl, z_sl = (slice(H, 2 * H), slice(0, H)) if "gate_order_zrn" in f else (slice(0, H), slice(H, 2 * H))
    r = _sigmoid(gx[:, r_sl] + gh[:, r_sl])
    z = _sigmoid(gx[:, z_sl] + gh[:, z_sl])
    W_hn, b_hn = W_hh[2 * H:], b_hh[2 * H:]
    if "reset_before_matmul" in f:
        hn = (r * h_prev) @ W_hn.T + b_hn
    elif "b_hn_outside_reset" in f:
        hn = r * (h_prev @ W_hn.T) + b_hn
    elif "reset_ignored" in f:
        hn = gh[:, 2 * H:]
    else:
        hn = r * gh[:, 2 * H:]
    pre = gx[:, 2 * H:] + hn
    n = _sigmoid(pre) if "sigmoid_on_candidate" in f else np.tanh(pre)
    if "update_gate_flipped" in f:
        return z * n + (1 - z) * h_prev
    return (1 - z) * n + z * h_prev


def _gru_cases(rng):
    def case(label, B, D, H):
        x, h_prev, W_xh, W_hh, (b_xh, b_hh) = _gated_case(rng, label, B, D, H, 3, two_biases=True, scale=1.5)
        return Case(label, (x, h_prev, W_xh, W_hh, b_xh, b_hh), dict(B=B, D=D, H=H))

    return [case("B=3, D=4, H=5", 3, 4, 5), case("B=1", 1, 3, 2), case("H=1", 2, 3, 1), case("B=4, D=2, H=3", 4, 2, 3)]


gru_step_forward = Exercise(
    id="gru_step_forward",
    title="One step of a GRU (PyTorch's formulation)",
    lesson="06_gru",
    reference=solutions.gru_step_forward,
    impl=_gru_forward,
    output_names=("h_next",),
    make_cases=_gru_cases,
    faults=[
        Fault(
            "update_gate_flipped",
            "The update gate is flipped: z weights the candidate and 1 - z the old state.",
            "In PyTorch's convention (and this course's), z close to 1 keeps the old state.",
        ),
        Fault(
            "reset_before_matmul",
            "The reset gate is applied to h_prev before the matrix product (Cho et al.'s variant), not after it "
            "as in PyTorch.",
            "PyTorch resets the recurrent term of the candidate after the product, bias included.",
            group="reset",
        ),
        Fault(
            "b_hn_outside_reset",
            "The recurrent bias of the candidate, b_hn, is added outside the reset gate.",
            "In PyTorch the reset gate multiplies the whole recurrent term of the candidate, its bias b_hn included.",
            group="reset",
        ),
        Fault(
            "reset_ignored",
            "The reset gate is computed but not used in the candidate.",
            "The reset gate scales the recurrent part of the candidate.",
            group="reset",
        ),
        Fault(
            "gate_order_zrn",
            "The reset and update gates are swapped: PyTorch stacks the gates as r, z, n.",
            "Rows 0:H are the reset gate r, H:2H the update gate z, 2H:3H the candidate n.",
        ),
        Fault(
            "sigmoid_on_candidate",
            "The candidate n goes through a sigmoid; it should go through tanh.",
            "r and z are sigmoids; the candidate is a tanh, like the simple RNN's state.",
        ),
    ],
    hints=[
        "Compute the input part `x @ W_xh.T + b_xh` and the recurrent part `h_prev @ W_hh.T + b_hh` separately, "
        "each (B, 3H), and slice each into r, z, n blocks of H columns.",
        "r and z are sigmoids of the sum of their input and recurrent parts. The candidate is a tanh of its "
        "input part plus r times its recurrent part (that is why the two parts are kept apart).",
        "The new state mixes the candidate and the old state: (1 - z) * n + z * h_prev.",
    ],
)


# ----------------------------------------------------------------------------- LSTM backward
def _lstm_backward(f, dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b_h):
    H = h_prev.shape[1]
    a = x @ W_xh.T + h_prev @ W_hh.T + b_h
    i, fg, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    tanh_c = np.tanh(fg * c_prev + i * g)
    through_h = dh_next * o * (1 if "missing_tanh_derivative_on_c" in f else (1 - tanh_c ** 2))
    dc = through_h if "dc_next_ignored" in f else dc_next + through_h
    gate_grad = (lambda s: 1 - s ** 2) if "tanh_derivative_on_gates" in f else (lambda s: s * (1 - s))
    di = dc * g * gate_grad(i)
    df = dc * c_prev * gate_grad(fg)
    dg = dc * i * (g * (1 - g) if "sigmoid_derivative_on_candidate" in f else (1 - g ** 2))
    do = dh_next * tanh_c * gate_grad(o)
    blocks = [di, df, do, dg] if "gate_order_ifog" in f else [di, df, dg, do]
    da = np.concatenate(blocks, axis=1)
    dc_prev = dc if "dc_prev_missing_f" in f else dc * fg
    return da @ W_xh, da @ W_hh, dc_prev, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def _lstm_backward_cases(rng):
    def case(label, B, D, H):
        x, h_prev, W_xh, W_hh, (b_h,) = _gated_case(rng, label, B, D, H, 4)
        c_prev = rng.normal(0, 1, (B, H))
        dh_next, dc_next = rng.normal(0, 1, (B, H)), rng.normal(0, 1, (B, H))
        return Case(label, (dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b_h), dict(B=B, D=D, H=H))

    return [case("B=3, D=4, H=5", 3, 4, 5), case("B=1", 1, 3, 2), case("H=1", 2, 3, 1), case("B=4, D=2, H=3", 4, 2, 3)]


def _lstm_backward_gradcheck(case, grads):
    dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b_h = (np.array(a, dtype=float) for a in case.args)

    def loss():
        h, c = solutions.lstm_step_forward(x, h_prev, c_prev, W_xh, W_hh, b_h)
        return float(np.sum(dh_next * h) + np.sum(dc_next * c))

    return max_rel_error(grads, numerical_gradients(loss, [x, h_prev, c_prev, W_xh, W_hh, b_h]))


lstm_step_backward = Exercise(
    id="lstm_step_backward",
    title="Backward pass of one LSTM step",
    lesson="05_lstm",
    reference=solutions.lstm_step_backward,
    impl=_lstm_backward,
    output_names=("dx", "dh_prev", "dc_prev", "dW_xh", "dW_hh", "db_h"),
    make_cases=_lstm_backward_cases,
    gradcheck=_lstm_backward_gradcheck,
    faults=[
        Fault(
            "dc_next_ignored",
            "The gradient `dc_next` arriving along the cell state is ignored.",
            "The new cell state reaches the loss two ways: directly (`dc_next`) and through h_next. Add both.",
        ),
        Fault(
            "missing_tanh_derivative_on_c",
            "The path from h_next back to the cell state skips the tanh derivative.",
            "h_next = o * tanh(c_next): going back to c_next passes through the tanh.",
        ),
        Fault(
            "tanh_derivative_on_gates",
            "The gates' derivative is written as for tanh; the gates are sigmoids.",
            "For s = sigmoid(a), ds/da = s (1 - s).",
        ),
        Fault(
            "sigmoid_derivative_on_candidate",
            "The candidate's derivative is written as for a sigmoid; the candidate is a tanh.",
            "For g = tanh(a), dg/da = 1 - g^2.",
        ),
        Fault(
            "gate_order_ifog",
            "The gate gradients are stacked in the order i, f, o, g; the weights hold i, f, g, o.",
            "Concatenate the four (B, H) pre-activation gradients in the order the forward pass sliced them.",
        ),
        Fault(
            "dc_prev_missing_f",
            "`dc_prev` is missing the forget gate factor.",
            "c_next = f * c_prev + ...: the gradient reaching `c_prev` is scaled by f.",
        ),
    ],
    hints=[
        "Recompute the forward step first (the pre-activations, the four gates, the new cell state and its tanh): "
        "the backward pass needs them all.",
        "Find the total gradient of the new cell state first: `dc_next` plus what comes through h_next = o * tanh(c). "
        "From it, get the gradients of i, f, g and of `c_prev`; the output gate's comes from `dh_next` directly.",
        "Turn each gate's gradient into the gradient of its pre-activation (sigmoid: s (1 - s); tanh: 1 - g^2), "
        "stack the four blocks as i, f, g, o into (B, 4H), and finish as in the simple RNN's step backward.",
    ],
)


# ----------------------------------------------------------------------------- parameter count
def _count(f, cell, input_size, hidden_size, num_layers=1, bidirectional=False):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}
    if "gate_counts_swapped" in f:
        gates = {"rnn": 1, "lstm": 3, "gru": 4}
    G = 1 if "gates_ignored" in f else gates[cell]
    dirs = 2 if bidirectional and "bidirectional_ignored" not in f else 1
    total = 0
    for layer in range(num_layers):
        if layer == 0 or "deeper_layers_use_input_size" in f:
            D = input_size
        elif "deeper_layers_ignore_directions" in f:
            D = hidden_size
        else:
            D = dirs * hidden_size
        biases = 1 if "one_bias" in f else 2
        total += dirs * (G * hidden_size * (D + hidden_size) + biases * G * hidden_size)
    return total


def _count_cases(rng):
    del rng  # the cases are fixed
    rows = [
        ("lstm, D=10, H=20, 2 layers, bidirectional", ("lstm", 10, 20, 2, True)),
        ("gru, D=7, H=3, 3 layers", ("gru", 7, 3, 3)),
        ("rnn, D=5, H=8, bidirectional", ("rnn", 5, 8, 1, True)),
        ("lstm, D=1, H=1", ("lstm", 1, 1)),
        ("gru, D=6, H=4, 2 layers, bidirectional", ("gru", 6, 4, 2, True)),
        ("rnn, D=3, H=2, 3 layers, bidirectional", ("rnn", 3, 2, 3, True)),
    ]
    return [Case(label, args, {}) for label, args in rows]


count_parameters = Exercise(
    id="count_parameters",
    title="Count the parameters of torch.nn.RNN, LSTM and GRU",
    lesson="06_gru",
    reference=solutions.count_parameters,
    impl=_count,
    output_names=("count",),
    make_cases=_count_cases,
    faults=[
        Fault(
            "one_bias",
            "One bias vector per layer and direction is counted; PyTorch keeps two (`bias_ih` and `bias_hh`).",
            "Look at `torch.nn.LSTM(2, 3).state_dict()`: which names and shapes are there?",
        ),
        Fault(
            "gates_ignored",
            "The gates are not counted: every cell is sized like a simple RNN.",
            "An LSTM stacks 4 blocks of H rows (i, f, g, o), a GRU 3 (r, z, n).",
            group="gates",
        ),
        Fault(
            "gate_counts_swapped",
            "The gate counts of LSTM and GRU are swapped.",
            "LSTM: input, forget, candidate, output (4). GRU: reset, update, candidate (3).",
            group="gates",
        ),
        Fault(
            "bidirectional_ignored",
            "`bidirectional` is ignored: a bidirectional layer has a second, separate set of weights.",
            "With `bidirectional=True` every layer has a forward and a backward direction, each with its own weights.",
            group="dirs",
        ),
        Fault(
            "deeper_layers_use_input_size",
            "Layers above the first are counted with `input_size` inputs; they read the outputs of the layer below.",
            "Layer k > 0 reads the outputs of layer k - 1: H features, or 2H when bidirectional.",
            group="deeper",
        ),
        Fault(
            "deeper_layers_ignore_directions",
            "Layers above the first are counted with H inputs; when bidirectional, the layer below outputs 2H.",
            "A bidirectional layer concatenates both directions: its output has 2H features.",
            group="deeper",
        ),
    ],
    incompatible=[("bidirectional_ignored", "deeper_layers_ignore_directions")],
    hints=[
        "Count one layer and one direction first: the input weights W_ih (G*H, D), the recurrent weights "
        "W_hh (G*H, H) and two biases of G*H each, with G = 1, 4, 3 for rnn, lstm, gru.",
        "A bidirectional layer has that twice. Check against PyTorch: "
        "`sum(p.numel() for p in torch.nn.LSTM(10, 20).parameters())`.",
        "Only the first layer reads `input_size` features; every layer above reads the output of the layer "
        "below, which has H features per direction.",
    ],
)
