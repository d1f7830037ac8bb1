"""`make demo`: the whole loop on a real clip, a private broker, and a subscriber's view.

Needs no camera and no broker installed by hand: it plays a sample clip (from
../shared/data when present, or --clip), starts mosquitto on a free loopback port unless
--mqtt-host is given, runs `dancepose run` with firmware_config/demo.toml, and prints
every message a subscriber receives.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
from pathlib import Path

import paho.mqtt.client as mqtt

from edge.config import load_config
from training.devkit.broker import PrivateBroker

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "firmware_config" / "demo.toml"
SAMPLE_CLIP = REPO.parent / "shared" / "data" / "exercise_videos" / "squat_side_3.mp4"


def free_listen(listen: str) -> str:
    """The demo's kiosk page address, or any free loopback port when it is taken: a demo
    must run wherever it is started (the device's own config refuses a busy port)."""
    host, _, port = listen.rpartition(":")
    with socket.socket() as probe:
        try:
            probe.bind((host.strip("[]"), int(port)))
        except OSError:
            return f"{host}:0"
    return listen


def subscribe(host: str, port: int, topic: str, lines: list[str]) -> mqtt.Client:
    ready = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="dancepose-demo-viewer")

    def on_connect(client: mqtt.Client, *_: object) -> None:
        client.subscribe(topic, qos=1)

    def on_subscribe(*_: object) -> None:
        ready.set()

    def on_message(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        payload = json.loads(message.payload)
        short = {k: v for k, v in payload.items() if k not in ("id", "session_id", "time")}
        line = f"{message.topic:32s} {json.dumps(short)[:150]}"
        lines.append(line)
        print(line, flush=True)

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.connect(host, port)
    client.loop_start()
    if not ready.wait(10):
        raise RuntimeError(f"could not subscribe at {host}:{port}")
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=SAMPLE_CLIP)
    parser.add_argument("--exercise", default="squat", help="pack name, or auto")
    parser.add_argument("--mqtt-host", help="use this broker instead of a private one")
    parser.add_argument("--mqtt-port", type=int, default=1883)
    args = parser.parse_args(argv)
    if not args.clip.is_file():
        print(f"demo: sample clip {args.clip} not found; pass --clip VIDEO "
              "(any clip of one person exercising)", file=sys.stderr)  # fmt: skip
        return 2

    from edge.app.loop import EdgeLoop

    try:
        broker = None if args.mqtt_host else PrivateBroker().start()
    except RuntimeError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    host, port = (args.mqtt_host, args.mqtt_port) if broker is None else (broker.host, broker.port)
    print(f"demo: {args.clip.name} -> MQTT {host}:{port}", file=sys.stderr)
    config = load_config(DEMO_CONFIG, check_paths=False)
    lines: list[str] = []
    viewer = subscribe(host, port, f"{config.topic_root}/#", lines)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = config.replace(
                source=config.source.replace(path=args.clip, loop=False),
                mode=config.mode.replace(exercise=args.exercise),
                mqtt=config.mqtt.replace(host=host, port=port),
                queue=config.queue.replace(path=Path(tmp) / "events.sqlite"),
                web=config.web.replace(listen=free_listen(config.web.listen)),
            )
            EdgeLoop(config).run()
    finally:
        viewer.loop_stop()
        viewer.disconnect()
        if broker is not None:
            broker.stop()
    reps = sum("/rep " in line for line in lines)
    print(f"demo: a subscriber received {len(lines)} messages, {reps} rep events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
