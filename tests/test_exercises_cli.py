"""`rnncourse check` and `rnncourse progress`: where a failing exercise is, what is missing.

The tests marked ``slow`` run a tiny lesson in a fresh kernel (a few seconds each).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import rnncourse.exercises as ex
from rnncourse import cli as top_cli
from rnncourse.exercises import cli, runner
from rnncourse.exercises.render import TableView

pytestmark = pytest.mark.usefixtures("exercise_isolation")

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

    # A tiny lesson
    """
)


def code(source: str) -> str:
    return "\n```{code-cell} ipython3\n" + textwrap.dedent(source).strip("\n") + "\n```\n"


IMPORTS = code(
    """
    import numpy as np
    import rnncourse.exercises as ex
    """
)
PASSING = code(
    """
    def step(x, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)

    ex.rnn_step_forward.check(step)
    """
)
# a known mistake of a NumPy-only exercise: clipping each entry instead of the global norm
MISTAKE = code(
    """
    def clip(grads, max_norm):
        total = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
        return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, total

    ex.clip_grad_norm.check(clip)
    """
)
RAISES = code(
    """
    def softmax(logits, temperature):
        return 1 // 0

    ex.softmax_with_temperature.check(softmax)
    """
)
# a Markdown code block that shows a code cell: not a cell of the notebook
EXAMPLE = (
    "\nA code cell looks like this:\n\n"
    "````md\n```{code-cell} ipython3\nprint(1)\n```\n````\n"
)

LESSON = HEADER + IMPORTS + EXAMPLE + PASSING + "\n+++\n" + MISTAKE + RAISES


def line_of_cell(text: str, marker: str) -> int:
    """The line (from 1) of the ```{code-cell} fence of the cell holding ``marker``."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if marker in line)
    return next(i for i in range(at, -1, -1) if lines[i].startswith("```{code-cell}")) + 1


# ----------------------------------------------------------------- where a cell is


def test_code_cell_lines_counts_only_the_cells():
    text = LESSON
    lines = text.splitlines()
    expected = [i + 1 for i, line in enumerate(lines) if line.startswith("```{code-cell}")]
    expected.remove(lines.index("print(1)"))  # the example inside ````md
    assert cli.code_cell_lines(text) == expected
    assert len(expected) == 4


def test_code_cell_lines_handles_tildes_and_longer_fences():
    text = "~~~{code-cell} ipython3\nx = '''\n```\n'''\n~~~\n\n````{code-cell}\ny = 1\n````\n"
    assert cli.code_cell_lines(text) == [1, 7]


# ----------------------------------------------------------------- the report of a run


@pytest.mark.slow
def test_check_lesson_md_names_each_failing_exercise_its_verdict_and_line(tmp_path, capsys):
    path = tmp_path / "lesson.md"
    path.write_text(LESSON)
    assert cli.check_lesson(path, timeout=120) == 1
    captured = capsys.readouterr()
    out = captured.out
    table = [line.split() for line in out.split("Not passing yet:")[0].splitlines()]
    assert ["clip_grad_norm", "mistake", "clip_by_value"] in table  # the table is still there
    report = out.split("Not passing yet:")[1]
    assert "rnn_step_forward" not in report  # it passes
    assert "* clip_grad_norm (Clip gradients by their global norm)" in report
    assert f"in lesson.md, line {line_of_cell(LESSON, 'clip_grad_norm.check')}" in report
    assert "Mistake found (clip_by_value)" in report
    assert "Each entry is clipped to [-max_norm, max_norm]" in report  # the sentence, not the code
    assert "* softmax_with_temperature (" in report
    assert f"in lesson.md, line {line_of_cell(LESSON, 'softmax_with_temperature.check')}" in report
    assert "ZeroDivisionError" in report  # what the learner's function raised
    assert "1 of 3 exercises pass." in out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "without encryption" not in captured.err


@pytest.mark.slow
def test_check_lesson_ipynb_uses_the_md_line_the_copy_carries(tmp_path, capsys):
    import jupytext

    nb = jupytext.read(str(_write(tmp_path / "lesson.md", LESSON)))
    mistake = next(c for c in nb.cells if "clip_grad_norm.check" in c.source)
    mistake.metadata["rnncourse"] = {"lesson": "03_bptt.md", "md_line": 412}
    path = tmp_path / "copy.ipynb"
    nbformat.write(nb, str(path))
    assert cli.check_lesson(path, timeout=120) == 1
    report = capsys.readouterr().out.split("Not passing yet:")[1]
    where = next(i for i, c in enumerate(nb.cells) if "clip_grad_norm.check" in c.source)
    # the notebook's own cell number first (as JupyterLab counts), then the source's line
    assert f"in cell {where + 1} of copy.ipynb (line 412 of the source 03_bptt.md)" \
        in " ".join(report.split())
    raises = next(i for i, c in enumerate(nb.cells) if "softmax_with_temperature" in c.source)
    assert f"in cell {raises + 1} of copy.ipynb" in report  # no md_line: the cell's number


@pytest.mark.slow
def test_check_lesson_stopped_names_the_exercise_cell_its_line_and_what_was_not_reached(
    tmp_path, capsys
):
    check = "ex.clip_grad_norm.check(clip)"
    broken = MISTAKE.replace(check, check + "\nraise RuntimeError('boom')")
    text = HEADER + IMPORTS + broken + RAISES
    path = _write(tmp_path / "broken.md", text)
    assert cli.check_lesson(path, timeout=120) == 1
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())  # unwrapped
    line = line_of_cell(text, "clip_grad_norm.check")
    where = f"error in the cell at broken.md, line {line}, the cell of exercise clip_grad_norm"
    assert where in err
    assert "RuntimeError: boom" in err
    assert "Not reached (the lesson stopped before them): softmax_with_temperature." in err
    assert "cell 3" not in err
    assert "clip_grad_norm" in captured.out  # what was checked before the error is reported


def _write(path, text):
    path.write_text(text)
    return path


# ----------------------------------------------------------------- missing packages


@pytest.mark.parametrize(
    "name, module, pip",
    [
        ("lesson.md", "jupytext", "jupytext"),
        ("lesson.ipynb", "nbformat", "nbformat"),
        ("lesson.md", "nbclient", "nbclient"),
    ],
)
def test_check_lesson_missing_package_is_named_not_the_file(
    tmp_path, capsys, monkeypatch, name, module, pip
):
    path = tmp_path / name
    empty = nbformat.writes(nbformat.v4.new_notebook())
    path.write_text(LESSON if name.endswith(".md") else empty)
    monkeypatch.setitem(sys.modules, module, None)
    assert cli.check_lesson(path) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"the `{module}` package" in err
    assert f"install it with `python -m pip install {pip}`" in err
    assert "`python -m pip install rnncourse`" in err
    assert "could not read" not in err


def test_check_lesson_missing_ipykernel_is_named(tmp_path, capsys, monkeypatch):
    from jupyter_client.kernelspec import NoSuchKernel

    def no_kernel(nb, *args, **kwargs):
        raise NoSuchKernel("python3")

    monkeypatch.setattr(cli, "execute_notebook", no_kernel)
    monkeypatch.setitem(sys.modules, "ipykernel", None)
    assert cli.check_lesson(_write(tmp_path / "lesson.md", LESSON)) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "the IPython kernel (the `ipykernel` package)" in err
    assert "`python -m pip install ipykernel`" in err


def test_check_lesson_unknown_kernel_says_so(tmp_path, capsys, monkeypatch):
    from jupyter_client.kernelspec import NoSuchKernel

    def no_kernel(nb, *args, **kwargs):
        raise NoSuchKernel("my-env")

    monkeypatch.setattr(cli, "execute_notebook", no_kernel)
    text = LESSON.replace("name: python3", "name: my-env")
    assert cli.check_lesson(_write(tmp_path / "lesson.md", text)) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "the Jupyter kernel 'my-env', which is not installed here" in err


def test_missing_package_maps_import_names_to_pip_names():
    exc = ModuleNotFoundError("No module named 'sklearn'", name="sklearn.datasets")
    sklearn = runner.missing_package(exc)
    assert (sklearn.module, sklearn.pip_name) == ("sklearn", "scikit-learn")
    assert sklearn.advice() == (
        "This exercise needs scikit-learn (the `sklearn` package): install it with "
        "`python -m pip install scikit-learn`"
    )
    torch = runner.missing_package(ModuleNotFoundError("import of torch halted", name="torch"))
    assert torch.advice() == (
        "This exercise needs PyTorch (the `torch` package): install it with "
        "`python -m pip install torch`"
    )
    broken = runner.missing_package(ImportError("DLL load failed", name="torch._C"))
    assert broken.broken and "`python -m pip install --upgrade torch`" in broken.advice()
    assert runner.missing_package(ModuleNotFoundError("x", name="rnncourse.nope")) is None
    assert runner.missing_package(ValueError("torch")) is None


def test_missing_torch_names_the_package_and_blames_no_one(monkeypatch, capsys):
    def detach_state(state):
        if isinstance(state, tuple):
            return tuple(s.detach() for s in state)
        return state.detach()

    monkeypatch.setitem(sys.modules, "torch", None)  # a NumPy-only install
    result = ex.detach_state.evaluate(detach_state)
    assert result.status == "error" and result.mistake is None
    assert result.message == (
        "This exercise needs PyTorch (the `torch` package): install it with "
        "`python -m pip install torch`."
    )
    assert "bug" not in repr(result) and "Your function" not in repr(result)
    assert "%pip install torch" in result.next_steps
    ex.detach_state.check(detach_state)  # shows the verdict, never raises
    assert "Cannot check here: PyTorch is missing" in capsys.readouterr().out


def test_learner_import_of_a_missing_package_says_how_to_install_it(monkeypatch):
    def step(x, h_prev, W_xh, W_hh, b_h):
        import sklearn  # noqa: F401

    monkeypatch.setitem(sys.modules, "sklearn", None)
    result = ex.rnn_step_forward.evaluate(step)
    assert result.status == "error"
    assert (
        "Your code needs scikit-learn (the `sklearn` package): install it with "
        "`python -m pip install scikit-learn`." in result.details
    )


# ----------------------------------------------------------------- the kernel's stderr


def test_kernel_stderr_drops_only_the_encryption_warning(capsys):
    warning = (
        "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All "
        "communication (including code and outputs) is sent in plain text and is "
        "susceptible to eavesdropping.\n"
    )
    with cli.kernel_stderr() as fd:
        os.write(fd, b"first line\n" + warning.encode() + b"[IPKernelApp] WARNING | other\n")
    err = capsys.readouterr().err
    assert err == "first line\n[IPKernelApp] WARNING | other\n"


# ----------------------------------------------------------------- missing modules, command line


def _run_blocked(module: str, code: str) -> subprocess.CompletedProcess:
    # without RNNCOURSE_DATA_DIR, progress asks platformdirs where the data folder is
    env = {k: v for k, v in os.environ.items() if k != "RNNCOURSE_DATA_DIR"}
    blocked = f"import sys; sys.modules[{module!r}] = None; " + code
    return subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize("module", ["platformdirs", "numpy"])
def test_main_progress_missing_module_is_one_clear_line(module):
    code = "from rnncourse.cli import main; raise SystemExit(main(['progress']))"
    proc = _run_blocked(module, code)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"the module `{module}` is missing" in lines[0]
    assert "install it with `python -m pip install rnncourse`" in lines[0]
    assert "`source .venv/bin/activate`" in lines[0]


def test_python_m_rnncourse_missing_module_is_one_clear_line():
    code = "import runpy; sys.argv = ['rnncourse', 'progress']; "
    code += "runpy.run_module('rnncourse', run_name='__main__')"
    proc = _run_blocked("platformdirs", code)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "the module `platformdirs` is missing" in proc.stderr


def test_main_missing_apps_module_points_to_the_apps_extra(monkeypatch, capsys):
    def parser():
        raise ModuleNotFoundError("No module named 'sklearn'", name="sklearn")

    monkeypatch.setattr(top_cli, "build_parser", parser)
    assert top_cli.main([]) == 1
    assert "`python -m pip install 'rnncourse[apps]'`" in capsys.readouterr().err


def test_main_missing_rnncourse_module_is_a_bug_and_raises(monkeypatch):
    def parser():
        raise ModuleNotFoundError("No module named 'rnncourse.gone'", name="rnncourse.gone")

    monkeypatch.setattr(top_cli, "build_parser", parser)
    with pytest.raises(ModuleNotFoundError):
        top_cli.main([])


# ----------------------------------------------------------------- ex.list() outside IPython


def _table():
    return TableView("rnncourse exercises", ("lesson", "exercise"), [("02", "rnn_forward")])


def test_show_or_return_prints_in_a_plain_interpreter(capsys):
    table = _table()
    assert cli.show_or_return(table) is None  # the plain prompt then shows nothing more
    assert capsys.readouterr().out == repr(table) + "\n"


def test_show_or_return_returns_the_view_in_ipython(monkeypatch, capsys):
    monkeypatch.setattr(cli, "in_ipython", lambda: True)
    table = _table()
    assert cli.show_or_return(table) is table  # IPython displays it, once
    assert capsys.readouterr().out == ""


def test_your_copy_finds_a_lesson_by_number_in_the_copy_folder(tmp_path, monkeypatch):
    (tmp_path / "02_simple_rnn.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert cli._your_copy(Path("02")) == tmp_path / "02_simple_rnn.ipynb"
    assert cli._your_copy(Path("simple_rnn")) == tmp_path / "02_simple_rnn.ipynb"
    assert cli._your_copy(Path("07")) == Path("07")  # no copy: reported as missing
    assert cli._your_copy(Path("lesson.md")) == Path("lesson.md")
