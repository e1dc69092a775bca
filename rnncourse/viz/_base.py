"""The shared pieces of the drawings: colours, :class:`Diagram`, boxes and arrows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["Diagram"]

# Colours of the three kinds of node, readable on a white page and in grey scale.
INPUT_COLOR = "#cfe2f3"
HIDDEN_COLOR = "#fce5cd"
OUTPUT_COLOR = "#d9ead3"
MODEL_COLOR = "#e6e0f0"
EDGE_COLOR = "#333333"
MUTED_COLOR = "#bbbbbb"


@dataclass
class Diagram:
    """The artists a drawing function added to its ``Axes``.

    Attributes
    ----------
    boxes : list of matplotlib.patches.FancyBboxPatch
        One per node (an input, a state, an output, a model).
    arrows : list of matplotlib.patches.FancyArrowPatch
        One per edge of the graph.
    labels : list of matplotlib.text.Text
        Every piece of text: the node names and the weight names on the edges.
    """

    boxes: list = field(default_factory=list)
    arrows: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    def texts(self) -> list[str]:
        """The strings of all labels, in drawing order."""
        return [label.get_text() for label in self.labels]


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _box(ax, diagram, cx, cy, text, color, width=0.9, height=0.6, dashed=False, fontsize=15,
         text_color="black"):
    """A rounded box centred at (cx, cy) with ``text`` inside."""
    patch = FancyBboxPatch(
        (cx - width / 2, cy - height / 2), width, height,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        facecolor=color, edgecolor=EDGE_COLOR if not dashed else "#777777",
        linewidth=1.2, linestyle="--" if dashed else "-", zorder=2,
    )
    ax.add_patch(patch)
    diagram.boxes.append(patch)
    diagram.labels.append(ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize,
                                  color=text_color, zorder=3))
    return patch


def _arrow(ax, diagram, start, end, label=None, label_offset=(0.0, 0.0), color=EDGE_COLOR,
           connectionstyle="arc3", fontsize=12, label_color="#7a2e00"):
    """An arrow from ``start`` to ``end`` (data coordinates), optionally labelled at its middle."""
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.3,
                            color=color, shrinkA=0, shrinkB=0, connectionstyle=connectionstyle,
                            zorder=1)
    ax.add_patch(arrow)
    diagram.arrows.append(arrow)
    if label is not None:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        diagram.labels.append(ax.text(mx, my, label, ha="center", va="center", fontsize=fontsize,
                                      color=label_color, zorder=3))
    return arrow


def _fit_limits(ax, left=None, margin=0.2):
    """Set the limits of ``ax`` to hold every box on it (and ``left``, when given)."""
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    x_low = min(p.get_x() for p in boxes) - margin
    x_high = max(p.get_x() + p.get_width() for p in boxes) + margin
    y_low = min(p.get_y() for p in boxes) - margin
    y_high = max(p.get_y() + p.get_height() for p in boxes) + margin
    if left is not None:
        x_low = min(x_low, left)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
