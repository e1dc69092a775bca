"""Print how long each lesson took to execute in this CI run.

Each lesson is executed at most twice: once by the book build, whole and as shipped (the
runtime myst-nb records in the Sphinx environment), and once by
tests/test_exercises_solved_lessons.py, with the reference solutions, up to its last
exercise check (``RNNCOURSE_TIMINGS`` files). Usage: python .ci/timings.py TIMINGS_DIR
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def book_runtimes() -> dict[str, float]:
    """Seconds per lesson of the last book build (empty if there is none)."""
    pickled = ROOT / "book" / "_build" / ".doctrees" / "environment.pickle"
    if not pickled.is_file():
        return {}
    from myst_nb.sphinx_ import NbMetadataCollector

    with pickled.open("rb") as f:
        env = pickle.load(f)
    found = {}
    for docname, data in NbMetadataCollector.get_doc_data(env).items():
        exec_data = data.get("exec_data") or {}
        if docname.startswith("lessons/") and exec_data.get("runtime") is not None:
            found[docname.split("/", 1)[1]] = float(exec_data["runtime"])
    return found


def solved_runtimes(folder: Path) -> dict[str, float]:
    """Seconds per lesson of the solved runs recorded in ``folder``."""
    found = {}
    for path in sorted(folder.glob("solved-*.json")):
        record = json.loads(path.read_text())
        found[record["lesson"]] = float(record["seconds"])
    return found


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else ROOT / ".ci-timings"
    book, solved = book_runtimes(), solved_runtimes(folder)
    lessons = sorted(set(book) | set(solved))
    if not lessons:
        print("No lesson timings found.")
        return 0
    rows = [(s, book.get(s), solved.get(s)) for s in lessons]
    width = max(len(s) for s in lessons)

    def fmt(x):
        return "-" if x is None else f"{x:.0f}"

    print(f"{'lesson':<{width}}  {'book (s)':>8}  {'solved (s)':>10}  {'total (s)':>9}")
    for stem, b, s in rows:
        total = (b or 0) + (s or 0)
        print(f"{stem:<{width}}  {fmt(b):>8}  {fmt(s):>10}  {total:>9.0f}")
    tb, ts = sum(book.values()), sum(solved.values())
    print(f"{'all lessons':<{width}}  {tb:>8.0f}  {ts:>10.0f}  {tb + ts:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
