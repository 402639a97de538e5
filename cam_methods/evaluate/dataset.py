"""What to evaluate: the images of a folder, of an ImageNet-style folder of class folders, or of a list file.

- A folder whose images sit directly in it: no true class; the explained target is the predicted top-1.
- A folder of class folders (``root/<class>/<image>``, as ImageNet's ``train``/``val`` are laid out): the
  folder name is the image's true class, given as a class index (``282``), a WordNet id (``n02123159``,
  ImageNet backbones) or a label name (``tiger cat``, any comma-separated synonym, any case).
- A list file (``.txt``): one image path per line, optionally followed by a tab and its class; relative paths
  are read from the list file's folder; blank lines and lines starting with ``#`` are skipped.

Every sample is named by its path relative to the dataset root (``key``), which is what a resumed run skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


@dataclass(frozen=True)
class Sample:
    """One image to evaluate: ``path`` on disk, ``key`` its name in the results, ``true_class`` or -1."""

    path: str
    key: str
    true_class: int = -1


def list_samples(source: str | Path, labels: Sequence[str] | None, limit: int | None = None) -> list[Sample]:
    """The samples of ``source`` (a folder or a list file), sorted by key, at most ``limit`` of them.

    ``labels`` are the backbone's class names, used to read class folders and list-file classes; a ValueError
    says which class name it cannot match, or that the source holds no images.
    """
    root = Path(source)
    if root.is_dir():
        samples = _folder_samples(root, labels)
    elif root.is_file():
        samples = _list_file_samples(root, labels)
    else:
        raise ValueError(f"{str(source)!r} is neither a folder of images nor a list file")
    samples.sort(key=lambda sample: sample.key)
    if limit is not None:
        samples = samples[: max(limit, 0)]
    if not samples:
        raise ValueError(f"{str(source)!r} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return samples


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def _folder_samples(root: Path, labels: Sequence[str] | None) -> list[Sample]:
    """Images directly in ``root``, plus those of its sub-folders, each sub-folder naming a class."""
    samples = [Sample(str(path), path.name) for path in root.iterdir() if _is_image(path)]
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        images = [path for path in folder.iterdir() if _is_image(path)]
        if images:
            true_class = class_of(folder.name, labels)
            samples += [Sample(str(path), f"{folder.name}/{path.name}", true_class) for path in images]
    return samples


def _list_file_samples(list_file: Path, labels: Sequence[str] | None) -> list[Sample]:
    samples = []
    for line in list_file.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, class_name = line.partition("\t")
        path = Path(name.strip())
        path = path if path.is_absolute() else list_file.parent / path
        true_class = class_of(class_name.strip(), labels) if class_name.strip() else -1
        samples.append(Sample(str(path), name.strip(), true_class))
    return samples


def class_of(name: str, labels: Sequence[str] | None) -> int:
    """The class index that a folder or list-file class ``name`` stands for (see the module docstring)."""
    if not labels:
        raise ValueError(f"class {name!r} given, but the backbone has no class labels to match it to")
    if name.isascii() and name.isdigit():
        index = int(name)
        if index < len(labels):
            return index
        raise ValueError(f"class index {index} is out of range: the backbone has {len(labels)} classes")
    synsets = _imagenet_synsets()
    if len(labels) == len(synsets) and name in synsets:
        return synsets[name]
    wanted = name.replace("_", " ").strip().lower()
    for index, label in enumerate(labels):
        if wanted == label.lower() or wanted in (part.strip().lower() for part in label.split(",")):
            return index
    raise ValueError(f"class folder {name!r} matches no class index, WordNet id or label of the backbone")


@cache
def _imagenet_synsets() -> dict[str, int]:
    """ImageNet-1k WordNet ids (``n01440764`` …) → class index, from timm's packaged metadata."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return {info.index_to_label_name(index): index for index in range(info.num_classes())}
