"""Writing TOML for Config.to_toml(): tomllib reads it, the stdlib has no writer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dumps_toml(tables: Mapping[str, Any]) -> str:
    """TOML text for our shape: top-level scalars, then one level of tables of scalars."""
    scalars = [f"{key} = {_toml_value(v)}" for key, v in tables.items() if not isinstance(v, dict)]
    lines = [*scalars]
    for name, table in tables.items():
        if isinstance(table, dict):
            lines.append("")
            lines.append(f"[{name}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _toml_string(text: str) -> str:
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
    short["\r"] = "\\r"
    out = []
    for char in text:
        if char in short:
            out.append(short[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
