r"""A CTC recogniser: read an image column by column, emit a label or a blank at every column.

A line of handwriting is a sequence of T columns (D pixels each). A bidirectional GRU reads
it in both directions, and a linear layer maps each column's two states to C = K + 1
log-probabilities, the K labels and the CTC *blank*:

.. math::

    h_t = [\overrightarrow{h}_t ; \overleftarrow{h}_t], \qquad
    \log y_t = \mathrm{log\_softmax}(W h_t + b) \in \mathbb{R}^{C}.

Training (:func:`fit_ctc`) minimises the CTC loss, the negative log-probability of the target
labelling summed over all its alignments (``torch.nn.CTCLoss``, Graves et al. 2006; the
course's NumPy ``rnncourse.numpy.ctc.ctc_loss`` is proven equal to it in lesson 13), so no
column needs a label of its own. :func:`decode` reads the answer by best-path decoding
(``rnncourse.decoding.ctc_greedy_decode``).

Class layout: the blank is class 0 and label k (0 <= k < K) is class k + 1, so a digit d is
class d + 1; :func:`fit_ctc` and :func:`decode` take and return the labels themselves.

Shapes: inputs (B, T, D) padded along T (batch-first, as ``rnncourse.datasets.digits.pad_lines``
makes them), lengths (B,); log-probabilities (T, B, C), time-major as CTC wants them;
H the hidden size per direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnncourse.decoding import ctc_greedy_decode
from rnncourse.models._config import check_positive_ints, check_positive_reals, check_seed, replace as _replace
from rnncourse.torch import init_uniform_, make_generator
from rnncourse.torch.train import History, fit

__all__ = ["CTCConfig", "BOOK_CONFIG", "FULL_CONFIG", "CTCRecognizer", "fit_ctc",
           "predict_log_probs", "decode"]

BLANK = 0


@dataclass(frozen=True)
class CTCConfig:
    """The model and its training, in one record (the training command prints it).

    Attributes
    ----------
    hidden_size, num_layers : int
        H per direction, and the number of stacked recurrent layers.
    bidirectional : bool
        Read the columns in both directions (a column's label may depend on what follows).
    steps, batch_size : int
        Adam steps, and the lines per step.
    lr, clip_norm : float
        Adam's learning rate, and the largest global gradient norm.
    seed : int
        Seeds the weights and the minibatch order.
    """

    hidden_size: int = 64
    num_layers: int = 1
    bidirectional: bool = True
    steps: int = 300
    batch_size: int = 32
    lr: float = 5e-3
    clip_norm: float = 1.0
    seed: int = 0

    def __post_init__(self):
        check_positive_ints(self, ("hidden_size", "num_layers", "steps", "batch_size"))
        check_positive_reals(self, ("lr", "clip_norm"))
        check_seed(self)

    replace = _replace


#: The configuration of lesson 13 (a few seconds to twenty on a 2-core CPU).
BOOK_CONFIG = CTCConfig()
#: Bigger and longer (``--full``; a GPU when there is one).
FULL_CONFIG = CTCConfig(hidden_size=128, num_layers=2, steps=4000)


class CTCRecognizer(nn.Module):
    """(Bidirectional) GRU over the columns -> linear layer -> log-softmax over K labels + blank.

    Parameters
    ----------
    input_size : int
        D, the pixels of one column.
    n_labels : int
        K >= 1 (10 for digits); the output has C = K + 1 classes, the blank first.
    config : CTCConfig
    device : torch.device or str, optional

    The weights come from a generator seeded with ``config.seed``, never from torch's global
    random state.
    """

    def __init__(self, input_size: int, n_labels: int, *, config: CTCConfig = BOOK_CONFIG,
                 device=None):
        super().__init__()
        for name, value in (("input_size", input_size), ("n_labels", n_labels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.config = config
        H = config.hidden_size
        directions = 2 if config.bidirectional else 1
        with torch.random.fork_rng(devices=[]):  # torch.nn draws initial weights globally: undo that
            self.rnn = nn.GRU(input_size, H, num_layers=config.num_layers,
                              bidirectional=config.bidirectional)
            self.head = nn.Linear(directions * H, n_labels + 1)
        init_uniform_(self.parameters(), H, make_generator(config.seed))
        self.to(device)

    @property
    def n_labels(self) -> int:
        return self.head.out_features - 1

    def forward(self, inputs, lengths) -> Tensor:
        """inputs (B, T, D), lengths (B,) -> log-probabilities (T, B, K + 1), time-major.

        Steps past a line's length hold the head's output for a zero state; CTC reads only the
        first ``lengths[b]`` of them.
        """
        x = torch.as_tensor(inputs).to(self.head.weight)
        if x.dim() != 3 or x.shape[2] != self.rnn.input_size:
            raise ValueError(f"inputs must have shape (B, T, D={self.rnn.input_size}), "
                             f"got {tuple(x.shape)}")
        lengths = torch.as_tensor(lengths).cpu()
        if lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
        lengths = lengths.to(torch.int64)
        if lengths.shape != (x.shape[0],):
            raise ValueError(f"lengths must have shape (B,) = ({x.shape[0]},), "
                             f"got {tuple(lengths.shape)}")
        if len(lengths) and (lengths.min() < 1 or lengths.max() > x.shape[1]):
            raise ValueError(f"every length must lie in [1, T] = [1, {x.shape[1]}]")
        x = x.transpose(0, 1)                                      # (T, B, D), time-major
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, total_length=x.shape[0])  # (T, B, H·dirs)
        return self.head(out).log_softmax(-1)                      # (T, B, C)


def _check_data(model: CTCRecognizer, inputs, lengths, labels=None):
    X = np.asarray(inputs, dtype=np.float32)
    L = np.asarray(lengths)
    if L.dtype.kind not in "iu" and L.size:
        raise TypeError(f"lengths must be integers, got dtype {L.dtype}")
    L = L.astype(np.int64)
    if X.ndim != 3 or L.shape != (X.shape[0],):
        raise ValueError(f"inputs must have shape (N, T, D) and lengths (N,), got {X.shape} and {L.shape}")
    if X.shape[0] == 0:
        raise ValueError("inputs hold no lines (N = 0)")
    if labels is None:
        return X, L, None
    if len(labels) != X.shape[0]:
        raise ValueError(f"labels must hold one label sequence per input (N = {X.shape[0]}), "
                         f"got {len(labels)}")
    labels = [np.asarray(y, dtype=np.int64).reshape(-1) for y in labels]
    K = model.n_labels
    for i, y in enumerate(labels):
        if y.size and (y.min() < 0 or y.max() >= K):
            raise ValueError(f"labels[{i}] must lie in [0, {K}), got {y.tolist()}")
        needed = len(y) + int(np.sum(y[1:] == y[:-1]))  # a blank between equal neighbours
        if needed > L[i]:
            raise ValueError(f"labels[{i}] = {y.tolist()} needs at least {needed} steps (one per "
                             f"label, and a blank between equal neighbours), its input has {L[i]}")
    return X, L, labels


def fit_ctc(model: CTCRecognizer, inputs, lengths, labels, *, steps: int | None = None,
            progress: bool | None = None, history: History | None = None) -> History:
    """Train ``model`` with Adam on the CTC loss; minibatches and steps from ``model.config``.

    Parameters
    ----------
    model : CTCRecognizer
    inputs : array, (N, T, D)
        N lines, padded along T.
    lengths : array of int, (N,)
    labels : sequence of N int arrays
        The labels of each line, in [0, K) (class k + 1 for the network; 0 is the blank).
    steps : int, optional
        Overrides ``model.config.steps``.
    progress, history
        As in ``rnncourse.torch.fit``.

    Returns
    -------
    History
        The training loss of every step: ``torch.nn.CTCLoss`` with ``reduction="mean"``,
        nats per target label, averaged over the minibatch.

    Raises
    ------
    ValueError
        Shapes that do not match, labels outside [0, K), a line with more labels than steps.
    """
    cfg = model.config
    X, L, labels = _check_data(model, inputs, lengths, labels)
    N = X.shape[0]
    rng = np.random.default_rng(cfg.seed)
    batch_size = min(cfg.batch_size, N)
    order, pos = rng.permutation(N), 0

    def next_batch():
        nonlocal order, pos
        if pos + batch_size > N:
            order, pos = rng.permutation(N), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        T = int(L[idx].max())
        targets = np.concatenate([labels[i] + 1 for i in idx])    # (sum S,) classes, blank = 0
        target_lengths = np.array([len(labels[i]) for i in idx])  # (b,)
        return (X[idx, :T], L[idx]), (targets, L[idx], target_lengths)

    ctc = nn.CTCLoss(blank=BLANK, reduction="mean")

    class _Call(nn.Module):  # fit() calls model(inputs); ours takes (inputs, lengths)
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, pair):
            X_b, L_b = pair
            return self.m(torch.as_tensor(X_b), torch.as_tensor(L_b))

    def loss_fn(log_probs, target):
        targets, input_lengths, target_lengths = (torch.as_tensor(a) for a in target)
        targets = targets.to(log_probs.device)
        return ctc(log_probs, targets, input_lengths, target_lengths)

    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return fit(_Call(model), optimizer, next_batch, loss_fn, cfg.steps if steps is None else steps,
               clip_norm=cfg.clip_norm, progress=progress, history=history, desc="fit_ctc")


@torch.no_grad()
def predict_log_probs(model: CTCRecognizer, inputs, lengths, batch_size: int = 512) -> np.ndarray:
    """Log-probabilities (T, N, K + 1), float64, in evaluation mode (class 0 is the blank)."""
    X, L, _ = _check_data(model, inputs, lengths)
    model.eval()
    out = [model(X[i:i + batch_size], L[i:i + batch_size]).cpu().numpy()  # (T, b, C)
           for i in range(0, X.shape[0], batch_size)]
    return np.concatenate(out, axis=1).astype(np.float64)         # (T, N, C)


def decode(model: CTCRecognizer, inputs, lengths, batch_size: int = 512) -> list[np.ndarray]:
    """Best-path decoding of every line: a list of N int arrays of labels in [0, K)."""
    log_probs = predict_log_probs(model, inputs, lengths, batch_size)  # (T, N, C)
    L = np.asarray(lengths, dtype=np.int64)
    return [np.array(ctc_greedy_decode(log_probs[:L[n], n], blank=BLANK), dtype=np.int64) - 1
            for n in range(log_probs.shape[1])]
