"""rnncourse.experiments: the adding-problem experiment the lessons measure."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnncourse.data import ADDING_BASELINE_MSE  # noqa: E402
from rnncourse.experiments import SequenceRegressor, train_adding  # noqa: E402


def test_train_adding_is_deterministic_and_leaves_global_rng_alone():
    np_state = np.random.get_state()[1].copy()
    torch_state = torch.random.get_rng_state().clone()
    a = train_adding("gru", T=8, hidden_size=4, steps=5, eval_size=20, seed=3)
    b = train_adding("gru", T=8, hidden_size=4, steps=5, eval_size=20, seed=3)
    assert a.losses == b.losses and a.eval_mse == b.eval_mse
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_train_adding_reports_baseline_of_the_heldout_batch():
    r = train_adding("rnn", T=6, hidden_size=3, steps=2, eval_size=4000, seed=0)
    assert len(r.losses) == 2
    assert r.baseline_mse == pytest.approx(ADDING_BASELINE_MSE, rel=0.1)


def test_train_adding_learns_a_short_adding_problem():
    r = train_adding("lstm", T=5, hidden_size=16, steps=300, lr=1e-2, eval_size=500, seed=0)
    assert r.eval_mse < 0.2 * r.baseline_mse
    assert np.mean(r.losses[-20:]) < 0.2 * np.mean(r.losses[:20])


def test_sequence_regressor_forget_bias_and_shapes():
    g = torch.Generator().manual_seed(0)
    m = SequenceRegressor("lstm", 2, 5, generator=g, forget_bias=1.0)
    b = m.rnn.bias_hh_l0.detach()
    assert torch.all(b[5:10] > 0.5) and torch.all(b[:5].abs() <= 1 / np.sqrt(5))
    assert m(torch.zeros(7, 3, 2)).shape == (3, 1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(cell="tanh"), "cell must be one of"),
    (dict(cell="gru", forget_bias=1.0), "forget_bias applies to the LSTM only"),
])
def test_sequence_regressor_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SequenceRegressor(input_size=2, hidden_size=3, **kwargs)


def test_train_adding_rejects_nonpositive_steps():
    with pytest.raises(ValueError, match="must be positive"):
        train_adding("rnn", T=5, steps=0)
