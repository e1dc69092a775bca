r"""A next-frame model of polyphonic music: read a piano roll, predict which notes sound next.

Frame :math:`x_t \in \{0, 1\}^P` of a piano roll says which of P pitches sound at step t. A
recurrent layer (a tanh RNN, a GRU or an LSTM) reads the frames, and a linear layer gives one
logit per pitch for the next frame; the pitches of a frame are independent Bernoulli variables
given the state:

.. math::

    h_t = \mathrm{RNN}(x_{t-1}, h_{t-1}), \qquad
    p(x_{t,p} = 1 \mid x_{<t}) = \sigma(z_{t,p}), \quad z_t = W h_t + b,

with :math:`x_{-1} = 0` (a silent frame starts every piece), so every frame of a piece is
predicted, the first one too. The loss is the negative log-likelihood per time step, the
binary cross-entropy summed over the P pitches and averaged over the steps
(``rnncourse.metrics.bernoulli_nll``), in nats. Independent outputs cannot say "this note *or*
that one": richer output layers (RNN-RBM, NADE) model the notes of a frame jointly.

Training (:func:`fit_music`) draws random crops of ``config.seq_len`` steps from the training
pieces with a local generator. :func:`nll_per_step` scores whole pieces, and :func:`sample`
continues an opening by drawing each next frame and feeding it back.

Shapes: frames (T, B, P), time-major; logits the same; H the hidden size.
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

__all__ = ["MusicConfig", "BOOK_CONFIGS", "FULL_CONFIGS", "NextFrameModel", "fit_music",
           "nll_per_step", "sample"]

CELLS = ("rnn", "gru", "lstm")


@dataclass(frozen=True)
class MusicConfig:
    """The model and its training, in one record (the training command prints it).

    Attributes
    ----------
    cell : str
        ``"rnn"`` (tanh), ``"gru"`` or ``"lstm"``.
    hidden_size, num_layers : int
        H, and the number of stacked recurrent layers.
    steps, batch_size, seq_len : int
        Adam steps, the crops per step, and the steps per crop.
    lr, clip_norm : float
        Adam's learning rate, and the largest global gradient norm.
    seed : int
        Seeds the weights and the crops.
    """

    cell: str = "gru"
    hidden_size: int = 64
    num_layers: int = 1
    steps: int = 400
    batch_size: int = 32
    seq_len: int = 64
    lr: float = 5e-3
    clip_norm: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        check_positive_ints(self, ("hidden_size", "num_layers", "steps", "batch_size", "seq_len"))
        check_positive_reals(self, ("lr", "clip_norm"))
        check_seed(self)

    replace = _replace


#: The configurations of lesson 14: about the same number of parameters for the three cells
#: (about 31,000 for 54 pitches: H = 128, 72 and 60), as Chung et al. (2014) compared them, and
#: the same steps.
BOOK_CONFIGS = {cell: MusicConfig(cell=cell, hidden_size=H)
                for cell, H in (("rnn", 128), ("gru", 72), ("lstm", 60))}
#: Bigger and longer (``--full``; a GPU when there is one); still about equal in parameters.
FULL_CONFIGS = {cell: c.replace(hidden_size=2 * c.hidden_size, steps=4000)
                for cell, c in BOOK_CONFIGS.items()}


class NextFrameModel(nn.Module):
    """tanh RNN, GRU or LSTM over the frames -> linear layer -> one logit per pitch.

    Parameters
    ----------
    n_pitches : int
        P, the columns of the piano roll.
    config : MusicConfig
    device : torch.device or str, optional

    The weights come from a generator seeded with ``config.seed``, never from torch's global
    random state.
    """

    def __init__(self, n_pitches: int, *, config: MusicConfig = MusicConfig(), device=None):
        super().__init__()
        if isinstance(n_pitches, bool) or not isinstance(n_pitches, int) or n_pitches < 1:
            raise ValueError(f"n_pitches must be a positive integer, got {n_pitches!r}")
        self.config = config
        H = config.hidden_size
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[config.cell]
        with torch.random.fork_rng(devices=[]):  # torch.nn draws initial weights globally: undo that
            self.rnn = layer(n_pitches, H, num_layers=config.num_layers)
            self.head = nn.Linear(H, n_pitches)
        init_uniform_(self.parameters(), H, make_generator(config.seed))
        self.to(device)

    @property
    def n_pitches(self) -> int:
        return self.head.out_features

    def forward(self, previous, state=None):
        """Frames x_{t-1} (T, B, P) -> logits of x_t (T, B, P), and the final state."""
        x = torch.as_tensor(previous).to(self.head.weight)
        if x.dim() != 3 or x.shape[2] != self.n_pitches:
            raise ValueError(f"frames must have shape (T, B, P={self.n_pitches}), got {tuple(x.shape)}")
        out, state = self.rnn(x, state)                            # (T, B, H)
        return self.head(out), state                               # (T, B, P)


def _check_rolls(rolls, P: int, what: str) -> list[np.ndarray]:
    rolls = [np.asarray(r, dtype=np.float32) for r in rolls]
    if not rolls:
        raise ValueError(f"{what} holds no pieces")
    for i, r in enumerate(rolls):
        if r.ndim != 2 or r.shape[1] != P or r.shape[0] < 1:
            raise ValueError(f"{what}[{i}] must be a piano roll (T, P={P}) with T >= 1, got {r.shape}")
        if not np.isin(r, (0.0, 1.0)).all():
            raise ValueError(f"{what}[{i}] must hold only 0 and 1")
    return rolls


def _with_silent_start(roll: np.ndarray) -> np.ndarray:
    """(T, P) -> (T + 1, P): a silent frame, then the piece; frame t of it is x_{t-1}."""
    return np.concatenate([np.zeros((1, roll.shape[1]), roll.dtype), roll])


def fit_music(model: NextFrameModel, rolls, *, steps: int | None = None, progress: bool | None = None,
              history: History | None = None) -> History:
    """Train ``model`` with Adam on random crops of the training pieces.

    Each step draws ``config.batch_size`` crops of ``config.seq_len + 1`` frames (pieces drawn
    in proportion to their length, a uniform start; a piece shorter than a crop is padded
    with silence at the end), from pieces that begin with a silent frame, and minimises the
    binary cross-entropy of frames 1.. given frames ..-1, summed over pitches and averaged over
    the steps and the batch: nats per time step.

    Parameters
    ----------
    model : NextFrameModel
    rolls : sequence of arrays (T_i, P) of 0 and 1
    steps : int, optional
        Overrides ``model.config.steps``.
    progress, history
        As in ``rnncourse.torch.fit``.

    Returns
    -------
    History
        The training loss (nats per time step) and gradient norm of every step.
    """
    cfg = model.config
    P = model.n_pitches
    pieces = [_with_silent_start(r) for r in _check_rolls(rolls, P, "rolls")]
    L = cfg.seq_len + 1
    pieces = [np.concatenate([p, np.zeros((max(0, L - len(p)), P), np.float32)]) for p in pieces]
    weights = np.array([len(p) - L + 1 for p in pieces], dtype=np.float64)  # crops per piece
    weights /= weights.sum()
    rng = np.random.default_rng(cfg.seed)

    def next_batch():
        which = rng.choice(len(pieces), size=cfg.batch_size, p=weights)
        crops = []
        for i in which:
            start = rng.integers(0, len(pieces[i]) - L + 1)
            crops.append(pieces[i][start:start + L])               # (L, P)
        batch = np.stack(crops, axis=1)                            # (L, B, P)
        return batch[:-1], batch[1:]                               # inputs x_{t-1}, targets x_t

    def loss_fn(output, targets):
        logits, _ = output
        per_pitch = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        return per_pitch.sum(-1).mean()                            # nats per time step

    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return fit(model, optimizer, next_batch, loss_fn, cfg.steps if steps is None else steps,
               clip_norm=cfg.clip_norm, progress=progress, history=history, desc="fit_music")


@torch.no_grad()
def nll_per_step(model: NextFrameModel, rolls) -> float:
    """Negative log-likelihood per time step (nats) of whole pieces, every frame predicted
    from the frames before it (the first from silence): the total over all frames of all
    pieces divided by their number of frames."""
    model.eval()
    total, frames = 0.0, 0
    for roll in _check_rolls(rolls, model.n_pitches, "rolls"):
        x = torch.as_tensor(_with_silent_start(roll)).to(model.head.weight)  # (T + 1, P)
        logits, _ = model(x[:-1, None])                                      # (T, 1, P)
        nll = F.binary_cross_entropy_with_logits(logits[:, 0], x[1:], reduction="sum")
        total += float(nll)
        frames += len(roll)
    return total / frames


@torch.no_grad()
def sample(model: NextFrameModel, opening, n_steps: int, seed: int = 0) -> np.ndarray:
    """Continue ``opening`` (T0, P) by ``n_steps`` frames, each pitch drawn from its Bernoulli
    distribution given the state, and the frame fed back. Returns (n_steps, P) float32 of 0/1.

    Draws come from a ``torch.Generator`` seeded with ``seed`` (on the CPU), so a seed gives the
    same music on any device.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    opening = _check_rolls([opening], model.n_pitches, "opening")[0]
    model.eval()
    gen = make_generator(seed)
    x = torch.as_tensor(_with_silent_start(opening)).to(model.head.weight)  # (T0 + 1, P)
    logits, state = model(x[:, None])                                      # read the opening
    out = []
    for _ in range(n_steps):
        p = torch.sigmoid(logits[-1, 0]).cpu()                             # (P,)
        frame = (torch.rand(p.shape, generator=gen) < p).to(p.dtype)       # (P,)
        out.append(frame.numpy())
        logits, state = model(frame.to(model.head.weight)[None, None], state)
    return np.stack(out).astype(np.float32)                                # (n_steps, P)
