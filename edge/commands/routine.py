"""`dancepose routine record INPUT --name NAME [--music FILE]`: a teacher's clip (and the
music it was danced to) -> a routine folder."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from edge.commands.inputs import INPUT_HELP
from edge.commands.options import check_writable, frame_size, positive_float
from edge.commands.pose import add_pose_model_options, load_track
from edge.errors import UsageError
from edge.follow import music as musics
from edge.follow import routine, teacher
from edge.paths import DEFAULT_ROUTINES_DIR

NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


def add_clip_options(parser: argparse.ArgumentParser) -> None:
    """The clip and what keypoint files without a header need (as `count` takes them)."""
    parser.add_argument("video", help=INPUT_HELP)
    parser.add_argument(
        "--fps", type=positive_float, help="frame rate of a .npy or OpenPose folder (AIST++: 60)"
    )
    parser.add_argument("--size", type=frame_size, metavar="WxH", help=argparse.SUPPRESS)
    parser.set_defaults(overlay=None)
    add_pose_model_options(parser)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("routine", help="record a routine to follow")
    actions = parser.add_subparsers(dest="routine_command", required=True, metavar="ACTION")
    record = actions.add_parser("record", help="record a teacher's clip as a routine")
    add_clip_options(record)
    record.add_argument("--name", required=True, help="the routine's name (a-z, 0-9, _ or -)")
    record.add_argument(
        "--out", type=Path, help=f"the routine folder (default: {DEFAULT_ROUTINES_DIR}/NAME)"
    )
    record.add_argument(
        "--mirror", action="store_true", help="students face the teacher as in a mirror"
    )
    record.add_argument(
        "--moves", default="auto",
        help="auto (cut where the body slows down) or a file of 'START_S END_S NAME' lines",
    )  # fmt: skip
    record.add_argument(
        "--music", type=Path, metavar="FILE",
        help="the music danced to: its beats set the move grid and the kiosk page plays it as "
        f"the follower's clock ({', '.join(musics.TYPES)}; needs the music extra)",
    )  # fmt: skip
    record.add_argument(
        "--music-offset", type=float, default=0.0, metavar="S",
        help="the music's second at the clip's first frame (default 0: they start together)",
    )  # fmt: skip
    record.set_defaults(run=run_record)


def run_record(args: argparse.Namespace) -> int:
    if not NAME.fullmatch(args.name):
        raise UsageError(f"--name {args.name!r}: use 1 to 64 of a-z, 0-9, _ and -")
    out = args.out or DEFAULT_ROUTINES_DIR / args.name
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder for the routine")
    check_writable(out.parent / f".{out.name}.check", "--out")  # the folder comes whole, last
    moves = None if args.moves == "auto" else Path(args.moves)
    if moves is not None and not moves.is_file():
        raise UsageError(f"--moves {args.moves}: no such file; give auto or a moves file")
    if args.music is not None and not args.music.is_file():
        raise UsageError(f"--music {args.music}: no such file")
    # the beats before the pose: a missing extra or a bad file fails before minutes of work
    music = None if args.music is None else musics.analyse(args.music, args.music_offset)
    track = load_track(args)
    recorded = routine.record(track, args.name, args.mirror, moves, music)
    routine.write(recorded, out)
    teacher.save(out, teacher.drawn_pose(track))  # the page draws the teacher from it
    tempo = "" if music is None else f" on the beat of {music.tempo_bpm:.0f} BPM"
    print(
        f"{out}: routine {args.name!r}, {recorded.length_s:.1f} s, {len(recorded.moves)} moves"
        f"{tempo} (edit {out / routine.MOVES} to change them)",
        file=sys.stderr,
    )
    return 0
