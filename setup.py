"""Build hook of rnncourse: ship the lesson sources inside the package.

Everything else about the package is in ``pyproject.toml``. A wheel or an sdist-built wheel gets
``rnncourse/_course/`` holding ``lessons/NN_topic.md``, ``_toc.yml`` and
``book/references.bib``, so that ``rnncourse start`` can write a learner's copy of the lessons
from a plain ``pip install rnncourse``. The sources stay where the book reads them; an
editable install reads them there directly (``rnncourse.workcopy.course_dir``).
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COURSE = "_course"


def course_files():
    """(source, name in rnncourse/_course/) of every file shipped with the lessons."""
    lessons = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.md"))
    if not lessons:
        raise FileNotFoundError(f"no lessons/NN_topic.md under {ROOT}: cannot ship the lessons")
    extra = [ROOT / "_toc.yml", ROOT / "book" / "references.bib"]
    missing = [str(p) for p in extra if not p.is_file()]
    if missing:
        raise FileNotFoundError("cannot ship the lessons without " + ", ".join(missing))
    return [(p, p.name) for p in lessons + extra]


class build_py_with_lessons(build_py):
    """``build_py`` that also copies the lessons into ``rnncourse/_course/`` of the build."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "rnncourse" / COURSE
        self.mkpath(str(target))
        for source, name in course_files():
            self.copy_file(str(source), str(target / name))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        target = Path(self.build_lib) / "rnncourse" / COURSE
        return outputs + [str(target / name) for _, name in course_files()]


setup(cmdclass={"build_py": build_py_with_lessons})
