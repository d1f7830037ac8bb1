"""Running figures for the `stats` topic: fps, mean stage latencies, drops, temperature,
and the people found: how many per frame and what the pose stage costs per person.

Several people and one frame budget: when everyone's landmark runs do not fit a live
source's frame period, the pose backend runs some people's per frame, taking turns
(edge/pose/budget.py), so each person's rate falls together and the loop keeps the
camera's pace; `person_rate` says at what share of the frames each person was updated.
What is still too slow for the frame period (the frames took longer on average) is
`over_budget`: a live source's newest-frame hand-off drops the frames that came meanwhile,
and the loop never waits. `pose_ms_per_person` says what each person costs.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from edge.publish.topics import LATENCY_STAGES

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


def cpu_temperature_c(path: Path = THERMAL_ZONE) -> float | None:
    """The SoC temperature on a Pi (and most Linux boards); None where it is not readable."""
    try:
        return int(path.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class PeopleFigures:
    """An interval's people: mean found per frame, the most in one frame, the pose stage's
    mean ms per person found, whether the frames overran the source's frame period, and
    the share of frames on which a person found was updated (1: every frame)."""

    people: float
    people_max: int
    pose_ms_per_person: float | None
    over_budget: bool
    person_rate: float | None


class StageStats:
    """Per-interval means of each stage's latency and the frame rate."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.frame_period_ms: float | None = None  # the source's (1000 / fps), once known
        self._reset_interval()

    def _reset_interval(self) -> None:
        self._since = time.monotonic()
        self._frames = 0
        self._sums: dict[str, float] = defaultdict(float)
        self._counts: dict[str, int] = defaultdict(int)
        self._people = self._people_max = self._fresh = 0
        self._pose_ms_with_people = 0.0

    def add_frame(
        self, timings_ms: dict[str, float], people: int = 0, fresh: int | None = None
    ) -> None:
        """One frame's stage times, the number of people found on it and how many of them
        were updated (None: all)."""
        self._frames += 1
        self._people += people
        self._fresh += people if fresh is None else fresh
        self._people_max = max(self._people_max, people)
        if people:
            self._pose_ms_with_people += timings_ms.get("pose", 0.0)
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

    def take_people(self) -> PeopleFigures:
        """The people figures of the interval now ending (call before take())."""
        total = self._sums["total"] / self._counts["total"] if self._counts["total"] else None
        period = self.frame_period_ms
        return PeopleFigures(
            people=self._people / self._frames if self._frames else 0.0,
            people_max=self._people_max,
            pose_ms_per_person=self._pose_ms_with_people / self._people if self._people else None,
            over_budget=total is not None and period is not None and total > period,
            person_rate=self._fresh / self._people if self._people else None,
        )
