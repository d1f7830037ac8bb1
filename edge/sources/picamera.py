"""The Raspberry Pi camera through picamera2 (libcamera), imported only when one is opened.

picamera2 comes from Debian (python3-picamera2), not from pip: the venv on the Pi is made
with --system-site-packages. On any other machine this module imports fine and only
fails, with one clear line, when a picamera2 source is actually opened.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from edge.sources.frame import Frame, SourceError


class PiCameraSource:
    def __init__(self, width: int, height: int, fps: float) -> None:
        """The size and rate requested; their defaults are the config's (source table)."""
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise SourceError(
                "picamera2 is not available; on Raspberry Pi OS run `sudo apt install "
                "python3-picamera2` and create the venv with --system-site-packages"
            ) from exc
        self.description = "Pi camera"
        self.width, self.height, self.fps, self.frame_count = width, height, float(fps), 0
        try:
            self._camera = Picamera2()
            # "RGB888" is B, G, R in memory: exactly OpenCV's BGR, no conversion needed.
            config = self._camera.create_video_configuration(
                main={"size": (width, height), "format": "RGB888"},
                controls={"FrameRate": float(fps)},
            )
            self._camera.configure(config)
            self._camera.start()
        except (RuntimeError, IndexError, OSError) as exc:
            raise SourceError(
                f"Pi camera could not be started ({exc}); check the ribbon cable and the "
                "camera lines in /boot/firmware/config.txt (firmware_config/config.txt.snippet)"
            ) from exc

    def frames(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while True:
            try:
                image = self._camera.capture_array("main")
            except (RuntimeError, OSError) as exc:
                raise SourceError(f"Pi camera stopped delivering frames ({exc})") from exc
            yield Frame(image=image, index=index, timestamp_s=time.monotonic() - start)
            index += 1

    def close(self) -> None:
        try:
            self._camera.stop()
            self._camera.close()
        except (RuntimeError, OSError, AttributeError):
            pass
