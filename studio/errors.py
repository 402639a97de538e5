"""Every failure a visitor can meet becomes one sentence (``gr.Error``), never a traceback.

Expected errors (bad input, unavailable weights, a stop) show their own message; anything else is logged
and shown as one generic sentence. On a public deployment (a Hugging Face Space, where ``SPACE_ID`` is set,
or ``CAMSTUDIO_PUBLIC=1``) unavailable weights show only their public sentence, not the operator's hint
(environment variables, files, exception names).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from cam_methods import Cancelled, ImageError
from model_zoo import BackboneUnavailable

LOG = logging.getLogger("camstudio")
Handler = TypeVar("Handler", bound=Callable[..., Any])
EXPECTED_ERRORS = (ImageError, BackboneUnavailable, ValueError, Cancelled)
GENERIC = "Something went wrong on the server; please try again or choose other settings."


def is_public() -> bool:
    """Whether the app serves the public (a Space, or CAMSTUDIO_PUBLIC=1), so operator hints stay hidden."""
    return bool(os.environ.get("SPACE_ID")) or os.environ.get("CAMSTUDIO_PUBLIC") == "1"


def sentence(error: Exception) -> str:
    """What the visitor reads for an expected error."""
    if isinstance(error, BackboneUnavailable) and is_public():
        return getattr(error, "message", None) or str(error)
    return str(error)


def friendly_errors(handler: Handler) -> Handler:
    """Re-raise expected errors as ``gr.Error(sentence)``; log anything else and show one generic sentence."""

    @functools.wraps(handler)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except EXPECTED_ERRORS as error:
            raise gr.Error(sentence(error), print_exception=False) from None
        except Exception:
            LOG.exception("handler %s failed", handler.__name__)
            raise gr.Error(GENERIC, print_exception=False) from None

    return guarded  # type: ignore[return-value]
