"""The check pipeline of rnncourse.exercises: statuses, totality, output, contexts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse.exercises import core, runner
from rnncourse.exercises.core import STATUSES


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def correct_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)


def raises_step(x, h_prev, W_xh, W_hh, b_h):
    h = x @ W_xh.T
    return h[:, 99]


def none_step(x, h_prev, W_xh, W_hh, b_h):
    h_next = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)  # noqa: F841 - forgot the return


def loop_step(x, h_prev, W_xh, W_hh, b_h):
    n = 0
    while True:
        try:
            n += 1
        except Exception:  # a learner's broad except must not swallow the timeout
            pass


def mutating_step(x, h_prev, W_xh, W_hh, b_h):
    h_next = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)
    h_prev += 1.0  # changes the caller's array
    return h_next


def list_step(x, h_prev, W_xh, W_hh, b_h):
    return correct_step(x, h_prev, W_xh, W_hh, b_h).tolist()


def transposed_out_step(x, h_prev, W_xh, W_hh, b_h):
    return correct_step(x, h_prev, W_xh, W_hh, b_h).T


def off_step(x, h_prev, W_xh, W_hh, b_h):
    return correct_step(x, h_prev, W_xh, W_hh, b_h) + 1e-3


def nan_step(x, h_prev, W_xh, W_hh, b_h):
    return correct_step(x, h_prev, W_xh, W_hh, b_h) / 0.0 * 0.0


def random_step(x, h_prev, W_xh, W_hh, b_h):
    np.random.rand(5)  # touches the global state: the check must restore it
    return correct_step(x, h_prev, W_xh, W_hh, b_h)


def generator_step(x, h_prev, W_xh, W_hh, b_h):
    yield correct_step(x, h_prev, W_xh, W_hh, b_h)


class NotAFunction:
    def __init__(self, x, h_prev, W_xh, W_hh, b_h):
        self.x = x


def test_status_values_are_the_contract():
    assert STATUSES == (
        "pass", "not_attempted", "error", "timeout", "wrong_type", "wrong_shape", "mistake",
        "wrong_values", "mutated_input",
    )


@pytest.mark.parametrize(
    ("fn", "status"),
    [
        (correct_step, "pass"),
        (raises_step, "error"),
        (none_step, "wrong_type"),
        (mutating_step, "mutated_input"),
        (list_step, "wrong_type"),
        (transposed_out_step, "wrong_shape"),
        (off_step, "wrong_values"),
        (nan_step, "wrong_values"),
        (random_step, "pass"),
        (generator_step, "wrong_type"),
        (NotAFunction, "wrong_type"),
        (None, "wrong_type"),
        (42, "wrong_type"),
        ("rnn_step_forward", "wrong_type"),
        (len, "error"),
        (print, "wrong_type"),
        (lambda x: x, "error"),
        (lambda x, h_prev, W_xh, W_hh, b_h: correct_step(x, h_prev, W_xh, W_hh, b_h), "pass"),
    ],
)
def test_evaluate_status(fn, status):
    result = ex.rnn_step_forward.evaluate(fn)
    assert result.status == status, result
    assert isinstance(result.message, str) and result.message


def test_evaluate_error_keeps_only_learner_lines():
    result = ex.rnn_step_forward.evaluate(raises_step)
    text = repr(result)
    assert "IndexError" in text
    assert "in raises_step, line" in text and "h[:, 99]" in text
    assert "x (3, 4) = (B, D)" in text  # the input shapes, with named dimensions
    assert "site-packages" not in text and "rnncourse/exercises" not in text


def test_evaluate_none_says_forgot_return():
    assert "forget `return`" in ex.rnn_step_forward.evaluate(none_step).message


def test_evaluate_wrong_shape_names_dimensions_and_transpose():
    result = ex.rnn_step_forward.evaluate(transposed_out_step)
    assert "(5, 3) = (H, B)" in result.message and "(3, 5) = (B, H)" in result.message
    assert "transposed" in result.message


def test_evaluate_timeout_stops_runaway_loop():
    result = ex.rnn_step_forward.evaluate(loop_step, timeout=0.2)
    assert result.status == "timeout"
    assert "did not finish within 0.2 s" in result.message
    assert "background" not in result.message  # the thread was stopped


def test_runner_call_timeout_is_quick():
    outcome = runner.call(loop_step, (None,) * 5, timeout=0.1)
    assert outcome.kind == "timeout" and outcome.stopped


def test_check_never_raises_on_absurd_input(capsys):
    for fn in (None, 1, "x", object(), NotAFunction, len, print, lambda: 0, generator_step, loop_step):
        ex.rnn_step_forward.check(fn, timeout=0.1)
    out = capsys.readouterr().out
    assert out.count("rnn_step_forward: One step of a simple RNN") == 10


def test_check_returns_none_and_prints_outside_ipython(capsys):
    assert ex.rnn_step_forward.check(correct_step) is None
    out = capsys.readouterr().out
    assert out.startswith("[Passed] rnn_step_forward")


def test_check_strict_raises_assertion(monkeypatch, capsys):
    monkeypatch.setenv("RNNCOURSE_STRICT", "1")
    ex.rnn_step_forward.check(correct_step)
    with pytest.raises(AssertionError, match="rnn_step_forward: wrong_values"):
        ex.rnn_step_forward.check(off_step)


def test_not_attempted_message_depends_on_context(monkeypatch):
    def stub(x, h_prev, W_xh, W_hh, b_h):
        """docstring only"""

    lab = ex.rnn_step_forward.evaluate(stub)
    assert lab.status == "not_attempted" and "write your code" in lab.message
    monkeypatch.setenv("RNNCOURSE_CONTEXT", "book")
    book = ex.rnn_step_forward.evaluate(stub)
    assert book.status == "not_attempted"
    assert "open this lesson in jupyterlab to check your answer" in book.message.lower()


def test_use_returns_learner_function_or_reference(capsys):
    assert ex.rnn_step_forward.use(correct_step) is correct_step
    assert capsys.readouterr().out == ""
    assert ex.rnn_step_forward.use(off_step) is ex.rnn_step_forward.reference
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Using the reference rnn_step_forward" in out


def test_hint_gives_next_hint_each_call(capsys):
    e = core.Exercise(
        "demo", "Demo", "02_simple_rnn", correct_step, lambda f, *a: correct_step(*a), [],
        lambda rng: [], ["first", "second", "third"],
    )
    for _ in range(4):
        e.hint()
    out = capsys.readouterr().out
    assert out.index("Hint 1 of 3") < out.index("Hint 2 of 3") < out.index("Hint 3 of 3")
    assert "first" in out and "third" in out and out.count("last hint") == 2


def test_solution_shows_reference_source(capsys):
    ex.rnn_step_forward.solution()
    out = capsys.readouterr().out
    assert "def rnn_step_forward(x, h_prev, W_xh, W_hh, b_h):" in out


def test_result_display_has_text_and_html_with_words():
    from IPython.core.formatters import DisplayFormatter

    for fn, word in ((correct_step, "Passed"), (off_step, "Not yet"), (ex.rnn_step_forward.variant_function(("missing_bias",)), "Mistake found")):
        result = ex.rnn_step_forward.evaluate(fn)
        data, _ = DisplayFormatter().format(result)
        assert set(data) >= {"text/plain", "text/html"}
        assert word in data["text/plain"] and word in data["text/html"]
        assert "<script" not in data["text/html"]


def test_mistake_hint_is_inside_details():
    result = ex.rnn_step_forward.evaluate(ex.rnn_step_forward.variant_function(("missing_bias",)))
    html = result._repr_html_()
    assert "<details><summary>Hint</summary>" in html


def test_output_is_deterministic_across_processes():
    script = textwrap.dedent(
        """
        import numpy as np
        import rnncourse.exercises as ex
        def f(x, h_prev, W_xh, W_hh, b_h):
            return np.tanh(x @ W_xh + h_prev @ W_hh.T + b_h)
        def g(x, h_prev, W_xh, W_hh, b_h):
            return f
        for fn in (f, g, None):
            r = ex.rnn_step_forward.evaluate(fn)
            print(repr(r)); print(r._repr_html_())
        r = ex.clip_grad_norm.evaluate(lambda grads, max_norm: (grads, 1.0))
        print(repr(r)); print(r._repr_html_())
        """
    )
    outs = []
    for seed in ("1", "2"):
        env = {"PYTHONHASHSEED": seed, "RNNCOURSE_NO_PROGRESS": "1", "PATH": ""}
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert "0x" not in outs[0]


def test_same_result_twice_in_one_process():
    a = ex.softmax_cross_entropy.evaluate(lambda logits, targets: (0.0, logits))
    b = ex.softmax_cross_entropy.evaluate(lambda logits, targets: (0.0, logits))
    assert repr(a) == repr(b) and a._repr_html_() == b._repr_html_()


def test_global_random_state_unchanged():
    torch = pytest.importorskip("torch")
    np_before = np.random.get_state()
    torch_before = torch.random.get_rng_state().clone()
    def torch_random_step(x, h_prev, W_xh, W_hh, b_h):
        torch.rand(3)  # touches torch's global generator: the check must restore it
        return correct_step(x, h_prev, W_xh, W_hh, b_h)

    for fn in (correct_step, random_step, off_step, raises_step, torch_random_step):
        assert ex.rnn_step_forward.evaluate(fn).status in ("pass", "wrong_values", "error")
    ex.clip_grad_norm.evaluate(ex.clip_grad_norm.reference)
    np_after = np.random.get_state()
    assert np_before[0] == np_after[0] and np.array_equal(np_before[1], np_after[1])
    assert np_before[2:] == np_after[2:]
    assert torch.equal(torch_before, torch.random.get_rng_state())


def test_list_prints_every_exercise_outside_ipython(capsys):
    assert ex.list() is None
    text = capsys.readouterr().out
    for exercise_id in ex.EXERCISES:
        assert exercise_id in text


def test_list_returns_the_table_in_ipython(monkeypatch):
    import rnncourse.exercises.cli as ex_cli

    monkeypatch.setattr(ex_cli, "in_ipython", lambda: True)
    table = ex.list()
    for exercise_id in ex.EXERCISES:
        assert exercise_id in repr(table)
    assert "<table>" in table._repr_html_()


def test_importing_exercises_does_not_import_torch():
    code = "import sys, rnncourse.exercises as ex; ex.list(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_learner_prints_are_captured_into_the_verdict(capsys):
    def chatty(x, h_prev, W_xh, W_hh, b_h):
        print("shape of x:", x.shape)
        return correct_step(x, h_prev, W_xh, W_hh, b_h) * 2

    ex.rnn_step_forward.check(chatty)
    out = capsys.readouterr().out
    assert out.count("shape of x:") == 1  # once, inside the verdict, although it ran many times
    assert "printed (first call): shape of x: (3, 4)" in out
    ex.rnn_step_forward.check(lambda x, h_prev, W_xh, W_hh, b_h: print("hi") or correct_step(x, h_prev, W_xh, W_hh, b_h))
    out = capsys.readouterr().out
    assert out.startswith("[Passed]") and "printed" not in out  # a pass shows no printout


# ----------------------------------------------------------------------------- shared behaviours
def _demo_exercise(reference, impl, faults, cases, **kw):
    return core.Exercise(
        "demo", "Demo", "02_simple_rnn", reference, impl, faults, lambda rng: cases, ["a", "b", "c"], **kw
    )


def test_inputs_describe_the_arrays_inside_a_tuple_or_list():
    a, b = np.zeros((3, 4)), np.zeros(4)
    dims = {"B": 3, "H": 4}
    describe = core._describe_inputs
    assert describe(("first",), ((a, a),), dims) == "first a pair of arrays (3, 4) = (B, H)"
    assert describe(("first",), ((a, b),), dims) == "first a pair of arrays (3, 4) = (B, H) and (4,) = (H,)"
    assert describe(("xs",), ([a, a, a],), dims) == "xs a list of 3 arrays, each (3, 4) = (B, H)"
    assert describe(("xs",), ((a, b, a),), {}) == "xs a tuple of 3 arrays (3, 4), (4,), (3, 4)"
    assert describe(("xs",), ([b],), dims) == "xs a list of 1 array (4,) = (H,)"
    # anything else as before: a tuple of other things by its length, a list of plain values shown
    assert describe(("t", "n"), ((1, "x"), [2, 3]), {}) == "t a tuple of 2, n=[2, 3]"
    assert describe(("t",), ((a, 1.0),), {}) == "t a tuple of 2"
    assert describe(("t",), ((),), {}) == "t a tuple of 0"


def test_inputs_describe_a_pair_of_tensors():
    torch = pytest.importorskip("torch")
    h = torch.zeros(1, 3, 5)
    assert core._describe_inputs(("state",), ((h, h),), {"B": 3, "H": 5}) == "state a pair of tensors (1, 3, 5)"
    assert "a pair of tensors (1, 3, 5) = (L, B, H)" in core._describe_inputs(
        ("state",), ((h, h),), {"L": 1, "B": 3, "H": 5}
    )


def _double(x):
    return 2.0 * x


def _double_impl(f, x):
    if f:  # the right values, written into the caller's array
        x *= 2.0
        return x
    return 2.0 * x


@pytest.mark.parametrize("standalone", [False, True])
def test_named_in_place_fault_standalone_says_it_once(standalone):
    fault = core.Fault(
        "doubled_in_place",
        "Your values are right, but `x` is doubled in place: the caller's `x` has changed.",
        "Return `2.0 * x`, a new array.",
        status="mutated_input",
        standalone=standalone,
    )
    e = _demo_exercise(_double, _double_impl, [fault], [core.Case("B=2", (np.ones(2),), {"B": 2})])
    result = e.evaluate(e.variant_function(("doubled_in_place",)))
    assert (result.status, result.mistake, result.hint) == ("mutated_input", "doubled_in_place", fault.hint)
    generic = "Your function changed its input `x` in place on the first case. The caller still needs it"
    if standalone:
        assert result.message == fault.message
        change = "x changed at 2 of 2 entries; for example at [0] it is 2, was 1."
        assert result.details == [f"On the first case: {change}"]
    else:
        assert result.message.startswith(fault.message + " " + generic) and result.details == []
    assert core.Fault("f", "m", "h").standalone is False  # the default: the generic text follows


def _softmax_rows(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_impl(f, x):
    if "no_max" in f:
        e = np.exp(x)
    elif "global_max" in f:
        e = np.exp(x - x.max())
    else:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_exercise():
    faults = [
        core.Fault("no_max", "Overflows.", "Subtract the max.", group="max"),
        core.Fault("global_max", "One max for all rows.", "One max per row.", group="max"),
    ]
    large = np.array([[1000.0, 0.0], [-2000.0, -2001.0]])  # exp overflows in row 0, underflows in row 1
    cases = [
        core.Case("small", (np.array([[1.0, 2.0], [0.5, -1.0]]),), {}),
        core.Case("large", (large,), {}, nonfinite_mistake=("no_max", "global_max")),
    ]
    return _demo_exercise(_softmax_rows, _softmax_impl, faults, cases)


def test_nonfinite_mistake_of_several_names_is_the_one_whose_output_matches():
    e = _softmax_exercise()
    with np.errstate(all="ignore"):
        for name in ("no_max", "global_max"):
            result = e.evaluate(e.variant_function((name,)))
            assert (result.status, result.mistake) == ("mistake", name), repr(result)
            assert result.message == e._fault[name].message and "large" in result.details[0]

        def other_nan(x):  # NaN on the large case, but as neither variant gives it: the first name
            return np.full_like(x, np.nan) if np.abs(x).max() > 100 else _softmax_rows(x)

        result = e.evaluate(other_nan)
    assert (result.status, result.mistake) == ("mistake", "no_max")


def test_log_zero_remark_can_be_left_out():
    from rnncourse.exercises.compare import compare

    expected = np.array([0.0, -np.inf, 0.0])
    got = np.array([-np.inf, -np.inf, 0.0])
    assert "log(0)" in compare(expected, got, "`m`").message
    for issue in (
        compare(expected, got, "`m`", log_zero_remark=False),
        compare((expected,), (got,), "`m`", log_zero_remark=False),
        compare({"m": expected}, {"m": got}, "`d`", log_zero_remark=False),
    ):
        assert issue.kind == "nonfinite" and issue.message.endswith("is -inf at [0], expected 0.")
    nan = compare(expected, np.array([np.nan, -np.inf, 0.0]), "`m`", log_zero_remark=False)
    assert "undefined operation" in nan.message  # only the remark on log(0) is left out


@pytest.mark.parametrize("flag", [False, True])
def test_exercise_with_minus_inf_as_a_value_makes_no_log_zero_remark(flag):
    def mask(T):
        return np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, 0.0)

    e = _demo_exercise(
        mask, lambda f, T: mask(T), [], [core.Case("T=3", (3,), {"T": 3})], minus_inf_is_a_value=flag
    )
    assert e.minus_inf_is_a_value is flag
    result = e.evaluate(lambda T: np.where(np.triu(np.ones((T, T), dtype=bool)), -np.inf, 0.0))
    assert result.status == "wrong_values" and "is -inf at [0, 0], expected 0" in result.message
    assert ("log(0)" in result.message) is not flag
