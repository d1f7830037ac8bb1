"""From pydantic's errors to ours: one line per mistake, naming the dotted key and the fix.

A table's own checks raise fail(text) (one mistake) or raise_issues(...) (several, from
its cross-key rules); everything else pydantic reports is worded here from the field's
declaration: its type, its bounds, an Expect(...) where those would not say it well.
Unknown keys get a difflib "did you mean", searched in the other tables too.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

ERROR = "config"  # the type of the errors our own checks raise (message is the text)
ISSUES = "config_issues"  # several at once, from a table's cross-key checks
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class Expect:
    """Field metadata: what a value of this key looks like, for its error message, where
    the type and constraints alone would not say it well (patterns)."""

    def __init__(self, text: str) -> None:
        self.text = text


def fail(text: str) -> PydanticCustomError:
    """One mistake of a value, raised by a validator: `text` becomes "key: text"."""
    return PydanticCustomError(ERROR, text)


def raise_issues(issues: list[tuple[str, str]]) -> None:
    """Several cross-key mistakes of one table at once: (key within the table, message)."""
    if issues:
        raise PydanticCustomError(ISSUES, "several mistakes", {"issues": issues})


# --- the keys a model takes --------------------------------------------------------------


def table_model(info: FieldInfo) -> type[BaseModel] | None:
    """The model of a [table] field; None for a plain key."""
    annotation = info.annotation
    is_table = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_table else None


@functools.cache
def schema(root: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    """Every key the file may hold, per table ("" = the top level): what unknown keys are
    matched against for the "did you mean" hint. Derived from the models."""
    tables = tables_of(root)
    return {
        "": tuple(name for name, info in root.model_fields.items() if not info.exclude),
        **{t: tuple(table_model(root.model_fields[t]).model_fields) for t in tables},  # type: ignore[union-attr]
    }


@functools.cache
def tables_of(root: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, info in root.model_fields.items() if table_model(info))


@functools.cache
def all_keys(root: type[BaseModel]) -> tuple[str, ...]:
    """Every dotted key of the file: `port` of [mqtt] is mqtt.port."""
    tables = tables_of(root)
    return tuple(
        f"{table}.{key}" if table else key
        for table, keys in schema(root).items()
        for key in keys
        if key not in tables or table
    )


# --- the lines ---------------------------------------------------------------------------


def issues(error: ValidationError, root: type[BaseModel]) -> list[tuple[str, str]]:
    """(dotted key, "key: what is wrong and the fix") for every error, in file order.
    `root` is the model validated: a whole file (it has tables) or one table."""
    found = []
    for item in error.errors(include_url=False):
        loc = tuple(str(part) for part in item["loc"])
        if item["type"] == ISSUES:
            for name, text in item["ctx"]["issues"]:
                key = dotted((*loc, name))
                found.append((key, f"{key}: {text}"))
        else:
            key = dotted(loc)
            found.append((key, _line(root, loc, key, item)))
    return found


def _line(root: type[BaseModel], loc: tuple[str, ...], key: str, item: Any) -> str:
    kind, value = item["type"], item.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(root, loc, key) if tables_of(root) else f"unknown key {key}"
    if kind == ERROR:
        return f"{key}: {item['msg']}"
    field = _field(root, loc)
    if field is None:
        return f"{key}: {item['msg']}"
    if table_model(field) is not None:
        return f"{key}: expected a [{key}] table, got {show(value)}"
    base = _base_type(field.annotation)
    if kind == "literal_error" and isinstance(value, str):
        options = ", ".join(map(str, get_args(base)))
        return f"{key}: unknown value {show(value)}; use one of {options}"
    return f"{key}: expected {_expected(field, base)}, got {show(value)}"


def _field(root: type[BaseModel], loc: tuple[str, ...]) -> FieldInfo | None:
    model: Any = root
    field = None
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = field.annotation
    return field


def _base_type(annotation: Any) -> Any:
    """int for int, Path for `ConfigPath | None`: what a value of the key is."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _expected(field: FieldInfo, base: Any) -> str:
    """What the key takes, in words, from its declaration."""
    for item in field.metadata:
        if isinstance(item, Expect):
            return item.text
    if base is bool:
        return "true or false (no quotes)"
    if get_origin(base) is Literal:
        return f"one of {', '.join(map(str, get_args(base)))} (a quoted string)"
    bounds: dict[str, Any] = {}
    for item in field.metadata:
        for name in ("gt", "ge", "le"):
            if isinstance(item, getattr(annotated_types, name.capitalize())):
                bounds[name] = getattr(item, name)
    if base is int:
        low, high = bounds["ge"], bounds["le"]
        if high - low <= 2:
            values = [str(v) for v in range(low, high + 1)]
            return ", ".join(values[:-1]) + " or " + values[-1]
        return f"an integer {low}-{high}"
    if base is float:
        sign, low = (">", bounds["gt"]) if "gt" in bounds else (">=", bounds["ge"])
        return f"a number {sign} {low:g} and <= {bounds['le']:g}"
    return "a quoted string"


def _unknown_key(root: type[BaseModel], loc: tuple[str, ...], key_text: str) -> str:
    """Unknown keys are errors (a typo would otherwise mean a silent default), with a hint;
    a key a table refuses outright (its `refused_keys`) gets that table's reason."""
    name, key = (loc[0], loc[1]) if len(loc) > 1 else ("", loc[0])
    table = table_model(root.model_fields[name]) if name in tables_of(root) else None
    refused = getattr(table, "refused_keys", {}) if len(loc) == 2 else {}
    if key in refused:
        return f"{key_text}: {refused[key]}"
    allowed = schema(root)[name]
    hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    suggestion = f"{name}.{hint[0]}" if hint and name else (hint[0] if hint else None)
    if suggestion is None:
        # The key may belong to another table (interval_s under [mqtt], port at the top).
        elsewhere = {
            k.rsplit(".", 1)[-1]: k for k in all_keys(root) if k.rsplit(".", 1)[0] != (name or k)
        }
        close = difflib.get_close_matches(key, elsewhere, n=1, cutoff=0.8)
        suggestion = elsewhere[close[0]] if close else None
    if suggestion is not None:
        return f"unknown key {key_text} (did you mean {suggestion}?)"
    if name:
        takes = f"[{name}] takes " + ", ".join(allowed)
    else:
        takes = "the top level takes device_id and the tables " + ", ".join(
            f"[{t}]" for t in tables_of(root)
        )
    return f"unknown key {key_text}; {takes}"


# --- one line, always --------------------------------------------------------------------


def dotted(loc: Sequence[str]) -> str:
    return ".".join(show_key(part) for part in loc)


def show(value: Any, limit: int = 60) -> str:
    """repr(), one line and short: each message must stay a single journal line."""
    text = one_line(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_key(key: Any) -> str:
    """A key as it would be written in TOML: bare when it can be, else quoted."""
    text = str(key)
    return text if _BARE_KEY.fullmatch(text) else one_line(repr(text))


def one_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text
