"""The causal Transformer language model of lesson 15 (rnncourse.models.transformer): the
causal mask, the key-value cache, the attention against torch's, the position codes, the
parameter count, the training loop and the windowed evaluation. Small shapes and local
generators throughout."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

import rnncourse.models.transformer as transformer_module  # noqa: E402
from rnncourse.models.charlm import CharLM, CharLMConfig, CharLMRun  # noqa: E402
from rnncourse.models.transformer import (CausalSelfAttention, KVCache, TransformerConfig,  # noqa: E402
                                          TransformerLM, count_parameters, evaluate_nll_windowed,
                                          fit_window_lm, positional_encoding)

V = 7
SMALL = TransformerConfig(d_model=8, n_heads=2, n_layers=2, d_ff=16, seed=0)


def _ids(T, B, V=V, seed=0):
    return torch.randint(V, (T, B), generator=torch.Generator().manual_seed(seed))  # (T, B)


def periodic_text(n=600, period=7, V=5):
    return np.arange(n) % period % V


def analytic_parameters(V, config):
    """Embedding, per block two layer norms, qkv, proj and the two feed-forward layers, the final
    layer norm and the head; every Linear with its bias, every LayerNorm with weight and bias."""
    D, F_, L = config.d_model, config.d_ff, config.n_layers
    block = (2 * 2 * D                 # ln1, ln2
             + D * 3 * D + 3 * D       # qkv
             + D * D + D               # proj
             + D * F_ + F_             # feed-forward in
             + F_ * D + D)             # feed-forward out
    return V * D + L * block + 2 * D + D * V + V


def lstm_parameters(V, E, H):
    """Embedding, one torch.nn.LSTM layer (two bias vectors) and the head."""
    return V * E + 4 * H * (E + H) + 2 * 4 * H + H * V + V


# ----------------------------------------------------------------------------- TransformerConfig
def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="n_heads must divide d_model"):
        TransformerConfig(d_model=10, n_heads=3)
    for name in ("d_model", "n_heads", "n_layers", "d_ff"):
        with pytest.raises(ValueError, match=name):
            TransformerConfig(**{name: 0})
    with pytest.raises(ValueError, match="d_ff"):
        SMALL.replace(d_ff=2.5)


def test_transformer_rejects_bad_vocab_size_and_ids():
    for bad in (0, -1, True, 3.0):
        with pytest.raises(ValueError, match="vocab_size"):
            TransformerLM(bad, SMALL)
    model = TransformerLM(V, SMALL)
    for shape in ((5,), (5, 2, 1)):
        with pytest.raises(ValueError, match=r"ids must have shape \(T, B\)"):
            model(torch.zeros(shape, dtype=torch.long))


# ----------------------------------------------------------------------------- the model
def test_transformer_shapes_and_same_seed_same_weights():
    ids = _ids(5, 3)
    torch.manual_seed(1)
    a = TransformerLM(V, SMALL)
    torch.manual_seed(2)  # torch's global generator plays no part in the weights
    b = TransformerLM(V, SMALL)
    c = TransformerLM(V, SMALL.replace(seed=1))
    assert a(ids).shape == (5, 3, V) and a.vocab_size == V
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert na == nb and torch.equal(pa, pb), na
    assert not torch.equal(a.head.weight, c.head.weight)
    assert torch.equal(a(ids), b(ids))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_transformer_causal_mask_blocks_the_future(dtype):
    model = TransformerLM(V, SMALL).to(dtype).eval()
    T = 9
    ids = _ids(T, 2)
    with torch.no_grad():
        base = model(ids)
        for t in (0, 4, T - 1):
            changed = ids.clone()
            changed[t] = (changed[t] + 1) % V  # a new token at position t in every column
            out = model(changed)
            torch.testing.assert_close(out[:t], base[:t], rtol=0, atol=1e-6)
            # the changed position and every later one read the new token (the weights are
            # small, N(0, 0.02^2), so the later changes are small too: 1e-5 and more here)
            assert ((out[t:] - base[t:]).abs().amax(dim=-1) > 1e-7).all(), t


def test_transformer_column_is_independent_of_the_others():
    model = TransformerLM(V, SMALL).eval()
    ids = _ids(6, 3)
    with torch.no_grad():
        together = model(ids)
        alone = model(ids[:, 1:2])
    torch.testing.assert_close(together[:, 1:2], alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_kv_cache_equals_recomputing_the_whole_prefix(dtype, tol):
    model = TransformerLM(V, SMALL).to(dtype).eval()
    T, B = 11, 2
    ids = _ids(T, B)
    with torch.no_grad():
        full = model(ids)  # (T, B, V)
        assert full.dtype == dtype
        one_by_one = model.new_cache()
        steps = torch.cat([model(ids[t:t + 1], one_by_one) for t in range(T)])
        chunked = model.new_cache()
        bounds = [0, 3, 4, 9, 11]  # chunks of 3, 1, 5 and 2 tokens
        chunks = torch.cat([model(ids[a:b], chunked) for a, b in zip(bounds, bounds[1:])])
    torch.testing.assert_close(steps, full, rtol=tol, atol=tol)
    torch.testing.assert_close(chunks, full, rtol=tol, atol=tol)
    size = torch.empty((), dtype=dtype).element_size()
    for cache in (one_by_one, chunked):
        assert cache.length == T
        assert cache.nbytes == 2 * SMALL.n_layers * B * T * SMALL.d_model * size
        for k, v in cache.layers:
            assert k.shape == v.shape == (B, SMALL.n_heads, T, SMALL.d_model // SMALL.n_heads)


def test_kv_cache_starts_empty():
    cache = TransformerLM(V, SMALL).new_cache()
    assert isinstance(cache, KVCache) and len(cache.layers) == SMALL.n_layers
    assert cache.length == 0 and cache.nbytes == 0


@pytest.mark.parametrize("T", [1, 2, 6])
def test_causal_self_attention_equals_torch_scaled_dot_product_attention(T):
    torch.manual_seed(0)  # nn.Linear's own initialisation: any weights will do
    D, nh, B = 12, 3, 2
    attn = CausalSelfAttention(D, nh).double()
    x = torch.randn(T, B, D, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out, weights = attn(x, return_weights=True)
    q, k, v = F.linear(x, attn.qkv.weight, attn.qkv.bias).split(D, dim=-1)  # 3 x (T, B, D)
    q, k, v = (t.reshape(T, B, nh, D // nh).permute(1, 2, 0, 3) for t in (q, k, v))  # (B, nh, T, d)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, d)
    ref = F.linear(ref.permute(2, 0, 1, 3).reshape(T, B, D), attn.proj.weight, attn.proj.bias)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
    assert weights.shape == (B, nh, T, T)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, nh, T, dtype=torch.float64))
    assert torch.equal(weights.triu(1), torch.zeros_like(weights))  # exactly 0 on the future


# ----------------------------------------------------------------------------- position codes
@pytest.mark.parametrize("D", [1, 2, 5, 8])
def test_positional_encoding_shape_and_values(D):
    T = 6
    code = positional_encoding(torch.arange(T), D)
    assert code.shape == (T, D)
    expected = torch.zeros(T, D, dtype=torch.float64)
    for t in range(T):
        for j in range(D):
            angle = t / 10000 ** (2 * (j // 2) / D)
            expected[t, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    torch.testing.assert_close(code.double(), expected, rtol=0, atol=1e-6)
    assert torch.equal(code[0, 0::2], torch.zeros_like(code[0, 0::2]))  # sin 0
    assert torch.equal(code[0, 1::2], torch.ones_like(code[0, 1::2]))  # cos 0
    assert len(set(map(tuple, code.tolist()))) == T  # a distinct code for every position


def test_positional_encoding_depends_only_on_the_position():
    positions = torch.tensor([7, 3, 100])
    code = positional_encoding(positions, 6)
    torch.testing.assert_close(code, positional_encoding(torch.arange(101), 6)[positions])


def test_transformer_without_positions_sees_the_prefix_as_a_set(monkeypatch):
    """With the position codes removed, the last position's output in a one-layer model is the
    same for every order of the tokens before it: attention alone reads a bag of tokens. (With
    two layers it is not: the second layer reads the first layer's outputs at the earlier
    positions, and each of those has read its own causal prefix.)"""
    ids = torch.tensor([[1], [2], [3], [4], [5], [6]])  # (T, 1)
    shuffled = torch.tensor([[4], [1], [5], [3], [2], [6]])  # the same tokens, the last kept
    model = TransformerLM(V, SMALL.replace(n_layers=1)).double().eval()
    with torch.no_grad():
        with_positions = model(ids)[-1], model(shuffled)[-1]
        monkeypatch.setattr(transformer_module, "positional_encoding",
                            lambda positions, d, dtype: torch.zeros(len(positions), d, dtype=dtype))
        without = model(ids)[-1], model(shuffled)[-1]
    torch.testing.assert_close(without[0], without[1], rtol=1e-10, atol=1e-12)
    assert (with_positions[0] - with_positions[1]).abs().max() > 1e-8  # small weights, small change


def test_transformer_runs_in_the_dtype_of_its_weights():
    model = TransformerLM(V, SMALL).to(torch.bfloat16).eval()
    with torch.no_grad():
        assert model(_ids(4, 2)).dtype == torch.bfloat16


# ----------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("vocab_size, config", [
    (65, TransformerConfig()),
    (11, TransformerConfig(d_model=12, n_heads=3, n_layers=3, d_ff=20)),
])
def test_count_parameters_equals_the_analytic_count(vocab_size, config):
    model = TransformerLM(vocab_size, config)
    assert count_parameters(model) == analytic_parameters(vocab_size, config)
    D, L = config.d_model, config.n_layers
    if config.d_ff == 4 * D:  # the familiar form: 12 D^2 + 13 D per block
        assert count_parameters(model) == L * (12 * D * D + 13 * D) + 2 * vocab_size * D + 2 * D + vocab_size


def test_count_parameters_skips_frozen_parameters():
    model = TransformerLM(V, SMALL)
    model.embed.weight.requires_grad_(False)
    assert count_parameters(model) == analytic_parameters(V, SMALL) - V * SMALL.d_model


def test_book_lstm_has_about_as_many_parameters_as_the_book_transformer():
    lstm = CharLM(65, CharLMConfig(hidden_size=220))
    transformer = TransformerLM(65, TransformerConfig())
    assert count_parameters(lstm) == lstm_parameters(65, 32, 220)
    assert abs(count_parameters(lstm) / count_parameters(transformer) - 1) < 0.02


# ----------------------------------------------------------------------------- fit_window_lm
def test_fit_window_lm_lowers_the_loss_on_a_repeating_text():
    model = TransformerLM(5, SMALL)
    losses, seconds = fit_window_lm(model, periodic_text(400), steps=30, batch_size=4, window=12, lr=1e-2)
    assert len(losses) == 30 and all(math.isfinite(v) for v in losses) and seconds > 0
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_fit_window_lm_is_deterministic():
    runs = [fit_window_lm(TransformerLM(5, SMALL), periodic_text(200), steps=4, batch_size=3, window=8,
                          lr=1e-2)[0] for _ in range(2)]
    assert runs[0] == runs[1]


def test_fit_window_lm_reads_the_chunks_charlm_reads():
    """The same inputs in the same order as CharLMRun.train with bptt = window, over the wrap
    back to the top of the text (N = 17 rows, window 5: four chunks, the last of two rows)."""
    text = np.random.default_rng(0).integers(0, 5, size=17 * 3 + 1)
    B, window, steps = 3, 5, 9
    seen_lstm, seen_transformer = [], []
    run = CharLMRun.create(CharLMConfig(embed_size=4, hidden_size=4, batch_size=B, bptt=window, steps=steps),
                           tuple("abcde"))
    run.model.register_forward_pre_hook(lambda module, args: seen_lstm.append(args[0].clone()))
    run.train(text)
    model = TransformerLM(5, SMALL)
    first = TransformerLM(5, SMALL)  # the same initial weights, to check the first loss
    model.register_forward_pre_hook(lambda module, args: seen_transformer.append(args[0].clone()))
    losses, _ = fit_window_lm(model, text, steps=steps, batch_size=B, window=window, lr=1e-2)
    assert len(seen_transformer) == len(seen_lstm) == steps
    assert [tuple(x.shape) for x in seen_transformer] == [(5, 3), (5, 3), (5, 3), (2, 3)] * 2 + [(5, 3)]
    for a, b in zip(seen_transformer, seen_lstm):
        assert torch.equal(a, b)
    # the targets are the next characters of each stream
    ids = torch.as_tensor(text)
    x = ids[:51].reshape(B, 17).T[:window]  # (window, B)
    y = ids[1:52].reshape(B, 17).T[:window]
    with torch.no_grad():
        expected = F.cross_entropy(first(x).reshape(-1, 5), y.reshape(-1)).item()
    assert losses[0] == pytest.approx(expected, rel=1e-6)


def test_fit_window_lm_rejects_bad_arguments():
    model = TransformerLM(5, SMALL)
    text = periodic_text(100)
    for name, value in (("steps", 0), ("batch_size", 0), ("window", -1), ("steps", 1.5)):
        kwargs = {"steps": 2, "batch_size": 2, "window": 4, "lr": 1e-2, name: value}
        with pytest.raises(ValueError, match=name):
            fit_window_lm(model, text, **kwargs)
    for name in ("lr", "clip_norm"):
        with pytest.raises(ValueError, match=name):
            fit_window_lm(model, text, steps=2, batch_size=2, window=4, **{"lr": 1e-2, name: 0.0})
    with pytest.raises(ValueError, match="too short"):
        fit_window_lm(model, periodic_text(3), steps=2, batch_size=4, window=4, lr=1e-2)


# ----------------------------------------------------------------------------- evaluate_nll_windowed
class _ContextSpy(torch.nn.Module):
    """Puts logit -(t + 100) on the character after the one read at window position t, and 0
    on the others. On a text whose next character is always id + 1, the NLL of a character is
    then log(V - 1 + exp(-(t + 100))) + t + 100 when scored from its own window position t (so
    t + 1 characters of context), and below log V when scored against any other target."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.dummy = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def forward(self, ids):
        T, B = ids.shape
        logits = torch.zeros(T, B, self.vocab_size, dtype=torch.float64)
        value = -(torch.arange(T, dtype=torch.float64) + 100)[:, None, None].expand(T, B, 1)
        return logits.scatter(2, ((ids + 1) % self.vocab_size)[..., None], value)


def _contexts(nll, vocab_size):
    assert (nll > 50).all(), "a character was scored against the wrong target"
    return np.rint(nll - 100 - math.log(vocab_size - 1)).astype(int) + 1


@pytest.mark.parametrize("window", [2, 3, 4, 7, 8, 16])
@pytest.mark.parametrize("n", [1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 40, 41, 100])
def test_evaluate_nll_windowed_scores_every_character_once_with_enough_context(n, window):
    ids = np.arange(n + 1)  # the next character is always id + 1
    spy = _ContextSpy(n + 3)
    nll = evaluate_nll_windowed(spy, ids, window, batch_size=3)
    assert nll.shape == (n,) and np.isfinite(nll).all()
    context = _contexts(nll, n + 3)
    p = np.arange(n)
    assert (context <= np.minimum(p + 1, window)).all()
    assert (context >= np.minimum(p + 1, window // 2)).all()
    first = min(n, window)
    assert (context[:first] == p[:first] + 1).all()  # the first window scores all it reads


@pytest.mark.parametrize("n", [1, 4, 10])
def test_evaluate_nll_windowed_equals_full_context_when_the_text_fits(n):
    model = TransformerLM(5, SMALL).train()
    ids = np.random.default_rng(n).integers(0, 5, size=n + 1)
    nll = evaluate_nll_windowed(model, ids, window=10)
    assert model.training  # the mode is restored
    x = torch.as_tensor(ids)
    with torch.no_grad():
        expected = F.cross_entropy(model.eval()(x[:-1, None])[:, 0], x[1:], reduction="none")
    np.testing.assert_allclose(nll, expected.double().numpy(), rtol=1e-6, atol=1e-7)


def test_evaluate_nll_windowed_batch_size_does_not_matter():
    model = TransformerLM(5, SMALL)
    ids = periodic_text(90)
    a = evaluate_nll_windowed(model, ids, window=8, batch_size=1)
    b = evaluate_nll_windowed(model, ids, window=8, batch_size=64)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_evaluate_nll_windowed_rejects_bad_arguments():
    model = TransformerLM(5, SMALL)
    for ids in (np.array([1]), np.zeros((3, 2), dtype=int)):
        with pytest.raises(ValueError, match="ids must be a 1-D array"):
            evaluate_nll_windowed(model, ids, window=4)
    for window in (1, 0, 4.0, True):
        with pytest.raises(ValueError, match="window"):
            evaluate_nll_windowed(model, periodic_text(20), window=window)


@pytest.mark.parametrize("batch_size", [0, -1])
def test_evaluate_nll_windowed_rejects_a_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_nll_windowed(TransformerLM(5, SMALL), periodic_text(20), window=4, batch_size=batch_size)
