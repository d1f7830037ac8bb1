"""edge.publish: payloads match docs/schemas, the queue is durable and bounded, commands are
parsed totally, and the publisher delivers at-least-once through a real mosquitto that
these tests start (and kill) themselves on free loopback ports.

Broker restarts use mosquitto persistence and a persistent-session subscriber, so what is
tested is the publisher's guarantee (every event reaches the broker at least once), not
a race between our subscriber and the publisher to reconnect first after the restart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from edge.config import config_from_dict
from edge.counting.events import RepEvent
from edge.dance.classifier import DanceEvent
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
from edge.publish.homeassistant import discovery_configs, discovery_messages, removal_messages
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue, QueueError
from edge.publish.settings import PASSWORD_ENV, MqttSettings, load_password
from tests.conftest import REPO, SCHEMAS, Subscriber, validator
from tests.helpers import PACKS, current_state, make_publisher
from training.devkit.broker import HOST, PrivateBroker, free_port


def assert_valid(name: str, payload: Any) -> None:
    # Through JSON, as a subscriber sees it (tuples become lists, and so on).
    decoded = json.loads(tp.encode(payload))
    errors = [e.message for e in validator(name).iter_errors(decoded)]
    assert not errors, (name, decoded, errors)
    if "time" in decoded:
        assert datetime.fromisoformat(decoded["time"]).utcoffset().total_seconds() == 0


# -- payloads and schemas -------------------------------------------------------------------


def test_schema_files_are_draft_2020_12() -> None:
    # one schema for every topic the device publishes or takes, and no other schema file
    assert set(tp.SCHEMA_FILES) == {*tp.OUT_TOPICS, *tp.IN_TOPICS}
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(tp.SCHEMA_FILES.values())
    for name in tp.SCHEMA_FILES.values():
        schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


def test_builders_match_schemas() -> None:
    rep = tp.rep_payload(RepEvent("squat", 3, 12.3456, 10.5, 12.3, 0.725, votes=7.25), "s1")
    assert_valid("rep", rep)
    assert (rep["count"], rep["t_s"], rep["exercise"]) == (3, 12.346, "squat")
    assert_valid("state", tp.state_payload("s1", "squat", "down", 12.5))
    dance = DanceEvent(40.0, "gBR", 0.81, {"gBR": 0.81, "gPO": 0.19}, 0.034, "break")
    payload = tp.dance_payload(dance, "s1")
    assert_valid("dance", payload)
    assert (payload["genre"], payload["genre_name"]) == ("gBR", "break")
    none = DanceEvent(1.0, "none", 0.4, {"gBR": 0.4}, 0.0, "none")
    assert_valid("dance", tp.dance_payload(none, "s"))
    del payload["genre_name"]
    errors = [e.message for e in validator("dance").iter_errors(json.loads(tp.encode(payload)))]
    assert errors == ["'genre_name' is a required property"]
    stats = tp.stats_payload(
        uptime_s=61.5,
        fps=14.9,
        latency_ms={"capture": 2.0, "pose": 40.1, "count": 0.4, "publish": 3.2, "total": 45.0},
        dropped_frames=4,
        queue_depth=0,
        queue_dropped=0,
        cpu_temp_c=None,
        mode="count",
        exercise="squat",
        reps=12,
        partial_reps=1,
    )
    assert_valid("stats", stats)
    assert (stats["reps"], stats["partial_reps"]) == (12, 1)
    assert stats["latency_ms"]["dance"] is None  # no sample is null, not 0
    for state, fault in (("online", None), ("fault", "camera lost"), ("offline", None)):
        assert_valid("status", tp.status_payload(state, fault))
    assert_valid(tp.CMD_RESULT, tp.cmd_result_payload(ok=True, command={"action": "end_session"}))
    assert_valid(
        tp.CMD_RESULT, tp.cmd_result_payload(ok=False, error="bad", request_id="r1", command=None)
    )
    assert (
        rep["id"] != tp.rep_payload(RepEvent("squat", 3, 1.0, 0.0, 1.0, 0.7, votes=7.0), "s1")["id"]
    )
    assert_valid("current", current_state())
    counted = current_state(
        t_s=83.4, exercise="squat", count=12, partial_count=1, phase="down", genre="gHO",
        genre_name="house", fault="camera 0 lost", last_rep_time=rep["time"],
    )  # fmt: skip
    assert_valid("current", counted)
    assert not validator("current").is_valid({**counted, "genre_name": None})
    with pytest.raises(ValueError, match="genre"):
        current_state(genre="gHO")


def test_builders_refuse_what_json_or_the_schema_cannot_hold() -> None:
    with pytest.raises(ValueError, match="confidence"):
        tp.rep_payload(RepEvent("squat", 1, 1.0, 0.0, 1.0, math.nan), "s")
    with pytest.raises(ValueError, match="fault"):
        tp.status_payload("fault")
    with pytest.raises(ValueError, match="fault"):
        tp.status_payload("online", "why")
    with pytest.raises(ValueError, match="stage"):
        tp.stats_payload(
            uptime_s=1, fps=1, latency_ms={"gpu": 1.0}, dropped_frames=0, queue_depth=0,
            queue_dropped=0, cpu_temp_c=None, mode="count", exercise=None, reps=0,
            partial_reps=0,
        )  # fmt: skip
    with pytest.raises(ValueError, match="error"):
        tp.cmd_result_payload(ok=False)
    # The schema rejects what a builder never makes, e.g. an extra field or a fault on online.
    assert not validator("status").is_valid(
        {"state": "online", "fault": "x", "time": tp.iso_time()}
    )
    rep = json.loads(tp.encode(tp.rep_payload(RepEvent("squat", 1, 1.0, 0.0, 1.0, 1.0), "s")))
    assert not validator("rep").is_valid({**rep, "extra": 1})


def test_topics() -> None:
    topics = tp.Topics("kiosk-3")
    assert topics.topic(tp.STATUS) == "dancepose/kiosk-3/status"
    assert topics.topic(tp.CMD_RESULT) == "dancepose/kiosk-3/cmd/result"
    assert tp.Topics("k", "site/a").topic(tp.REP) == "site/a/k/rep"
    for device_id in ("a/b", "a+", "#", ""):
        with pytest.raises(ValueError):
            tp.Topics(device_id)
    with pytest.raises(ValueError):
        topics.topic("nope")


def test_homeassistant_discovery_configs() -> None:
    """Issue 13's rules, on the configs themselves (the broker tests check they arrive)."""
    topics = tp.Topics("Kiosk.3")
    exercises = [*PACKS, "auto", "any"]
    configs = discovery_configs(topics, exercises, ["count", "dance", "both"])
    schemas = {
        topics.topic(name): validator(name).schema for name in ("current", "stats", "status")
    }
    platforms = {}
    for topic, config in configs.items():
        prefix, platform, node, key, last = topic.split("/")
        assert (prefix, node, last) == ("homeassistant", "Kiosk_3", "config")
        platforms[key] = platform
        assert config["unique_id"] == f"dancepose_Kiosk_3_{key}"
        # today's naming: default_entity_id (platform.object), never the deprecated object_id
        assert config["default_entity_id"] == f"{platform}.dancepose_kiosk_3_{key}"
        assert "object_id" not in config
        assert config["origin"] == {"name": "DancePose", "sw_version": version("dancepose")}
        assert config["device"] == {
            "identifiers": ["dancepose_Kiosk_3"], "name": "DancePose Kiosk.3",
            "manufacturer": "DancePose", "model": "DancePose kiosk",
            "sw_version": version("dancepose"),
        }  # fmt: skip
        # available unless offline: a fault is a running device that says what is wrong
        assert config["availability"] == [{
            "topic": "dancepose/Kiosk.3/status", "payload_available": "online",
            "payload_not_available": "offline",
            "value_template": "{{ 'offline' if value_json.state == 'offline' else 'online' }}",
        }]  # fmt: skip
        # every state template reads fields the topic's schema requires
        for name, template in config.items():
            if name.endswith("template") and "value_json" in template:
                source = (
                    config["availability"][0]["topic"]
                    if name == "value_template" and ("state_topic" not in config)
                    else config.get(
                        "json_attributes_topic" if name.startswith("json") else "state_topic"
                    )
                )
                fields = set(re.findall(r"value_json\.(\w+)", template))
                assert fields and fields <= set(schemas[source]["required"]), (key, name)
        if "command_topic" in config:
            assert config["command_topic"] == "dancepose/Kiosk.3/cmd" and config["qos"] == 1
    assert len({c["unique_id"] for c in configs.values()}) == len(configs)
    assert platforms == {
        "rep_count": "sensor", "exercise": "sensor", "phase": "sensor", "dance_genre": "sensor",
        "last_rep": "sensor", "fps": "sensor", "queue_depth": "sensor", "fault": "binary_sensor",
        "reset_count": "button", "start_session": "button", "end_session": "button",
        "exercise_setting": "select", "mode": "select",
    }  # fmt: skip
    by_key = {c["unique_id"].rsplit("Kiosk_3_", 1)[1]: c for c in configs.values()}
    count = by_key["rep_count"]
    assert (count["state_topic"], count["state_class"]) == (
        topics.topic(tp.CURRENT),
        "total_increasing",
    )
    assert by_key["dance_genre"]["value_template"] == "{{ value_json.genre_name }}"  # names
    assert by_key["last_rep"]["device_class"] == "timestamp"
    assert "state_class" not in by_key["last_rep"]  # Home Assistant refuses one on timestamps
    for key in ("fps", "queue_depth"):
        assert (by_key[key]["entity_category"], by_key[key]["state_topic"]) == (
            "diagnostic",
            topics.topic(tp.STATS),
        )
    fault = by_key["fault"]
    assert (fault["device_class"], fault["entity_category"]) == ("problem", "diagnostic")
    assert fault["state_topic"] == topics.topic(tp.STATUS)
    # controls send ordinary commands: each parses and honours the command schema
    sent = [json.loads(by_key[k]["payload_press"]) for k in
            ("reset_count", "start_session", "end_session")]  # fmt: skip
    assert [c["action"] for c in sent] == ["reset_count", "start_session", "end_session"]
    exercise, mode = by_key["exercise_setting"], by_key["mode"]
    assert exercise["options"] == exercises and mode["options"] == ["count", "dance", "both"]
    assert (exercise["value_template"], mode["value_template"]) == (
        "{{ value_json.selected_exercise }}",
        "{{ value_json.mode }}",
    )
    for select in (exercise, mode):
        for option in select["options"]:
            sent.append(json.loads(select["command_template"].replace("{{ value }}", option)))
    for command in sent:
        assert validator("cmd").is_valid(command), command
        parse_command(json.dumps(command).encode(), set(exercises))
    # no dance model: the mode select offers what set_mode accepts
    no_dance = discovery_configs(topics, exercises, ["count"])
    assert no_dance["homeassistant/select/Kiosk_3/mode/config"]["options"] == ["count"]
    # discovery off: an empty retained config on every topic discovery uses
    removal = removal_messages(topics)
    assert sorted(t for t, _ in removal) == sorted(configs)
    assert {payload for _, payload in removal} == {b""}
    assert all(json.loads(p) for _, p in discovery_messages(topics, exercises, ["count"]))


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


# -- queue ----------------------------------------------------------------------------------


def test_queue_survives_reopen_in_order(tmp_path: Path) -> None:
    path = tmp_path / "q" / "events.sqlite"
    with EventQueue(path) as queue:
        ids = [queue.put("t/a", f"p{i}".encode(), qos=1, retain=i == 2) for i in range(4)]
        assert queue.ack(ids[1]) and not queue.ack(ids[1])
        assert queue.ack(ids[3])  # the newest row: its id must still never come back
    with EventQueue(path) as queue:
        rows = queue.peek(10)
        assert [r.row_id for r in rows] == [ids[0], ids[2]]
        assert [(r.topic, r.payload, r.retain) for r in rows] == [
            ("t/a", b"p0", False),
            ("t/a", b"p2", True),
        ]
        assert queue.depth() == 2
        assert queue.put("t/b", "new") > ids[3]  # AUTOINCREMENT: no id reuse
        assert queue.peek(5, after_id=ids[0])[0].row_id == ids[2]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_queue_full_drops_oldest_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with EventQueue(path, max_events=5) as queue:
        for i in range(8):
            queue.put("t", str(i))
        assert queue.depth() == 5
        assert queue.dropped == 3
        assert [r.payload for r in queue.peek(10)] == [b"3", b"4", b"5", b"6", b"7"]
    with EventQueue(path, max_events=2) as queue:  # reopened smaller: trimmed at once
        assert queue.dropped == 6
        assert [r.payload for r in queue.peek(10)] == [b"6", b"7"]


def test_queue_is_thread_safe(tmp_path: Path) -> None:
    queue = EventQueue(tmp_path / "events.sqlite")
    acked: list[int] = []
    done = threading.Event()

    def producer(k: int) -> None:
        for i in range(200):
            queue.put("t", f"{k}-{i}")

    def acker() -> None:
        while not done.is_set() or queue.depth():
            for row in queue.peek(50):
                if queue.ack(row.row_id):
                    acked.append(row.row_id)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    ack_thread = threading.Thread(target=acker)
    ack_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    ack_thread.join(timeout=30)
    assert len(acked) == len(set(acked)) == 800
    assert queue.depth() == 0
    queue.close()


def test_queue_unreadable_file_is_moved_aside(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "events.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with EventQueue(path) as queue:
        assert queue.depth() == 0
        queue.put("t", "x")
    assert len(list(tmp_path.glob("events.sqlite.corrupt-*"))) == 1
    assert "unreadable" in caplog.text
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(QueueError):
        EventQueue(blocker / "events.sqlite")


# -- settings -------------------------------------------------------------------------------


def test_settings_keep_the_password_out_of_repr(tmp_path: Path) -> None:
    s = MqttSettings(device_id="d", username="u", password="hunter2")
    assert "hunter2" not in repr(s)
    assert s.effective_client_id == "dancepose-d"
    secret = tmp_path / "pw"
    secret.write_text("from-file\nignored\n")
    assert load_password(secret, environ={}) == "from-file"
    assert load_password(secret, environ={PASSWORD_ENV: "from-env"}) == "from-env"
    assert load_password(None, environ={}) is None
    with pytest.raises(ValueError):
        MqttSettings(device_id="d", password="p")
    config = config_from_dict(
        {"device_id": "k1", "mqtt": {"host": "broker.lan", "username": "kiosk", "qos": 1}},
        check_paths=False,
    )
    from_config = MqttSettings.from_config(config, environ={PASSWORD_ENV: "s3cret"})
    assert (from_config.address, from_config.effective_client_id) == (
        "broker.lan:1883",
        "dancepose-k1",
    )
    assert from_config.password == "s3cret" and "s3cret" not in repr(from_config)
    with pytest.raises(ValueError):
        MqttSettings(device_id="d", tls_cert=Path("c.pem"))


# -- a real broker --------------------------------------------------------------------------


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    """Publishers and subscribers made by a test, closed at teardown even on failure."""
    made: list[Any] = []
    yield made
    for thing in reversed(made):
        with contextlib.suppress(Exception):
            thing.close()


def rep_event(i: int, session: str = "s1") -> dict[str, Any]:
    return dict(
        tp.rep_payload(
            RepEvent("squat", i, i * 1.5, i * 1.5 - 1.0, i * 1.5, 0.7, votes=7.0), session
        )
    )


def test_status_retained_reps_in_order_and_discovery(
    broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    topics = tp.Topics("dev1")
    publisher = make_publisher(
        broker.port, tmp_path, retained_on_connect=discovery_messages(topics, PACKS, ["count"])
    )
    clients.append(publisher)
    sub = Subscriber(broker, ["dancepose/dev1/#"])
    clients.append(sub)
    assert sub.wait_for(
        lambda s: any(p["state"] == "online" for p in s.payloads(topics.topic(tp.STATUS)))
    )
    for i in range(1, 51):
        publisher.publish_event("rep", rep_event(i))
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.REP))) >= 50)
    reps = sub.payloads(topics.topic(tp.REP))
    assert [r["count"] for r in reps] == list(range(1, 51))
    for r in reps:
        assert validator("rep").is_valid(r)
    assert publisher.flush(5)
    assert publisher.queue.depth() == 0
    latency = publisher.take_latency()
    assert latency.samples == 50 and latency.mean_ms is not None and latency.mean_ms >= 0
    assert publisher.take_latency().samples == 0

    configs = discovery_configs(topics, PACKS, ["count"])
    late = Subscriber(broker, [topics.topic(tp.STATUS), "homeassistant/#"])
    clients.append(late)
    assert late.wait_for(
        lambda s: len(s.retained(topics.topic(tp.STATUS))) == 1 and len(s.messages) >= 14
    )
    status = late.retained(topics.topic(tp.STATUS))[0]
    assert status["state"] == "online" and validator("status").is_valid(status)
    assert {t: json.loads(p) for t, p, r in late.messages if t in configs and r} == configs

    publisher.status("fault", "camera lost")
    assert sub.wait_for(lambda s: s.payloads(topics.topic(tp.STATUS))[-1]["state"] == "fault")
    assert sub.payloads(topics.topic(tp.STATUS))[-1]["fault"] == "camera lost"
    publisher.close()  # clean: says offline itself
    assert sub.wait_for(lambda s: s.payloads(topics.topic(tp.STATUS))[-1]["state"] == "offline")
    for status in sub.payloads(topics.topic(tp.STATUS)):
        assert validator("status").is_valid(status)

    # Discovery turned off: the next run's empty retained configs delete the entities.
    again = make_publisher(
        broker.port, tmp_path / "again", retained_on_connect=removal_messages(topics)
    )
    clients.append(again)
    assert again.flush(5) and late.wait_for(
        lambda s: sum(1 for t, p, _ in s.messages if t in configs and not p) == len(configs)
    )
    # retained messages come in the order of the subscriptions: status last, so its arrival
    # means any retained config would have come before it
    after = Subscriber(broker, ["homeassistant/#", topics.topic(tp.STATUS)])
    clients.append(after)
    assert after.wait_for(lambda s: len(s.retained(topics.topic(tp.STATUS))) == 1)
    assert [t for t, _, r in after.messages if t.startswith("homeassistant/")] == []


def test_command_round_trip(broker: PrivateBroker, tmp_path: Path, clients: list[Any]) -> None:
    seen: list[Command] = []
    holder: list[MqttPublisher] = []

    def on_command(data: bytes) -> None:
        publisher = holder[0]
        try:
            command = parse_command(data, EXERCISES)
        except CommandError as exc:
            publisher.reply(False, error=str(exc), request_id=exc.request_id)
            return
        seen.append(command)
        publisher.reply(True, command=command)

    publisher = make_publisher(broker.port, tmp_path, device_id="dev2", on_command=on_command)
    holder.append(publisher)
    clients.append(publisher)
    topics = publisher.topics
    sub = Subscriber(broker, [topics.topic(tp.CMD_RESULT), topics.topic(tp.STATUS)])
    clients.append(sub)
    assert sub.wait_for(
        lambda s: any(p["state"] == "online" for p in s.payloads(topics.topic(tp.STATUS)))
    )

    sub.client.publish(topics.topic(tp.CMD), b'{"action": "jump", "request_id": "r1"}', qos=1)
    sub.client.publish(topics.topic(tp.CMD), b"\xff not json", qos=1)
    sub.client.publish(
        topics.topic(tp.CMD), b'{"action":"set_mode","mode":"dance","request_id":"r2"}', qos=1
    )
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 3)
    bad, garbage, good = sub.payloads(topics.topic(tp.CMD_RESULT))
    for reply in (bad, garbage, good):
        assert validator(tp.CMD_RESULT).is_valid(reply)
    assert (bad["ok"], bad["request_id"], bad["command"]) == (False, "r1", None)
    assert "unknown action 'jump'" in bad["error"]
    assert garbage["ok"] is False and "UTF-8" in garbage["error"]
    assert good == {
        **good,
        "ok": True,
        "error": None,
        "request_id": "r2",
        "command": {"action": "set_mode", "mode": "dance"},
    }
    assert seen == [SetMode("dance", "r2")]

    # A retained command is refused whenever it arrives: live (MQTT 5 retain-as-published
    # keeps its flag) and again at every reconnect; it never runs.
    retained = b'{"action":"reset_count","request_id":"r3"}'
    sub.client.publish(topics.topic(tp.CMD), retained, qos=1, retain=True).wait_for_publish(5)
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 4)
    publisher.close()
    holder[0] = make_publisher(broker.port, tmp_path, device_id="dev2", on_command=on_command)
    clients.append(holder[0])
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 5)
    for refused in sub.payloads(topics.topic(tp.CMD_RESULT))[3:]:
        assert validator(tp.CMD_RESULT).is_valid(refused)
        assert (refused["ok"], refused["request_id"]) == (False, "r3")
        assert "retained commands are refused" in refused["error"]
    assert seen == [SetMode("dance", "r2")]
    # Clearing it (an empty retained message) is ignored without a reply: the next reply
    # is the next command's (replies keep the order of the commands).
    sub.client.publish(topics.topic(tp.CMD), b"", qos=1, retain=True).wait_for_publish(5)
    sub.client.publish(topics.topic(tp.CMD), b'{"action":"end_session","request_id":"r4"}', qos=1)
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 6)
    last = sub.payloads(topics.topic(tp.CMD_RESULT))[5]
    assert (last["ok"], last["request_id"]) == (True, "r4")
    assert seen == [SetMode("dance", "r2"), EndSession("r4")]
    assert holder[0].flush(5)
    assert len(sub.payloads(topics.topic(tp.CMD_RESULT))) == 6


LWT_SCRIPT = """
import sys, time
from pathlib import Path
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue
from edge.publish.settings import MqttSettings

settings = MqttSettings(device_id="doomed", host="127.0.0.1", port=int(sys.argv[1]), keepalive=10)
MqttPublisher(settings, EventQueue(Path(sys.argv[2]) / "events.sqlite")).start()
time.sleep(120)
"""


def test_lwt_offline_when_the_process_is_killed(
    broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    status = "dancepose/doomed/status"
    sub = Subscriber(broker, [status])
    clients.append(sub)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", LWT_SCRIPT, str(broker.port), str(tmp_path)], cwd=REPO, env=env
    )
    try:
        assert sub.wait_for(lambda s: any(p["state"] == "online" for p in s.payloads(status)), 20)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert sub.wait_for(lambda s: s.payloads(status)[-1]["state"] == "offline")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    offline = sub.payloads(status)[-1]
    assert validator("status").is_valid(offline) and offline["fault"] is None
    late = Subscriber(broker, [status])
    clients.append(late)
    assert late.wait_for(lambda s: len(s.retained(status)) == 1)
    assert late.retained(status)[0]["state"] == "offline"


def test_queued_events_of_a_previous_run_are_sent(
    broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    topic = "dancepose/dev3/rep"
    with EventQueue(tmp_path / "events.sqlite") as queue:  # a run that never reached a broker
        for i in range(1, 6):
            queue.put(topic, tp.encode(rep_event(i)))
    sub = Subscriber(broker, [topic])
    clients.append(sub)
    publisher = make_publisher(broker.port, tmp_path, device_id="dev3")
    clients.append(publisher)
    assert sub.wait_for(lambda s: len(s.payloads(topic)) >= 5)
    assert [p["count"] for p in sub.payloads(topic)] == [1, 2, 3, 4, 5]
    assert publisher.flush(5) and publisher.queue.depth() == 0


def persistent_subscriber(broker: PrivateBroker, topics: list[str]) -> Subscriber:
    return Subscriber(broker, topics, client_id="test-durable", clean=False)


def test_broker_down_at_start_then_up(
    own_broker: PrivateBroker, tmp_path: Path, clients: list[Any], caplog: Any
) -> None:
    topic = "dancepose/dev4/rep"
    own_broker.start()
    persistent_subscriber(own_broker, [topic]).close()  # leaves a session behind
    own_broker.stop(graceful=True)

    caplog.set_level(logging.INFO, logger="edge.publish")
    publisher = make_publisher(own_broker.port, tmp_path, device_id="dev4")
    clients.append(publisher)
    sent = [rep_event(i) for i in range(1, 31)]
    for event in sent:
        publisher.publish_event("rep", event)  # must not raise or block
    publisher.publish_state("current", current_state(count=30, last_rep_time=sent[-1]["time"]))
    with pytest.raises(ValueError, match="not a state topic"):
        publisher.publish_state("rep", sent[0])
    deadline = time.monotonic() + 5
    while "unreachable" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"MQTT broker {HOST}:{own_broker.port} unreachable (")
    assert lines[0].endswith("); retrying with backoff")
    assert not publisher.connected and publisher.queue.depth() == 30

    own_broker.start()
    assert publisher.flush(15), "queued events were not acknowledged after the broker came up"
    sub = persistent_subscriber(own_broker, [topic])
    clients.append(sub)
    assert sub.wait_for(lambda s: len({p["id"] for p in s.payloads(topic)}) >= 30)
    assert {p["id"] for p in sub.payloads(topic)} == {e["id"] for e in sent}
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    # the current state set while the broker was down is there, retained, once it is up
    late = Subscriber(own_broker, ["dancepose/dev4/current"])
    clients.append(late)
    assert late.wait_for(lambda s: len(s.retained("dancepose/dev4/current")) == 1)
    current = late.retained("dancepose/dev4/current")[0]
    assert validator("current").is_valid(current) and current["count"] == 30


def test_broker_killed_mid_stream(
    own_broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    topic = "dancepose/dev5/rep"
    own_broker.start()
    sub = persistent_subscriber(own_broker, [topic])
    clients.append(sub)
    publisher = make_publisher(own_broker.port, tmp_path, device_id="dev5")
    clients.append(publisher)
    deadline = time.monotonic() + 10
    while not publisher.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert publisher.connected

    sent = [rep_event(i) for i in range(1, 401)]

    def produce() -> None:
        for event in sent:
            publisher.publish_event("rep", event)
            time.sleep(0.003)

    producer = threading.Thread(target=produce)
    producer.start()
    assert sub.wait_for(lambda s: len(s.payloads(topic)) >= 50)  # really mid-stream
    own_broker.stop(graceful=True)
    # back only once the publisher has seen it go and events keep piling up in its queue
    deadline = time.monotonic() + 10
    while (publisher.connected or publisher.queue.depth() < 20) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not publisher.connected and publisher.queue.depth() >= 20
    own_broker.start()
    producer.join()
    assert publisher.flush(20), f"{publisher.queue.depth()} event(s) never acknowledged"
    assert sub.wait_for(lambda s: len({p["id"] for p in s.payloads(topic)}) >= len(sent), 20)
    received = sub.payloads(topic)
    assert {p["id"] for p in received} == {e["id"] for e in sent}  # de-dup gives the exact set
    assert len(received) >= len(sent)  # at least once; duplicates are allowed
    assert publisher.queue.dropped == 0


def test_broker_sigkilled_with_events_in_flight(
    own_broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    """The broker is frozen (SIGSTOP) so that a burst stays unacknowledged in flight, then
    SIGKILLed: those events must be resent after the restart, the later ones sent from the
    queue. The subscriber's session was saved by a clean restart first, so the restarted
    broker queues for it whether or not it has reconnected yet."""
    topic = "dancepose/dev7/rep"
    own_broker.start()
    persistent_subscriber(own_broker, [topic]).close()
    own_broker.stop(graceful=True)  # the session is saved to the persistence file
    own_broker.start()
    sub = persistent_subscriber(own_broker, [topic])
    clients.append(sub)
    publisher = make_publisher(own_broker.port, tmp_path, device_id="dev7")
    clients.append(publisher)

    sent = [rep_event(i) for i in range(1, 301)]
    for event in sent[:100]:
        publisher.publish_event("rep", event)
    assert publisher.flush(10)
    assert sub.wait_for(lambda s: len(s.payloads(topic)) >= 100)  # nothing left in the broker

    assert own_broker.process is not None
    own_broker.process.send_signal(signal.SIGSTOP)
    for event in sent[100:200]:
        publisher.publish_event("rep", event)
    window = publisher.window  # mosquitto's Receive Maximum (20) unless lower in the config
    assert 0 < window < 100
    deadline = time.monotonic() + 5
    while publisher.in_flight < window and time.monotonic() < deadline:
        time.sleep(0.01)
    assert publisher.in_flight == window  # sent, never acknowledged; the rest still queued
    own_broker.stop()  # SIGKILL
    for event in sent[200:]:
        publisher.publish_event("rep", event)
    assert publisher.queue.depth() == 200

    own_broker.start()
    assert publisher.flush(15), f"{publisher.queue.depth()} event(s) never acknowledged"
    assert sub.wait_for(lambda s: len({p["id"] for p in s.payloads(topic)}) >= len(sent), 15)
    assert {p["id"] for p in sub.payloads(topic)} == {e["id"] for e in sent}
    # New events waited for the resends (the pump holds back until the SUBACK), so even
    # across the crash the first arrival of each rep is in order.
    assert list(dict.fromkeys(p["count"] for p in sub.payloads(topic))) == list(range(1, 301))


def test_close_with_the_broker_down_is_prompt(tmp_path: Path) -> None:
    publisher = make_publisher(free_port(), tmp_path, device_id="dev6")
    publisher.publish_event("state", tp.state_payload("s", "squat", "down", 1.0))
    with pytest.raises(ValueError, match="not an event topic"):
        publisher.publish_event("status", {"state": "online"})  # status is never queued
    started = time.monotonic()
    publisher.close(timeout_s=0.5)  # waits that long for a broker that might come back
    assert time.monotonic() - started < 2
    with EventQueue(tmp_path / "events.sqlite") as queue:
        assert queue.depth() == 1  # kept for the next run
