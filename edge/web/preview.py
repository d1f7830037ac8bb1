"""The camera preview: frames with the skeleton drawn, as JPEG, for MJPEG viewers.

The loop thread only offers a frame (`offer`: a time check and two references, no copy,
no drawing, no encoding), and only while someone watches and a preview frame is due
(at most `fps` a second). One encoder thread draws the skeleton on a copy and encodes it;
every viewer gets the newest JPEG (a slow viewer skips frames, it never queues them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

from edge.overlay import draw_people

People = Sequence[tuple[int, np.ndarray]]  # (person id, (33, 4) landmarks) of each in view


@dataclass(frozen=True)
class Jpeg:
    seq: int
    data: bytes
    offered_at: float  # time.time() when the loop offered the frame (delay figures)


class Preview:
    def __init__(self, fps: float, quality: int) -> None:
        self.interval_s = 1.0 / fps
        self.quality = quality
        self._viewers = 0
        self._viewers_lock = threading.Lock()
        self._next_due = 0.0
        self._raw: tuple[np.ndarray, People | None, float] | None = None
        self._raw_ready = threading.Event()
        self._jpeg: Jpeg | None = None
        self._jpeg_cond = threading.Condition()
        self._stop = threading.Event()
        self.encoded = 0
        self._thread = threading.Thread(target=self._encode_loop, name="web-preview", daemon=True)
        self._thread.start()

    @property
    def viewers(self) -> int:
        return self._viewers

    def offer(self, image: np.ndarray, people: People | None) -> None:
        """Loop thread, every frame: hand the frame over if a viewer waits and one is due
        (people: everyone found on it, each skeleton drawn in their colour)."""
        if self._viewers == 0:
            return
        now = time.monotonic()
        if now + 0.25 * self.interval_s < self._next_due:
            return
        self._next_due = max(self._next_due + self.interval_s, now)
        self._raw = (image, people, time.time())
        self._raw_ready.set()

    @contextmanager
    def viewer(self) -> Iterator[None]:
        with self._viewers_lock:
            self._viewers += 1
        try:
            yield
        finally:
            with self._viewers_lock:
                self._viewers -= 1

    def next_jpeg(self, after_seq: int, timeout_s: float) -> Jpeg | None:
        """The newest JPEG newer than after_seq, waiting up to timeout_s; None if none came."""
        with self._jpeg_cond:
            self._jpeg_cond.wait_for(
                lambda: self._stop.is_set() or self._seq() > after_seq, timeout_s
            )
            jpeg = self._jpeg
        return jpeg if jpeg is not None and jpeg.seq > after_seq else None

    def _seq(self) -> int:
        return 0 if self._jpeg is None else self._jpeg.seq

    def close(self) -> None:
        self._stop.set()
        self._raw_ready.set()
        with self._jpeg_cond:
            self._jpeg_cond.notify_all()
        self._thread.join(5)

    def _encode_loop(self) -> None:
        seq = 0
        while not self._stop.is_set():
            self._raw_ready.wait()
            self._raw_ready.clear()
            raw, self._raw = self._raw, None
            if raw is None:
                continue
            image, people, offered_at = raw
            data = encode(image, people, self.quality)
            seq += 1
            with self._jpeg_cond:
                self._jpeg = Jpeg(seq, data, offered_at)
                self.encoded = seq
                self._jpeg_cond.notify_all()


def encode(image: np.ndarray, people: People | None, quality: int) -> bytes:
    """The frame with the skeletons drawn (on a copy: the loop's frame is not touched)."""
    canvas = draw_people(image.copy(), people or ())
    ok, data = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
