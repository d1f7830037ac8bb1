"""What `count` and `dance` take: a video, or keypoints another run or tool wrote.

Keypoints: our .npz (`dancepose pose`), a COCO-17 .npy (T, 17, 2|3) such as AIST++'s, or a
folder of OpenPose BODY_25 *_keypoints.json (edge/keypoints_io.py). The last two carry no
frame rate, so --fps is needed. MediaPipe pose-classification CSVs are refused: each row is
a separate photo, not a frame of a clip, so there is nothing to count or classify over
time; they are what exercise packs are built from.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from edge.commands.options import check_writable, frame_size, positive_float
from edge.errors import UsageError
from edge.keypoints_io import KeypointTrack, load_keypoints
from edge.overlay import Caption, backgrounds, check_overlay_path, write_overlay
from edge.sources import open_source

INPUT_HELP = (
    "video file, or keypoints: a `dancepose pose` .npz, a COCO-17 .npy (T, 17, 2|3) or a "
    "folder of OpenPose *_keypoints.json"
)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The clip argument, the options keypoint files without a header need, and --overlay."""
    parser.add_argument("video", help=INPUT_HELP)
    parser.add_argument(
        "--fps", type=positive_float, help="frame rate of a .npy or OpenPose folder (AIST++: 60)"
    )
    parser.add_argument(
        "--size", type=frame_size, metavar="WxH",
        help="image size of a .npy or OpenPose folder (default: the keypoints' extent)",
    )  # fmt: skip
    parser.add_argument(
        "--overlay", type=Path, help="also write OUT.webm: the clip with skeleton and result"
    )


def is_keypoints(video: str) -> bool:
    path = Path(video)
    return path.suffix.lower() in (".npz", ".npy", ".csv") or path.is_dir()


def clip_duration_s(video: str) -> float | None:
    """A video file's length from its header, before any pose estimation; None for
    keypoints (cheap to load and measure) and for cameras and streams."""
    if is_keypoints(video) or not Path(video).is_file():
        return None
    source = open_source(video)
    try:
        return source.frame_count / source.fps if source.frame_count else None
    finally:
        source.close()


def check_overlay(args: argparse.Namespace) -> None:
    """Refuse an --overlay that cannot be written, before the clip is processed."""
    if args.overlay is None:
        return
    check_overlay_path(args.overlay)
    video = str(args.video)
    if not is_keypoints(video) and not Path(video).is_file():
        raise UsageError(
            f"--overlay: {video} is not a video file; a camera or stream cannot be "
            "replayed to draw on, so record it first"
        )
    check_writable(args.overlay, "--overlay")


def write_clip_overlay(
    args: argparse.Namespace, track: KeypointTrack, caption: Caption | None
) -> None:
    """The overlay of this clip: on the video's frames, or on a plain canvas for keypoints."""
    video = None if is_keypoints(str(args.video)) else str(args.video)
    write_overlay(args.overlay, track, backgrounds(track, video), caption)


def load_keypoint_input(args: argparse.Namespace) -> KeypointTrack:
    """The track in a keypoints file named by args.video (is_keypoints is true)."""
    path = Path(args.video)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raise UsageError(
            f"{path}: a pose CSV holds one pose per photo, not the frames of a clip, so there "
            "is nothing to count over time; build an exercise pack from it instead "
            "(`python -m training.packs from-csv NAME --up UP.csv --down DOWN.csv`)"
        )
    if suffix == ".npz":
        return load_keypoints(path)
    if args.fps is None:
        kind = "an OpenPose folder" if path.is_dir() else "a COCO-17 .npy"
        raise UsageError(f"{path}: {kind} carries no frame rate; pass --fps (AIST++: 60)")
    width, height = args.size or (1, 1)
    track = load_keypoints(path, args.fps, width, height)
    return track if args.size else _fit_size(track)


def _fit_size(track: KeypointTrack) -> KeypointTrack:
    """The image size as the keypoints' extent, for keypoints that do not carry one."""
    xy = track.landmarks[..., :2].reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return track
    width, height = (max(int(np.ceil(edge)), 1) for edge in xy.max(axis=0))
    return replace(track, width=width, height=height)
