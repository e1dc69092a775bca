"""Benchmark: training throughput of the lesson-9 character model, in characters per second.

What is timed: one truncated-BPTT training step of :class:`rnncourse.models.charlm.CharLM`
(forward over a (bptt, B) chunk, cross-entropy, backward, clipping, Adam), the same step the
lesson and ``rnncourse train charlm`` take, with the recurrent layer either ``torch.nn.LSTM``
(fused kernels: oneDNN on the CPU, cuDNN on CUDA) or ``rnncourse.torch.LSTM`` (the course's
Python loop over time). The two alternate, after warm-up steps, and the script reports the
median time per step and characters per second (B * bptt / time) of each, for the book's
configuration and for the full one.

It also prints the BLAS that NumPy uses and the OpenBLAS variables of the environment
(threadpoolctl when it is installed): the figures in the lesson were taken with
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset, as on a learner's machine::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_charlm.py
    .venv/bin/python benchmarks/bench_charlm.py --quick             # smoke test, seconds
    .venv/bin/python benchmarks/bench_charlm.py --device cuda       # on a machine with a GPU
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

import rnncourse.torch as rt
from rnncourse.models.charlm import BOOK, FULL, CharLMRun


def blas_info() -> str:
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    try:
        from threadpoolctl import threadpool_info

        blas = "; ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}), "
                         f"{i.get('num_threads')} threads" for i in threadpool_info()
                         if i.get("user_api") == "blas")
    except ImportError:
        blas = "threadpoolctl not installed"
    return f"NumPy BLAS: {blas or 'none found'}; environment: {env}"


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(config, device, steps: int, warmup: int) -> dict:
    V = 65  # the size of the ASV training vocabulary (lesson 9)
    ids = np.random.default_rng(0).integers(0, V, 400_000)
    runs = {"torch.nn.LSTM": CharLMRun.create(config, list(range(V)), device=device),
            "rnncourse.torch.LSTM": CharLMRun.create(config, list(range(V)), device=device)}
    ours = runs["rnncourse.torch.LSTM"]
    ours.model.layers = torch.nn.ModuleList(
        rt.LSTM(layer.input_size, layer.hidden_size).to(device) for layer in ours.model.layers)
    ours.optimizer = torch.optim.Adam(ours.model.parameters(), lr=config.lr)
    times = {name: [] for name in runs}
    for name, run in runs.items():
        run.train(ids, steps=warmup)
    for _ in range(steps):  # alternate, so that drifts of the machine hit both
        for name, run in runs.items():
            sync(device)
            start = time.perf_counter()
            run.train(ids, steps=1)
            sync(device)
            times[name].append(time.perf_counter() - start)
    chars = config.batch_size * config.bptt
    return {name: (statistics.median(t), chars / statistics.median(t)) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="few steps, book configuration only")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {platform.machine()}, device {device}, "
          f"{torch.get_num_threads()} torch threads")
    print(blas_info())
    configs = {"book": BOOK} if args.quick else {"book": BOOK, "full": FULL}
    steps, warmup = (3, 1) if args.quick else (15, 3)
    for label, config in configs.items():
        print(f"\n{label}: {config.cell.upper()} H={config.hidden_size} x{config.num_layers}, "
              f"B={config.batch_size}, bptt={config.bptt}")
        for name, (t, cps) in bench(config, device, steps, warmup).items():
            print(f"  {name:<22} {1e3 * t:8.1f} ms/step {cps:10,.0f} chars/s")


if __name__ == "__main__":
    main()
