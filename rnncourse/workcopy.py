"""A learner's own copy of the lessons: ``rnncourse start`` and ``rnncourse reset``.

Usage::

    rnncourse start [DIR]              write every lesson as DIR/NN_topic.ipynb (never overwrites)
    rnncourse reset LESSON [--dir DIR] keep your copy in DIR/backup/ and write a fresh one

The lessons' sources are MyST Markdown notebooks (``lessons/NN_topic.md``) written for Jupyter
Book. :func:`learner_notebook` turns one into a plain ``.ipynb`` that reads well in JupyterLab
and runs anywhere ``pip install rnncourse`` does: the solutions become a pointer to
``ex.<id>.solution()``, the exercise directives become headings, cross-references become the
book's numbers ("Fig. 9.2", "(3.4)"), citations become "(Author Year)", included source code is
copied in, and every code cell records the line of the ``.md`` it comes from.

Without ``DIR`` the copy goes to ``work/`` of the course repository when the current folder is
inside a checkout of it, else to ``./rnncourse-lessons/``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime
import functools
import importlib.util
import json
import posixpath
import re
import shutil
import sys
import textwrap
import unicodedata
from pathlib import Path

import rnncourse
from rnncourse import LESSONS, __version__

__all__ = [
    "course_dir",
    "bibliography_path",
    "default_dir",
    "lesson_stem",
    "learner_notebook",
    "write_notebook",
    "start",
    "reset",
    "read_bibtex",
    "literal_include",
    "add_parser",
    "run",
    "main",
]

#: Where ``start`` writes when the current folder is not inside a checkout of the course.
OUTSIDE_FOLDER = "rnncourse-lessons"
#: The folder of a checkout that holds the learner's copy.
CHECKOUT_FOLDER = "work"
_LESSON_GLOB = "[0-9][0-9]_*.md"


# --------------------------------------------------------------------------------- locations
def _package_dir() -> Path:
    return Path(rnncourse.__file__).resolve().parent


def course_dir() -> Path:
    """The folder that holds the lesson sources ``NN_topic.md``.

    Returns
    -------
    pathlib.Path
        ``rnncourse/_course/`` when rnncourse is installed from a wheel; in a checkout (or an
        editable install) the repository's ``lessons/``.

    Raises
    ------
    FileNotFoundError
        If neither exists (an install that lost its lessons).
    """
    pkg = _package_dir()
    shipped = pkg / "_course"
    if shipped.is_dir() and any(shipped.glob(_LESSON_GLOB)):
        return shipped
    lessons = pkg.parent / "lessons"
    if lessons.is_dir() and (pkg.parent / "_toc.yml").is_file():
        return lessons
    raise FileNotFoundError(
        f"cannot find the lessons of rnncourse: neither {shipped} (an installed wheel) nor "
        f"{lessons} (a checkout of the course) exists; reinstall rnncourse "
        "(pip install --force-reinstall rnncourse)")


def bibliography_path() -> Path:
    """The course's BibTeX file.

    Returns
    -------
    pathlib.Path
        ``rnncourse/_course/references.bib`` in a wheel, ``book/references.bib`` in a checkout.

    Raises
    ------
    FileNotFoundError
        If neither exists.
    """
    pkg = _package_dir()
    for path in (pkg / "_course" / "references.bib", pkg.parent / "book" / "references.bib"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"cannot find the bibliography of rnncourse (references.bib) "
                            f"near {pkg}")


def _checkout_root(folder: Path) -> Path | None:
    """The course repository holding ``folder`` (itself or a parent), if any."""
    for candidate in (folder, *folder.parents):
        if ((candidate / "_toc.yml").is_file() and (candidate / "lessons").is_dir()
                and (candidate / "rnncourse").is_dir()):
            return candidate
    return None


def default_dir(cwd=None) -> Path:
    """Where ``start`` and ``reset`` work when no folder is given.

    Parameters
    ----------
    cwd : str or Path, optional
        The folder to start from (default: the current directory).

    Returns
    -------
    pathlib.Path
        ``<repo>/work`` when ``cwd`` is inside a checkout of the course (a folder holding
        ``_toc.yml``, ``lessons/`` and ``rnncourse/``), else ``cwd/rnncourse-lessons``.
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    root = _checkout_root(cwd.resolve())
    if root is not None:
        return root / CHECKOUT_FOLDER
    if cwd.name in (OUTSIDE_FOLDER, CHECKOUT_FOLDER) and any(cwd.glob("[0-9][0-9]_*.ipynb")):
        return cwd  # run from inside the copy: not a copy within the copy
    return cwd / OUTSIDE_FOLDER


def lesson_stem(name) -> str:
    """The lesson ``NN_topic`` that ``name`` designates.

    Parameters
    ----------
    name : str or int
        A number (``3``, ``"03"``), a stem (``"03_bptt"``), a file name or path
        (``"03_bptt.ipynb"``, ``"work/03_bptt.md"``) or a topic (``"bptt"``).

    Returns
    -------
    str
        The stem, one of ``rnncourse.LESSONS``.

    Raises
    ------
    ValueError
        If ``name`` designates no lesson; the message lists the valid names.
    """
    stems = [stem for stem, _ in LESSONS]
    base = Path(str(name).strip()).name
    for suffix in (".ipynb", ".md"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    if base in stems:
        return base
    if base.isdigit():
        found = [s for s in stems if int(s[:2]) == int(base)]
    else:
        found = [s for s in stems if s.split("_", 1)[1] == base]
    if len(found) == 1:
        return found[0]
    raise ValueError(f"unknown lesson {str(name)!r}; give a number 1-{len(stems)} or one of: "
                     + ", ".join(stems))


# ------------------------------------------------------------------------------- bibliography
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "r": "\u030a"}
_SYMBOLS = {"ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å",
            "L": "Ł", "l": "ł", "o": "ø", "O": "Ø", "i": "ı", "j": "ȷ"}


def _latex_text(text: str) -> str:
    """Plain Unicode text from a BibTeX field: accents composed, braces and escapes removed."""
    def accent(match):
        base = match.group(2) or match.group(3)
        base = _SYMBOLS.get(base[1:], base) if base.startswith("\\") else base
        return unicodedata.normalize("NFC", base + _ACCENTS[match.group(1)])

    text = re.sub(r"\\([`'^\"~=.])\s*(?:\{\s*(\\?\w)\s*\}|(\\?\w))", accent, text)
    text = re.sub(r"\\([uvHckr])(?:\s*\{\s*(\\?\w)\s*\}|\s+(\w))", accent, text)
    text = re.sub(r"\\(ss|ae|AE|oe|OE|aa|AA|L|l|o|O|i|j)(?![A-Za-z])\s*",
                  lambda m: _SYMBOLS[m.group(1)], text)
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)
    text = text.replace("---", "\u2014").replace("--", "\u2013")
    text = re.sub(r"(?<!\\)~", "\u00a0", text)
    text = text.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def _split_depth0(text: str, separator: str) -> list:
    """Split ``text`` at ``separator`` (a regex) where it is outside every brace."""
    parts, depth, start, i = [], 0, 0, 0
    pattern = re.compile(separator)
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            m = pattern.match(text, i)
            if m and m.end() > i:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


def _last_name(name: str) -> str:
    """The last name (with its "von" part) of one BibTeX name, as plain text."""
    name = name.strip()
    if name.startswith("{") and name.endswith("}") and _split_depth0(name[1:-1], r"\}") == [
            name[1:-1]]:
        return _latex_text(name)  # {NVIDIA}, {Qwen Team}: an institution, kept whole
    parts = _split_depth0(name, r"\s*,\s*")
    if len(parts) > 1:
        return _latex_text(parts[0])
    words = [w for w in _split_depth0(name, r"\s+") if w]
    for k in range(1, len(words) - 1):
        if words[k][:1].islower():  # "Ludwig van Beethoven": the last name starts at "van"
            return _latex_text(" ".join(words[k:]))
    return _latex_text(words[-1]) if words else ""


def read_bibtex(path) -> dict:
    """Read the entries of a BibTeX file, enough to cite them by author and year.

    Parameters
    ----------
    path : str or Path
        The ``.bib`` file.

    Returns
    -------
    dict
        ``{key: {"authors": [last names], "others": bool, "year": str, "title": str}}``;
        ``others`` is true when the author list ends with ``and others``.

    Raises
    ------
    OSError
        If the file cannot be read.
    ValueError
        If an entry is not closed.
    """
    text = Path(path).read_text(encoding="utf-8")
    entries, i = {}, 0
    while True:
        at = text.find("@", i)
        if at < 0:
            return entries
        m = re.compile(r"@\s*(\w+)\s*([{(])").match(text, at)
        if not m:
            i = at + 1
            continue
        kind, opener = m.group(1).lower(), m.group(2)
        closer = "}" if opener == "{" else ")"
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {opener: 1, closer: -1}.get(text[j], 0)
            j += 1
        if depth:
            raise ValueError(f"{path}: the entry at character {at} is not closed")
        i = j
        if kind in ("comment", "preamble", "string"):
            continue
        body = text[m.end(): j - 1]
        key, _, rest = body.partition(",")
        fields = {}
        for item in _split_depth0(rest, r"\s*,\s*"):
            name, eq, value = item.partition("=")
            if not eq:
                continue
            value = value.strip()
            if value[:1] in '{"' and value[-1:] in '}"':
                value = value[1:-1]
            fields[name.strip().lower()] = value
        names = [n for n in _split_depth0(fields.get("author") or fields.get("editor", ""),
                                          r"\s+and\s+") if n.strip()]
        others = bool(names) and names[-1].strip() == "others"
        year = _latex_text(fields.get("year", "")) or fields.get("date", "")[:4] or "n.d."
        entries[key.strip()] = {"authors": [_last_name(n) for n in names if n.strip() != "others"],
                                "others": others, "year": year,
                                "title": _latex_text(fields.get("title", ""))}


def _authors(entry: dict, full: bool = False) -> str:
    names, others = entry["authors"], entry["others"]
    if not names:
        return "Anonymous"
    if full:
        text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return text + (" et al." if others else "")
    if len(names) == 1 and not others:
        return names[0]
    if len(names) == 2 and not others:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


# ------------------------------------------------------------------------- reading the MyST
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,}|:{3,})(.*)$")
_DIRECTIVE = re.compile(r"^\{([^}\s]+)\}\s*(.*)$")
_OPTION = re.compile(r"^\s*:([\w-]+):(?:\s+(.*?))?\s*$")
_TARGET = re.compile(r"^\s*\(([^()\s]+)\)=\s*$")
_MATH_END = re.compile(r"^(.*?)\$\$\s*(?:\(([^()\s]+)\))?\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_EX_CALL = re.compile(r"\bex\.(\w+)\.(?:check|hint|solution|use|evaluate)\b")


class _Directive:
    """A fenced directive: ``name``, ``arg``, ``options`` and the ``content`` lines."""

    def __init__(self, name, arg, options, option_lines, content, opening, closing):
        self.name, self.arg, self.options = name, arg, options
        self.option_lines, self.content = option_lines, content
        self.opening, self.closing = opening, closing


class _Math:
    """A ``$$ ... $$`` block with its optional ``(label)``."""

    def __init__(self, lines, body, label):
        self.lines, self.body, self.label = lines, body, label


def _option_value(raw: str | None) -> str:
    """A MyST option value: quoted strings unquoted (YAML style), others stripped."""
    raw = (raw or "").strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            return json.loads(raw)
        except ValueError:
            return raw[1:-1]
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def _split_options(body: list) -> tuple:
    """(options dict, the option lines, the content lines) of a directive's body."""
    if body and body[0].strip() == "---":
        for k in range(1, len(body)):
            if body[k].strip() == "---":
                import yaml

                options = yaml.safe_load("\n".join(body[1:k])) or {}
                options = {str(key): "" if v is None else str(v) for key, v in options.items()}
                return options, body[: k + 1], body[k + 1:]
    options, k = {}, 0
    while k < len(body):
        m = _OPTION.match(body[k])
        if not m:
            break
        options[m.group(1)] = _option_value(m.group(2))
        k += 1
    return options, body[:k], body[k:]


def _parse(lines: list) -> list:
    """The blocks of a Markdown text: ``("text", lines)``, ``("code", lines)``,
    ``("target", label)``, :class:`_Directive` and :class:`_Math`."""
    blocks, text, i, n = [], [], 0, len(lines)

    def flush():
        if text:
            blocks.append(("text", text[:]))
            text.clear()

    while i < n:
        line = lines[i]
        fence = _FENCE.match(line)
        directive = _DIRECTIVE.match(fence.group(3).strip()) if fence else None
        opens = fence and (directive or (fence.group(2)[0] != ":"
                                         and not (fence.group(2)[0] == "`"
                                                  and "`" in fence.group(3))))
        if opens:
            mark = fence.group(2)
            close = re.compile(r"^ {0,3}" + re.escape(mark[0]) + "{" + str(len(mark)) + r",}\s*$")
            j = i + 1
            while j < n and not close.match(lines[j]):
                j += 1
            flush()
            closing = lines[j] if j < n else ""
            if directive:
                options, option_lines, content = _split_options(lines[i + 1: j])
                blocks.append(_Directive(directive.group(1), directive.group(2).strip(), options,
                                         option_lines, content, line, closing))
            else:
                blocks.append(("code", lines[i: j + 1]))
            i = j + 1
            continue
        if line.lstrip().startswith("$$"):
            first = line.lstrip()[2:]
            m = _MATH_END.match(first)
            if m:  # $$ body $$ (label) on one line
                flush()
                blocks.append(_Math([line], [m.group(1)], m.group(2)))
                i += 1
                continue
            j = i + 1
            while j < n and not _MATH_END.match(lines[j]):
                j += 1
            if j < n:
                flush()
                m = _MATH_END.match(lines[j])
                body = ([first] if first.strip() else []) + lines[i + 1: j]
                body += [m.group(1)] if m.group(1).strip() else []
                blocks.append(_Math(lines[i: j + 1], body, m.group(2)))
                i = j + 1
                continue
        target = _TARGET.match(line)
        if target:
            flush()
            blocks.append(("target", target.group(1)))
            i += 1
            continue
        text.append(line)
        i += 1
    flush()
    return blocks


def _walk(blocks):
    """Every block, directives' content included, in document order."""
    for block in blocks:
        yield block
        if isinstance(block, _Directive) and block.name not in ("literalinclude", "code-block",
                                                                  "code", "sourcecode"):
            yield from _walk(_parse(block.content))


# ---------------------------------------------------------------------- numbering and labels
class _Ref:
    """What a label names: its ``kind``, ``number`` ("9.2"), ``title`` and lesson ``stem``."""

    def __init__(self, kind, number, title, stem):
        self.kind, self.number, self.title, self.stem = kind, number, title, stem


@functools.lru_cache(maxsize=64)
def _read_cached(path: str, mtime_ns: int, size: int):
    import jupytext

    return jupytext.read(path)


def _read_shared(path: Path):
    """The notebook of a lesson, read once per version of the file: do not modify it."""
    stat = path.stat()
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size)


def _read(path: Path):
    return copy.deepcopy(_read_shared(path))


def _toc_path(lesson_dir: Path) -> Path | None:
    for folder in (lesson_dir, lesson_dir.parent):
        if (folder / "_toc.yml").is_file():
            return folder / "_toc.yml"
    return None


@functools.lru_cache(maxsize=8)
def _toc_numbers(toc: str, mtime_ns: int) -> dict:
    """Chapter numbers of a Jupyter Book ``_toc.yml``: continuous across the numbered parts
    (Jupyter Book's ``use_multitoc_numbering``), by file stem."""
    import yaml

    data = yaml.safe_load(Path(toc).read_text(encoding="utf-8")) or {}
    numbers, count = {}, 0
    for part in data.get("parts", []) or []:
        if not part.get("numbered"):
            continue
        for chapter in part.get("chapters", []) or []:
            if "file" in chapter:
                count += 1
                numbers[posixpath.basename(str(chapter["file"]))] = count
    return numbers


def _chapter(md_path: Path) -> str:
    """The chapter number of a lesson in the book ("9"), or "" for an unnumbered page."""
    toc = _toc_path(md_path.parent)
    if toc is not None:
        numbers = _toc_numbers(str(toc), toc.stat().st_mtime_ns)
        if md_path.stem in numbers:
            return str(numbers[md_path.stem])
    prefix = re.match(r"^(\d+)_", md_path.stem)
    return str(int(prefix.group(1))) if prefix else ""


def _lesson_title(nb, stem: str) -> str:
    titles = dict(LESSONS)
    if stem in titles:
        return titles[stem]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = _HEADING.match(line)
                if m and line.lstrip().startswith("# "):
                    return m.group(1)
    return stem


def _index(nb, stem: str, chapter: str) -> dict:
    """``{label: _Ref}`` for the figures, equations, exercises and sections of a lesson, and
    under the key ``None`` the exercise ids each exercise label's block refers to."""
    labels, counts, calls = {}, {"figure": 0, "equation": 0, "exercise": 0}, {}
    current, pending = None, None

    def number(kind):
        counts[kind] += 1
        return f"{chapter}.{counts[kind]}" if chapter else str(counts[kind])

    for cell in nb.cells:
        if cell.cell_type == "code":
            figure = (cell.metadata.get("mystnb") or {}).get("figure")
            if isinstance(figure, dict) and figure.get("name"):
                labels[str(figure["name"])] = _Ref("figure", number("figure"),
                                                   str(figure.get("caption", "")), stem)
            if current is not None:
                calls.setdefault(current, []).extend(_EX_CALL.findall(cell.source))
            continue
        if cell.cell_type != "markdown":
            continue
        for block in _walk(_parse(cell.source.splitlines())):
            if isinstance(block, _Directive):
                name = block.name
                if name == "figure" and block.options.get("name"):
                    caption = " ".join(line.strip() for line in block.content).strip()
                    labels[block.options["name"]] = _Ref("figure", number("figure"), caption, stem)
                elif name == "math" and block.options.get("label"):
                    labels[block.options["label"]] = _Ref("equation", number("equation"), "", stem)
                elif name in ("exercise", "exercise-start"):
                    num = "" if "nonumber" in block.options else number("exercise")
                    label = block.options.get("label")
                    if label:
                        labels[label] = _Ref("exercise", num, block.arg, stem)
                    current = label if name == "exercise-start" else None
                    if name == "exercise" and label:
                        calls.setdefault(label, []).extend(
                            _EX_CALL.findall("\n".join(block.content)))
                elif name == "exercise-end":
                    current = None
            elif isinstance(block, _Math):
                if block.label:
                    labels[block.label] = _Ref("equation", number("equation"), "", stem)
            elif block[0] == "target":
                pending = block[1]
            elif block[0] == "text":
                if current is not None:
                    calls.setdefault(current, []).extend(_EX_CALL.findall("\n".join(block[1])))
                for line in block[1]:
                    heading = _HEADING.match(line)
                    if heading and pending:
                        labels[pending] = _Ref("section", "", heading.group(1), stem)
                        pending = None
    labels[None] = calls
    return labels


@functools.lru_cache(maxsize=64)
def _index_cached(path: str, mtime_ns: int, size: int) -> dict:
    md = Path(path)
    return _index(_read_cached(path, mtime_ns, size), md.stem, _chapter(md))


def _index_of(path: Path) -> dict:
    stat = path.stat()
    return _index_cached(str(path), stat.st_mtime_ns, stat.st_size)


# ------------------------------------------------------------------------- literalinclude
_EMPTYLINE = re.compile(r"^\s*(#.*)?$")


def _pyobject_span(source: str, name: str, filename) -> tuple:
    """The 1-based (first, last) lines of ``name`` (``func``, ``Class``, ``Class.method``) in a
    Python source, decorators included, as Sphinx's ``:pyobject:`` finds them."""
    found = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = prefix + node.name
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[qualname] = (first, node.end_lineno)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, qualname + ".")
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit(inner, prefix)

    visit(ast.parse(source).body, "")
    if name not in found:
        raise ValueError(f"object named {name!r} not found in include file {str(filename)!r}")
    first, last = found[name]
    lines = source.splitlines()
    while last > first and _EMPTYLINE.match(lines[last - 1]):
        last -= 1
    return first, last


def _line_numbers(spec: str, total: int) -> list:
    """0-based line numbers of a ``:lines:`` spec ("1,3-5,8-")."""
    items = []
    for part in spec.split(","):
        ends = part.strip().split("-")
        if ends == ["", ""] or len(ends) > 2 or not all(e.strip().isdigit() or e == ""
                                                        for e in ends):
            raise ValueError(f"invalid line number spec: {spec!r}")
        if len(ends) == 1:
            items.append(int(ends[0]) - 1)
        else:
            start = int(ends[0] or 1)
            end = int(ends[1] or max(start, total))
            if start > end:
                raise ValueError(f"invalid line number spec: {spec!r}")
            items.extend(range(start - 1, end))
    return items


def _include_path(argument: str, lesson_dir: Path) -> Path:
    """The file a lesson's ``{literalinclude}`` names: ``../rnncourse/...`` is looked up in the
    installed package, anything else next to the lesson."""
    relative = posixpath.normpath(argument.lstrip("/") if argument.startswith("/")
                                  else posixpath.join("lessons", argument))
    if relative.startswith("rnncourse/"):
        return _package_dir().joinpath(*relative.split("/")[1:])
    return lesson_dir.joinpath(*posixpath.normpath(argument).split("/"))


def literal_include(argument: str, options: dict, lesson_dir) -> str:
    """The text a ``{literalinclude}`` directive of a lesson shows, as Sphinx computes it.

    Parameters
    ----------
    argument : str
        The file, relative to the lesson's folder (``../rnncourse/numpy/rnn.py`` is taken from
        the installed ``rnncourse`` package).
    options : dict
        The directive's options as strings: ``pyobject`` (``func``, ``Class.method``),
        ``start-at``, ``start-after``, ``end-at``, ``end-before``, ``lines``, ``dedent``,
        ``prepend``, ``append``, ``tab-width``, ``encoding``; others are ignored.
    lesson_dir : str or Path
        The folder of the lesson.

    Returns
    -------
    str
        The included text, each line ending with a newline.

    Raises
    ------
    OSError
        If the file cannot be read.
    ValueError
        On contradictory options, or an object, pattern or line range not found.
    """
    for a, b in (("start-after", "start-at"), ("end-before", "end-at")):
        if a in options and b in options:
            raise ValueError(f'Cannot use both "{a}" and "{b}" options')
    path = _include_path(argument, Path(lesson_dir))
    text = path.read_text(encoding=options.get("encoding") or "utf-8-sig")
    if options.get("tab-width"):
        text = text.expandtabs(int(options["tab-width"]))
    lines = text.splitlines(True)
    if options.get("pyobject"):
        first, last = _pyobject_span(text, options["pyobject"], path)
        lines = lines[first - 1: last]
    start, inclusive = ((options["start-at"], True) if options.get("start-at")
                        else (options.get("start-after"), False))
    if start:
        hits = [k for k, line in enumerate(lines) if start in line]
        if not hits:
            kind = "start-at" if inclusive else "start-after"
            raise ValueError(f"{kind} pattern not found: {start}")
        lines = lines[hits[0] if inclusive else hits[0] + 1:]
    end, inclusive = ((options["end-at"], True) if options.get("end-at")
                      else (options.get("end-before"), False))
    if end:
        hits = [k for k, line in enumerate(lines) if end in line and (inclusive or k > 0)]
        if not hits:
            kind = "end-at" if inclusive else "end-before"
            raise ValueError(f"{kind} pattern not found: {end}")
        lines = lines[: hits[0] + 1 if inclusive else hits[0]]
    if options.get("lines"):
        wanted = _line_numbers(options["lines"], len(lines))
        lines = [lines[k] for k in wanted if k < len(lines)]
        if not lines:
            raise ValueError(f"line spec {options['lines']!r}: no lines pulled from {path}")
    if "dedent" in options:
        if str(options["dedent"]).strip() == "":
            lines = textwrap.dedent("".join(lines)).splitlines(True)
        else:
            width = int(options["dedent"])
            lines = [line[width:] or ("\n" if line.endswith("\n") else "") for line in lines]
    if options.get("prepend"):
        lines.insert(0, options["prepend"] + "\n")
    if options.get("append"):
        lines.append(options["append"] + "\n")
    return "".join(lines)


# --------------------------------------------------------------------------- the transform
_LANGUAGES = {".py": "python", ".pyi": "python", ".sh": "bash", ".toml": "toml",
              ".yml": "yaml", ".yaml": "yaml", ".json": "json", ".md": "markdown"}
_PY_ROLES = {"func", "meth", "class", "mod", "attr", "obj", "data", "exc", "const", "any",
             "py:func", "py:meth", "py:class", "py:mod", "py:attr", "py:obj", "py:data",
             "py:exc", "py:const"}
_ROLE_OR_CODE = re.compile(r"(?:\{(?P<role>[A-Za-z][\w:+.-]*)\})?(?P<ticks>`+)(?P<body>.+?)"
                           r"(?<!`)(?P=ticks)(?!`)", re.S)
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
_BOOK_DOC = re.compile(r"(?:\b(?P<the>[Tt]he)(?P<space>\s+))?\{doc\}`(?P<target>[^`<>]+)`"
                       r"(?:(?P<space2>\s+)page\b)?")
_BOOK_PAGES = {"api": "API reference", "intro": "introduction", "setup": "setup",
               "notation": "notation", "bibliography": "bibliography"}


def _explicit(body: str) -> tuple:
    """(text or None, target) of a role's content ``text <target>`` or ``target``."""
    m = re.match(r"^(.*?)\s*<([^<>]+)>$", body.strip(), re.S)
    if m and m.group(1):
        return m.group(1), m.group(2).strip()
    return None, body.strip()


class _Transform:
    """The state of one lesson's transform: numbering, labels, bibliography, problems."""

    def __init__(self, md_path: Path, bib, problems: list):
        from rnncourse.exercises import EXERCISES

        self.md_path, self.stem, self.problems = md_path, md_path.stem, problems
        self.lesson_dir = md_path.parent
        self.exercise_ids = set(EXERCISES)
        self.labels = {}  # label -> _Ref, this lesson's last so that they win
        self.titles = dict(LESSONS)
        siblings = sorted(p for p in self.lesson_dir.glob(_LESSON_GLOB) if p != md_path)
        for path in siblings + [md_path]:
            index = _index_of(path)
            self.labels.update({k: v for k, v in index.items() if k is not None})
            if path != md_path and path.stem not in self.titles:
                self.titles[path.stem] = _lesson_title(_read_shared(path), path.stem)
        self.calls = _index_of(md_path)[None]
        self.bib = {}
        try:
            bib_path = Path(bib) if bib is not None else self._bib_near()
            self.bib = read_bibtex(bib_path)
        except (OSError, ValueError) as error:
            self.problems.append(f"bibliography: {error}")

    def _bib_near(self) -> Path:
        for path in (self.lesson_dir / "references.bib",
                     self.lesson_dir.parent / "book" / "references.bib"):
            if path.is_file():
                return path
        return bibliography_path()

    # ----------------------------------------------------------------- references
    def exercise_id(self, label: str) -> str | None:
        """The ``rnncourse.exercises`` id of the exercise labelled ``label``."""
        guess = re.sub(r"^ex[-_]", "", label).replace("-", "_")
        if guess in self.exercise_ids:
            return guess
        used = [eid for eid in dict.fromkeys(self.calls.get(label, []))
                if eid in self.exercise_ids]
        if len(used) == 1:
            return used[0]
        words = guess.split("_")
        for k in range(1, len(words)):
            if "_".join(words[k:]) in self.exercise_ids:
                return "_".join(words[k:])
        self.problems.append(f"the solution of {label!r} maps to no exercise of "
                             "rnncourse.exercises.EXERCISES")
        return None

    def _ref(self, label: str, role: str):
        ref = self.labels.get(label)
        if ref is None:
            self.problems.append(f"{{{role}}}`{label}`: unknown label")
        return ref

    def _elsewhere(self, ref, text: str) -> str:
        """``text``, linked to the sibling notebook when ``ref`` is in another lesson."""
        return text if ref.stem == self.stem else f"[{text}]({ref.stem}.ipynb)"

    def role(self, role: str, body: str) -> str:
        name = role.lower()
        text, target = _explicit(body)
        if name == "doc":
            stem = posixpath.basename(target)
            stem = re.sub(r"\.(md|ipynb)$", "", stem)
            if stem in self.titles and not target.startswith(("../book", "/book")):
                return f"[{text or self.titles[stem]}]({stem}.ipynb)"
            page = _BOOK_PAGES.get(stem, stem.replace("_", " "))
            return f"{text} (the {page} page of the book)" if text else \
                f"the {page} page of the book"
        if name == "numref":
            ref = self._ref(target, role)
            if ref is None:
                return text or target
            prefix = {"figure": "Fig.", "equation": "Equation", "exercise": "Exercise"}.get(
                ref.kind, "Section")
            if text:
                shown = text.replace("%s", ref.number).replace("{number}", ref.number)
                shown = shown.replace("{name}", ref.title)
            else:
                shown = f"{prefix} {ref.number}".strip() if ref.number else ref.title
            return self._elsewhere(ref, shown)
        if name == "eq":
            ref = self._ref(target, role)
            if ref is None:
                return text or target
            return self._elsewhere(ref, f"({ref.number})")
        if name == "ref":
            ref = self._ref(target, role)
            if text:
                return self._elsewhere(ref, text) if ref is not None else text
            if ref is None:
                return target
            if ref.kind == "exercise":
                shown = f"Exercise {ref.number}".strip()
            elif ref.kind == "figure":
                shown = f"Fig. {ref.number}"
            elif ref.kind == "equation":
                shown = f"({ref.number})"
            else:
                shown = ref.title
            return self._elsewhere(ref, shown)
        if name == "cite" or name.startswith("cite:"):
            return self.cite(name.partition(":")[2] or "p", target)
        if name in _PY_ROLES:
            shown = text or target
            if shown.startswith("~"):
                shown = shown.rsplit(".", 1)[-1]
            if name.endswith(("func", "meth")) and not shown.endswith(")"):
                shown += "()"
            return f"`{shown}`"
        if name == "math":
            return f"${body}$"
        if name in ("code", "kbd", "file", "samp", "command", "program", "envvar", "option"):
            return f"`{body}`"
        if name in ("sub", "subscript"):
            return f"<sub>{body}</sub>"
        if name in ("sup", "superscript"):
            return f"<sup>{body}</sup>"
        if name in ("abbr", "term", "dfn", "guilabel", "menuselection", "strong", "emphasis"):
            return text or target
        self.problems.append(f"{{{role}}}`{body}`: a role the copy does not render")
        return text or target

    def cite(self, style: str, keys: str) -> str:
        found = []
        for key in (k.strip() for k in keys.split(",") if k.strip()):
            entry = self.bib.get(key)
            if entry is None:
                self.problems.append(f"{{cite}}`{key}`: not in the bibliography")
                entry = {"authors": [key], "others": False, "year": "n.d."}
            found.append(entry)
        full = style.endswith("s") and style not in ("years", "labels")
        if style.startswith("t"):
            return ", ".join(f"{_authors(e, full)} ({e['year']})" for e in found)
        if style.startswith("author"):
            return ", ".join(_authors(e, full) for e in found)
        if style.startswith("year"):
            return ", ".join(e["year"] for e in found)
        inner = "; ".join(f"{_authors(e, full)} {e['year']}" for e in found)
        return inner if style.startswith("al") else f"({inner})"

    # ----------------------------------------------------------------- text
    def _link(self, match) -> str:
        text, target = match.group("text"), match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        stem = re.sub(r"\.(md|ipynb)$", "", posixpath.basename(path))
        if stem in self.titles and not path.startswith(("../book", "/book")):
            return f"[{text}]({stem}.ipynb{'#' + anchor if anchor else ''})"
        if path.endswith((".md", ".ipynb")) or path.startswith(("../book", "/book")):
            return f"*{text}* in the book"
        return match.group(0)

    def _book_doc(self, match) -> str:
        target = match.group("target").strip()
        stem = re.sub(r"\.(md|ipynb)$", "", posixpath.basename(target))
        if stem in self.titles and not target.startswith(("../book", "/book")):
            return match.group(0)  # a lesson: a link, made by role()
        page = _BOOK_PAGES.get(stem, stem.replace("_", " "))
        the = (match.group("the") or "the") + (match.group("space") or " ")
        return f"{the}{page}{match.group('space2') or ' '}page of the book"

    def inline(self, text: str) -> str:
        """Text with every role rendered and links to lessons and book pages rewritten."""
        text = _BOOK_DOC.sub(self._book_doc, text)
        out, last = [], 0
        for m in _ROLE_OR_CODE.finditer(text):
            out.append(_LINK.sub(self._link, text[last: m.start()]))
            out.append(self.role(m.group("role"), m.group("body")) if m.group("role")
                       else m.group(0))
            last = m.end()
        out.append(_LINK.sub(self._link, text[last:]))
        return "".join(out)

    def equation(self, body: list, label) -> list:
        """A ``$$`` block of the maths ``body``, tagged with the number of ``label``."""
        parts = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", "\n".join(body)) if p.strip()]
        lines = parts[0].split("\n") if parts else []
        if len(parts) > 1:  # several equations under one number, as Sphinx shows them
            env = "aligned" if any("&" in p for p in parts) else "gathered"
            lines = [f"\\begin{{{env}}}", *" \\\\\n".join(parts).split("\n"),
                     f"\\end{{{env}}}"]
        if label:
            ref = self.labels.get(label)
            if ref is not None and ref.stem == self.stem and ref.number:
                lines.append(f"\\tag{{{ref.number}}}")
        return ["$$"] + lines + ["$$"]

    def solution_line(self, label: str) -> str:
        eid = self.exercise_id(label)
        if eid is None:
            return "**Solution.** The book shows the reference solution of this exercise."
        return (f"**Solution.** Run `ex.{eid}.solution()` in a new cell to see the reference, "
                f"or `ex.{eid}.hint()` for a hint first.")

    def exercise_heading(self, directive) -> str:
        label = directive.options.get("label")
        ref = self.labels.get(label) if label else None
        number = ref.number if ref is not None and ref.stem == self.stem else ""
        head = f"**Exercise {number}**" if number else "**Exercise**"
        title = self.inline(directive.arg) if directive.arg else ""
        return f"{head} \u2014 {title}" if title else head

    def render(self, lines: list, in_solution: bool) -> tuple:
        """(the rendered lines, still inside a solution) of Markdown ``lines``."""
        out = []
        for block in _parse(lines):
            if in_solution:
                if isinstance(block, _Directive) and block.name == "solution-end":
                    in_solution = False
                continue
            if isinstance(block, _Directive):
                rendered, in_solution = self.directive(block)
                out.extend(rendered)
            elif isinstance(block, _Math):
                out.extend(self.equation(block.body, block.label) if block.label
                           else block.lines)
            elif block[0] == "text":
                out.extend(self.inline("\n".join(block[1])).split("\n"))
            elif block[0] == "code":
                out.extend(block[1])
        return out, in_solution

    def directive(self, d: _Directive) -> tuple:
        name = d.name
        if name == "solution-start":
            return [self.solution_line(d.arg)], True
        if name == "solution":
            return [self.solution_line(d.arg)], False
        if name in ("solution-end", "exercise-end"):
            return [], False
        if name == "exercise-start":
            return [self.exercise_heading(d)], False
        if name == "exercise":
            body, _ = self.render(d.content, False)
            return [self.exercise_heading(d), ""] + body, False
        if name == "math":
            return self.equation(d.content, d.options.get("label")), False
        if name == "literalinclude":
            language = d.options.get("language") or _LANGUAGES.get(Path(d.arg).suffix, "")
            try:
                text = literal_include(d.arg, d.options, self.lesson_dir)
            except (OSError, ValueError) as error:
                self.problems.append(f"{{literalinclude}} {d.arg}: {error}")
                text = f"# (could not include {d.arg}: {error})\n"
            return _fenced(text, language), False
        if name in ("code-block", "code", "sourcecode"):
            return _fenced("\n".join(d.content) + "\n", d.arg), False
        if name == "figure":
            label = d.options.get("name")
            ref = self.labels.get(label) if label else None
            caption, _ = self.render(d.content, False)
            alt = d.options.get("alt", "")
            head = f"*Fig. {ref.number}.* " if ref is not None and ref.number else ""
            return [f"![{alt}]({d.arg})", "", head + " ".join(caption).strip()], False
        body, _ = self.render(d.content, False)  # admonitions and the like: JupyterLab-MyST
        return [d.opening, *d.option_lines, *body, d.closing], False


def _fenced(text: str, language: str) -> list:
    longest = max([len(m) for m in re.findall(r"`{3,}", text)] + [2])
    fence = "`" * (longest + 1)
    return [fence + (language or "")] + text.rstrip("\n").split("\n") + [fence]


#: MyST front matter of the header cell. jupyterlab-myst numbers every display equation
#: itself, which would put "(1)" beside the lesson's own "(3.1)" (its ``\\tag``); the
#: front matter turns that numbering off and is not shown.
FRONT_MATTER = "---\nnumbering:\n  equation: false\n---\n"


def _header(stem: str, title: str) -> str:
    number = stem[:2]
    return (FRONT_MATTER
            + f"*Your copy of lesson {number}, **{title}**, written by `rnncourse start` from "
            f"rnncourse {__version__}.* Your answers live here: save the notebook, then "
            f"`rnncourse check {stem}.ipynb` (in this folder) runs it in a fresh kernel and "
            f"grades its exercises; `rnncourse reset {number}` restores a fresh copy (the "
            "old file is kept in `backup/`).")


def learner_notebook(md_path, *, bib=None, strict: bool = False, problems: list | None = None):
    """A lesson as a plain notebook for the learner's own copy.

    Parameters
    ----------
    md_path : str or Path
        The lesson, a MyST Markdown notebook ``NN_topic.md`` (its siblings in the same folder
        are the other lessons, for cross-references).
    bib : str or Path, optional
        The BibTeX file (default: ``references.bib`` beside the lesson, ``../book/`` of it,
        else :func:`bibliography_path`).
    strict : bool, default False
        Raise instead of rendering a plain fallback when something cannot be transformed (an
        unknown label or citation, a solution without an exercise id, a failed include).
    problems : list, optional
        Receives a message for each such problem.

    Returns
    -------
    nbformat.NotebookNode
        The notebook (nbformat 4.5, unexecuted): a first cell saying what the copy is; the
        solutions replaced by a line naming ``ex.<id>.solution()``; exercises as bold
        headings; ``{doc}``, ``{numref}``, ``{ref}``, ``{eq}`` and ``{cite}`` rendered as text
        and links, numbered as in the book; labelled equations tagged; included code copied
        in; after each figure cell, its caption. Each code cell carries
        ``metadata["rnncourse"] = {"lesson": stem, "md_line": N}``, N the line of its
        ``{code-cell}`` fence in the ``.md``.

    Raises
    ------
    FileNotFoundError
        If ``md_path`` does not exist.
    ValueError
        With ``strict=True``, listing the problems found.
    """
    import nbformat

    md_path = Path(md_path).resolve()
    if not md_path.is_file():
        raise FileNotFoundError(f"no such lesson: {md_path}")
    found = [] if problems is None else problems
    start_count = len(found)
    nb = _read(md_path)
    transform = _Transform(md_path, bib, found)
    stem = md_path.stem
    # the same fences `rnncourse check` counts in a .md, so both name the same lines
    from rnncourse.exercises.cli import code_cell_lines

    fence_lines = code_cell_lines(md_path.read_text(encoding="utf-8"))
    n_code = sum(cell.cell_type == "code" for cell in nb.cells)
    if len(fence_lines) != n_code:
        found.append(f"{md_path.name}: {len(fence_lines)} code-cell fences for {n_code} code "
                     "cells; md_line is left out")
        fence_lines = [None] * n_code
    title = _lesson_title(nb, stem)
    cells = [nbformat.v4.new_markdown_cell(_header(stem, title))]
    in_solution, code_index = False, 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            md_line = fence_lines[code_index]
            code_index += 1
            if in_solution:
                continue
            cell.metadata["rnncourse"] = {"lesson": stem, "md_line": md_line}
            cell.outputs, cell.execution_count = [], None
            cells.append(cell)
            figure = (cell.metadata.get("mystnb") or {}).get("figure")
            if isinstance(figure, dict) and figure.get("caption"):
                ref = transform.labels.get(str(figure.get("name")))
                head = f"*Fig. {ref.number}.* " if ref is not None and ref.number else ""
                caption = transform.inline(" ".join(str(figure["caption"]).split()))
                cells.append(nbformat.v4.new_markdown_cell(head + caption))
        elif cell.cell_type == "markdown":
            lines, in_solution = transform.render(cell.source.splitlines(), in_solution)
            source = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
            if source.strip():
                cell.source = source
                cells.append(cell)
        elif not in_solution:
            cells.append(cell)
    for k, cell in enumerate(cells):
        cell["id"] = f"cell-{k:03d}"
    nb.cells = cells
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata.pop("jupytext", None)  # a plain notebook: not paired with a text file
    nb.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python",
                                          "name": "python3"})
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["rnncourse"] = {"lesson": stem, "version": __version__}
    if strict and len(found) > start_count:
        raise ValueError(f"{md_path.name}: " + "; ".join(found[start_count:]))
    return nb


# ------------------------------------------------------------------------ start and reset
def write_notebook(nb, path, overwrite: bool = False) -> Path:
    """Write ``nb`` to ``path`` as JSON.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    path : str or Path
        The file to write; its folder is created.
    overwrite : bool, default False
        Replace an existing file; by default an existing file is an error.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    """
    import nbformat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    with open(path, "w" if overwrite else "x", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def start(dest=None, *, quiet: bool = False) -> list:
    """Write every lesson as a notebook into a working folder, keeping existing files.

    Parameters
    ----------
    dest : str or Path, optional
        The folder (default: :func:`default_dir`); created if needed.
    quiet : bool, default False
        Print nothing (by default, where the copy is and what was written).

    Returns
    -------
    list of (str, str)
        ``(lesson stem, action)`` for each lesson in order, the action ``"written"`` or
        ``"kept"`` (the file existed and was left untouched).

    Raises
    ------
    FileNotFoundError
        If the lesson sources cannot be found (see :func:`course_dir`).
    """
    folder = default_dir() if dest is None else Path(dest)
    source = course_dir()
    folder.mkdir(parents=True, exist_ok=True)
    actions = []
    for stem, _ in LESSONS:
        target = folder / f"{stem}.ipynb"
        if target.exists():
            actions.append((stem, "kept"))
            continue
        try:
            write_notebook(learner_notebook(source / f"{stem}.md"), target)
        except FileExistsError:  # written meanwhile: never overwrite
            actions.append((stem, "kept"))
            continue
        actions.append((stem, "written"))
    if not quiet:
        written = [s for s, a in actions if a == "written"]
        kept = [s for s, a in actions if a == "kept"]
        print(f"Your copy of the lessons is in {folder.resolve()}")
        print(f"  wrote {len(written)} notebook(s)" + (f"; kept {len(kept)} you already had "
                                                       "(never overwritten)" if kept else ""))
        if importlib.util.find_spec("jupyterlab") is None:
            print("Open it in JupyterLab, which is not installed here: "
                  "python -m pip install jupyterlab jupyterlab-myst")
        else:
            print(f"Open it with: jupyter lab {folder}")
    return actions


def _backup(path: Path) -> Path:
    """Move ``path`` to ``backup/<stem>-YYYYmmdd-HHMMSS[-k].ipynb`` beside it, never
    overwriting an earlier backup."""
    folder = path.parent / "backup"
    folder.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    k = 0
    while True:
        candidate = folder / f"{path.stem}-{stamp}{'' if k == 0 else f'-{k}'}{path.suffix}"
        try:
            with open(path, "rb") as src, open(candidate, "xb") as dst:
                shutil.copyfileobj(src, dst)
        except FileExistsError:
            k += 1
            continue
        shutil.copystat(path, candidate)
        path.unlink()
        return candidate


def reset(lesson, dest=None, *, quiet: bool = False) -> Path:
    """Replace a lesson's copy by a fresh one, keeping the old file as a backup.

    Parameters
    ----------
    lesson : str or int
        The lesson: ``3``, ``"03"``, ``"03_bptt"`` or ``"03_bptt.ipynb"`` (see
        :func:`lesson_stem`).
    dest : str or Path, optional
        The working folder (default: the folder of ``lesson`` when it is a path to an
        existing folder, such as ``work/03_bptt.ipynb``, else :func:`default_dir`).
    quiet : bool, default False
        Print nothing.

    Returns
    -------
    pathlib.Path
        The fresh notebook. The old one, if any, is in ``dest/backup/`` as
        ``NN_topic-YYYYmmdd-HHMMSS.ipynb`` (``-1``, ``-2``, ... when that name is taken).

    Raises
    ------
    ValueError
        If ``lesson`` names no lesson (the message lists the valid names).
    FileNotFoundError
        If the lesson sources cannot be found.
    """
    stem = lesson_stem(lesson)
    given = Path(str(lesson))
    if dest is None and given.parent != Path(".") and given.parent.is_dir():
        dest = given.parent  # rnncourse reset path/to/03_bptt.ipynb: that file's folder
    folder = default_dir() if dest is None else Path(dest)
    nb = learner_notebook(course_dir() / f"{stem}.md")
    target = folder / f"{stem}.ipynb"
    backup = None
    if target.exists() and not _unchanged(target, nb):  # an untouched copy needs no backup
        backup = _backup(target)
    write_notebook(nb, target, overwrite=True)
    if not quiet:
        if backup is not None:
            print(f"Kept your copy as {backup}")
        print(f"Wrote a fresh {target}")
    return target


def _unchanged(path: Path, nb) -> bool:
    """Whether the notebook at ``path`` is exactly ``nb`` (a fresh, untouched copy)."""
    import nbformat

    try:
        return json.loads(path.read_text(encoding="utf-8")) == json.loads(nbformat.writes(nb))
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------- command line
def add_parser(sub) -> tuple:
    """Add the ``start`` and ``reset`` subcommands to the ``rnncourse`` parser.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``parser.add_subparsers(dest="command")`` returned.

    Returns
    -------
    tuple of argparse.ArgumentParser
        The ``start`` and ``reset`` parsers.
    """
    start_parser = sub.add_parser(
        "start", help="write your own copy of the lessons as notebooks (never overwrites)",
        description="Write every lesson as NN_topic.ipynb into DIR, keeping the files you "
                    "already have.")
    start_parser.add_argument(
        "dir", nargs="?", default=None,
        help=f"the folder (default: {CHECKOUT_FOLDER}/ of the course repository when run "
             f"inside it, else ./{OUTSIDE_FOLDER})")
    reset_parser = sub.add_parser(
        "reset", help="replace a lesson's copy by a fresh one (the old one goes to backup/)",
        description="Move DIR/NN_topic.ipynb to DIR/backup/ and write a fresh copy.")
    reset_parser.add_argument("lesson", help="the lesson: 3, 03, 03_bptt or 03_bptt.ipynb")
    reset_parser.add_argument("--dir", default=None,
                              help="the folder of your copy (default: as for start)")
    return start_parser, reset_parser


def run(args) -> int:
    """Run ``start`` or ``reset`` with parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        With ``command`` (``"start"`` or ``"reset"``), ``dir`` and, for reset, ``lesson``.

    Returns
    -------
    int
        The exit status: 0, or 2 with a message on standard error for a bad lesson name or
        missing lessons.
    """
    try:
        if args.command == "start":
            start(args.dir)
        elif args.command == "reset":
            reset(args.lesson, args.dir)
        else:
            print(f"rnncourse: unknown command {args.command!r}", file=sys.stderr)
            return 2
    except (ValueError, FileNotFoundError) as error:
        print(f"rnncourse {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv=None) -> int:
    """``python -m rnncourse.workcopy start|reset ...``: the two subcommands on their own.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status of :func:`run`.
    """
    parser = argparse.ArgumentParser(prog="python -m rnncourse.workcopy",
                                     description=__doc__.split("\n\n")[0])
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
