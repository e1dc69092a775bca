"""Every lesson with exercises runs from the top to its last exercise check with its stubs
replaced by the reference solutions, and every check passes (RNNCOURSE_STRICT=1 turns a
non-pass into an error). The cells after the last check are left out: the book build
executes every lesson whole, as shipped, and fails on any error; what follows the exercises
in an application lesson is mostly training, which need not run a second time here.

With ``RNNCOURSE_TIMINGS=DIR`` set, each run writes ``DIR/solved-<lesson>.json`` with its
execution time in seconds (``.ci/run`` prints them with the book's).

Lesson convention (see rnncourse.exercises.solve): the stub ``def <name>(...)`` and
``ex.<id>.check(<name>)`` are in the same code cell.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from rnncourse.exercises.solve import CHECK_CALL

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"
LESSONS_WITH_EXERCISES = sorted(
    p for p in LESSONS_DIR.glob("*.md") if CHECK_CALL.search(p.read_text(encoding="utf-8"))
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "lesson",
    LESSONS_WITH_EXERCISES
    or [pytest.param(None, marks=pytest.mark.skip(reason="no lessons/*.md calls ex.<id>.check yet"))],
    ids=lambda p: p.stem if p else "none",
)
def test_solved_lesson_runs_and_every_check_passes(lesson, monkeypatch, tmp_path):
    jupytext = pytest.importorskip("jupytext")
    pytest.importorskip("nbclient")
    from rnncourse.exercises.cli import collect_results, execute_notebook
    from rnncourse.exercises.solve import check_calls, solve_notebook

    nb = solve_notebook(jupytext.read(str(lesson)))
    with_checks = [i for i, cell in enumerate(nb.cells)
                   if cell.cell_type == "code" and check_calls(cell.source)]
    nb.cells = nb.cells[:with_checks[-1] + 1]  # up to the last check
    checked = {eid for cell in nb.cells if cell.cell_type == "code" for eid, _ in check_calls(cell.source)}
    monkeypatch.setenv("RNNCOURSE_STRICT", "1")
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("RNNCOURSE_CONTEXT", raising=False)
    started = time.perf_counter()
    execute_notebook(nb, LESSONS_DIR, timeout=600)  # raises CellExecutionError on any failure
    seconds = time.perf_counter() - started
    if os.environ.get("RNNCOURSE_TIMINGS"):
        out = Path(os.environ["RNNCOURSE_TIMINGS"])
        out.mkdir(parents=True, exist_ok=True)
        record = {"lesson": lesson.stem, "seconds": round(seconds, 1),
                  "cells": len(nb.cells)}
        (out / f"solved-{lesson.stem}.json").write_text(json.dumps(record))
    results = collect_results(nb)
    assert set(results) == checked
    assert all(r["status"] == "pass" for r in results.values()), results
