"""Commands in every state of the loop: answered while the camera is gone and the loop sits
in its backoff (from the page and over MQTT, against a real mosquitto), and a flood of
them that cannot stall frames (a bounded number between two frames, the rest refused as
busy at once)."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.request

import pytest

from edge.app import control as control_module
from edge.app.loop import EdgeLoop
from edge.config import load_config
from edge.sources import SourceError
from edge.sources.latest import LatestFrame
from tests.conftest import Subscriber, private_broker, shared_path
from tests.helpers import DEVICE, PacedSource, write_config

CLIP = ("data", "exercise_videos", "squat_side_3.mp4")


def http_command(loop: EdgeLoop, body: dict) -> tuple[int, dict]:
    assert loop.web is not None
    req = urllib.request.Request(
        f"{loop.web.url}api/command", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as reply:
        return reply.status, json.loads(reply.read())


def test_commands_are_answered_while_the_camera_is_gone(tmp_path, model_paths) -> None:
    attempts: list[float] = []

    def gone(_config):
        attempts.append(time.monotonic())
        raise SourceError("rtsp://cam/stream could not be opened; is it reachable?")

    with private_broker() as broker:
        viewer = Subscriber(broker, [f"dancepose/{DEVICE}/#"])
        config = write_config(tmp_path, shared_path(*CLIP), broker.port)
        loop = EdgeLoop(load_config(config), open_source=gone)
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            deadline = time.monotonic() + 30
            while len(attempts) < 3:  # then the loop waits 4 s before the next try
                assert time.monotonic() < deadline
                time.sleep(0.02)
            tries = len(attempts)
            sent = time.monotonic()
            status, answer = http_command(loop, {"action": "set_mode", "mode": "dance"})
            http_s = time.monotonic() - sent
            assert (status, answer) == (200, {"ok": True, "error": None})
            viewer.client.publish(
                f"dancepose/{DEVICE}/cmd",
                b'{"action": "set_mode", "mode": "both", "request_id": "while-gone"}', qos=1,
            )  # fmt: skip
            assert viewer.wait_for(
                lambda s: any(r.get("request_id") == "while-gone" for r in s.of("result")), 10
            )
            mqtt_s = time.monotonic() - sent
            assert len(attempts) == tries  # both answered inside one backoff wait
            assert loop.state.page(0, True)["mode"] == "both"
            print(f"answered while faulted: HTTP {http_s * 1000:.0f} ms, "
                  f"HTTP then MQTT {mqtt_s * 1000:.0f} ms")  # fmt: skip
        finally:
            loop.stop()
            runner.join(30)
            viewer.close()
    assert not runner.is_alive()  # stop() ends a fault's wait too


def test_a_command_flood_is_bounded_per_frame_and_refused_past_the_limit(
    tmp_path, model_paths, monkeypatch
) -> None:
    applied_per_frame: list[int] = []
    frame_times: list[float] = []

    class Counting(EdgeLoop):
        def _process(self, frame, capture_ms):  # type: ignore[no-untyped-def]
            before = self.control.applied  # type: ignore[union-attr]
            super()._process(frame, capture_ms)
            applied_per_frame.append(self.control.applied - before)  # type: ignore[union-attr]
            frame_times.append(time.perf_counter())

    applied = control_module.Control.apply

    def counting_apply(self, data):  # type: ignore[no-untyped-def]
        self.applied = getattr(self, "applied", 0) + 1
        return applied(self, data)

    monkeypatch.setattr(control_module.Control, "apply", counting_apply)
    with private_broker() as broker:
        config = write_config(tmp_path, shared_path(*CLIP), broker.port, loop=True)
        loop = Counting(load_config(config))
        loop.control.applied = 0  # type: ignore[union-attr]
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while len(frame_times) < 5:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            answers: list[tuple[bool, str | None]] = []
            for _ in range(10_000):
                loop.control.submit(  # type: ignore[union-attr]
                    b'{"action": "reset_count"}', lambda ok, error: answers.append((ok, error))
                )
            while len(answers) < 10_000:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            frames_during = len(frame_times)
            while len(frame_times) < frames_during + 5:  # frames go on afterwards
                assert time.monotonic() < deadline
                time.sleep(0.02)
        finally:
            loop.stop()
            runner.join(30)
    busy = [a for a in answers if a == (False, control_module.BUSY)]
    done = [a for a in answers if a == (True, None)]
    assert len(busy) + len(done) == 10_000
    assert len(busy) >= 10_000 - 2 * control_module.MAX_PENDING  # refused at once, answered
    assert max(applied_per_frame) <= control_module.PER_FRAME
    gaps = [b - a for a, b in itertools.pairwise(frame_times)]
    print(f"flood: longest frame gap {max(gaps) * 1000:.0f} ms over {len(gaps)} gaps")


def test_a_stalled_camera_applies_commands_while_the_loop_waits_for_a_frame() -> None:
    latest = LatestFrame(PacedSource(frames=2, period_s=5.0))  # the first frame in 5 s
    idle_calls: list[float] = []
    try:
        with pytest.raises(SourceError, match="no frame for 1 s"):
            latest.next_frame(timeout_s=1.0, idle=lambda: idle_calls.append(time.monotonic()),
                              idle_every_s=0.1)  # fmt: skip
    finally:
        latest.close()
    assert len(idle_calls) >= 5  # the loop's commands get a turn every 0.1 s of the wait


def test_commands_are_answered_while_a_source_takes_long_to_open(tmp_path, model_paths) -> None:
    """An RTSP camera can take many seconds to answer an open: the loop is not held."""
    release = threading.Event()
    opening = threading.Event()

    def slow(_config):
        opening.set()
        release.wait(60)  # a camera that answers only when the test says so
        raise SourceError("rtsp://cam/stream timed out; is it reachable?")

    with private_broker() as broker:
        config = write_config(tmp_path, shared_path(*CLIP), broker.port)
        loop = EdgeLoop(load_config(config), open_source=slow)
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            assert opening.wait(30)
            status, answer = http_command(loop, {"action": "set_mode", "mode": "dance"})
            assert (status, answer) == (200, {"ok": True, "error": None})
            assert not release.is_set()  # answered while the open still hangs
            assert loop.state.page(0, True)["mode"] == "dance"
        finally:
            release.set()
            loop.stop()
            runner.join(30)
    assert not runner.is_alive()
