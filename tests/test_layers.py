"""The import structure of edge/ and training/: no cycles, and no import from a lower layer
up to a higher one.

Read from the source (the AST of every module), nothing is imported. An import names the
module it loads: `import a.b` and `from a.b import c` load a.b, or a.b.c when that is a
module of ours. Checked:
- layering: every import of ours, wherever it is (module level, inside a function, under
  `if TYPE_CHECKING`), goes to the importer's own layer or one below it. A module's layer is
  that of the longest prefix in LAYERS that names it or a package above it, so a new module
  inside a listed package is placed already; a module no prefix names fails the test.
- cycles: the module-level imports (those that run when the module is first imported;
  imports inside functions and `if TYPE_CHECKING` blocks are left out, as they run later or
  never) form no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("edge", "training")

# Lowest first. A module may import its own layer and any below it, never one above.
LAYERS: list[tuple[str, ...]] = [
    # facts and tools that import nothing of ours but each other
    ("edge.errors", "edge.paths", "edge.skeleton", "edge.modes", "edge.progress",
     "edge.stderr_filter", "edge.watchdog"),
    # pure computation, plain types, and the MQTT contract (topics, payloads, commands)
    ("edge.features", "edge.pose.result", "edge.sources.frame", "edge.publish.topics",
     "edge.publish.commands"),
    # keypoint files; pose estimation; frame sources
    ("edge.keypoints_io", "edge.pose", "edge.sources"),
    # what is made of keypoints (the cache, reps, genres, overlays), and the config (its
    # pose table comes from the pose backends)
    ("edge.keypoints_cache", "edge.counting", "edge.dance", "edge.follow", "edge.overlay",
     "edge.config"),
    # per-frame analyzers and the device's state (with the page's clocks)
    ("edge.analyzers", "edge.app.state", "edge.app.timers"),
    # what the outside sees: MQTT, the kiosk page
    ("edge.publish", "edge.web"),
    # the kiosk loop: wiring of all of the above
    ("edge.app",),
    # entry points
    ("edge.commands", "edge.cli", "edge"),
    # off the device: may import any of edge; edge never imports training
    ("training",),
]  # fmt: skip

# Known exceptions: (importer, imported) -> why. Keep it empty where possible.
ALLOWED: dict[tuple[str, str], str] = {}


def module_files() -> dict[str, Path]:
    """Every module of ours by dotted name (a package is its __init__.py)."""
    found = {}
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return name in modules and modules[name].name == "__init__.py"


def _imports(name: str, tree: ast.Module, modules: dict[str, Path]) -> Iterator[tuple[str, bool]]:
    """(imported module of ours, at module level?) for every import in `tree`."""

    def walk(node: ast.AST, top: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            later = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            never = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            if later or never:
                yield from walk(child, False)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, top
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the importer's package
                    package = name if _is_package(name, modules) else name.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}".strip(".")
                for alias in child.names:
                    yield (
                        (f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base),
                        top,
                    )
            else:
                yield from walk(child, top)

    for target, top in walk(tree, True):
        if target.split(".")[0] in ROOTS:
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            yield target, top


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(every import, module-level imports only): importer -> imported modules of ours."""
    modules = module_files()
    every: dict[str, set[str]] = {m: set() for m in modules}
    top_level: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, top in _imports(name, ast.parse(path.read_text(), str(path)), modules):
            if target != name:
                every[name].add(target)
                if top:
                    top_level[name].add(target)
    return every, top_level


def layer_of(module: str) -> int | None:
    """The layer of the longest LAYERS prefix naming `module` or a package above it."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            named = module == prefix or module.startswith(prefix + ".")
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def test_every_module_has_a_layer():
    unplaced = [m for m in module_files() if layer_of(m) is None]
    assert not unplaced, f"give these modules a layer in LAYERS: {unplaced}"


def upward_imports(every: dict[str, set[str]]) -> list[str]:
    """Each import from a module to a higher layer than its own, ALLOWED left out."""
    return sorted(
        f"{importer} (layer {layer_of(importer)}) imports {imported} (layer {layer_of(imported)})"
        for importer, targets in every.items()
        for imported in targets
        if (layer_of(imported) or 0) > (layer_of(importer) or 0)
        and (importer, imported) not in ALLOWED
    )


def cycles(top_level: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets (each as a path that ends where it began)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(top_level.get(module, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(top_level):
        if module not in state:
            visit(module)
    return found


def test_no_import_goes_up_a_layer():
    every, _ = import_graph()
    upward = upward_imports(every)
    assert not upward, "\n".join(upward)


def test_allowed_exceptions_are_still_needed():
    every, _ = import_graph()
    stale = [pair for pair in ALLOWED if pair[1] not in every.get(pair[0], set())]
    assert not stale, f"no longer imported, drop from ALLOWED: {stale}"


def test_no_import_cycles():
    _, top_level = import_graph()
    found = cycles(top_level)
    assert not found, "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_checker_finds_a_planted_cycle_and_upward_import(tmp_path, monkeypatch):
    """The walker itself: a cycle at module level, upward imports inside a function (edge
    importing training among them), a relative import; a cycle through a function is none."""
    files = {
        "edge/__init__.py": "",
        "edge/skeleton.py": "from edge.features import embedding\n",
        "edge/features/__init__.py": "",
        "edge/features/embedding.py": "from .. import skeleton\n",
        "edge/paths.py": "def f():\n    from training import t\n    import edge.cli\n",
        "edge/cli.py": "import edge.paths\n",
        "training/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    every, top_level = import_graph()
    assert top_level["edge.skeleton"] == {"edge.features.embedding"}
    assert top_level["edge.features.embedding"] == {"edge.skeleton"}  # relative, resolved
    assert cycles(top_level) == [
        ["edge.features.embedding", "edge.skeleton", "edge.features.embedding"]
    ]
    assert every["edge.paths"] == {"training", "edge.cli"} and top_level["edge.paths"] == set()
    assert upward_imports(every) == [
        "edge.paths (layer 0) imports edge.cli (layer 7)",
        "edge.paths (layer 0) imports training (layer 8)",
        "edge.skeleton (layer 0) imports edge.features.embedding (layer 1)",
    ]
    assert layer_of("edge.features.new_module") == layer_of("edge.features")


def test_no_test_module_imports_another() -> None:
    """What several test modules share lives in tests/conftest.py or tests/helpers.py: a
    test module imported by another would run its tests' module code twice over."""
    offenders = []
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.relative_to(REPO)} imports {name}"
                for name in names
                if name.split(".")[-1].startswith("test_") and name.startswith("tests.")
            ]
    assert offenders == []
