"""The solved-notebook transformer and `rnncourse check LESSON`."""

from __future__ import annotations

import textwrap

import nbformat
import pytest

import rnncourse.exercises as ex
from rnncourse.exercises import cli, solve

HEADER = textwrap.dedent(
    """\
    ---
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
)


def code(source: str) -> str:
    return "```{code-cell} ipython3\n" + textwrap.dedent(source).strip("\n") + "\n```\n\n"


pytestmark = pytest.mark.usefixtures("exercise_isolation")


STUB_CELL = '''\
%matplotlib inline
@staticmethod
def my_step(x, h_prev, W_xh, W_hh, b_h):
    """x (B, D) -> (B, H)"""
    ...  # your code here

ex.rnn_step_forward.check(my_step)
print("after")
'''


def test_solve_source_replaces_only_the_checked_stub():
    solved = solve.solve_source(STUB_CELL)
    assert solved.startswith("%matplotlib inline\ndef my_step(x, h_prev, W_xh, W_hh, b_h):\n")
    assert "@staticmethod" not in solved and "your code here" not in solved
    assert "np.tanh" in solved
    assert solved.endswith('ex.rnn_step_forward.check(my_step)\nprint("after")\n')


def test_solve_source_leaves_other_cells_alone():
    src = "def f(x):\n    return x\n\nex.list()\n"
    assert solve.solve_source(src) == src


def test_solve_source_without_def_is_a_clear_error():
    with pytest.raises(ValueError, match="same cell"):
        solve.solve_source("ex.rnn_forward.check(rnn_forward)\n")


def test_solve_notebook_adds_numpy_import_when_missing_and_copies():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import rnncourse.exercises as ex"), nbformat.v4.new_code_cell(STUB_CELL)]
    solved = solve.solve_notebook(nb)
    assert "import numpy as np" in solved.cells[1].source
    assert nb.cells[1].source == STUB_CELL  # the input is not modified


def test_reference_source_renames():
    src = solve.reference_source("padding_mask", "mask_from_lengths")
    assert src.startswith("def mask_from_lengths(lengths, T):")
    namespace = {}
    exec("import numpy as np\n" + src, namespace)
    assert ex.padding_mask.evaluate(namespace["mask_from_lengths"]).status == "pass"


@pytest.mark.parametrize("exercise_id", list(ex.EXERCISES))
def test_every_reference_is_self_contained(exercise_id):
    namespace = {}
    exec("import numpy as np\n" + solve.reference_source(exercise_id), namespace)  # no other helpers needed
    e = ex.get(exercise_id)
    if e.needs_torch:
        pytest.importorskip("torch")
    assert e.evaluate(namespace[exercise_id]).status == "pass"


LESSON = HEADER + code(
    """
    import numpy as np
    import rnncourse.exercises as ex
    """
) + code(
    '''
    def rnn_step_forward(x, h_prev, W_xh, W_hh, b_h):
        """stub"""
        ...  # your code here

    ex.rnn_step_forward.check(rnn_step_forward)
    '''
) + code(
    """
    def clip(grads, max_norm):
        total = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
        return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, total

    ex.clip_grad_norm.check(clip)
    """
)


@pytest.mark.slow
def test_check_lesson_reports_table_and_exit_code(tmp_path, capsys):
    path = tmp_path / "lesson.md"
    path.write_text(LESSON)
    assert cli.check_lesson(path, timeout=120) == 1
    out = capsys.readouterr().out
    assert "rnn_step_forward  not_attempted" in out
    assert "clip_grad_norm    mistake        clip_by_value" in out
    assert "0 of 2 exercises pass" in out

    import jupytext

    solved = tmp_path / "solved.ipynb"
    nbformat.write(solve.solve_notebook(jupytext.read(str(path))), str(solved))
    assert cli.check_lesson(solved, timeout=120) == 0
    assert "2 of 2 exercises pass" in capsys.readouterr().out


@pytest.mark.slow
def test_check_lesson_failing_cell_gives_message_and_nonzero(tmp_path, capsys):
    path = tmp_path / "broken.md"
    path.write_text(LESSON + code("raise RuntimeError('boom in the lesson')"))
    assert cli.check_lesson(path, timeout=120) == 1
    captured = capsys.readouterr()
    assert "error in the cell at" in captured.err and "line" in captured.err
    assert "boom in the lesson" in captured.err
    assert "clip_grad_norm" in captured.out  # results collected before the error are still shown


def test_check_lesson_missing_file(tmp_path, capsys):
    assert cli.check_lesson(tmp_path / "nope.md") == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_check_output_in_kernel_is_one_deterministic_display(tmp_path):
    import jupytext

    path = tmp_path / "lesson.md"
    path.write_text(LESSON)
    runs = []
    for _ in range(2):
        nb = cli.execute_notebook(jupytext.read(str(path)), tmp_path, timeout=120)
        runs.append([cell.get("outputs") for cell in nb.cells])
    assert runs[0] == runs[1]
    outputs = runs[0][1]
    assert len(outputs) == 1 and outputs[0]["output_type"] == "display_data"
    assert set(outputs[0]["data"]) == {"text/plain", "text/html"}
    assert outputs[0]["metadata"]["rnncourse"]["status"] == "not_attempted"
