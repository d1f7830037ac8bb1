"""`dancepose run --config PATH`: the kiosk's long-running loop (see edge/app/loop.py)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from edge.commands.options import positive_int
from edge.config import load_config
from edge.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run the edge loop: camera -> MQTT and the kiosk page"
    )
    parser.add_argument("--config", type=Path, required=True, help="the TOML config file")
    parser.add_argument("--mqtt-host", help="override mqtt.host (e.g. a private test broker)")
    parser.add_argument("--mqtt-port", type=int, help="override mqtt.port")
    parser.add_argument("--queue", type=Path, help="override queue.path")
    parser.add_argument("--web-listen", metavar="HOST:PORT", help="override web.listen")
    parser.add_argument("--no-web", action="store_true", help="web.enabled = false: no page")
    parser.add_argument(
        "--people", type=positive_int, metavar="N",
        help="override pose.max_people: track up to N people, each counted on their own",
    )  # fmt: skip
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
    web = config.web
    if args.web_listen:
        web = web.replace(listen=args.web_listen)
    if args.no_web:
        web = web.replace(enabled=False)
    pose = config.pose
    if args.people:
        try:
            pose = pose.replace(max_people=args.people)
        except ValueError as exc:  # a backend that finds one person
            raise UsageError(f"--people {args.people}: {exc}") from exc
    config = config.replace(mqtt=mqtt, queue=queue, web=web, pose=pose)
    loop = EdgeLoop(config)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    return loop.run()
