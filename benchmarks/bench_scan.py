"""Benchmark: the parallel scan against the loop for h_t = a_t * h_{t-1} + b_t.

What is timed, for each sequence length T: ``linear_scan(a, b, h0)`` (ceil(log2 T) rounds of
elementwise operations over the whole sequence, O(T log T) work) against
``linear_scan_loop(a, b, h0)`` (T rounds of one multiply-add on a (B, H) slice, O(T) work),
both from :mod:`rnncourse.torch.scan`,

- ``forward``: the call alone, under ``torch.no_grad()``;
- ``fwd+bwd``: the call with ``a``, ``b`` and ``h0`` requiring gradients, then
  ``(h * G).sum().backward()``, gradients reset before each pass.

The contenders run alternately (scan, loop, scan, loop, ...) after warm-up runs, so that slow
drifts of the machine hit both; the table shows the median of each and the ratio of the
medians (loop / scan: above 1 means the scan is faster).

What to expect: the scan does about log2 T times more arithmetic than the loop but in log2 T
large operations instead of T tiny ones. Where each operation costs mostly its launch (a
GPU, or a CPU with small B * H), the scan wins, by more as T grows; where the arithmetic
dominates (a CPU with large B * H, one thread), the loop can win.

Settings: (B, H) = (8, 64) and (1, 4), T in {64, 256, 1024, 4096}, float32; one CPU thread
(``torch.set_num_threads(1)``), timed with ``time.perf_counter``; on CUDA (when there is one),
CUDA events around each pass with a synchronise after it. ``threadpoolctl``, when installed,
reports the BLAS and OpenMP libraries and their threads.

How to run (from the repository root; about half a minute on a CPU)::

    .venv/bin/python benchmarks/bench_scan.py                 # CPU, and CUDA when present
    .venv/bin/python benchmarks/bench_scan.py --quick         # smoke test, seconds
    .venv/bin/python benchmarks/bench_scan.py --device cpu    # one device only
    .venv/bin/python benchmarks/bench_scan.py --sizes 32x256  # other (B, H), as BxH
    .venv/bin/python benchmarks/bench_scan.py --json out.json # also write the results

Run it on an otherwise idle machine: other processes on the same cores distort the timings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import statistics
import sys
import time

import torch

from rnncourse.torch.scan import linear_scan, linear_scan_loop

CONTENDERS = {"scan": linear_scan, "loop": linear_scan_loop}
LENGTHS = (64, 256, 1024, 4096)
QUICK_LENGTHS = (64, 256)


def parse_size(text: str) -> tuple[int, int]:
    """'8x64' -> (8, 64)."""
    try:
        B, H = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is BxH, e.g. 8x64; got {text!r}") from None
    if B < 1 or H < 1:
        raise argparse.ArgumentTypeError(f"B and H must be positive, got {text!r}")
    return B, H


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="all", choices=["all", "cpu", "cuda"],
                   help="all (default): the CPU, and CUDA when it is available")
    p.add_argument("--quick", action="store_true", help="T in {64, 256}, few repeats (a smoke test)")
    p.add_argument("--repeats", type=int, default=None, help="timed passes per contender (default 7; 3 with --quick)")
    p.add_argument("--warmup", type=int, default=None, help="untimed passes per contender first (default 2; 1 with --quick)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--sizes", nargs="+", default=[(8, 64), (1, 4)], type=parse_size,
                   help="(B, H) pairs written BxH (default 8x64 1x4)")
    p.add_argument("--T", type=int, nargs="+", default=None, help=f"sequence lengths (default {' '.join(map(str, LENGTHS))})")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
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


def make_inputs(T: int, B: int, H: int, device: torch.device, dtype: torch.dtype):
    """a in (0.5, 1), b and h0 normal, G (dL/dh) normal; drawn on the CPU from a local seed."""
    g = torch.Generator().manual_seed(T)
    a = 0.5 + 0.5 * torch.rand(T, B, H, generator=g)  # (T, B, H)
    b = torch.randn(T, B, H, generator=g)  # (T, B, H)
    h0 = torch.randn(B, H, generator=g)  # (B, H)
    G = torch.randn(T, B, H, generator=g)  # (T, B, H)
    return [t.to(device, dtype) for t in (a, b, h0, G)]


def make_forward(fn, a, b, h0):
    def run():
        with torch.no_grad():
            fn(a, b, h0)
    return run


def make_forward_backward(fn, a, b, h0, G):
    leaves = [t.detach().clone().requires_grad_(True) for t in (a, b, h0)]

    def run():
        for t in leaves:
            t.grad = None
        (fn(*leaves) * G).sum().backward()
    return run


def time_alternately(runs: dict, timer: Timer, warmup: int, repeats: int) -> dict:
    """Median seconds of each run, timed A, B, A, B, ... after ``warmup`` untimed calls each."""
    for run in runs.values():
        for _ in range(warmup):
            timer(run)
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(timer(run))
    return {name: statistics.median(t) for name, t in times.items()}


def threadpool_report() -> list[dict]:
    """The native thread pools threadpoolctl sees (BLAS, OpenMP), or [] without it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "version", "num_threads", "prefix")
    return [{k: info.get(k) for k in keys} for info in threadpool_info()]


def bench_device(device: torch.device, args, lengths, repeats: int, warmup: int) -> list[dict]:
    dtype = getattr(torch, args.dtype)
    timer = Timer(device)
    rows = []
    for (B, H), T in itertools.product(args.sizes, lengths):
        a, b, h0, G = make_inputs(T, B, H, device, dtype)
        with torch.no_grad():
            diff = (linear_scan(a, b, h0) - linear_scan_loop(a, b, h0)).abs().max().item()
        row = {"B": B, "H": H, "T": T, "max_abs_difference": diff}
        for mode in ("forward", "fwd+bwd"):
            if mode == "forward":
                runs = {name: make_forward(fn, a, b, h0) for name, fn in CONTENDERS.items()}
            else:
                runs = {name: make_forward_backward(fn, a, b, h0, G) for name, fn in CONTENDERS.items()}
            row[mode] = time_alternately(runs, timer, warmup, repeats)
        rows.append(row)
        print(f"{f'{B}x{H}':>7} {T:>6} " + " ".join(f"{row[m]['scan'] * 1e3:10.2f} {row[m]['loop'] * 1e3:10.2f} "
                                    f"{row[m]['loop'] / row[m]['scan']:6.2f}" for m in ("forward", "fwd+bwd"))
              + f"  {diff:.1e}", flush=True)
    return rows


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA device is available")
    devices = ["cpu"] if args.device == "cpu" else ["cuda"] if args.device == "cuda" else (
        ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    lengths = tuple(args.T) if args.T else (QUICK_LENGTHS if args.quick else LENGTHS)
    repeats = args.repeats or (3 if args.quick else 7)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    torch.set_num_threads(args.threads)

    pools = threadpool_report()
    print(f"linear_scan vs linear_scan_loop, {args.dtype}, torch {torch.__version__}, "
          f"torch threads={torch.get_num_threads()}, {platform.processor() or platform.machine()}")
    if pools:
        for pool in pools:
            print(f"  threadpoolctl: {pool['user_api']} {pool['internal_api']} {pool['version']} "
                  f"num_threads={pool['num_threads']}")
    else:
        print("  (threadpoolctl is not installed: pip install threadpoolctl to list the BLAS and OpenMP pools)")
    print(f"median of {repeats} alternating passes after {warmup} warm-up; times in ms; "
          f"ratio = loop / scan (> 1: the scan is faster)")

    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "sizes": args.sizes,
              "dtype": args.dtype, "repeats": repeats, "warmup": warmup, "threadpools": pools, "devices": {}}
    for name in devices:
        device = torch.device(name)
        label = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
        print(f"\n{name} ({label})")
        print(f"{'BxH':>7} {'T':>6} {'fwd scan':>10} {'fwd loop':>10} {'ratio':>6} {'f+b scan':>10} {'f+b loop':>10} "
              f"{'ratio':>6}  max|diff|")
        result["devices"][name] = {"name": label, "rows": bench_device(device, args, lengths, repeats, warmup)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
