r"""A many-to-one sequence classifier: read a whole sequence, answer once.

.. math::

    x_t = E[w_t] \text{ (tokens), the frame } f_t \text{, or } \mathrm{ReLU}(W_e f_t + b_e)
    \text{ (frames through an encoder)}, \qquad
    h_t = \mathrm{RNN}(x_t, h_{t-1}), \qquad
    s = \mathrm{pool}(h_0, \dots, h_{L-1}), \qquad
    p(y \mid x_{0:L}) = \mathrm{softmax}(W s + b)

The recurrent layer is ``torch.nn.GRU`` or ``torch.nn.LSTM`` (proven equal to the course's own
layers in lessons 5 to 7), fed a *packed* batch (``pack_padded_sequence``): each sequence is
read for exactly its own length L_b, never its padding. The summary s is

``"last"``
    the state after the last real step, :math:`h_{L_b-1}` (for a bidirectional layer, the
    forward direction's last state next to the backward direction's state after reading back
    to t = 0), read from the packed layer's final state;
``"mean"`` / ``"max"``
    :func:`rnncourse.pooling.masked_mean_pool` / :func:`~rnncourse.pooling.masked_max_pool`
    over the real steps.

Training (:func:`fit_classifier`) draws minibatches with a local generator, trims each to its
longest sequence, minimises the cross-entropy with Adam and clips the global gradient norm.

Shapes: inputs (T, B) int64 token ids or (T, B, D) float frames, time-major, right-padded;
lengths (B,); logits (B, C) for C classes; H the hidden size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnncourse.models._config import check_positive_ints, check_positive_reals, check_seed, replace as _replace
from rnncourse.pooling import masked_max_pool, masked_mean_pool
from rnncourse.torch import init_uniform_, make_generator
from rnncourse.torch.train import History, fit

__all__ = ["ClassifierConfig", "BOOK_CONFIGS", "FULL_CONFIGS", "SequenceClassifier", "fit_classifier", "predict_proba", "predict",
           "pad_sequences"]

CELLS = ("gru", "lstm")
POOLINGS = ("last", "mean", "max")


@dataclass(frozen=True)
class ClassifierConfig:
    """The model and its training, in one record (the training command prints it).

    Attributes
    ----------
    cell : str
        ``"gru"`` or ``"lstm"``.
    hidden_size, num_layers : int
        H per direction, and the number of stacked layers.
    embed_size : int
        E, the word or symbol embedding size (used when the inputs are token ids).
    frame_encoder_size : int
        For float frames: 0 feeds the frames to the recurrent layer as they are; E > 0 first
        maps every frame by its own small encoder, a linear layer to E features and a ReLU,
        the same weights at every step (for frames with many features, such as the pixels of
        a video frame).
    bidirectional : bool
        Read the sequence in both directions (the summary then has 2H features).
    pooling : str
        ``"last"``, ``"mean"`` or ``"max"`` (see the module docstring).
    steps, batch_size : int
        Adam steps, and the sequences per step.
    lr, clip_norm, weight_decay : float
        Adam's learning rate, the largest global gradient norm, and L2 weight decay (AdamW).
    seed : int
        Seeds the weights and the minibatch order.
    """

    cell: str = "gru"
    hidden_size: int = 64
    num_layers: int = 1
    embed_size: int = 32
    frame_encoder_size: int = 0
    bidirectional: bool = False
    pooling: str = "last"
    steps: int = 500
    batch_size: int = 64
    lr: float = 3e-3
    clip_norm: float = 1.0
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
        check_positive_ints(self, ("hidden_size", "num_layers", "embed_size", "steps", "batch_size"))
        check_positive_reals(self, ("lr", "clip_norm"))
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        check_seed(self)
        size = self.frame_encoder_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"frame_encoder_size must be a non-negative integer, got {size!r}")

    replace = _replace


#: The configurations of ``rnncourse train sentiment|speakers|dna|video`` and of lesson 13's
#: digits read row by row (seconds on a CPU each).
BOOK_CONFIGS = {
    # mean pooling: on test_negation it beat the last state for every seed tried (lesson 10)
    "sentiment": ClassifierConfig(hidden_size=64, embed_size=32, steps=600, weight_decay=1e-4,
                                  pooling="mean"),
    "speakers": ClassifierConfig(hidden_size=64, steps=400, lr=5e-3),
    "dna": ClassifierConfig(hidden_size=64, embed_size=8, steps=600, lr=5e-3),
    # lesson 13: an 8 x 8 digit read one row of 8 pixels per step
    "digit_rows": ClassifierConfig(hidden_size=64, steps=400, lr=5e-3),
    # lesson 13: a clip of 8 x 24 frames, each frame through its encoder, then the GRU
    "video": ClassifierConfig(hidden_size=32, frame_encoder_size=32, steps=300, lr=3e-3),
}
#: Bigger and longer (``--full``; a GPU when there is one).
FULL_CONFIGS = {name: c.replace(hidden_size=128, steps=4 * c.steps) for name, c in BOOK_CONFIGS.items()}


class SequenceClassifier(nn.Module):
    """(Embedding) -> GRU or LSTM over a packed batch -> pooling -> linear layer to C logits.

    Parameters
    ----------
    n_classes : int
        C >= 2.
    vocab_size : int, optional
        For token inputs: V, the number of ids (id 0 is padding and gets a zero embedding).
    input_size : int, optional
        For float frames: D. Give exactly one of ``vocab_size`` and ``input_size``.
    config : ClassifierConfig
        Sizes, cell, direction and pooling.
    device : torch.device or str, optional

    The weights come from a generator seeded with ``config.seed`` (torch.nn's uniform
    initialisation; N(0, 1) embeddings), never from torch's global random state.
    """

    def __init__(self, n_classes: int, *, vocab_size: int | None = None, input_size: int | None = None,
                 config: ClassifierConfig = ClassifierConfig(), device=None):
        super().__init__()
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
        if (vocab_size is None) == (input_size is None):
            raise ValueError("give exactly one of vocab_size (token ids) and input_size (float frames)")
        for name, value in (("vocab_size", vocab_size), ("input_size", input_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.config = config
        H = config.hidden_size
        D = config.embed_size if vocab_size is not None else input_size
        E = config.frame_encoder_size if vocab_size is None else 0
        layer = nn.GRU if config.cell == "gru" else nn.LSTM
        with torch.random.fork_rng(devices=[]):  # torch.nn draws initial weights globally: undo that
            self.embed = None if vocab_size is None else nn.Embedding(vocab_size, config.embed_size,
                                                                      padding_idx=0)
            self.frame_encoder = nn.Sequential(nn.Linear(D, E), nn.ReLU()) if E else None
            D = E or D
            self.rnn = layer(D, H, num_layers=config.num_layers, bidirectional=config.bidirectional)
            self.head = nn.Linear(H * (2 if config.bidirectional else 1), n_classes)
        generator = make_generator(config.seed)
        init_uniform_(self.parameters(), H, generator)
        if self.embed is not None:
            with torch.no_grad():
                self.embed.weight.normal_(generator=generator)
                self.embed.weight[0].zero_()
        self.to(device)

    @property
    def n_classes(self) -> int:
        return self.head.out_features

    def _inputs(self, inputs: Tensor) -> Tensor:
        if self.embed is not None:
            if inputs.dim() != 2 or inputs.dtype not in (torch.int64, torch.int32):
                raise ValueError(f"inputs must be token ids of shape (T, B), dtype int64, got shape "
                                 f"{tuple(inputs.shape)} and dtype {inputs.dtype}")
            return self.embed(inputs)                              # (T, B, E)
        D = self.input_size
        if inputs.dim() != 3 or inputs.shape[2] != D:
            raise ValueError(f"inputs must be frames of shape (T, B, D={D}), got shape "
                             f"{tuple(inputs.shape)}")
        inputs = inputs.to(self.head.weight.dtype)
        if self.frame_encoder is not None:
            inputs = self.frame_encoder(inputs)                    # (T, B, D) -> (T, B, E)
        return inputs

    @property
    def input_size(self) -> int | None:
        """D, the features of a float frame (None for a model of token ids)."""
        if self.embed is not None:
            return None
        if self.frame_encoder is not None:
            return self.frame_encoder[0].in_features
        return self.rnn.input_size

    def hidden_states(self, inputs: Tensor, lengths) -> tuple[Tensor, Tensor]:
        """The layer's outputs (T, B, H·directions), zero on padding, and its final state h_n."""
        x = self._inputs(inputs)                                   # (T, B, D)
        lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
        if lengths.shape != (x.shape[1],):
            raise ValueError(f"lengths must have shape (B,) = ({x.shape[1]},), got {tuple(lengths.shape)}")
        if len(lengths) and (lengths.min() < 1 or lengths.max() > x.shape[0]):
            raise ValueError(f"every length must lie in [1, T] = [1, {x.shape[0]}]")
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, h_n = self.rnn(packed)
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n            # LSTM: (h_n, c_n)
        out, _ = pad_packed_sequence(out, total_length=x.shape[0])  # (T, B, H·dirs)
        return out, h_n

    def summary(self, inputs: Tensor, lengths) -> Tensor:
        """The pooled summary s, (B, H·directions)."""
        out, h_n = self.hidden_states(inputs, lengths)
        if self.config.pooling == "last":
            if self.config.bidirectional:
                return torch.cat([h_n[-2], h_n[-1]], dim=1)        # (B, 2H): forward, backward
            return h_n[-1]                                         # (B, H)
        pool = masked_mean_pool if self.config.pooling == "mean" else masked_max_pool
        return pool(out, lengths.to(out.device) if isinstance(lengths, Tensor) else lengths)

    def forward(self, inputs: Tensor, lengths) -> Tensor:
        """inputs (T, B) or (T, B, D), lengths (B,) -> logits (B, C)."""
        return self.head(self.summary(inputs, lengths))

    def logits_over_time(self, inputs: Tensor, lengths) -> Tensor:
        """The head applied to the state after every step, (T, B, C): the answer the model would
        give had the sequence stopped at step t (unidirectional, ``"last"`` pooling only)."""
        if self.config.bidirectional or self.config.pooling != "last":
            raise ValueError("logits_over_time needs a unidirectional model with pooling='last'")
        out, _ = self.hidden_states(inputs, lengths)
        return self.head(out)                                      # (T, B, C)


def pad_sequences(sequences, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad variable-length sequences into one time-major, zero-padded array.

    Parameters
    ----------
    sequences : sequence of array-like, each (L_b,) token ids or (L_b, D) frames
        B sequences with lengths L_b >= 1 and (for frames) the same D.
    dtype : NumPy dtype of the result, optional
        The first sequence's dtype by default.

    Returns
    -------
    padded : ndarray, (T, B) or (T, B, D)
        T = max L_b; ``padded[:L_b, b]`` is sequence b and zeros follow it.
    lengths : ndarray of int64, (B,)

    Raises
    ------
    ValueError
        For no sequences, an empty sequence, or sequences of different trailing shapes (D).
    """
    seqs = [np.asarray(s) for s in sequences]
    if not seqs:
        raise ValueError("sequences must hold at least one sequence, got none")
    for b, s in enumerate(seqs):
        if s.ndim not in (1, 2):
            raise ValueError(f"every sequence must be 1-D (L_b,) or 2-D (L_b, D); sequence {b} has "
                             f"shape {s.shape}")
        if s.shape[0] < 1:
            raise ValueError(f"every sequence needs a length >= 1; sequence {b} is empty")
        if s.shape[1:] != seqs[0].shape[1:]:
            raise ValueError(f"every sequence must have the same trailing shape; sequence 0 has "
                             f"{seqs[0].shape[1:]}, sequence {b} has {s.shape[1:]}")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)    # (B,)
    shape = (int(lengths.max()), len(seqs), *seqs[0].shape[1:])    # (T, B[, D])
    out = np.zeros(shape, dtype=dtype or seqs[0].dtype)
    for b, s in enumerate(seqs):
        out[:len(s), b] = s
    return out, lengths


def _batches(inputs: Tensor, lengths: Tensor, labels: Tensor, batch_size: int, seed: int):
    """Minibatches drawn with replacement-free shuffles from a local generator, trimmed to fit."""
    rng = np.random.default_rng(seed)
    n = inputs.shape[1]
    order, pos = rng.permutation(n), 0

    def next_batch():
        nonlocal order, pos
        if pos + batch_size > n:
            order, pos = rng.permutation(n), 0
        idx = torch.as_tensor(order[pos:pos + batch_size])
        pos += batch_size
        lens = lengths[idx]
        T = int(lens.max())
        return (inputs[:T, idx], lens), labels[idx]                # (T, b[, D]), (b,)

    return next_batch


def fit_classifier(model: SequenceClassifier, inputs, lengths, labels, *, steps: int | None = None,
                   progress: bool | None = None, history: History | None = None) -> History:
    """Train ``model`` with Adam(W) on cross-entropy; minibatches and steps from ``model.config``.

    Parameters
    ----------
    model : SequenceClassifier
    inputs : array or Tensor, (T, N) int token ids or (T, N, D) float frames, right-padded
    lengths : array or Tensor of int, (N,)
    labels : array or Tensor of int, (N,), in [0, C)
    steps : int, optional
        Overrides ``model.config.steps``.
    progress, history
        As in ``rnncourse.torch.fit``.

    Returns
    -------
    History
        The training loss (nats, mean over the minibatch) and gradient norm of every step.
    """
    cfg = model.config
    device = model.head.weight.device
    inputs = torch.as_tensor(np.asarray(inputs) if not isinstance(inputs, Tensor) else inputs).to(device)
    lengths = torch.as_tensor(np.asarray(lengths), dtype=torch.int64)
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64).to(device)
    if lengths.shape != (inputs.shape[1],) or labels.shape != (inputs.shape[1],):
        raise ValueError(f"inputs hold N = {inputs.shape[1]} sequences (axis 1, time-major); lengths and "
                         f"labels must have shape (N,), got {tuple(lengths.shape)} and {tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= model.n_classes):
        raise ValueError(f"labels must lie in [0, {model.n_classes}), got range "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    batch_size = min(cfg.batch_size, inputs.shape[1])

    class _Call(nn.Module):  # fit() calls model(inputs); ours takes (inputs, lengths)
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, pair):
            return self.m(*pair)

    return fit(_Call(model), optimizer, _batches(inputs, lengths, labels, batch_size, cfg.seed),
               F.cross_entropy, cfg.steps if steps is None else steps, clip_norm=cfg.clip_norm,
               progress=progress, history=history, desc="fit_classifier")


@torch.no_grad()
def predict_proba(model: SequenceClassifier, inputs, lengths, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (N, C) as a NumPy array, in evaluation mode, ``batch_size`` at a time."""
    model.eval()
    device = model.head.weight.device
    inputs = torch.as_tensor(np.asarray(inputs) if not isinstance(inputs, Tensor) else inputs)
    lengths = torch.as_tensor(np.asarray(lengths), dtype=torch.int64)
    out = []
    for start in range(0, inputs.shape[1], batch_size):
        lens = lengths[start:start + batch_size]
        x = inputs[:int(lens.max()), start:start + batch_size].to(device)
        out.append(torch.softmax(model(x, lens), dim=1).cpu().numpy())  # (b, C)
    return np.concatenate(out).astype(np.float64)                  # (N, C)


def predict(model: SequenceClassifier, inputs, lengths, batch_size: int = 1024) -> np.ndarray:
    """The most probable class of every sequence, (N,) int64."""
    return predict_proba(model, inputs, lengths, batch_size).argmax(axis=1)
