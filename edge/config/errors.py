"""ConfigError: the mistakes of one config file, a line each naming its key and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from edge.errors import UserError


class ConfigError(UserError, ValueError):
    """The mistakes of one config file: one line each, naming the key (dotted) and the fix.

    `issues` holds (dotted key, message) pairs in file order; `key` and `message` are the
    first key and all messages, one per line. The key is None for a file that is not TOML
    at all. `path` is the file, when the config came from one: every line of str() then
    starts "PATH: ".
    """

    def __init__(self, message: str, key: str | None = None, path: Path | None = None) -> None:
        super().__init__(message)
        self.issues: list[tuple[str | None, str]] = [(key, message)]
        self.path = path

    @classmethod
    def of(cls, issues: Sequence[tuple[str | None, str]]) -> ConfigError:
        error = cls(issues[0][1], issues[0][0])
        error.issues = list(issues)
        return error

    @property
    def key(self) -> str | None:
        return self.issues[0][0]

    @property
    def keys(self) -> list[str | None]:
        return [key for key, _ in self.issues]

    @property
    def message(self) -> str:
        return "\n".join(message for _, message in self.issues)

    def __str__(self) -> str:
        prefix = "" if self.path is None else f"{self.path}: "
        return "\n".join(prefix + message for _, message in self.issues)
