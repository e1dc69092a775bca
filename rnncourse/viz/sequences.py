"""Drawings of sequences and of the unrolled RNN (lessons 1 to 3)."""

from __future__ import annotations

import numpy as np

from ._base import (HIDDEN_COLOR, INPUT_COLOR, MODEL_COLOR, MUTED_COLOR, OUTPUT_COLOR, Diagram, _arrow,
                    _box, _check_int, _fit_limits)

__all__ = ["draw_unrolled_rnn", "draw_fixed_window", "draw_token_strip", "plot_hidden_states"]


def draw_unrolled_rnn(ax, T: int = 4, *, show_outputs: bool = True, folded: bool = True,
                      show_h0: bool = True, weight_labels: bool = True,
                      step_names: tuple[str, ...] | None = None) -> Diagram:
    r"""Draw the computational graph of a simple RNN, unrolled over ``T`` steps.

    Each step has an input box :math:`x_t`, a state box :math:`h_t` and, optionally, an output
    box :math:`y_t`; the arrows are labelled with the weights they apply,

    .. math::

        h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h), \qquad y_t = W_{hy} h_t + b_y,

    and the same three weight names appear at every step, which is the point of the picture:
    one set of weights, shared across time.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw. Its limits and aspect are set, and its frame is switched off.
    T : int
        Number of unrolled steps, at least 1.
    show_outputs : bool
        Draw the outputs :math:`y_t` and the :math:`W_{hy}` arrows.
    folded : bool
        Also draw, on the left, the folded graph (one cell with a loop) and an equals sign.
    show_h0 : bool
        Draw the initial state :math:`h_0` (dashed) with its arrow into :math:`h_1`.
    weight_labels : bool
        Write :math:`W_{xh}`, :math:`W_{hh}` and :math:`W_{hy}` on the arrows.
    step_names : tuple of str, optional
        Names of the steps, default ``("1", "2", ..., "T")``; e.g. ``("1", "2", "t", "T")``.

    Returns
    -------
    Diagram
        With ``3 T + 1`` boxes and ``3 T`` arrows for the unrolled part when everything is
        shown (plus 3 boxes and 3 arrows for the folded part).
    """
    T = _check_int("T", T, 1)
    if step_names is None:
        step_names = tuple(str(t) for t in range(1, T + 1))
    if len(step_names) != T:
        raise ValueError(f"step_names must have T = {T} entries, got {len(step_names)}")
    d = Diagram()
    dx, y_x, y_h, y_y = 2.0, 0.0, 1.6, 3.2
    half_w, half_h = 0.45, 0.3
    top = y_y if show_outputs else y_h
    x0 = 0.0
    if folded:
        # The folded graph: one cell whose state feeds back into itself.
        cx = 0.0
        _box(ax, d, cx, y_x, "$x_t$", INPUT_COLOR)
        _box(ax, d, cx, y_h, "$h_t$", HIDDEN_COLOR)
        _arrow(ax, d, (cx, y_x + half_h), (cx, y_h - half_h),
               "$W_{xh}$" if weight_labels else None, (-0.4, 0.0))
        _arrow(ax, d, (cx + half_w, y_h + 0.18), (cx + half_w, y_h - 0.18),
               "$W_{hh}$" if weight_labels else None, (0.8, 0.0),
               connectionstyle="arc3,rad=-2.4")
        if show_outputs:
            _box(ax, d, cx, y_y, "$y_t$", OUTPUT_COLOR)
            _arrow(ax, d, (cx, y_h + half_h), (cx, y_y - half_h),
                   "$W_{hy}$" if weight_labels else None, (-0.4, 0.0))
        d.labels.append(ax.text(cx + 2.1, y_h, "=", ha="center", va="center", fontsize=22))
        x0 = 3.2
    first = x0 + (dx if show_h0 else 0.0)
    if show_h0:
        _box(ax, d, x0, y_h, "$h_0$", "white", dashed=True)
    for k, name in enumerate(step_names):
        cx = first + k * dx
        _box(ax, d, cx, y_x, f"$x_{{{name}}}$", INPUT_COLOR)
        _box(ax, d, cx, y_h, f"$h_{{{name}}}$", HIDDEN_COLOR)
        _arrow(ax, d, (cx, y_x + half_h), (cx, y_h - half_h),
               "$W_{xh}$" if weight_labels else None, (-0.45, 0.0))
        if k > 0 or show_h0:
            _arrow(ax, d, (cx - dx + half_w, y_h), (cx - half_w, y_h),
                   "$W_{hh}$" if weight_labels else None, (0.0, 0.25))
        if show_outputs:
            _box(ax, d, cx, y_y, f"$y_{{{name}}}$", OUTPUT_COLOR)
            _arrow(ax, d, (cx, y_h + half_h), (cx, y_y - half_h),
                   "$W_{hy}$" if weight_labels else None, (-0.45, 0.0))
    right = first + (T - 1) * dx
    left = -0.9 if folded else x0 - 0.75
    ax.set_xlim(left, right + 0.75)
    ax.set_ylim(y_x - 0.55, top + 0.55)
    ax.set_aspect("equal")
    ax.axis("off")
    return d


def draw_fixed_window(ax, T: int = 12, window: int = 4, t: int | None = None) -> Diagram:
    r"""Draw a feedforward model that predicts :math:`x_{t+1}` from the last ``window`` inputs.

    The inputs :math:`x_{t-k+1}, \dots, x_t` (with :math:`k` = ``window``) feed a model box;
    the earlier inputs are greyed out: the model cannot see them, however much they matter.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    T : int
        Number of input steps drawn, at least 2.
    window : int
        Window length :math:`k`, in ``[1, T]``.
    t : int, optional
        The last step inside the window (1-based), default ``T``.

    Returns
    -------
    Diagram
        ``T + 2`` boxes (the inputs, the model, the prediction) and ``window + 1`` arrows.
    """
    T = _check_int("T", T, 2)
    window = _check_int("window", window, 1)
    if window > T:
        raise ValueError(f"window must be at most T = {T}, got {window}")
    t = T if t is None else _check_int("t", t, window)
    if t > T:
        raise ValueError(f"t must lie in [window, T] = [{window}, {T}], got {t}")
    d = Diagram()
    dx = 1.0
    y_in, y_model, y_out = 0.0, 1.6, 3.0
    first_in = t - window + 1
    for step in range(1, T + 1):
        inside = first_in <= step <= t
        _box(ax, d, step * dx, y_in, f"$x_{{{step}}}$", INPUT_COLOR if inside else "white",
             width=0.8, height=0.55, fontsize=11, text_color="black" if inside else MUTED_COLOR)
    centre = (first_in + t) / 2 * dx
    model_w = max(window * dx - 0.2, 1.4)
    _box(ax, d, centre, y_model, f"MLP on {window} steps", MODEL_COLOR, width=model_w,
         height=0.6, fontsize=11)
    for step in range(first_in, t + 1):
        _arrow(ax, d, (step * dx, y_in + 0.28), (centre + (step - centre / dx) * 0.15, y_model - 0.3))
    _box(ax, d, centre, y_out, f"$\\hat{{x}}_{{{t + 1}}}$", OUTPUT_COLOR, width=0.9, height=0.6,
         fontsize=12)
    _arrow(ax, d, (centre, y_model + 0.3), (centre, y_out - 0.28))
    if first_in > 1:
        mid = (first_in - 1 + 1) / 2 * dx
        d.labels.append(ax.text(mid, y_in - 0.6, "out of sight", ha="center", va="center",
                                fontsize=10, color="#888888", style="italic"))
    ax.set_xlim(0.4, T * dx + 0.6)
    ax.set_ylim(y_in - 0.9, y_out + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")
    return d


def draw_token_strip(ax, tokens, colors=None, *, y: float = 0.0, cell: float = 1.0,
                     fontsize: int = 11, label: str | None = None) -> Diagram:
    """Draw a sequence of discrete symbols (characters, DNA bases, ids) as a row of boxes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    tokens : sequence of str or int
        The symbols, one box each, left to right; the sequence must not be empty.
    colors : dict or sequence, optional
        A colour per symbol (a dict symbol -> colour) or per position (a sequence of the same
        length as ``tokens``); default light grey.
    y : float
        Height of the row's centre, so that several strips can share one ``Axes``.
    cell : float
        Width of one box.
    fontsize : int
    label : str, optional
        A caption written left of the row.

    Returns
    -------
    Diagram
        One box per token, no arrows.
    """
    tokens = list(tokens)
    if not tokens:
        raise ValueError("tokens must not be empty")
    if colors is not None and not isinstance(colors, dict) and len(colors) != len(tokens):
        raise ValueError(f"colors must be a dict or have one entry per token ({len(tokens)}), "
                         f"got {len(colors)}")
    d = Diagram()
    for i, tok in enumerate(tokens):
        if colors is None:
            color = "#eeeeee"
        elif isinstance(colors, dict):
            color = colors.get(tok, "#eeeeee")
        else:
            color = colors[i]
        text = "␣" if tok == " " else str(tok)
        _box(ax, d, (i + 0.5) * cell, y, text, color, width=0.9 * cell, height=0.8,
             fontsize=fontsize)
    left = -0.2
    if label is not None:
        d.labels.append(ax.text(-0.3, y, label, ha="right", va="center", fontsize=fontsize))
        left = -0.4 - 0.3 * cell * len(label) * fontsize / 11
    _fit_limits(ax, left=left)
    ax.set_aspect("equal")
    ax.axis("off")
    return d


def plot_hidden_states(ax, h, inputs=None, *, cmap: str = "RdBu_r", step_offset: int = 0,
                       group: int | None = None, colorbar: bool = True):
    r"""Show hidden states over time as a heat map: one row per unit, one column per step.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    h : array-like, shape (T, H)
        The states :math:`h_1, \dots, h_T` of one sequence (take ``h[:, b]`` from a batch).
        Values of a tanh RNN lie in [-1, 1], which is the colour range.
    inputs : array-like, shape (T,), optional
        The input at each step, written above its column.
    cmap : str
        A diverging colour map (0 is white).
    step_offset : int
        Added to the step numbers on the x axis (the first column is step ``1 + step_offset``).
    group : int, optional
        Draw a vertical line after every ``group`` steps (e.g. 3 for the triples of the
        temporal XOR).
    colorbar : bool
        Add a colour bar.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    h = np.asarray(h)
    if h.ndim != 2:
        raise ValueError(f"h must have shape (T, H), got shape {h.shape}")
    T, H = h.shape
    image = ax.imshow(h.T, aspect="auto", cmap=cmap, vmin=-1.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks(np.arange(T))
    ax.set_xticklabels([str(step_offset + t + 1) for t in range(T)])
    ax.set_yticks(np.arange(H))
    ax.set_yticklabels([str(j + 1) for j in range(H)])
    ax.set_xlabel("time step t")
    ax.set_ylabel("hidden unit")
    if inputs is not None:
        inputs = np.asarray(inputs).reshape(-1)
        if inputs.shape != (T,):
            raise ValueError(f"inputs must have T = {T} entries, got shape {inputs.shape}")
        for t, value in enumerate(inputs):
            text = f"{value:g}" if np.issubdtype(inputs.dtype, np.number) else str(value)
            ax.text(t, -1.0, text, ha="center", va="center", fontsize=10)
        ax.set_yticks(np.arange(-1, H))
        ax.set_yticklabels(["input"] + [str(j + 1) for j in range(H)])
        ax.set_ylim(H - 0.5, -1.5)
    if group is not None:
        group = _check_int("group", group, 1)
        for edge in range(group, T, group):
            ax.axvline(edge - 0.5, color="black", linewidth=1.5)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="$h_{t,j}$")
    return image
