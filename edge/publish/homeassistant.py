"""Home Assistant MQTT discovery: retained configs that make a kiosk show up as a device.

Home Assistant reads retained JSON under homeassistant/sensor/<device_id>/<object>/config
and creates one sensor per config, reading the values from our own topics with a
value_template, so no extra topic or payload is published for it. Availability follows
the retained status topic (online; offline via close() or the LWT).

The configs are retained and republished on every connect (MqttPublisher's
retained_on_connect), so a Home Assistant that starts later, or whose broker lost its
retained store, still discovers the device.
"""

from __future__ import annotations

import re
from typing import Any

from edge.publish.topics import Topics, encode

DISCOVERY_PREFIX = "homeassistant"

# object id -> (name, our topic suffix, value_template, extra config keys)
SENSORS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "rep_count": (
        "Rep count",
        "rep",
        "{{ value_json.count }}",
        {"icon": "mdi:counter", "unit_of_measurement": "reps", "state_class": "measurement"},
    ),
    "exercise": ("Exercise", "stats", "{{ value_json.exercise or 'none' }}", {"icon": "mdi:run"}),
    "dance_genre": ("Dance genre", "dance", "{{ value_json.genre }}", {"icon": "mdi:music"}),
    "fps": (
        "Frame rate",
        "stats",
        "{{ value_json.fps }}",
        {"icon": "mdi:speedometer", "unit_of_measurement": "fps", "state_class": "measurement"},
    ),
}


def ha_id(text: str) -> str:
    """Home Assistant accepts only [A-Za-z0-9_-] in discovery node ids and object ids."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def discovery_topic(device_id: str, object_id: str, prefix: str = DISCOVERY_PREFIX) -> str:
    return f"{prefix}/sensor/{ha_id(device_id)}/{object_id}/config"


def discovery_configs(
    topics: Topics, *, sw_version: str | None = None, device_name: str | None = None
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config payload, one per sensor in SENSORS."""
    node = ha_id(topics.device_id)
    device: dict[str, Any] = {
        "identifiers": [f"dancepose_{node}"],
        "name": device_name or f"DancePose {topics.device_id}",
        "manufacturer": "DancePose",
        "model": "DancePose kiosk",
    }
    if sw_version:
        device["sw_version"] = sw_version
    availability = [
        {
            "topic": topics.status,
            "value_template": "{{ value_json.state }}",
            "payload_available": "online",
            "payload_not_available": "offline",
        }
    ]
    configs: dict[str, dict[str, Any]] = {}
    for object_id, (name, suffix, template, extra) in SENSORS.items():
        configs[discovery_topic(topics.device_id, object_id)] = {
            "name": name,
            "unique_id": f"dancepose_{node}_{object_id}",
            "object_id": f"dancepose_{node}_{object_id}",
            "state_topic": topics.topic(suffix),
            "value_template": template,
            "availability": availability,
            "device": device,
            **extra,
        }
    return configs


def discovery_messages(
    topics: Topics, *, sw_version: str | None = None, device_name: str | None = None
) -> list[tuple[str, bytes]]:
    """(topic, payload) pairs for MqttPublisher(retained_on_connect=...)."""
    configs = discovery_configs(topics, sw_version=sw_version, device_name=device_name)
    return [(topic, encode(config)) for topic, config in configs.items()]
