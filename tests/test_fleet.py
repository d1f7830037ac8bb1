"""A fleet of kiosks: two real mosquittos joined by `dancepose bridge-config`'s output
(commands published centrally are answered centrally, discovery and state arrive
centrally), and the fleet page in Debian's chromium, served by the kiosk web server and
talking MQTT over WebSockets to a mosquitto `websockets` listener with kiosks publishing.
Every payload received is checked against docs/schemas."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.config import WebConfig
from edge.errors import UsageError
from edge.publish import topics as tp
from edge.publish.bridge import (
    BRIDGE_PASSWORD_ENV,
    Central,
    bridge_config,
    parse_address,
    read_bridge_password,
)
from edge.publish.commands import Command, CommandError, SetMode, parse_command
from edge.publish.homeassistant import discovery_configs, discovery_messages
from edge.publish.publisher import MqttPublisher
from edge.web.server import STATIC, KioskWeb
from tests.conftest import Subscriber, dancepose, private_broker, validator
from tests.helpers import CHROMIUM, PACKS, browser_or_skip, current_state, make_publisher
from training.devkit.broker import free_port

DEVICE = "kiosk-b"
EXERCISES = {*PACKS, "auto", "any"}


@pytest.fixture
def started() -> Iterator[list[Any]]:
    """Brokers, publishers and subscribers of a test: stopped at teardown, even on failure."""
    made: list[Any] = []
    yield made
    for thing in reversed(made):
        thing.close()


def answering(seen: list[Command]) -> tuple[Callable[[bytes], None], list[MqttPublisher]]:
    """A command handler as the loop's: parse, remember, reply on cmd/result."""
    holder: list[MqttPublisher] = []

    def on_command(data: bytes) -> None:
        try:
            command = parse_command(data, EXERCISES)
        except CommandError as exc:
            holder[0].reply(False, error=str(exc), request_id=exc.request_id)
            return
        seen.append(command)
        holder[0].reply(True, command=command)

    return on_command, holder


def assert_schemas(sub: Subscriber, topics: tp.Topics) -> None:
    """Every payload the subscriber got on the device's topics honours its schema."""
    checked = 0
    for suffix in tp.OUT_TOPICS:
        for payload in sub.payloads(topics.topic(suffix)):
            errors = [e.message for e in validator(suffix).iter_errors(payload)]
            assert not errors, (suffix, payload, errors)
            checked += 1
    assert checked


def test_vendored_mqtt_client_is_the_recorded_one() -> None:
    table = (STATIC / "VENDORED.md").read_text(encoding="utf-8")
    row = re.search(r"\| `mqtt.min.js` \|[^|]+\| ([0-9.]+) \|[^|]+\| ([0-9a-f]{64}) \|", table)
    assert row is not None, "VENDORED.md has no row for mqtt.min.js"
    data = (STATIC / "mqtt.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == row.group(2)
    assert (STATIC / "mqtt.min.js.LICENSE.md").read_text().startswith("The MIT License")


def test_bridge_config_joins_a_kiosk_to_a_central_broker(tmp_path: Path, started: list) -> None:
    central = private_broker()
    started.append(central)
    central.start()
    made = dancepose("bridge-config", "--central", f"127.0.0.1:{central.port}",
                     "--device-id", DEVICE, timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    bridge = made.stdout.splitlines()
    assert f"remote_clientid dancepose-bridge-{DEVICE}" in bridge  # unique per device
    local = private_broker(extra=bridge)  # the kiosk's own broker
    started.append(local)
    local.start()
    topics = tp.Topics(DEVICE)
    uplink, cmd, result, current, status = (
        topics.topic(suffix) for suffix in (tp.BRIDGE, tp.CMD, tp.CMD_RESULT, tp.CURRENT, tp.STATUS)
    )
    watch = Subscriber(central, [f"{topics.root}/#", f"homeassistant/+/{DEVICE}/+/config"])
    started.append(watch)
    assert watch.wait_for(lambda s: s.payloads(uplink)[-1:] == [1]), "bridge not up"

    seen: list[Command] = []
    on_command, holder = answering(seen)
    configs = discovery_configs(topics, sorted(EXERCISES), ["count"])
    kiosk = make_publisher(local.port, tmp_path, DEVICE, on_command=on_command,
                           retained_on_connect=discovery_messages(configs))  # fmt: skip
    holder.append(kiosk)
    started.append(kiosk)
    kiosk.publish_state(tp.CURRENT, current_state(count=7, exercise="squat"))
    # state and discovery arrive centrally
    assert watch.wait_for(
        lambda s: len([t for t, _, _ in s.messages if t in configs]) == len(configs)
    )
    assert {t: json.loads(p) for t, p, _ in watch.messages if t in configs} == configs
    assert watch.wait_for(lambda s: s.payloads(current)[-1:] and s.payloads(
        current)[-1]["count"] == 7)  # fmt: skip

    # a command published centrally is answered centrally
    watch.client.publish(cmd, b'{"action":"set_mode","mode":"count","request_id":"c1"}', 1)
    assert watch.wait_for(lambda s: len(s.payloads(result)) >= 1)
    reply = watch.payloads(result)[0]
    assert (reply["ok"], reply["request_id"]) == (True, "c1")
    assert seen == [SetMode("count", "c1")]
    # a retained one, published centrally while all are connected, is refused: the MQTT 5
    # bridge keeps the retain flag (retain-as-published) and so does the device
    watch.client.publish(cmd, b'{"action":"reset_count","request_id":"c2"}', 1, True)
    assert watch.wait_for(lambda s: len(s.payloads(result)) >= 2)
    refused = watch.payloads(result)[1]
    assert (refused["ok"], refused["request_id"]) == (False, "c2")
    assert "retained" in refused["error"] and seen == [SetMode("count", "c1")]
    watch.client.publish(cmd, b"", 1, True)  # cleared: no reply
    watch.client.publish(cmd, b'{"action":"end_session","request_id":"c3"}', 1)
    assert watch.wait_for(lambda s: len(s.payloads(result)) >= 3)
    assert [r["request_id"] for r in watch.payloads(result)] == ["c1", "c2", "c3"]

    # a dashboard that starts later reads the kiosk from the central broker's retained store
    late = Subscriber(central, [f"homeassistant/+/{DEVICE}/+/config", status,
                                     current])  # fmt: skip
    started.append(late)
    assert late.wait_for(lambda s: s.retained(current) and s.retained(status))
    assert late.retained(current)[0]["count"] == 7
    assert late.retained(status)[0]["state"] == "online"
    assert len([t for t, _, r in late.messages if t in configs and r]) == len(configs)
    assert_schemas(watch, topics)
    assert_schemas(late, topics)


def test_bridge_password_comes_from_env_or_file_never_an_option(tmp_path: Path) -> None:
    out = tmp_path / "dancepose-bridge.conf"
    env = {BRIDGE_PASSWORD_ENV: "from-the-env"}
    made = dancepose("bridge-config", "--central", "central.lan:8883", "--device-id", "k1",
                     "--username", "kiosk", "--out", str(out), env=env, timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout == "" and "without TLS" in made.stderr  # a clear-text password warned
    assert "remote_password from-the-env" in out.read_text().splitlines()
    assert out.stat().st_mode & 0o777 == 0o640  # root and the mosquitto group only
    refused = dancepose("bridge-config", "--central", "c:1", "--password", "x", timeout=60)
    assert refused.returncode == 2 and "unrecognized arguments: --password" in refused.stderr
    secret = tmp_path / "password"
    secret.write_text("from-the-file\nignored\n")
    assert read_bridge_password(secret, environ={}) == "from-the-file"
    assert read_bridge_password(secret, environ=env) == "from-the-env"
    topics = tp.Topics("k1")
    for central, message in (
        (Central("c", 1, password="p"), "needs --username"),
        (Central("c", 1, username="u", password="two words"), "spaces"),
        (Central("c", 1, username="u", password="a\nconnection evil"), "spaces"),
        (Central("c", 1, tls_cert=secret, tls_key=secret), "needs --tls-ca"),
        (Central("c", 1, tls_ca=tmp_path / "missing.crt"), "no such file"),
    ):
        with pytest.raises(UsageError, match=message):
            bridge_config(topics, central)
    for bad in ("central", "central:0", "central:65536", "[nope]:1883", "a b:1"):
        with pytest.raises(UsageError, match="--central"):
            parse_address(bad)
    assert parse_address("[fd00::1]:1883") == ("fd00::1", 1883)
    assert "address [fd00::1]:1883" in bridge_config(topics, Central("fd00::1", 1883))


def fleet_kiosk(port: int, folder: Path, device_id: str, **state: Any) -> MqttPublisher:
    """A kiosk as the fleet page sees it: status, the current state and one stats message."""
    publisher = make_publisher(port, folder / device_id, device_id)
    publisher.publish_state(tp.CURRENT, current_state(**state))
    stats = tp.stats_payload(
        uptime_s=3600.0, fps=14.8 if state.get("mode", "count") == "count" else 9.6,
        latency_ms={"pose": 48.0}, dropped_frames=3, queue_depth=0, queue_dropped=0,
        cpu_temp_c=61.0, mode=state.get("mode", "count"), exercise=state.get("exercise"),
        reps=state.get("count", 0), partial_reps=state.get("partial_count", 0),
    )  # fmt: skip
    publisher.publish_event(tp.STATS, stats)
    return publisher


def test_fleet_page_lists_every_kiosk_live(tmp_path: Path, started: list) -> None:
    sync_api = browser_or_skip()
    ws_port = free_port()
    broker = private_broker(extra=(f"listener {ws_port} 127.0.0.1", "protocol websockets"))
    started.append(broker)
    broker.start()
    gym = fleet_kiosk(broker.port, tmp_path, "gym-1", exercise="squat", count=12,
                      selected_exercise="squat", phase="down")  # fmt: skip
    studio = fleet_kiosk(broker.port, tmp_path, "studio-2", mode="dance", genre="gHO",
                         genre_name="house")  # fmt: skip
    started.extend([gym, studio])
    watch = Subscriber(broker, ["dancepose/+/#"])
    started.append(watch)
    for kiosk in (gym, studio):
        assert kiosk.flush(10)
        current = kiosk.topics.topic(tp.CURRENT)
        assert watch.wait_for(lambda s, c=current: s.retained(c) or s.payloads(c))

    # the page, served by a kiosk's web server; it needs nothing from that server but files
    web = KioskWeb(WebConfig(listen="127.0.0.1:0"), dict, lambda data, answer: None)
    web.start()
    started.append(web)
    url = f"{web.url}fleet?broker=ws://127.0.0.1:{ws_port}"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 330})
        page.goto(url)
        cell = "document.querySelector('tr[data-kiosk=\"{}\"] td.{}')?.textContent"
        page.wait_for_function(f"{cell.format('gym-1', 'count')} === '12'", timeout=30_000)
        page.wait_for_function(f"{cell.format('studio-2', 'genre')} === 'house'", timeout=30_000)
        rows = page.eval_on_selector_all("#kiosks tr", "rows => rows.map(r => [...r.cells].map("
                                         "c => c.textContent))")  # fmt: skip
        assert [r[:6] for r in rows] == [
            ["gym-1", "online", "12", "squat", "-", "14.8"],
            ["studio-2", "online", "-", "(dancing)", "house", "9.6"],
        ]
        assert all(r[6].endswith(" ago") for r in rows)  # last seen
        # live: a rep, a camera fault, and a kiosk that goes away
        gym.publish_state(tp.CURRENT, current_state(exercise="squat", count=13))
        page.wait_for_function(f"{cell.format('gym-1', 'count')} === '13'", timeout=30_000)
        studio.status("fault", "camera 0 stopped delivering frames; retrying in 4 s")
        page.wait_for_function(f"{cell.format('studio-2', 'status')} === 'fault'",
                               timeout=30_000)  # fmt: skip
        assert "camera 0" in page.inner_text("tr[data-kiosk='studio-2'] td.fault")
        page.screenshot(path=str(tmp_path / "fleet.png"))
        gym.close()
        page.wait_for_function(f"{cell.format('gym-1', 'status')} === 'offline'", timeout=30_000)
        browser.close()
    assert_schemas(watch, gym.topics)
    assert_schemas(watch, studio.topics)
