"""Exercises on losses and training pieces: softmax cross-entropy, gradient clipping,
softmax with temperature."""

from __future__ import annotations

import numpy as np

from . import solutions
from .core import Case, Exercise, Fault
from .gradients import max_rel_error, numerical_gradients


# ----------------------------------------------------------------------------- cross-entropy
def _cross_entropy(f, logits, targets):
    axis = 0 if "softmax_wrong_axis" in f else -1
    z = logits if "unstable_softmax" in f else logits - logits.max(axis=axis, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    p = np.exp(log_p)
    one_hot = np.eye(logits.shape[-1])[targets]
    if "sum_instead_of_mean" in f:
        n = 1
    elif "mean_over_batch_only" in f:
        n = targets.shape[-1]
    else:
        n = targets.size
    loss = (one_hot * log_p).sum() / n
    if "loss_sign" not in f:
        loss = -loss
    if "missing_one_hot" in f:
        dlogits = p
    elif "gradient_sign" in f:
        dlogits = one_hot - p
    else:
        dlogits = p - one_hot
    if "grad_not_divided" not in f:
        dlogits = dlogits / n
    return loss, dlogits


def _cross_entropy_cases(rng):
    def case(label, T, B, V, scale=2.0, nonfinite=None):
        logits = rng.normal(0, 1, (T, B, V)) * scale
        targets = rng.integers(0, V, (T, B))
        return Case(label, (logits, targets), dict(T=T, B=B, V=V), nonfinite_mistake=nonfinite)

    return [
        case("T=4, B=3, V=6", 4, 3, 6),
        case("T=1, B=1", 1, 1, 5),
        case("V=2", 3, 2, 2),
        case("T=2, B=5, V=3", 2, 5, 3),
        case("large logits (size 1e4)", 3, 2, 4, scale=1e4, nonfinite="unstable_softmax"),
    ]


def _cross_entropy_gradcheck(case, outputs):
    logits = np.array(case.args[0], dtype=float)
    targets = case.args[1]

    def loss():
        return float(solutions.softmax_cross_entropy(logits, targets)[0])

    return max_rel_error([outputs[1]], numerical_gradients(loss, [logits]))


softmax_cross_entropy = Exercise(
    id="softmax_cross_entropy",
    title="Softmax cross-entropy over a sequence, and its gradient",
    lesson="03_bptt",
    reference=solutions.softmax_cross_entropy,
    impl=_cross_entropy,
    output_names=("loss", "dlogits"),
    make_cases=_cross_entropy_cases,
    gradcheck=_cross_entropy_gradcheck,
    faults=[
        Fault(
            "unstable_softmax",
            "The softmax overflows for large logits: exp of a large number is inf.",
            "Softmax does not change when you subtract the same number from every logit of a row; choose "
            "that number so that the largest exponent is 0.",
        ),
        Fault(
            "sum_instead_of_mean",
            "The loss is summed over all T*B positions instead of averaged (and so is the gradient).",
            "The loss is the mean over every time step and every example; the gradient carries the same 1/(T*B).",
            group="normalisation",
        ),
        Fault(
            "mean_over_batch_only",
            "The loss is divided by the batch size B only, not by the number of positions T*B.",
            "Every (t, b) position is one prediction: average over all T*B of them.",
            group="normalisation",
        ),
        Fault(
            "grad_not_divided",
            "The loss is a mean, but `dlogits` is not divided by the number of positions.",
            "If the loss is (1/N) times a sum, every entry of its gradient has the same factor 1/N.",
        ),
        Fault(
            "loss_sign",
            "The loss has the wrong sign (it is negative): cross-entropy is minus the log-probability.",
            "log p is at most 0, so the loss -log p is at least 0.",
        ),
        Fault(
            "gradient_sign",
            "`dlogits` has the wrong sign.",
            "Raising the logit of the target class lowers the loss, so that entry of the gradient is negative.",
            group="gradient",
        ),
        Fault(
            "missing_one_hot",
            "`dlogits` is the softmax alone: the target term is missing.",
            "Differentiate -log p[target]: the target's entry gets one more term than the others.",
            group="gradient",
        ),
        Fault(
            "softmax_wrong_axis",
            "The softmax is normalised over the time axis instead of over the vocabulary (last) axis.",
            "Each position's probabilities over the V classes must sum to 1: reduce over `axis=-1`.",
        ),
    ],
    incompatible=[("sum_instead_of_mean", "grad_not_divided")],
    hints=[
        "Compute the log-probabilities of every class at every position first (shape (T, B, V)), then pick "
        "the target's with integer indexing, e.g. `np.take_along_axis`, or with a one-hot array.",
        "For stability, use log softmax(z) = z - log(sum(exp(z))) after subtracting each row's maximum "
        "(`keepdims=True` keeps the shapes broadcastable).",
        "The gradient of the mean cross-entropy with respect to the logits is the softmax minus the one-hot "
        "target, divided by the number of positions T*B.",
    ],
)


# ----------------------------------------------------------------------------- gradient clipping
def _clip(f, grads, max_norm):
    if "missing_sqrt" in f:
        total = sum(np.sum(g ** 2) for g in grads.values())
    elif "sum_of_norms" in f:
        total = sum(np.sqrt(np.sum(g ** 2)) for g in grads.values())
    else:
        total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    clipped = {}
    for name, g in grads.items():
        if "clip_by_value" in f:
            new = np.clip(g, -max_norm, max_norm)
        else:
            norm = np.sqrt(np.sum(g ** 2)) if "per_array_norm" in f else total
            scale = max_norm / norm if ("scales_up" in f or norm > max_norm) else 1.0
            new = g * scale
        if "clip_in_place" in f:
            g[...] = new
            new = g
        clipped[name] = new
    if "norm_after_clipping" in f:
        total = np.sqrt(sum(np.sum(g ** 2) for g in clipped.values()))
    return clipped, float(total)


def _clip_cases(rng):
    def grads(D, H, scale=1.0):
        return {
            "W_xh": rng.normal(0, scale, (H, D)),
            "W_hh": rng.normal(0, scale, (H, H)),
            "b_h": rng.normal(0, scale, H),
        }

    return [
        Case("norm 5.4 clipped to 1", (grads(3, 4), 1.0), dict(D=3, H=4)),
        Case("norm below max_norm (no clipping)", (grads(2, 3, 0.1), 5.0), dict(D=2, H=3)),
        Case("one array", ({"w": rng.normal(0, 2, 6)}, 0.5), dict(N=6)),
        Case("clipped to 2.5", (grads(5, 2, 3.0), 2.5), dict(D=5, H=2)),
        Case("all-zero gradients", ({"W_hh": np.zeros((3, 3)), "b_h": np.zeros(3)}, 1.0), dict(H=3)),
    ]


clip_grad_norm = Exercise(
    id="clip_grad_norm",
    title="Clip gradients by their global norm",
    lesson="04_vanishing_gradients",
    reference=solutions.clip_grad_norm,
    impl=_clip,
    output_names=("clipped", "total_norm"),
    make_cases=_clip_cases,
    faults=[
        Fault(
            "clip_by_value",
            "Each entry is clipped to [-max_norm, max_norm] (clipping by value), instead of rescaling all "
            "gradients together.",
            "Clipping by norm keeps the direction of the whole gradient: multiply every array by the same factor.",
            group="method",
        ),
        Fault(
            "per_array_norm",
            "Each array is rescaled by its own norm, instead of by the global norm of all arrays together.",
            "The global norm is the square root of the sum of squares of every entry of every array.",
            group="method",
        ),
        Fault(
            "missing_sqrt",
            "The norm is the sum of squares without the square root.",
            "The L2 norm is the square root of the sum of squares.",
            group="norm",
        ),
        Fault(
            "sum_of_norms",
            "The total norm is the sum of the arrays' norms, not the norm of all entries together.",
            "Add up the squares of every entry of every array first, then take one square root.",
            group="norm",
        ),
        Fault(
            "scales_up",
            "Gradients are rescaled even when their norm is already below `max_norm` (small ones get larger).",
            "Clipping only ever shrinks: leave the gradients as they are when the norm is at most `max_norm`.",
        ),
        Fault(
            "norm_after_clipping",
            "`total_norm` is the norm after clipping; it should be the norm before clipping.",
            "Return the norm you measured on the incoming gradients (it is useful to log).",
        ),
        Fault(
            "clip_in_place",
            "The gradients are clipped in place.",
            "Build a new dict of new arrays (`g * scale` creates a new array; `g *= scale` overwrites `g`).",
            status="mutated_input",
        ),
    ],
    incompatible=[("clip_by_value", "scales_up")],
    hints=[
        "Two steps: measure one number, the global L2 norm of all the gradients together; then, if it is "
        "larger than `max_norm`, shrink every gradient by the same factor.",
        "The global norm is `sqrt(sum over arrays of sum of squares)`. The factor is `max_norm / total_norm`, "
        "used only when it is below 1.",
        "Return a new dict (a dict comprehension over `grads.items()`), leave the input arrays untouched, "
        "and return the norm measured before clipping as a float.",
    ],
)


# ----------------------------------------------------------------------------- temperature
def _temperature(f, logits, temperature):
    z = logits * temperature if "multiplied_by_temperature" in f else logits / temperature
    if "temperature_after_softmax" in f:
        z = logits
    axis = 0 if "normalised_wrong_axis" in f else -1
    if "unstable_softmax" not in f:
        z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    p = e if "not_normalised" in f else e / e.sum(axis=axis, keepdims=True)
    if "temperature_after_softmax" in f:
        p = p / temperature
    return p


def _temperature_cases(rng):
    def case(label, shape, temperature, scale=2.0, nonfinite=None):
        logits = rng.normal(0, scale, shape)
        dims = dict(B=shape[0], V=shape[1]) if len(shape) == 2 else dict(V=shape[0])
        return Case(label, (logits, temperature), dims, nonfinite_mistake=nonfinite)

    return [
        case("B=3, V=7, temperature 0.5", (3, 7), 0.5),
        case("one row (V,), temperature 2", (5,), 2.0),
        case("temperature 1", (2, 4), 1.0),
        case("B=1, temperature 1.7", (1, 6), 1.7),
        case("large logits, temperature 0.01", (2, 5), 0.01, scale=20.0, nonfinite="unstable_softmax"),
    ]


softmax_with_temperature = Exercise(
    id="softmax_with_temperature",
    title="Softmax with a temperature, for sampling",
    lesson="09_language_models",
    reference=solutions.softmax_with_temperature,
    impl=_temperature,
    output_names=("probs",),
    make_cases=_temperature_cases,
    faults=[
        Fault(
            "multiplied_by_temperature",
            "The logits are multiplied by the temperature instead of divided by it (so a high temperature "
            "makes sampling greedier, not more random).",
            "A temperature above 1 should flatten the distribution; below 1 it should sharpen it.",
            group="where",
        ),
        Fault(
            "temperature_after_softmax",
            "The temperature is applied to the probabilities after the softmax, so they no longer sum to 1.",
            "Apply the temperature to the logits, before the exponential.",
            group="where",
        ),
        Fault(
            "unstable_softmax",
            "The softmax overflows when the logits divided by a small temperature are large.",
            "Subtract each row's maximum before the exponential: the probabilities do not change.",
        ),
        Fault(
            "normalised_wrong_axis",
            "The probabilities are normalised over the batch axis instead of over the classes (last axis).",
            "Each row must sum to 1: reduce with `axis=-1, keepdims=True`.",
        ),
        Fault(
            "not_normalised",
            "The exponentials are not divided by their sum, so they are not probabilities.",
            "Divide by the sum over the classes so each row sums to 1.",
        ),
    ],
    incompatible=[
        ("normalised_wrong_axis", "not_normalised"),
        ("multiplied_by_temperature", "unstable_softmax"),  # the small temperature then shrinks the logits
        ("temperature_after_softmax", "unstable_softmax"),
    ],
    hints=[
        "The temperature rescales the logits before a softmax over the last axis; the result has the same "
        "shape as the logits and each row sums to 1.",
        "A temperature T > 1 must make the distribution flatter: which operation on the logits does that?",
        "Write it for both a (V,) vector and a (B, V) batch at once with `axis=-1` and `keepdims=True`, and "
        "subtract the row maximum before `np.exp` so that small temperatures do not overflow.",
    ],
)
