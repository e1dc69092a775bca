"""The task models of the application lessons (they need torch).

charlm
    :class:`~rnncourse.models.charlm.CharLM`, a character-level language model, and
    :class:`~rnncourse.models.charlm.CharLMRun`, its truncated-BPTT training run with
    checkpoints (lesson 9, ``rnncourse train charlm``).
classifier
    :class:`~rnncourse.models.classifier.SequenceClassifier`, a many-to-one GRU or LSTM over
    a packed batch with last-state, mean or max pooling, and
    :func:`~rnncourse.models.classifier.fit_classifier` (lesson 10).
"""
