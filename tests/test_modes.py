"""The mode table is the one list of modes: the schemas, the config, the commands, Home
Assistant and the page follow it, and a new mode is one analyzer module and one row."""

from __future__ import annotations

import json
import sys
import types
from datetime import UTC, datetime
from typing import ClassVar, get_args

import numpy as np
import pytest

from edge.analyzers import Resources, analyzer
from edge.app.control import Control
from edge.app.pipeline import Pipeline
from edge.app.state import DeviceState
from edge.config import config_from_dict
from edge.counting.events import PhaseEvent
from edge.modes import MODE_TABLE, MODES, Mode, ModeRow
from edge.publish.commands import ACTIONS, FIELDS, parse_command
from edge.publish.homeassistant import discovery_configs
from edge.publish.topics import Topics, current_payload
from tests.conftest import REPO

SCHEMAS = REPO / "docs" / "schemas"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def test_the_schema_files_list_the_tables_modes_and_analyzers() -> None:
    set_mode = next(
        one for one in schema("cmd")["oneOf"]
        if one["properties"]["action"]["const"] == "set_mode"
    )  # fmt: skip
    assert tuple(set_mode["properties"]["mode"]["enum"]) == MODES
    assert tuple(schema("current")["properties"]["mode"]["enum"]) == MODES
    assert tuple(schema("stats")["properties"]["mode"]["enum"]) == MODES
    analyzers = {name for row in MODE_TABLE.values() for name in row.analyzers}
    assert set(schema("current")["properties"]["analyzers"]["items"]["enum"]) == analyzers
    actions = [one["properties"]["action"]["const"] for one in schema("cmd")["oneOf"]]
    assert tuple(actions) == ACTIONS


def test_every_row_names_analyzers_that_exist_and_the_config_takes_every_mode() -> None:
    for row in MODE_TABLE.values():
        for name in row.analyzers:
            assert analyzer(name).name == name
    assert get_args(Mode) == MODES
    for mode in MODES:
        assert config_from_dict({"mode": {"mode": mode}}, check_paths=False).mode.mode == mode
    with pytest.raises(ValueError, match="no analyzer 'nothing'"):
        analyzer("nothing")


def test_every_command_is_a_method_of_control_with_the_commands_fields() -> None:
    for action, fields in FIELDS.items():
        method = getattr(Control, action)
        params = list(method.__code__.co_varnames[1 : method.__code__.co_argcount])
        assert params == list(fields), action


# --- a new mode: one analyzer module and one row -----------------------------------------


class Stillness:
    """A test-only analyzer: says `still` or `moving` when the wrists' speed crosses 40 px/s."""

    name: ClassVar[str] = "stillness"
    stage: ClassVar[str] = "count"

    def __init__(self, resources: Resources, exercise: str, fps: float) -> None:
        self._last: tuple[float, np.ndarray] | None = None
        self._phase = "other"

    @staticmethod
    def unavailable(resources: Resources) -> str | None:
        return None

    def update(self, landmarks, time_s: float) -> list:
        if landmarks is None:
            return []
        wrists = landmarks[[15, 16], :2]
        last, self._last = self._last, (time_s, wrists)
        if last is None or time_s <= last[0]:
            return []
        speed = float(np.linalg.norm(wrists - last[1], axis=1).max()) / (time_s - last[0])
        phase = "still" if speed < 40 else "moving"
        if phase == self._phase:
            return []
        self._phase = phase
        return [PhaseEvent("stillness", phase, time_s)]

    def new_stream(self, fps: float) -> list:
        self._last = None
        return []

    def finish(self) -> list:
        return []


@pytest.fixture
def stillness_mode(monkeypatch):
    """What a developer adds: edge/analyzers/stillness.py and one row of the table."""
    module = types.ModuleType("edge.analyzers.stillness")
    module.ANALYZER = Stillness  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "edge.analyzers.stillness", module)
    analyzer.cache_clear()
    monkeypatch.setitem(MODE_TABLE, "still", ModeRow(("stillness",), "hold still"))
    yield "still"
    analyzer.cache_clear()


def test_a_new_mode_needs_one_module_and_one_row(stillness_mode) -> None:
    pipeline = Pipeline.build(None, [], lambda pack: None, None, "count", "any")
    assert stillness_mode in pipeline.modes
    state = DeviceState("s", "count", "any", pipeline.modes, pipeline.exercises, "any")
    control = Control(pipeline, state)
    assert control.apply(b'{"action": "set_mode", "mode": "still"}') == (True, None)
    assert state.shown().mode == "still" and pipeline.mode == "still"
    # the analyzer runs per person on its frames, and its events reach the state
    landmarks = np.zeros((33, 4), np.float32)
    events = []
    for i in range(20):
        landmarks[[15, 16], 0] = 100 + (30 * i if i < 10 else 300)  # moving, then still
        events += pipeline.process_landmarks(landmarks.copy(), i / 10).events
    phases = [(e.exercise, e.phase) for e in events if isinstance(e, PhaseEvent)]
    assert phases == [("stillness", "moving"), ("stillness", "still")]  # and PersonEntered
    for event in events:
        state.apply(event, datetime.now(UTC))
    assert state.shown().phase == "still"
    # the views derive it: the page, Home Assistant, current, the cmd parser
    assert "still" in state.page(0, True)["modes"]
    configs = discovery_configs(Topics("k1"), list(pipeline.exercises), pipeline.modes)
    select = next(c for t, c in configs.items() if t.endswith("/mode/config"))
    assert "still" in select["options"]
    payload = current_payload(state.shown(), t_s=None)
    assert payload["analyzers"] == ["stillness"]
    parse_command(b'{"action": "set_mode", "mode": "still"}', modes=pipeline.modes)
