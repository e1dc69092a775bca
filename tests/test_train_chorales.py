"""``rnncourse train chorales`` (lesson 14): a few steps end to end, with a report.

Loading all of Bach's chorales takes about 40 s without a cache, so ``load_chorales`` is
replaced by a small synthetic ``ChoraleData`` (the task imports it from
``rnncourse.datasets.chorales`` when it runs).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rnncourse.models.music import BOOK_CONFIGS

pytest.importorskip("torch")

import rnncourse.datasets  # noqa: E402
import rnncourse.datasets.chorales as chorales_module  # noqa: E402
from rnncourse.baselines import IndependentBernoulli, RepeatPreviousFrame  # noqa: E402
from rnncourse.cli import main  # noqa: E402
from rnncourse.datasets.chorales import ChoraleData  # noqa: E402

BASELINES = ("IndependentBernoulli", "RepeatPreviousFrame")
MODELS = ("tanh RNN-128", "GRU-72", "LSTM-60")
RESULTS = "NLL per step, nats [valid, test]"
P = 8


def _synthetic_chorales() -> ChoraleData:
    rng = np.random.default_rng(0)
    n = 10
    rolls = [(rng.random((int(rng.integers(20, 90)), P)) < 0.3).astype(np.float32) for _ in range(n)]
    return ChoraleData(
        rolls=rolls, titles=[f"chorale {i}" for i in range(n)], files=[f"bach/x{i}" for i in range(n)],
        groups=np.arange(n, dtype=np.int64),
        split={"train": np.arange(6), "valid": np.array([6, 7]), "test": np.array([8, 9])},
        lowest=60, n_pitches=P, step=0.5, transposed=True, keys=["C major"] * n,
        shifts=np.zeros(n, dtype=np.int64))


@pytest.fixture
def fake_chorales(monkeypatch):
    data = _synthetic_chorales()
    calls = []

    def load_chorales(*args, **kwargs):
        calls.append((args, kwargs))
        return data

    monkeypatch.setattr(chorales_module, "load_chorales", load_chorales)
    return data, calls


def _train(out, *extra):
    return main(["train", "chorales", "--steps", "3", "--out", str(out), "--device", "cpu",
                 "--no-progress", *extra])


def _results(out):
    return json.loads((out / "report.json").read_text())[RESULTS]


def test_train_chorales_reports_baselines_and_three_cells(fake_chorales, tmp_path, capsys):
    data, calls = fake_chorales
    assert _train(tmp_path) == 0
    assert calls == [((), {})]  # the task loads the whole corpus, with the defaults
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["task"] == "chorales" and list(report["configs"]) == ["rnn", "gru", "lstm"]
    assert all(c["steps"] == 3 and c["cell"] == cell
               and c["hidden_size"] == BOOK_CONFIGS[cell].hidden_size
               for cell, c in report["configs"].items())
    assert report["pieces [train, valid, test]"] == [6, 2, 2]
    assert report["step (quarter lengths)"] == 0.5
    assert report["train_seconds"] >= 0 and {"date", "device", "torch", "rnncourse"} <= set(report)
    results = report[RESULTS]
    assert set(results) == set(BASELINES) | set(MODELS)
    for name, pair in results.items():
        assert len(pair) == 2, name
        assert all(math.isfinite(v) and v > 0 for v in pair), name
    # the baselines' figures are those of the baselines fitted on the training part
    train, valid, test = data.part("train"), data.part("valid"), data.part("test")
    for Model in (IndependentBernoulli, RepeatPreviousFrame):
        fitted = Model().fit(train)
        assert results[Model.__name__] == pytest.approx([fitted.nll_per_step(valid), fitted.nll_per_step(test)])
    out = capsys.readouterr().out
    assert all(f"{name}: NLL per step" in out for name in results)
    md = (tmp_path / "report.md").read_text()
    assert md.startswith("# chorales: ")
    assert "| model | NLL per step, valid | NLL per step, test |\n|---|---|---|\n" in md
    assert all(f"| {name} | " in md for name in results)


def test_train_chorales_with_cell_trains_only_that_cell(fake_chorales, tmp_path):
    assert _train(tmp_path, "--cell", "lstm") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert list(report["configs"]) == ["lstm"] and report["configs"]["lstm"]["cell"] == "lstm"
    assert set(report[RESULTS]) == set(BASELINES) | {"LSTM-60"}


def test_train_chorales_without_baselines_reports_the_models_only(fake_chorales, tmp_path, capsys):
    assert _train(tmp_path, "--no-baselines", "--cell", "rnn") == 0
    results = _results(tmp_path)
    assert set(results) == {"tanh RNN-128"}
    out = capsys.readouterr().out
    assert not any(name in out for name in BASELINES)
    assert not any(name in (tmp_path / "report.md").read_text() for name in BASELINES)


def test_train_charlm_refuses_the_rnn_cell_before_loading_or_training(tmp_path, monkeypatch, capsys):
    def load_asv(*args, **kwargs):
        raise AssertionError("load_asv was called")

    monkeypatch.setattr(rnncourse.datasets, "load_asv", load_asv)
    out = tmp_path / "charlm"
    assert main(["train", "charlm", "--cell", "rnn", "--steps", "3", "--out", str(out), "--device", "cpu",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "rnncourse train charlm: error" in err and "'rnn'" in err and "cell must be one of" in err
    assert not out.exists()
