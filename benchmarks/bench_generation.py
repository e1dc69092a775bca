"""Benchmark: what one generated token costs an LSTM and a Transformer of the same size.

The two models of lesson 15 (an LSTM with H = 220 and a Transformer with D = 96, 2 layers,
4 heads; about 240,000 parameters each, untrained: the cost does not depend on the weights)
read a context of L characters, then generate. For each L the script prints, per token and
for one sequence (B = 1):

- the bytes held: the LSTM's state (constant) and the Transformer's key-value cache
  (2 x layers x L x D numbers);
- the multiply-adds of the step's matrix products, counted by ``FlopCounterMode``;
- the median wall time of a step (:func:`rnncourse.models.generation.generation_cost`).

On a CPU a model this small spends most of a step in Python and in launching small
operations, so its time grows far more slowly than its multiply-adds; on a GPU the launches
dominate even more. The machine-independent columns are the ones to compare across machines.
The figures in the lesson were taken with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset,
as on a learner's machine::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_generation.py
    .venv/bin/python benchmarks/bench_generation.py --device cuda   # on a machine with a GPU
    .venv/bin/python benchmarks/bench_generation.py --quick         # smoke test, seconds
"""

from __future__ import annotations

import argparse
import os
import platform

import torch

from rnncourse.models.charlm import CharLM, CharLMConfig
from rnncourse.models.generation import generation_cost
from rnncourse.models.transformer import TransformerConfig, TransformerLM, count_parameters

V = 65  # the ASV vocabulary of lessons 9 and 15


def describe(device: str) -> str:
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i.get('internal_api')} {i.get('architecture')} "
                         f"{i.get('num_threads')} threads" for i in threadpool_info())
    except ImportError:
        blas = "threadpoolctl not installed"
    where = torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.processor()
    return (f"torch {torch.__version__} on {device} ({where or platform.machine()}), "
            f"{torch.get_num_threads()} torch threads; BLAS: {blas or 'none loaded'}; env {env}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="two short contexts only")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    lengths = (16, 256) if args.quick else (16, 64, 256, 1024, 4096, 16384)
    lstm = CharLM(V, CharLMConfig(hidden_size=220), device=args.device)
    transformer = TransformerLM(V, TransformerConfig(), device=args.device)
    print(describe(args.device))
    print(f"parameters: LSTM {count_parameters(lstm):,}, Transformer {count_parameters(transformer):,}")
    print(f"{'L':>6} | {'LSTM bytes':>10} {'MACs':>9} {'ms':>6} | "
          f"{'TF bytes':>11} {'MACs':>10} {'ms':>6}")
    for L in lengths:
        r = generation_cost(lstm, L, n_tokens=32, repeats=5)
        t = generation_cost(transformer, L, n_tokens=32, repeats=5)
        print(f"{L:>6} | {r.memory_bytes:>10,} {r.multiply_adds:>9,} {r.seconds * 1e3:>6.2f} | "
              f"{t.memory_bytes:>11,} {t.multiply_adds:>10,} {t.seconds * 1e3:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
