"""The repository layout, the install metadata and the lessons' headers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rnncourse

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
LESSON_DIR = ROOT / "lessons"


def _toc_files() -> list[str]:
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)\s*$", text, flags=re.M)


def test_layout_top_level_entries_exist():
    for name in ["book", "_config.yml", "_toc.yml", "lessons", "rnncourse", "tests",
                 "environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run",
                 ".gitignore", "LICENSE"]:
        assert (ROOT / name).exists(), f"{name} is missing from the repository root"


def test_toc_every_entry_exists():
    entries = _toc_files()
    assert "book/intro" in entries
    for entry in entries:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb", ".rst")]
        assert any(p.exists() for p in candidates), f"_toc.yml lists {entry}, which does not exist"


def test_toc_lists_every_lesson_in_order():
    lessons_in_toc = [e.split("/", 1)[1] for e in _toc_files() if e.startswith("lessons/")]
    on_disk = sorted(p.stem for p in LESSON_DIR.glob("[0-9][0-9]_*.md"))
    assert lessons_in_toc == on_disk


def test_lessons_constant_matches_lessons_on_disk():
    on_disk = sorted(p.stem for p in LESSON_DIR.glob("[0-9][0-9]_*.md"))
    assert [stem for stem, _ in rnncourse.LESSONS] == on_disk


@pytest.mark.parametrize("path", sorted(LESSON_DIR.glob("*.md")), ids=lambda p: p.name)
def test_lesson_has_jupytext_header(path):
    text = path.read_text()
    assert text.startswith("---\n"), f"{path.name} must start with a YAML header"
    header = text.split("---\n", 2)[1]
    assert re.search(r"^\s*formats:\s*ipynb,md:myst\s*$", header, flags=re.M), path.name
    assert re.search(r"^\s*format_name:\s*myst\s*$", header, flags=re.M), path.name
    assert re.search(r"^\s*name:\s*python3\s*$", header, flags=re.M), f"{path.name}: kernelspec"
    assert re.match(r"\d\d_[a-z0-9_]+\.md$", path.name), f"{path.name}: use NN_topic.md"


@pytest.mark.parametrize("path", sorted(LESSON_DIR.glob("*.md")), ids=lambda p: p.name)
def test_lesson_imports_rnncourse(path):
    assert re.search(r"^\s*(import|from) rnncourse", path.read_text(), flags=re.M), path.name


def test_lessons_notebooks_are_not_committed():
    out = subprocess.run(["git", "ls-files", "lessons/*.ipynb"], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    assert out.stdout.strip() == "", "lessons/*.ipynb are generated; commit only the .md sources"


def _requirement_names(reqs: list[str]) -> set[str]:
    names = set()
    for req in reqs:
        name = re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")
        if name and name not in {"python", "pip", "-e", "rnncourse"}:
            names.add(name)
    return names


def test_environment_yml_lists_the_same_packages_as_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(meta["dependencies"])
    for group, reqs in meta["optional-dependencies"].items():
        wanted += [r for r in reqs if not r.startswith("rnncourse")]
    conda_names = {"pytorch": "torch"}
    listed = []
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        m = re.match(r"^\s+-\s+[\"']?(?!pip:)([A-Za-z0-9_.\-]+)(.*)$", line)
        if m and not line.strip().startswith("- -e"):
            listed.append(conda_names.get(m.group(1), m.group(1)) + m.group(2))
    assert _requirement_names(listed) == _requirement_names(wanted)


def test_numpy_subpackage_imports_without_torch_or_matplotlib():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "sys.modules['matplotlib'] = None\n"
        "import rnncourse, rnncourse.numpy, rnncourse.data\n"
        "assert 'torch' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_cli_prints_version_and_lessons():
    out = subprocess.run([sys.executable, "-m", "rnncourse"], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert f"rnncourse {rnncourse.__version__}" in out.stdout
    for stem, _ in rnncourse.LESSONS:
        assert stem in out.stdout


def test_ci_script_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make book" in ci
    assert "make test" in readme and "make book" in readme


def test_config_executes_lessons_and_excludes_generated_notebooks():
    config = (ROOT / "_config.yml").read_text()
    assert re.search(r"execute_notebooks:\s*force", config)
    assert "lessons/*.ipynb" in config
    assert "sphinx_exercise" in config


def _make_distclean(tmp_path, venv):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    return subprocess.run(["make", "-s", "distclean", f"VENV={venv}"], cwd=tmp_path,
                          capture_output=True, text=True, check=True)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_makefile_distclean_keeps_an_environment_make_did_not_create(tmp_path):
    conda_like = tmp_path / "conda-env"
    (conda_like / "bin").mkdir(parents=True)
    out = _make_distclean(tmp_path, conda_like)
    assert conda_like.is_dir()
    assert "make did not create it" in out.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_makefile_distclean_removes_the_environment_make_created(tmp_path):
    made = tmp_path / ".venv"
    (made / "bin").mkdir(parents=True)
    (made / ".rnncourse-created-by-make").touch()
    _make_distclean(tmp_path, made)
    assert not made.exists()


def test_gitignore_covers_builds_and_the_learners_copy():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ("build/", "dist/", "work/", ".ci-timings/"):
        assert entry in ignored


def test_config_lists_every_local_extension_among_the_extensions():
    # _config.yml gives Sphinx's whole extension list (to leave out sphinx_thebe); an
    # extension named only under local_extensions would then be silently ignored.
    config = (ROOT / "_config.yml").read_text()
    local = re.findall(r"^    (\w+): book/_ext$", config, flags=re.M)
    listed = re.findall(r"^      - ([\w.\-]+)$", config, flags=re.M)
    assert local and set(local) <= set(listed)
    assert "sphinx_thebe" not in listed and "sphinxcontrib.bibtex" in listed
