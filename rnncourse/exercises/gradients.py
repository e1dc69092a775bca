"""Finite-difference gradients, to verify the answers of the backward exercises."""

from __future__ import annotations

import numpy as np


def numerical_gradients(loss, arrays, eps: float = 1e-6) -> list:
    """Central differences of the scalar ``loss()`` with respect to each array (perturbed in
    place and restored)."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a, dtype=float)
        it = np.nditer(a, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            old = a[idx]
            a[idx] = old + eps
            plus = loss()
            a[idx] = old - eps
            minus = loss()
            a[idx] = old
            g[idx] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def max_rel_error(analytic, numeric) -> float:
    """max |a - n| / max(|a| + |n|, tiny), over a list of arrays."""
    worst = 0.0
    for a, n in zip(analytic, numeric):
        a = np.asarray(a, dtype=float)
        scale = max(float(np.max(np.abs(a) + np.abs(n), initial=0.0)), 1e-12)
        worst = max(worst, float(np.max(np.abs(a - n), initial=0.0)) / scale)
    return worst
