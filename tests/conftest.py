"""Test-wide settings: never touch the network, never send analytics, and keep Gradio's files in a folder
of this run's own (two runs on one machine would otherwise share /tmp/gradio and see each other's files)."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a Ray started by the tests binds 127.0.0.1 only
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="camstudio-tests-")
    atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)

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
