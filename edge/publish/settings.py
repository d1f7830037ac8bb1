"""Where and how to reach the broker: MqttSettings, and the password's only two sources.

The password is never in the config file (often world-readable) nor on a command line
(visible in ps): it comes from $DANCEPOSE_MQTT_PASSWORD (systemd EnvironmentFile=) or a
credentials file, and the field is repr=False so that logging the settings cannot leak it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from edge.publish.topics import DEFAULT_PREFIX, Topics

PASSWORD_ENV = "DANCEPOSE_MQTT_PASSWORD"
DEFAULT_MAX_INFLIGHT = 200


def load_password(
    password_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """$DANCEPOSE_MQTT_PASSWORD if set, else the first line of password_file, else None.
    The only two sources: a password in a config file or on a command line leaks."""
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if password_file is None:
        return None
    lines = Path(password_file).read_text(encoding="utf-8").splitlines()
    return lines[0] if lines else ""


class _ConfigLike(Protocol):
    """What from_config reads from edge.config.Config (not imported: keeps this light)."""

    @property
    def device_id(self) -> str: ...
    @property
    def mqtt(self) -> Any: ...


@dataclass(frozen=True, kw_only=True)
class MqttSettings:
    device_id: str
    host: str = "localhost"
    port: int = 1883
    client_id: str = ""  # "" -> dancepose-<device_id>
    topic_prefix: str = DEFAULT_PREFIX
    qos: int = 1
    keepalive: int = 30
    username: str | None = None
    # Filled from $DANCEPOSE_MQTT_PASSWORD or a credentials file (load_password,
    # from_config), never from the config file itself; repr=False keeps it out of logs.
    password: str | None = field(default=None, repr=False)
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    max_inflight: int = DEFAULT_MAX_INFLIGHT

    def __post_init__(self) -> None:
        Topics(self.device_id, self.topic_prefix)  # validates both
        if not self.host:
            raise ValueError("MQTT host must not be empty")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"MQTT port must be 1..65535, got {self.port}")
        if self.qos not in (0, 1, 2):
            raise ValueError(f"MQTT qos must be 0, 1 or 2, got {self.qos}")
        if self.keepalive < 5:
            raise ValueError(f"MQTT keepalive must be at least 5 s, got {self.keepalive}")
        if not 1 <= self.max_inflight <= 10_000:
            raise ValueError(f"max_inflight must be 1..10000, got {self.max_inflight}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.password is not None and self.username is None:
            raise ValueError("an MQTT password needs a username (MQTT sends it only with one)")

    @classmethod
    def from_config(
        cls, config: _ConfigLike, environ: Mapping[str, str] | None = None
    ) -> MqttSettings:
        """From edge.config.Config: the password is read here, from the environment or
        mqtt.password_file, as late as possible and only if there is a user name."""
        m = config.mqtt
        return cls(
            device_id=config.device_id,
            host=m.host,
            port=m.port,
            client_id=m.client_id,
            topic_prefix=m.topic_prefix,
            qos=m.qos,
            keepalive=m.keepalive,
            username=m.username,
            password=m.read_password(environ) if m.username else None,
            tls_ca=m.tls_ca,
            tls_cert=m.tls_cert,
            tls_key=m.tls_key,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def effective_client_id(self) -> str:
        return self.client_id or f"dancepose-{self.device_id}"

    @property
    def tls(self) -> bool:
        return self.tls_ca is not None or self.tls_cert is not None
