"""The Learn tab's prose: the introduction, the words beside each demonstration, and how to read a heatmap."""

from __future__ import annotations

INTRO = (
    "## Learn\n"
    "A class activation map answers one question: *which parts of the image raised the model's score for one "
    "class?* Every method here starts from one layer of the network: its activations **A** (K channels, each "
    "an h×w grid: what the layer detected where) and, for most methods, the gradient **G = ∂y/∂A** (how much "
    "the class score y would grow if an activation grew)."
)
ANATOMY = (
    "### Anatomy of a map: Grad-CAM and HiResCAM taken apart\n"
    "**Grad-CAM** gives each channel one weight, α_k, the gradient *averaged over the whole grid*, and adds "
    "up α_k·A_k. **HiResCAM** keeps the gradient *at every position* and adds up G_k⊙A_k. The bars are the "
    "weights α_k; the rows below write each map out as a sum: the four largest Grad-CAM terms, plus all the "
    "other channels, equal the map before ReLU, and the last column is the map as the Explain tab draws it. "
    "Red adds to the map, blue takes away. Where G_k changes over the grid (compare its row with its mean "
    "α_k), HiResCAM's terms differ from Grad-CAM's, and so do the maps."
)
TOY = (
    "### Why averaging the gradient can mislead: a model you can read\n"
    "A flatten + linear model scores the class as Σ_ij W_ij A_ij, so its gradient is W itself. Choose where "
    "the class weight W is zero: the model then ignores that region completely."
)
SWITCH = (
    "### Switch the target\n"
    "A map explains one class. The bundled cat and espresso photos side by side: pick a class from the "
    "model's top 5 and Grad-CAM moves to the object that raises that class's score."
)
READING = """### How to read a heatmap
- **Colours.** The colour bar under the Explain tab's maps is the scale: with `jet`, dark blue is 0 (no
  evidence for the target) and dark red is 1 (the strongest evidence *in this map*). Each map is min-max
  normalised on its own, so 1 is the map's own maximum, not an amount: two maps' colours cannot be compared
  as quantities, and a class the model barely believes in still gets a full-range map.
- **Only evidence for the class.** ReLU removes negative values before normalising. Tick *Raw map* to see
  the signed map in a diverging colormap: red for the target, blue against it, white neither.
- **Blobs, not outlines.** A map lives on the layer's grid (7×7 at EfficientNet-Lite0's last layer: one cell
  per 32×32 pixels) and is upsampled smoothly, so its blobs have the size of the grid, not of the object.
- **One class at a time.** A map is about the chosen target's score; switch the target and it moves. Eigen-CAM
  is the exception: it ignores the class.
- **Why maps coincide.** At a layer followed by global average pooling and a linear head,
  y_c = Σ_k w_ck (1/Z) Σ_ij A_kij + b_c, so the gradient G_kij = w_ck / Z is the same at every position. Then
  Grad-CAM's α_k = w_ck / Z, HiResCAM's G_k⊙A_k = (w_ck / Z)·A_k and XGrad-CAM's w_k = w_ck / Z (up to its
  ε): CAM, Grad-CAM, HiResCAM and XGrad-CAM are the same map up to the factor 1/Z, which normalisation
  removes. The Explain tab then shows them once; "Show at an earlier layer" shows where they part.
- **A map is a claim, not a proof.** Check it: the Faithfulness panel deletes the brightest pixels first and
  watches the score fall.
"""
