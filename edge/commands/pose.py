"""`dancepose pose VIDEO --out FILE.npz`: keypoints of one person, frame by frame."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import cv2

from edge.errors import UsageError
from edge.keypoints_io import KeypointTrack, load_keypoints, save_npz
from edge.overlay import draw_skeleton
from edge.pose.estimator import BACKENDS, create_estimator
from edge.pose.result import PoseResult
from edge.pose.track import track_from_video
from edge.sources import Frame, open_source


def add_pose_model_options(parser: argparse.ArgumentParser) -> None:
    """Backend and model options shared by every command that runs the pose model."""
    parser.add_argument("--backend", choices=BACKENDS, default="litert")
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads (litert)")
    parser.add_argument("--task", type=Path, help="a MediaPipe .task bundle to use instead")
    parser.add_argument("--detector-model", type=Path, help="pose_detection.tflite to use")
    parser.add_argument("--landmark-model", type=Path, help="pose_landmark_*.tflite to use")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pose", help="write per-frame BlazePose landmarks to .npz")
    parser.add_argument("video", help="video file, or a camera index")
    parser.add_argument("--out", type=Path, required=True, help="output .npz")
    parser.add_argument("--overlay", type=Path, help="also write the video with the skeleton")
    add_pose_model_options(parser)
    parser.set_defaults(run=run)


def estimate_track(args: argparse.Namespace, overlay: Path | None = None) -> KeypointTrack:
    """Run the chosen backend over the whole source; optionally write an overlay video."""
    # The models first: a missing model file is reported even when the video is wrong too.
    estimator = create_estimator(
        args.backend, args.threads, args.detector_model, args.landmark_model, args.task
    )
    writer = None
    try:
        source = open_source(args.video)
        if overlay is not None:
            overlay.parent.mkdir(parents=True, exist_ok=True)
            fourcc = cv2.VideoWriter_fourcc(*"mp4v")
            size = (source.width, source.height)
            writer = cv2.VideoWriter(str(overlay), fourcc, source.fps, size)

        def draw(frame: Frame, result: PoseResult | None) -> None:
            if writer is not None:
                landmarks = None if result is None else result.landmarks
                writer.write(draw_skeleton(frame.image.copy(), landmarks))

        try:
            label = f"pose {Path(str(args.video)).name}"
            track = track_from_video(source, estimator, progress=label, on_frame=draw)
        finally:
            source.close()
    finally:
        estimator.close()
        if writer is not None:
            writer.release()
    return replace(track, source=str(args.video))


def load_track(args: argparse.Namespace) -> KeypointTrack:
    """Keypoints from a file when given one, else from running the pose model on video."""
    if str(args.video).endswith(".npz"):
        return load_keypoints(Path(args.video))
    return estimate_track(args)


def run(args: argparse.Namespace) -> int:
    track = estimate_track(args, args.overlay)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_npz(track, args.out)
    found = int(track.present.sum())
    print(f"{args.out}: {track.num_frames} frames, person found on {found}", file=sys.stderr)
    if found == 0:
        raise UsageError(
            f"no person found in {args.video} ({track.num_frames} frames); "
            "check that one whole body is in view and lit"
        )
    return 0
