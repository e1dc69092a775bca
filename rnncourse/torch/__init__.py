"""RNN, LSTM and GRU written from scratch with PyTorch operations, and training helpers.

The layers and cells are drop-in twins of their torch.nn namesakes (same arguments,
parameter names, state dicts and return values); the loop over time is written out in
Python so that you can read it. Autograd does the backward pass.

Modules
-------
device
    :func:`default_device`.
cells
    The step functions (:func:`rnn_step`, :func:`lstm_step`, :func:`gru_step`) and the cells.
layers
    :class:`RNN`, :class:`LSTM`, :class:`GRU` and :func:`recurrent_loop`.
scan
    :func:`linear_scan` (a linear recurrence by a parallel scan), :func:`linear_scan_loop`
    (the same by a loop) and :class:`MinGRU`, the layer built on them.
train
    :func:`fit`, :class:`History`, :func:`make_generator`, :func:`detach_state`,
    :func:`clip_grad_norm_`.
"""

from .cells import GRUCell, LSTMCell, RNNCell, gru_step, init_uniform_, lstm_step, rnn_step
from .device import default_device
from .layers import GRU, LSTM, RNN, recurrent_loop
from .scan import MinGRU, linear_scan, linear_scan_loop
from .train import History, clip_grad_norm_, detach_state, fit, make_generator

__all__ = [
    "RNN", "LSTM", "GRU",
    "RNNCell", "LSTMCell", "GRUCell",
    "rnn_step", "lstm_step", "gru_step", "recurrent_loop", "init_uniform_",
    "linear_scan", "linear_scan_loop", "MinGRU",
    "default_device",
    "fit", "History", "make_generator", "detach_state", "clip_grad_norm_",
]
