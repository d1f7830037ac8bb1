"""Frame sources: where images come from (files, cameras; the Pi camera joins later)."""

from edge.sources.frame import Frame, FrameSource, SourceError
from edge.sources.opencv_source import open_source

__all__ = ["Frame", "FrameSource", "SourceError", "open_source"]
