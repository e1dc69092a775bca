"""The exercises of lesson 15 (outlook): scan_combine, causal_mask and self_attention.

The checks every registered exercise gets are in test_exercises_catalogue.py and
test_exercises_behaviour.py. Learner-style answers, right and wrong, written independently of
the exercises' ``impl``, are checked here by name; inf and NaN answers are judged quietly."""

from __future__ import annotations

import importlib.util
import inspect
import warnings

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse import attention, scan
from rnncourse.exercises import outlook_exercises as ox
from rnncourse.exercises.compare import distance

SCAN = ox.scan_combine
MASK = ox.causal_mask
ATTN = ox.self_attention
LESSON_15 = [SCAN, MASK, ATTN]
IDS = [e.id for e in LESSON_15]
FAR = 1e3  # in units of the tolerance, as in test_exercises_catalogue.py

# the faults that only a special case shows (scores of several thousand)
SPECIAL = {"scan_combine": set(), "causal_mask": set(), "self_attention": {"unstable_softmax", "global_max"}}

# the stubs of lessons/15_outlook.md (each cell: the stub, then its check)
STUBS = {
    "scan_combine": '''\
def scan_combine(first, second):
    """(a1, b1), (a2, b2) -> (a, b): first, then second"""
    ...  # your code here
''',
    "causal_mask": '''\
def causal_mask(T):
    """T -> (T, T) float: 0 where s <= t, -inf above"""
    ...  # your code here
''',
    "self_attention": '''\
def self_attention(q, k, v, mask=None):
    """q (..., T, d), k, v (..., S, .) -> out, weights"""
    ...  # your code here
''',
}


pytestmark = pytest.mark.usefixtures("exercise_isolation")


def _verdict(e, fn):
    result = e.evaluate(fn)
    return result.status, result.mistake


def _quiet(e, fn, capfd, recwarn):
    """The verdict of ``fn``; checking it writes one verdict, nothing to stderr, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning inside the check would be a checker failure
        result = e.evaluate(fn)
        e.check(fn)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out.count(f"] {e.id}: ") == 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    return result


# ============================================================================= the module
@pytest.mark.parametrize("e", LESSON_15, ids=IDS)
def test_metadata(e):
    from rnncourse import LESSONS
    from rnncourse.exercises import core

    assert e.lesson == "15_outlook" and "15_outlook" in dict(LESSONS)
    assert isinstance(e, core.Exercise)
    assert len(e.hints) >= 3 and len(e.faults) >= 3
    assert len(e.variants) > len(e.faults)
    assert all(f.message and f.hint for f in e.faults)
    assert ex.EXERCISES[e.id] is e and getattr(ex, e.id) is e
    assert ox.EXERCISES == tuple(LESSON_15)
    assert not hasattr(ox, "STATEMENTS") and not hasattr(ox, "STUBS")  # statements live in the lesson


def test_lesson_15_comes_last_in_the_list():
    assert list(ex.EXERCISES)[-3:] == ["causal_mask", "scan_combine", "self_attention"]


def test_references_are_the_package_functions():
    assert SCAN.reference is scan.scan_combine
    assert MASK.reference is attention.causal_mask
    assert ATTN.reference is attention.self_attention
    assert SCAN.params == ("first", "second")
    assert MASK.params == ("T",)
    assert ATTN.params == ("q", "k", "v", "mask")


@pytest.mark.parametrize(("e", "lines"), [(SCAN, 3), (MASK, 2), (ATTN, 9)], ids=IDS)
def test_reference_source_is_the_short_body(e, lines):
    source = inspect.getsource(e.reference)
    assert source.startswith(f"def {e.id}(")
    assert len(source.split('"""')[-1].strip().splitlines()) == lines


@pytest.mark.parametrize("e", LESSON_15, ids=IDS)
def test_first_case_tells_every_single_mistake_from_the_reference(e):
    expected = e._expected(0)
    for f in e.faults:
        if f.name in SPECIAL[e.id]:
            continue
        kind, value, args = e._variant((f.name,), 0)
        if f.status == "mutated_input":  # the right values, the inputs changed
            assert distance(expected, value) == 0.0 and distance(e.cases[0].args, args) > FAR, f.name
            continue
        assert kind == "error" or distance(expected, value) > FAR, f.name


@pytest.mark.parametrize("e", LESSON_15, ids=IDS)
def test_special_faults_are_shown_by_some_case(e):
    for name in SPECIAL[e.id]:
        shown = [
            j for j in range(len(e.cases))
            if e._variant((name,), j)[0] == "error" or distance(e._expected(j), e._variant((name,), j)[1]) > FAR
        ]
        assert shown, name


@pytest.mark.parametrize("e", LESSON_15, ids=IDS)
def test_check_of_the_reference_and_of_wrong_answers_writes_nothing_to_stderr(e, capfd):
    for v in e.variants:
        e.check(e.variant_function(v))
    e.check(e.reference)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out.count(f"] {e.id}: ") == len(e.variants) + 1


def _load_stub(exercise_id, tmp_path):
    path = tmp_path / f"stub_{exercise_id}.py"
    path.write_text("import numpy as np\n\n" + STUBS[exercise_id])
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, exercise_id)


@pytest.mark.parametrize("e", LESSON_15, ids=IDS)
def test_lesson_stub_is_not_attempted_and_fits_the_page(e, tmp_path, monkeypatch):
    stub = _load_stub(e.id, tmp_path)
    assert tuple(inspect.signature(stub).parameters) == e.params
    assert inspect.signature(stub) == inspect.signature(e.reference)
    result = e.evaluate(stub)
    assert result.status == "not_attempted", repr(result)
    e.check(stub)  # no crash
    monkeypatch.setenv("RNNCOURSE_CONTEXT", "book")
    assert "JupyterLab" in e.evaluate(stub).message
    assert all(len(line) <= 68 for line in STUBS[e.id].splitlines())
    assert all(len(line) <= 68 for line in f"ex.{e.id}.check({e.id})".splitlines())


@pytest.mark.parametrize("e", LESSON_15, ids=IDS)
def test_reference_leaves_its_inputs_unchanged(e):
    for case in e.cases:
        args = case.make()
        e.reference(*args)
        assert distance(case.args, args) == 0.0


# ============================================================================= scan_combine
def test_scan_cases():
    assert {f.name for f in SCAN.faults} >= {
        "order_reversed", "a_from_second_only", "a_from_first_only", "a_added", "b_not_scaled",
        "b_scaled_by_first_a", "pair_swapped", "first_updated_in_place", "second_updated_in_place",
    }
    labels = " ".join(c.label for c in SCAN.cases)
    for what in ("(H,)", "(B, H)", "order of the steps matters", "H=1", "a = 0", "negative a", "identity"):
        assert what in labels, what
    shapes = {c.args[0][0].shape for c in SCAN.cases}
    assert {len(s) for s in shapes} == {1, 2, 3}
    for c in SCAN.cases:
        (a1, b1), (a2, b2) = c.args
        assert isinstance(c.args[0], tuple) and a1.shape == b1.shape == a2.shape == b2.shape
    assert any((c.args[1][0] == 0).any() and (c.args[0][0] == 0).any() for c in SCAN.cases)
    (a1, b1), (a2, b2) = SCAN.cases[0].args
    assert (a1 < 0).any() and (a1 > 0).any()  # both signs in the first case
    # the order matters on the first case: the two compositions differ everywhere
    assert np.all(np.abs((a2 * b1 + b2) - (a1 * b2 + b1)) > 1e-3)


def test_scan_result_applies_both_steps():
    for j, c in enumerate(SCAN.cases):
        (a1, b1), (a2, b2) = c.args
        h = np.linspace(-2.0, 3.0, a1.size).reshape(a1.shape)
        a, b = SCAN._expected(j)
        assert np.allclose(a * h + b, a2 * (a1 * h + b1) + b2, rtol=1e-12, atol=1e-12)


def scan_tuple(first, second):
    a1, b1 = first
    a2, b2 = second
    return a2 * a1, a2 * b1 + b2


def scan_list(first, second):
    a1, b1 = first
    a2, b2 = second
    return [a1 * a2, b2 + a2 * b1]


def scan_indexing(first, second):
    return np.multiply(second[0], first[0]), second[0] * first[1] + second[1]


def scan_by_application(first, second):
    a1, b1 = first
    a2, b2 = second
    step = lambda h: a2 * (a1 * h + b1) + b2  # noqa: E731 - the composition of the two steps
    b = step(np.zeros_like(b1))
    return step(np.ones_like(b1)) - b, b


def scan_copies_in_place(first, second):
    a, b = first[0].copy(), first[1].copy()
    b *= second[0]
    b += second[1]
    a *= second[0]
    return a, b


@pytest.mark.parametrize("fn", [scan_tuple, scan_list, scan_indexing, scan_by_application, scan_copies_in_place])
def test_scan_learner_correct_variants_pass(fn):
    result = SCAN.evaluate(fn)
    assert result.status == "pass", repr(result)


def test_scan_list_is_accepted_like_other_exercises_with_several_outputs():
    assert not SCAN.strict_containers
    assert SCAN.evaluate(scan_list).passed

    def as_array(first, second):
        return np.stack(scan_tuple(first, second))

    result = SCAN.evaluate(as_array)
    assert result.status == "wrong_type" and "expected a tuple (a, b)" in result.message


def scan_backwards(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a1 * b2 + b1


def scan_backwards_by_unpacking(first, second):
    a2, b2 = first  # "the second pair is applied to the first"
    a1, b1 = second
    return a2 * a1, a2 * b1 + b2


def scan_keeps_a2(first, second):
    a1, b1 = first
    a2, b2 = second
    return a2, a2 * b1 + b2


def scan_keeps_a1(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1, a2 * b1 + b2


def scan_adds_a(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 + a2, a2 * b1 + b2


def scan_adds_b(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, b1 + b2


def scan_own_a(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a1 * b1 + b2


def scan_b2_scaled(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * (b1 + b2)


def scan_b_first(first, second):
    a1, b1 = first
    a2, b2 = second
    return a2 * b1 + b2, a2 * a1


def scan_sums_everything(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 + a2, b1 + b2


def scan_naive(first, second):
    a1, b1 = first
    a2, b2 = second
    return a2, b1 + b2


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (scan_backwards, "order_reversed"),
        (scan_backwards_by_unpacking, "order_reversed"),
        (scan_keeps_a2, "a_from_second_only"),
        (scan_keeps_a1, "a_from_first_only"),
        (scan_adds_a, "a_added"),
        (scan_adds_b, "b_not_scaled"),
        (scan_own_a, "b_scaled_by_first_a"),
        (scan_b2_scaled, "b2_scaled_too"),
        (scan_b_first, "pair_swapped"),
        (scan_sums_everything, "a_added+b_not_scaled"),
        (scan_naive, "a_from_second_only+b_not_scaled"),
    ],
)
def test_scan_learner_mistakes_named(fn, mistake, capfd, recwarn):
    result = _quiet(SCAN, fn, capfd, recwarn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)
    assert "something else differs" not in result.message


def scan_into_first(first, second):
    a1, b1 = first
    a2, b2 = second
    b1 *= a2
    b1 += b2
    a1 *= a2
    return a1, b1


def scan_into_second(first, second):
    a1, b1 = first
    a2, b2 = second
    b2 += a2 * b1
    a2 *= a1
    return a2, b2


def scan_b_into_first_only(first, second):
    a1, b1 = first
    a2, b2 = second
    b1 *= a2  # only the offset updated in place: another change
    return a2 * a1, b1 + b2


@pytest.mark.parametrize(
    ("fn", "mistake", "name"),
    [(scan_into_first, "first_updated_in_place", "first"), (scan_into_second, "second_updated_in_place", "second"),
     (scan_b_into_first_only, None, "first")],
)
def test_scan_in_place_updates_are_changed_inputs(fn, mistake, name):
    result = SCAN.evaluate(fn)
    assert (result.status, result.mistake) == ("mutated_input", mistake), repr(result)
    assert f"`{name}`" in result.message and "in place" in result.message


@pytest.mark.parametrize(("fn", "name"), [(scan_into_first, "first"), (scan_into_second, "second")])
def test_scan_named_in_place_update_is_told_once(fn, name):
    result = SCAN.evaluate(fn)
    assert result.message == SCAN._fault[result.mistake].message  # the fault's own text, alone
    assert "The caller still needs it" not in result.message and result.message.count("in place") == 1
    assert result.details == [result.details[0]] and result.details[0].startswith(f"On the first case: {name}[")
    assert "changed at" in result.details[0] and ", was " in result.details[0]


def test_scan_other_in_place_update_gets_the_generic_text():
    result = SCAN.evaluate(scan_b_into_first_only)
    assert result.mistake is None and "The caller still needs it" in result.message
    assert result.details[0].startswith("first[1] changed at")


def test_scan_inputs_are_described_with_the_shapes_of_the_pairs():
    def raises(first, second):
        raise ValueError("no")

    result = SCAN.evaluate(raises)
    assert result.details[-1] == (
        "Inputs: first a pair of arrays (3, 4) = (B, H), second a pair of arrays (3, 4) = (B, H)"
    )
    assert "a tuple of 2" not in repr(SCAN.evaluate(scan_adds_b))


def test_scan_messages_explain_order_and_scaling():
    result = SCAN.evaluate(scan_backwards)
    assert "wrong order" in result.message and "not commutative" in result.message
    assert "`b` is wrong" in result.details[0]
    result = SCAN.evaluate(scan_adds_b)
    assert "scales everything" in result.message
    result = SCAN.evaluate(scan_b_first)
    assert "(b, a)" in result.message


def test_scan_other_statuses():
    def one_value(first, second):
        return scan_tuple(first, second)[0]

    def three_values(first, second):
        return (*scan_tuple(first, second), None)

    def matrix_product(first, second):
        a1, b1 = first
        a2, b2 = second
        return a2 @ a1, a2 @ b1 + b2

    assert SCAN.evaluate(one_value).status == "wrong_type"
    result = SCAN.evaluate(three_values)
    assert result.status == "wrong_type" and "3 values" in result.message
    assert SCAN.evaluate(matrix_product).status in ("error", "wrong_values", "wrong_shape")
    assert SCAN.evaluate(lambda first: first).status == "error"  # one parameter


# ============================================================================= causal_mask
def test_mask_cases():
    assert {f.name for f in MASK.faults} >= {
        "diagonal_masked", "one_future_allowed", "transposed", "bool_allowed", "bool_blocked", "multiplicative",
        "inf_times_zero", "large_negative_not_inf",
    }
    assert [c.args for c in MASK.cases][:3] == [(5,), (1,), (2,)]
    assert all(isinstance(c.args[0], int) for c in MASK.cases)
    for j, c in enumerate(MASK.cases):
        T = c.args[0]
        mask = MASK._expected(j)
        assert mask.dtype == np.float64 and mask.shape == (T, T)
        assert np.array_equal(mask == -np.inf, np.triu(np.ones((T, T), dtype=bool), k=1))
        assert (mask[np.tril_indices(T)] == 0).all()


def test_mask_equals_torch():
    torch = pytest.importorskip("torch")
    for T in (1, 2, 5, 8):
        expected = torch.nn.Transformer.generate_square_subsequent_mask(T).numpy()
        assert np.array_equal(attention.causal_mask(T), expected)


def mask_where(T):
    return np.where(np.triu(np.ones((T, T)), k=1) > 0, -np.inf, 0.0)


def mask_fill(T):
    mask = np.zeros((T, T))
    mask[np.triu_indices(T, k=1)] = -np.inf
    return mask


def mask_loops(T):
    mask = np.zeros((T, T))
    for t in range(T):
        for s in range(t + 1, T):
            mask[t, s] = float("-inf")
    return mask


def mask_triu_of_inf(T):
    return np.triu(np.full((T, T), -np.inf), k=1)


def mask_float32(T):
    return np.where(np.arange(T)[None, :] > np.arange(T)[:, None], -np.inf, 0.0).astype(np.float32)


def mask_torch(T):
    torch = pytest.importorskip("torch")
    return torch.nn.Transformer.generate_square_subsequent_mask(T).numpy()


@pytest.mark.parametrize("fn", [mask_where, mask_fill, mask_loops, mask_triu_of_inf, mask_float32, mask_torch])
def test_mask_learner_correct_variants_pass(fn):
    result = MASK.evaluate(fn)
    assert result.status == "pass", repr(result)


def mask_diagonal(T):
    return np.where(np.triu(np.ones((T, T), dtype=bool)), -np.inf, 0.0)


def mask_loops_diagonal(T):
    mask = np.zeros((T, T))
    for t in range(T):
        for s in range(t, T):  # from t: the query's own key blocked too
            mask[t, s] = -np.inf
    return mask


def mask_two_ahead(T):
    return np.where(np.triu(np.ones((T, T), dtype=bool), k=2), -np.inf, 0.0)


def mask_past(T):
    return np.where(np.tril(np.ones((T, T), dtype=bool), k=-1), -np.inf, 0.0)


def mask_bool_allowed(T):
    return np.tril(np.ones((T, T), dtype=bool))


def mask_bool_blocked(T):
    return np.triu(np.ones((T, T), dtype=bool), k=1)


def mask_bool_compare(T):
    t = np.arange(T)
    return t[None, :] > t[:, None]  # True where blocked


def mask_ones_allowed(T):
    return np.tril(np.ones((T, T)))


def mask_ones_blocked(T):
    return 1.0 - np.tril(np.ones((T, T)))  # the mask some tutorials scale by -1e9


def mask_inf_times(T):
    return -np.inf * np.triu(np.ones((T, T)), k=1)


def mask_minus_1e9(T):
    return np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -1e9, 0.0)


def mask_filled_minus_1e9(T):
    mask = np.zeros((T, T))
    mask[np.triu_indices(T, k=1)] = -1e9
    return mask


def mask_diagonal_minus_1e9(T):
    return np.triu(np.full((T, T), -1e9))


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (mask_diagonal, "diagonal_masked"),
        (mask_loops_diagonal, "diagonal_masked"),
        (mask_two_ahead, "one_future_allowed"),
        (mask_past, "transposed"),
        (mask_bool_allowed, "bool_allowed"),
        (mask_bool_blocked, "bool_blocked"),
        (mask_bool_compare, "bool_blocked"),
        (mask_ones_allowed, "multiplicative"),
        (mask_ones_blocked, "ones_where_blocked"),
        (mask_inf_times, "inf_times_zero"),
        (mask_minus_1e9, "large_negative_not_inf"),
        (mask_filled_minus_1e9, "large_negative_not_inf"),
        (mask_diagonal_minus_1e9, "diagonal_masked+large_negative_not_inf"),
    ],
)
def test_mask_learner_mistakes_named(fn, mistake, capfd, recwarn):
    result = _quiet(MASK, fn, capfd, recwarn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)
    assert "something else differs" not in result.message


def test_mask_messages_say_why():
    result = MASK.evaluate(mask_minus_1e9)
    assert "-inf" in result.message and "exactly 0" in result.message and "float16" in result.message
    assert "it is -1e+09, expected -inf" in result.details[0]
    for fn in (mask_bool_allowed, mask_bool_blocked):
        result = MASK.evaluate(fn)
        assert "additive" in result.message and "scaled_dot_product_attention" in result.message
        assert "dtype bool; expected floating-point numbers" in result.details[0]
    result = MASK.evaluate(mask_inf_times)
    assert "0 * (-inf)" in result.message and "NaN" in result.details[0]
    result = MASK.evaluate(mask_ones_allowed)
    assert "exp(0) = 1" in result.message
    result = MASK.evaluate(mask_diagonal)
    assert "itself" in result.message


def test_mask_messages_count_rows_from_0_and_say_so():
    result = MASK.evaluate(mask_diagonal)
    assert "row 0 (the first query) reads nothing" in result.message and "query 0" not in result.message
    hint = MASK.hints[0]
    assert "counted from 0" in hint and "counts positions from 1" in hint
    assert "columns 0, 1, ..., t, the first t + 1 keys" in hint
    assert all("query 0" not in text for text in [*MASK.hints, *(f.message for f in MASK.faults)])


@pytest.mark.parametrize("fn", [mask_diagonal, mask_loops_diagonal, mask_past])
def test_mask_details_make_no_log_remark_on_its_own_minus_inf(fn):
    """-inf is a value of the mask: a -inf where 0 is expected is no log(0)."""
    assert MASK.minus_inf_is_a_value and not ATTN.minus_inf_is_a_value and not SCAN.minus_inf_is_a_value
    result = MASK.evaluate(fn)
    details = " ".join(result.details)
    assert result.status == "mistake" and "where a finite value is expected" in details
    assert "log(0)" not in details and "log(0)" not in result.message


def test_mask_other_statuses():
    def ints(T):
        return np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -10**9, 0)

    def other_large_negative(T):
        return np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -1e10, 0.0)

    def nested_lists(T):
        return mask_fill(T).tolist()

    def one_row(T):
        return mask_fill(T)[-1]

    def plus_inf(T):
        return -mask_fill(T)

    result = MASK.evaluate(ints)
    assert result.status == "wrong_type" and "dtype int64; expected floating-point" in result.message
    result = MASK.evaluate(other_large_negative)
    assert result.status == "wrong_values" and "-1e+10, expected -inf" in result.message
    assert MASK.evaluate(nested_lists).status == "wrong_type"
    result = MASK.evaluate(one_row)
    assert result.status == "wrong_shape" and "(T, T)" in result.message
    assert MASK.evaluate(plus_inf).status == "wrong_values"
    assert MASK.evaluate(lambda: np.zeros((1, 1))).status == "error"  # no parameter


# ============================================================================= self_attention
def test_attention_cases():
    assert {f.name for f in ATTN.faults} >= {
        "scale_missing", "scaled_by_d", "softmax_over_queries", "mask_ignored", "mask_multiplied",
        "k_not_transposed", "unstable_softmax", "v_times_weights", "values_from_q",
    }
    labels = " ".join(c.label for c in ATTN.cases)
    for what in ("heads", "T != S", "causal mask", "padding", "T=1", "square", "large scores"):
        assert what in labels, what
    seen = {"lead": set(), "mask": 0, "no_mask": 0, "T!=S": 0, "dv!=d": 0, "square": 0}
    for c in ATTN.cases:
        q, k, v, mask = c.args
        T, d = q.shape[-2:]
        S, dv = v.shape[-2:]
        assert k.shape[-2:] == (S, d) and q.shape[:-2] == k.shape[:-2] == v.shape[:-2]
        seen["lead"].add(q.ndim - 2)
        seen["mask" if mask is not None else "no_mask"] += 1
        seen["T!=S"] += T != S
        seen["dv!=d"] += dv != d
        seen["square"] += T == S == d == dv
        assert d > 1  # with d = 1, no scale and the scales by d and sqrt(d) coincide
        if mask is not None:
            assert mask.shape == (T, S) and not (mask == -np.inf).all(axis=-1).any()
    assert seen["lead"] == {0, 1, 2} and seen["mask"] >= 2 and seen["no_mask"] >= 2
    assert seen["T!=S"] and seen["dv!=d"] and seen["square"] >= 2
    assert ATTN.cases[0].args[3] is not None  # the first case has a mask: the mask faults show at once
    # the large case is last, and exp overflows there unless each row's max is subtracted
    q, k, v, _ = ATTN.cases[-1].args
    assert ATTN.cases[-1].nonfinite_mistake == ("unstable_softmax", "global_max")
    assert (q @ k.T / np.sqrt(q.shape[-1])).max() > 2000
    assert all(c.nonfinite_mistake is None for c in ATTN.cases[:-1])


def test_attention_weights_rows_sum_to_one_and_masked_weights_are_zero():
    for j, c in enumerate(ATTN.cases):
        out, weights = ATTN._expected(j)
        assert np.allclose(weights.sum(-1), 1.0)
        mask = c.args[3]
        if mask is not None:
            assert (weights[..., mask == -np.inf] == 0).all()


def _softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attn_plain(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    weights = _softmax(scores)
    return weights @ v, weights


def attn_einsum(q, k, v, mask=None):
    scores = np.einsum("...td,...sd->...ts", q, k) / q.shape[-1] ** 0.5
    if mask is not None:
        scores += mask  # a new array: += on it changes no input
    weights = _softmax(scores)
    return np.einsum("...ts,...sv->...tv", weights, v), weights


def attn_scipy(q, k, v, mask=None):
    special = pytest.importorskip("scipy.special")
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    weights = special.softmax(scores if mask is None else scores + mask, axis=-1)
    return weights @ v, weights


def attn_masked_by_where(q, k, v, mask=None):
    scores = (q / np.sqrt(q.shape[-1])) @ np.swapaxes(k, -1, -2)
    if mask is not None:
        scores = np.where(mask == -np.inf, -np.inf, scores)
    weights = _softmax(scores)
    return weights @ v, weights


def attn_loops(q, k, v, mask=None):
    lead = q.shape[:-2]
    qs, ks, vs = (x.reshape(-1, *x.shape[-2:]) for x in (q, k, v))
    outs, weights = [], []
    for qb, kb, vb in zip(qs, ks, vs):
        w = np.zeros((qb.shape[0], kb.shape[0]))
        for t in range(qb.shape[0]):
            row = kb @ qb[t] / np.sqrt(len(qb[t]))
            if mask is not None:
                row = row + mask[t]
            w[t] = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        weights.append(w)
        outs.append(w @ vb)
    T, S, dv = q.shape[-2], k.shape[-2], v.shape[-1]
    return np.array(outs).reshape(*lead, T, dv), np.array(weights).reshape(*lead, T, S)


def attn_torch(q, k, v, mask=None):
    torch = pytest.importorskip("torch")
    t = [torch.as_tensor(x) for x in (q, k, v)]
    m = None if mask is None else torch.as_tensor(mask)
    out = torch.nn.functional.scaled_dot_product_attention(*t, attn_mask=m)
    scores = t[0] @ t[1].transpose(-1, -2) / q.shape[-1] ** 0.5
    weights = torch.softmax(scores if m is None else scores + m, dim=-1)
    return out.numpy(), weights.numpy()


def attn_list(q, k, v, mask=None):
    return list(attn_plain(q, k, v, mask))


@pytest.mark.parametrize("fn", [attn_plain, attn_einsum, attn_scipy, attn_masked_by_where, attn_loops, attn_torch,
                                attn_list])
def test_attention_learner_correct_variants_pass(fn):
    result = ATTN.evaluate(fn)
    assert result.status == "pass", repr(result)


def _attn_with(q, k, v, mask, *, scores=None, scale=None, combine=None, axis=-1, stable="row", values=None):
    """A learner's attention with one part done another way."""
    d = q.shape[-1]
    s = q @ np.swapaxes(k, -1, -2) if scores is None else scores(q, k)
    s = s / (np.sqrt(d) if scale is None else scale(d))
    if mask is not None:
        s = s + mask if combine is None else combine(s, mask)
    if stable == "row":
        s = s - s.max(axis=axis, keepdims=True)
    elif stable == "global":
        s = s - s.max()
    e = np.exp(s)
    w = e / e.sum(axis=axis, keepdims=True)
    return (w @ v if values is None else values(w, q, k, v)), w


def attn_unscaled(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, scale=lambda d: 1.0)


def attn_by_d(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, scale=lambda d: d)


def attn_columns(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, axis=-2)


def attn_columns_scipy(q, k, v, mask=None):
    special = pytest.importorskip("scipy.special")
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    weights = special.softmax(scores if mask is None else scores + mask, axis=-2)
    return weights @ v, weights


def attn_no_keepdims(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    e = np.exp(scores - scores.max(axis=-1))
    weights = e / e.sum(axis=-1)
    return weights @ v, weights


def attn_max_no_keepdims(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    e = np.exp(scores - scores.max(axis=-1))  # keepdims on the sum only
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def attn_sum_no_keepdims(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1)  # keepdims on the max only
    return weights @ v, weights


def attn_mask_forgotten(q, k, v, mask=None):
    return _attn_with(q, k, v, None)


def attn_mask_times(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, combine=lambda s, m: s * m)


def attn_q_at_k(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, scores=lambda q, k: q @ k)


def attn_k_T(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, scores=lambda q, k: q @ k.T)


def attn_naive_softmax(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, stable=None)


def attn_global_max(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, stable="global")


def attn_global_max_by_np_max(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    e = np.exp(scores - np.max(scores))  # one number for every row of every head
    weights = e / np.sum(e, axis=-1, keepdims=True)
    return weights @ v, weights


def attn_v_first(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, values=lambda w, q, k, v: v @ w)


def attn_reads_queries(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, values=lambda w, q, k, v: w @ q)


def attn_reads_keys(q, k, v, mask=None):
    return _attn_with(q, k, v, mask, values=lambda w, q, k, v: w @ k)


def attn_unscaled_unmasked(q, k, v, mask=None):
    return _attn_with(q, k, None, None, scale=lambda d: 1.0, values=lambda w, q, k, _: w @ v)


@pytest.mark.parametrize(
    ("fn", "mistake"),
    [
        (attn_unscaled, "scale_missing"),
        (attn_by_d, "scaled_by_d"),
        (attn_columns, "softmax_over_queries"),
        (attn_columns_scipy, "softmax_over_queries"),
        (attn_no_keepdims, "keepdims_missing"),
        (attn_max_no_keepdims, "max_keepdims_missing"),
        (attn_sum_no_keepdims, "sum_keepdims_missing"),
        (attn_mask_forgotten, "mask_ignored"),
        (attn_mask_times, "mask_multiplied"),
        (attn_q_at_k, "k_not_transposed"),
        (attn_k_T, "k_T_reverses_all_axes"),
        (attn_naive_softmax, "unstable_softmax"),
        (attn_global_max, "global_max"),
        (attn_global_max_by_np_max, "global_max"),
        (attn_v_first, "v_times_weights"),
        (attn_reads_queries, "values_from_q"),
        (attn_reads_keys, "values_from_k"),
        (attn_unscaled_unmasked, "scale_missing+mask_ignored"),
    ],
)
def test_attention_learner_mistakes_named(fn, mistake, capfd, recwarn):
    result = _quiet(ATTN, fn, capfd, recwarn)
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)
    assert "something else differs" not in result.message


def test_attention_shape_errors_are_named_with_the_learner_line():
    for fn, line in ((attn_q_at_k, "q @ k"), (attn_k_T, "q @ k.T"), (attn_no_keepdims, "scores.max(axis=-1)"),
                     (attn_max_no_keepdims, "scores.max(axis=-1)"), (attn_sum_no_keepdims, "e.sum(axis=-1)")):
        result = ATTN.evaluate(fn)
        assert result.status == "mistake" and "raises ValueError" in result.message, repr(result)
        assert any(line in d for d in result.details), result.details


def test_attention_keepdims_messages_name_the_reduction_that_lost_its_axis():
    result = ATTN.evaluate(attn_max_no_keepdims)
    assert "max over the keys without `keepdims=True` (the sum keeps it)" in result.message
    assert ".max(axis=-1, keepdims=True)" in result.hint and ".sum(" not in result.hint
    result = ATTN.evaluate(attn_sum_no_keepdims)
    assert "sum over the keys taken without `keepdims=True` (the max keeps it)" in result.message
    assert ".sum(axis=-1, keepdims=True)" in result.hint and ".max(" not in result.hint
    result = ATTN.evaluate(attn_no_keepdims)
    assert "both the max and the sum" in result.message


def test_attention_overflow_is_told_on_the_large_case():
    result = ATTN.evaluate(attn_naive_softmax)
    assert result.message.startswith("Your softmax overflows on large scores")
    assert "709" in result.message and "each row" in result.message
    assert "one maximum for the whole array" not in result.message
    assert "large scores" in result.details[0] and "NaN" in result.details[0]


def test_attention_global_max_is_told_apart_from_overflow():
    for fn in (attn_global_max, attn_global_max_by_np_max):
        result = ATTN.evaluate(fn)
        first = result.message.split(": ")[0]  # the first clause: what is wrong and what is asked
        assert first.startswith("Your softmax subtracts one maximum for the whole array")
        assert "per row" in first and first.endswith("(axis=-1, keepdims=True)")
        assert "overflows" not in result.message
        assert "underflows" in result.message and "0 / 0 is NaN" in result.message
        assert "large scores" in result.details[0] and "NaN" in result.details[0]
        assert ".max(axis=-1, keepdims=True)" in result.hint


def test_attention_other_statuses():
    def only_out(q, k, v, mask=None):
        return attn_plain(q, k, v, mask)[0]

    def swapped(q, k, v, mask=None):
        out, weights = attn_plain(q, k, v, mask)
        return weights, out

    def scales_q_in_place(q, k, v, mask=None):
        q /= np.sqrt(q.shape[-1])
        scores = q @ np.swapaxes(k, -1, -2)
        if mask is not None:
            scores = scores + mask
        weights = _softmax(scores)
        return weights @ v, weights

    def no_mask_parameter(q, k, v):
        return attn_plain(q, k, v)

    result = ATTN.evaluate(only_out)
    assert result.status == "wrong_type" and "expected a tuple (out, weights)" in result.message
    assert ATTN.evaluate(swapped).status == "wrong_shape"
    result = ATTN.evaluate(scales_q_in_place)
    assert result.status == "mutated_input" and "`q`" in result.message
    assert ATTN.evaluate(no_mask_parameter).status == "error"
