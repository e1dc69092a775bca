"""Exercises on data and training plumbing: windows of a series, one-hot vectors of ids, padding
masks, detaching a recurrent state (the only exercise that needs torch; it is imported when the
cases are built), and the gradient of an embedding table (whose reference is the package's
:func:`rnncourse.numpy.embedding.embedding_backward`)."""

from __future__ import annotations

import numpy as np

from rnncourse.numpy import embedding

from . import solutions
from .core import Case, Exercise, Fault
from .gradients import max_rel_error, numerical_gradients


# ----------------------------------------------------------------------------- windows
def _windows(f, series, window):
    n = len(series) - window
    if "window_includes_target" in f:
        X = np.stack([series[i + 1:i + 1 + window] for i in range(n)])
    else:
        X = np.stack([series[i:i + window] for i in range(n)])
    if "reversed_window" in f:
        X = X[:, ::-1]
    if "target_is_last_input" in f:
        y = series[window - 1:window - 1 + n]
    elif "target_from_start" in f:
        y = series[:n]
    else:
        y = series[window:]
    if "transposed_X" in f:
        X = X.T
    return X, y


def _windows_cases(rng):
    def case(label, N, window):
        series = np.cumsum(rng.normal(0, 1, N))
        return Case(label, (series, window), {"N - window": N - window, "window": window})

    return [
        case("N=10, window=3", 10, 3),
        case("window=1", 6, 1),
        case("one window (window = N - 1)", 5, 4),
        case("N=12, window=5", 12, 5),
    ]


make_windows = Exercise(
    id="make_windows",
    title="Cut a series into windows and next-value targets",
    lesson="01_sequences",
    reference=solutions.make_windows,
    impl=_windows,
    output_names=("X", "y"),
    make_cases=_windows_cases,
    faults=[
        Fault(
            "target_is_last_input",
            "Each target is the last value of its own window, not the value that follows the window.",
            "The model must predict the next value: the one right after the window, which the window does not contain.",
            group="target",
        ),
        Fault(
            "target_from_start",
            "The targets start at the beginning of the series, so each target is the first value of its window.",
            "The first window covers positions 0 .. window - 1; its target is at position `window`.",
            group="target",
        ),
        Fault(
            "window_includes_target",
            "Each window is shifted one step to the right: it ends with the value it should predict.",
            "Window i starts at position i.",
        ),
        Fault(
            "reversed_window",
            "Each window is reversed (newest value first).",
            "Keep the values in time order, oldest first: slice the series without reversing.",
        ),
        Fault(
            "transposed_X",
            "`X` is transposed: one row per window position instead of one row per window.",
            "`X` has one row per example (window) and one column per time step: shape (N - window, window).",
        ),
    ],
    hints=[
        "With N values and windows of length `window`, there are N - window complete (window, target) pairs: "
        "the last window must leave one value after it for the target.",
        "Window i is `series[i:i + window]` and its target is the value right after it.",
        "Stack the windows into a 2-D array (`np.stack` of a list of slices) and take the targets as one slice of "
        "the series; return `(X, y)`.",
    ],
)


# ----------------------------------------------------------------------------- one-hot
def _one_hot(f, ids, V):
    if "flattened_in_place" in f:
        shape = ids.shape
        ids.shape = (ids.size,)  # flattens the caller's array too
        return np.eye(V)[ids].reshape(shape + (V,))
    n = int(ids.max()) + 1 if "size_from_max_id" in f else V
    if "ids_minus_one" in f:
        ids = ids - 1  # id 0 wraps round to the last row
    elif "ids_plus_one" in f:
        ids = ids + 1  # the largest id falls off the end: IndexError
    out = np.eye(n)[:, ids] if "class_axis_first" in f else np.eye(n)[ids]  # (n, ...) or (..., n)
    return 1.0 - out if "inverted" in f else out


def _one_hot_cases(rng):
    def case(label, shape, V, top=None):
        top = V - 1 if top is None else top  # the largest id in the case
        ids = rng.integers(0, top + 1, size=shape)
        flat = ids.reshape(-1)
        flat[rng.permutation(flat.size)[:2]] = [0, top][: flat.size]  # both ends occur
        letters = ("T", "B") if len(shape) == 2 else ("N",) if len(shape) == 1 else ()
        return Case(label, (ids, V), {**dict(zip(letters, shape)), "V": V})

    return [
        case("ids (T, B) = (6, 4), V=7", (6, 4), 7),
        case("ids of shape (N,), N=9, V=5", (9,), 5),
        case("B=1", (5, 1), 6),
        case("T=1", (1, 3), 4),
        case("V=1", (3, 2), 1),
        case("some ids never occur (largest id V - 3)", (4, 3), 8, top=5),
        case("ids with three axes (2, 3, 4)", (2, 3, 4), 5),
    ]


one_hot = Exercise(
    id="one_hot",
    title="One-hot vectors of integer ids",
    lesson="01_sequences",
    reference=solutions.one_hot,
    impl=_one_hot,
    make_cases=_one_hot_cases,
    incompatible=[("ids_plus_one", "size_from_max_id")],  # fails on every input: nothing to compare
    faults=[
        Fault(
            "ids_minus_one",
            "Every 1 is one position too low: id k is marked at position k - 1, and id 0 wraps round to the "
            "last position.",
            "Ids and positions both count from 0: id k is marked at position k, with no shift.",
            group="index",
        ),
        Fault(
            "ids_plus_one",
            "Every 1 is one position too high: id k is marked at position k + 1, so the largest id, V - 1, "
            "falls off the end (IndexError).",
            "Ids and positions both count from 0: id k is marked at position k, with no shift.",
            group="index",
        ),
        Fault(
            "class_axis_first",
            "The new axis of length V comes first: the result has shape (V,) + ids.shape instead of "
            "ids.shape + (V,).",
            "Keep the axes of `ids` where they are and add the axis of length V at the end, so that "
            "`result[t, b]` is the vector of step t of sequence b.",
        ),
        Fault(
            "inverted",
            "Zeros and ones are swapped: each vector is 0 at the id and 1 everywhere else.",
            "A one-hot vector is all zeros except for a single 1, at the position of the id.",
        ),
        Fault(
            "size_from_max_id",
            "The vectors have length ids.max() + 1, taken from the largest id present, instead of V: they are "
            "too short whenever the largest ids of the vocabulary do not occur.",
            "V is the size of the vocabulary and comes as an argument: a batch need not contain every id, yet "
            "every batch must be encoded with the same V positions.",
        ),
        Fault(
            "flattened_in_place",
            "`ids` is flattened in place (by assigning to `ids.shape`), so the caller's array comes back as one "
            "long row.",
            "`ids.reshape(-1)` returns a flat view and leaves the caller's array as it was; assigning to "
            "`ids.shape` reshapes the caller's array itself.",
            status="mutated_input",
        ),
    ],
    hints=[
        "The result has one more axis than `ids`, of length V, at the end: shape `ids.shape + (V,)`. Entry "
        "`[..., k]` is 1.0 where the id is k and 0.0 elsewhere. Return floats: the vectors are fed to matrix "
        "products.",
        "Row k of the V × V identity matrix, `np.eye(V)`, is the one-hot vector of id k.",
        "Indexing an array with an integer array keeps the shape of the index: if `ids` is (T, B), then "
        "`table[ids]` is (T, B) followed by the shape of one row of `table`, whatever the number of axes.",
    ],
)


# ----------------------------------------------------------------------------- padding mask
def _mask(f, lengths, T):
    t = np.arange(T)[:, None]
    L = np.asarray(lengths)[None, :]
    if "off_by_one" in f:
        mask = t <= L
    elif "inverted" in f:
        mask = t >= L
    elif "left_padded" in f:
        mask = t >= T - L
    else:
        mask = t < L
    return mask.T if "batch_major" in f else mask


def _mask_cases(rng):
    del rng  # the cases are fixed
    rows = [
        ("lengths [5, 3, 1, 6], T=7", (np.array([5, 3, 1, 6]), 7)),
        ("B=1", (np.array([3]), 5)),
        ("a length of 0", (np.array([0, 2, 4]), 4)),
        ("lengths as a Python list", ([2, 3], 3)),
        ("T=1", (np.array([1, 0]), 1)),
    ]
    return [Case(label, args, {"T": args[1], "B": len(args[0])}) for label, args in rows]


padding_mask = Exercise(
    id="padding_mask",
    title="A padding mask from sequence lengths",
    lesson="07_pytorch_layers",
    reference=solutions.padding_mask,
    impl=_mask,
    output_names=("mask",),
    make_cases=_mask_cases,
    faults=[
        Fault(
            "batch_major",
            "The mask is (B, T); sequences in this course are time-major, so the mask is (T, B).",
            "`mask[t, b]` says whether step t of sequence b is real.",
        ),
        Fault(
            "off_by_one",
            "The mask is True on one step too many: a sequence of length L has real steps 0 .. L - 1.",
            "Steps are counted from 0, so step t is real when t is strictly below the length.",
            group="compare",
        ),
        Fault(
            "inverted",
            "The mask is inverted: True on padding, False on real steps.",
            "True marks the real steps (the ones the loss should count).",
            group="compare",
        ),
        Fault(
            "left_padded",
            "The mask marks the last L steps as real (left padding); here padding comes after the sequence.",
            "Sequences start at t = 0 and padding fills the steps after their end.",
            group="compare",
        ),
    ],
    hints=[
        "The result is a boolean array of shape (T, B): time along the rows, sequences along the columns.",
        "Step t of sequence b is real when t < lengths[b].",
        "No loop needed: compare a column of time indices, shape (T, 1), with a row of lengths, shape (1, B); "
        "broadcasting gives (T, B).",
    ],
)


# ----------------------------------------------------------------------------- detach
def _detach(f, state):
    if isinstance(state, tuple):
        parts = list(state)
        if "not_detached" in f:
            out = parts
        elif "only_first_detached" in f:
            out = [parts[0].detach(), *parts[1:]]
        elif "reset_to_zeros" in f:
            out = [p.detach() * 0 for p in parts]
        elif "detached_in_place" in f:
            out = [p.detach_() for p in parts]
        else:
            out = [p.detach() for p in parts]
        return out if "list_instead_of_tuple" in f else tuple(out)
    if "not_detached" in f:
        return state
    if "reset_to_zeros" in f:
        return state.detach() * 0
    if "detached_in_place" in f:
        return state.detach_()
    return state.detach()


def _detach_cases(rng):
    seed = int(rng.integers(0, 2**31 - 1))

    def factory(B, H, kind, offset):
        def make():
            import torch

            g = torch.Generator().manual_seed(seed + offset)
            W = torch.randn(H, H, generator=g, dtype=torch.float64, requires_grad=True)
            x = torch.randn(B, H, generator=g, dtype=torch.float64)
            h = torch.tanh(x @ W.T)  # (B, H), part of a graph
            c = h * 2 + 0.5
            if kind == "tuple":
                return ((h, c),)
            if kind == "one":
                return ((h,),)
            if kind == "leaf":
                return (x,)
            return (h,)

        return make

    def case(label, B, H, kind, offset):
        return Case(label, (), {"B": B, "H": H}, factory=factory(B, H, kind, offset))

    return [
        case("(h, c), as for an LSTM", 2, 3, "tuple", 0),
        case("one tensor h", 4, 5, "tensor", 1),
        case("B=1, H=1", 1, 1, "tuple", 2),
        case("a tuple of one tensor", 3, 2, "one", 3),
        case("a tensor not in any graph", 2, 2, "leaf", 4),
    ]


detach_state = Exercise(
    id="detach_state",
    title="Detach a recurrent state for truncated BPTT",
    lesson="08_deep_bidirectional",
    reference=solutions.detach_state,
    impl=_detach,
    output_names=("state",),
    make_cases=_detach_cases,
    needs_torch=True,
    strict_containers=True,
    faults=[
        Fault(
            "not_detached",
            "The state is returned still attached to the graph, so gradients would flow back into earlier batches.",
            "`tensor.detach()` returns the same values cut from the graph.",
            group="detach",
        ),
        Fault(
            "only_first_detached",
            "Only the first tensor of the tuple is detached (for an LSTM, c still carries the graph).",
            "Detach every tensor of a tuple state, such as both h and c of an LSTM.",
            group="detach",
        ),
        Fault(
            "reset_to_zeros",
            "The state is reset to zeros: detaching keeps its values and only cuts the graph.",
            "Truncated BPTT carries the values on to the next batch; only the gradient path is cut.",
            group="detach",
        ),
        Fault(
            "list_instead_of_tuple",
            "A tuple state comes back as a list; keep the structure (an LSTM expects a tuple `(h, c)`).",
            "Build the result with `tuple(...)`.",
        ),
        Fault(
            "detached_in_place",
            "The state is detached in place with `detach_()`.",
            "`detach()` returns a new tensor and leaves the caller's tensor, and its graph, untouched.",
            status="mutated_input",
            group="detach",
        ),
    ],
    hints=[
        "The state is either one tensor (RNN, GRU) or a tuple of tensors (LSTM's `(h, c)`): handle both, and "
        "return the same structure you received.",
        "`isinstance(state, tuple)` tells the two apart; `tensor.detach()` gives a tensor with the same values "
        "and no history.",
        "For a tuple: `tuple(s.detach() for s in state)`.",
    ],
)


# ----------------------------------------------------------------------------- embedding backward
def _embedding_backward(f, ids, d_out, num_embeddings):
    V, E = num_embeddings, d_out.shape[-1]
    if "ids_axes_swapped" in f:  # ids read batch-major, d_out time-major: each id paired with another gradient
        ids = ids.T.reshape(ids.shape)
    dW = np.zeros((V, E), dtype=ids.dtype if "integer_dtype" in f else d_out.dtype)
    if "repeated_ids_lost" in f:
        dW[ids] = d_out  # as `dW[ids] += d_out`: one write per row, the last position's
    elif "repeats_lost_within_a_step" in f:
        for t in range(ids.shape[0]):
            dW[ids[t]] += d_out[t]  # a repeat inside one step is written once
    else:
        np.add.at(dW, ids, d_out)
    return dW.T if "transposed" in f else dW


def _embedding_backward_cases(rng):
    def case(label, ids, V, E, scale=2.0):
        ids = np.asarray(ids)
        d_out = rng.normal(0, scale, ids.shape + (E,))
        return Case(label, (ids, d_out, V), {"T": ids.shape[0], "B": ids.shape[1], "E": E, "V": V})

    return [
        case("T=4, B=3, E=5, V=7: ids repeat within a step and across steps",
             [[2, 5, 2], [0, 2, 6], [5, 5, 1], [3, 2, 0]], 7, 5),
        case("T=1, B=1: one id", [[1]], 3, 2),
        case("B=1: one sequence of 6 steps, every id read twice, V=3, E=4",
             [[1], [0], [2], [1], [2], [0]], 3, 4),
        case("T=1: one step of 5 sequences, id 3 read three times, V=4, E=3",
             [[3, 0, 3, 1, 3]], 4, 3),
        case("some ids never read (their rows stay zero), T=3, B=2, V=9, E=2",
             np.array([[4, 7], [7, 1], [4, 4]], dtype=np.int32), 9, 2),
        case("E=1, T=5, B=2, V=6", rng.integers(0, 6, (5, 2)), 6, 1),
    ]


def _embedding_backward_gradcheck(case, dW):
    ids, d_out, V = case.args
    W = np.random.default_rng(0).normal(0, 1, (V, d_out.shape[-1]))  # a private generator: the global one is left alone

    def loss():
        return float(np.sum(d_out * W[ids]))  # L = sum of d_out * (the looked-up vectors)

    return max_rel_error([dW], numerical_gradients(loss, [W]))


embedding_backward = Exercise(
    id="embedding_backward",
    title="The gradient of an embedding table",
    lesson="08_deep_bidirectional",
    reference=embedding.embedding_backward,
    impl=_embedding_backward,
    output_names=("dW",),
    make_cases=_embedding_backward_cases,
    gradcheck=_embedding_backward_gradcheck,
    # with an integer dW, `+=` of floats raises (a learner's loop fails): nothing to compare
    incompatible=[("integer_dtype", "repeats_lost_within_a_step")],
    faults=[
        Fault(
            "repeated_ids_lost",
            "Repeated ids are lost: each row of dW holds the gradient of one position that read its id (the "
            "last one), not the sum over all of them. That is what a fancy-indexed `dW[ids] += d_out` (or "
            "`dW[ids] = d_out`) does: it reads and writes each row once, however often the id repeats.",
            "Every position that read id v adds its gradient to row v. `np.add.at` adds once per index, "
            "repeats included; a loop over the positions does too.",
            group="accumulate",
        ),
        Fault(
            "repeats_lost_within_a_step",
            "Repeats inside one time step are lost: your loop over the steps adds `d_out[t]` into `dW[ids[t]]` "
            "with fancy indexing, which writes a row once per step even when several sequences read its id at "
            "that step. Repeats across steps are summed.",
            "Within one fancy-indexed `+=`, a repeated index is written once. Use `np.add.at`, which adds once "
            "per index, or loop over every (t, b).",
            group="accumulate",
        ),
        Fault(
            "transposed",
            "dW is (E, V): the ids index its second axis. The gradient has the shape of the table, (V, E), one "
            "row per id.",
            "The table W is (V, E) and the lookup reads its rows: `W[ids]`. Its gradient is laid out the same "
            "way, so the ids select rows of dW.",
        ),
        Fault(
            "integer_dtype",
            "dW holds integers: it was created with the dtype of `ids`, so every gradient added to it is cut to "
            "an integer.",
            "The ids are integers, the gradients are not: create dW with the dtype of `d_out`.",
        ),
        Fault(
            "ids_axes_swapped",
            "Each id is paired with the gradient of another position: the ids are read in another order than "
            "d_out (for example `ids.T` flattened against `d_out` flattened), so row v gets gradients of "
            "positions that did not read v.",
            "Position (t, b) read id `ids[t, b]` and received `d_out[t, b]`: keep the two on the same axes, "
            "(T, B) and (T, B, E), or flatten both in the same order.",
        ),
    ],
    hints=[
        "The lookup `W[ids]` copies row `ids[t, b]` of the (V, E) table to position (t, b). Going back, "
        "position (t, b) sends its gradient `d_out[t, b]` (E,) to that row; dW starts at zero, (V, E), with the "
        "dtype of `d_out`.",
        "An id read at several positions gets the sum of their gradients: the same word twice in a batch "
        "counts twice. Rows of ids that were never read stay zero.",
        "`dW[ids] += d_out` loses repeats: NumPy reads and writes each indexed row once. "
        "`np.add.at(dW, ids, d_out)` adds once per position, and needs no reshape: indexing with a (T, B) "
        "array of ids pairs it with the (T, B, E) gradients.",
    ],
)
