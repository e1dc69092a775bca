"""Every exercise: the reference passes, stubs are not attempted, every known-wrong variant is
diagnosed as exactly its mistake, and all variants are far apart."""

from __future__ import annotations

import importlib.util
import inspect
import itertools

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse.exercises.compare import distance

IDS = list(ex.EXERCISES)
REQUIRED = [
    "rnn_step_forward", "rnn_step_backward", "softmax_cross_entropy", "clip_grad_norm", "rnn_forward",
    "rnn_backward", "make_windows", "rnn_hidden_jacobian", "lstm_step_forward", "gru_step_forward",
    "lstm_step_backward", "count_parameters", "padding_mask", "softmax_with_temperature", "detach_state",
    "one_hot", "top_k_filter", "nucleus_filter", "beam_search_step", "masked_perplexity",
    "last_valid_state", "masked_mean_pool", "wilson_interval",
    "additive_attention", "teacher_forcing_inputs", "char_error_rate",
    "make_forecast_windows", "seasonal_naive_forecast", "mase",
    "ctc_greedy_decode", "ctc_alpha_step",
    "piano_roll", "bernoulli_nll",
    "gru_step_backward", "embedding_backward",
]
FAR = 1e3  # "far more than the tolerance": the distance is measured in units of the tolerance

STUB_BODIES = {
    "docstring": '    """Your code here."""\n',
    "ellipsis": "    ...  # your code here\n",
    "pass": "    pass\n",
    "not_implemented": '    """doc"""\n    raise NotImplementedError("your code here")\n',
    "none_return": "    result = None  # your code here\n    return result\n",
    "placeholder": "    return ____\n",
}


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _needs(e):
    if e.needs_torch:
        pytest.importorskip("torch")


@pytest.mark.parametrize("exercise_id", REQUIRED)
def test_exercise_exists_with_lesson_and_hints(exercise_id):
    from rnncourse import LESSONS

    e = ex.get(exercise_id)
    assert getattr(ex, exercise_id) is e
    assert e.lesson in [stem for stem, _ in LESSONS]
    assert len(e.hints) >= 3
    assert len(e.faults) >= 3


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes(exercise_id):
    e = ex.get(exercise_id)
    _needs(e)
    result = e.evaluate(e.reference)
    assert result.status == "pass", repr(result)


@pytest.mark.parametrize("kind", list(STUB_BODIES))
@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_is_not_attempted(exercise_id, kind, tmp_path):
    e = ex.get(exercise_id)
    source = f"def {exercise_id}{inspect.signature(e.reference)}:\n{STUB_BODIES[kind]}"
    path = tmp_path / f"stub_{exercise_id}_{kind}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = e.evaluate(getattr(module, exercise_id))
    assert result.status == "not_attempted", repr(result)


@pytest.mark.parametrize("body", ["raise NotImplementedError", "...", '"""doc"""', "pass", '"""doc"""\n    ...'])
@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_without_readable_source_is_not_attempted(exercise_id, body):
    e = ex.get(exercise_id)
    namespace = {}
    exec(f"def stub{inspect.signature(e.reference)}:\n    {body}\n", namespace)  # no source to read
    assert e.evaluate(namespace["stub"]).status == "not_attempted"


def _expected_status(e, variant):
    return "mutated_input" if all(e._fault[n].status == "mutated_input" for n in variant) else "mistake"


@pytest.mark.parametrize("exercise_id", IDS)
def test_confusion_matrix_every_variant_named_exactly(exercise_id):
    e = ex.get(exercise_id)
    _needs(e)
    assert len(e.variants) > len(e.faults), "pairs of faults are part of the catalogue"
    expected = {e.variant_name(v): (_expected_status(e, v), e.variant_name(v)) for v in e.variants}
    diagnosed = {}
    for v in e.variants:
        result = e.evaluate(e.variant_function(v))
        diagnosed[e.variant_name(v)] = (result.status, result.mistake)
        assert result.message
    assert diagnosed == expected


def _after_call(e, variant, j):
    kind, value, args = e._variant(variant, j)
    return kind, value, args


@pytest.mark.parametrize("exercise_id", IDS)
def test_variants_far_apart_from_each_other_and_the_reference(exercise_id):
    e = ex.get(exercise_id)
    _needs(e)
    keys = [()] + list(e.variants)
    outs = {v: [_after_call(e, v, j) for j in range(len(e.cases))] for v in keys}
    for a, b in itertools.combinations(keys, 2):
        d = 0.0
        for j in range(len(e.cases)):
            (ka, va, args_a), (kb, vb, args_b) = outs[a][j], outs[b][j]
            if ka != kb:
                d = np.inf
                break
            if ka == "ok":
                d = max(d, distance(va, vb), distance(vb, va))
            d = max(d, distance(args_a, args_b))  # in-place faults differ in the inputs they leave
        assert d > FAR, f"{e.variant_name(a) or 'reference'} and {e.variant_name(b)} are too close: {d:.3g}"


@pytest.mark.parametrize("exercise_id", IDS)
def test_no_fault_impl_equals_reference(exercise_id):
    e = ex.get(exercise_id)
    _needs(e)
    for j in range(len(e.cases)):
        kind, value, _ = e._variant((), j)
        assert kind == "ok"
        assert distance(e._expected(j), value) <= 1.0


@pytest.mark.parametrize("exercise_id", IDS)
def test_messages_do_not_leak_the_solution(exercise_id):
    e = ex.get(exercise_id)
    code_lines = [
        line.split("#")[0].strip()
        for line in inspect.getsource(e.reference).splitlines()[1:]
        if line.strip() and not line.strip().startswith(('"""', "#", "return"))
    ]
    texts = [f.message for f in e.faults]
    for line in code_lines:
        if len(line) > 25:
            assert all(line not in t for t in texts), line


@pytest.mark.parametrize("exercise_id", IDS)
def test_cases_include_small_dimensions(exercise_id):
    e = ex.get(exercise_id)
    _needs(e)
    labels = " ".join(c.label for c in e.cases)
    if any(k in e.cases[0].dims for k in ("B", "H", "T")):
        assert "=1" in labels.replace(" ", "") or "one" in labels
