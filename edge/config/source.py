"""[source]: where frames come from (the Pi camera, an OpenCV camera, a file, a stream)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, ValidationInfo, model_validator

from edge.config.base import ConfigPath, Table, Url, missing, redact_url
from edge.config.messages import raise_issues

SourceKind = Literal["picamera2", "camera", "file", "url"]


class SourceConfig(Table):
    """Where frames come from. Only the keys of the chosen kind matter; others are ignored.

    The capture size and rate are declared here only: every source is opened with them."""

    kind: SourceKind = Field(
        "picamera2",
        description="picamera2 (the Pi camera), camera (OpenCV /dev/video<N>), file or url",
    )
    camera_index: int = Field(0, ge=0, le=63, description='kind = "camera": /dev/video<N>')
    path: ConfigPath | None = Field(None, description='kind = "file": the video file')
    url: Url | None = Field(None, description='kind = "url": an rtsp(s):// or http(s):// URL')
    loop: bool = Field(False, description='kind = "file": start again at the end (demos)')
    # Requests, not guarantees: the camera picks its nearest mode. BlazePose sees 256x256,
    # so 640x480 loses nothing and costs a Pi far less than 1280x720 to capture and resize.
    width: int = Field(640, ge=32, le=8192, description="requested capture width, pixels")
    height: int = Field(480, ge=32, le=8192, description="requested capture height, pixels")
    fps: float = Field(30.0, gt=0, le=240, allow_inf_nan=False, description="requested rate")

    @model_validator(mode="after")
    def _what_the_kind_needs(self, info: ValidationInfo) -> Self:
        issues = []
        if self.kind == "file" and self.path is None:
            issues.append(
                ("path", 'required when source.kind = "file"; give the video file\'s path')
            )
        elif self.kind == "file" and self.path is not None:
            problem = missing(info, self.path, "file", given=True)
            issues += [("path", problem)] if problem else []
        if self.kind == "url" and self.url is None:
            issues.append(
                ("url", 'required when source.kind = "url"; give an rtsp:// or http:// URL')
            )
        raise_issues(issues)
        return self

    def describe(self) -> str:
        size = f"{self.width}x{self.height}@{self.fps:g}"
        if self.kind == "picamera2":
            return f"picamera2 {size}"
        if self.kind == "camera":
            return f"camera {self.camera_index} {size}"
        if self.kind == "file":
            return f"file {self.path}" + (" (looped)" if self.loop else "")
        return f"url {redact_url(str(self.url))}"
