"""``rnncourse train dates``: a few steps end to end, with and without attention, and a report."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("babel")

from rnncourse.cli import main  # noqa: E402

SPLITS = ("test_iid", "test_years", "test_locales", "test_long")


@pytest.mark.parametrize("attention", [True, False])
def test_train_dates_runs_and_reports_exact_match_and_cer(attention, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "dates", "--steps", "2", "--out", str(out), "--device", "cpu", "--no-progress"]
    assert main(args + ([] if attention else ["--no-attention"])) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["task"] == "dates" and report["config"]["steps"] == 2
    assert report["config"]["attention"] is attention
    results = report["exact match [value, 95% low, 95% high, n, character error rate]"]
    label = "with attention" if attention else "without attention"
    for split in SPLITS:
        acc, low, high, n, cer = results[f"GRU-64 {label} on {split}"]
        assert 0 <= low <= acc <= high <= 1 and n > 0 and cer >= 0
        rule, *_ = results[f"numeric date rule on {split}"]  # the baseline, same run
        assert 0 <= rule <= 1
    assert "| model on split | exact match |" in (out / "report.md").read_text()
    capsys.readouterr()


def test_train_dates_rejects_cell(tmp_path, capsys):
    assert main(["train", "dates", "--cell", "lstm", "--out", str(tmp_path)]) == 2
    assert "--cell does not apply to dates" in capsys.readouterr().err
