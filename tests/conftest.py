"""Shared test configuration: the ``gpu`` marker and the backends the torch tests run on.

Tests marked ``gpu`` are skipped cleanly when no CUDA device is available (CI has none).
Run them on a machine with a GPU with ``pytest -m gpu``.

The ``backend`` fixture runs a test once per backend:

- ``cpu-float64``: the reference; checks against torch.nn and rnncourse.numpy use
  rtol = 1e-10 and atol = 1e-12.
- ``cuda-float32`` (marked ``gpu``): float32 with TF32 turned off for matrix products and
  cuDNN, so that the products are true float32; rtol = 1e-4 and atol = 1e-5. torch.nn runs
  cuDNN kernels there, which sum in a different order, and the sequences in the tests are
  short (T <= 6, H <= 6), so the float32 rounding differences stay near 1e-6.

The ``exercise_isolation`` fixture keeps the exercise checkers from reading the
environment they run in and from recording progress; the exercise test files request it for
every test with ``pytestmark = pytest.mark.usefixtures("exercise_isolation")``.

The ``ax`` fixture gives the drawing tests a matplotlib Axes on the Agg backend.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import pytest


def _cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return torch.cuda.is_available()


@pytest.fixture
def exercise_isolation(monkeypatch, tmp_path):
    """No progress recorded, a data folder of the test's own, and neither strict mode nor a
    context (book, CI) set: the exercises behave as for a learner at a notebook."""
    monkeypatch.setenv("RNNCOURSE_NO_PROGRESS", "1")
    monkeypatch.setenv("RNNCOURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RNNCOURSE_STRICT", raising=False)
    monkeypatch.delenv("RNNCOURSE_CONTEXT", raising=False)


def pytest_collection_modifyitems(config, items):
    if _cuda_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device; none is available")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@dataclass(frozen=True)
class Backend:
    """Where a test runs and how closely results must agree there."""

    device: str
    dtype_name: str
    rtol: float
    atol: float

    @property
    def dtype(self):
        import torch

        return getattr(torch, self.dtype_name)

    def close(self, actual, expected, msg: str = "") -> None:
        """Assert two tensors (or arrays) agree within this backend's tolerances."""
        import torch

        actual = torch.as_tensor(actual).detach().cpu().double()
        expected = torch.as_tensor(expected).detach().cpu().double()
        torch.testing.assert_close(actual, expected, rtol=self.rtol, atol=self.atol, msg=msg or None)


CPU64 = Backend("cpu", "float64", rtol=1e-10, atol=1e-12)
CUDA32 = Backend("cuda", "float32", rtol=1e-4, atol=1e-5)


@pytest.fixture(params=[
    pytest.param(CPU64, id="cpu-float64"),
    pytest.param(CUDA32, id="cuda-float32", marks=pytest.mark.gpu),
])
def backend(request):
    """The backend a torch test runs on (see the module docstring for the tolerances)."""
    b = request.param
    if b.device == "cuda":
        import torch

        old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        yield b
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old
    else:
        yield b


@pytest.fixture
def ax():
    """A matplotlib Axes (6 x 3.5 inches) on the Agg backend, closed after the test."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    yield ax
    plt.close(fig)
