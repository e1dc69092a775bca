"""The task models of the application lessons (they need torch).

charlm
    :class:`~rnncourse.models.charlm.CharLM`, a character-level language model, and
    :class:`~rnncourse.models.charlm.CharLMRun`, its truncated-BPTT training run with
    checkpoints (lesson 9, ``rnncourse train charlm``).
"""
