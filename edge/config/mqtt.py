"""[mqtt]: the broker, the login and TLS; the password's two sources (never this file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self

from pydantic import BeforeValidator, Field, model_validator

from edge.config.base import ExistingFile, Table
from edge.config.messages import Expect, fail, raise_issues, show
from edge.config.secrets import Secret
from edge.publish.topics import DEFAULT_PREFIX

PASSWORD_ENV = "DANCEPOSE_MQTT_PASSWORD"
MQTT_PASSWORD = Secret(PASSWORD_ENV, "mqtt.password_file", "password")
CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def _no_scheme(value: Any) -> Any:
    if isinstance(value, str) and "://" in value:
        raise fail(
            "give only the host name or address, without a scheme (port and TLS are "
            f"mqtt.port and mqtt.tls_ca), got {show(value)}"
        )
    return value


class MqttConfig(Table):
    """The broker. The password is not a field: read_password() fetches it when connecting,
    so it never sits in a repr, a log line or to_toml_dict()."""

    refused_keys: ClassVar[dict[str, str]] = {
        "password": "the password must not be in the config file; set it in the environment "
        f"variable {PASSWORD_ENV} (systemd: EnvironmentFile=/etc/dancepose/env) or put it in "
        "a file named by mqtt.password_file"
    }

    host: Annotated[str, BeforeValidator(_no_scheme), Expect("a host name or IP address")] = Field(
        "localhost", pattern=r"^[A-Za-z0-9.:_-]{1,253}$", description="the broker"
    )
    port: int = Field(1883, ge=1, le=65535, description="the broker's port; 8883 for TLS")
    client_id: Annotated[str | None, Expect("letters, digits, '.', '-' or '_'")] = Field(
        None, pattern=f"^{CLIENT_ID.pattern}$", description="left out: dancepose-<device_id>"
    )
    topic_prefix: Annotated[
        str, Expect("topic levels of letters, digits, '-' or '_' joined by '/' (no wildcards, "
                    "no leading or trailing '/'), like 'dancepose'")
    ] = Field(DEFAULT_PREFIX, pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
              description="topics are <topic_prefix>/<device_id>/...")  # fmt: skip
    # 0 = at most once; 1 = at least once, what the queue's delete-on-PUBACK relies on (the
    # publisher's design covers 0 and 1; 2 adds a round trip and nothing the queue needs).
    qos: int = Field(1, ge=0, le=1, description="0 = at most once, 1 = at least once")
    keepalive: int = Field(60, ge=5, le=3600, description="seconds between keepalive pings")
    username: Annotated[str | None, Expect("a user name (a quoted string)")] = Field(
        None, pattern=r"\S", description="MQTT login; the password comes from env or file"
    )
    password_file: ExistingFile | None = Field(None, description="its first line: the password")
    tls_ca: ExistingFile | None = Field(None, description="CA bundle; given: TLS is on")
    tls_cert: ExistingFile | None = Field(None, description="client certificate (with tls_key)")
    tls_key: ExistingFile | None = Field(None, description="client key (with tls_cert)")
    homeassistant_discovery: bool = Field(
        False, description="publish Home Assistant discovery configs; false: remove them"
    )

    @model_validator(mode="after")
    def _keys_that_go_together(self) -> Self:
        issues = []
        if self.password_file is not None and self.username is None:
            issues.append((
                "password_file",
                "set mqtt.username too (MQTT sends a password only with a user name)",
            ))  # fmt: skip
        for given, missing in (("tls_cert", "tls_key"), ("tls_key", "tls_cert")):
            if getattr(self, given) is not None and getattr(self, missing) is None:
                issues.append((
                    missing,
                    f"required when mqtt.{given} is set; a client certificate and its key "
                    "go together",
                ))  # fmt: skip
        raise_issues(issues)
        return self

    @property
    def tls(self) -> bool:
        """TLS is on when a CA or a client certificate is given (system CAs: give their
        bundle, /etc/ssl/certs/ca-certificates.crt, as tls_ca)."""
        return self.tls_ca is not None or self.tls_cert is not None

    def read_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """$DANCEPOSE_MQTT_PASSWORD if set, else the first line of password_file, else None
        (edge.config.secrets: the rule every secret follows)."""
        return MQTT_PASSWORD.read(self.password_file, environ)


def default_client_id(device_id: str) -> str:
    """mqtt.client_id when the file leaves it out."""
    return f"dancepose-{device_id}"
