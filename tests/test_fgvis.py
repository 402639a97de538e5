"""FGVis and its gradient filter: exact filtering, no adversarial evidence, an untouched model, real models."""

import numpy as np
import pytest
import timm
import torch
from torch import nn

from cam_methods import METHODS, explain, fgvis_image, fgvis_result
from cam_methods.fgvis import FGVisSettings, optimise_mask
from cam_methods.fgvis_gradient_filter import activation_modules, bounded_gradients
from cam_methods.scoring import Cancelled


def class_zero_probability(output: torch.Tensor) -> torch.Tensor:
    return output.softmax(dim=-1)[:, 0]


def linear_activation_linear(activation: nn.Module, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 16), activation, nn.Linear(16, 3)).eval()


@pytest.mark.parametrize("activation", [nn.ReLU(), nn.SiLU(), nn.GELU()], ids=["relu", "silu", "gelu"])
def test_filter_zeroes_the_gradient_exactly_where_an_activation_leaves_its_bound(activation):
    """Gradient at the pre-activation z: filtered = unfiltered ⊙ [min(0, a⁰) ≤ a ≤ max(0, a⁰)], bit for bit."""
    model = linear_activation_linear(activation)
    original = torch.randn(1, 1, 2, 3, generator=torch.Generator().manual_seed(1))
    moved = original * torch.rand(1, 1, 2, 3, generator=torch.Generator().manual_seed(2)) * 2 - 0.3

    with torch.no_grad():
        a0 = activation(model[1](original.flatten(1)))
        a = activation(model[1](moved.flatten(1)))
    zero = torch.zeros_like(a0)
    inside = (torch.minimum(a0, zero) <= a) & (a <= torch.maximum(a0, zero))
    assert inside.any() and (~inside).any(), "the test needs units on both sides of the bound"

    z_unfiltered = model[1](moved.flatten(1)).detach().requires_grad_(True)
    (unfiltered,) = torch.autograd.grad(model[3](activation(z_unfiltered)).sum(), z_unfiltered)
    seen = {}
    with bounded_gradients(model, original):
        handle = model[1].register_forward_hook(lambda module, inputs, output: seen.setdefault("z", output))
        try:
            output = model(moved)
        finally:
            handle.remove()
        z_filtered = seen["z"]
        z_filtered.retain_grad()
        output.sum().backward()
    assert torch.equal(z_filtered.grad, unfiltered * inside)
    assert (unfiltered[inside] != 0).any()  # it really passes gradient where the unit stays inside


def tent_model() -> nn.Sequential:
    """Two pixels; class 0's logit is ``2·g + 20·u`` against a constant 3 for class 1.

    ``g = ReLU(p1)`` is genuine evidence. ``u = ReLU(r − 2q − 0.1)`` with ``r = ReLU(p2)`` and
    ``q = ReLU(p2 − 0.5)`` is off at p2 = 1 (u⁰ = 0) and at p2 = 0, but on for p2 in (0.1, 0.9): masking
    pixel 2 half-way creates evidence the image never had. Without the filter the optimiser finds and keeps
    it. With the filter u passes no gradient once on (its bound is [0, 0]), so pixel 2 only feels the L1
    term and goes to 0, where u is off again: the final score cannot exceed the original.
    """
    first, second, head = nn.Linear(2, 3), nn.Linear(3, 2), nn.Linear(2, 2)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]))
        first.bias.copy_(torch.tensor([0.0, 0.0, -0.5]))
        second.weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, -2.0]]))
        second.bias.copy_(torch.tensor([0.0, -0.1]))
        head.weight.copy_(torch.tensor([[2.0, 20.0], [0.0, 0.0]]))
        head.bias.copy_(torch.tensor([0.0, 3.0]))
    return nn.Sequential(nn.Flatten(), first, nn.ReLU(), second, nn.ReLU(), head).eval()


@pytest.mark.parametrize("lr", [0.1, 0.05])
def test_without_the_filter_masking_creates_adversarial_evidence_and_with_it_it_cannot(lr):
    model, x = tent_model(), torch.ones(1, 1, 1, 2)
    run = {
        on: optimise_mask(model, x, class_zero_probability, FGVisSettings(l1=0.5, lr=lr, gradient_filter=on))
        for on in (False, True)
    }
    original = run[True].original_score
    assert run[False].original_score == original
    assert run[False].explanation_score > original + 0.5  # adversarial: far above what the image itself scores
    assert run[True].explanation_score <= original
    assert run[True].mask[0, 1] < 0.05  # pixel 2 was simply removed


def model_state(model: nn.Module) -> tuple:
    """Everything a run could leave behind: modules, every kind of hook, parameters, buffers, grads, mode."""
    modules = [
        (
            name,
            type(module),
            module.training,
            *(
                tuple(getattr(module, hooks))
                for hooks in (
                    "_forward_hooks",
                    "_forward_pre_hooks",
                    "_backward_hooks",
                    "_backward_pre_hooks",
                    "_state_dict_hooks",
                )
            ),
        )
        for name, module in model.named_modules()
    ]
    tensors = {name: tensor.clone() for name, tensor in model.state_dict(keep_vars=False).items()}
    parameters = [(name, p.requires_grad, p.grad) for name, p in model.named_parameters()]
    return modules, tensors, parameters


def assert_same_state(before: tuple, after: tuple) -> None:
    assert before[0] == after[0]
    assert before[1].keys() == after[1].keys()
    assert all(torch.equal(before[1][name], after[1][name]) for name in before[1])
    assert before[2] == after[2]


class Boom(RuntimeError):
    pass


def stop_after(calls: int):
    count = iter(range(10**6))
    return lambda: next(count) >= calls


def explode_after(calls: int):
    count = iter(range(10**6))

    def progress(fraction: float, message: str) -> None:
        if next(count) >= calls:
            raise Boom("progress callback failed")

    return progress


@pytest.mark.parametrize("ending", ["finished", "cancelled", "exception"])
def test_model_is_exactly_as_before_after_a_run_a_cancel_and_an_exception(ending):
    model = tent_model()
    before = model_state(model)
    settings = FGVisSettings(steps=20)
    if ending == "finished":
        optimise_mask(model, torch.ones(1, 1, 1, 2), class_zero_probability, settings)
    elif ending == "cancelled":
        with pytest.raises(Cancelled):
            optimise_mask(model, torch.ones(1, 1, 1, 2), class_zero_probability, settings, cancel=stop_after(5))
    else:
        with pytest.raises(Boom):
            optimise_mask(model, torch.ones(1, 1, 1, 2), class_zero_probability, settings, explode_after(5))
    assert_same_state(before, model_state(model))


@pytest.mark.parametrize(
    ("arch", "activation", "count"),
    [("resnet50", nn.ReLU, 49), ("vit_tiny_patch16_224", nn.GELU, 12)],
)
def test_filter_hooks_every_activation_of_real_timm_models_and_leaves_them_untouched(arch, activation, count):
    """ReLU CNN and GELU ViT from timm (random weights, 64 px): every activation module is bounded, the run
    works, and the model is as before, also after a cancel."""
    kwargs = {"img_size": 64} if arch.startswith("vit") else {}
    model = timm.create_model(arch, pretrained=False, num_classes=10, **kwargs).eval()
    assert len(activation_modules(model)) == count
    assert all(isinstance(module, activation) for module in activation_modules(model))
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    before = model_state(model)
    result = optimise_mask(model, x, class_zero_probability, FGVisSettings(steps=3))
    assert result.steps == 3 and result.mask.shape == (64, 64)
    assert result.mask.min() >= 0 and result.mask.max() <= 1
    with pytest.raises(Cancelled):
        optimise_mask(model, x, class_zero_probability, FGVisSettings(steps=3), cancel=stop_after(1))
    assert_same_state(before, model_state(model))


def test_preservation_mask_keeps_the_class_in_the_top_5_on_the_bundled_model(lite0, chelsea_path):
    before = model_state(lite0.model)
    progress = []
    result = explain(
        lite0,
        chelsea_path,
        ["fgvis"],
        options={"fgvis": {"steps": 40}},
        progress=lambda fraction, message: progress.append(fraction),
    )
    record = fgvis_result(result)
    assert record.game == "preservation" and record.steps <= 40
    assert record.mask.mean() < 0.9  # it did remove part of the image
    with torch.inference_mode():
        probs = lite0.model(record.explanation).softmax(dim=-1)[0]
    assert result.target in probs.topk(5).indices.tolist()
    assert record.explanation_score == pytest.approx(float(probs[result.target]), rel=1e-4)
    picture = fgvis_image(result)
    assert picture.shape == (224, 352, 3) and picture.dtype == np.uint8  # the whole picture
    heatmap = result.maps["fgvis"]
    assert heatmap.shape == (224, 352) and heatmap.min() >= 0 and heatmap.max() <= 1
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert_same_state(before, model_state(lite0.model))


def test_deletion_game_lowers_the_score_and_returns_what_was_removed():
    model, x = tent_model(), torch.ones(1, 1, 1, 2)
    result = optimise_mask(model, x, class_zero_probability, FGVisSettings(game="deletion", l1=0.5))
    assert result.explanation_score < result.original_score
    assert result.mask[0, 0] < 0.5  # the genuine pixel is the one removed


def test_fgvis_is_registered_as_a_slow_optimisation_method_and_checks_its_options(lite0, chelsea_path):
    assert METHODS["fgvis"].family == "optimisation" and METHODS["fgvis"].slow
    with pytest.raises(ValueError, match="unknown option"):
        explain(lite0, chelsea_path, ["fgvis"], options={"fgvis": {"stepz": 3}})
    with pytest.raises(ValueError, match="game"):
        FGVisSettings(game="hide-and-seek")
