"""rnncourse.numpy against torch.nn in float64: outputs, final states and every gradient."""

import numpy as np
import pytest

import rnncourse.numpy as rn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12

CASES = [
    # torch class, numpy class, kwargs
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("RNN", {"bias": False}),
    ("LSTM", {}),
    ("LSTM", {"bias": False}),
    ("GRU", {}),
    ("GRU", {"bias": False}),
]
TOPOLOGIES = [
    # T, B, D, H, num_layers, bidirectional, batch_first
    (1, 1, 1, 1, 1, False, False),
    (5, 3, 4, 3, 2, True, False),
    (4, 2, 3, 5, 3, False, True),
    (6, 4, 2, 3, 2, True, True),
]


def _close(a, b, what):
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=what)


def _compare(name, kw, T, B, D, H, L, bidirectional, batch_first, lengths, seed):
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    tm = getattr(torch.nn, name)(D, H, num_layers=L, bidirectional=bidirectional, batch_first=batch_first, **kw)
    tm = tm.double()
    with torch.no_grad():  # torch's own init uses the global generator; redraw from a local one
        for p in tm.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) - 0.5)
    m = getattr(rn, name)(D, H, num_layers=L, bidirectional=bidirectional, batch_first=batch_first, **kw)
    m.load_state_dict(tm.state_dict())  # torch tensors straight in
    dirs = 2 if bidirectional else 1
    lstm = name == "LSTM"
    x = rng.normal(size=(B, T, D) if batch_first else (T, B, D))
    states = [rng.normal(size=(L * dirs, B, H)) for _ in range(2 if lstm else 1)]
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    hx = tuple(st) if lstm else st[0]
    if lengths is None:
        out_t, fin_t = tm(xt, hx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first,
                                                         enforce_sorted=False)
        out_p, fin_t = tm(packed, hx)
        out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_p, batch_first=batch_first, total_length=T)
    fin_t = fin_t if lstm else (fin_t,)
    out, fin = m(x, tuple(states) if lstm else states[0], lengths=lengths)
    fin = fin if lstm else (fin,)
    _close(out, out_t, "output")
    for a, b in zip(fin, fin_t):
        _close(a, b, "final state")
    d_out = rng.normal(size=out.shape)
    d_fin = [rng.normal(size=f.shape) for f in fin]
    loss = (out_t * torch.tensor(d_out)).sum() + sum((f * torch.tensor(d)).sum() for f, d in zip(fin_t, d_fin))
    loss.backward()
    dx, d0 = m.backward(d_out, tuple(d_fin) if lstm else d_fin[0])
    d0 = d0 if lstm else (d0,)
    _close(dx, xt.grad, "dx")
    for a, b in zip(d0, st):
        _close(a, b.grad, "d initial state")
    named = dict(tm.named_parameters())
    assert set(m.grads) == set(named)
    for k, p in named.items():
        _close(m.grads[k], p.grad, f"grad of {k}")


@pytest.mark.parametrize("name, kw", CASES)
@pytest.mark.parametrize("T, B, D, H, L, bidirectional, batch_first", TOPOLOGIES)
def test_layer_matches_torch_nn(name, kw, T, B, D, H, L, bidirectional, batch_first):
    _compare(name, kw, T, B, D, H, L, bidirectional, batch_first, None, seed=T * 10 + L)


@pytest.mark.parametrize("name, kw", CASES)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_lengths_match_pack_padded_sequence(name, kw, bidirectional, batch_first):
    _compare(name, kw, 6, 4, 3, 2, 2, bidirectional, batch_first, [3, 6, 1, 4], seed=5)


def test_load_state_dict_accepts_float32_torch_module():
    tm = torch.nn.LSTM(3, 4, num_layers=2)  # float32 parameters, default torch init
    m = rn.LSTM(3, 4, num_layers=2)
    m.load_state_dict(tm.state_dict())
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k], v.numpy().astype(np.float64))
    m.load_state_dict(dict(tm.named_parameters()))  # tensors that require grad are fine too


@pytest.mark.parametrize("with_mask", [False, True])
def test_softmax_cross_entropy_matches_torch(with_mask):
    rng = np.random.default_rng(0)
    T, B, V = 4, 3, 6
    logits = rng.normal(size=(T, B, V)) * 3
    targets = rng.integers(0, V, size=(T, B))
    mask = rng.random((T, B)) < 0.6 if with_mask else None
    loss, dlogits = rn.softmax_cross_entropy(logits, targets, mask)
    zt = torch.tensor(logits, requires_grad=True)
    yt = torch.tensor(targets)
    if with_mask:
        yt = torch.where(torch.tensor(mask), yt, torch.full_like(yt, -100))
    ref = torch.nn.functional.cross_entropy(zt.reshape(-1, V), yt.reshape(-1), ignore_index=-100)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dlogits, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_mse_loss_matches_torch():
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 3))
    loss, dpred = rn.mse_loss(pred, target)
    pt = torch.tensor(pred, requires_grad=True)
    ref = torch.nn.functional.mse_loss(pt, torch.tensor(target))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dpred, pt.grad.numpy(), rtol=1e-12)


def test_linear_and_embedding_match_torch():
    rng = np.random.default_rng(2)
    tl, te = torch.nn.Linear(4, 3).double(), torch.nn.Embedding(7, 4).double()
    lin, emb = rn.Linear(4, 3), rn.Embedding(7, 4)
    lin.load_state_dict(tl.state_dict())
    emb.load_state_dict(te.state_dict())
    ids = rng.integers(0, 7, size=(5, 2))
    dy = rng.normal(size=(5, 2, 3))
    y = lin(emb(ids))
    yt = tl(te(torch.tensor(ids)))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12)
    (yt * torch.tensor(dy)).sum().backward()
    emb.backward(lin.backward(dy))
    np.testing.assert_allclose(lin.grads["weight"], tl.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.grads["bias"], tl.bias.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(emb.grads["weight"], te.weight.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("opt", ["sgd", "sgd_momentum", "adam"])
def test_optimizers_match_torch_optim(opt):
    rng = np.random.default_rng(3)
    params = {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    if opt == "adam":
        ours, theirs = rn.Adam(params, lr=0.01, betas=(0.8, 0.99), eps=1e-6), torch.optim.Adam(
            list(tparams.values()), lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    else:
        mom = 0.9 if opt == "sgd_momentum" else 0.0
        ours = rn.SGD(params, lr=0.1, momentum=mom)
        theirs = torch.optim.SGD(list(tparams.values()), lr=0.1, momentum=mom)
    for _ in range(5):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        ours.step(grads)
        for k, p in tparams.items():
            p.grad = torch.tensor(grads[k])
        theirs.step()
    for k in params:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12)


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(4)
    grads = {"a": rng.normal(size=(3, 2)) * 5, "b": rng.normal(size=4)}
    clipped, norm = rn.clip_grad_norm(grads, 1.0)
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(ts, grads.values()):
        t.grad = torch.tensor(g)
    ref = torch.nn.utils.clip_grad_norm_(ts, 1.0)
    assert norm == pytest.approx(ref.item(), rel=1e-12)
    for t, k in zip(ts, grads):
        np.testing.assert_allclose(clipped[k], t.grad.numpy(), rtol=1e-12)
