"""Frame sources: the Pi camera (edge.sources.picamera, imported only when chosen), OpenCV
cameras, video files and streams."""

from edge.sources.frame import Frame, FrameSource, SourceError
from edge.sources.opencv_source import open_source

__all__ = ["Frame", "FrameSource", "SourceError", "open_source"]
