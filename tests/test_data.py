"""rnncourse.data: the generated sequence tasks."""

import numpy as np
import pytest

from rnncourse.data import (ADDING_BASELINE_MSE, CharVocab, adding_problem, as_generator,
                            copy_task, copy_task_baseline, temporal_xor)


def test_adding_problem_shapes_and_targets():
    x, y = adding_problem(batch_size=3, T=7, rng=np.random.default_rng(0))
    assert x.shape == (7, 3, 2) and y.shape == (3, 1)
    assert np.array_equal(x[:, :, 1].sum(axis=0), [2, 2, 2])
    for b in range(3):
        marked = np.flatnonzero(x[:, b, 1])
        assert marked[0] < 7 // 2 <= marked[1]
        assert y[b, 0] == pytest.approx(x[marked, b, 0].sum())


def test_adding_problem_golden_values():
    x, y = adding_problem(batch_size=1, T=2, rng=np.random.default_rng(42))
    # T=2: both steps are marked, so the target is the sum of the two values.
    assert np.array_equal(x[:, 0, 1], [1.0, 1.0])
    assert y[0, 0] == pytest.approx(x[0, 0, 0] + x[1, 0, 0])
    assert x[0, 0, 0] == pytest.approx(np.random.default_rng(42).uniform(size=(2, 1))[0, 0])


def test_adding_problem_baseline_is_the_target_variance():
    _, y = adding_problem(batch_size=20000, T=10, rng=np.random.default_rng(1))
    assert y.mean() == pytest.approx(1.0, abs=0.02)
    assert y.var() == pytest.approx(ADDING_BASELINE_MSE, rel=0.05)


def test_adding_problem_is_reproducible_and_leaves_global_state():
    state = np.random.get_state()[1].copy()
    a = adding_problem(4, 9, rng=5)
    b = adding_problem(4, 9, rng=5)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert np.array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0, T=5), "batch_size must be a positive integer"),
    (dict(batch_size=2, T=1), "T must be at least 2"),
    (dict(batch_size=2, T=5, rng="seed"), "rng must be a numpy.random.Generator"),
])
def test_adding_problem_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        adding_problem(**kwargs)


def test_copy_task_layout():
    x, y = copy_task(batch_size=2, delay=3, n_symbols=4, length=5, rng=0)
    T = 2 * 5 + 3
    assert x.shape == y.shape == (T, 2)
    assert np.array_equal(y[-5:], x[:5])
    assert np.all(x[5:8] == 0) and np.all(x[8] == 5) and np.all(x[9:] == 0)
    assert np.all(y[:-5] == 0) and x[:5].min() >= 1 and x[:5].max() <= 4


def test_copy_task_baseline_value():
    assert copy_task_baseline(delay=0, n_symbols=8, length=10) == pytest.approx(np.log(8) / 2)


def test_temporal_xor_every_third_bit_is_the_xor():
    x, y = temporal_xor(n_pairs=50, rng=3)
    stream = np.append(x[:, 0, 0], y[-1, 0, 0]).astype(int)
    triples = stream.reshape(-1, 3)
    assert np.array_equal(triples[:, 2], triples[:, 0] ^ triples[:, 1])
    assert np.array_equal(x[1:, 0, 0], y[:-1, 0, 0])


def test_char_vocab_round_trip_and_errors():
    vocab = CharVocab("hello world")
    assert len(vocab) == 8 and vocab.chars[0] == " "
    ids = vocab.encode("world")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "world"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("z")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 7\]"):
        vocab.decode([8])


def test_as_generator_passes_generators_through():
    g = np.random.default_rng(0)
    assert as_generator(g) is g


@pytest.mark.parametrize("B, T", [(1, 1), (3, 1), (1, 7), (4, 50)])
def test_prefix_parity_targets_are_the_running_parity(B, T):
    from rnncourse.data import prefix_parity

    x, y = prefix_parity(B, T, rng=0)
    assert x.shape == (T, B, 1) and x.dtype == np.float32 and y.shape == (T, B) and y.dtype == np.int64
    assert set(np.unique(x)) <= {0.0, 1.0}
    bits = x[:, :, 0].astype(int)
    for t in range(T):
        np.testing.assert_array_equal(y[t], bits[:t + 1].sum(axis=0) % 2)


def test_prefix_parity_is_deterministic_and_fair():
    from rnncourse.data import prefix_parity

    x1, y1 = prefix_parity(64, 100, rng=3)
    x2, y2 = prefix_parity(64, 100, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert 0.45 < y1.mean() < 0.55


@pytest.mark.parametrize("B, T", [(0, 5), (5, 0), (2.5, 5)])
def test_prefix_parity_rejects_bad_sizes(B, T):
    from rnncourse.data import prefix_parity

    with pytest.raises(ValueError, match="must be a positive integer"):
        prefix_parity(B, T)
