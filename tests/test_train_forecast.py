"""``rnncourse train forecast``: a few steps end to end for each kind of series, with baselines."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("statsmodels")
pytest.importorskip("vega_datasets")

from rnncourse.cli import main  # noqa: E402


@pytest.mark.parametrize("series, baselines", [
    ("sunspots", {"persistence (random walk)", "AR"}),
    ("weather", {"persistence (random walk)", "seasonal naive", "AR"}),
    ("stocks:IBM", {"persistence (random walk)", "AR"}),
])
def test_train_forecast_runs_and_reports_errors(series, baselines, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "forecast", "--series", series, "--steps", "2", "--seeds", "2", "--out", str(out),
            "--device", "cpu", "--no-progress"]
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["task"] == "forecast" and report["series"] == series and report["config"]["steps"] == 2
    errors = report["one-step errors [MAE, RMSE, MASE]"]
    names = {k.split("(")[0] if k.startswith("AR(") else k for k in errors}
    assert names >= baselines
    assert sorted(k.split(" ", 1)[1] for k in errors if k.startswith("GRU-")) == ["seed 0", "seed 1"]
    for mae, rmse, mase in errors.values():
        assert 0 <= mae <= rmse and mase >= 0
    median, low, high = report["network MAE over seeds [median, min, max]"]
    assert low <= median <= high
    capsys.readouterr()


def test_train_forecast_rejects_unknown_series(tmp_path, capsys):
    assert main(["train", "forecast", "--series", "gold", "--out", str(tmp_path)]) == 2
    assert "sunspots" in capsys.readouterr().err
