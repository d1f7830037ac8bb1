"""Keep only the newest frame: when inference is slower than the camera, skip stale frames.

A live camera delivers frames whether or not we keep up. Queueing them would grow latency
without bound; processing the newest one keeps it at one frame's inference time. A reader
thread pulls frames from the source continuously; `next_frame()` hands out the newest one
not yet seen and counts the ones overwritten unseen as dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from edge.sources.frame import Frame, FrameSource, SourceError


class LatestFrame:
    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.dropped = 0
        self._frame: Frame | None = None
        self._fresh = False
        self._error: BaseException | None = None
        self._ended = False
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="frame-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for frame in self.source.frames():
                with self._condition:
                    if self._fresh:
                        self.dropped += 1
                    self._frame, self._fresh = frame, True
                    self._condition.notify()
                if self._stop.is_set():
                    return
        except (SourceError, OSError, RuntimeError) as exc:
            self._error = exc
        finally:
            with self._condition:
                self._ended = True
                self._condition.notify()

    def next_frame(
        self, timeout_s: float = 5.0, idle: Callable[[], None] | None = None,
        idle_every_s: float = 0.2,
    ) -> Frame | None:  # fmt: skip
        """The newest unseen frame; None when the stream ended; SourceError when it broke
        or stalled for `timeout_s` (a camera that is gone). idle(): called every
        `idle_every_s` of waiting (the loop applies commands meanwhile)."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while not self._condition.wait_for(
                lambda: self._fresh or self._ended,
                min(idle_every_s, deadline - time.monotonic()) if idle else timeout_s,
            ):
                if time.monotonic() >= deadline or idle is None:
                    raise SourceError(f"{self.source.description}: no frame for {timeout_s:.0f} s")
                self._condition.release()
                try:
                    idle()
                finally:
                    self._condition.acquire()
            if self._fresh:
                self._fresh = False
                return self._frame
        if self._error is not None:
            raise SourceError(f"{self.source.description}: {self._error}")
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.source.close()
