"""A one-line progress bar on a terminal, silent anywhere else (CI logs, pipes)."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO = sys.stderr) -> None:
        self.total = max(total, 0)
        self.label = label
        self._stream = stream
        self.enabled = stream.isatty() and not os.environ.get("CI")
        self._start = time.monotonic()
        self._last_draw = 0.0

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1 and done < self.total:
            return
        self._last_draw = now
        rate = done / max(now - self._start, 1e-9)
        if self.total:
            filled = int(30 * min(done / self.total, 1.0))
            bar = "#" * filled + "-" * (30 - filled)
            text = f"\r{self.label} [{bar}] {done}/{self.total} {rate:5.1f} fps"
        else:
            text = f"\r{self.label} {done} frames {rate:5.1f} fps"
        self._stream.write(text)
        self._stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._stream.write("\n")
            self._stream.flush()
