"""The capture's gradients against known answers: with a flatten + linear head after the layer, ∂y_c/∂A is the
class's weight row laid out as the layer's output, for every target, in every backward batch; with global average
pooling + linear, it is that row / (h·w) on every cell, read off the head without a backward."""

import importlib

import torch
from torch import nn
from toy_models import (
    CHANNELS,
    CLASSES,
    SIZE,
    TOY_PREPROCESS,
    FlattenLinear,
    GapLinear,
    positive_input,
    toy_backbone,
)

from cam_methods import explain
from cam_methods.capture import _vectorised, capture_layers
from cam_methods.images import load_image
from cam_methods.targets import class_targets
from model_zoo import wrap

capture_module = importlib.import_module("cam_methods.capture")  # the package exports a function of that name


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


def test_every_target_gets_its_own_gradient():
    torch.manual_seed(0)
    model = FlattenLinear()
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


def test_at_a_gap_linear_layer_the_gradients_are_read_off_the_head_without_a_backward(monkeypatch):
    torch.manual_seed(3)
    model = GapLinear()
    monkeypatch.setattr(capture_module, "_gradients", _no_backward)
    evidence = explain(toy_backbone(model, cam=True), positive_input(3), ["finer-gradcam"], finer_refs=4).evidence
    rows = model.fc.weight.detach()[list(evidence.keys)] / (SIZE * SIZE)
    torch.testing.assert_close(evidence.gradients, rows[:, :, None, None].expand(-1, -1, SIZE, SIZE), rtol=0, atol=0)
    for tensor in (evidence.activations, evidence.gradients, evidence.output):
        assert not tensor.is_inference() and not tensor.requires_grad
        tensor.add_(0)  # ordinary tensors: in-place updates are allowed


def test_the_head_capture_equals_autograd_on_the_bundled_model(lite0, chelsea_path):
    x = lite0.prepare(load_image(chelsea_path))[0]
    choose = class_targets(lite0, None, 3)
    by_autograd = capture_layers(lite0, x, choose, ["bn2"])["bn2"]
    from_head = capture_layers(lite0, x, choose, ["bn2"], head=lite0.head_weights("bn2"))["bn2"]
    assert from_head.keys == by_autograd.keys and len(from_head.keys) == 4
    torch.testing.assert_close(from_head.activations, by_autograd.activations, rtol=0, atol=0)
    torch.testing.assert_close(from_head.output, by_autograd.output, rtol=0, atol=0)
    torch.testing.assert_close(from_head.gradients, by_autograd.gradients, rtol=1e-6, atol=1e-9)


def _no_backward(*args: object) -> None:
    raise AssertionError("a backward pass was run")


class _InPlaceReluAfterNorm(nn.Module):
    """conv → BatchNorm (layer ``norm``) → ReLU(inplace=True) → average pool → linear, as timm's legacy Xception
    ends: the head sees ReLU(A), not A, so ∂y_c/∂A = W_c / Z only where A > 0."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, CHANNELS, 3, padding=1)
        self.norm = nn.BatchNorm2d(CHANNELS)
        self.act = nn.ReLU(inplace=True)
        self.fc = nn.Linear(CHANNELS, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.norm(self.conv(x))).mean(dim=(2, 3)))


def test_a_layer_an_in_place_relu_overwrites_does_not_count_as_feeding_the_head():
    torch.manual_seed(4)
    model = _InPlaceReluAfterNorm()
    backbone = wrap(model, layer="norm", preprocess=TOY_PREPROCESS)
    assert backbone.head_weights("norm") is None  # no CAM there, and no gradients read off the head
    evidence = explain(backbone, positive_input(4) - 0.5, ["finer-gradcam"], finer_refs=2).evidence
    A = evidence.activations
    assert (A < 0).any() and (A > 0).any()
    rows = model.fc.weight.detach()[list(evidence.keys)] / (SIZE * SIZE)
    expected = rows[:, :, None, None] * (A > 0)
    torch.testing.assert_close(evidence.gradients, expected, rtol=1e-6, atol=1e-9)
