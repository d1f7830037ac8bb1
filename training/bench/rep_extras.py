"""`make bench` (rep extras): timed holds, sets and rep quality, on real clips.

- Holds: every turning point of four real exercise clips held for HOLD_S (a wall sit made
  of the squat pack's "down", a plank of the push-up pack's "up";
  training/bench/made_clips.py): the hold counted against the body's own stretch, per
  tolerance variant; and the holds each hold pack publishes on the plain clips (exercise
  clips, dances, walking, running), where nobody holds a pose.
- Cost per frame of what counting does beyond counting, timed inside the counting analyzer
  (as `dancepose run` calls it) on the exercise clips: sets (SetTracker.update), a
  pack's rep quality (its key-joint pose per frame, the tempo and range per rep), and a
  hold pack's hold (HoldTracker.update beyond the RepTracker it extends). CPU time, so
  that other processes on the machine do not count.
Writes <out>.md and <out>.json. `--cache DIR` keeps each clip's keypoints between runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from edge.analyzers.base import Resources
from edge.analyzers.counting import CountingAnalyzer
from edge.counting import tracker as tracker_module
from edge.counting.classifier import TfliteVotes
from edge.counting.events import HoldEvent, RepQuality
from edge.counting.hold import HoldTracker, make_tracker
from edge.counting.pack import ExercisePack, HoldSpec, find_pack, load_pack
from edge.counting.sets import SetTracker
from edge.keypoints_cache import video_tracks
from edge.keypoints_io import KeypointTrack
from edge.paths import REPO, SHARED_DATA_DIR
from training.bench.made_clips import CLIPS, HOLDS, held_clips
from training.bench.report import write_report
from training.packs import hold_pack

HOLD_S = 10.0
TOLERANCES = (0.1, 0.25, 0.5, float("inf"))  # HoldSpec.tolerance variants (inf: none)
EXERCISES = SHARED_DATA_DIR / "exercise_videos"
NEGATIVES = sorted((SHARED_DATA_DIR / "dance_videos").glob("*.mp4"))


def frames_of(track: KeypointTrack, order: list[int] | None = None) -> Iterator[tuple]:
    for k, i in enumerate(range(track.num_frames) if order is None else order):
        yield (track.landmarks[i] if track.present[i] else None), k / track.fps


def analyze(pack: ExercisePack | None, frames: Iterator[tuple]) -> tuple[list, int, float]:
    """The counting analyzer on frames (pack None: `any`): events, frames, seconds."""
    packs = {} if pack is None else {pack.name: pack}
    resources = Resources(
        lambda: {n: make_tracker(p, TfliteVotes(p)) for n, p in packs.items()}, tuple(packs), None
    )
    analyzer = CountingAnalyzer(resources, "any" if pack is None else pack.name, 30.0)
    events, count, began = [], 0, time.process_time()
    for landmarks, time_s in frames:
        events += analyzer.update(landmarks, time_s)
        count += 1
    events += analyzer.finish()
    return events, count, time.process_time() - began


def hold_figures(
    packs: dict[str, ExercisePack], track_of: Callable[[Path], KeypointTrack]
) -> dict[str, Any]:
    figures: dict[str, Any] = {"variants": [], "cases": [], "plain": []}
    for tolerance in TOLERANCES:
        errors = []
        for clip, exercise in CLIPS:
            track = track_of(EXERCISES / clip)
            spec = replace(packs[exercise].spec, hold=HoldSpec(tolerance=tolerance))
            pack = replace(packs[exercise], spec=spec)
            for held in held_clips(track, HOLDS[exercise], HOLD_S):
                events = analyze(pack, frames_of(track, held.order))[0]
                ended = [e for e in events if isinstance(e, HoldEvent) and e.ended
                         and e.end_s >= held.first_s and e.start_s <= held.last_s]  # fmt: skip
                counted = max((e.held_s for e in ended), default=0.0)
                errors.append(counted - held.truth_s)
                if tolerance == HoldSpec.tolerance:
                    figures["cases"].append({
                        "clip": clip, "hold": exercise, "at_s": round(held.first_s, 2),
                        "truth_s": round(held.truth_s, 2), "counted_s": round(counted, 2),
                        "pieces": len(ended),
                    })  # fmt: skip
        figures["variants"].append({
            "tolerance": tolerance, "cases": len(errors),
            "mean_abs_error_s": float(np.mean(np.abs(errors))),
            "max_abs_error_s": float(np.max(np.abs(errors))),
            "within_1s": int(np.sum(np.abs(errors) <= 1.0)),
        })  # fmt: skip
    plain = sorted(EXERCISES.glob("*.mp4")) + NEGATIVES
    for video in plain:
        track = track_of(video)
        for name, pack in packs.items():
            ended = [e for e in analyze(pack, frames_of(track))[0]
                     if isinstance(e, HoldEvent) and e.ended]  # fmt: skip
            figures["plain"].append({
                "clip": video.name, "hold": name, "holds": len(ended),
                "seconds": round(sum(e.held_s for e in ended), 2),
            })  # fmt: skip
    return figures


@contextmanager
def timed(owner: Any, name: str, into: dict[str, float], key: str) -> Iterator[None]:
    """Time every call of owner.name (a method or a module function) into into[key]."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            into[key] = into.get(key, 0.0) + time.process_time() - began

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


# What is timed: (owner, attribute, key).
PARTS = [
    (SetTracker, "update", "sets"),
    (RepQuality, "measure", "measure"),
    (tracker_module.RepTracker, "_tempo", "tempo"),
    (tracker_module, "key_pose", "rep_pose"),  # a pack's pose per frame, for its tempo
    (tracker_module.RepTracker, "update", "rep_update"),
    (HoldTracker, "update", "hold_update"),
]
RUNS = {"squat pack": "squat", "push-up pack": "pushup", "any": None,
        "wall_sit hold": "wall_sit", "plank hold": "plank"}  # fmt: skip


def cost_figures(
    packs: dict[str, ExercisePack], track_of: Callable[[Path], KeypointTrack]
) -> dict[str, Any]:
    """Mean microseconds per frame, over the exercise clips, of each part."""
    installed = {**{n: find_pack(n) for n in ("squat", "pushup")}, **packs}
    figures = {}
    for label, name in RUNS.items():
        spent: dict[str, float] = {}
        frames, total = 0, 0.0
        with ExitStack() as stack:
            for owner, attribute, key in PARTS:
                stack.enter_context(timed(owner, attribute, spent, key))
            for video in sorted(EXERCISES.glob("*.mp4")):
                pack = None if name is None else installed[name]
                _, n, seconds = analyze(pack, frames_of(track_of(video)))
                frames, total = frames + n, total + seconds
        us = {key: 1e6 * value / frames for key, value in spent.items()}
        figures[label] = {
            "frames": frames,
            "counting_us": 1e6 * total / frames,
            "sets_us": us.get("sets", 0.0),
            "quality_us": us.get("measure", 0.0) + us.get("tempo", 0.0) + us.get("rep_pose", 0.0),
            "hold_us": us["hold_update"] - us["rep_update"] if "hold_update" in us else None,
        }
    return figures


def keypoints_of(cache: Path | None) -> Callable[[Path], KeypointTrack]:
    """Each clip's keypoints, computed once per run (and kept in `cache`, if given)."""
    compute = video_tracks(cache)
    tracks: dict[Path, KeypointTrack] = {}

    def track_of(video: Path) -> KeypointTrack:
        if video not in tracks:
            tracks[video] = compute(video)
        return tracks[video]

    return track_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "rep_extras")
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args(argv)
    track_of = keypoints_of(args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        packs = {
            name: load_pack(hold_pack(name, find_pack(kind.pack).folder, Path(tmp), kind.pose,
                                      HoldSpec()))
            for name, kind in HOLDS.items()
        }  # fmt: skip
        holds = hold_figures(packs, track_of)
        cost = cost_figures(packs, track_of)
    figures = {"hold_s": HOLD_S, "holds": holds, "cost_us_per_frame": cost}
    write_report(args.out, figures, render(figures))
    return 0


def render(figures: dict[str, Any]) -> str:
    holds, cost = figures["holds"], figures["cost_us_per_frame"]
    lines = [
        "# Timed holds, sets and rep quality",
        "",
        "Written by `python -m training.bench.rep_extras` (`make bench`); what it does: its "
        "docstring. Holds are made of real clips (training/bench/made_clips.py): every "
        f"turning point of four exercise clips played back and forth for {figures['hold_s']:.0f} s "
        "(a squat's bottom: `wall_sit`, a hold of the squat pack's \"down\"; a push-up's "
        "top: `plank`, of the push-up pack's \"up\"); the truth is the body's own stretch "
        "in the held half of its travel. The bar: within 1 s.",
        "",
        "## Holds: counted against the body, per tolerance (hold.min_s 2 s)",
        "",
        "| tolerance (torso lengths RMS) | cases | within 1 s | mean abs error (s) | max (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for v in holds["variants"]:
        lines.append(
            f"| {v['tolerance']} | {v['cases']} | {v['within_1s']} | "
            f"{v['mean_abs_error_s']:.2f} | {v['max_abs_error_s']:.2f} |"
        )
    lines += ["", "Every case at the shipped tolerance (0.25):", "",
              "| clip | hold | at (s) | truth (s) | counted (s) | holds |",
              "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for c in holds["cases"]:
        lines.append(
            f"| {c['clip']} | {c['hold']} | {c['at_s']} | {c['truth_s']} | {c['counted_s']} | "
            f"{c['pieces']} |"
        )
    lines += ["", "## Holds published on the plain clips (nobody holds a pose for long)", "",
              "| clip | hold | holds | seconds |", "|---|---|---:|---:|"]  # fmt: skip
    for c in holds["plain"]:
        if c["holds"]:
            lines.append(f"| {c['clip']} | {c['hold']} | {c['holds']} | {c['seconds']} |")
    quiet = sum(1 for c in holds["plain"] if not c["holds"])
    lines += ["", f"No hold on the other {quiet} clip x hold pairs.", "",
              "## Cost per frame (microseconds of CPU time, this machine, mean over every "
              "frame of the 11 exercise clips)", "",
              "| counted by | frames | counting analyzer | sets | rep quality | hold |",
              "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for label, c in cost.items():
        hold = "-" if c["hold_us"] is None else f"{c['hold_us']:.1f}"
        lines.append(
            f"| {label} | {c['frames']} | {c['counting_us']:.0f} | {c['sets_us']:.1f} | "
            f"{c['quality_us']:.1f} | {hold} |"
        )
    lines += [
        "",
        "Rep quality: a pack's key-joint pose every frame, its tempo and range at each rep, "
        "RepQuality.measure (any: measure only; its cycles carry their own times); hold: "
        "HoldTracker.update beyond the RepTracker it extends (the pose, the tolerance check, "
        "the events). The timers themselves add about a microsecond per call.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
