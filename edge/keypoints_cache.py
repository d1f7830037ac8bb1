"""The one video -> keypoints cache: a folder of npz files, one per video, stride and backend.

The pose model is the slow part of everything that reads videos, so its keypoints are kept:
`make bench` (--cache), the tests' clip keypoints (DANCEPOSE_KEYPOINT_CACHE) and training's
extraction (training/extract.py, out/keypoints) all use this folder layout and these rules.
A file counts only if it loads, so a truncated or foreign one is redone; files are written
to a temporary name and renamed, so a killed run never leaves a half file that looks done.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from edge.errors import UserError
from edge.keypoints_io import load_npz, save_npz
from edge.pose.estimator import PoseEstimator
from edge.pose.result import KeypointTrack
from edge.pose.track import track_from_video

DEFAULT_BACKEND = "litert"
_TEMPORARY = ".*.npz.*.tmp"  # write_track's temporary names


def cache_path(
    video: Path, cache_dir: Path, stride: int = 1, backend: str = DEFAULT_BACKEND
) -> Path:
    """<stem>-<hash of the absolute path>[-s<stride>][-<backend>].npz.

    The hash keeps house/clip.mp4 and krump/clip.mp4 apart; a cache made with another stride
    or backend is never silently reused.
    """
    digest = hashlib.sha1(str(Path(video).resolve()).encode()).hexdigest()[:10]
    suffix = (f"-s{stride}" if stride != 1 else "") + (
        f"-{backend}" if backend != DEFAULT_BACKEND else ""
    )
    return Path(cache_dir) / f"{Path(video).stem}-{digest}{suffix}.npz"


def load_cached(target: Path) -> KeypointTrack | None:
    """The cached track, or None when there is none or it does not load (redo it then)."""
    try:
        if not target.is_file():
            return None
        track = load_npz(target)
    except (UserError, OSError, ValueError, EOFError, zipfile.BadZipFile):  # load_npz lets
        return None  # BadZipFile (a truncated archive) through
    return track if track.num_frames > 0 else None


def write_track(track: KeypointTrack, target: Path) -> None:
    """Into the cache: a temp file, then a rename, so a half file is never taken as done."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        save_npz(track, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def prepare(cache_dir: Path) -> Path:
    """Create the folder and drop the temporary files a killed run left there."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob(_TEMPORARY):
        stale.unlink(missing_ok=True)
    return cache_dir


def cached_track(
    video: Path, cache_dir: Path, stride: int = 1, backend: str = DEFAULT_BACKEND,
    estimator: PoseEstimator | None = None,
) -> KeypointTrack:  # fmt: skip
    """The video's keypoints from the cache, else by track_from_video, then cached."""
    target = cache_path(video, cache_dir, stride, backend)
    track = load_cached(target)
    if track is None:
        track = track_from_video(Path(video), estimator, backend=backend, stride=stride)
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        write_track(track, target)
    return track


def video_tracks(
    cache_dir: Path | None, backend: str = DEFAULT_BACKEND
) -> Callable[[Path], KeypointTrack]:
    """video -> its keypoints: through the cache in `cache_dir`, or computed every time when
    it is None."""
    if cache_dir is None:
        return lambda video: track_from_video(Path(video), backend=backend)
    return lambda video: cached_track(video, cache_dir, backend=backend)
