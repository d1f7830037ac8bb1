"""edge.publish.topics and homeassistant: every builder's payload matches its schema in
docs/schemas (through JSON, as a subscriber reads it), what JSON or a schema cannot hold is
refused, topic names are checked, and Home Assistant's discovery configs follow its rules."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from importlib.metadata import version
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from edge.counting.events import RepEvent
from edge.dance.classifier import DanceEvent
from edge.publish import topics as tp
from edge.publish.commands import (
    parse_command,
)
from edge.publish.homeassistant import discovery_configs, discovery_messages, removal_messages
from tests.conftest import SCHEMAS, validator
from tests.helpers import PACKS, current_state


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


def test_every_event_payload_says_whose_event_it_is() -> None:
    """Several people in front of one kiosk: a rep, a phase and a verdict name the person."""
    rep = tp.rep_payload(RepEvent("squat", 2, 5.0, 4.0, 5.0, 0.9, person=3), "s1")
    assert_valid("rep", rep)
    assert rep["person"] == 3
    state = tp.state_payload("s1", "squat", "down", 5.0, person=3)
    assert_valid("state", state)
    assert state["person"] == 3
    dance = tp.dance_payload(DanceEvent(4.0, "gBR", 0.8, {"gBR": 0.8}, 0.03, "break", 2), "s")
    assert_valid("dance", dance)
    assert dance["person"] == 2
    assert tp.rep_payload(RepEvent("squat", 1, 1.0, 0.0, 1.0, 1.0), "s")["person"] == 0
    del rep["person"]  # required: a subscriber never has to guess
    assert [e.message for e in validator("rep").iter_errors(json.loads(tp.encode(rep)))] == [
        "'person' is a required property"
    ]


def test_current_lists_each_person_and_keeps_the_main_one_on_top() -> None:
    people = (
        tp.PersonCurrent(0, exercise="squat", count=4, phase="down"),
        tp.PersonCurrent(1, exercise="any", count=7, genre=None),
    )
    current = current_state(count=4, exercise="squat", phase="down", people=people, total_count=11)
    assert_valid("current", current)
    decoded = json.loads(tp.encode(current))
    assert [p["person"] for p in decoded["people"]] == [0, 1]
    assert decoded["people"][1]["count"] == 7 and decoded["total_count"] == 11
    assert set(decoded["people"][0]) == {"person", *tp.PERSON_FIELDS}
    assert set(tp.PERSON_FIELDS) < set(decoded)  # the main person's, at the top level
    decoded["people"][1]["count"] = -1
    assert list(validator("current").iter_errors(decoded))


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
    """Home Assistant's discovery rules, on the configs themselves (the broker tests check
    they arrive)."""
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
        "rep_count": "sensor",
        "exercise": "sensor",
        "phase": "sensor",
        "dance_genre": "sensor",
        "last_rep": "sensor",
        "people": "sensor",
        "last_set_reps": "sensor",
        "rest_time": "sensor",
        "resting_since": "sensor",
        "hold_time": "sensor",
        "fps": "sensor",
        "queue_depth": "sensor",
        "fault": "binary_sensor",
        "dancing": "binary_sensor",
        "holding": "binary_sensor",
        "reset_count": "button",
        "start_session": "button",
        "end_session": "button",
        "exercise_setting": "select",
        "mode": "select",
    }  # fmt: skip  (no follow mode offered: no follow sensors, no routine select)
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
    assert {t for t, _ in removal} >= set(configs)  # and those of modes not offered here
    assert {payload for _, payload in removal} == {b""}
    assert all(
        json.loads(p)
        for _, p in discovery_messages(discovery_configs(topics, exercises, ["count"]))
    )


def test_stats_say_how_many_people_and_what_each_costs() -> None:
    from edge.app.stats import StageStats

    stats = StageStats()
    stats.frame_period_ms = 40.0  # a 25 fps source
    for people, pose_ms in ((2, 30.0), (2, 34.0), (0, 2.0), (1, 16.0)):
        stats.add_frame({"pose": pose_ms, "total": pose_ms + 10.0}, people)
    figures = stats.take_people()
    assert (figures.people, figures.people_max) == (1.25, 2)
    assert figures.pose_ms_per_person == pytest.approx((30 + 34 + 16) / 5)
    assert not figures.over_budget  # frames took 30.5 ms on average, within 40
    stats.add_frame({"pose": 60.0, "total": 70.0}, 3)
    stats.take()
    stats.add_frame({"pose": 60.0, "total": 70.0}, 3)  # three people, 70 ms: over budget
    late = stats.take_people()
    assert late.over_budget and late.pose_ms_per_person == 20.0
    assert figures.person_rate == 1.0  # everyone updated on every frame
    stats.take()
    stats.add_frame({"pose": 20.0, "total": 30.0}, 3, fresh=1)  # taking turns: one of three
    stats.add_frame({"pose": 20.0, "total": 30.0}, 3, fresh=2)
    turns = stats.take_people()
    assert turns.person_rate == pytest.approx(0.5) and not turns.over_budget
    payload = tp.stats_payload(
        uptime_s=1.0, fps=14.0, latency_ms={}, dropped_frames=3, queue_depth=0,
        queue_dropped=0, cpu_temp_c=None, mode="count", exercise="squat", reps=0,
        partial_reps=0, people=late.people, people_max=late.people_max,
        pose_ms_per_person=late.pose_ms_per_person, over_budget=late.over_budget,
        person_rate=turns.person_rate,
    )  # fmt: skip
    assert_valid("stats", payload)
    assert (payload["people_max"], payload["over_budget"]) == (3, True)
    assert payload["person_rate"] == 0.5
