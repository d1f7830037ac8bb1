"""--overlay videos: the skeleton, and the count, exercise or genre, drawn on every frame.

The file is WebM with VP8, which every current browser plays. H.264 would be the other
choice, but the PyPI OpenCV builds carry no H.264 encoder (opening an 'avc1' writer fails),
and VP9 encodes about six times slower than VP8 there.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from edge.errors import UsageError
from edge.keypoints_io import KeypointTrack
from edge.modes import NO_EXERCISE
from edge.skeleton import BONES, JOINT, MIN_VISIBILITY
from edge.sources import open_source
from edge.stderr_filter import dropping_lines

# Each person's colour, by id (the pose tracker's): their skeleton here and in the camera
# preview, and their tile on the kiosk page (edge/app/state.py hands it to the page).
# RGB hex; person 0 has the single-person skeleton's green.
PERSON_COLORS = ("#50dc50", "#ff9f1c", "#4cc9f0", "#f15bb5", "#fee440", "#b388ff")
JOINT_COLOR = (40, 40, 240)  # BGR
TEXT_COLOR = (255, 255, 255)
BOX_COLOR = (32, 32, 32)
CANVAS_COLOR = (48, 48, 48)  # the background when there is no video, only keypoints

OVERLAY_SUFFIX = ".webm"
FOURCC = "VP80"
# OpenCV's FFmpeg writer says "tag 'VP80' is not supported with codec id 139 and format
# 'webm'" and then uses VP8 anyway; the warning is only noise.
WRITER_CHATTER = (b"OpenCV: FFMPEG: tag 0x",)

Caption = Callable[[int], Sequence[str]]  # frame index -> the lines drawn on that frame


def person_color(person: int) -> str:
    """A person's colour, RGB hex (ids past the palette reuse it in turn)."""
    return PERSON_COLORS[person % len(PERSON_COLORS)]


def _bgr(color: str) -> tuple[int, int, int]:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return blue, green, red


BONE_COLOR = _bgr(PERSON_COLORS[0])


def draw_people(image: np.ndarray, people: Iterable[tuple[int, np.ndarray]]) -> np.ndarray:
    """Each person's skeleton in their colour and, with more than one, their id above the
    head (the id their page tile shows); returns `image`."""
    people = list(people)
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, max(0.9, image.shape[0] / 400)
    thickness = max(2, round(scale * 2))
    for person, landmarks in people:
        color = _bgr(person_color(person))
        draw_skeleton(image, landmarks, color)
        if len(people) < 2:
            continue
        shown = np.isfinite(landmarks[:, 1]) & (np.nan_to_num(landmarks[:, 3]) >= MIN_VISIBILITY)
        if shown.any():
            x = int(np.nanmedian(landmarks[shown, 0]))
            y = int(np.nanmin(landmarks[shown, 1]) - 12 * scale)
            origin = (x, max(y, int(24 * scale)))
            cv2.putText(image, str(person), origin, font, scale, color, thickness, cv2.LINE_AA)
    return image


def draw_skeleton(
    image: np.ndarray, landmarks: np.ndarray | None, color: tuple[int, int, int] = BONE_COLOR
) -> np.ndarray:
    """Draw bones (in `color`, BGR) and joints whose visibility passes MIN_VISIBILITY;
    returns `image`."""
    if landmarks is None or not np.isfinite(landmarks[:, :2]).any():
        return image
    thickness = max(2, round(min(image.shape[:2]) / 240))
    shown = np.isfinite(landmarks[:, 0]) & (np.nan_to_num(landmarks[:, 3]) >= MIN_VISIBILITY)
    points = np.nan_to_num(landmarks[:, :2]).round().astype(int)
    for a, b in BONES:
        ia, ib = JOINT[a], JOINT[b]
        if shown[ia] and shown[ib]:
            cv2.line(image, tuple(points[ia]), tuple(points[ib]), color, thickness)
    for i in np.flatnonzero(shown):
        cv2.circle(image, tuple(points[i]), thickness + 1, JOINT_COLOR, -1)
    return image


def draw_caption(image: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """Write `lines` top left, white on a dark box; returns `image`."""
    if not lines:
        return image
    scale = max(0.5, image.shape[0] / 720)
    thickness = max(1, round(scale * 2))
    font = cv2.FONT_HERSHEY_SIMPLEX
    sizes = [cv2.getTextSize(line, font, scale, thickness)[0] for line in lines]
    line_height = max(h for _, h in sizes) * 2
    margin = line_height // 3
    width = max(w for w, _ in sizes) + 2 * margin
    cv2.rectangle(image, (0, 0), (width, line_height * len(lines) + margin), BOX_COLOR, -1)
    for row, line in enumerate(lines, start=1):
        origin = (margin, row * line_height - margin // 2)
        cv2.putText(image, line, origin, font, scale, TEXT_COLOR, thickness, cv2.LINE_AA)
    return image


def count_caption(times_s: np.ndarray, exercise: str, rep_times_s: Sequence[float]) -> Caption:
    """'squat: 2 reps' on each frame: the reps completed by that frame's time."""
    reps = sorted(rep_times_s)

    def lines(index: int) -> list[str]:
        if exercise == NO_EXERCISE:
            return ["no exercise recognised"]
        done = bisect.bisect_right(reps, float(times_s[index]) + 1e-9)
        return [f"{exercise}: {done} rep" + ("" if done == 1 else "s")]

    return lines


def genre_caption(times_s: np.ndarray, windows: Sequence[tuple[float, str, float]]) -> Caption:
    """The genre of the newest window ending by each frame: (time_s, genre, confidence)."""
    ends = [time_s for time_s, _, _ in windows]

    def lines(index: int) -> list[str]:
        newest = bisect.bisect_right(ends, float(times_s[index]) + 1e-9) - 1
        if newest < 0:
            return ["genre: (first window not full yet)"]
        _, genre, confidence = windows[newest]
        return [f"genre: {genre} ({confidence:.2f})"]

    return lines


def check_overlay_path(path: Path) -> None:
    """The one overlay format: refuse any other extension before minutes of work."""
    if path.suffix.lower() != OVERLAY_SUFFIX:
        raise UsageError(
            f"--overlay {path}: overlays are WebM (VP8), which browsers play; "
            f"name it {path.with_suffix(OVERLAY_SUFFIX).name}"
        )


def backgrounds(track: KeypointTrack, video: str | None) -> Iterator[np.ndarray]:
    """The video's frames, or a plain canvas of the track's size when there is only
    keypoints (a .npz, .npy or OpenPose folder)."""
    if video is None:
        for _ in range(track.num_frames):
            yield np.full((track.height, track.width, 3), CANVAS_COLOR, np.uint8)
        return
    source = open_source(video)
    try:
        for frame in source.frames():
            yield frame.image
    finally:
        source.close()


def write_overlay(
    path: Path, track: KeypointTrack, images: Iterable[np.ndarray], caption: Caption | None = None
) -> int:
    """Draw each frame's skeleton (and caption) on `images`, write them to `path` as VP8
    WebM at the track's frame rate; returns the frames written."""
    check_overlay_path(path)
    size = (track.width, track.height)
    with dropping_lines(WRITER_CHATTER):
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC), track.fps, size)
    if not writer.isOpened():
        raise UsageError(
            f"--overlay {path}: this OpenCV build cannot write VP8 WebM; "
            "install opencv-python-headless from PyPI"
        )
    written = 0
    try:
        for index, image in zip(range(track.num_frames), images, strict=False):
            draw_skeleton(image, track.landmarks[index] if track.present[index] else None)
            if caption is not None:
                draw_caption(image, caption(index))
            writer.write(image)
            written += 1
    finally:
        writer.release()
    return written
