r"""A small training loop for the lessons: clipping, truncated BPTT, progress, loss history.

Everything here is ordinary PyTorch; the loop is short on purpose so that the lessons can
show it. Randomness comes only from generators you pass (:func:`rnncourse.torch.make_generator`): nothing
here seeds torch's global generator.
"""

from __future__ import annotations

import math
import os
import sys
import types
import warnings
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["make_generator", "detach_state", "clip_grad_norm_", "History", "fit"]


def make_generator(seed: int, device=None) -> torch.Generator:
    """Return a new ``torch.Generator`` seeded with ``seed``: reproducible, and local.

    Parameters
    ----------
    seed : int
        A non-negative integer.
    device : str or torch.device, optional
        The generator's device (CPU when None). Random tensors drawn with it must be made on
        that device; the modules' ``generator=`` arguments accept a CPU generator for any
        device, so the same seed gives the same weights everywhere.

    Returns
    -------
    torch.Generator
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    g = torch.Generator(device=torch.device("cpu") if device is None else torch.device(device))
    g.manual_seed(int(seed))
    return g


def detach_state(state):
    """Cut the graph behind a recurrent state (the "truncated" in truncated BPTT).

    Parameters
    ----------
    state : Tensor, tuple or list of Tensor (nested allowed), or None
        For example h of shape (L, B, H), or the LSTM's (h, c).

    Returns
    -------
    The same structure with every tensor detached (same values, no history); None stays None.
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"state must be a Tensor, a tuple or list of Tensors, or None; got {type(state).__name__}")


def _check_max_norm(max_norm) -> float | None:
    """``max_norm`` as a float (None stays None); refuse a negative or NaN one, or a non-number."""
    if max_norm is None:
        return None
    if isinstance(max_norm, (str, bytes)):
        raise TypeError(f"max_norm must be a number or None, got {max_norm!r}")
    try:
        value = float(max_norm)  # float, int, numpy scalar, one-element tensor: as torch's float(max_norm)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"max_norm must be a number or None, got {max_norm!r}") from None
    if math.isnan(value) or value < 0:
        raise ValueError(f"max_norm must be a non-negative number or None, got {max_norm!r} "
                         "(a negative max_norm would flip every gradient, a NaN one make them NaN)")
    return value


@torch.no_grad()
def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float | None,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> float:
    r"""Scale the gradients in place so that their global norm is at most ``max_norm``.

    .. math::

        \lVert g \rVert_p = \Big(\textstyle\sum_i \lVert g_i \rVert_p^p\Big)^{1/p}, \qquad
        g_i \leftarrow g_i \cdot \min\!\left(1, \frac{c}{\lVert g \rVert_p + 10^{-6}}\right)

    with :math:`c` = ``max_norm`` and :math:`p` = ``norm_type`` (the norm of all the gradients
    seen as one vector), as ``torch.nn.utils.clip_grad_norm_``, whose arguments it takes. Two
    differences:

    * it returns the norm as a Python ``float`` (torch returns a 0-d tensor), which is what
      :func:`fit` and the lessons record; on a GPU this waits for the norm;
    * a negative or NaN ``max_norm`` raises ``ValueError`` (torch silently flips the gradients,
      or makes them NaN), as :func:`rnncourse.numpy.clip_grad_norm` does.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Parameters whose ``.grad`` to clip (those without a gradient are skipped). A
        generator is consumed once; an empty one warns, as in torch.
    max_norm : float, int or None
        The largest allowed norm, :math:`c \ge 0` (``inf``: never clips); None only measures.
    norm_type : float
        :math:`p`: 2.0 (Euclidean, the default), ``float('inf')`` (largest absolute entry),
        or any other order that ``torch.linalg.vector_norm`` accepts.
    error_if_nonfinite : bool
        Raise ``RuntimeError`` (before changing anything) when the total norm is NaN or
        infinite, instead of scaling by it.
    foreach : bool or None
        True: use the fused ``torch._foreach_*`` kernels (an error where the device has none);
        None or False: one tensor at a time. The result is the same up to rounding.

    Returns
    -------
    float
        The global norm before clipping (0.0 when no parameter has a gradient).
    """
    max_norm = _check_max_norm(max_norm)
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read once
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return 0.0
    groups: dict = {}  # the fused kernels want one device and dtype per call
    for g in grads:
        groups.setdefault((g.device, g.dtype), []).append(g)
    norms = []
    for group in groups.values():
        if foreach:
            norms.extend(torch._foreach_norm(group, norm_type))
        else:
            norms.extend(torch.linalg.vector_norm(g, norm_type) for g in group)
    first_device = grads[0].device
    total = torch.linalg.vector_norm(torch.stack([n.to(first_device) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(torch.isfinite(total)):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {float(total)}, "
                           "so it cannot be clipped; set error_if_nonfinite=False to scale the "
                           "gradients by it anyway")
    if max_norm is not None:
        scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for (device, _), group in groups.items():
            if foreach:
                torch._foreach_mul_(group, scale.to(device))
            else:
                for g in group:
                    g.mul_(scale.to(device))
    return float(total)


@dataclass
class History:
    """What :func:`fit` records, one entry per optimiser step: ``losses`` and ``grad_norms``."""

    #: The training loss of each step (of each chunk, with truncated BPTT), floats.
    losses: list = field(default_factory=list)
    #: The global gradient norm of each step, before clipping, floats.
    grad_norms: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.losses)

    def plot(self, ax=None, *, smooth: int = 1, logy: bool = False, label: str | None = None):
        """Plot the loss against the step (matplotlib), optionally as a running mean.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (a new figure when None).
        smooth : int
            Window of the running mean (1: raw losses).
        logy : bool
            Logarithmic loss axis.
        label : str, optional
            Legend label of the curve.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        if not isinstance(smooth, int) or smooth < 1:
            raise ValueError(f"smooth must be a positive integer, got {smooth!r}")
        y = np.asarray(self.losses, dtype=float)
        x = np.arange(1, len(y) + 1)
        if smooth > 1 and len(y) >= smooth:
            y = np.convolve(y, np.ones(smooth) / smooth, mode="valid")
            x = x[smooth - 1:]
        ax.plot(x, y, label=label)
        ax.set_xlabel("step")
        ax.set_ylabel("loss" if smooth == 1 else f"loss (mean of {smooth} steps)")
        if logy:
            ax.set_yscale("log")
        if label is not None:
            ax.legend()
        return ax


def _progress_by_default() -> bool:
    """A progress bar only for a person at a terminal: not in notebooks, pipes or CI."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


def _to_device(a, ref: Tensor):
    """NumPy arrays become tensors (floats in the model's dtype); all go to the model's device."""
    if isinstance(a, np.ndarray):
        t = torch.as_tensor(a)
        dtype = ref.dtype if t.is_floating_point() else None
        return t.to(device=ref.device, dtype=dtype)
    if isinstance(a, Tensor):
        return a.to(ref.device)
    return a


def _tqdm_class(show: bool):
    """tqdm.auto's bar when it is shown (a widget in Jupyter), else the plain class.

    Importing ``tqdm.auto`` in a kernel without ipywidgets warns on stderr; a hidden bar
    has no reason to pay for that, and the warning would end up in executed notebooks.
    """
    if not show:
        from tqdm import tqdm
        return tqdm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm


def fit(model: nn.Module, optimizer: torch.optim.Optimizer, batches, loss_fn: Callable,
        steps: int, *, clip_norm: float | None = None, bptt: int | None = None,
        carry_state: bool = False, progress: bool | None = None,
        history: History | None = None, desc: str = "fit") -> History:
    r"""Train ``model`` for ``steps`` optimiser steps and return the loss history.

    Signature::

        fit(model, optimizer, batches, loss_fn, steps, *, clip_norm=None, bptt=None,
            carry_state=False, progress=None, history=None, desc="fit") -> History

    Each step is: zero the gradients, forward, ``loss.backward()``, clip the global gradient
    norm to ``clip_norm`` (see :func:`rnncourse.torch.clip_grad_norm_`), ``optimizer.step()``.

    Without ``bptt`` a step uses one batch: ``loss = loss_fn(model(inputs), targets)``.

    With ``bptt=k`` (truncated backpropagation through time) every batch is cut along its
    first (time) axis into chunks of k steps, and each chunk is one optimiser step:
    ``output, state = model(inputs[t:t+k], state)``, ``loss = loss_fn(output,
    targets[t:t+k])``. The state carries over to the next chunk but is detached first
    (:func:`rnncourse.torch.detach_state`), so the gradient of a chunk flows through that chunk only, the
    graph never grows, and the memory stays that of k steps. The state starts as None for
    every batch, or only for the first one with ``carry_state=True`` (when consecutive
    batches continue the same sequences).

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(inputs)``, or ``model(inputs, state) -> (output, state)`` with
        ``bptt``. It is put in training mode.
    optimizer : torch.optim.Optimizer
        Over the parameters to train (these are the ones clipped).
    batches : callable or iterable
        ``batches() -> (inputs, targets)`` called once per batch, or an iterable of such
        pairs (re-iterated when it runs out, like a list or a DataLoader; a one-shot
        iterator that runs out ends training early, with a warning). NumPy arrays are
        converted to tensors (floating ones to the model's dtype); all tensors are moved to
        the device of the model's first parameter. With ``bptt`` both are time-major.
    loss_fn : callable
        ``loss_fn(output, targets) -> scalar Tensor``.
    steps : int
        Number of optimiser steps (chunks, with ``bptt``).
    clip_norm : float, optional
        Largest global gradient norm; None does not clip.
    bptt : int, optional
        Chunk length k for truncated BPTT; None trains on whole batches.
    carry_state : bool
        With ``bptt``: keep the (detached) state from one batch to the next.
    progress : bool, optional
        Show a tqdm progress bar (``tqdm.auto``). None (default): only when stderr is a
        terminal and the environment variable ``CI`` is not set, so notebook and CI output
        stays clean and deterministic.
    history : History, optional
        A history to append to (to continue training); a new one when None.
    desc : str
        The progress bar's label.

    Returns
    -------
    History
        ``losses`` and ``grad_norms`` (before clipping), one entry per step.

    Examples
    --------
    >>> hist = fit(model, torch.optim.Adam(model.parameters(), 1e-2),
    ...            lambda: adding_problem(32, 50, rng), torch.nn.functional.mse_loss,
    ...            steps=200, clip_norm=1.0)  # doctest: +SKIP
    >>> hist.plot()  # doctest: +SKIP
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if bptt is not None and (isinstance(bptt, bool) or not isinstance(bptt, (int, np.integer)) or bptt < 1):
        raise ValueError(f"bptt must be a positive integer (the chunk length) or None, got {bptt!r}")
    if clip_norm is not None and not (isinstance(clip_norm, (int, float)) and clip_norm > 0):
        raise ValueError(f"clip_norm must be a positive number or None, got {clip_norm!r}")
    if not callable(batches) and not isinstance(batches, Iterable):
        raise TypeError(f"batches must be a callable returning (inputs, targets) or an iterable of "
                        f"such pairs, got {type(batches).__name__}")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    ref = next(model.parameters(), None)
    if ref is None:
        raise ValueError("model has no parameters to train")
    history = History() if history is None else history
    iterator = None if callable(batches) else iter(batches)

    def next_batch():
        nonlocal iterator
        if iterator is None:
            return batches()
        try:
            return next(iterator)
        except StopIteration:
            iterator = iter(batches)
            return next(iterator)  # an exhausted one-shot iterator raises StopIteration again

    def optimiser_step(loss: Tensor) -> None:
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar tensor, got shape {tuple(loss.shape)}")
        loss.backward()
        norm = clip_grad_norm_(params, clip_norm)
        optimizer.step()
        history.losses.append(float(loss.detach()))
        history.grad_norms.append(norm)
        bar.update(1)
        bar.set_postfix(loss=f"{history.losses[-1]:.4g}", refresh=False)

    model.train()
    show = _progress_by_default() if progress is None else bool(progress)
    tqdm = _tqdm_class(show)
    done, state = 0, None
    with tqdm(total=steps, desc=desc, disable=not show, leave=False) as bar:
        while done < steps:
            try:
                inputs, targets = next_batch()
            except StopIteration:
                warnings.warn(f"fit: batches ran out after {done} of {steps} steps; pass a callable "
                              "or a re-iterable (a list, a DataLoader)", RuntimeWarning, stacklevel=2)
                break
            inputs, targets = _to_device(inputs, ref), _to_device(targets, ref)
            if bptt is None:
                optimizer.zero_grad(set_to_none=True)
                optimiser_step(loss_fn(model(inputs), targets))
                done += 1
                continue
            if not carry_state:
                state = None
            for start in range(0, inputs.shape[0], bptt):
                if done >= steps:
                    break
                optimizer.zero_grad(set_to_none=True)
                output, state = model(inputs[start:start + bptt], state)  # (k, B, ...)
                optimiser_step(loss_fn(output, targets[start:start + bptt]))
                state = detach_state(state)  # the truncation: no gradient into earlier chunks
                done += 1
    if any(not math.isfinite(v) for v in history.losses[-1:]):
        warnings.warn("fit: the last loss is not finite (try a smaller learning rate or clip_norm)",
                      RuntimeWarning, stacklevel=2)
    return history
