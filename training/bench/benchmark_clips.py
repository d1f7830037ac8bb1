"""The counting benchmark's clips: every real counted clip in ../shared/data.

- exercise_videos/ (11): counted inside their labelled start_s..end_s;
- quva/ (40): QUVA Repetition (Runia et al., CVPR 2018), annotated cycle by cycle: the
  true count is the number of annotated cycle ends, and each cycle's end is known, so the
  delay from a rep's end to its event can be measured against people, not against us.

Two scenarios are made from them: short sets (a QUVA clip with a person cut right after its
1st, 2nd and 3rd annotated cycle, as `dancepose count --end` cuts it) and two sets (a clip,
REST_S of its last pose held still, the clip again).

One list, read by `make bench` (training/bench/counting.py) and the acceptance tests.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.keypoints_io import KeypointTrack
from edge.paths import SHARED_DATA_DIR

DATA = SHARED_DATA_DIR
EXERCISE_LABELS = DATA / "exercise_videos" / "labels.csv"
QUVA_LABELS = DATA / "quva" / "labels.csv"
PERSON_PCT = 80  # QUVA clips where our BlazePose finds a person this often: "with a person"
WALK_IN_OUT = DATA / "dance_videos" / "jacky_walk.mp4"
SHORT_SETS = (1, 2, 3)  # cycles a short set is cut after
REST_S = 10.0  # the rest between two sets: the person holds still
REST_JITTER_PX = 0.5  # keypoint noise on the still person (seeded)


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


def short_sets(clips: list[BenchClip]) -> list[tuple[BenchClip, int, float]]:
    """(clip, true reps, where to cut it) for every QUVA clip with a person, cut after its
    1st, 2nd and 3rd annotated cycle."""
    return [
        (c, k, c.cycle_ends_s[k - 1])
        for c in clips
        if c.set == "quva" and c.with_person
        for k in SHORT_SETS
        if len(c.cycle_ends_s) >= k
    ]


def span(track: KeypointTrack, start_s: float | None, end_s: float | None) -> KeypointTrack:
    """The frames between start_s and end_s (inclusive), as `count` reads them."""
    times = track.times_s
    keep = (times >= (start_s if start_s is not None else -np.inf)) & (
        times <= (end_s if end_s is not None else np.inf)
    )
    return KeypointTrack(
        track.landmarks[keep], track.world[keep], track.present[keep], track.fps, track.width,
        track.height,
    )  # fmt: skip


def then_still(track: KeypointTrack, still_s: float = REST_S) -> KeypointTrack:
    """The track, then its last pose held for still_s (REST_JITTER_PX of seeded keypoint
    noise): a set and the rest after it, at the track's frame rate."""
    held = round(still_s * track.fps)
    still = np.repeat(track.landmarks[np.flatnonzero(track.present)[-1]][None], held, axis=0)
    noise = np.random.default_rng(0).normal(0.0, REST_JITTER_PX, still[..., :2].shape)
    still[..., :2] += noise.astype(still.dtype)
    frames = len(track.landmarks) + held
    return KeypointTrack(
        np.concatenate([track.landmarks, still]),
        np.full((frames, *track.world.shape[1:]), np.nan, np.float32),
        np.concatenate([track.present, np.ones(held, bool)]),
        track.fps, track.width, track.height,
    )  # fmt: skip


def two_sets(track: KeypointTrack, rest_s: float = REST_S) -> KeypointTrack:
    """The track, its last pose held for rest_s, the track again: two sets and a rest."""
    rested = then_still(track, rest_s)
    return KeypointTrack(
        np.concatenate([rested.landmarks, track.landmarks]),
        np.concatenate([rested.world, np.full_like(track.world, np.nan)]),
        np.concatenate([rested.present, track.present]),
        track.fps, track.width, track.height,
    )  # fmt: skip


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
