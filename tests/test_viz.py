"""Smoke tests of the drawing helpers: each draws what it says, counted artist by artist."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")




@pytest.mark.parametrize("T", [1, 2, 4, 7])
def test_draw_unrolled_rnn_counts_nodes_and_edges(ax, T):
    from rnncourse.viz import draw_unrolled_rnn

    d = draw_unrolled_rnn(ax, T=T, folded=False)
    assert len(d.boxes) == 3 * T + 1  # x_t, h_t, y_t per step, and h_0
    assert len(d.arrows) == 3 * T  # W_xh, W_hh (from h_{t-1}), W_hy per step
    assert len(ax.patches) == len(d.boxes) + len(d.arrows)
    texts = d.texts()
    # The same three weights label every step: one set of weights shared across time.
    assert texts.count("$W_{xh}$") == T
    assert texts.count("$W_{hh}$") == T
    assert texts.count("$W_{hy}$") == T
    for t in range(1, T + 1):
        for name in ("x", "h", "y"):
            assert f"${name}_{{{t}}}$" in texts
    assert "$h_0$" in texts


def test_draw_unrolled_rnn_folded_adds_one_cell_with_a_loop(ax):
    from rnncourse.viz import draw_unrolled_rnn

    d = draw_unrolled_rnn(ax, T=3, folded=True)
    assert len(d.boxes) == 3 * 3 + 1 + 3
    assert len(d.arrows) == 3 * 3 + 3
    assert {"$x_t$", "$h_t$", "$y_t$", "="} <= set(d.texts())
    # Everything drawn lies inside the axes limits.
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    for box in d.boxes:
        assert x_low <= box.get_x() and box.get_x() + box.get_width() <= x_high
        assert y_low <= box.get_y() and box.get_y() + box.get_height() <= y_high


def test_draw_unrolled_rnn_options_remove_parts(ax):
    from rnncourse.viz import draw_unrolled_rnn

    d = draw_unrolled_rnn(ax, T=4, folded=False, show_outputs=False, show_h0=False,
                          weight_labels=False, step_names=("1", "2", "t", "T"))
    assert len(d.boxes) == 2 * 4
    assert len(d.arrows) == 4 + 3  # no arrow into h_1 without h_0
    assert not any(text.startswith("$W") for text in d.texts())
    assert "$h_{t}$" in d.texts() and "$x_{T}$" in d.texts()


def test_draw_unrolled_rnn_rejects_bad_arguments(ax):
    from rnncourse.viz import draw_unrolled_rnn

    with pytest.raises(ValueError, match="T must be at least 1"):
        draw_unrolled_rnn(ax, T=0)
    with pytest.raises(TypeError, match="T must be an integer"):
        draw_unrolled_rnn(ax, T=2.5)
    with pytest.raises(ValueError, match="step_names must have T = 3"):
        draw_unrolled_rnn(ax, T=3, step_names=("a", "b"))


@pytest.mark.parametrize("T, window, t", [(12, 4, None), (6, 6, None), (10, 3, 5), (2, 1, 1)])
def test_draw_fixed_window_greys_out_what_it_cannot_see(ax, T, window, t):
    from rnncourse.viz import INPUT_COLOR, draw_fixed_window

    d = draw_fixed_window(ax, T=T, window=window, t=t)
    last = T if t is None else t
    assert len(d.boxes) == T + 2  # the inputs, the model, the prediction
    assert len(d.arrows) == window + 1
    inputs = d.boxes[:T]
    seen = [i + 1 for i, box in enumerate(inputs)
            if np.allclose(box.get_facecolor(), matplotlib.colors.to_rgba(INPUT_COLOR))]
    assert seen == list(range(last - window + 1, last + 1))
    assert f"MLP on {window} steps" in d.texts()
    assert ("out of sight" in d.texts()) == (last > window)


def test_draw_fixed_window_rejects_a_window_longer_than_the_sequence(ax):
    from rnncourse.viz import draw_fixed_window

    with pytest.raises(ValueError, match="window must be at most T = 5"):
        draw_fixed_window(ax, T=5, window=6)
    with pytest.raises(ValueError, match="t must lie in"):
        draw_fixed_window(ax, T=5, window=2, t=7)


def test_draw_token_strip_one_box_per_token_and_colours(ax):
    from rnncourse.viz import draw_token_strip

    palette = {"A": "#ff0000", "C": "#00ff00"}
    d = draw_token_strip(ax, "ACCA T", palette, label="DNA")
    assert len(d.boxes) == 6 and not d.arrows
    assert d.texts() == ["A", "C", "C", "A", "␣", "T", "DNA"]
    assert np.allclose(d.boxes[0].get_facecolor(), matplotlib.colors.to_rgba("#ff0000"))
    assert np.allclose(d.boxes[1].get_facecolor(), matplotlib.colors.to_rgba("#00ff00"))
    # A second strip on the same axes widens the limits to hold both.
    draw_token_strip(ax, list(range(10)), y=-1.5)
    assert ax.get_xlim()[1] >= 10 and ax.get_ylim()[0] <= -1.5 - 0.4
    with pytest.raises(ValueError, match="tokens must not be empty"):
        draw_token_strip(ax, "")
    with pytest.raises(ValueError, match="one entry per token"):
        draw_token_strip(ax, "abc", ["red"])


def test_plot_hidden_states_shows_units_as_rows(ax):
    from rnncourse.viz import plot_hidden_states

    h = np.tanh(np.random.default_rng(0).normal(size=(9, 3)))  # (T, H)
    image = plot_hidden_states(ax, h, inputs=np.arange(9) % 2, group=3, colorbar=False)
    assert image.get_array().shape == (3, 9)
    assert np.allclose(image.get_array(), h.T)
    assert image.get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.texts] == [str(v) for v in np.arange(9) % 2]
    assert [line.get_xdata()[0] for line in ax.lines] == [2.5, 5.5]  # between the groups
    with pytest.raises(ValueError, match=r"shape \(T, H\)"):
        plot_hidden_states(ax, h[:, :, None])
    with pytest.raises(ValueError, match="inputs must have T = 9"):
        plot_hidden_states(ax, h, inputs=np.zeros(4))


def test_viz_is_not_imported_by_the_package():
    code = "import sys, rnncourse, rnncourse.data; print('rnncourse.viz' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("T, levels", [(1, 0), (2, 1), (5, 3), (8, 3), (9, 4)])
def test_draw_parallel_scan_draws_one_arrow_per_position_per_level(ax, T, levels):
    from rnncourse.viz import draw_parallel_scan

    d = draw_parallel_scan(ax, T)
    assert len(d.boxes) == T * (levels + 1)
    assert len(d.arrows) == T * levels
    last = d.texts()[-(T + 1):-1]  # the last level's boxes, before its row label
    assert last == ["1"] + [f"1..{t}" for t in range(2, T + 1)]


def test_draw_parallel_scan_rejects_a_bad_length(ax):
    from rnncourse.viz import draw_parallel_scan

    with pytest.raises(ValueError, match="T"):
        draw_parallel_scan(ax, 0)
