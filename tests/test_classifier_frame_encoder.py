"""The frame encoder of the sequence classifier (lesson 13): every frame through Linear + ReLU."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnncourse.models.classifier import (  # noqa: E402
    BOOK_CONFIGS, FULL_CONFIGS, ClassifierConfig, SequenceClassifier, fit_classifier, predict,
)


@pytest.mark.parametrize("value", [-1, True, False, 2.0, 0.0, "8", None])
def test_classifier_config_rejects_a_bad_frame_encoder_size_naming_it(value):
    with pytest.raises(ValueError, match="frame_encoder_size must be a non-negative integer"):
        ClassifierConfig(frame_encoder_size=value)
    with pytest.raises(ValueError, match="frame_encoder_size"):
        ClassifierConfig().replace(frame_encoder_size=value)


def test_classifier_config_frame_encoder_size_defaults_to_zero():
    assert ClassifierConfig().frame_encoder_size == 0
    assert ClassifierConfig().replace(frame_encoder_size=5).frame_encoder_size == 5


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_frame_encoder_is_a_linear_layer_and_relu_feeding_the_rnn(cell):
    model = SequenceClassifier(3, input_size=7, config=ClassifierConfig(hidden_size=4, frame_encoder_size=5,
                                                                        cell=cell))
    linear, relu = model.frame_encoder
    assert isinstance(linear, torch.nn.Linear) and isinstance(relu, torch.nn.ReLU)
    assert (linear.in_features, linear.out_features) == (7, 5)
    assert model.rnn.input_size == 5 and model.input_size == 7
    assert isinstance(model.rnn, torch.nn.GRU if cell == "gru" else torch.nn.LSTM)
    assert any(p is linear.weight for p in model.parameters())          # trained with the rest


def test_frame_encoder_size_zero_keeps_the_frames_as_they_are():
    model = SequenceClassifier(3, input_size=7, config=ClassifierConfig(hidden_size=4))
    assert model.frame_encoder is None
    assert model.rnn.input_size == 7 and model.input_size == 7
    names = {name for name, _ in model.named_parameters()}
    assert not any(name.startswith("frame_encoder") for name in names)


def test_token_model_has_no_frame_encoder_and_no_input_size():
    model = SequenceClassifier(2, vocab_size=6, config=ClassifierConfig(hidden_size=4, embed_size=3,
                                                                        frame_encoder_size=5))
    assert model.frame_encoder is None and model.input_size is None
    assert model.rnn.input_size == 3
    out = model(torch.tensor([[1, 2], [3, 0]]), [2, 1])
    assert out.shape == (2, 2)


def test_frame_encoder_forward_equals_the_rnn_on_encoded_frames():
    rng = np.random.default_rng(0)
    config = ClassifierConfig(hidden_size=4, frame_encoder_size=3)
    model = SequenceClassifier(2, input_size=6, config=config).double()
    x = torch.as_tensor(rng.normal(size=(5, 2, 6)))                     # (T, B, D)
    lengths = torch.tensor([5, 5])
    encoded = torch.relu(x @ model.frame_encoder[0].weight.T + model.frame_encoder[0].bias)  # (T, B, 3)
    _, h_n = model.rnn(encoded)
    torch.testing.assert_close(model(x, lengths), model.head(h_n[-1]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("encoder", [0, 4])
def test_frames_of_the_wrong_size_are_refused_naming_d(encoder):
    model = SequenceClassifier(2, input_size=6, config=ClassifierConfig(hidden_size=3,
                                                                        frame_encoder_size=encoder))
    message = r"inputs must be frames of shape \(T, B, D=6\), got shape \(3, 2, 4\)"
    with pytest.raises(ValueError, match=message):
        model(torch.zeros(3, 2, 4), [3, 3])
    with pytest.raises(ValueError, match=r"D=6"):
        model(torch.zeros(3, 2), [3, 3])
    if encoder:                                                         # not the encoder's size either
        with pytest.raises(ValueError, match=r"D=6"):
            model(torch.zeros(3, 2, encoder), [3, 3])


def test_frame_encoder_ignores_padding():
    rng = np.random.default_rng(1)
    model = SequenceClassifier(2, input_size=4, config=ClassifierConfig(hidden_size=3, frame_encoder_size=5))
    x = torch.as_tensor(rng.normal(size=(6, 3, 4)), dtype=torch.float32)
    lengths = torch.tensor([6, 2, 4])
    noisy = x.clone()
    for b, n in enumerate(lengths):
        noisy[n:, b] = 100.0
    with torch.no_grad():
        torch.testing.assert_close(model(x, lengths), model(noisy, lengths))


def test_frame_encoder_weights_come_from_the_config_seed():
    config = ClassifierConfig(hidden_size=4, frame_encoder_size=5)
    torch.manual_seed(1)
    a = SequenceClassifier(2, input_size=7, config=config)
    torch.manual_seed(2)
    state = torch.get_rng_state()
    b = SequenceClassifier(2, input_size=7, config=config)
    assert torch.equal(torch.get_rng_state(), state)
    c = SequenceClassifier(2, input_size=7, config=config.replace(seed=1))
    assert torch.equal(a.frame_encoder[0].weight, b.frame_encoder[0].weight)
    assert not torch.equal(a.frame_encoder[0].weight, c.frame_encoder[0].weight)


def test_book_configs_for_video_and_digit_rows_build():
    video, rows = BOOK_CONFIGS["video"], BOOK_CONFIGS["digit_rows"]
    assert video.frame_encoder_size > 0 and rows.frame_encoder_size == 0
    assert FULL_CONFIGS["video"].frame_encoder_size == video.frame_encoder_size
    assert FULL_CONFIGS["video"].steps > video.steps
    clips = SequenceClassifier(2, input_size=8 * 24, config=video)
    assert clips.input_size == 192 and clips.rnn.input_size == video.frame_encoder_size
    digits = SequenceClassifier(10, input_size=8, config=rows)
    assert digits.frame_encoder is None and digits.input_size == 8
    with torch.no_grad():
        assert clips(torch.zeros(8, 3, 192), [8, 8, 8]).shape == (3, 2)
        assert digits(torch.zeros(8, 3, 8), [8, 8, 8]).shape == (3, 10)


def test_video_config_learns_the_direction_only_from_the_frame_order():
    """Moving digits: the GRU with its frame encoder tells the direction; with the frames of
    each clip shuffled in time, the same model is left near chance."""
    pytest.importorskip("sklearn")
    from rnncourse.datasets.digits import load_digit_split, make_moving_digit_clips

    split = load_digit_split()
    train = make_moving_digit_clips(split.train_images, split.train_labels, 1000, seed=1)
    test = make_moving_digit_clips(split.test_images, split.test_labels, 300, seed=2)
    F = train.frames.shape[1]
    rng = np.random.default_rng(0)

    def time_major(frames, shuffle):
        x = frames.reshape(len(frames), F, -1)                          # (N, F, H*W)
        if shuffle:
            x = np.stack([clip[rng.permutation(F)] for clip in x])
        return x.transpose(1, 0, 2)                                     # (F, N, H*W)

    accuracy = {}
    for shuffle in (False, True):
        model = SequenceClassifier(2, input_size=train.frames[0, 0].size,
                                   config=BOOK_CONFIGS["video"].replace(steps=150))
        fit_classifier(model, time_major(train.frames, shuffle), np.full(len(train), F), train.labels,
                       progress=False)
        hits = predict(model, time_major(test.frames, shuffle), np.full(len(test), F)) == test.labels
        accuracy[shuffle] = hits.mean()
    assert accuracy[False] > 0.9, accuracy
    assert accuracy[True] < 0.65, accuracy
