"""The error types a user can fix, gathered so the CLI prints them as one line each."""

from __future__ import annotations


def user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions whose message already names the thing and the fix (no traceback)."""
    from edge.config import ConfigError
    from edge.counting.pack import PackError
    from edge.dance.model import DanceModelError
    from edge.keypoints_io import KeypointFileError
    from edge.pose.mediapipe_backend import MediaPipeUnavailable
    from edge.pose.model_files import ModelFileError
    from edge.sources.frame import SourceError

    return (
        ConfigError, DanceModelError, KeypointFileError, MediaPipeUnavailable, ModelFileError, PackError,
        SourceError, UsageError,
    )  # fmt: skip


class UsageError(ValueError):
    """A command was given something it cannot use (no person in the video, bad option)."""
