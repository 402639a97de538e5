"""Model ids a user already knows, as backbone names: ``timm/<model id>`` (any timm model) and
``hf/<model id>`` (a Hugging Face ``transformers`` image classifier), each made into a Backbone by
:func:`~model_zoo.wrap.wrap`. Importing this module registers both prefixes with the registry.

Weights come from the Hugging Face Hub (or its cache), from a local file or folder (``weights=``), or are
random (``random_weights=True``; for ``hf/`` the model's config must still be had). ``transformers`` is
optional: without it, ``hf/`` says how to install it.
"""

from __future__ import annotations

import importlib.util
import math

import timm

from .backbone import Backbone
from .hub import download_or_explain
from .preprocess import Preprocess
from .registry import BackboneUnavailable, register_model_id_prefix, unloadable_weights
from .timm_models import load_timm_model
from .wrap import wrap

TIMM_PREFIX = "timm/"
HF_PREFIX = "hf/"
INSTALL_TRANSFORMERS = "pip install transformers"


def load_timm_id(model_id: str, weights: str | None, random_weights: bool) -> Backbone:
    """``timm/<model_id>``: ``model_id`` is an architecture with an optional pretrained tag (``resnet18``,
    ``convnext_atto.d2_in1k``); a ValueError names ``timm.list_models`` for an unknown one."""
    name = TIMM_PREFIX + model_id
    if not timm.is_model(model_id.partition(".")[0]):
        raise ValueError(f"timm has no model {model_id!r}; timm.list_models() lists the architectures it has")
    if random_weights:
        model = timm.create_model(model_id, pretrained=False)
    else:
        try:
            model = load_timm_model(model_id, name, f"timm {model_id}", weights)
        except BackboneUnavailable:
            raise
        except Exception as error:  # noqa: BLE001  (only a local checkpoint gets here: wrong or corrupt file)
            raise unloadable_weights(f"timm {model_id}", weights, error) from error
    return wrap(model, name=name + (" (random weights)" if random_weights else ""))


def load_hf_id(model_id: str, weights: str | None, random_weights: bool) -> Backbone:
    """``hf/<model_id>``: ``transformers.AutoModelForImageClassification`` from the Hub id (or the local
    folder ``weights``), with the model's own image processor's size, mean and std when it can be had."""
    if importlib.util.find_spec("transformers") is None:
        raise BackboneUnavailable(
            f"Hugging Face models need the optional transformers package, which is not installed: "
            f"{INSTALL_TRANSFORMERS}."
        )
    import transformers

    name = HF_PREFIX + model_id
    source = weights or model_id
    display_name = f"Hugging Face {model_id}"

    def load():
        if random_weights:
            config = transformers.AutoConfig.from_pretrained(source)
            return transformers.AutoModelForImageClassification.from_config(config)
        return transformers.AutoModelForImageClassification.from_pretrained(source)

    model = download_or_explain(name, display_name, load)
    return wrap(model, preprocess=hf_preprocess(source), name=name + (" (random weights)" if random_weights else ""))


def hf_preprocess(source: str) -> Preprocess | None:
    """The transform of the model's image processor, when its config can be had (else None: wrap's
    defaults): resize the shorter side to ``size`` (``shortest_edge / crop_pct`` when it crops by a
    percentage) and centre-crop ``crop_size``, or resize straight to ``size``'s height × width."""
    import transformers

    try:
        processor = transformers.AutoImageProcessor.from_pretrained(source)
    except Exception:  # noqa: BLE001  (no processor config: wrap's defaults apply)
        return None
    size = dict(getattr(processor, "size", None) or {})
    crop = dict(getattr(processor, "crop_size", None) or {}) if getattr(processor, "do_center_crop", False) else {}
    norm = {"mean": tuple(processor.image_mean), "std": tuple(processor.image_std)}
    edge = size.get("shortest_edge") or min(size.get("height", 0), size.get("width", 0))
    if crop:
        return Preprocess(crop=(crop["height"], crop["width"]), resize=edge or None, **norm)
    if "shortest_edge" in size:
        crop_pct = getattr(processor, "crop_pct", None)
        return Preprocess(crop=(edge, edge), resize=math.floor(edge / crop_pct) if crop_pct else edge, **norm)
    return Preprocess(crop=(size["height"], size["width"]), resize=None, **norm)


register_model_id_prefix(TIMM_PREFIX, load_timm_id)
register_model_id_prefix(HF_PREFIX, load_hf_id)
