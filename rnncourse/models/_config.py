"""The checks shared by the models' frozen config dataclasses (stdlib only).

Each config's ``__post_init__`` calls these with the names of its fields, so that a bad value
raises ``ValueError`` naming the field and the value given; ``replace = _replace`` in the class
body gives it its :meth:`replace` method.
"""

from __future__ import annotations

import dataclasses

__all__ = ["check_positive_ints", "check_positive_reals", "check_seed", "replace"]


def check_positive_ints(config, names) -> None:
    """Each field in ``names`` must be an int >= 1 (not a bool)."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_positive_reals(config, names, what: str = "a positive finite number") -> None:
    """Each field in ``names`` must be an int or a float, > 0 and finite (not a bool).

    The message reads ``"{name} must be {what}, got {value!r}"``.
    """
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ValueError(f"{name} must be {what}, got {value!r}")


def check_seed(config) -> None:
    """The field ``seed`` must be an int >= 0 (not a bool)."""
    seed = config.seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def replace(self, **changes):
    """A copy with some fields changed (validated again)."""
    return dataclasses.replace(self, **changes)
