"""The edge program end to end against a real mosquitto the tests start: `dancepose run`
on real clips, the subscriber's view, the last will, and no rep lost to a broker outage or
to a restart of the program."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from edge.counting.pack import installed_packs
from edge.modes import MODES
from edge.publish import topics as tp
from edge.publish.homeassistant import discovery_configs
from edge.publish.queue import EventQueue
from edge.publish.topics import Topics
from tests.conftest import REPO, Subscriber, dancepose, private_broker, shared_path, validator
from tests.helpers import DEVICE, write_config
from training.devkit.broker import PrivateBroker


def dashboard(broker: PrivateBroker) -> Subscriber:
    """A dashboard: a persistent session on everything the device publishes, QoS 1."""
    return Subscriber(broker, [f"dancepose/{DEVICE}/#"], client_id="test-dashboard", clean=False)


def start_program(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(config)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def unique_reps(subscriber: Subscriber) -> list[dict]:
    """At-least-once delivery: de-duplicate by event id."""
    return list({rep["id"]: rep for rep in subscriber.of("rep")}.values())


def validate_all(subscriber: Subscriber) -> None:
    """Every payload received honours its documented schema (docs/schemas)."""
    root = f"dancepose/{DEVICE}/"
    for topic, payload, _ in subscriber.messages:
        suffix = topic.removeprefix(root)
        if suffix != tp.CMD and payload:  # our own commands, echoed by the wildcard
            validator(suffix).validate(json.loads(payload))


def read_retained(broker: PrivateBroker, filters: list[str], topics: int) -> dict[str, bytes]:
    """What a subscriber that connects now gets from the broker's retained store, once it
    holds `topics` topics: topic -> payload."""
    late = Subscriber(broker, filters, client_id="test-late")
    try:
        late.wait_for(lambda s: len({t for t, _, retain in s.messages if retain}) >= topics, 20)
    finally:
        late.close()
    return {topic: payload for topic, payload, retain in late.messages if retain}


def test_online_reps_and_last_will(tmp_path, model_paths):
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")  # 3 squats
    with private_broker() as broker:
        viewer = dashboard(broker)
        program = start_program(write_config(tmp_path, clip, broker.port, loop=True))
        try:
            assert viewer.wait_for(lambda s: len(s.of("rep")) >= 4, 60), program.stdout
            assert viewer.of("status")[0]["state"] == "online"
            program.send_signal(signal.SIGKILL)  # no goodbye: only the last will speaks
            program.wait(10)
            assert viewer.wait_for(lambda s: s.of("status")[-1]["state"] == "offline", 20)
        finally:
            program.kill()
            viewer.close()
    counts = [rep["count"] for rep in unique_reps(viewer)]
    assert counts[:4] == [1, 2, 3, 4]  # one event per rep, consecutive counts
    validate_all(viewer)  # every real payload honours its documented schema
    assert {"status", "rep", "state", "stats", "current"} <= {
        topic.rsplit("/", 1)[-1] for topic, _, _ in viewer.messages
    }
    assert {r["exercise"] for r in viewer.of("rep")} == {"squat"}
    assert viewer.of("stats") and "queue_depth" in viewer.of("stats")[0]


@pytest.mark.parametrize("exercise", ["any", "auto"])
def test_run_on_a_file_publishes_exactly_the_reps_count_reports(tmp_path, model_paths, exercise):
    """One counter class for `count` and `run`: the same clip gives the same reps, with the
    same stream times, whether counted offline or published live."""
    clip = shared_path("data", "quva", "videos", "000_rope_beach.mp4")  # 17 rope skips
    counted = dancepose("count", str(clip), "--exercise", exercise, "--json")
    assert counted.returncode == 0, counted.stderr
    expected = json.loads(counted.stdout)
    assert expected["reps"] >= 10
    discovery = exercise == "auto"  # Home Assistant discovery on in one of the two runs
    packs = sorted(installed_packs(REPO / "models" / "packs"))
    modes = [m for m in MODES if m != "follow"]  # follow: no routine recorded here
    with private_broker() as broker:
        viewer = dashboard(broker)
        config = write_config(tmp_path, clip, broker.port, exercise=exercise, discovery=discovery)
        program = start_program(config)
        try:
            assert program.wait(300) == 0, program.stdout.read()
            assert viewer.wait_for(lambda s: len(unique_reps(s)) >= expected["reps"], 20)
        finally:
            program.kill()
            viewer.close()
        # after the run: a subscriber that connects now reads the final count, retained
        root = f"dancepose/{DEVICE}"
        configs = discovery_configs(Topics(DEVICE), [*packs, "auto", "any"], modes)
        expected_retained = 1 + (len(configs) if discovery else 0)  # current and the configs
        late = read_retained(broker, [f"{root}/current", "homeassistant/#"], expected_retained)
    validate_all(viewer)
    current = json.loads(late.pop(f"{root}/current"))
    jsonschema.validate(
        current, json.loads((REPO / "docs/schemas/current.schema.json").read_text())
    )
    assert (current["count"], current["partial_count"]) == (expected["reps"], expected["partial"])
    assert (current["exercise"], current["selected_exercise"]) == (expected["exercise"], exercise)
    assert current["last_rep_time"] == max(
        r["time"] for r in unique_reps(viewer) if not r["partial"]
    )
    if discovery:  # retained configs that name the installed packs and the dance modes
        assert {topic: json.loads(payload) for topic, payload in late.items()} == configs
    else:
        assert late == {}  # discovery off: no config left on the broker
    published = sorted(unique_reps(viewer), key=lambda r: (r["partial"], r["count"], r["t_s"]))
    reps = [r for r in published if not r["partial"]]
    assert [r["count"] for r in reps] == list(range(1, expected["reps"] + 1))
    assert {r["exercise"] for r in reps} == {expected["exercise"]}
    assert [r["t_s"] for r in reps] == pytest.approx(expected["rep_times_s"], abs=1e-3)
    assert len(published) - len(reps) == expected["partial"]


def test_broker_outage_loses_no_rep(tmp_path, model_paths):
    clip = shared_path("data", "exercise_videos", "goblet_squat_front_6.mp4")  # 6 squats
    with private_broker(persistent=True) as broker:
        viewer = dashboard(broker)
        program = start_program(write_config(tmp_path, clip, broker.port))
        try:
            assert viewer.wait_for(lambda s: len(s.of("rep")) >= 1, 60), "no first rep"
            # Down mid-run. Terminated, not killed, so the broker keeps the dashboard's
            # session; our program sees a dropped connection either way.
            broker.stop(graceful=True)
            # back once a rep waits in the program's queue for the broker that is away
            assert wait_for_queued_reps(tmp_path / "events.sqlite", 1, timeout_s=60)
            broker.start()
            assert program.wait(120) == 0
            assert viewer.wait_for(lambda s: len(unique_reps(s)) >= 6, 30), viewer.messages
        finally:
            program.kill()
            viewer.close()
    counts = sorted(rep["count"] for rep in unique_reps(viewer))
    assert counts == [1, 2, 3, 4, 5, 6]


def wait_for_queued_reps(path: Path, reps: int, timeout_s: float) -> bool:
    """True once the program's on-disk queue holds `reps` rep events (read-only peek)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            with EventQueue(path) as queue:
                if sum(e.topic.endswith("/rep") for e in queue.peek(1000)) >= reps:
                    return True
        time.sleep(0.2)
    return False


def test_events_queued_while_offline_survive_a_program_restart(tmp_path, model_paths):
    squats = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    walking = shared_path("data", "dance_videos", "jacky_walk.mp4")  # counts no rep
    with private_broker(persistent=True) as broker:
        viewer = dashboard(broker)
        broker.stop(graceful=True)  # down for the whole first run (dashboard session kept)
        first = start_program(write_config(tmp_path, squats, broker.port))
        # wait (not a fixed sleep: a loaded machine is slower) until the clip's 3 reps wait
        # in the on-disk queue, then kill the program before it could ever deliver them
        assert wait_for_queued_reps(tmp_path / "events.sqlite", 3, timeout_s=180), (
            first.stdout.read() if first.poll() is not None and first.stdout else "still running"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        broker.start()
        second = start_program(write_config(tmp_path, walking, broker.port))
        try:
            assert second.wait(120) == 0
            assert viewer.wait_for(lambda s: len(unique_reps(s)) >= 3, 30), (
                viewer.messages,
                second.stdout.read() if second.stdout else "",
            )
        finally:
            second.kill()
            viewer.close()
    assert sorted(rep["count"] for rep in unique_reps(viewer)) == [1, 2, 3]


@pytest.mark.parametrize(
    "payload, error",
    [(b"{not json", "JSON"), (b'{"action": "set_mode", "mode": "salsa"}', "mode"),
     (b'{"action": "set_exercise", "exercise": "burpee"}', "burpee")],
)  # fmt: skip
def test_bad_commands_get_an_error_and_change_nothing(tmp_path, model_paths, payload, error):
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    with private_broker() as broker:
        viewer = dashboard(broker)
        program = start_program(write_config(tmp_path, clip, broker.port, loop=True))
        try:
            # queued events (stats, state) go out only once the program's subscription to
            # its cmd topic is acknowledged (the publisher's pump waits for the SUBACK)
            assert viewer.wait_for(lambda s: s.of("stats") or s.of("state"), 30)
            viewer.client.publish(f"dancepose/{DEVICE}/cmd", payload, qos=1)
            assert viewer.wait_for(lambda s: s.of("result"), 30)
            reply = viewer.of("result")[0]
            assert reply["ok"] is False and error.lower() in reply["error"].lower()
            viewer.client.publish(
                f"dancepose/{DEVICE}/cmd", b'{"action": "reset_count", "request_id": "r1"}', qos=1
            )
            assert viewer.wait_for(lambda s: len(s.of("result")) >= 2, 30)
            assert viewer.of("result")[1]["ok"] is True
            # a new session starts the count again at 0, and the retained state says so
            viewer.client.publish(
                f"dancepose/{DEVICE}/cmd",
                b'{"action": "start_session", "session_id": "s-new"}',
                qos=1,
            )
            assert viewer.wait_for(
                lambda s: any(c["session_id"] == "s-new" for c in s.of("current")), 30
            )
            fresh = next(c for c in viewer.of("current") if c["session_id"] == "s-new")
            assert (fresh["count"], fresh["last_rep_time"]) == (0, None)
            assert program.poll() is None  # still running
        finally:
            program.terminate()
            program.wait(20)
            viewer.close()
    assert viewer.of("status")[-1]["state"] == "offline"  # a clean stop says goodbye
    validate_all(viewer)


def test_camera_gone_is_reported_and_the_loop_resumes_without_restart(tmp_path, model_paths):
    from edge.app.loop import EdgeLoop
    from edge.config import load_config
    from edge.sources import SourceError, open_source

    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    attempts: list[float] = []

    def unplugged_then_back(_config):
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            raise SourceError("camera 0 could not be opened; is it plugged in and reachable?")
        return open_source(str(clip))

    with private_broker() as broker:
        viewer = dashboard(broker)
        loop = EdgeLoop(
            load_config(write_config(tmp_path, clip, broker.port)), open_source=unplugged_then_back
        )
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            assert viewer.wait_for(lambda s: len(unique_reps(s)) >= 3, 60)
        finally:
            loop.stop()
            runner.join(60)
            viewer.close()
    states = [status["state"] for status in viewer.of("status")]
    faults = [status for status in viewer.of("status") if status["state"] == "fault"]
    assert faults and "plugged in" in faults[0]["fault"]
    assert "online" in states[states.index("fault") :]  # back online after the fault
    assert attempts[2] - attempts[0] >= 2.5  # retried with backoff (1 s, then 2 s)
