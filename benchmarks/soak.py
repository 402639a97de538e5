"""Soak test of issue #11 ("A public Space that one visitor cannot exhaust") against one ``python app.py``.

The app runs as its own process on 127.0.0.1 (started by benchmarks/load.py's ``start_app``) with GRADIO_TEMP_DIR
and TMPDIR set to a fresh folder, so all it writes is measured there. In one run it meets, in turn:

1. N clients × M explains at once: failures, p50 / p95;
2. a γ flood: one session POSTs distinct γ to /gradio_api/run/finer_gamma (queue=False) as fast as 8 connections
   can, while another client runs explains: its p95 during the flood vs alone just before;
3. fresh sessions (4 at a time) of one explain each, each closed after it: failures;
4. slow jobs (Score-CAM, FGVis) cancelled by ``job.cancel()``, by dropping the tab's heartbeat connection, or by
   ``Client.close()``, while a fast explain of another client waits behind: seconds from the cancel until that
   explain starts (its status polled every 5 ms), and until it is done less its own time alone ("worker free");
5. one session whose slider moves nonstop while its Explain (a new target each round) runs: failures (an
   exception, "Something went wrong"; a move dropped because a run began is fine) and reverted rounds (the last
   answer to arrive, or a move after the run, shows another run than the Explain's);
6. the server's RSS and temp-folder growth after warm-up, and the session folders left by ended sessions.

Run: ``HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False .venv/bin/python benchmarks/soak.py`` (``--help``: counts;
the defaults are the issue's numbers and take 15 to 20 minutes on 2 busy vCPUs).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client, handle_file
from gradio_client.utils import Status
from load import CHELSEA, METHODS, free_port, rss_mb, start_app  # free_port: tests/app_fixtures.py's

FAST, SLOW = ["gradcam", "finer-gradcam"], ("scorecam", "fgvis")
TEMP_VARIABLES = ("GRADIO_TEMP_DIR", "TMPDIR")
FLOOD_CONNECTIONS = 8
CANCELS = ("job.cancel()", "tab closed", "client.close()")
UNLOAD_WAIT_S = 60  # Client.close() reaches the server with gradio_client's next heartbeat (every 15 s)
FAILED = object()


def explain_args(methods: list[str], target: str = "top1") -> tuple:
    return handle_file(CHELSEA), "efficientnet_lite0", methods, target, "", "", "blocks.6", 0.6, 3, "jet", 0.5, False


def ms(seconds: list[float], quantile: float) -> float:
    ordered = sorted(seconds)
    return ordered[int(quantile * (len(ordered) - 1))] * 1000 if ordered else float("nan")


def attempt(call: Callable[[], Any], errors: list[str], what: str = "") -> Any:
    """``call()``, or FAILED with the exception noted in ``errors`` (a failure is what is being counted)."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001
        errors.append(f"{what}{type(error).__name__}: {error}")
        return FAILED


def say(line: str, errors: list[str] = ()) -> None:
    print(line + "".join(f"\n     e.g. {error}" for error in sorted(set(errors))[:3]), flush=True)


def folder_mb(folder: Path) -> float:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):  # deleted while we count
            total += path.stat().st_size if path.is_file() else 0
    return total / 2**20


class Soak:
    """The app process, its temp folder, its peak RSS and every client opened against it, live or closed."""

    def __init__(self, folder: Path, downloads: str) -> None:
        self.folder, self.downloads, port = folder, downloads, free_port()
        saved = {name: os.environ.get(name) for name in TEMP_VARIABLES}
        os.environ.update(dict.fromkeys(TEMP_VARIABLES, str(folder)))  # start_app hands os.environ to app.py
        try:
            self.server = start_app(port)
        finally:
            for name, value in saved.items():
                os.environ.pop(name) if value is None else os.environ.update({name: value})
        self.url, self.http = f"http://127.0.0.1:{port}/", httpx.Client(timeout=300)
        self.live: dict[str, Client] = {}
        self.closed: set[str] = set()
        self.peak_mb = 0.0
        threading.Thread(target=self._sample_rss, daemon=True).start()

    def _sample_rss(self) -> None:
        while self.server.poll() is None:
            with contextlib.suppress(OSError, StopIteration):
                self.peak_mb = max(self.peak_mb, rss_mb(self.server.pid))
            time.sleep(0.5)

    def client(self) -> Client:
        client = Client(self.url, analytics_enabled=False, verbose=False, download_files=self.downloads)
        self.live[client.session_hash] = client
        return client

    def close(self, client: Client) -> None:
        self.live.pop(client.session_hash, None)
        self.closed.add(client.session_hash)
        client.close()

    def explain(self, client: Client, methods: list[str] = METHODS, target: str = "top1") -> tuple:
        return client.predict(*explain_args(methods, target), api_name="/explain")

    def gamma(self, session_hash: str, value: float) -> str | None:
        """One slider move, as the page sends it: the summary it shows, or None when it was dropped."""
        body = {"data": [value, "jet", 0.5, False, *FAST], "session_hash": session_hash}
        answer = self.http.post(f"{self.url}gradio_api/run/finer_gamma", json=body)
        payload = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
        if answer.status_code != 200 or "data" not in payload:
            raise RuntimeError(f"HTTP {answer.status_code}: {payload.get('error') or answer.text[:200]}")
        return payload["data"][1] if isinstance(payload["data"][1], str) else None

    def cpu_s(self) -> float:
        """CPU seconds the server has used (user + system), from /proc."""
        fields = Path(f"/proc/{self.server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for client in list(self.live.values()):
            self.close(client)
        self.http.close()
        self.server.terminate()
        self.server.wait(30)


def timed(soak: Soak, client: Client, count: int, errors: list[str]) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        if attempt(lambda: soak.explain(client), errors) is not FAILED:
            latencies.append(time.perf_counter() - started)
    return latencies


def load_phase(soak: Soak, clients: int, requests: int) -> dict:
    users, errors = [soak.client() for _ in range(clients)], []  # left open: live sessions at the end
    with ThreadPoolExecutor(clients) as pool:
        latencies = sum(pool.map(lambda user: timed(soak, user, requests, errors), users), [])
    report = {"failures": len(errors), "p50_ms": ms(latencies, 0.5), "p95_ms": ms(latencies, 0.95)}
    say(f"1. {clients} clients × {requests} explains at once: {len(errors)} failures (goal 0); "
        f"p50 {report['p50_ms']:.0f} ms, p95 {report['p95_ms']:.0f} ms", errors)  # fmt: skip
    return report


def flood_phase(soak: Soak, values: int, alone: int) -> dict:
    flooder, polite, errors, flood_errors, during = soak.client(), soak.client(), [], [], []
    soak.explain(flooder, FAST)
    before, finished = timed(soak, polite, alone, errors), []
    with ThreadPoolExecutor(FLOOD_CONNECTIONS) as pool:
        started = time.perf_counter()
        moves = [pool.submit(attempt, lambda v=v: soak.gamma(flooder.session_hash, v), flood_errors)
                 for v in (2 * step / max(values - 1, 1) for step in range(values))]  # fmt: skip
        for move in moves:
            move.add_done_callback(lambda _: finished.append(time.perf_counter()))
        while not all(move.done() for move in moves) or not during:
            during += timed(soak, polite, 1, errors)
    dropped = sum(move.result() is None for move in moves)
    report = {"alone_p95_ms": ms(before, 0.95), "during_p95_ms": ms(during, 0.95), "explains_during": len(during),
              "flood_s": max(finished) - started, "flood_failures": len(flood_errors), "dropped": dropped,
              "failures": len(errors)}  # fmt: skip
    report["ratio"] = report["during_p95_ms"] / report["alone_p95_ms"]
    say(f"2. γ flood: {values} moves in {report['flood_s']:.1f} s, {len(flood_errors)} failed or refused, {dropped} "
        f"dropped; the other client's explain p95 {report['during_p95_ms']:.0f} ms during it ({len(during)} explains)"
        f" vs {report['alone_p95_ms']:.0f} ms alone ({len(before)}): {report['ratio']:.2f}× (goal < 2×); "
        f"{len(errors)} explain failures", flood_errors + errors)  # fmt: skip
    soak.close(flooder), soak.close(polite)
    return report


def fresh_phase(soak: Soak, sessions: int, parallel: int = 4) -> dict:
    errors = []

    def visit(_: int) -> None:
        client = attempt(soak.client, errors)
        if client is not FAILED:
            attempt(lambda: soak.explain(client, FAST), errors)
            soak.close(client)

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(visit, range(sessions)))
    say(f"3. {sessions} fresh sessions ({parallel} at a time, {time.perf_counter() - started:.0f} s), one explain "
        f"each, then closed: {len(errors)} failures (goal 0)", errors)  # fmt: skip
    return {"failures": len(errors)}


def seen(job: Any, code: Status, timeout: float = 300) -> float:
    """When the gradio_client Job was first seen at ``code`` or later (its status polled every 5 ms)."""
    deadline = time.monotonic() + timeout
    while job.status().code < code:
        if time.monotonic() > deadline:
            raise TimeoutError(f"job still {job.status().code} after {timeout} s")
        time.sleep(0.005)
    return time.monotonic()


def cancel_once(soak: Soak, method: str, how: str) -> tuple[float, float, float]:
    """Cancel a running slow job while a fast job of another client waits: seconds from the cancel until the
    fast job starts and until it is done, and the server's CPU seconds in between."""
    quitter, other = soak.client(), soak.client()
    heartbeat = f"{soak.url}gradio_api/heartbeat/{quitter.session_hash}"
    tab = soak.http.send(soak.http.build_request("GET", heartbeat), stream=True)  # what an open tab holds
    job = quitter.submit(*explain_args([method]), api_name="/explain")
    seen(job, Status.PROCESSING)
    time.sleep(0.5)
    fast = other.submit(*explain_args(["gradcam"]), api_name="/explain")
    time.sleep(0.5)
    cancelled, cpu = time.monotonic(), soak.cpu_s()
    {"job.cancel()": job.cancel, "tab closed": tab.close, "client.close()": lambda: soak.close(quitter)}[how]()
    started = seen(fast, Status.PROCESSING)
    fast.result(timeout=300)
    done, cpu = time.monotonic() - cancelled, soak.cpu_s() - cpu
    tab.close(), soak.close(quitter), soak.close(other)
    return started - cancelled, done, cpu


def cancel_phase(soak: Soak, jobs: int) -> dict:
    alone = []
    for _ in range(3):
        client = soak.client()
        cpu, job = soak.cpu_s(), client.submit(*explain_args(["gradcam"]), api_name="/explain")
        started = seen(job, Status.PROCESSING)
        job.result(timeout=300)
        alone.append((time.monotonic() - started, soak.cpu_s() - cpu))  # from its start; CPU: all of it
        soak.close(client)
    base, base_cpu = statistics.median(a[0] for a in alone), statistics.median(a[1] for a in alone)
    runs = [(CANCELS[i % 3], cancel_once(soak, SLOW[i // 3 % 2], CANCELS[i % 3])) for i in range(jobs)]
    report: dict[str, Any] = {"fast_alone_s": base, "fast_alone_cpu_s": base_cpu}
    for how in CANCELS:
        starts = [start for kind, (start, _, _) in runs if kind == how]
        frees = [done - base for kind, (_, done, _) in runs if kind == how]
        cpus = [cpu - base_cpu for kind, (_, _, cpu) in runs if kind == how]
        report[how] = {"start_s": starts, "free_s": frees, "extra_cpu_s": cpus}
        if starts:
            seconds = lambda values, sign="": ", ".join(f"{value:{sign}.2f}" for value in values)  # noqa: E731
            say(
                f"4. {len(starts)} slow jobs (Score-CAM, FGVis in turn) cancelled by {how}: the explain queued "
                f"behind starts after {seconds(starts)} s; is done after its time alone ({base:.2f} s) + "
                f"{seconds(frees)} s (goal < 1 s); server CPU from the cancel until it is done, beyond its own "
                f"({base_cpu:.2f} s): {seconds(cpus, '+')} s"
            )
    return report


def race_round(soak: Soak, client: Client, target: str, methods: list[str], errors: list[str]) -> tuple[bool, int]:
    """An Explain while the slider keeps moving: (whether the page ends on another run, slider moves)."""
    job, arrived, shown, moves = client.submit(*explain_args(methods, target), api_name="/explain"), [], [], 0
    job.add_done_callback(lambda _: arrived.append(time.monotonic()))
    while not job.done():
        moves += 1
        summary = attempt(lambda g=moves % 41 * 0.05: soak.gamma(client.session_hash, g), errors, "slider: ")
        if isinstance(summary, str):
            shown.append((time.monotonic(), summary))
    summary = attempt(lambda: job.result(timeout=300)[2], errors, "explain: ")
    after = attempt(lambda: soak.gamma(client.session_hash, 0.6), errors, "slider after: ")
    if not isinstance(summary, str):
        errors.extend([] if summary is FAILED else [f"explain: answered {summary!r}"])
        return False, moves
    run = summary.split("\n")[0]  # target, layer and capture time: a different first line is a different run
    last = max([*shown, (arrived[0], summary)])[1]
    return last.split("\n")[0] != run or (isinstance(after, str) and after.split("\n")[0] != run), moves


def race_phase(soak: Soak, rounds: int) -> dict:
    client, errors, reverted, moves = soak.client(), [], 0, 0  # left open: a live session at the end
    soak.explain(client, FAST)
    for number in range(rounds):
        methods = FAST if number % 2 else ["hirescam", "finer-gradcam"]
        was_reverted, count = race_round(soak, client, str(281 + number), methods, errors)
        reverted, moves = reverted + was_reverted, moves + count
    say(f"5. {rounds} rounds of Explain + slider on one session ({moves} slider moves): {reverted} reverted, "
        f"{len(errors)} failures (goals 0)", errors)  # fmt: skip
    return {"reverted": reverted, "failures": len(errors), "moves": moves}


def resources(soak: Soak, rss_before: float, disk_before: float) -> dict:
    root, started = soak.folder / "camstudio", time.monotonic()
    folders = lambda: {path.name for path in root.iterdir()} if root.exists() else set()  # noqa: E731
    while folders() & soak.closed and time.monotonic() - started < UNLOAD_WAIT_S:
        time.sleep(1)
    waited, left, live = time.monotonic() - started, folders(), set(soak.live)
    rss, disk = rss_mb(soak.server.pid), folder_mb(soak.folder)
    report = {"rss_growth_mb": rss - rss_before, "peak_rss_mb": soak.peak_mb, "disk_growth_mb": disk - disk_before,
              "ended_folders": len(left & soak.closed), "live_folders": len(left & live),
              "other_folders": len(left - soak.closed - live), "live_sessions": len(live)}  # fmt: skip
    say(f"6. server RSS {rss_before:.0f} MB after warm-up, {rss:.0f} MB at the end: growth {rss - rss_before:.0f} MB "
        f"(goal < 300), peak {soak.peak_mb:.0f} MB; temp folder {disk_before:.1f} → {disk:.1f} MB: growth "
        f"{disk - disk_before:.1f} MB (goal < 200)\n   session folders {waited:.0f} s later: "
        f"{report['ended_folders']} of {len(soak.closed)} ended sessions (goal 0), {report['live_folders']} of "
        f"{len(live)} live ones, {report['other_folders']} others")  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    counts = {"clients": 8, "requests": 25, "flood": 300, "alone": 10, "sessions": 200, "rounds": 50, "cancels": 10}
    for name, default in counts.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args(argv)
    folder, downloads = Path(tempfile.mkdtemp(prefix="camstudio-soak-")), tempfile.mkdtemp(prefix="soak-client-")
    soak = Soak(folder, downloads)
    print(f"app.py pid {soak.server.pid} at {soak.url}, writing into {folder}", flush=True)
    try:
        warm = soak.client()  # every method the soak uses, once: the model, caches and allocator warmed up
        soak.explain(warm, [*METHODS, *SLOW]), soak.gamma(warm.session_hash, 0.9), soak.close(warm)
        rss, disk, report = rss_mb(soak.server.pid), folder_mb(folder), {}
        phases = {
            "load": lambda: load_phase(soak, args.clients, args.requests),
            "flood": lambda: flood_phase(soak, args.flood, args.alone),
            "fresh": lambda: fresh_phase(soak, args.sessions),
            "race": lambda: race_phase(soak, args.rounds),
            "cancel": lambda: cancel_phase(soak, args.cancels),
        }
        for name, phase in phases.items():
            report[name] = {**phase(), "rss_mb": rss_mb(soak.server.pid)}
            print(f"   server RSS now {report[name]['rss_mb']:.0f} MB", flush=True)
        report["resources"] = resources(soak, rss, disk)
    finally:
        soak.stop()
        shutil.rmtree(folder, ignore_errors=True), shutil.rmtree(downloads, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()
