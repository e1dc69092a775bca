"""Argument checks shared by the generated data sets (``dna``, ``digits``)."""

from __future__ import annotations

import numpy as np


def check_int(name: str, value, minimum: int) -> int:
    """``value`` as an int, refused (naming ``name``) unless an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_seed(seed):
    """A non-negative int seed as an int, or a ``numpy.random.SeedSequence`` as it is."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int or a numpy.random.SeedSequence "
                        f"(so that the data can be drawn again), got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)
