"""Video files, OpenCV camera indices and RTSP/HTTP streams behind one FrameSource."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2

from edge.sources.frame import Frame, FrameSource, SourceError

DEFAULT_CAMERA_FPS = 30.0


class OpenCvSource:
    """Reads frames through cv2.VideoCapture.

    Files are stamped index / fps (container timestamps are unreliable across codecs, and
    a file replays at its nominal rate); live cameras and streams are stamped with the
    monotonic clock. A looped file restarts at its end and its clock keeps counting.
    """

    def __init__(self, spec: str | int, loop: bool = False) -> None:
        self.is_live = isinstance(spec, int) or "://" in str(spec)
        self.loop = loop and not self.is_live
        kind = "camera" if isinstance(spec, int) else ("stream" if self.is_live else "video")
        self.description = f"{kind} {spec}"
        if not self.is_live and not Path(str(spec)).is_file():
            raise SourceError(f"{self.description} not found; check the path")
        self._capture = cv2.VideoCapture(spec)
        if not self._capture.isOpened():
            fix = "is it plugged in and reachable?" if self.is_live else "is it a readable video?"
            raise SourceError(f"{self.description} could not be opened; {fix}")
        ok, first = self._capture.read()
        if not ok or first is None:
            self._capture.release()
            if self.is_live:
                fix = "check the cable, the address and permissions"
            else:
                fix = "the file is empty or corrupt; re-encode it (ffmpeg -i IN -c:v libx264 OUT)"
            raise SourceError(f"{self.description} gave no frames; {fix}")
        self._first = first
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1e-3 < fps < 1000 else DEFAULT_CAMERA_FPS
        self.height, self.width = first.shape[:2]
        count = 0 if self.is_live else self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = 0 if self.loop else max(int(count or 0), 0)

    def frames(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        image, self._first = self._first, None  # do not pin a full frame for the stream's life
        while image is not None:
            stamp = time.monotonic() - start if self.is_live else index / self.fps
            yield Frame(image=image, index=index, timestamp_s=stamp)
            index += 1
            ok, image = self._capture.read()
            if not ok and self.loop:
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self._capture.read()
            if not ok:
                image = None

    def close(self) -> None:
        self._capture.release()


def open_source(spec: str | int, loop: bool = False) -> FrameSource:
    """A camera for an integer (or a string of digits), a stream for a URL, else a file."""
    if isinstance(spec, str) and spec.isdigit():
        spec = int(spec)
    return OpenCvSource(spec, loop=loop)
