"""Video -> keypoint tracks: the one loop that runs a pose estimator over a whole clip.

`dancepose pose`, the counting bench, the backend agreement figures, training's extraction
and pack building all call track_from_video (one person) or people_from_video (everyone);
none of them opens a source and loops itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.pose.estimator import PoseEstimator, create_estimator
from edge.pose.result import KeypointTrack, PeopleTracks, PoseResult
from edge.progress import Progress
from edge.sources.frame import Frame, FrameSource
from edge.sources.opencv_source import OpenCvSource, open_source

OnFrame = Callable[[Frame, list[PoseResult]], None]


def track_from_video(
    video: Path | str | int | FrameSource,
    estimator: PoseEstimator | None = None,
    **options: Any,
) -> KeypointTrack:
    """One person's keypoints over the clip: people_from_video's main track (with one
    person tracked, as the default estimator does, that person's). Same arguments."""
    return people_from_video(video, estimator, **options).main


def people_from_video(
    video: Path | str | int | FrameSource,
    estimator: PoseEstimator | None = None,
    *,
    backend: str = "litert",
    threads: int = 2,
    detector_model: Path | None = None,
    landmark_model: Path | None = None,
    task: Path | None = None,
    max_people: int = 1,
    stride: int = 1,
    progress: str | None = None,
    on_frame: OnFrame | None = None,
) -> PeopleTracks:
    """Everyone's keypoints over every `stride`-th frame of `video`, a track per person id.

    video: a Path is always a file (a file named "0" is not a camera); a str or int goes
    through open_source (digits = a camera, a URL = a stream); an open FrameSource is read
    and left open for its owner (who may need its fps and size, e.g. for an overlay).
    estimator: one to reuse (it is reset first: tracking state must not carry over from
    another clip) and left open; else one is built from backend, threads and the model
    paths (None = `make models`' files) and max_people, and closed at the end.
    stride N: every Nth frame, the track's fps divided by N so its times stay right; the
    frames keep their real timestamps, so the estimator's smoothing sees true time.
    progress: the label of a terminal progress bar (None: no bar).
    on_frame(frame, people): called for each processed frame, e.g. to draw an overlay.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    owned = estimator is None
    if estimator is None:
        estimator = create_estimator(
            backend, threads, detector_model, landmark_model, task, max_people
        )
    else:
        estimator.reset()
    try:
        if isinstance(video, Path | str | int):
            source = OpenCvSource(str(video)) if isinstance(video, Path) else open_source(video)
            try:
                return _track(source, estimator, str(video), stride, progress, on_frame)
            finally:
                source.close()
        return _track(video, estimator, video.description, stride, progress, on_frame)
    finally:
        if owned:
            estimator.close()


def _track(
    source: FrameSource, estimator: PoseEstimator, name: str, stride: int,
    progress: str | None, on_frame: OnFrame | None,
) -> PeopleTracks:  # fmt: skip
    bar = Progress(-(-source.frame_count // stride), progress) if progress is not None else None
    frames: list[list[PoseResult]] = []
    try:
        for frame in source.frames():
            if frame.index % stride:
                continue
            people = estimator.process(frame)
            frames.append(people)
            if on_frame is not None:
                on_frame(frame, people)
            if bar is not None:
                bar.update(len(frames))
    finally:
        if bar is not None:
            bar.close()
    return PeopleTracks.from_frames(
        frames, source.fps / stride, source.width, source.height, name, estimator.name
    )
