"""Sphinx extension: one setting, ``repository: url:`` in ``_config.yml``, names the course's
public address everywhere the book states it.

Jupyter Book passes ``repository.url`` to the theme as ``html_theme_options["repository_url"]``.
When it is set, the header shows the repository button and the ``{{ repository }}``
substitution of the pages is a link to it. When it is empty (the course has no public address
in this build), the button stays off, so it never leads to a page that does not exist, and the
substitution says where the learner's files came from instead.
"""

from __future__ import annotations

#: Jupyter Book's own default, which is not this course's address.
JUPYTER_BOOK_DEFAULT = "https://github.com/executablebooks/jupyter-book"
UNKNOWN = "the copy of the course you cloned or unpacked (this build names no public address)"


def repository_url(theme_options: dict) -> str:
    """The course's repository address from the theme options, or ``""`` when not set."""
    url = str(theme_options.get("repository_url") or "").strip()
    return "" if url.rstrip("/") == JUPYTER_BOOK_DEFAULT else url


def _config_inited(app, config):
    options = dict(config.html_theme_options or {})
    url = repository_url(options)
    options["repository_url"] = url
    options["use_repository_button"] = bool(url)
    config.html_theme_options = options
    substitutions = dict(getattr(config, "myst_substitutions", None) or {})
    substitutions["repository"] = f"<{url}>" if url else UNKNOWN
    config.myst_substitutions = substitutions


def setup(app):
    app.connect("config-inited", _config_inited)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
