"""`dancepose count VIDEO|KEYPOINTS.npz --exercise NAME|auto`: reps in a recorded clip."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge.commands.pose import add_pose_model_options, load_track
from edge.counting.clip import count_auto, count_track
from edge.counting.pack import DEFAULT_PACKS_DIR, find_pack, installed_packs, load_pack
from edge.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("count", help="count exercise repetitions in a clip")
    parser.add_argument("video", help="video file, or a keypoints .npz from `dancepose pose`")
    parser.add_argument("--exercise", default="auto", help="pack name, or auto (default)")
    parser.add_argument("--packs", type=Path, default=DEFAULT_PACKS_DIR, help="packs folder")
    parser.add_argument("--start", type=float, help="count from this time (s)")
    parser.add_argument("--end", type=float, help="count until this time (s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_pose_model_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.exercise == "auto":
        packs = [load_pack(folder) for folder in installed_packs(args.packs).values()]
        if not packs:
            raise UsageError(f"no exercise packs in {args.packs}; run `make packs`")
    else:
        packs = [find_pack(args.exercise, args.packs)]
    track = load_track(args)
    if not track.present.any():
        raise UsageError(
            f"no person found in {args.video} ({track.num_frames} frames); "
            "check that one whole body is in view and lit"
        )
    if args.exercise == "auto":
        result = count_auto(track, packs, args.start, args.end)
    else:
        result = count_track(track, packs[0], None, args.start, args.end)
    if args.json:
        print(json.dumps(result.as_json()))
    else:
        print(f"{result.exercise}: {result.reps} reps")
    return 0
