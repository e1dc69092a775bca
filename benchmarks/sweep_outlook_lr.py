"""The learning-rate sweep behind lesson 15's side-by-side run: LSTM and Transformer, 400 steps.

For each model of ``rnncourse train outlook``'s book configuration (an LSTM with H = 220 and
a Transformer with D = 96, 2 layers, 4 heads; about 240,000 parameters each) and each Adam
learning rate in 3e-3, 6e-3, 1e-2 and 2e-2, the script trains 400 steps on the ASV training
text exactly as the lesson does (32 streams, 64 characters a step, seed 0) and measures bits
per character on the first 50,000 characters of the *validation* split. It prints a table and
writes the report that the lesson reads (``rnncourse/results/outlook_lr_sweep.json`` with
``--write``). About 4 minutes on two CPU cores::

    .venv/bin/python benchmarks/sweep_outlook_lr.py --write
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
from pathlib import Path

import torch

import rnncourse
from rnncourse.datasets import load_asv
from rnncourse.models.charlm import CharLMConfig, CharLMRun, evaluate_nll
from rnncourse.models.transformer import (TransformerConfig, TransformerLM, evaluate_nll_windowed,
                                          fit_window_lm)
from rnncourse.train_command import OUTLOOK_BOOK

RATES = (3e-3, 6e-3, 1e-2, 2e-2)
VALID_CHARS = 50_000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="store the report in rnncourse/results/")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    book = OUTLOOK_BOOK
    corpus = load_asv()
    train, valid = corpus.ids("train"), corpus.ids("valid")[:VALID_CHARS]
    lstm_sizes = {k: v for k, v in book["lstm"].items() if k != "lr"}
    tf_sizes = {k: v for k, v in book["transformer"].items() if k != "lr"}
    results = {"lstm": {}, "transformer": {}}
    for lr in RATES:
        config = CharLMConfig(**lstm_sizes, batch_size=book["batch_size"], bptt=book["window"],
                              steps=book["steps"], lr=lr)
        run = CharLMRun.create(config, corpus.vocab.chars).train(train)
        results["lstm"][str(lr)] = float(evaluate_nll(run.model, valid).mean()) / math.log(2)
        model = TransformerLM(len(corpus.vocab), TransformerConfig(**tf_sizes))
        fit_window_lm(model, train, steps=book["steps"], batch_size=book["batch_size"],
                      window=book["window"], lr=lr)
        nll = evaluate_nll_windowed(model, valid, window=book["window"])
        results["transformer"][str(lr)] = float(nll.mean()) / math.log(2)
        print(f"lr {lr}: LSTM {results['lstm'][str(lr)]:.3f}, "
              f"Transformer {results['transformer'][str(lr)]:.3f} bits/char (validation)", flush=True)
    report = {"task": "outlook learning-rate sweep", "rnncourse": rnncourse.__version__,
              "torch": torch.__version__, "date": datetime.date.today().isoformat(),
              "device": f"CPU: {platform.processor() or platform.machine()}, {args.threads} threads",
              "steps": book["steps"], "batch_size": book["batch_size"], "window": book["window"],
              "valid_chars": VALID_CHARS, "sizes": {"lstm": lstm_sizes, "transformer": tf_sizes},
              "valid_bits_per_char": results}
    if args.write:
        out = Path(rnncourse.__file__).parent / "results" / "outlook_lr_sweep.json"
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
