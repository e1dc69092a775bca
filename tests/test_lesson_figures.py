"""Every figure a lesson makes is captioned and referenced in the lesson's text with {numref},
and every {numref} in a lesson points at a label that exists.

A lesson's figures are its code cells whose metadata holds ``mystnb: figure: name:`` (MyST-NB
numbers them and shows the caption), and any ``{figure}`` directive with a ``:name:`` in its
Markdown. The lessons are read with jupytext, as Jupyter Book reads them; nothing is executed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("*.md"))

# {numref}`fig-x` or {numref}`Figure %s <fig-x>`
NUMREF = re.compile(r"\{numref\}`([^`]+)`")
# a {figure} directive, fenced with backticks or colons, up to its closing fence
FIGURE_DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{figure\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                              re.MULTILINE | re.DOTALL)
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
# labels other than figures: (label)= targets, and :label: / :name: options (equations, ...)
OTHER_LABEL = re.compile(r"^\((?P<target>[^)\s]+)\)=[ \t]*$|^:(?:label|name):[ \t]*(?P<option>\S+)",
                         re.MULTILINE)


def _numref_target(text: str) -> str:
    """The label of a {numref} role: `fig-x` or `Figure %s <fig-x>`."""
    explicit = re.search(r"<([^<>]+)>\s*$", text)
    return (explicit.group(1) if explicit else text).strip()


@lru_cache(maxsize=None)
def _lesson(path: Path):
    return jupytext.read(path)


@lru_cache(maxsize=None)
def _figures(path: Path) -> tuple[tuple[str, str], ...]:
    """(name, caption) of every figure of a lesson, in order; caption '' where there is none."""
    found = []
    for cell in _lesson(path).cells:
        if cell.cell_type == "code":
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            if figure.get("name"):
                found.append((str(figure["name"]), str(figure.get("caption") or "").strip()))
        elif cell.cell_type == "markdown":
            for match in FIGURE_DIRECTIVE.finditer(cell.source):
                options, caption = {}, []
                for line in match.group("body").splitlines():
                    option = OPTION.match(line.strip())
                    if option and not caption:
                        options[option.group("key")] = option.group("value").strip()
                    elif line.strip():
                        caption.append(line.strip())
                if options.get("name"):
                    found.append((options["name"], " ".join(caption)))
    return tuple(found)


@lru_cache(maxsize=None)
def _numrefs(path: Path) -> tuple[str, ...]:
    """The targets of every {numref} in the lesson's text (its Markdown cells)."""
    return tuple(_numref_target(m.group(1))
                 for cell in _lesson(path).cells if cell.cell_type == "markdown"
                 for m in NUMREF.finditer(cell.source))


def _ids(paths):
    return [p.stem for p in paths]


def test_the_lessons_are_found():
    assert len(LESSONS) >= 15
    assert sum(len(_figures(p)) for p in LESSONS) > 0


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_lesson_figure_is_referenced_in_its_text(path):
    referenced = set(_numrefs(path))
    missing = [name for name, _ in _figures(path) if name not in referenced]
    assert not missing, (f"{path.name}: figures never referenced with {{numref}} in the text: "
                         f"{missing}")


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_lesson_figure_has_a_caption(path):
    figures = _figures(path)
    uncaptioned = [name for name, caption in figures if not caption]
    assert not uncaptioned, f"{path.name}: figures without a caption: {uncaptioned}"
    names = [name for name, _ in figures]
    assert all(name.startswith("fig-") for name in names), names
    assert len(names) == len(set(names)), f"{path.name}: a figure name is used twice: {names}"


def test_figure_names_are_unique_across_lessons():
    """Labels are global to the book: two lessons with one name would break {numref}."""
    owner: dict[str, str] = {}
    clashes = []
    for path in LESSONS:
        for name, _ in _figures(path):
            if name in owner:
                clashes.append((name, owner[name], path.name))
            owner[name] = path.name
    assert not clashes, clashes


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_numref_target_exists(path):
    """A fig- target is a figure of this lesson or, for a cross-lesson reference, of another;
    any other target is a label defined in some lesson."""
    figures = {name for lesson in LESSONS for name, _ in _figures(lesson)}
    others = {m.group("target") or m.group("option")
              for lesson in LESSONS for m in OTHER_LABEL.finditer(lesson.read_text(encoding="utf-8"))}
    dangling = [target for target in _numrefs(path)
                if target not in figures and (target.startswith("fig-") or target not in others)]
    assert not dangling, f"{path.name}: {{numref}} targets with no such label: {dangling}"


def test_numref_target_parsing():
    assert _numref_target("fig-roll") == "fig-roll"
    assert _numref_target("Figure %s <fig-roll>") == "fig-roll"
    assert _numref_target(" fig-roll ") == "fig-roll"
