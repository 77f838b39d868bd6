"""The import layering of docs/architecture.rst, checked on the source with ``ast``.

Every module of bloop has a layer in ``LAYERS`` (the one table to update when a module is
added or moved).  A module may import from its own layer and from the layers listed before
its own; an import of a later layer is an *upward* import and fails, as does any import
cycle among bloop's modules.

What counts as an import: every ``import`` / ``from ... import`` statement in a module,
at module level or inside a function or class (a function-level import is a dependency all
the same, only a later one).  Imports under ``if TYPE_CHECKING:`` are never executed: they
count for the layering (a type-only upward import still ties a low layer to a high one) but
not for cycles (they cannot deadlock an import, and mutually typed modules need them).
Names in docstrings and comments are not imports.

A known exception is a dependency that is upward or part of a cycle today, in a module
another engineer is reworking; each names who removes it.  An exception that no longer
occurs fails too, so the table does not keep stale entries.
"""
import ast
import pathlib
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "bloop"

#: The layers from the bottom up; a module imports only from its own layer and those above it
#: in this list.  Names are relative to ``bloop`` ("" is the package's ``__init__``); a name
#: ending in ".*" stands for every module of that package (its ``__init__`` included).
LAYERS: List[Tuple[str, List[str]]] = [
    # importable from anywhere: they import nothing of bloop's but each other
    ("everywhere", ["exceptions", "signals", "limits", "_version"]),
    # what a value is: the types and the containers loaded values arrive in
    ("values", ["containers", "types", "dumping"]),
    # inert condition and update-action nodes built from columns and paths
    ("build", ["conditions", "actions"]),
    # models (a Column is an operand) and the snapshot an assignment to a column makes
    ("declare", ["templates", "entities", "models", "tracking"]),
    # the renderer: placeholders and expression strings
    ("render", ["expressions"]),
    # I/O-free: the codec and the operation generators
    ("core", ["codec", "codec.*", "operations", "capacity", "tables", "search", "search.*", "transactions", "unique",
              "stream.coordinator", "stream.records", "relations", "lifecycle",
              # objects as JSON data (dicts) and as pydantic models (pydantic)
              "dicts", "pydantic"]),
    # the only modules that talk to botocore / aiobotocore
    ("transport", ["session", "fastpath"]),
    # the sync and async siblings of each concern: transports, drive, search iteration,
    # transactions and streams (bloop/drivers)
    ("drivers", ["drivers.*"]),
    # what users hold: engines, facades and the packages' exports
    ("facade", ["", "engine", "aio", "stream", "stream.stream", "telemetry"]),
    # jobs over the engine (checkpointed backfills, exports and imports) and the command line
    ("tools", ["jobs", "backfill", "transfer", "cli"]),
    # what users test with: the pytest plugin, faults and Lambda events (bloop/testing)
    ("testing", ["testing.*"]),
]

#: (importer, imported): dependencies that break the rules today, each with who removes it.
KNOWN_EXCEPTIONS: Dict[Tuple[str, str], str] = {
    # kept: BaseModel.from_stream_record is a documented shortcut to the stream record parser
    # (imported when called, from the parser's own module, not the stream package's facade)
    ("models", "stream.records"): "kept: BaseModel.from_stream_record calls bloop.stream.records.from_lambda",
    # kept: the names the drivers took with them stay importable from where they were, found
    # when first asked for (a module __getattr__), so nothing of the core runs them
    ("operations", "drivers.drive"): "kept: bloop.operations.drive, found lazily",
    ("operations", "drivers.transport"): "kept: bloop.operations.outcome, found lazily",
    ("search", "drivers.search"): "kept: bloop.search.SearchIterator and kin, found lazily",
    # kept: type-only, so a type checker sees a sync search iterate as the driver's SearchIterator
    ("search.describe", "drivers.search"): "kept: Search.__iter__ is typed SearchIterator (TYPE_CHECKING only)",
    ("transactions", "drivers.transaction"): "kept: bloop.transactions.SyncTransaction, found lazily",
}


def _layer_table() -> Dict[str, int]:
    table: Dict[str, int] = {}
    for rank, (_, names) in enumerate(LAYERS):
        for name in names:
            assert name not in table, f"{name!r} is in two layers of LAYERS"
            table[name] = rank
    return table


TABLE = _layer_table()


def modules() -> Dict[str, pathlib.Path]:
    """Every module of bloop, by its dotted name relative to the package ("" for bloop)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def layer_of(module: str) -> int:
    """The rank of ``module`` in LAYERS; a module in no layer fails with what to do."""
    if module in TABLE:
        return TABLE[module]
    if module + ".*" in TABLE:  # a package's __init__
        return TABLE[module + ".*"]
    package = module
    while package:
        package = package.rpartition(".")[0]
        if package + ".*" in TABLE:
            return TABLE[package + ".*"]
        if not package:
            break
    pytest.fail(f"bloop.{module} has no layer: add it to LAYERS in {__file__} (and to the layout in "
                "docs/architecture.rst)")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, typing_only: bool = False) -> Iterator[Tuple[ast.stmt, bool]]:
    """Every import statement under ``tree``, with whether only type checkers run it."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, typing_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), typing_only)
        else:
            yield from _imports(node, typing_only)


def _resolve(module: str, is_package: bool, node: ast.stmt, known: Set[str]) -> Iterator[str]:
    """The bloop modules an import statement in ``module`` loads (relative to bloop)."""
    def closest(dotted: str) -> str:
        # "stream.records.from_lambda" -> "stream.records"; a name in a package's __init__ -> the package
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted

    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "bloop" or alias.name.startswith("bloop."):
                yield closest(alias.name[len("bloop."):] if alias.name != "bloop" else "")
        return
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if module else []
        if not is_package:
            base = base[:-1]
        base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
        target = ".".join(base + ([node.module] if node.module else []))
    elif node.module == "bloop" or (node.module or "").startswith("bloop."):
        target = node.module[len("bloop."):] if node.module != "bloop" else ""
    else:
        return
    for alias in node.names:
        name = f"{target}.{alias.name}" if target else alias.name
        if name in known:  # ``from . import signals``: the submodule
            yield name
        else:
            yield closest(target)


def dependencies() -> Dict[str, Dict[str, bool]]:
    """module -> {imported module: whether only under TYPE_CHECKING}."""
    found = modules()
    known = set(found)
    graph: Dict[str, Dict[str, bool]] = {}
    for module, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        deps: Dict[str, bool] = {}
        for node, typing_only in _imports(tree):
            for target in _resolve(module, path.name == "__init__.py", node, known):
                if target != module:
                    deps[target] = deps.get(target, True) and typing_only
        graph[module] = deps
    return graph


def _name(module: str) -> str:
    return f"bloop.{module}" if module else "bloop"


def upward_imports(graph: Dict[str, Dict[str, bool]]) -> Set[Tuple[str, str]]:
    return {(module, target) for module, deps in graph.items() for target in deps
            if layer_of(target) > layer_of(module)}


def cycles(graph: Dict[str, Dict[str, bool]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan), run-time imports only."""
    runtime = {m: [t for t, typing_only in deps.items() if not typing_only] for m, deps in graph.items()}
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    out: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in runtime.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(runtime):
        if node not in index:
            visit(node)
    return out


def _without_exceptions(graph: Dict[str, Dict[str, bool]]) -> Dict[str, Dict[str, bool]]:
    return {m: {t: v for t, v in deps.items() if (m, t) not in KNOWN_EXCEPTIONS} for m, deps in graph.items()}


def test_every_module_has_a_layer():
    for module in modules():
        layer_of(module)


def test_no_upward_imports():
    graph = _without_exceptions(dependencies())
    names = [name for name, _ in LAYERS]
    found = sorted(f"{_name(m)} ({names[layer_of(m)]}) imports {_name(t)} ({names[layer_of(t)]})"
                   for m, t in upward_imports(graph))
    assert not found, "upward imports:\n" + "\n".join(found)


def test_no_import_cycles():
    found = cycles(_without_exceptions(dependencies()))
    assert not found, "import cycles among: " + "; ".join(", ".join(map(_name, c)) for c in found)


def test_known_exceptions_still_occur():
    """A fixed exception is taken out of the table."""
    graph = dependencies()
    stale = [pair for pair in KNOWN_EXCEPTIONS if pair[1] not in graph.get(pair[0], {})]
    assert not stale, f"no longer imported, remove from KNOWN_EXCEPTIONS: {stale}"


def test_the_checker_sees_what_it_must():
    """The parser itself: a function-level import counts, a TYPE_CHECKING one only for layers,
    relative imports resolve inside subpackages, a docstring is not an import."""
    source = (
        "'''from bloop.engine import Engine'''\n"
        "from typing import TYPE_CHECKING\n"
        "from ..exceptions import InvalidStream\n"
        "from .records import Record\n"
        "from . import coordinator\n"
        "if TYPE_CHECKING:\n"
        "    from ..engine import Engine\n"
        "def f():\n"
        "    import bloop.session\n"
        "    from bloop.stream import Stream\n"
    )
    known = {"", "exceptions", "engine", "session", "stream", "stream.records", "stream.coordinator"}
    seen: Dict[str, bool] = {}
    for node, typing_only in _imports(ast.parse(source)):
        for target in _resolve("stream.records", False, node, known):
            seen[target] = seen.get(target, True) and typing_only
    assert seen == {"exceptions": False, "stream.records": False, "stream.coordinator": False,
                    "engine": True, "session": False, "stream": False}
    graph = {"a": {"b": False}, "b": {"c": True, "a": False}, "c": {"a": False}}
    assert cycles(graph) == [["a", "b"]]


def test_an_unknown_module_is_named():
    with pytest.raises(pytest.fail.Exception, match="bloop.newthing has no layer: add it to LAYERS"):
        layer_of("newthing")
    assert layer_of("drivers.sync") == layer_of("drivers") < layer_of("engine")
