"""The negation sentiment data: the word rules, the label rule and the splits, checked on every example."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from importlib.resources import files

import numpy as np
import pytest

pytest.importorskip("vaderSentiment")

from rnncourse.datasets import sentiment  # noqa: E402
from rnncourse.datasets.sentiment import (EXCLUDED, INTENSIFIERS, NEGATORS, PAD, TEMPLATES,  # noqa: E402
                                          SentimentData, SentimentSplit, load_negation_sentiment,
                                          read_vader_lexicon, sentiment_words)

SPLITS = ("train", "test_iid", "test_negation", "minimal_pairs")
SMALL = dict(seed=5, n_train=150, n_test=40, words_per_polarity=12, held_out_fraction=0.25,
             contrast_fraction=0.5)


def _lexicon_means() -> dict[str, float]:
    """token -> mean valence, parsed here independently of the module."""
    text = files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    return {line.split("\t")[0]: float(line.split("\t")[1]) for line in text.splitlines() if line.strip()}


@pytest.fixture(scope="module")
def means():
    return _lexicon_means()


@pytest.fixture(scope="module", params=["default", "small"])
def data(request):
    return load_negation_sentiment() if request.param == "default" else load_negation_sentiment(**SMALL)


@pytest.fixture(scope="module")
def default_data():
    return load_negation_sentiment()


def _clauses(sentence: str) -> list[str]:
    return sentence.split(" but ")


def _parse_clause(clause: str, data: SentimentData) -> tuple[str, str, str | None, str | None, str]:
    """(template, prefix, negator, intensifier, word) of a clause; fails unless it fits the grammar."""
    for template in TEMPLATES:
        prefix = template[:-len(" {}")]
        if clause.startswith(prefix + " "):
            rest = clause[len(prefix) + 1:].split(" ")
            negator = rest.pop(0) if rest[0] in NEGATORS else None
            intensifier = rest.pop(0) if rest[0] in INTENSIFIERS else None
            assert len(rest) == 1, clause
            word = rest[0]
            assert word in data.valence, clause
            return template, prefix, negator, intensifier, word
    raise AssertionError(f"no template fits {clause!r}")


# -- the words ----------------------------------------------------------------------------------

def test_sentiment_words_follow_the_word_rules(means):
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

    words = sentiment_words()
    lexicon = read_vader_lexicon()
    excluded = {w for group in EXCLUDED.values() for w in group}
    vader_function_words = set(NEGATE) | {w for phrase in BOOSTER_DICT for w in phrase.split()}
    for word, valence in words.items():
        assert word.isascii() and word.isalpha() and word.islower()
        assert valence == means[word] and abs(valence) >= 1.5
        assert lexicon[word][1] <= 1.2 and len(lexicon[word][2]) == 10
        assert word not in excluded and word not in vader_function_words
        assert word not in NEGATORS + INTENSIFIERS + ("but",)
    assert list(words) == sorted(words)
    for good in ("good", "great", "happy", "excellent", "bad", "dull", "terrible", "sad"):
        assert good in words
    for bad in ("love", "happily", "kindness", "very", "not", "never", "hardly", "kind", "pretty"):
        assert bad not in words
    if importlib.metadata.version("vaderSentiment") == "3.3.2":
        assert sum(v > 0 for v in words.values()) == 172 and sum(v < 0 for v in words.values()) == 138


def test_template_tokens_are_not_sentiment_words():
    tokens = {t for template in TEMPLATES for t in template.split() if t != "{}"}
    assert not tokens & set(sentiment_words())
    assert all(template.endswith(" {}") and template.count("{}") == 1 for template in TEMPLATES)


def test_load_negation_sentiment_words_are_balanced(data, means):
    n = len(data.positive_words)
    assert len(data.negative_words) == n and n in (120, SMALL["words_per_polarity"])
    assert all(means[w] > 0 for w in data.positive_words) and all(means[w] < 0 for w in data.negative_words)
    assert set(data.valence) == set(data.positive_words) | set(data.negative_words)
    held = set(data.held_out_words)
    assert len(held & set(data.positive_words)) == len(held & set(data.negative_words)) == round(0.25 * n)
    assert list(data.held_out_words) == sorted(held)


# -- determinism ------------------------------------------------------------------------------

def test_load_negation_sentiment_is_deterministic_by_seed():
    a, b, c = (load_negation_sentiment(**{**SMALL, "seed": s}) for s in (3, 3, 4))
    for name in SPLITS:
        assert a.split(name).sentences == b.split(name).sentences
        np.testing.assert_array_equal(a.split(name).labels, b.split(name).labels)
    assert a.words == b.words and a.held_out_words == b.held_out_words
    assert a.train.sentences != c.train.sentences
    assert (a.positive_words, a.held_out_words) != (c.positive_words, c.held_out_words)


def test_load_negation_sentiment_leaves_the_global_generator_alone():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    load_negation_sentiment(**SMALL)
    assert np.random.random() == expected


# -- the label rule and the grammar, on every example ------------------------------------------

@pytest.mark.parametrize("name", SPLITS)
def test_labels_follow_the_rule_on_every_example(data, means, name):
    split = data.split(name)
    assert isinstance(split, SentimentSplit)
    n = len(split)
    assert split.labels.dtype == np.int64 and split.labels.shape == (n,)
    assert split.negated.dtype == bool and split.contrast.dtype == bool
    assert len(split.last_words) == len(split.templates) == n
    for i, sentence in enumerate(split.sentences):
        assert sentence == " ".join(sentence.split()) and sentence.islower()
        assert sentence.replace(" ", "").isalpha()
        clauses = _clauses(sentence)
        assert len(clauses) in (1, 2)
        parsed = [_parse_clause(c, data) for c in clauses]
        template, _, negator, _, word = parsed[-1]
        polarity = int(means[word] > 0)  # the lexicon's valence, read here
        assert split.labels[i] == (1 - polarity if negator else polarity), sentence
        assert split.last_words[i] == word and split.templates[i] == template
        assert split.negated[i] == (negator is not None) and split.contrast[i] == (len(clauses) == 2)
        if len(clauses) == 2:
            assert parsed[0][0] != parsed[1][0]  # two different templates


def test_splits_have_the_sizes_asked_for(default_data):
    d = default_data
    assert len(d.train) == 8000 and len(d.test_iid) == 1000 and len(d.test_negation) == 1000
    assert len(d.minimal_pairs) == 2 * 2 * (120 - 30)
    assert d.train.contrast.sum() == 2400
    assert d.test_iid.contrast.sum() == d.test_negation.contrast.sum() == 300
    assert not d.minimal_pairs.contrast.any()


@pytest.mark.parametrize("name", SPLITS)
def test_classes_are_roughly_balanced_in_every_split(data, name):
    labels = data.split(name).labels
    tolerance = 0.05 if len(labels) >= 1000 else 0.2
    assert abs(labels.mean() - 0.5) <= tolerance
    if name == "minimal_pairs":
        assert labels.mean() == 0.5


def test_intensifiers_and_negators_all_occur_in_training(default_data):
    tokens = {t for s in default_data.train.sentences for t in s.split()}
    assert set(NEGATORS) | set(INTENSIFIERS) | {"but"} <= tokens
    used = {t for t in default_data.train.templates}
    assert used == set(TEMPLATES)


# -- the splits ---------------------------------------------------------------------------------

def test_held_out_words_are_never_negated_in_training(data):
    held = set(data.held_out_words)
    seen_held, negated, plain = set(), set(), set()
    for sentence in data.train.sentences:
        for clause in _clauses(sentence):
            _, _, negator, _, word = _parse_clause(clause, data)
            if word in held:
                assert negator is None, sentence
                seen_held.add(word)
            (negated if negator else plain).add(word)
    assert seen_held == held  # every held-out word is in training, only unnegated
    others = set(data.valence) - held
    assert others <= negated and set(data.valence) <= plain and not negated & held
    counts = {w: data.train.last_words.count(w) for w in data.valence}
    assert max(counts.values()) - min(counts.values()) <= 1 and min(counts.values()) >= 2


def test_test_negation_negates_a_held_out_word_in_the_last_clause(data):
    split = data.test_negation
    held = set(data.held_out_words)
    assert split.negated.all() and set(split.last_words) <= held
    assert len(set(split.last_words)) == min(len(held), len(split))
    for sentence in split.sentences:
        *first, last = (_parse_clause(c, data) for c in _clauses(sentence))
        assert last[4] in held and last[2] in NEGATORS
        for clause in first:
            assert not (clause[4] in held and clause[2])  # first clauses are drawn as in training
    assert len(set(split.sentences)) == len(split)


def test_every_test_token_is_in_the_training_vocabulary(data):
    train_tokens = sorted({t for s in data.train.sentences for t in s.split()})
    assert data.words == (PAD, *train_tokens) and PAD not in train_tokens
    for name in SPLITS[1:]:
        tokens = {t for s in data.split(name).sentences for t in s.split()}
        assert tokens <= set(train_tokens), name


def test_test_iid_sentences_are_new_and_distinct(data):
    split = data.test_iid
    assert not set(split.sentences) & set(data.train.sentences)
    assert len(set(split.sentences)) == len(split)
    assert not set(split.last_words) & set(data.held_out_words)
    assert 0.3 <= split.negated.mean() <= 0.7


def test_minimal_pairs_differ_only_by_the_negator(data):
    split = data.minimal_pairs
    others = sorted(set(data.valence) - set(data.held_out_words))
    assert split.last_words[::2] == split.last_words[1::2] == others
    for i in range(0, len(split), 2):
        plain, negated = split.sentences[i].split(), split.sentences[i + 1].split()
        assert plain == ["the", "film", "was", split.last_words[i]]
        assert negated == plain[:3] + ["not"] + plain[3:]
        assert split.labels[i] == 1 - split.labels[i + 1] == int(split.last_words[i] in data.positive_words)
    assert not split.negated[::2].any() and split.negated[1::2].all()
    assert sum(w in data.positive_words for w in others) == sum(w in data.negative_words for w in others)


def test_minimal_pairs_cap_any_linear_bag_of_words_at_three_quarters(default_data):
    split = default_data.minimal_pairs
    ids, lengths = default_data.padded(split)
    counts = np.zeros((len(split), len(default_data.words)))
    np.add.at(counts, (np.broadcast_to(np.arange(len(split)), ids.shape), ids), 1.0)
    counts[:, 0] = 0.0  # padding
    rng = np.random.default_rng(0)
    for _ in range(200):
        weights, bias = rng.normal(size=counts.shape[1]), rng.normal()
        accuracy = ((counts @ weights + bias > 0) == split.labels).mean()
        assert accuracy <= 0.75


# -- encoding -----------------------------------------------------------------------------------

def test_encode_and_padded_round_trip(default_data):
    d = default_data
    ids, lengths = d.padded("test_negation")
    n = len(d.test_negation)
    assert ids.dtype == np.int64 and lengths.dtype == np.int64
    assert ids.shape == (lengths.max(), n) and lengths.shape == (n,)
    for b, sentence in enumerate(d.test_negation.sentences):
        assert lengths[b] == len(sentence.split())
        assert (ids[:lengths[b], b] > 0).all() and (ids[lengths[b]:, b] == 0).all()
        assert d.decode(ids[:, b]) == sentence
    seqs = d.encode(d.test_negation.sentences[:3])
    assert all(s.dtype == np.int64 for s in seqs)
    np.testing.assert_array_equal(seqs[1], ids[:lengths[1], 1])
    same, same_lengths = d.padded(d.test_negation.sentences)
    np.testing.assert_array_equal(same, ids)
    np.testing.assert_array_equal(same_lengths, lengths)
    np.testing.assert_array_equal(d.padded(d.test_negation)[0], ids)
    assert d.encode([]) == [] and d.padded([])[0].shape == (0, 0)


def test_encode_names_unknown_tokens(default_data):
    with pytest.raises(ValueError, match=r"tokens not in the vocabulary: \['fantabulous', 'movie'\]"):
        default_data.encode(["the movie was fantabulous", "the film was not dull"])
    with pytest.raises(ValueError, match=r"<pad>"):
        default_data.encode(["the film was <pad>"])


def test_encode_rejects_a_bare_string(default_data):
    with pytest.raises(TypeError, match="sentences must be a list of strings"):
        default_data.encode("the film was not dull")


def test_split_rejects_unknown_names(default_data):
    with pytest.raises(ValueError, match=r"split must be one of .*'minimal_pairs'\), got 'test'"):
        default_data.split("test")
    with pytest.raises(ValueError, match="split must be one of"):
        default_data.padded("valid")


def test_data_carries_rules_source_and_licence(default_data):
    d = default_data
    assert "Hutto" in d.source and "vaderSentiment" in d.source and "MIT" in d.licence
    assert "last clause" in d.rules and "negator" in d.rules and d.seed == 0
    assert sentiment.__doc__ and "0 = negative" in sentiment.__doc__


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seed="0"), TypeError, "seed must be a non-negative int, got str"),
    (dict(seed=True), TypeError, "seed must be a non-negative int, got bool"),
    (dict(seed=1.0), TypeError, "seed must be a non-negative int, got float"),
    (dict(seed=-1), ValueError, "seed must be a non-negative int, got -1"),
    (dict(n_train=0), ValueError, "n_train must be at least 1, got 0"),
    (dict(n_train=300), ValueError, r"n_train must be at least max\(4 \* words_per_polarity, 100\) = 480"),
    (dict(n_train=8000.0), TypeError, "n_train must be an int, got float"),
    (dict(n_test=0), ValueError, "n_test must be at least 1, got 0"),
    (dict(words_per_polarity=1), ValueError, "words_per_polarity must be at least 2, got 1"),
    (dict(words_per_polarity=1000, n_train=4000), ValueError, "words_per_polarity must be at most 138"),
    (dict(held_out_fraction=0), ValueError, "held_out_fraction must be strictly between 0 and 1, got 0"),
    (dict(held_out_fraction=1.0), ValueError, "held_out_fraction must be strictly between 0 and 1"),
    (dict(held_out_fraction="0.25"), TypeError, "held_out_fraction must be a number strictly between"),
    (dict(held_out_fraction=0.001), ValueError, r"held_out_fraction \* words_per_polarity must round to"),
    (dict(held_out_fraction=0.999), ValueError, r"held_out_fraction \* words_per_polarity must round to"),
    (dict(contrast_fraction=1.5), ValueError, "contrast_fraction must be strictly between 0 and 1, got 1.5"),
    (dict(contrast_fraction=None), TypeError, "contrast_fraction must be a number strictly between"),
])
def test_load_negation_sentiment_rejects_bad_arguments(kwargs, error, message):
    if "at most 138" in message and importlib.metadata.version("vaderSentiment") != "3.3.2":
        message = "words_per_polarity must be at most"  # the count is that of vaderSentiment 3.3.2
    with pytest.raises(error, match=message):
        load_negation_sentiment(**kwargs)


def test_load_negation_sentiment_says_when_too_few_distinct_sentences_exist():
    # 2 held-out words x 2 negators x 7 intensifier choices x 12 templates = 336 single clauses.
    with pytest.raises(ValueError, match="could not draw 2000 distinct test_negation sentences"):
        load_negation_sentiment(n_train=100, n_test=2000, words_per_polarity=2, held_out_fraction=0.5,
                                contrast_fraction=0.5)


def test_load_negation_sentiment_without_the_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(sentiment, "_VADER_MEMORY", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)
    with pytest.raises(ImportError, match=r"pip install 'rnncourse\[apps\]'"):
        load_negation_sentiment()


def test_importing_the_module_imports_neither_torch_nor_vader():
    code = ("import sys, rnncourse.datasets.sentiment; "
            "assert 'torch' not in sys.modules and 'vaderSentiment' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
