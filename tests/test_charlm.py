"""The character language model of lesson 9 and its training run (rnncourse.models.charlm)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnncourse.models.charlm import BOOK, CharLM, CharLMConfig, CharLMRun, as_streams, evaluate_nll

TINY = CharLMConfig(embed_size=4, hidden_size=8, batch_size=3, bptt=5, steps=6, eval_every=3,
                    eval_chars=50, lr=1e-2)


def periodic_text(n=600, period=7, V=5):
    return np.arange(n) % period % V


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="cell"):
        CharLMConfig(cell="rnn")
    with pytest.raises(ValueError, match="hidden_size"):
        CharLMConfig(hidden_size=0)
    with pytest.raises(ValueError, match="dropout"):
        CharLMConfig(dropout=1.0)
    with pytest.raises(ValueError, match="lr"):
        BOOK.replace(lr=0.0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_charlm_shapes_and_state(cell, num_layers):
    model = CharLM(6, TINY.replace(cell=cell, num_layers=num_layers))
    ids = torch.randint(6, (4, 2), generator=torch.Generator().manual_seed(0))  # (T, B)
    logits, state = model(ids)
    assert logits.shape == (4, 2, 6)
    assert len(state) == num_layers
    # reading in two pieces with the state carried equals reading at once (no dropout)
    first, s = model(ids[:1])
    second, _ = model(ids[1:], s)
    torch.testing.assert_close(torch.cat([first, second]), logits, rtol=1e-5, atol=1e-6)


def test_charlm_same_seed_same_weights_and_dropout_is_local():
    a, b = CharLM(6, TINY.replace(dropout=0.5)), CharLM(6, TINY.replace(dropout=0.5))
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert na == nb and torch.equal(pa, pb)
    global_state = torch.get_rng_state()
    ids = torch.zeros(3, 2, dtype=torch.long)
    a.train(), b.train()
    torch.testing.assert_close(a(ids)[0], b(ids)[0])  # the same masks from the same seed
    assert not torch.equal(a(ids)[0], a.eval()(ids)[0])  # dropout acts in training only
    assert torch.equal(torch.get_rng_state(), global_state)  # torch's global generator untouched


def test_charlm_rejects_bad_vocab_size():
    with pytest.raises(ValueError, match="vocab_size"):
        CharLM(0, TINY)


def test_as_streams_columns_are_contiguous_text():
    ids = np.arange(23)
    inputs, targets = as_streams(ids, 4)  # N = 22 // 4 = 5
    assert inputs.shape == targets.shape == (5, 4)
    assert inputs[:, 1].tolist() == [5, 6, 7, 8, 9]
    assert torch.equal(targets[:-1], inputs[1:])
    with pytest.raises(ValueError, match="too short"):
        as_streams(np.arange(3), 4)


@pytest.mark.parametrize("num_streams", [1, 3, 64])
def test_evaluate_nll_equals_one_pass_per_stream(num_streams):
    model = CharLM(5, TINY)
    ids = periodic_text(41)
    nll = evaluate_nll(model, ids, num_streams=num_streams, chunk=4)
    assert nll.shape == (40,)
    # the reference: each stream's piece read alone from zeros, in one call
    n, S = 40, min(num_streams, 40)
    L = math.ceil(n / S)
    expected = []
    with torch.no_grad():
        for s in range(0, n, L):
            piece = torch.as_tensor(ids[s:min(s + L, n) + 1])
            logits, _ = model(piece[:-1, None])  # (k, 1, V)
            expected.append(torch.nn.functional.cross_entropy(logits[:, 0], piece[1:], reduction="none"))
    np.testing.assert_allclose(nll, torch.cat(expected).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="ids"):
        evaluate_nll(model, ids[:1])


def test_run_learns_a_periodic_text_and_records_everything():
    ids = periodic_text()
    run = CharLMRun.create(TINY.replace(steps=120), list("abcde"))
    before = float(evaluate_nll(run.model, ids).mean())
    logs = []
    run.train(ids, valid_ids=ids, log=logs.append)
    after = float(evaluate_nll(run.model, ids).mean())
    assert run.step == 120 and len(run.losses) == len(run.grad_norms) == 120
    assert [s for s, _ in run.evals] == list(range(3, 121, 3))
    assert len(logs) == 40 and "nats/char" in logs[0]
    assert after < 0.3 * before


def test_run_in_pieces_equals_run_at_once():
    ids = periodic_text(300)
    config = TINY.replace(dropout=0.3, steps=8)
    whole = CharLMRun.create(config, list("abcde")).train(ids)
    parts = CharLMRun.create(config, list("abcde"))
    parts.train(ids, steps=3).train(ids, steps=5)
    assert parts.losses == pytest.approx(whole.losses, rel=1e-6)


def test_checkpoint_resumes_exactly(tmp_path):
    ids = periodic_text(300)
    config = TINY.replace(dropout=0.3, steps=8)
    whole = CharLMRun.create(config, list("abcde")).train(ids)
    first = CharLMRun.create(config, list("abcde")).train(ids, steps=3)
    first.save(tmp_path / "ckpt.pt")
    resumed = CharLMRun.load(tmp_path / "ckpt.pt", config, list("abcde"))
    assert resumed.step == 3 and resumed.position == first.position
    resumed.train(ids)
    assert resumed.step == 8
    assert resumed.losses == pytest.approx(whole.losses, rel=1e-6)


def test_checkpoint_from_another_configuration_is_refused(tmp_path):
    run = CharLMRun.create(TINY, list("abcde")).train(periodic_text(), steps=1)
    run.save(tmp_path / "ckpt.pt")
    with pytest.raises(ValueError, match=r"another configuration: hidden_size \(8 in the checkpoint, 16"):
        CharLMRun.load(tmp_path / "ckpt.pt", TINY.replace(hidden_size=16), list("abcde"))
    with pytest.raises(ValueError, match="another vocabulary"):
        CharLMRun.load(tmp_path / "ckpt.pt", TINY, list("abcdef"))
    # more steps is allowed: that is how a run is continued
    assert CharLMRun.load(tmp_path / "ckpt.pt", TINY.replace(steps=50), list("abcde")).step == 1


def test_reader_log_probs_equal_a_fresh_read_and_step_continues():
    from rnncourse.models.charlm import Reader

    model = CharLM(5, TINY)
    reader = Reader(model)
    prefixes = [[1, 2], [1, 2, 3], [1, 2, 3, 0], [4]]
    got = reader.log_probs(prefixes)  # (4, V), the later prefixes from cached states
    with torch.no_grad():
        for row, prefix in zip(got, prefixes):
            logits, _ = model(torch.tensor(prefix)[:, None])
            expected = torch.log_softmax(logits[-1, 0].double(), dim=-1).numpy()
            np.testing.assert_allclose(row, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.exp(got).sum(axis=1), 1.0, rtol=1e-12)
    logits, state = reader.step([1, 2])
    more, _ = reader.step([3], state)
    np.testing.assert_allclose(more - np.logaddexp.reduce(more), got[1], rtol=1e-6, atol=1e-6)
