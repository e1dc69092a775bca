"""The GRU cell, with its reset gate in either of its two places (lesson 6)."""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from ._base import EDGE_COLOR, HIDDEN_COLOR, MODEL_COLOR, MUTED_COLOR, Diagram

__all__ = ["draw_gru_cell", "GRU_PARTS", "GRU_RESET_PLACEMENTS"]

#: The parts of the cell that ``draw_gru_cell(ax, highlight=...)`` can show in colour.
GRU_PARTS = ("reset", "update", "candidate")
#: Where the reset gate acts: ``"after"`` the recurrent product (PyTorch) or ``"before"`` it.
GRU_RESET_PLACEMENTS = ("after", "before")

_LABEL_COLOR = "#7a2e00"  # the names of the vectors on the wires, as on the RNN's arrows

# The layout, in data units (the axes get an equal aspect). Levels from the bottom up: where
# x_t enters, the wire of x_t to the candidate, the wire of [h_{t-1}, x_t] into the two gates,
# the gates, the candidate's chain, the 1 - z_t row, and the state path on top.
_Y_ENTRY, _Y_XWIRE, _Y_BUS, _Y_GATE, _Y_CHAIN, _Y_MIX, _Y_STATE = (
    -0.55, -0.15, 0.4, 1.45, 2.85, 4.05, 5.15)
# Columns from the left: the start of the state path, the drop of h_{t-1}, the entry of x_t,
# the update gate (and its product on the state path), the reset gate (under the first slot
# of the chain), the second slot, the candidate (and the products above it), the end.
_X_START, _X_DROP, _X_ENTRY, _X_UPDATE, _X_RESET, _X_SLOT2, _X_CAND, _X_END = (
    -0.1, 0.35, 0.95, 2.0, 3.7, 5.6, 7.7, 9.0)
_GATE_W, _GATE_H = 1.4, 0.9  # the three layers with an activation
_LIN_W, _LIN_H = 1.9, 0.6  # the recurrent product of the candidate
_ONE_W, _ONE_H = 1.05, 0.5  # the 1 - z_t box
_R = 0.24  # radius of the round nodes
_LINE_W, _BOLD_W = 1.3, 3.4


def _check_reset(reset) -> str:
    if not isinstance(reset, str) or reset not in GRU_RESET_PLACEMENTS:
        raise ValueError(f"reset must be 'after' or 'before', got {reset!r}")
    return reset


def _check_highlight(highlight) -> frozenset:
    """The set of parts drawn in colour; all of them for ``None``."""
    if highlight is None:
        return frozenset(GRU_PARTS)
    message = ("highlight must be None, one of 'reset', 'update', 'candidate', or a non-empty "
               f"tuple of them, got {highlight!r}")
    parts = (highlight,) if isinstance(highlight, str) else highlight
    if not isinstance(parts, (tuple, list)) or not parts:
        raise ValueError(message)
    if any(not isinstance(part, str) or part not in GRU_PARTS for part in parts):
        raise ValueError(message)
    return frozenset(parts)


class _Cell:
    """Adds the artists of one cell to ``ax``, in colour or grey, and records them."""

    def __init__(self, ax, shown: frozenset):
        self.ax, self.shown, self.d = ax, shown, Diagram()

    def lit(self, parts) -> bool:
        """Whether an artist of ``parts`` is in colour; one of no part always is."""
        return not parts or not self.shown.isdisjoint(parts)

    def label(self, x, y, text, parts=(), fontsize=12, color="black", **kw):
        kw.setdefault("ha", "center")
        kw.setdefault("va", "center")
        artist = self.ax.text(x, y, text, fontsize=fontsize, zorder=4,
                              color=color if self.lit(parts) else MUTED_COLOR, **kw)
        self.d.labels.append(artist)
        return artist

    def node(self, name, cx, cy, width, height, color, parts, round_=False):
        lit = self.lit(parts)
        style = "circle,pad=0" if round_ else "round,pad=0.02,rounding_size=0.12"
        patch = FancyBboxPatch((cx - width / 2, cy - height / 2), width, height,
                               boxstyle=style, facecolor=color if lit else "white",
                               edgecolor=EDGE_COLOR if lit else MUTED_COLOR, linewidth=1.2,
                               zorder=2, gid=name)
        self.ax.add_patch(patch)
        self.d.boxes.append(patch)
        return patch

    def layer(self, name, cx, cy, symbol, title, parts):
        """A layer with weights: its activation and, underneath, its name."""
        self.node(name, cx, cy, _GATE_W, _GATE_H, MODEL_COLOR, parts)
        self.label(cx, cy + 0.15, symbol, parts, fontsize=14)
        self.label(cx, cy - 0.26, title, parts, fontsize=8)

    def op(self, name, cx, cy, symbol, parts):
        """An element-wise operation, drawn as a round node."""
        self.node(name, cx, cy, 2 * _R, 2 * _R, HIDDEN_COLOR, parts, round_=True)
        self.label(cx, cy, symbol, parts, fontsize=13)

    def wire(self, name, points, parts=(), head=True, bold=False, over=False, zorder=1.0):
        """A polyline through ``points``; ``over`` clears a gap in the wires it crosses."""
        lit = self.lit(parts)
        width = _BOLD_W if bold else _LINE_W
        arrow = FancyArrowPatch(path=Path(np.asarray(points, dtype=float)),
                                arrowstyle="-|>" if head else "-",
                                mutation_scale=20 if bold else 13, linewidth=width,
                                color=EDGE_COLOR if lit else MUTED_COLOR, shrinkA=0, shrinkB=0,
                                joinstyle="miter", capstyle="butt", zorder=zorder, gid=name)
        if over:
            arrow.set_path_effects([patheffects.withStroke(linewidth=width + 6,
                                                           foreground="white")])
        self.ax.add_patch(arrow)
        self.d.arrows.append(arrow)
        return arrow


def draw_gru_cell(ax, reset: str = "after", highlight=None) -> Diagram:
    r"""Draw one GRU cell, with the reset gate where PyTorch or where Cho et al. put it.

    The gates are those of lesson 6, in PyTorch's notation,

    .. math::

        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \qquad
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}),

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1},

    so that :math:`z_t` near 1 keeps the old state. The candidate is, with the reset gate
    after the recurrent product (``reset="after"``: PyTorch, cuDNN),

    .. math::

        n_t = \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big),

    and with the reset gate before it (``reset="before"``: Cho et al., 2014),

    .. math::

        n_t = \tanh\big(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}\big).

    The old state :math:`h_{t-1}` enters top left and runs along a bold line, the state path,
    to :math:`h_t` on the right: it is multiplied by :math:`z_t`, then
    :math:`(1 - z_t) \odot n_t` is added. A wire drops from it on the left and joins
    :math:`x_t`, which enters from below, to feed the update and the reset gate; a second
    branch carries :math:`h_{t-1}` alone to the candidate's chain, crossing the wire of
    :math:`z_t` (the gap in the branch says that the two do not meet). The chain holds the box
    :math:`W_{hn} \cdot + b_{hn}` and the round node :math:`\odot` where :math:`r_t` acts,
    which comes second for ``"after"`` and first for ``"before"``; :math:`r_t` comes up into it
    from below, and :math:`x_t` reaches the candidate along the bottom. Nothing else moves
    between the two placements. Purple boxes are layers with weights (each holds its
    activation and its name); the orange shapes act element by element.

    The text has fixed sizes in points, chosen for an axes about 4.5 inches wide or more,
    as ``plt.subplots(figsize=(6, 3.5))`` gives; on a smaller one it crowds the boxes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw. Its limits and aspect are set, and its frame is switched off.
    reset : {"after", "before"}
        Where the reset gate acts: on :math:`W_{hn} h_{t-1} + b_{hn}` (``"after"``, PyTorch's
        placement, the default) or on :math:`h_{t-1}` before :math:`W_{hn}` (``"before"``,
        the paper's).
    highlight : str, or tuple or list of str, optional
        The parts to show in colour, one or several of

        - ``"reset"``: the reset gate, the node where it acts, and the wire that node
          multiplies (:math:`W_{hn} h_{t-1} + b_{hn}` or :math:`h_{t-1}`);
        - ``"update"``: the update gate, :math:`1 - z_t`, the two products and the sum that
          mix old state and candidate, and the state path;
        - ``"candidate"``: the candidate and its chain (including the reset node), the wires
          of :math:`h_{t-1}` and :math:`x_t` into it, and the way from :math:`n_t` to
          :math:`h_t`.

        Everything else is grey (white boxes, grey lines and text), except the inputs: the
        start of the state path, the wires of :math:`x_t` and of :math:`[h_{t-1}, x_t]`.
        Default: everything in colour.

    Returns
    -------
    Diagram
        9 boxes, in this order: the update gate, the reset gate, the candidate, the recurrent
        product :math:`W_{hn} \cdot + b_{hn}`, the reset node :math:`\odot`, the product
        :math:`z_t \odot h_{t-1}`, the box :math:`1 - z_t`, the product
        :math:`(1 - z_t) \odot n_t` and the sum :math:`+`.
        18 arrows: the four stretches of the state path (bold); the wire of :math:`h_{t-1}`
        down to the gates and the wire of :math:`x_t` that joins it; their branches into the
        update and the reset gate; the three wires of the candidate's chain (:math:`h_{t-1}`
        into it, between its two slots, out of it into the candidate); :math:`r_t` into the
        reset node; :math:`x_t` into the candidate; :math:`z_t` into its product and into
        :math:`1 - z_t`; :math:`1 - z_t` and :math:`n_t` into their product; that product
        into the sum.
        18 labels: the activation and the name of each gate, the symbols of the other six
        boxes, :math:`z_t, r_t, n_t` on the wires that leave the gates, and
        :math:`h_{t-1}, x_t, h_t` where the wires enter and leave the cell.
        Every box and arrow has a ``gid`` that names it: ``"reset_node"``, ``"W_hn"``,
        ``"r->reset_node"``, ``"W_hn->reset_node"`` (after) or ``"reset_node->W_hn"``
        (before), and so on.

    Raises
    ------
    ValueError
        If ``reset`` is not ``"after"`` or ``"before"``, or ``highlight`` is not None, one of
        ``"reset"``, ``"update"`` and ``"candidate"``, or a non-empty tuple of them; the
        message names the allowed values.
    """
    reset = _check_reset(reset)
    c = _Cell(ax, _check_highlight(highlight))
    after = reset == "after"
    x_lin, x_node = (_X_RESET, _X_SLOT2) if after else (_X_SLOT2, _X_RESET)
    gate_top, gate_bottom = _Y_GATE + _GATE_H / 2, _Y_GATE - _GATE_H / 2

    # The boxes: three layers with weights, the recurrent product, the element-wise nodes.
    c.layer("update_gate", _X_UPDATE, _Y_GATE, r"$\sigma$", "update", ["update"])
    c.layer("reset_gate", _X_RESET, _Y_GATE, r"$\sigma$", "reset", ["reset"])
    c.layer("candidate", _X_CAND, _Y_CHAIN, r"$\tanh$", "candidate", ["candidate"])
    c.node("W_hn", x_lin, _Y_CHAIN, _LIN_W, _LIN_H, MODEL_COLOR, ["candidate"])
    c.label(x_lin, _Y_CHAIN, r"$W_{hn}\,\cdot + b_{hn}$", ["candidate"], fontsize=9)
    c.op("reset_node", x_node, _Y_CHAIN, r"$\odot$", ["reset", "candidate"])
    c.op("keep_node", _X_UPDATE, _Y_STATE, r"$\odot$", ["update"])
    one_x = (_X_UPDATE + _X_CAND) / 2 + 0.3
    c.node("one_minus_z", one_x, _Y_MIX, _ONE_W, _ONE_H, HIDDEN_COLOR, ["update"])
    c.label(one_x, _Y_MIX, "$1 - z_t$", ["update"], fontsize=11)
    c.op("write_node", _X_CAND, _Y_MIX, r"$\odot$", ["update", "candidate"])
    c.op("sum_node", _X_CAND, _Y_STATE, "$+$", ["update", "candidate"])

    # The state path, bold: h_{t-1} -> (z_t *) -> (+ (1 - z_t) n_t) -> h_t.
    mixed = ["update", "candidate"]
    c.wire("state_in", [(_X_START, _Y_STATE), (_X_DROP, _Y_STATE)], head=False, bold=True)
    c.wire("h_prev->keep_node", [(_X_DROP, _Y_STATE), (_X_UPDATE - _R, _Y_STATE)], ["update"],
           bold=True)
    c.wire("keep_node->sum_node", [(_X_UPDATE + _R, _Y_STATE), (_X_CAND - _R, _Y_STATE)],
           ["update"], bold=True)
    c.wire("sum_node->h", [(_X_CAND + _R, _Y_STATE), (_X_END, _Y_STATE)], mixed, bold=True)

    # The inputs: h_{t-1} drops from the state path and joins x_t on the wire of the gates.
    c.wire("h_prev_drop", [(_X_DROP, _Y_STATE), (_X_DROP, _Y_BUS), (_X_RESET, _Y_BUS)],
           head=False)
    c.wire("x_entry", [(_X_ENTRY, _Y_ENTRY), (_X_ENTRY, _Y_BUS)], head=False)
    c.wire("bus->update_gate", [(_X_UPDATE, _Y_BUS), (_X_UPDATE, gate_bottom)], ["update"])
    c.wire("bus->reset_gate", [(_X_RESET, _Y_BUS), (_X_RESET, gate_bottom)], ["reset"])

    # The candidate's chain: h_{t-1} -> W_hn . + b_hn -> (r_t *) -> tanh, or with the
    # product first. Its first wire crosses the wire of z_t, which clears a gap in it.
    lin = (x_lin - _LIN_W / 2, x_lin + _LIN_W / 2)
    node = (x_node - _R, x_node + _R)
    first, second = (lin, node) if after else (node, lin)
    operand = ["candidate", "reset"]  # the wire into the reset node is what it multiplies
    c.wire(f"h_prev->{'W_hn' if after else 'reset_node'}",
           [(_X_DROP, _Y_CHAIN), (first[0], _Y_CHAIN)], ["candidate"] if after else operand)
    c.wire("W_hn->reset_node" if after else "reset_node->W_hn",
           [(first[1], _Y_CHAIN), (second[0], _Y_CHAIN)], operand if after else ["candidate"])
    c.wire(f"{'reset_node' if after else 'W_hn'}->candidate",
           [(second[1], _Y_CHAIN), (_X_CAND - _GATE_W / 2, _Y_CHAIN)], ["candidate"])
    if after:
        # Out of the reset gate's side, along and up into the node from below.
        r_points = [(_X_RESET + _GATE_W / 2, _Y_GATE), (x_node, _Y_GATE),
                    (x_node, _Y_CHAIN - _R)]
    else:
        r_points = [(_X_RESET, gate_top), (x_node, _Y_CHAIN - _R)]
    c.wire("r->reset_node", r_points, ["reset"])
    c.wire("x->candidate", [(_X_ENTRY, _Y_XWIRE), (_X_CAND, _Y_XWIRE),
                            (_X_CAND, _Y_CHAIN - _GATE_H / 2)], ["candidate"])

    # The mixing: z_t onto the state path and into 1 - z_t, n_t into its product.
    c.wire("z->keep_node", [(_X_UPDATE, gate_top), (_X_UPDATE, _Y_STATE - _R)], ["update"],
           over=True, zorder=1.5)
    c.wire("z->one_minus_z", [(_X_UPDATE, _Y_MIX), (one_x - _ONE_W / 2, _Y_MIX)], ["update"],
           zorder=1.6)
    c.wire("one_minus_z->write_node", [(one_x + _ONE_W / 2, _Y_MIX), (_X_CAND - _R, _Y_MIX)],
           ["update"])
    c.wire("n->write_node", [(_X_CAND, _Y_CHAIN + _GATE_H / 2), (_X_CAND, _Y_MIX - _R)],
           ["candidate"])
    c.wire("write_node->sum_node", [(_X_CAND, _Y_MIX + _R), (_X_CAND, _Y_STATE - _R)], mixed)

    # The names of the vectors on the wires and where they enter and leave.
    on_wire = {"color": _LABEL_COLOR, "ha": "left"}
    c.label(_X_UPDATE + 0.1, (_Y_CHAIN + _Y_MIX) / 2, "$z_t$", ["update"], **on_wire)
    if after:
        c.label((_X_RESET + _GATE_W / 2 + x_node) / 2, _Y_GATE - 0.22, "$r_t$", ["reset"],
                **{**on_wire, "ha": "center"})
    else:
        c.label(_X_RESET + 0.1, (gate_top + _Y_CHAIN - _R) / 2, "$r_t$", ["reset"], **on_wire)
    c.label(_X_CAND + 0.1, (_Y_CHAIN + _GATE_H / 2 + _Y_MIX - _R) / 2, "$n_t$",
            ["candidate"], **on_wire)
    c.label(_X_START - 0.1, _Y_STATE, "$h_{t-1}$", fontsize=13, ha="right")
    c.label(_X_ENTRY, _Y_ENTRY - 0.1, "$x_t$", fontsize=13, va="top")
    c.label(_X_END + 0.1, _Y_STATE, "$h_t$", mixed, fontsize=13, ha="left")

    ax.set_xlim(_X_START - 0.95, _X_END + 0.6)
    ax.set_ylim(_Y_ENTRY - 0.55, _Y_STATE + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return c.d
