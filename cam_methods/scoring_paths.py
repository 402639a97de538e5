"""The execution paths the scorer (:mod:`.scoring`) chooses between: each maps a B×C×H×W input batch to the
model's raw output under ``torch.inference_mode()``, without hooks and without gradients.

- ``eager``: the backbone's own model, as it is served.
- ``channels_last``: a copy of a CNN's model in channels-last memory layout, fed channels-last inputs (oneDNN and
  cuDNN have faster convolution kernels for that layout). Costs a second copy of the weights.
- ``onnx``: the CNN exported once to ONNX (dynamic batch and image axes) and run by ONNX Runtime, on a CPU, when the
  optional packages ``onnxruntime`` and ``onnx`` are installed; any export failure just drops this path.

ONNX Runtime keeps the memory of a run's intermediate tensors in an arena for the next run (~20 % faster batches
than allocating afresh), and the arena only grows: on the bundled model, batches of 16–32 whole pictures left it
~0.6–0.9 GB larger, for as long as the backbone lived. So a path may have ``release()``, which
:meth:`~.scoring.Scorer.score_built` calls after each job: the arena serves a job's batches, then shrinks back
(:func:`release_memory`).
"""

from __future__ import annotations

import copy
import io
import itertools
import warnings
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager

import numpy as np
import torch

from model_zoo import Backbone

Tensor = torch.Tensor
Runner = Callable[[Tensor], Tensor]


def model_device(backbone: Backbone) -> torch.device:
    """Where the model's weights (or buffers) live; the CPU for a model with neither."""
    tensor = next(itertools.chain(backbone.model.parameters(), backbone.model.buffers()), None)
    return torch.device("cpu") if tensor is None else tensor.device


def candidate_runners(backbone: Backbone, allowed: Collection[str] | None = None) -> dict[str, Runner]:
    """``eager`` always; ``channels_last`` and (on a CPU, when installed) ``onnx`` for a CNN; only those in
    ``allowed`` when it is given."""
    runners = {"eager": eager_runner(backbone.model)}
    wanted = (lambda name: True) if allowed is None else allowed.__contains__
    if backbone.family == "cnn" and wanted("channels_last"):
        runners["channels_last"] = channels_last_runner(backbone.model)
    if backbone.family == "cnn" and model_device(backbone).type == "cpu" and wanted("onnx"):
        onnx = onnx_runner(backbone)
        if onnx is not None:
            runners["onnx"] = onnx
    return runners


def eager_runner(model: torch.nn.Module) -> Runner:
    def run(inputs: Tensor) -> Tensor:
        with torch.inference_mode():
            return model(inputs)

    return run


def channels_last_runner(model: torch.nn.Module) -> Runner:
    copied = copy.deepcopy(model).to(memory_format=torch.channels_last)

    def run(inputs: Tensor) -> Tensor:
        with torch.inference_mode():
            return copied(inputs.contiguous(memory_format=torch.channels_last))

    return run


def onnx_runner(backbone: Backbone) -> Runner | None:
    """ONNX Runtime on the exported model, or None when the packages are missing or the export fails."""
    try:
        import onnxruntime
    except ImportError:
        return None
    height, width = backbone.preprocess.crop
    example = torch.zeros(1, 3, height, width)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                backbone.model, (example,), buffer, dynamo=False, input_names=["x"], output_names=["y"],
                dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}, "y": {0: "batch"}},
            )  # fmt: skip
    except Exception:  # noqa: BLE001 - an arbitrary model may fail to export in many ways; eager still runs
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
    shrinking = onnxruntime.RunOptions()
    shrinking.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return OnnxRunner(session, shrinking, (1, 3, height, width))


class OnnxRunner:
    """An ONNX Runtime session as a :data:`Runner` whose ``release()`` hands its arena's unused memory back."""

    def __init__(self, session, shrinking, blank_shape: tuple[int, ...]) -> None:
        self.session, self.shrinking, self.blank_shape = session, shrinking, blank_shape  # (run options that shrink)

    def __call__(self, inputs: Tensor) -> Tensor:
        return torch.from_numpy(self.session.run(None, {"x": inputs.detach().float().cpu().numpy()})[0])

    def release(self) -> None:
        """One run of a single blank image (the export's shape, which the model is known to take) with arena
        shrinkage on: at the end of that run ONNX Runtime frees every arena chunk no tensor uses."""
        self.session.run(None, {"x": np.zeros(self.blank_shape, dtype=np.float32)}, self.shrinking)


def release_memory(runner: Runner, lock: AbstractContextManager) -> None:
    """Hand back what a path keeps between batches (the ONNX arena), under ``lock`` (the backbone's, which its
    batches run under); the other paths keep nothing, and then the lock is not waited for."""
    release = getattr(runner, "release", None)
    if release is not None:
        with lock:
            release()
