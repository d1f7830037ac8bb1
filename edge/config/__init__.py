"""The one TOML config file of a DancePose device, typed and validated when it is loaded.

A kiosk is configured by one file (/etc/dancepose/dancepose.toml on a Pi, see
firmware_config/). It is read once, at start, into frozen pydantic models, so that every
mistake is found before the camera or the broker is touched. Each key is declared once,
as one field (type, default, constraint, description); the key list (SCHEMA), the "did
you mean" hints, the messages and to_toml() are derived from those fields.

All the mistakes of a file are reported at once, one line each that names the dotted key
and the fix: under systemd the first journal lines are often all an installer reads.

Rules that are easy to get wrong and are therefore enforced here:

* unknown keys are errors, with a difflib suggestion (a typo must not silently fall back to
  a default);
* relative paths resolve against the config file's folder, not the working directory
  (systemd starts us in /);
* secrets are never in this file (it is world-readable more often than not): the MQTT
  password comes from $DANCEPOSE_MQTT_PASSWORD (systemd's EnvironmentFile) or
  mqtt.password_file, the page's token likewise, by one rule (secrets.py);
* paths are checked to exist by default; `check_paths=False` skips that, for checking a
  Pi's config on another machine and for tests.

One module per job: a table per section (source, pose, mode, mqtt, stats, queue, web;
root is the whole file), base (what the tables share), messages (pydantic's errors as our
lines), load (file -> Config), toml (the writer), secrets (env var, else a file).
"""

from edge.config.errors import ConfigError
from edge.config.load import config_from_dict, load_config
from edge.config.mode import ModeConfig
from edge.config.mqtt import MQTT_PASSWORD, PASSWORD_ENV, MqttConfig, default_client_id
from edge.config.pose import PoseConfig
from edge.config.queue import QueueConfig, default_queue_path
from edge.config.root import ALL_KEYS, SCHEMA, TABLES, Config, default_device_id
from edge.config.secrets import Secret
from edge.config.source import SourceConfig
from edge.config.stats import StatsConfig
from edge.config.toml import dumps_toml
from edge.config.web import MIN_TOKEN_CHARS, WEB_TOKEN_ENV, WebConfig, split_host_port

read_password = MQTT_PASSWORD.read  # the MQTT password from its two sources

__all__ = [
    "ALL_KEYS",
    "MIN_TOKEN_CHARS",
    "MQTT_PASSWORD",
    "PASSWORD_ENV",
    "SCHEMA",
    "TABLES",
    "WEB_TOKEN_ENV",
    "Config",
    "ConfigError",
    "ModeConfig",
    "MqttConfig",
    "PoseConfig",
    "QueueConfig",
    "Secret",
    "SourceConfig",
    "StatsConfig",
    "WebConfig",
    "config_from_dict",
    "default_client_id",
    "default_device_id",
    "default_queue_path",
    "dumps_toml",
    "load_config",
    "read_password",
    "split_host_port",
]
