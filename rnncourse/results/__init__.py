"""Figures measured with ``rnncourse train`` that the lessons quote (small JSON reports).

Each ``<name>.json`` is the ``report.json`` a training command wrote, copied here unchanged:
the model's and the baselines' held-out figures, the configuration, the device, the training
time and the date. The lessons read them with :func:`load_report`; nothing here is computed
in the page, so the lessons say where each figure comes from.
"""

from __future__ import annotations

import json
from importlib import resources

__all__ = ["load_report", "available"]


def available() -> list[str]:
    """The names of the stored reports."""
    return sorted(p.name[:-5] for p in resources.files(__name__).iterdir() if p.name.endswith(".json"))


def load_report(name: str) -> dict:
    """The stored report ``name`` (e.g. ``"charlm_full_lstm"``), as a dict.

    Raises
    ------
    KeyError
        No report of that name; the message lists the stored ones.
    """
    path = resources.files(__name__) / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no stored report {name!r}; available: {', '.join(available()) or 'none'}")
    return json.loads(path.read_text(encoding="utf-8"))
