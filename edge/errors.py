"""The one marker for errors a user can fix; the CLI prints them as a single line.

Every such error's message already names the thing (file, key, device) and the fix, so a
traceback would only bury it.
"""

from __future__ import annotations


class UserError(Exception):
    """Mixed into each module's own error type (ConfigError, SourceError, ...)."""


class UsageError(UserError, ValueError):
    """A command was given something it cannot use (no person in the video, bad option)."""
