"""The learner's own copy of the lessons (``rnncourse start`` / ``reset``, issue 19): the
transform of each lesson into a plain notebook, its numbering against the book's, the included
code against Sphinx's reader, the working folder, the command line and the book extension."""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import rnncourse
import rnncourse.workcopy as wc
from rnncourse import LESSONS

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("jupytext")

REPO = Path(__file__).resolve().parent.parent
LESSONS_DIR = REPO / "lessons"
STEMS = [stem for stem, _ in LESSONS]
FORBIDDEN = ("{doc}", "{numref}", "{eq}", "{cite", "{literalinclude}", "solution-start",
             "exercise-start", "{ref}")
LITERALINCLUDE = re.compile(r"^(`{3,})\{literalinclude\}[ \t]*([^\n]*)\n(.*?)^\1[ \t]*$",
                            re.M | re.S)
SOLUTION_START = re.compile(r"^`{3,}\{solution-start\}\s*(\S+)", re.M)


@pytest.fixture(autouse=True)
def _isolation(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def copies():
    """Every lesson transformed once, strictly (any problem raises)."""
    return {stem: wc.learner_notebook(LESSONS_DIR / f"{stem}.md", strict=True) for stem in STEMS}


def _markdown(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


# ------------------------------------------------------------------------------ locations
def test_course_dir_is_the_checkouts_lessons():
    assert wc.course_dir() == LESSONS_DIR
    assert wc.bibliography_path() == REPO / "book" / "references.bib"


def test_course_dir_missing_raises_clearly(monkeypatch, tmp_path):
    fake = tmp_path / "site" / "rnncourse"
    fake.mkdir(parents=True)
    monkeypatch.setattr(rnncourse, "__file__", str(fake / "__init__.py"))
    with pytest.raises(FileNotFoundError, match="cannot find the lessons"):
        wc.course_dir()


def test_default_dir_inside_and_outside_a_checkout(tmp_path):
    assert wc.default_dir(REPO / "lessons") == REPO / "work"
    assert wc.default_dir(REPO) == REPO / "work"
    assert wc.default_dir(tmp_path) == tmp_path / "rnncourse-lessons"


@pytest.mark.parametrize("name", [3, "3", "03", "03_bptt", "03_bptt.ipynb", "03_bptt.md",
                                  "work/03_bptt.ipynb", "bptt"])
def test_lesson_stem_accepts_every_form(name):
    assert wc.lesson_stem(name) == "03_bptt"


@pytest.mark.parametrize("name", ["16", "0", "03_bpt", "lstm_gru", ""])
def test_lesson_stem_unknown_names_the_valid_ones(name):
    with pytest.raises(ValueError, match="unknown lesson") as info:
        wc.lesson_stem(name)
    assert "01_sequences" in str(info.value) and "15_outlook" in str(info.value)


def test_toc_numbers_are_the_lesson_prefixes():
    for stem in STEMS:
        assert wc._chapter(LESSONS_DIR / f"{stem}.md") == str(int(stem[:2]))


# ------------------------------------------------------------------ the 15 real lessons
@pytest.mark.parametrize("stem", STEMS)
def test_learner_notebook_transforms_lesson(stem, copies):
    nb, source = copies[stem], (LESSONS_DIR / f"{stem}.md").read_text(encoding="utf-8")
    md_lines = source.splitlines()
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    for marker in FORBIDDEN:
        assert marker not in text, f"{stem}: {marker} left in the copy"
    # a plain notebook, unexecuted, not paired with a text file
    assert "jupytext" not in nb.metadata and nb.metadata.kernelspec.name == "python3"
    assert nb.nbformat == 4 and nb.nbformat_minor == 5
    # the first cell says what the copy is
    header = nb.cells[0].source
    number = stem[:2]
    assert nb.cells[0].cell_type == "markdown"
    for part in (f"lesson {number}", dict(LESSONS)[stem], rnncourse.__version__,
                 f"rnncourse reset {number}", f"rnncourse check {stem}.ipynb"):
        assert part in header
    # every code cell, in order, with the line of its fence in the .md
    import jupytext

    original = [c.source for c in jupytext.read(str(LESSONS_DIR / f"{stem}.md")).cells
                if c.cell_type == "code"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == original
    lines = [c.metadata["rnncourse"]["md_line"] for c in code]
    assert lines == sorted(lines) and len(set(lines)) == len(lines)
    for cell in code:
        assert cell.metadata["rnncourse"]["lesson"] == stem
        fence = md_lines[cell.metadata["rnncourse"]["md_line"] - 1]
        assert re.match(r"^`{3,}\{code-cell\}", fence)
        assert cell.outputs == [] and cell.execution_count is None
    markdown = _markdown(nb)
    # each solution is one line naming the exercise's id, in order
    import rnncourse.exercises as ex

    solutions = re.findall(r"^\*\*Solution\.\*\* Run `ex\.(\w+)\.solution\(\)` in a new cell "
                           r"to see the reference, or `ex\.\1\.hint\(\)` for a hint first\.$",
                           markdown, re.M)
    assert len(solutions) == len(SOLUTION_START.findall(source))
    for eid in solutions:
        assert eid in ex.EXERCISES and ex.EXERCISES[eid].lesson == stem
    # exercises: bold headings numbered in order
    n = int(stem[:2])
    headings = re.findall(r"^\*\*Exercise (\d+)\.(\d+)\*\*", markdown, re.M)
    assert headings == [(str(n), str(k)) for k in range(1, len(headings) + 1)]
    assert len(headings) == source.count("{exercise-start}")
    # figures: a caption cell after each, numbered in order
    captions = re.findall(r"^\*Fig\. (\d+)\.(\d+)\.\* ", markdown, re.M)
    assert captions == [(str(n), str(k)) for k in range(1, source.count("\n    name: fig-") + 1)]
    # labelled equations carry their number
    tags = re.findall(r"\\tag\{(\d+)\.(\d+)\}", markdown)
    assert tags == [(str(n), str(k)) for k in range(1, len(tags) + 1)]
    assert len(tags) == len(re.findall(r"```\{math\}\n:label:", source))


def test_learner_notebook_numbers_match_the_built_book(copies):
    """Where the book has been built, its figure and equation numbers are the copy's."""
    built = REPO / "book" / "_build" / "html" / "lessons"
    if not built.is_dir():
        pytest.skip("the book is not built here (make book)")
    for stem in STEMS:
        page = built / f"{stem}.html"
        if not page.is_file():
            continue
        html = page.read_text(encoding="utf-8")
        book_figs = re.findall(r'<span class="caption-number">Fig\. (\d+\.\d+) ', html)
        copy_figs = re.findall(r"^\*Fig\. (\d+\.\d+)\.\* ", _markdown(copies[stem]), re.M)
        assert copy_figs == book_figs, stem
        book_eqs = re.findall(r'<span class="eqno">\((\d+\.\d+)\)', html)
        copy_eqs = re.findall(r"\\tag\{(\d+\.\d+)\}", _markdown(copies[stem]))
        assert copy_eqs == book_eqs, stem


def test_learner_notebook_renders_references_and_citations(copies):
    nb1, nb4 = (" ".join(_markdown(copies[s]).split())
                for s in ("01_sequences", "04_vanishing_gradients"))
    assert "the notation page of the book" in nb1
    assert "(Bengio et al. 1994; Pascanu et al. 2013)" in nb4
    assert "Hochreiter and Schmidhuber (1997)" in nb4
    assert "[Backpropagation through time](03_bptt.ipynb)" in nb4
    assert "*notation page* in the book" in " ".join(_markdown(copies["05_lstm"]).split())
    assert "`segment_and_classify()`" in _markdown(copies["13_images_as_sequences"])
    assert "An exercise at the end of the lesson" in nb1


# -------------------------------------------------------------------- literalinclude
def _sphinx_reader():
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    from myst_parser.parsers.directives import parse_directive_text
    from sphinx.directives.code import LiteralInclude, LiteralIncludeReader

    def read(argument, block, base):
        options = parse_directive_text(LiteralInclude, argument, block).options
        config = SimpleNamespace(source_encoding="utf-8-sig")
        return LiteralIncludeReader(str(base / argument), options, config).read()[0]

    return read


def _includes():
    for stem in STEMS:
        text = (LESSONS_DIR / f"{stem}.md").read_text(encoding="utf-8")
        for m in LITERALINCLUDE.finditer(text):
            yield stem, m.group(2).strip(), m.group(3), text[: m.start()]


def test_literal_include_matches_sphinx_for_every_lesson(copies):
    read = _sphinx_reader()
    found = list(_includes())
    assert len(found) >= 50
    for stem, argument, block, before in found:
        expected = read(argument, block, LESSONS_DIR)
        options, _, _ = wc._split_options(block.splitlines())
        assert wc.literal_include(argument, options, LESSONS_DIR) == expected, (stem, argument)
        # outside the solutions, the copy shows it as a fenced block
        if before.count("{solution-start}") == before.count("{solution-end}"):
            assert "\n" + expected.rstrip("\n") + "\n```" in _markdown(copies[stem]), argument


SAMPLE = '''"""A module."""

import functools


def plain(x):
    """Doc."""
    return x + 1


@functools.lru_cache
@staticmethod
def decorated(y):
    if y:
        return 1
    # a trailing comment

    return 2
    # another


class Model:
    """A class."""

    scale = 2

    def forward(self, x):
        out = x * self.scale
        return out

    @property
    def size(self):
        return 3


if True:
    def in_if():
        pass
'''


@pytest.mark.parametrize("options", [
    {"pyobject": "plain"},
    {"pyobject": "decorated"},
    {"pyobject": "Model"},
    {"pyobject": "Model.forward"},
    {"pyobject": "Model.size"},
    {"pyobject": "in_if"},
    {"pyobject": "Model.forward", "dedent": "4"},
    {"pyobject": "Model.forward", "dedent": ""},
    {"pyobject": "Model.forward", "start-at": "out =", "prepend": "def forward(x):"},
    {"pyobject": "decorated", "start-after": "if y:", "end-before": "# a trailing"},
    {"start-at": "class Model", "end-at": "scale = 2"},
    {"lines": "1,3-4,20-"},
    {"lines": "-3", "append": "# end"},
    {"end-before": "A module"},
], ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_literal_include_matches_sphinx_on_a_sample(tmp_path, options):
    pytest.importorskip("sphinx")
    from sphinx.directives.code import LiteralIncludeReader

    path = tmp_path / "sample.py"
    path.write_text(SAMPLE)
    config = SimpleNamespace(source_encoding="utf-8-sig")
    sphinx_options = {k: (int(v) if k == "dedent" and v else None if k == "dedent" else v)
                      for k, v in options.items()}
    try:
        expected = LiteralIncludeReader(str(path), sphinx_options, config).read()[0]
    except ValueError:
        with pytest.raises(ValueError):
            wc.literal_include("sample.py", options, tmp_path)
        return
    assert wc.literal_include("sample.py", options, tmp_path) == expected


def test_literal_include_maps_the_package_path_onto_the_installed_package(tmp_path):
    text = wc.literal_include("../rnncourse/__init__.py", {"lines": "1"}, tmp_path / "lessons")
    assert text == (Path(rnncourse.__file__).read_text().splitlines(True)[0])
    with pytest.raises(ValueError, match="not found"):
        wc.literal_include("../rnncourse/__init__.py", {"pyobject": "nothing"}, tmp_path)


# --------------------------------------------------------------- a synthetic lesson
BIB = r"""
@article{smith2001,
  author = {Smith, John and Doe, Jane},
  title  = {A {RNN} paper},
  year   = {2001}
}
@misc{many2020,
  author = {Ann Many and Bo {\"O}ther and Cy Third},
  year   = 2020,
}
@book{vonx1999,
  author = {Ludwig van Beethoven},
  year = {1999}
}
@misc{crowd2023,
  author = {Peng, Bo and others},
  year = {2023}
}
@misc{org2024,
  author = {{Qwen Team}},
  year = {2024}
}
@comment{ignored @misc{no, author = {X}} }
"""

FRONT = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

SYNTHETIC = FRONT + """
# A synthetic lesson

See {numref}`fig-a`, {numref}`Figure %s <fig-b>`, {numref}`fig-c`, equations {eq}`eq-a` and
{eq}`eq-b`, {ref}`ex-one-hot`, {ref}`the second exercise <ex-make-windows>`,
{doc}`08_other`, {doc}`another lesson <08_other>`, the {doc}`../book/setup` page,
{numref}`fig-other` and {eq}`eq-other`. After {cite}`smith2001`, {cite:t}`many2020`,
{cite:p}`vonx1999,crowd2023` and {cite:t}`org2024`; `{eq}` in code stays.

```{math}
:label: eq-a
a = b
```

```{code-cell} ipython3
---
mystnb:
  figure:
    caption: First figure, see {eq}`eq-b`.
    name: fig-a
---
x = 1
```

$$
c = d
$$ (eq-b)

```{figure} picture.png
:name: fig-b

The second figure.
```

```{code-cell} ipython3
---
mystnb:
  figure:
    caption: Third figure.
    name: fig-c
---
y = 2
```

```{exercise-start} One-hot
:label: ex-one-hot
```

Write it.

```{code-cell} ipython3
ex.one_hot.check(None)
```

```{exercise-end}
```

````{solution-start} ex-one-hot
:class: dropdown
````

A spoiler in the solution.

```{code-cell} ipython3
spoiler = True
```

Still the solution.

````{solution-end}
````

After the solution.

```{exercise-start}
:label: ex-make-windows
```

Second.

```{exercise-end}
```

````{solution-start} ex-make-windows
:class: dropdown
````
````{solution-end}
````
"""

OTHER = FRONT + """
# The other lesson

```{code-cell} ipython3
---
mystnb:
  figure:
    caption: Other.
    name: fig-other
---
z = 3
```

```{math}
:label: eq-other
e = f
```
"""


@pytest.fixture
def synthetic(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "07_synthetic.md").write_text(SYNTHETIC)
    (folder / "08_other.md").write_text(OTHER)
    (tmp_path / "refs.bib").write_text(BIB)
    return folder


def test_learner_notebook_numbers_a_synthetic_lesson(synthetic, tmp_path):
    nb = wc.learner_notebook(synthetic / "07_synthetic.md", bib=tmp_path / "refs.bib",
                             strict=True)
    text = _markdown(nb)
    assert ("See Fig. 7.1, Figure 7.2, Fig. 7.3, equations (7.1) and\n(7.2), Exercise 7.1, "
            "the second exercise,\n[The other lesson](08_other.ipynb), "
            "[another lesson](08_other.ipynb), the setup page of the book,\n"
            "[Fig. 8.1](08_other.ipynb) and [(8.1)](08_other.ipynb).") in text
    assert ("After (Smith and Doe 2001), Many et al. (2020),\n(van Beethoven 1999; Peng et al. "
            "2023) and Qwen Team (2024); `{eq}` in code stays.") in text
    assert "$$\na = b\n\\tag{7.1}\n$$" in text
    assert "$$\nc = d\n\\tag{7.2}\n$$" in text
    assert "*Fig. 7.1.* First figure, see (7.2)." in text
    assert "![](picture.png)\n\n*Fig. 7.2.* The second figure." in text
    assert "*Fig. 7.3.* Third figure." in text
    assert "**Exercise 7.1** \u2014 One-hot\n\nWrite it." in text
    assert re.search(r"^\*\*Exercise 7\.2\*\*$", text, re.M)
    assert "spoiler" not in nbformat.writes(nb) and "Still the solution" not in text
    assert "After the solution." in text
    assert text.count("**Solution.**") == 2
    assert "`ex.one_hot.solution()`" in text and "`ex.make_windows.hint()`" in text
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == ["x = 1", "y = 2", "ex.one_hot.check(None)"]
    lines = SYNTHETIC.splitlines()
    for cell in code:
        assert lines[cell.metadata["rnncourse"]["md_line"] - 1].startswith("```{code-cell}")
    # the figure cells are followed by their captions
    kinds = [(c.cell_type, c.source[:8]) for c in nb.cells]
    assert kinds[kinds.index(("code", "x = 1")) + 1] == ("markdown", "*Fig. 7.")


def test_learner_notebook_tags_a_math_block_of_several_equations(tmp_path):
    path = tmp_path / "03_maths.md"
    path.write_text(FRONT + "\n# Maths\n\n```{math}\n:label: eq-two\n\na &= b\n\nc &= d\n```\n\n"
                    "$$ e = f $$ (eq-inline)\n\nSee {eq}`eq-two` and {eq}`eq-inline`.\n")
    text = _markdown(wc.learner_notebook(path, bib=wc.bibliography_path(), strict=True))
    assert ("$$\n\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}\n\\tag{3.1}\n$$"
            in text)
    assert "$$\n e = f \n\\tag{3.2}\n$$" in text and "See (3.1) and (3.2)." in text


def test_learner_notebook_numbers_chapters_from_the_toc(synthetic, tmp_path):
    (synthetic / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Not numbered\n    chapters:\n"
        "      - file: setup\n  - caption: First\n    numbered: true\n    chapters:\n"
        "      - file: lessons/08_other\n  - caption: Second\n    numbered: true\n"
        "    chapters:\n      - file: lessons/07_synthetic\n")
    text = _markdown(wc.learner_notebook(synthetic / "07_synthetic.md",
                                         bib=tmp_path / "refs.bib", strict=True))
    assert "See Fig. 2.1, Figure 2.2" in text and "[Fig. 1.1](08_other.ipynb)" in text
    assert "**Exercise 2.1**" in text and "\\tag{2.2}" in text


def test_learner_notebook_strict_names_each_problem(synthetic, tmp_path):
    path = synthetic / "07_synthetic.md"
    path.write_text(SYNTHETIC.replace("{numref}`fig-c`", "{numref}`fig-nowhere`")
                    .replace("ex-make-windows\n:class:", "ex-no-such-exercise\n:class:")
                    .replace("{cite}`smith2001`", "{cite}`nobody2000`"))
    with pytest.raises(ValueError) as info:
        wc.learner_notebook(path, bib=tmp_path / "refs.bib", strict=True)
    for part in ("fig-nowhere", "ex-no-such-exercise", "nobody2000"):
        assert part in str(info.value)
    problems = []
    nb = wc.learner_notebook(path, bib=tmp_path / "refs.bib", problems=problems)
    assert len(problems) == 3 and "fig-nowhere" in _markdown(nb)


def test_read_bibtex_reads_names_years_and_accents(tmp_path):
    (tmp_path / "refs.bib").write_text(BIB)
    entries = wc.read_bibtex(tmp_path / "refs.bib")
    assert set(entries) == {"smith2001", "many2020", "vonx1999", "crowd2023", "org2024"}
    assert entries["smith2001"]["authors"] == ["Smith", "Doe"]
    assert entries["smith2001"]["title"] == "A RNN paper"
    assert entries["many2020"]["authors"] == ["Many", "Öther", "Third"]
    assert entries["many2020"]["year"] == "2020"
    assert entries["vonx1999"]["authors"] == ["van Beethoven"]
    assert entries["crowd2023"] == {"authors": ["Peng"], "others": True, "year": "2023",
                                    "title": ""}
    assert entries["org2024"]["authors"] == ["Qwen Team"]


def test_read_bibtex_reads_the_course_bibliography():
    entries = wc.read_bibtex(wc.bibliography_path())
    assert entries["hochreiter1997lstm"]["authors"] == ["Hochreiter", "Schmidhuber"]
    assert entries["cho2014learning"]["authors"][1] == "van Merriënboer"
    assert entries["cho2014learning"]["authors"][2] == "Gülçehre"
    assert "Kaiser" in entries["vaswani2017attention"]["authors"]
    for key, entry in entries.items():
        assert re.fullmatch(r"\d{4}", entry["year"]), key
        assert entry["authors"] and all("\\" not in a and "{" not in a
                                        for a in entry["authors"]), key


# ----------------------------------------------------------------------- start and reset
def test_start_writes_every_lesson_and_never_overwrites(tmp_path, capsys):
    folder = tmp_path / "work"
    actions = wc.start(folder)
    assert actions == [(stem, "written") for stem in STEMS]
    assert sorted(p.name for p in folder.glob("*.ipynb")) == [f"{s}.ipynb" for s in STEMS]
    assert str(folder.resolve()) in capsys.readouterr().out
    path = folder / "03_bptt.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    nb.cells.append(nbformat.v4.new_code_cell("my_answer = 42"))
    nbformat.write(nb, path)
    (folder / "05_lstm.ipynb").unlink()
    actions = wc.start(folder, quiet=True)
    assert dict(actions)["05_lstm"] == "written"
    assert all(a == "kept" for s, a in actions if s != "05_lstm")
    assert "my_answer = 42" in path.read_text()


def test_reset_keeps_a_backup_and_never_clobbers_one(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    fresh = wc.reset("3", folder, quiet=True)
    assert fresh == folder / "03_bptt.ipynb" and not (folder / "backup").exists()
    original = fresh.read_text()
    fresh.write_text(original.replace("your code here", "answer one"))

    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(wc.datetime, "datetime", Frozen)
    wc.reset("03_bptt.ipynb", folder, quiet=True)
    fresh.write_text(original.replace("your code here", "answer two"))
    wc.reset("03", folder, quiet=True)
    backups = sorted(p.name for p in (folder / "backup").iterdir())
    assert backups == ["03_bptt-20260102-030405-1.ipynb", "03_bptt-20260102-030405.ipynb"]
    assert "answer one" in (folder / "backup" / backups[1]).read_text()
    assert "answer two" in (folder / "backup" / backups[0]).read_text()
    assert fresh.read_text() == original


def test_reset_a_path_works_in_that_files_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    assert wc.reset("mine/01_sequences.ipynb", quiet=True) == Path("mine/01_sequences.ipynb")
    assert (tmp_path / "mine" / "01_sequences.ipynb").is_file()
    assert not (tmp_path / "rnncourse-lessons").exists()


def test_reset_unknown_lesson_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="unknown lesson '42'.*01_sequences.*15_outlook"):
        wc.reset("42", tmp_path)


def _parser():
    parser = argparse.ArgumentParser(prog="rnncourse")
    wc.add_parser(parser.add_subparsers(dest="command"))
    return parser


def test_run_start_and_reset_from_the_command_line(tmp_path, capsys):
    folder = tmp_path / "mine"
    assert wc.run(_parser().parse_args(["start", str(folder)])) == 0
    assert len(list(folder.glob("*.ipynb"))) == len(STEMS)
    assert wc.run(_parser().parse_args(["start", str(folder)])) == 0
    assert "kept 15" in capsys.readouterr().out
    mine = folder / "02_simple_rnn.ipynb"
    mine.write_text(mine.read_text().replace("your code here", "my answer"))
    assert wc.run(_parser().parse_args(["reset", "2", "--dir", str(folder)])) == 0
    assert len(list((folder / "backup").glob("02_simple_rnn-*.ipynb"))) == 1
    assert wc.run(_parser().parse_args(["reset", "nope", "--dir", str(folder)])) == 2
    err = capsys.readouterr().err
    assert "rnncourse reset: error: unknown lesson 'nope'" in err and "09_language_models" in err


def test_run_start_defaults_to_the_checkouts_work_folder(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(wc, "start", lambda dest=None: calls.append(dest))
    assert wc.run(_parser().parse_args(["start"])) == 0
    assert calls == [None]
    args = _parser().parse_args(["reset", "03_bptt.ipynb"])
    assert (args.lesson, args.dir) == ("03_bptt.ipynb", None)


def test_main_runs_as_a_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rnncourse.workcopy", "reset", "x",
                             "--dir", str(tmp_path)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and "unknown lesson 'x'" in result.stderr


# --------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_learner_copy_runs_in_its_folder(tmp_path, monkeypatch):
    """Lesson 2's copy runs top to bottom with the work folder as working directory."""
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.delenv("RNNCOURSE_STRICT", raising=False)
    monkeypatch.delenv("RNNCOURSE_CONTEXT", raising=False)
    folder = tmp_path / "work"
    path = wc.reset("02", folder, quiet=True)
    nb = nbformat.read(path, as_version=4)
    began = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    seconds = time.perf_counter() - began
    print(f"lesson 02's copy ran in {seconds:.1f} s")
    statuses = [o.metadata["rnncourse"]["status"] for c in nb.cells if c.cell_type == "code"
                for o in c.outputs if "rnncourse" in o.get("metadata", {})]
    assert statuses and set(statuses) == {"not_attempted"}
    assert sorted(p.name for p in folder.iterdir()) == ["02_simple_rnn.ipynb"]


# ---------------------------------------------------------------- the book's extension
def _extension():
    pytest.importorskip("sphinx")
    sys.path.insert(0, str(REPO / "book" / "_ext"))
    try:
        return importlib.import_module("rnncourse_notebooks")
    finally:
        sys.path.remove(str(REPO / "book" / "_ext"))


def _theme_buttons(notebook_entry: bool):
    """Header buttons as sphinx-book-theme 1.2.0 (and 1.1.4) builds them."""
    downloads = [{"type": "link", "url": "../_sources/lessons/03_bptt.md", "text": ".md",
                  "label": "download-source-button"},
                 {"type": "javascript", "javascript": "window.print()", "text": ".pdf",
                  "label": "download-pdf-button"}]
    if notebook_entry:
        downloads.insert(0, {"type": "link", "url": "../_sources/lessons/03_bptt.ipynb",
                             "text": ".ipynb", "icon": "fas fa-code",
                             "label": "download-notebook-button"})
    return [{"type": "group", "icon": "fas fa-download", "buttons": downloads,
             "label": "download-buttons"},
            {"type": "javascript", "javascript": "toggleFullScreen()",
             "label": "fullscreen-button"}]


def _fake_app(outdir):
    return SimpleNamespace(outdir=str(outdir), builder=SimpleNamespace(format="html"),
                           env=SimpleNamespace(doc2path=lambda d: str(REPO / f"{d}.md")))


@pytest.mark.parametrize("notebook_entry", [False, True], ids=["theme-1.2", "with-ipynb"])
def test_notebooks_extension_points_the_download_menu_to_the_copy(tmp_path, notebook_entry):
    ext = _extension()
    context = {"header_buttons": _theme_buttons(notebook_entry),
               "pathto": lambda uri, resource=0: f"../{uri}"}
    ext.add_learner_notebook(_fake_app(tmp_path), "lessons/03_bptt", "page.html", context,
                             None)
    written = tmp_path / "_notebooks" / "03_bptt.ipynb"
    nb = nbformat.read(written, as_version=4)
    assert nb.cells[0].source.startswith(wc.FRONT_MATTER + "*Your copy of lesson 03")
    assert json.loads(nbformat.writes(nb)) == json.loads(nbformat.writes(
        wc.learner_notebook(LESSONS_DIR / "03_bptt.md")))
    downloads = context["header_buttons"][0]["buttons"]
    assert [b["text"] for b in downloads] == [".ipynb", ".md", ".pdf"]
    assert downloads[0]["url"] == "../_notebooks/03_bptt.ipynb"
    assert downloads[0]["label"] == "download-notebook-button"


def test_notebooks_extension_leaves_other_pages_alone(tmp_path):
    ext = _extension()
    context = {"header_buttons": _theme_buttons(False), "pathto": lambda uri, r=0: uri}
    ext.add_learner_notebook(_fake_app(tmp_path), "book/setup", "page.html", context, None)
    assert not (tmp_path / "_notebooks").exists()
    assert context["header_buttons"] == _theme_buttons(False)
    assert ext.point_download_to({"header_buttons": []}, "x.ipynb") is False


def test_notebooks_extension_runs_after_the_theme():
    ext = _extension()
    connected = []
    app = SimpleNamespace(connect=lambda event, fn, priority=500: connected.append(
        (event, fn, priority)))
    ext.setup(app)
    assert connected == [("html-page-context", ext.add_learner_notebook, ext.PRIORITY)]
    assert ext.PRIORITY > 501  # sphinx-book-theme's add_header_buttons


TINY_CONFIG = """title: tiny
only_build_toc_files: true
execute:
  execute_notebooks: "off"
bibtex_bibfiles:
  - book/references.bib
sphinx:
  extra_extensions:
    - sphinx_exercise
  local_extensions:
    rnncourse_notebooks: {ext}
  config:
    numfig: true
    math_numfig: true
    numfig_secnum_depth: 1
"""

TINY_TOC = """format: jb-book
root: book/intro
parts:
  - caption: Lessons
    numbered: true
    chapters:
      - file: lessons/01_tiny
"""

TINY_LESSON = FRONT + """
# A tiny lesson

Equation {eq}`eq-tiny` and {cite:t}`elman1990finding`.

```{math}
:label: eq-tiny
h = x
```

```{code-cell} ipython3
import rnncourse.exercises as ex
```

```{exercise-start} One-hot
:label: ex-one-hot
```

Write it.

```{exercise-end}
```

````{solution-start} ex-one-hot
:class: dropdown
````

The answer.

````{solution-end}
````

```{bibliography}
```
"""


@pytest.mark.slow
def test_notebooks_extension_in_a_tiny_book(tmp_path):
    """A tiny Jupyter Book build (no execution): the page links the learner's notebook."""
    pytest.importorskip("jupyter_book")
    root = tmp_path / "book"
    (root / "lessons").mkdir(parents=True)
    (root / "book").mkdir()
    (root / "_config.yml").write_text(TINY_CONFIG.format(ext=REPO / "book" / "_ext"))
    (root / "_toc.yml").write_text(TINY_TOC)
    (root / "book" / "intro.md").write_text("# Intro\n\nThe tiny book.\n")
    (root / "book" / "references.bib").write_text(
        (REPO / "book" / "references.bib").read_text())
    (root / "lessons" / "01_tiny.md").write_text(TINY_LESSON)
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(root), "--path-output", str(tmp_path / "out"),
                             "--builder", "html", "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html_dir = tmp_path / "out" / "_build" / "html"
    page = (html_dir / "lessons" / "01_tiny.html").read_text()
    assert 'href="../_notebooks/01_tiny.ipynb"' in page
    nb = nbformat.read(html_dir / "_notebooks" / "01_tiny.ipynb", as_version=4)
    text = _markdown(nb)
    assert "Equation (1.1) and Elman (1990)." in text and "\\tag{1.1}" in text
    assert "`ex.one_hot.solution()`" in text and "The answer" not in text


def test_learner_notebook_turns_off_jupyterlab_myst_equation_numbers():
    nb = wc.learner_notebook(LESSONS_DIR / "03_bptt.md")
    header = nb.cells[0].source
    assert header.startswith("---\nnumbering:\n  equation: false\n---\n")
    assert any("\\tag{3.1}" in c.source for c in nb.cells if c.cell_type == "markdown")


def test_default_dir_inside_the_copy_is_the_copy_itself(tmp_path):
    inside = tmp_path / wc.OUTSIDE_FOLDER
    inside.mkdir()
    (inside / "01_sequences.ipynb").write_text("{}")
    assert wc.default_dir(inside) == inside
    assert wc.default_dir(tmp_path) == inside


def test_reset_of_an_untouched_copy_writes_no_backup(tmp_path):
    folder = tmp_path / "work"
    wc.reset("2", folder, quiet=True)
    wc.reset("2", folder, quiet=True)
    assert not (folder / "backup").exists()
