"""book/_ext/rnncourse_figures.py: a figure's image is described by its caption."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

nodes = pytest.importorskip("docutils.nodes")

EXT = Path(__file__).resolve().parent.parent / "book" / "_ext" / "rnncourse_figures.py"


@pytest.fixture(scope="module")
def ext():
    spec = importlib.util.spec_from_file_location("rnncourse_figures", EXT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _figure(alt, uri="_images/abc.png", caption="The loss falls. Then it flattens."):
    image = nodes.image(uri=uri, **({"alt": alt} if alt is not None else {}))
    figure = nodes.figure("", image, nodes.caption(text=caption))
    return nodes.section("", figure), image


def test_caption_alt_is_the_first_sentence_on_one_line(ext):
    assert ext.caption_alt("The norm of\n  dh/dh_t. More text.") == "The norm of dh/dh_t."
    assert ext.caption_alt("No full stop here") == "No full stop here"


@pytest.mark.parametrize("alt", [None, "", "_images/abc.png", "figure.png"])
def test_path_like_or_missing_alt_becomes_the_caption(ext, alt):
    tree, image = _figure(alt)
    ext._set_alt(None, tree, "lessons/01")
    assert image["alt"] == "The loss falls."


def test_an_alt_text_written_by_hand_is_kept(ext):
    tree, image = _figure("A hand-written description")
    ext._set_alt(None, tree, "lessons/01")
    assert image["alt"] == "A hand-written description"
