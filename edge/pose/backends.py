"""The pose backends: plug-ins found by file name, the way Frigate finds its detectors.

A backend is a module edge/pose/<name>_backend.py that defines

    def build(<the [pose] keys it reads, as keyword arguments>) -> PoseEstimator

so it declares its name (the file's), its own config keys (build's parameters, named as
in [pose]) and how to build itself in one place. The registry lists the plug-ins without
importing them: checking a config never loads numpy, OpenCV, mediapipe or an
interpreter, and a backend's dependencies load only when it is built. Adding a backend
is adding its module; the config's pose.backend choices and the `--backend` options
follow.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.pose.estimator import PoseEstimator

SUFFIX = "_backend"
DEFAULT_BACKEND = "litert"


def _discover() -> tuple[str, ...]:
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    return tuple(sorted(m.name.removesuffix(SUFFIX) for m in found if m.name.endswith(SUFFIX)))


BACKENDS: tuple[str, ...] = _discover()


def plugin(name: str) -> ModuleType:
    """The plug-in module of backend `name` (imported now); ValueError naming the others."""
    if name not in BACKENDS:
        raise ValueError(f"unknown pose backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return importlib.import_module(f"{__package__}.{name}{SUFFIX}")


def keys(name: str) -> tuple[str, ...]:
    """The [pose] keys backend `name` reads: its build()'s parameters."""
    return tuple(inspect.signature(plugin(name).build).parameters)


def declared_keys(name: str) -> tuple[str, ...]:
    """The [pose] keys backend `name` reads, from its source (nothing imported: what a
    config check may ask); ValueError naming the others if unknown."""
    if name not in BACKENDS:
        raise ValueError(f"unknown pose backend {name!r}; choose one of {', '.join(BACKENDS)}")
    tree = ast.parse((Path(__file__).parent / f"{name}{SUFFIX}.py").read_text())
    build_def = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "build"
    )
    arguments = build_def.args
    return tuple(a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs])


def build(name: str, **options: Any) -> PoseEstimator:
    """Backend `name`, given the options it reads (the others are not its keys: ignored)."""
    own = keys(name)
    return plugin(name).build(**{key: value for key, value in options.items() if key in own})
