"""rnncourse: recurrent neural networks, derived in NumPy and practised in PyTorch.

Subpackages
-----------
rnncourse.numpy
    RNN, LSTM and GRU with hand-written forward and backward passes (needs NumPy only).
rnncourse.torch
    The same models written from scratch with PyTorch operations, on any device.
rnncourse.exercises
    Self-study exercises whose checkers name the learner's mistake.
rnncourse.data
    Generated data sets (adding problem, copy task, temporal XOR, ...).
rnncourse.datasets
    Real data sets from installed packages (the ASV Bible text, ...), split and cached.
rnncourse.models
    The application lessons' task models (the character language model, ...).
rnncourse.metrics, rnncourse.decoding, rnncourse.baselines
    Perplexity and friends; greedy, sampled and beam-search decoding; n-gram models and
    compressors to compare against.

Importing ``rnncourse`` imports none of the subpackages, so ``import rnncourse.numpy``
works where only NumPy is installed.
"""

__version__ = "0.1.0"

#: The lessons in reading order: (file stem in ``lessons/``, title).
LESSONS = (
    ("01_sequences", "Sequences, and why feedforward networks fall short"),
    ("02_simple_rnn", "The simple (Elman) RNN"),
    ("03_bptt", "Backpropagation through time"),
    ("04_vanishing_gradients", "Vanishing and exploding gradients"),
    ("05_lstm", "Long short-term memory"),
    ("06_gru", "Gated recurrent units"),
    ("07_pytorch_layers", "PyTorch layers: parity, devices, padding and packing"),
    ("08_deep_bidirectional", "Deep and bidirectional RNNs, and long streams"),
    ("09_language_models", "Language models and text generation"),
    ("10_classification", "Sequence classification: sentiment, speakers, DNA"),
    ("11_seq2seq", "Sequence to sequence and attention"),
    ("12_forecasting", "Forecasting time series, honestly"),
    ("13_images_as_sequences", "Reading images as sequences: handwriting and video"),
    ("14_music", "Music generation you can hear"),
    ("15_outlook", "Outlook: RNNs, Transformers and the recurrent revival"),
)

__all__ = ["__version__", "LESSONS"]
