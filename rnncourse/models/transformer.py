r"""A small causal Transformer language model, with an explicit key-value cache.

The model reads character ids and predicts the next one, as the LSTM of lesson 9 does, but
it has no recurrence: position t reads positions 1..t through causal self-attention.

.. math::

    x^{(0)}_t = E[c_t] + p_t, \qquad
    u_t = x^{(l-1)}_t + \mathrm{Attn}\big(\mathrm{LN}(x^{(l-1)})\big)_t, \qquad
    x^{(l)}_t = u_t + W_2\, \mathrm{GELU}\big(W_1 \mathrm{LN}(u_t) + b_1\big) + b_2,

and the logits :math:`z_t = W_{hy} \mathrm{LN}(x^{(L)}_t) + b_y`, with :math:`p_t` the
sinusoidal position code of Vaswani et al. (2017) (fixed, no parameters, defined at any
length) and LN layer normalisation before each sublayer ("pre-LN", as in GPT-2).

Each attention layer keeps, in generation, the keys and values of every position read so
far (:class:`KVCache`): a new token computes its own query, key and value, appends the key
and value, and attends over all of them. The cache grows by ``2 * n_layers * d_model``
numbers per token; an RNN's state does not grow at all.

Shapes: ids (T, B) time-major as everywhere in the course, activations (T, B, D) with
D = ``d_model``; inside attention (B, heads, T, D / heads), the layout of
:func:`rnncourse.attention.self_attention`.

Sources: A. Vaswani et al., "Attention is all you need", NeurIPS 2017 (arXiv:1706.03762);
A. Radford et al., "Language models are unsupervised multitask learners" (GPT-2), 2019, for
the pre-LN block.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnncourse.attention import causal_mask, self_attention
from rnncourse.models._config import check_positive_ints, check_positive_reals, replace as _replace
from rnncourse.models.charlm import as_streams
from rnncourse.torch import clip_grad_norm_, make_generator

__all__ = ["TransformerConfig", "KVCache", "CausalSelfAttention", "TransformerLM",
           "positional_encoding", "fit_window_lm", "evaluate_nll_windowed", "count_parameters"]


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of a :class:`TransformerLM`.

    Attributes
    ----------
    d_model : int
        D, the width of every position's vector.
    n_heads : int
        Attention heads; must divide D.
    n_layers : int
        Blocks (attention + feed-forward).
    d_ff : int
        Width of the feed-forward layer (4 D in most models).
    seed : int
        Seeds the initial weights.
    """

    d_model: int = 96
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 384
    seed: int = 0

    def __post_init__(self):
        check_positive_ints(self, ("d_model", "n_heads", "n_layers", "d_ff"))
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model; got d_model={self.d_model}, "
                             f"n_heads={self.n_heads}")

    replace = _replace


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def positional_encoding(positions: Tensor, d_model: int, dtype=torch.float32) -> Tensor:
    r"""Sinusoidal position codes: (T,) integer positions -> (T, D).

    .. math::

        p_{t, 2i} = \sin(t / 10000^{2i/D}), \qquad p_{t, 2i+1} = \cos(t / 10000^{2i/D})

    Each pair of columns turns at its own frequency, so every position gets a distinct code,
    and a shift by k positions is the same rotation at every t. Computed in float64 and
    returned in ``dtype``.
    """
    half = torch.arange(0, d_model, 2, device=positions.device,
                        dtype=torch.float64)  # (ceil(D/2),)
    freq = torch.exp(-math.log(10000.0) * half / d_model)  # (ceil(D/2),)
    angle = positions.to(torch.float64)[:, None] * freq  # (T, ceil(D/2))
    code = torch.zeros(len(positions), d_model, device=positions.device,
                       dtype=torch.float64)  # (T, D)
    code[:, 0::2] = torch.sin(angle)
    code[:, 1::2] = torch.cos(angle[:, :d_model // 2])
    return code.to(dtype)


class KVCache:
    """The keys and values every attention layer has seen: one (k, v) pair per layer.

    Each k and v is (B, heads, L, D / heads), with L the number of positions read so far.
    """

    def __init__(self, n_layers: int):
        self.layers: list = [None] * n_layers  # (k, v) per layer, or None before the first token

    @property
    def length(self) -> int:
        """L, the positions stored (0 when empty)."""
        first = self.layers[0]
        return 0 if first is None else first[0].shape[2]

    @property
    def nbytes(self) -> int:
        """Bytes held by all the keys and values."""
        return sum(t.numel() * t.element_size() for kv in self.layers if kv is not None for t in kv)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention over time-major (T, B, D) input, with a cache.

    The queries, keys and values come from one linear map ``qkv`` (D -> 3 D), split into
    ``n_heads`` heads; each head runs :func:`rnncourse.attention.self_attention` with the
    causal mask; ``proj`` (D -> D) mixes the heads' outputs.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor, cache: KVCache | None = None,
                layer: int = 0, return_weights: bool = False):
        """x (T, B, D) -> (T, B, D), after the cached positions."""
        T, B, D = x.shape
        nh = self.n_heads
        q, k, v = self.qkv(x).split(D, dim=-1)  # 3 x (T, B, D)
        q, k, v = (t.reshape(T, B, nh, D // nh).permute(1, 2, 0, 3)
                   for t in (q, k, v))  # 3 x (B, nh, T, D/nh)
        past = 0
        if cache is not None:
            if cache.layers[layer] is not None:
                k_old, v_old = cache.layers[layer]
                past = k_old.shape[2]
                k = torch.cat([k_old, k], dim=2)  # (B, nh, past+T, .)
                v = torch.cat([v_old, v], dim=2)  # (B, nh, past+T, .)
            cache.layers[layer] = (k, v)
        mask = None
        if T > 1:  # one new query may read every key
            mask = causal_mask(past + T)[past:]  # (T, past + T)
            mask = torch.as_tensor(mask, dtype=x.dtype,
                                   device=x.device)
        out, weights = self_attention(q, k, v, mask)  # (B, nh, T, .)
        out = out.permute(2, 0, 1, 3).reshape(T, B, D)  # (T, B, D)
        out = self.proj(out)
        return (out, weights) if return_weights else out


class Block(nn.Module):
    """Pre-LN Transformer block: x + Attn(LN(x)), then + FeedForward(LN(.))."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.attn(self.ln1(x), cache, layer)  # (T, B, D)
        return x + self.ff(self.ln2(x))  # (T, B, D)


class TransformerLM(nn.Module):
    """A causal Transformer over character ids: ids (T, B) -> logits (T, B, V).

    Parameters
    ----------
    vocab_size : int
        V.
    config : TransformerConfig
    device : torch.device or str, optional

    Linear layers start from N(0, 0.02²) and zero biases (GPT-2), drawn from a generator
    seeded with ``config.seed``; the embedding from N(0, 1).
    """

    def __init__(self, vocab_size: int, config: TransformerConfig = TransformerConfig(),
                 device=None):
        super().__init__()
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
            raise ValueError(f"vocab_size must be a positive integer, got {vocab_size!r}")
        self.config = config
        D = config.d_model
        self.embed = nn.Embedding(vocab_size, D)
        self.blocks = nn.ModuleList(Block(D, config.n_heads, config.d_ff)
                                    for _ in range(config.n_layers))
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, vocab_size)
        generator = make_generator(config.seed)
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    module.weight.normal_(0.0, 0.02, generator=generator)
                    module.bias.zero_()
            self.embed.weight.normal_(generator=generator)
        self.to(device)

    @property
    def vocab_size(self) -> int:
        return self.embed.num_embeddings

    def new_cache(self) -> KVCache:
        """An empty key-value cache for :meth:`forward`."""
        return KVCache(len(self.blocks))

    def forward(self, ids: Tensor, cache: KVCache | None = None) -> Tensor:
        """ids (T, B) int64 -> logits (T, B, V). With ``cache``, the ids continue the cached ones
        (their positions start at ``cache.length``) and the cache is extended in place."""
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (T, B); got shape {tuple(ids.shape)}")
        T = ids.shape[0]
        start = 0 if cache is None else cache.length
        positions = torch.arange(start, start + T, device=ids.device)  # (T,)
        x = self.embed(ids)  # (T, B, D)
        x = x + positional_encoding(positions, self.config.d_model, x.dtype)[:, None]
        for layer, block in enumerate(self.blocks):
            x = block(x, cache, layer)  # (T, B, D)
        return self.head(self.ln(x))  # (T, B, V)


def fit_window_lm(model: nn.Module, train_ids, *, steps: int, batch_size: int, window: int,
                  lr: float, clip_norm: float = 1.0) -> tuple[list[float], float]:
    """Train a window model (no carried state) on the chunks an RNN of lesson 9 would read.

    The text is cut into ``batch_size`` streams (:func:`rnncourse.models.charlm.as_streams`)
    and walked ``window`` characters at a time, as :meth:`~rnncourse.models.charlm.CharLMRun.train`
    walks them with ``bptt = window``: the same characters in the same order, one Adam step
    per chunk, the global gradient norm clipped to ``clip_norm``. Each chunk is read on its
    own: a Transformer has no state to carry to the next one.

    Returns
    -------
    losses : list of float
        The training loss of every step, nats per character.
    seconds : float
        Wall time of the steps.
    """
    args = SimpleNamespace(steps=steps, batch_size=batch_size, window=window, lr=lr,
                           clip_norm=clip_norm)
    check_positive_ints(args, ("steps", "batch_size", "window"))
    check_positive_reals(args, ("lr", "clip_norm"))
    inputs, targets = as_streams(train_ids, batch_size)  # (N, B) each
    device = next(model.parameters()).device
    inputs, targets = inputs.to(device), targets.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    params = list(model.parameters())
    losses, position, start = [], 0, time.perf_counter()
    model.train()
    for _ in range(steps):
        if position + 2 > len(inputs):
            position = 0
        rows = slice(position, position + window)
        logits = model(inputs[rows])  # (k, B, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets[rows].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_grad_norm_(params, clip_norm)
        optimizer.step()
        position += window
        losses.append(loss.item())
    return losses, time.perf_counter() - start



@torch.no_grad()
def evaluate_nll_windowed(model: nn.Module, ids, window: int, batch_size: int = 64) -> np.ndarray:
    """Per-character negative log-likelihood (nats) of ``ids[1:]`` for a window model.

    Windows of ``window`` characters start every ``window // 2`` characters. The first
    window scores all its predictions; every later one scores only its second half, so each
    character is predicted exactly once, with at least ``window // 2`` characters of context
    (except near the start of the text). The counterpart of
    :func:`rnncourse.models.charlm.evaluate_nll` for a model without state.

    Returns
    -------
    ndarray, shape (len(ids) - 1,)
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"ids must be a 1-D array of at least 2 ids, got shape {ids.shape}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ValueError(f"window must be an integer of at least 2, got {window!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = len(ids) - 1  # predictions
    stride = window // 2
    starts = [0] + list(range(stride, max(n - window, 0) + stride, stride))
    starts = sorted({min(s, max(n - window, 0)) for s in starts})
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = np.full(n, np.nan)
    for i in range(0, len(starts), batch_size):
        group = starts[i:i + batch_size]
        L = min(window, n)
        x = np.stack([ids[s:s + L] for s in group], axis=1)  # (L, b)
        y = np.stack([ids[s + 1:s + L + 1] for s in group], axis=1)  # (L, b)
        logits = model(torch.as_tensor(x, device=device))  # (L, b, V)
        loss = F.cross_entropy(logits.permute(1, 2, 0), torch.as_tensor(y, device=device).T,
                               reduction="none").double().cpu().numpy()  # (b, L)
        for j, s in enumerate(group):
            keep = slice(0, L) if s == 0 else slice(L - stride, L)
            span = out[s + keep.start:s + keep.stop]
            fill = np.isnan(span)  # a later window overlapping an earlier one fills the gap only
            span[fill] = loss[j, keep][fill]
    model.train(was_training)
    if np.isnan(out).any():  # pragma: no cover - the windows always cover the text
        raise RuntimeError("evaluate_nll_windowed left characters unscored")
    return out
