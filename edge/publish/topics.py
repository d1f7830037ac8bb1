"""The MQTT topic API of one device, and a typed builder for every payload.

(Over 400 lines: one builder per payload, each beside the topic name it goes out on.)

Everything lives under <prefix>/<device_id>/ so that one broker can serve a fleet and a
subscriber can take one kiosk (dancepose/kiosk-3/#) or all of them (dancepose/+/rep).
docs/mqtt.md describes each topic; docs/schemas/<name>.schema.json is the contract the
builders here are tested against, so a field renamed here without the schema fails a test.

Builders take plain values (or anything shaped like RepEvent / DanceEvent) and return
TypedDicts; `encode` turns one into compact UTF-8 JSON. Every event carries a fresh uuid4
`id`: delivery is at-least-once, and the id is what subscribers de-duplicate on. The
retained state topics (status, current) carry no id: each message replaces the last.
Non-finite numbers are refused here (JSON has no NaN) rather than sent as invalid JSON.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NotRequired, Protocol, TypedDict

from edge.modes import MODE_TABLE

DEFAULT_PREFIX = "dancepose"

STATUS = "status"
REP = "rep"
STATE = "state"
DANCE = "dance"
MOVE = "move"
SET = "set"
HOLD = "hold"
STATS = "stats"
CURRENT = "current"
CMD = "cmd"
CMD_RESULT = "cmd/result"
# Written by the kiosk's mosquitto bridge, not by us: "1" / "0" (retained), the uplink.
BRIDGE = "bridge"

# Suffixes that go through the event queue (status is published directly, cmd is incoming).
EVENT_TOPICS = (REP, STATE, DANCE, STATS, CMD_RESULT, MOVE, SET, HOLD)
# Retained events: the last stats message is what a dashboard shows when it (re)starts.
RETAINED_EVENTS = frozenset({STATS})
# Retained, published directly and latest-wins (not queued: only the newest is true).
STATE_TOPICS = (STATUS, CURRENT)
# What the device publishes, and what it takes (for a bridge's topic lines).
OUT_TOPICS = (*STATE_TOPICS, *EVENT_TOPICS)
IN_TOPICS = (CMD,)
# The JSON Schema of each topic's payloads, in docs/schemas/ (the bridge's "1" / "0" has none).
SCHEMA_FILES = {
    STATUS: "status.schema.json",
    REP: "rep.schema.json",
    STATE: "state.schema.json",
    DANCE: "dance.schema.json",
    STATS: "stats.schema.json",
    CURRENT: "current.schema.json",
    CMD: "cmd.schema.json",
    CMD_RESULT: "cmd_result.schema.json",
    MOVE: "move.schema.json",
    SET: "set.schema.json",
    HOLD: "hold.schema.json",
}

STATUS_STATES = ("online", "fault", "offline")
LATENCY_STAGES = ("capture", "pose", "count", "dance", "publish", "total")

StatusState = Literal[STATUS_STATES]  # type: ignore[valid-type]

_LEVEL = re.compile(r"[^+#/\x00]+")


@dataclass(frozen=True)
class Topics:
    """Topic names of one device. Levels may not hold wildcards or '/' (device_id is one
    level; prefix may be several), or a subscription to <prefix>/+/rep would break."""

    device_id: str
    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not _LEVEL.fullmatch(self.device_id):
            raise ValueError(
                f"device_id {self.device_id!r} must be one topic level (no '/', '+', '#')"
            )
        if not all(_LEVEL.fullmatch(level) for level in self.prefix.split("/")):
            raise ValueError(
                f"topic prefix {self.prefix!r} must be '/'-joined levels without '+' or '#'"
            )

    @property
    def root(self) -> str:
        return f"{self.prefix}/{self.device_id}"

    def topic(self, suffix: str) -> str:
        """The full topic for a suffix of the API ("rep", "cmd/result", ...)."""
        if suffix not in (*OUT_TOPICS, *IN_TOPICS, BRIDGE):
            raise ValueError(f"unknown topic suffix {suffix!r}")
        return f"{self.root}/{suffix}"


class StatusPayload(TypedDict):
    state: StatusState
    fault: str | None
    time: str


class RepPayload(TypedDict):
    id: str
    session_id: str
    exercise: str
    count: int
    time: str
    t_s: float
    start_s: float
    end_s: float
    confidence: float
    votes: float | None
    partial: bool
    down_s: NotRequired[float | None]  # how the rep went: its tempo,
    up_s: NotRequired[float | None]
    range: NotRequired[float | None]  # its range of motion over the set's best,
    velocity_loss: NotRequired[float | None]  # and how much slower than the fastest
    person: int  # whose rep: the pose tracker's id


class SetPayload(TypedDict):
    id: str
    session_id: str
    exercise: str
    set: int
    reps: int
    partial: int
    time: str
    t_s: float
    start_s: float
    end_s: float
    duration_s: float
    rest_s: float | None
    mean_down_s: float | None
    mean_up_s: float | None
    mean_range: float | None
    person: int


class HoldPayload(TypedDict):
    id: str
    session_id: str
    exercise: str
    hold: int
    seconds: int
    held_s: float
    ended: bool
    time: str
    t_s: float
    start_s: float
    end_s: float
    person: int


class StatePayload(TypedDict):
    id: str
    session_id: str
    exercise: str
    phase: str
    time: str
    t_s: float
    person: int


@dataclass(frozen=True)
class PersonCurrent:
    """One person in view, as `current`'s `people` lists them: the fields `current` keeps
    per person (the top-level ones of the same names describe the main person)."""

    person: int  # the pose tracker's id
    exercise: str | None = None
    count: int = 0
    partial_count: int = 0
    phase: str | None = None
    genre: str | None = None
    genre_name: str | None = None
    last_rep_time: str | None = None
    move: str | None = None
    last_move_score: float | None = None
    last_rep_range: float | None = None
    last_rep_down_s: float | None = None
    last_rep_up_s: float | None = None
    set_number: int = 0
    rest_s: float | None = None
    last_set_reps: int | None = None
    rest_since: str | None = None
    routine_score: float | None = None
    hold_s: int | None = None
    holding: bool = False
    dancing: float | None = None


# The per-person fields of `current`: its top level carries the main person's under the
# same names.
PERSON_FIELDS = tuple(f for f in PersonCurrent.__dataclass_fields__ if f != "person")


@dataclass(frozen=True)
class Current:
    """What the retained `current` topic says (docs/schemas/current.schema.json) but for
    `time`, `t_s` and `analyzers`, added when it is sent: the fields declared once, for
    the payload and for the device state that renders it (edge/app/state.py)."""

    session_id: str
    mode: str
    selected_exercise: str
    exercise: str | None
    count: int
    partial_count: int
    phase: str | None
    genre: str | None
    genre_name: str | None
    fault: str | None
    last_rep_time: str | None
    routine: str | None = None  # follow mode: the routine followed,
    move: str | None = None  # the move being danced now,
    last_move_score: float | None = None  # and the last move's score (0..100)
    last_rep_range: float | None = None  # the newest counted rep's range of motion,
    last_rep_down_s: float | None = None  # and its tempo
    last_rep_up_s: float | None = None
    set_number: int = 0  # sets ended since the count was reset,
    rest_s: float | None = None  # and the rest before the newest one
    last_set_reps: int | None = None  # the newest ended set's reps,
    rest_since: str | None = None  # and when it ended, while no rep has come since
    routine_score: float | None = None  # follow mode: the newest round's score (0..100)
    hold_s: int | None = None  # a hold exercise: whole seconds of the newest hold,
    holding: bool = False  # and whether it is under way
    dancing: float | None = None  # dance modes: the newest verdict's 0..1 that one dances
    person: int = 0  # whose figures the fields above are: the main person's
    people: tuple[PersonCurrent, ...] = ()  # everyone in view, by id
    total_count: int = 0  # the reps of everyone in `people`

    def __post_init__(self) -> None:
        if self.mode not in MODE_TABLE:
            raise ValueError(f"mode must be one of {', '.join(MODE_TABLE)}; got {self.mode!r}")
        if self.count < 0 or self.partial_count < 0:
            raise ValueError("counts cannot be negative")
        if (self.genre is None) != (self.genre_name is None):
            raise ValueError("genre and genre_name are both set or both null")


class MovePayload(TypedDict):
    id: str
    session_id: str
    time: str
    t_s: float
    routine: str
    summary: bool
    move: int | None
    name: str | None
    score: float
    offset_ms: float | None
    parts: dict[str, float] | None
    worst: str | None
    moves: int | None
    person: int


class DancePayload(TypedDict):
    id: str
    session_id: str
    time: str
    t_s: float
    genre: str | None
    genre_name: str | None
    confidence: float
    probabilities: dict[str, float]
    motion_energy: float
    person: int
    dancing: float


# Mean ms per stage over a stats interval; None: no sample.
LatencyMs = TypedDict("LatencyMs", dict.fromkeys(LATENCY_STAGES, float | None))  # type: ignore[misc]


class StatsPayload(TypedDict):
    time: str
    uptime_s: float
    fps: float
    latency_ms: LatencyMs
    dropped_frames: int
    queue_depth: int
    queue_dropped: int
    cpu_temp_c: float | None
    mode: str
    exercise: str | None
    reps: int
    partial_reps: int
    people: float
    people_max: int
    pose_ms_per_person: float | None
    over_budget: bool
    person_rate: float | None


class CmdResultPayload(TypedDict):
    id: str
    ok: bool
    error: str | None
    command: dict[str, Any] | None
    request_id: str | None
    time: str


class RepLike(Protocol):
    """What rep_payload reads (edge.counting.events.RepEvent has it)."""

    @property
    def exercise(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def time_s(self) -> float: ...
    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...
    @property
    def confidence(self) -> float: ...
    @property
    def votes(self) -> float | None: ...
    @property
    def partial(self) -> bool: ...
    @property
    def down_s(self) -> float | None: ...
    @property
    def up_s(self) -> float | None: ...
    @property
    def range(self) -> float | None: ...
    @property
    def velocity_loss(self) -> float | None: ...
    @property
    def person(self) -> int: ...


class DanceLike(Protocol):
    """What dance_payload reads (edge.dance.classifier.DanceEvent has it)."""

    @property
    def time_s(self) -> float: ...
    @property
    def genre(self) -> str | None: ...
    @property
    def genre_name(self) -> str | None: ...
    @property
    def confidence(self) -> float: ...
    @property
    def dancing(self) -> float | None: ...
    @property
    def probabilities(self) -> Mapping[str, float]: ...
    @property
    def motion_energy(self) -> float: ...
    @property
    def person(self) -> int: ...


def iso_time(now: datetime | None = None) -> str:
    """UTC, milliseconds, 'Z': sortable as text and parsed by every ISO 8601 reader."""
    moment = datetime.now(UTC) if now is None else now.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid.uuid4())


def _finite(name: str, value: float, digits: int) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return round(number, digits)


def _optional_finite(name: str, value: float | None, digits: int) -> float | None:
    return None if value is None else _finite(name, value, digits)


def status_payload(
    state: StatusState, fault: str | None = None, *, now: datetime | None = None
) -> StatusPayload:
    """A fault message is required for 'fault' and refused otherwise, so a dashboard can
    show `fault` whenever it is set without also checking `state`."""
    if state not in STATUS_STATES:
        raise ValueError(f"status state must be one of {', '.join(STATUS_STATES)}; got {state!r}")
    if (state == "fault") != (fault is not None):
        raise ValueError("a fault message goes with state 'fault' and only with it")
    return {"state": state, "fault": fault, "time": iso_time(now)}


def rep_payload(
    event: RepLike, session_id: str, *, event_id: str | None = None, now: datetime | None = None
) -> RepPayload:
    return {
        "id": event_id or new_id(),
        "session_id": session_id,
        "exercise": event.exercise,
        "count": int(event.count),
        "time": iso_time(now),
        "t_s": _finite("t_s", event.time_s, 3),
        "start_s": _finite("start_s", event.start_s, 3),
        "end_s": _finite("end_s", event.end_s, 3),
        "confidence": _finite("confidence", min(max(event.confidence, 0.0), 1.0), 4),
        "votes": _optional_finite("votes", event.votes, 3),
        "partial": bool(event.partial),
        # how the rep went, where its counter measured it (null where it did not)
        "down_s": _optional_finite("down_s", event.down_s, 3),
        "up_s": _optional_finite("up_s", event.up_s, 3),
        "range": _optional_finite("range", event.range, 3),
        "velocity_loss": _optional_finite("velocity_loss", event.velocity_loss, 3),
        "person": int(event.person),
    }


def set_payload(
    event: Any, session_id: str, *, event_id: str | None = None, now: datetime | None = None
) -> SetPayload:
    """A set that ended (edge/counting/events.py SetEvent; edge/counting/sets.py's rule)."""
    return {
        "id": event_id or new_id(),
        "session_id": session_id,
        "exercise": event.exercise,
        "set": int(event.number),
        "reps": int(event.reps),
        "partial": int(event.partial),
        "time": iso_time(now),
        "t_s": _finite("t_s", event.time_s, 3),
        "start_s": _finite("start_s", event.start_s, 3),
        "end_s": _finite("end_s", event.end_s, 3),
        "duration_s": _finite("duration_s", event.end_s - event.start_s, 3),
        "rest_s": _optional_finite("rest_s", event.rest_s, 3),
        "mean_down_s": _optional_finite("mean_down_s", event.mean_down_s, 3),
        "mean_up_s": _optional_finite("mean_up_s", event.mean_up_s, 3),
        "mean_range": _optional_finite("mean_range", event.mean_range, 3),
        "person": int(getattr(event, "person", 0)),
    }


def hold_payload(
    event: Any, session_id: str, *, event_id: str | None = None, now: datetime | None = None
) -> HoldPayload:
    """A hold under way, once a second, or ended (edge/counting/events.py HoldEvent;
    edge/counting/hold.py's rule)."""
    return {
        "id": event_id or new_id(),
        "session_id": session_id,
        "exercise": event.exercise,
        "hold": int(event.number),
        "seconds": int(event.seconds),
        "held_s": _finite("held_s", event.held_s, 3),
        "ended": bool(event.ended),
        "time": iso_time(now),
        "t_s": _finite("t_s", event.time_s, 3),
        "start_s": _finite("start_s", event.start_s, 3),
        "end_s": _finite("end_s", event.end_s, 3),
        "person": int(event.person),
    }


def state_payload(
    session_id: str,
    exercise: str,
    phase: str,
    t_s: float,
    *,
    person: int = 0,
    event_id: str | None = None,
    now: datetime | None = None,
) -> StatePayload:
    return {
        "id": event_id or new_id(),
        "session_id": session_id,
        "exercise": exercise,
        "phase": phase,
        "time": iso_time(now),
        "t_s": _finite("t_s", t_s, 3),
        "person": int(person),
    }


def current_payload(
    current: Current, t_s: float | None, *, now: datetime | None = None
) -> dict[str, Any]:
    """The device's whole state now, for the retained `current` topic: what a subscriber
    that (re)starts needs at once, without waiting for the next rep or genre. `analyzers`
    (what the mode runs, from edge/modes.py) tells a view which fields apply."""
    return {
        "time": iso_time(now),
        "t_s": _optional_finite("t_s", t_s, 3),
        **asdict(current),
        "people": [asdict(person) for person in current.people],  # a list, as JSON reads it
        "analyzers": list(MODE_TABLE[current.mode].analyzers),
    }


def move_payload(
    event: Any, session_id: str, *, event_id: str | None = None, now: datetime | None = None
) -> MovePayload:
    """A scored move (edge/follow/events.py MoveEvent) or, `summary` true, the routine's
    score when it ends (RoutineSummary: `moves` scored; the move's fields null)."""
    summary = not hasattr(event, "parts")
    return {
        "id": event_id or new_id(),
        "session_id": session_id,
        "time": iso_time(now),
        "t_s": _finite("t_s", event.time_s, 3),
        "routine": event.routine,
        "summary": summary,
        "move": None if summary else int(event.index),
        "name": None if summary else event.name,
        "score": _finite("score", event.score, 1),
        "offset_ms": None if summary else _finite("offset_ms", event.offset_ms, 0),
        "parts": None if summary else {
            str(part): _finite(f"parts[{part}]", value, 1) for part, value in event.parts.items()
        },
        "worst": None if summary else event.worst,
        "moves": int(event.moves) if summary else None,
        "person": int(getattr(event, "person", 0)),
    }  # fmt: skip


def dance_payload(
    event: DanceLike,
    session_id: str,
    *,
    event_id: str | None = None,
    now: datetime | None = None,
) -> DancePayload:
    return {
        "id": event_id or new_id(),
        "session_id": session_id,
        "time": iso_time(now),
        "t_s": _finite("t_s", event.time_s, 3),
        "genre": event.genre,
        "genre_name": event.genre_name,
        "confidence": _finite("confidence", event.confidence, 4),
        "probabilities": {
            str(code): _finite(f"probabilities[{code}]", p, 4)
            for code, p in event.probabilities.items()
        },
        "motion_energy": _finite("motion_energy", event.motion_energy, 6),
        "person": int(event.person),
        "dancing": _finite("dancing", event.dancing if event.dancing is not None else 0.0, 4),
    }


def stats_payload(
    *,
    uptime_s: float,
    fps: float,
    latency_ms: Mapping[str, float | None],
    dropped_frames: int,
    queue_depth: int,
    queue_dropped: int,
    cpu_temp_c: float | None,
    mode: str,
    exercise: str | None,
    reps: int,
    partial_reps: int,
    people: float = 0.0,
    people_max: int = 0,
    pose_ms_per_person: float | None = None,
    over_budget: bool = False,
    person_rate: float | None = None,
    now: datetime | None = None,
) -> StatsPayload:
    """latency_ms: per pipeline stage, mean over the stats interval; a stage that had no
    sample (dance in count mode, publish with no PUBACK yet) is None, not 0, so it cannot
    be mistaken for a very fast stage."""
    unknown = set(latency_ms) - set(LATENCY_STAGES)
    if unknown:
        raise ValueError(f"unknown latency stage(s) {sorted(unknown)}; known: {LATENCY_STAGES}")
    if mode not in MODE_TABLE:
        raise ValueError(f"mode must be one of {', '.join(MODE_TABLE)}; got {mode!r}")
    latency: LatencyMs = {  # type: ignore[assignment]
        stage: _optional_finite(f"latency_ms.{stage}", latency_ms.get(stage), 2)
        for stage in LATENCY_STAGES
    }
    return {
        "time": iso_time(now),
        "uptime_s": _finite("uptime_s", uptime_s, 1),
        "fps": _finite("fps", fps, 2),
        "latency_ms": latency,
        "dropped_frames": int(dropped_frames),
        "queue_depth": int(queue_depth),
        "queue_dropped": int(queue_dropped),
        "cpu_temp_c": _optional_finite("cpu_temp_c", cpu_temp_c, 1),
        "mode": mode,
        "exercise": exercise,
        "reps": int(reps),
        "partial_reps": int(partial_reps),
        "people": _finite("people", people, 2),
        "people_max": int(people_max),
        "pose_ms_per_person": _optional_finite("pose_ms_per_person", pose_ms_per_person, 2),
        "over_budget": bool(over_budget),
        "person_rate": _optional_finite("person_rate", person_rate, 3),
    }


def cmd_result_payload(
    *,
    ok: bool,
    error: str | None = None,
    command: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
) -> CmdResultPayload:
    """`command` is the command as understood (normalised), None when it could not be
    parsed; `request_id` is echoed so a sender can match replies to what it sent."""
    if ok == (error is not None):
        raise ValueError("a reply has an error exactly when ok is false")
    return {
        "id": new_id(),
        "ok": bool(ok),
        "error": error,
        "command": None if command is None else dict(command),
        "request_id": request_id,
        "time": iso_time(now),
    }


def encode(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; allow_nan=False turns a NaN that slipped through into an error
    here instead of a message no standard JSON parser accepts."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
