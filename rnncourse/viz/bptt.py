"""The backward pass of backpropagation through time, drawn on the unrolled graph (lesson 3)."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from ._base import (EDGE_COLOR, HIDDEN_COLOR, INPUT_COLOR, MUTED_COLOR, OUTPUT_COLOR, Diagram,
                    _arrow, _box, _check_int)

__all__ = ["draw_bptt_backward"]

# The backward pass: a strong red, apart from the pastel nodes and the grey forward pass.
BACKWARD_COLOR = "#c0392b"
# The shaded truncation chunk.
CHUNK_COLOR = "#fff2b3"


def _check_step(name: str, value, T: int) -> int:
    """``value`` as an int in ``[1, T]``, else a TypeError or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not 1 <= value <= T:
        raise ValueError(f"{name} must lie in [1, T] = [1, {T}], got {value}")
    return int(value)


def _check_chunk(chunk, T: int) -> tuple[int, int]:
    """``chunk`` as a pair ``(start, stop)`` with ``1 <= start <= stop <= T``."""
    try:
        start, stop = chunk
    except (TypeError, ValueError):
        raise ValueError(f"chunk must be a pair (start, stop) of steps in [1, T] = [1, {T}], "
                         f"got {chunk!r}") from None
    for value in (start, stop):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"chunk must hold integer steps, got {chunk!r}")
    if not 1 <= start <= stop <= T:
        raise ValueError(f"chunk must satisfy 1 <= start <= stop <= T = {T}, got {chunk!r}")
    return int(start), int(stop)


def draw_bptt_backward(ax, T: int = 5, t: int | None = None,
                       chunk: tuple[int, int] | None = None) -> Diagram:
    r"""Draw the backward pass of BPTT on the graph of a simple RNN unrolled over ``T`` steps.

    Each step :math:`t = 1, \dots, T` has an input :math:`x_t`, a state :math:`h_t` and, above
    it, the loss :math:`\ell_t` (which stands for everything above the recurrent layer: the
    output :math:`y_t = W_{hy} h_t + b_y` and the loss on it); the initial state :math:`h_0` is
    dashed. The forward arrows (:math:`x_t \to h_t`, :math:`h_{t-1} \to h_t`,
    :math:`h_t \to \ell_t`) are grey. The backward arrows are bold and red and run the other
    way: from each :math:`\ell_t` down into :math:`h_t`, and from each :math:`h_t` back into
    :math:`h_{t-1}`, so that every :math:`h_t` with :math:`t < T` receives two of them, the
    terms of

    .. math::

        \frac{\partial L}{\partial h_t} = \frac{\partial \ell_t}{\partial h_t}
        + W_{hh}^\top \delta_{t+1}.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw. Its limits and aspect are set, and its frame is switched off.
    T : int
        Number of unrolled steps, at least 1.
    t : int, optional
        A step in ``[1, T]`` whose two incoming routes are emphasised (thicker, while the other
        backward arrows are paled) and labelled :math:`\partial \ell_t / \partial h_t` and
        :math:`W_{hh}^\top \delta_{t+1}`, with the step numbers written out. At ``t = T`` there
        is no later state, and only the first route is drawn and labelled.
    chunk : tuple of int, optional
        ``(start, stop)``, with ``1 <= start <= stop <= T``: the steps ``start`` to ``stop``
        of one truncation chunk, shaded and labelled with its length :math:`K`. The backward
        arrows that cross its boundary with a neighbouring chunk, from :math:`h_{stop+1}`
        into :math:`h_{stop}` (the arrow entering it from the right) and from
        :math:`h_{start}` into :math:`h_{start-1}`, where these steps exist, are drawn dashed
        and crossed out: truncated BPTT stops the gradient there.

    Returns
    -------
    Diagram
        ``3 T + 1`` boxes (:math:`h_0`, then :math:`x_t, h_t, \ell_t` step by step) and
        ``5 T`` arrows: first the ``3 T`` grey forward arrows, then the ``2 T`` backward ones,
        from step ``T`` down to step 1, each step's arrow from :math:`\ell_t` before its arrow
        into :math:`h_{t-1}`. The labels are the node names, then those of ``t`` (two, or one
        at ``t = T``), then, with ``chunk``, the chunk's name and one cross per cut arrow. The
        shading is the one :class:`~matplotlib.patches.Rectangle` on ``ax``.

    Raises
    ------
    TypeError
        If ``T``, ``t`` or the steps of ``chunk`` are not integers.
    ValueError
        If ``T < 1``, if ``t`` is outside ``[1, T]``, or if ``chunk`` is not a pair
        ``(start, stop)`` with ``1 <= start <= stop <= T``; the message names the argument and
        the valid range.
    """
    T = _check_int("T", T, 1)
    if t is not None:
        t = _check_step("t", t, T)
    if chunk is not None:
        chunk = _check_chunk(chunk, T)
    d = Diagram()
    dx, y_x, y_h, y_l = 2.2, 0.0, 1.6, 3.2
    half_w, half_h = 0.45, 0.3
    side = 0.14  # forward and backward arrows between the same boxes run side by side
    low, high = y_x - half_h - 0.15, y_l + half_h + 0.15

    if chunk is not None:
        start, stop = chunk
        left, right = start * dx - dx / 2 + 0.1, stop * dx + dx / 2 - 0.1
        shade = Rectangle((left, low + 0.05), right - left, high - low - 0.1,
                          facecolor=CHUNK_COLOR, edgecolor="#c9a800", linewidth=1.0,
                          linestyle="--", zorder=0)
        ax.add_patch(shade)

    # The nodes and the forward pass, muted.
    _box(ax, d, 0.0, y_h, "$h_0$", "white", dashed=True)
    for k in range(1, T + 1):
        cx = k * dx
        _box(ax, d, cx, y_x, f"$x_{{{k}}}$", INPUT_COLOR)
        _box(ax, d, cx, y_h, f"$h_{{{k}}}$", HIDDEN_COLOR)
        _box(ax, d, cx, y_l, f"$\\ell_{{{k}}}$", OUTPUT_COLOR)
    for k in range(1, T + 1):
        cx = k * dx
        _arrow(ax, d, (cx, y_x + half_h), (cx, y_h - half_h), color=MUTED_COLOR)
        _arrow(ax, d, (cx - dx + half_w, y_h + side), (cx - half_w, y_h + side),
               color=MUTED_COLOR)
        _arrow(ax, d, (cx - side, y_h + half_h), (cx - side, y_l - half_h), color=MUTED_COLOR)

    # The backward pass, right to left: into h_k from l_k, and from h_k back into h_{k-1}.
    cut = set()
    if chunk is not None:
        if stop < T:
            cut.add(stop + 1)  # h_{stop+1} -> h_stop enters the chunk from the right
        if start > 1:
            cut.add(start)  # h_start -> h_{start-1} leaves it on the left
    routes = {}
    for k in range(T, 0, -1):
        cx = k * dx
        down = _arrow(ax, d, (cx + side, y_l - half_h), (cx + side, y_h + half_h),
                      color=BACKWARD_COLOR)
        back = _arrow(ax, d, (cx - half_w, y_h - side), (cx - dx + half_w, y_h - side),
                      color=BACKWARD_COLOR)
        for arrow in (down, back):
            arrow.set_linewidth(2.4)
            arrow.set_mutation_scale(17)
            if t is not None:
                arrow.set_alpha(0.35)
        if k == t:
            routes["loss"] = down
        if t is not None and k == t + 1:
            routes["future"] = back
        if k in cut:
            back.set_linestyle((0, (3, 2)))
            back.set_alpha(0.6)
    for arrow in routes.values():
        arrow.set_alpha(1.0)
        arrow.set_linewidth(3.4)
        arrow.set_mutation_scale(22)

    texts = []
    if t is not None:
        cx = t * dx
        texts.append(ax.text(cx + side + 0.12, (y_h + y_l) / 2,
                             f"$\\partial \\ell_{{{t}}} / \\partial h_{{{t}}}$",
                             ha="left", va="center", fontsize=13, color=BACKWARD_COLOR))
        if t < T:
            drop = 0.32 if t + 1 in cut else 0.12  # below the cross, if any
            texts.append(ax.text(cx + dx / 2, y_h - side - drop,
                                 f"$W_{{hh}}^\\top \\delta_{{{t + 1}}}$",
                                 ha="center", va="top", fontsize=13, color=BACKWARD_COLOR))
    if chunk is not None:
        K = stop - start + 1
        texts.append(ax.text((left + right) / 2, low - 0.05,
                             f"truncation chunk, $K = {K}$",
                             ha="center", va="top", fontsize=12, color="#7a6000"))
        for k in sorted(cut, reverse=True):
            texts.append(ax.text(k * dx - dx / 2, y_h - side, "×", ha="center",
                                 va="center", fontsize=20, fontweight="bold",
                                 color=EDGE_COLOR, zorder=4))
    d.labels.extend(texts)

    right_edge = T * dx + half_w + (1.25 if t == T else 0.3)
    if chunk is not None:
        right_edge = max(right_edge, right + 0.1)
    ax.set_xlim(-half_w - 0.3, right_edge)
    ax.set_ylim(low - (0.55 if chunk is not None else 0.0), high)
    ax.set_aspect("equal")
    ax.axis("off")
    return d
