"""The code's shape, as issue #10 set it: no import cycle in the engine, files and functions that fit on a
screen, and the deprecated Finer-CAM names that still work for one release."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cam_methods import explain

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("cam_methods", "cam_methods/evaluate", "model_zoo", "studio")
MAX_FILE_LINES = 250
MAX_FUNCTION_LINES = 60


def relative_imports(path: Path) -> set[str]:
    """The sibling modules ``path`` imports (``from .x import …`` and ``from . import x``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update([node.module] if node.module else [alias.name for alias in node.names])
    return names


def cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        module, path = stack.pop()
        for imported in graph.get(module, ()):
            if imported == start:
                return [*path, imported]
            if imported not in path:
                stack.append((imported, [*path, imported]))
    return None


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_import_cycle(folder):
    graph = {path.stem: relative_imports(path) for path in (ROOT / folder).glob("*.py")}
    cycles = [cycle for module in graph if (cycle := cycle_through(graph, module))]
    assert not cycles, cycles[0]


@pytest.mark.parametrize("folder", FOLDERS)
def test_files_and_functions_fit_on_a_screen(folder):
    too_long = []
    for path in [*(ROOT / folder).glob("*.py"), ROOT / "app.py"]:
        source = path.read_text()
        if source.count("\n") > MAX_FILE_LINES:
            too_long.append(f"{path.name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                too_long.append(f"{path.name}: {node.name}()")
    assert not too_long, too_long


def test_the_old_finer_alpha_names_still_work_with_a_warning(lite0, chelsea_path):
    with pytest.warns(DeprecationWarning, match="finer_gamma"):
        old = explain(lite0, chelsea_path, ["finer-gradcam"], finer_alpha=1.0)
    new = explain(lite0, chelsea_path, ["finer-gradcam"], finer_gamma=1.0)
    assert (old.maps["finer-gradcam"] == new.maps["finer-gradcam"]).all()
    with pytest.warns(DeprecationWarning, match="with_gamma"):
        moved = new.with_alpha(0.3)
    assert moved.finer_gamma == 0.3
    with pytest.warns(DeprecationWarning):
        assert moved.finer_alpha == 0.3
    with pytest.raises(TypeError, match="finer_beta"):
        explain(lite0, chelsea_path, ["gradcam"], finer_beta=1.0)
