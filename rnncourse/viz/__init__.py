"""Drawing helpers for the lessons: computational graphs and sequences, with matplotlib only.

Every function draws on an ``Axes`` it is given and returns a :class:`Diagram` that lists the
artists it added (boxes, arrows, text labels), so that a test can count them. None of them
chooses a backend or shows a figure; the caller does that.

This module imports matplotlib, so :mod:`rnncourse` never imports it: lessons import it
explicitly (``from rnncourse.viz import draw_unrolled_rnn``).

Modules: ``sequences`` (the unrolled RNN, windows, token strips, hidden states), ``bptt``
(the backward pass on the unrolled graph), ``architectures`` (task shapes, a stacked
bidirectional RNN), ``lstm`` and ``gru`` (the gated cells) and ``scan`` (the parallel scan); ``_base``
holds the colours, :class:`Diagram` and the boxes and arrows they share.
"""

from ._base import (EDGE_COLOR, HIDDEN_COLOR, INPUT_COLOR, MODEL_COLOR, MUTED_COLOR,  # noqa: F401
                    OUTPUT_COLOR, Diagram)
from .architectures import TASK_SHAPES, draw_stacked_birnn, draw_task_shape
from .bptt import draw_bptt_backward
from .gru import GRU_PARTS, GRU_RESET_PLACEMENTS, draw_gru_cell
from .lstm import LSTM_PARTS, draw_lstm_cell
from .scan import draw_parallel_scan
from .sequences import draw_fixed_window, draw_token_strip, draw_unrolled_rnn, plot_hidden_states

__all__ = [
    "Diagram",
    "draw_unrolled_rnn",
    "draw_fixed_window",
    "draw_token_strip",
    "plot_hidden_states",
    "draw_parallel_scan",
    "draw_bptt_backward",
    "TASK_SHAPES",
    "draw_task_shape",
    "draw_stacked_birnn",
    "LSTM_PARTS",
    "draw_lstm_cell",
    "GRU_PARTS",
    "GRU_RESET_PLACEMENTS",
    "draw_gru_cell",
]
