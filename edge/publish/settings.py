"""Where and how to reach the broker: MqttSettings, and the password's only two sources.

MqttSettings is edge.config.MqttConfig (every key, its default and its limits declared
there, once) plus what a connection needs beyond the file: the device id, the password
and the pump's in-flight window. The password is never in the config file (often
world-readable) nor on a command line (visible in ps): it comes from
$DANCEPOSE_MQTT_PASSWORD (systemd EnvironmentFile=) or a credentials file, and the field
is repr=False so that logging the settings cannot leak it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

from pydantic import Field, model_validator

from edge.config import PASSWORD_ENV, Config, MqttConfig, default_client_id
from edge.config import read_password as load_password
from edge.publish.topics import Topics

__all__ = ["DEFAULT_MAX_INFLIGHT", "PASSWORD_ENV", "MqttSettings", "load_password"]

DEFAULT_MAX_INFLIGHT = 200


class MqttSettings(MqttConfig):
    device_id: str
    # Filled from $DANCEPOSE_MQTT_PASSWORD or a credentials file (load_password,
    # from_config), never from the config file itself; repr=False keeps it out of logs.
    password: str | None = Field(None, repr=False)
    max_inflight: int = Field(
        DEFAULT_MAX_INFLIGHT, ge=1, le=10_000, description="unacknowledged messages at a time"
    )

    @model_validator(mode="after")
    def _connectable(self) -> Self:
        Topics(self.device_id, self.topic_prefix)  # validates both as topic levels
        if self.password is not None and self.username is None:
            raise ValueError("an MQTT password needs a username (MQTT sends it only with one)")
        return self

    @classmethod
    def from_config(cls, config: Config, environ: Mapping[str, str] | None = None) -> Self:
        """From edge.config.Config: the password is read here, from the environment or
        mqtt.password_file, as late as possible and only if there is a user name."""
        m = config.mqtt
        password = m.read_password(environ) if m.username else None
        return cls(**dict(m), device_id=config.device_id, password=password)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def effective_client_id(self) -> str:
        return self.client_id or default_client_id(self.device_id)
