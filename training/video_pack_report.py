"""How well a pack built from ONE video counts the OTHER clips of the same exercise.

    python -m training.video_pack_report [--out docs/bench/video_packs]

For each pair below: keypoints of the source clip (LiteRT BlazePose), labels from its
periodic motion (training.video_labels), a real pack (TFLite classifier, as
`python -m training.packs from-video` builds it), then `count_track` on the other clips
inside their labelled spans, and on the walking negative. Runs in .venv-train.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from edge.counting.clip import count_track
from edge.counting.pack import ExercisePack, PackSpec, load_pack
from edge.features.embedding import EmbeddingOptions
from edge.keypoints_io import KeypointTrack
from edge.paths import REPO
from training.bench.counting import LABELS, NEGATIVES, keypoints
from training.packs import build_pack
from training.video_labels import label_from_track, samples_from_labels

UPPER = EmbeddingOptions(upright=True, joints=("shoulder", "elbow", "wrist", "hip"))
LEGS = EmbeddingOptions(joints=("shoulder", "hip", "knee", "ankle"))
# (exercise, source clip, options, clips to count)
PAIRS = (
    ("squat", "squat_side_3.mp4", LEGS, ("goblet_squat_front_6.mp4",)),
    ("squat", "goblet_squat_front_6.mp4", EmbeddingOptions(), ("squat_side_3.mp4",)),
    ("pushup", "pushup_front_3.mp4", UPPER, ("pushup_side_4.mp4", "wall_pushup_side_3.mp4")),
    ("pushup", "pushup_side_4.mp4", UPPER, ("pushup_front_3.mp4", "wall_pushup_side_3.mp4")),
    ("jumping_jack", "jumping_jack_front_4.mp4", EmbeddingOptions(), ("jumping_jack_mixed.mp4",)),
    ("jumping_jack", "jumping_jack_mixed.mp4", EmbeddingOptions(), ("jumping_jack_front_4.mp4",)),
)


def counts(track: KeypointTrack, pack: ExercisePack, span: tuple[float, float | None]) -> str:
    """The count and when each rep completed ("2 at 3.3, 6.4 s"), so a reader can tell a
    right count from a lucky one."""
    result = count_track(track, pack, None, *span)
    times = ", ".join(f"{t:.1f}" for t in result.rep_times_s)
    return f"{result.reps} at {times} s" if times else "0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "video_packs")
    args = parser.parse_args(argv)
    with LABELS.open(newline="") as handle:
        labels = {row["file"]: row for row in csv.DictReader(handle)}
    clips = LABELS.parent
    tracks = {}

    def track(name: str, folder: Path = clips):
        if name not in tracks:
            tracks[name] = keypoints(folder / name)
        return tracks[name]

    def span(name: str) -> tuple[float, float | None]:
        row = labels[name]
        return float(row["start_s"] or 0), float(row["end_s"]) if row["end_s"] else None

    lines = [
        "# Packs built from one video",
        "",
        "Each pack is built from ONE clip (labels from its periodic motion, TFLite k-NN as "
        "`python -m training.packs from-video` makes it) and counts the other clips of the "
        "same exercise inside their labelled spans, with the time each rep completed. "
        "Written by `python -m training.video_pack_report`.",
        "",
        "| exercise | built from | joints, upright | samples up/down | counts itself | "
        "counts the others (true) | walking |",
        "|---|---|---|---:|---:|---|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for exercise, source, options, others in PAIRS:
            src = track(source)
            found = label_from_track(src.landmarks, src.fps, options)
            points, states = samples_from_labels(src.landmarks, found)
            spec = PackSpec(name=exercise, embedding=options, visible_joints=options.joints)
            folder, _ = build_pack(exercise, points, states, spec, Path(tmp) / source)
            pack = load_pack(folder)
            itself = count_track(src, pack, None, *span(source)).reps
            counted = ", ".join(
                f"{o}: {counts(track(o), pack, span(o))} ({labels[o]['reps']})" for o in others
            )
            walking = count_track(track(NEGATIVES[0].name, NEGATIVES[0].parent), pack).reps
            lines.append(
                f"| {exercise} | {source} | {', '.join(options.joints)}; {options.upright} | "
                f"{int((states == 0).sum())}/{int((states == 1).sum())} | "
                f"{itself} ({labels[source]['reps']}) | {counted} | {walking} |"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
