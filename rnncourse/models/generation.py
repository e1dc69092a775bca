r"""What one generated token costs: an RNN's fixed state against a Transformer's growing cache.

A language model generates one token at a time. After reading a context of L tokens,

- a recurrent model (:class:`~rnncourse.models.charlm.CharLM`) holds its state, a few
  vectors of size H, whatever L is, and each new token costs the same multiply-adds;
- a Transformer (:class:`~rnncourse.models.transformer.TransformerLM`) holds the keys and
  values of all L tokens (:class:`~rnncourse.models.transformer.KVCache`), and the new token's
  query is compared with every key: memory and multiply-adds grow linearly in L, so a whole
  sequence of N tokens costs O(N²) in attention.

The functions here measure both on a real model, for one sequence (B = 1):
:func:`generation_cost` returns the bytes of the state or cache, the multiply-adds of one step
(counted by :class:`torch.utils.flop_counter.FlopCounterMode` on the matrix products actually run: a
machine-independent number), and the seconds per step (wall time: machine-dependent, and on
a tiny CPU model mostly Python and dispatch overhead). A fused ``torch.nn.LSTM`` is invisible to
the flop counter, so the count runs the recurrent model's twin built on
:class:`rnncourse.torch.LSTM` (the same weights, written as matrix products).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from rnncourse.models.charlm import CharLM
from rnncourse.models.transformer import KVCache, TransformerLM

__all__ = ["prefill", "step", "memory_bytes", "GenerationCost", "generation_cost"]


def _check_model(model) -> None:
    if not isinstance(model, (CharLM, TransformerLM)):
        raise TypeError(f"model must be a CharLM or a TransformerLM; got {type(model).__name__}")


def _check_length(context_length) -> int:
    if isinstance(context_length, bool) or not isinstance(context_length, int) or context_length < 1:
        raise ValueError(f"context_length must be a positive integer; got {context_length!r}")
    return context_length


@torch.no_grad()
def prefill(model: nn.Module, ids: Tensor):
    """Read a context ids (L, B); return the memory that generation continues from.

    A :class:`CharLM` returns its state (one entry per layer), a :class:`TransformerLM` its
    :class:`KVCache` holding L positions.
    """
    _check_model(model)
    if isinstance(model, TransformerLM):
        cache = model.new_cache()
        model(ids, cache)
        return cache
    _, state = model(ids)
    return state


@torch.no_grad()
def step(model: nn.Module, token: Tensor, memory):
    """One generation step: token (1, B) -> logits (1, B, V), and the memory after it."""
    _check_model(model)
    if isinstance(model, TransformerLM):
        return model(token, memory), memory  # the cache grows in place
    logits, state = model(token, memory)
    return logits, state


def memory_bytes(memory) -> int:
    """Bytes of a recurrent state (nested tuples and lists of tensors) or of a KVCache."""
    if isinstance(memory, KVCache):
        return memory.nbytes
    if isinstance(memory, Tensor):
        return memory.numel() * memory.element_size()
    if isinstance(memory, (tuple, list)):
        return sum(memory_bytes(m) for m in memory)
    if memory is None:
        return 0
    raise TypeError(f"memory must be a state of tensors or a KVCache; got {type(memory).__name__}")


def _countable(model: nn.Module) -> nn.Module:
    """The model, or for a CharLM its twin on rnncourse.torch layers (seen by the flop counter)."""
    if not isinstance(model, CharLM):
        return model
    import rnncourse.torch as rt

    layer = rt.LSTM if model.config.cell == "lstm" else rt.GRU
    twin = CharLM(model.vocab_size, model.config, layer=layer)
    twin.load_state_dict(model.state_dict())
    return twin.to(next(model.parameters()).device).eval()


@dataclass(frozen=True)
class GenerationCost:
    """The cost of one generated token after a context of ``context_length`` tokens (B = 1)."""

    context_length: int
    memory_bytes: int  # the state or the key-value cache, after the context
    multiply_adds: int  # of the matrix products of one step (machine-independent)
    seconds: float  # median wall time of one step (machine-dependent)


def _copy(memory):
    """A copy that later steps do not change (a step makes new tensors, never edits old ones)."""
    if isinstance(memory, KVCache):
        twin = KVCache(len(memory.layers))
        twin.layers = list(memory.layers)
        return twin
    return memory


def generation_cost(model: nn.Module, context_length: int, n_tokens: int = 16,
                    repeats: int = 3) -> GenerationCost:
    """Measure one generated token after ``context_length`` tokens of context, B = 1.

    The context (zeros: the cost does not depend on which tokens) is read once. Then:

    - ``memory_bytes``: :func:`memory_bytes` of the state or cache it leaves;
    - ``multiply_adds``: one step's matrix products, counted by ``FlopCounterMode`` (which
      counts 2 floating-point operations per multiply-add, so the count is halved); element-wise
      work (activations, layer norms, the softmax) is not counted and is small beside them;
    - ``seconds``: the median over ``repeats`` of the mean time of ``n_tokens`` steps, each
      repeat continuing from the same context (its cache grows by ``n_tokens`` meanwhile).
      Machine-dependent: report it, never assert on it.
    """
    _check_model(model)
    L = _check_length(context_length)
    for name, value in (("n_tokens", n_tokens), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    context = torch.zeros(L, 1, dtype=torch.long, device=device)  # (L, 1)
    token = torch.zeros(1, 1, dtype=torch.long, device=device)  # (1, 1)
    memory = prefill(model, context)
    size = memory_bytes(memory)
    countable = _countable(model)
    counted_memory = memory if countable is model else prefill(countable, context)
    counter = FlopCounterMode(display=False)
    with counter:
        step(countable, token, _copy(counted_memory))
    times = []
    for _ in range(repeats):
        current = _copy(memory)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        for _ in range(n_tokens):
            _, current = step(model, token, current)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append((time.perf_counter() - start) / n_tokens)
    model.train(was_training)
    return GenerationCost(L, size, counter.get_total_flops() // 2, statistics.median(times))
