"""The LSTM cell diagram: what it draws, counted, and what each highlight greys out."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

GATE_NAMES = ["forget", "input", "candidate", "output"]




def _same(color_a, color_b) -> bool:
    to_rgba = matplotlib.colors.to_rgba
    return np.allclose(to_rgba(color_a), to_rgba(color_b))


def _gates(d):
    """The four gate boxes, in drawing order (forget, input, candidate, output)."""
    return d.boxes[:4]


def _drawn_points(arrow):
    """The points of an arrow's outline (line and head), in data coordinates."""
    path = arrow.get_path()
    if path.codes is None:
        return path.vertices
    return path.vertices[path.codes != matplotlib.path.Path.CLOSEPOLY]


def _by_text(d):
    return {label.get_text(): label for label in d.labels}


def test_draw_lstm_cell_counts_boxes_arrows_and_labels(ax):
    from rnncourse.viz.lstm import draw_lstm_cell

    d = draw_lstm_cell(ax)
    assert len(d.boxes) == 4 + 1 + 3 + 1  # gates, tanh(c_t), three products, one sum
    assert len(d.arrows) == 17
    assert len(d.labels) == 22
    assert len(ax.patches) == len(d.boxes) + len(d.arrows)
    assert len(ax.texts) == len(d.labels)
    # Everything lies inside the limits, which the axes keep square.
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    for box in d.boxes:
        assert x_low <= box.get_x() and box.get_x() + box.get_width() <= x_high
        assert y_low <= box.get_y() and box.get_y() + box.get_height() <= y_high
    assert ax.get_aspect() == 1.0
    assert not ax.axison


def test_draw_lstm_cell_labels_use_the_lesson_notation(ax):
    from rnncourse.viz.lstm import draw_lstm_cell

    texts = draw_lstm_cell(ax).texts()
    # Gate names and activations: sigma for the three gates, tanh for the candidate and c_t.
    for name in GATE_NAMES:
        assert texts.count(name) == 1
    assert texts.count(r"$\sigma$") == 3
    assert texts.count(r"$\tanh$") == 2
    assert texts.count(r"$\odot$") == 3
    assert texts.count("$+$") == 1
    for symbol in ["$f_t$", "$i_t$", "$g_t$", "$o_t$",
                   "$c_{t-1}$", "$h_{t-1}$", "$x_t$", "$c_t$", "$h_t$"]:
        assert texts.count(symbol) == 1, symbol
    # Each gate box holds its activation above its name.
    ax.clear()
    d = draw_lstm_cell(ax)
    for box, symbol, name in zip(_gates(d), d.labels[0:8:2], d.labels[1:8:2]):
        cx = box.get_x() + box.get_width() / 2
        assert symbol.get_position()[0] == pytest.approx(cx)
        assert name.get_position()[0] == pytest.approx(cx)
        assert symbol.get_position()[1] > name.get_position()[1]
    assert [label.get_text() for label in d.labels[1:8:2]] == GATE_NAMES


def test_draw_lstm_cell_draws_the_cell_state_path_in_bold(ax):
    from rnncourse.viz.lstm import draw_lstm_cell

    d = draw_lstm_cell(ax)
    widths = [arrow.get_linewidth() for arrow in d.arrows]
    assert min(widths[:3]) > 2 * max(widths[3:])
    # The bold path is one horizontal line, from c_{t-1} on the left to c_t on the right.
    points = np.concatenate([_drawn_points(arrow) for arrow in d.arrows[:3]])
    xs, ys = points.T
    assert ys.max() - ys.min() < 0.25  # the line and its arrow heads
    labels = _by_text(d)
    assert labels["$c_{t-1}$"].get_position()[0] < min(xs)
    assert labels["$c_t$"].get_position()[0] > max(xs)


def test_draw_lstm_cell_without_highlight_is_all_in_colour(ax):
    from rnncourse.viz import EDGE_COLOR, MODEL_COLOR, MUTED_COLOR
    from rnncourse.viz.lstm import draw_lstm_cell

    d = draw_lstm_cell(ax)
    assert all(_same(box.get_facecolor(), MODEL_COLOR) for box in _gates(d))
    assert all(_same(arrow.get_edgecolor(), EDGE_COLOR) for arrow in d.arrows)
    assert not any(_same(label.get_color(), MUTED_COLOR) for label in d.labels)
    # Naming every part is the same as naming none.
    e = draw_lstm_cell(ax, highlight=("forget", "input", "output", "cell"))
    assert [b.get_facecolor() for b in e.boxes] == [b.get_facecolor() for b in d.boxes]


@pytest.mark.parametrize("highlight, gates_on, products_on, sum_on, tanh_on, bold_on", [
    ("forget", [True, False, False, False], [True, False, False], False, False,
     [True, True, False]),
    ("input", [False, True, True, False], [False, True, False], True, False,
     [False, False, True]),
    ("output", [False, False, False, True], [False, False, True], False, True,
     [False, False, True]),
    ("cell", [False, False, False, False], [True, False, False], True, False,
     [True, True, True]),
    (("forget", "output"), [True, False, False, True], [True, False, True], False, True,
     [True, True, True]),
])
def test_draw_lstm_cell_highlight_greys_the_other_parts(ax, highlight, gates_on, products_on,
                                                       sum_on, tanh_on, bold_on):
    from rnncourse.viz import EDGE_COLOR, HIDDEN_COLOR, MODEL_COLOR, MUTED_COLOR
    from rnncourse.viz.lstm import draw_lstm_cell

    d = draw_lstm_cell(ax, highlight=highlight)
    assert len(d.boxes) == 9 and len(d.arrows) == 17 and len(d.labels) == 22

    def on(box, color):
        if _same(box.get_facecolor(), color):
            assert _same(box.get_edgecolor(), EDGE_COLOR)
            return True
        assert _same(box.get_facecolor(), "white")
        assert _same(box.get_edgecolor(), MUTED_COLOR)
        return False

    assert [on(box, MODEL_COLOR) for box in _gates(d)] == gates_on
    assert on(d.boxes[4], HIDDEN_COLOR) == tanh_on
    assert [on(box, HIDDEN_COLOR) for box in d.boxes[5:8]] == products_on
    assert on(d.boxes[8], HIDDEN_COLOR) == sum_on
    bold = [_same(arrow.get_edgecolor(), EDGE_COLOR) for arrow in d.arrows[:3]]
    assert bold == bold_on
    assert all(_same(arrow.get_edgecolor(), MUTED_COLOR) for arrow, lit in
               zip(d.arrows[:3], bold_on) if not lit)
    # The name of a gate is grey exactly when its box is.
    labels = _by_text(d)
    for name, lit in zip(GATE_NAMES, gates_on):
        assert _same(labels[name].get_color(), MUTED_COLOR) == (not lit)
    # The inputs, and the wire that joins them, feed every gate: never grey.
    for symbol in ["$x_t$", "$h_{t-1}$"]:
        assert not _same(labels[symbol].get_color(), MUTED_COLOR)
    input_wire, x_wire = d.arrows[11], d.arrows[16]
    assert _same(input_wire.get_edgecolor(), EDGE_COLOR)
    assert _same(x_wire.get_edgecolor(), EDGE_COLOR)
    # Of its four branches, the ones into lit gates are dark and the others grey.
    branches = [_same(arrow.get_edgecolor(), EDGE_COLOR) for arrow in d.arrows[12:16]]
    assert branches == gates_on


def test_draw_lstm_cell_highlight_accepts_a_list(ax):
    from rnncourse.viz.lstm import draw_lstm_cell

    a = draw_lstm_cell(ax, highlight=["input", "cell"])
    b = draw_lstm_cell(ax, highlight=("cell", "input"))
    assert [x.get_facecolor() for x in a.boxes] == [x.get_facecolor() for x in b.boxes]


@pytest.mark.parametrize("bad", ["gate", "Forget", "", (), ("forget", "hidden"), 3,
                                 ("forget", 1), {"forget": 1}.values()])
def test_draw_lstm_cell_rejects_a_bad_highlight(ax, bad):
    from rnncourse.viz.lstm import draw_lstm_cell

    with pytest.raises(ValueError) as info:
        draw_lstm_cell(ax, highlight=bad)
    message = str(info.value)
    assert message.startswith("highlight must be None")
    for part in ["'forget'", "'input'", "'output'", "'cell'"]:
        assert part in message
