"""The drawing of the BPTT backward pass: its nodes, its arrows both ways, the routes, the cut."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")




def _backward(d):
    """The backward arrows: those in the backward colour."""
    from rnncourse.viz.bptt import BACKWARD_COLOR

    red = matplotlib.colors.to_rgb(BACKWARD_COLOR)
    return [a for a in d.arrows if np.allclose(a.get_edgecolor()[:3], red)]


def _shading(ax):
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


def _column(d, step):
    """The x of the centre of column ``step`` (0 for h_0), read off the box of h_step."""
    box = d.boxes[3 * step - 1 if step else 0]
    return box.get_x() + box.get_width() / 2


def _dashed(arrow):
    return arrow.get_linestyle() not in ("-", "solid")


@pytest.mark.parametrize("T", [1, 2, 5, 8])
def test_counts_nodes_and_arrows_both_ways(ax, T):
    from rnncourse.viz import MUTED_COLOR
    from rnncourse.viz.bptt import draw_bptt_backward

    d = draw_bptt_backward(ax, T=T)
    assert len(d.boxes) == 3 * T + 1  # x_t, h_t, l_t per step, and h_0
    assert len(d.arrows) == 5 * T
    assert len(ax.patches) == len(d.boxes) + len(d.arrows)  # and no shading
    backward = _backward(d)
    assert len(backward) == 2 * T  # from l_t into h_t, and from h_t into h_{t-1}
    assert backward == d.arrows[3 * T:]
    grey = matplotlib.colors.to_rgb(MUTED_COLOR)
    for arrow in d.arrows[:3 * T]:
        assert np.allclose(arrow.get_edgecolor()[:3], grey)
    for arrow in backward:
        assert arrow.get_linewidth() > d.arrows[0].get_linewidth()  # bold
        assert not _dashed(arrow)
    texts = d.texts()
    assert len(texts) == 3 * T + 1
    assert "$h_0$" in texts
    for t in range(1, T + 1):
        for name in ("x", "h", "\\ell"):
            assert f"${name}_{{{t}}}$" in texts
    assert not _shading(ax)


def test_backward_arrows_run_right_to_left_and_down(ax):
    from rnncourse.viz.bptt import draw_bptt_backward

    T = 4
    d = draw_bptt_backward(ax, T=T)
    backward = _backward(d)
    for k, step in enumerate(range(T, 0, -1)):
        down, back = backward[2 * k], backward[2 * k + 1]
        (x0, y0), (x1, y1) = down._posA_posB
        assert x0 == x1 and y0 > y1  # from l_t down into h_t
        (x0, y0), (x1, y1) = back._posA_posB
        assert y0 == y1 and x0 > x1  # from h_t back into h_{t-1}
        assert _column(d, step - 1) < x1 < x0 < _column(d, step)  # from column t to t - 1


@pytest.mark.parametrize("T, t", [(5, 3), (5, 1), (2, 1), (6, 4)])
def test_labels_the_two_routes_into_h_t(ax, T, t):
    from rnncourse.viz.bptt import draw_bptt_backward

    d = draw_bptt_backward(ax, T=T, t=t)
    texts = d.texts()
    assert texts[3 * T + 1:] == [f"$\\partial \\ell_{{{t}}} / \\partial h_{{{t}}}$",
                                 f"$W_{{hh}}^\\top \\delta_{{{t + 1}}}$"]
    backward = _backward(d)
    widths = [a.get_linewidth() for a in backward]
    into_t = [backward[2 * (T - t)], backward[2 * (T - t - 1) + 1]]  # from l_t and h_{t+1}
    assert [a.get_linewidth() for a in into_t] == [max(widths)] * 2
    assert sum(w == max(widths) for w in widths) == 2  # the two routes stand out
    assert all(a.get_alpha() == 1.0 for a in into_t)
    assert all(a.get_alpha() < 1.0 for a in backward if a not in into_t)


@pytest.mark.parametrize("T", [1, 4])
def test_the_last_step_has_one_route(ax, T):
    from rnncourse.viz.bptt import draw_bptt_backward

    d = draw_bptt_backward(ax, T=T, t=T)
    assert d.texts()[3 * T + 1:] == [f"$\\partial \\ell_{{{T}}} / \\partial h_{{{T}}}$"]
    widths = [a.get_linewidth() for a in _backward(d)]
    assert widths.count(max(widths)) == 1


@pytest.mark.parametrize("T, chunk, cut", [(5, (2, 4), [5, 2]), (5, (1, 3), [4]),
                                           (5, (3, 5), [3]), (5, (1, 5), []),
                                           (1, (1, 1), []), (6, (4, 4), [5, 4])])
def test_chunk_is_shaded_and_its_boundaries_cut(ax, T, chunk, cut):
    from rnncourse.viz.bptt import draw_bptt_backward

    d = draw_bptt_backward(ax, T=T, chunk=chunk)
    start, stop = chunk
    assert len(d.boxes) == 3 * T + 1 and len(d.arrows) == 5 * T
    (shade,) = _shading(ax)
    left, right = shade.get_x(), shade.get_x() + shade.get_width()
    half = d.boxes[0].get_width() / 2
    assert left < _column(d, start) - half  # the boxes of the chunk lie inside
    assert right > _column(d, stop) + half
    assert left > _column(d, start - 1) + half  # the neighbours' boxes do not
    if stop < T:
        assert right < _column(d, stop + 1) - half
    x_low, x_high = ax.get_xlim()
    assert x_low <= left and right <= x_high
    texts = d.texts()
    assert f"truncation chunk, $K = {stop - start + 1}$" in texts
    assert texts.count("×") == len(cut)
    backward = _backward(d)
    into = {T - k: backward[2 * k + 1] for k in range(T)}  # step -> its arrow into h_{step-1}
    assert sorted(step for step, arrow in into.items() if _dashed(arrow)) == sorted(cut)
    assert not any(_dashed(arrow) for arrow in backward[::2])  # the losses still reach h_t
    if stop < T:
        assert stop + 1 in cut  # the arrow entering the chunk from the right is cut


def test_chunk_and_t_together(ax):
    from rnncourse.viz.bptt import draw_bptt_backward

    d = draw_bptt_backward(ax, T=5, t=3, chunk=(1, 3))
    texts = d.texts()[16:]
    assert texts == ["$\\partial \\ell_{3} / \\partial h_{3}$", "$W_{hh}^\\top \\delta_{4}$",
                     "truncation chunk, $K = 3$", "×"]
    assert len(_shading(ax)) == 1


def test_rejects_bad_arguments(ax):
    from rnncourse.viz.bptt import draw_bptt_backward

    with pytest.raises(ValueError, match="T must be at least 1, got 0"):
        draw_bptt_backward(ax, T=0)
    with pytest.raises(TypeError, match="T must be an integer"):
        draw_bptt_backward(ax, T=2.5)
    with pytest.raises(ValueError, match=r"t must lie in \[1, T\] = \[1, 5\], got 6"):
        draw_bptt_backward(ax, T=5, t=6)
    with pytest.raises(ValueError, match=r"t must lie in \[1, T\] = \[1, 5\], got 0"):
        draw_bptt_backward(ax, T=5, t=0)
    with pytest.raises(TypeError, match="t must be an integer"):
        draw_bptt_backward(ax, T=5, t="3")
    with pytest.raises(ValueError, match=r"chunk must satisfy 1 <= start <= stop <= T = 5"):
        draw_bptt_backward(ax, T=5, chunk=(0, 3))
    with pytest.raises(ValueError, match=r"chunk must satisfy 1 <= start <= stop <= T = 5"):
        draw_bptt_backward(ax, T=5, chunk=(2, 6))
    with pytest.raises(ValueError, match=r"chunk must satisfy 1 <= start <= stop <= T = 5"):
        draw_bptt_backward(ax, T=5, chunk=(4, 2))
    with pytest.raises(ValueError, match=r"chunk must be a pair \(start, stop\)"):
        draw_bptt_backward(ax, T=5, chunk=3)
    with pytest.raises(ValueError, match=r"chunk must be a pair \(start, stop\)"):
        draw_bptt_backward(ax, T=5, chunk=(1, 2, 3))
    with pytest.raises(TypeError, match="chunk must hold integer steps"):
        draw_bptt_backward(ax, T=5, chunk=(1.0, 2))
    assert not ax.patches  # nothing drawn before the arguments are checked
