"""`dancepose follow ROUTINE_DIR INPUT`: score a recorded clip against a routine, move by
move, with the follow analyzer `run` uses in follow mode; each person on their own
(--people N, or a `dancepose pose` npz of several people)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge.analyzers import Resources, analyzer
from edge.commands.pose import add_people_option, load_people
from edge.commands.routine import add_clip_options
from edge.errors import UsageError
from edge.follow import routine
from edge.follow.events import MoveEvent, RoutineSummary
from edge.keypoints_io import KeypointTrack


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("follow", help="score a clip against a recorded routine")
    parser.add_argument("routine", type=Path, help="a routine folder (`dancepose routine record`)")
    add_clip_options(parser)
    add_people_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per move, then one")
    parser.set_defaults(run=run)


def follow_events(folder: Path, track: KeypointTrack) -> list[MoveEvent | RoutineSummary]:
    """The follow analyzer over a whole track, as `run` feeds it frame by frame."""
    resources = Resources(lambda: {}, (), None, folder)
    follow = analyzer("follow")(resources, "auto", track.fps)
    events = []
    for index, time_s in enumerate(track.times_s):
        landmarks = track.landmarks[index] if track.present[index] else None
        events += follow.update(landmarks, float(time_s))
    return [*events, *follow.finish()]


def run(args: argparse.Namespace) -> int:
    routine.load(args.routine)  # a bad folder fails before minutes of pose estimation
    people = load_people(args)
    if not people.tracks:
        track = people.main
        raise UsageError(
            f"no person found in {args.video} ({track.num_frames} frames); "
            "check that one whole body is in view and lit"
        )
    several = len(people.tracks) > 1
    for person, track in people.tracks.items():
        who = f"person {person}: " if several else ""
        for event in follow_events(args.routine, track):
            if args.json:
                record = event.as_json()
                print(json.dumps({**record, "person": person} if several else record))
            elif isinstance(event, MoveEvent):
                late = f"{event.offset_ms:+.0f} ms"
                print(f"{who}{event.index + 1:3d} {event.name:16s} {event.score:5.1f}  "
                      f"{late:>9s}  worst: {event.worst.replace('_', ' ')}")  # fmt: skip
            else:
                print(f"{who}routine {event.routine}: {event.score:.1f} over {event.moves} moves")
    return 0
