"""The encoder-decoder: additive attention, padding, teacher forcing, decoding, training, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnncourse.decoding import beam_search, greedy_search  # noqa: E402
from rnncourse.models.classifier import pad_sequences  # noqa: E402
from rnncourse.models.seq2seq import (  # noqa: E402
    BOOK_CONFIGS, FULL_CONFIGS, AdditiveAttention, Seq2Seq, Seq2SeqConfig, additive_attention,
    fit_seq2seq, free_running_accuracy, sequence_log_prob, teacher_forced_accuracy,
    teacher_forcing_inputs,
)

BOS, EOS = 1, 2
SMALL = Seq2SeqConfig(hidden_size=5, embed_size=4, attention_size=3)


def _model(attention=True, bidirectional=True, Vs=7, Vt=8, seed=0, **changes):
    config = SMALL.replace(attention=attention, bidirectional=bidirectional, seed=seed, **changes)
    return Seq2Seq(Vs, Vt, config=config, bos=BOS, eos=EOS).double()


def _sources(rng, lengths, V=7):
    seqs = [rng.integers(1, V, n) for n in lengths]
    src, lens = pad_sequences(seqs)
    return torch.as_tensor(src), lens


def _targets(rng, lengths, V=8):
    """Targets from ids 3..V-1, each ending with EOS, padded: (T, B) and (B,)."""
    seqs = [np.append(rng.integers(3, V, n - 1), EOS) for n in lengths]
    tgt, lens = pad_sequences(seqs)
    return torch.as_tensor(tgt), lens


MODELS = [pytest.param(a, bi, id=f"{'attn' if a else 'plain'}-{'bi' if bi else 'uni'}")
          for a in (True, False) for bi in (True, False)]


# ----------------------------------------------------------------------------- attention
def _loop_attention(q, K, m, W_q, W_k, v):
    S, B, Hk = K.shape
    context = torch.zeros(B, Hk, dtype=K.dtype)
    weights = torch.zeros(S, B, dtype=K.dtype)
    for b in range(B):
        e = {s: float(v @ torch.tanh(W_q @ q[b] + W_k @ K[s, b])) for s in range(S) if m[s, b]}
        top = max(e.values())
        total = sum(np.exp(x - top) for x in e.values())
        for s, x in e.items():
            weights[s, b] = np.exp(x - top) / total
            context[b] += weights[s, b] * K[s, b]
    return context, weights


@pytest.mark.parametrize("S, B, H, Hk, A", [(4, 3, 2, 5, 3), (1, 1, 1, 1, 1)])
def test_additive_attention_equals_a_double_loop(S, B, H, Hk, A):
    g = torch.Generator().manual_seed(0)
    q, K = torch.randn(B, H, generator=g, dtype=torch.float64), torch.randn(S, B, Hk, generator=g, dtype=torch.float64)
    W_q, W_k = torch.randn(A, H, generator=g, dtype=torch.float64), torch.randn(A, Hk, generator=g, dtype=torch.float64)
    v = torch.randn(A, generator=g, dtype=torch.float64)
    lengths = torch.tensor([S, 1, max(S - 1, 1)][:B])
    m = torch.arange(S)[:, None] < lengths[None, :]                    # (S, B)
    context, weights = additive_attention(q, K, m, W_q, W_k, v)
    ref_c, ref_w = _loop_attention(q, K, m, W_q, W_k, v)
    torch.testing.assert_close(context, ref_c, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weights, ref_w, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weights.sum(0), torch.ones(B, dtype=torch.float64), rtol=0, atol=1e-14)
    assert torch.all(weights[~m] == 0)


def test_additive_attention_padding_values_never_matter():
    g = torch.Generator().manual_seed(1)
    S, B, H, Hk, A = 5, 3, 2, 4, 3
    q, K = torch.randn(B, H, generator=g, dtype=torch.float64), torch.randn(S, B, Hk, generator=g, dtype=torch.float64)
    W_q, W_k = torch.randn(A, H, generator=g, dtype=torch.float64), torch.randn(A, Hk, generator=g, dtype=torch.float64)
    v = torch.randn(A, generator=g, dtype=torch.float64)
    m = torch.arange(S)[:, None] < torch.tensor([5, 2, 1])[None, :]
    context, weights = additive_attention(q, K, m, W_q, W_k, v)
    for garbage in (1e300, float("nan"), float("inf")):
        noisy = K.clone()
        noisy[~m] = garbage
        c2, w2 = additive_attention(q, noisy, m, W_q, W_k, v)
        assert torch.equal(c2, context) and torch.equal(w2, weights)


def test_additive_attention_module_with_cached_keys_equals_the_function():
    g = torch.Generator().manual_seed(2)
    att = AdditiveAttention(3, 4, 2).double()
    q, K = torch.randn(2, 3, generator=g, dtype=torch.float64), torch.randn(6, 2, 4, generator=g, dtype=torch.float64)
    m = torch.arange(6)[:, None] < torch.tensor([6, 3])[None, :]
    K[~m] = float("nan")
    expected = additive_attention(q, K, m, att.W_q.weight, att.W_k.weight, att.v)
    projected = att.project_keys(K, m)
    for got in (att(q, K, m), att(q, K, m, projected)):
        torch.testing.assert_close(got[0], expected[0], rtol=1e-14, atol=1e-14)
        torch.testing.assert_close(got[1], expected[1], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("attention, bidirectional", MODELS)
def test_seq2seq_source_padding_never_changes_the_outputs(attention, bidirectional):
    rng = np.random.default_rng(0)
    model = _model(attention, bidirectional)
    src, lens = _sources(rng, [4, 1, 3])
    tgt, _ = _targets(rng, [3, 2, 1])
    tgt_in = teacher_forcing_inputs(tgt, BOS)
    logits, att = model(src, lens, tgt_in, return_attention=True)
    padded = torch.cat([src, torch.zeros(3, 3, dtype=torch.int64)])     # three more PAD rows
    padded[torch.arange(7)[:, None] >= torch.as_tensor(lens)[None, :]] = 6  # and garbage on padding
    logits2, att2 = model(padded, lens, tgt_in, return_attention=True)
    torch.testing.assert_close(logits2, logits, rtol=1e-12, atol=1e-12)
    assert logits.shape == (3, 3, 8)
    if attention:
        assert att.shape == (3, 3, 4) and att2.shape == (3, 3, 7)
        torch.testing.assert_close(att2[..., :4], att, rtol=1e-12, atol=1e-12)
        assert torch.all(att2[..., 4:] == 0)
        assert torch.all(att[:, 1, 1:] == 0)                          # source length 1
    else:
        assert att is None and att2 is None


@pytest.mark.parametrize("attention, bidirectional", MODELS)
def test_seq2seq_teacher_forcing_and_free_running_agree_on_the_first_step(attention, bidirectional):
    rng = np.random.default_rng(1)
    model = _model(attention, bidirectional)
    src, lens = _sources(rng, [3, 5])
    tgt, _ = _targets(rng, [4, 2])
    logits = model(src, lens, teacher_forcing_inputs(tgt, BOS))
    memory, mask, h0 = model.encode(src, lens)
    z, h1, w = model.decode_step(torch.full((2,), BOS), h0, memory, mask)
    torch.testing.assert_close(logits[0], z, rtol=1e-12, atol=1e-12)
    ids, weights = model.greedy_decode(src, lens, max_len=1)
    assert ids == [[t] for t in model._banned(z).argmax(1).tolist()]
    if attention:
        torch.testing.assert_close(weights[0], w.T)


def test_seq2seq_encoder_states_and_decoder_init():
    rng = np.random.default_rng(2)
    src, lens = _sources(rng, [4, 2])
    bi, uni = _model(bidirectional=True), _model(bidirectional=False)
    memory, mask, h0 = bi.encode(src, lens)
    assert memory.shape == (4, 2, 10) and h0.shape == (2, 5) and mask.tolist() == [[1, 1], [1, 1], [1, 0], [1, 0]]
    assert torch.all(memory[2:, 1] == 0)
    final = torch.cat([memory[[3, 1], [0, 1], :5], memory[0, :, 5:]], dim=1)  # forward last, backward first
    torch.testing.assert_close(h0, torch.tanh(bi.bridge(final)))
    memory, _, h0 = uni.encode(src, lens)
    assert memory.shape == (4, 2, 5)
    torch.testing.assert_close(h0, memory[[3, 1], [0, 1]])


@pytest.mark.parametrize("attention", [True, False])
def test_seq2seq_greedy_decode_equals_greedy_search_and_beam_width_one(attention):
    rng = np.random.default_rng(3)
    model = _model(attention, seed=3)
    src, lens = _sources(rng, [5, 1, 3, 2])
    ids, _ = model.greedy_decode(src, lens, max_len=6)
    for b in range(4):
        fn = model.log_probs_fn(src[:, b], int(lens[b]))
        tokens, score = greedy_search(fn, BOS, EOS, max_len=6)
        assert ids[b] == tokens
        one, _ = model.greedy_decode(src[:lens[b], b:b + 1], lens[b:b + 1], max_len=6)
        assert one == [tokens]
        (beam_tokens, beam_score), = beam_search(fn, BOS, EOS, beam_width=1, max_len=6)
        assert beam_tokens == tokens and beam_score == pytest.approx(score, abs=1e-12)
        tgt = torch.as_tensor(tokens)[:, None]
        assert sequence_log_prob(model, src[:, b:b + 1], lens[b:b + 1], tgt)[0] == pytest.approx(score, abs=1e-10)


def test_seq2seq_wide_beam_scores_at_least_greedy_and_match_sequence_log_prob():
    rng = np.random.default_rng(4)
    model = _model(seed=5, Vt=6)
    src, lens = _sources(rng, [4, 2])
    for b in range(2):
        fn = model.log_probs_fn(src[:lens[b], b])
        _, greedy_score = greedy_search(fn, BOS, EOS, max_len=4)
        hyps = beam_search(fn, BOS, EOS, beam_width=4, max_len=4)
        assert hyps[0][1] >= greedy_score - 1e-12
        tgt, _ = pad_sequences([np.array(t) for t, _ in hyps])
        scores = sequence_log_prob(model, src[:, [b] * len(hyps)], lens[[b] * len(hyps)], tgt)
        np.testing.assert_allclose(scores, [s for _, s in hyps], rtol=1e-10)


def test_seq2seq_log_probs_fn_memoises_prefixes_and_accepts_any_order():
    rng = np.random.default_rng(5)
    model = _model()
    src, lens = _sources(rng, [3])
    fn = model.log_probs_fn(src[:, 0])
    calls = []
    original = model.decoder.forward
    model.decoder.forward = lambda *a: calls.append(a[0].shape[0]) or original(*a)
    try:
        deep = fn([[BOS, 3, 4]])                                       # ancestors computed on the way
        assert calls == [1, 1, 1]
        again = fn([[BOS], [BOS, 3], [BOS, 3, 4]])
        assert calls == [1, 1, 1]                                      # all cached
        fn([[BOS, 3, 5], [BOS, 4]])
        assert calls == [1, 1, 1, 2]                                   # one batched step
    finally:
        del model.decoder.forward
    np.testing.assert_array_equal(again[2], deep[0])
    assert deep.shape == (1, 8) and np.all(np.isneginf(deep[0, [0, BOS]]))
    np.testing.assert_allclose(np.exp(again).sum(1) <= 1, True)
    with pytest.raises(ValueError, match="start with bos"):
        fn([[3]])


def test_seq2seq_forward_returns_weights_of_shape_t_b_s_summing_to_one():
    rng = np.random.default_rng(6)
    model = _model()
    src, lens = _sources(rng, [6, 2, 4])
    tgt, _ = _targets(rng, [5, 5, 1])
    logits, att = model(src, lens, teacher_forcing_inputs(tgt, BOS), return_attention=True)
    assert logits.shape == (5, 3, 8) and att.shape == (5, 3, 6)
    torch.testing.assert_close(att.sum(2), torch.ones(5, 3, dtype=torch.float64))
    ids, weights = model.greedy_decode(src, lens, max_len=7)
    assert weights.shape[1:] == (3, 6) and 1 <= weights.shape[0] <= 7
    assert all(len(row) <= 7 and (row[-1] == EOS or len(row) == 7) for row in ids)
    assert all(EOS not in row[:-1] and 0 not in row and BOS not in row for row in ids)


# ----------------------------------------------------------------------------- teacher forcing
def test_teacher_forcing_inputs_golden_values_with_padding():
    targets = np.array([[5, 7, 3],
                        [6, 2, 2],
                        [2, 0, 0]])                                    # columns: [5 6 EOS], [7 EOS], [3 EOS]
    expected = np.array([[1, 1, 1],
                         [5, 7, 3],
                         [6, 0, 0]])
    np.testing.assert_array_equal(teacher_forcing_inputs(targets, bos=1), expected)
    t = teacher_forcing_inputs(torch.as_tensor(targets), bos=1)
    assert isinstance(t, torch.Tensor) and t.tolist() == expected.tolist()
    np.testing.assert_array_equal(teacher_forcing_inputs(np.array([[2, 2]]), bos=9), [[9, 9]])  # T = 1
    assert targets[0, 0] == 5                                          # input unchanged
    with pytest.raises(ValueError, match=r"\(T, B\)"):
        teacher_forcing_inputs(np.array([1, 2]), bos=1)


# ----------------------------------------------------------------------------- training
def _copy_task(rng, n, reverse, V=7, low=1, high=4):
    """Sources over ids 1..V-1; targets over ids 3..V+1 (source id + 2), ending with EOS."""
    seqs = [rng.integers(1, V, rng.integers(low, high + 1)) for _ in range(n)]
    outs = [np.append((s[::-1] if reverse else s) + 2, EOS) for s in seqs]
    src, src_lens = pad_sequences(seqs)
    tgt, tgt_lens = pad_sequences(outs)
    return src, src_lens, tgt, tgt_lens


def test_fit_seq2seq_lowers_the_loss_and_learns_to_reverse():
    rng = np.random.default_rng(7)
    src, src_lens, tgt, tgt_lens = _copy_task(rng, 400, reverse=True, V=5, high=4)
    config = Seq2SeqConfig(hidden_size=24, embed_size=8, attention_size=16, steps=120, batch_size=32,
                           lr=1e-2)
    model = Seq2Seq(5, 7, config=config, bos=BOS, eos=EOS)
    before = torch.random.get_rng_state()
    history = fit_seq2seq(model, src, src_lens, tgt, tgt_lens)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert len(history) == 120
    assert np.mean(history.losses[-10:]) < 0.5 * np.mean(history.losses[:10])
    test_src, test_lens, test_tgt, test_tgt_lens = _copy_task(np.random.default_rng(8), 100, reverse=True, V=5, high=4)
    tf = teacher_forced_accuracy(model, test_src, test_lens, test_tgt)
    fr = free_running_accuracy(model, test_src, test_lens, test_tgt)
    assert tf.shape == fr.shape == (5,)
    assert tf[0] > 0.6 and np.nanmean(tf) > 0.6                          # chance: 1/4 per symbol
    ids, _ = model.greedy_decode(torch.as_tensor(test_src), test_lens, max_len=5)
    exact = np.mean([row == test_tgt[:n, b].tolist() for b, (row, n) in enumerate(zip(ids, test_tgt_lens))])
    assert exact > 0.5                                                 # chance: about (1/4)^2.5


def test_fit_seq2seq_is_deterministic_and_ignores_target_padding():
    rng = np.random.default_rng(9)
    src, src_lens, tgt, tgt_lens = _copy_task(rng, 20, reverse=False)
    noisy = tgt.copy()
    noisy[np.arange(tgt.shape[0])[:, None] >= tgt_lens[None, :]] = 5  # garbage beyond the lengths
    runs = []
    for targets in (tgt, tgt, noisy):
        model = _model(attention=False, Vs=7, Vt=9, steps=3, batch_size=8)
        runs.append(fit_seq2seq(model, src, src_lens, targets, tgt_lens).losses)
    assert runs[0] == runs[1] == runs[2] and len(runs[0]) == 3


def test_fit_seq2seq_rejects_mismatched_data():
    rng = np.random.default_rng(10)
    src, src_lens, tgt, tgt_lens = _copy_task(rng, 6, reverse=False)
    model = _model(Vt=9)
    with pytest.raises(ValueError, match="tgt holds 5"):
        fit_seq2seq(model, src, src_lens, tgt[:, :5], tgt_lens[:5])
    with pytest.raises(ValueError, match=r"src_lengths must have shape \(N,\) = \(6,\)"):
        fit_seq2seq(model, src, src_lens[:4], tgt, tgt_lens)
    with pytest.raises(ValueError, match=r"tgt ids must lie in \[0, 8\)"):
        fit_seq2seq(_model(Vt=8), src, src_lens, tgt, tgt_lens)


# ----------------------------------------------------------------------------- construction and errors
def test_seq2seq_same_seed_same_weights_and_global_state_untouched():
    before = torch.random.get_rng_state()
    a, b, c = (Seq2Seq(5, 6, config=SMALL.replace(seed=s)) for s in (3, 3, 4))
    assert torch.equal(torch.random.get_rng_state(), before)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name
    assert not torch.equal(a.out.weight, c.out.weight)
    assert a.src_embed.weight[0].abs().sum() == 0 and a.tgt_embed.weight[0].abs().sum() == 0
    assert a.attention is not None and Seq2Seq(5, 6, config=SMALL.replace(attention=False)).attention is None


def test_seq2seq_without_attention_differs_only_by_the_context():
    plain, attn = _model(attention=False), _model(attention=True)
    assert plain.decoder.input_size == 4 and attn.decoder.input_size == 4 + 10
    assert plain.out.in_features == 5 and attn.out.in_features == 5 + 10
    assert plain.encoder.hidden_size == attn.encoder.hidden_size == 5


@pytest.mark.parametrize("changes, message", [
    ({"hidden_size": 0}, "hidden_size must be a positive integer"),
    ({"attention_size": 2.5}, "attention_size must be a positive integer"),
    ({"steps": True}, "steps must be a positive integer"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"clip_norm": -1.0}, "clip_norm must be a positive number"),
    ({"attention": 1}, "attention must be True or False"),
    ({"seed": -1}, "seed must be a non-negative integer"),
])
def test_seq2seq_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        Seq2SeqConfig(**changes)
    with pytest.raises(ValueError, match=message):
        Seq2SeqConfig().replace(**changes)


def test_seq2seq_config_book_and_full_are_valid():
    assert set(BOOK_CONFIGS) == set(FULL_CONFIGS) == {"dates"}
    assert BOOK_CONFIGS["dates"].attention and not BOOK_CONFIGS["dates"].replace(attention=False).attention
    with pytest.raises(Exception):
        BOOK_CONFIGS["dates"].steps = 1                                 # frozen


@pytest.mark.parametrize("kwargs, message", [
    ({"bos": 0}, r"bos must be a target id in \[1, 6\)"),
    ({"eos": 6}, r"eos must be a target id in \[1, 6\)"),
    ({"bos": 2, "eos": 2}, "must differ"),
])
def test_seq2seq_rejects_bad_special_ids(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Seq2Seq(5, 6, config=SMALL, **kwargs)


def test_seq2seq_forward_rejects_bad_shapes_naming_the_expected_one():
    model = _model()
    src, lens = torch.ones(4, 2, dtype=torch.int64), [4, 2]
    tgt_in = torch.ones(3, 2, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"src must be token ids of shape \(S, B\)"):
        model(torch.ones(4, 2, 3, dtype=torch.int64), lens, tgt_in)
    with pytest.raises(ValueError, match=r"src must be token ids of shape \(S, B\)"):
        model(src.double(), lens, tgt_in)
    with pytest.raises(ValueError, match=r"tgt_in must be token ids of shape \(T, B=2\)"):
        model(src, lens, torch.ones(3, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"src_lengths must have shape \(B,\) = \(2,\)"):
        model(src, [4], tgt_in)
    with pytest.raises(ValueError, match=r"every source length must lie in \[1, S\] = \[1, 4\]"):
        model(src, [5, 0], tgt_in)
    with pytest.raises(ValueError, match="max_len must be a positive integer"):
        model.greedy_decode(src, lens, max_len=0)
    with pytest.raises(ValueError, match=r"src_1 must be one source sequence of shape \(S,\)"):
        model.log_probs_fn(src)


def test_seq2seq_batch_of_one_and_single_steps():
    """B = 1, S = 1, T = 1, H = 1 all work."""
    model = Seq2Seq(3, 4, config=Seq2SeqConfig(hidden_size=1, embed_size=1, attention_size=1)).double()
    src = torch.tensor([[2]])
    logits, att = model(src, [1], torch.tensor([[BOS]]), return_attention=True)
    assert logits.shape == (1, 1, 4) and att.tolist() == [[[1.0]]]
    ids, weights = model.greedy_decode(src, [1], max_len=1)
    assert len(ids) == 1 and len(ids[0]) == 1 and weights.shape == (1, 1, 1)
    assert sequence_log_prob(model, src, [1], torch.tensor([[EOS]])).shape == (1,)
