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


def entities(exercises: Sequence[str], modes: Sequence[str]) -> tuple[Entity, ...]:
    """Every entity of a kiosk. `exercises`: what set_exercise accepts (the installed packs,
    auto, any); `modes`: what set_mode accepts here (dance modes need a dance model)."""
    diagnostic = {"entity_category": "diagnostic"}
    return (
        Entity("sensor", "rep_count", "Rep count", {
            "state_topic": CURRENT, "value_template": "{{ value_json.count }}",
            # a reset starts a new cycle of the total: long-term statistics add up across resets
            "state_class": "total_increasing", "unit_of_measurement": "reps",
            "icon": "mdi:counter"}),
        Entity("sensor", "exercise", "Exercise", {
            "state_topic": CURRENT, "value_template": "{{ value_json.exercise }}",
            "icon": "mdi:run"}),
        Entity("sensor", "phase", "Phase", {
            "state_topic": CURRENT, "value_template": "{{ value_json.phase }}",
            "icon": "mdi:human"}),
        Entity("sensor", "dance_genre", "Dance genre", {
            "state_topic": CURRENT, "value_template": "{{ value_json.genre_name }}",
            "icon": "mdi:music"}),
        Entity("sensor", "last_rep", "Last rep", {
            "state_topic": CURRENT, "value_template": "{{ value_json.last_rep_time }}",
            "device_class": "timestamp"}),
        Entity("sensor", "fps", "Frame rate", {
            "state_topic": STATS, "value_template": "{{ value_json.fps }}",
            "state_class": "measurement", "unit_of_measurement": "fps",
            "icon": "mdi:speedometer", **diagnostic}),
        Entity("sensor", "queue_depth", "Queued events", {
            "state_topic": STATS, "value_template": "{{ value_json.queue_depth }}",
            "state_class": "measurement", "unit_of_measurement": "events",
            "icon": "mdi:tray-full", **diagnostic}),
        Entity("binary_sensor", "fault", "Fault", {
            "state_topic": STATUS,
            "value_template": "{{ 'ON' if value_json.state == 'fault' else 'OFF' }}",
            "json_attributes_topic": STATUS,
            "json_attributes_template": "{{ {'fault': value_json.fault} | tojson }}",
            "device_class": "problem", **diagnostic}),
        Entity("button", "reset_count", "Reset count", {
            "command_topic": CMD, "payload_press": _command("reset_count"),
            "icon": "mdi:restart"}),
        Entity("button", "start_session", "Start session", {
            "command_topic": CMD, "payload_press": _command("start_session"),
            "icon": "mdi:play"}),
        Entity("button", "end_session", "End session", {
            "command_topic": CMD, "payload_press": _command("end_session"),
            "icon": "mdi:stop"}),
        Entity("select", "exercise_setting", "Exercise setting", {
            "command_topic": CMD,
            "command_template": _command("set_exercise", exercise="{{ value }}"),
            "state_topic": CURRENT, "value_template": "{{ value_json.selected_exercise }}",
            "options": list(exercises), "icon": "mdi:dumbbell"}),
        Entity("select", "mode", "Mode", {
            "command_topic": CMD, "command_template": _command("set_mode", mode="{{ value }}"),
            "state_topic": CURRENT, "value_template": "{{ value_json.mode }}",
            "options": list(modes), "icon": "mdi:tune"}),
    )  # fmt: skip


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
    for entity in entities(exercises, modes):
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
    return [(discovery_topic(topics.device_id, e), b"") for e in entities((), ())]
