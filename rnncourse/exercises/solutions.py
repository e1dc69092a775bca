"""Reference solutions of the exercises: one function per exercise id.

Each function has the signature the learner's stub has. The checkers use them as the oracle,
``ex.<id>.solution()`` shows their source, and the book includes them in the solution
dropdowns, so there is one source for all three. They are written to be read: NumPy only,
rows are examples (``x @ W_xh.T``), the weights are stored as PyTorch stores them.
"""

import numpy as np


def make_windows(series, window):
    """Cut a series (N,) into inputs X (N - window, window) and next-value targets y (N - window,)."""
    n = len(series) - window
    X = np.stack([series[i:i + window] for i in range(n)])  # (N - window, window)
    y = series[window:]                                       # (N - window,)
    return X, y


def one_hot(ids, V):
    """One-hot vectors of integer ids of any shape, e.g. (T, B) -> (T, B, V), as floats."""
    identity = np.eye(V)  # (V, V): row k is the one-hot vector of id k
    return identity[ids]  # ids.shape + (V,): one row per id


def rnn_step_forward(x, h_prev, W_xh, W_hh, b_h):
    """One step of a tanh RNN: x (B, D), h_prev (B, H) -> h_next (B, H)."""
    a = x @ W_xh.T + h_prev @ W_hh.T + b_h  # (B, H)
    return np.tanh(a)


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Run a tanh RNN over a sequence: x (T, B, D), h0 (B, H) -> h (T, B, H)."""
    T, B = x.shape[:2]
    H = W_hh.shape[0]
    h = np.zeros((T, B, H))                   # (T, B, H)
    h_prev = h0
    for t in range(T):
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)  # (B, H)
        h[t] = h_prev
    return h


def rnn_step_backward(dh_next, x, h_prev, h_next, W_xh, W_hh):
    """Backward pass of one tanh RNN step, given dL/dh_next (B, H)."""
    da = dh_next * (1 - h_next ** 2)  # (B, H): back through tanh
    dx = da @ W_xh                    # (B, D)
    dh_prev = da @ W_hh               # (B, H)
    dW_xh = da.T @ x                  # (H, D)
    dW_hh = da.T @ h_prev             # (H, H)
    db_h = da.sum(axis=0)             # (H,)
    return dx, dh_prev, dW_xh, dW_hh, db_h


def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    """Backpropagation through time for a tanh RNN; dh (T, B, H) comes from the layer above."""
    T = x.shape[0]
    dx = np.zeros_like(x)             # (T, B, D)
    dW_xh = np.zeros_like(W_xh)       # (H, D)
    dW_hh = np.zeros_like(W_hh)       # (H, H)
    db_h = np.zeros(W_hh.shape[0])    # (H,)
    dh_next = np.zeros_like(h0)       # (B, H): gradient arriving from step t + 1
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)  # (B, H)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


def softmax_cross_entropy(logits, targets):
    """Mean cross-entropy of logits (T, B, V) against integer targets (T, B), and its gradient."""
    z = logits - logits.max(axis=-1, keepdims=True)             # (T, B, V): stable
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # (T, B, V)
    one_hot = np.eye(logits.shape[-1])[targets]                 # (T, B, V)
    n = targets.size
    loss = -(one_hot * log_p).sum() / n
    dlogits = (np.exp(log_p) - one_hot) / n                     # (T, B, V)
    return loss, dlogits


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm."""
    total_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    clipped = {name: g * scale for name, g in grads.items()}  # new arrays
    return clipped, float(total_norm)


def rnn_hidden_jacobian(h_next, W_hh):
    """Jacobian dh_t/dh_{t-1} of a tanh RNN step for each example: h_next (B, H) -> J (B, H, H)."""
    return (1 - h_next ** 2)[:, :, None] * W_hh[None, :, :]  # (B, H, H): row i scaled by 1 - h_i^2


def lstm_step_forward(x, h_prev, c_prev, W_xh, W_hh, b_h):
    """One LSTM step (gates i, f, g, o stacked in the rows of the weights)."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    H = h_prev.shape[1]
    a = x @ W_xh.T + h_prev @ W_hh.T + b_h  # (B, 4H)
    i = sigmoid(a[:, :H])                   # (B, H) input gate
    f = sigmoid(a[:, H:2 * H])              # (B, H) forget gate
    g = np.tanh(a[:, 2 * H:3 * H])          # (B, H) candidate
    o = sigmoid(a[:, 3 * H:])               # (B, H) output gate
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    return h_next, c_next


def gru_step_forward(x, h_prev, W_xh, W_hh, b_xh, b_hh):
    """One GRU step as in PyTorch (gates r, z, n; the reset gate applied after the matmul)."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    H = h_prev.shape[1]
    gx = x @ W_xh.T + b_xh                          # (B, 3H)
    gh = h_prev @ W_hh.T + b_hh                     # (B, 3H)
    r = sigmoid(gx[:, :H] + gh[:, :H])              # (B, H) reset gate
    z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])    # (B, H) update gate
    n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])  # (B, H) candidate
    return (1 - z) * n + z * h_prev


def lstm_step_backward(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b_h):
    """Backward pass of one LSTM step, given dL/dh_next and dL/dc_next (B, H)."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    H = h_prev.shape[1]
    a = x @ W_xh.T + h_prev @ W_hh.T + b_h  # (B, 4H): recompute the forward step
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)  # (B, H): both paths into c_next
    da = np.concatenate([
        dc * g * i * (1 - i),                # input gate
        dc * c_prev * f * (1 - f),           # forget gate
        dc * i * (1 - g ** 2),               # candidate
        dh_next * tanh_c * o * (1 - o),      # output gate
    ], axis=1)                               # (B, 4H)
    dx = da @ W_xh                           # (B, D)
    dh_prev = da @ W_hh                      # (B, H)
    dc_prev = dc * f                         # (B, H)
    dW_xh = da.T @ x                         # (4H, D)
    dW_hh = da.T @ h_prev                    # (4H, H)
    db_h = da.sum(axis=0)                    # (4H,)
    return dx, dh_prev, dc_prev, dW_xh, dW_hh, db_h


def count_parameters(cell, input_size, hidden_size, num_layers=1, bidirectional=False):
    """Number of parameters of torch.nn.RNN, LSTM or GRU with these arguments (two biases)."""
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        D = input_size if layer == 0 else dirs * hidden_size  # layer k reads layer k-1's outputs
        per_direction = G * hidden_size * (D + hidden_size) + 2 * G * hidden_size
        total += dirs * per_direction
    return total


def gru_step_backward(dh_next, x, h_prev, W_xh, W_hh, b_xh, b_hh,
                      reset_after=True):
    """Backward pass of one GRU step (gates r, z, n), given
    dL/dh_next (B, H). reset_after=True: r multiplies
    m = W_hn h_prev + b_hn (PyTorch); False: W_hn multiplies
    s = r * h_prev (Cho et al.)."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    H = h_prev.shape[1]
    W_rz, W_hn = W_hh[:2 * H], W_hh[2 * H:]  # (2H, H), (H, H)
    gx = x @ W_xh.T + b_xh                   # (B, 3H)
    a_rz = gx[:, :2 * H] + h_prev @ W_rz.T + b_hh[:2 * H]
    r, z = sigmoid(a_rz[:, :H]), sigmoid(a_rz[:, H:])  # (B, H)
    m = h_prev @ W_hn.T + b_hh[2 * H:]       # (B, H)
    s = r * h_prev                           # (B, H)
    if reset_after:
        n = np.tanh(gx[:, 2 * H:] + r * m)
    else:
        n = np.tanh(gx[:, 2 * H:] + s @ W_hn.T + b_hh[2 * H:])
    dh_prev = dh_next * z                    # the direct path
    da_n = dh_next * (1 - z) * (1 - n ** 2)  # (B, H)
    da_z = dh_next * (h_prev - n) * z * (1 - z)
    if reset_after:
        dm = da_n * r                        # dL/dm
        dr = da_n * m
        dh_prev = dh_prev + dm @ W_hn
        dW_hn = dm.T @ h_prev                # (H, H)
    else:
        ds = da_n @ W_hn                     # dL/ds
        dr = ds * h_prev
        dh_prev = dh_prev + ds * r
        dm = da_n                            # b_hn: outside r
        dW_hn = da_n.T @ s                   # (H, H)
    da_rz = np.concatenate([dr * r * (1 - r), da_z], axis=1)
    dh_prev = dh_prev + da_rz @ W_rz         # (B, H)
    da = np.concatenate([da_rz, da_n], axis=1)  # (B, 3H)
    dW_hh = np.concatenate([da_rz.T @ h_prev, dW_hn])  # (3H, H)
    dgh = np.concatenate([da_rz, dm], axis=1)  # for b_hh (B, 3H)
    dx, dW_xh, db_xh = da @ W_xh, da.T @ x, da.sum(axis=0)
    return dx, dh_prev, dW_xh, dW_hh, db_xh, dgh.sum(axis=0)


def padding_mask(lengths, T):
    """Boolean mask (T, B), True where step t is a real step of sequence b (t < lengths[b])."""
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]  # (T, B)


def softmax_with_temperature(logits, temperature):
    """Softmax of logits / temperature over the last axis: (V,) or (B, V) -> same shape."""
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)  # stable: the largest exponent is 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def detach_state(state):
    """Cut the graph behind a recurrent state: a tensor, or a tuple of tensors such as (h, c)."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
