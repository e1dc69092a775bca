"""``rnncourse train handwriting|video`` (lesson 13): a few steps end to end, with a report."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from rnncourse.cli import main  # noqa: E402

CTC = "BiGRU-64 with CTC"
SEGMENTATION = "segmentation + logistic regression"
N_LINES = {"test": 1000, "test_long": 300}
VIDEO_MODELS = ("GRU", "GRU on shuffled frames")
VIDEO_BASELINE = "logistic regression on the average frame"


def _train(task, out, *extra):
    args = ["train", task, "--steps", "3", "--out", str(out), "--device", "cpu", "--no-progress", *extra]
    return main(args)


@pytest.fixture(scope="module")
def handwriting(tmp_path_factory):
    out = tmp_path_factory.mktemp("handwriting")
    assert _train("handwriting", out) == 0
    return out


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    out = tmp_path_factory.mktemp("video")
    assert _train("video", out) == 0
    return out


def test_train_handwriting_reports_cer_and_exact_match_of_both_readers(handwriting):
    report = json.loads((handwriting / "report.json").read_text())
    assert report["task"] == "handwriting" and report["config"]["steps"] == 3
    assert report["config"]["bidirectional"] is True and report["config"]["hidden_size"] == 64
    assert report["settings"]["n_test"] == 1000 and report["settings"]["n_long"] == 300
    assert report["train_seconds"] >= 0 and {"date", "device", "torch", "rnncourse"} <= set(report)
    results = report["[CER, line exact match, 95% low, 95% high, n lines]"]
    assert set(results) == {f"{who} on {split}" for who in (CTC, SEGMENTATION) for split in N_LINES}
    for key, (cer, acc, low, high, n) in results.items():
        assert 0 <= cer <= 1, key
        assert 0 <= low <= acc <= high <= 1, key
        assert n == N_LINES[key.rsplit(" on ", 1)[1]], key
    # the baseline needs no training, but the lines' digits are cropped to their ink, so neighbours
    # touch and cutting at empty columns merges them: it reads well under half the lines exactly
    assert report["settings"]["crop"] is True
    assert 0.2 < results[f"{SEGMENTATION} on test"][0] < 0.6
    assert results[f"{SEGMENTATION} on test"][1] < 0.5


def test_train_handwriting_writes_a_markdown_table(handwriting):
    text = (handwriting / "report.md").read_text()
    assert text.startswith("# handwriting: ")
    assert "| model on split | CER | line exact match | n |\n|---|---|---|---|\n" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and " on test" in line]
    assert len(rows) == 4 and all(line.endswith((" 1000 |", " 300 |")) for line in rows)


def test_train_handwriting_without_baselines_reports_the_recogniser_only(tmp_path, capsys):
    assert _train("handwriting", tmp_path, "--no-baselines") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    results = report["[CER, line exact match, 95% low, 95% high, n lines]"]
    assert set(results) == {f"{CTC} on {split}" for split in N_LINES}
    assert SEGMENTATION not in (tmp_path / "report.md").read_text()
    assert SEGMENTATION not in capsys.readouterr().out


def test_train_handwriting_rejects_cell(tmp_path, capsys):
    assert main(["train", "handwriting", "--cell", "gru", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--cell does not apply to handwriting" in err and "rnncourse train handwriting: error" in err
    assert not (tmp_path / "report.json").exists()


def test_train_video_reports_three_models(video):
    report = json.loads((video / "report.json").read_text())
    assert report["task"] == "video" and report["config"]["steps"] == 3
    assert report["config"]["frame_encoder_size"] == 32
    results = report["accuracy [value, 95% low, 95% high]"]
    assert list(results) == [*VIDEO_MODELS, VIDEO_BASELINE]
    for key, (acc, low, high) in results.items():
        assert 0 <= low <= acc <= high <= 1, key
    # nothing but the order of the frames tells the direction: the average frame is near chance
    assert 0.35 < results[VIDEO_BASELINE][0] < 0.65


def test_train_video_writes_a_markdown_table(video):
    text = (video / "report.md").read_text()
    assert text.startswith("# video: ")
    assert "| model | accuracy | 95 % interval |\n|---|---|---|\n" in text
    for name in (*VIDEO_MODELS, VIDEO_BASELINE):
        assert f"| {name} | " in text


def test_train_video_without_baselines_reports_the_two_gru_runs(tmp_path, capsys):
    assert _train("video", tmp_path, "--no-baselines") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert list(report["accuracy [value, 95% low, 95% high]"]) == list(VIDEO_MODELS)
    assert VIDEO_BASELINE not in (tmp_path / "report.md").read_text()
    assert VIDEO_BASELINE not in capsys.readouterr().out


def test_train_video_names_the_cell_it_trained(tmp_path, capsys):
    assert _train("video", tmp_path, "--cell", "lstm", "--no-baselines") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["config"]["cell"] == "lstm"
    assert not any("GRU" in key for key in report["accuracy [value, 95% low, 95% high]"])
    capsys.readouterr()
