"""The cost of one generated token (rnncourse.models.generation, lesson 15): a recurrent
model's fixed state against a Transformer's growing key-value cache. Small models, short
contexts."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from rnncourse.models.charlm import CharLM, CharLMConfig  # noqa: E402
from rnncourse.models.generation import (GenerationCost, generation_cost, memory_bytes, prefill,  # noqa: E402
                                         step)
from rnncourse.models.transformer import KVCache, TransformerConfig, TransformerLM  # noqa: E402

V = 11
LSTM_CONFIG = CharLMConfig(embed_size=6, hidden_size=10)
TRANSFORMER_CONFIG = TransformerConfig(d_model=12, n_heads=3, n_layers=2, d_ff=20)
LENGTHS = (1, 5, 17, 40)


def _cost(model, L):
    return generation_cost(model, L, n_tokens=2, repeats=1)


def _ids(T, B=1, seed=0):
    return torch.randint(V, (T, B), generator=torch.Generator().manual_seed(seed))  # (T, B)


def transformer_multiply_adds(config, V, L):
    """One token after L of context: per layer the qkv (3 D^2) and output (D^2) maps, the
    feed-forward (2 D d_ff), and the scores and the weighted values over L + 1 keys (2 D (L + 1));
    then the head (D V)."""
    D = config.d_model
    per_layer = 4 * D * D + 2 * D * config.d_ff + 2 * D * (L + 1)
    return config.n_layers * per_layer + D * V


# ----------------------------------------------------------------------------- recurrent model
@pytest.mark.parametrize("cell, gates", [("lstm", 4), ("gru", 3)])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_generation_cost_of_a_recurrent_model_does_not_grow_with_the_context(cell, gates, num_layers):
    config = LSTM_CONFIG.replace(cell=cell, num_layers=num_layers)
    model = CharLM(V, config)
    E, H = config.embed_size, config.hidden_size
    costs = [_cost(model, L) for L in LENGTHS]
    states = 2 if cell == "lstm" else 1  # (h, c) or h
    multiply_adds = gates * H * (E + H) + (num_layers - 1) * gates * H * (H + H) + H * V
    for L, cost in zip(LENGTHS, costs):
        assert isinstance(cost, GenerationCost) and cost.context_length == L
        assert cost.memory_bytes == states * num_layers * H * 4  # float32
        assert cost.multiply_adds == multiply_adds
        assert cost.seconds > 0


def test_generation_cost_of_the_book_lstm():
    config = CharLMConfig(hidden_size=220)
    cost = _cost(CharLM(65, config), 64)
    H, E = 220, 32
    assert cost.memory_bytes == 2 * H * 4
    assert cost.multiply_adds == 4 * H * (E + H) + H * 65


# ----------------------------------------------------------------------------- Transformer
def test_generation_cost_of_a_transformer_grows_linearly_with_the_context():
    model = TransformerLM(V, TRANSFORMER_CONFIG)
    D, n_layers = TRANSFORMER_CONFIG.d_model, TRANSFORMER_CONFIG.n_layers
    costs = [_cost(model, L) for L in LENGTHS]
    for L, cost in zip(LENGTHS, costs):
        assert cost.context_length == L
        assert cost.memory_bytes == 2 * n_layers * L * D * 4  # keys and values, float32
        assert cost.multiply_adds == transformer_multiply_adds(TRANSFORMER_CONFIG, V, L)
        assert cost.seconds > 0
    for a, b in ((costs[0], costs[1]), (costs[2], costs[3])):
        slope = 2 * n_layers * D  # per token of context
        assert b.multiply_adds - a.multiply_adds == slope * (b.context_length - a.context_length)
        assert b.memory_bytes - a.memory_bytes == 2 * n_layers * D * 4 * (b.context_length - a.context_length)


def test_generation_cost_float64_transformer_counts_eight_bytes():
    model = TransformerLM(V, TRANSFORMER_CONFIG).double()
    cost = _cost(model, 3)
    assert cost.memory_bytes == 2 * TRANSFORMER_CONFIG.n_layers * 3 * TRANSFORMER_CONFIG.d_model * 8


def test_generation_cost_leaves_the_model_as_it_was():
    for model in (CharLM(V, LSTM_CONFIG), TransformerLM(V, TRANSFORMER_CONFIG)):
        before = {k: v.clone() for k, v in model.state_dict().items()}
        model.train()
        _cost(model, 4)
        assert model.training
        assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_generation_cost_rejects_bad_arguments():
    model = TransformerLM(V, TRANSFORMER_CONFIG)
    with pytest.raises(TypeError, match="CharLM or a TransformerLM"):
        generation_cost(nn.Linear(3, 3), 4)
    with pytest.raises(TypeError, match="CharLM or a TransformerLM"):
        prefill(nn.LSTM(3, 3), _ids(2))
    for L in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="context_length"):
            generation_cost(model, L)
    with pytest.raises(ValueError, match="n_tokens"):
        generation_cost(model, 4, n_tokens=0)
    with pytest.raises(ValueError, match="repeats"):
        generation_cost(model, 4, repeats=0)
    with pytest.raises(TypeError, match="memory must be"):
        memory_bytes("state")


# ----------------------------------------------------------------------------- prefill and step
@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_prefill_then_steps_equal_reading_everything_at_once(kind):
    if kind == "lstm":
        model = CharLM(V, LSTM_CONFIG).double().eval()
    else:
        model = TransformerLM(V, TRANSFORMER_CONFIG).double().eval()
    ids = _ids(9, B=2)
    with torch.no_grad():
        full = model(ids)
        full = full[0] if kind == "lstm" else full  # (T, B, V)
    memory = prefill(model, ids[:5])
    if kind == "transformer":
        assert isinstance(memory, KVCache) and memory.length == 5
    outputs = []
    for t in range(5, 9):
        logits, memory = step(model, ids[t:t + 1], memory)
        assert logits.shape == (1, 2, V)
        outputs.append(logits)
    torch.testing.assert_close(torch.cat(outputs), full[5:], rtol=1e-10, atol=1e-12)
    if kind == "transformer":
        assert memory.length == 9 and memory_bytes(memory) == memory.nbytes


def test_memory_bytes_of_states():
    h = torch.zeros(1, 1, 5)
    assert memory_bytes(None) == 0
    assert memory_bytes(h) == 20
    assert memory_bytes([(h, h), (h, h.double())]) == 20 * 3 + 40
    assert memory_bytes(KVCache(2)) == 0
