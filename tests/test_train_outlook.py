"""``rnncourse train outlook`` (lesson 15): an LSTM and a Transformer, a few steps end to end,
with a report.

``load_asv`` is replaced by a small synthetic ``TextCorpus`` (the task imports it from
``rnncourse.datasets`` when it runs), and the generation table by two short contexts.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("torch")

import rnncourse.datasets  # noqa: E402
import rnncourse.train_command as train_command  # noqa: E402
from rnncourse.cli import main  # noqa: E402
from rnncourse.data import CharVocab  # noqa: E402
from rnncourse.datasets import TextCorpus  # noqa: E402
from rnncourse.models.charlm import CharLM, CharLMConfig  # noqa: E402
from rnncourse.models.transformer import TransformerConfig, TransformerLM, count_parameters  # noqa: E402

MODELS = "models [parameters, train seconds, train nats/char (last 10 % of steps), test bits/char]"
COSTS = "generation per token, B = 1 [context length, state bytes, multiply-adds, microseconds]"
CONTEXTS = (8, 40)


def _synthetic_corpus() -> TextCorpus:
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghij .\n"))
    train, valid, test = ("".join(rng.choice(letters, size=n)) for n in (4000, 300, 500))
    return TextCorpus(train=train, valid=valid, test=test, vocab=CharVocab(train),
                      books={"train": ("a",), "valid": ("b",), "test": ("c",)},
                      source="synthetic", normalisation="none")


@pytest.fixture
def fake_asv(monkeypatch):
    corpus = _synthetic_corpus()
    calls = []

    def load_asv(*args, **kwargs):
        calls.append((args, kwargs))
        return corpus

    monkeypatch.setattr(rnncourse.datasets, "load_asv", load_asv)
    monkeypatch.setattr(train_command, "OUTLOOK_CONTEXTS", CONTEXTS)
    return corpus, calls


def _train(out, *extra):
    return main(["train", "outlook", "--steps", "3", "--out", str(out), "--device", "cpu", "--no-progress",
                 *extra])


def test_train_outlook_reports_both_models_and_the_generation_cost(fake_asv, tmp_path, capsys):
    corpus, calls = fake_asv
    assert _train(tmp_path) == 0
    assert calls == [((), {})]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["task"] == "outlook" and report["steps"] == 3
    assert report["batch_size"] == 32 and report["window"] == 64
    assert report["test_chars"] == len(corpus.test) - 1
    assert report["train_seconds"] >= 0 and {"date", "device", "torch", "rnncourse"} <= set(report)
    lstm, transformer = "LSTM-220", "Transformer-96x2"
    assert list(report["configs"]) == [lstm, transformer]
    assert report["configs"][lstm]["steps"] == report["configs"][transformer]["steps"] == 3
    book = train_command.OUTLOOK_BOOK
    assert report["configs"][lstm]["lr"] == book["lstm"]["lr"]
    assert report["configs"][transformer]["lr"] == book["transformer"]["lr"]
    assert report["configs"][lstm]["bptt"] == report["configs"][transformer]["window"] == 64

    models = report[MODELS]
    assert list(models) == [lstm, transformer]
    V = len(corpus.vocab)
    assert models[lstm][0] == count_parameters(CharLM(V, CharLMConfig(hidden_size=220)))
    assert models[transformer][0] == count_parameters(TransformerLM(V, TransformerConfig()))
    for name, (params, seconds, train_nats, bits) in models.items():
        assert params > 0 and seconds >= 0, name
        assert math.isfinite(train_nats) and 0 < train_nats, name
        assert math.isfinite(bits) and 0 < bits < 2 * math.log2(V), name  # near log2 V after 3 steps

    costs = report[COSTS]
    assert list(costs) == [lstm, transformer]
    for name, table in costs.items():
        assert [row[0] for row in table] == list(CONTEXTS), name
        assert all(all(math.isfinite(x) and x > 0 for x in row) for row in table), name
    assert costs[lstm][0][1:3] == costs[lstm][1][1:3] == [2 * 220 * 4, 4 * 220 * (32 + 220) + 220 * V]
    D, n_layers = 96, 2
    (L0, bytes0, madds0, _), (L1, bytes1, madds1, _) = costs[transformer]
    assert bytes0 == 2 * n_layers * L0 * D * 4 and bytes1 == 2 * n_layers * L1 * D * 4
    assert madds1 - madds0 == 2 * n_layers * D * (L1 - L0)

    out = capsys.readouterr().out
    assert f"{lstm}: " in out and f"{transformer}: " in out and "multiply-adds" in out
    md = (tmp_path / "report.md").read_text()
    assert md.startswith("# outlook: ")
    assert "| model | parameters | training s | bits/char (test) |\n|---|---|---|---|\n" in md
    assert "| model | L | state bytes | multiply-adds | us per token |\n|---|---|---|---|---|\n" in md
    assert all(f"| {name} | " in md for name in models)


def test_train_outlook_refuses_a_cell_before_loading(tmp_path, monkeypatch, capsys):
    def load_asv(*args, **kwargs):
        raise AssertionError("load_asv was called")

    monkeypatch.setattr(rnncourse.datasets, "load_asv", load_asv)
    out = tmp_path / "outlook"
    assert _train(out, "--cell", "gru") == 2
    assert "rnncourse train outlook: error: --cell does not apply to outlook" in capsys.readouterr().err
    assert not out.exists()


def test_outlook_configurations_match_parameter_counts():
    V = 65  # the ASV vocabulary
    for settings, tolerance in ((train_command.OUTLOOK_BOOK, 0.02), (train_command.OUTLOOK_FULL, 0.001)):
        lstm, tf = settings["lstm"], settings["transformer"]
        assert settings["batch_size"] == 32 and settings["window"] == 64
        n_lstm = count_parameters(CharLM(V, CharLMConfig(embed_size=lstm["embed_size"],
                                                         hidden_size=lstm["hidden_size"])))
        assert n_lstm == train_command._lstm_parameters(V, lstm["embed_size"], lstm["hidden_size"])
        n_tf = count_parameters(TransformerLM(V, TransformerConfig(
            **{k: tf[k] for k in ("d_model", "n_heads", "n_layers", "d_ff")})))
        assert abs(n_lstm / n_tf - 1) < tolerance
    full = train_command.OUTLOOK_FULL
    n_tf = count_parameters(TransformerLM(V, TransformerConfig(d_model=192, n_heads=6, n_layers=4, d_ff=768)))
    assert full["lstm"]["hidden_size"] == train_command._matching_hidden_size(n_tf, V, full["lstm"]["embed_size"])
    assert train_command.OUTLOOK_BOOK["steps"] == 400 and full["steps"] == 6000
    assert train_command.OUTLOOK_CONTEXTS == (64, 256, 1024, 4096)


def test_matching_hidden_size_is_the_nearest():
    for target in (5_000, 236_417, 1_804_865):
        H = train_command._matching_hidden_size(target, 65, 32)
        gaps = [abs(train_command._lstm_parameters(65, 32, h) - target) for h in (H - 1, H, H + 1)]
        assert gaps[1] == min(gaps)
