r"""Generated sentiment sentences in which word order decides the label (negation).

Source
------
Word valences come from the VADER lexicon: C. J. Hutto and E. Gilbert (2014), "VADER: A
Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text", Eighth
International AAAI Conference on Weblogs and Social Media (ICWSM-14). Each of its 7,500 lines
holds a token, its mean valence on a scale from -4 (most negative) to +4 (most positive), the
standard deviation of the ratings, and the ten raters' scores. The file ``vader_lexicon.txt``
is read from the installed PyPI package ``vaderSentiment`` (MIT licence); nothing is
downloaded, and ``pip install 'rnncourse[apps]'`` installs the package. The templates, the
sentences and the splits are generated here; they are not VADER's.

The sentiment words (``sentiment_words()``)
---------------------------------------------
A token of the lexicon is a sentiment word when all of these hold:

1. it is one lowercase alphabetic token (``[a-z]+``);
2. its mean valence is at least 1.5 in size (:data:`MIN_ABS_VALENCE`), so its polarity is clear;
3. the raters agree: the standard deviation of their scores is at most 1.2
   (:data:`MAX_RATER_SD`);
4. it looks like an adjective, so that "the film was <word>" reads as English. The test is
   morphological, on the lexicon itself: the lexicon (or VADER's list of boosters) also holds
   its adverb -- word + "ly", or "y" -> "ily", "le" -> "ly", "ic" -> "ically", "e" -> "ly",
   "ll" -> "lly" (bad/badly, happy/happily, horrible/horribly, tragic/tragically, true/truly,
   dull/dully) -- or, for a word that does not itself end in "-ly", its superlative -- word +
   "est", "y" -> "iest", "e" -> "est", a doubled last letter + "est" (sad/saddest), or the one
   irregular pair good/best. Adverbs in -ly and nouns in -ity, -ness, -ment, -tion and the
   like have neither, so they drop out;
5. it is not one of VADER's negators ("not", "never", "without", ...) or boosters ("very",
   "so", "hardly", "incredible", ...) nor a word of its two-word boosters ("kind of", "sort
   of", "just enough"), and not one of this module's negators or intensifiers;
6. it is not in :data:`EXCLUDED`, a short list (read what comes out of rules 1-5 and
   decided by hand): nouns and verbs that rule 4 lets through ("love" beside "lovely",
   "friend" beside "friendly"), participles that name an action rather than a quality
   ("laughing", "smiling"), rare or misspelt forms ("luckie", "tragical"), "pretty" (also a
   degree adverb: "pretty dull"), "fond" (needs "of"), and profanity, insults and words
   about sex or mental illness, unfit for a course's examples.

With vaderSentiment 3.3.2 that leaves 172 positive and 138 negative words
(``sentiment_words()``). :func:`load_negation_sentiment` draws ``words_per_polarity`` of
each at random (seeded), so the classes are balanced word for word.

The sentences
-------------
A *clause* is one of the 12 templates of :data:`TEMPLATES` ("the film was {}", "the food is
{}", "our stay was {}", ...) filled with an optional negator from :data:`NEGATORS` ("not" or
"never", two of VADER's negators; VADER counts "hardly" as a dampener, so it is left out),
then an optional intensifier from :data:`INTENSIFIERS` ("very", "really", "quite", "so",
"truly", "extremely"), then the sentiment word: "the film was not very dull". Half the
clauses (chosen at random) carry an intensifier. A *contrast* sentence joins two clauses from
different templates with "but": "the food is bad but our stay was
not very pleasant".
Sentences are lowercase tokens separated by single spaces, with no punctuation. The templates
read as English; they do not always make sense ("the weather is courageous"), which no label
depends on.

The label rule (:data:`RULES`; 1 = positive, 0 = negative)
-----------------------------------------------------------
A clause's polarity is the sign of its sentiment word's VADER valence, flipped when the clause
has a negator; intensifiers do not change it. A sentence's label is the polarity of its last
clause: the one after "but" in a contrast sentence, the only clause otherwise.

The splits (fixed by the seed)
------------------------------
- *Held-out-negation words* (``held_out_words``): ``round(held_out_fraction *
  words_per_polarity)`` positive and as many negative words, drawn at random. Training shows
  them only unnegated: in every clause of every training sentence.
- ``train``: each sentiment word is the last clause's word equally often (to within one);
  the last clause of every other word is negated in half its sentences (to within one); a
  first clause (of a contrast sentence) has a word drawn uniformly from all words, negated
  with probability 1/2 unless the word is held out. ``round(contrast_fraction * n_train)``
  sentences (at least one) are contrast sentences. Every word occurs at least twice as a last
  clause, and every word not held out at least once negated and once not.
- ``test_negation`` (generalising negation): ``n_test`` distinct sentences whose last clause
  holds a held-out-negation word, negated; their first clauses (in the same fraction of
  contrast sentences) are drawn as in training. Every token of these sentences occurs in
  training, but no held-out word is ever negated there. A bag of words (or any model that
  adds up evidence from single words) predicts the word's own polarity and gets these wrong.
- ``test_iid``: ``n_test`` distinct sentences drawn as in training whose last clause holds a
  word that is not held out; none of them is a training sentence.
- ``minimal_pairs``: for each word not held out (all of them are seen negated in training),
  in alphabetical order, the pair "the film was <word>" (its polarity) and "the film was not
  <word>" (the opposite): consecutive rows 2i and 2i + 1. Positive and negative words are as
  many, so a model linear in token counts gets at most 3 of every 4 right: the two sentences
  of a pair differ by one count of "not", so their scores differ by its one weight w. Both
  sentences of a positive word's pair right needs w < 0 (the score must cross the threshold
  downwards), both of a negative word's pair w > 0; whatever w is, every pair of one polarity
  has an error.

The vocabulary (``SentimentData.words``) is the sorted set of the training sentences' tokens,
after :data:`PAD` (id 0, for padding): every token of every split is in it.

Loading takes about 0.1 s on a 2-core CPU; the parsed lexicon is kept in memory.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "SentimentSplit",
    "SentimentData",
    "load_negation_sentiment",
    "sentiment_words",
    "read_vader_lexicon",
    "TEMPLATES",
    "NEGATORS",
    "INTENSIFIERS",
    "EXCLUDED",
    "MIN_ABS_VALENCE",
    "MAX_RATER_SD",
    "PAD",
    "RULES",
    "VADER_SOURCE",
    "VADER_LICENCE",
]

SPLITS = ("train", "test_iid", "test_negation", "minimal_pairs")

#: Each clause is one of these, with "{}" replaced by [negator] [intensifier] word.
TEMPLATES = (
    "the film was {}",
    "the food is {}",
    "our stay was {}",
    "the service was {}",
    "the staff were {}",
    "this book is {}",
    "the music was {}",
    "the ending was {}",
    "my neighbours are {}",
    "the weather is {}",
    "the game was {}",
    "her answer was {}",
)
#: A negator flips the polarity of its clause (both are VADER negators).
NEGATORS = ("not", "never")
#: An intensifier does not change the polarity of its clause.
INTENSIFIERS = ("very", "really", "quite", "so", "truly", "extremely")
#: The one template and negator of the minimal pairs.
MINIMAL_PAIR_TEMPLATE = TEMPLATES[0]
MINIMAL_PAIR_NEGATOR = "not"
#: Joins the two clauses of a contrast sentence.
CONTRAST = "but"
#: The padding token, id 0 of the vocabulary.
PAD = "<pad>"

MIN_ABS_VALENCE = 1.5
MAX_RATER_SD = 1.2
#: Each clause carries an intensifier with this probability.
P_INTENSIFIER = 0.5

#: Tokens that pass rules 1-5 of the module docstring but are left out, by reason.
EXCLUDED = {
    "nouns and verbs": ("anger", "bastard", "cheer", "coward", "darling", "friend", "giggle",
                        "grime", "heaven", "killing", "love", "lover", "miser"),
    "participles naming an action": ("admiring", "adoring", "giggling", "laughing", "mourning",
                                     "rejecting", "smiling"),
    "rare or misspelt forms": ("affectional", "beauteous", "benignant", "blamable", "blameful",
                               "cutesy", "dumpy", "easeful", "heroical", "impressionistic",
                               "inspiriting", "intellective", "luckie", "magnific", "magnifical",
                               "naggy", "problematical", "respective", "splendiferous", "tragical",
                               "troublous"),
    "also a degree adverb": ("pretty",),
    "needs a complement (fond of)": ("fond",),
    "profanity, insults, sex and mental illness": ("amorous", "bitchy", "damnable", "damned", "dumb",
                                                   "kissable", "masochistic", "moronic",
                                                   "obsessional", "shitty", "sluttish", "slutty",
                                                   "stupid"),
}

VADER_SOURCE = ("VADER sentiment lexicon (Hutto and Gilbert 2014, ICWSM-14: 'VADER: A Parsimonious "
                "Rule-based Model for Sentiment Analysis of Social Media Text'), from the PyPI package "
                "vaderSentiment; sentences, templates and splits generated by rnncourse")
VADER_LICENCE = "MIT (the vaderSentiment package and its lexicon)"

RULES = (
    "Words: VADER lexicon tokens that are single lowercase words with |mean valence| >= 1.5, rater "
    "standard deviation <= 1.2, an adverb (-ly) or superlative (-est) in the lexicon (so that they "
    "read as adjectives), not a VADER negator or booster, and not in a short list of exclusions; "
    "as many positive as negative words are drawn.\n"
    "Sentences: a clause is a template such as 'the film was {}' filled with an optional negator "
    "(not, never), an optional intensifier (very, really, quite, so, truly, extremely) "
    "and the word; a contrast sentence is '<clause> but <clause>' with two different templates.\n"
    "Label (1 = positive): a clause's polarity is the sign of its word's valence, flipped when the "
    "clause has a negator; intensifiers do not change it; the sentence's label is the polarity of "
    "its last clause (the one after 'but').\n"
    "Splits: held-out-negation words (as many positive as negative) are never negated in training. "
    "test_negation: the last clause holds a held-out word, negated (every token seen in training). "
    "test_iid: drawn like training from the other words, no sentence of train. minimal_pairs: "
    "'the film was w' and 'the film was not w' for every other word, labels flipped."
)

_INSTALL_HINT = "pip install 'rnncourse[apps]'"
_WORD = re.compile(r"[a-z]+")

# (lexicon, negators, boosters) read from vaderSentiment, kept by read_vader_lexicon.
_VADER_MEMORY: tuple | None = None


# -- the lexicon --------------------------------------------------------------------------------

def _read_vader() -> tuple[dict[str, tuple[float, float, tuple[int, ...]]], frozenset, frozenset]:
    try:
        from importlib.resources import files

        from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE
        text = files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    except ImportError as err:
        raise ImportError(f"the sentiment data needs the package vaderSentiment: {_INSTALL_HINT}") from err
    lexicon = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 4:
            raise RuntimeError(f"vader_lexicon.txt line {number} has {len(parts)} fields, expected 4")
        ratings = tuple(int(r) for r in parts[3].strip(" []").split(","))
        lexicon[parts[0]] = (float(parts[1]), float(parts[2]), ratings)
    return lexicon, frozenset(NEGATE), frozenset(BOOSTER_DICT)


def read_vader_lexicon() -> dict[str, tuple[float, float, tuple[int, ...]]]:
    """The VADER lexicon: token -> (mean valence, standard deviation, the raters' scores).

    Read from the installed ``vaderSentiment`` package once per process; a copy is returned.

    Raises
    ------
    ImportError
        If ``vaderSentiment`` is not installed (the message says ``pip install 'rnncourse[apps]'``).
    """
    return dict(_vader()[0])


def _vader():
    global _VADER_MEMORY
    if _VADER_MEMORY is None:
        _VADER_MEMORY = _read_vader()
    return _VADER_MEMORY


def _adverbs(word: str) -> set[str]:
    out = {word + "ly"}
    if word.endswith("y"):
        out.add(word[:-1] + "ily")
    if word.endswith("le"):
        out.add(word[:-1] + "y")
    if word.endswith("ic"):
        out.add(word + "ally")
    if word.endswith("e"):
        out.add(word[:-1] + "ly")
    if word.endswith("ll"):
        out.add(word + "y")
    return out


def _superlatives(word: str) -> set[str]:
    if word.endswith("ly"):
        return set()
    out = {word + "est", word + word[-1] + "est"}
    if word.endswith("y"):
        out.add(word[:-1] + "iest")
    if word.endswith("e"):
        out.add(word + "st")
    if word == "good":
        out.add("best")
    return out


def sentiment_words() -> dict[str, float]:
    """Every token that passes the word rules of the module docstring -> its mean valence.

    Sorted alphabetically. With vaderSentiment 3.3.2: 172 positive and 138 negative words.
    """
    lexicon, negate, boosters = _vader()
    booster_words = {w for phrase in boosters for w in phrase.split()}
    unwanted = set(negate) | booster_words | set(NEGATORS) | set(INTENSIFIERS) | {CONTRAST}
    unwanted |= {w for words in EXCLUDED.values() for w in words}
    in_lexicon = set(lexicon)
    known = in_lexicon | set(boosters)
    out = {}
    for word in sorted(lexicon):
        mean, sd, _ = lexicon[word]
        if (_WORD.fullmatch(word) and abs(mean) >= MIN_ABS_VALENCE and sd <= MAX_RATER_SD
                and word not in unwanted
                and (_adverbs(word) & known or _superlatives(word) & in_lexicon)):
            out[word] = mean
    return out


# -- the data set -------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SentimentSplit:
    """One split: sentences, labels, and what generated each sentence.

    Attributes
    ----------
    sentences : list[str]
        Lowercase tokens separated by single spaces.
    labels : ndarray of int64, shape (N,)
        1 = positive, 0 = negative, by the label rule.
    last_words : list[str]
        The sentiment word of each sentence's last clause.
    negated : ndarray of bool, shape (N,)
        Whether the last clause has a negator.
    contrast : ndarray of bool, shape (N,)
        Whether the sentence is a contrast sentence ("<clause> but <clause>").
    templates : list[str]
        The template of the last clause (one of :data:`TEMPLATES`).
    """

    sentences: list[str]
    labels: np.ndarray
    last_words: list[str]
    negated: np.ndarray
    contrast: np.ndarray
    templates: list[str]

    def __len__(self) -> int:
        return len(self.sentences)


@dataclass(frozen=True, eq=False)
class SentimentData:
    """The negation sentiment data set: four splits, the words, and a word-level vocabulary.

    Attributes
    ----------
    train, test_iid, test_negation, minimal_pairs : SentimentSplit
        See the module docstring for how each is drawn.
    words : tuple[str, ...]
        The vocabulary: ``words[i]`` has id ``i``; ``words[0]`` is :data:`PAD`, then the sorted
        tokens of the training sentences (every token of every split is among them).
    positive_words, negative_words : tuple[str, ...]
        The sentiment words drawn, sorted; as many of each.
    held_out_words : tuple[str, ...]
        The held-out-negation words (as many positive as negative), sorted: never negated in
        training; negated in the last clause of every ``test_negation`` sentence.
    valence : dict[str, float]
        Sentiment word -> its VADER mean valence.
    seed : int
    rules : str
        The rules, in words, to quote (:data:`RULES`).
    source, licence : str
    """

    train: SentimentSplit
    test_iid: SentimentSplit
    test_negation: SentimentSplit
    minimal_pairs: SentimentSplit
    words: tuple[str, ...]
    positive_words: tuple[str, ...]
    negative_words: tuple[str, ...]
    held_out_words: tuple[str, ...]
    valence: dict[str, float]
    seed: int
    rules: str = RULES
    source: str = VADER_SOURCE
    licence: str = VADER_LICENCE
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    def split(self, name: str) -> SentimentSplit:
        """The split called ``name``: "train", "test_iid", "test_negation" or "minimal_pairs"."""
        if name not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {name!r}")
        return getattr(self, name)

    def encode(self, sentences) -> list[np.ndarray]:
        """Token ids of each sentence: a list of int64 arrays, shape (length,), ids in [1, V).

        Raises
        ------
        TypeError
            If ``sentences`` is a single string rather than a list of them.
        ValueError
            If a token is not in the vocabulary (the message names every such token).
        """
        if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
            raise TypeError("sentences must be a list of strings (for one sentence, pass [sentence])")
        token_lists = [s.split() for s in sentences]
        unknown = sorted({t for tokens in token_lists for t in tokens if t not in self._index or t == PAD})
        if unknown:
            raise ValueError(f"tokens not in the vocabulary: {unknown}")
        return [np.array([self._index[t] for t in tokens], dtype=np.int64) for tokens in token_lists]

    def decode(self, ids) -> str:
        """The sentence of a sequence of ids; padding (id 0) is dropped."""
        return " ".join(self.words[int(i)] for i in ids if int(i) != 0)

    def padded(self, split) -> tuple[np.ndarray, np.ndarray]:
        """A split (its name, a :class:`SentimentSplit` or a list of sentences) as padded ids.

        Returns
        -------
        ids : ndarray of int64, shape (T, B)
            Time-major: column b holds sentence b's ids, then 0 (padding); T is the longest length.
        lengths : ndarray of int64, shape (B,)
            The number of tokens of each sentence.
        """
        if isinstance(split, str):
            split = self.split(split)
        sentences = split.sentences if isinstance(split, SentimentSplit) else split
        seqs = self.encode(sentences)
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)  # (B,)
        ids = np.zeros((int(lengths.max(initial=0)), len(seqs)), dtype=np.int64)  # (T, B)
        for b, seq in enumerate(seqs):
            ids[:len(seq), b] = seq
        return ids, lengths


# -- generation ---------------------------------------------------------------------------------

def _check_int(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")


def _check_fraction(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number strictly between 0 and 1, got {type(value).__name__}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")


def _balanced(rng: np.random.Generator, items: np.ndarray, n: int) -> np.ndarray:
    """n draws of ``items`` in random order, each item floor(n / k) or ceil(n / k) times."""
    return rng.permutation(np.resize(rng.permutation(items), n))


def _alternate(rng: np.random.Generator, keys: np.ndarray) -> np.ndarray:
    """For each key, True on every other of its occurrences (from a random start): half, to within one."""
    flags = np.zeros(len(keys), dtype=bool)
    for key in np.unique(keys):
        where = np.flatnonzero(keys == key)
        flags[where] = (np.arange(len(where)) + rng.integers(2)) % 2 == 0
    return flags


class _Generator:
    """Draws clauses and sentences for one call of load_negation_sentiment."""

    def __init__(self, rng, polarity: dict[str, int], held_out: set[str], contrast_fraction: float):
        self.rng = rng
        self.polarity = polarity
        self.held_out = held_out
        self.all_words = np.array(sorted(polarity))
        self.contrast_fraction = contrast_fraction

    def _clauses(self, words: np.ndarray, negated: np.ndarray, templates: np.ndarray) -> list[str]:
        rng, n = self.rng, len(words)
        negator = _balanced(rng, np.arange(len(NEGATORS)), n)
        intensify = rng.random(n) < P_INTENSIFIER
        intensifier = _balanced(rng, np.arange(len(INTENSIFIERS)), n)
        out = []
        for i in range(n):
            parts = [NEGATORS[negator[i]]] if negated[i] else []
            if intensify[i]:
                parts.append(INTENSIFIERS[intensifier[i]])
            parts.append(words[i])
            out.append(TEMPLATES[templates[i]].format(" ".join(parts)))
        return out

    def draw(self, last_words: np.ndarray, last_negated: np.ndarray, n_contrast: int) -> list[tuple]:
        """Sentences with these last clauses; n_contrast of them (at random) contrast sentences.

        Returns records (sentence, label, last word, negated, contrast, template)."""
        rng, n = self.rng, len(last_words)
        contrast = np.zeros(n, dtype=bool)
        contrast[rng.permutation(n)[:n_contrast]] = True
        t_last = _balanced(rng, np.arange(len(TEMPLATES)), n)
        last = self._clauses(last_words, last_negated, t_last)
        t_first = (t_last + rng.integers(1, len(TEMPLATES), size=n)) % len(TEMPLATES)  # a different one
        first_words = self.all_words[rng.integers(len(self.all_words), size=n)]
        first_negated = (rng.random(n) < 0.5) & ~np.isin(first_words, list(self.held_out))
        first = self._clauses(first_words, first_negated, t_first)
        records = []
        for i in range(n):
            sentence = f"{first[i]} {CONTRAST} {last[i]}" if contrast[i] else last[i]
            label = self.polarity[last_words[i]] ^ int(last_negated[i])
            records.append((sentence, label, str(last_words[i]), bool(last_negated[i]), bool(contrast[i]),
                            TEMPLATES[t_last[i]]))
        return records

    def n_contrast(self, n: int) -> int:
        return int(round(self.contrast_fraction * n))

    def draw_unique(self, n: int, words: np.ndarray, negate: str, exclude: set[str], split: str):
        """n distinct sentences, none in ``exclude``, round(contrast_fraction * n) of them contrast
        sentences; the last clause's word from ``words``, negated "always" or in "half" its uses."""
        wanted = {True: self.n_contrast(n), False: n - self.n_contrast(n)}  # contrast -> how many
        kept = {True: [], False: []}
        seen = set(exclude)
        stale = 0  # rounds in a row that found no new sentence
        while stale < 5:
            m = n - len(kept[True]) - len(kept[False])
            if m == 0:
                records = kept[True] + kept[False]
                return [records[i] for i in self.rng.permutation(n)]
            stale += 1
            last_words = _balanced(self.rng, words, m)
            negated = np.ones(m, dtype=bool) if negate == "always" else _alternate(self.rng, last_words)
            for record in self.draw(last_words, negated, wanted[True] - len(kept[True])):
                group = kept[record[4]]
                if record[0] not in seen and len(group) < wanted[record[4]]:
                    seen.add(record[0])
                    group.append(record)
                    stale = 0
        raise ValueError(f"could not draw {n} distinct {split} sentences from these words; "
                         f"ask for fewer (n_test) or for more words (words_per_polarity)")


def _split(records: list[tuple]) -> SentimentSplit:
    sentences, labels, words, negated, contrast, templates = zip(*records) if records else ([],) * 6
    return SentimentSplit(sentences=list(sentences), labels=np.array(labels, dtype=np.int64),
                          last_words=list(words), negated=np.array(negated, dtype=bool),
                          contrast=np.array(contrast, dtype=bool), templates=list(templates))


def load_negation_sentiment(seed: int = 0, n_train: int = 8000, n_test: int = 1000,
                            words_per_polarity: int = 120, held_out_fraction: float = 0.25,
                            contrast_fraction: float = 0.3) -> SentimentData:
    """Generated sentiment sentences where negation (word order) decides the label.

    See the module docstring for the words, the sentences, the label rule and the splits.
    With the defaults: 240 words (120 positive, 120 negative), 60 of them held out from
    negation (30 + 30); train 8000 sentences, test_iid and test_negation 1000 each,
    minimal_pairs 360 (180 pairs); a vocabulary of about 270 tokens with the padding.

    Parameters
    ----------
    seed : int
        Seeds a local ``numpy.random.default_rng``: the same seed gives the same data.
    n_train : int
        Training sentences, at least ``4 * words_per_polarity`` and 100 (so that every word
        occurs, and every word not held out occurs negated and not).
    n_test : int
        Sentences of ``test_iid`` and of ``test_negation`` each, at least 1.
    words_per_polarity : int
        Positive words drawn, and as many negative ones; at least 2, at most what
        ``sentiment_words()`` offers of the rarer polarity (138 with vaderSentiment 3.3.2).
    held_out_fraction : float
        Strictly between 0 and 1: the fraction of each polarity's words held out from negation.
        ``round(held_out_fraction * words_per_polarity)`` must be between 1 and
        ``words_per_polarity - 1``.
    contrast_fraction : float
        Strictly between 0 and 1: the fraction of contrast sentences in train, test_iid and
        test_negation.

    Returns
    -------
    SentimentData

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or out of range (the message names it).
    ImportError
        If ``vaderSentiment`` is not installed (the message says ``pip install 'rnncourse[apps]'``).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    _check_int("words_per_polarity", words_per_polarity, 2)
    _check_int("n_train", n_train, 1)
    _check_int("n_test", n_test, 1)
    _check_fraction("held_out_fraction", held_out_fraction)
    _check_fraction("contrast_fraction", contrast_fraction)
    n_held = int(round(held_out_fraction * words_per_polarity))
    if not 1 <= n_held <= words_per_polarity - 1:
        raise ValueError(f"held_out_fraction * words_per_polarity must round to between 1 and "
                         f"words_per_polarity - 1 = {words_per_polarity - 1} held-out words per polarity, "
                         f"got {held_out_fraction} * {words_per_polarity} -> {n_held}")
    low = max(4 * words_per_polarity, 100)
    if n_train < low:
        raise ValueError(f"n_train must be at least max(4 * words_per_polarity, 100) = {low}, so that "
                         f"every word occurs negated and not, got {n_train}")
    pool = sentiment_words()
    positive = sorted(w for w, v in pool.items() if v > 0)
    negative = sorted(w for w, v in pool.items() if v < 0)
    available = min(len(positive), len(negative))
    if words_per_polarity > available:
        raise ValueError(f"words_per_polarity must be at most {available} (the lexicon offers "
                         f"{len(positive)} positive and {len(negative)} negative words), "
                         f"got {words_per_polarity}")

    rng = np.random.default_rng(int(seed))
    pos = sorted(rng.choice(positive, size=words_per_polarity, replace=False).tolist())
    neg = sorted(rng.choice(negative, size=words_per_polarity, replace=False).tolist())
    held = sorted(rng.choice(pos, size=n_held, replace=False).tolist()
                  + rng.choice(neg, size=n_held, replace=False).tolist())
    polarity = {w: 1 for w in pos} | {w: 0 for w in neg}
    gen = _Generator(rng, polarity, set(held), float(contrast_fraction))
    all_words = np.array(sorted(polarity))
    others = np.array(sorted(set(polarity) - set(held)))

    # train: every word equally often as the last clause; the others negated in half of those.
    last_words = _balanced(rng, all_words, n_train)
    negated = _alternate(rng, last_words) & ~np.isin(last_words, held)
    train = gen.draw(last_words, negated, max(1, gen.n_contrast(n_train)))
    train_sentences = {r[0] for r in train}
    test_negation = gen.draw_unique(n_test, np.array(held), "always", set(), "test_negation")
    test_iid = gen.draw_unique(n_test, others, "half", train_sentences, "test_iid")

    pairs = []
    for word in others.tolist():
        pol = polarity[word]
        template = MINIMAL_PAIR_TEMPLATE
        negated_word = f"{MINIMAL_PAIR_NEGATOR} {word}"
        pairs.append((template.format(word), pol, word, False, False, template))
        pairs.append((template.format(negated_word), 1 - pol, word, True, False, template))

    words = (PAD,) + tuple(sorted({t for r in train for t in r[0].split()}))
    data = SentimentData(train=_split(train), test_iid=_split(test_iid), test_negation=_split(test_negation),
                         minimal_pairs=_split(pairs), words=words, positive_words=tuple(pos),
                         negative_words=tuple(neg), held_out_words=tuple(held),
                         valence={w: pool[w] for w in sorted(polarity)}, seed=int(seed))
    vocab = set(words)
    for name in SPLITS[1:]:
        missing = {t for s in data.split(name).sentences for t in s.split()} - vocab
        if missing:  # the schedules above rule this out
            raise RuntimeError(f"{name} has tokens that training lacks: {sorted(missing)}")
    return data
