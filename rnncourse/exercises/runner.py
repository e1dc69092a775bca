"""Run a learner's function safely: under a time limit, catching everything.

The call runs in a daemon thread; the checker waits at most ``timeout`` seconds. If the
function is still running then, the checker raises :class:`CheckTimeout` inside that thread
(``PyThreadState_SetAsyncExc``), which stops any loop written in Python at its next bytecode.
A call stuck inside one long C routine (one enormous NumPy operation) stops only when that
routine returns; until then it keeps running in the background, but the kernel stays usable
and the verdict says so. What the call prints is captured (so a check makes exactly one
output); the checker shows the first call's printout with a failing verdict.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import linecache
import os
import re
import sysconfig
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np

DEFAULT_TIMEOUT = 5.0

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple(
    sorted(
        {
            os.path.abspath(p)
            for key in ("stdlib", "platstdlib", "purelib", "platlib")
            if (p := sysconfig.get_paths().get(key))
        }
    )
)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class CheckTimeout(BaseException):
    """Raised inside a learner's call that ran past the time limit (a BaseException, so that
    ``except Exception`` in the learner's loop cannot swallow it)."""


@dataclass
class Frame:
    """One line of the learner's own code in a traceback."""

    function: str
    lineno: int
    line: str


@dataclass
class Outcome:
    """What happened when the learner's function was called once."""

    kind: str  # "ok", "error" or "timeout"
    value: object = None
    error_type: str = ""
    error_message: str = ""
    frames: list = field(default_factory=list)
    stopped: bool = True  # for timeouts: whether the runaway thread was stopped
    exception: BaseException | None = None
    printed: str = ""  # what the call wrote to stdout/stderr (kept out of the notebook)

    @property
    def error_line(self) -> str:
        return f"{self.error_type}: {self.error_message}" if self.error_message else self.error_type


def clean_text(text: str) -> str:
    """Remove memory addresses from text shown to the learner (keeps output deterministic)."""
    return _ADDRESS.sub("", str(text))


def _is_learner_file(filename: str) -> bool:
    if not filename or filename.startswith("<frozen"):
        return False
    if filename.startswith("<"):  # "<string>", "<stdin>": code typed by the learner
        return True
    path = os.path.abspath(filename)
    if path.startswith(_PACKAGE_DIR + os.sep):
        return False
    return not any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def learner_frames(tb, limit: int = 6) -> list:
    """The frames of a traceback that belong to the learner's code (not NumPy, not us)."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_learner_file(code.co_filename):
            line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            frames.append(Frame(code.co_name, tb.tb_lineno, line))
        tb = tb.tb_next
    return frames[-limit:]


def _async_raise(thread_id: int, exc_type) -> bool:
    set_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    set_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
    set_exc.restype = ctypes.c_int
    n = set_exc(ctypes.c_ulong(thread_id), ctypes.py_object(exc_type))
    if n > 1:  # pragma: no cover - cannot happen with a valid id; undo as documented
        set_exc(ctypes.c_ulong(thread_id), ctypes.py_object(None))
        return False
    return n == 1


def call(fn, args, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Call ``fn(*args)`` in a daemon thread, wait at most ``timeout`` seconds; never raises
    (except KeyboardInterrupt, which belongs to the learner)."""
    box: dict = {}

    def target():
        try:
            with np.errstate(all="ignore"):
                box["value"] = fn(*args)
        except CheckTimeout:
            box["timeout"] = True
        except BaseException as exc:  # noqa: BLE001 - everything the learner raises is a verdict
            box["exc"] = exc

    thread = threading.Thread(target=target, name="rnncourse-check", daemon=True)
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        warnings.simplefilter("ignore")
        thread.start()
        try:
            thread.join(timeout)
        except KeyboardInterrupt:  # the learner interrupted the kernel: stop their call too
            _async_raise(thread.ident, CheckTimeout)
            raise
        if thread.is_alive():
            _async_raise(thread.ident, CheckTimeout)
            thread.join(1.0)
            return Outcome("timeout", stopped=not thread.is_alive(), printed=clean_text(printed.getvalue()))
    text = clean_text(printed.getvalue())
    if "timeout" in box:  # pragma: no cover - the exception arrived just as it finished
        return Outcome("timeout", printed=text)
    if "exc" in box:
        exc = box["exc"]
        return Outcome(
            "error",
            error_type=type(exc).__name__,
            error_message=clean_text(exc),
            frames=learner_frames(exc.__traceback__),
            exception=exc,
            printed=text,
        )
    return Outcome("ok", value=box.get("value"), printed=text)
