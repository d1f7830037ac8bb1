"""Home Assistant entities derived from what the device declares: follow mode's scores and
routine select where routines are recorded, the last set's reps and the rest before it
where a mode counts, and a timed hold's seconds and whether one is under way. (The
discovery rules every config keeps: test_payloads.py.)"""

from __future__ import annotations

import json
from dataclasses import fields

from edge.modes import MODES
from edge.publish import topics as tp
from edge.publish.commands import SetRoutine, parse_command
from edge.publish.homeassistant import (
    SELECTS,
    SENSORS,
    discovery_configs,
    every_entity,
    removal_messages,
)
from tests.conftest import validator
from tests.helpers import PACKS

TOPICS = tp.Topics("kiosk-3")
EXERCISES = [*PACKS, "auto", "any"]


def by_key(configs: dict) -> dict[str, dict]:
    return {c["unique_id"].rsplit("kiosk-3_", 1)[1]: c for c in configs.values()}


def test_follow_entities_appear_with_recorded_routines() -> None:
    configs = by_key(discovery_configs(TOPICS, EXERCISES, MODES, ["ch07", "salsa_basic"]))
    routine = configs["routine"]
    assert routine["options"] == ["ch07", "salsa_basic"]
    assert routine["value_template"] == "{{ value_json.routine }}"
    for option in routine["options"]:  # each option sends the existing set_routine command
        sent = routine["command_template"].replace("{{ value }}", option)
        assert validator("cmd").is_valid(json.loads(sent))
        command = parse_command(sent.encode())
        assert isinstance(command, SetRoutine) and command.routine == option
    for key, field in (("last_move_score", "last_move_score"), ("routine_score", "routine_score")):
        sensor = configs[key]
        assert sensor["state_topic"] == TOPICS.topic(tp.CURRENT)
        assert sensor["value_template"] == f"{{{{ value_json.{field} }}}}"
        assert (sensor["unit_of_measurement"], sensor["state_class"]) == ("%", "measurement")


def test_set_entities_read_the_last_set() -> None:
    configs = by_key(discovery_configs(TOPICS, EXERCISES, ["count"]))
    reps, rest = configs["last_set_reps"], configs["rest_time"]
    resting = configs["resting_since"]  # Home Assistant shows a timestamp as "2 minutes ago"
    assert (resting["value_template"], resting["device_class"]) == (
        "{{ value_json.rest_since }}",
        "timestamp",
    )
    assert "state_class" not in resting  # Home Assistant refuses one on timestamps
    assert reps["value_template"] == "{{ value_json.last_set_reps }}"
    assert (rest["value_template"], rest["device_class"], rest["unit_of_measurement"]) == (
        "{{ value_json.rest_s }}",
        "duration",
        "s",
    )
    # no follow mode here (no routine recorded): no follow sensors and no routine select
    assert not {"last_move_score", "routine_score", "routine"} & set(configs)
    # a dance-only device counts nothing: no set sensors either
    dance_only = by_key(discovery_configs(TOPICS, EXERCISES, ["dance"]))
    assert not {"last_set_reps", "rest_time", "resting_since"} & set(dance_only)


def test_every_entity_reads_what_current_always_sends_and_is_removed_when_off() -> None:
    """The tables name fields and commands that exist: a sensor's field is one `current`
    always carries (required by its schema), a select's command takes its option."""
    required = set(validator("current").schema["required"])
    sent = {f.name for f in fields(tp.Current)}
    for _, _, topic, field, _, _ in SENSORS:
        if topic == tp.CURRENT:
            assert field in required and field in sent, field
    for _, _, action, shown, _ in SELECTS:
        assert shown in required and shown in sent, (action, shown)
    everything = discovery_configs(TOPICS, EXERCISES, MODES, ["ch07"])
    assert len(everything) == len(every_entity())
    assert sorted(t for t, _ in removal_messages(TOPICS)) == sorted(everything)


def test_one_people_sensor_counts_who_is_in_view_with_their_counts_as_attributes() -> None:
    """Several people: one sensor (not an entity per person, as ids come and go) whose
    state is how many are in view, its attributes each person's count and the total."""
    configs = by_key(discovery_configs(TOPICS, EXERCISES, MODES))
    people = configs["people"]
    assert people["state_topic"] == people["json_attributes_topic"] == TOPICS.topic(tp.CURRENT)
    assert people["value_template"] == "{{ value_json.people | length }}"
    template = people["json_attributes_template"]
    for name in ("value_json.people", "p.person", "p.count", "value_json.total_count"):
        assert name in template  # fields `current` always sends (the test above)
    assert not [key for key in configs if key.startswith("person")]


def test_a_device_offers_the_routines_recorded_on_it(tmp_path, model_paths) -> None:
    """`run`'s discovery: the routine select lists the routines recorded under
    mode.routines_dir, and follow mode with its scores is offered beside them."""
    import shutil

    from edge.app.wiring import build_pipeline, discovery
    from edge.config import config_from_dict
    from tests.conftest import dancepose, shared_path

    routines = tmp_path / "routines"
    recorded = dancepose(
        "routine", "record", str(shared_path("data", "aist_follow", "ch07_c01.npy")),
        "--fps", "60", "--name", "ch07", "--out", str(routines / "ch07"),
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    shutil.copytree(routines / "ch07", routines / "ballroom_basic")
    (routines / "notes").mkdir()  # a folder that holds no routine is not offered
    config = config_from_dict({
        "mode": {"mode": "count", "routines_dir": str(routines)},
        "mqtt": {"homeassistant_discovery": True},
    }, check_paths=False)  # fmt: skip
    pipeline = build_pipeline(config)
    sent = {topic: json.loads(payload) for topic, payload in discovery(config, pipeline, TOPICS)}
    configs = by_key(sent)
    assert configs["routine"]["options"] == ["ballroom_basic", "ch07"]
    assert "follow" in configs["mode"]["options"]
    assert {"last_move_score", "routine_score"} <= set(configs)


def test_hold_entities_read_current_where_a_mode_counts() -> None:
    """A timed hold: a duration sensor on current's hold_s and a binary sensor on its
    holding, offered where a mode counts and nowhere else."""
    configs = discovery_configs(TOPICS, EXERCISES, ["count"])
    keyed = by_key(configs)
    seconds, holding = keyed["hold_time"], keyed["holding"]
    assert seconds["state_topic"] == holding["state_topic"] == TOPICS.topic(tp.CURRENT)
    assert seconds["value_template"] == "{{ value_json.hold_s }}"
    assert (seconds["device_class"], seconds["unit_of_measurement"]) == ("duration", "s")
    assert holding["value_template"] == "{{ 'ON' if value_json.holding else 'OFF' }}"
    assert "holding" in validator("current").schema["required"]  # always there to read
    (topic,) = [t for t, c in configs.items() if c is holding]
    assert topic.startswith("homeassistant/binary_sensor/")
    for modes in (["dance"], ["follow"]):  # counting nothing: no hold entities
        offered = by_key(discovery_configs(TOPICS, EXERCISES, modes))
        assert not {"hold_time", "holding"} & set(offered), modes
    both = by_key(discovery_configs(TOPICS, EXERCISES, ["both"]))
    assert {"hold_time", "holding"} <= set(both)
