"""`python -m training.bench.web_hostile`: the kiosk under the probes of a hostile client.

Runs `EdgeLoop` in this process (mode both, a real clip looped at its own pace like a
camera, a private mosquitto, the page on a free loopback port) and runs each probe for a
few seconds while sampling the loop's frames, the process's threads and RSS: a negative
Content-Length with a 64 MiB body, non-numeric lengths, chunked bodies, foreign Host and
Origin headers, 500 silent sockets, file descriptors exhausted, and command floods. Per
phase: fps, the longest gap between two frames, threads (max), RSS (end) and, where it
applies, what the probe got. Writes docs/bench/web_hostile.{md,json}.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import os
import resource
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from edge.app.loop import EdgeLoop
from edge.config import Config, load_config
from edge.paths import REPO, SHARED_DATA_DIR
from edge.sources import open_source
from edge.sources.frame import Frame
from training.bench.report import write_report
from training.devkit.broker import PrivateBroker

CLIP = SHARED_DATA_DIR / "exercise_videos" / "goblet_squat_front_6.mp4"
PHASE_S = 3.0
COMMAND = b'{"action": "reset_count"}'


class LoopedCamera:
    """The clip looped at its own frame rate: a camera (frame_count 0) that never ends."""

    def __init__(self, path: Path) -> None:
        self._source = open_source(str(path), loop=True)
        self.description, self.fps = "camera (looped clip)", self._source.fps
        self.width, self.height, self.frame_count = self._source.width, self._source.height, 0

    def frames(self) -> Iterator[Frame]:
        start = time.monotonic()
        for index, frame in enumerate(self._source.frames()):
            delay = start + index / self.fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            yield frame

    def close(self) -> None:
        self._source.close()


class TimedLoop(EdgeLoop):
    def __init__(self, config: Config) -> None:
        super().__init__(config, open_source=lambda _c: LoopedCamera(CLIP))
        self.frame_times: list[float] = []

        self.command_ms: list[tuple[float, float]] = []  # (when, ms applying commands)

    def _process(self, frame: Frame, capture_ms: float) -> None:
        super()._process(frame, capture_ms)
        self.frame_times.append(time.perf_counter())

    def _apply_commands(self) -> None:
        started = time.perf_counter()
        super()._apply_commands()
        self.command_ms.append((started, 1000 * (time.perf_counter() - started)))


_STATUS = os.open("/proc/self/status", os.O_RDONLY)  # open before descriptors run out


def proc_status(key: str) -> float:
    """A figure of /proc/self/status (VmRSS in KiB, Threads), read without a new fd."""
    for line in os.pread(_STATUS, 8192, 0).decode().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return float("nan")


def rss_mib() -> float:
    return proc_status("VmRSS") / 1024


def os_threads() -> int:
    return int(proc_status("Threads"))


def phase(loop: TimedLoop, name: str, probe: Callable[[], Any] | None) -> dict[str, Any]:
    """Run `probe` (in a thread) for PHASE_S while sampling; figures of the phase."""
    start = time.perf_counter()
    cpu_start = time.process_time()
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(outcome=probe()) if probe else None)
    worker.start()
    threads = 0
    while time.perf_counter() - start < PHASE_S or worker.is_alive():
        threads = max(threads, os_threads())
        time.sleep(0.05)
    end = time.perf_counter()
    worker.join()
    times = [t for t in loop.frame_times if start <= t <= end]
    edges = [start, *times, end]
    gaps = [b - a for a, b in itertools.pairwise(edges)]
    return {
        "phase": name,
        "seconds": round(end - start, 2),
        "fps": round(len(times) / (end - start), 1),
        "max_frame_gap_ms": round(1000 * max(gaps), 0),
        "max_commands_ms": round(
            max([ms for t, ms in loop.command_ms if start <= t <= end], default=0.0), 1
        ),
        "threads_max": threads,
        "rss_mib": round(rss_mib(), 0),
        "cpu_percent": round(100 * (time.process_time() - cpu_start) / (end - start), 0),
        "outcome": result.get("outcome"),
    }


def raw(address: tuple[str, int], data: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(address, timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server hung up mid-body: the point
            sock.sendall(data)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except OSError:
            pass
    return reply


def statuses(replies: list[bytes]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reply in replies:
        key = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "no reply"
        counts[key] = counts.get(key, 0) + 1
    return counts


def probes(loop: TimedLoop) -> list[tuple[str, Callable[[], Any] | None]]:
    assert loop.web is not None and loop.control is not None
    address = loop.web.server.server_address[:2]
    host = f"{address[0]}:{address[1]}"
    server = loop.web.server

    def post(headers: str, body: bytes = COMMAND) -> bytes:
        return raw(address, f"POST /api/command HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n"
                            .encode() + body)  # fmt: skip

    def negative_length() -> Any:
        return statuses([post("Content-Type: application/json\r\nContent-Length: -1\r\n",
                              b"x" * (64 << 20))])  # fmt: skip

    def bad_lengths() -> Any:
        return statuses([post(f"Content-Type: application/json\r\nContent-Length: {n}\r\n")
                         for n in ("abc", "1e3", "0x18", "-5") * 50])  # fmt: skip

    def chunked() -> Any:
        head = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        body = b"19\r\n" + COMMAND + b"\r\n0\r\n\r\n"
        return statuses([post(head, body) for _ in range(200)])

    def foreign() -> Any:
        json_head = f"Content-Type: application/json\r\nContent-Length: {len(COMMAND)}\r\n"
        hosts = [raw(address, b"POST /api/command HTTP/1.1\r\nHost: evil.example\r\n"
                 + json_head.encode() + b"\r\n" + COMMAND) for _ in range(100)]  # fmt: skip
        origins = [post(json_head + "Origin: http://evil.example\r\n") for _ in range(100)]
        return {"foreign Host": statuses(hosts), "foreign Origin": statuses(origins)}

    def page_ms() -> float:
        started = time.perf_counter()
        client = http.client.HTTPConnection(*address, timeout=10)
        client.request("GET", "/api/state")
        assert client.getresponse().status == 200
        client.close()
        return round(1000 * (time.perf_counter() - started), 1)

    def idle_sockets() -> Any:
        held = [socket.create_connection(address, timeout=10) for _ in range(500)]
        time.sleep(1.0)
        answer = {"page_ms": page_ms(), "open_connections": len(server.connections),
                  "evicted": server.connections.evicted}  # fmt: skip
        time.sleep(PHASE_S - 1.0)
        for sock in held:
            sock.close()
        return answer

    def no_descriptors() -> Any:
        clients = [socket.socket() for _ in range(20)]
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        lowest = os.dup(0)
        os.close(lowest)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowest, hard))
        try:
            for client in clients:
                client.setblocking(False)
                client.connect_ex(address)
            time.sleep(PHASE_S)
            failures = len(server.accept_failures)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        for client in clients:
            client.close()
        return {"accept_failures_in_phase": failures, "page_ms_after": page_ms()}

    def flood(count: int) -> Callable[[], Any]:
        def run() -> Any:
            answers: list[bool] = []
            for _ in range(count):
                loop.control.submit(COMMAND, lambda ok, _e: answers.append(ok))  # type: ignore[union-attr]
            deadline = time.monotonic() + 10
            while len(answers) < count and time.monotonic() < deadline:
                time.sleep(0.01)
            return {"applied": sum(answers), "refused busy": len(answers) - sum(answers)}

        return run

    def steady_flood() -> Any:
        answers: list[bool] = []
        start = time.monotonic()
        sent = 0
        while time.monotonic() - start < PHASE_S:
            for _ in range(60):  # 6,000 a second
                loop.control.submit(COMMAND, lambda ok, _e: answers.append(ok))  # type: ignore[union-attr]
            sent += 60
            time.sleep(0.01)
        return {"sent": sent, "applied": sum(answers), "refused busy": len(answers) - sum(answers)}

    return [
        ("before", None),
        ("Content-Length -1, 64 MiB body", negative_length),
        ("Content-Length abc/1e3/0x18/-5 x200", bad_lengths),
        ("chunked x200", chunked),
        ("foreign Host x100, foreign Origin x100", foreign),
        ("500 silent sockets", idle_sockets),
        ("2,000 commands at once", flood(2000)),
        ("10,000 commands at once", flood(10_000)),
        ("6,000 commands/s", steady_flood),
        ("file descriptors exhausted", no_descriptors),
        ("after", None),
    ]


def markdown(rows: list[dict[str, Any]], load: tuple[float, ...]) -> str:
    lines = [
        "# The kiosk under hostile clients",
        "",
        "`python -m training.bench.web_hostile`: `EdgeLoop` (mode both, a clip looped at its",
        f"own pace as a camera) with each probe run for about {PHASE_S:.0f} s; figures of the "
        "process. The probes run in the same process (their own threads take the GIL too) on "
        f"a {os.cpu_count()}-core machine whose 1-minute load average was "
        f"{load[0]:.1f} at the start and {load[1]:.1f} at the end: other processes' load shows "
        "as gaps in any phase (compare `before` and `after`).",
        "",
        "| phase | fps | longest frame gap (ms) | commands between 2 frames, max (ms) "
        "| threads (max) | RSS (MiB) | CPU % | outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['phase']} | {r['fps']} | {r['max_frame_gap_ms']:.0f} | "
                     f"{r['max_commands_ms']} | "
                     f"{r['threads_max']} | {r['rss_mib']:.0f} | {r['cpu_percent']:.0f} | "
                     f"{r['outcome'] if r['outcome'] is not None else ''} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "web_hostile")
    args = parser.parse_args(argv)
    with PrivateBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        config = load_config(REPO / "firmware_config" / "demo.toml", check_paths=False)
        config = config.replace(
            mode=config.mode.replace(mode="both", exercise="squat"),
            mqtt=config.mqtt.replace(host=broker.host, port=broker.port),
            queue=config.queue.replace(path=Path(tmp) / "q.sqlite"),
            web=config.web.replace(listen="127.0.0.1:0"),
        )
        loop = TimedLoop(config)
        runner = threading.Thread(target=loop.run, daemon=True)
        runner.start()
        deadline = time.monotonic() + 60
        while len(loop.frame_times) < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        load_start = os.getloadavg()[0]
        rows = [phase(loop, name, probe) for name, probe in probes(loop)]
        load = (load_start, os.getloadavg()[0])
        loop.stop()
        runner.join(30)
    write_report(args.out, {"load_average": load, "phases": rows}, markdown(rows, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
