"""The argument-checking wrapper of the functions that are also exercises (stdlib only).

An exercise's reference solution is a plain function: the algorithm alone, runnable when
pasted into a notebook. Its arguments are checked by a wrapper applied after the definition,
``f = _checked(f, _f_args)``, where ``_f_args`` takes the arguments as given and returns them
checked and converted (or raises). ``inspect.getsource(f)`` and ``help(f)`` still show the
function itself.

Used by :mod:`rnncourse.decoding`, :mod:`rnncourse.metrics`, :mod:`rnncourse.numpy.ctc` and
:mod:`rnncourse.datasets.chorales`; it imports nothing but the standard library, so
``rnncourse.numpy`` still needs NumPy only.
"""

from __future__ import annotations

import functools
import inspect

__all__ = ["checked"]


def checked(fn, check_args):
    """``fn`` whose arguments are first checked and converted by ``check_args``.

    The call is first bound to ``fn``'s signature (a call that does not fit it raises
    ``TypeError`` before any check), then ``fn(*check_args(*bound.args))`` runs. The
    arguments left out of the call are not passed on, so ``check_args`` takes the parameters
    of ``fn`` with the same defaults.
    """
    signature = inspect.signature(fn)

    @functools.wraps(fn)  # keeps the name, the docstring and (in __wrapped__) the source
    def checked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        return fn(*check_args(*bound.args))

    return checked
