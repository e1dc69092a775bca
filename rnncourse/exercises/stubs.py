"""Is a function an untouched stub? Decided from its source (the AST), never by running it.

A stub's body holds only a docstring, ``...``, ``pass``, ``raise NotImplementedError``,
names set to ``None`` and a ``return`` of such names; or it still contains a ``____``
placeholder. When the source cannot be read (a builtin, code made with ``exec``), the answer
is "don't know", and the checker runs the function instead.
"""

from __future__ import annotations

import ast
import dis
import inspect
import re
import textwrap

_PLACEHOLDER = re.compile(r"^_{3,}$")


def _is_none_like(node) -> bool:
    return isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis)


def _is_trivial(stmt, none_names: set) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)
    if isinstance(stmt, ast.Raise):
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    if isinstance(stmt, ast.Assign) and _is_none_like(stmt.value):
        names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        if len(names) == len(stmt.targets):
            none_names.update(names)
            return True
        return False
    if isinstance(stmt, ast.Return):
        value = stmt.value
        if value is None or _is_none_like(value):
            return True
        items = value.elts if isinstance(value, ast.Tuple) else [value]
        return all(_is_none_like(v) or (isinstance(v, ast.Name) and v.id in none_names) for v in items)
    return False


def _classify_body(body) -> str | None:
    none_names: set = set()
    if all(_is_trivial(stmt, none_names) for stmt in body):
        return "stub"
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and _PLACEHOLDER.match(node.id):
                return "placeholder"
    return None


def _empty_bytecode(fn) -> str | None:
    """Without source: a body that compiles to a bare ``return None`` (docstring, ``pass``,
    ``...``) is a stub."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    ops = [
        (i.opname, i.argval)
        for i in dis.get_instructions(code)
        if i.opname not in ("RESUME", "NOP", "CACHE", "COPY_FREE_VARS", "MAKE_CELL")
    ]
    if ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)]):
        return "stub"
    return None


def stub_reason(fn) -> str | None:
    """``"stub"``, ``"placeholder"``, or ``None`` (attempted, or the source is unavailable)."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError, IndentationError):
        return _empty_bytecode(fn)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    name = getattr(fn, "__name__", None)
    if name == "<lambda>":
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        if len(lambdas) != 1:
            return None
        body = lambdas[0].body
        return "stub" if _is_none_like(body) else _classify_body([ast.Expr(body)])
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return _classify_body(node.body)
    return None
