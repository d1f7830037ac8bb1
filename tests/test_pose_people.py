"""edge/pose/people.py: the ids a tracker hands out, on boxes and on a real composite; and
the detector's windows."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.pose.detector import PoseDetector, views, windows
from edge.pose.litert_backend import LiteRtPoseEstimator
from edge.pose.people import FACE, MEMORY_S, SAME_FACE, PersonIds, duplicates, same_person
from edge.pose.track import people_from_video
from edge.skeleton import NUM_LANDMARKS
from edge.sources.opencv_source import OpenCvSource
from tests.conftest import shared_path
from training.bench.people_composite import Tile, write_composite


def box(x: float, y: float = 100.0, side: float = 100.0) -> np.ndarray:
    return np.array([x, y, x + side, y + side], np.float64)


def test_same_person_is_the_same_hips_at_any_roi_size() -> None:
    assert same_person(box(0), box(0))
    # the detector's ROI twice the tracked one, on the same hips
    assert same_person(box(0), box(-50, y=50, side=200))
    # a neighbour half a ROI away (about 1 m): someone else
    assert not same_person(box(0), box(50))


def test_new_people_get_new_ids_never_reused() -> None:
    ids = PersonIds(max_people=3)
    first, second = ids.start(box(0), 0.0), ids.start(box(300), 0.0)
    assert first != second
    ids.lose(first, box(0), 1.0)
    # someone else, somewhere else, long after: a new id, not the lost one's
    third = ids.start(box(600), 1.0 + MEMORY_S + 1.0)
    assert third not in (first, second)
    ids.reset()
    assert ids.start(box(0), 0.0) not in (first, second, third)


def test_a_person_who_comes_back_soon_gets_their_id() -> None:
    ids = PersonIds(max_people=2)
    left, right = ids.start(box(0), 0.0), ids.start(box(400), 0.0)
    assert not ids.awaited(1.0)
    ids.lose(left, box(0), 2.0)
    ids.lose(right, box(400), 2.0)
    assert ids.awaited(3.0) and not ids.awaited(2.0 + MEMORY_S + 0.1)
    # back a second later, a little moved: each their own id
    assert ids.start(box(410), 3.0) == right
    assert ids.start(box(15), 3.0) == left
    assert not ids.awaited(3.0)  # both back: nobody to wait for


def test_a_returning_person_found_at_another_size_is_still_theirs() -> None:
    ids = PersonIds(max_people=2)
    person = ids.start(box(0, side=200), 0.0)
    ids.lose(person, box(0, side=200), 1.0)
    # the detector's ROI is half the size the tracking ended with: overlap 0.25, same place
    assert ids.start(box(50, y=150, side=100), 1.5) == person


def test_a_close_up_found_again_outside_their_last_box_is_still_theirs() -> None:
    # tracking ended on the upper body (ROI 850 px); the detector finds the whole body
    # again, centred below that ROI (0.54 of its side down, 0.3 of the new side)
    ids = PersonIds(max_people=3)
    person = ids.start(box(1250, y=-300, side=850), 0.0)
    ids.lose(person, box(1250, y=-300, side=850), 2.3)
    assert ids.start(box(950, y=-150, side=1500), 2.7) == person


def test_a_lost_person_s_id_is_not_given_to_their_tracked_neighbour_s_side() -> None:
    ids = PersonIds(max_people=3)
    lost, neighbour = ids.start(box(0), 0.0), ids.start(box(75), 0.0)
    ids.lose(lost, box(0), 1.0)
    # found 45 px from the lost person's last box, 30 from the neighbour's: someone new
    found = box(45, side=100)
    assert ids.start(found, 1.5, tracked=[box(75)]) not in (lost, neighbour)
    # with nobody nearer, the same place is the lost person back
    ids2 = PersonIds(max_people=3)
    back = ids2.start(box(0), 0.0)
    ids2.lose(back, box(0), 1.0)
    assert ids2.start(found, 1.5, tracked=[box(300)]) == back


def test_too_late_or_too_far_is_someone_new() -> None:
    ids = PersonIds(max_people=2)
    person = ids.start(box(0), 0.0)
    ids.lose(person, box(0), 1.0)
    assert ids.start(box(0), 1.0 + MEMORY_S + 0.5) != person
    other = ids.start(box(0), 10.0)
    ids.lose(other, box(0), 10.0)
    assert ids.start(box(500), 10.5) != other


def test_one_person_is_always_zero() -> None:
    ids = PersonIds(max_people=1)
    assert ids.start(box(0), 0.0) == 0
    ids.lose(0, box(0), 1.0)
    assert ids.start(box(900), 100.0) == 0


def test_duplicates_keep_the_older() -> None:
    assert duplicates([box(0), box(300), box(10)]) == {2}
    assert duplicates([box(0), box(300)]) == set()


def face_at(x: float, y: float) -> np.ndarray:
    landmarks = np.full((NUM_LANDMARKS, 4), 1000.0)
    landmarks[FACE, 0], landmarks[FACE, 1] = x + np.arange(11), y
    return landmarks


def test_a_newcomer_on_someone_s_face_is_them_two_people_tracked_are_not() -> None:
    # the detector's second reading of one body: hips elsewhere (ROI centres 0.4 of the
    # larger side apart), the face on the tracked person's
    tracked, again = box(0, side=600), box(240, side=1000)
    near = SAME_FACE * 600 / 2
    faces = [face_at(300, 100), face_at(300 + near, 100)]
    assert duplicates([tracked, again], faces, new={1}) == {1}
    # both tracked for a while (one walking past behind the other): both stay
    assert duplicates([tracked, again], faces) == set()
    # a newcomer whose face is elsewhere is someone else
    assert duplicates([tracked, again], [faces[0], face_at(900, 100)], new={1}) == set()


def _cut(clip: Path, out: Path, start_s: float, end_s: float) -> Path:
    """`clip` from start_s to end_s as MJPG; past its end, its last two frames."""
    capture = cv2.VideoCapture(str(clip))
    fps, count = capture.get(cv2.CAP_PROP_FPS), int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    first = min(int(start_s * fps), count - 2)
    capture.set(cv2.CAP_PROP_POS_FRAMES, first)
    writer = None
    for _ in range(first, max(int(end_s * fps), first + 2)):
        ok, frame = capture.read()
        if not ok:
            break
        if writer is None:
            fourcc = cv2.VideoWriter_fourcc(*"MJPG")
            writer = cv2.VideoWriter(str(out), fourcc, fps, (frame.shape[1], frame.shape[0]))
        writer.write(frame)
    capture.release()
    assert writer is not None, clip
    writer.release()
    return out


def test_a_person_lying_beside_others_is_one_track(tmp_path, model_paths) -> None:
    # 26.2 to 27.2 s of situp_floor_9 (lying on the floor) between jumping_jack_mixed's end
    # card (nobody: room for a third person, so the detector looks every few frames) and
    # 022_fitness's last frame (a close-up): the detector read the lying person a second
    # time, the skeleton's head on theirs and its hips a body's length away on the floor,
    # and the landmark model saw someone there on 2 frames: a second id in their tile.
    data = shared_path("data")
    clips = [
        (data / "exercise_videos" / "jumping_jack_mixed.mp4", True),
        (data / "exercise_videos" / "situp_floor_9.mp4", False),
        (data / "quva" / "videos" / "022_fitness.mp4", False),
    ]
    tiles = [
        Tile(_cut(clip, tmp_path / f"{index}.avi", 26.2, 27.2), mirror)
        for index, (clip, mirror) in enumerate(clips)
    ]
    people = people_from_video(write_composite(tiles, tmp_path / "three.avi"), max_people=3)
    in_tile: dict[int, list[int]] = {0: [], 1: [], 2: []}
    for person, track in people.tracks.items():
        found = track.median_box()
        assert found is not None
        in_tile[min(int(3 * (found[0] + found[2]) / 2), 2)].append(person)
    frames = people.main.num_frames
    assert len(in_tile[1]) == 1, in_tile
    assert people.tracks[in_tile[1][0]].present.sum() >= frames - 1
    assert len(in_tile[2]) == 1 and not in_tile[0], in_tile


def test_detector_windows_cover_a_wide_frame() -> None:
    assert windows(640, 480) == []  # 4:3: the letterbox alone
    wide = windows(1920, 480)
    standing = [w for w in wide if w.width == 480]
    lying = [w for w in wide if w.width == 720]
    assert len(standing) == 4 and len(lying) == 3 and len(wide) == 7
    for row in (standing, lying):
        assert row[0].center_x - row[0].width / 2 == 0
        assert row[-1].center_x + row[-1].width / 2 == 1920
    tall = windows(1088, 1920)
    assert {w.center_x for w in tall} == {544} and {w.width for w in tall} == {1088, 1632}


def test_a_search_for_newcomers_can_look_at_one_view_alone(tmp_path, model_paths) -> None:
    # Two real people side by side: one view (the whole frame, or a window) is one
    # detector run, the views in turns find both, and view k is view k modulo their number
    # (the backend's searches for newcomers take them in turns).
    clips = ("goblet_squat_front_6.mp4", "pushup_side_4.mp4")
    tiles = [Tile(shared_path("data", "exercise_videos", clip)) for clip in clips]
    capture = cv2.VideoCapture(str(write_composite(tiles, tmp_path / "two.avi")))
    for _ in range(60):  # both found by 2 s in (the squat's first frames: nobody)
        ok, frame = capture.read()
        assert ok
    capture.release()
    height, width = frame.shape[:2]
    detector = PoseDetector(model_paths.detector, 2)
    runs = []
    invoke = detector._interpreter.invoke  # counted, not replaced: the real model runs
    detector._interpreter.invoke = lambda: runs.append(1) or invoke()
    looked = views(width, height)
    assert len(looked) == 1 + len(windows(width, height)) > 2
    everywhere = detector.detect_all(frame, 3)
    assert len(runs) == len(looked)
    assert {float(d.keypoints[0][0]) < width / 2 for d in everywhere} == {True, False}
    sides = set()
    for index in range(len(looked)):
        runs.clear()
        found = detector.detect_all(frame, 3, index)
        assert len(runs) == 1
        sides.update(float(d.keypoints[0][0]) < width / 2 for d in found)
        again = detector.detect_all(frame, 3, index + len(looked))
        assert [d.score for d in again] == [d.score for d in found]
    assert sides == {True, False}


def test_with_room_for_more_a_search_is_one_detector_run(tmp_path, model_paths) -> None:
    # Two people, room for three: every DETECT_EVERY frames the backend looks for a
    # newcomer in one view only (a wide frame has six: six runs made that frame five times
    # a tracking frame's cost); with nobody tracked, or someone lost within MEMORY_S (who
    # may come back as themselves), in all of them.
    clips = ("goblet_squat_front_6.mp4", "pushup_side_4.mp4")
    tiles = [Tile(shared_path("data", "exercise_videos", clip)) for clip in clips]
    source = OpenCvSource(str(write_composite(tiles, tmp_path / "two.avi")))
    estimator = LiteRtPoseEstimator(
        model_paths.detector, model_paths.landmark, num_threads=2, max_people=3
    )
    runs: list[int] = []
    invoke = estimator._detector._interpreter.invoke  # counted: the real model runs
    estimator._detector._interpreter.invoke = lambda: runs.append(1) or invoke()
    searches, before, dropped_s = [], 0, -1e9
    try:
        for frame in source.frames():
            runs.clear()
            now = len(estimator.process(frame))
            if runs and before and frame.timestamp_s - dropped_s > MEMORY_S:
                searches.append(len(runs))  # nobody lost a moment ago: a search
            if now < before:
                dropped_s = frame.timestamp_s
            before = now
            if frame.index >= 300:
                break
    finally:
        source.close()
    assert len(searches) >= 5 and set(searches) == {1}, searches


def test_several_people_need_a_backend_that_tracks_them() -> None:
    from edge.config.errors import ConfigError
    from edge.config.pose import PoseConfig

    assert PoseConfig().max_people == 1  # today's one person, the fastest
    assert PoseConfig().replace(max_people=3).max_people == 3
    try:
        PoseConfig().replace(backend="mediapipe", max_people=2)
    except ConfigError as exc:
        assert "max_people" in str(exc) and "litert" in str(exc)
    else:
        raise AssertionError("mediapipe accepted max_people = 2")
