"""``rnncourse train sentiment|speakers|dna``: a few steps end to end, with baselines and a report."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sklearn")

from rnncourse.cli import main  # noqa: E402

SPLITS = {
    "sentiment": ["test_iid", "test_negation", "minimal_pairs"],
    "speakers": ["test"],
    "dna": ["contains:test", "order:test"],
}
NEEDS = {"sentiment": "vaderSentiment", "speakers": "sktime", "dna": "numpy"}


@pytest.mark.parametrize("task", sorted(SPLITS))
def test_train_classification_task_runs_and_reports_intervals(task, tmp_path, monkeypatch, capsys):
    pytest.importorskip(NEEDS[task])
    pytest.importorskip("statsmodels")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["train", task, "--steps", "2", "--out", str(out), "--device", "cpu", "--no-progress"]
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["task"] == task and report["config"]["steps"] == 2
    accuracy = report["accuracy [value, 95% low, 95% high, n]"]
    for split in SPLITS[task]:
        acc, low, high, n = accuracy[f"GRU-64 on {split}"]
        assert 0 <= low <= acc <= high <= 1 and n > 0
    baselines = [k for k in accuracy if not k.startswith("GRU")]
    assert baselines  # computed in the same run
    assert "| model on split | accuracy |" in (out / "report.md").read_text()
    capsys.readouterr()
