"""Run ``python -m rnncourse`` (the same as the ``rnncourse`` console script)."""

from rnncourse.cli import main

raise SystemExit(main())
