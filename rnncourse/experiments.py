"""Small, reproducible training experiments that the lessons measure (needs torch).

The models here are ``torch.nn`` layers (the fused kernels), because the experiments are
about what a recurrent cell can learn, not about how it is implemented; the lessons prove
separately that ``rnncourse.numpy`` and ``rnncourse.torch`` compute the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnncourse.data import adding_problem

__all__ = ["SequenceRegressor", "AddingResult", "train_adding"]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceRegressor(nn.Module):
    r"""A one-layer recurrent cell with a linear read-out of its last hidden state.

    .. math::

        \hat y = W_{hy} h_T + b_y

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
        The recurrent layer: ``torch.nn.RNN`` (tanh), ``LSTM`` or ``GRU``.
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units.
    output_size : int
        Size of the prediction (1 for the adding problem).
    generator : torch.Generator, optional
        Source of the initial weights, drawn as PyTorch does, U(-1/sqrt(H), 1/sqrt(H)), for
        the recurrent layer and the read-out.
    forget_bias : float
        LSTM only: added to the forget-gate bias ``bias_hh_l0[H:2H]`` after initialisation.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int = 1,
                 generator: torch.Generator | None = None, forget_bias: float = 0.0,
                 device=None, dtype=None):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
        if forget_bias and cell != "lstm":
            raise ValueError(f"forget_bias applies to the LSTM only, got cell={cell!r}")
        self.cell = cell
        # Built on the meta device, so that torch.nn's own initialisation draws nothing
        # from torch's global random state; the weights are drawn below from `generator`.
        self.rnn = _CELLS[cell](input_size, hidden_size, device="meta", dtype=dtype)
        self.readout = nn.Linear(hidden_size, output_size, device="meta", dtype=dtype)
        self.to_empty(device=torch.device("cpu") if device is None else device)
        bound = 1.0 / np.sqrt(hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)
            if forget_bias:
                self.rnn.bias_hh_l0[hidden_size:2 * hidden_size] += forget_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (T, B, D) -> prediction (B, output_size)."""
        output, _ = self.rnn(x)  # (T, B, H)
        return self.readout(output[-1])  # (B, output_size)


@dataclass
class AddingResult:
    """What :func:`train_adding` measured.

    Attributes
    ----------
    cell, T, steps : the configuration.
    losses : list of float
        The training MSE of every step (one mini-batch each).
    eval_mse : float
        MSE of the trained model on a held-out batch.
    baseline_mse : float
        MSE of the best constant prediction (the held-out targets' own mean) on the same
        held-out batch: about 1/6. A model that learned nothing scores about this.
    model : SequenceRegressor
        The trained model.
    """

    cell: str
    T: int
    steps: int
    losses: list = field(repr=False)
    eval_mse: float
    baseline_mse: float
    model: SequenceRegressor = field(repr=False)


def train_adding(cell: str, T: int, *, hidden_size: int = 64, batch_size: int = 50,
                 steps: int = 1000, lr: float = 1e-3, clip_norm: float | None = 1.0,
                 seed: int = 0, eval_size: int = 1000, forget_bias: float = 0.0,
                 device=None) -> AddingResult:
    """Train a :class:`SequenceRegressor` on the adding problem and evaluate it.

    Each step draws a fresh mini-batch from :func:`rnncourse.data.adding_problem`, takes one
    Adam step on the MSE, with the gradient clipped to a global norm of ``clip_norm``. The
    data, the initial weights and everything else come from ``seed``; the global random
    states of NumPy and torch are not touched.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    T : int
        Sequence length.
    hidden_size, batch_size, steps, lr : training configuration.
    clip_norm : float or None
        Maximum global gradient norm; None disables clipping.
    seed : int
        Seed for the data and the initial weights.
    eval_size : int
        Number of held-out sequences for ``eval_mse`` and ``baseline_mse``.
    forget_bias : float
        LSTM only, see :class:`SequenceRegressor`.
    device : torch.device or str, optional
        Where to train (default: the CPU).

    Returns
    -------
    AddingResult
    """
    if steps < 1 or batch_size < 1 or eval_size < 1:
        raise ValueError(f"steps, batch_size and eval_size must be positive, got {steps}, {batch_size}, {eval_size}")
    device = torch.device("cpu") if device is None else torch.device(device)
    data_rng = np.random.default_rng([seed, 0])
    eval_rng = np.random.default_rng([seed, 1])
    gen = torch.Generator().manual_seed(seed)
    model = SequenceRegressor(cell, 2, hidden_size, 1, generator=gen,
                              forget_bias=forget_bias).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, y = adding_problem(batch_size, T, data_rng, dtype=np.float32)  # (T, B, 2), (B, 1)
        x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        loss = torch.mean((model(x) - y) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        opt.step()
        losses.append(loss.item())
    x, y = adding_problem(eval_size, T, eval_rng, dtype=np.float32)
    with torch.no_grad():
        pred = model(torch.from_numpy(x).to(device)).cpu().numpy()  # (eval_size, 1)
    eval_mse = float(np.mean((pred - y) ** 2))
    baseline_mse = float(np.mean((y - y.mean()) ** 2))
    return AddingResult(cell, T, steps, losses, eval_mse, baseline_mse, model)
