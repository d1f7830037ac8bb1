"""edge.publish.commands: a command from the cmd topic is parsed totally: every valid one
becomes its dataclass, every invalid one (however odd the bytes) is one CommandError that
says why and keeps the request id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.publish import topics as tp
from edge.publish.commands import (
    ACTIONS,
    MAX_COMMAND_BYTES,
    Command,
    CommandError,
    EndSession,
    ResetCount,
    SetExercise,
    SetMode,
    StartSession,
    parse_command,
)
from tests.conftest import validator

# -- commands -------------------------------------------------------------------------------

EXERCISES = {"squat", "pushup"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"action": "set_mode", "mode": "dance"}, SetMode("dance")),
        (
            {"action": "set_exercise", "exercise": "squat", "request_id": "r9"},
            SetExercise("squat", "r9"),
        ),
        ({"action": "reset_count"}, ResetCount()),
        ({"action": "start_session"}, StartSession()),
        ({"action": "start_session", "session_id": "morning-1"}, StartSession("morning-1")),
        ({"action": "end_session", "request_id": "x"}, EndSession("x")),
    ],
)  # fmt: skip
def test_valid_commands(raw: dict[str, Any], expected: Command) -> None:
    data = json.dumps(raw).encode()
    assert validator("cmd").is_valid(raw)
    assert parse_command(data, EXERCISES) == expected
    assert expected.as_dict()["action"] == raw["action"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe", "not valid UTF-8"),
        (b"{", "not valid JSON"),
        (b"[1]", "must be a JSON object, got array"),
        (b'{"action": "set_mode", "mode": NaN}', "NaN"),
        (b'{"action": "reset_count", "action": "end_session"}', "duplicate key"),
        (b"[" * 2000 + b"]" * 2000, "too deeply nested"),
        (b" " * (MAX_COMMAND_BYTES + 1), "limit is 4096"),
        (b'{"mode": "count"}', 'no "action"'),
        (b'{"action": 3}', "action must be a string"),
        (b'{"action": "jump"}', "unknown action 'jump'"),
        (b'{"action": "set_mode", "mdoe": "count"}', "unknown field 'mdoe'"),
        (b'{"action": "set_mode"}', 'missing field "mode"'),
        (b'{"action": "set_mode", "mode": "party"}', "mode must be one of count, dance, both"),
        (b'{"action": "set_exercise", "exercise": "yoga"}', "unknown exercise 'yoga'; installed"),
        (b'{"action": "set_exercise", "exercise": 5}', "must be a string, got number"),
        (b'{"action": "start_session", "session_id": "a\\nb"}', "printable"),
        (b'{"action": "end_session", "request_id": ""}', "request_id"),
        (b'{"action": "start_session", "session_id": null}', "must be a string, got null"),
    ],
)
def test_invalid_commands_say_why(data: bytes, message: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(data, EXERCISES)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_command_error_keeps_the_request_id() -> None:
    with pytest.raises(CommandError) as info:
        parse_command(b'{"action": "set_mode", "mode": "x", "request_id": "r1"}')
    assert info.value.request_id == "r1"
    ok = parse_command(b'{"action":"set_exercise","exercise":"yoga"}', lambda n: n == "yoga")
    assert ok == SetExercise("yoga")
    with pytest.raises(CommandError, match="not an installed"):
        parse_command(b'{"action":"set_exercise","exercise":"squat"}', lambda n: n == "yoga")


def _check_total(data: bytes) -> None:
    """The property: a Command, or a CommandError whose reply can be sent and is valid."""
    try:
        command = parse_command(data, EXERCISES)
    except CommandError as exc:
        reply = tp.cmd_result_payload(ok=False, error=str(exc), request_id=exc.request_id)
        assert validator(tp.CMD_RESULT).is_valid(json.loads(tp.encode(reply)))
        return
    assert isinstance(command, SetMode | SetExercise | ResetCount | StartSession | EndSession)
    tp.encode(tp.cmd_result_payload(ok=True, command=command.as_dict()))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
command_like = st.fixed_dictionaries(
    {"action": st.sampled_from(ACTIONS) | st.text(max_size=12)},
    optional={
        "mode": st.sampled_from(("count", "dance", "both")) | json_values,
        "exercise": st.sampled_from(sorted(EXERCISES)) | json_values,
        "session_id": st.text(max_size=200) | json_values,
        "request_id": st.text(max_size=200) | json_values,
        "extra": json_values,
    },
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=MAX_COMMAND_BYTES + 64))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    _check_total(data)


@FUZZ
@given(json_values)
def test_fuzz_arbitrary_json(value: Any) -> None:
    _check_total(json.dumps(value).encode())


@FUZZ
@given(command_like)
def test_fuzz_command_shaped_json(value: dict[str, Any]) -> None:
    data = json.dumps(value).encode()
    _check_total(data)
    try:
        parse_command(data, EXERCISES)
    except CommandError:
        return
    assert validator("cmd").is_valid(value)  # what the parser accepts, the schema accepts
