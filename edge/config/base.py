"""What the tables share: the Table base, and the value types several keys use (paths
resolved against the config file's folder, files checked to exist, stream URLs).

The context of a validation (config_from_dict's base_dir and check_paths) reaches the
validators here; code that builds a model itself gives none: its paths are taken as they
are and not checked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from edge.config.errors import ConfigError
from edge.config.messages import fail, issues, one_line, show

URL_SCHEMES = ("rtsp", "rtsps", "http", "https")


class Table(BaseModel):
    """What every table shares: unknown keys are errors, no type coercion (TOML has types:
    "1883" is not a port, 1 is not true), and values never change after loading."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    def replace(self, **changes: Any) -> Self:
        """A copy with some values changed, validated again (dataclasses.replace, checked)."""
        try:
            return type(self).model_validate({**dict(self), **changes})
        except ValidationError as exc:
            raise ConfigError.of(issues(exc, type(self))) from exc


def context(info: ValidationInfo) -> tuple[Path | None, bool]:
    """(base_dir, check_paths) from config_from_dict; ({}, False) for code's own models."""
    given = info.context if isinstance(info.context, Mapping) else {}
    return given.get("base_dir"), bool(given.get("check_paths", False))


def missing(
    info: ValidationInfo, path: Path, kind: str, given: bool, key: str = "", fix: str = ""
) -> str:
    """Why `path` is not an existing file (or folder, per kind); "" when it is, or when
    paths are not checked. `given`: set in the file (else it is the default of `key`)."""
    base_dir, check_paths = context(info)
    if not check_paths:
        return ""
    shown = str(path) if str(path).isprintable() else repr(str(path))  # one line, always
    try:
        ok = path.is_dir() if kind == "folder" else path.is_file()
    except (OSError, ValueError) as exc:
        return f"cannot check {shown} ({one_line(str(exc))})"
    if ok:
        return ""
    where = (
        f" (relative paths are resolved against {base_dir})"
        if given
        else f" (the default; set {key} to another place)"
    )
    return f"{kind} not found: {shown}{where}{fix}"


def _path(value: Any, info: ValidationInfo) -> Path:
    """A path, made absolute against the config file's folder (a Path from code is kept)."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        raise fail(f"expected a path (a quoted string), got {show(value)}")
    if "\0" in value:
        raise fail("a path cannot contain a NUL character")
    path = Path(value)
    if value.startswith("~"):
        try:
            path = path.expanduser()
        except RuntimeError as exc:
            raise fail(f"cannot expand {value!r} ({exc}); give an absolute path") from exc
    base_dir, _ = context(info)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return Path(os.path.normpath(path)) if base_dir is not None else path


def _file(value: Any, info: ValidationInfo) -> Path:
    """A path that must name an existing file (checked when paths are checked)."""
    path = _path(value, info)
    problem = missing(info, path, "file", given=True)
    if problem:
        raise fail(problem)
    return path


def _url(value: Any) -> str:
    ok = isinstance(value, str) and bool(value.strip())
    try:
        parts = urlsplit(value) if ok else None
        ok = parts is not None and parts.scheme in URL_SCHEMES and bool(parts.hostname)
        ok = ok and not any(c.isspace() for c in value)
    except ValueError:
        ok = False
    if not ok:
        shown = redact_url(value) if isinstance(value, str) else value
        raise fail(
            f"expected an rtsp://, rtsps://, http:// or https:// URL with a host, got {show(shown)}"
        )
    return str(value)


def redact_url(url: str) -> str:
    """A URL without its password (camera URLs often carry one), for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return "<unparsable URL>"


ConfigPath = Annotated[Path, BeforeValidator(_path)]
ExistingFile = Annotated[Path, BeforeValidator(_file)]
Url = Annotated[str, BeforeValidator(_url)]
