"""A hand-made "dancing" rule, source-blind by construction, measured on every dev clip.

Not shipped: it is what docs/dance_features.md's rows on a rule are measured with.

The rule sees only the unit-mean pose (21 segment angles averaged over 1/3 s, face left
out), i.e. the body's pose at 3 Hz: BlazePose's frame-to-frame jitter is averaged away, so
motion capture, AIST++ keypoints and BlazePose on video give the same kind of numbers. Over
the last W units it measures

- `spread`: the pose's variance over the window (how much the body moves, all segments);
- `segments`: how many segments share that motion (participation ratio of their variances);
- `recurrence`: median over units of the distance to the nearest pose at least L units
  away, over the window's RMS spread (a rep comes back to where it was: low; a dance
  moves on: high);
- `dimensions`: participation ratio of the window's singular values (a rep goes back and
  forth along one path: ~1).

Two rules: `spread` (spread >= a and segments >= b: whole-body motion over many joints) and
`recurrence` (spread >= a, recurrence >= b, dimensions >= c). Their thresholds are chosen
leave one clip out: for each clip, on every other clip of the real dance videos and the
non-dance clips, the point of a grid with the best worst dance video whose worst non-dance
group (exercise, QUVA, walk/run) stays at or under `--limit`; then that clip is scored.
Shares are over the clip's windows of the dance model (K = 8): a window before the rule has
W units of history counts as not dancing. AIST++, ballroom and aist_follow are scored with the
thresholds chosen on all the clips; "or shipped": a dance video's windows that the held-out
rule or the shipped model (trained on no dance video) calls dancing.

    .venv-train/bin/python -m training.bench.dancing_rule --cache out/keypoints
"""

from __future__ import annotations

import argparse
import csv
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.dance.classifier import DanceClassifier
from edge.dance.metadata import NONE
from edge.features import dance as features
from edge.keypoints_cache import cache_path
from edge.keypoints_io import KeypointTrack, from_coco17, load_npz
from edge.paths import DEFAULT_DANCE_DIR, SHARED_DATA_DIR
from training.dance.windows import UNIT_S, hold_out, load_sequences

K = 8  # the shipped model's window, units
FACE = (1, 2, 3, 4)
BODY = [s for s in range(len(features.SEGMENTS)) if s not in FACE]
NON_DANCE = ("exercise", "QUVA", "walk/run")
DANCE_VIDEOS = ("macarena", "tiktok_dance", "belly_dancing")  # jacky_dance: under one window
GRIDS: dict[str, list[tuple[float, ...]]] = {
    "spread": list(itertools.product((0.5, 1, 1.5, 2, 2.5, 3), np.arange(3, 12.5, 0.5))),
    "recurrence": list(
        itertools.product(
            (0.5, 1, 1.5, 2, 2.5), np.round(np.arange(0.4, 1.0, 0.05), 2), np.arange(1.5, 3.6, 0.25)
        )
    ),
}


@dataclass
class Clip:
    group: str
    name: str
    track: KeypointTrack


def dev_clips(cache: Path) -> list[Clip]:
    """Every dev clip: AIST++'s held-out choreographies, ballroom, aist_follow's detector
    keypoints, the real dance videos and the non-dance clips (BlazePose, from the cache)."""
    data = SHARED_DATA_DIR
    out = [
        Clip("AIST++ test", s.name, s.track)
        for s in hold_out(load_sequences(data / "aistpp_small"))[1]
    ]
    out += [Clip("ballroom", s.name, s.track) for s in load_sequences(data / "ballroom")]
    for f in sorted((data / "aist_follow").glob("*.npy")):
        points = np.load(f).astype(np.float32)[..., :2]
        out.append(Clip("aist_follow", f.stem, from_coco17(points, 60.0, 1920, 1080)))

    def video(group: str, path: Path) -> None:
        out.append(Clip(group, path.stem, load_npz(cache_path(path, cache))))

    for stem in DANCE_VIDEOS:
        video("dance video", data / "dance_videos" / f"{stem}.mp4")
    for stem in ("jacky_walk", "jacky_run"):
        video("walk/run", data / "dance_videos" / f"{stem}.mp4")
    with (data / "exercise_videos" / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            video("exercise", data / "exercise_videos" / row["file"])
    with (data / "quva" / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            if int(row["person_found_pct"]) >= 80:  # as the shipped recipe's negatives
                video("QUVA", data / "quva" / "videos" / row["file"])
    return out


def unit_poses(track: KeypointTrack) -> np.ndarray:
    """(U, 34): the unit-mean sin/cos of the body segments."""
    frames = features.frame_features(track.landmarks, track.fps)
    units = features.unit_features(frames, features.frames_per_unit(track.fps, UNIT_S))
    pose = units[:, : features.POSE_DIMS].reshape(len(units), -1, 2)
    return pose[:, BODY].reshape(len(units), -1)


def window_measures(poses: np.ndarray, w: int, lag: int) -> np.ndarray:
    """(U - w + 1, 4): spread, segments, recurrence, dimensions of each w-unit window."""
    rows = []
    far = np.abs(np.subtract.outer(np.arange(w), np.arange(w))) >= lag
    for end in range(w, len(poses) + 1):
        x = poses[end - w : end] - poses[end - w : end].mean(0)
        per_segment = (x.reshape(w, -1, 2) ** 2).sum(-1).mean(0)
        spread = float(per_segment.sum())
        segments = spread**2 / max(float((per_segment**2).sum()), 1e-12)
        distance = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
        recurrence = float(np.median(np.where(far, distance, np.inf).min(1)))
        recurrence /= np.sqrt(max(spread, 1e-9))
        s = np.linalg.svd(x, compute_uv=False) ** 2
        dimensions = s.sum() ** 2 / max(float((s**2).sum()), 1e-12)
        rows.append((spread, segments, recurrence, dimensions))
    return np.array(rows).reshape(-1, 4)


def rule(name: str, knobs: tuple[float, ...]) -> Callable[[np.ndarray], np.ndarray]:
    if name == "spread":
        return lambda m: (m[:, 0] >= knobs[0]) & (m[:, 1] >= knobs[1])
    return lambda m: (m[:, 0] >= knobs[0]) & (m[:, 2] >= knobs[1]) & (m[:, 3] >= knobs[2])


def verdicts(measures: np.ndarray, windows: int, w: int, says: Callable) -> np.ndarray:
    """The rule's verdict on each of the clip's `windows` K-unit windows (aligned by end)."""
    out = np.zeros(windows, bool)
    fired = says(measures)[: max(0, windows - (w - K))]
    out[w - K : w - K + len(fired)] = fired
    return out


def shipped_dancing(track: KeypointTrack) -> np.ndarray:
    classifier = DanceClassifier(track.fps, DEFAULT_DANCE_DIR)
    events = [
        classifier.push(track.landmarks[i] if track.present[i] else None, float(t))
        for i, t in enumerate(track.times_s)
    ]
    return np.array([e.genre != NONE for e in events if e is not None])


def measure(
    clips: list[Clip],
    poses: dict[str, np.ndarray],
    shipped: dict[str, np.ndarray],
    name: str,
    w: int,
    lag: int,
    limit: float,
) -> dict[str, object]:
    """One rule at one (w, lag): held-out shares per clip group, and the all-clip choice's."""
    grid = GRIDS[name]
    windows = {c.name: max(0, len(poses[c.name]) - K + 1) for c in clips}
    measures = {c.name: window_measures(poses[c.name], w, lag) for c in clips}
    scored = [c for c in clips if c.group in (*NON_DANCE, "dance video")]
    fired = {
        c.name: np.array(
            [verdicts(measures[c.name], windows[c.name], w, rule(name, g)).sum() for g in grid]
        )
        for c in scored
    }

    def pick(without: str | None) -> int:
        rest = [c for c in scored if c.name != without]
        worst = np.max(
            [
                sum(fired[c.name] for c in rest if c.group == g)
                / max(1, sum(windows[c.name] for c in rest if c.group == g))
                for g in NON_DANCE
            ],
            axis=0,
        )
        dance = np.min(
            [fired[c.name] / windows[c.name] for c in rest if c.group == "dance video"], axis=0
        )
        score = np.where(worst <= limit, dance - 1e-3 * worst, -1.0)
        return int(np.argmax(score)) if score.max() >= 0 else -1  # -1: no point meets limit

    choice = {c.name: pick(c.name) for c in scored}
    if min(choice.values()) < 0 or pick(None) < 0:
        return {"rule": name, "w": w, "lag": lag, "limit": limit, "feasible": False}
    held_out = {c.name: int(fired[c.name][choice[c.name]]) for c in scored}
    knobs = grid[pick(None)]
    figures: dict[str, object] = {
        "rule": name,
        "w": w,
        "lag": lag,
        "limit": limit,
        "knobs_all_clips": [float(k) for k in knobs],
    }
    for c in scored:
        if c.group == "dance video":
            figures[c.name] = f"{held_out[c.name]}/{windows[c.name]}"
    for g in NON_DANCE:
        n = sum(windows[c.name] for c in scored if c.group == g)
        figures[g] = round(sum(held_out[c.name] for c in scored if c.group == g) / n, 3)
    for g in ("AIST++ test", "ballroom", "aist_follow"):
        dancing = [
            verdicts(measures[c.name], windows[c.name], w, rule(name, knobs))
            for c in clips
            if c.group == g
        ]
        figures[g] = round(float(np.concatenate(dancing).mean()), 3)
    for c in scored:  # the held-out rule or the shipped model (no dance video trained on)
        if c.group == "dance video":
            says = verdicts(measures[c.name], windows[c.name], w, rule(name, grid[choice[c.name]]))
            either = int((says | shipped[c.name]).sum())
            figures[f"{c.name} or shipped"] = f"{either}/{windows[c.name]}"
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("out/keypoints"),
        help="training.extract's keypoint cache of the videos",
    )
    parser.add_argument("--limit", type=float, nargs="+", default=[0.02, 0.05])
    args = parser.parse_args(argv)
    clips = dev_clips(args.cache)
    poses = {c.name: unit_poses(c.track) for c in clips}
    shipped = {c.name: shipped_dancing(c.track) for c in clips if c.group == "dance video"}
    columns = ["rule", "w", "lag", "limit", *DANCE_VIDEOS, *NON_DANCE, "AIST++ test",
               "ballroom", "aist_follow", *(f"{v} or shipped" for v in DANCE_VIDEOS),
               "knobs_all_clips"]  # fmt: skip
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for name, (w, lag) in itertools.product(GRIDS, ((8, 2), (12, 3), (16, 3))):
        for limit in args.limit:
            figures = measure(clips, poses, shipped, name, w, lag, limit)
            cells = [str(figures.get(c, "–")) for c in columns]  # –: no grid point meets limit
            print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
