"""The whole file: the top-level key device_id and one table per section."""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, model_validator

from edge.config.base import Table
from edge.config.messages import Expect, all_keys, schema, tables_of
from edge.config.mode import ModeConfig
from edge.config.mqtt import CLIENT_ID, MqttConfig, default_client_id
from edge.config.pose import PoseConfig
from edge.config.queue import QueueConfig
from edge.config.source import SourceConfig
from edge.config.stats import StatsConfig
from edge.config.toml import dumps_toml
from edge.config.web import WEB_TOKEN_ENV, WebConfig


def default_device_id() -> str:
    """The host name made into a device id: one image flashed onto many kiosks then needs
    no per-device edit, as long as provisioning sets distinct host names."""
    name = socket.gethostname().split(".")[0].lower()
    name = re.sub(r"[^a-z0-9_-]+", "-", name).strip("-")[:64]
    return name or "dancepose"


class Config(Table):
    device_id: Annotated[str, Expect("lowercase letters, digits, '-' or '_', like 'kiosk-01'")] = (
        Field(pattern=r"^[a-z0-9_-]{1,64}$", description="left out: the host name")
    )
    source: SourceConfig = Field(default_factory=SourceConfig)
    pose: PoseConfig = Field(default_factory=PoseConfig)
    mode: ModeConfig = Field(default_factory=ModeConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    # Where it was read from: not a key of the file, and not part of equality.
    config_path: Path | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_the_host(cls, data: Any) -> Any:
        """device_id defaults to the host name, and mqtt.client_id to dancepose-<device_id>
        (only when that is valid: a bad device_id is reported once, as itself)."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        device_id = data.setdefault("device_id", default_device_id())
        mqtt = data.get("mqtt", {})
        client_id = default_client_id(device_id) if isinstance(device_id, str) else ""
        if isinstance(mqtt, Mapping) and "client_id" not in mqtt and CLIENT_ID.fullmatch(client_id):
            data["mqtt"] = {**mqtt, "client_id": client_id}
        return data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(self.to_toml())

    @property
    def topic_root(self) -> str:
        """Every topic of this device starts here: <topic_prefix>/<device_id>."""
        return f"{self.mqtt.topic_prefix}/{self.device_id}"

    def to_toml_dict(self) -> dict[str, Any]:
        """The resolved config as TOML-ready tables (absolute paths, None left out), such that
        config_from_dict(c.to_toml_dict()) == c. No secret is in it: the password never is."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_toml(self) -> str:
        """to_toml_dict() written as TOML text (tomllib reads; the stdlib has no writer)."""
        return dumps_toml(self.to_toml_dict())

    def summary(self) -> list[str]:
        """A few human lines, for `dancepose check-config` and the service's start log."""
        pose_models = [
            f"{name}={getattr(self.pose, name)}"
            for name in ("detector_model", "landmark_model", "task")
            if getattr(self.pose, name) is not None
        ]
        mode = self.mode
        what = [mode.mode]
        if mode.counts:
            what.append(f"exercise {mode.exercise} (packs {mode.packs_dir})")
        if mode.dances:
            what.append(
                f"dance model {mode.dance_model_dir}, "
                f"genre at most every {mode.dance_publish_interval_s:g} s"
            )
        mqtt = self.mqtt
        auth = f"user {mqtt.username}" if mqtt.username else "no user"
        security = "TLS" if mqtt.tls else "no TLS"
        ha = ", Home Assistant discovery" if mqtt.homeassistant_discovery else ""
        return [
            f"device   {self.device_id}",
            f"source   {self.source.describe()}",
            f"pose     {self.pose.backend}, {self.pose.threads} threads, "
            + (", ".join(pose_models) if pose_models else "default models"),
            f"mode     {'; '.join(what)}",
            f"mqtt     {mqtt.host}:{mqtt.port} as {mqtt.client_id}, MQTT 5, qos {mqtt.qos}, "
            f"topics {self.topic_root}/..., {auth}, {security}{ha}",
            f"stats    every {self.stats.interval_s:g} s",
            f"queue    {self.queue.path} (at most {self.queue.max_events} events)",
            f"web      http://{self.web.listen}/, preview {self.web.preview_fps:g} fps"
            + ("" if self.web.loopback else f", token from ${WEB_TOKEN_ENV} or web.token_file")
            if self.web.enabled
            else "web      off",
        ]


# Every key the file may hold, per table ("" = the top level), derived from the models.
TABLES: tuple[str, ...] = tables_of(Config)
SCHEMA: dict[str, tuple[str, ...]] = schema(Config)
ALL_KEYS: tuple[str, ...] = all_keys(Config)
