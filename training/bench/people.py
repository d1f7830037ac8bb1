"""`make bench` (people): several people in one frame, each counted and tracked on their own.

1. Composites (training/bench/people_composite.py): two or three real counted clips side
   by side. Each tile's person must be one track (no id switch, no second id) whose count
   equals what `dancepose count` (auto) gives on that clip alone, +-1. `--composite`
   runs the same check on clips of your own.
2. ../shared/data/multi_person (Pose2Sim's demo, 4 synchronised cameras, 100 frames): per
   camera, people found per frame, ids handed out, and the ids beyond the most people in
   any one frame (with nobody leaving or entering, each is an id switch).

Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge.counting.clip import count_auto
from edge.counting.pack import DEFAULT_PACKS_DIR, installed_packs, load_pack
from edge.keypoints_io import KeypointTrack
from edge.paths import REPO, SHARED_DATA_DIR
from edge.pose.track import people_from_video, track_from_video
from training.bench.people_composite import TILE, Tile, write_composite
from training.bench.report import write_report

EXERCISE = SHARED_DATA_DIR / "exercise_videos"
QUVA = SHARED_DATA_DIR / "quva" / "videos"
MULTI = SHARED_DATA_DIR / "multi_person"
TOLERANCE = 1  # reps


def _tiles(*names: str) -> tuple[Tile, ...]:
    """'clip.mp4' from exercise_videos, 'quva/NNN.mp4' from quva; a leading '~' mirrors."""
    tiles = []
    for name in names:
        mirror = name.startswith("~")
        name = name.removeprefix("~")
        folder = QUVA if name.startswith("quva/") else EXERCISE
        tiles.append(Tile(folder / name.removeprefix("quva/"), mirror))
    return tuple(tiles)


# Chosen before any was run: counted clips of different exercises, sizes and rates, the
# same clip twice (one mirrored), clips of different lengths (the shorter holds its last
# frame), and whole-body QUVA clips (>= 90% person found).
COMPOSITES: tuple[tuple[Tile, ...], ...] = (
    _tiles("squat_side_3.mp4", "~squat_side_3.mp4"),
    _tiles("pushup_side_4.mp4", "curl_3.mp4"),
    _tiles("goblet_squat_front_6.mp4", "jumping_jack_front_4.mp4"),
    _tiles("situp_decline_7.mp4", "glute_bridge_1.mp4"),
    _tiles("squat_side_3.mp4", "pushup_front_3.mp4", "wall_pushup_side_3.mp4"),
    _tiles("quva/000_rope_beach.mp4", "quva/022_fitness.mp4"),
    _tiles("quva/037_keepups.mp4", "quva/072_spinning.mp4", "quva/025_fitness.mp4"),
    _tiles("~jumping_jack_front_4.mp4", "jumping_jack_front_4.mp4", "curl_3.mp4"),
)


def packs() -> list:
    return [load_pack(folder) for folder in installed_packs(DEFAULT_PACKS_DIR).values()]


@dataclass
class TileScore:
    tile: str
    alone_reps: int
    alone_exercise: str
    tracks: list[int]  # person ids whose median box centre lies in this tile
    reps: int | None  # the one track's count (None unless exactly one track)
    exercise: str | None

    @property
    def passed(self) -> bool:
        return (
            len(self.tracks) == 1
            and self.reps is not None
            and abs(self.reps - self.alone_reps) <= TOLERANCE
        )


def score_composite(
    tiles: tuple[Tile, ...], folder: Path, alone: dict[Path, tuple[int, str]], pack_list: list
) -> tuple[list[TileScore], float, int]:
    """Each tile's score, the seconds the pose run took, the frames."""
    name = "+".join(("m_" if t.mirror else "") + t.clip.stem for t in tiles)
    video = write_composite(tiles, folder / f"{name}.avi")
    start = time.perf_counter()
    people = people_from_video(video, max_people=len(tiles))
    seconds = time.perf_counter() - start
    in_tile: dict[int, list[tuple[int, KeypointTrack]]] = {i: [] for i in range(len(tiles))}
    for person, track in people.tracks.items():
        box = track.median_box()
        if box is None:
            continue
        centre = (box[0] + box[2]) / 2
        in_tile[min(int(centre * len(tiles)), len(tiles) - 1)].append((person, track))
    scores = []
    for index, tile in enumerate(tiles):
        reps, exercise = alone[tile.clip]
        found = in_tile[index]
        counted = count_auto(found[0][1], pack_list) if len(found) == 1 else None
        scores.append(
            TileScore(
                tile.label,
                reps,
                exercise,
                [p for p, _ in found],
                None if counted is None else counted.reps,
                None if counted is None else counted.exercise,
            )
        )
    return scores, seconds, people.main.num_frames


def count_alone(clip: Path, pack_list: list) -> tuple[int, str]:
    """What `dancepose count CLIP --json` (auto, one person) gives: reps and exercise."""
    result = count_auto(track_from_video(clip), pack_list)
    return result.reps, result.exercise


def multi_person(folder: Path, max_people: int) -> list[dict]:
    """Per camera: people per frame and ids (see the module's docstring)."""
    rows = []
    for video in sorted(folder.glob("cam*.mp4")):
        people = people_from_video(video, max_people=max_people)
        present = [track.present for track in people.tracks.values()]
        frames = np.sum(present, axis=0).tolist() if present else [0] * people.main.num_frames
        most = max(frames, default=0)
        histogram = Counter(frames)
        rows.append(
            {
                "camera": video.stem,
                "frames": len(frames),
                "people_per_frame_mean": float(np.mean(frames)) if frames else 0.0,
                "people_per_frame_min": min(frames, default=0),
                "people_per_frame_max": most,
                "frames_with": {str(k): histogram[k] for k in sorted(histogram)},
                "ids": sorted(people.tracks),
                "frames_per_id": {
                    str(p): int(t.present.sum()) for p, t in sorted(people.tracks.items())
                },
                "extra_ids": len(people.tracks) - most,
            }
        )
    return rows


def parse_composite(text: str) -> tuple[Tile, ...]:
    """CLIP+CLIP[+CLIP]: paths; a leading '~' on one mirrors it."""
    tiles = []
    for part in text.split("+"):
        mirror = part.startswith("~")
        clip = Path(part.removeprefix("~"))
        if not clip.is_file():
            raise argparse.ArgumentTypeError(f"{clip}: no such video")
        tiles.append(Tile(clip, mirror))
    if len(tiles) < 2:
        raise argparse.ArgumentTypeError(f"{text!r}: give two or more clips joined by +")
    return tuple(tiles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "people")
    parser.add_argument(
        "--composite", type=parse_composite, action="append", metavar="CLIP+CLIP[+CLIP]",
        help="run these composites instead of the built-in ones (~CLIP: mirrored)",
    )  # fmt: skip
    parser.add_argument("--multi", type=Path, default=MULTI, help="Pose2Sim demo folder")
    args = parser.parse_args(argv)
    composites = tuple(args.composite or COMPOSITES)
    missing = sorted({str(t.clip) for c in composites for t in c if not t.clip.is_file()})
    if missing:
        print(f"bench people: missing clips {', '.join(missing)}", file=sys.stderr)
        return 2
    pack_list = packs()
    alone: dict[Path, tuple[int, str]] = {}
    for clip in sorted({t.clip for c in composites for t in c}):
        print(f"bench people: {clip.name} alone ...", file=sys.stderr, flush=True)
        alone[clip] = count_alone(clip, pack_list)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for tiles in composites:
            print(f"bench people: {' | '.join(t.label for t in tiles)} ...", file=sys.stderr)
            scores, seconds, frames = score_composite(tiles, Path(tmp), alone, pack_list)
            results.append(
                {
                    "tiles": [t.label for t in tiles],
                    "frames": frames,
                    "pose_s": round(seconds, 1),
                    "scores": [s.__dict__ | {"passed": s.passed} for s in scores],
                }
            )
    cameras = {}
    if args.multi.is_dir():
        for kind in ("multi_person", "single_person"):
            print(f"bench people: {kind} ...", file=sys.stderr, flush=True)
            cameras[kind] = multi_person(args.multi / kind, max_people=4)
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "tile": list(TILE),
        "tolerance_reps": TOLERANCE,
        "composites": results,
        "people_passed": sum(s["passed"] for r in results for s in r["scores"]),
        "people": sum(len(r["scores"]) for r in results),
        "cameras": cameras,
    }
    write_report(args.out, report, render_markdown(report))
    return 0


def render_markdown(report: dict) -> str:
    width, height = report["tile"]
    lines = [
        "# Several people in one frame: counts and ids",
        "",
        f"Generated {report['generated']} by `make bench` (training/bench/people.py) on "
        f"{report['machine']}. LiteRT BlazePose (full model, 2 threads), `--people N` with N "
        f"= the tiles. Each composite puts real counted clips side by side, each scaled into "
        f"a {width}x{height} tile (aspect kept, its edge pixels repeated to fill the tile); "
        "a shorter clip holds its "
        "last frame; `~` marks a mirrored tile. A tile passes when exactly one person track "
        "(median box centre in the tile) is there and its count (auto) is within "
        f"{report['tolerance_reps']} of `dancepose count` on that clip alone.",
        "",
        f"**{report['people_passed']} of {report['people']} people pass.**",
        "",
        "| composite | frames | pose s | tile | alone | tracks (ids) | counted | pass |",
        "|---|---:|---:|---|---|---|---|---|",
    ]
    for index, result in enumerate(report["composites"], 1):
        for score in result["scores"]:
            counted = "-" if score["reps"] is None else f"{score['reps']} {score['exercise']}"
            lines.append(
                f"| {index} | {result['frames']} | {result['pose_s']} | {score['tile']} | "
                f"{score['alone_reps']} {score['alone_exercise']} | "
                f"{len(score['tracks'])} ({', '.join(map(str, score['tracks']))}) | "
                f"{counted} | {'yes' if score['passed'] else 'NO'} |"
            )
    for kind, rows in report["cameras"].items():
        lines += [
            "",
            f"## ../shared/data/multi_person/{kind}: people found and ids (`--people 4`)",
            "",
            "Pose2Sim's demo, 100 frames at 60 fps, 1088x1920 portrait. Extra ids = ids "
            "handed out beyond the most people found in one frame; nobody enters or leaves "
            "in these 1.7 s, so each extra id is an id switch (or a spurious person).",
            "",
            "| camera | frames | people / frame (mean, min, max) | frames with 0/1/2/3/4 "
            "| ids (frames each) | extra ids |",
            "|---|---:|---|---|---|---:|",
        ]
        for row in rows:
            with_n = "/".join(str(row["frames_with"].get(str(n), 0)) for n in range(5))
            per_id = ", ".join(f"{p} ({n})" for p, n in row["frames_per_id"].items())
            lines.append(
                f"| {row['camera']} | {row['frames']} | {row['people_per_frame_mean']:.2f}, "
                f"{row['people_per_frame_min']}, {row['people_per_frame_max']} | {with_n} | "
                f"{per_id} | {row['extra_ids']} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
