"""book/_ext/rnncourse_repository.py: one setting names the course's address, or none."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

EXT = Path(__file__).resolve().parent.parent / "book" / "_ext" / "rnncourse_repository.py"


@pytest.fixture(scope="module")
def ext():
    spec = importlib.util.spec_from_file_location("rnncourse_repository", EXT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("given", ["", None, "https://github.com/executablebooks/jupyter-book",
                                   "https://github.com/executablebooks/jupyter-book/"])
def test_repository_url_unset_or_jupyter_books_default_is_none(ext, given):
    assert ext.repository_url({"repository_url": given}) == ""


def test_config_inited_without_address_hides_the_button(ext):
    config = SimpleNamespace(html_theme_options={"use_repository_button": True},
                             myst_substitutions={"other": "x"})
    ext._config_inited(None, config)
    assert config.html_theme_options["use_repository_button"] is False
    assert config.myst_substitutions["repository"] == ext.UNKNOWN
    assert config.myst_substitutions["other"] == "x"


def test_config_inited_with_address_shows_and_links_it(ext):
    url = "https://example.org/rnncourse"
    config = SimpleNamespace(html_theme_options={"repository_url": url}, myst_substitutions={})
    ext._config_inited(None, config)
    assert config.html_theme_options["use_repository_button"] is True
    assert config.myst_substitutions["repository"] == f"<{url}>"


def test_config_yml_names_no_address_by_default():
    text = (EXT.parents[2] / "_config.yml").read_text()
    assert 'url: ""' in text and "rnncourse_repository: book/_ext" in text
