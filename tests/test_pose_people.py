"""edge/pose/people.py: the ids a tracker hands out, on boxes; and the detector's windows."""

from __future__ import annotations

import numpy as np

from edge.pose.detector import windows
from edge.pose.people import MEMORY_S, PersonIds, duplicates, same_person


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
    ids.lose(left, box(0), 2.0)
    ids.lose(right, box(400), 2.0)
    # back a second later, a little moved: each their own id
    assert ids.start(box(410), 3.0) == right
    assert ids.start(box(15), 3.0) == left


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
