"""Training helpers: fit (loss, clipping, truncated BPTT, determinism, progress), History,
make_generator, detach_state, clip_grad_norm_."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

import rnncourse.torch as rt
from rnncourse.data import adding_problem
from rnncourse.torch.train import _progress_by_default, clip_grad_norm_


class Regressor(nn.Module):
    """An LSTM read out at the last step: (T, B, D) -> (B, 1)."""

    def __init__(self, D, H, generator, dtype=torch.float64):
        super().__init__()
        self.rnn = rt.LSTM(D, H, dtype=dtype, generator=generator)
        self.head = nn.Linear(H, 1, dtype=dtype)
        with torch.no_grad():
            rt.cells.init_uniform_(self.head.parameters(), H, generator)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


class Tagger(nn.Module):
    """A stateful per-step model for truncated BPTT: (x, state) -> (y, state); records calls."""

    def __init__(self, D, H, generator):
        super().__init__()
        self.rnn = rt.GRU(D, H, dtype=torch.float64, generator=generator)
        self.head = nn.Linear(H, 1, dtype=torch.float64)
        self.calls = []

    def forward(self, x, state=None):
        self.calls.append((x.shape[0], state))
        out, state = self.rnn(x, state)
        return self.head(out), state


def adding_batches(seed, B=16, T=8):
    rng = np.random.default_rng(seed)
    return lambda: adding_problem(B, T, rng)


def train_adding(seed, steps=60, **kwargs):
    model = Regressor(2, 8, rt.make_generator(seed))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    hist = rt.fit(model, opt, adding_batches(seed), nn.functional.mse_loss, steps, **kwargs)
    return model, hist


# ----------------------------------------------------------------------------------------
# fit


def test_fit_loss_decreases_on_the_adding_problem():
    _, hist = train_adding(0, steps=80, clip_norm=1.0)
    assert len(hist.losses) == len(hist.grad_norms) == 80
    first, last = np.mean(hist.losses[:10]), np.mean(hist.losses[-10:])
    assert last < 0.5 * first, (first, last)


def test_fit_same_seed_gives_identical_histories():
    _, a = train_adding(1, steps=15, clip_norm=0.5)
    _, b = train_adding(1, steps=15, clip_norm=0.5)
    _, c = train_adding(2, steps=15, clip_norm=0.5)
    assert a.losses == b.losses and a.grad_norms == b.grad_norms
    assert a.losses != c.losses


def test_fit_clips_the_global_gradient_norm():
    max_norm = 1e-3
    model, hist = train_adding(3, steps=3, clip_norm=max_norm)
    # fit leaves the last step's (clipped) gradients in .grad
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters())).item()
    assert hist.grad_norms[-1] > 10 * max_norm, "the test needs gradients that get clipped"
    assert total <= max_norm * (1 + 1e-9)
    assert total == pytest.approx(max_norm, rel=1e-3)


def test_clip_grad_norm_scales_all_gradients_together():
    a, b = torch.zeros(3, requires_grad=True), torch.zeros(2, requires_grad=True)
    a.grad, b.grad = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([0.0, 4.0])
    assert clip_grad_norm_([a, b], 10.0) == pytest.approx(5.0)
    assert a.grad.tolist() == [3.0, 0.0, 0.0], "below the threshold nothing changes"
    assert clip_grad_norm_([a, b], 1.0) == pytest.approx(5.0)
    torch.testing.assert_close(a.grad, torch.tensor([0.6, 0.0, 0.0]), rtol=1e-5, atol=0)
    torch.testing.assert_close(b.grad, torch.tensor([0.0, 0.8]), rtol=1e-5, atol=0)
    assert clip_grad_norm_([a, b], None) == pytest.approx(1.0, rel=1e-5)


def test_fit_truncated_bptt_cuts_the_graph_between_chunks():
    T, B, D, H, k = 9, 2, 3, 4, 3
    g = torch.Generator().manual_seed(4)
    x = torch.randn(T, B, D, generator=g, dtype=torch.float64)
    y = torch.randn(T, B, 1, generator=g, dtype=torch.float64)
    model = Tagger(D, H, rt.make_generator(5))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # weights fixed: gradients comparable
    hist = rt.fit(model, opt, [(x, y)], nn.functional.mse_loss, steps=3, bptt=k)
    assert len(hist.losses) == 3
    assert [n for n, _ in model.calls] == [3, 3, 3]
    assert model.calls[0][1] is None
    for _, state in model.calls[1:]:
        assert state is not None and state.grad_fn is None and not state.requires_grad
    fitted = {n: p.grad.clone() for n, p in model.named_parameters()}  # the last chunk's

    # by hand: the last chunk from the carried state, detached, gives the same gradient
    model.zero_grad()
    with torch.no_grad():
        _, state = model.rnn(x[: 2 * k])
    out, _ = model(x[2 * k:], state)
    nn.functional.mse_loss(out, y[2 * k:]).backward()
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, fitted[n], rtol=1e-12, atol=1e-14)
    # and it is not the gradient through the whole sequence (so this test can fail)
    model.zero_grad()
    out, _ = model(x)
    nn.functional.mse_loss(out[2 * k:], y[2 * k:]).backward()
    assert not torch.allclose(model.rnn.weight_hh_l0.grad, fitted["rnn.weight_hh_l0"])


def test_fit_truncated_bptt_carry_state_across_batches():
    x = torch.zeros(4, 1, 2, dtype=torch.float64)
    y = torch.zeros(4, 1, 1, dtype=torch.float64)
    for carry, expected in ((False, [True, False, True, False]), (True, [True, False, False, False])):
        model = Tagger(2, 3, rt.make_generator(6))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        rt.fit(model, opt, [(x, y)], nn.functional.mse_loss, steps=4, bptt=2, carry_state=carry)
        assert [state is None for _, state in model.calls] == expected


def test_fit_reiterates_a_list_and_warns_when_an_iterator_runs_out():
    model = Regressor(2, 3, rt.make_generator(7))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(8)
    data = [adding_problem(4, 5, rng) for _ in range(2)]
    assert len(rt.fit(model, opt, data, nn.functional.mse_loss, steps=5)) == 5
    with pytest.warns(RuntimeWarning, match="ran out after 2 of 5 steps"):
        hist = rt.fit(model, opt, iter(data), nn.functional.mse_loss, steps=5)
    assert len(hist) == 2


def test_fit_converts_numpy_batches_to_the_model_dtype():
    model = Regressor(2, 3, rt.make_generator(9), dtype=torch.float32)
    seen = []
    loss_fn = lambda out, y: (seen.append((out.dtype, y.dtype)), nn.functional.mse_loss(out, y))[1]  # noqa: E731
    rt.fit(model, torch.optim.SGD(model.parameters(), lr=0.01), adding_batches(10), loss_fn, steps=1)
    assert seen == [(torch.float32, torch.float32)]


def test_fit_appends_to_a_given_history():
    model, hist = train_adding(11, steps=3)
    more = rt.fit(model, torch.optim.SGD(model.parameters(), lr=0.01), adding_batches(12),
                  nn.functional.mse_loss, 2, history=hist)
    assert more is hist and len(hist) == 5


def test_fit_progress_bar_is_off_by_default_outside_a_terminal(capsys, monkeypatch):
    monkeypatch.setenv("CI", "1")
    assert _progress_by_default() is False
    train_adding(13, steps=2)
    assert capsys.readouterr().err == ""
    train_adding(13, steps=2, progress=True)
    assert "fit:" in capsys.readouterr().err


def test_fit_rejects_bad_arguments():
    model = Regressor(2, 3, rt.make_generator(14))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    batches = adding_batches(15)
    with pytest.raises(ValueError, match="steps"):
        rt.fit(model, opt, batches, nn.functional.mse_loss, -1)
    with pytest.raises(ValueError, match="bptt"):
        rt.fit(model, opt, batches, nn.functional.mse_loss, 1, bptt=0)
    with pytest.raises(ValueError, match="clip_norm"):
        rt.fit(model, opt, batches, nn.functional.mse_loss, 1, clip_norm=0)
    with pytest.raises(TypeError, match="batches"):
        rt.fit(model, opt, 42, nn.functional.mse_loss, 1)
    with pytest.raises(ValueError, match="scalar"):
        rt.fit(model, opt, batches, lambda out, y: (out - y) ** 2, 1)


# ----------------------------------------------------------------------------------------
# History, make_generator, detach_state


def test_history_plot_draws_the_losses():
    hist = rt.History(losses=[4.0, 3.0, 2.0, 1.0], grad_norms=[1.0] * 4)
    ax = Figure().add_subplot()
    assert hist.plot(ax) is ax
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [4.0, 3.0, 2.0, 1.0])
    ax = Figure().add_subplot()
    hist.plot(ax, smooth=2, logy=True, label="train")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3.5, 2.5, 1.5])
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="smooth"):
        hist.plot(ax, smooth=0)


def test_make_generator_is_reproducible_and_local():
    a = torch.rand(5, generator=rt.make_generator(3))
    b = torch.rand(5, generator=rt.make_generator(3))
    c = torch.rand(5, generator=rt.make_generator(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert rt.make_generator(0, device="cpu").device == torch.device("cpu")
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="seed"):
            rt.make_generator(bad)


def test_detach_state_keeps_structure_and_values():
    w = torch.ones(2, requires_grad=True)
    h, c = w * 2, w * 3
    assert rt.detach_state(None) is None
    d = rt.detach_state(h)
    assert d.grad_fn is None and torch.equal(d, h)
    pair = rt.detach_state((h, c))
    assert isinstance(pair, tuple) and all(t.grad_fn is None for t in pair)
    nested = rt.detach_state([h, (c,)])
    assert isinstance(nested, list) and nested[1][0].grad_fn is None
    with pytest.raises(TypeError, match="state must be"):
        rt.detach_state({"h": h})
