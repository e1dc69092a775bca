"""The exercise stubs shipped in the lessons: each checked stub is "not attempted" (so the
notebooks run top to bottom as shipped), and in the book build it points to JupyterLab."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import rnncourse.exercises as ex
from rnncourse.exercises.solve import _parseable, check_calls

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"


def _stub_cells():
    jupytext = pytest.importorskip("jupytext")
    found = []
    for path in sorted(LESSONS_DIR.glob("*.md")):
        nb = jupytext.read(str(path))
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for exercise_id, name in check_calls(cell.source):
                tree = ast.parse(_parseable(cell.source))
                defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
                assert defs, f"{path.name}: ex.{exercise_id}.check({name}) without `def {name}` in the same cell"
                found.append((path.stem, exercise_id, name, ast.get_source_segment(cell.source, defs[-1])))
    return found


def test_lessons_use_known_exercise_ids_with_matching_lesson():
    for stem, exercise_id, _, _ in _stub_cells():
        assert ex.get(exercise_id).lesson == stem, f"{exercise_id} is checked in {stem}"


def test_shipped_stubs_are_not_attempted(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.delenv("RNNCOURSE_CONTEXT", raising=False)
    cells = _stub_cells()
    if not cells:
        pytest.skip("no lesson checks an exercise yet")
    for k, (stem, exercise_id, name, source) in enumerate(cells):
        path = tmp_path / f"stub_{k}.py"
        path.write_text("import numpy as np\n\n" + source + "\n")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = ex.get(exercise_id).evaluate(getattr(module, name))
        assert result.status == "not_attempted", f"{stem}: {result!r}"
        monkeypatch.setenv("RNNCOURSE_CONTEXT", "book")
        assert "JupyterLab" in ex.get(exercise_id).evaluate(getattr(module, name)).message
        monkeypatch.delenv("RNNCOURSE_CONTEXT")
