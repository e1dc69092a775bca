"""The task models of the application lessons (they need torch).

charlm
    :class:`~rnncourse.models.charlm.CharLM`, a character-level language model, and
    :class:`~rnncourse.models.charlm.CharLMRun`, its truncated-BPTT training run with
    checkpoints (lesson 9, ``rnncourse train charlm``).
classifier
    :class:`~rnncourse.models.classifier.SequenceClassifier`, a many-to-one GRU or LSTM over
    a packed batch with last-state, mean or max pooling, and
    :func:`~rnncourse.models.classifier.fit_classifier` (lesson 10).
seq2seq
    :class:`~rnncourse.models.seq2seq.Seq2Seq`, a GRU encoder-decoder with or without additive
    attention, and :func:`~rnncourse.models.seq2seq.fit_seq2seq` (lesson 11).
forecaster
    :class:`~rnncourse.models.forecaster.Forecaster`, a GRU or LSTM that forecasts the next
    values of a series from a window, and
    :func:`~rnncourse.models.forecaster.fit_forecaster` (lesson 12).
parity
    :class:`~rnncourse.models.parity.ParityModel`, a GRU or a minGRU (positive or signed
    decay) that classifies the prefix parity of a bit string at every step,
    :func:`~rnncourse.models.parity.fit_parity` and
    :func:`~rnncourse.models.parity.parity_accuracy` (lesson 15).
"""
