"""What the scorer keeps in memory after its jobs, and what releasing it costs: Score-CAM + Abs-CAM on the bundled
model for four picture sizes, twice, in a fresh process each for "release" (the code as it is: ONNX Runtime's arena
handed back after each job) and "keep" (the release skipped); resident memory before and after, and the median
time of the second round's runs.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/scorer_memory.py``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ((451, 300), (600, 400), (300, 500), (800, 800))


def resident_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


def one_process(mode: str) -> None:
    """Runs in the child: the jobs, then one line of results."""
    sys.path.insert(0, str(ROOT))
    from PIL import Image

    import cam_methods.scoring as scoring
    from cam_methods import explain
    from model_zoo import load_backbone

    if mode == "keep":
        scoring.release_memory = lambda runner, lock: None
    backbone = load_backbone("efficientnet_lite0")
    picture = Image.open(ROOT / "assets" / "chelsea.png").convert("RGB")
    start, seconds = resident_mb(), []
    for round_ in range(2):
        for size in SIZES:
            started = time.perf_counter()
            explain(backbone, picture.resize(size), ["scorecam", "abscam"])
            if round_ == 1:
                seconds.append(time.perf_counter() - started)
    print(f"{mode}: resident {start} → {resident_mb()} MB (+{resident_mb() - start}), "
          f"second round median {statistics.median(seconds):.2f} s a picture")  # fmt: skip


def main() -> None:
    for mode in ("release", "keep"):
        subprocess.run([sys.executable, __file__, mode], check=True)


if __name__ == "__main__":
    one_process(sys.argv[1]) if len(sys.argv) > 1 else main()
