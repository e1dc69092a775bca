"""Benchmark: the from-scratch rnncourse.torch.LSTM against torch.nn.LSTM, forward + backward.

What is timed: one training-style pass, ``out, _ = lstm(x)`` then ``(out * G).sum().backward()``
(gradients of the weights and of x), with the gradients reset before each pass. The
contenders run alternately (A, B, A, B, ...) after warm-up runs, so that slow drifts of the
machine hit both; the script reports the median of each and the ratio of the medians
(rnncourse / torch.nn: 1.00 means as fast, 1.10 means 10 % slower).

Contenders:

- ``rnncourse``: :class:`rnncourse.torch.LSTM`, a Python loop over time with the input
  projection hoisted out of it (one matrix product for all steps);
- ``torch.nn``: :class:`torch.nn.LSTM` (oneDNN/mkldnn kernels on the CPU in float32, cuDNN
  on CUDA);
- ``compiled`` (only with ``--compile``): ``torch.compile(rnncourse.torch.LSTM(...))``. The
  package ships no ``torch.jit.script`` path: TorchScript is deprecated in recent torch
  releases (``torch.jit.script`` warns so in torch 2.13), and ``torch.compile`` works on the
  modules as they are. Compiling unrolls the loop over time, so the first call takes minutes
  on a CPU; the timing excludes it.

Settings (defaults follow the course's targets):

- CPU: T=100, B=64, D=H=256, float32, one thread (``torch.set_num_threads(1)``), timed with
  ``time.perf_counter``. Target: ratio <= 1.1.
- CUDA (``--device cuda``): T=100, B=256, D=H=512, float32, TF32 off, timed with CUDA events
  (``torch.cuda.Event(enable_timing=True)``) around each pass and a synchronise after it.
  Expect rnncourse to be several times slower than cuDNN there: every step launches about
  ten small kernels, where cuDNN runs the whole recurrence in a few fused ones.

How to run (from the repository root)::

    .venv/bin/python benchmarks/bench_torch.py --quick           # smoke test, seconds
    .venv/bin/python benchmarks/bench_torch.py                   # CPU, full size (~1 min)
    .venv/bin/python benchmarks/bench_torch.py --compile         # + torch.compile (minutes)
    .venv/bin/python benchmarks/bench_torch.py --device cuda     # on a machine with a GPU
    .venv/bin/python benchmarks/bench_torch.py --json out.json   # also write the results

Run the full CPU benchmark on an otherwise idle machine: other processes on the same cores
distort the timings (the alternation keeps the ratio fairer than the absolute times).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import torch

import rnncourse.torch as rt

DEFAULTS = {
    "cpu": dict(T=100, B=64, D=256, H=256),
    "cuda": dict(T=100, B=256, D=512, H=512),
    "quick": dict(T=20, B=16, D=64, H=64),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats (a smoke test)")
    p.add_argument("--repeats", type=int, default=None, help="timed passes per contender (default 15; 3 with --quick)")
    p.add_argument("--warmup", type=int, default=None, help="untimed passes per contender first (default 3; 1 with --quick)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--compile", action="store_true", help="also time torch.compile(rnncourse LSTM)")
    for dim in ("T", "B", "D", "H"):
        p.add_argument(f"--{dim}", type=int, default=None, help=f"override {dim}")
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    return p.parse_args(argv)


class Timer:
    """Times one call: perf_counter on the CPU, CUDA events on a GPU."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"

    def __call__(self, fn) -> float:
        """Seconds that ``fn()`` takes."""
        if self.cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) / 1e3
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0


def make_pass(module, x, upstream):
    """One forward + backward pass of ``module`` on ``x``, gradients reset first."""

    def run():
        module.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = module(x)
        (out * upstream).sum().backward()

    return run


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA device is available")
    device = torch.device(args.device)
    sizes = dict(DEFAULTS["quick" if args.quick else args.device])
    for dim in sizes:
        if getattr(args, dim) is not None:
            sizes[dim] = getattr(args, dim)
    repeats = args.repeats or (3 if args.quick else 15)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    T, B, D, H = sizes["T"], sizes["B"], sizes["D"], sizes["H"]

    g = rt.make_generator(0)
    ours = rt.LSTM(D, H, device=device, dtype=torch.float32, generator=g)
    ref = torch.nn.LSTM(D, H, device=device, dtype=torch.float32)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(T, B, D, generator=g).to(device).requires_grad_(True)  # (T, B, D)
    upstream = torch.randn(T, B, H, generator=g).to(device)  # (T, B, H): dL/d output

    with torch.no_grad():  # the contenders compute the same function
        max_diff = (ours(x)[0] - ref(x)[0]).abs().max().item()

    contenders = {"rnncourse": make_pass(ours, x, upstream), "torch.nn": make_pass(ref, x, upstream)}
    compile_seconds = None
    if args.compile:
        compiled = torch.compile(ours)
        t0 = time.perf_counter()
        make_pass(compiled, x, upstream)()  # compiles forward and backward
        compile_seconds = time.perf_counter() - t0
        contenders["compiled"] = make_pass(compiled, x, upstream)

    timer = Timer(device)
    for run in contenders.values():
        for _ in range(warmup):
            timer(run)
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():  # alternate A, B, (C), A, B, (C), ...
            times[name].append(timer(run))

    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["torch.nn"]
    result = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "sizes": sizes,
        "dtype": "float32",
        "repeats": repeats,
        "warmup": warmup,
        "max_abs_output_difference": max_diff,
        "median_seconds": medians,
        "ratio_to_torch_nn": {name: m / base for name, m in medians.items()},
        "compile_seconds": compile_seconds,
    }

    print(f"LSTM forward+backward, {device} float32, T={T} B={B} D={D} H={H}, "
          f"threads={result['threads']}, torch {torch.__version__}")
    print(f"{repeats} alternating timed passes each after {warmup} warm-up; outputs agree to {max_diff:.1e}")
    print(f"{'contender':<12} {'median ms':>10} {'min ms':>8} {'ratio':>6}")
    for name in contenders:
        print(f"{name:<12} {medians[name] * 1e3:10.2f} {min(times[name]) * 1e3:8.2f} "
              f"{medians[name] / base:6.2f}")
    if compile_seconds is not None:
        print(f"(torch.compile: first call took {compile_seconds:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
