"""`dancepose pose VIDEO --out FILE.npz`: keypoints of every person (--people N), frame by
frame (the npz layout: edge/pose/people_file.py)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from edge.commands.inputs import (
    check_overlay,
    is_keypoints,
    load_keypoint_input,
    write_clip_overlay,
)
from edge.commands.options import check_writable, positive_int
from edge.errors import UsageError
from edge.keypoints_io import KeypointTrack
from edge.pose.estimator import BACKENDS, create_estimator
from edge.pose.people_file import load_people_npz, save_people_npz
from edge.pose.result import PeopleTracks
from edge.pose.track import people_from_video
from edge.sources import open_source


def add_pose_model_options(parser: argparse.ArgumentParser) -> None:
    """Backend and model options shared by every command that runs the pose model."""
    parser.add_argument("--backend", choices=BACKENDS, default="litert")
    parser.add_argument(
        "--threads", type=positive_int, default=2, help="interpreter threads (litert), >= 1"
    )
    parser.add_argument("--task", type=Path, help="a MediaPipe .task bundle to use instead")
    parser.add_argument("--detector-model", type=Path, help="pose_detection.tflite to use")
    parser.add_argument("--landmark-model", type=Path, help="pose_landmark_*.tflite to use")


def add_people_option(parser: argparse.ArgumentParser) -> None:
    """--people N: how many people the pose model tracks (litert; [pose] max_people)."""
    parser.add_argument(
        "--people", type=positive_int, default=1, metavar="N",
        help="track up to N people, each with a stable id (default 1; litert backend)",
    )  # fmt: skip


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pose", help="write per-frame BlazePose landmarks to .npz")
    parser.add_argument("video", help="video file, or a camera index")
    parser.add_argument("--out", type=Path, required=True, help="output .npz")
    parser.add_argument("--overlay", type=Path, help="also write OUT.webm with the skeleton")
    add_pose_model_options(parser)
    add_people_option(parser)
    parser.set_defaults(run=run)


def estimate_people(args: argparse.Namespace) -> PeopleTracks:
    """Run the chosen backend over the whole source, tracking up to args.people people."""
    # The models first: a missing model file is reported even when the video is wrong too.
    try:
        estimator = create_estimator(
            args.backend, args.threads, args.detector_model, args.landmark_model, args.task,
            getattr(args, "people", 1),
        )  # fmt: skip
    except ValueError as exc:  # a backend that finds one person asked for several
        raise UsageError(f"--people {args.people}: {exc}") from exc
    try:
        source = open_source(args.video)
        try:
            label = f"pose {Path(str(args.video)).name}"
            people = people_from_video(source, estimator, progress=label)
        finally:
            source.close()
    finally:
        estimator.close()
    name = str(args.video)
    return PeopleTracks(
        {i: replace(t, source=name) for i, t in people.tracks.items()},
        replace(people.empty, source=name),
    )


def load_track(args: argparse.Namespace) -> KeypointTrack:
    """One person's keypoints (the main person's) from a file or the pose model."""
    if is_keypoints(str(args.video)):
        return load_keypoint_input(args)
    return estimate_people(args).main


def load_people(args: argparse.Namespace) -> PeopleTracks:
    """Every person's keypoints: from a `dancepose pose` npz (all its people), another
    keypoints file (one person, id 0), or the pose model with --people."""
    video = str(args.video)
    if is_keypoints(video):
        if Path(video).suffix.lower() == ".npz":
            return load_people_npz(Path(video))
        track = load_keypoint_input(args)
        empty = replace(track, present=track.present & False)
        return PeopleTracks({0: track} if track.present.any() else {}, empty)
    return estimate_people(args)


def run(args: argparse.Namespace) -> int:
    check_writable(args.out, "--out")
    check_overlay(args)
    people = estimate_people(args)
    track = people.main
    save_people_npz(people, args.out)
    if args.overlay is not None:
        write_clip_overlay(args, track, None)
    found = int(track.present.sum())
    many = f" ({len(people.tracks)} person tracks)" if args.people > 1 else ""
    print(f"{args.out}: {track.num_frames} frames, person found on {found}{many}", file=sys.stderr)
    if found == 0:
        raise UsageError(
            f"no person found in {args.video} ({track.num_frames} frames); "
            "check that one whole body is in view and lit"
        )
    return 0
