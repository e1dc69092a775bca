"""``rnncourse check LESSON`` and ``rnncourse progress``.

``check_lesson`` runs a learner's lesson (``.md`` through jupytext, or ``.ipynb``) top to
bottom in a fresh kernel, with the lesson's folder as the working directory, and collects
the verdicts from the display metadata of the executed notebook. The run counts as the
learner checking their answers, so progress is recorded as in JupyterLab (unless CI,
``RNNCOURSE_NO_PROGRESS=1`` or ``RNNCOURSE_CONTEXT=book`` is set); ``RNNCOURSE_STRICT`` and
``RNNCOURSE_CONTEXT`` are removed from the kernel's environment, so every exercise is graded.

For each exercise that does not pass it prints the exercise, the checker's verdict and where
the cell is: its line in the lesson's ``.md`` (for an ``.ipynb``, the line stored in the
cell's ``metadata["rnncourse"]["md_line"]`` by ``rnncourse start``, else the cell's number).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import textwrap
import threading
from contextlib import contextmanager
from pathlib import Path

from .render import HEADLINES, TableView, in_ipython
from .runner import missing_package

#: The width the report is wrapped to (a terminal of 80 columns).
WIDTH = 79

_PACKAGES_NEEDED = {
    "jupytext": "reading a .md lesson",
    "nbformat": "reading a notebook",
    "nbclient": "running a lesson in a fresh kernel",
    "ipykernel": "running a lesson in a fresh kernel",
}

# The one line ipykernel (>= 7) logs to its stderr when it listens on TCP without CurveZMQ keys.
_UNENCRYPTED_WARNING = "Kernel is running over TCP without encryption"

_CHECK_CALL = re.compile(r"\b[A-Za-z_]\w*\.([A-Za-z_]\w*)\.check\(")
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def _say(text: str, file=None) -> None:
    """Print ``text`` wrapped to :data:`WIDTH` columns, paragraph by paragraph."""
    paragraphs = text.split("\n")
    print("\n".join(_wrap(p) if p else "" for p in paragraphs), file=file)


def _wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
    """``text`` filled to :data:`WIDTH` columns; a `code span` (a command) is never split."""
    parts = text.split("`")
    if len(parts) % 2:  # balanced backticks: keep the spaces inside code spans
        text = "`".join(p.replace(" ", "\0") if i % 2 else p for i, p in enumerate(parts))
    filled = textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return filled.replace("\0", " ")


def _missing_message(exc: ImportError, needed_by: str) -> str:
    """The line printed when a package that ``rnncourse check`` needs is not installed."""
    missing = missing_package(exc)
    if missing is None:  # an ImportError that names no package: show it as it is
        return f"rnncourse check: {needed_by} failed: {type(exc).__name__}: {exc}"
    return (
        f"rnncourse check: {missing.advice(needed_by)} (or `python -m pip install rnncourse`, "
        f"which installs all that `rnncourse check` needs). This Python is {sys.executable}."
    )


def _require(module: str) -> str | None:
    """None when ``module`` imports, else the message saying what to install."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return _missing_message(exc, _PACKAGES_NEEDED[module])
    return None


def read_notebook(path: Path):
    """An nbformat notebook from a jupytext text file or an ``.ipynb``."""
    if path.suffix == ".ipynb":
        import nbformat

        return nbformat.read(str(path), as_version=4)
    import jupytext

    return jupytext.read(str(path))


@contextmanager
def _kernel_env(set_vars: dict, unset: tuple):
    saved = {k: os.environ.get(k) for k in (*set_vars, *unset)}
    try:
        for k in unset:
            os.environ.pop(k, None)
        os.environ.update(set_vars)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def kernel_stderr():
    """A file descriptor for the kernel's stderr that passes on everything to ours but the
    kernel's warning that it runs over TCP without encryption.

    Why dropping that one warning is safe here: the kernel is started by this command, for
    this one run, on this machine. jupyter_client binds it to the loopback interface only
    (it refuses any address that is not local), writes its connection file, with a fresh
    random key, readable by this user only, and every message is signed with that key, so no
    other user can send it code; the traffic never leaves the machine, and reading loopback
    traffic takes root, who can read the lesson anyway. It is how JupyterLab runs its local
    kernels. Only this message, and only this kernel's stderr, is filtered: nothing is
    changed in the logging of this process or of any other kernel.

    Yields
    ------
    int
        The writing end of a pipe, to pass as the kernel's ``stderr``.
    """
    read_fd, write_fd = os.pipe()
    target = sys.stderr

    def pump():
        with open(read_fd, encoding="utf-8", errors="replace", closefd=True) as stream:
            for line in stream:
                if _UNENCRYPTED_WARNING not in line:
                    target.write(line)
                    target.flush()

    thread = threading.Thread(target=pump, name="rnncourse-kernel-stderr", daemon=True)
    thread.start()
    try:
        yield write_fd
    finally:
        os.close(write_fd)  # the kernel has exited: its copy is closed too, so the pump ends
        thread.join(5.0)  # a process the lesson left running may hold the pipe: don't wait on it


def execute_notebook(
    nb,
    cwd: Path,
    timeout: int = 600,
    env: dict | None = None,
    unset: tuple = (),
    on_cell_start=None,
):
    """Execute ``nb`` in place in a fresh python3 kernel; raises what nbclient raises.

    ``on_cell_start(cell_index)``, when given, is called as each cell starts.
    """
    from nbclient import NotebookClient

    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(cwd)}},
        allow_errors=False,
    )
    if on_cell_start is not None:
        client.on_cell_start = lambda cell, cell_index: on_cell_start(cell_index)
    with _kernel_env(env or {}, unset), kernel_stderr() as stderr:
        client.execute(stderr=stderr)
    return nb


def _verdicts(nb) -> dict:
    """``{exercise_id: (cell_index, metadata, text)}`` of the verdicts shown in the executed
    notebook (the last check of each exercise wins)."""
    found = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("rnncourse")
            shown = output.get("output_type") == "display_data"
            if shown and isinstance(meta, dict) and "exercise" in meta:
                text = output.get("data", {}).get("text/plain", "")
                found[meta["exercise"]] = (index, dict(meta), "".join(text))
    return found


def collect_results(nb) -> dict:
    """``{exercise_id: {"status", "mistake", "message"}}`` from the executed notebook (the last
    check of each exercise wins)."""
    return {eid: meta for eid, (_, meta, _) in _verdicts(nb).items()}


def _first_error(nb):
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output.get("ename", "Error"), output.get("evalue", "")
    return None


def _results_table(results: dict) -> TableView:
    rows = [(eid, r.get("status", "?"), r.get("mistake") or "") for eid, r in results.items()]
    return TableView("Exercises", ("exercise", "status", "mistake"), rows)


def code_cell_lines(text: str) -> list:
    """The line numbers (from 1) of the ```` ```{code-cell} ```` fences of a MyST notebook.

    Fences inside other fenced blocks (a Markdown code block that shows a code cell) and
    inside code cells are skipped; a fence closes on a line of at least as many of its
    characters, as in CommonMark.

    Parameters
    ----------
    text : str
        The ``.md`` file's text.

    Returns
    -------
    list of int
        One line number per code cell, in order.
    """
    lines = []
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        if fence is None:
            match = _FENCE_OPEN.match(line)
            if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
                continue
            fence = match["fence"]
            if match["info"].strip().startswith("{code-cell}"):
                lines.append(number)
        else:
            closing = line.strip()
            if line.startswith(" " * 4) or not closing or set(closing) != {fence[0]}:
                continue
            if len(closing) >= len(fence):
                fence = None
    return lines


class _Locator:
    """Where a cell of the lesson is, in words the learner can find it by."""

    def __init__(self, path: Path, nb):
        self.path = path
        self.nb = nb
        self.fences = None
        if path.suffix != ".ipynb":
            n_code = sum(cell.get("cell_type") == "code" for cell in nb.cells)
            try:
                fences = code_cell_lines(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                fences = []
            if len(fences) == n_code:  # else the file is not MyST: fall back to cell numbers
                self.fences = fences

    def line(self, index: int):
        """``(file name, line)`` of cell ``index`` in the lesson's ``.md``, or None."""
        cell = self.nb.cells[index]
        if self.fences is not None:
            if cell.get("cell_type") != "code":
                return None
            k = sum(c.get("cell_type") == "code" for c in self.nb.cells[:index])
            return self.path.name, self.fences[k]
        meta = cell.get("metadata", {}).get("rnncourse", {})
        md_line = meta.get("md_line") if isinstance(meta, dict) else None
        if isinstance(md_line, int) and not isinstance(md_line, bool):
            lesson = str(meta.get("lesson") or self.path.stem)
            return (lesson if lesson.endswith(".md") else lesson + ".md"), md_line
        return None

    def heading(self, index: int):
        """``"Exercise 3.2"`` when cell ``index`` follows such a heading of a learner's copy."""
        for cell in reversed(self.nb.cells[:index]):
            if cell.get("cell_type") != "markdown":
                continue
            found = re.search(r"\*\*(Exercise \d+\.\d+)\*\*", cell.get("source", ""))
            if found:
                return found.group(1)
            if re.search(r"^#{1,3} ", cell.get("source", ""), flags=re.M):
                return None  # a section heading first: not an exercise's cell
        return None

    def where(self, index: int) -> str:
        """Where cell ``index`` is, in the file the learner has open.

        ``"03_bptt.md, line 412"`` for a ``.md``; for a notebook
        ``"cell 40 of 03_bptt.ipynb (Exercise 3.2; line 412 of the source 03_bptt.md)"``
        (JupyterLab counts the cells the same way), or ``"cell 7 of 03_bptt.ipynb"``.
        """
        found = self.line(index)
        if found is not None and self.fences is not None:
            return f"{found[0]}, line {found[1]}"
        notes = [h for h in (self.heading(index),) if h]
        if found is not None:
            notes.append(f"line {found[1]} of the source {found[0]}")
        extra = f" ({'; '.join(notes)})" if notes else ""
        return f"cell {index + 1} of {self.path.name}{extra}"

    def the_cell(self, index: int) -> str:
        """``"the cell at 03_bptt.md, line 412"`` or ``"cell 7 of 03_bptt.ipynb (...)"``."""
        if self.fences is not None and self.line(index) is not None:
            return f"the cell at {self.where(index)}"
        return self.where(index)


def _exercise_name(eid: str) -> str:
    """``"clip_grad_norm (Clip gradients by their global norm)"``; the id alone if unknown."""
    from . import EXERCISES

    exercise = EXERCISES.get(eid)
    return f"{eid} ({exercise.title})" if exercise is not None else eid


def _exercises_in(cell) -> list:
    from . import EXERCISES

    if cell.get("cell_type") != "code":
        return []
    ids = [m.group(1) for m in _CHECK_CALL.finditer(cell.get("source", ""))]
    return [eid for eid in dict.fromkeys(ids) if eid in EXERCISES]


def _verdict_lines(meta: dict, text: str) -> tuple:
    """``(headline, message, details)`` as the checker displayed them."""
    status = meta.get("status", "")
    first = text.split("\n", 1)[0]
    match = re.match(r"\[(.*?)\] ", first)
    headline = match.group(1) if match else HEADLINES.get(status, status)
    message = meta.get("message") or ""
    if meta.get("mistake"):
        headline = f"{headline} ({meta['mistake']})"
    if message.startswith(headline):  # "Not attempted yet: ..." says it already
        headline = ""
    details = []
    if status in ("error", "timeout"):  # the error itself and the learner's lines
        skip = ("Inputs:", "Your function printed")
        details = [
            line[4:]
            for line in text.split("\n")
            if line.startswith("  - ") and not line[4:].startswith(skip)
        ]
    return headline, message, details


def _report_failures(verdicts: dict, locate: _Locator) -> None:
    failing = [(eid, v) for eid, v in verdicts.items() if v[1].get("status") != "pass"]
    if not failing:
        return
    print("\nNot passing yet:")
    for eid, (index, meta, text) in failing:
        headline, message, details = _verdict_lines(meta, text)
        print()
        print(_wrap(f"* {_exercise_name(eid)}", "", "  "))
        print(_wrap(f"in {locate.where(index)}", "  "))
        if headline:
            print(_wrap(headline, "  "))
        if message:
            print(_wrap(message, "  "))
        for detail in details:
            print(_wrap(detail, "  - ", "    "))


def _report_stop(nb, failure, locate: _Locator, started: list, verdicts: dict) -> None:
    """Say where and why the lesson stopped, and which exercises it never reached."""
    error = _first_error(nb)
    index = error[0] if error is not None else (started[-1] if started else None)
    if index is not None:
        place = locate.the_cell(index)
        exercises = _exercises_in(nb.cells[index])
        if exercises:
            place += ", the cell of exercise " + " and ".join(map(_exercise_name, exercises))
    kind = type(failure).__name__
    if error is not None:
        _, ename, evalue = error
        reason = f"{ename}: {evalue}" if evalue else ename
        if ename in ("ModuleNotFoundError", "ImportError"):
            advice = ("A package this lesson needs is missing from the kernel's Python: "
                      "install what the message names, then run the check again.")
        else:
            advice = ("Fix that cell (or start again from a fresh copy: `rnncourse reset`) "
                      "and run the check again.")
        text = f"The lesson stopped with an error in {place}: {reason}. {advice}"
    elif kind == "CellTimeoutError" and index is not None:
        text = (
            f"The lesson stopped: {place} did not finish in time (`rnncourse check --timeout "
            "SECONDS` allows longer)."
        )
    elif kind == "DeadKernelError" and index is not None:
        text = (
            f"The lesson stopped: the kernel died while running {place} (out of memory, or a "
            "crash in compiled code)."
        )
    else:
        text = f"The lesson could not be run: {kind}: {failure}"
    print()
    _say(text, file=sys.stderr)
    if index is not None:
        later = [eid for cell in nb.cells[index + 1 :] for eid in _exercises_in(cell)]
        later = [eid for eid in dict.fromkeys(later) if eid not in verdicts]
        if later:
            names = ", ".join(later)
            _say(f"Not reached (the lesson stopped before them): {names}.", file=sys.stderr)


def _kernel_problem(failure, nb) -> str | None:
    """The message for a kernel that could not be started at all, or None."""
    if type(failure).__name__ != "NoSuchKernel":
        return None
    if importlib.util.find_spec("ipykernel") is None:
        missing = ModuleNotFoundError("No module named 'ipykernel'", name="ipykernel")
        return _missing_message(missing, _PACKAGES_NEEDED["ipykernel"])
    name = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    return (
        f"rnncourse check: this lesson asks for the Jupyter kernel {name!r}, which is not "
        "installed here (`jupyter kernelspec list` shows those that are). Set the notebook's "
        "kernel to Python 3 (python3), or install that kernel."
    )


def _your_copy(path: Path) -> Path:
    """``path``, or, when it names a lesson rather than a file (``02``, ``02_simple_rnn``,
    ``bptt``), the learner's copy of that lesson in the folder ``rnncourse start`` uses."""
    if path.is_file() or path.suffix in (".md", ".ipynb"):
        return path
    try:
        from rnncourse.workcopy import default_dir, lesson_stem

        stem = lesson_stem(path.name)
    except (ImportError, ValueError):
        return path
    for folder in (Path.cwd(), default_dir()):  # in the copy's folder, or above it
        if (folder / f"{stem}.ipynb").is_file():
            return folder / f"{stem}.ipynb"
    return path


def check_lesson(path, timeout: int = 600) -> int:
    """Run a lesson in a fresh kernel and report each exercise; 0 only if all pass.

    Prints a table of the exercises, then, for each one that does not pass, its name, where
    its cell is in the lesson and the checker's verdict; if the lesson stops with an error,
    says in which cell. A missing package is named, with the command that installs it.

    Parameters
    ----------
    path : str or Path
        The lesson: a MyST ``.md`` (read with jupytext) or an ``.ipynb``.
    timeout : int
        Seconds allowed per cell.

    Returns
    -------
    int
        0 if every exercise passes, 1 if one does not or the lesson stops with an error, 2 if
        the lesson cannot be read or run at all.
    """
    path = _your_copy(Path(path))
    if not path.is_file():
        print(f"rnncourse check: no such file: {path}", file=sys.stderr)
        return 2
    for module in ("nbformat" if path.suffix == ".ipynb" else "jupytext", "nbclient"):
        problem = _require(module)
        if problem is not None:
            _say(problem, file=sys.stderr)
            return 2
    try:
        nb = read_notebook(path)
    except Exception as exc:  # noqa: BLE001 - report any unreadable file clearly
        reason = f"{type(exc).__name__}: {exc}"
        _say(f"rnncourse check: could not read {path.name}: {reason}", file=sys.stderr)
        return 2
    locate = _Locator(path, nb)
    print(f"Running {path.name} in a fresh kernel (this may take a while) ...")
    failure = None
    started: list = []
    try:
        execute_notebook(
            nb,
            path.resolve().parent,
            timeout,
            unset=("RNNCOURSE_STRICT", "RNNCOURSE_CONTEXT"),
            on_cell_start=started.append,
        )
    except Exception as exc:  # noqa: BLE001 - CellExecutionError, timeouts, a dead kernel
        failure = exc
    problem = _kernel_problem(failure, nb)
    if problem is not None:
        _say(problem, file=sys.stderr)
        return 2
    verdicts = _verdicts(nb)
    results = {eid: meta for eid, (_, meta, _) in verdicts.items()}
    if results:
        print(repr(_results_table(results)))
        _report_failures(verdicts, locate)
    if failure is not None:
        _report_stop(nb, failure, locate, started, verdicts)
        return 1
    if not results:
        print("This lesson has no checked exercises.")
        return 0
    passed = sum(r.get("status") == "pass" for r in results.values())
    print(f"\n{passed} of {len(results)} exercises pass.")
    return 0 if passed == len(results) else 1


def show_progress() -> int:
    """Print your progress by lesson."""
    from rnncourse import LESSONS

    from . import EXERCISES, progress

    stored = progress.load()
    titles = dict(LESSONS)
    rows = []
    for stem, _ in LESSONS:
        for e in EXERCISES.values():
            if e.lesson == stem:
                entry = stored.get(e.id, {})
                rows.append((stem, e.id, entry.get("best", "-"), entry.get("checks", 0)))
    print(repr(TableView("Your progress", ("lesson", "exercise", "best status", "checks"), rows)))
    passed = sum(r[2] == "pass" for r in rows)
    print(f"\n{passed} of {len(rows)} exercises passed.")
    lessons_done = [
        stem
        for stem in titles
        if all(r[2] == "pass" for r in rows if r[0] == stem) and any(r[0] == stem for r in rows)
    ]
    if lessons_done:
        print("Lessons with every exercise passed: " + ", ".join(lessons_done))
    if not progress.enabled():
        print(
            "(Progress recording is off here: CI, RNNCOURSE_CONTEXT=book or "
            "RNNCOURSE_NO_PROGRESS=1 is set.)"
        )
    print(f"Progress file: {progress.path()}")
    return 0


def show_or_return(view):
    """``view`` itself in IPython (which displays it once), else print it and return None.

    ``ex.list()`` returns a table that IPython and Jupyter display; a plain interpreter shows
    a returned value only at its prompt, so ``python -c "...; ex.list()"`` would print
    nothing. Outside IPython the table is printed and None returned, so that the plain
    prompt does not show it a second time.

    Parameters
    ----------
    view : object
        A display object with a text ``repr`` (a :class:`~rnncourse.exercises.render.TableView`).

    Returns
    -------
    object or None
        ``view`` in IPython, else None.
    """
    if in_ipython():
        return view
    print(repr(view))
    return None
