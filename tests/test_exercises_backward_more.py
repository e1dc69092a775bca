"""The exercises gru_step_backward (lesson 7) and embedding_backward (lesson 8).

Their references against central differences in float64, against torch autograd (skipped
without torch) and against the package's own backward passes; their cases; and answers
written the way a learner would write them (not the catalogue's own variants), each with one
known mistake, get exactly that mistake named. The catalogue tests (every variant named, all
variants far apart) and the behaviour tests run over these exercises too.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import rnncourse.exercises as ex
from rnncourse.exercises import solutions as S
from rnncourse.exercises.gradients import max_rel_error, numerical_gradients
from rnncourse.numpy import Embedding, embedding_backward
from rnncourse.numpy import gru as numpy_gru

pytestmark = pytest.mark.usefixtures("exercise_isolation")

SHAPES = [(3, 4, 5), (1, 3, 2), (2, 3, 1), (4, 2, 3)]  # (B, D, H)


def _gru_inputs(rng, B, D, H, scale=1.0):
    return (
        rng.normal(0, 1, (B, H)),  # dh_next
        rng.normal(0, 1, (B, D)),  # x
        rng.uniform(-0.8, 0.8, (B, H)),  # h_prev
        rng.normal(0, scale / np.sqrt(D), (3 * H, D)),  # W_xh
        rng.normal(0, scale / np.sqrt(H), (3 * H, H)),  # W_hh
        rng.normal(0, 0.5, 3 * H),  # b_xh
        rng.normal(0, 0.5, 3 * H),  # b_hh
    )


# ----------------------------------------------------------------------------- GRU: the reference
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize(("B", "D", "H"), SHAPES)
def test_gru_reference_equals_the_package_backward(B, D, H, reset_after):
    dh, x, h, W_xh, W_hh, b_xh, b_hh = _gru_inputs(np.random.default_rng(B * 100 + H), B, D, H, scale=1.5)
    ours = S.gru_step_backward(dh, x, h, W_xh, W_hh, b_xh, b_hh, reset_after)
    _, cache = numpy_gru.gru_step_forward(x, h, W_xh, W_hh, b_xh, b_hh, reset_after=reset_after)
    theirs = numpy_gru.gru_step_backward(dh, cache)
    assert len(ours) == len(theirs) == 6
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize(("B", "D", "H"), SHAPES)
def test_gru_reference_against_central_differences(B, D, H, reset_after):
    dh, *inputs = _gru_inputs(np.random.default_rng(7 + B + D + H), B, D, H, scale=1.5)

    def loss():
        h_next, _ = numpy_gru.gru_step_forward(*inputs, reset_after=reset_after)
        return float(np.sum(dh * h_next))

    x, h, W_xh, W_hh, b_xh, b_hh = inputs
    grads = S.gru_step_backward(dh, x, h, W_xh, W_hh, b_xh, b_hh, reset_after)
    assert max_rel_error(grads, numerical_gradients(loss, inputs)) < 1e-7


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_reference_matches_torch_autograd(reset_after):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    B, D, H = 3, 4, 5
    dh, x, h, W_xh, W_hh, b_xh, b_hh = _gru_inputs(rng, B, D, H, scale=1.5)
    f64 = torch.float64
    tx, th = (torch.tensor(a, dtype=f64, requires_grad=True) for a in (x, h))
    if reset_after:  # PyTorch's own cell
        cell = torch.nn.GRUCell(D, H, dtype=f64)
        with torch.no_grad():
            for p, a in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (W_xh, W_hh, b_xh, b_hh)):
                p.copy_(torch.tensor(a))
        params = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        h_next = cell(tx, th)
    else:  # Cho et al.'s placement, written out
        params = tuple(torch.tensor(a, dtype=f64, requires_grad=True) for a in (W_xh, W_hh, b_xh, b_hh))
        tW_xh, tW_hh, tb_xh, tb_hh = params
        gx = tx @ tW_xh.T + tb_xh
        r = torch.sigmoid(gx[:, :H] + th @ tW_hh[:H].T + tb_hh[:H])
        z = torch.sigmoid(gx[:, H:2 * H] + th @ tW_hh[H:2 * H].T + tb_hh[H:2 * H])
        n = torch.tanh(gx[:, 2 * H:] + (r * th) @ tW_hh[2 * H:].T + tb_hh[2 * H:])
        h_next = (1 - z) * n + z * th
    (h_next * torch.tensor(dh)).sum().backward()
    ours = S.gru_step_backward(dh, x, h, W_xh, W_hh, b_xh, b_hh, reset_after)
    for a, t in zip(ours, (tx, th, *params)):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gru_reference_leaves_its_inputs_unchanged():
    args = _gru_inputs(np.random.default_rng(3), 3, 4, 5)
    before = [a.copy() for a in args]
    for reset_after in (True, False):
        S.gru_step_backward(*args, reset_after)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


def test_gru_cases_cover_both_placements_and_small_dimensions():
    cases = ex.gru_step_backward.cases
    assert cases[0].args[-1] is True and cases[1].args[-1] is False  # a learner who ignores the flag fails early
    placements = {c.args[-1] for c in cases}
    assert placements == {True, False}
    shapes = [(c.dims["B"], c.dims["D"], c.dims["H"]) for c in cases]
    assert any(B == 1 for B, _, _ in shapes) and any(H == 1 for _, _, H in shapes)
    assert any(D != H for _, D, H in shapes)
    assert all(B != 3 * H for B, _, H in shapes)  # a bias summed over the wrong axis has the wrong shape
    for c in cases:  # moderate scale: the gates and the candidate are not saturated
        dh, x, h, W_xh, W_hh, b_xh, b_hh, reset_after = c.args
        grads = S.gru_step_backward(dh, x, h, W_xh, W_hh, b_xh, b_hh, reset_after)
        assert all(np.all(np.isfinite(g)) for g in grads)
        a = x @ W_xh.T + b_xh + h @ W_hh.T + b_hh
        assert np.abs(a).max() < 6


def test_gru_pass_verifies_the_gradients():
    result = ex.gru_step_backward.evaluate(S.gru_step_backward)
    assert result.status == "pass"
    assert any("finite differences" in v for v in result.verified)


# ----------------------------------------------------------------------------- GRU: learners' answers
def _learner_gru(mistake=None):
    """A GRU step backward as a learner might write it: gate by gate, with separate weight
    blocks, and with at most one known mistake."""

    def answer(dh_next, x, h_prev, W_xh, W_hh, b_xh, b_hh, reset_after=True):
        def sig(a):
            return 1 / (1 + np.exp(-a))

        W_ir, W_iz, W_in = np.split(W_xh, 3)
        W_hr, W_hz, W_hn = np.split(W_hh, 3)
        b_ir, b_iz, b_in = np.split(b_xh, 3)
        b_hr, b_hz, b_hn = np.split(b_hh, 3)
        after = {"reset_after_ignored": True, "reset_before_always": False}.get(mistake, reset_after)
        r = sig(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
        z = sig(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
        hn = h_prev @ W_hn.T + b_hn
        rh = r * h_prev
        if after:
            n = np.tanh(x @ W_in.T + b_in + r * hn)
        else:
            n = np.tanh(x @ W_in.T + b_in + rh @ W_hn.T + b_hn)
        if mistake == "z_swapped":
            dn, dh_prev = dh_next * z, dh_next * (1 - z)
        else:
            dn, dh_prev = dh_next * (1 - z), dh_next * z
        if mistake == "direct_path_missing":
            dh_prev = np.zeros_like(h_prev)
        dz = dh_next * (n - h_prev) if mistake == "dz_sign_flipped" else dh_next * (h_prev - n)
        dan = dn if mistake == "missing_tanh_derivative" else dn * (1 - n * n)
        T = (lambda W: W.T) if mistake == "W_hh_transposed" else (lambda W: W)
        if after != (mistake == "reset_formula_swapped"):
            dhn = dan * r
            dr = dan * hn
            dh_prev = dh_prev + dhn @ T(W_hn)
            dW_hn = h_prev.T @ dhn if mistake == "dW_hh_transposed" else dhn.T @ h_prev
            db_hn = dhn.sum(axis=0)
        else:
            drh = dan @ T(W_hn)
            dr = drh * h_prev
            dh_prev = dh_prev + drh * r
            dW_hn = rh.T @ dan if mistake == "dW_hh_transposed" else dan.T @ rh
            db_hn = dan.sum(axis=0)
        if mistake == "reset_path_missing":
            dr = 0 * dr
        if mistake == "missing_sigmoid_derivative":
            dar, daz = dr, dz
        else:
            dar, daz = dr * r * (1 - r), dz * z * (1 - z)
        dh_prev = dh_prev + dar @ T(W_hr) + daz @ T(W_hz)
        dx = dar @ W_ir + daz @ W_iz + dan @ W_in
        dW_xh = np.vstack([dar.T @ x, daz.T @ x, dan.T @ x])
        if mistake == "dW_hh_transposed":
            dW_hh = np.vstack([h_prev.T @ dar, h_prev.T @ daz, dW_hn])
        else:
            dW_hh = np.vstack([dar.T @ h_prev, daz.T @ h_prev, dW_hn])
        per_example = np.hstack([dar, daz, dan])  # (B, 3H)
        if mistake == "db_mean_over_batch":
            db_xh = per_example.mean(axis=0)
        elif mistake == "db_summed_over_units":
            db_xh = per_example.sum(axis=1)
        elif mistake == "db_not_summed":
            db_xh = per_example
        else:
            db_xh = np.sum(per_example, axis=0)
        if mistake == "db_hh_equals_db_xh":
            db_hh = db_xh.copy()
        elif mistake in ("db_mean_over_batch", "db_summed_over_units", "db_not_summed"):
            per_example_hh = np.hstack([dar, daz, dan * r if after else dan])
            db_hh = {"db_mean_over_batch": per_example_hh.mean(axis=0),
                     "db_summed_over_units": per_example_hh.sum(axis=1),
                     "db_not_summed": per_example_hh}[mistake]
        else:
            db_hh = np.concatenate([dar.sum(axis=0), daz.sum(axis=0), db_hn])
        return dx, dh_prev, dW_xh, dW_hh, db_xh, db_hh

    return answer


def test_learner_gru_without_mistakes_passes():
    result = ex.gru_step_backward.evaluate(_learner_gru())
    assert result.status == "pass", repr(result)


GRU_MISTAKES = [f.name for f in ex.gru_step_backward.faults]


def test_every_gru_mistake_has_a_learner_answer():
    source = inspect.getsource(_learner_gru)
    assert all(f'"{name}"' in source for name in GRU_MISTAKES)


@pytest.mark.parametrize("mistake", GRU_MISTAKES)
def test_learner_gru_mistake_is_named(mistake):
    result = ex.gru_step_backward.evaluate(_learner_gru(mistake))
    assert (result.status, result.mistake) == ("mistake", mistake), repr(result)
    assert result.hint


def test_gru_answer_that_works_in_place_on_dh_next_is_mutated_input():
    def answer(dh_next, x, h_prev, W_xh, W_hh, b_xh, b_hh, reset_after=True):
        out = S.gru_step_backward(dh_next.copy(), x, h_prev, W_xh, W_hh, b_xh, b_hh, reset_after)
        dh_next *= 2  # reuses the caller's array
        return out

    assert ex.gru_step_backward.evaluate(answer).status == "mutated_input"


def test_gru_answer_with_a_wrong_sign_everywhere_is_wrong_values_not_a_crash():
    def answer(*args):
        return tuple(-g for g in S.gru_step_backward(*args))

    result = ex.gru_step_backward.evaluate(answer)
    assert result.status in ("wrong_values", "mistake")
    assert result.status != "pass"


def test_gru_stub_as_shipped_in_the_lesson_is_not_attempted():
    namespace = {}
    exec(
        "def gru_step_backward(dh_next, x, h_prev, W_xh, W_hh, b_xh, b_hh,\n"
        "                      reset_after=True):\n"
        '    """dh_next (B, H) -> (dx, dh_prev, dW_xh, dW_hh, db_xh, db_hh)"""\n'
        "    ...  # your code here\n",
        namespace,
    )
    assert ex.gru_step_backward.evaluate(namespace["gru_step_backward"]).status == "not_attempted"


# ----------------------------------------------------------------------------- embedding: the reference
def test_embedding_golden_values_with_repeats():
    ids = np.array([[1, 1], [0, 1]])
    d_out = np.arange(12, dtype=float).reshape(2, 2, 3)
    dW = embedding_backward(ids, d_out, 3)
    np.testing.assert_array_equal(dW, [[6, 7, 8], [0 + 3 + 9, 1 + 4 + 10, 2 + 5 + 11], [0, 0, 0]])
    assert dW.dtype == np.float64


@pytest.mark.parametrize(("T", "B", "V", "E"), [(5, 3, 7, 4), (1, 1, 2, 3), (6, 1, 3, 2), (1, 5, 4, 1)])
def test_embedding_reference_against_central_differences(T, B, V, E):
    rng = np.random.default_rng(T * 10 + B)
    ids = rng.integers(0, V, (T, B))
    d_out = rng.normal(size=(T, B, E))
    W = rng.normal(size=(V, E))

    def loss():
        return float(np.sum(d_out * W[ids]))

    assert max_rel_error([embedding_backward(ids, d_out, V)], numerical_gradients(loss, [W])) < 1e-8


def test_embedding_reference_matches_torch_and_the_layer():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    V, E = 6, 3
    ids = rng.integers(0, V, (5, 4))
    ids[0, :3] = 2  # repeats
    d_out = rng.normal(size=(5, 4, E))
    table = torch.nn.Embedding(V, E, dtype=torch.float64)
    (table(torch.from_numpy(ids)) * torch.from_numpy(d_out)).sum().backward()
    ours = embedding_backward(ids, d_out, V)
    np.testing.assert_allclose(ours, table.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    layer = Embedding(V, E, rng=0)
    layer(ids)
    layer.backward(d_out)
    np.testing.assert_array_equal(layer.grads["weight"], ours)  # one source for both


def test_embedding_reference_keeps_float32_and_leaves_its_inputs_unchanged():
    rng = np.random.default_rng(6)
    ids = rng.integers(0, 4, (3, 2))
    d_out = rng.normal(size=(3, 2, 5)).astype(np.float32)
    before = ids.copy(), d_out.copy()
    dW = embedding_backward(ids, d_out, 4)
    assert dW.shape == (4, 5) and dW.dtype == np.float32
    np.testing.assert_array_equal(ids, before[0])
    np.testing.assert_array_equal(d_out, before[1])
    layer = Embedding(4, 5, dtype=np.float32)
    layer(ids)
    layer.backward(d_out)
    assert layer.grads["weight"].dtype == np.float32


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((np.array([[0.0, 1.0]]), np.ones((1, 2, 3)), 4), TypeError),  # float ids
        ((np.array([[0, 4]]), np.ones((1, 2, 3)), 4), ValueError),  # id out of range
        ((np.array([[0, -1]]), np.ones((1, 2, 3)), 4), ValueError),
        ((np.array([[0, 1]]), np.ones((2, 1, 3)), 4), ValueError),  # d_out not ids.shape + (E,)
        ((np.array([[0, 1]]), np.ones((1, 2)), 4), ValueError),
        ((np.array([[0, 1]]), np.ones((1, 2, 3)), 0), ValueError),
        ((np.array([[0, 1]]), np.ones((1, 2, 3)), 2.0), TypeError),
    ],
)
def test_embedding_backward_checks_its_arguments(args, error):
    with pytest.raises(error):
        embedding_backward(*args)


def test_embedding_source_is_the_function_alone_and_fits_the_solution_box():
    source = inspect.getsource(embedding_backward)
    assert source.startswith("def embedding_backward(ids, d_out, num_embeddings):")
    assert "raise" not in source  # the checks are in the wrapper
    assert max(map(len, source.splitlines())) <= 66
    assert max(map(len, inspect.getsource(S.gru_step_backward).splitlines())) <= 66


def test_embedding_cases_have_repeats_and_unread_ids():
    cases = ex.embedding_backward.cases
    ids, d_out, V = cases[0].args
    for row in ids:  # the first case: a repeat inside one step, and ids read at several steps
        if len(set(row.tolist())) < len(row):
            break
    else:
        pytest.fail("no repeat within a step in the first case")
    steps_of = {v: {t for t in range(len(ids)) if v in ids[t]} for v in np.unique(ids)}
    assert any(len(steps) > 1 for steps in steps_of.values())  # and an id read at several steps
    assert any(len(np.unique(c.args[0])) < c.args[2] for c in cases)  # rows that stay zero
    assert all(c.args[1].shape[-1] != c.args[2] for c in cases)  # E != V: a transposed dW has another shape
    assert any(c.args[0].shape == (1, 1) for c in cases)
    assert all(np.issubdtype(c.args[0].dtype, np.integer) for c in cases)


# ----------------------------------------------------------------------------- embedding: learners' answers
def _loop(ids, d_out, num_embeddings):
    dW = np.zeros((num_embeddings, d_out.shape[-1]))
    T, B = ids.shape
    for t in range(T):
        for b in range(B):
            dW[ids[t, b]] += d_out[t, b]
    return dW


def _one_hot_product(ids, d_out, num_embeddings):
    E = d_out.shape[-1]
    one_hot = np.eye(num_embeddings)[ids.reshape(-1)]  # (T B, V)
    return one_hot.T @ d_out.reshape(-1, E)


def _bincount(ids, d_out, num_embeddings):
    flat, g = ids.ravel(), d_out.reshape(-1, d_out.shape[-1])
    return np.stack([np.bincount(flat, weights=g[:, k], minlength=num_embeddings) for k in range(g.shape[1])], 1)


def _fancy_add(ids, d_out, num_embeddings):
    dW = np.zeros((num_embeddings, d_out.shape[-1]))
    dW[ids] += d_out
    return dW


def _fancy_assign(ids, d_out, num_embeddings):
    dW = np.zeros((num_embeddings, d_out.shape[-1]))
    dW[ids] = d_out
    return dW


def _per_step(ids, d_out, num_embeddings):
    dW = np.zeros((num_embeddings, d_out.shape[-1]))
    for t in range(len(ids)):
        dW[ids[t]] += d_out[t]
    return dW


def _columns(ids, d_out, num_embeddings):
    dW = np.zeros((d_out.shape[-1], num_embeddings))  # (E, V)
    for t, b in np.ndindex(ids.shape):
        dW[:, ids[t, b]] += d_out[t, b]
    return dW


def _ids_dtype(ids, d_out, num_embeddings):
    dW = np.zeros((num_embeddings, d_out.shape[-1]), dtype=ids.dtype)
    np.add.at(dW, ids, d_out)
    return dW


def _flattened_differently(ids, d_out, num_embeddings):
    E = d_out.shape[-1]
    dW = np.zeros((num_embeddings, E))
    np.add.at(dW, ids.T.ravel(), d_out.reshape(-1, E))
    return dW


def _zeros_like_ids(ids, d_out, num_embeddings):
    dW = np.zeros_like(ids, shape=(num_embeddings, d_out.shape[-1]))  # int, like ids
    for t, b in np.ndindex(ids.shape):
        dW[ids[t, b]] = dW[ids[t, b]] + d_out[t, b]
    return dW


def _flattened_in_place(ids, d_out, num_embeddings):
    E = d_out.shape[-1]
    ids.shape = (-1,)  # reshapes the caller's arrays too
    d_out.shape = (-1, E)
    dW = np.zeros((num_embeddings, E))
    np.add.at(dW, ids, d_out)
    return dW


@pytest.mark.parametrize(
    ("fn", "status", "mistake"),
    [
        (_loop, "pass", None),
        (_one_hot_product, "pass", None),
        (_bincount, "pass", None),
        (_fancy_add, "mistake", "repeated_ids_lost"),
        (_fancy_assign, "mistake", "repeated_ids_lost"),
        (_per_step, "mistake", "repeats_lost_within_a_step"),
        (_columns, "mistake", "transposed"),
        (_ids_dtype, "mistake", "integer_dtype"),
        (_zeros_like_ids, "mistake", "integer_dtype"),
        (_flattened_differently, "mistake", "ids_axes_swapped"),
        (_flattened_in_place, "mutated_input", None),
    ],
)
def test_embedding_learner_answers(fn, status, mistake):
    result = ex.embedding_backward.evaluate(fn)
    assert result.status == status, repr(result)
    if mistake is not None:
        assert result.mistake == mistake, repr(result)


def test_every_embedding_mistake_has_a_learner_answer():
    named = {"repeated_ids_lost", "repeats_lost_within_a_step", "transposed", "integer_dtype", "ids_axes_swapped"}
    assert named == {f.name for f in ex.embedding_backward.faults}


def test_embedding_repeats_lost_says_why():
    result = ex.embedding_backward.evaluate(_fancy_add)
    assert "dW[ids] += d_out" in result.message and "np.add.at" in result.hint


def test_embedding_stub_as_shipped_in_the_lesson_is_not_attempted():
    namespace = {}
    exec(
        "def embedding_backward(ids, d_out, num_embeddings):\n"
        '    """ids (T, B), d_out (T, B, E) -> dW (V, E)"""\n'
        "    ...  # your code here\n",
        namespace,
    )
    assert ex.embedding_backward.evaluate(namespace["embedding_backward"]).status == "not_attempted"


def test_both_exercises_are_registered_under_their_lessons():
    assert ex.get("gru_step_backward").lesson == "07_pytorch_layers"
    assert ex.get("embedding_backward").lesson == "08_deep_bidirectional"
    order = list(ex.EXERCISES)
    assert order.index("padding_mask") < order.index("embedding_backward")
    assert order.index("gru_step_backward") < order.index("detach_state")
