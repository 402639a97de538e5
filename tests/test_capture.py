"""The capture's gradients against a known answer: with a flatten + linear head after the layer,
∂y_c/∂A is the class's weight row laid out as the layer's output, for every target, in every backward batch."""

import importlib

import torch
from torch import nn
from toy_models import CHANNELS, CLASSES, SIZE, FlattenLinear, positive_input, toy_backbone

from cam_methods import explain
from cam_methods.capture import BACKWARD_BATCH, _vectorised


class _DoubledWithItem(torch.autograd.Function):
    """y = 2x, with a backward that calls ``.item()``, which vmap cannot batch."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        return 2 * x

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        assert grad.abs().sum().item() >= 0
        return 2 * grad


class DoubledFlattenLinear(FlattenLinear):
    """conv → ReLU (layer ``act``) → ×2 (unbatchable backward) → flatten → linear: ∂y_c/∂A = 2 W_c."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(_DoubledWithItem.apply(self.act(self.conv(x))).flatten(1))


def weight_rows(model: nn.Module, keys: tuple) -> torch.Tensor:
    return model.fc.weight.detach()[list(keys)].reshape(len(keys), CHANNELS, SIZE, SIZE)


def test_every_target_gets_its_own_gradient_across_backward_batches():
    torch.manual_seed(0)
    model = FlattenLinear()
    assert BACKWARD_BATCH >= CLASSES  # the five targets go back in one vectorised call
    evidence = explain(toy_backbone(model, cam=False), positive_input(), ["finer-gradcam"], finer_refs=4).evidence
    assert len(evidence.keys) == CLASSES and len(set(evidence.keys)) == CLASSES
    torch.testing.assert_close(evidence.gradients, weight_rows(model, evidence.keys), rtol=0, atol=1e-7)


def test_more_targets_than_one_backward_batch_keeps_their_order(monkeypatch):
    monkeypatch.setattr(
        importlib.import_module("cam_methods.capture"), "BACKWARD_BATCH", 2
    )  # five targets: batches of 2, 2 and 1
    torch.manual_seed(1)
    model = FlattenLinear()
    evidence = explain(toy_backbone(model, cam=False), positive_input(1), ["finer-gradcam"], finer_refs=4).evidence
    torch.testing.assert_close(evidence.gradients, weight_rows(model, evidence.keys), rtol=0, atol=1e-7)


def test_a_part_vmap_cannot_batch_falls_back_to_one_backward_per_target():
    torch.manual_seed(2)
    model = DoubledFlattenLinear()
    leaf = torch.rand(1, CHANNELS, SIZE, SIZE, requires_grad=True)
    scores = model.fc(_DoubledWithItem.apply(leaf).flatten(1))[0, :3]
    assert _vectorised(scores, [leaf]) is None  # the fallback below is really taken
    evidence = explain(toy_backbone(model, cam=False), positive_input(2), ["finer-gradcam"], finer_refs=4).evidence
    torch.testing.assert_close(evidence.gradients, 2 * weight_rows(model, evidence.keys), rtol=0, atol=1e-7)
