r"""Optimisers that update a dict of parameter arrays in place.

Both follow PyTorch's update rules exactly (``torch.optim.SGD`` and ``torch.optim.Adam``
without weight decay), so the same hyper-parameters give the same trajectory.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Adam"]


def _check_params(params):
    if not hasattr(params, "items"):
        raise TypeError(f"params must be a dict name -> array, got {type(params).__name__}")
    for name, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(f"params[{name!r}] must be a floating-point numpy array (updated in place), "
                            f"got {type(p).__name__}")
    return params


def _check_grads(params, grads):
    if not hasattr(grads, "items"):
        raise TypeError(f"grads must be a dict name -> array, got {type(grads).__name__}")
    missing = [k for k in params if k not in grads]
    unexpected = [k for k in grads if k not in params]
    wrong = [f"{k}: expected {params[k].shape}, got {np.shape(g)}" for k, g in grads.items()
             if k in params and np.shape(g) != params[k].shape]
    if missing or unexpected or wrong:
        raise ValueError(f"grads must have the names and shapes of params; missing keys: {missing}, "
                         f"unexpected keys: {unexpected}, wrong shapes: {wrong}")


def _check_lr(lr):
    if not isinstance(lr, (int, float, np.floating, np.integer)) or not lr >= 0:
        raise ValueError(f"lr must be a non-negative number, got {lr!r}")
    return float(lr)


class SGD:
    r"""Stochastic gradient descent with (heavy-ball) momentum, as ``torch.optim.SGD``.

    .. math::

        v \leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta v

    (plain :math:`\theta \leftarrow \theta - \eta g` when :math:`\mu = 0`).

    Parameters
    ----------
    params : dict of str to ndarray
        Updated in place (e.g. ``layer.parameters()``; merge several dicts with distinct keys).
    lr : float
        :math:`\eta`.
    momentum : float
        :math:`\mu` in [0, 1).
    """

    def __init__(self, params, lr, momentum=0.0):
        self.params = _check_params(params)
        self.lr = _check_lr(lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity = {k: None for k in params}

    def step(self, grads) -> None:
        """Update every parameter in place from ``grads`` (a dict with the same names and shapes)."""
        _check_grads(self.params, grads)
        for name, p in self.params.items():
            g = np.asarray(grads[name], dtype=p.dtype)
            if self.momentum:
                v = self.velocity[name]
                if v is None:  # PyTorch starts the buffer at the first gradient
                    v = self.velocity[name] = g.copy()
                else:
                    v *= self.momentum
                    v += g
                g = v
            p -= self.lr * g


class Adam:
    r"""Adam (Kingma and Ba, 2015), as ``torch.optim.Adam``.

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
        \theta \leftarrow \theta - \eta \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}.

    Parameters
    ----------
    params : dict of str to ndarray
        Updated in place.
    lr : float
        :math:`\eta`.
    betas : tuple of float
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float
        :math:`\epsilon`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = _check_params(params)
        self.lr = _check_lr(lr)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        if not eps >= 0:
            raise ValueError(f"eps must be non-negative, got {eps!r}")
        self.eps = float(eps)
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self, grads) -> None:
        """Update every parameter in place from ``grads`` (a dict with the same names and shapes)."""
        _check_grads(self.params, grads)
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t  # bias corrections
        for name, p in self.params.items():
            g = np.asarray(grads[name], dtype=p.dtype)
            m, v = self.m[name], self.v[name]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
