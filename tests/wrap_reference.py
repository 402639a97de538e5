"""An independent reference for wrapped models: hook the layer by hand, lay its output out with a layout
*stated* for the family (not detected), and compute Grad-CAM, HiResCAM and Finer-Grad-CAM from one full
forward and backward pass, post-processed as the README says (ReLU, min-max, bilinear upsampling).

Layouts: ``"nchw"``, ``"nhwc"``, or ``tokens(prefix, stride)`` for N×(prefix + h·w)×C with h = H // stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

FINER_GAMMA = 0.6
FINER_REFERENCES = 3


@dataclass(frozen=True)
class tokens:  # noqa: N801  (reads as a layout name in the tables)
    prefix: int
    stride: int


def lay_out(activation: torch.Tensor, layout, input_size: tuple[int, int]) -> torch.Tensor:
    """The K×h×w grid of a batch-of-one output under the stated layout."""
    if layout == "nchw":
        return activation[0]
    if layout == "nhwc":
        return activation[0].permute(2, 0, 1)
    height, width = input_size[0] // layout.stride, input_size[1] // layout.stride
    return activation[0, layout.prefix :].reshape(height, width, -1).permute(2, 0, 1)


def logits_of(output) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output.logits


def evidence(model: nn.Module, layer: nn.Module, x: torch.Tensor, layout) -> tuple[torch.Tensor, ...]:
    """A, ∂y_c/∂A and ∂(y_c − γ·mean_t y_rt)/∂A on the grid, for the top-1 class c and its 3 runners-up."""
    kept = {}

    def keep(module, inputs, output):
        kept["A"] = output
        return output.clone()  # later in-place operations must not change A

    handle = layer.register_forward_hook(keep)
    try:
        with torch.enable_grad():
            logits = logits_of(model(x))[0]
            order = logits.argsort(descending=True)
            target, references = order[0], order[1 : 1 + FINER_REFERENCES]
            finer = logits[target] - FINER_GAMMA * logits[references].mean()
            (g_target,) = torch.autograd.grad(logits[target], kept["A"], retain_graph=True)
            (g_finer,) = torch.autograd.grad(finer, kept["A"])
    finally:
        handle.remove()
    size = tuple(x.shape[-2:])
    return tuple(lay_out(t.detach().double(), layout, size) for t in (kept["A"], g_target, g_finer))


def gradcam(A: torch.Tensor, G: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Σ_k mean_ij(G_k) · A_k, and Σ_k |mean_ij(G_k) · A_k| (the size of its terms)."""
    terms = G.mean(dim=(1, 2))[:, None, None] * A
    return terms.sum(dim=0), terms.abs().sum(dim=0)


def hirescam(A: torch.Tensor, G: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Σ_k G_k ⊙ A_k, and Σ_k |G_k ⊙ A_k|."""
    terms = G * A
    return terms.sum(dim=0), terms.abs().sum(dim=0)


def post_process(raw: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """ReLU, min-max (a flat map gives zeros), bilinear upsampling (align_corners=False) to the input."""
    positive = raw.float().clamp(min=0)
    span = positive.max() - positive.min()
    scaled = (positive - positive.min()) / span if span > 1e-6 * positive.max() else torch.zeros_like(positive)
    return F.interpolate(scaled[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]


def reference_maps(model: nn.Module, layer: nn.Module, x: torch.Tensor, layout) -> dict[str, tuple]:
    """(raw map on the layer grid, size of its terms) of gradcam, hirescam and finer-gradcam."""
    A, g_target, g_finer = evidence(model, layer, x, layout)
    return {"gradcam": gradcam(A, g_target), "hirescam": hirescam(A, g_target), "finer-gradcam": gradcam(A, g_finer)}


def is_cancellation(expected: torch.Tensor, terms: torch.Tensor) -> bool:
    """True when the map's terms cancel to rounding noise: |map| < 1e-4 · Σ_k |term_k| everywhere (HiResCAM
    at a layer feeding a LayerNorm, whose gradient is orthogonal to its input: Σ_k G_k A_k = 0)."""
    return bool(expected.abs().max() < 1e-4 * terms.max())


def assert_matches(result, references: dict[str, tuple]) -> None:
    """The engine's raw maps equal the reference's (same grid, same values within 1e-4 of the size of their
    terms) and so do the final maps, unless the map is cancellation noise."""
    size = tuple(result.input_tensor.shape[-2:])
    for method, (expected, terms) in references.items():
        raw = result.raw_maps[method].double()
        assert raw.shape == expected.shape, (method, tuple(raw.shape), tuple(expected.shape))
        assert torch.allclose(raw, expected, atol=1e-4 * float(terms.max()), rtol=1e-3), method
        final = torch.from_numpy(result.maps[method])
        assert final.shape == size and torch.isfinite(final).all(), method
        if not is_cancellation(expected, terms):
            assert torch.allclose(final, post_process(expected, size), atol=2e-3), method
