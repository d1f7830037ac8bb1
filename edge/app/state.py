"""DeviceState: what the device shows now, the one state every view renders.

It changes only through typed events (a rep, a phase, a dance verdict: the same events
that go out over MQTT, in the same order) and through what a command or a fault did, never
by reading a payload back. The retained `current` topic, the kiosk page's /api/state and
its event stream, and the `stats` payload's mode and counts are all rendered from here, so
they cannot disagree.

Several people: every event names its person, and each person in view has their own
figures (PersonCurrent), so counts never mix. The pipeline says who entered and who left
(PersonEntered, PersonLeft: a person out of view for PERSON_GONE_S of stream time, unless
nobody else is left). `current`'s top-level fields are the main person's: the lowest id in
view (the last main person's while nobody is), so with one person nothing changed.

The loop writes; HTTP threads read `page()`: one lock around a handful of fields, and what
`current` says is composed once per change, not per frame.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from edge.analyzers import Event
from edge.app.timers import RestClock, RoutineClock
from edge.counting.events import ExerciseChosen, HoldEvent, PhaseEvent, RepEvent, SetEvent
from edge.dance.classifier import DanceEvent
from edge.follow.events import MoveEvent, RoutineSummary
from edge.follow.hint import move_hint
from edge.modes import MODE_TABLE, dances, runs
from edge.overlay import person_color
from edge.pose.people import MEMORY_S
from edge.publish.topics import PERSON_FIELDS, Current, PersonCurrent, iso_time

FPS_WINDOW_S = 1.0
# A person out of view this long (stream time) is dropped, analyzers and figures, unless
# nobody else is left (edge/app/pipeline.py decides; docs/mqtt.md `current` says it): the
# pose tracker's memory, after which they would come back under a new id anyway.
PERSON_GONE_S = MEMORY_S


@dataclass(frozen=True)
class PersonEntered:
    """The pose tracker found a person it had not (their id is new, or they came back)."""

    person: int
    time_s: float


@dataclass(frozen=True)
class PersonLeft:
    """A person out of view for PERSON_GONE_S: their figures go from `current`."""

    person: int
    time_s: float


class DeviceState:
    """`modes` and `exercises`: what set_mode and set_exercise accept on this device."""

    def __init__(
        self, session_id: str, mode: str, exercise: str, modes: tuple[str, ...],
        exercises: tuple[str, ...], active: str | None,
    ) -> None:  # fmt: skip
        self._lock = threading.Lock()
        self.modes, self.exercises = modes, exercises
        self._device = Current(
            session_id=session_id,
            mode=mode,
            selected_exercise=exercise,
            exercise=active,
            count=0,
            partial_count=0,
            phase=None,
            genre=None,
            genre_name=None,
            fault=None,
            last_rep_time=None,
        )  # fmt: skip  (the device's own fields; the person fields come from _persons)
        self._persons = {0: PersonCurrent(0, exercise=active)}  # everyone with figures
        self._present: set[int] = set()  # who is in view (entered, not left)
        self._main = 0  # whose figures the top level shows
        self._confidence: dict[int, float] = {}  # each person's last genre's, for the page
        self._shown = self._compose()
        self.t_s: float | None = None  # the newest frame's stream time
        self._fps = 0.0
        self._frames = 0
        self._window_start = time.monotonic()
        self._last_frame = 0.0
        # the main person's, for the page: where the teacher is, the last move told in
        # one line, the rest since the last set
        self._routine_clock = RoutineClock()
        self._last_move: MoveEvent | None = None
        self._rest_clock = RestClock()
        self.page_epoch = 0  # counts what changes the page's view but not `current`

    # --- typed events ----------------------------------------------------------------
    def apply(self, event: Event | PersonEntered | PersonLeft, now: datetime) -> None:
        """An event as it is published (`now`: the wall time its payload carries)."""
        with self._lock:
            key = event.person
            if isinstance(event, PersonLeft):  # their figures go (their id is not reused)
                self._present.discard(key)
                self._persons.pop(key, None)
                self._confidence.pop(key, None)
            else:
                self._present.add(key)  # an event of someone never announced: in view
                person = self._persons.get(key) or PersonCurrent(
                    key, exercise=self._device.exercise
                )
                self._persons[key] = self._after(person, event, now)
                if key == self._main:
                    self._clocks(event)
            if isinstance(event, MoveEvent | RoutineSummary):
                self._device = replace(self._device, routine=event.routine)
            self._shown = self._compose()

    def _clocks(self, event: object) -> None:
        """The page's clocks after one of the main person's events. Under the lock."""
        if isinstance(event, RepEvent) and not event.partial:
            self._rest_clock.stop()  # a rep: the rest is over
        elif isinstance(event, SetEvent):
            self._rest_clock.set_ended(event.end_s)
        elif isinstance(event, MoveEvent):
            self._last_move = event
            self._routine_clock.moved(event.offset_ms)
        elif isinstance(event, RoutineSummary):
            self._routine_clock.stop()

    def _after(self, shown: PersonCurrent, event: object, now: datetime) -> PersonCurrent:
        """One person's figures after one of their events."""
        if isinstance(event, RepEvent):
            if event.partial:
                return replace(
                    shown, exercise=event.exercise, partial_count=shown.partial_count + 1
                )
            return replace(
                shown, exercise=event.exercise, count=event.count,
                last_rep_time=iso_time(now), last_rep_range=_rounded(event.range),
                last_rep_down_s=_rounded(event.down_s), last_rep_up_s=_rounded(event.up_s),
                rest_since=None,  # a rep: the rest is over
            )  # fmt: skip
        if isinstance(event, SetEvent):
            # the set ended at its last rep's end: as long before this wall time as that
            # stream time is before the event's
            ended = now - timedelta(seconds=max(event.time_s - event.end_s, 0.0))
            return replace(
                shown, set_number=event.number,
                rest_s=None if event.rest_s is None else round(event.rest_s, 1),
                last_set_reps=event.reps, rest_since=iso_time(ended),
            )  # fmt: skip
        if isinstance(event, HoldEvent):
            return replace(
                shown, exercise=event.exercise, hold_s=event.seconds, holding=not event.ended
            )
        if isinstance(event, ExerciseChosen):
            return replace(shown, exercise=event.exercise)
        if isinstance(event, PhaseEvent):
            return replace(shown, exercise=event.exercise, phase=event.phase)
        if isinstance(event, DanceEvent):
            self._confidence[shown.person] = event.confidence
            return replace(
                shown, genre=event.genre, genre_name=event.genre_name, dancing=event.dancing
            )
        if isinstance(event, MoveEvent):
            return replace(shown, move=event.name, last_move_score=round(event.score, 1))
        if isinstance(event, RoutineSummary):
            return replace(shown, move=None, routine_score=round(event.score, 1))
        return shown

    def _compose(self) -> Current:
        """What `current` says: the device's fields, the main person's on top, everyone in
        view in `people` (a genre only while the mode names one). Under the lock."""
        present = sorted(self._present)
        if present:
            self._main = present[0]
        elif self._main not in self._persons and self._persons:
            self._main = min(self._persons)  # the main person left: the one kept
        dancing = dances(self._device.mode)
        people = tuple(_shown(self._persons[key], dancing) for key in present)
        main = _shown(self._persons.get(self._main) or PersonCurrent(self._main), dancing)
        return replace(
            self._device, person=self._main, people=people,
            total_count=sum(p.count for p in people),
            **{name: getattr(main, name) for name in PERSON_FIELDS},
        )  # fmt: skip

    # --- what commands and faults did ------------------------------------------------
    def set_mode(self, mode: str) -> None:
        with self._lock:
            self._device = replace(self._device, mode=mode)
            self._shown = self._compose()

    def restart_count(
        self, exercise: str, active: str | None, session_id: str | None = None
    ) -> None:
        """The count starts again at 0 (reset, a new exercise, a new session)."""
        with self._lock:
            device = self._device
            self._device = replace(
                device, selected_exercise=exercise, exercise=active,
                session_id=session_id or device.session_id,
            )  # fmt: skip
            for key, person in self._persons.items():  # every person's count, as the
                self._persons[key] = PersonCurrent(  # pipeline restarts every person's
                    key, exercise=active, genre=person.genre, genre_name=person.genre_name,
                    dancing=person.dancing,
                    move=person.move, last_move_score=person.last_move_score,
                    routine_score=person.routine_score,
                )  # fmt: skip
            self._rest_clock.stop()
            self._shown = self._compose()

    def set_routine(self, routine: str, modes: tuple[str, ...], music: bool = False) -> None:
        """Another routine, followed from its start (and the modes it makes possible);
        music: it has music, which the page plays by the routine clock."""
        with self._lock:
            self._routine_clock.music = music
            self.modes = modes
            self._device = replace(self._device, routine=routine)
            for key, person in self._persons.items():
                self._persons[key] = replace(
                    person, move=None, last_move_score=None, routine_score=None
                )
            self._routine_clock.stop()
            self._last_move = None
            self._shown = self._compose()

    def set_fault(self, message: str | None) -> None:
        with self._lock:
            self._device = replace(self._device, fault=message)
            self._shown = self._compose()

    def frame(self, t_s: float, present: bool = False) -> None:
        """One frame processed: its stream time, whether a person was on it (the
        follower's round starts on such a frame), and the fps figure."""
        now = time.monotonic()
        self.t_s = t_s
        if self._routine_clock.frame(t_s, present, runs(self._device.mode, "follow")):
            self.page_epoch += 1  # a round began: the page's teacher starts dancing
        self._frames += 1
        self._last_frame = now
        if now - self._window_start >= FPS_WINDOW_S:
            self._fps = self._frames / (now - self._window_start)
            self._frames, self._window_start = 0, now

    def new_stream(self) -> None:
        """A new source: the follower starts its round again on the next person."""
        with self._lock:
            self._routine_clock.stop()

    # --- views -------------------------------------------------------------------------
    def shown(self) -> Current:
        """What `current` says now (composed when it changed: per frame, no copy)."""
        return self._shown

    @property
    def session_id(self) -> str:
        return self._device.session_id

    @property
    def counted(self) -> str | None:
        """What the stats payload names: the exercise counted, else the one selected."""
        shown = self._shown
        return shown.exercise or shown.selected_exercise

    def page(self, queue_depth: int, broker_connected: bool) -> dict[str, Any]:
        """The kiosk page's view (GET /api/state and the event stream's `state` event):
        everything `current` says, plus what the page offers and live figures."""
        shown = self.shown()
        with self._lock:
            confidence = dict(self._confidence)
            move, t_s = self._last_move, self.t_s
            routine_t_s, resting_s = self._routine_clock.at(t_s), self._rest_clock.at(t_s)
        broker = None if broker_connected else (
            f"MQTT broker unreachable; {queue_depth} event(s) queued on the device"
        )  # fmt: skip
        stale = time.monotonic() - self._last_frame > 2 * FPS_WINDOW_S
        return {
            **asdict(shown),
            "partial": shown.partial_count,
            "analyzers": list(MODE_TABLE[shown.mode].analyzers),
            "confidence": None if shown.genre is None else confidence.get(shown.person),
            "people": [
                {
                    **asdict(p),
                    "color": person_color(p.person),
                    "confidence": None if p.genre is None else confidence.get(p.person),
                }
                for p in shown.people
            ],
            "exercises": list(self.exercises),
            "modes": list(self.modes),
            "fault": shown.fault or broker,
            "camera_fault": shown.fault,
            "broker_fault": broker,
            "fps": 0.0 if stale else round(self._fps, 1),
            "queue_depth": queue_depth,
            # follow mode: where the teacher is now (routine seconds; GET /api/routine has
            # the moves and the teacher's pose) and the last move told in one line
            "routine_t_s": routine_t_s if runs(shown.mode, "follow") else None,
            "last_move": None if move is None or shown.move is None else {
                "index": move.index, "name": move.name, "score": round(move.score, 1),
                "offset_ms": round(move.offset_ms), "worst": move.worst,
                "hint": move_hint(move),
            },
            # counting: seconds since the newest set ended, while no rep has come since
            "resting_s": resting_s,
        }  # fmt: skip


def _rounded(value: float | None) -> float | None:
    """A rep's quality figure as `current` shows it (the rep topic's precision)."""
    return None if value is None else round(float(value), 3)


def _shown(person: PersonCurrent, dancing: bool) -> PersonCurrent:
    """A person's figures as `current` shows them: a genre only while the mode dances."""
    if (person.genre is None and person.dancing is None) or dancing:
        return person
    return replace(person, genre=None, genre_name=None, dancing=None)
