"""The "solved notebook": every exercise stub replaced by the reference solution.

Lesson convention: a code cell holds the learner's stub ``def <name>(...):`` and, in the same
cell, ``ex.<id>.check(<name>)``. :func:`solve_notebook` replaces that ``def`` (decorators
included) with the source of ``solutions.<id>``, renamed to ``<name>``; the rest of the cell is
kept. CI runs the solved notebooks with ``RNNCOURSE_STRICT=1``, so every check must pass.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re

from . import solutions

CHECK_CALL = re.compile(r"\b[A-Za-z_]\w*\.([A-Za-z_]\w*)\.check\(\s*([A-Za-z_]\w*)\s*[,)]")
_NUMPY_IMPORT = re.compile(r"^\s*import numpy as np\b", re.MULTILINE)


def reference_source(exercise_id: str, name: str | None = None) -> str:
    """The source of the reference solution, its function renamed to ``name``.

    The reference is the exercise's own (``solutions.<id>``, or a package function such as
    ``rnncourse.decoding.top_k_filter``). Module-level names it uses besides NumPy (a private
    validation helper, say) are imported in front of it, so the source runs in a notebook.
    """
    from . import EXERCISES

    fn = EXERCISES[exercise_id].reference if exercise_id in EXERCISES else getattr(solutions, exercise_id)
    source = inspect.getsource(fn)
    if name and name != fn.__name__:
        source = re.sub(rf"^def {fn.__name__}\(", f"def {name}(", source, count=1, flags=re.MULTILINE)
    return _imports_for(fn, source) + source


def _imports_for(fn, source: str) -> str:
    """``import`` lines for the module-level names ``source`` uses (``np`` excepted)."""
    used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    lines = []
    for ident in sorted(used - {"np"}):
        if ident not in fn.__globals__:
            continue  # a local name, or a builtin
        value = fn.__globals__[ident]
        if inspect.ismodule(value):
            lines.append(f"import {value.__name__} as {ident}")
        else:
            lines.append(f"from {fn.__module__} import {ident}")
    return "".join(line + "\n" for line in lines)


def check_calls(source: str) -> list:
    """The ``(exercise_id, function_name)`` pairs checked in a cell, in order."""
    from . import EXERCISES

    return [(m.group(1), m.group(2)) for m in CHECK_CALL.finditer(source) if m.group(1) in EXERCISES]


def _parseable(source: str) -> str:
    """Blank out IPython magics and shell lines (keeping the line numbers) so ``ast`` can parse."""
    lines = source.split("\n")
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def solve_source(source: str, numpy_imported: bool = True) -> str:
    """Solve one cell's source; unchanged if it checks no exercise."""
    calls = check_calls(source)
    if not calls:
        return source
    tree = ast.parse(_parseable(source))
    lines = source.split("\n")
    spans = []
    for exercise_id, name in calls:
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        if not defs:
            raise ValueError(
                f"the cell checks ex.{exercise_id} with {name!r} but defines no top-level `def {name}(...)` "
                "(lesson convention: the stub and its check are in the same cell)"
            )
        node = defs[-1]
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        spans.append((start, node.end_lineno, exercise_id, name))
    for start, end, exercise_id, name in sorted(spans, reverse=True):
        new = reference_source(exercise_id, name).rstrip("\n").split("\n")
        lines[start:end] = new
    solved = "\n".join(lines)
    if not numpy_imported:
        solved = "import numpy as np  # added by rnncourse.exercises.solve\n" + solved
    return solved


def solve_notebook(nb):
    """A copy of an nbformat notebook with every checked stub replaced by the reference."""
    nb = copy.deepcopy(nb)
    numpy_imported = False
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        cell.source = solve_source(source, numpy_imported)
        numpy_imported = numpy_imported or bool(_NUMPY_IMPORT.search(cell.source))
    return nb
