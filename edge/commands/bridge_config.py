"""`dancepose bridge-config --central HOST:PORT`: the kiosk's mosquitto bridge to a fleet.

Prints (or writes, --out) the bridge lines for the local broker's conf.d, made from this
device's id and topic prefix (--config, else the host name and "dancepose"), so every
kiosk of one image gets its own bridge with no hand edit. edge/publish/bridge.py says
what crosses it and why.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from edge.config import default_device_id, load_config
from edge.errors import UsageError
from edge.publish.bridge import (
    BRIDGE_PASSWORD_ENV,
    Central,
    bridge_config,
    parse_address,
    read_bridge_password,
)
from edge.publish.topics import DEFAULT_PREFIX, Topics


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bridge-config",
        help="print a mosquitto bridge from this kiosk's broker to a central one",
        description=(
            "A mosquitto bridge (for /etc/mosquitto/conf.d/) from the kiosk's local broker "
            "to a central broker: events, state and discovery out, commands in. The password "
            f"comes from ${BRIDGE_PASSWORD_ENV} or --password-file, never from an option."
        ),
        allow_abbrev=False,  # `--password S3CRET` must not be taken as --password-file
    )
    parser.add_argument("--central", required=True, metavar="HOST:PORT", help="central broker")
    parser.add_argument("--config", type=Path, help="dancepose.toml: its device_id, topic_prefix")
    parser.add_argument("--device-id", help="default: the config's device_id, else the host name")
    parser.add_argument("--tls-ca", type=Path, metavar="FILE", help="CA of the central broker")
    parser.add_argument("--tls-cert", type=Path, metavar="FILE", help="this kiosk's certificate")
    parser.add_argument("--tls-key", type=Path, metavar="FILE", help="its key")
    parser.add_argument("--username", help="login at the central broker")
    parser.add_argument(
        "--password-file", type=Path, metavar="FILE",
        help=f"its first line is the password (${BRIDGE_PASSWORD_ENV} wins)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here (mode 0640)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    prefix, device_id = DEFAULT_PREFIX, default_device_id()
    if args.config is not None:
        config = load_config(args.config, check_paths=False)
        prefix, device_id = config.mqtt.topic_prefix, config.device_id
    if args.device_id is not None:
        device_id = args.device_id
    try:
        topics = Topics(device_id, prefix)
    except ValueError as exc:
        raise UsageError(f"--device-id: {exc}") from None
    host, port = parse_address(args.central)
    password = read_bridge_password(args.password_file)
    central = Central(host, port, args.tls_ca, args.tls_cert, args.tls_key, args.username, password)
    text = bridge_config(topics, central, generated_by="dancepose bridge-config")
    if password is not None and not central.tls:
        print(
            "dancepose bridge-config: warning: the password crosses the network in clear "
            "text without TLS; give --tls-ca",
            file=sys.stderr,
        )
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:  # 0640: the password, if any, stays readable by root and the mosquitto group only
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        os.fchmod(fd, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {args.out} ({exc.strerror or exc})") from None
    print(f"{args.out}: bridge to {central.address} for device {device_id!r}", file=sys.stderr)
    return 0
