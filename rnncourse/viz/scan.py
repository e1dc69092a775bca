"""The parallel scan of a linear recurrence, drawn level by level (lesson 15)."""

from __future__ import annotations

import numpy as np

from ._base import EDGE_COLOR, HIDDEN_COLOR, MUTED_COLOR, OUTPUT_COLOR, Diagram, _arrow, _box, _check_int, _fit_limits

__all__ = ["draw_parallel_scan"]


def draw_parallel_scan(ax, T: int = 8) -> Diagram:
    """The Hillis-Steele scan of a linear recurrence over T steps, level by level.

    Row 0 holds the pairs (a_t, b_t); at level j every position t >= k = 2**(j-1) combines
    the pair k places earlier into its own, (earlier, own) -> scan_combine(earlier, own).
    After ceil(log2 T) levels position t holds the composition of steps 1..t, whose b is
    h_t (from h_0 = 0). Each arrow is one combine; the combines of a level are independent,
    so they can run at the same time.

    Returns the :class:`Diagram` (T boxes per level, one arrow per combine).
    """
    T = _check_int("T", T, 1)
    levels = max(1, int(np.ceil(np.log2(T)))) if T > 1 else 0
    diagram = Diagram()
    dy = 1.3
    for level in range(levels + 1):
        y = -level * dy
        k = 2 ** (level - 1) if level else 0
        for t in range(T):
            done = t < 2 ** level  # position t already holds steps 1..t+1
            color = OUTPUT_COLOR if done else HIDDEN_COLOR
            first = max(t + 2 - 2 ** level, 1)  # the earliest step composed into position t
            text = f"{first}..{t + 1}" if first < t + 1 else f"{t + 1}"
            _box(ax, diagram, t, y, text, color, width=0.8, height=0.5, fontsize=9)
            if level and t >= k:
                _arrow(ax, diagram, (t - k, y + dy - 0.27), (t - 0.05, y + 0.27), color=EDGE_COLOR)
            elif level:
                _arrow(ax, diagram, (t, y + dy - 0.27), (t, y + 0.27), color=MUTED_COLOR)
        diagram.labels.append(ax.text(-0.8, y, f"level {level}" if level else "pairs",
                                      ha="right", va="center", fontsize=9))
    _fit_limits(ax, left=-2.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return diagram
