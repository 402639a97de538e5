"""Load test: N concurrent gradio_client clients × M explain requests against ``python app.py`` on loopback.

The app runs as its own process, started exactly as a user starts it, so its resident memory (read from
/proc/<pid>/status) is the server's alone. Prints failures, p50 / p95 latency and the RSS after a warm-up
and after the load.
Run: ``HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False .venv/bin/python benchmarks/load.py [clients] [requests]``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from app_fixtures import free_port  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

CHELSEA = str(ROOT / "assets" / "chelsea.png")
METHODS = ["gradcam", "hirescam", "finer-gradcam", "abscam1"]
START_TIMEOUT_S = 180


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024


def start_app(port: int) -> subprocess.Popen:
    """``python app.py`` on 127.0.0.1:``port``; returns once the page answers."""
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"app.py exited with code {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"app.py did not answer within {START_TIMEOUT_S} s")


def one_client(url: str, requests: int) -> tuple[list[float], int]:
    client = Client(url, analytics_enabled=False, verbose=False)
    latencies, failures = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        try:
            client.predict(
                handle_file(CHELSEA), "efficientnet_lite0", METHODS, "top1", "", "", "blocks.6", 0.6, 3, "jet", 0.5,
                False, api_name="/explain",
            )  # fmt: skip
            latencies.append(time.perf_counter() - started)
        except Exception:  # noqa: BLE001  (a failure is what is being counted)
            failures += 1
    return latencies, failures


def main(clients: int = 8, requests: int = 25) -> None:
    port = free_port()
    server = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        one_client(url, 3)  # warm-up: model loaded, caches filled
        before = rss_mb(server.pid)
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(one_client, [url] * clients, [requests] * clients))
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    latencies = sorted(seconds for result in results for seconds in result[0])
    failures = sum(result[1] for result in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(f"{clients} clients × {requests} requests: {failures} failures")
    print(f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"server RSS after warm-up {before:.0f} MB, after the load {after:.0f} MB, growth {after - before:.0f} MB")


if __name__ == "__main__":
    main(*[int(argument) for argument in sys.argv[1:3]])
