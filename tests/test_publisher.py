"""edge.publish.publisher: the password stays out of logs, and the publisher delivers
at-least-once through a real mosquitto that these tests start (and kill) themselves on free
loopback ports.

Broker restarts use mosquitto persistence and a persistent-session subscriber, so what is
tested is the publisher's guarantee (every event reaches the broker at least once), not
a race between our subscriber and the publisher to reconnect first after the restart.

(Over 400 lines: one scenario a broker fault, each needing its own broker's life.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.config import config_from_dict
from edge.counting.events import RepEvent
from edge.publish import topics as tp
from edge.publish.commands import (
    Command,
    CommandError,
    EndSession,
    SetMode,
    parse_command,
)
from edge.publish.homeassistant import discovery_configs, discovery_messages, removal_messages
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue
from edge.publish.settings import PASSWORD_ENV, MqttSettings, load_password
from tests.conftest import REPO, Subscriber, validator
from tests.helpers import PACKS, current_state, make_publisher
from training.devkit.broker import HOST, PrivateBroker, free_port

# -- settings -------------------------------------------------------------------------------


def test_settings_keep_the_password_out_of_repr(tmp_path: Path) -> None:
    s = MqttSettings(device_id="d", username="u", password="hunter2")
    assert "hunter2" not in repr(s)
    assert s.effective_client_id == "dancepose-d"
    secret = tmp_path / "pw"
    secret.write_text("from-file\nignored\n")
    assert load_password(secret, environ={}) == "from-file"
    assert load_password(secret, environ={PASSWORD_ENV: "from-env"}) == "from-env"
    assert load_password(None, environ={}) is None
    with pytest.raises(ValueError):
        MqttSettings(device_id="d", password="p")
    config = config_from_dict(
        {"device_id": "k1", "mqtt": {"host": "broker.lan", "username": "kiosk", "qos": 1}},
        check_paths=False,
    )
    from_config = MqttSettings.from_config(config, environ={PASSWORD_ENV: "s3cret"})
    assert (from_config.address, from_config.effective_client_id) == (
        "broker.lan:1883",
        "dancepose-k1",
    )
    assert from_config.password == "s3cret" and "s3cret" not in repr(from_config)
    with pytest.raises(ValueError):
        MqttSettings(device_id="d", tls_cert=Path("c.pem"))


# -- a real broker --------------------------------------------------------------------------


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    """Publishers and subscribers made by a test, closed at teardown even on failure."""
    made: list[Any] = []
    yield made
    for thing in reversed(made):
        with contextlib.suppress(Exception):
            thing.close()


def rep_event(i: int, session: str = "s1") -> dict[str, Any]:
    return dict(
        tp.rep_payload(
            RepEvent("squat", i, i * 1.5, i * 1.5 - 1.0, i * 1.5, 0.7, votes=7.0), session
        )
    )


def test_status_retained_reps_in_order_and_discovery(
    broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    topics = tp.Topics("dev1")
    publisher = make_publisher(
        broker.port,
        tmp_path,
        retained_on_connect=discovery_messages(discovery_configs(topics, PACKS, ["count"])),
    )
    clients.append(publisher)
    sub = Subscriber(broker, ["dancepose/dev1/#"])
    clients.append(sub)
    assert sub.wait_for(
        lambda s: any(p["state"] == "online" for p in s.payloads(topics.topic(tp.STATUS)))
    )
    for i in range(1, 51):
        publisher.publish_event("rep", rep_event(i))
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.REP))) >= 50)
    reps = sub.payloads(topics.topic(tp.REP))
    assert [r["count"] for r in reps] == list(range(1, 51))
    for r in reps:
        assert validator("rep").is_valid(r)
    assert publisher.flush(5)
    assert publisher.queue.depth() == 0
    latency = publisher.take_latency()
    assert latency.samples == 50 and latency.mean_ms is not None and latency.mean_ms >= 0
    assert publisher.take_latency().samples == 0

    configs = discovery_configs(topics, PACKS, ["count"])
    late = Subscriber(broker, [topics.topic(tp.STATUS), "homeassistant/#"])
    clients.append(late)
    assert late.wait_for(
        lambda s: (
            len(s.retained(topics.topic(tp.STATUS))) == 1 and len(s.messages) >= 1 + len(configs)
        )
    )
    status = late.retained(topics.topic(tp.STATUS))[0]
    assert status["state"] == "online" and validator("status").is_valid(status)
    assert {t: json.loads(p) for t, p, r in late.messages if t in configs and r} == configs

    publisher.status("fault", "camera lost")
    assert sub.wait_for(lambda s: s.payloads(topics.topic(tp.STATUS))[-1]["state"] == "fault")
    assert sub.payloads(topics.topic(tp.STATUS))[-1]["fault"] == "camera lost"
    publisher.close()  # clean: says offline itself
    assert sub.wait_for(lambda s: s.payloads(topics.topic(tp.STATUS))[-1]["state"] == "offline")
    for status in sub.payloads(topics.topic(tp.STATUS)):
        assert validator("status").is_valid(status)

    # Discovery turned off: the next run's empty retained configs delete the entities.
    again = make_publisher(
        broker.port, tmp_path / "again", retained_on_connect=removal_messages(topics)
    )
    clients.append(again)
    assert again.flush(5) and late.wait_for(
        lambda s: sum(1 for t, p, _ in s.messages if t in configs and not p) == len(configs)
    )
    # retained messages come in the order of the subscriptions: status last, so its arrival
    # means any retained config would have come before it
    after = Subscriber(broker, ["homeassistant/#", topics.topic(tp.STATUS)])
    clients.append(after)
    assert after.wait_for(lambda s: len(s.retained(topics.topic(tp.STATUS))) == 1)
    assert [t for t, _, r in after.messages if t.startswith("homeassistant/")] == []


def test_command_round_trip(broker: PrivateBroker, tmp_path: Path, clients: list[Any]) -> None:
    seen: list[Command] = []
    holder: list[MqttPublisher] = []

    def on_command(data: bytes) -> None:
        publisher = holder[0]
        try:
            command = parse_command(data, {"squat", "pushup"})
        except CommandError as exc:
            publisher.reply(False, error=str(exc), request_id=exc.request_id)
            return
        seen.append(command)
        publisher.reply(True, command=command)

    publisher = make_publisher(broker.port, tmp_path, device_id="dev2", on_command=on_command)
    holder.append(publisher)
    clients.append(publisher)
    topics = publisher.topics
    sub = Subscriber(broker, [topics.topic(tp.CMD_RESULT), topics.topic(tp.STATUS)])
    clients.append(sub)
    assert sub.wait_for(
        lambda s: any(p["state"] == "online" for p in s.payloads(topics.topic(tp.STATUS)))
    )

    sub.client.publish(topics.topic(tp.CMD), b'{"action": "jump", "request_id": "r1"}', qos=1)
    sub.client.publish(topics.topic(tp.CMD), b"\xff not json", qos=1)
    sub.client.publish(
        topics.topic(tp.CMD), b'{"action":"set_mode","mode":"dance","request_id":"r2"}', qos=1
    )
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 3)
    bad, garbage, good = sub.payloads(topics.topic(tp.CMD_RESULT))
    for reply in (bad, garbage, good):
        assert validator(tp.CMD_RESULT).is_valid(reply)
    assert (bad["ok"], bad["request_id"], bad["command"]) == (False, "r1", None)
    assert "unknown action 'jump'" in bad["error"]
    assert garbage["ok"] is False and "UTF-8" in garbage["error"]
    assert good == {
        **good,
        "ok": True,
        "error": None,
        "request_id": "r2",
        "command": {"action": "set_mode", "mode": "dance"},
    }
    assert seen == [SetMode("dance", "r2")]

    # A retained command is refused whenever it arrives: live (MQTT 5 retain-as-published
    # keeps its flag) and again at every reconnect; it never runs.
    retained = b'{"action":"reset_count","request_id":"r3"}'
    sub.client.publish(topics.topic(tp.CMD), retained, qos=1, retain=True).wait_for_publish(5)
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 4)
    publisher.close()
    holder[0] = make_publisher(broker.port, tmp_path, device_id="dev2", on_command=on_command)
    clients.append(holder[0])
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 5)
    for refused in sub.payloads(topics.topic(tp.CMD_RESULT))[3:]:
        assert validator(tp.CMD_RESULT).is_valid(refused)
        assert (refused["ok"], refused["request_id"]) == (False, "r3")
        assert "retained commands are refused" in refused["error"]
    assert seen == [SetMode("dance", "r2")]
    # Clearing it (an empty retained message) is ignored without a reply: the next reply
    # is the next command's (replies keep the order of the commands).
    sub.client.publish(topics.topic(tp.CMD), b"", qos=1, retain=True).wait_for_publish(5)
    sub.client.publish(topics.topic(tp.CMD), b'{"action":"end_session","request_id":"r4"}', qos=1)
    assert sub.wait_for(lambda s: len(s.payloads(topics.topic(tp.CMD_RESULT))) >= 6)
    last = sub.payloads(topics.topic(tp.CMD_RESULT))[5]
    assert (last["ok"], last["request_id"]) == (True, "r4")
    assert seen == [SetMode("dance", "r2"), EndSession("r4")]
    assert holder[0].flush(5)
    assert len(sub.payloads(topics.topic(tp.CMD_RESULT))) == 6


LWT_SCRIPT = """
import sys, time
from pathlib import Path
from edge.publish.publisher import MqttPublisher
from edge.publish.queue import EventQueue
from edge.publish.settings import MqttSettings

settings = MqttSettings(device_id="doomed", host="127.0.0.1", port=int(sys.argv[1]), keepalive=10)
MqttPublisher(settings, EventQueue(Path(sys.argv[2]) / "events.sqlite")).start()
time.sleep(120)
"""


def test_lwt_offline_when_the_process_is_killed(
    broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    status = "dancepose/doomed/status"
    sub = Subscriber(broker, [status])
    clients.append(sub)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", LWT_SCRIPT, str(broker.port), str(tmp_path)], cwd=REPO, env=env
    )
    try:
        assert sub.wait_for(lambda s: any(p["state"] == "online" for p in s.payloads(status)), 20)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert sub.wait_for(lambda s: s.payloads(status)[-1]["state"] == "offline")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    offline = sub.payloads(status)[-1]
    assert validator("status").is_valid(offline) and offline["fault"] is None
    late = Subscriber(broker, [status])
    clients.append(late)
    assert late.wait_for(lambda s: len(s.retained(status)) == 1)
    assert late.retained(status)[0]["state"] == "offline"


def test_queued_events_of_a_previous_run_are_sent(
    broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    topic = "dancepose/dev3/rep"
    with EventQueue(tmp_path / "events.sqlite") as queue:  # a run that never reached a broker
        for i in range(1, 6):
            queue.put(topic, tp.encode(rep_event(i)))
    sub = Subscriber(broker, [topic])
    clients.append(sub)
    publisher = make_publisher(broker.port, tmp_path, device_id="dev3")
    clients.append(publisher)
    assert sub.wait_for(lambda s: len(s.payloads(topic)) >= 5)
    assert [p["count"] for p in sub.payloads(topic)] == [1, 2, 3, 4, 5]
    assert publisher.flush(5) and publisher.queue.depth() == 0


def persistent_subscriber(broker: PrivateBroker, topics: list[str]) -> Subscriber:
    return Subscriber(broker, topics, client_id="test-durable", clean=False)


def test_broker_down_at_start_then_up(
    own_broker: PrivateBroker, tmp_path: Path, clients: list[Any], caplog: Any
) -> None:
    topic = "dancepose/dev4/rep"
    own_broker.start()
    persistent_subscriber(own_broker, [topic]).close()  # leaves a session behind
    own_broker.stop(graceful=True)

    caplog.set_level(logging.INFO, logger="edge.publish")
    publisher = make_publisher(own_broker.port, tmp_path, device_id="dev4")
    clients.append(publisher)
    sent = [rep_event(i) for i in range(1, 31)]
    for event in sent:
        publisher.publish_event("rep", event)  # must not raise or block
    publisher.publish_state("current", current_state(count=30, last_rep_time=sent[-1]["time"]))
    with pytest.raises(ValueError, match="not a state topic"):
        publisher.publish_state("rep", sent[0])
    deadline = time.monotonic() + 5
    while "unreachable" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"MQTT broker {HOST}:{own_broker.port} unreachable (")
    assert lines[0].endswith("); retrying with backoff")
    assert not publisher.connected and publisher.queue.depth() == 30

    own_broker.start()
    assert publisher.flush(15), "queued events were not acknowledged after the broker came up"
    sub = persistent_subscriber(own_broker, [topic])
    clients.append(sub)
    assert sub.wait_for(lambda s: len({p["id"] for p in s.payloads(topic)}) >= 30)
    assert {p["id"] for p in sub.payloads(topic)} == {e["id"] for e in sent}
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    # the current state set while the broker was down is there, retained, once it is up
    late = Subscriber(own_broker, ["dancepose/dev4/current"])
    clients.append(late)
    assert late.wait_for(lambda s: len(s.retained("dancepose/dev4/current")) == 1)
    current = late.retained("dancepose/dev4/current")[0]
    assert validator("current").is_valid(current) and current["count"] == 30


def test_broker_killed_mid_stream(
    own_broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    topic = "dancepose/dev5/rep"
    own_broker.start()
    sub = persistent_subscriber(own_broker, [topic])
    clients.append(sub)
    publisher = make_publisher(own_broker.port, tmp_path, device_id="dev5")
    clients.append(publisher)
    deadline = time.monotonic() + 10
    while not publisher.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert publisher.connected

    sent = [rep_event(i) for i in range(1, 401)]

    def produce() -> None:
        for event in sent:
            publisher.publish_event("rep", event)
            time.sleep(0.003)

    producer = threading.Thread(target=produce)
    producer.start()
    assert sub.wait_for(lambda s: len(s.payloads(topic)) >= 50)  # really mid-stream
    own_broker.stop(graceful=True)
    # back only once the publisher has seen it go and events keep piling up in its queue
    deadline = time.monotonic() + 10
    while (publisher.connected or publisher.queue.depth() < 20) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not publisher.connected and publisher.queue.depth() >= 20
    own_broker.start()
    producer.join()
    assert publisher.flush(20), f"{publisher.queue.depth()} event(s) never acknowledged"
    assert sub.wait_for(lambda s: len({p["id"] for p in s.payloads(topic)}) >= len(sent), 20)
    received = sub.payloads(topic)
    assert {p["id"] for p in received} == {e["id"] for e in sent}  # de-dup gives the exact set
    assert len(received) >= len(sent)  # at least once; duplicates are allowed
    assert publisher.queue.dropped == 0


def test_broker_sigkilled_with_events_in_flight(
    own_broker: PrivateBroker, tmp_path: Path, clients: list[Any]
) -> None:
    """The broker is frozen (SIGSTOP) so that a burst stays unacknowledged in flight, then
    SIGKILLed: those events must be resent after the restart, the later ones sent from the
    queue. The subscriber's session was saved by a clean restart first, so the restarted
    broker queues for it whether or not it has reconnected yet."""
    topic = "dancepose/dev7/rep"
    own_broker.start()
    persistent_subscriber(own_broker, [topic]).close()
    own_broker.stop(graceful=True)  # the session is saved to the persistence file
    own_broker.start()
    sub = persistent_subscriber(own_broker, [topic])
    clients.append(sub)
    publisher = make_publisher(own_broker.port, tmp_path, device_id="dev7")
    clients.append(publisher)

    sent = [rep_event(i) for i in range(1, 301)]
    for event in sent[:100]:
        publisher.publish_event("rep", event)
    assert publisher.flush(10)
    assert sub.wait_for(lambda s: len(s.payloads(topic)) >= 100)  # nothing left in the broker

    assert own_broker.process is not None
    own_broker.process.send_signal(signal.SIGSTOP)
    for event in sent[100:200]:
        publisher.publish_event("rep", event)
    window = publisher.window  # mosquitto's Receive Maximum (20) unless lower in the config
    assert 0 < window < 100
    deadline = time.monotonic() + 5
    while publisher.in_flight < window and time.monotonic() < deadline:
        time.sleep(0.01)
    assert publisher.in_flight == window  # sent, never acknowledged; the rest still queued
    own_broker.stop()  # SIGKILL
    for event in sent[200:]:
        publisher.publish_event("rep", event)
    assert publisher.queue.depth() == 200

    own_broker.start()
    assert publisher.flush(15), f"{publisher.queue.depth()} event(s) never acknowledged"
    assert sub.wait_for(lambda s: len({p["id"] for p in s.payloads(topic)}) >= len(sent), 15)
    assert {p["id"] for p in sub.payloads(topic)} == {e["id"] for e in sent}
    # New events waited for the resends (the pump holds back until the SUBACK), so even
    # across the crash the first arrival of each rep is in order.
    assert list(dict.fromkeys(p["count"] for p in sub.payloads(topic))) == list(range(1, 301))


def test_close_with_the_broker_down_is_prompt(tmp_path: Path) -> None:
    publisher = make_publisher(free_port(), tmp_path, device_id="dev6")
    publisher.publish_event("state", tp.state_payload("s", "squat", "down", 1.0))
    with pytest.raises(ValueError, match="not an event topic"):
        publisher.publish_event("status", {"state": "online"})  # status is never queued
    started = time.monotonic()
    publisher.close(timeout_s=0.5)  # waits that long for a broker that might come back
    assert time.monotonic() - started < 2
    with EventQueue(tmp_path / "events.sqlite") as queue:
        assert queue.depth() == 1  # kept for the next run
