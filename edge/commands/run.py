"""`dancepose run --config PATH`: the kiosk's long-running loop (see edge/app/loop.py)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from edge.config import load_config


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the edge loop: camera -> MQTT")
    parser.add_argument("--config", type=Path, required=True, help="the TOML config file")
    parser.add_argument("--mqtt-host", help="override mqtt.host (e.g. a private test broker)")
    parser.add_argument("--mqtt-port", type=int, help="override mqtt.port")
    parser.add_argument("--queue", type=Path, help="override queue.path")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from edge.app.loop import EdgeLoop

    config = load_config(args.config)
    mqtt = config.mqtt
    if args.mqtt_host:
        mqtt = mqtt.replace(host=args.mqtt_host)
    if args.mqtt_port:
        mqtt = mqtt.replace(port=args.mqtt_port)
    queue = config.queue
    if args.queue:
        queue = queue.replace(path=args.queue)
    config = config.replace(mqtt=mqtt, queue=queue)
    loop = EdgeLoop(config)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    return loop.run()
