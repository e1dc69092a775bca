"""Your progress: the best status of every exercise you have checked.

Kept per user in ``progress.json`` in the platform's data directory
(``platformdirs.user_data_dir("rnncourse")``; ``RNNCOURSE_DATA_DIR`` overrides it), never in
the working directory. Off when ``CI`` is set, while the book is built
(``RNNCOURSE_CONTEXT=book``), or when ``RNNCOURSE_NO_PROGRESS=1``. Written atomically (a
temporary file, then ``os.replace``); a corrupt file is reported, renamed aside to
``progress.json.corrupt-N`` and replaced by a fresh one. Nothing here ever raises into a check.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

FILENAME = "progress.json"
VERSION = 1
_ATTEMPTED = ("error", "timeout", "wrong_type", "wrong_shape", "mistake", "wrong_values", "mutated_input")


def rank(status: str) -> int:
    """pass (2) beats any attempt (1), which beats not attempted (0)."""
    return 2 if status == "pass" else 1 if status in _ATTEMPTED else 0


def enabled() -> bool:
    if os.environ.get("CI"):
        return False
    if os.environ.get("RNNCOURSE_CONTEXT", "").strip().lower() == "book":
        return False
    return os.environ.get("RNNCOURSE_NO_PROGRESS", "").strip().lower() not in ("1", "true", "yes")


def data_dir() -> Path:
    override = os.environ.get("RNNCOURSE_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("rnncourse", appauthor=False))


def path() -> Path:
    return data_dir() / FILENAME


def _set_aside(p: Path) -> Path:
    n = 1
    while (aside := p.with_name(f"{p.name}.corrupt-{n}")).exists():
        n += 1
    os.replace(p, aside)
    return aside


def load(report=None) -> dict:
    """The stored progress, ``{exercise_id: {"best": status, "last": status, "checks": n}}``.

    A corrupt file is renamed aside and reported through ``report`` (default: a line on stderr).
    """
    report = report or (lambda msg: print(msg, file=sys.stderr))
    p = path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        report(f"rnncourse: could not read your progress file ({type(exc).__name__}); progress not shown.")
        return {}
    try:
        data = json.loads(text)
        exercises = data["exercises"]
        if not isinstance(exercises, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("best"), str) for v in exercises.values()
        ):
            raise ValueError("unexpected structure")
        return exercises
    except (ValueError, KeyError, TypeError):
        try:
            aside = _set_aside(p)
            report(f"rnncourse: your progress file was corrupt; it was renamed to {aside.name} and a new one started.")
        except OSError:
            report("rnncourse: your progress file is corrupt and could not be renamed; progress not recorded.")
            raise
        return {}


def _write(exercises: dict) -> None:
    p = path()
    p.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"version": VERSION, "exercises": exercises}, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def record(exercise_id: str, status: str) -> bool:
    """Record one check; returns whether anything was written. Never raises."""
    if not enabled():
        return False
    try:
        exercises = load()
        entry = dict(exercises.get(exercise_id, {}))
        best = entry.get("best", "not_attempted")
        if rank(status) > rank(best) or "best" not in entry:
            best = status
        elif rank(status) == rank(best) and status != "pass":
            best = status  # among attempts the latest is the most informative
        exercises[exercise_id] = {"best": best, "last": status, "checks": int(entry.get("checks", 0)) + 1}
        _write(exercises)
        return True
    except Exception:  # noqa: BLE001 - progress must never break a check
        return False


def table() -> list:
    """Rows (lesson, exercise, best status, checks) for every exercise, in lesson order."""
    from . import EXERCISES

    stored = load()
    rows = []
    for e in EXERCISES.values():
        entry = stored.get(e.id, {})
        rows.append((e.lesson, e.id, entry.get("best", "-"), entry.get("checks", 0)))
    return rows
