"""The progress store of rnncourse.exercises: where, when, atomic, robust to corruption."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse.exercises import cli, progress


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(tmp_path / "data"))
    for var in ("CI", "RNNCOURSE_CONTEXT", "RNNCOURSE_NO_PROGRESS", "RNNCOURSE_STRICT"):
        monkeypatch.delenv(var, raising=False)


def _stored():
    return json.loads(progress.path().read_text())["exercises"]


def good(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)


def bad(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh.T)


def test_progress_recorded_by_check_in_data_dir_not_cwd(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ex.rnn_step_forward.check(bad)
    assert _stored()["rnn_step_forward"] == {"best": "mistake", "last": "mistake", "checks": 1}
    ex.rnn_step_forward.check(good)
    ex.rnn_step_forward.check(bad)
    assert _stored()["rnn_step_forward"] == {"best": "pass", "last": "mistake", "checks": 3}
    assert progress.path().parent == tmp_path / "data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing written in the cwd


def test_default_dir_is_platform_user_data_dir(monkeypatch):
    import platformdirs

    monkeypatch.delenv("RNNCOURSE_DATA_DIR")
    assert str(progress.data_dir()) == platformdirs.user_data_dir("rnncourse", appauthor=False)


def test_rank_prefers_pass_over_attempts_over_not_attempted():
    assert progress.rank("pass") > progress.rank("wrong_values") > progress.rank("not_attempted")
    progress.record("make_windows", "not_attempted")
    progress.record("make_windows", "error")
    assert _stored()["make_windows"]["best"] == "error"
    progress.record("make_windows", "not_attempted")
    assert _stored()["make_windows"]["best"] == "error"


@pytest.mark.parametrize(("var", "value"), [("CI", "true"), ("RNNCOURSE_CONTEXT", "book"), ("RNNCOURSE_NO_PROGRESS", "1")])
def test_progress_off(monkeypatch, capsys, var, value):
    monkeypatch.setenv(var, value)
    assert not progress.enabled()
    ex.rnn_step_forward.check(good)
    assert not progress.path().exists()
    assert progress.record("rnn_step_forward", "pass") is False


def test_corrupt_file_reported_and_set_aside(capsys):
    progress.path().parent.mkdir(parents=True)
    progress.path().write_text("{not json")
    ex.rnn_step_forward.check(good)
    err = capsys.readouterr().err
    assert "corrupt" in err and "progress.json.corrupt-1" in err
    aside = progress.path().with_name("progress.json.corrupt-1")
    assert aside.read_text() == "{not json"
    assert _stored()["rnn_step_forward"]["best"] == "pass"
    progress.path().write_text('{"exercises": [1, 2]}')  # valid JSON, wrong structure
    assert progress.load(report=lambda m: None) == {}
    assert progress.path().with_name("progress.json.corrupt-2").exists()


def test_write_is_atomic(monkeypatch):
    progress.record("rnn_forward", "pass")
    before = progress.path().read_text()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(progress.os, "replace", boom)
    assert progress.record("rnn_forward", "error") is False  # never raises
    assert progress.path().read_text() == before  # the old file is intact
    assert [p.name for p in progress.path().parent.iterdir()] == ["progress.json"]  # no temp file left


def test_unwritable_dir_never_breaks_check(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(blocker / "sub"))
    ex.rnn_step_forward.check(good)  # must not raise
    assert "[Passed]" in capsys.readouterr().out


def test_show_progress_table_by_lesson(capsys):
    progress.record("rnn_step_forward", "pass")
    progress.record("rnn_forward", "wrong_shape")
    assert cli.show_progress() == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    row = next(line for line in lines if "rnn_step_forward" in line)
    assert row.split()[:3] == ["02_simple_rnn", "rnn_step_forward", "pass"]
    assert next(line for line in lines if " rnn_forward " in line).split()[2] == "wrong_shape"
    assert (out.index("01_sequences") < out.index("02_simple_rnn")
            < out.index("07_pytorch_layers") < out.index("08_deep_bidirectional"))
    assert f"1 of {len(ex.EXERCISES)} exercises passed" in out
    assert os.fspath(progress.path()) in out
