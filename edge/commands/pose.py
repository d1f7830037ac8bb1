"""`dancepose pose VIDEO --out FILE.npz`: keypoints of one person, frame by frame."""

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
from edge.keypoints_io import KeypointTrack, save_npz
from edge.pose.estimator import BACKENDS, create_estimator
from edge.pose.track import track_from_video
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


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pose", help="write per-frame BlazePose landmarks to .npz")
    parser.add_argument("video", help="video file, or a camera index")
    parser.add_argument("--out", type=Path, required=True, help="output .npz")
    parser.add_argument("--overlay", type=Path, help="also write OUT.webm with the skeleton")
    add_pose_model_options(parser)
    parser.set_defaults(run=run)


def estimate_track(args: argparse.Namespace) -> KeypointTrack:
    """Run the chosen backend over the whole source."""
    # The models first: a missing model file is reported even when the video is wrong too.
    estimator = create_estimator(
        args.backend, args.threads, args.detector_model, args.landmark_model, args.task
    )
    try:
        source = open_source(args.video)
        try:
            label = f"pose {Path(str(args.video)).name}"
            track = track_from_video(source, estimator, progress=label)
        finally:
            source.close()
    finally:
        estimator.close()
    return replace(track, source=str(args.video))


def load_track(args: argparse.Namespace) -> KeypointTrack:
    """Keypoints from a file when given one, else from running the pose model on video."""
    if is_keypoints(str(args.video)):
        return load_keypoint_input(args)
    return estimate_track(args)


def run(args: argparse.Namespace) -> int:
    check_writable(args.out, "--out")
    check_overlay(args)
    track = estimate_track(args)
    save_npz(track, args.out)
    if args.overlay is not None:
        write_clip_overlay(args, track, None)
    found = int(track.present.sum())
    print(f"{args.out}: {track.num_frames} frames, person found on {found}", file=sys.stderr)
    if found == 0:
        raise UsageError(
            f"no person found in {args.video} ({track.num_frames} frames); "
            "check that one whole body is in view and lit"
        )
    return 0
