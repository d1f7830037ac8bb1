"""Shared fixtures: where the real data and the fetched models are, and the MQTT harness
(a private mosquitto, a recording subscriber, a payload's JSON Schema)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from jsonschema import Draft202012Validator

from edge.publish.topics import SCHEMA_FILES
from training.devkit.broker import PrivateBroker, find_mosquitto

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SCHEMAS = REPO / "docs" / "schemas"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip (fresh clone) / fail (CI) with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"real data {path} is absent (it lives beside the repo as ../shared)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must have it")
        pytest.skip(message + "; a fresh clone without it skips the real-data tests")
    return path


def dancepose(
    *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real console entry point, as a user would, capturing its output; `env`:
    variables added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", *args], cwd=REPO, capture_output=True, text=True,
        timeout=timeout, env=None if env is None else {**os.environ, **env},
    )  # fmt: skip


@pytest.fixture(scope="session")
def exercise_clips() -> list[Path]:
    return sorted(shared_path("data", "exercise_videos").glob("*.mp4"))


@pytest.fixture(scope="session")
def model_paths():
    from edge.pose.model_files import ModelFileError, resolve_models

    try:
        return resolve_models()
    except ModelFileError as exc:
        pytest.fail(f"{exc} (make test runs `make models` first)")


@pytest.fixture(scope="session")
def clip_track(model_paths):
    """Keypoints of a real clip by our LiteRT pipeline (training.bench.counting.keypoints),
    computed once per test session: several tests count the same clips. A developer may set
    DANCEPOSE_KEYPOINT_CACHE to a folder to keep them between sessions (CI never does)."""
    from edge.keypoints_cache import video_tracks

    cache = os.environ.get("DANCEPOSE_KEYPOINT_CACHE")
    keypoints = video_tracks(Path(cache) if cache else None)
    tracks: dict[Path, object] = {}

    def track_of(video: Path):
        if video not in tracks:
            tracks[video] = keypoints(video)
        return tracks[video]

    return track_of


# -- MQTT ----------------------------------------------------------------------------------


def private_broker(**options: Any) -> PrivateBroker:
    """A PrivateBroker, not started yet (options: its own), or skip (no mosquitto on this
    machine) / fail (CI must have it)."""
    try:
        find_mosquitto()
    except RuntimeError as exc:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(str(exc))
    return PrivateBroker(**options)


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    """A running broker shared by a module's tests (each uses its own device ids)."""
    with private_broker() as running:
        yield running


@pytest.fixture
def own_broker() -> Iterator[PrivateBroker]:
    """A persistent broker of this test only, not started: for tests that stop and restart
    it."""
    made = private_broker(persistent=True)
    yield made
    made.close()


class Subscriber:
    """A paho subscriber that records (topic, payload, retain) and reconnects on its own;
    connected and subscribed (SUBACK received) once constructed."""

    def __init__(
        self, broker: PrivateBroker, topics: list[str], *, client_id: str | None = None,
        clean: bool = True,
    ) -> None:  # fmt: skip
        """clean False: a persistent session, which the broker keeps (and queues for)
        while this client is away."""
        self.messages: list[tuple[str, bytes, bool]] = []
        self._cond = threading.Condition()
        subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
            clean_session=clean,
        )
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=1)

        def on_connect(client: mqtt.Client, *_: Any) -> None:
            client.subscribe([(t, 1) for t in topics])

        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            with self._cond:
                self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))
                self._cond.notify_all()

        self.client.on_connect = on_connect
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = on_message
        self.client.connect(broker.host, broker.port, keepalive=10)
        self.client.loop_start()
        assert subscribed.wait(10), "subscriber got no SUBACK"

    def wait_for(self, predicate: Callable[[Subscriber], Any], timeout: float = 10.0) -> bool:
        """Whether predicate(self) became true within timeout seconds (checked on every
        message, and every 0.1 s)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    def payloads(self, topic: str) -> list[dict[str, Any]]:
        """The decoded payloads received on topic (an empty one, a cleared retained
        message, left out)."""
        with self._cond:
            return [json.loads(p) for t, p, _ in self.messages if t == topic and p]

    def retained(self, topic: str) -> list[dict[str, Any]]:
        with self._cond:
            return [json.loads(p) for t, p, r in self.messages if t == topic and r and p]

    def of(self, suffix: str) -> list[dict[str, Any]]:
        """The decoded payloads of every topic ending in /suffix, e.g. "rep" or "result"."""
        with self._cond:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith(f"/{suffix}") and p]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def validator(suffix: str) -> Draft202012Validator:
    """The JSON Schema (docs/schemas) of the payloads of a topic suffix, e.g. "cmd/result"."""
    schema = json.loads((SCHEMAS / SCHEMA_FILES[suffix]).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
