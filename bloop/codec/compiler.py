"""Each model's compiled codec: Python source generated for its columns and types, compiled
once and cached on ``Model.Meta``."""
from __future__ import annotations

import itertools
import linecache
import operator
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .. import limits, types
from ..containers import TrackedDict, TrackedList
from ..exceptions import LimitExceeded
from ..tracking import SNAPSHOT, Loaded
from .checks import Wire, _check_keys, _sized, _undeclared_size, _value_size
from .generic import (
    DUMP_INLINE_ERRORS, DUMP_NAMED_ERRORS, LOAD_INLINE_ERRORS, LOAD_NAMED_ERRORS, _dump_failed, _dump_key_generic,
    _load_failed, _redump, _reload,
)
from .markers import BUILT_IN as _BUILT_IN, lazy as _lazy, markers, pure as _pure

_CODEC = "_bloop_codec"
_MISSING = object()
_NULL = types._NULL


class Codec:
    """One model's compiled functions (see :func:`compile_codec`).

    ``to_item(obj)``, ``dump(obj)`` (no checks), ``new(item)``, ``into(obj, item)``,
    ``into_projected(obj, item, projected, loaded)`` (``projected`` a list, ``loaded``
    its ``loaded(projected)``), ``dump_key(obj)``, ``is_all(projected)`` and
    ``loaded(columns)`` (the shared :class:`~bloop.tracking.Loaded` marker of objects
    loaded with these columns, or None if they need a snapshot of their own) and
    ``written(values, item)`` (the snapshot after a whole-item write);
    ``source`` is the generated Python code, for the curious and for debugging.  Each
    generated function is compiled from its own source "file", registered in
    :mod:`linecache` (``<bloop codec module.Model.to_item>``), so tracebacks, debuggers and
    :func:`inspect.getsource` show its lines.
    """

    __slots__ = ("to_item", "dump", "new", "into", "into_projected", "dump_key", "is_all", "loaded", "written",
                 "source")
    to_item: Callable[[Any], Dict[str, Wire]]
    dump: Callable[[Any], Dict[str, Wire]]
    new: Callable[[Dict[str, Wire]], Any]
    into: Callable[[Any, Dict[str, Wire]], Any]
    into_projected: Callable[[Any, Dict[str, Wire], List[Any], Optional[Loaded]], Any]
    dump_key: Callable[[Any], Dict[str, Wire]]
    is_all: Callable[[Iterable[Any]], bool]
    loaded: Callable[[Iterable[Any]], Optional[Loaded]]
    written: Callable[[Dict[str, Any], Dict[str, Wire]], Dict[str, Any]]
    source: str

    def __init__(self, functions: Dict[str, Callable[..., Any]], source: str) -> None:
        for name in self.__slots__[:-1]:
            setattr(self, name, functions[name])
        self.source = source


def compile_codec(meta: Any) -> Codec:
    """Compile (once) and cache on ``meta`` the codec of the model ``meta`` describes."""
    codec: Optional[Codec] = meta.__dict__.get(_CODEC)
    if codec is None:
        codec = _build(meta)
        setattr(meta, _CODEC, codec)
    return codec


def _indent(lines: List[str], width: int = 4) -> List[str]:
    return [" " * width + line for line in lines]


def _utf8_len(value: str) -> int:
    """The UTF-8 size of a key string, or more than any key may have if it cannot be encoded
    (the generic code then raises the error)."""
    try:
        return len(value.encode())
    except UnicodeEncodeError:
        return limits.MAX_ITEM_SIZE + 1


def _exact(typedef: Any, *classes: type) -> bool:
    """``typedef`` is exactly one of bloop's own types, so its conversions are known here."""
    return type(typedef) in classes


def _inline_dump(typedef: Any, v: str, sized: bool) -> Optional[types.Inline]:
    """The type's fast path for ``v`` (see :class:`bloop.types.Inline`), if it is bloop's own."""
    return typedef._inline_dump(v, sized) if _pure(typedef) else None


#: the scalar wire kinds whose size the compiled code computes inline
_SCALAR_KINDS = ("S", "N", "B", "BOOL")

#: the names every generated function may use (besides the model's own, see _Source)
_NAMES: Dict[str, Any] = {
    **types.INLINE_NAMES,
    "_MISSING": _MISSING, "_NULL": _NULL, "_SNAPSHOT": SNAPSHOT, "_LimitExceeded": LimitExceeded,
    "_MAX_ITEM": limits.MAX_ITEM_SIZE, "_value_size": _value_size, "_undeclared_size": _undeclared_size,
    "_sized": _sized, "_check_keys": _check_keys, "_utf8_len": _utf8_len,
    "_generic_key": _dump_key_generic, "_reload": _reload, "_load_failed": _load_failed, "_redump": _redump,
    "_dump_failed": _dump_failed, "_DUMP_INLINE": DUMP_INLINE_ERRORS, "_DUMP_NAMED": DUMP_NAMED_ERRORS,
    "_LOAD_INLINE": LOAD_INLINE_ERRORS, "_LOAD_NAMED": LOAD_NAMED_ERRORS,
    "_TList": TrackedList, "_TDict": TrackedDict, "_kept": types.kept,
}

#: tells apart the source files of models that share a module and a name
_FILES = itertools.count(2)


class _Source:
    """What the builders of one model's codec share: the namespace the generated functions
    run in (the model, its columns, the types' conversions they call by name) and the
    helper functions made on the way (a Map's loader, shared by every function that loads
    it).  Each generated function is compiled from its own source, registered in linecache."""

    def __init__(self, meta: Any) -> None:
        self.meta = meta
        self.model = meta.model
        self.columns = list(meta.columns)
        self.ns: Dict[str, Any] = dict(_NAMES, _model=self.model, _meta=meta, _columns=tuple(self.columns))
        for i, column in enumerate(self.columns):
            self.ns[f"_c{i}"] = column
        self.counter = 0
        self.helpers: List[str] = []
        self.map_loaders: Dict[int, str] = {}
        self.sources: List[str] = []

    def name(self, prefix: str, value: Any) -> str:
        """A new global of the generated code, bound to ``value``."""
        self.counter += 1
        key = f"_{prefix}{self.counter}"
        self.ns[key] = value
        return key

    def helper(self, lines: List[str]) -> None:
        """A helper function, compiled with the next generated function."""
        self.helpers.append("\n".join(lines))

    def function(self, name: str, lines: List[str]) -> Callable[..., Any]:
        """Compile the function ``name`` (``lines``, with the helpers made for it) under a
        file name of its own that linecache knows, and return it."""
        source = "\n".join(self.helpers + lines) + "\n"
        self.helpers = []
        base = f"bloop codec {self.model.__module__}.{self.model.__qualname__}.{name}"
        entry = (len(source), None, source.splitlines(True), f"<{base}>")
        filename = f"<{base}>"
        while linecache.cache.setdefault(filename, entry) is not entry:  # the name is another model's
            filename = f"<{base} #{next(_FILES)}>"
            entry = (entry[0], None, entry[2], filename)
        code = compile(source, filename, "exec")
        exec(code, self.ns)  # noqa: S102 - source generated here from the model's own columns
        self.sources.append(source)
        function: Callable[..., Any] = self.ns[name]
        return function


# ---------------------------------------------------------------------------------------
# dump: Python values to wire values, with the types' fast paths inline

def _dump_value(src: _Source, typedef: Any, v: str, target: str, depth: int, sized: bool) -> List[str]:
    """Statements that set ``target`` to ``typedef._dump(v)`` (``v`` is not None) unless
    that is None.  A value with a user's type anywhere inside is dumped by its type alone,
    so the user's code runs once per value; for bloop's own types, an error raised here
    has the generic code raise the generic error for the column."""
    slow = src.name("dump", typedef._dump)
    w = f"w{depth}"
    generic = [f"{w} = {slow}({v})", f"if {w} is not None:", f"    {target} = {w}"]
    if not _pure(typedef):
        return generic
    inline = typedef._inline_dump(v, sized)
    if inline is not None:
        return [f"if {inline.condition}:", f"    {target} = {{{inline.kind!r}: {inline.inner}}}",
                "else:"] + _indent(generic)
    if depth < 8 and _exact(typedef, types.List):
        x = f"x{depth}"
        element = _dump_element(src, typedef.inner, x, sized)
        return [f"if {v}.__class__ is list or {v}.__class__ is _TList:",
                f"    {target} = {{'L': [{element} for {x} in {v}]}}",
                "else:"] + _indent(generic)
    if depth < 8 and _exact(typedef, types.Map):
        keys = src.name("keys", frozenset(typedef.fields))
        out, f = f"m{depth}", f"f{depth}"
        lines = [f"if ({v}.__class__ is dict or {v}.__class__ is _TDict) and {v}.keys() <= {keys}:",
                 f"    {out} = {{}}"]
        for key, field in typedef.fields.items():
            lines += [f"    {f} = {v}.get({key!r})", f"    if {f} is not None:"]
            lines += _indent(_dump_value(src, field, f, f"{out}[{key!r}]", depth + 1, sized), 8)
        return lines + [f"    {target} = {{'M': {out}}}", "else:"] + _indent(generic)
    return generic


def _dump_element(src: _Source, typedef: Any, x: str, sized: bool) -> str:
    """The wire of one list element ``x`` (``_NULL`` for None), as ``List._dump`` makes it."""
    slow = src.name("dump", typedef._dump)
    inline = _inline_dump(typedef, x, sized)
    if inline is None:
        return f"({slow}({x}) or _NULL)"
    return f"({{{inline.kind!r}: {inline.inner}}} if {inline.condition} else ({slow}({x}) or _NULL))"


def _size(src: _Source, typedef: Any, w: str, depth: int) -> Tuple[str, bool]:
    """An expression equal to ``_value_size(w, depth)`` for a wire that ``typedef`` dumped,
    and whether it calls ``_value_size`` on a value that may hold lists or maps (which can
    raise for nesting, so must be sized in the generic order)."""
    if depth >= limits.MAX_NESTING_DEPTH - 2:
        return f"_value_size({w}, {depth})", True
    kind = typedef.backing_type if type(typedef) in _BUILT_IN else None
    if kind == "S":
        return f"(len(_s) if (_s := {w}['S']).isascii() else len(_s.encode()))", False
    if kind == "N":
        return f"((len(_s) + 3) // 2 if (_s := {w}['N']).isdigit() else _number_size(_s))", False
    if kind == "BOOL":
        return "1", False
    if kind == "B":
        return f"len({w}['B'])", False
    if _exact(typedef, types.Set) and _exact(typedef.inner, types.String):
        return f"sum([len(_e) if _e.isascii() else len(_e.encode()) for _e in {w}['SS']])", False
    if _exact(typedef, types.List):
        x = f"x{depth}"
        inner, nested = _size(src, typedef.inner, x, depth + 1)
        return f"(3 + sum([1 + (1 if {x} is _NULL else {inner}) for {x} in {w}['L']]))", nested
    if _exact(typedef, types.Map):
        name, nested = _map_sizer(src, typedef, depth)
        return f"{name}({w}['M'])", nested
    # only bloop's own sets are known to hold no lists or maps
    return f"_value_size({w}, {depth})", not _exact(typedef, types.Set)


def _map_sizer(src: _Source, typedef: Any, depth: int) -> Tuple[str, bool]:
    """The name of a generated function that sizes one Map type's wire at ``depth``, and
    whether it sizes a field that may nest (see :func:`_size`)."""
    name = src.name("size", None)
    lines = [f"def {name}(m):", "    total = 3", "    n = len(m)"]
    nested = False
    for key, field in typedef.fields.items():
        size, field_nested = _size(src, field, "w", depth + 1)
        nested = nested or field_nested
        lines += [f"    w = m.get({key!r})", "    if w is not None:", "        n -= 1",
                  f"        total += {1 + len(key.encode())} + {size}"]
    # keys the type does not declare, written back from a loaded map (types.Map)
    lines += ["    if n:", f"        total += _undeclared_size(m, {src.name('fields', typedef.fields)}, {depth})",
              "    return total"]
    src.helper(lines)
    return name, nested


def _dump_column_sized(src: _Source, column: Any) -> List[str]:
    """Dump one column's value ``v`` into ``item``, adding its size to ``size`` (or setting
    ``generic_size`` when the whole item must be sized in the generic order)."""
    typedef = column.typedef
    dn = repr(column.dynamo_name)
    name_size = len(column.dynamo_name.encode())
    inline = _inline_dump(typedef, "v", True)
    slow = src.name("dump", typedef._dump)
    if inline is not None:  # a scalar (or a set of strings): sized from the value
        inner = f"(_s := {inline.inner})" if "_s" in inline.size else inline.inner
        add = str(name_size + int(inline.size)) if inline.size.isdigit() else f"{name_size} + {inline.size}"
        return [f"if {inline.condition}:", f"    item[{dn}] = {{{inline.kind!r}: {inner}}}", f"    size += {add}",
                "else:", f"    w0 = {slow}(v)", "    if w0 is not None:", f"        item[{dn}] = w0",
                f"        size += {name_size} + {_size(src, typedef, 'w0', 1)[0]}"]
    size, nested = _size(src, typedef, "w0", 1)
    # a size that may raise for nesting is taken after the key checks, in the generic order
    add = "generic_size = True" if nested else f"size += {name_size} + {size}"
    if _pure(typedef) and _exact(typedef, types.List, types.Map):
        lines = _dump_value(src, typedef, "v", "w0", 0, True)
        return ["w0 = None"] + lines + ["if w0 is not None:", f"    item[{dn}] = w0", f"    {add}"]
    return [f"w0 = {slow}(v)", "if w0 is not None:", f"    item[{dn}] = w0", f"    {add}"]


def _key_checks(src: _Source) -> List[str]:
    """Source that finds what ``_check_keys`` would refuse and then lets it raise."""
    meta = src.meta
    everything = ["    _check_keys(_meta, item)"]
    if any(index.keys for index in meta.indexes):
        return everything
    lines = []
    generic = "        _check_keys(_meta, item)  # raises the generic error"
    for column in meta.keys:
        dn = repr(column.dynamo_name)
        limit = limits.MAX_RANGE_KEY_SIZE if column.range_key else limits.MAX_HASH_KEY_SIZE
        kind = column.typedef.backing_type if _pure(column.typedef) else None
        if kind == "S":
            lines += [f"    w = item.get({dn})",
                      "    if w is None or not 0 < (len(_s) if (_s := w['S']).isascii() else len(_s.encode()))"
                      f" <= {limit}:", generic]
        elif kind == "N":
            lines += [f"    if {dn} not in item:", generic]
        else:
            return everything
    return lines


def _build_dump(src: _Source, sized: bool) -> Callable[..., Any]:
    """``to_item(obj)``: the item with check_item's checks, the sizes summed as each column
    is dumped (``sized``); ``dump(obj)``: the item, unchecked."""
    name = "to_item" if sized else "dump"
    lines = [f"def {name}(obj):", "    values = obj.__dict__", "    get = values.get", "    item = {}"]
    if sized:
        lines += ["    size = 0", "    generic_size = False"]
    for i, column in enumerate(src.columns):
        pure = _pure(column.typedef)
        if sized:
            stmts = _dump_column_sized(src, column)
        else:
            stmts = _dump_value(src, column.typedef, "v", f"item[{column.dynamo_name!r}]", 0, False)
        lines += [f"    v = get({column.name!r})", "    if v is not None:", "        try:"]
        lines += _indent(stmts, 12)
        if pure:
            caught, fallback = "_DUMP_INLINE", f"_redump(_c{i}, v, e)  # raises the generic error"
        else:
            caught, fallback = "_DUMP_NAMED", f"_dump_failed(_c{i}, v, e)  # raises, naming the column"
        lines += [f"        except {caught} as e:", f"            {fallback}"]
    if sized:
        lines += _key_checks(src)
        lines += ["    if generic_size:", "        size = _sized(_meta, item)",
                  "    if size > _MAX_ITEM:",
                  "        raise _LimitExceeded(",
                  "            f'{_model.__name__} item is {size} bytes; DynamoDB allows {_MAX_ITEM}')"]
    lines.append("    return item")
    return src.function(name, lines)


def _build_dump_key(src: _Source) -> Callable[..., Any]:
    """``dump_key(obj)``: the table key, checked (the generic code for any key off its types'
    fast paths, which also raises the generic errors)."""
    lines = ["def dump_key(obj):", "    values = obj.__dict__", "    key = {}"]
    for column in src.meta.keys:
        dn = repr(column.dynamo_name)
        limit = limits.MAX_RANGE_KEY_SIZE if column.range_key else limits.MAX_HASH_KEY_SIZE
        lines.append(f"    v = values.get({column.name!r})")
        inline = _inline_dump(column.typedef, "v", True)
        if inline is None or not (inline.kind == "N" or inline.kind == "S" and inline.inner == "v"):
            lines.append("    return _generic_key(obj)")  # no fast path for this key type
            break
        condition = inline.condition
        if inline.kind == "S":  # not empty, and within the key size limit
            condition += f" and v and (len(v) if v.isascii() else _utf8_len(v)) <= {limit}"
        lines += [f"    if {condition}:", f"        key[{dn}] = {{{inline.kind!r}: {inline.inner}}}",
                  "    else:", "        return _generic_key(obj)  # the checks, and the generic errors"]
    lines.append("    return key")
    return src.function("dump_key", lines)


# ---------------------------------------------------------------------------------------
# load: wire values to Python values, with the types' fast paths inline

def _load_value(src: _Source, typedef: Any, var: str, depth: int = 0) -> str:
    """An expression equal to ``typedef._load(var)`` when it succeeds.  For bloop's own types
    it may raise where the generic code would not (the compiled loaders then load that
    column with the generic code); a value with a user's type anywhere inside is loaded by
    its type alone, so the user's code runs once per value."""
    if _pure(typedef):
        inline = typedef._inline_load(var)
        if inline is not None:
            return str(inline)
        if _exact(typedef, types.List) and depth < 20:
            x = f"x{depth}"
            return f"_TList([{_load_value(src, typedef.inner, x, depth + 1)} for {x} in {var}['L']])"
        if _exact(typedef, types.Map) and depth < 20:
            return f"{_map_loader(src, typedef, depth)}({var}['M'])"
    return f"{src.name('load', typedef._load)}({var})"


def _map_loader(src: _Source, typedef: Any, depth: int) -> str:
    """The name of a generated function that loads one Map type (made once per type)."""
    known = src.map_loaders.get(id(typedef))
    if known is not None:
        return known
    name = src.map_loaders[id(typedef)] = src.name("map", None)
    lines = [f"def {name}(m):", "    out = {}", "    get = m.get"]
    for key, field in typedef.fields.items():
        lines += [f"    w = get({key!r}, _MISSING)",
                  "    if w is not _MISSING:",
                  f"        out[{key!r}] = {_load_value(src, field, 'w', depth + 1)}"]
    # keys the type does not declare (or such a map under a declared key) are kept: types.kept
    kept = f"_kept(out, m, {src.name('fields', typedef.fields)}, {typedef.nested!r})"
    if typedef.nested:
        lines.append(f"    return {kept}")
    else:
        lines += ["    if len(m) != len(out):", f"        return {kept}", "    return _TDict(out)"]
    src.helper(lines)
    return name


def _load_column(src: _Source, i: int, column: Any, target: str) -> List[str]:
    """``target = <column i's value from its wire w>``.  A value of bloop's own types that
    the expression cannot load (off its fast path) is loaded by the generic code, which
    also raises the generic error; a user's type's error is named, not retried."""
    if _pure(column.typedef):
        caught, fallback = "_LOAD_INLINE", f"{target} = _reload(_c{i}, w, e)"
    else:
        caught, fallback = "_LOAD_NAMED", f"_load_failed(_c{i}, w, e)"
    return ["try:", f"    {target} = {_load_value(src, column.typedef, 'w')}",
            f"except {caught} as e:", f"    {fallback}"]


def _build_load(src: _Source, name: str, lazy: bool) -> Callable[..., Any]:
    """``new(item)`` (a new object) or ``into(obj, item)``: every column projected.  Objects
    of a model whose columns all load immutable values or tracked containers (``lazy``)
    share one Loaded marker; the others get a snapshot of their own."""
    if name == "new":
        lines = ["def new(item):", "    obj = _model.__new__(_model)"]
    else:
        lines = ["def into(obj, item):"]
    lines += ["    values = obj.__dict__", "    get = item.get"]
    for i, column in enumerate(src.columns):
        key = repr(column.name)
        mutable = column.typedef.mutable
        lines.append(f"    w = get({column.dynamo_name!r}, _MISSING)")
        if name == "into" or not lazy:
            lines += ["    if w is _MISSING:", "        pass" if lazy else f"        s{i} = None"]
            if name == "into":
                lines.append(f"        values.pop({key}, None)")
            lines.append("    else:")
        else:
            lines.append("    if w is not _MISSING:")
        target = f"values[{key}]" if lazy or mutable else f"values[{key}] = s{i}"
        lines += _indent(_load_column(src, i, column, target), 8)
        if not lazy and mutable:
            lines.append(f"        s{i} = w")
    if lazy:
        lines.append("    values[_SNAPSHOT] = _LOADED")
    else:
        snap = ", ".join(f"{column.name!r}: s{i}" for i, column in enumerate(src.columns))
        lines.append(f"    values[_SNAPSHOT] = {{{snap}}}")
    lines.append("    return obj")
    return src.function(name, lines)


def _build_into_projected(src: _Source) -> Callable[..., Any]:
    """``into_projected(obj, item, projected, loaded)``: the projected columns reset, then
    ``fill(values, snap, item)``: the columns present in item, with their snapshot in snap
    unless that is None."""
    lines = ["def fill(values, snap, item):", "    get = item.get"]
    for i, column in enumerate(src.columns):
        key = repr(column.name)
        lines += [f"    w = get({column.dynamo_name!r}, _MISSING)", "    if w is not _MISSING:"]
        lines += _indent(_load_column(src, i, column, f"values[{key}] = v"), 8)
        lines += ["        if snap is not None:", f"            snap[{key}] = {'w' if column.typedef.mutable else 'v'}"]
    src.helper(lines)
    return src.function("into_projected", [
        "def into_projected(obj, item, projected, loaded):",
        "    values = obj.__dict__",
        "    snap = None if loaded is not None else {}",
        "    for column in projected:",
        "        if snap is not None:",
        "            snap[column.name] = None",
        "        values.pop(column.name, None)",
        "    fill(values, snap, item)",
        "    values[_SNAPSHOT] = snap if loaded is None else loaded",
        "    return obj"])


# ---------------------------------------------------------------------------------------
# tracking: the snapshot after a write, and the projection test

def _build_written(src: _Source) -> Callable[..., Any]:
    """``written(values, item)``: the snapshot after a whole-item write of item, as
    tracking.record_all makes it (a value that was None is not in the item)."""
    fields = ", ".join(f"{c.name!r}: iget({c.dynamo_name!r})" if c.typedef.mutable else f"{c.name!r}: get({c.name!r})"
                       for c in src.columns)
    return src.function("written", ["def written(values, item):", "    get = values.get", "    iget = item.get",
                                    f"    return {{{fields}}}"])


def _build_is_all(src: _Source) -> Callable[..., Any]:
    """``is_all(projected)``: ``projected`` is every column, in order."""
    src.ns["_is"] = operator.is_
    return src.function("is_all", [
        "def is_all(projected, _is=_is, _columns=_columns, _n=len(_columns)):",
        "    return len(projected) == _n and all(map(_is, projected, _columns))"])


def _build(meta: Any) -> Codec:
    """Generate and compile the codec of the model ``meta`` describes: one builder per function."""
    src = _Source(meta)
    lazy = all(_lazy(column.typedef) for column in src.columns)
    src.ns["_LOADED"] = Loaded(src.columns) if lazy else None
    functions = {
        "dump": _build_dump(src, sized=False),
        "to_item": _build_dump(src, sized=True),
        "new": _build_load(src, "new", lazy),
        "into": _build_load(src, "into", lazy),
        "into_projected": _build_into_projected(src),
        "written": _build_written(src),
        "is_all": _build_is_all(src),
        "dump_key": _build_dump_key(src),
        "loaded": markers(meta),
    }
    return Codec(functions, "".join(src.sources))
