"""The counting benchmark's clips: every real counted clip in ../shared/data.

- exercise_videos/ (11): counted inside their labelled start_s..end_s;
- quva/ (40): QUVA Repetition (Runia et al., CVPR 2018), annotated cycle by cycle: the
  true count is the number of annotated cycle ends, and each cycle's end is known, so the
  delay from a rep's end to its event can be measured against people, not against us.

One list, read by `make bench` (training/bench/counting.py) and the acceptance tests.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.paths import SHARED_DATA_DIR

DATA = SHARED_DATA_DIR
EXERCISE_LABELS = DATA / "exercise_videos" / "labels.csv"
QUVA_LABELS = DATA / "quva" / "labels.csv"
PERSON_PCT = 80  # QUVA clips where our BlazePose finds a person this often: "with a person"
WALK_IN_OUT = DATA / "dance_videos" / "jacky_walk.mp4"


@dataclass(frozen=True)
class BenchClip:
    set: str  # "exercise" or "quva"
    video: Path
    true_reps: int
    activity: str
    start_s: float | None = None
    end_s: float | None = None
    person_found_pct: int = 100
    cycle_ends_s: tuple[float, ...] = field(default=())  # annotated (QUVA only)

    @property
    def name(self) -> str:
        return self.video.name

    @property
    def with_person(self) -> bool:
        return self.set == "exercise" or self.person_found_pct >= PERSON_PCT


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def exercise_clips(labels: Path = EXERCISE_LABELS) -> list[BenchClip]:
    return [
        BenchClip(
            "exercise",
            labels.parent / r["file"],
            int(r["reps"]),
            r["exercise"],
            float(r["start_s"]) if r["start_s"] else None,
            float(r["end_s"]) if r["end_s"] else None,
        )
        for r in _rows(labels)
    ]


def quva_clips(labels: Path = QUVA_LABELS) -> list[BenchClip]:
    clips = []
    for r in _rows(labels):
        ends = np.load(labels.parent / "annotations" / Path(r["file"]).with_suffix(".npy").name)
        fps = float(r["fps"])
        clips.append(
            BenchClip(
                "quva",
                labels.parent / "videos" / r["file"],
                int(r["reps"]),
                r["activity"],
                person_found_pct=int(r["person_found_pct"]),
                cycle_ends_s=tuple(float(e) / fps for e in np.asarray(ends).ravel()),
            )
        )
    return clips


def all_clips() -> list[BenchClip]:
    return exercise_clips() + quva_clips()


@dataclass(frozen=True)
class Scores:
    """MAE (mean of |counted - true| / true), OBO (share within one), exact share."""

    clips: int
    mae: float
    obo: float
    exact: float

    @classmethod
    def of(cls, pairs: list[tuple[int, int]]) -> Scores:
        """(counted, true) per clip."""
        if not pairs:
            return cls(0, float("nan"), float("nan"), float("nan"))
        errors = np.array([c - t for c, t in pairs], float)
        true = np.array([t for _, t in pairs], float)
        return cls(
            len(pairs), float(np.mean(np.abs(errors) / true)),
            float(np.mean(np.abs(errors) <= 1)), float(np.mean(errors == 0)),
        )  # fmt: skip
