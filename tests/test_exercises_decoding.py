"""What is particular to the decoding exercises of lesson 9 (top_k_filter, nucleus_filter,
beam_search_step): their metadata, references that run on their own, integer outputs, the named
overflow. The checks every exercise gets (reference passes, stubs not attempted, confusion
matrix, far-apart variants, total checks) are in test_exercises_catalogue.py and
test_exercises_behaviour.py, which cover these exercises too."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from rnncourse import decoding
from rnncourse.exercises import decoding_exercises as dx

EXERCISES = {e.id: e for e in (dx.top_k_filter, dx.nucleus_filter, dx.beam_search_step)}
IDS = list(EXERCISES)



pytestmark = pytest.mark.usefixtures("exercise_isolation")


@pytest.mark.parametrize("exercise_id", IDS)
def test_exercise_metadata(exercise_id):
    e = EXERCISES[exercise_id]
    assert e.lesson == "09_language_models"
    assert len(e.hints) >= 3 and len(e.faults) >= 3
    assert e.reference is getattr(decoding, exercise_id)  # single source: the package's function
    assert e.params == tuple(inspect.signature(getattr(decoding, exercise_id)).parameters)


def test_exercise_signatures_and_outputs():
    assert EXERCISES["top_k_filter"].params == ("logits", "k")
    assert EXERCISES["nucleus_filter"].params == ("probs", "p")
    assert EXERCISES["beam_search_step"].params == ("scores", "log_probs", "beam_width")
    assert EXERCISES["beam_search_step"].output_names == ("parents", "tokens", "new_scores")


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_source_is_self_contained(exercise_id):
    # what the book shows and the solved notebook runs: the body alone, with NumPy only
    source = inspect.getsource(EXERCISES[exercise_id].reference)
    assert source.startswith(f"def {exercise_id}(")
    namespace = {}
    exec("import numpy as np\n" + source, namespace)
    assert EXERCISES[exercise_id].evaluate(namespace[exercise_id]).status == "pass"


def test_beam_step_integer_outputs_compared_as_integers():
    e = EXERCISES["beam_search_step"]

    def floats_for_ids(scores, log_probs, beam_width):
        parents, tokens, new_scores = e.reference(scores, log_probs, beam_width)
        return parents.astype(float), tokens, new_scores

    result = e.evaluate(floats_for_ids)
    assert result.status == "wrong_type" and "integers" in result.message


def test_top_k_large_logits_overflow_is_named():
    e = EXERCISES["top_k_filter"]

    def unstable(logits, k):
        order = np.argsort(-logits, axis=-1, kind="stable")
        keep = np.zeros(logits.shape, dtype=bool)
        np.put_along_axis(keep, order[..., :k], True, axis=-1)
        e_ = np.where(keep, np.exp(logits), 0.0)
        return e_ / e_.sum(axis=-1, keepdims=True)

    with np.errstate(all="ignore"):
        result = e.evaluate(unstable)
    assert (result.status, result.mistake) == ("mistake", "unstable_softmax")


