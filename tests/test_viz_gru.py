"""The GRU cell diagram: what it draws, where the reset gate acts, and what a highlight greys."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

PLACEMENTS = ["after", "before"]
# The boxes each part lights; the inputs of the cell are wires, always in colour.
LIT_BOXES = {
    "reset": {"reset_gate", "reset_node"},
    "update": {"update_gate", "keep_node", "one_minus_z", "write_node", "sum_node"},
    "candidate": {"candidate", "W_hn", "reset_node", "write_node", "sum_node"},
}
ALWAYS_LIT_ARROWS = {"state_in", "h_prev_drop", "x_entry"}
# The wires of the candidate's chain, which are all that the two placements draw differently.
CHAIN = {
    "after": {"h_prev->W_hn", "W_hn->reset_node", "reset_node->candidate"},
    "before": {"h_prev->reset_node", "reset_node->W_hn", "W_hn->candidate"},
}
# Where an arrow starts and ends, when that is a box: the names in the gids of the wires.
BOX_OF_END = {"z": "update_gate", "r": "reset_gate", "n": "candidate"}




@pytest.fixture
def two_axes():
    """Two axes of the same size, to draw the two placements side by side."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = [plt.figure(figsize=(6, 3.5)) for _ in range(2)]
    yield [fig.add_subplot() for fig in figs]
    for fig in figs:
        plt.close(fig)


def _draw(ax, **kwargs):
    from rnncourse.viz.gru import draw_gru_cell

    return draw_gru_cell(ax, **kwargs)


def _same(color_a, color_b) -> bool:
    to_rgba = matplotlib.colors.to_rgba
    return np.allclose(to_rgba(color_a), to_rgba(color_b))


def _named(artists) -> dict:
    return {artist.get_gid(): artist for artist in artists}


def _centre(box):
    return np.array([box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2])


def _lines(arrow):
    """The polylines an arrow draws (its wire, then its head), in data coordinates."""
    return arrow.get_path().to_polygons(closed_only=False)


def _same_path(arrow_a, arrow_b) -> bool:
    a, b = arrow_a.get_path().vertices, arrow_b.get_path().vertices
    return a.shape == b.shape and np.allclose(a, b)


def _distance_to_outline(point, box) -> float:
    """How far ``point`` lies from the outline of ``box`` (negative: inside it)."""
    if box.get_boxstyle().__class__.__name__ == "Circle":
        return float(np.hypot(*(point - _centre(box))) - box.get_width() / 2)
    half = np.array([box.get_width(), box.get_height()]) / 2
    offset = np.abs(point - _centre(box)) - half
    if (offset < 0).all():
        return float(offset.max())
    return float(np.hypot(*np.clip(offset, 0, None)))


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_draw_gru_cell_counts_boxes_arrows_and_labels(ax, reset):
    d = _draw(ax, reset=reset)
    assert len(d.boxes) == 3 + 1 + 4 + 1  # three gates, W_hn, three products and 1 - z, a sum
    assert len(d.arrows) == 18
    assert len(d.labels) == 18
    assert len(ax.patches) == len(d.boxes) + len(d.arrows)
    assert len(ax.texts) == len(d.labels)
    assert [box.get_gid() for box in d.boxes] == [
        "update_gate", "reset_gate", "candidate", "W_hn", "reset_node", "keep_node",
        "one_minus_z", "write_node", "sum_node"]
    assert len({arrow.get_gid() for arrow in d.arrows}) == 18
    texts = d.texts()
    assert texts.count(r"$\sigma$") == 2 and texts.count(r"$\odot$") == 3
    for text in [r"$\tanh$", "update", "reset", "candidate", r"$W_{hn}\,\cdot + b_{hn}$",
                 "$1 - z_t$", "$+$", "$z_t$", "$r_t$", "$n_t$", "$h_{t-1}$", "$x_t$", "$h_t$"]:
        assert texts.count(text) == 1, text
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    for box in d.boxes:
        assert x_low <= box.get_x() and box.get_x() + box.get_width() <= x_high
        assert y_low <= box.get_y() and box.get_y() + box.get_height() <= y_high
    assert ax.get_aspect() == 1.0 and not ax.axison


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_the_state_path_runs_bold_from_h_prev_to_h_through_the_z_product(ax, reset):
    d = _draw(ax, reset=reset)
    boxes, arrows = _named(d.boxes), _named(d.arrows)
    path = ["state_in", "h_prev->keep_node", "keep_node->sum_node", "sum_node->h"]
    bold = [arrow.get_gid() for arrow in d.arrows if arrow.get_linewidth() > 2]
    assert bold == path
    y = _centre(boxes["keep_node"])[1]
    assert _centre(boxes["sum_node"])[1] == pytest.approx(y)
    ends = [_lines(arrows[gid])[0][[0, -1]] for gid in path]
    assert all(np.allclose(points[:, 1], y) for points in ends)
    for (_, end), (start, _) in zip(ends, ends[1:]):
        assert end[0] <= start[0]  # left to right, one stretch after the other
    labels = {label.get_text(): label.get_position() for label in d.labels}
    assert labels["$h_{t-1}$"][0] < ends[0][0][0] and labels["$h_t$"][0] > ends[-1][1][0]


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_every_arrow_joins_what_its_name_says_and_passes_through_no_box(ax, reset):
    d = _draw(ax, reset=reset)
    boxes = _named(d.boxes)
    for arrow in d.arrows:
        gid = arrow.get_gid()
        wire = _lines(arrow)[0]
        for a, b in zip(wire, wire[1:]):
            for point in np.linspace(a, b, 50):
                for name, box in boxes.items():
                    assert _distance_to_outline(point, box) > -0.02, (gid, name)
        if "->" not in gid:
            continue
        source, target = gid.split("->")
        source = BOX_OF_END.get(source, source)
        if gid == "z->one_minus_z":
            # A branch of the wire of z_t, from a point on it.
            z_wire = _lines(_named(d.arrows)["z->keep_node"])[0]
            assert z_wire[0][0] == pytest.approx(wire[0][0])
            assert z_wire[0][1] < wire[0][1] < z_wire[-1][1]
        elif source in boxes:
            assert abs(_distance_to_outline(wire[0], boxes[source])) < 0.03, gid
        if target in boxes:
            # The tip of the head sits on the box (matplotlib pulls the drawn tip back by
            # a fraction of the line width, so that the stroke ends there).
            tip = min(abs(_distance_to_outline(p, boxes[target])) for p in _lines(arrow)[-1])
            assert tip < 0.1, gid


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_the_reset_node_sits_where_the_placement_puts_it(ax, reset):
    d = _draw(ax, reset=reset)
    boxes, arrows = _named(d.boxes), _named(d.arrows)
    node, linear = _centre(boxes["reset_node"]), _centre(boxes["W_hn"])
    candidate = _centre(boxes["candidate"])
    assert node[1] == pytest.approx(linear[1]) == pytest.approx(candidate[1])  # one chain
    if reset == "after":
        assert linear[0] < node[0] < candidate[0]  # r_t multiplies W_hn h_{t-1} + b_hn
    else:
        assert node[0] < linear[0] < candidate[0]  # r_t multiplies h_{t-1}
    assert CHAIN[reset] <= set(arrows)
    assert not CHAIN["before" if reset == "after" else "after"] & set(arrows)
    # r_t comes up into the node from below, out of the reset gate.
    r_wire = _lines(arrows["r->reset_node"])[0]
    assert r_wire[-1][0] == pytest.approx(node[0])
    assert r_wire[-1][1] < node[1] and r_wire[-2][0] == pytest.approx(node[0])
    assert _distance_to_outline(r_wire[0], boxes["reset_gate"]) == pytest.approx(0, abs=0.03)


def test_the_two_placements_differ_in_the_chain_and_nowhere_else(two_axes):
    after = _draw(two_axes[0], reset="after")
    before = _draw(two_axes[1], reset="before")
    boxes_a, boxes_b = _named(after.boxes), _named(before.boxes)
    assert list(boxes_a) == list(boxes_b)
    moved = {name for name in boxes_a
             if not np.allclose(_centre(boxes_a[name]), _centre(boxes_b[name]))}
    assert moved == {"reset_node", "W_hn"}
    # The two swap their places along the chain: the first slot and the second.
    slots = sorted(_centre(boxes_a[name])[0] for name in moved)
    assert sorted(_centre(boxes_b[name])[0] for name in moved) == pytest.approx(slots)
    assert _centre(boxes_a["W_hn"])[0] == pytest.approx(_centre(boxes_b["reset_node"])[0])
    arrows_a, arrows_b = _named(after.arrows), _named(before.arrows)
    assert set(arrows_a) ^ set(arrows_b) == CHAIN["after"] | CHAIN["before"]
    changed = {gid for gid in set(arrows_a) & set(arrows_b)
               if not _same_path(arrows_a[gid], arrows_b[gid])}
    assert changed == {"r->reset_node"}
    # Both draw the same texts; only the label r_t moves with the wire it names.
    assert sorted(after.texts()) == sorted(before.texts())
    moved_labels = {a.get_text() for a, b in zip(after.labels, before.labels)
                    if a.get_position() != b.get_position()}
    assert moved_labels == {r"$W_{hn}\,\cdot + b_{hn}$", r"$\odot$", "$r_t$"}


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_the_wire_of_h_prev_into_the_chain_is_the_only_crossing(ax, reset):
    """It crosses the wire of z_t, which clears a gap in it (a white stroke under it)."""
    d = _draw(ax, reset=reset)
    arrows = _named(d.arrows)
    feed = _lines(arrows[f"h_prev->{'W_hn' if reset == 'after' else 'reset_node'}"])[0]
    z_wire = _lines(arrows["z->keep_node"])[0]
    x_cross = z_wire[0][0]
    assert feed[0][0] < x_cross < feed[-1][0]
    assert z_wire[0][1] < feed[0][1] < z_wire[-1][1]
    assert arrows["z->keep_node"].get_path_effects()
    assert arrows["z->keep_node"].get_zorder() > max(
        arrow.get_zorder() for gid, arrow in arrows.items() if not gid.startswith("z->"))


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_no_text_overlaps_or_leaves_its_box_at_the_lesson_size(ax, reset):
    d = _draw(ax, reset=reset)
    ax.figure.canvas.draw()  # applies the equal aspect, which sets where things land
    renderer = ax.figure.canvas.get_renderer()
    extents = [(label.get_text(), label.get_window_extent(renderer)) for label in d.labels]
    for (text_a, a), (text_b, b) in itertools.combinations(extents, 2):
        assert not a.overlaps(b), (text_a, text_b)
    for box in d.boxes:
        outline = box.get_window_extent(renderer)
        inside = [text for text, e in extents if e.overlaps(outline)]
        assert inside, box.get_gid()
        for text, e in extents:
            if e.overlaps(outline):
                assert outline.x0 <= e.x0 and e.x1 <= outline.x1, (box.get_gid(), text)
                assert outline.y0 <= e.y0 and e.y1 <= outline.y1, (box.get_gid(), text)


@pytest.mark.parametrize("reset", PLACEMENTS)
@pytest.mark.parametrize("highlight", [None, "reset", "update", "candidate",
                                       ("reset", "update"), ["candidate", "reset"]])
def test_highlight_lights_its_parts_and_greys_the_rest(two_axes, reset, highlight):
    from rnncourse.viz import EDGE_COLOR, MUTED_COLOR

    plain = _draw(two_axes[0], reset=reset)
    d = _draw(two_axes[1], reset=reset, highlight=highlight)
    parts = {"reset", "update", "candidate"} if highlight is None else (
        {highlight} if isinstance(highlight, str) else set(highlight))
    lit = set().union(*(LIT_BOXES[part] for part in parts))
    for box, colour in zip(d.boxes, plain.boxes):
        if box.get_gid() in lit:
            assert _same(box.get_facecolor(), colour.get_facecolor()), box.get_gid()
            assert _same(box.get_edgecolor(), EDGE_COLOR)
        else:
            assert _same(box.get_facecolor(), "white"), box.get_gid()
            assert _same(box.get_edgecolor(), MUTED_COLOR)
    lit_arrows = {arrow.get_gid() for arrow in d.arrows
                  if _same(arrow.get_edgecolor(), EDGE_COLOR)}
    grey_arrows = {arrow.get_gid() for arrow in d.arrows
                   if _same(arrow.get_edgecolor(), MUTED_COLOR)}
    assert lit_arrows | grey_arrows == {arrow.get_gid() for arrow in d.arrows}
    assert ALWAYS_LIT_ARROWS <= lit_arrows
    if highlight is None:
        assert not grey_arrows
        assert not any(_same(label.get_color(), MUTED_COLOR) for label in d.labels)
    grey_texts = {label.get_text() for label in d.labels if _same(label.get_color(), MUTED_COLOR)}
    assert not grey_texts & {"$h_{t-1}$", "$x_t$"}  # the inputs stay in colour
    for part, name, symbol in [("reset", "reset", "$r_t$"), ("update", "update", "$z_t$"),
                               ("candidate", "candidate", "$n_t$")]:
        assert (name in grey_texts) == (part not in parts)
        assert (symbol in grey_texts) == (part not in parts)


@pytest.mark.parametrize("reset", PLACEMENTS)
def test_highlight_reset_lights_the_gate_its_node_and_what_the_node_multiplies(ax, reset):
    d = _draw(ax, reset=reset, highlight="reset")
    from rnncourse.viz import EDGE_COLOR

    lit = {arrow.get_gid() for arrow in d.arrows if _same(arrow.get_edgecolor(), EDGE_COLOR)}
    operand = "W_hn->reset_node" if reset == "after" else "h_prev->reset_node"
    assert lit == ALWAYS_LIT_ARROWS | {"bus->reset_gate", "r->reset_node", operand}


def test_highlight_update_lights_the_whole_state_path(ax):
    from rnncourse.viz import EDGE_COLOR

    d = _draw(ax, highlight="update")
    bold = [arrow for arrow in d.arrows if arrow.get_linewidth() > 2]
    assert len(bold) == 4 and all(_same(a.get_edgecolor(), EDGE_COLOR) for a in bold)


@pytest.mark.parametrize("reset", ["middle", "After", True, None, 1])
def test_a_bad_reset_raises_and_names_the_allowed_values(ax, reset):
    with pytest.raises(ValueError, match="reset must be 'after' or 'before'"):
        _draw(ax, reset=reset)


@pytest.mark.parametrize("highlight", ["forget", "Reset", "", (), ("reset", "cell"), 3,
                                       {"reset"}, ("reset", None)])
def test_a_bad_highlight_raises_and_names_the_allowed_values(ax, highlight):
    with pytest.raises(ValueError, match="'reset', 'update', 'candidate'"):
        _draw(ax, highlight=highlight)
