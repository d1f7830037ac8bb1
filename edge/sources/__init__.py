"""Frame sources: OpenCV cameras, video files and streams (open_source), and the Pi camera
(edge.sources.picamera: its picamera2 library is imported only when one is opened)."""

from edge.sources.frame import Frame, FrameSource, SourceError
from edge.sources.opencv_source import open_source

__all__ = ["Frame", "FrameSource", "SourceError", "open_source"]
