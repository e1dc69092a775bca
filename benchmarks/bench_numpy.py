"""Speed of rnncourse.numpy's layers against torch.nn on the CPU (float32, forward + backward).

For LSTM, GRU and RNN, at (T=100, B=64, D=H=256) and (T=50, B=32, D=H=128), the script times
one forward and one backward pass (the input gradient included) of
``rnncourse.numpy.<Layer>(..., dtype=np.float32)`` and of ``torch.nn.<Layer>``, alternating
the two so that both see the same machine load, and prints the medians and their ratio
(numpy / torch; below 1 means NumPy is faster). The last column, the ratio of the fastest
runs, is steadier when other programs share the CPU.

Thread counts are set before NumPy is imported (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS,
MKL_NUM_THREADS) and with ``torch.set_num_threads``, so each thread count runs in its own
subprocess.

Run it from the repository root, on a quiet machine::

    .venv/bin/python benchmarks/bench_numpy.py              # full: 1 and 2 threads, 15 repeats
    .venv/bin/python benchmarks/bench_numpy.py --quick      # smoke test: small size, 3 repeats
    .venv/bin/python benchmarks/bench_numpy.py --threads 1 --repeats 25 --cells LSTM

Targets on the reference 2-core machine: LSTM within 1.1x of torch.nn at the larger size
and 1.4x at the smaller; GRU and RNN at or below 1.0x.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

SIZES = [(100, 64, 256), (50, 32, 128)]  # (T, B, D=H)
CELLS = ["LSTM", "GRU", "RNN"]
TARGETS = {("LSTM", 0): 1.1, ("LSTM", 1): 1.4}  # default 1.0


def worker(threads: int, cells, repeats: int, warmup: int, sizes) -> list:
    """Runs in a subprocess whose thread variables were set before importing NumPy."""
    import time

    import numpy as np
    import torch

    import rnncourse.numpy as rn

    torch.set_num_threads(threads)
    blas_threads = None
    try:  # report what the BLAS really uses, when threadpoolctl is available
        from threadpoolctl import threadpool_info

        blas_threads = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        pass
    results = []
    rng = np.random.default_rng(0)
    for size_index, (T, B, H) in enumerate(SIZES):
        if (T, B, H) not in sizes:
            continue
        D = H
        for name in cells:
            ours = getattr(rn, name)(D, H, dtype=np.float32, rng=rng)
            theirs = getattr(torch.nn, name)(D, H)
            ours.load_state_dict(theirs.state_dict())
            x = rng.standard_normal((T, B, D)).astype(np.float32)
            d_out = rng.standard_normal((T, B, H)).astype(np.float32)
            x_t = torch.tensor(x, requires_grad=True)
            d_out_t = torch.tensor(d_out)

            def run_numpy():
                out, _ = ours(x)
                ours.backward(d_out)

            def run_torch():
                out, _ = theirs(x_t)
                out.backward(d_out_t)

            def timed(fn, reset):
                reset()
                t0 = time.perf_counter()
                fn()
                return time.perf_counter() - t0

            reset_numpy = lambda: None  # noqa: E731  (grads are overwritten, not accumulated)

            def reset_torch():
                theirs.zero_grad(set_to_none=True)
                x_t.grad = None

            for _ in range(warmup):
                timed(run_numpy, reset_numpy)
                timed(run_torch, reset_torch)
            t_np, t_torch = [], []
            for _ in range(repeats):  # alternate, so both see the same load
                t_np.append(timed(run_numpy, reset_numpy))
                t_torch.append(timed(run_torch, reset_torch))
            results.append({"cell": name, "size": size_index, "T": T, "B": B, "H": H, "threads": threads,
                            "numpy_ms": 1e3 * float(np.median(t_np)), "torch_ms": 1e3 * float(np.median(t_torch)),
                            "numpy_min_ms": 1e3 * min(t_np), "torch_min_ms": 1e3 * min(t_torch),
                            "blas_threads": blas_threads})
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: the smaller size only, 3 repeats, 1 warm-up")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs of each (default 15, quick 3)")
    parser.add_argument("--cells", nargs="+", default=CELLS, choices=CELLS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 15)
    warmup = 1 if args.quick else 3

    if args.worker:
        sizes = SIZES[1:] if args.quick else SIZES
        print(json.dumps(worker(args.threads[0], args.cells, repeats, warmup, sizes)))
        return 0

    rows = []
    for n in args.threads:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(n), OMP_NUM_THREADS=str(n), MKL_NUM_THREADS=str(n))
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--threads", str(n),
               "--repeats", str(repeats), "--cells", *args.cells]
        if args.quick:
            cmd.append("--quick")
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            return out.returncode
        rows += json.loads(out.stdout.strip().splitlines()[-1])

    print(f"forward + backward, float32, CPU; median of {repeats} alternating runs")
    print(f"{'cell':5} {'T':>4} {'B':>3} {'D=H':>4} {'threads':>7} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6} "
          f"{'target':>6} {'min ratio':>9}")
    worst = 0.0
    for r in rows:
        ratio = r["numpy_ms"] / r["torch_ms"]
        target = TARGETS.get((r["cell"], r["size"]), 1.0)
        worst = max(worst, ratio / target)
        flag = "" if ratio <= target else "  above target"
        print(f"{r['cell']:5} {r['T']:4d} {r['B']:3d} {r['H']:4d} {r['threads']:7d} {r['numpy_ms']:9.1f} "
              f"{r['torch_ms']:9.1f} {ratio:6.2f} {target:6.1f} {r['numpy_min_ms'] / r['torch_min_ms']:9.2f}{flag}")
    if rows and rows[0]["blas_threads"] is not None:
        print("BLAS threads seen by threadpoolctl:", sorted({str(r["blas_threads"]) for r in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
