"""Test-wide settings: never touch the network, never send analytics."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.manual_seed(0)

ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets")


@pytest.fixture(scope="session")
def lite0():
    from model_zoo import load_backbone

    return load_backbone("efficientnet_lite0")


@pytest.fixture(scope="session")
def chelsea_path() -> str:
    return os.path.join(ASSETS, "chelsea.png")
