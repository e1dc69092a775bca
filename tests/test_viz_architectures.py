"""Tests of the task-shape and stacked bidirectional drawings, and of the ``h_n`` slot order
they show, checked against ``torch.nn.GRU``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

LESSONS_DIR = Path(__file__).resolve().parents[1] / "lessons"




def _ends(arrow):
    """The start and end of an arrow, in data coordinates."""
    (x0, y0), (x1, y1) = arrow._posA_posB
    return np.array([x0, y0]), np.array([x1, y1])


def _inside_limits(ax, boxes):
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    return all(x_low <= b.get_x() and b.get_x() + b.get_width() <= x_high
               and y_low <= b.get_y() and b.get_y() + b.get_height() <= y_high for b in boxes)


# --- the task shapes -------------------------------------------------------------------------

@pytest.mark.parametrize("T", [2, 3, 5])
@pytest.mark.parametrize("shape, n_boxes, n_arrows", [
    ("one-to-many", lambda T: 2 * T + 1, lambda T: 3 * T - 1),
    ("many-to-one", lambda T: 2 * T + 1, lambda T: 2 * T),
    ("many-to-many", lambda T: 3 * T, lambda T: 3 * T - 1),
    ("seq2seq", lambda T: 2 * T + 2 * (T - 1), lambda T: 2 * T + 3 * (T - 1) - 2),
])
def test_draw_task_shape_counts_nodes_and_edges(ax, shape, n_boxes, n_arrows, T):
    from rnncourse.viz.architectures import TASK_SHAPES, draw_task_shape

    d = draw_task_shape(ax, shape, T=T)
    assert len(d.boxes) == n_boxes(T)
    assert len(d.arrows) == n_arrows(T)
    assert len(ax.patches) == len(d.boxes) + len(d.arrows)
    assert _inside_limits(ax, d.boxes)
    # The title names the shape and its example task, and is the last label.
    example, _ = TASK_SHAPES[shape]
    assert d.labels[-1] is ax.title
    assert example in ax.get_title()
    name = {"one-to-many": "one to many", "many-to-one": "many to one",
            "many-to-many": "many to many (aligned)", "seq2seq": "sequence to sequence"}
    assert ax.get_title().splitlines() == [name[shape], example]


@pytest.mark.parametrize("T", [2, 4])
def test_draw_task_shape_puts_inputs_and_outputs_where_the_shape_says(ax, T):
    import matplotlib.pyplot as plt

    from rnncourse.viz.architectures import draw_task_shape

    def names(shape, letter):
        ax = plt.figure().add_subplot()
        texts = draw_task_shape(ax, shape, T=T).texts()
        plt.close(ax.figure)
        return [text for text in texts if text.startswith(f"${letter}_")]

    steps = [f"{{{t}}}" for t in range(1, T + 1)]
    assert names("one-to-many", "x") == ["$x_{1}$"]
    assert names("one-to-many", "y") == [f"$y_{s}$" for s in steps]
    assert names("many-to-one", "x") == [f"$x_{s}$" for s in steps]
    assert names("many-to-one", "y") == [f"$y_{{{T}}}$"]  # one answer, after the last step
    assert names("many-to-many", "x") == [f"$x_{s}$" for s in steps]
    assert names("many-to-many", "y") == [f"$y_{s}$" for s in steps]
    assert names("many-to-many", "h") == [f"$h_{s}$" for s in steps]


def test_draw_task_shape_feeds_generated_outputs_back_dashed(ax):
    from rnncourse.viz.architectures import draw_task_shape

    d = draw_task_shape(ax, "one-to-many", T=4)
    dashed = [a for a in d.arrows if a.get_linestyle() == "--"]
    assert len(dashed) == 3  # y_1 -> h_2, y_2 -> h_3, y_3 -> h_4
    for arrow in dashed:
        start, end = _ends(arrow)
        assert end[0] > start[0] and end[1] < start[1]  # to the next step, down to its state


def test_draw_task_shape_seq2seq_has_an_encoder_and_a_decoder_of_another_length(ax):
    from rnncourse.viz.architectures import draw_task_shape

    d = draw_task_shape(ax, "seq2seq", T=4, T_out=6)
    texts = d.texts()
    assert len(d.boxes) == 2 * 4 + 2 * 6
    assert len(d.arrows) == 2 * 4 + 3 * 6 - 2
    assert {"encoder", "decoder"} <= set(texts)
    assert [t for t in texts if t.startswith("$x_")] == [f"$x_{{{t}}}$" for t in range(1, 5)]
    assert [t for t in texts if t.startswith("$y_")] == [f"$y_{{{t}}}$" for t in range(1, 7)]
    assert [t for t in texts if t.startswith("$h'_")] == [f"$h'_{{{t}}}$" for t in range(1, 7)]
    # The decoder starts right of the encoder's last state.
    boxes = dict(zip(texts, d.boxes))
    assert boxes["$h'_{1}$"].get_x() > boxes["$h_{4}$"].get_x()
    assert sum(a.get_linestyle() == "--" for a in d.arrows) == 6 - 1
    assert _inside_limits(ax, d.boxes)


def test_draw_task_shape_rejects_bad_arguments(ax):
    from rnncourse.viz.architectures import draw_task_shape

    allowed = "'one-to-many', 'many-to-one', 'many-to-many', 'seq2seq'"
    with pytest.raises(ValueError, match=f"shape must be one of {allowed}, got 'one-to-one'"):
        draw_task_shape(ax, "one-to-one")
    with pytest.raises(ValueError, match="T must be at least 2, got 1"):
        draw_task_shape(ax, "many-to-one", T=1)
    with pytest.raises(TypeError, match="T must be an integer"):
        draw_task_shape(ax, "many-to-one", T=2.0)
    with pytest.raises(ValueError, match="T_out applies to 'seq2seq' only"):
        draw_task_shape(ax, "many-to-many", T_out=2)
    with pytest.raises(ValueError, match="T_out must be at least 1, got 0"):
        draw_task_shape(ax, "seq2seq", T_out=0)


def test_task_shapes_point_to_lessons_that_exist():
    import rnncourse
    from rnncourse.viz.architectures import TASK_SHAPES

    assert list(TASK_SHAPES) == ["one-to-many", "many-to-one", "many-to-many", "seq2seq"]
    stems = {stem for stem, _ in rnncourse.LESSONS}
    for shape, (example, stem) in TASK_SHAPES.items():
        assert example and stem in stems, shape
        assert (LESSONS_DIR / f"{stem}.md").is_file(), stem


# --- the stacked bidirectional RNN ---------------------------------------------------------

def _birnn_parts(d, T, num_layers):
    """The boxes of each layer's forward and backward states, [layer][step], and the slots."""
    forward = [[d.boxes[T + 3 * (layer * T + k)] for k in range(T)]
               for layer in range(num_layers)]
    backward = [[d.boxes[T + 3 * (layer * T + k) + 1] for k in range(T)]
                for layer in range(num_layers)]
    slots = {label.get_text(): label for label in d.labels
             if label.get_text().startswith("h_n[")}
    return forward, backward, slots


def _centre(box):
    return np.array([box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2])


@pytest.mark.parametrize("T, num_layers", [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_draw_stacked_birnn_counts_nodes_edges_and_slots(ax, T, num_layers):
    from rnncourse.viz.architectures import draw_stacked_birnn

    d = draw_stacked_birnn(ax, T=T, num_layers=num_layers)
    assert len(d.boxes) == T + 3 * num_layers * T
    assert len(d.arrows) == num_layers * (6 * T - 2)
    assert len(ax.patches) == len(d.boxes) + len(d.arrows)
    assert _inside_limits(ax, d.boxes)
    texts = d.texts()
    n = len(d.boxes)
    slots = [f"h_n[{i}]" for i in range(2 * num_layers)]
    rows = ["input"] + [f"layer {layer}" for layer in range(num_layers)] + ["output"]
    assert texts[n:] == slots + rows
    # The boxes' texts: the inputs, then forward, backward and concatenation, step by step.
    assert texts[:T] == [f"$x_{{{t}}}$" for t in range(1, T + 1)]
    for layer in range(num_layers):
        for k in range(T):
            i = T + 3 * (layer * T + k)
            assert texts[i:i + 3] == [f"$\\overrightarrow{{h}}_{{{k + 1}}}$",
                                      f"$\\overleftarrow{{h}}_{{{k + 1}}}$",
                                      r"$[\rightarrow;\leftarrow]$"]
    # Only the top layer's concatenations are outputs (coloured); those below are white.
    from rnncourse.viz import OUTPUT_COLOR

    concats = [d.boxes[T + 3 * i + 2] for i in range(num_layers * T)]
    coloured = [np.allclose(b.get_facecolor(), matplotlib.colors.to_rgba(OUTPUT_COLOR))
                for b in concats]
    assert coloured == [False] * (num_layers - 1) * T + [True] * T


@pytest.mark.parametrize("first_step", [0, 1])
def test_draw_stacked_birnn_labels_the_final_states_at_the_right_ends(ax, first_step):
    from rnncourse.viz.architectures import draw_stacked_birnn

    T, num_layers = 3, 2
    d = draw_stacked_birnn(ax, T=T, num_layers=num_layers, first_step=first_step)
    forward, backward, slots = _birnn_parts(d, T, num_layers)
    assert sorted(slots) == ["h_n[0]", "h_n[1]", "h_n[2]", "h_n[3]"]
    last, first = first_step + T - 1, first_step
    for layer in range(num_layers):
        # h_n[2 l]: the forward direction ends at the last step, right of its box there.
        box = forward[layer][-1]
        assert d.texts()[d.boxes.index(box)] == f"$\\overrightarrow{{h}}_{{{last}}}$"
        x, y = slots[f"h_n[{2 * layer}]"].get_position()
        assert np.isclose(y, _centre(box)[1])
        assert x > max(b.get_x() + b.get_width() for b in forward[layer])
        assert slots[f"h_n[{2 * layer}]"].get_horizontalalignment() == "left"
        # h_n[2 l + 1]: the backward direction ends at the FIRST step, left of its box there.
        box = backward[layer][0]
        assert d.texts()[d.boxes.index(box)] == f"$\\overleftarrow{{h}}_{{{first}}}$"
        x, y = slots[f"h_n[{2 * layer + 1}]"].get_position()
        assert np.isclose(y, _centre(box)[1])
        assert x < min(b.get_x() for b in backward[layer])
        assert slots[f"h_n[{2 * layer + 1}]"].get_horizontalalignment() == "right"
    # Layer 1 sits above layer 0.
    assert _centre(forward[1][0])[1] > _centre(backward[0][0])[1]


def test_draw_stacked_birnn_arrows_run_forwards_backwards_and_up(ax):
    from rnncourse.viz.architectures import draw_stacked_birnn

    T, num_layers = 3, 2
    d = draw_stacked_birnn(ax, T=T, num_layers=num_layers)
    forward, backward, _ = _birnn_parts(d, T, num_layers)
    ends = [_ends(arrow) for arrow in d.arrows]
    flat = [(s, e) for s, e in ends if np.isclose(s[1], e[1])]
    for layer in range(num_layers):
        y_f, y_b = _centre(forward[layer][0])[1], _centre(backward[layer][0])[1]
        right = [(s, e) for s, e in flat if np.isclose(s[1], y_f)]
        left = [(s, e) for s, e in flat if np.isclose(s[1], y_b)]
        assert len(right) == len(left) == T - 1
        assert all(e[0] > s[0] for s, e in right)  # forward: left to right
        assert all(e[0] < s[0] for s, e in left)  # backward: right to left
    assert len(flat) == num_layers * 2 * (T - 1)
    # Every other arrow goes up: from the inputs or the concatenation below into both
    # directions, and from both directions into their concatenation.
    assert all(e[1] > s[1] for s, e in ends if not np.isclose(s[1], e[1]))
    # Layer 1 reads the concatenation of layer 0: two arrows leave each white box.
    for k in range(T):
        concat = d.boxes[T + 3 * k + 2]
        top = concat.get_y() + concat.get_height()
        leaving = [s for s, _ in ends
                   if np.isclose(s[1], top) and concat.get_x() <= s[0]
                   <= concat.get_x() + concat.get_width()]
        assert len(leaving) == 2


def test_draw_stacked_birnn_rejects_bad_arguments(ax):
    from rnncourse.viz.architectures import draw_stacked_birnn

    with pytest.raises(ValueError, match="T must be at least 1, got 0"):
        draw_stacked_birnn(ax, T=0)
    with pytest.raises(ValueError, match="num_layers must be at least 1, got 0"):
        draw_stacked_birnn(ax, num_layers=0)
    with pytest.raises(ValueError, match="first_step must be 0 or 1, got 2"):
        draw_stacked_birnn(ax, first_step=2)
    with pytest.raises(TypeError, match="num_layers must be an integer"):
        draw_stacked_birnn(ax, num_layers="2")


def test_h_n_slot_order_of_a_stacked_bidirectional_gru_is_what_the_drawing_says():
    torch = pytest.importorskip("torch")

    T, B, D, H = 5, 3, 4, 6
    torch.manual_seed(0)
    gru = torch.nn.GRU(D, H, num_layers=2, bidirectional=True).double()
    x = torch.randn(T, B, D, dtype=torch.float64)
    output, h_n = gru(x)
    assert output.shape == (T, B, 2 * H)  # [forward ; backward] of the top layer
    assert h_n.shape == (2 * 2, B, H)  # slot = 2 * layer + direction
    # The top layer (1): forward ends at the last step, backward at the first.
    assert torch.equal(h_n[2], output[-1, :, :H])
    assert torch.equal(h_n[3], output[0, :, H:])
    assert not torch.allclose(h_n[3], output[-1, :, H:])
    # Layer 0, run on its own with the _l0 weights, gives h_n[0] and h_n[1] the same way,
    # and layer 1 reads the concatenation of its two directions.
    weights = gru.state_dict()
    lower = torch.nn.GRU(D, H, bidirectional=True).double()
    upper = torch.nn.GRU(2 * H, H, bidirectional=True).double()
    lower.load_state_dict({k: v for k, v in weights.items() if "_l0" in k})
    upper.load_state_dict({k.replace("_l1", "_l0"): v for k, v in weights.items()
                           if "_l1" in k})
    out_lower, h_lower = lower(x)  # (T, B, 2H), (2, B, H)
    assert torch.allclose(h_n[0], out_lower[-1, :, :H], rtol=0, atol=1e-12)
    assert torch.allclose(h_n[1], out_lower[0, :, H:], rtol=0, atol=1e-12)
    out_upper, h_upper = upper(out_lower)
    assert torch.allclose(output, out_upper, rtol=0, atol=1e-12)
    assert torch.allclose(h_n, torch.cat([h_lower, h_upper]), rtol=0, atol=1e-12)
    # The same slots, viewed as (num_layers, directions, B, H).
    assert torch.equal(h_n.view(2, 2, B, H)[1, 1], h_n[3])
