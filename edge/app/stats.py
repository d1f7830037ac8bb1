"""Running figures for the `stats` topic: fps, mean stage latencies, drops, temperature."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from edge.publish.topics import LATENCY_STAGES

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


def cpu_temperature_c(path: Path = THERMAL_ZONE) -> float | None:
    """The SoC temperature on a Pi (and most Linux boards); None where it is not readable."""
    try:
        return int(path.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None


class StageStats:
    """Per-interval means of each stage's latency and the frame rate."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._reset_interval()

    def _reset_interval(self) -> None:
        self._since = time.monotonic()
        self._frames = 0
        self._sums: dict[str, float] = defaultdict(float)
        self._counts: dict[str, int] = defaultdict(int)

    def add_frame(self, timings_ms: dict[str, float]) -> None:
        self._frames += 1
        for stage, ms in timings_ms.items():
            self._sums[stage] += ms
            self._counts[stage] += 1

    def due(self, interval_s: float) -> bool:
        return time.monotonic() - self._since >= interval_s

    def take(self) -> tuple[float, dict[str, float | None], float]:
        """(fps, mean ms per stage, uptime s) for the interval now ending; starts the next."""
        elapsed = max(time.monotonic() - self._since, 1e-9)
        fps = self._frames / elapsed
        means: dict[str, float | None] = {
            stage: self._sums[stage] / self._counts[stage] if self._counts[stage] else None
            for stage in LATENCY_STAGES
        }
        uptime = time.monotonic() - self.started
        self._reset_interval()
        return fps, means, uptime
