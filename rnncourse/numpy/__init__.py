"""Recurrent networks in NumPy, with hand-written backward passes (no torch needed).

Three levels, from the derivation to the tool:

* step functions, the readable teaching code, one time step each with its backward pass:
  :func:`rnn_step_forward`, :func:`lstm_step_forward`, :func:`gru_step_forward` and their
  ``*_backward``;
* sequence functions, one layer over a whole sequence with backpropagation through time
  (fast: one matrix product for the inputs of all steps, one for each weight gradient):
  :func:`rnn_forward`, :func:`lstm_forward`, :func:`gru_forward` and their ``*_backward``;
* layers with PyTorch's arguments and ``state_dict`` layout: :class:`RNN`, :class:`LSTM`,
  :class:`GRU`;

plus the pieces to train them: :class:`Linear`, :class:`Embedding`, the losses (with
:func:`ctc_loss`, the CTC forward recursion of lesson 13, and its gradient), :class:`SGD`,
:class:`Adam`, :func:`clip_grad_norm`, and :func:`gradcheck` to verify any backward pass.

Shapes are time-major: x (T, B, D), states (B, H); weights in PyTorch's layout, W_xh
(G*H, D), W_hh (G*H, H). Importing this package does not import torch.
"""

from .activations import relu, sigmoid, tanh
from .clip import clip_grad_norm
from .ctc import ctc_loss, ctc_loss_grad
from .embedding import Embedding, embedding_backward
from .gradcheck import gradcheck, numerical_gradient, rel_error
from .gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .init import init_uniform
from .layers import GRU, LSTM, RNN
from .linear import Linear
from .losses import log_softmax, mse_loss, softmax, softmax_cross_entropy
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .optim import SGD, Adam
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from .sequence import last_step, padding_mask, reverse_padded

__all__ = [
    # step functions
    "rnn_step_forward", "rnn_step_backward",
    "lstm_step_forward", "lstm_step_backward",
    "gru_step_forward", "gru_step_backward",
    # sequence functions
    "rnn_forward", "rnn_backward",
    "lstm_forward", "lstm_backward",
    "gru_forward", "gru_backward",
    "padding_mask", "reverse_padded", "last_step",
    # layers
    "RNN", "LSTM", "GRU",
    # training pieces
    "Linear", "Embedding", "embedding_backward",
    "softmax", "log_softmax", "softmax_cross_entropy", "mse_loss",
    "ctc_loss", "ctc_loss_grad",
    "SGD", "Adam", "clip_grad_norm",
    # activations, init, checking
    "sigmoid", "tanh", "relu", "init_uniform",
    "numerical_gradient", "rel_error", "gradcheck",
]
