"""The LSTM cell, drawn gate by gate (lesson 5)."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from ._base import EDGE_COLOR, HIDDEN_COLOR, MODEL_COLOR, MUTED_COLOR, Diagram

__all__ = ["draw_lstm_cell", "LSTM_PARTS"]

#: The parts of the cell that ``draw_lstm_cell(ax, highlight=...)`` can pick out.
LSTM_PARTS = ("forget", "input", "output", "cell")

_WIRE_LABEL_COLOR = "#7a2e00"  # the colour of the weight names on the arrows of the RNN

# Where things are, in data units (the axes get an equal aspect).
_X_FORGET, _X_INPUT, _X_CAND, _X_OUT, _X_READ = 1.6, 3.0, 4.4, 5.8, 7.4
_X_START, _X_END, _X_INPUT_JOIN = 0.0, 8.75, 0.75
_Y_CELL, _Y_MIDDLE, _Y_GATE, _Y_BUS, _Y_X = 4.3, 3.1, 1.7, 0.55, -0.2
_GATE_W, _GATE_H = 1.24, 0.8
_TANH_W, _TANH_H = 0.9, 0.55
_R = 0.24  # radius of the round nodes


def _parse_highlight(highlight) -> frozenset:
    allowed = ", ".join(repr(p) for p in LSTM_PARTS)
    message = (f"highlight must be None, one of {allowed}, or a tuple of them; "
               f"got {highlight!r}")
    if highlight is None:
        return frozenset(LSTM_PARTS)
    parts = (highlight,) if isinstance(highlight, str) else highlight
    try:
        parts = tuple(parts)
    except TypeError:
        raise ValueError(message) from None
    if not parts or any(not isinstance(p, str) or p not in LSTM_PARTS for p in parts):
        raise ValueError(message)
    return frozenset(parts)


class _Painter:
    """Draws the artists of one cell, each in colour if it belongs to a highlighted part."""

    def __init__(self, ax, diagram: Diagram, active: frozenset):
        self.ax, self.d, self.active = ax, diagram, active

    def on(self, parts) -> bool:
        """Whether something belonging to ``parts`` is drawn in colour (no parts: always)."""
        return not parts or bool(self.active & set(parts))

    def text(self, x, y, s, parts=(), color="black", fontsize=13, **kw):
        kw = {"ha": "center", "va": "center", **kw}
        label = self.ax.text(x, y, s, fontsize=fontsize, zorder=3,
                             color=color if self.on(parts) else MUTED_COLOR, **kw)
        self.d.labels.append(label)
        return label

    def gate(self, cx, cy, symbol, name, parts):
        """A layer with weights: a box holding its activation and, below it, its name."""
        self._patch(cx, cy, _GATE_W, _GATE_H, "round,pad=0.02,rounding_size=0.12",
                    MODEL_COLOR, parts)
        self.text(cx, cy + 0.13, symbol, parts, fontsize=14)
        self.text(cx, cy - 0.22, name, parts, fontsize=7.5)

    def pointwise(self, cx, cy, symbol, parts, width=None, height=None):
        """An element-wise operation: a circle (or, given a size, a box) with its symbol."""
        if width is None:
            # The circle box style draws the circle inscribed in the box.
            self._patch(cx, cy, 2 * _R, 2 * _R, "circle,pad=0", HIDDEN_COLOR, parts)
            self.text(cx, cy, symbol, parts, fontsize=13)
        else:
            self._patch(cx, cy, width, height, "round,pad=0.02,rounding_size=0.12",
                        HIDDEN_COLOR, parts)
            self.text(cx, cy, symbol, parts, fontsize=12)

    def _patch(self, cx, cy, width, height, style, color, parts):
        on = self.on(parts)
        patch = FancyBboxPatch((cx - width / 2, cy - height / 2), width, height,
                               boxstyle=style, facecolor=color if on else "white",
                               edgecolor=EDGE_COLOR if on else MUTED_COLOR,
                               linewidth=1.2, zorder=2)
        self.ax.add_patch(patch)
        self.d.boxes.append(patch)

    def wire(self, points, parts=(), head=True, bold=False):
        """A polyline through ``points``, with an arrow head at the end unless ``head=False``."""
        patch = FancyArrowPatch(path=Path(np.asarray(points, dtype=float)),
                                arrowstyle="-|>" if head else "-",
                                mutation_scale=22 if bold else 13,
                                linewidth=3.6 if bold else 1.3,
                                color=EDGE_COLOR if self.on(parts) else MUTED_COLOR,
                                shrinkA=0, shrinkB=0, joinstyle="miter",
                                capstyle="butt" if head else "projecting",
                                zorder=1)
        self.ax.add_patch(patch)
        self.d.arrows.append(patch)
        return patch


def draw_lstm_cell(ax, highlight=None) -> Diagram:
    r"""Draw one LSTM cell: the four gates, the cell-state path (bold) and the hidden state.

    The drawing follows the equations of lesson 5, with the gates in PyTorch's order,

    .. math::

        i_t = \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i), \qquad
        f_t = \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f),

        g_t = \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g), \qquad
        o_t = \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o),

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).

    The previous cell state :math:`c_{t-1}` enters top left and runs along a bold line, the
    cell-state path, to :math:`c_t` on the right: it is multiplied by :math:`f_t`, then
    :math:`i_t \odot g_t` is added, and nothing else touches it. The previous hidden state
    :math:`h_{t-1}` (from the left) and the input :math:`x_t` (from below) join on one wire that
    feeds the four gate boxes (left to right: forget, input, candidate, output; each box holds
    its activation, :math:`\sigma` or :math:`\tanh`, and its name). The round nodes are the
    element-wise products :math:`\odot` and the sum :math:`+`; :math:`\tanh(c_t)` is read off the
    cell-state path and multiplied by :math:`o_t` to give :math:`h_t`, which leaves on the right.

    The text has fixed sizes in points, chosen for an axes about 4.5 inches wide or more, as
    ``plt.subplots(figsize=(6, 3.5))`` gives; on a smaller one it crowds the boxes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw. Its limits and aspect are set, and its frame is switched off.
    highlight : str or tuple of str, optional
        The parts to show in colour, one or several of

        - ``"forget"``: the forget gate, its product with :math:`c_{t-1}`, and the path from
          :math:`c_{t-1}` to the sum;
        - ``"input"``: the input gate, the candidate, their product, the sum and the path from
          the sum to :math:`c_t`;
        - ``"output"``: the output gate, :math:`\tanh(c_t)`, the product that gives
          :math:`h_t`, and the path from the sum to :math:`c_t` that the tanh reads;
        - ``"cell"``: the whole cell-state path with its two nodes.

        Everything else is drawn in grey (white boxes, grey lines and text), except the inputs
        :math:`x_t` and :math:`h_{t-1}` and the wire that joins them, which every gate reads.
        Default: everything in colour.

    Returns
    -------
    Diagram
        9 boxes: the four gates, :math:`\tanh` of the cell state, the three :math:`\odot` nodes
        (forget, input, output) and the :math:`+` node, in that order. 17 arrows: the three
        bold stretches of the cell-state path first, then the wires inside the cell, then the
        wire of the inputs, its four branches into the gates and the wire of :math:`x_t`.
        22 labels: the activation and the name of each gate, the symbols of the other five
        boxes, :math:`f_t, i_t, g_t, o_t` on the wires that leave the gates, and
        :math:`c_{t-1}, h_{t-1}, x_t, c_t, h_t` where the wires enter and leave the cell.

    Raises
    ------
    ValueError
        If ``highlight`` is not None, one of ``"forget"``, ``"input"``, ``"output"`` and
        ``"cell"``, or a non-empty tuple of them; the message names the allowed values.
    """
    p = _Painter(ax, Diagram(), _parse_highlight(highlight))
    half_w, half_h = _GATE_W / 2, _GATE_H / 2
    gate_top, gate_bottom = _Y_GATE + half_h, _Y_GATE - half_h

    # The boxes: four layers with weights, then the element-wise operations.
    p.gate(_X_FORGET, _Y_GATE, r"$\sigma$", "forget", ["forget"])
    p.gate(_X_INPUT, _Y_GATE, r"$\sigma$", "input", ["input"])
    p.gate(_X_CAND, _Y_GATE, r"$\tanh$", "candidate", ["input"])
    p.gate(_X_OUT, _Y_GATE, r"$\sigma$", "output", ["output"])
    p.pointwise(_X_READ, _Y_MIDDLE, r"$\tanh$", ["output"], _TANH_W, _TANH_H)
    p.pointwise(_X_FORGET, _Y_CELL, r"$\odot$", ["forget", "cell"])
    p.pointwise(_X_CAND, _Y_MIDDLE, r"$\odot$", ["input"])
    p.pointwise(_X_READ, _Y_GATE, r"$\odot$", ["output"])
    p.pointwise(_X_CAND, _Y_CELL, "$+$", ["input", "cell"])

    # The cell-state path, bold: c_{t-1} -> (f_t *) -> (+ i_t g_t) -> c_t.
    # Each gate's picture also lights the stretch of the path it acts on.
    p.wire([(_X_START, _Y_CELL), (_X_FORGET - _R, _Y_CELL)], ["cell", "forget"], bold=True)
    p.wire([(_X_FORGET + _R, _Y_CELL), (_X_CAND - _R, _Y_CELL)], ["cell", "forget"],
           bold=True)
    p.wire([(_X_CAND + _R, _Y_CELL), (_X_END, _Y_CELL)], ["cell", "input", "output"],
           bold=True)

    # What leaves the gates.
    p.wire([(_X_FORGET, gate_top), (_X_FORGET, _Y_CELL - _R)], ["forget"])
    p.wire([(_X_INPUT, gate_top), (_X_INPUT, _Y_MIDDLE), (_X_CAND - _R, _Y_MIDDLE)], ["input"])
    p.wire([(_X_CAND, gate_top), (_X_CAND, _Y_MIDDLE - _R)], ["input"])
    p.wire([(_X_CAND, _Y_MIDDLE + _R), (_X_CAND, _Y_CELL - _R)], ["input"])

    # The read-out: h_t = o_t * tanh(c_t).
    p.wire([(_X_READ, _Y_CELL), (_X_READ, _Y_MIDDLE + _TANH_H / 2)], ["output"])
    p.wire([(_X_READ, _Y_MIDDLE - _TANH_H / 2), (_X_READ, _Y_GATE + _R)], ["output"])
    p.wire([(_X_OUT + half_w, _Y_GATE), (_X_READ - _R, _Y_GATE)], ["output"])
    p.wire([(_X_READ + _R, _Y_GATE), (_X_END, _Y_GATE)], ["output"])

    # The inputs: h_{t-1} and x_t join on one wire that feeds every gate.
    p.wire([(_X_START, _Y_BUS), (_X_OUT, _Y_BUS)], head=False)
    for x, part in ((_X_FORGET, "forget"), (_X_INPUT, "input"), (_X_CAND, "input"),
                    (_X_OUT, "output")):
        p.wire([(x, _Y_BUS), (x, gate_bottom)], [part])
    p.wire([(_X_INPUT_JOIN, _Y_X), (_X_INPUT_JOIN, _Y_BUS)], head=False)

    # The names of the vectors on the wires.
    wire = {"color": _WIRE_LABEL_COLOR, "fontsize": 12, "ha": "left"}
    p.text(_X_FORGET + 0.12, 2.75, "$f_t$", ["forget"], **wire)
    p.text(_X_INPUT + 0.12, 2.55, "$i_t$", ["input"], **wire)
    p.text(_X_CAND + 0.12, 2.55, "$g_t$", ["input"], **wire)
    p.text((_X_OUT + half_w + _X_READ - _R) / 2, _Y_GATE + 0.22, "$o_t$", ["output"],
           **{**wire, "ha": "center"})
    p.text(_X_START - 0.12, _Y_CELL, "$c_{t-1}$", ["cell", "forget"], ha="right")
    p.text(_X_START - 0.12, _Y_BUS, "$h_{t-1}$", ha="right")
    p.text(_X_INPUT_JOIN, _Y_X - 0.12, "$x_t$", va="top")
    p.text(_X_END + 0.12, _Y_CELL, "$c_t$", ["cell", "input", "output"], ha="left")
    p.text(_X_END + 0.12, _Y_GATE, "$h_t$", ["output"], ha="left")

    ax.set_xlim(_X_START - 0.95, _X_END + 0.65)
    ax.set_ylim(_Y_X - 0.55, _Y_CELL + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")
    return p.d
