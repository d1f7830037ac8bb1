"""Several people in front of one kiosk, end to end: `dancepose run` on two real clips side
by side in one frame (their recorded keypoints as the two people a multi-person estimator
finds), read in a real browser (Debian's chromium via Playwright) and over MQTT. The page
shows a tile per person, bordered in the colour of their skeleton on the camera image,
each with their own count; `current` lists the same people with the same counts."""

from __future__ import annotations

import threading

from edge.config import load_config
from edge.overlay import person_color
from tests.conftest import Subscriber, private_broker, shared_path
from tests.helpers import (
    DEVICE,
    RecordedPeople,
    SideBySide,
    browser_or_skip,
    kiosk_page,
    write_config,
)

TIMEOUT_MS = 180_000  # generous: the machine may be loaded
# the labelled truth (labels.csv); both people stay in view to the end
CLIPS = {"goblet_squat_front_6.mp4": ("squat", 6), "pushup_side_4.mp4": ("pushup", 4)}
CURRENT = f"dancepose/{DEVICE}/current"

TILES = """() => Array.from(document.querySelectorAll('#people .person')).map((t) => ({
    person: Number(t.dataset.person), count: t.querySelector('.person-count').textContent,
    what: t.querySelector('.person-what').textContent,
    border: getComputedStyle(t).borderTopColor,
    visible: t.offsetParent !== null }))"""


def rgb(hex_color: str) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_a_tile_per_person_in_their_skeletons_colour(tmp_path, clip_track):
    browser_or_skip()  # skip before the run starts
    videos = [shared_path("data", "exercise_videos", name) for name in CLIPS]
    side = SideBySide(videos, [clip_track(video) for video in videos])
    config = write_config(tmp_path, videos[0], 0, exercise="auto", discovery=True)

    from edge.app.loop import EdgeLoop

    with private_broker() as broker:
        config.write_text(config.read_text().replace("port = 0", f"port = {broker.port}"))
        loop = EdgeLoop(load_config(config), open_source=lambda _config: side)
        loop.pipeline.estimator = RecordedPeople(side)
        watcher = Subscriber(broker, [f"dancepose/{DEVICE}/#"])
        runner = threading.Thread(target=loop.run)
        runner.start()
        try:
            with kiosk_page(loop.web.url) as page:
                page.wait_for_function(
                    f"({TILES})().length === 2 && Number(({TILES})()[0].count) >= 1",
                    timeout=TIMEOUT_MS,
                )  # mid-set, both in view, both skeletons drawn: docs/kiosk-people.png
                page.wait_for_function(
                    "document.getElementById('frame').naturalWidth > 0", timeout=TIMEOUT_MS
                )
                page.screenshot(path=str(tmp_path / "kiosk-people.png"))
                want = [str(count) for _, count in CLIPS.values()]
                page.wait_for_function(
                    f"({TILES})().map((t) => t.count).join() === {want!r}.join()",
                    timeout=TIMEOUT_MS,
                )  # each person's own count: 6 squats and 4 push-ups, never mixed
                page.wait_for_function(
                    "document.getElementById('frame').naturalWidth > 0", timeout=TIMEOUT_MS
                )
                tiles = page.evaluate(TILES)
                assert [t["person"] for t in tiles] == [0, 1]
                assert all(t["visible"] for t in tiles)
                for tile, (exercise, _) in zip(tiles, CLIPS.values(), strict=True):
                    assert tile["what"].startswith(exercise)
                    assert tile["border"] == rgb(person_color(tile["person"]))
                assert tiles[0]["border"] != tiles[1]["border"]
                assert page.inner_text("#people-total") == f"total {6 + 4}"
                assert not page.is_visible("#count")  # the single big count gave way
                page.set_viewport_size({"width": 800, "height": 480})  # the Pi's screen
                assert all(t["visible"] for t in page.evaluate(TILES))
                page.screenshot(path=str(tmp_path / "kiosk-people-800x480.png"))
            # MQTT says the same: the retained current lists both people with their counts
            current = watcher.payloads(CURRENT)[-1]
            assert [(p["person"], p["count"]) for p in current["people"]] == [(0, 6), (1, 4)]
            assert current["total_count"] == 10 and (current["person"], current["count"]) == (0, 6)
            # stats say how many people there were and what each cost the pose stage
            stats = watcher.payloads(f"dancepose/{DEVICE}/stats")
            assert max(s["people_max"] for s in stats) == 2
            assert all(s["people"] <= s["people_max"] for s in stats)
            assert any(s["pose_ms_per_person"] is not None for s in stats)
            reps = watcher.payloads(f"dancepose/{DEVICE}/rep")
            for person, (exercise, count) in enumerate(CLIPS.values()):
                theirs = [r for r in reps if r["person"] == person and not r["partial"]]
                assert {r["exercise"] for r in theirs} == {exercise}
                assert [r["count"] for r in theirs] == list(range(1, count + 1))
        finally:
            loop.stop()
            runner.join(60)
            watcher.close()
    assert not runner.is_alive()
