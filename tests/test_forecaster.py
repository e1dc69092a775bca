"""The recurrent forecaster: shapes, training on a sine, the recursive strategy, seeds, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnncourse.models.forecaster import (  # noqa: E402
    BOOK_CONFIGS, FULL_CONFIGS, Forecaster, ForecasterConfig, fit_forecaster, predict, recursive_forecast,
)


def _windows(series, W, horizon):
    """Rows X (M, W) of consecutive values and the next ``horizon`` values Y (M, horizon)."""
    M = len(series) - W - horizon + 1
    X = np.stack([series[i:i + W] for i in range(M)])
    Y = np.stack([series[i + W:i + W + horizon] for i in range(M)])
    return X, Y


def _sine(n=400, period=25.0):
    return np.sin(2 * np.pi * np.arange(n) / period)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("horizon", [1, 3])
def test_forecaster_shapes_for_rows_and_time_major_inputs(cell, horizon):
    rng = np.random.default_rng(0)
    model = Forecaster(1, horizon, config=ForecasterConfig(cell=cell, hidden_size=5)).double()
    rows = torch.as_tensor(rng.normal(size=(4, 7)))                # (B, W)
    out = model(rows)
    assert out.shape == (4, horizon)
    torch.testing.assert_close(model(rows.T.unsqueeze(-1)), out)   # (W, B, 1): the same windows
    multi = Forecaster(3, horizon, config=ForecasterConfig(cell=cell, hidden_size=5))
    assert multi(torch.zeros(7, 4, 3)).shape == (4, horizon)


@pytest.mark.parametrize("horizon", [1, 3])
def test_forecaster_b1_w1(horizon):
    model = Forecaster(1, horizon, config=ForecasterConfig(hidden_size=2, steps=2, batch_size=1))
    assert model(torch.ones(1, 1)).shape == (1, horizon)
    assert model(torch.ones(1, 1, 1)).shape == (1, horizon)
    history = fit_forecaster(model, np.ones((1, 1)), np.ones((1, horizon)))
    assert len(history) == 2 and model.window == 1
    assert predict(model, np.ones((1, 1))).shape == (1, horizon)
    if horizon == 1:
        assert recursive_forecast(model, np.ones(1), 4).shape == (4,)


def test_forecaster_last_state_is_the_layers_last_output():
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(6, 3, 2)))
    for cell in ("gru", "lstm"):
        model = Forecaster(2, 2, config=ForecasterConfig(cell=cell, hidden_size=4, num_layers=2)).double()
        out, _ = model.rnn(x)                                      # (W, B, H)
        torch.testing.assert_close(model.last_state(x), out[-1])
        torch.testing.assert_close(model(x), model.head(out[-1]))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_fit_forecaster_learns_a_noiseless_sine(cell):
    series = _sine()
    X, Y = _windows(series, W=12, horizon=3)
    split = 300
    model = Forecaster(1, 3, config=ForecasterConfig(cell=cell, hidden_size=16, steps=200, batch_size=32,
                                                     lr=1e-2))
    history = fit_forecaster(model, X[:split], Y[:split])
    assert len(history) == 200 and history.losses[-1] < history.losses[0]
    assert model.window == 12
    mse = np.mean((predict(model, X[split:]) - Y[split:]) ** 2)
    assert mse < 0.02 * series.var()


def test_fit_forecaster_takes_windows_with_features_as_rows():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 5, 2))                                # (M, W, D)
    Y = X[:, -1, :1] + X[:, -1, 1:]                                # (M, 1): the sum of the last features
    model = Forecaster(2, 1, config=ForecasterConfig(hidden_size=8, steps=150, lr=1e-2))
    before = np.mean((predict(model, X) - Y) ** 2)
    fit_forecaster(model, X, Y[:, 0])                              # (M,) targets for a one-step model
    assert np.mean((predict(model, X) - Y) ** 2) < 0.05 * before
    # predict reads the same windows the layer reads time-major
    with torch.no_grad():
        direct = model(torch.as_tensor(X).transpose(0, 1)).double().numpy()
    np.testing.assert_allclose(predict(model, X), direct, rtol=1e-6)


def test_recursive_forecast_equals_a_hand_loop_over_shifted_windows():
    series = _sine(200)
    X, Y = _windows(series[:150], W=10, horizon=1)
    model = Forecaster(1, 1, config=ForecasterConfig(hidden_size=8, steps=30))
    fit_forecaster(model, X, Y)
    history = series[:150]
    window, expected = list(history[-10:]), []
    for _ in range(7):
        y = predict(model, np.array([window]))[0, 0]               # (1, W) -> (1, 1)
        expected.append(y)
        window = window[1:] + [y]
    got = recursive_forecast(model, history, 7)
    assert got.shape == (7,) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert got[0] == predict(model, history[None, -10:])[0, 0]    # step 1 reads observations only


def test_recursive_forecast_uses_the_window_given_to_the_constructor():
    model = Forecaster(1, 1, window=4, config=ForecasterConfig(hidden_size=3))
    history = np.arange(9.0)
    got = recursive_forecast(model, history, 2)
    first = predict(model, history[None, -4:])[0, 0]
    np.testing.assert_allclose(got[0], first, rtol=1e-12)
    np.testing.assert_allclose(got[1], predict(model, np.array([[6.0, 7.0, 8.0, first]]))[0, 0], rtol=1e-12)
    with pytest.raises(ValueError, match="W = 4 steps, X has W = 5"):
        fit_forecaster(model, np.zeros((3, 5)), np.zeros((3, 1)), steps=1)


def test_forecaster_construction_and_training_leave_global_rng_untouched():
    before = torch.random.get_rng_state()
    model = Forecaster(1, 2, config=ForecasterConfig(hidden_size=4, steps=3))
    Forecaster(2, 1, config=ForecasterConfig(cell="lstm", num_layers=2))
    fit_forecaster(model, np.zeros((10, 5)), np.zeros((10, 2)))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_forecaster_same_seed_same_weights_and_same_trained_predictions():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(40, 6)), rng.normal(size=(40, 2))
    models = [Forecaster(1, 2, config=ForecasterConfig(hidden_size=4, steps=10, batch_size=8, seed=s))
              for s in (5, 5, 6)]
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(models[0].head.weight, models[2].head.weight)
    losses = [fit_forecaster(m, X, Y).losses for m in models]
    assert losses[0] == losses[1] and losses[0] != losses[2]
    np.testing.assert_array_equal(predict(models[0], X), predict(models[1], X))


def test_predict_batching_does_not_matter_and_returns_float64():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(9, 5))
    model = Forecaster(1, 2, config=ForecasterConfig(hidden_size=3))
    p = predict(model, X)
    assert p.shape == (9, 2) and p.dtype == np.float64
    np.testing.assert_allclose(predict(model, X, batch_size=2), p, rtol=1e-6)


def test_forecaster_config_validation_and_replace():
    for field, value in [("cell", "rnn"), ("hidden_size", 0), ("num_layers", 1.5), ("steps", True),
                         ("batch_size", -1), ("lr", 0.0), ("clip_norm", -1.0), ("weight_decay", -1e-3),
                         ("seed", -1)]:
        with pytest.raises(ValueError, match=field):
            ForecasterConfig(**{field: value})
    config = ForecasterConfig()
    assert config.replace(hidden_size=8).hidden_size == 8 and config.hidden_size == 32
    with pytest.raises(ValueError, match="cell"):
        config.replace(cell="transformer")
    assert set(BOOK_CONFIGS) == {"sunspots", "weather", "co2", "stocks"} == set(FULL_CONFIGS)
    for name, book in BOOK_CONFIGS.items():
        assert FULL_CONFIGS[name].hidden_size > book.hidden_size and FULL_CONFIGS[name].steps > book.steps


def test_forecaster_bad_shapes_raise_naming_the_expected_shape():
    uni = Forecaster(1, 2, config=ForecasterConfig(hidden_size=3))
    multi = Forecaster(3, 1, config=ForecasterConfig(hidden_size=3))
    with pytest.raises(ValueError, match=r"\(W, B, D=1\) or \(B, W\), got \(2, 3, 4\)"):
        uni(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"\(W, B, D=1\) or \(B, W\), got \(5,\)"):
        uni(torch.zeros(5))
    with pytest.raises(ValueError, match=r"\(W, B, D=3\), got \(4, 5\)"):
        multi(torch.zeros(4, 5))
    with pytest.raises(ValueError, match=r"W >= 1"):
        uni(torch.zeros(2, 0))
    with pytest.raises(ValueError, match=r"\(M, W, D=3\), got \(4, 5\)"):
        predict(multi, np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"Y must have shape \(M, horizon\) = \(4, 2\), got \(4, 3\)"):
        fit_forecaster(uni, np.zeros((4, 5)), np.zeros((4, 3)), steps=1)
    with pytest.raises(ValueError, match=r"Y must have shape \(M, horizon\) = \(4, 2\), got \(4,\)"):
        fit_forecaster(uni, np.zeros((4, 5)), np.zeros(4), steps=1)
    with pytest.raises(ValueError, match="NaN"):
        fit_forecaster(uni, np.full((4, 5), np.nan), np.zeros((4, 2)), steps=1)
    with pytest.raises(ValueError, match="input_size"):
        Forecaster(0, 1)
    with pytest.raises(ValueError, match="horizon"):
        Forecaster(1, 0)


def test_recursive_forecast_errors():
    direct = Forecaster(1, 3, window=4, config=ForecasterConfig(hidden_size=3))
    with pytest.raises(ValueError, match="one-step model"):
        recursive_forecast(direct, np.zeros(10), 2)
    unknown = Forecaster(1, 1, config=ForecasterConfig(hidden_size=3))
    with pytest.raises(ValueError, match="model.window is unknown"):
        recursive_forecast(unknown, np.zeros(10), 2)
    model = Forecaster(1, 1, window=4, config=ForecasterConfig(hidden_size=3))
    with pytest.raises(ValueError, match=r"\(N,\) with N >= window = 4, got \(3,\)"):
        recursive_forecast(model, np.zeros(3), 2)
    with pytest.raises(ValueError, match="horizon"):
        recursive_forecast(model, np.zeros(5), 0)
