"""``rnncourse.models.parity``: the per-step parity classifier, its training loop and its
accuracy, on small shapes and a few steps (nothing here trains to convergence)."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from torch import nn

from rnncourse.models.parity import CELLS, ParityModel, fit_parity, parity_accuracy
from rnncourse.torch import MinGRU


def _small_fit(model, **kwargs):
    return fit_parity(model, **{"T": 6, "steps": 3, "batch_size": 4, **kwargs})


def _parity_by_hand(k: float = 20.0) -> ParityModel:
    """A signed-minGRU model set by hand to be right at every step of any length.

    The layer flips h -> 1 - h on a 1 and keeps h on a 0 (decay -1 and +1 exactly in float64,
    candidate 1/2), so h_t is the parity; the head says "odd" when h > 1/2.
    """
    model = ParityModel("mingru_signed", 1)
    model.double()
    with torch.no_grad():
        model.rnn.weight_ih.copy_(torch.tensor([[-80.0], [0.0]]))
        model.rnn.bias_ih.copy_(torch.tensor([40.0, 0.5]))
        model.head.weight.copy_(torch.tensor([[0.0], [k]]))
        model.head.bias.copy_(torch.tensor([0.0, -k / 2]))
    return model


class _ConstantModel(nn.Module):
    """Always says "even"."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.zeros(*x.shape[:2], 2) + torch.tensor([1.0, 0.0])  # (T, B, 2)


class _CountingModel(nn.Module):
    """Reads the parity straight off the bits (no parameters at all)."""

    def forward(self, x):
        odd = torch.cumsum(x[..., 0], dim=0) % 2  # (T, B)
        return torch.stack([1 - odd, odd], dim=-1)  # (T, B, 2)


# ----------------------------------------------------------------------------- ParityModel


@pytest.mark.parametrize("cell", CELLS)
def test_parity_model_maps_bits_to_two_logits_per_step(cell):
    model = ParityModel(cell, hidden_size=5, seed=0)
    expected = {"gru": nn.GRU, "mingru": MinGRU, "mingru_signed": MinGRU}[cell]
    assert isinstance(model.rnn, expected) and model.hidden_size == 5
    x = np.random.default_rng(0).integers(0, 2, size=(7, 3, 1)).astype(np.float32)
    logits = model(x)  # an array is accepted
    assert logits.shape == (7, 3, 2) and logits.dtype == torch.float32
    assert torch.equal(model(torch.from_numpy(x)), logits)


def test_parity_model_signed_and_positive_decays():
    assert ParityModel("mingru").rnn.decay == "positive"
    assert ParityModel("mingru_signed").rnn.decay == "signed"


@pytest.mark.parametrize("cell", CELLS)
def test_parity_model_weights_are_determined_by_seed(cell):
    a, b, c = (ParityModel(cell, 4, seed=s) for s in (3, 3, 4))
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q), name
        assert not torch.equal(p, r), name
        assert p.abs().max() <= 1 / math.sqrt(4)


def test_parity_model_leaves_the_global_generator_alone():
    state = torch.random.get_rng_state()
    model = ParityModel("gru", 4, seed=0)
    _small_fit(model)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(cell="lstm"), "cell must be one of"),
    (dict(cell="GRU"), "cell must be one of"),
    (dict(hidden_size=0), "hidden_size must be a positive integer"),
    (dict(hidden_size=2.5), "hidden_size must be a positive integer"),
    (dict(seed=-1), "seed must be an integer >= 0"),
    (dict(seed=True), "seed must be an integer >= 0"),
])
def test_parity_model_bad_argument_raises_naming_it(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        ParityModel(**kwargs)


@pytest.mark.parametrize("shape", [(5, 2), (5, 2, 2), (0, 2, 1)])
def test_parity_model_bad_input_shape_raises(shape):
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 1\)"):
        ParityModel("gru", 3)(torch.zeros(shape))


# ----------------------------------------------------------------------------- fit_parity


@pytest.mark.parametrize("cell", CELLS)
def test_fit_parity_returns_one_finite_loss_per_step(cell):
    losses = _small_fit(ParityModel(cell, 4, seed=0), steps=4)
    assert len(losses) == 4
    assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in losses)


def test_fit_parity_is_determined_by_seeds():
    runs = []
    for model_seed, data_seed in ((0, 0), (0, 0), (0, 1)):
        model = ParityModel("mingru_signed", 4, seed=model_seed)
        runs.append((_small_fit(model, seed=data_seed), model.state_dict()))
    (loss_a, sd_a), (loss_b, sd_b), (loss_c, _) = runs
    assert loss_a == loss_b
    assert all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)
    assert loss_a[1:] != loss_c[1:]  # other bits, another run
    # the first loss is the untrained model on the first batch: the same model, other bits
    assert loss_a[0] != loss_c[0]


def test_fit_parity_changes_the_weights():
    model = ParityModel("gru", 4, seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    _small_fit(model)
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_fit_parity_defaults_are_the_lesson_configuration():
    defaults = {name: p.default for name, p in inspect.signature(fit_parity).parameters.items()
                if p.default is not inspect.Parameter.empty}
    assert defaults == {"T": 20, "steps": 300, "batch_size": 32, "lr": 0.1, "clip_norm": 1.0, "seed": 0}
    assert inspect.signature(ParityModel).parameters["hidden_size"].default == 8


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(T=0), "T must be a positive integer"),
    (dict(steps=0), "steps must be a positive integer"),
    (dict(batch_size=1.5), "batch_size must be a positive integer"),
    (dict(lr=0.0), "lr must be a positive finite number"),
    (dict(lr=float("nan")), "lr must be a positive finite number"),
    (dict(lr="0.1"), "lr must be a positive finite number"),
    (dict(clip_norm=-1.0), "clip_norm must be a positive finite number"),
    (dict(seed=-2), "seed must be an integer >= 0"),
])
def test_fit_parity_bad_argument_raises_naming_it(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        _small_fit(ParityModel("gru", 2), **kwargs)


def test_fit_parity_refuses_another_model():
    with pytest.raises(TypeError, match="model must be a ParityModel"):
        fit_parity(nn.GRU(1, 2), steps=1)


# ----------------------------------------------------------------------------- parity_accuracy


@pytest.mark.parametrize("T", [1, 20, 500])
def test_parity_accuracy_of_a_correct_model_is_one(T):
    assert parity_accuracy(_parity_by_hand(), T, n=50) == 1.0
    assert parity_accuracy(_CountingModel(), T, n=50) == 1.0


def test_parity_accuracy_of_a_constant_model_is_one_half():
    acc = parity_accuracy(_ConstantModel(), 100, n=200)
    assert abs(acc - 0.5) < 0.02  # 20,000 fair coin flips: standard deviation 0.0035


def test_parity_accuracy_of_the_inverted_correct_model_is_zero():
    model = _parity_by_hand(k=-20.0)  # says "odd" exactly when the parity is even
    assert parity_accuracy(model, 30, n=10) == 0.0


def test_parity_accuracy_is_determined_by_seed_and_leaves_eval_mode():
    model = ParityModel("gru", 3, seed=0)
    model.train()
    acc = parity_accuracy(model, 40, n=20, seed=7)
    assert not model.training
    assert isinstance(acc, float) and 0 <= acc <= 1
    assert parity_accuracy(model, 40, n=20, seed=7) == acc


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(T=0), ValueError, "T must be a positive integer"),
    (dict(T=10, n=0), ValueError, "n must be a positive integer"),
    (dict(T=10, seed=-1), ValueError, "seed must be an integer >= 0"),
])
def test_parity_accuracy_bad_argument_raises_naming_it(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        parity_accuracy(_CountingModel(), **kwargs)


def test_parity_accuracy_refuses_logits_of_the_wrong_shape():
    class OneLogit(nn.Module):
        def forward(self, x):
            return x  # (T, B, 1)

    with pytest.raises(ValueError, match=r"logits of shape \(T, B, 2\) = \(5, 3, 2\)"):
        parity_accuracy(OneLogit(), 5, n=3)


@pytest.mark.gpu
@pytest.mark.parametrize("cell", CELLS)
def test_parity_model_runs_on_cuda(cell):
    model = ParityModel(cell, 4, seed=0, device="cuda")
    losses = _small_fit(model)
    assert len(losses) == 3
    assert 0 <= parity_accuracy(model, 50, n=8) <= 1
