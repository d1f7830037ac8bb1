"""Reading a config: a file (load_config) or parsed TOML (config_from_dict) -> Config."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.config.errors import ConfigError
from edge.config.messages import issues, one_line, show
from edge.config.root import Config


def load_config(path: str | os.PathLike[str], check_paths: bool = True) -> Config:
    """Read and validate one config file; ConfigError (a line per mistake, each naming its
    key) if wrong.

    check_paths=False skips the checks that files and folders exist (checking a Pi's config
    elsewhere, tests); types, ranges and unknown keys are always checked.
    """
    config_path = Path(path)
    try:
        with config_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            "config file not found; give the path of a dancepose.toml "
            "(firmware_config/dancepose.toml is the documented default)",
            path=config_path,
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError("is a folder; give the path of a .toml file", path=config_path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror or exc})", path=config_path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text; save the file as UTF-8", path=config_path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"not valid TOML: {one_line(str(exc))}; check quotes around strings "
            "and [table] headers",
            path=config_path,
        ) from exc
    base_dir = Path(os.path.abspath(config_path)).parent
    try:
        config = config_from_dict(data, base_dir, check_paths=check_paths)
    except ConfigError as exc:
        exc.path = config_path
        raise
    return config.model_copy(update={"config_path": config_path})


def config_from_dict(
    data: Mapping[str, Any], base_dir: Path | None = None, check_paths: bool = True
) -> Config:
    """Validate parsed TOML; relative paths resolve against base_dir (default: cwd)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"expected TOML tables at the top, got {show(data)}")
    context = {"base_dir": Path.cwd() if base_dir is None else base_dir, "check_paths": check_paths}
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError.of(issues(exc, Config)) from exc
