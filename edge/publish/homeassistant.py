"""Home Assistant MQTT discovery: retained configs that make a kiosk a device with controls.

Per-entity discovery, one retained config per entity under
homeassistant/<platform>/<node>/<key>/config (node: the device id with only [A-Za-z0-9_-]).
Per entity rather than HA's newer device-based discovery (one config for all): it works
on every Home Assistant (device-based needs 2024.11) and on other consumers of these
configs, and the sensors published before keep their topics and unique ids, so an
installed Home Assistant updates them in place instead of growing duplicates.

Entities read our own topics with value templates (no extra topic for Home Assistant):
most the retained `current` state, fps and queue depth the retained `stats`, the fault
the retained `status`. Buttons and selects publish ordinary commands on `cmd`, so they go
through the same parser and answer on cmd/result like any other sender's. Conventions
of today's discovery docs: `default_entity_id` (object_id is deprecated since 2025.10),
`origin` (this software, its version), one device block, availability on `status`
(`fault` still counts as available: the device runs and says what is wrong).

The configs are retained and republished on every connect (MqttPublisher's
retained_on_connect), so a Home Assistant that starts later, or whose broker lost its
retained store, still discovers the device. With discovery off, removal_messages()
publishes an empty retained config on every topic instead, which deletes the entities.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edge.modes import MODE_TABLE
from edge.publish.commands import FIELDS
from edge.publish.topics import CMD, CURRENT, STATS, STATUS, Topics, encode

DISCOVERY_PREFIX = "homeassistant"
DISTRIBUTION = "dancepose"
AVAILABLE = "{{ 'offline' if value_json.state == 'offline' else 'online' }}"


@dataclass(frozen=True)
class Entity:
    """One Home Assistant entity. `config` holds the platform's keys; a key ending in
    `_topic` names one of our topic suffixes (made a full topic per device)."""

    platform: str  # sensor, binary_sensor, button, select
    key: str  # unique within the device
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)


def _command(action: str, **fields: str) -> str:
    return json.dumps({"action": action, **fields}, separators=(",", ":"))


# The people sensor's attributes: each person's count by id ("person_1": 4) and the total
# (one entity for everyone in view, not one per person: ids come and go with people).
PEOPLE_ATTRIBUTES = (
    "{% set ns = namespace(counts={}) %}{% for p in value_json.people %}"
    "{% set ns.counts = dict(ns.counts, **{'person_' ~ p.person: p.count}) %}{% endfor %}"
    "{{ dict(ns.counts, total=value_json.total_count) | tojson }}"
)
# Sensors that read one field of one of our retained topics: (key, name, topic, field,
# the analyzer they apply to (None: every device; else only where a mode offered here runs
# it, edge/modes.py), Home Assistant's own keys). The key is the unique id's last part.
SENSORS: tuple[tuple[str, str, str, str, str | None, dict[str, Any]], ...] = (
    ("rep_count", "Rep count", CURRENT, "count", None, {
        # a reset starts a new cycle of the total: long-term statistics add up across resets
        "state_class": "total_increasing", "unit_of_measurement": "reps",
        "icon": "mdi:counter"}),
    ("exercise", "Exercise", CURRENT, "exercise", None, {"icon": "mdi:run"}),
    ("phase", "Phase", CURRENT, "phase", None, {"icon": "mdi:human"}),
    ("dance_genre", "Dance genre", CURRENT, "genre_name", None, {"icon": "mdi:music"}),
    ("last_rep", "Last rep", CURRENT, "last_rep_time", None, {"device_class": "timestamp"}),
    ("people", "People", CURRENT, "people", None, {
        "value_template": "{{ value_json.people | length }}", "json_attributes_topic": CURRENT,
        "json_attributes_template": PEOPLE_ATTRIBUTES, "state_class": "measurement",
        "unit_of_measurement": "people", "icon": "mdi:account-group"}),
    ("last_set_reps", "Last set reps", CURRENT, "last_set_reps", "counting", {
        "state_class": "measurement", "unit_of_measurement": "reps",
        "icon": "mdi:format-list-numbered"}),
    ("rest_time", "Rest before last set", CURRENT, "rest_s", "counting", {
        "device_class": "duration", "state_class": "measurement",
        "unit_of_measurement": "s", "icon": "mdi:timer-sand"}),
    # a timestamp: Home Assistant shows "3 minutes ago", a rest timer with no message a second
    ("resting_since", "Resting since", CURRENT, "rest_since", "counting", {
        "device_class": "timestamp", "icon": "mdi:timer-outline"}),
    # a timed hold (a hold pack counted): its seconds, once a second while it lasts, then
    # the last hold's until the count is reset
    ("hold_time", "Hold time", CURRENT, "hold_s", "counting", {
        "device_class": "duration", "state_class": "measurement",
        "unit_of_measurement": "s", "icon": "mdi:timer"}),
    ("last_move_score", "Last move score", CURRENT, "last_move_score", "follow", {
        "state_class": "measurement", "unit_of_measurement": "%", "icon": "mdi:star"}),
    ("routine_score", "Routine score", CURRENT, "routine_score", "follow", {
        "state_class": "measurement", "unit_of_measurement": "%",
        "icon": "mdi:trophy"}),
    ("fps", "Frame rate", STATS, "fps", None, {
        "state_class": "measurement", "unit_of_measurement": "fps",
        "icon": "mdi:speedometer", "entity_category": "diagnostic"}),
    ("queue_depth", "Queued events", STATS, "queue_depth", None, {
        "state_class": "measurement", "unit_of_measurement": "events",
        "icon": "mdi:tray-full", "entity_category": "diagnostic"}),
)  # fmt: skip
# Buttons: (key, name, the command they send, icon).
BUTTONS: tuple[tuple[str, str, str, str], ...] = (
    ("reset_count", "Reset count", "reset_count", "mdi:restart"),
    ("start_session", "Start session", "start_session", "mdi:play"),
    ("end_session", "End session", "end_session", "mdi:stop"),
)
# Selects: (key, name, the command they send, the `current` field that shows the choice,
# icon). The command's one required field carries the option (edge/publish/commands.py);
# the options are what that command accepts on this device (entities()' `choices`).
SELECTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("exercise_setting", "Exercise setting", "set_exercise", "selected_exercise", "mdi:dumbbell"),
    ("mode", "Mode", "set_mode", "mode", "mdi:tune"),
    ("routine", "Routine", "set_routine", "routine", "mdi:playlist-music"),
)


def option_field(action: str) -> str:
    """The field a select's command carries its option in: the command's one required one."""
    (name,) = [name for name, required in FIELDS[action].items() if required]
    return name


def entities(
    exercises: Sequence[str], modes: Sequence[str], routines: Sequence[str] = ()
) -> tuple[Entity, ...]:
    """Every entity of a kiosk, from the tables above. `exercises`: what set_exercise
    accepts (the installed packs, auto, any); `modes`: what set_mode accepts here (dance
    modes need a dance model, follow a routine); `routines`: the routines recorded here.
    A sensor of one analyzer is left out where no mode offered runs it; a select with
    nothing to choose is left out."""
    choices = {"set_exercise": exercises, "set_mode": modes, "set_routine": routines}
    offered = {analyzer for mode in modes for analyzer in MODE_TABLE[mode].analyzers}
    sensors = tuple(
        Entity("sensor", key, name, {
            "state_topic": topic, "value_template": f"{{{{ value_json.{field_name} }}}}",
            **extra})
        for key, name, topic, field_name, analyzer, extra in SENSORS
        if analyzer is None or analyzer in offered
    )  # fmt: skip
    fault = Entity("binary_sensor", "fault", "Fault", {
        "state_topic": STATUS,
        "value_template": "{{ 'ON' if value_json.state == 'fault' else 'OFF' }}",
        "json_attributes_topic": STATUS,
        "json_attributes_template": "{{ {'fault': value_json.fault} | tojson }}",
        "device_class": "problem", "entity_category": "diagnostic"})  # fmt: skip
    # dancing or not, genre known or not (current's dancing; null: no verdict yet)
    dancing = Entity("binary_sensor", "dancing", "Dancing", {
        "state_topic": CURRENT,
        "value_template": "{{ 'ON' if value_json.dancing is not none and "
        "value_json.genre != 'none' else 'OFF' }}",
        "icon": "mdi:human-female-dance"})  # fmt: skip
    # a timed hold under way (current's holding)
    holding = Entity("binary_sensor", "holding", "Holding", {
        "state_topic": CURRENT,
        "value_template": "{{ 'ON' if value_json.holding else 'OFF' }}",
        "icon": "mdi:human-handsdown"})  # fmt: skip
    buttons = tuple(
        Entity("button", key, name, {
            "command_topic": CMD, "payload_press": _command(action), "icon": icon})
        for key, name, action, icon in BUTTONS
    )  # fmt: skip
    selects = tuple(
        Entity("select", key, name, {
            "command_topic": CMD,
            "command_template": _command(action, **{option_field(action): "{{ value }}"}),
            "state_topic": CURRENT, "value_template": f"{{{{ value_json.{shown} }}}}",
            "options": list(choices[action]), "icon": icon})
        for key, name, action, shown, icon in SELECTS
        if choices[action]
    )  # fmt: skip
    dance = (dancing,) if "dance" in offered else ()
    hold = (holding,) if "counting" in offered else ()
    return (*sensors, fault, *dance, *hold, *buttons, *selects)


def every_entity() -> tuple[Entity, ...]:
    """Each entity any device could have (removal_messages deletes them all)."""
    return entities(("x",), tuple(MODE_TABLE), ("x",))


def ha_id(text: str) -> str:
    """Home Assistant accepts only [A-Za-z0-9_-] in discovery node ids and object ids."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def entity_slug(text: str) -> str:
    """An entity id's object part: lower case [a-z0-9_], no doubled or edge underscores."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", text.lower())).strip("_")


def discovery_topic(device_id: str, entity: Entity, prefix: str = DISCOVERY_PREFIX) -> str:
    return f"{prefix}/{entity.platform}/{ha_id(device_id)}/{entity.key}/config"


def software() -> dict[str, str]:
    """Home Assistant's `origin`: this software, its installed version and its project
    URL (both from the distribution's metadata, pyproject.toml, when it has them)."""
    origin = {"name": "DancePose"}
    try:
        metadata = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return origin
    origin["sw_version"] = metadata["Version"]
    for entry in metadata.get_all("Project-URL") or []:
        _, _, url = entry.partition(", ")
        if url.startswith(("https://", "http://")):
            origin["support_url"] = url
            break
    return origin


def discovery_configs(
    topics: Topics,
    exercises: Sequence[str],
    modes: Sequence[str],
    routines: Sequence[str] = (),
    *,
    origin: Mapping[str, str] | None = None,
    device_name: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config payload, one per entity."""
    node = ha_id(topics.device_id)
    origin = dict(software() if origin is None else origin)
    device: dict[str, Any] = {
        "identifiers": [f"dancepose_{node}"],
        "name": device_name or f"DancePose {topics.device_id}",
        "manufacturer": "DancePose",
        "model": "DancePose kiosk",
    }
    if "sw_version" in origin:
        device["sw_version"] = origin["sw_version"]
    availability = [{
        "topic": topics.topic(STATUS), "value_template": AVAILABLE,
        "payload_available": "online", "payload_not_available": "offline",
    }]  # fmt: skip
    configs: dict[str, dict[str, Any]] = {}
    for entity in entities(exercises, modes, routines):
        unique_id = f"dancepose_{node}_{entity.key}"
        config: dict[str, Any] = {
            "name": entity.name,
            "unique_id": unique_id,
            "default_entity_id": f"{entity.platform}.{entity_slug(unique_id)}",
        }
        for key, value in entity.config.items():
            config[key] = topics.topic(value) if key.endswith("_topic") else value
        if "command_topic" in config:
            config["qos"] = 1  # a command is worth the acknowledgement
        config.update(availability=availability, device=device, origin=origin)
        configs[discovery_topic(topics.device_id, entity)] = config
    return configs


def discovery_messages(configs: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, bytes]]:
    """discovery_configs() as (topic, payload) pairs for MqttPublisher(retained_on_connect=)."""
    return [(topic, encode(config)) for topic, config in configs.items()]


def removal_messages(topics: Topics) -> list[tuple[str, bytes]]:
    """An empty retained config on every discovery topic: Home Assistant deletes those
    entities, and the broker forgets the retained configs (discovery turned off)."""
    return [(discovery_topic(topics.device_id, e), b"") for e in every_entity()]
