"""``rnncourse train TASK``: train an application lesson's model outside the notebook.

Usage::

    rnncourse train charlm [--full] [--cell lstm|gru] [--steps N] [--device cpu|cuda]
                           [--out DIR] [--fresh] [--no-baselines] [--threads N]
    rnncourse train sentiment|speakers|dna [--full] [--cell lstm|gru] [--steps N] ...
    rnncourse train dates [--full] [--no-attention] [--steps N] ...
    rnncourse train forecast [--series sunspots|co2|weather|stocks:IBM] [--seeds N] [--full] ...
    rnncourse train handwriting|video [--full] [--steps N] ...
    rnncourse train chorales [--full] [--cell rnn|gru|lstm] [--steps N] ...
    rnncourse train outlook [--full] [--steps N] [--device cpu|cuda] ...

A run writes into ``--out`` (default ``runs/TASK`` or ``runs/TASK-full``); charlm writes
``checkpoint.pt`` after every evaluation, from which the same command resumes (``--steps`` may raise the
total), and at the end ``report.json`` and ``report.md`` with the model's and the baselines'
held-out figures, the device, the training time and the date. A progress bar is shown in a
terminal. Later lessons add their tasks to :data:`TASKS`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

__all__ = ["TASKS", "add_parser", "run", "charlm_report"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``train`` subcommand to the ``rnncourse`` parser."""
    p = sub.add_parser("train", help="train an application lesson's model (see rnncourse train -h)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("task", choices=sorted(TASKS),
                   help="what to train: charlm (lesson 9); sentiment, speakers, dna (lesson 10); "
                        "dates (lesson 11); forecast (lesson 12); handwriting, video (lesson 13); "
                        "chorales (lesson 14); outlook (lesson 15: an LSTM against a Transformer)")
    p.add_argument("--full", action="store_true", help="the bigger configuration (more units and steps)")
    p.add_argument("--cell", choices=("lstm", "gru", "rnn"),
                   help="the recurrent cell (default: the configuration's; chorales trains all three, "
                        "rnn being a tanh RNN, unless one is named)")
    p.add_argument("--steps", type=int, help="total optimiser steps (default: the configuration's)")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: CUDA when available)")
    p.add_argument("--out", help="output folder (default: runs/TASK or runs/TASK-full)")
    p.add_argument("--fresh", action="store_true", help="start again even if a checkpoint exists")
    p.add_argument("--no-baselines", action="store_true", help="skip the n-gram and compressor baselines")
    p.add_argument("--no-attention", action="store_true",
                   help="dates: the encoder-decoder without attention (one fixed vector)")
    p.add_argument("--series", default="weather",
                   help="forecast: sunspots, co2, weather or stocks:SYMBOL (default: weather)")
    p.add_argument("--seeds", type=int, default=5, help="forecast: how many seeds for the GRU (default 5)")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only in a terminal)")
    return p


def run(args) -> int:
    """Run ``args.task`` with the parsed arguments; the exit status (2 and a message on bad input)."""
    try:
        return TASKS[args.task](args)
    except (ValueError, ImportError) as error:  # a checkpoint of another run, a missing package
        print(f"rnncourse train {args.task}: error: {error}", file=sys.stderr)
        return 2


def _device(name):
    import torch

    from rnncourse.torch import default_device

    if name is None:
        return default_device()
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: PyTorch sees no CUDA device here (torch.cuda.is_available() is False)")
    return device


def _setup(args, config):
    """Apply ``--cell``, ``--steps`` and ``--threads`` to a run; return (config, device)."""
    import torch

    if args.cell:
        config = config.replace(cell=args.cell)
    if args.steps is not None:
        config = config.replace(steps=args.steps)
    if args.threads is not None:
        if args.threads < 1:
            raise SystemExit(f"--threads must be a positive integer, got {args.threads}")
        torch.set_num_threads(args.threads)
    return config, _device(args.device)


def _describe(device) -> str:
    import torch

    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    name = platform.processor() or platform.machine()
    try:  # Linux names the CPU model here; platform.processor() is often empty
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"CPU: {name}, {torch.get_num_threads()} threads"


def charlm_report(model_nll: float, baselines: dict, run, device: str, test_chars: int) -> dict:
    """The report of a charlm run: every figure in bits per character of the test split."""
    import torch

    import rnncourse

    bits = {f"{run.config.cell.upper()}-{run.config.hidden_size}"
            f"x{run.config.num_layers}": model_nll / math.log(2)}
    bits.update(baselines)
    return {
        "task": "charlm", "rnncourse": rnncourse.__version__, "torch": torch.__version__,
        "date": datetime.date.today().isoformat(), "device": device,
        "config": run.config.__dict__.copy(), "steps": run.step,
        "train_seconds": round(run.seconds, 1), "test_chars": test_chars,
        "test_nats_per_char": round(model_nll, 4),
        "bits_per_char": {k: round(v, 4) for k, v in bits.items()},
        "validation": [(s, round(v, 4)) for s, v in run.evals],
    }


def baseline_bits(corpus, log=print) -> dict:
    """Unigram, bigram and 5-gram models, and zlib/bz2/lzma, in bits/char of the test split."""
    import numpy as np

    from rnncourse.baselines import NGramLM, compressor_bits_per_char

    train, test = corpus.ids("train"), corpus.ids("test")
    out = {}
    for name, order in (("unigram", 1), ("bigram", 2), ("5-gram", 5)):
        model = NGramLM(order, len(corpus.vocab)).fit(train)
        nll = model.nll(test)[1:]  # the characters the recurrent model predicts: test[1:]
        out[f"{name} (Kneser-Ney)"] = float(np.mean(nll)) / math.log(2)
        log(f"{name}: {out[f'{name} (Kneser-Ney)']:.4f} bits/char")
    for method in ("zlib", "bz2", "lzma"):
        out[f"{method}, test alone"] = compressor_bits_per_char(corpus.test, method)
        out[f"{method}, given train"] = compressor_bits_per_char(corpus.test, method, train=corpus.train)
        log(f"{method}: {out[f'{method}, test alone']:.4f} alone, "
            f"{out[f'{method}, given train']:.4f} given the training text (bits/char)")
    return out


def _charlm(args) -> int:
    import torch

    from rnncourse.datasets import load_asv
    from rnncourse.models.charlm import BOOK, FULL, CharLMRun, evaluate_nll

    config = FULL if args.full else BOOK
    config, device = _setup(args, config)
    default_out = "runs/charlm" + ("-full" if args.full else "") + (f"-{args.cell}" if args.cell else "")
    out = Path(args.out or default_out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.pt"
    log = print
    corpus = load_asv()
    chars = corpus.vocab.chars
    train, valid, test = corpus.ids("train"), corpus.ids("valid"), corpus.ids("test")
    if ckpt.exists() and not args.fresh:
        run_ = CharLMRun.load(ckpt, config, chars, device=device)
        log(f"resuming {ckpt} at step {run_.step} of {config.steps}")
    else:
        run_ = CharLMRun.create(config, chars, device=device)
    log(f"charlm: {config}")
    log(f"on {_describe(device)}; train {len(train):,} chars, validation {len(valid):,}, test {len(test):,}")
    show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
    while run_.step < config.steps:
        chunk = min(config.eval_every - run_.step % config.eval_every, config.steps - run_.step)
        run_.train(train, steps=chunk, valid_ids=valid, progress=show, log=log)
        run_.save(ckpt)
    start = time.perf_counter()
    model_nll = float(evaluate_nll(run_.model, test).mean())
    log(f"test: {model_nll:.4f} nats/char = {model_nll / math.log(2):.4f} bits/char "
        f"(perplexity {math.exp(model_nll):.3f}), evaluated in {time.perf_counter() - start:.1f} s")
    baselines = {} if args.no_baselines else baseline_bits(corpus, log)
    report = charlm_report(model_nll, baselines, run_, _describe(device), len(test) - 1)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# charlm: {report['date']}, {report['device']}, {report['train_seconds']} s of training, "
             f"{report['steps']} steps", "", "| model | bits/char (test) |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in sorted(report["bits_per_char"].items(), key=lambda kv: kv[1])]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    log("\n".join(lines[2:]))
    log(f"wrote {out / 'report.json'} and {out / 'report.md'}")
    return 0


def _classification_data(task: str):
    """(train, {test split name: data}, n_classes, vocab_size or None, input_size or None, baselines).

    Each data item is (inputs, lengths, labels); baselines maps a name to a function of
    (train split name, test split name) -> per-example correctness, computed in the same run.
    """
    import numpy as np

    from rnncourse.baselines import fit_logistic_regression, kmer_counts, majority_class, mean_frame, word_counts

    if task == "sentiment":
        from rnncourse.datasets import load_negation_sentiment

        data = load_negation_sentiment()
        splits = {name: (*data.padded(name), data.split(name).labels)
                  for name in ("train", "test_iid", "test_negation", "minimal_pairs")}
        bow = fit_logistic_regression(word_counts(data.train.sentences, data.words), data.train.labels)
        base = {"bag of words + logistic regression": lambda name: bow.predict(
            word_counts(data.split(name).sentences, data.words)) == data.split(name).labels}
        return splits, 2, len(data.words), None, base
    if task == "speakers":
        from rnncourse.datasets import load_japanese_vowels
        from rnncourse.models.classifier import pad_sequences

        data = load_japanese_vowels()
        splits = {name: (*pad_sequences(data.x(name)), data.y(name)) for name in ("train", "test")}
        lr = fit_logistic_regression(mean_frame(data.x("train")), data.y("train"), standardise=True)
        major = majority_class(data.y("train"))
        base = {"mean frame + logistic regression": lambda name: lr.predict(mean_frame(data.x(name)))
                == data.y(name),
                "majority class": lambda name: data.y(name) == major}
        return splits, data.n_classes, None, data.n_features, base
    if task == "dna":
        from rnncourse.datasets import make_motif_splits
        from rnncourse.models.classifier import pad_sequences

        out, base = {}, {}
        for kind in ("contains", "order"):
            sets = make_motif_splits(kind, n_train=4000, n_valid=500, n_test=2000, seed=0)
            for part in ("train", "test"):
                part_set = getattr(sets, part)
                x, lengths = pad_sequences([i + 1 for i in part_set.ids()])  # id 0 is padding
                out[f"{kind}:{part}"] = (x, lengths, part_set.labels)
            kmer = fit_logistic_regression(kmer_counts(sets.train.sequences, 6), sets.train.labels)
            base[f"6-mer counts + logistic regression ({kind})"] = (
                lambda name, kmer=kmer, sets=sets, kind=kind: None if not name.startswith(kind) else
                kmer.predict(kmer_counts(sets.test.sequences, 6)) == sets.test.labels)
        return out, 2, 5, None, base
    raise ValueError(f"unknown classification task {task!r}")


def _classification(args, task: str) -> int:
    import numpy as np
    import torch

    from rnncourse.metrics import accuracy_with_interval
    from rnncourse.models.classifier import BOOK_CONFIGS, FULL_CONFIGS, SequenceClassifier, fit_classifier, predict

    config = (FULL_CONFIGS if args.full else BOOK_CONFIGS)[task]
    config, device = _setup(args, config)
    out = Path(args.out or f"runs/{task}" + ("-full" if args.full else ""))
    out.mkdir(parents=True, exist_ok=True)
    splits, n_classes, vocab_size, input_size, baselines = _classification_data(task)
    trains = [name for name in splits if name.endswith("train")]
    accuracy, start = {}, time.perf_counter()
    for train_name in trains:
        prefix = train_name[: -len("train")]
        model = SequenceClassifier(n_classes, vocab_size=vocab_size, input_size=input_size, config=config,
                                   device=device)
        show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
        fit_classifier(model, *splits[train_name], progress=show)
        for name, (x, lengths, y) in splits.items():
            if name.startswith(prefix) and name != train_name:
                correct = predict(model, x, lengths) == np.asarray(y)
                acc, low, high = accuracy_with_interval(correct)
                accuracy[f"{config.cell.upper()}-{config.hidden_size} on {name}"] = [acc, low, high, len(y)]
                print(f"{config.cell.upper()}-{config.hidden_size} on {name}: {acc:.3f} "
                      f"[{low:.3f}, {high:.3f}] of {len(y)}")
    seconds = time.perf_counter() - start
    if not args.no_baselines:
        for label, fn in baselines.items():
            for name in splits:
                if name in trains:
                    continue
                correct = fn(name)
                if correct is None:
                    continue
                acc, low, high = accuracy_with_interval(correct)
                accuracy[f"{label} on {name}"] = [acc, low, high, int(np.size(correct))]
                print(f"{label} on {name}: {acc:.3f} [{low:.3f}, {high:.3f}]")
    import rnncourse

    report = {"task": task, "rnncourse": rnncourse.__version__, "torch": torch.__version__,
              "date": datetime.date.today().isoformat(), "device": _describe(device),
              "config": config.__dict__.copy(), "train_seconds": round(seconds, 1),
              "accuracy [value, 95% low, 95% high, n]": accuracy}
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# {task}: {report['date']}, {report['device']}, {report['train_seconds']} s of training", "",
             "| model on split | accuracy | 95 % interval | n |", "|---|---|---|---|"]
    lines += [f"| {k} | {v[0]:.3f} | [{v[1]:.3f}, {v[2]:.3f}] | {v[3]} |" for k, v in accuracy.items()]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")
    return 0


def _dates(args) -> int:
    """Lesson 11: dates in many locales to ISO 8601, an encoder-decoder with or without attention."""
    import numpy as np
    import torch

    import rnncourse
    from rnncourse.baselines import numeric_date_rule
    from rnncourse.datasets import load_dates
    from rnncourse.datasets.dates import BOS, EOS
    from rnncourse.metrics import accuracy_with_interval, char_error_rate
    from rnncourse.models.seq2seq import BOOK_CONFIGS, FULL_CONFIGS, Seq2Seq, fit_seq2seq

    if args.cell:
        raise ValueError("--cell does not apply to dates: its encoder and decoder are GRUs")
    config = (FULL_CONFIGS if args.full else BOOK_CONFIGS)["dates"]
    if args.no_attention:
        config = config.replace(attention=False)
    config, device = _setup(args, config)
    name = "dates" + ("-full" if args.full else "") + ("-plain" if args.no_attention else "")
    out = Path(args.out or f"runs/{name}")
    out.mkdir(parents=True, exist_ok=True)
    data = load_dates()
    vocab = data.target_vocab
    model = Seq2Seq(len(data.source_vocab), len(vocab), config=config, bos=vocab.index[BOS],
                    eos=vocab.index[EOS], device=device)
    show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
    start = time.perf_counter()
    fit_seq2seq(model, *data.encode_sources("train"), *data.encode_targets("train"), progress=show)
    seconds = time.perf_counter() - start
    label = f"GRU-{config.hidden_size} " + ("with attention" if config.attention else "without attention")
    results = {}
    model.eval()
    for split in ("test_iid", "test_years", "test_locales", "test_long"):
        src, lengths = data.encode_sources(split)
        with torch.no_grad():
            ids, _ = model.greedy_decode(torch.as_tensor(src), lengths, max_len=12)
        refs = data.split(split).targets
        outputs = {label: [data.decode_target(i) for i in ids]}
        if not args.no_baselines:
            outputs["numeric date rule"] = [numeric_date_rule(t) for t in data.split(split).sources]
        for who, hyps in outputs.items():
            acc, low, high = accuracy_with_interval(np.array([h == r for h, r in zip(hyps, refs)]))
            cer = char_error_rate(refs, hyps)
            results[f"{who} on {split}"] = [acc, low, high, len(refs), cer]
            print(f"{who} on {split}: exact match {acc:.3f} [{low:.3f}, {high:.3f}], CER {cer:.3f}")
    report = {"task": "dates", "rnncourse": rnncourse.__version__, "torch": torch.__version__,
              "date": datetime.date.today().isoformat(), "device": _describe(device),
              "config": config.__dict__.copy(), "train_seconds": round(seconds, 1),
              "exact match [value, 95% low, 95% high, n, character error rate]": results}
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# dates: {report['date']}, {report['device']}, {report['train_seconds']} s of training", "",
             "| model on split | exact match | 95 % interval | n | CER |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v[0]:.3f} | [{v[1]:.3f}, {v[2]:.3f}] | {v[3]} | {v[4]:.3f} |" for k, v in results.items()]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")
    return 0


#: Forecast task settings per series kind: (fit part, test part, window W, largest AR lag).
FORECAST_SETTINGS = {"sunspots": ("train_full", "test1", 20, 20), "co2": ("train", "test", 24, 36),
                     "weather": ("train", "test", 14, 30), "stocks": ("train", "test", 6, 6)}


def _forecast(args) -> int:
    """Lesson 12: one-step walk-forward forecasts of a series' test part, GRU over seeds and baselines."""
    import numpy as np
    import torch

    import rnncourse
    from rnncourse.baselines import ar_forecast, fit_ar, persistence_forecast, seasonal_naive_forecast
    from rnncourse.datasets import load_series
    from rnncourse.forecasting import fit_scaler, make_forecast_windows, scale, unscale
    from rnncourse.metrics import mae, mase, rmse
    from rnncourse.models.forecaster import BOOK_CONFIGS, FULL_CONFIGS, Forecaster, fit_forecaster, predict

    ts = load_series(args.series)
    kind = args.series.split(":")[0]
    fit_part, test_part, W, max_lag = FORECAST_SETTINGS[kind]
    config = (FULL_CONFIGS if args.full else BOOK_CONFIGS)[kind]
    config, device = _setup(args, config)
    if args.seeds < 1:
        raise ValueError(f"--seeds must be a positive integer, got {args.seeds}")
    name = f"forecast-{args.series.replace(':', '-')}" + ("-full" if args.full else "")
    out = Path(args.out or f"runs/{name}")
    out.mkdir(parents=True, exist_ok=True)
    y, (a, b) = ts.values, ts.splits[fit_part]
    start, stop = ts.splits[test_part]
    truth, train = y[start:stop], y[a:b]

    def walk_forward(fn):
        return np.array([fn(y[:t]) for t in range(start, stop)])

    forecasts = {}
    if not args.no_baselines:
        forecasts["persistence (random walk)"] = walk_forward(lambda h: persistence_forecast(h, 1)[0])
        if ts.period:
            forecasts["seasonal naive"] = walk_forward(lambda h: seasonal_naive_forecast(h, ts.period, 1)[0])
        ar = fit_ar(train, max_lag=max_lag)
        forecasts[f"AR({max(ar.ar_lags)})"] = walk_forward(lambda h: ar_forecast(ar, h, 1)[0])
    mean, std = fit_scaler(train)
    z = scale(y, mean, std)
    X, Y = make_forecast_windows(z[a:b], W)
    X_test, _ = make_forecast_windows(z[start - W:stop], W)
    started = time.perf_counter()
    for seed in range(args.seeds):
        model = Forecaster(1, 1, window=W, config=config.replace(seed=seed), device=device)
        show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
        fit_forecaster(model, X, Y, progress=show)
        forecasts[f"{config.cell.upper()}-{config.hidden_size} seed {seed}"] = unscale(
            predict(model, X_test)[:, 0], mean, std)
    seconds = time.perf_counter() - started
    period = ts.period or 1
    errors = {k: [mae(truth, f), rmse(truth, f), mase(truth, f, train, period)] for k, f in forecasts.items()}
    nets = np.array([v[0] for k, v in errors.items() if " seed " in k])
    for k, v in errors.items():
        print(f"{k}: MAE {v[0]:.4g}, RMSE {v[1]:.4g}, MASE {v[2]:.3f}")
    print(f"{config.cell.upper()} over {len(nets)} seeds: MAE median {np.median(nets):.4g}, "
          f"range {nets.min():.4g}-{nets.max():.4g}")
    report = {"task": "forecast", "series": args.series, "rnncourse": rnncourse.__version__,
              "torch": torch.__version__, "date": datetime.date.today().isoformat(),
              "device": _describe(device), "config": config.__dict__.copy(), "window": W,
              "fit part": fit_part, "test part": test_part, "unit": ts.unit, "train_seconds": round(seconds, 1),
              "one-step errors [MAE, RMSE, MASE]": errors,
              "network MAE over seeds [median, min, max]": [float(np.median(nets)), float(nets.min()),
                                                            float(nets.max())]}
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# forecast {args.series}: {report['date']}, {report['device']}, {report['train_seconds']} s", "",
             f"| model | MAE ({ts.unit}) | RMSE | MASE |", "|---|---|---|---|"]
    lines += [f"| {k} | {v[0]:.4g} | {v[1]:.4g} | {v[2]:.3f} |" for k, v in errors.items()]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")
    return 0


#: Lines and clips of lesson 13: training lines of 3 to 6 digits, long test lines of 10 to 12.
HANDWRITING_SETTINGS = {"n_train": 3000, "n_test": 1000, "n_long": 300, "digits": (3, 6),
                        "long_digits": (10, 12), "max_gap": 2, "crop": True}


def _write_report(out: Path, report: dict, title: str, header: str, rows: list[str]) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# {title}: {report['date']}, {report['device']}, {report['train_seconds']} s", "",
             header, "|" + "---|" * (header.count("|") - 1)] + rows
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")


def _handwriting(args) -> int:
    """Lesson 13: lines of handwritten digits read by a BiGRU trained with CTC, against
    segmentation at empty columns with a per-image classifier."""
    import numpy as np
    import torch

    import rnncourse
    from rnncourse.baselines import fit_piece_classifier, segment_and_classify
    from rnncourse.datasets.digits import load_digit_split, make_digit_lines, pad_lines
    from rnncourse.metrics import accuracy_with_interval, char_error_rate
    from rnncourse.models.ctc_recognizer import (BOOK_CONFIG, FULL_CONFIG, CTCRecognizer, decode,
                                                 fit_ctc)

    if args.cell:
        raise ValueError("--cell does not apply to handwriting: the recogniser is a GRU")
    config, device = _setup(args, FULL_CONFIG if args.full else BOOK_CONFIG)
    out = Path(args.out or ("runs/handwriting" + ("-full" if args.full else "")))
    out.mkdir(parents=True, exist_ok=True)
    s = HANDWRITING_SETTINGS
    split = load_digit_split()
    style = {"max_gap": s["max_gap"], "crop": s["crop"]}
    train = make_digit_lines(split.train_images, split.train_labels, s["n_train"], *s["digits"], seed=1,
                             **style)
    tests = {"test": make_digit_lines(split.test_images, split.test_labels, s["n_test"], *s["digits"],
                                      seed=2, **style),
             "test_long": make_digit_lines(split.test_images, split.test_labels, s["n_long"],
                                           *s["long_digits"], seed=3, **style)}
    X, L = pad_lines(train)
    model = CTCRecognizer(X.shape[2], 10, config=config, device=device)
    show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
    start = time.perf_counter()
    fit_ctc(model, X, L, train.labels, progress=show)
    seconds = time.perf_counter() - start
    label = f"{'Bi' if config.bidirectional else ''}GRU-{config.hidden_size} with CTC"
    classifier = fit_piece_classifier(split.train_images, split.train_labels)
    results = {}
    for name, lines in tests.items():
        refs = ["".join(map(str, y)) for y in lines.labels]
        outputs = {label: ["".join(map(str, y)) for y in decode(model, *pad_lines(lines))]}
        if not args.no_baselines:
            outputs["segmentation + logistic regression"] = [
                "".join(map(str, segment_and_classify(im, classifier, 8))) for im in lines.images]
        for who, hyps in outputs.items():
            acc, low, high = accuracy_with_interval(np.array([h == r for h, r in zip(hyps, refs)]))
            cer = char_error_rate(refs, hyps)
            results[f"{who} on {name}"] = [cer, acc, low, high, len(refs)]
            print(f"{who} on {name}: CER {cer:.4f}, line exact match {acc:.3f} [{low:.3f}, {high:.3f}]")
    report = {"task": "handwriting", "rnncourse": rnncourse.__version__, "torch": torch.__version__,
              "date": datetime.date.today().isoformat(), "device": _describe(device),
              "config": config.__dict__.copy(), "settings": s, "train_seconds": round(seconds, 1),
              "[CER, line exact match, 95% low, 95% high, n lines]": results}
    rows = [f"| {k} | {v[0]:.4f} | {v[1]:.3f} [{v[2]:.3f}, {v[3]:.3f}] | {v[4]} |" for k, v in results.items()]
    _write_report(out, report, "handwriting", "| model on split | CER | line exact match | n |", rows)
    return 0


def _video(args) -> int:
    """Lesson 13: the direction of a moving digit, a frame encoder and a GRU, against the same
    model on shuffled frames and a logistic regression on the average frame."""
    import numpy as np
    import torch

    import rnncourse
    from rnncourse.baselines import fit_logistic_regression
    from rnncourse.datasets.digits import load_digit_split, make_moving_digit_clips
    from rnncourse.metrics import accuracy_with_interval
    from rnncourse.models.classifier import BOOK_CONFIGS, FULL_CONFIGS, SequenceClassifier, fit_classifier, predict

    config, device = _setup(args, (FULL_CONFIGS if args.full else BOOK_CONFIGS)["video"])
    out = Path(args.out or ("runs/video" + ("-full" if args.full else "")))
    out.mkdir(parents=True, exist_ok=True)
    split = load_digit_split()
    train = make_moving_digit_clips(split.train_images, split.train_labels, 3000, seed=1)
    test = make_moving_digit_clips(split.test_images, split.test_labels, 1000, seed=2)
    N, F = train.frames.shape[:2]
    rng = np.random.default_rng(0)

    def time_major(frames, shuffle=False):
        x = frames.reshape(len(frames), F, -1)                     # (N, F, H*W)
        if shuffle:                                                # a new order for every clip
            x = np.stack([clip[rng.permutation(F)] for clip in x])
        return x.transpose(1, 0, 2)                                # (F, N, H*W)

    show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
    results, seconds = {}, 0.0
    cell = config.cell.upper()
    for name, shuffle in ((cell, False), (f"{cell} on shuffled frames", True)):
        model = SequenceClassifier(2, input_size=train.frames[0, 0].size, config=config, device=device)
        start = time.perf_counter()
        fit_classifier(model, time_major(train.frames, shuffle), np.full(N, F), train.labels, progress=show)
        seconds += time.perf_counter() - start
        hits = predict(model, time_major(test.frames, shuffle), np.full(len(test), F)) == test.labels
        results[name] = accuracy_with_interval(hits)
    if not args.no_baselines:
        average = fit_logistic_regression(train.frames.mean(axis=1).reshape(N, -1), train.labels)
        hits = average.predict(test.frames.mean(axis=1).reshape(len(test), -1)) == test.labels
        results["logistic regression on the average frame"] = accuracy_with_interval(hits)
    for k, (acc, low, high) in results.items():
        print(f"{k}: accuracy {acc:.3f} [{low:.3f}, {high:.3f}] on {len(test)} test clips")
    report = {"task": "video", "rnncourse": rnncourse.__version__, "torch": torch.__version__,
              "date": datetime.date.today().isoformat(), "device": _describe(device),
              "config": config.__dict__.copy(), "train_seconds": round(seconds, 1),
              "accuracy [value, 95% low, 95% high]": {k: list(v) for k, v in results.items()}}
    rows = [f"| {k} | {v[0]:.3f} | [{v[1]:.3f}, {v[2]:.3f}] |" for k, v in results.items()]
    _write_report(out, report, "video", "| model | accuracy | 95 % interval |", rows)
    return 0


def _chorales(args) -> int:
    """Lesson 14: next-frame models of Bach's chorales (tanh RNN, GRU, LSTM) against two
    counting baselines, scored by the negative log-likelihood per step of held-out chorales."""
    import torch

    import rnncourse
    from rnncourse.baselines import IndependentBernoulli, RepeatPreviousFrame
    from rnncourse.datasets.chorales import load_chorales
    from rnncourse.models.music import BOOK_CONFIGS, FULL_CONFIGS, NextFrameModel, fit_music, nll_per_step

    configs = FULL_CONFIGS if args.full else BOOK_CONFIGS
    cells = [args.cell] if args.cell else list(configs)
    out = Path(args.out or ("runs/chorales" + ("-full" if args.full else "")))
    out.mkdir(parents=True, exist_ok=True)
    data = load_chorales()
    train, valid, test = data.part("train"), data.part("valid"), data.part("test")
    show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
    results, seconds, device, used = {}, 0.0, None, {}
    if not args.no_baselines:
        for baseline in (IndependentBernoulli(), RepeatPreviousFrame()):
            baseline.fit(train)
            results[type(baseline).__name__] = [baseline.nll_per_step(valid), baseline.nll_per_step(test)]
    for cell in cells:
        args_cell = argparse.Namespace(**{**vars(args), "cell": None})
        config, device = _setup(args_cell, configs[cell])
        used[cell] = config.__dict__.copy()
        model = NextFrameModel(data.n_pitches, config=config, device=device)
        start = time.perf_counter()
        fit_music(model, train, progress=show)
        seconds += time.perf_counter() - start
        results[f"{cell.upper() if cell != 'rnn' else 'tanh RNN'}-{config.hidden_size}"] = [
            nll_per_step(model, valid), nll_per_step(model, test)]
    for k, (v, t) in results.items():
        print(f"{k}: NLL per step {v:.3f} (valid), {t:.3f} (test) nats")
    report = {"task": "chorales", "rnncourse": rnncourse.__version__, "torch": torch.__version__,
              "date": datetime.date.today().isoformat(), "device": _describe(device),
              "configs": used, "train_seconds": round(seconds, 1),
              "pieces [train, valid, test]": [len(train), len(valid), len(test)],
              "step (quarter lengths)": data.step,
              "NLL per step, nats [valid, test]": results}
    rows = [f"| {k} | {v:.3f} | {t:.3f} |" for k, (v, t) in results.items()]
    _write_report(out, report, "chorales", "| model | NLL per step, valid | NLL per step, test |", rows)
    return 0


# ----------------------------------------------------------------------------- lesson 15: outlook
#: ``rnncourse train outlook``: an LSTM and a Transformer with about as many parameters each,
#: trained on the same chunks of the ASV training text (``batch_size`` streams, ``window``
#: characters a step, as ``bptt`` for the LSTM; the same number of steps), then scored on the
#: test split. At V = 65 the book's pair has 239,965 (LSTM) and 236,417 (Transformer) parameters.
OUTLOOK_BOOK = {
    "steps": 400, "batch_size": 32, "window": 64,
    "lstm": {"embed_size": 32, "hidden_size": 220, "num_layers": 1, "lr": 1e-2},
    "transformer": {"d_model": 96, "n_heads": 4, "n_layers": 2, "d_ff": 384, "lr": 1e-2},
}
#: ``--full``: the Transformer twice as wide and twice as deep (1,804,865 parameters at V = 65);
#: the LSTM's hidden size is the one whose count is nearest it (1,804,468;
#: :func:`_matching_hidden_size`). The book's rates are the best of 3e-3, 6e-3, 1e-2 and 2e-2 for each model on the validation text at 400 steps; the full ones are lower for the bigger models (not tuned).
OUTLOOK_FULL = {
    "steps": 6000, "batch_size": 32, "window": 64,
    "lstm": {"embed_size": 64, "hidden_size": 631, "num_layers": 1, "lr": 2e-3},
    "transformer": {"d_model": 192, "n_heads": 6, "n_layers": 4, "d_ff": 768, "lr": 3e-3},
}
#: Context lengths L of the table of what one generated token costs.
OUTLOOK_CONTEXTS = (64, 256, 1024, 4096)


def _lstm_parameters(vocab_size: int, embed_size: int, hidden_size: int) -> int:
    """Parameters of a one-layer LSTM CharLM: embedding, torch.nn.LSTM (two bias vectors), head."""
    V, E, H = vocab_size, embed_size, hidden_size
    return V * E + 4 * H * (E + H) + 2 * 4 * H + H * V + V


def _matching_hidden_size(n_parameters: int, vocab_size: int, embed_size: int) -> int:
    """The hidden size of the one-layer LSTM CharLM whose parameter count is nearest ``n_parameters``."""
    H = 1
    while _lstm_parameters(vocab_size, embed_size, H + 1) <= n_parameters:
        H += 1
    below, above = (_lstm_parameters(vocab_size, embed_size, h) for h in (H, H + 1))
    return H if n_parameters - below <= above - n_parameters else H + 1


def _outlook(args) -> int:
    """Lesson 15: an LSTM and a Transformer of about the same size on the same characters, their
    held-out bits per character, and what one generated token costs each after L characters."""
    import numpy as np
    import torch

    import rnncourse
    from rnncourse.datasets import load_asv
    from rnncourse.models.charlm import CharLMConfig, CharLMRun, evaluate_nll
    from rnncourse.models.generation import generation_cost
    from rnncourse.models.transformer import (TransformerConfig, TransformerLM, count_parameters,
                                              evaluate_nll_windowed, fit_window_lm)

    if args.cell:
        raise ValueError("--cell does not apply to outlook: it trains one LSTM and one Transformer")
    settings = OUTLOOK_FULL if args.full else OUTLOOK_BOOK
    B, W = settings["batch_size"], settings["window"]
    lstm, tf = settings["lstm"], settings["transformer"]
    lstm_config = CharLMConfig(cell="lstm", embed_size=lstm["embed_size"], hidden_size=lstm["hidden_size"],
                               num_layers=lstm["num_layers"], batch_size=B, bptt=W, steps=settings["steps"],
                               lr=lstm["lr"])
    lstm_config, device = _setup(args, lstm_config)  # --steps, --threads and --device
    steps = lstm_config.steps
    tf_config = TransformerConfig(d_model=tf["d_model"], n_heads=tf["n_heads"], n_layers=tf["n_layers"],
                                  d_ff=tf["d_ff"])
    out = Path(args.out or ("runs/outlook" + ("-full" if args.full else "")))
    out.mkdir(parents=True, exist_ok=True)
    corpus = load_asv()
    train, test = corpus.ids("train"), corpus.ids("test")
    show = (sys.stderr.isatty() and not os.environ.get("CI")) if args.progress is None else args.progress
    print(f"outlook: {steps} steps of {B} streams x {W} characters, on {_describe(device)}; "
          f"train {len(train):,} chars, test {len(test):,}")

    run_ = CharLMRun.create(lstm_config, corpus.vocab.chars, device=device)
    run_.train(train, progress=show)
    transformer = TransformerLM(len(corpus.vocab), tf_config, device=device)
    tf_losses, tf_seconds = fit_window_lm(transformer, train, steps=steps, batch_size=B, window=W,
                                          lr=tf["lr"], clip_norm=lstm_config.clip_norm)
    lstm_name = f"LSTM-{lstm_config.hidden_size}" + (f"x{lstm_config.num_layers}" if lstm_config.num_layers > 1
                                                     else "")
    tf_name = f"Transformer-{tf_config.d_model}x{tf_config.n_layers}"
    models = {lstm_name: (run_.model, run_.seconds, run_.losses,
                          lambda: evaluate_nll(run_.model, test)),
              tf_name: (transformer, tf_seconds, tf_losses,
                        lambda: evaluate_nll_windowed(transformer, test, W))}
    summary, costs = {}, {}
    last = max(1, steps // 10)
    for name, (model, seconds, losses, evaluate) in models.items():
        bits = float(np.mean(evaluate())) / math.log(2)
        summary[name] = [count_parameters(model), round(seconds, 1), round(float(np.mean(losses[-last:])), 4),
                         round(bits, 4)]
        print(f"{name}: {summary[name][0]:,} parameters, {seconds:.1f} s of training, "
              f"test {bits:.4f} bits/char")
        costs[name] = []
        for L in OUTLOOK_CONTEXTS:
            cost = generation_cost(model, L)
            costs[name].append([L, cost.memory_bytes, cost.multiply_adds, round(cost.seconds * 1e6, 1)])
            print(f"{name} after {L} characters: {cost.memory_bytes:,} bytes of state, "
                  f"{cost.multiply_adds:,} multiply-adds, {cost.seconds * 1e6:.0f} us per token")
    report = {"task": "outlook", "rnncourse": rnncourse.__version__, "torch": torch.__version__,
              "date": datetime.date.today().isoformat(), "device": _describe(device),
              "configs": {lstm_name: lstm_config.__dict__.copy(),
                          tf_name: {**tf_config.__dict__, "batch_size": B, "window": W, "steps": steps,
                                    "lr": tf["lr"], "clip_norm": lstm_config.clip_norm}},
              "steps": steps, "batch_size": B, "window": W,
              "train_seconds": round(run_.seconds + tf_seconds, 1), "test_chars": len(test) - 1,
              "test evaluation": f"{lstm_name}: the whole test text from a zero state in 64 streams "
                                 f"(evaluate_nll); {tf_name}: windows of {W} characters, each character "
                                 f"scored once with at least {W // 2} of context (evaluate_nll_windowed)",
              "models [parameters, train seconds, train nats/char (last 10 % of steps), "
              "test bits/char]": summary,
              "generation per token, B = 1 [context length, state bytes, multiply-adds, "
              "microseconds]": costs}
    rows = [f"| {k} | {v[0]:,} | {v[1]:.1f} | {v[3]:.3f} |" for k, v in summary.items()]
    rows += ["", f"One generated token after L characters of context ({report['device']}; the "
                 f"Transformer was trained on windows of {W}: at larger L this is its cost, not its quality):",
             "", "| model | L | state bytes | multiply-adds | us per token |", "|---|---|---|---|---|"]
    rows += [f"| {k} | {L} | {size:,} | {madds:,} | {us:.0f} |"
             for k, table in costs.items() for L, size, madds, us in table]
    _write_report(out, report, "outlook", "| model | parameters | training s | bits/char (test) |", rows)
    return 0


#: Task name -> function(args) -> exit status.
TASKS = {"charlm": _charlm,
         "sentiment": lambda args: _classification(args, "sentiment"),
         "speakers": lambda args: _classification(args, "speakers"),
         "dna": lambda args: _classification(args, "dna"),
         "dates": _dates,
         "forecast": _forecast,
         "handwriting": _handwriting,
         "video": _video,
         "chorales": _chorales,
         "outlook": _outlook}
