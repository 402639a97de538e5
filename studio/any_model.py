"""Any timm or Hugging Face model by its id, for a self-hosted app only.

A public deployment offers the zoo alone. An operator who starts the app with
``CAMSTUDIO_ALLOW_ANY_MODEL=1`` (and not as a public deployment) gets a "model id" box that takes
``timm/<id>`` and ``hf/<id>``: loading one adds it to the backbone dropdown and selects it, and every
handler loads backbones through :func:`load_backbone` here, which refuses model ids when they are not
allowed, whatever a client sends.
"""

from __future__ import annotations

import os

import gradio as gr

from model_zoo import Backbone
from model_zoo import load_backbone as load_from_zoo
from model_zoo.registry import MODEL_ID_PREFIXES, model_id_prefix

from .choices import backbone_choices
from .errors import friendly_errors, is_public

SETTING = "CAMSTUDIO_ALLOW_ANY_MODEL"
MAX_ID_CHARS = 200


def allowed() -> bool:
    """True when the operator set ``CAMSTUDIO_ALLOW_ANY_MODEL=1`` and the app is not a public deployment."""
    return os.environ.get(SETTING) == "1" and not is_public()


def load_backbone(name: str) -> Backbone:
    """``model_zoo.load_backbone(name)``, refusing a model id unless this instance allows any model."""
    if model_id_prefix(name) is not None and not allowed():
        raise ValueError("this instance offers only the listed backbones")
    return load_from_zoo(name)


def model_id_box() -> gr.Textbox:
    """The "model id" box, shown only where any model is allowed."""
    return gr.Textbox(
        label=f"Model id ({' or '.join(f'{prefix}…' for prefix in MODEL_ID_PREFIXES)}, then Enter)",
        placeholder="timm/resnet18 or hf/google/vit-base-patch16-224",
        visible=allowed(),
        elem_id="model_id",
    )


@friendly_errors
def on_model_id(model_id: str, progress: gr.Progress = gr.Progress()) -> gr.Dropdown:  # noqa: B008
    """Load the model ``model_id`` (progress shown), then add it to the backbone dropdown and select it."""
    model_id = (model_id or "").strip()
    if not model_id or len(model_id) > MAX_ID_CHARS or model_id_prefix(model_id) is None:
        raise ValueError(f"a model id starts with {' or '.join(MODEL_ID_PREFIXES)}, for example timm/resnet18")
    progress(0, desc=f"Loading {model_id}")
    backbone = load_backbone(model_id)
    family = "CNN" if backbone.family == "cnn" else "ViT"
    return gr.Dropdown(choices=[*backbone_choices(), (f"{family} · {model_id}", model_id)], value=model_id)
