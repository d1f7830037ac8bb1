"""A routine recorded to music: beats found on a click track synthesized here, the moves
on the music's grid, and the music as the follower's clock; the kiosk serves the music."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import urllib.request
import wave
from pathlib import Path

import numpy as np
import pytest

from edge.app.timers import RoutineClock
from edge.follow import music as musics
from edge.follow import routine
from edge.follow.align import Follower
from edge.follow.events import MoveEvent
from edge.keypoints_io import load_keypoints
from tests.conftest import dancepose, shared_path
from tests.helpers import kiosk_page, make_state, request, routine_kiosk

FPS = 60.0
BPM = 120.0
FIRST_BEAT_S = 0.25  # the clicks start a quarter second into the music
TIMEOUT_MS = 60_000  # generous: the machine may be loaded


def clip(name: str) -> Path:
    return shared_path("data", "aist_follow", f"{name}.npy")


def click_track(path: Path, bpm: float, seconds: float, rate: int = 22050) -> np.ndarray:
    """A mono 16-bit WAV of 1 kHz clicks on every beat; the beats' times (seconds)."""
    beats = np.arange(FIRST_BEAT_S, seconds - 0.1, 60.0 / bpm)
    samples = np.zeros(int(seconds * rate))
    click = np.arange(int(0.03 * rate)) / rate
    click = np.sin(2 * np.pi * 1000 * click) * np.exp(-click / 0.008)
    for beat in beats:
        start = round(beat * rate)
        samples[start : start + len(click)] += click
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((0.8 * 32767 * samples).astype("<i2").tobytes())
    return beats


@pytest.fixture(scope="module")
def clicks(tmp_path_factory) -> tuple[Path, np.ndarray]:
    if importlib.util.find_spec("librosa") is None:
        message = "librosa, the music extra, is not installed (the dev lock has it: make setup)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must have it")
        pytest.skip(message)
    path = tmp_path_factory.mktemp("music") / "clicks.wav"
    return path, click_track(path, BPM, 14.0)


@pytest.fixture(scope="module")
def recorded(clicks, tmp_path_factory) -> Path:
    """ch07 as camera 1 saw it, recorded to the click track through the CLI."""
    out = tmp_path_factory.mktemp("routines") / "ch07"
    result = dancepose(
        "routine", "record", str(clip("ch07_c01")), "--fps", str(FPS), "--name", "ch07",
        "--out", str(out), "--music", str(clicks[0]),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "on the beat of 120 BPM" in result.stderr
    return out


@pytest.mark.parametrize("bpm", [90.0, 97.0, 120.0, 140.0, 160.0])
def test_beats_of_a_click_track_are_found_within_20_ms(bpm, clicks, tmp_path) -> None:
    path = tmp_path / "clicks.wav"
    truth = click_track(path, bpm, 30.0)
    music = musics.analyse(path)
    assert music.tempo_bpm == pytest.approx(bpm, rel=0.03)
    beats = np.asarray(music.beats_s)
    errors = np.abs(truth[None, :] - beats[:, None]).min(axis=1)
    assert len(beats) >= len(truth) - 2  # the tracker may drop the first or the last
    assert errors.max() <= 0.020, errors


def test_the_moves_are_whole_counts_of_eight_on_the_beat(recorded, clicks) -> None:
    followed = routine.load(recorded)
    assert followed.music is not None and followed.music.tempo_bpm == pytest.approx(BPM, rel=0.03)
    beats = clicks[1]
    eight = 8 * 60.0 / BPM  # at 120 BPM a count of 8 lasts 4 s: MAX_UNIT_S
    for move in followed.moves:
        for bound in (move.start_s, move.end_s):
            assert np.abs(beats - bound).min() <= 0.02, (bound, move)
        counts = (move.end_s - move.start_s) / eight
        assert counts == pytest.approx(round(counts), abs=0.02) and round(counts) >= 1
    assert followed.moves[0].start_s <= FIRST_BEAT_S + 60.0 / BPM + 0.02  # the tracker may drop one
    stored = json.loads((recorded / musics.BEATS).read_text())
    assert stored["file"] == "music.wav" and stored["offset_s"] == 0.0
    assert (recorded / "music.wav").read_bytes() == clicks[0].read_bytes()


def test_the_music_offset_moves_the_grid(clicks, tmp_path) -> None:
    """The music started 1.1 s before the clip: its beats fall 1.1 s earlier in the routine."""
    track = load_keypoints(clip("ch07_c01"), FPS, 1920, 1080)
    music = musics.analyse(clicks[0], offset_s=1.1)
    moved = routine.record(track, "ch07", music=music)
    beats = clicks[1] - 1.1
    for move in moved.moves:
        assert np.abs(beats - move.start_s).min() <= 0.02
    assert moved.moves[0].start_s == pytest.approx(beats[beats >= 0][0], abs=0.02)


def follow(followed: routine.Routine, landmarks: np.ndarray) -> list[MoveEvent]:
    follower = Follower(followed)
    events = [e for i, lm in enumerate(landmarks) for e in follower.push(lm, i / FPS)]
    return [e for e in [*events, *follower.finish()] if isinstance(e, MoveEvent)]


@pytest.mark.parametrize("late_s", [0.0, 0.2])
def test_on_the_music_clock_each_move_is_late_by_the_shift(recorded, late_s) -> None:
    """Another camera of the same performance, started late_s after the music: every move
    is measured against the beat grid (no lag carried from move to move)."""
    followed = routine.load(recorded)
    student = load_keypoints(clip("ch07_c09"), FPS, 1920, 1080).landmarks
    held = round(late_s * FPS)  # the first frame held: the student starts late_s late
    student = np.concatenate([np.repeat(student[:1], held, axis=0), student])
    moves = follow(followed, student)[: len(followed.moves)]  # then the next round starts
    assert [m.index for m in moves] == list(range(len(followed.moves)))
    offsets = [m.offset_ms for m in moves]
    assert all(abs(o - 1000 * late_s) <= 35 for o in offsets), offsets


def test_a_routine_without_music_loads_and_follows_as_before(recorded, tmp_path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in (routine.META, routine.FEATURES, routine.MOVES):
        (plain / name).write_bytes((recorded / name).read_bytes())
    assert routine.load(plain).music is None
    assert Follower(routine.load(plain)).half_beat is None


def test_bad_music_is_one_clear_line(recorded, tmp_path, monkeypatch) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not music")
    with pytest.raises(musics.MusicError, match="the kiosk page plays"):
        musics.analyse(text)
    monkeypatch.setitem(sys.modules, "librosa", None)  # the extra not installed
    with pytest.raises(musics.MusicError, match=r"pip install 'dancepose\[music\]'"):
        musics.analyse(recorded / "music.wav")
    missing = tmp_path / "missing"
    missing.mkdir()
    for path in recorded.iterdir():
        if path.name != "music.wav":
            (missing / path.name).write_bytes(path.read_bytes())
    with pytest.raises(routine.RoutineError, match=r"music\.wav is missing"):
        routine.load(missing)


def test_the_kiosk_serves_the_music_and_its_clock(recorded, tmp_path) -> None:
    """GET /api/routine names the music, GET /api/routine/music is the file; a Host that
    is not the kiosk's gets nothing; a routine without music answers 404 in one line."""
    followed: list = [recorded]
    with routine_kiosk(followed) as web:
        status, body = request(web.url + "api/routine")
        music = routine.load(recorded).music
        assert status == 200 and json.loads(body)["music"] == {
            "offset_s": 0.0, "tempo_bpm": music.tempo_bpm,
        }  # fmt: skip
        url = web.url + "api/routine/music"
        with urllib.request.urlopen(url, timeout=30) as reply:
            assert reply.headers["Content-Type"] == "audio/wav"
            assert reply.read() == (recorded / "music.wav").read_bytes()
        status, _ = request(url, headers={"Host": "evil.example:8080"})
        assert status == 421
        plain = tmp_path / "plain"
        plain.mkdir()
        for name in (routine.META, routine.FEATURES, routine.MOVES):
            (plain / name).write_bytes((recorded / name).read_bytes())
        followed[0] = plain
        status, body = request(url)
        assert status == 404 and json.loads(body) == {"error": "the routine followed has no music"}
        assert json.loads(request(web.url + "api/routine")[1])["music"] is None


def test_with_music_the_teacher_stays_on_the_music() -> None:
    """The page's clock: without music the teacher waits for a late student (the newest
    move's offset); with music the teacher and the music run on from the round's start."""
    for music, expected in ((False, 9.5), (True, 10.0)):
        clock = RoutineClock()
        clock.music = music
        assert clock.frame(100.0, present=True, following=True)
        clock.moved(500.0)  # a move came half a second late
        assert clock.at(110.0) == expected


def test_the_page_plays_the_music_by_the_routine_clock(recorded) -> None:
    """In a browser: a round runs 3 s in; the page fetches the routine's music and plays it
    from there on (a kiosk's Chromium allows it without a touch: --autoplay-policy; this one
    gets the touch the page asks for where it does not)."""
    state = make_state("follow")
    state.set_routine("ch07", state.modes, music=True)
    state.frame(100.0, present=True)  # the round starts
    state.frame(103.0, present=True)  # ... and is 3 s in
    with routine_kiosk([recorded], state) as web, kiosk_page(web.url) as page:
        page.wait_for_function(
            "document.getElementById('music').src.startsWith('blob:')", timeout=TIMEOUT_MS
        )
        playing = "!document.getElementById('music').paused"
        asks = "document.getElementById('hint').textContent.includes('tap the screen')"
        page.wait_for_function(f"{playing} || {asks}", timeout=TIMEOUT_MS)
        if not page.evaluate(playing):  # this browser wants a gesture first: a touch
            page.mouse.click(5, 5)
            page.wait_for_function(playing, timeout=TIMEOUT_MS)
        at = page.evaluate("document.getElementById('music').currentTime")
        assert 3.0 <= at <= 3.0 + 30, at  # from the clock's time on, not from 0
