"""For every exercise: answers that raise, return None, loop forever or change their inputs get
the right status; absurd arguments never make ``check`` raise; verdicts are reproducible."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import rnncourse.exercises as ex

IDS = list(ex.EXERCISES)


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _exercise(exercise_id):
    e = ex.get(exercise_id)
    if e.needs_torch:
        pytest.importorskip("torch")
    return e


def _mutate_first(args) -> bool:
    """Change the first mutable input in place; False if there is none."""
    import sys

    torch = sys.modules.get("torch")
    for a in args:
        if isinstance(a, np.ndarray):
            a[...] = a + 1
            return True
        if isinstance(a, dict):
            next(iter(a.values()))[...] += 1
            return True
        items = a if isinstance(a, tuple) else (a,)
        if torch is not None and all(isinstance(x, torch.Tensor) for x in items):
            items[0].data.add_(1)
            return True
    return False


@pytest.mark.parametrize("exercise_id", IDS)
def test_raising_answer_is_error_with_learner_line(exercise_id):
    e = _exercise(exercise_id)

    def answer(*args):
        raise KeyError("learner-made failure")

    result = e.evaluate(answer)
    assert result.status == "error"
    assert any("raise KeyError" in d for d in result.details)


@pytest.mark.parametrize("exercise_id", IDS)
def test_none_returning_answer_is_wrong_type(exercise_id):
    e = _exercise(exercise_id)

    def answer(*args):
        result = e.reference(*args)  # noqa: F841 - computed, but not returned

    result = e.evaluate(answer)
    assert result.status == "wrong_type" and "return" in result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_endless_answer_times_out(exercise_id):
    e = _exercise(exercise_id)

    def answer(*args):
        while True:
            pass

    assert e.evaluate(answer, timeout=0.1).status == "timeout"


@pytest.mark.parametrize("exercise_id", IDS)
def test_input_changing_answer_is_mutated_input(exercise_id):
    e = _exercise(exercise_id)

    def answer(*args):
        out = copy.deepcopy(e.reference(*args))  # a copy: the reference may return views of its inputs
        _mutate_first(args)
        return out

    if not _mutate_first(e.cases[0].make()):
        pytest.skip("no mutable input (strings and ints only)")
    assert e.evaluate(answer).status == "mutated_input"


@pytest.mark.parametrize("exercise_id", IDS)
def test_check_never_raises(exercise_id, capsys):
    e = _exercise(exercise_id)

    def gen(*args):
        yield 1

    class Weird:
        def __init__(self, *args):
            pass

    for thing in (None, 3.5, "abc", [], len, print, lambda: 1, lambda *a: 1 / 0, lambda *a: object(), gen, Weird):
        e.check(thing, timeout=0.5)
    out = capsys.readouterr().out
    assert out.count(f"] {exercise_id}: ") == 11


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answer_verdicts_are_reproducible(exercise_id):
    e = _exercise(exercise_id)

    def scaled(*args):
        out = e.reference(*args)
        return out * 1.5 if isinstance(out, np.ndarray) else out

    first = e.evaluate(scaled)
    second = e.evaluate(scaled)
    assert repr(first) == repr(second) and first._repr_html_() == second._repr_html_()


@pytest.mark.parametrize("exercise_id", IDS)
def test_global_random_state_unchanged_by_any_check(exercise_id):
    torch = pytest.importorskip("torch")
    e = _exercise(exercise_id)
    np_before = np.random.get_state()
    torch_before = torch.random.get_rng_state().clone()
    e.evaluate(e.reference)
    e.evaluate(e.variant_function(e.variants[0]))
    np_after = np.random.get_state()
    assert np_before[0] == np_after[0] and np.array_equal(np_before[1], np_after[1])
    assert np_before[2:] == np_after[2:]
    assert torch.equal(torch_before, torch.random.get_rng_state())
