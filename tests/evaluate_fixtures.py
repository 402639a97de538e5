"""A tiny ImageNet-style dataset for the dataset-runner tests, and the settings they run it with."""

from __future__ import annotations

import shutil
from pathlib import Path

from app_fixtures import bad_uploads

from cam_methods.evaluate.work import RunSettings

ASSETS = Path(__file__).resolve().parents[1] / "assets"
# class folder → (image, the class index the folder name stands for): an index, a WordNet id, a label synonym
CLASS_FOLDERS = {"282": ("chelsea.png", 282), "n03063599": ("coffee.png", 504), "tabby": ("astronaut.png", 281)}
BAD_FILES = ("corrupt", "tiny")  # what bad_uploads writes that load_image refuses, placed in a class folder
FAST = RunSettings(backbone="efficientnet_lite0", methods=("gradcam", "eigencam"), steps=2, target="true")


def tiny_dataset(root: Path) -> Path:
    """``root/<class>/<image>``: three good photos and two unreadable files (in class folder 282)."""
    for folder, (image, _) in CLASS_FOLDERS.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(ASSETS / image, root / folder / image)
    bad = bad_uploads(root.parent / f"{root.name}-bad")
    for kind in BAD_FILES:
        shutil.copy(bad[kind], root / "282" / bad[kind].name)
    return root


def good_keys() -> list[str]:
    return sorted(f"{folder}/{image}" for folder, (image, _) in CLASS_FOLDERS.items())


def bad_keys() -> list[str]:
    return sorted(f"282/{kind}.png" for kind in BAD_FILES)
