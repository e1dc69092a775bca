"""Self-study exercises whose checks name the learner's mistake.

Usage in a lesson::

    import rnncourse.exercises as ex

    def rnn_step_forward(x, h_prev, W_xh, W_hh, b_h):
        ...  # your code here

    ex.rnn_step_forward.check(rnn_step_forward)  # a verdict; never raises
    ex.rnn_step_forward.hint()                   # the next hint on each call
    ex.rnn_step_forward.solution()               # the reference solution
    step = ex.rnn_step_forward.use(rnn_step_forward)  # yours if it passes, else the reference
    ex.list()                                    # every exercise, by lesson

``ex.<id>.evaluate(fn)`` returns a :class:`~rnncourse.exercises.core.Result` (``.status``,
``.mistake``, ``.message``) and shows nothing. Environment variables:
``RNNCOURSE_CONTEXT=book`` (book build: stubs say "open this lesson in JupyterLab"),
``RNNCOURSE_STRICT=1`` (``check`` raises ``AssertionError`` on anything but a pass),
``RNNCOURSE_NO_PROGRESS=1`` (do not record progress), ``RNNCOURSE_DATA_DIR`` (where progress
is kept). Importing this package does not import torch.
"""

from __future__ import annotations

from .core import STATUSES, Exercise, Result
from .render import TableView as _TableView
from .render import show as _show
from .rnn_exercises import rnn_step_backward, rnn_step_forward
from .loss_exercises import clip_grad_norm, softmax_cross_entropy, softmax_with_temperature

try:  # the later exercises; each module is self-contained
    from .rnn_exercises import rnn_backward, rnn_forward, rnn_hidden_jacobian
except ImportError:  # pragma: no cover - during development
    pass
try:
    from .gated_exercises import (
        count_parameters,
        gru_step_backward,
        gru_step_forward,
        lstm_step_backward,
        lstm_step_forward,
    )
except ImportError:  # pragma: no cover
    pass
try:
    from .data_exercises import detach_state, embedding_backward, make_windows, one_hot, padding_mask
except ImportError:  # pragma: no cover
    pass
try:  # lesson 9: language models
    from .decoding_exercises import beam_search_step, nucleus_filter, top_k_filter
except ImportError:  # pragma: no cover
    pass
try:
    from .metric_exercises import masked_perplexity
except ImportError:  # pragma: no cover
    pass
try:  # lesson 10: sequence classification
    from .metric_exercises import wilson_interval
    from .pooling_exercises import last_valid_state, masked_mean_pool
except ImportError:  # pragma: no cover
    pass
try:  # lesson 11: sequence to sequence and attention
    from .metric_exercises import char_error_rate
    from .seq2seq_exercises import additive_attention, teacher_forcing_inputs
except ImportError:  # pragma: no cover
    pass
try:  # lesson 12: forecasting
    from .forecast_exercises import make_forecast_windows, mase, seasonal_naive_forecast
except ImportError:  # pragma: no cover
    pass

try:  # lesson 13: images as sequences (CTC)
    from .ctc_exercises import ctc_alpha_step, ctc_greedy_decode
except ImportError:  # pragma: no cover
    pass

try:  # lesson 14: music
    from .music_exercises import bernoulli_nll, piano_roll
except ImportError:  # pragma: no cover
    pass

try:  # lesson 15: outlook
    from .outlook_exercises import causal_mask, scan_combine, self_attention
except ImportError:  # pragma: no cover
    pass

from rnncourse import LESSONS as _LESSONS

_ORDER = [stem for stem, _ in _LESSONS]

#: Every exercise by id, in the order of the lessons.
#:
#: :meta hide-value:
EXERCISES = {
    e.id: e
    for e in sorted(
        (v for v in list(globals().values()) if isinstance(v, Exercise)),
        key=lambda e: (_ORDER.index(e.lesson) if e.lesson in _ORDER else len(_ORDER), e.id),
    )
}


def get(exercise_id: str) -> Exercise:
    """The exercise with this id (KeyError naming the known ids otherwise)."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(EXERCISES)}") from None


def list():  # noqa: A001 - the learner-facing name is ex.list()
    """Show every exercise with its lesson and title.

    In IPython and Jupyter it returns the table, which they display once; in a plain Python
    (``python -c "import rnncourse.exercises as ex; ex.list()"``) it prints the table and
    returns None.
    """
    from .cli import show_or_return

    rows = [(e.lesson, e.id, e.title) for e in EXERCISES.values()]
    return show_or_return(
        _TableView("rnncourse exercises", ("lesson", "exercise", "title"), rows))


__all__ = ["EXERCISES", "STATUSES", "Exercise", "Result", "get", "list", *EXERCISES]
