"""The kiosk page and the retained `current` topic say the same thing: `dancepose run` on a
real clip, read both ways (GET /api/state and a subscriber), through the commands that
used to make them disagree: a mode change after a genre was named, a reset that leaves
a partial count, a device without a dance model (what set_mode accepts), and two people
in one frame (each person's figures, the same on both)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edge.config import load_config
from tests.conftest import Subscriber, private_broker, shared_path
from tests.helpers import DEVICE, RecordedPeople, SideBySide, write_config

CURRENT = f"dancepose/{DEVICE}/current"
FIELDS = ("mode", "selected_exercise", "exercise", "count", "partial_count", "phase", "genre",
          "genre_name", "session_id", "person", "people", "total_count", "set_number",
          "rest_s", "last_set_reps", "routine", "move", "last_move_score",
          "routine_score", "hold_s", "holding")  # fmt: skip
PAGE_ONLY = ("color", "confidence")  # what the page adds to each person: how to draw them


@contextmanager
def running(config: Path, side: SideBySide | None = None) -> Iterator[tuple[object, Subscriber]]:
    """`dancepose run` in this process (its page on a free port) and a subscriber to it;
    `side`: clips side by side as its camera, their recorded people as what pose finds."""
    from edge.app.loop import EdgeLoop

    with private_broker() as broker:
        text = config.read_text().replace("port = 0", f"port = {broker.port}")
        config.write_text(text)
        if side is None:
            loop = EdgeLoop(load_config(config))
        else:
            loop = EdgeLoop(load_config(config), open_source=lambda _config: side)
            loop.pipeline.estimator = RecordedPeople(side)
        watcher = Subscriber(broker, [f"dancepose/{DEVICE}/#", "homeassistant/#"])
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            yield loop, watcher
        finally:
            loop.stop()
            runner.join(60)
            watcher.close()
    assert not runner.is_alive()


def page(loop, path: str = "api/state", body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        loop.web.url + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:  # a refused command's reply
        return json.loads(exc.read())


def agree(loop, watcher: Subscriber, condition=lambda current: True) -> tuple[dict, dict]:
    """(the page's state, the last `current`) read while no newer `current` arrived and
    `condition` holds for it: the pair a viewer sees at once. Frames keep coming, so this
    waits (at most 30 s) for a quiet moment, not for the two to agree."""
    deadline = time.monotonic() + 30
    while True:
        watcher.wait_for(lambda s: s.payloads(CURRENT), timeout=30)
        before = watcher.payloads(CURRENT)[-1]
        view = page(loop)
        current = watcher.payloads(CURRENT)[-1]
        if (current == before and condition(current)) or time.monotonic() > deadline:
            shown = {k: view["partial" if k == "partial_count" else k] for k in FIELDS}
            shown["people"] = [
                {k: v for k, v in person.items() if k not in PAGE_ONLY}
                for person in shown["people"]
            ]
            return shown, {k: current[k] for k in FIELDS}


def config_for(tmp_path: Path, clip: Path, mode: str, **mode_keys: str) -> Path:
    config = write_config(tmp_path, clip, 0, loop=True, exercise="any", discovery=True)
    extra = "".join(f'{key} = "{value}"\n' for key, value in mode_keys.items())
    text = config.read_text().replace('mode = "count"\n', f'mode = "{mode}"\n{extra}')
    config.write_text(text)
    return config


def test_after_leaving_a_dance_mode_the_page_names_no_genre(tmp_path, model_paths):
    clip = shared_path("data", "dance_videos", "jacky_dance.mp4")
    with running(config_for(tmp_path, clip, "both")) as (loop, watcher):
        named = watcher.wait_for(
            lambda s: any(c["genre"] is not None for c in s.payloads(CURRENT)), timeout=120
        )
        assert named, "no genre verdict in two minutes of a real dance"
        assert page(loop, "api/command", {"action": "set_mode", "mode": "count"})["ok"]
        shown, current = agree(loop, watcher, lambda c: c["mode"] == "count")
        assert current["genre"] is None and current["genre_name"] is None
        assert shown == current


def test_a_reset_clears_the_page_and_current_alike(tmp_path, model_paths):
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    with running(config_for(tmp_path, clip, "count")) as (loop, watcher):
        # a count above 0 first: the count only grows until the reset, so a `current` at 0
        # after it is the reset's (a rep can arrive before the `current` it brought)
        counted = watcher.wait_for(
            lambda s: any(c["count"] > 0 for c in s.payloads(CURRENT)), timeout=120
        )
        assert counted, "no rep in two minutes"
        assert page(loop, "api/command", {"action": "reset_count"})["ok"]
        shown, current = agree(loop, watcher, lambda c: c["count"] == 0)
        assert (current["count"], current["partial_count"]) == (0, 0)
        assert shown == current


def test_the_page_offers_the_modes_home_assistant_offers(tmp_path, model_paths):
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    no_model = tmp_path / "no-dance-model"
    no_model.mkdir()
    config = config_for(tmp_path, clip, "count", dance_model_dir=str(no_model))
    with running(config) as (loop, watcher):
        select = f"homeassistant/select/{DEVICE}/mode/config"
        assert watcher.wait_for(lambda s: s.payloads(select), timeout=30)
        offered = watcher.payloads(select)[-1]["options"]
        assert offered == ["count"]  # dance modes need a dance model
        assert page(loop)["modes"] == offered
        reply = page(loop, "api/command", {"action": "set_mode", "mode": "dance"})
        assert not reply["ok"] and "no dance model" in reply["error"]


def test_two_people_are_the_same_on_the_page_and_in_current(tmp_path, clip_track):
    videos = [
        shared_path("data", "exercise_videos", n)
        for n in ("goblet_squat_front_6.mp4", "pushup_side_4.mp4")
    ]  # fmt: skip  (both stay in view: nobody is dropped)
    side = SideBySide(videos, [clip_track(video) for video in videos])
    config = write_config(tmp_path, videos[0], 0, exercise="auto")
    with running(config, side) as (loop, watcher):
        counted = watcher.wait_for(
            lambda s: any(c["total_count"] == 6 + 4 for c in s.payloads(CURRENT)), timeout=180
        )
        assert counted, "the two people's 6 squats and 4 push-ups were not all counted"
        shown, current = agree(loop, watcher, lambda c: c["total_count"] == 10)
        assert [(p["person"], p["count"]) for p in current["people"]] == [(0, 6), (1, 4)]
        assert shown == current
        assert page(loop, "api/command", {"action": "reset_count"})["ok"]  # everyone's
        shown, current = agree(loop, watcher, lambda c: c["total_count"] == 0)
        assert [p["count"] for p in current["people"]] == [0, 0]
        assert shown == current
