"""Parse and validate a command from the cmd topic: untrusted bytes in, a frozen dataclass out.

Anyone who can publish to the broker can send these, so the parser is strict and total:
whatever the bytes, it returns a command or raises CommandError with one message that
says what was wrong (that message goes back on cmd/result). Unknown fields are errors,
not ignored, so a typo ("mdoe") is reported instead of silently doing nothing.

    {"action": "set_mode", "mode": "<a mode of edge/modes.py: count, dance, both>"}
    {"action": "set_exercise", "exercise": "<installed pack>"}
    {"action": "reset_count"}
    {"action": "start_session", "session_id": "<optional; the app makes one>"}
    {"action": "end_session"}
    {"action": "set_routine", "routine": "<a recorded routine's name>"}

Every command may carry "request_id" (a string), echoed in the reply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, get_args

from edge.modes import MODE_TABLE

MAX_COMMAND_BYTES = 4096
MAX_ID_CHARS = 128
MAX_EXERCISE_CHARS = 64

ExerciseCheck = Collection[str] | Callable[[str], bool]


class CommandError(ValueError):
    """A command that cannot be carried out; str(error) is the reply's error text.

    request_id is set when the payload was readable enough to have one, so even a
    rejected command's reply can be matched by its sender."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class _Command:
    """A command's fields are its dataclass fields: a field without a default is
    required, and each is checked by the `_check_<field>` function of this module.
    as_dict: the command as understood, for the reply's "command" field (request_id
    is left out: the reply carries it at the top level)."""

    action: ClassVar[str]

    def arguments(self) -> dict[str, Any]:
        """The fields the command carries out (what the device's method takes)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        values.pop("request_id", None)
        return values

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, **self.arguments()}


@dataclass(frozen=True)
class SetMode(_Command):
    action: ClassVar[str] = "set_mode"
    mode: str
    request_id: str | None = None


@dataclass(frozen=True)
class SetExercise(_Command):
    action: ClassVar[str] = "set_exercise"
    exercise: str
    request_id: str | None = None


@dataclass(frozen=True)
class ResetCount(_Command):
    action: ClassVar[str] = "reset_count"
    request_id: str | None = None


@dataclass(frozen=True)
class StartSession(_Command):
    action: ClassVar[str] = "start_session"
    session_id: str | None = None  # absent: the app makes one
    request_id: str | None = None


@dataclass(frozen=True)
class EndSession(_Command):
    action: ClassVar[str] = "end_session"
    request_id: str | None = None


@dataclass(frozen=True)
class SetRoutine(_Command):
    action: ClassVar[str] = "set_routine"
    routine: str  # a routine recorded on the device (checked when applied)
    request_id: str | None = None


Command = SetMode | SetExercise | ResetCount | StartSession | EndSession | SetRoutine
COMMANDS: dict[str, type[Command]] = {c.action: c for c in get_args(Command)}
ACTIONS = tuple(COMMANDS)
# action -> {field: required}; "action" and "request_id" are allowed everywhere.
FIELDS: dict[str, dict[str, bool]] = {
    action: {f.name: f.default is MISSING for f in fields(command) if f.name != "request_id"}
    for action, command in COMMANDS.items()
}


def parse_command(
    data: bytes, exercises: ExerciseCheck | None = None, modes: Collection[str] | None = None
) -> Command:
    """Validate a cmd payload. `exercises` is the installed pack names (a set) or a
    predicate; None accepts any well-formed name (the caller checks it later). `modes`:
    what set_mode may name; None: every mode of edge/modes.py's table (a mode this device
    cannot run is refused when applied, with the reason)."""
    obj = _load_object(data)
    request_id = None
    if "request_id" in obj:
        request_id = _text(obj["request_id"], "request_id", MAX_ID_CHARS)
    try:
        return _build(obj, request_id, exercises, modes)
    except CommandError as exc:
        exc.request_id = request_id
        raise


def _load_object(data: bytes) -> dict[str, Any]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CommandError(f"command must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    if len(raw) > MAX_COMMAND_BYTES:
        raise CommandError(f"command is {len(raw)} bytes; the limit is {MAX_COMMAND_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(f"command is not valid UTF-8 (byte {exc.start})") from None
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Refused as exc:
        raise CommandError(f"command is not valid JSON ({exc})") from None
    except json.JSONDecodeError as exc:
        raise CommandError(f"command is not valid JSON ({exc.msg} at char {exc.pos})") from None
    except (ValueError, RecursionError):  # int digit limit; [[[[...]]]] deeper than the stack
        raise CommandError(
            "command is not valid JSON (too deeply nested or too long a number)"
        ) from None
    if not isinstance(obj, dict):
        raise CommandError(f"command must be a JSON object, got {_json_type(obj)}")
    return obj


def _build(
    obj: dict[str, Any], request_id: str | None, exercises: ExerciseCheck | None,
    modes: Collection[str],
) -> Command:  # fmt: skip
    if "action" not in obj:
        raise CommandError(f'command has no "action"; expected one of: {", ".join(ACTIONS)}')
    action = obj["action"]
    if not isinstance(action, str):
        raise CommandError(f"action must be a string, got {_json_type(action)}")
    if action not in FIELDS:
        raise CommandError(f"unknown action {action[:40]!r}; expected one of: {', '.join(ACTIONS)}")
    spec = FIELDS[action]
    allowed = {"action", "request_id", *spec}
    unknown = sorted(key for key in obj if key not in allowed)
    if unknown:
        raise CommandError(
            f"{action}: unknown field {unknown[0][:40]!r} (allowed: {', '.join(sorted(allowed))})"
        )
    for name, required in spec.items():
        if required and name not in obj:
            raise CommandError(f'{action}: missing field "{name}"')
    checks: dict[str, Callable[[Any], str]] = {
        "mode": lambda value: _check_mode(value, MODE_TABLE if modes is None else modes),
        "exercise": lambda value: _check_exercise(value, exercises),
        "session_id": lambda value: _text(value, "start_session: session_id", MAX_ID_CHARS),
        "routine": lambda value: _text(value, "set_routine: routine", MAX_EXERCISE_CHARS),
    }
    # absent optional fields keep their defaults; null is a wrong type like any other
    values = {name: checks[name](obj[name]) for name in spec if name in obj}
    return COMMANDS[action](**values, request_id=request_id)


def _check_mode(mode: Any, modes: Collection[str]) -> str:
    if not isinstance(mode, str) or mode not in modes:
        raise CommandError(f"set_mode: mode must be one of {', '.join(modes)}; got {_show(mode)}")
    return mode


def _check_exercise(value: Any, exercises: ExerciseCheck | None) -> str:
    name = _text(value, "set_exercise: exercise", MAX_EXERCISE_CHARS)
    if exercises is None:
        return name
    if callable(exercises):
        if not exercises(name):
            raise CommandError(f"set_exercise: {name!r} is not an installed exercise pack")
    elif name not in exercises:
        listing = ", ".join(sorted(exercises)) or "none"
        raise CommandError(f"set_exercise: unknown exercise {name!r}; installed: {listing}")
    return name


def _text(value: Any, name: str, limit: int) -> str:
    """A short printable string: ids and names end up in topics' payloads, logs and UIs,
    where control characters or lone surrogates would cause trouble."""
    if not isinstance(value, str):
        raise CommandError(f"{name} must be a string, got {_json_type(value)}")
    if not value.strip() or len(value) > limit or not value.isprintable():
        raise CommandError(
            f"{name} must be 1 to {limit} printable characters, not blank; got {_show(value)}"
        )
    return value


class _Refused(ValueError):
    """JSON that the json module accepts but a command must not hold."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"mode": "count", "mode": "dance"}: which one wins is parser-dependent; refuse it.
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _Refused(f"duplicate key {key[:40]!r}")
        obj[key] = value
    return obj


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _show(value: Any) -> str:
    """A short, ASCII rendering of a bad value for the error text (containers by type only:
    echoing a deeply nested value back could be as large as the command itself)."""
    if isinstance(value, list | dict):
        return f"an {_json_type(value)}"
    if isinstance(value, str) and len(value) > 40:
        return json.dumps(value[:37]) + "..."
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."  # a number of 4,000 digits
