"""The wheel and the sdist ship the lessons (issue 19): ``rnncourse start`` works from a plain
install, outside any checkout of the course.

The builds run on a copy of the package's sources in a temporary folder (so that no
``build/`` or ``*.egg-info`` appears in the checkout), without build isolation, with the
environment's setuptools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from rnncourse import LESSONS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
STEMS = [stem for stem, _ in LESSONS]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "_toc.yml",
           "book/references.bib")
FORBIDDEN = ("{doc}", "{numref}", "{eq}", "{cite", "{literalinclude}", "solution-start",
             "exercise-start", "{ref}")


def _copy_sources(dest: Path) -> Path:
    """The files a build of rnncourse reads, copied to ``dest``."""
    for name in SOURCES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    (dest / "lessons").mkdir()
    for path in sorted((REPO / "lessons").glob("*.md")):
        shutil.copy2(path, dest / "lessons" / path.name)
    shutil.copytree(REPO / "rnncourse", dest / "rnncourse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_course"))
    return dest


def _build_wheel(source: Path, out: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
         "-w", str(out), "-q"], cwd=source, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = sorted(out.glob("rnncourse-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    source.mkdir()
    return _build_wheel(_copy_sources(source), root / "dist")


def _course_names(names) -> list:
    prefix = "rnncourse/_course/"
    return sorted(n[len(prefix):] for n in names if n.startswith(prefix))


def test_wheel_ships_the_lessons_toc_and_bibliography(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert _course_names(names) == sorted([f"{s}.md" for s in STEMS]
                                          + ["_toc.yml", "references.bib"])
    tops = {n.split("/")[0] for n in names}
    assert tops == {"rnncourse", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}"
                    ".dist-info"}
    assert "rnncourse/workcopy.py" in names
    shipped = zipfile.ZipFile(wheel).read("rnncourse/_course/03_bptt.md")
    assert shipped == (REPO / "lessons" / "03_bptt.md").read_bytes()


def test_wheel_start_outside_the_repository(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    script = ("import rnncourse, rnncourse.workcopy as w\n"
              "print(rnncourse.__file__)\n"
              "print(w.course_dir())\n"
              "w.start()\n")
    env = {**os.environ, "PYTHONPATH": str(site), "RNNCOURSE_NO_PROGRESS": "1"}
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                            text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    package_file, course, *printed = result.stdout.splitlines()
    assert Path(package_file).resolve().is_relative_to(site.resolve())
    assert Path(course).resolve() == (site / "rnncourse" / "_course").resolve()
    folder = cwd / "rnncourse-lessons"
    assert str(folder.resolve()) in "\n".join(printed)
    notebooks = sorted(folder.glob("*.ipynb"))
    assert [p.stem for p in notebooks] == STEMS
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        for marker in FORBIDDEN:
            assert marker not in text, (path.name, marker)
        assert '"md_line"' in text and "rnncourse start" in text


def test_sdist_carries_the_lessons_into_its_wheel(tmp_path):
    source = _copy_sources(tmp_path / "src")
    dist = tmp_path / "dist"
    hook = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", hook, str(dist)], cwd=source,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    sdist = dist / result.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        names = {"/".join(n.split("/")[1:]) for n in tar.getnames()}
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp_path / "unpacked", **safe)
    for name in ("setup.py", "MANIFEST.in", "_toc.yml", "book/references.bib",
                 *(f"lessons/{s}.md" for s in STEMS)):
        assert name in names, name
    assert not any(n.startswith("tests/") for n in names)
    unpacked = next((tmp_path / "unpacked").iterdir())
    wheel = _build_wheel(unpacked, tmp_path / "wheel")
    assert len(_course_names(zipfile.ZipFile(wheel).namelist())) == len(STEMS) + 2
