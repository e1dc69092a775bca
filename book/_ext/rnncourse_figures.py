"""Sphinx extension: a figure's image gets its caption's first sentence as alt text.

myst-nb writes a notebook figure as an image without alt text, and Sphinx's HTML writer then
uses the image's file path, which is what a screen reader would read out. After each
document is resolved, every image inside a figure whose alt text is missing or a path gets
the first sentence of the figure's caption (formulas as their source text) instead. The whole
caption stays below the image.
"""

from __future__ import annotations

import re

from docutils import nodes

PATH_LIKE = re.compile(r"\.(png|jpe?g|gif|svg)$|_images/|^$", re.IGNORECASE)
FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(\s|$)", re.DOTALL)


def caption_alt(caption_text: str) -> str:
    """The first sentence of ``caption_text``, on one line (the whole text if it has none)."""
    text = " ".join(caption_text.split())
    match = FIRST_SENTENCE.match(text)
    return match.group(1) if match else text


def _set_alt(app, doctree, docname):
    for figure in doctree.findall(nodes.figure):
        captions = list(figure.findall(nodes.caption))
        if not captions:
            continue
        alt = caption_alt(captions[0].astext())
        for image in figure.findall(nodes.image):
            current = str(image.get("alt", ""))
            if PATH_LIKE.search(current) or current == image.get("uri", ""):
                image["alt"] = alt


def setup(app):
    app.connect("doctree-resolved", _set_alt)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
