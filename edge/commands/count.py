"""`dancepose count VIDEO|KEYPOINTS --exercise NAME|auto|any`: reps in a recorded clip, for
every person track (--people N, or a `dancepose pose` npz of several people)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge.commands.inputs import (
    add_input_options,
    check_overlay,
    clip_duration_s,
    write_clip_overlay,
)
from edge.commands.pose import add_people_option, add_pose_model_options, load_people
from edge.counting.clip import ClipCount, count_any, count_auto, count_track
from edge.counting.pack import DEFAULT_PACKS_DIR, ExercisePack, installed_packs, load_pack
from edge.errors import UsageError
from edge.keypoints_io import KeypointTrack
from edge.modes import ANY, AUTO, SPECIAL_EXERCISES
from edge.overlay import count_caption


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("count", help="count exercise repetitions in a clip")
    add_input_options(parser)
    parser.add_argument(
        "--exercise", default=AUTO,
        help=f"a pack's name, {ANY} (any repeated movement, no pack) or {AUTO} (default: the "
        f"pack that matches, else {ANY})",
    )  # fmt: skip
    parser.add_argument("--packs", type=Path, default=DEFAULT_PACKS_DIR, help="packs folder")
    parser.add_argument("--start", type=float, help="count from this time (s)")
    parser.add_argument("--end", type=float, help="count until this time (s)")
    parser.add_argument(
        "--json", action="store_true",
        help="print one JSON object per person track (person, reps, exercise, box, ...)",
    )  # fmt: skip
    add_pose_model_options(parser)
    add_people_option(parser)
    parser.set_defaults(run=run)


def check_window(start_s: float | None, end_s: float | None, duration_s: float | None) -> None:
    """--start/--end must select some of the clip (duration None: not known yet)."""
    start = 0.0 if start_s is None else start_s
    if start < 0:
        raise UsageError(f"--start {start:g}: must be 0 or more (seconds into the clip)")
    if end_s is not None and end_s <= start:
        raise UsageError(f"--end {end_s:g} is not after the start ({start:g} s); give start < end")
    if duration_s is not None and start >= duration_s:
        raise UsageError(
            f"--start {start:g} is past the end of the clip ({duration_s:.2f} s long); "
            "give a start inside it"
        )


def run(args: argparse.Namespace) -> int:
    check_window(args.start, args.end, clip_duration_s(args.video))
    check_overlay(args)
    installed = installed_packs(args.packs)
    if args.exercise not in SPECIAL_EXERCISES and args.exercise not in installed:
        choices = ", ".join([*installed, *SPECIAL_EXERCISES])
        raise UsageError(
            f"unknown exercise {args.exercise!r}; use one of: {choices} (packs in {args.packs})"
        )
    if args.exercise == AUTO:
        packs = [load_pack(folder) for folder in installed.values()]
    elif args.exercise == ANY:
        packs = []
    else:
        packs = [load_pack(installed[args.exercise])]
    people = load_people(args)
    track = people.main
    check_window(args.start, args.end, track.num_frames / track.fps)
    if not people.tracks:
        raise UsageError(
            f"no person found in {args.video} ({track.num_frames} frames); "
            "check that one whole body is in view and lit"
        )
    results = {person: count_person(args, t, packs) for person, t in people.tracks.items()}
    for person, result in results.items():
        if args.json:
            box = people.tracks[person].median_box()
            print(json.dumps({**result.as_json(), "person": person, "box": box}))
            continue
        label = f"person {person}: " if len(results) > 1 else ""
        partial = f" ({result.partial} partial, not counted)" if result.partial else ""
        print(f"{label}{result.exercise}: {result.reps} reps{partial}")
        if not result.reps and result.why_none:
            print(f"{label}0 reps: {result.why_none}")
    if args.overlay is not None:  # the main person's
        main = next(results[p] for p, t in people.tracks.items() if t is track)
        write_clip_overlay(
            args, track, count_caption(track.times_s, main.exercise, main.rep_times_s)
        )
    return 0


def count_person(
    args: argparse.Namespace, track: KeypointTrack, packs: list[ExercisePack]
) -> ClipCount:
    """One person track's count, with the exercise chosen on the command line."""
    if args.exercise == AUTO:
        return count_auto(track, packs, args.start, args.end)
    if args.exercise == ANY:
        return count_any(track, args.start, args.end)
    return count_track(track, packs[0], None, args.start, args.end)
