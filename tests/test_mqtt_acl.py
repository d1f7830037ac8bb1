"""firmware_config/mosquitto-acl.conf in a real mosquitto: a kiosk publishes only under its
own prefix and never a command; only named users command; anonymous clients get nothing."""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest

from edge.publish import topics as tp
from tests.conftest import REPO, private_broker
from training.devkit.broker import PrivateBroker

ACL = REPO / "firmware_config" / "mosquitto-acl.conf"
USERS = ("kiosk-3", "homeassistant", "trainer-studio-2", "fleet-viewer")
PASSWORD = "test-password-1"


class Client:
    """A paho client logged in as `user` (None: anonymous) that records what it reads."""

    def __init__(self, broker: PrivateBroker, user: str | None, reads: str | None = None):
        self.seen: list[tuple[str, bytes]] = []
        self.cond = threading.Condition()
        ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"acl-{uuid.uuid4().hex[:8]}")  # fmt: skip
        if user is not None:
            self.client.username_pw_set(user, PASSWORD)

        def on_message(_c, _u, msg) -> None:  # type: ignore[no-untyped-def]
            with self.cond:
                self.seen.append((msg.topic, bytes(msg.payload)))
                self.cond.notify_all()

        self.client.on_message = on_message
        self.client.on_connect = lambda c, *_: c.subscribe(reads, 1) if reads else ready.set()
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.connect(broker.host, broker.port, keepalive=10)
        self.client.loop_start()
        assert ready.wait(10)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def wait_for(self, topic: str, payload: bytes) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: (topic, payload) in self.seen, 10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def acl_broker(tmp_path) -> Iterator[PrivateBroker]:
    passwd = shutil.which("mosquitto_passwd")
    if passwd is None:
        pytest.skip("mosquitto_passwd is absent (apt-get install mosquitto)")
    password_file = tmp_path / "passwd"
    for index, user in enumerate(USERS):
        create = ["-c"] if index == 0 else []
        subprocess.run([passwd, *create, "-b", str(password_file), user, PASSWORD], check=True)
    with private_broker(extra=(f"password_file {password_file}", f"acl_file {ACL}")) as broker:
        yield broker


def test_a_kiosk_may_write_exactly_the_topics_it_publishes() -> None:
    lines = [line.split() for line in ACL.read_text().splitlines()]
    written = {w[2].removeprefix("dancepose/%u/") for w in lines if w[:2] == ["pattern", "write"]}
    assert written - {"homeassistant/+/%u/+/config"} == {*tp.OUT_TOPICS, tp.BRIDGE}


def test_only_named_users_command_and_a_kiosk_publishes_only_its_own(acl_broker) -> None:
    watcher = Client(acl_broker, "homeassistant", reads="#")
    kiosk_reads = Client(acl_broker, "kiosk-3", reads="dancepose/kiosk-3/cmd")
    clients = [watcher, kiosk_reads]
    try:
        for user in (None, "kiosk-3", "fleet-viewer", "trainer-studio-2"):
            sender = Client(acl_broker, user)
            clients.append(sender)
            sender.publish("dancepose/kiosk-3/cmd", f"from {user}".encode())
            sender.publish("dancepose/kiosk-4/rep", f"from {user}".encode())
        kiosk = clients[3]
        kiosk.publish("dancepose/kiosk-3/rep", b"own rep")
        kiosk.publish("homeassistant/button/kiosk-3/reset_count/config", b"own discovery")
        watcher.publish("dancepose/kiosk-3/cmd", b"from homeassistant")
        clients[5].publish("dancepose/studio-2/cmd", b"trainer to their kiosk")
        # the allowed ones arrive; everything published before them was refused
        assert watcher.wait_for("dancepose/kiosk-3/rep", b"own rep")
        assert watcher.wait_for("homeassistant/button/kiosk-3/reset_count/config",
                                b"own discovery")  # fmt: skip
        assert kiosk_reads.wait_for("dancepose/kiosk-3/cmd", b"from homeassistant")
        assert watcher.wait_for("dancepose/studio-2/cmd", b"trainer to their kiosk")
        commands = [p for t, p in kiosk_reads.seen if t == "dancepose/kiosk-3/cmd"]
        assert commands == [b"from homeassistant"]
        assert not [t for t, _ in watcher.seen if t == "dancepose/kiosk-4/rep"]
    finally:
        for client in clients:
            client.close()
