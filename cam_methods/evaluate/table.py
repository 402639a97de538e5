"""The results on disk: Parquet parts written as images finish, merged into one Parquet file at the end.

A run writing ``run.parquet`` keeps its progress in ``run.parquet.parts/``: ``settings.json`` and numbered
``part-NNNNN.parquet`` files, each written to a temporary name and renamed, so a killed run leaves only whole
parts. A new run with the same output and settings skips the images found in the parts (a different setting
is refused with a sentence rather than mixed in). :meth:`PartStore.finish` writes ``run.parquet``: one row per
image × layer × method × measure, sorted, with the settings, the skipped images and the run's timing in the
file's metadata (keys ``camstudio.settings``, ``camstudio.skipped``, ``camstudio.run``, JSON).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .work import RunSettings

SCHEMA = pa.schema(
    [
        ("image", pa.string()),
        ("true_class", pa.int64()),
        ("predicted", pa.int64()),
        ("target", pa.int64()),
        ("target_label", pa.string()),
        ("layer", pa.string()),
        ("method", pa.string()),
        ("measure", pa.string()),
        ("value", pa.float64()),
        ("error", pa.string()),
    ]
)
SORT_KEYS = [("image", "ascending"), ("layer", "ascending"), ("method", "ascending"), ("measure", "ascending")]


def records_table(records: Iterable[dict]) -> pa.Table:
    """Records (dicts with some or all of the SCHEMA's columns) as a table with exactly that schema."""
    return pa.Table.from_pylist(list(records), schema=SCHEMA)


class PartStore:
    """The parts folder of one output file (see the module docstring)."""

    def __init__(self, out: str | os.PathLike, settings: RunSettings, fresh: bool = False) -> None:
        self.out = Path(out)
        if self.out.suffix != ".parquet":
            raise ValueError(f"the output {str(out)!r} must be a .parquet file")
        self.folder = self.out.with_name(self.out.name + ".parts")
        self.settings = settings
        if fresh and self.folder.exists():
            for path in self.folder.iterdir():
                path.unlink()
        self._check_settings()
        self.count = len(self._parts())

    def _check_settings(self) -> None:
        stored = self.folder / "settings.json"
        if stored.exists():
            if RunSettings.from_json(stored.read_text()) != self.settings:
                raise ValueError(
                    f"{self.folder} holds a run with other settings; choose another output or pass --fresh"
                )
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stored.write_text(self.settings.to_json())
        except OSError as error:
            raise ValueError(f"cannot write next to {str(self.out)!r} ({error.strerror or error})") from error

    def _parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet"))

    def done(self) -> set[str]:
        """The images already evaluated (or found unreadable) by earlier runs."""
        return {key for part in self._parts() for key in pq.read_table(part, columns=["image"])["image"].to_pylist()}

    def write(self, records: list[dict]) -> None:
        """Add one part; nothing when ``records`` is empty."""
        if not records:
            return
        path = self.folder / f"part-{self.count:05d}.parquet"
        temporary = path.with_suffix(".tmp")
        pq.write_table(records_table(records), temporary)
        os.replace(temporary, path)
        self.count += 1

    def finish(self, run_info: dict) -> tuple[pa.Table, dict[str, str]]:
        """Merge the parts into the output file; returns its table and the skipped images {image: reason}."""
        parts = [pq.read_table(part, schema=SCHEMA) for part in self._parts()]
        merged = pa.concat_tables(parts) if parts else SCHEMA.empty_table()
        failed = merged.filter(merged["error"].is_valid())
        skipped = dict(zip(failed["image"].to_pylist(), failed["error"].to_pylist(), strict=True))
        table = merged.filter(merged["error"].is_null()).drop_columns(["error"]).sort_by(SORT_KEYS)
        metadata = {
            "camstudio.settings": self.settings.to_json(),
            "camstudio.skipped": json.dumps(skipped, sort_keys=True),
            "camstudio.run": json.dumps(run_info, sort_keys=True),
        }
        table = table.replace_schema_metadata(metadata)
        temporary = self.out.with_name(self.out.name + ".tmp")
        pq.write_table(table, temporary)
        os.replace(temporary, self.out)
        return table, skipped


def read_results(path: str | os.PathLike) -> tuple[pa.Table, RunSettings, dict[str, str], dict]:
    """A finished run's table, settings, skipped images and run info; a ValueError for a file that is not one."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise ValueError(f"{str(path)!r} is not a readable Parquet file ({error})") from error
    metadata = {key.decode(): value.decode() for key, value in (table.schema.metadata or {}).items()}
    if "camstudio.settings" not in metadata:
        raise ValueError(f"{str(path)!r} was not written by python -m cam_methods.evaluate")
    settings = RunSettings.from_json(metadata["camstudio.settings"])
    return table, settings, json.loads(metadata["camstudio.skipped"]), json.loads(metadata["camstudio.run"])
