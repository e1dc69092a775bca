"""The README's shell commands, run as written.

Every line of every ```bash block in README.md is either run here, in a scratch copy of the
repository layout, with the course environment active (its ``bin`` first on PATH, as
``source .venv/bin/activate`` leaves it), or listed in ``NOT_RUN`` with the reason. A new
command in the README therefore fails this test until it is run or explained. The only lesson
executed is lesson 2, the cheapest, so no lesson runs a third time in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# pattern -> why it is not run here
NOT_RUN = {
    r"^make book\b": "builds the book: CI runs it itself",
    r"^make test\b": "runs this test suite",
    r"^make lab\b": "starts a JupyterLab server (its first step, rnncourse start, is run)",
    r"^xdg-open\b": "opens a browser",
    r"http\.server": "serves until stopped",
    r"rnncourse train\b": "trains a model (tests/test_train_command.py runs each task small)",
}


def shell_lines(text: str) -> list[str]:
    """The command lines of the ```bash blocks, comments removed, continuations joined."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        pending = ""
        for raw in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", raw).strip()
            if line.startswith("#") or not line:
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            lines.append(pending + line)
            pending = ""
    return lines


def _reason_not_run(line: str) -> str | None:
    for pattern, why in NOT_RUN.items():
        if re.search(pattern, line):
            return why
    return None


def test_readme_shell_lines_are_run_or_explained():
    lines = shell_lines(README.read_text(encoding="utf-8"))
    run = [line for line in lines if _reason_not_run(line) is None]
    assert "source .venv/bin/activate" in run
    for wanted in ("rnncourse start", "rnncourse check", "rnncourse reset", "rnncourse progress"):
        assert any(line.startswith(wanted) for line in run), wanted


@pytest.fixture
def scratch_repo(tmp_path):
    """The repository's layout in tmp_path: _toc.yml, the lessons and the package (linked)."""
    repo = tmp_path / "course"
    repo.mkdir()
    shutil.copy(ROOT / "_toc.yml", repo / "_toc.yml")
    (repo / "lessons").symlink_to(ROOT / "lessons", target_is_directory=True)
    (repo / "rnncourse").symlink_to(ROOT / "rnncourse", target_is_directory=True)
    return repo


@pytest.mark.slow
def test_readme_commands_work_as_written(scratch_repo, tmp_path):
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"  # source .venv/bin/activate
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["RNNCOURSE_DATA_DIR"] = str(tmp_path / "data")
    env["MPLBACKEND"] = "Agg"
    for name in ("RNNCOURSE_STRICT", "RNNCOURSE_CONTEXT", "RNNCOURSE_TIMINGS"):
        env.pop(name, None)
    ran = []
    for line in shell_lines(README.read_text(encoding="utf-8")):
        if _reason_not_run(line) is not None:
            continue
        if line.startswith("source "):  # done through PATH above
            assert (ROOT / line.split()[1]).exists() or "CI" not in env, line
            continue
        out = subprocess.run(line, shell=True, cwd=scratch_repo, env=env, capture_output=True,
                             text=True, timeout=600)
        ran.append(line)
        expected = 1 if line.startswith("rnncourse check") else 0  # nothing attempted yet
        assert out.returncode == expected, (line, out.returncode, out.stdout[-2000:],
                                            out.stderr[-2000:])
        assert "Traceback" not in out.stdout + out.stderr, (line, out.stderr[-2000:])
        if line.startswith("rnncourse start"):  # the learner writes in their copy
            mine = scratch_repo / "work" / "02_simple_rnn.ipynb"
            mine.write_text(mine.read_text().replace("your code here", "my answer"))
        if line.startswith("rnncourse check"):  # where each exercise is, in the copy
            assert "Exercise 2.1" in " ".join(out.stdout.split()), out.stdout[-2000:]
        if "ex.list()" in line:
            assert "count_parameters" in out.stdout, out.stdout[-500:]
    work = scratch_repo / "work"
    assert sorted(p.name for p in work.glob("[0-9][0-9]_*.ipynb"))
    assert any((work / "backup").glob("02_simple_rnn-*.ipynb"))
    assert len(ran) >= 5
