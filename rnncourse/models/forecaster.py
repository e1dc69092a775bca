r"""A recurrent forecaster on windows: read the last W values, predict the next ones.

A window :math:`x_0, \dots, x_{W-1}` (the W most recent observations, D features each) is
read by a GRU or an LSTM, and a linear layer maps the last hidden state to the forecast:

.. math::

    h_t = \mathrm{RNN}(x_t, h_{t-1}) \quad (t = 0, \dots, W-1,\ h_{-1} = 0), \qquad
    \hat y = W_o\, h_{W-1} + b_o \in \mathbb{R}^{\text{horizon}},

where :math:`\hat y_k` forecasts the target k + 1 steps after the window. Training
(:func:`fit_forecaster`) minimises the mean squared error over the minibatch and over the
horizon, :math:`\frac{1}{B\,\text{horizon}} \sum_b \sum_k (\hat y_{b,k} - y_{b,k})^2`, with
Adam(W) and a clipped global gradient norm.

Two strategies for forecasting several steps ahead:

*direct*
    one model with ``horizon`` outputs predicts all the steps at once (this class, with
    horizon > 1). Each output is trained on its own target, so errors are not fed back,
    but the model needs ``horizon`` outputs and knows nothing beyond that horizon.
*recursive*
    a one-step model (horizon = 1) predicts the next value, which is appended to the window
    as its newest value (the oldest one drops out), and the model is run again
    (:func:`recursive_forecast`). Any horizon can be reached, but from the second step on
    the model reads its own predictions, and their errors compound.

Window length: :func:`fit_forecaster` stores the training windows' length W on the model
as ``model.window`` (or checks it against the ``window`` given to the constructor), and
:func:`recursive_forecast` cuts its windows to that length. The layer itself reads windows
of any length.

Scaling: recurrent layers learn best from values of order one. Scale inputs (and targets)
with statistics of the training part only, never of the whole series, or the test period
leaks into training; the lesson does it with ``rnncourse.forecasting``. The forecaster
works in whatever units it is given: unscale its outputs yourself.

Shapes: W the window length, B the batch (M windows in all), D the features per step
(1 for a univariate series), H the hidden size, ``horizon`` the outputs. The layer is
time-major, (W, B, D); ``forward`` also takes univariate windows as rows, (B, W), as
``rnncourse.forecasting.make_forecast_windows`` makes them. :func:`fit_forecaster` and
:func:`predict` take windows as rows: (M, W) or (M, W, D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnncourse.models._config import check_positive_ints, check_positive_reals, check_seed, replace as _replace
from rnncourse.torch import init_uniform_, make_generator
from rnncourse.torch.train import History, fit

__all__ = ["ForecasterConfig", "BOOK_CONFIGS", "FULL_CONFIGS", "Forecaster", "fit_forecaster", "predict",
           "recursive_forecast"]

CELLS = ("gru", "lstm")


@dataclass(frozen=True)
class ForecasterConfig:
    """The model and its training, in one record (the training command prints it).

    Attributes
    ----------
    cell : str
        ``"gru"`` or ``"lstm"``.
    hidden_size, num_layers : int
        H, and the number of stacked recurrent layers.
    steps, batch_size : int
        Adam steps, and the windows per step.
    lr, clip_norm, weight_decay : float
        Adam's learning rate, the largest global gradient norm, and L2 weight decay (AdamW).
    seed : int
        Seeds the weights and the minibatch order.
    """

    cell: str = "gru"
    hidden_size: int = 32
    num_layers: int = 1
    steps: int = 600
    batch_size: int = 64
    lr: float = 3e-3
    clip_norm: float = 1.0
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        check_positive_ints(self, ("hidden_size", "num_layers", "steps", "batch_size"))
        check_positive_reals(self, ("lr", "clip_norm"))
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        check_seed(self)

    replace = _replace


#: The configurations of lesson 12: for about 1,000 windows of length <= 30, a few seconds each on a
#: CPU (GRU, H = 32, B = 64, W = 30: about 5 to 7 ms a step on one thread; the LSTM about half that).
BOOK_CONFIGS = {
    "sunspots": ForecasterConfig(hidden_size=32, steps=600),
    "weather": ForecasterConfig(hidden_size=32, steps=600),
    "co2": ForecasterConfig(hidden_size=32, steps=600, lr=5e-3),
    # close to a random walk: little to learn beyond persistence, so a small, regularised model
    "stocks": ForecasterConfig(hidden_size=16, steps=300, weight_decay=1e-4),
}
#: Bigger and longer (``--full``; a GPU when there is one).
FULL_CONFIGS = {name: c.replace(hidden_size=2 * c.hidden_size, num_layers=2, steps=4 * c.steps)
                for name, c in BOOK_CONFIGS.items()}


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Forecaster(nn.Module):
    """GRU or LSTM over a window -> linear layer from the last hidden state to ``horizon`` values.

    Parameters
    ----------
    input_size : int
        D, the features per time step (1 for a univariate series).
    horizon : int
        The number of future values predicted at once (1: a one-step model, which
        :func:`recursive_forecast` can roll forward).
    window : int, optional
        W, the window length the model is meant for. None: :func:`fit_forecaster` sets it to
        the length of the training windows. Only :func:`recursive_forecast` uses it.
    config : ForecasterConfig
        Sizes, cell and training.
    device : torch.device or str, optional

    The weights come from a generator seeded with ``config.seed`` (torch.nn's uniform
    initialisation), never from torch's global random state.
    """

    def __init__(self, input_size: int, horizon: int, *, window: int | None = None,
                 config: ForecasterConfig = ForecasterConfig(), device=None):
        super().__init__()
        input_size = _positive_int("input_size", input_size)
        horizon = _positive_int("horizon", horizon)
        self.window = None if window is None else _positive_int("window", window)
        self.config = config
        H = config.hidden_size
        layer = nn.GRU if config.cell == "gru" else nn.LSTM
        with torch.random.fork_rng(devices=[]):  # torch.nn draws initial weights globally: undo that
            self.rnn = layer(input_size, H, num_layers=config.num_layers)
            self.head = nn.Linear(H, horizon)
        init_uniform_(self.parameters(), H, make_generator(config.seed))
        self.to(device)

    @property
    def input_size(self) -> int:
        return self.rnn.input_size

    @property
    def horizon(self) -> int:
        return self.head.out_features

    def _time_major(self, x) -> Tensor:
        """(B, W) rows of a univariate series, or (W, B, D) -> (W, B, D) in the model's dtype."""
        if isinstance(x, np.ndarray):
            x = torch.as_tensor(x)
        D = self.input_size
        expected = f"(W, B, D={D})" + (" or (B, W)" if D == 1 else "")
        if not isinstance(x, Tensor) or x.dim() not in (2, 3) or (x.dim() == 2 and D != 1) or \
                (x.dim() == 3 and x.shape[2] != D):
            shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"windows must have shape {expected}, got {shape}")
        if x.dim() == 2:
            x = x.T.unsqueeze(-1)                                  # (B, W) -> (W, B, 1)
        if x.shape[0] < 1 or x.shape[1] < 1:
            raise ValueError(f"windows need W >= 1 steps and B >= 1 windows, got shape (W, B, D) = "
                             f"{tuple(x.shape)}")
        return x.to(device=self.head.weight.device, dtype=self.head.weight.dtype)

    def last_state(self, x) -> Tensor:
        """The top layer's hidden state after the last step of each window, (B, H)."""
        _, h_n = self.rnn(self._time_major(x))                     # h_n (num_layers, B, H)
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n            # LSTM: (h_n, c_n)
        return h_n[-1]                                             # (B, H)

    def forward(self, x) -> Tensor:
        """Windows (W, B, D), or univariate windows (B, W) -> forecasts (B, horizon)."""
        return self.head(self.last_state(x))


def _windows_as_rows(model: Forecaster, X, what: str = "X") -> Tensor:
    """X (M, W) or (M, W, D) -> a tensor (W, M, D) in the model's dtype and device, checked."""
    X = X if isinstance(X, Tensor) else torch.as_tensor(np.asarray(X))
    D = model.input_size
    expected = f"(M, W, D={D})" + (" or (M, W)" if D == 1 else "")
    if X.dim() not in (2, 3) or (X.dim() == 2 and D != 1) or (X.dim() == 3 and X.shape[2] != D):
        raise ValueError(f"{what} must hold windows as rows, shape {expected}, got {tuple(X.shape)}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{what} needs M >= 1 windows of W >= 1 steps, got shape {tuple(X.shape)}")
    X = X.to(device=model.head.weight.device, dtype=model.head.weight.dtype)
    if not torch.isfinite(X).all():
        raise ValueError(f"{what} holds NaN or infinite values; fill or drop them first")
    X = X if X.dim() == 3 else X.unsqueeze(-1)                     # (M, W, D)
    return X.transpose(0, 1)                                       # (W, M, D), time-major


def fit_forecaster(model: Forecaster, X, Y, *, steps: int | None = None, progress: bool | None = None,
                   history: History | None = None) -> History:
    """Train ``model`` with Adam(W) on the mean squared error; minibatches and steps from ``model.config``.

    Parameters
    ----------
    model : Forecaster
    X : array or Tensor, (M, W) or (M, W, D)
        M training windows as rows (a (M, W) array only for a univariate model, D = 1).
    Y : array or Tensor, (M, horizon)
        Their targets; (M,) is accepted for a one-step model.
    steps : int, optional
        Overrides ``model.config.steps``.
    progress, history
        As in ``rnncourse.torch.fit``.

    Returns
    -------
    History
        The training loss (mean squared error over the minibatch and the horizon, in the units
        of Y squared) and the gradient norm of every step.

    Sets ``model.window`` to W when it is None; raises ValueError when it is another length.
    Minibatches of ``config.batch_size`` windows (all M when there are fewer) come from
    shuffles drawn with ``np.random.default_rng(config.seed)``.
    """
    cfg = model.config
    Xt = _windows_as_rows(model, X)                                # (W, M, D)
    W, M = Xt.shape[0], Xt.shape[1]
    Yt = (Y if isinstance(Y, Tensor) else torch.as_tensor(np.asarray(Y))).to(Xt)
    if Yt.dim() == 1 and model.horizon == 1:
        Yt = Yt.unsqueeze(1)                                       # (M,) -> (M, 1)
    if tuple(Yt.shape) != (M, model.horizon):
        raise ValueError(f"Y must have shape (M, horizon) = ({M}, {model.horizon}), got {tuple(Yt.shape)}")
    if not torch.isfinite(Yt).all():
        raise ValueError("Y holds NaN or infinite values; fill or drop them first")
    if model.window is None:
        model.window = W
    elif model.window != W:
        raise ValueError(f"the model is for windows of W = {model.window} steps, X has W = {W}")

    rng = np.random.default_rng(cfg.seed)
    batch_size = min(cfg.batch_size, M)
    order, pos = rng.permutation(M), 0

    def next_batch():
        nonlocal order, pos
        if pos + batch_size > M:
            order, pos = rng.permutation(M), 0
        idx = torch.as_tensor(order[pos:pos + batch_size], device=Xt.device)
        pos += batch_size
        return Xt[:, idx], Yt[idx]                                 # (W, b, D), (b, horizon)

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    return fit(model, optimizer, next_batch, F.mse_loss, cfg.steps if steps is None else steps,
               clip_norm=cfg.clip_norm, progress=progress, history=history, desc="fit_forecaster")


@torch.no_grad()
def predict(model: Forecaster, X, batch_size: int = 4096) -> np.ndarray:
    """Forecasts (M, horizon), float64, for windows X (M, W) or (M, W, D), in evaluation mode."""
    batch_size = _positive_int("batch_size", batch_size)
    model.eval()
    Xt = _windows_as_rows(model, X)                                # (W, M, D)
    out = [model(Xt[:, start:start + batch_size]).cpu().numpy()    # (b, horizon)
           for start in range(0, Xt.shape[1], batch_size)]
    return np.concatenate(out).astype(np.float64)                  # (M, horizon)


@torch.no_grad()
def recursive_forecast(model: Forecaster, history, horizon: int) -> np.ndarray:
    """Roll a one-step model forward: each prediction becomes the newest value of the window.

    Parameters
    ----------
    model : Forecaster
        A univariate one-step model (``input_size == 1``, ``horizon == 1``) whose ``window``
        is known (set by :func:`fit_forecaster` or given to the constructor).
    history : array-like, (N,)
        The series so far, in the units the model was trained on (scaled), N >= window.
        Only its last ``model.window`` values are read.
    horizon : int
        How many steps to forecast.

    Returns
    -------
    ndarray of float64, (horizon,)
        ``out[k]`` forecasts the value k + 1 steps after the end of ``history``; from k = 1
        on it is computed from predictions, not observations.
    """
    horizon = _positive_int("horizon", horizon)
    if model.horizon != 1 or model.input_size != 1:
        raise ValueError(f"recursive_forecast needs a univariate one-step model (input_size 1, horizon 1), "
                         f"got input_size {model.input_size} and horizon {model.horizon}")
    if model.window is None:
        raise ValueError("model.window is unknown: fit the model with fit_forecaster or pass window= "
                         "to Forecaster")
    history = np.asarray(history, dtype=np.float64)
    W = model.window
    if history.ndim != 1 or len(history) < W:
        raise ValueError(f"history must have shape (N,) with N >= window = {W}, got {history.shape}")
    if not np.isfinite(history[-W:]).all():
        raise ValueError("the last window of history holds NaN or infinite values")
    model.eval()
    ref = model.head.weight
    window = torch.as_tensor(history[-W:], dtype=ref.dtype, device=ref.device)  # (W,)
    out = np.empty(horizon, dtype=np.float64)
    for k in range(horizon):
        y = model(window.view(1, W))                               # (1, W) -> (1, 1)
        out[k] = float(y[0, 0])
        window = torch.cat([window[1:], y[0]])                     # drop the oldest, append y
    return out
