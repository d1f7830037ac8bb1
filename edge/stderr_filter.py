"""Drop native libraries' chatter from fd 2 while they start up, keep everything else.

TFLite prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." and OpenCV's FFmpeg
writer prints a tag warning straight to file descriptor 2, from C, on every run; no
environment variable turns either off. Around such a call, fd 2 goes to a temporary file;
afterwards every captured line goes back to stderr except those that start with one of
the given prefixes, so a real error (a missing op, a bad file) is still seen, only later.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


@contextmanager
def dropping_lines(prefixes: Sequence[bytes]) -> Iterator[None]:
    """Run the block with fd 2 captured; re-emit the lines that start with none of `prefixes`."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 (a detached process): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().splitlines(keepends=True)
            kept = [line for line in lines if not line.startswith(tuple(prefixes))]
            if kept:
                os.write(2, b"".join(kept))
