"""Exercises on gated cells: the LSTM step forward and backward, the GRU step forward and
backward (both placements of the reset gate), and counting the parameters of torch.nn's
recurrent layers."""

from __future__ import annotations

import numpy as np

from rnncourse.numpy import gru as numpy_gru

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


# ----------------------------------------------------------------------------- GRU backward
def _gru_backward(f, dh_next, x, h_prev, W_xh, W_hh, b_xh, b_hh, reset_after=True):
    H = h_prev.shape[1]
    forward_after = backward_after = reset_after  # where the reset gate acts, forward and backward
    if "reset_after_ignored" in f:
        forward_after = backward_after = True
    elif "reset_before_always" in f:
        forward_after = backward_after = False
    elif "reset_formula_swapped" in f:
        backward_after = not reset_after
    W_r, W_z, W_hn = W_hh[:H], W_hh[H:2 * H], W_hh[2 * H:]
    gx = x @ W_xh.T + b_xh
    r = _sigmoid(gx[:, :H] + h_prev @ W_r.T + b_hh[:H])
    z = _sigmoid(gx[:, H:2 * H] + h_prev @ W_z.T + b_hh[H:2 * H])
    m = h_prev @ W_hn.T + b_hh[2 * H:]  # what r multiplies after the product
    s = r * h_prev  # what W_hn multiplies when r acts before the product
    n = np.tanh(gx[:, 2 * H:] + (r * m if forward_after else s @ W_hn.T + b_hh[2 * H:]))
    to_n, direct = (z, 1 - z) if "z_swapped" in f else (1 - z, z)
    dz = dh_next * ((n - h_prev) if "dz_sign_flipped" in f else (h_prev - n))
    dn = dh_next * to_n
    da_n = dn if "missing_tanh_derivative" in f else dn * (1 - n ** 2)
    sig_grad = (lambda g: 1.0) if "missing_sigmoid_derivative" in f else (lambda g: g * (1 - g))
    back = (lambda W: W.T) if "W_hh_transposed" in f else (lambda W: W)  # how a gradient goes back through W
    if backward_after:
        dm = da_n * r
        dr = da_n * m
        dh_prev = dm @ back(W_hn)
        dW_hn = dm.T @ h_prev
    else:
        ds = da_n @ back(W_hn)
        dr = ds * h_prev
        dh_prev = ds * r
        dm = da_n
        dW_hn = da_n.T @ s
    if "reset_path_missing" in f:
        dr = np.zeros_like(dr)
    da_r, da_z = dr * sig_grad(r), dz * sig_grad(z)
    dh_prev = dh_prev + da_r @ back(W_r) + da_z @ back(W_z)
    if "direct_path_missing" not in f:
        dh_prev = dh_prev + dh_next * direct
    da = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H)
    blocks = [da_r.T @ h_prev, da_z.T @ h_prev, dW_hn]
    if "dW_hh_transposed" in f:
        blocks = [b.T for b in blocks]
    dgh = da if "db_hh_equals_db_xh" in f else np.concatenate([da_r, da_z, dm], axis=1)
    if "db_mean_over_batch" in f:
        db_xh, db_hh = da.mean(axis=0), dgh.mean(axis=0)
    elif "db_summed_over_units" in f:
        db_xh, db_hh = da.sum(axis=1), dgh.sum(axis=1)
    elif "db_not_summed" in f:
        db_xh, db_hh = da, dgh
    else:
        db_xh, db_hh = da.sum(axis=0), dgh.sum(axis=0)
    return da @ W_xh, dh_prev, da.T @ x, np.concatenate(blocks), db_xh, db_hh


def _gru_backward_cases(rng):
    def case(label, B, D, H, reset_after):
        x, h_prev, W_xh, W_hh, (b_xh, b_hh) = _gated_case(rng, label, B, D, H, 3, two_biases=True, scale=1.5)
        dh_next = rng.normal(0, 1, (B, H))
        args = (dh_next, x, h_prev, W_xh, W_hh, b_xh, b_hh, reset_after)
        return Case(label, args, {"B": B, "D": D, "H": H, "3H": 3 * H})

    return [
        case("B=3, D=4, H=5, reset_after=True (PyTorch's placement)", 3, 4, 5, True),
        case("B=3, D=4, H=5, reset_after=False (Cho et al.'s placement)", 3, 4, 5, False),
        case("B=1, reset_after=False", 1, 3, 2, False),
        case("H=1, reset_after=True", 2, 3, 1, True),
        case("B=4, D=2, H=3, reset_after=False", 4, 2, 3, False),
        case("B=2, D=5, H=4, reset_after=True", 2, 5, 4, True),
    ]


def _gru_backward_gradcheck(case, grads):
    dh_next, *inputs, reset_after = case.args
    inputs = [np.array(a, dtype=float) for a in inputs]  # x, h_prev, W_xh, W_hh, b_xh, b_hh

    def loss():
        h_next, _ = numpy_gru.gru_step_forward(*inputs, reset_after=reset_after)
        return float(np.sum(dh_next * h_next))

    return max_rel_error(grads, numerical_gradients(loss, inputs))


gru_step_backward = Exercise(
    id="gru_step_backward",
    title="Backward pass of one GRU step, both placements of the reset gate",
    lesson="07_pytorch_layers",
    reference=solutions.gru_step_backward,
    impl=_gru_backward,
    output_names=("dx", "dh_prev", "dW_xh", "dW_hh", "db_xh", "db_hh"),
    make_cases=_gru_backward_cases,
    gradcheck=_gru_backward_gradcheck,
    incompatible=[("reset_before_always", "db_hh_equals_db_xh")],  # Cho's db_hh is db_xh: no second mistake
    faults=[
        Fault(
            "z_swapped",
            "In the gradients of h_next = (1 - z) * n + z * h_prev, z and 1 - z go to the wrong terms: the "
            "candidate's gradient is weighted by z and the direct path to h_prev by 1 - z.",
            "Each term of h_next passes its own weight on to its gradient: the candidate is weighted by 1 - z, "
            "the old state by z (z close to 1 keeps the old state).",
        ),
        Fault(
            "dz_sign_flipped",
            "The gradient of the update gate has the wrong sign: raising z moves h_next away from the candidate "
            "n and towards h_prev, not the other way.",
            "Differentiate h_next = (1 - z) * n + z * h_prev with respect to z: the result is h_prev - n.",
        ),
        Fault(
            "reset_path_missing",
            "No gradient flows through the reset gate: the rows of the reset gate in dW_xh, dW_hh and both "
            "biases come out zero, and dx and dh_prev miss the path through r.",
            "r depends on x and h_prev like z does. Find dL/dr where r enters the candidate, multiply it by the "
            "sigmoid's derivative r (1 - r), and treat the result like the update gate's.",
        ),
        Fault(
            "reset_formula_swapped",
            "The forward step is right, but the backward pass through the reset gate follows the other "
            "placement: with reset_after=True it treats r as multiplying h_prev before the product, and with "
            "reset_after=False as multiplying the product's result.",
            "With reset_after=True, r multiplies m = W_hn h_prev + b_hn: dL/dr is the candidate's "
            "pre-activation gradient times m, and m's gradient is that times r. With reset_after=False, "
            "r * h_prev is multiplied by W_hn: its gradient comes back through W_hn first, then splits into r's "
            "(times h_prev) and h_prev's (times r).",
            group="placement",
        ),
        Fault(
            "reset_after_ignored",
            "`reset_after` is ignored: your function always computes PyTorch's placement (the reset gate after "
            "the recurrent product), also for reset_after=False.",
            "With reset_after=False (Cho et al.) the candidate is tanh(W_in x + b_in + W_hn (r * h_prev) + b_hn): "
            "recompute the forward step that way, and the gradients of r, W_hn, b_hn and h_prev change with it.",
            group="placement",
        ),
        Fault(
            "reset_before_always",
            "`reset_after` is ignored: your function always computes Cho et al.'s placement (the reset gate on "
            "h_prev, before the recurrent product), also for reset_after=True, which is PyTorch's.",
            "With reset_after=True the candidate is tanh(W_in x + b_in + r * (W_hn h_prev + b_hn)): the reset gate "
            "multiplies the product's result, its bias b_hn included.",
            group="placement",
        ),
        Fault(
            "missing_tanh_derivative",
            "The candidate's gradient skips the tanh derivative.",
            "n = tanh(a_n), so dn/da_n = 1 - n^2: multiply by it before going on to the weights.",
        ),
        Fault(
            "missing_sigmoid_derivative",
            "The gates' gradients skip the sigmoid derivative: the gradients of r and z are used as those of "
            "their pre-activations.",
            "For a gate g = sigmoid(a), dg/da = g (1 - g); apply it to r and to z.",
        ),
        Fault(
            "W_hh_transposed",
            "The gradient going back to h_prev passes through the transposes of the (H, H) blocks of W_hh "
            "(with reset_after=False, also the gradient of r * h_prev).",
            "Forward, h_prev is multiplied by a block's transpose (h_prev @ W.T); backward, a row of gradients "
            "is multiplied by the block itself, as in the simple RNN's step backward.",
        ),
        Fault(
            "dW_hh_transposed",
            "The three (H, H) blocks of dW_hh are transposed.",
            "dW_hh has the layout of W_hh: in each block, one row per unit of the gate and one column per unit "
            "of h_prev (or of r * h_prev, for the candidate with reset_after=False).",
        ),
        Fault(
            "direct_path_missing",
            "dh_prev misses the direct path: h_next contains z * h_prev itself, besides the routes through the "
            "gates and the candidate.",
            "h_prev reaches h_next three ways: through r and z, through the candidate, and directly, weighted "
            "by z. Add the gradients of all of them.",
        ),
        Fault(
            "db_mean_over_batch",
            "The bias gradients are averaged over the batch; the losses of the B examples add up, so their "
            "gradients are summed.",
            "A bias is added to every example's pre-activation: its gradient is the sum over the B rows, not "
            "the mean.",
            group="bias",
        ),
        Fault(
            "db_summed_over_units",
            "The bias gradients are summed over the 3H units (axis 1) instead of over the batch: one number per "
            "example, shape (B,) instead of (3H,).",
            "A bias has one entry per unit, 3H of them: sum over the examples (the rows, axis 0).",
            group="bias",
        ),
        Fault(
            "db_not_summed",
            "The bias gradients are not summed over the batch: they have shape (B, 3H) instead of (3H,).",
            "A bias is shared by the B examples: sum its gradient over the rows (axis 0).",
            group="bias",
        ),
        Fault(
            "db_hh_equals_db_xh",
            "db_hh is a copy of db_xh. With reset_after=True the candidate's block of b_hh sits inside the "
            "product with the reset gate, so its gradient differs from that of b_xh.",
            "For the r and z blocks the two biases get the same gradient. For the n block, b_hn is part of "
            "m = W_hn h_prev + b_hn, which r multiplies: its gradient is that of m, summed over the batch.",
        ),
    ],
    hints=[
        "Recompute the forward step first: r, z, the candidate n, and what the reset gate acts on: "
        "m = W_hn h_prev + b_hn with reset_after=True, s = r * h_prev with reset_after=False. The backward "
        "pass needs them all. Lesson 6 derives every gradient below.",
        "From h_next = (1 - z) * n + z * h_prev: dL/dn = dh_next * (1 - z), dL/dz = dh_next * (h_prev - n), "
        "and h_prev gets dh_next * z directly. Through tanh and sigmoid, the pre-activations of n and z get "
        "dL/dn * (1 - n^2) and dL/dz * z (1 - z).",
        "The reset gate: with reset_after=True, dL/dr = da_n * m and m gets da_n * r, which goes on to W_hn, "
        "b_hn and h_prev; with reset_after=False, s gets da_n @ W_hn, which gives dL/dr = ds * h_prev and "
        "ds * r for h_prev. Then da_r = dL/dr * r (1 - r).",
        "Stack da_r, da_z, da_n into da (B, 3H): dx = da @ W_xh, dW_xh = da.T @ x, db_xh = da.sum(axis=0). "
        "dW_hh and db_hh are built the same way, block by block, from what each block of W_hh multiplied; "
        "dh_prev sums every route. Return (dx, dh_prev, dW_xh, dW_hh, db_xh, db_hh).",
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
    lesson="08_deep_bidirectional",
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
