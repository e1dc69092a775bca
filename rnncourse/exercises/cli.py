"""``rnncourse check LESSON`` and ``rnncourse progress``.

``check_lesson`` runs a learner's lesson (``.md`` through jupytext, or ``.ipynb``) top to
bottom in a fresh kernel, with the lesson's folder as the working directory, and collects
the verdicts from the display metadata of the executed notebook. The run counts as the
learner checking their answers, so progress is recorded as in JupyterLab (unless CI,
``RNNCOURSE_NO_PROGRESS=1`` or ``RNNCOURSE_CONTEXT=book`` is set); ``RNNCOURSE_STRICT`` and
``RNNCOURSE_CONTEXT`` are removed from the kernel's environment, so every exercise is graded.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from .render import TableView


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


def execute_notebook(nb, cwd: Path, timeout: int = 600, env: dict | None = None, unset: tuple = ()):
    """Execute ``nb`` in place in a fresh python3 kernel; raises what nbclient raises."""
    from nbclient import NotebookClient

    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(cwd)}}, allow_errors=False
    )
    with _kernel_env(env or {}, unset):
        client.execute()
    return nb


def collect_results(nb) -> dict:
    """``{exercise_id: {"status", "mistake", "message"}}`` from the executed notebook (the last
    check of each exercise wins)."""
    results = {}
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("rnncourse")
            if output.get("output_type") == "display_data" and isinstance(meta, dict) and "exercise" in meta:
                results[meta["exercise"]] = dict(meta)
    return results


def _first_error(nb):
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output.get("ename", "Error"), output.get("evalue", "")
    return None


def _results_table(results: dict) -> TableView:
    rows = [(eid, r.get("status", "?"), r.get("mistake") or "") for eid, r in results.items()]
    return TableView("Exercises", ("exercise", "status", "mistake"), rows)


def check_lesson(path, timeout: int = 600) -> int:
    """Run a lesson in a fresh kernel and print each exercise's status; 0 only if all pass."""
    path = Path(path)
    if not path.is_file():
        print(f"rnncourse check: no such file: {path}", file=sys.stderr)
        return 2
    try:
        nb = read_notebook(path)
    except Exception as exc:  # noqa: BLE001 - report any unreadable file clearly
        print(f"rnncourse check: could not read {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(f"Running {path.name} in a fresh kernel (this may take a while) ...")
    failure = None
    try:
        execute_notebook(nb, path.resolve().parent, timeout, unset=("RNNCOURSE_STRICT", "RNNCOURSE_CONTEXT"))
    except Exception as exc:  # noqa: BLE001 - CellExecutionError, timeouts, a dead kernel
        failure = exc
    results = collect_results(nb)
    if results:
        print(repr(_results_table(results)))
    if failure is not None:
        error = _first_error(nb)
        if error is not None:
            index, ename, evalue = error
            print(
                f"\nThe lesson stopped with an error in cell {index + 1} ({ename}: {evalue}). "
                "Fix that cell (or restart from a fresh copy) and run the check again.",
                file=sys.stderr,
            )
        else:
            print(f"\nThe lesson could not be run: {type(failure).__name__}: {failure}", file=sys.stderr)
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
        stem for stem in titles if all(r[2] == "pass" for r in rows if r[0] == stem) and any(r[0] == stem for r in rows)
    ]
    if lessons_done:
        print("Lessons with every exercise passed: " + ", ".join(lessons_done))
    if not progress.enabled():
        print("(Progress recording is off here: CI, RNNCOURSE_CONTEXT=book or RNNCOURSE_NO_PROGRESS=1 is set.)")
    print(f"Progress file: {progress.path()}")
    return 0
