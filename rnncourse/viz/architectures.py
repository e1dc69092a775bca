"""Drawings of what a recurrent network is asked to do, and of a stacked bidirectional RNN.

``draw_task_shape`` draws the four task shapes (one to many, many to one, aligned many to many,
sequence to sequence) that lesson 1 lists, and ``TASK_SHAPES`` names an example of each with
the lesson that trains it. ``draw_stacked_birnn`` draws the stack of lesson 8, with the slots
of ``h_n`` at the steps where each direction ends.
"""

from __future__ import annotations

from ._base import (EDGE_COLOR, HIDDEN_COLOR, INPUT_COLOR, OUTPUT_COLOR, Diagram, _arrow, _box,
                    _check_int, _fit_limits)

__all__ = ["TASK_SHAPES", "draw_task_shape", "draw_stacked_birnn"]

#: For each task shape: an example task of the course and the lesson (its file stem) that
#: trains it.
TASK_SHAPES = {
    "one-to-many": ("continue a chorale", "14_music"),
    "many-to-one": ("sentiment of a sentence", "10_classification"),
    "many-to-many": ("the next character", "09_language_models"),
    "seq2seq": ("a date to ISO 8601", "11_seq2seq"),
}

_SHAPE_TITLES = {
    "one-to-many": "one to many",
    "many-to-one": "many to one",
    "many-to-many": "many to many (aligned)",
    "seq2seq": "sequence to sequence",
}

# The arrow that feeds an output back in as the next step's input (generation).
_FEEDBACK_COLOR = "#888888"


def _feedback(ax, d, start, end):
    arrow = _arrow(ax, d, start, end, color=_FEEDBACK_COLOR, connectionstyle="arc3,rad=-0.25")
    arrow.set_linestyle("--")
    return arrow


def draw_task_shape(ax, shape: str, T: int = 3, *, T_out: int | None = None,
                    fontsize: int = 13, title: bool = True) -> Diagram:
    r"""Draw one task shape of a recurrent network, unrolled over time.

    Inputs :math:`x_t` are at the bottom, states :math:`h_t` in the middle and outputs
    :math:`y_t = g(W_{hy} h_t + b_y)` at the top, in the colours of ``draw_unrolled_rnn``.
    The four shapes:

    - ``"one-to-many"``: one input :math:`x_1`, an output at every step; each output is fed
      back as the next step's input (dashed grey arrows), as in generation.
    - ``"many-to-one"``: an input at every step, one output after the last.
    - ``"many-to-many"`` (aligned): one output per input, at the same step.
    - ``"seq2seq"``: an encoder reads :math:`x_1, \dots, x_T` without answering; its last state
      starts a decoder (states :math:`h'_t`) that writes :math:`y_1, \dots, y_{T'}`, a
      sequence of another length, each output fed back as the next input.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw. Its limits and aspect are set, and its frame is switched off.
    shape : str
        One of the keys of :data:`TASK_SHAPES`: ``"one-to-many"``, ``"many-to-one"``,
        ``"many-to-many"``, ``"seq2seq"``.
    T : int
        Number of steps drawn (for ``"seq2seq"``, of the encoder), at least 2.
    T_out : int, optional
        Number of decoder steps :math:`T'` of ``"seq2seq"``, at least 1; default ``T - 1``.
        Only ``"seq2seq"`` accepts it.
    fontsize : int
        Size of the text in the boxes.
    title : bool
        Write the name of the shape and its example task from :data:`TASK_SHAPES` above the
        drawing (``ax.set_title``; the title is the last entry of ``labels``).

    Returns
    -------
    Diagram
        Boxes and arrows: ``"one-to-many"`` has ``2 T + 1`` boxes and ``3 T - 1`` arrows,
        ``"many-to-one"`` ``2 T + 1`` and ``2 T``, ``"many-to-many"`` ``3 T`` and ``3 T - 1``,
        ``"seq2seq"`` ``2 T + 2 T'`` and ``2 T + 3 T' - 2``.

    Raises
    ------
    ValueError
        If ``shape`` is not one of the four names, if ``T`` is below 2 or ``T_out`` below 1,
        or if ``T_out`` is given for a shape other than ``"seq2seq"``.
    TypeError
        If ``T`` or ``T_out`` is not an integer.
    """
    if shape not in TASK_SHAPES:
        allowed = ", ".join(repr(name) for name in TASK_SHAPES)
        raise ValueError(f"shape must be one of {allowed}, got {shape!r}")
    T = _check_int("T", T, 2)
    if T_out is not None and shape != "seq2seq":
        raise ValueError(f"T_out applies to 'seq2seq' only, got T_out={T_out!r} for {shape!r}")
    T_out = T - 1 if T_out is None else _check_int("T_out", T_out, 1)
    d = Diagram()
    dx, y_x, y_h, y_y = 2.0, 0.0, 1.6, 3.2
    half_w, half_h = 0.45, 0.3

    def box(cx, cy, text, color):
        _box(ax, d, cx, cy, text, color, fontsize=fontsize)

    def up(cx, y_low, y_high):
        _arrow(ax, d, (cx, y_low + half_h), (cx, y_high - half_h))

    def right(cx):  # the state at cx feeds the state one step to its right
        _arrow(ax, d, (cx + half_w, y_h), (cx + dx - half_w, y_h))

    def fed_back(cx):  # the output at cx becomes the input of the next step
        _feedback(ax, d, (cx + half_w, y_y - half_h), (cx + dx - half_w, y_h + half_h))

    steps = T if shape != "seq2seq" else T + T_out
    for k in range(steps):
        cx = k * dx
        decoding = shape == "seq2seq" and k >= T
        if decoding:
            j = k - T + 1
            box(cx, y_h, f"$h'_{{{j}}}$", HIDDEN_COLOR)
        else:
            box(cx, y_h, f"$h_{{{k + 1}}}$", HIDDEN_COLOR)
        if k + 1 < steps:
            right(cx)
        reads = k == 0 if shape == "one-to-many" else not decoding
        if reads:
            box(cx, y_x, f"$x_{{{k + 1}}}$", INPUT_COLOR)
            up(cx, y_x, y_h)
        if shape in ("one-to-many", "many-to-many") or (shape == "many-to-one" and k == T - 1):
            box(cx, y_y, f"$y_{{{k + 1}}}$", OUTPUT_COLOR)
            up(cx, y_h, y_y)
        elif decoding:
            box(cx, y_y, f"$y_{{{k - T + 1}}}$", OUTPUT_COLOR)
            up(cx, y_h, y_y)
        if k + 1 < steps and (shape == "one-to-many" or decoding):
            fed_back(cx)
    if shape == "seq2seq":
        small = max(fontsize - 3, 6)
        d.labels.append(ax.text((T - 1) * dx / 2, y_y, "encoder", ha="center", va="center",
                                fontsize=small, style="italic", color="#555555"))
        d.labels.append(ax.text((T + (T_out - 1) / 2) * dx, y_x, "decoder", ha="center",
                                va="center", fontsize=small, style="italic", color="#555555"))
    ax.set_xlim(-0.75, (steps - 1) * dx + 0.75)
    ax.set_ylim(y_x - 0.5, y_y + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        example, _ = TASK_SHAPES[shape]
        d.labels.append(ax.set_title(f"{_SHAPE_TITLES[shape]}\n{example}",
                                     fontsize=max(fontsize - 2, 6)))
    return d


def draw_stacked_birnn(ax, T: int = 3, num_layers: int = 2, *, first_step: int = 1,
                       fontsize: int = 12) -> Diagram:
    r"""Draw a stacked bidirectional RNN, unrolled over ``T`` steps, with the slots of ``h_n``.

    Layer :math:`l` (numbered from 0, as PyTorch does) has, at every step, a forward state
    :math:`\overrightarrow{h}_t` (lower row, right of the step's centre; its arrows run left
    to right) and a backward state :math:`\overleftarrow{h}_t` (upper row, left of the
    centre; its arrows run right to left); the boxes name the step, the row names on the left
    the layer. Both read the same input at step :math:`t`: the inputs :math:`x_t` for layer 0,
    and for layer :math:`l > 0` the concatenation :math:`[\rightarrow;\leftarrow]` of the two
    states of layer :math:`l - 1` at that step. The concatenations of the top layer, at the
    top, are the ``output`` of ``torch.nn.GRU`` or ``LSTM``, of shape ``(T, B, 2H)``, forward
    half first.

    The final states are labelled with their slot in ``h_n``, of shape
    ``(num_layers * 2, B, H)``: ``h_n[2 l]`` is the forward direction of layer :math:`l`,
    written right of its state at the *last* step, and ``h_n[2 l + 1]`` the backward
    direction, written left of its state at the *first* step, where that direction ends.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw. Its limits and aspect are set, and its frame is switched off.
    T : int
        Number of steps, at least 1.
    num_layers : int
        Number of stacked layers :math:`L`, at least 1.
    first_step : int
        Number of the first step, 0 or 1 (the last is ``first_step + T - 1``): lesson 8
        counts from 0, as PyTorch indexes.
    fontsize : int
        Size of the text in the boxes.

    Returns
    -------
    Diagram
        ``T + 3 L T`` boxes (the inputs, then layer by layer and step by step the forward
        state, the backward state and their concatenation) and ``L (6 T - 2)`` arrows. The
        labels are the boxes' texts in the same order, then the ``2 L`` slots of ``h_n``
        (``"h_n[0]"`` to ``"h_n[2L-1]"``, in order), then the row names ``"input"``,
        ``"layer 0"`` to ``"layer L-1"`` and ``"output"``.

    Raises
    ------
    ValueError
        If ``T`` or ``num_layers`` is below 1, or ``first_step`` is neither 0 nor 1.
    TypeError
        If ``T``, ``num_layers`` or ``first_step`` is not an integer.
    """
    T = _check_int("T", T, 1)
    num_layers = _check_int("num_layers", num_layers, 1)
    first_step = _check_int("first_step", first_step, 0)
    if first_step > 1:
        raise ValueError(f"first_step must be 0 or 1, got {first_step}")
    d = Diagram()
    dx, shift = 3.0, 0.6  # step width; the two directions sit shift right and left of centre
    width, height, cat_width = 1.0, 0.6, 1.4
    rise_b, rise_c, layer_h = 0.95, 2.05, 3.3  # heights above a layer's forward row
    small = max(fontsize - 2, 6)
    names = [str(first_step + k) for k in range(T)]
    rows = [(0.0, "input")]  # the names on the left: (height, text)

    def box(cx, cy, text, color, w=width):
        _box(ax, d, cx, cy, text, color, width=w, height=height, fontsize=fontsize)

    for k, name in enumerate(names):
        box(k * dx, 0.0, f"$x_{{{name}}}$", INPUT_COLOR)
    below, h_n = 0.0, []  # the row the layer reads; the slots of h_n, (x, y, text, align)
    for layer in range(num_layers):
        y_f = 1.5 + layer * layer_h
        y_b, y_c = y_f + rise_b, y_f + rise_c
        top = layer == num_layers - 1
        for k, name in enumerate(names):
            cx = k * dx
            # Forward lower right, backward upper left: each direction's last state is on
            # the outside of the drawing (forward at the last step, backward at the first).
            box(cx + shift, y_f, f"$\\overrightarrow{{h}}_{{{name}}}$", HIDDEN_COLOR)
            box(cx - shift, y_b, f"$\\overleftarrow{{h}}_{{{name}}}$", HIDDEN_COLOR)
            box(cx, y_c, r"$[\rightarrow;\leftarrow]$", OUTPUT_COLOR if top else "white",
                w=cat_width)
            # Both directions read the same input at step k: x_k, or the concatenation below.
            _arrow(ax, d, (cx + 0.3, below + height / 2), (cx + shift, y_f - height / 2))
            _arrow(ax, d, (cx - 0.3, below + height / 2), (cx - shift, y_b - height / 2))
            if k + 1 < T:  # forward: from step k to step k + 1
                _arrow(ax, d, (cx + shift + width / 2, y_f), (cx + dx + shift - width / 2, y_f))
            if k > 0:  # backward: from step k to step k - 1
                _arrow(ax, d, (cx - shift - width / 2, y_b), (cx - dx - shift + width / 2, y_b))
            _arrow(ax, d, (cx + shift, y_f + height / 2), (cx + 0.3, y_c - height / 2))
            _arrow(ax, d, (cx - shift, y_b + height / 2), (cx - 0.3, y_c - height / 2))
        last = (T - 1) * dx
        h_n.append((last + shift + width / 2 + 0.15, y_f, f"h_n[{2 * layer}]", "left"))
        h_n.append((-shift - width / 2 - 0.15, y_b, f"h_n[{2 * layer + 1}]", "right"))
        rows.append(((y_f + y_b) / 2, f"layer {layer}"))
        if top:
            rows.append((y_c, "output"))
        below = y_c
    for x, y, text, align in h_n:
        d.labels.append(ax.text(x, y, text, ha=align, va="center", fontsize=small,
                                family="monospace", color=EDGE_COLOR))
    left = -shift - width / 2 - 3.4
    for y, text in rows:
        d.labels.append(ax.text(left, y, text, ha="left", va="center", fontsize=small,
                                style="italic", color="#555555"))
    _fit_limits(ax, left=left - 0.1)
    x_low, x_high = ax.get_xlim()
    ax.set_xlim(x_low, x_high + 1.9)  # room for the forward slots of h_n on the right
    ax.set_aspect("equal")
    ax.axis("off")
    return d
