"""A mosquitto bridge from a kiosk's local broker to a fleet's central broker.

Every kiosk runs the same image: the bridge is generated on the device (`dancepose
bridge-config`, e.g. at first boot) from its device id, so nothing is edited by hand
per kiosk. What crosses the bridge, all at QoS 1:

* out (kiosk -> central): every topic the device publishes (topics.OUT_TOPICS: status,
  current, events, cmd/result) and its Home Assistant discovery configs;
* in (central -> kiosk): its cmd topic, so a command published centrally reaches it and
  its cmd/result goes back out;
* the bridge's own state, "1"/"0" retained on <prefix>/<device_id>/bridge at both ends
  (mosquitto's notifications; the central end's "0" is the bridge's will).

MQTT 5 (`bridge_protocol_version mqttv50`): mosquitto then subscribes at the central
broker with retain-as-published, so a retained command keeps its flag across the bridge
and the device refuses it, as it does locally. The remote client id is unique per
device (the central broker drops the older of two connections with one id). The session
at the central broker is kept (cleansession false), and the local broker queues what is
published while the uplink is down (firmware_config/mosquitto.conf: persistence and
max_queued_messages), so a lost uplink loses nothing.

A password is never taken from the command line (ps shows it to every user): it comes
from $DANCEPOSE_BRIDGE_PASSWORD or a file's first line, the rule of every secret
(edge/config/secrets.py). mosquitto has no other way to read a bridge password than its
config file, so the output then holds it: write it with --out (mode 0640) rather than
to a terminal, or use a client certificate (--tls-cert, --tls-key) and no password at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from edge.config import Secret, split_host_port
from edge.errors import UsageError
from edge.publish.homeassistant import DISCOVERY_PREFIX, ha_id
from edge.publish.topics import BRIDGE, IN_TOPICS, OUT_TOPICS, Topics

BRIDGE_PASSWORD_ENV = "DANCEPOSE_BRIDGE_PASSWORD"
BRIDGE_PASSWORD = Secret(BRIDGE_PASSWORD_ENV, "--password-file", "password")
# $DANCEPOSE_BRIDGE_PASSWORD if set, else the first line of a file, else None.
read_bridge_password = BRIDGE_PASSWORD.read
CONNECTION = "dancepose-central"
QOS = 1


@dataclass(frozen=True)
class Central:
    """Where the central broker is, and how the bridge logs in there."""

    host: str
    port: int
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    username: str | None = None
    password: str | None = None

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def tls(self) -> bool:
        return self.tls_ca is not None or self.tls_cert is not None


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT (a name, an IPv4 address or [an IPv6 address]); UsageError if not."""
    try:
        return split_host_port(text, lowest_port=1)
    except ValueError as exc:
        fix = "give HOST:PORT, like central.example.com:8883 or [fd00::1]:1883"
        raise UsageError(f"--central: {exc}; {fix}") from None


def remote_client_id(device_id: str) -> str:
    """The bridge's client id at the central broker: one per device."""
    return "dancepose-bridge-" + re.sub(r"[^A-Za-z0-9_.-]", "_", device_id)


def bridge_config(topics: Topics, central: Central, generated_by: str = "") -> str:
    """The mosquitto.conf lines of the bridge (a file for /etc/mosquitto/conf.d/)."""
    if central.password is not None and central.username is None:
        raise UsageError("a bridge password needs --username (MQTT sends it only with one)")
    if (central.tls_cert is None) != (central.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together: a certificate and its key")
    if central.tls_cert is not None and central.tls_ca is None:
        raise UsageError("--tls-cert needs --tls-ca too: mosquitto's bridge TLS needs a CA")
    for name, value in (("--username", central.username), ("the password", central.password)):
        if value is not None and (not value or re.search(r"[\s#]", value)):
            raise UsageError(
                f"{name} cannot be empty or hold spaces, control characters or '#' "
                "(mosquitto's config file could not hold it)"
            )
    for path in (central.tls_ca, central.tls_cert, central.tls_key):
        if path is not None and not path.is_file():
            raise UsageError(f"{path}: no such file (TLS files must exist on this device)")
    node = ha_id(topics.device_id)
    lines = [
        f"# DancePose bridge of device {topics.device_id!r} to {central.address}"
        + (f", written by {generated_by}" if generated_by else ""),
        "# (events, state and Home Assistant discovery out; commands in). docs/mqtt.md.",
        f"connection {CONNECTION}",
        f"address {central.address}",
        "bridge_protocol_version mqttv50",
        f"remote_clientid {remote_client_id(topics.device_id)}",
        "# keep the central session across reconnects; queue locally while it is away",
        "cleansession false",
        "# MQTT 5 bridges mark themselves with subscription options, not the 3.1 'private' bit",
        "try_private false",
        "start_type automatic",
        "restart_timeout 5 120",
        "keepalive_interval 60",
        "notifications true",
        f"notification_topic {topics.topic(BRIDGE)}",
    ]
    lines += [f"topic {topics.topic(suffix)} out {QOS}" for suffix in OUT_TOPICS]
    lines.append(f"topic {DISCOVERY_PREFIX}/+/{node}/+/config out {QOS}")
    lines += [f"topic {topics.topic(suffix)} in {QOS}" for suffix in IN_TOPICS]
    if central.tls_ca is not None:
        lines.append(f"bridge_cafile {central.tls_ca.resolve()}")
    if central.tls_cert is not None and central.tls_key is not None:
        lines.append(f"bridge_certfile {central.tls_cert.resolve()}")
        lines.append(f"bridge_keyfile {central.tls_key.resolve()}")
    if central.username is not None:
        lines.append(f"remote_username {central.username}")
    if central.password is not None:
        lines.append(f"remote_password {central.password}")
    return "\n".join(lines) + "\n"
