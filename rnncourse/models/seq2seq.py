r"""An encoder-decoder (GRU) for sequence transduction, with or without additive attention.

The task of the lesson is character-level: a date written in one of many formats goes in,
the same date in ISO 8601 (``YYYY-MM-DD``) comes out. Source and target have their own
vocabularies; id 0 is padding (PAD) in both, and the target vocabulary holds BOS and EOS.

**Encoder** (Sutskever et al. 2014; Cho et al. 2014). A GRU reads the embedded source
:math:`x_1, \dots, x_{S_b}` (a packed batch: each sequence for exactly its own length
:math:`S_b`, never its padding). With a bidirectional encoder (Bahdanau et al. 2015) the
annotation of position s is both directions' states side by side,

.. math::

    k_s = [\overrightarrow{h}_s; \overleftarrow{h}_s] \in \mathbb{R}^{H_k}, \quad H_k = 2H,

and the decoder starts from a projection of both final states, the forward state after
:math:`x_{S_b}` and the backward state after reading back to :math:`x_1`:

.. math::

    h_0 = \tanh\big(W_b [\overrightarrow{h}_{S_b}; \overleftarrow{h}_1] + b_b\big) \in \mathbb{R}^H.

With a unidirectional encoder :math:`k_s = h_s` (:math:`H_k = H`) and
:math:`h_0 = h_{S_b}`, the final state itself (Sutskever et al. 2014).

**Decoder with additive attention** (Bahdanau, Cho & Bengio 2015). At output step t the
previous decoder state asks the memory :math:`k_1, \dots, k_{S_b}` where to look:

.. math::

    e_{t,s} = v^\top \tanh(W_q h_{t-1} + W_k k_s), \qquad
    a_{t,s} = \frac{\exp e_{t,s}}{\sum_{s' \le S_b} \exp e_{t,s'}}, \qquad
    c_t = \sum_{s \le S_b} a_{t,s}\, k_s,

(:math:`W_q \in \mathbb{R}^{A \times H}`, :math:`W_k \in \mathbb{R}^{A \times H_k}`,
:math:`v \in \mathbb{R}^A`; padding positions get weight exactly 0), then

.. math::

    h_t = \mathrm{GRUCell}\big([E y_{t-1}; c_t],\ h_{t-1}\big), \qquad
    z_t = W_o [h_t; c_t] + b_o, \qquad p(y_t \mid y_{<t}, x) = \mathrm{softmax}(z_t).

:math:`W_k k_s` does not depend on t: it is computed once per source batch
(:meth:`AdditiveAttention.project_keys`) and reused at every decoding step.

**Decoder without attention** (the fixed-vector bottleneck of Sutskever et al. and Cho et
al.): everything is the same except that there is no context,
:math:`h_t = \mathrm{GRUCell}(E y_{t-1}, h_{t-1})` and :math:`z_t = W_o h_t + b_o`; the
whole source reaches the decoder only through :math:`h_0`.

**Training** (:func:`fit_seq2seq`) uses teacher forcing: the decoder input is the target
shifted right with BOS first (:func:`teacher_forcing_inputs`), and the loss is the
cross-entropy over the real target positions (PAD targets ignored), with Adam and a clipped
global gradient norm. At test time the decoder runs free, feeding back its own choices
(:meth:`Seq2Seq.greedy_decode`, or :func:`rnncourse.decoding.beam_search` with
:meth:`Seq2Seq.log_probs_fn`). Decoding never emits PAD or BOS: their log-probabilities are
set to :math:`-\infty` (the scores of the other tokens are unchanged).

Shapes (time-major): S source steps, T target steps, B batch, H hidden units (per encoder
direction, and the decoder's), :math:`H_k` the memory size (2H or H), A the attention size,
V the target vocabulary, E the embedding size. src (S, B) and tgt (T, B) int64 ids,
right-padded with 0; memory (S, B, H_k); mask (S, B) bool, True on real source positions;
logits (T, B, V); attention weights (T, B, S).

References: I. Sutskever, O. Vinyals, Q. V. Le, "Sequence to sequence learning with neural
networks", NeurIPS 2014. K. Cho et al., "Learning phrase representations using RNN
encoder-decoder for statistical machine translation", EMNLP 2014. D. Bahdanau, K. Cho,
Y. Bengio, "Neural machine translation by jointly learning to align and translate", ICLR
2015. M.-T. Luong, H. Pham, C. D. Manning, "Effective approaches to attention-based neural
machine translation", EMNLP 2015 (multiplicative attention, and the output layer fed
[h_t; c_t] as here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnncourse.attention import additive_attention
from rnncourse.models._config import check_positive_ints, check_positive_reals, check_seed, replace as _replace
from rnncourse.teacher_forcing import teacher_forcing_inputs
from rnncourse.torch import init_uniform_, make_generator
from rnncourse.torch.train import History, fit

__all__ = ["Seq2SeqConfig", "BOOK_CONFIGS", "FULL_CONFIGS", "additive_attention", "AdditiveAttention",
           "Seq2Seq", "teacher_forcing_inputs", "fit_seq2seq", "sequence_log_prob",
           "teacher_forced_accuracy", "free_running_accuracy"]

PAD = 0


@dataclass(frozen=True)
class Seq2SeqConfig:
    """The model and its training, in one record.

    Attributes
    ----------
    attention : bool
        Additive attention over the encoder's states (True), or only the encoder's final
        state (False: the fixed-vector bottleneck). Nothing else changes.
    hidden_size : int
        H: the encoder's units per direction and the decoder's units.
    embed_size : int
        E, the size of the source and target embeddings.
    attention_size : int
        A, the size of the attention's hidden layer (unused without attention).
    bidirectional : bool
        A bidirectional encoder: the memory has 2H features, and the decoder starts from
        tanh(W_b [forward final; backward final] + b_b) (see the module docstring).
    steps, batch_size : int
        Adam steps, and the sequence pairs per step.
    lr, clip_norm : float
        Adam's learning rate and the largest global gradient norm.
    seed : int
        Seeds the weights and the minibatch order.
    """

    attention: bool = True
    hidden_size: int = 128
    embed_size: int = 32
    attention_size: int = 64
    bidirectional: bool = True
    steps: int = 1500
    batch_size: int = 64
    lr: float = 3e-3
    clip_norm: float = 1.0
    seed: int = 0

    def __post_init__(self):
        for name in ("attention", "bidirectional"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_positive_ints(self, ("hidden_size", "embed_size", "attention_size", "steps", "batch_size"))
        check_positive_reals(self, ("lr", "clip_norm"), what="a positive number")
        check_seed(self)

    replace = _replace


#: ``rnncourse train dates`` (dates in many formats -> ISO 8601, 20k pairs, S <= ~30, T = 11).
#: Measured on a busy 2-core machine, one thread, B = 64, S = 26, T = 11: about 55 ms per step
#: with attention (27 ms without), so 500 steps take 25-30 s; on synthetic dates in 9 formats
#: it reached 94% exact matches (greedy) with attention and 18% without.
#: The lesson compares it with ``BOOK_CONFIGS["dates"].replace(attention=False)``.
BOOK_CONFIGS = {
    "dates": Seq2SeqConfig(hidden_size=64, embed_size=16, attention_size=32, steps=500, lr=5e-3),
}
#: Bigger and longer (``--full``; a GPU when there is one).
FULL_CONFIGS = {name: c.replace(hidden_size=128, embed_size=32, attention_size=64, steps=4 * c.steps, lr=3e-3)
                for name, c in BOOK_CONFIGS.items()}


# ----------------------------------------------------------------------------- attention
def _attend(query_proj: Tensor, keys_proj: Tensor, keys: Tensor, mask: Tensor, v: Tensor):
    """The shared core: scores, masked softmax over s, context. ``keys`` already zero on padding."""
    scores = torch.tanh(query_proj.unsqueeze(0) + keys_proj) @ v   # (S, B, A) -> (S, B)
    scores = scores.masked_fill(~mask, float("-inf"))             # padding: exp(-inf) = 0 exactly
    weights = torch.softmax(scores, dim=0)                         # (S, B), each column sums to 1
    context = (weights.unsqueeze(-1) * keys).sum(dim=0)            # (S, B, Hk) -> (B, Hk)
    return context, weights


def _check_attention_args(query: Tensor, keys: Tensor, mask: Tensor) -> None:
    if query.dim() != 2:
        raise ValueError(f"query must have shape (B, H), got {tuple(query.shape)}")
    B = query.shape[0]
    if keys.dim() != 3 or keys.shape[1] != B:
        raise ValueError(f"keys must have shape (S, B={B}, Hk), got {tuple(keys.shape)}")
    if mask.shape != keys.shape[:2] or mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor of shape (S, B) = {tuple(keys.shape[:2])}, got "
                         f"{tuple(mask.shape)} and dtype {mask.dtype}")


class AdditiveAttention(nn.Module):
    """:func:`rnncourse.attention.additive_attention` as a module (tested equal to it):
    ``W_q`` and ``W_k`` are bias-free linear maps.

    For decoding, project the keys once per source batch with :meth:`project_keys` and pass
    the result to every call: each step then costs one (B, H) x (H, A) product and the
    scores, instead of projecting all S keys again.

    Parameters
    ----------
    query_size, key_size, attention_size : int
        H, Hk and A.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        self.W_q = nn.Linear(query_size, attention_size, bias=False)  # weight (A, H)
        self.W_k = nn.Linear(key_size, attention_size, bias=False)    # weight (A, Hk)
        self.v = nn.Parameter(torch.empty(attention_size))            # (A,)
        nn.init.uniform_(self.v, -attention_size ** -0.5, attention_size ** -0.5)

    def project_keys(self, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Padding zeroed, then W_k k: ``(keys (S, B, Hk), keys_proj (S, B, A))`` for :meth:`forward`."""
        keys = torch.where(mask.unsqueeze(-1), keys, torch.zeros((), dtype=keys.dtype, device=keys.device))
        return keys, self.W_k(keys)                                    # (S, B, Hk), (S, B, A)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor,
                projected: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """query (B, H), keys (S, B, Hk), mask (S, B) -> (context (B, Hk), weights (S, B)).

        ``projected`` is :meth:`project_keys`'s result for these keys and mask (computed here
        when None).
        """
        _check_attention_args(query, keys, mask)
        keys, keys_proj = self.project_keys(keys, mask) if projected is None else projected
        return _attend(self.W_q(query), keys_proj, keys, mask, self.v)  # (B, A)


# ----------------------------------------------------------------------------- the model
def _is_ids(x) -> bool:
    return isinstance(x, Tensor) and x.dtype in (torch.int64, torch.int32)


class Seq2Seq(nn.Module):
    """GRU encoder (packed, optionally bidirectional) -> GRUCell decoder, with or without attention.

    Parameters
    ----------
    source_vocab_size, target_vocab_size : int
        The numbers of source and target ids (id 0 is PAD in both and gets a zero embedding).
    config : Seq2SeqConfig
    bos, eos : int
        The target ids that start and end a target sequence: distinct, in [1, V).
    device : torch.device or str, optional

    The weights come from a generator seeded with ``config.seed`` (torch.nn's uniform
    initialisation with bound 1/sqrt(H); N(0, 1) embeddings), never from torch's global
    random state.
    """

    def __init__(self, source_vocab_size: int, target_vocab_size: int, *,
                 config: Seq2SeqConfig = Seq2SeqConfig(), bos: int = 1, eos: int = 2, device=None):
        super().__init__()
        for name, value, low in (("source_vocab_size", source_vocab_size, 2),
                                 ("target_vocab_size", target_vocab_size, 3)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        for name, value in (("bos", bos), ("eos", eos)):
            if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                    or not 1 <= value < target_vocab_size):
                raise ValueError(f"{name} must be a target id in [1, {target_vocab_size}) (0 is PAD), got {value!r}")
        if bos == eos:
            raise ValueError(f"bos and eos must differ, got {bos} for both")
        if not isinstance(config, Seq2SeqConfig):
            raise ValueError(f"config must be a Seq2SeqConfig, got {type(config).__name__}")
        self.config, self.bos, self.eos = config, int(bos), int(eos)
        H, E = config.hidden_size, config.embed_size
        Hk = 2 * H if config.bidirectional else H
        C = Hk if config.attention else 0                              # context size fed to the decoder
        with torch.random.fork_rng(devices=[]):  # torch.nn draws initial weights globally: undo that
            self.src_embed = nn.Embedding(source_vocab_size, E, padding_idx=PAD)
            self.tgt_embed = nn.Embedding(target_vocab_size, E, padding_idx=PAD)
            self.encoder = nn.GRU(E, H, bidirectional=config.bidirectional)
            self.bridge = nn.Linear(2 * H, H) if config.bidirectional else None
            self.attention = AdditiveAttention(H, Hk, config.attention_size) if config.attention else None
            self.decoder = nn.GRUCell(E + C, H)
            self.out = nn.Linear(H + C, target_vocab_size)
        generator = make_generator(config.seed)
        init_uniform_(self.parameters(), H, generator)
        with torch.no_grad():
            for embed in (self.src_embed, self.tgt_embed):
                embed.weight.normal_(generator=generator)
                embed.weight[PAD].zero_()
        self.to(device)

    @property
    def target_vocab_size(self) -> int:
        return self.out.out_features

    @property
    def memory_size(self) -> int:
        """H_k: 2H for a bidirectional encoder, else H."""
        return self.config.hidden_size * (2 if self.config.bidirectional else 1)

    # ------------------------------------------------------------------ encoder
    def _check_source(self, src, src_lengths) -> tuple[Tensor, Tensor]:
        if not _is_ids(src) or src.dim() != 2:
            raise ValueError(f"src must be token ids of shape (S, B), dtype int64, got "
                             f"{tuple(getattr(src, 'shape', ()))} and {getattr(src, 'dtype', type(src).__name__)}")
        S, B = src.shape
        lengths = torch.as_tensor(src_lengths, dtype=torch.int64).cpu()
        if lengths.shape != (B,):
            raise ValueError(f"src_lengths must have shape (B,) = ({B},), got {tuple(lengths.shape)}")
        if B and (lengths.min() < 1 or lengths.max() > S):
            raise ValueError(f"every source length must lie in [1, S] = [1, {S}], got range "
                             f"[{int(lengths.min())}, {int(lengths.max())}]")
        return src.to(self.out.weight.device), lengths

    def encode(self, src: Tensor, src_lengths) -> tuple[Tensor, Tensor, Tensor]:
        """Read the sources: src (S, B) ids, src_lengths (B,) ->
        ``(memory (S, B, Hk) zero on padding, mask (S, B) True on real positions, h0 (B, H))``."""
        src, lengths = self._check_source(src, src_lengths)
        S = src.shape[0]
        x = self.src_embed(src)                                        # (S, B, E)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, h_n = self.encoder(packed)                                # h_n (dirs, B, H)
        memory, _ = pad_packed_sequence(out, total_length=S)           # (S, B, Hk)
        mask = torch.arange(S, device=memory.device)[:, None] < lengths.to(memory.device)[None, :]  # (S, B)
        if self.bridge is not None:
            h0 = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=1)))  # (B, 2H) -> (B, H)
        else:
            h0 = h_n[0]                                                # (B, H)
        return memory, mask, h0

    def _projected(self, memory: Tensor, mask: Tensor):
        return None if self.attention is None else self.attention.project_keys(memory, mask)

    # ------------------------------------------------------------------ decoder
    def decode_step(self, y_prev: Tensor, h: Tensor, memory: Tensor, mask: Tensor,
                    projected: tuple[Tensor, Tensor] | None = None):
        """One decoder step: y_prev (B,) ids, h (B, H) the previous state, memory (S, B, Hk),
        mask (S, B) -> ``(logits (B, V), h (B, H), weights (S, B) or None without attention)``.

        ``projected``: :meth:`AdditiveAttention.project_keys` of (memory, mask), to reuse
        across steps (computed here when None).
        """
        B, H = h.shape[0], self.config.hidden_size
        if y_prev.shape != (B,) or h.shape != (B, H):
            raise ValueError(f"y_prev must have shape (B,) and h shape (B, H) = ({B}, {H}), got "
                             f"{tuple(y_prev.shape)} and {tuple(h.shape)}")
        e = self.tgt_embed(y_prev)                                     # (B, E)
        if self.attention is None:
            h = self.decoder(e, h)                                     # (B, H)
            return self.out(h), h, None                                # (B, V)
        context, weights = self.attention(h, memory, mask, projected)  # (B, Hk), (S, B)
        h = self.decoder(torch.cat([e, context], dim=1), h)           # (B, E + Hk) -> (B, H)
        return self.out(torch.cat([h, context], dim=1)), h, weights   # (B, H + Hk) -> (B, V)

    def forward(self, src: Tensor, src_lengths, tgt_in: Tensor, return_attention: bool = False):
        """Teacher forcing: src (S, B), src_lengths (B,), tgt_in (T, B) the decoder inputs (BOS
        first, :func:`teacher_forcing_inputs`) -> logits (T, B, V); with ``return_attention``,
        ``(logits, weights)``, weights (T, B, S) (None without attention)."""
        if not _is_ids(tgt_in) or tgt_in.dim() != 2 or (_is_ids(src) and tgt_in.shape[1:] != src.shape[1:2]):
            B = src.shape[1] if isinstance(src, Tensor) and src.dim() == 2 else "B"
            raise ValueError(f"tgt_in must be token ids of shape (T, B={B}), dtype int64, got "
                             f"{tuple(getattr(tgt_in, 'shape', ()))} and {getattr(tgt_in, 'dtype', '?')}")
        memory, mask, h = self.encode(src, src_lengths)
        projected = self._projected(memory, mask)
        tgt_in = tgt_in.to(memory.device)
        logits, weights = [], []
        for t in range(tgt_in.shape[0]):
            z, h, w = self.decode_step(tgt_in[t], h, memory, mask, projected)  # (B, V), (B, H), (S, B)
            logits.append(z)
            weights.append(w)
        logits = torch.stack(logits) if logits else memory.new_zeros(0, src.shape[1], self.target_vocab_size)
        if not return_attention:
            return logits                                              # (T, B, V)
        if self.attention is None:
            return logits, None
        att = torch.stack(weights).transpose(1, 2) if weights else memory.new_zeros(0, src.shape[1], src.shape[0])
        return logits, att                                             # (T, S, B) -> (T, B, S)

    def _banned(self, logits: Tensor) -> Tensor:
        """The tokens decoding never emits (PAD, BOS) set to -inf."""
        logits = logits.clone()
        logits[..., [PAD, self.bos]] = float("-inf")
        return logits

    @torch.no_grad()
    def greedy_decode(self, src: Tensor, src_lengths, max_len: int):
        """Free-running greedy decoding of a batch: each step feeds back its own argmax.

        Returns
        -------
        ids : list of B lists of int
            Each row's tokens after BOS, ending with EOS (kept) unless ``max_len`` was reached.
        weights : Tensor (T, B, S) or None
            The attention weights of the T <= max_len steps run (the batch stops when every
            row has emitted EOS); None without attention.
        """
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
            raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
        memory, mask, h = self.encode(src, src_lengths)
        projected = self._projected(memory, mask)
        B = memory.shape[1]
        y = torch.full((B,), self.bos, dtype=torch.int64, device=memory.device)  # (B,)
        done = torch.zeros(B, dtype=torch.bool, device=memory.device)
        steps, weights = [], []
        for _ in range(max_len):
            z, h, w = self.decode_step(y, h, memory, mask, projected)
            y = self._banned(z).argmax(dim=1)                          # (B,): the lower id wins ties
            steps.append(y)
            weights.append(w)
            done |= y == self.eos
            if bool(done.all()):
                break
        table = torch.stack(steps, dim=1).tolist()                     # (B, T)
        ids = [row[:row.index(self.eos) + 1] if self.eos in row else row for row in table]
        if self.attention is None:
            return ids, None
        return ids, torch.stack(weights).transpose(1, 2)               # (T, S, B) -> (T, B, S)

    def log_probs_fn(self, src_1, length: int | None = None):
        """For :func:`rnncourse.decoding.beam_search` / ``greedy_search`` on one source sentence.

        Parameters
        ----------
        src_1 : array-like or Tensor of int, (S,)
            One source sequence (possibly right-padded).
        length : int, optional
            Its length (all of ``src_1`` when None).

        Returns
        -------
        callable
            ``fn(prefixes)``: a list of N token-id lists, each starting with BOS -> ndarray
            (N, V) of next-token log-probabilities (-inf for PAD and BOS). Decoder states are
            memoised by prefix, so each call costs one batched decoder step over the prefixes
            not seen before (one GRUCell row per new prefix).
        """
        src_1 = torch.as_tensor(np.asarray(src_1) if not isinstance(src_1, Tensor) else src_1)
        if src_1.dim() != 1:
            raise ValueError(f"src_1 must be one source sequence of shape (S,), got {tuple(src_1.shape)}")
        length = src_1.shape[0] if length is None else int(length)
        if not 1 <= length <= src_1.shape[0]:
            raise ValueError(f"length must lie in [1, S] = [1, {src_1.shape[0]}], got {length}")
        with torch.no_grad():
            memory, mask, h0 = self.encode(src_1[:length, None].to(torch.int64), [length])  # (S, 1, Hk), (1, H)
            projected = self._projected(memory, mask)
        cache: dict[tuple, tuple[Tensor, np.ndarray]] = {}             # prefix -> (h (H,), log-probs (V,))

        def state(prefix: tuple) -> Tensor:
            return h0[0] if len(prefix) == 0 else cache[prefix][0]

        @torch.no_grad()
        def extend(new: list[tuple]) -> None:                          # decode the prefixes not cached
            parents = sorted({p[:-1] for p in new if len(p) > 1 and p[:-1] not in cache}, key=len)
            if parents:
                extend(parents)
            N = len(new)
            y = torch.tensor([p[-1] for p in new], dtype=torch.int64, device=memory.device)  # (N,)
            h = torch.stack([state(p[:-1]) for p in new])              # (N, H)
            proj = None if projected is None else tuple(t.expand(-1, N, -1) for t in projected)
            z, h, _ = self.decode_step(y, h, memory.expand(-1, N, -1), mask.expand(-1, N), proj)  # (N, V)
            lp = self._banned(torch.log_softmax(z, dim=1)).cpu().numpy()
            for n, p in enumerate(new):
                cache[p] = (h[n], lp[n])

        def fn(prefixes) -> np.ndarray:
            keys = [tuple(int(i) for i in p) for p in prefixes]
            for p in keys:
                if not p or p[0] != self.bos:
                    raise ValueError(f"every prefix must start with bos = {self.bos}, got {list(p)}")
            new = list(dict.fromkeys(p for p in keys if p not in cache))
            if new:
                extend(new)
            return np.stack([cache[p][1] for p in keys]) if keys else np.zeros((0, self.target_vocab_size))

        return fn


# ----------------------------------------------------------------------------- data and training
def _as_ids(a, name: str) -> Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, Tensor) else a)
    if t.dim() != 2 or t.dtype.is_floating_point or t.dtype == torch.bool:
        raise ValueError(f"{name} must be integer token ids of shape (time, N), got shape {tuple(t.shape)} "
                         f"and dtype {t.dtype}")
    return t.to(torch.int64)


def _as_lengths(a, n: int, limit: int, name: str) -> Tensor:
    lengths = torch.as_tensor(np.asarray(a), dtype=torch.int64)
    if lengths.shape != (n,):
        raise ValueError(f"{name} must have shape (N,) = ({n},), got {tuple(lengths.shape)}")
    if n and (lengths.min() < 1 or lengths.max() > limit):
        raise ValueError(f"every value of {name} must lie in [1, {limit}]")
    return lengths


def fit_seq2seq(model: Seq2Seq, src, src_lengths, tgt, tgt_lengths, *, steps: int | None = None,
                progress: bool | None = None, history: History | None = None) -> History:
    """Train ``model`` with teacher forcing, Adam and a clipped gradient norm (``model.config``).

    Each step draws ``batch_size`` pairs (shuffled without replacement with
    ``np.random.default_rng(config.seed)``), trims them to the batch's longest source and
    target, and minimises the mean cross-entropy over the real target positions.

    Parameters
    ----------
    model : Seq2Seq
    src : array or Tensor of int, (S, N), right-padded with 0
    src_lengths : (N,)
    tgt : array or Tensor of int, (T, N), right-padded with 0, each sequence ending with EOS
    tgt_lengths : (N,)
        Positions at or beyond a target's length are treated as padding.
    steps : int, optional
        Overrides ``model.config.steps``.
    progress, history
        As in :func:`rnncourse.torch.fit`.

    Returns
    -------
    History
        The training loss (nats per target token, mean over the minibatch) of every step.
    """
    cfg = model.config
    device = model.out.weight.device
    src, tgt = _as_ids(src, "src"), _as_ids(tgt, "tgt")
    N = src.shape[1]
    if tgt.shape[1] != N:
        raise ValueError(f"src holds N = {N} sequences (axis 1, time-major), tgt holds {tgt.shape[1]}")
    src_lengths = _as_lengths(src_lengths, N, src.shape[0], "src_lengths")
    tgt_lengths = _as_lengths(tgt_lengths, N, tgt.shape[0], "tgt_lengths")
    if N == 0:
        raise ValueError("no training pairs (N = 0)")
    V = model.target_vocab_size
    tgt = torch.where(torch.arange(tgt.shape[0])[:, None] < tgt_lengths[None, :], tgt, PAD)  # (T, N)
    if tgt.min() < 0 or tgt.max() >= V:
        raise ValueError(f"tgt ids must lie in [0, {V}), got range [{int(tgt.min())}, {int(tgt.max())}]")
    tgt_in = teacher_forcing_inputs(tgt, model.bos)                   # (T, N)
    src, tgt, tgt_in = src.to(device), tgt.to(device), tgt_in.to(device)
    rng = np.random.default_rng(cfg.seed)
    batch_size = min(cfg.batch_size, N)
    order, pos = rng.permutation(N), 0

    def next_batch():
        nonlocal order, pos
        if pos + batch_size > N:
            order, pos = rng.permutation(N), 0
        idx = torch.as_tensor(order[pos:pos + batch_size])
        pos += batch_size
        S_b, T_b = int(src_lengths[idx].max()), int(tgt_lengths[idx].max())
        idx_d = idx.to(device)
        return (src[:S_b, idx_d], src_lengths[idx], tgt_in[:T_b, idx_d]), tgt[:T_b, idx_d]  # (S_b, b), (T_b, b)

    def loss_fn(logits: Tensor, targets: Tensor) -> Tensor:           # (T, b, V), (T, b)
        return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=PAD)

    class _Call(nn.Module):  # fit() calls model(inputs); ours takes (src, src_lengths, tgt_in)
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, triple):
            return self.m(*triple)

    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return fit(_Call(model), optimizer, next_batch, loss_fn, cfg.steps if steps is None else steps,
               clip_norm=cfg.clip_norm, progress=progress, history=history, desc="fit_seq2seq")


def _teacher_forced(model: Seq2Seq, src, src_lengths, tgt):
    src, tgt = _as_ids(src, "src"), _as_ids(tgt, "tgt")
    if tgt.shape[1] != src.shape[1]:
        raise ValueError(f"tgt must have shape (T, B={src.shape[1]}), got {tuple(tgt.shape)}")
    device = model.out.weight.device
    tgt = tgt.to(device)
    logits = model(src.to(device), src_lengths, teacher_forcing_inputs(tgt, model.bos))  # (T, B, V)
    return logits, tgt


@torch.no_grad()
def sequence_log_prob(model: Seq2Seq, src, src_lengths, tgt) -> np.ndarray:
    """log p(y | x) = sum_t log p(y_t | y_<t, x) of given targets, (B,) float64.

    ``tgt`` (T, B) right-padded with 0, as the decoder would emit them (ending with EOS, or
    cut at a maximum length); padding positions are not scored. Equal to the score that
    :func:`rnncourse.decoding.beam_search` reports with :meth:`Seq2Seq.log_probs_fn`.
    """
    logits, tgt = _teacher_forced(model, src, src_lengths, tgt)
    lp = torch.log_softmax(logits.double(), dim=2).gather(2, tgt.unsqueeze(2)).squeeze(2)  # (T, B)
    return torch.where(tgt != PAD, lp, 0.0).sum(dim=0).cpu().numpy()  # (B,)


@torch.no_grad()
def teacher_forced_accuracy(model: Seq2Seq, src, src_lengths, tgt) -> np.ndarray:
    """Per-position accuracy (T,) of the argmax when the true prefix is fed (teacher forcing).

    Position t is averaged over the sequences whose target has a real token there (NaN if
    none). The argmax never picks PAD or BOS, as in decoding.
    """
    logits, tgt = _teacher_forced(model, src, src_lengths, tgt)
    correct = model._banned(logits).argmax(dim=2) == tgt            # (T, B)
    real = tgt != PAD                                                 # (T, B)
    with np.errstate(invalid="ignore", divide="ignore"):
        hits = (correct & real).sum(1).double()                       # (T,)
        return (hits / real.sum(1)).cpu().numpy()                     # (T,)


def free_running_accuracy(model: Seq2Seq, src, src_lengths, tgt) -> np.ndarray:
    """Per-position accuracy (T,) of greedy free-running decoding (its own outputs fed back).

    Position t counts as correct when the decoded token t equals the target's (a decoded
    sequence that already ended is wrong there); averaged as :func:`teacher_forced_accuracy`.
    """
    tgt = _as_ids(tgt, "tgt")
    T = tgt.shape[0]
    ids, _ = model.greedy_decode(_as_ids(src, "src"), src_lengths, max_len=T)
    out = torch.tensor([row + [PAD] * (T - len(row)) for row in ids], dtype=torch.int64).T  # (T, B)
    real = (tgt != PAD).double()
    correct = ((out == tgt) & (tgt != PAD)).double()
    with np.errstate(invalid="ignore", divide="ignore"):
        return (correct.sum(1) / real.sum(1)).numpy()                 # (T,)
