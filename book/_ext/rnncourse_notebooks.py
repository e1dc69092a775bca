"""Sphinx extension: each lesson page offers the learner's notebook in its download menu.

The book's lessons are MyST Markdown notebooks. On every lesson page (docnames
``lessons/NN_topic``) this writes :func:`rnncourse.workcopy.learner_notebook` of the lesson to
``<outdir>/_notebooks/NN_topic.ipynb``, the same notebook ``rnncourse start`` writes, and
makes the ``.ipynb`` entry of sphinx-book-theme's download menu point to it (adding the entry
when the theme made none, as for text notebooks). It runs after the theme has built
``context["header_buttons"]`` (priority 501 in sphinx-book-theme 1.1 and 1.2). A lesson that
the transform cannot render completely gives a warning, which ``-W`` turns into an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
LESSON_DOCNAME = re.compile(r"^lessons/(\d\d_[\w-]+)$")
NOTEBOOK_FOLDER = "_notebooks"
#: After sphinx-book-theme's add_header_buttons (priority 501).
PRIORITY = 900


def _entry(url: str) -> dict:
    return {"type": "link", "url": url, "text": ".ipynb", "icon": "fas fa-code",
            "tooltip": "Download this lesson as a notebook to work in",
            "label": "download-notebook-button"}


def _is_notebook_entry(button) -> bool:
    return isinstance(button, dict) and (button.get("label") == "download-notebook-button"
                                         or button.get("text") == ".ipynb")


def _download_group(buttons):
    """The theme's "download" group of header buttons (a dict with a ``buttons`` list)."""
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("buttons"), list):
            continue
        if button.get("label") == "download-buttons" or any(
                isinstance(b, dict) and str(b.get("label", "")).startswith("download-")
                for b in button["buttons"]):
            return button
    return None


def point_download_to(context: dict, url: str) -> bool:
    """Make the ``.ipynb`` entry of the page's download menu point to ``url``.

    Parameters
    ----------
    context : dict
        The page's HTML context, with sphinx-book-theme's ``header_buttons``.
    url : str
        The notebook's URL, relative to the page.

    Returns
    -------
    bool
        True if the menu was changed; False if the page has no download menu (the theme's
        ``use_download_button`` is off, or another theme).
    """
    group = _download_group(context.get("header_buttons") or [])
    if group is None:
        return False
    buttons = group["buttons"]
    for k, button in enumerate(buttons):
        if _is_notebook_entry(button):
            buttons[k] = {**button, "url": url, "label": "download-notebook-button"}
            return True
    buttons.insert(0, _entry(url))
    return True


def add_learner_notebook(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` handler: write the lesson's notebook and link it."""
    match = LESSON_DOCNAME.match(pagename)
    if not match or getattr(app.builder, "format", "html") != "html":
        return
    from rnncourse.workcopy import learner_notebook, write_notebook

    source = Path(app.env.doc2path(pagename))
    problems = []
    nb = learner_notebook(source, problems=problems)
    for problem in problems:
        LOGGER.warning("learner notebook of %s: %s", pagename, problem, location=pagename)
    name = f"{match.group(1)}.ipynb"
    write_notebook(nb, Path(app.outdir) / NOTEBOOK_FOLDER / name, overwrite=True)
    point_download_to(context, context["pathto"](f"{NOTEBOOK_FOLDER}/{name}", 1))


def setup(app):
    app.connect("html-page-context", add_learner_notebook, priority=PRIORITY)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
