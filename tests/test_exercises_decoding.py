"""The decoding exercises (lesson 9) pass the catalogue's checks: the reference passes, stubs are
not attempted, every known-wrong variant is diagnosed as exactly its mistake, the variants are
far apart, ``check`` never raises. The exercises are tested as objects, so these tests run
whether or not ``rnncourse.exercises`` lists them yet."""

from __future__ import annotations

import copy
import importlib.util
import inspect
import itertools

import numpy as np
import pytest

from rnncourse import decoding
from rnncourse.exercises import decoding_exercises as dx
from rnncourse.exercises.compare import distance

EXERCISES = {e.id: e for e in (dx.top_k_filter, dx.nucleus_filter, dx.beam_search_step)}
IDS = list(EXERCISES)
FAR = 1e3  # "far more than the tolerance", in units of the tolerance

STUB_BODIES = {
    "docstring": '    """Your code here."""\n',
    "ellipsis": "    ...  # your code here\n",
    "pass": "    pass\n",
    "not_implemented": '    """doc"""\n    raise NotImplementedError("your code here")\n',
    "none_return": "    result = None  # your code here\n    return result\n",
    "placeholder": "    return ____\n",
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RNNCOURSE_STRICT", raising=False)
    monkeypatch.delenv("RNNCOURSE_CONTEXT", raising=False)


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
def test_reference_passes(exercise_id):
    e = EXERCISES[exercise_id]
    result = e.evaluate(e.reference)
    assert result.status == "pass", repr(result)


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_source_is_self_contained(exercise_id):
    # what the book shows and the solved notebook runs: the body alone, with NumPy only
    source = inspect.getsource(EXERCISES[exercise_id].reference)
    assert source.startswith(f"def {exercise_id}(")
    namespace = {}
    exec("import numpy as np\n" + source, namespace)
    assert EXERCISES[exercise_id].evaluate(namespace[exercise_id]).status == "pass"


@pytest.mark.parametrize("kind", list(STUB_BODIES))
@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_is_not_attempted(exercise_id, kind, tmp_path):
    e = EXERCISES[exercise_id]
    source = f"def {exercise_id}{inspect.signature(e.reference)}:\n{STUB_BODIES[kind]}"
    path = tmp_path / f"stub_{exercise_id}_{kind}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = e.evaluate(getattr(module, exercise_id))
    assert result.status == "not_attempted", repr(result)


@pytest.mark.parametrize("exercise_id", IDS)
def test_confusion_matrix_every_variant_named_exactly(exercise_id):
    e = EXERCISES[exercise_id]
    assert len(e.variants) > len(e.faults), "pairs of faults are part of the catalogue"
    expected = {e.variant_name(v): ("mistake", e.variant_name(v)) for v in e.variants}
    diagnosed = {}
    for v in e.variants:
        result = e.evaluate(e.variant_function(v))
        diagnosed[e.variant_name(v)] = (result.status, result.mistake)
        assert result.message
    assert diagnosed == expected


@pytest.mark.parametrize("exercise_id", IDS)
def test_variants_far_apart_from_each_other_and_the_reference(exercise_id):
    e = EXERCISES[exercise_id]
    keys = [()] + list(e.variants)
    outs = {v: [e._variant(v, j) for j in range(len(e.cases))] for v in keys}
    for a, b in itertools.combinations(keys, 2):
        d = 0.0
        for j in range(len(e.cases)):
            (ka, va, _), (kb, vb, _) = outs[a][j], outs[b][j]
            if ka != kb:
                d = np.inf
                break
            if ka == "ok":
                d = max(d, distance(va, vb), distance(vb, va))
        assert d > FAR, f"{e.variant_name(a) or 'reference'} and {e.variant_name(b)} are too close: {d:.3g}"


@pytest.mark.parametrize("exercise_id", IDS)
def test_impl_without_faults_equals_the_reference(exercise_id):
    e = EXERCISES[exercise_id]
    for j in range(len(e.cases)):
        kind, value, _ = e._variant((), j)
        assert kind == "ok"
        assert distance(e._expected(j), value) <= 1.0


@pytest.mark.parametrize("exercise_id", IDS)
def test_messages_do_not_leak_the_solution(exercise_id):
    e = EXERCISES[exercise_id]
    code_lines = [
        line.split("#")[0].strip()
        for line in inspect.getsource(e.reference).split('"""')[-1].splitlines()
        if line.strip() and not line.strip().startswith(("#", "return"))
    ]
    for line in code_lines:
        if len(line) > 25:
            assert all(line not in f.message for f in e.faults), line


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


@pytest.mark.parametrize("exercise_id", IDS)
def test_answers_that_raise_return_none_loop_or_mutate(exercise_id):
    e = EXERCISES[exercise_id]

    def raises(*args):
        raise KeyError("learner-made failure")

    def returns_none(*args):
        e.reference(*args)

    def loops(*args):
        while True:
            pass

    def mutates(*args):
        out = copy.deepcopy(e.reference(*args))
        args[0][...] = args[0] - 1.0
        return out

    assert e.evaluate(raises).status == "error"
    assert e.evaluate(returns_none).status == "wrong_type"
    assert e.evaluate(loops, timeout=0.1).status == "timeout"
    assert e.evaluate(mutates).status == "mutated_input"


@pytest.mark.parametrize("exercise_id", IDS)
def test_check_never_raises_and_leaves_the_random_state(exercise_id, capsys):
    e = EXERCISES[exercise_id]
    before = np.random.get_state()

    def gen(*args):
        yield 1

    for thing in (None, 3.5, "abc", len, lambda: 1, lambda *a: 1 / 0, lambda *a: object(), gen, e.reference):
        e.check(thing, timeout=0.5)
    out = capsys.readouterr().out
    assert out.count(f"] {exercise_id}: ") == 9
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize("exercise_id", IDS)
def test_verdicts_are_reproducible(exercise_id):
    e = EXERCISES[exercise_id]
    wrong = e.variant_function(e.variants[0])
    first, second = e.evaluate(wrong), e.evaluate(wrong)
    assert repr(first) == repr(second) and first._repr_html_() == second._repr_html_()
