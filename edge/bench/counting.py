"""`make bench` (counting): rep counts on the real labelled clips, end to end.

Video -> LiteRT BlazePose -> the installed pack's TFLite classifier -> smoother -> counter,
for every clip in ../shared/data/exercise_videos/labels.csv whose exercise has a pack,
inside the labelled start_s..end_s. Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.counting.clip import count_track
from edge.counting.pack import DEFAULT_PACKS_DIR, installed_packs, load_pack
from edge.keypoints_io import KeypointTrack
from edge.pose.track import track_from_video

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO.parent / "shared" / "data" / "exercise_videos" / "labels.csv"
NEGATIVES = (REPO.parent / "shared" / "data" / "dance_videos" / "jacky_walk.mp4",)


@dataclass(frozen=True)
class ClipScore:
    clip: str
    exercise: str
    true_reps: int
    counted: int
    too_short: int  # visits to the down state shorter than the pack's min_hold_s
    seconds: float  # pose + counting, whole clip, this machine

    @property
    def error(self) -> int:
        return self.counted - self.true_reps


def keypoints(video: Path) -> KeypointTrack:
    return track_from_video(video)


def labelled_clips(labels: Path = LABELS) -> list[dict[str, str]]:
    with labels.open(newline="") as handle:
        return list(csv.DictReader(handle))


def score_clips(
    packs_dir: Path = DEFAULT_PACKS_DIR, labels: Path = LABELS,
    track_of: Callable[[Path], KeypointTrack] = keypoints,
) -> list[ClipScore]:  # fmt: skip
    """Count every labelled clip that has a pack; `track_of` gives a clip's keypoints
    (tests pass a cached one, so the pose model runs once per clip per test session)."""
    packs = installed_packs(packs_dir)
    scores = []
    for row in labelled_clips(labels):
        if row["exercise"] not in packs:
            continue
        pack = load_pack(packs[row["exercise"]])
        start = time.perf_counter()
        track = track_of(labels.parent / row["file"])
        result = count_track(
            track,
            pack,
            None,
            float(row["start_s"] or 0),
            float(row["end_s"]) if row["end_s"] else None,
        )
        seconds = time.perf_counter() - start
        scores.append(
            ClipScore(
                row["file"],
                row["exercise"],
                int(row["reps"]),
                result.reps,
                result.too_short,
                seconds,
            )
        )
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "counting")
    args = parser.parse_args(argv)
    scores = score_clips()
    packs = installed_packs()
    negatives = {
        f"{video.name} with {name}": count_track(keypoints(video), load_pack(folder)).reps
        for video in NEGATIVES if video.is_file() for name, folder in packs.items()
    }  # fmt: skip
    exact = sum(s.error == 0 for s in scores)
    true_total = sum(s.true_reps for s in scores)
    abs_error = sum(abs(s.error) for s in scores)
    report = {
        "clips": [dict(s.__dict__, error=s.error) for s in scores],
        "exact_pct": 100.0 * exact / len(scores) if scores else 0.0,
        "total_abs_error": abs_error,
        "total_abs_error_pct_of_true": 100.0 * abs_error / true_total if true_total else 0.0,
        "negatives": negatives,
    }
    lines = [
        "# Rep counting on the real labelled clips",
        "",
        "Every clip of `../shared/data/exercise_videos/labels.csv` whose exercise has a pack "
        "in `models/packs/`, counted inside its labelled span: LiteRT BlazePose (2 threads), "
        "the pack's TFLite classifier, EMA smoothing, hysteresis counter. Seconds = pose and "
        "counting for the whole clip on this machine. Too short = visits to the down state "
        "left before the pack's `min_hold_s`, not counted. Written by `make bench`.",
        "",
        "| clip | exercise | true | counted | error | too short | seconds |",
        "|---|---|---:|---:|---:|---:|---:|",
        *[
            f"| {s.clip} | {s.exercise} | {s.true_reps} | {s.counted} | {s.error:+d} "
            f"| {s.too_short} | {s.seconds:.1f} |"
            for s in scores
        ],
        "",
        f"Exact on {exact} of {len(scores)} clips ({report['exact_pct']:.0f}%); total absolute "
        f"error {abs_error} of {true_total} true reps "
        f"({report['total_abs_error_pct_of_true']:.1f}%). "
        "Acceptance: exact on >= 80%, total error <= 10%.",
        "",
        "Negatives (should count 0): " + ", ".join(f"{k}: {v}" for k, v in negatives.items()),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    args.out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
