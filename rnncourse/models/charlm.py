r"""A character-level language model, trained with truncated BPTT on a text stream.

The model reads one character id per step and returns logits for the next character,

.. math::

    e_t = E[x_t], \qquad h^{(l)}_t, c^{(l)}_t = \mathrm{LSTM}_l\big(\mathrm{drop}(h^{(l-1)}_t),
    (h^{(l)}_{t-1}, c^{(l)}_{t-1})\big), \qquad z_t = W_{hy}\, \mathrm{drop}(h^{(L)}_t) + b_y,

with :math:`h^{(0)}_t = e_t` and :math:`p(x_{t+1} \mid x_{\le t}) = \mathrm{softmax}(z_t)`.
Dropout (Zaremba et al. 2014) sits on the connections between layers and before the
output layer, never on the recurrence :math:`h_{t-1} \to h_t`, and draws its masks from the
run's own ``torch.Generator`` (nothing here touches torch's global random state).

Training (:meth:`CharLMRun.train`) cuts the training text into ``batch_size`` parallel
streams, walks through them ``bptt`` characters at a time, carries the recurrent state from
one chunk to the next and detaches it, clips the global gradient norm and takes an Adam step.
Evaluation (:func:`evaluate_nll`) reads a held-out text from a zero state and returns the
negative log-likelihood of every character, in nats.

Shapes: ids (T, B) time-major, logits (T, B, V); V the vocabulary size, H the hidden size.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnncourse.models._config import check_positive_ints, check_positive_reals, replace as _replace
from rnncourse.torch import init_uniform_, make_generator
from rnncourse.torch.train import clip_grad_norm_, detach_state

__all__ = ["CharLMConfig", "BOOK", "FULL", "CharLM", "CharLMRun", "Reader", "as_streams", "evaluate_nll"]

CELLS = ("lstm", "gru")


@dataclass(frozen=True)
class CharLMConfig:
    """Everything that defines a character-model run (the checkpoint stores it).

    Attributes
    ----------
    cell : str
        ``"lstm"`` or ``"gru"``.
    embed_size, hidden_size, num_layers : int
        Embedding size, H, and the number of stacked recurrent layers.
    dropout : float
        Drop probability between layers and before the output layer, in [0, 1).
    batch_size : int
        B, the number of parallel streams the training text is cut into.
    bptt : int
        Characters per truncated-BPTT chunk (one optimiser step each).
    steps : int
        Optimiser steps in all.
    lr : float
        Adam's learning rate.
    clip_norm : float
        Largest global gradient norm.
    seed : int
        Seeds the weights and the dropout masks.
    eval_every : int
        Steps between two evaluations on the validation text.
    eval_chars : int
        How many characters from the start of the validation split those evaluations read.
    """

    cell: str = "lstm"
    embed_size: int = 32
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.0
    batch_size: int = 32
    bptt: int = 64
    steps: int = 1000
    lr: float = 3e-3
    clip_norm: float = 1.0
    seed: int = 0
    eval_every: int = 250
    eval_chars: int = 40_000

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        check_positive_ints(self, ("embed_size", "hidden_size", "num_layers", "batch_size", "bptt", "steps",
                                   "eval_every", "eval_chars"))
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        check_positive_reals(self, ("lr", "clip_norm"))

    replace = _replace


#: The configuration the lesson trains in the book: about 40 s on two CPU cores.
BOOK = CharLMConfig()

#: The bigger configuration of ``rnncourse train charlm --full`` (a GPU when there is one).
FULL = CharLMConfig(embed_size=64, hidden_size=384, num_layers=2, dropout=0.2, batch_size=32,
                    bptt=64, steps=6000, lr=2e-3, eval_every=500, eval_chars=100_000)


def dropout(x: Tensor, p: float, generator: torch.Generator | None) -> Tensor:
    """Inverted dropout with masks from ``generator``: zero each entry with probability p."""
    if p == 0.0:
        return x
    keep = torch.empty(x.shape, device=x.device).bernoulli_(1.0 - p, generator=generator)
    return x * keep.to(x.dtype) / (1.0 - p)


class CharLM(nn.Module):
    """Embedding -> stacked LSTM or GRU layers -> linear layer to V logits.

    Parameters
    ----------
    vocab_size : int
        V.
    config : CharLMConfig
        Sizes, cell and dropout.
    generator : torch.Generator, optional
        Draws the initial weights (torch.nn's uniform initialisation, and N(0, 1) for the
        embedding); None uses a generator seeded with ``config.seed``. The dropout masks
        come from :attr:`dropout_generator`, on the model's device.
    layer : type, optional
        The recurrent layer class, ``torch.nn.LSTM``/``GRU`` by default (fast, fused); the
        benchmark passes ``rnncourse.torch.LSTM``, which has the same signature.
    device : torch.device or str, optional
    """

    def __init__(self, vocab_size: int, config: CharLMConfig = BOOK,
                 generator: torch.Generator | None = None, layer=None, device=None):
        super().__init__()
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
            raise ValueError(f"vocab_size must be a positive integer, got {vocab_size!r}")
        self.config = config
        generator = make_generator(config.seed) if generator is None else generator
        if layer is None:
            layer = nn.LSTM if config.cell == "lstm" else nn.GRU
        E, H = config.embed_size, config.hidden_size
        self.embed = nn.Embedding(vocab_size, E)
        self.layers = nn.ModuleList(
            layer(E if k == 0 else H, H) for k in range(config.num_layers))
        self.head = nn.Linear(H, vocab_size)
        init_uniform_(self.parameters(), H, generator)
        with torch.no_grad():
            self.embed.weight.normal_(generator=generator)
        self.to(device)
        device = self.head.weight.device
        #: Draws the dropout masks, on the model's device (seed + 1).
        self.dropout_generator = make_generator(config.seed + 1, device)

    @property
    def vocab_size(self) -> int:
        return self.embed.num_embeddings

    def forward(self, ids: Tensor, state=None):
        """ids (T, B) int64 -> logits (T, B, V), and the state.

        The state has one entry per layer.
        """
        p = self.config.dropout if self.training else 0.0
        g = self.dropout_generator
        x = self.embed(ids)  # (T, B, E)
        if state is None:
            state = [None] * len(self.layers)
        else:
            state = list(state)
        for k, rnn in enumerate(self.layers):
            if k > 0:  # between layers only
                x = dropout(x, p, g)
            x, state[k] = rnn(x, state[k])  # (T, B, H)
        return self.head(dropout(x, p, g)), state  # (T, B, V)


def as_streams(ids, batch_size: int) -> tuple[Tensor, Tensor]:
    """Cut one id stream into B parallel streams: inputs and next-character targets.

    Column b of each (N, B) tensor is one contiguous stretch of the text, so a state carried
    from one chunk of rows to the next always continues its own text. The last
    ``(len(ids) - 1) % B`` characters are dropped.
    """
    ids = torch.as_tensor(np.asarray(ids, dtype=np.int64))
    N = (len(ids) - 1) // batch_size
    if N < 1:
        raise ValueError(f"a text of {len(ids)} characters is too short for {batch_size} streams")
    inputs = ids[:N * batch_size].reshape(batch_size, N).T  # (N, B)
    targets = ids[1:N * batch_size + 1].reshape(batch_size, N).T  # (N, B)
    return inputs, targets


@torch.no_grad()
def evaluate_nll(model: nn.Module, ids, num_streams: int = 64, chunk: int = 256) -> np.ndarray:
    """Per-character negative log-likelihood (nats) of ``ids[1:]``, each from a zero state.

    The text is cut into ``num_streams`` contiguous pieces, read in parallel; each starts
    from the zero state, and its first character is the context of the second. Every
    character but the very first is predicted exactly once.

    Returns
    -------
    ndarray, shape (len(ids) - 1,)
        In the order of the text.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"ids must be a 1-D array of at least 2 ids, got shape {ids.shape}")
    n = len(ids) - 1
    S = max(1, min(num_streams, n))
    L = math.ceil(n / S)  # characters predicted per stream (the last ones padded)
    padded = np.zeros(S * L + 1, dtype=np.int64)
    padded[:n + 1] = ids
    starts = np.arange(S) * L  # (S,)
    x = np.stack([padded[s:s + L] for s in starts], axis=1)  # (L, S)
    y = np.stack([padded[s + 1:s + L + 1] for s in starts], axis=1)  # (L, S)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    x, y = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
    losses, state = [], None
    for t in range(0, L, chunk):
        logits, state = model(x[t:t + chunk], state)  # (k, S, V)
        loss = F.cross_entropy(logits.permute(1, 2, 0), y[t:t + chunk].T,
                               reduction="none")  # (S, k)
        losses.append(loss.double().cpu())
    model.train(was_training)
    per_char = torch.cat(losses, dim=1).reshape(-1).numpy()  # (S * L,) stream by stream
    return per_char[:n]


@dataclass
class CharLMRun:
    """A training run: the model, its optimiser, where it is in the text, what it measured.

    Create one with :meth:`create`, advance it with :meth:`train` (any number of calls: the
    position in the text, the carried state and the dropout generator continue where they
    were), save it with :meth:`save` and resume it with :meth:`load`.
    """

    config: CharLMConfig
    chars: tuple  # the vocabulary, as CharVocab.chars
    model: CharLM
    optimizer: torch.optim.Optimizer
    step: int = 0
    position: int = 0  # the next chunk starts at this row of the training streams
    state: object = None  # the carried, detached recurrent state
    losses: list = field(default_factory=list)  # training loss of every step (nats/char)
    grad_norms: list = field(default_factory=list)  # before clipping
    evals: list = field(default_factory=list)  # (step, validation nats/char)
    seconds: float = 0.0  # training time so far

    @classmethod
    def create(cls, config: CharLMConfig, chars, device=None) -> "CharLMRun":
        """A fresh run: weights drawn from ``config.seed``, Adam with ``config.lr``."""
        model = CharLM(len(chars), config, device=device)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        return cls(config, tuple(chars), model, optimizer)

    def train(self, train_ids, steps: int | None = None, valid_ids=None, progress: bool = False,
              log=None) -> "CharLMRun":
        """Take ``steps`` more optimiser steps (default: up to ``config.steps``) of truncated BPTT.

        Every ``config.eval_every`` steps, and at the last one, the mean NLL of the first
        ``config.eval_chars`` characters of ``valid_ids`` is appended to ``evals`` (when given)
        and passed to ``log`` (a callable taking a string) if there is one.
        """
        cfg = self.config
        steps = cfg.steps - self.step if steps is None else steps
        inputs, targets = as_streams(train_ids, cfg.batch_size)  # (N, B) each
        device = next(self.model.parameters()).device
        inputs, targets = inputs.to(device), targets.to(device)
        params = list(self.model.parameters())
        bar = _bar(steps, progress)
        self.model.train()
        for _ in range(steps):
            start = time.perf_counter()
            if self.position + 2 > len(inputs):  # the end of the text: start again at the top
                self.position = 0  # (the state carries on, as at any chunk boundary)
            rows = slice(self.position, self.position + cfg.bptt)
            logits, state = self.model(inputs[rows],
                                       self.state)  # (k, B, V)
            loss = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),  # (k*B, V)
                targets[rows].reshape(-1),  # (k*B,)
            )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.grad_norms.append(
                clip_grad_norm_(params, cfg.clip_norm))
            self.optimizer.step()
            # truncated BPTT: carried, not differentiated
            self.state = detach_state(state)
            self.position += cfg.bptt
            self.step += 1
            self.losses.append(loss.item())
            self.seconds += time.perf_counter() - start
            bar.update(1)
            if valid_ids is not None and (self.step % cfg.eval_every == 0 or self.step == cfg.steps):
                nll = float(evaluate_nll(self.model, valid_ids[:cfg.eval_chars]).mean())
                self.evals.append((self.step, nll))
                if log is not None:
                    log(f"step {self.step}: validation {nll:.4f} nats/char, "
                        f"{nll / math.log(2):.4f} bits/char")
        bar.close()
        return self

    # ------------------------------------------------------------------ checkpoints
    def save(self, path) -> None:
        """Write a checkpoint that :meth:`load` resumes from (atomically)."""
        import os

        payload = {
            "task": "charlm", "config": dataclasses.asdict(self.config), "chars": list(self.chars),
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "step": self.step, "position": self.position, "state": self.state,
            "generator": self.model.dropout_generator.get_state(), "losses": self.losses,
            "grad_norms": self.grad_norms, "evals": self.evals, "seconds": self.seconds,
        }
        tmp = f"{path}.tmp"
        torch.save(payload, tmp)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path, config: CharLMConfig, chars, device=None) -> "CharLMRun":
        """Resume from a checkpoint written by :meth:`save` with this configuration.

        ``config.steps`` may differ (to train longer); anything else that differs, or another
        vocabulary, raises ValueError naming it.
        """
        payload = torch.load(path, map_location="cpu", weights_only=False)
        if payload.get("task") != "charlm":
            raise ValueError(f"{path} is not a charlm checkpoint (task {payload.get('task')!r})")
        saved = payload["config"]
        mine = dataclasses.asdict(config)
        differs = [f"{k} ({saved.get(k)!r} in the checkpoint, {v!r} asked for)"
                   for k, v in mine.items() if k != "steps" and saved.get(k) != v]
        if differs:
            raise ValueError(f"the checkpoint {path} is from another configuration: "
                             + "; ".join(differs) + ". Use another --out, or --fresh.")
        if tuple(payload["chars"]) != tuple(chars):
            raise ValueError(f"the checkpoint {path} has another vocabulary "
                             f"({len(payload['chars'])} characters, this text has {len(chars)})")
        run = cls.create(config, chars, device=device)
        run.model.load_state_dict(payload["model"])
        run.optimizer.load_state_dict(payload["optimizer"])
        run.model.dropout_generator.set_state(payload["generator"])
        device = next(run.model.parameters()).device
        run.state = _to(payload["state"], device)
        for name in ("step", "position", "losses", "grad_norms", "evals", "seconds"):
            setattr(run, name, payload[name])
        return run


def _to(state, device):
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.to(device)
    return type(state)(_to(s, device) for s in state)


def _bar(total: int, show: bool):
    from rnncourse.torch.train import _tqdm_class

    return _tqdm_class(show)(total=total, desc="charlm", disable=not show, leave=False)


class Reader:
    """The model as the decoders of :mod:`rnncourse.decoding` want it: ids in, logits out.

    ``reader.step(ids, state) -> (logits, state)`` reads a list of ids from ``state`` (None:
    zeros) and returns the float64 NumPy logits (V,) after the last one: the ``step`` that
    :func:`rnncourse.decoding.generate` calls. ``reader.log_probs(prefixes)`` returns the
    next-character log-probabilities (len(prefixes), V) of each prefix, the ``log_probs_fn``
    of :func:`rnncourse.decoding.beam_search`; it keeps the state after every prefix it has
    read, so that extending a prefix by one character costs one step, not a re-read.
    """

    def __init__(self, model: CharLM):
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self._cache: dict = {}  # prefix (tuple of ids) -> (log-probs (V,), state)

    @torch.no_grad()
    def step(self, ids, state=None):
        x = torch.as_tensor(list(ids), dtype=torch.long, device=self.device)[:, None]  # (T, 1)
        logits, state = self.model(x, state)  # (T, 1, V)
        return logits[-1, 0].double().cpu().numpy(), state

    def log_probs(self, prefixes) -> np.ndarray:
        rows = []
        for prefix in prefixes:
            key = tuple(int(i) for i in prefix)
            if key not in self._cache:
                if key[:-1] in self._cache:  # one more character after a known prefix
                    _, state = self._cache[key[:-1]]
                    logits, state = self.step(key[-1:], state)
                else:
                    logits, state = self.step(key)
                self._cache[key] = (logits - np.logaddexp.reduce(logits), state)
            rows.append(self._cache[key][0])
        return np.stack(rows)  # (len(prefixes), V)
