"""Generated DNA motif tasks: encoding, the labelling rules, planted positions, seeds, splits, errors."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from rnncourse.datasets.dna import (BAMHI_SITE, DNA_ALPHABET, TATA_BOX, MotifSplits, MotifTask, decode_dna,
                                    encode_dna, make_motif_splits, make_motif_task, motifs_can_overlap)


def _occurrences(seq: str, motif: str) -> list[int]:
    """Every start of motif in seq, overlapping ones included."""
    return [m.start() for m in re.finditer(f"(?={motif})", seq)]


# -- encoding -----------------------------------------------------------------------------------

def test_encode_dna_maps_acgt_to_0123_and_round_trips():
    ids = encode_dna("ACGTTA")
    assert ids.dtype == np.int64 and ids.tolist() == [0, 1, 2, 3, 3, 0]
    assert decode_dna(ids) == "ACGTTA" and DNA_ALPHABET == "ACGT"
    assert encode_dna("").shape == (0,) and decode_dna(np.zeros(0, dtype=np.int64)) == ""


def test_encode_dna_names_the_bad_letters():
    with pytest.raises(ValueError, match=r"only the upper-case letters 'ACGT'; found \['N', 'a'\]"):
        encode_dna("ACaGNN")
    with pytest.raises(ValueError, match=r"found \['é'\]"):
        encode_dna("Aé")
    with pytest.raises(TypeError, match="seq must be a str"):
        encode_dna(b"ACGT")


def test_decode_dna_rejects_ids_outside_0_to_3():
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\)"):
        decode_dna([0, 4])


# -- motif overlaps ------------------------------------------------------------------------------

def test_motifs_can_overlap_default_motifs_never_overlap():
    assert not motifs_can_overlap(TATA_BOX, BAMHI_SITE) and not motifs_can_overlap(BAMHI_SITE, TATA_BOX)
    assert not motifs_can_overlap(TATA_BOX, TATA_BOX) and not motifs_can_overlap(BAMHI_SITE, BAMHI_SITE)


def test_motifs_can_overlap_finds_every_kind_of_overlap():
    assert motifs_can_overlap("ATAT", "ATAT")      # self-overlap at shift 2
    assert motifs_can_overlap("TATAAA", "AAAC")    # suffix of one = prefix of the other
    assert motifs_can_overlap("CCTA", "TATAAA")    # suffix "TA" = prefix "TA"
    assert motifs_can_overlap("AAAC", "TATAAA")    # ... the other way round: "AAA"
    assert motifs_can_overlap("TATAAA", "TAA")     # one contains the other
    assert not motifs_can_overlap("ACGA", "TTTT") and not motifs_can_overlap("CAAA", "TATAAA")


# -- the "contains" task -----------------------------------------------------------------------------

def test_make_motif_task_contains_label_is_motif_in_sequence_on_every_example():
    data = make_motif_task("contains", n=3000, min_length=50, max_length=200, seed=1)
    assert isinstance(data, MotifTask) and len(data) == 3000
    assert all((TATA_BOX in s) == bool(y) for s, y in zip(data.sequences, data.labels))
    assert data.rule == "label 1 iff the sequence contains TATAAA"


def test_make_motif_task_contains_is_balanced_and_int64():
    for n in (1, 2, 7, 1000):
        labels = make_motif_task("contains", n=n, seed=2).labels
        assert labels.dtype == np.int64 and labels.shape == (n,)
        assert labels.sum() == n // 2 and set(labels.tolist()) <= {0, 1}


def test_make_motif_task_contains_planted_positions_hold_the_motif():
    data = make_motif_task("contains", n=2000, seed=3)
    pos = data.motif_positions
    assert pos.dtype == np.int64 and pos.shape == (2000, 2)
    assert (pos[:, 1] == -1).all() and ((pos[:, 0] >= 0) == (data.labels == 1)).all()
    for s, p in zip(data.sequences, pos[:, 0]):
        if p >= 0:
            assert s[p:p + 6] == TATA_BOX and p + 6 <= len(s)
    starts = pos[data.labels == 1, 0]
    assert starts.min() == 0 and starts.max() > 150  # anywhere, up to the end


def test_make_motif_task_contains_negatives_needed_resampling_at_the_chance_rate():
    # Without resampling, about 4.7 % of random length-200 sequences contain TATAAA.
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 4, size=(4000, 200))  # (n, L)
    rate = np.mean([TATA_BOX in decode_dna(r) for r in raw])
    assert 0.035 < rate < 0.06


# -- the "order" task -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def order():
    return make_motif_task("order", n=3000, min_length=27, max_length=200, seed=4)


def test_make_motif_task_order_each_motif_exactly_once(order):
    for s in order.sequences:
        assert len(_occurrences(s, TATA_BOX)) == 1 and len(_occurrences(s, BAMHI_SITE)) == 1


def test_make_motif_task_order_label_is_which_motif_comes_first(order):
    for s, y in zip(order.sequences, order.labels):
        assert y == int(s.index(TATA_BOX) < s.index(BAMHI_SITE))
    assert order.labels.sum() == 1500 and order.second_motif == BAMHI_SITE
    assert "TATAAA comes before GGATCC" in order.rule


def test_make_motif_task_order_planted_positions_and_gaps(order):
    pos, lengths = order.motif_positions, order.lengths()
    for s, (a, b) in zip(order.sequences, pos):
        assert s[a:a + 6] == TATA_BOX and s[b:b + 6] == BAMHI_SITE
    first, second = pos.min(axis=1), pos.max(axis=1)
    gaps = np.stack([first, second - first - 6, lengths - second - 6], axis=1)  # (n, 3): s0, s1, s2
    assert gaps.min() >= 5  # min_gap: no 6-mer touches both motifs or a motif and an end
    assert (gaps == 5).any(axis=0).all()  # each gap reaches its minimum
    # the gaps are distributed alike in both classes: mean of each within 3 standard errors
    for j in range(3):
        g1, g0 = gaps[order.labels == 1, j], gaps[order.labels == 0, j]
        se = np.sqrt(g1.var() / len(g1) + g0.var() / len(g0))
        assert abs(g1.mean() - g0.mean()) < 3 * se


def test_make_motif_task_order_kmer_counts_do_not_beat_chance():
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    results = {}
    for task in ("contains", "order"):
        splits = make_motif_splits(task, n_train=3000, n_valid=1, n_test=2000, seed=5, max_length=120)
        vec = CountVectorizer(analyzer="char", ngram_range=(6, 6), lowercase=False)
        model = LogisticRegression(max_iter=2000).fit(vec.fit_transform(splits.train.sequences),
                                                      splits.train.labels)
        results[task] = model.score(vec.transform(splits.test.sequences), splits.test.labels)
    assert results["contains"] > 0.98
    assert abs(results["order"] - 0.5) < 0.035  # 2000 test examples: a 95 % interval is +-0.022


# -- common to both tasks ------------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["contains", "order"])
def test_make_motif_task_lengths_within_bounds_and_cover_them(task):
    data = make_motif_task(task, n=4000, min_length=30, max_length=40, seed=6)
    lengths = data.lengths()
    assert lengths.dtype == np.int64 and lengths.min() == 30 and lengths.max() == 40
    assert all(set(s) <= set("ACGT") for s in data.sequences)
    assert (data.min_length, data.max_length) == (30, 40)
    # lengths do not give the label away
    assert abs(lengths[data.labels == 1].mean() - lengths[data.labels == 0].mean()) < 0.5


@pytest.mark.parametrize("task", ["contains", "order"])
def test_make_motif_task_is_deterministic_by_seed(task):
    a = make_motif_task(task, n=500, seed=7)
    b = make_motif_task(task, n=500, seed=7)
    c = make_motif_task(task, n=500, seed=8)
    assert a.sequences == b.sequences
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.motif_positions, b.motif_positions)
    assert a.sequences != c.sequences and not set(a.sequences) & set(c.sequences)


def test_make_motif_task_does_not_touch_the_global_generator():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    make_motif_task("order", n=100, seed=0)
    assert np.random.random() == expected


def test_make_motif_task_ids_encode_the_sequences():
    data = make_motif_task("order", n=5, seed=9)
    ids = data.ids()
    assert [len(x) for x in ids] == data.lengths().tolist()
    assert all(x.dtype == np.int64 and decode_dna(x) == s for x, s in zip(ids, data.sequences))


def test_make_motif_task_custom_motifs():
    data = make_motif_task("order", n=200, min_length=40, max_length=60, motif="ACGTTG",
                           second_motif="CCCAGG", seed=10)
    for s, y in zip(data.sequences, data.labels):
        assert s.count("ACGTTG") == 1 and s.count("CCCAGG") == 1
        assert y == int(s.index("ACGTTG") < s.index("CCCAGG"))


@pytest.mark.parametrize("task", ["contains", "order"])
def test_make_motif_task_20000_sequences_take_well_under_a_second(task):
    make_motif_task(task, n=100, seed=0)  # warm up
    start = time.perf_counter()
    data = make_motif_task(task, n=20000, min_length=50, max_length=200, seed=11)
    assert time.perf_counter() - start < 1.0 and len(data) == 20000


# -- splits ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["contains", "order"])
def test_make_motif_splits_are_disjoint_balanced_and_seeded(task):
    splits = make_motif_splits(task, n_train=1000, n_valid=300, n_test=500, seed=12)
    assert isinstance(splits, MotifSplits)
    train, valid, test = splits
    assert (len(train), len(valid), len(test)) == (1000, 300, 500)
    assert not set(train.sequences) & set(test.sequences)
    assert not set(train.sequences) & set(valid.sequences) and not set(valid.sequences) & set(test.sequences)
    assert [int(s.labels.sum()) for s in splits] == [500, 150, 250]
    again = make_motif_splits(task, n_train=1000, n_valid=300, n_test=500, seed=12)
    assert again.test.sequences == test.sequences
    children = np.random.SeedSequence(12).spawn(3)
    assert make_motif_task(task, n=1000, seed=children[0]).sequences == train.sequences
    assert make_motif_splits(task, 1000, 300, 500, seed=13).test.sequences != test.sequences


def test_make_motif_splits_dedupes_when_collisions_are_certain():
    # Length 8 with a planted TATAAA leaves 2 free letters: 16 sequences per class at most.
    kwargs = dict(min_length=8, max_length=8)
    plain = [make_motif_task("contains", n=40, seed=c, **kwargs)
             for c in np.random.SeedSequence(14).spawn(3)]
    assert set(plain[0].sequences) & set(plain[2].sequences)  # without dedupe they would collide
    train, valid, test = make_motif_splits("contains", n_train=40, n_valid=10, n_test=10, seed=14, **kwargs)
    assert not set(train.sequences) & set(test.sequences)
    assert not (set(train.sequences) | set(valid.sequences)) & set(test.sequences)
    for part in (train, valid, test):
        assert all((TATA_BOX in s) == bool(y) for s, y in zip(part.sequences, part.labels))


def test_make_motif_task_exclude_exhausted_raises():
    every = {a + TATA_BOX for a in "ACGT"} | {TATA_BOX + a for a in "ACGT"}
    with pytest.raises(RuntimeError, match="in `exclude`"):
        make_motif_task("contains", n=2, min_length=7, max_length=7, seed=0, exclude=every)


# -- errors ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    (dict(task="motif"), ValueError, r"task must be one of \('contains', 'order'\), got 'motif'"),
    (dict(n=0), ValueError, "n must be an integer >= 1, got 0"),
    (dict(n=2.5), ValueError, "n must be an integer >= 1, got 2.5"),
    (dict(n=True), ValueError, "n must be an integer >= 1, got True"),
    (dict(min_length=80, max_length=60), ValueError, "min_length must be <= max_length, got min_length=80"),
    (dict(min_length=5, max_length=10), ValueError, r"min_length must be >= len\(motif\) = 6"),
    (dict(task="order", min_length=26), ValueError,
     r"len\(motif\) \+ len\(second_motif\) \+ 3 \* min_gap = 27 for task 'order', got min_length=26"),
    (dict(motif="TATAAN"), ValueError,
     r"motif may contain only the upper-case letters 'ACGT'; 'TATAAN' has \['N'\]"),
    (dict(motif="tataaa"), ValueError, "motif may contain only"),
    (dict(motif=""), ValueError, "motif must be a non-empty str"),
    (dict(task="order", second_motif="GGAXCC"), ValueError, "second_motif may contain only"),
    (dict(task="order", second_motif=TATA_BOX), ValueError, "motif and second_motif must differ"),
    (dict(task="order", second_motif="AAACCC"), ValueError, "'TATAAA' and 'AAACCC' overlap"),
    (dict(task="order", motif="ATATAT"), ValueError, "'ATATAT' overlaps itself"),
    (dict(motif="AC"), ValueError, "too short for sequences of max_length=200"),
    (dict(min_gap=-1), ValueError, "min_gap must be an integer >= 0"),
    (dict(seed=1.5), TypeError, "seed must be a non-negative int or a numpy.random.SeedSequence"),
    (dict(seed=None), TypeError, "seed must be a non-negative int"),
    (dict(seed=np.random.default_rng(0)), TypeError, "got Generator"),
    (dict(seed=-1), ValueError, "seed must be a non-negative int, got -1"),
    (dict(exclude="ACGT"), TypeError, "exclude must be a collection of sequences"),
])
def test_make_motif_task_bad_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_motif_task(**{"n": 10, **kwargs})


def test_make_motif_splits_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="n_valid must be an integer >= 1, got 0"):
        make_motif_splits("order", n_train=10, n_valid=0, n_test=10)
    with pytest.raises(TypeError, match="sets n, seed and exclude itself"):
        make_motif_splits("order", n=10)
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        make_motif_splits("order", seed="0")
    with pytest.raises(ValueError, match="task must be one of"):
        make_motif_splits("reverse")
