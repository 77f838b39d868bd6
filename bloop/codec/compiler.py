"""Each model's compiled codec: Python source generated for its columns and types, compiled
once and cached on ``Model.Meta``."""
from __future__ import annotations

import datetime
import decimal
import json
import operator
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .. import limits, types
from ..containers import TrackedDict, TrackedList, TrackedSet
from ..exceptions import LimitExceeded
from ..tracking import SNAPSHOT, Loaded, dump_column, tracks
from .checks import _check_keys, _number_size, _sized, _undeclared_size, _value_size, item_size
from .generic import _dump_failed, _dump_key_generic, _load_failed, _redump, _reload

_CODEC = "_bloop_codec"
_MISSING = object()
_NULL = types._NULL
_INT_BOUND = 10 ** 38
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)


class Codec:
    """One model's compiled functions (see :func:`compile_codec`).

    ``to_item(obj)``, ``dump(obj)`` (no checks), ``new(item)``, ``into(obj, item)``,
    ``into_projected(obj, item, projected, loaded)`` (``projected`` a list, ``loaded``
    its ``loaded(projected)``), ``dump_key(obj)``, ``is_all(projected)`` and
    ``loaded(columns)`` (the shared :class:`~bloop.tracking.Loaded` marker of objects
    loaded with these columns, or None if they need a snapshot of their own) and
    ``written(values, item)`` (the snapshot after a whole-item write);
    ``source`` is the generated Python code, for the curious and for debugging.
    """

    __slots__ = ("to_item", "dump", "new", "into", "into_projected", "dump_key", "is_all", "loaded", "written",
                 "source")
    to_item: Callable[[Any], Dict[str, dict]]
    dump: Callable[[Any], Dict[str, dict]]
    new: Callable[[Dict[str, dict]], Any]
    into: Callable[[Any, Dict[str, dict]], Any]
    into_projected: Callable[[Any, Dict[str, dict], List[Any], Optional[Loaded]], Any]
    dump_key: Callable[[Any], Dict[str, dict]]
    is_all: Callable[[Iterable[Any]], bool]
    loaded: Callable[[Iterable[Any]], Optional[Loaded]]
    written: Callable[[Dict[str, Any], Dict[str, dict]], Dict[str, Any]]
    source: str

    def __init__(self, functions: Dict[str, Callable[..., Any]], source: str) -> None:
        for name in self.__slots__[:-1]:
            setattr(self, name, functions[name])
        self.source = source


def compile_codec(meta: Any) -> Codec:
    """Compile (once) and cache on ``meta`` the codec of the model ``meta`` describes."""
    codec = meta.__dict__.get(_CODEC)
    if codec is None:
        codec = _Compiler(meta).build()
        setattr(meta, _CODEC, codec)
    return codec


def _indent(lines: List[str], width: int = 4) -> List[str]:
    return [" " * width + line for line in lines]


def _only_str(values: Any) -> bool:
    for value in values:
        if value.__class__ is not str:
            return False
    return True


def _only_text(values: Any) -> bool:
    """Exact strs DynamoDB can store (no lone surrogate), for the unchecked dump."""
    for value in values:
        if value.__class__ is not str or not (value.isascii() or types.is_text(value)):
            return False
    return True


def _utf8_len(value: str) -> int:
    """The UTF-8 size of a key string, or more than any key may have if it cannot be encoded
    (the generic code then raises the error)."""
    try:
        return len(value.encode())
    except UnicodeEncodeError:
        return limits.MAX_ITEM_SIZE + 1


#: bloop's own types: their conversions call no user code, so a value off a compiled fast
#: path can be converted again by the generic code
_BUILT_IN = frozenset(cls for cls in vars(types).values()
                      if isinstance(cls, type) and issubclass(cls, types.Type) and cls.__module__ == types.__name__)


def _pure(typedef: Any) -> bool:
    """``typedef`` and every type inside it are bloop's own (no user conversion code)."""
    if type(typedef) not in _BUILT_IN:
        return False
    inner = getattr(typedef, "inner", None)
    if inner is not None and not _pure(inner):
        return False
    fields = getattr(typedef, "fields", None)
    return fields is None or all(_pure(field) for field in fields.values())


def _lazy(typedef: Any) -> bool:
    """Objects loaded with this column may share a Loaded marker (see bloop.tracking): its
    values are immutable or tracked containers, and a snapshot made from them later calls
    no user code (a user's type is dumped once per save, not again for the snapshot)."""
    return tracks(typedef) and (not typedef.mutable or _pure(typedef))


def _exact(typedef: Any, *classes: type) -> bool:
    """``typedef`` is exactly one of bloop's own types, so its conversions are known here."""
    return type(typedef) in classes


class _Compiler:
    """Generates one model's codec as Python source, compiled with ``exec``."""

    def __init__(self, meta: Any) -> None:
        self.meta = meta
        self.model = meta.model
        self.ns: Dict[str, Any] = {
            "_MISSING": _MISSING, "_NULL": _NULL, "_only_str": _only_str, "_B": _INT_BOUND, "_SNAPSHOT": SNAPSHOT,
            "_dump_column": dump_column, "_value_size": _value_size, "_number_size": _number_size,
            "_LimitExceeded": LimitExceeded,
            "_Decimal": decimal.Decimal, "_timedelta": datetime.timedelta, "_EPOCH": _EPOCH, "_UTC": _UTC,
            "_fromiso": datetime.datetime.fromisoformat, "_fromtimestamp": datetime.datetime.fromtimestamp,
            "_datetime": datetime.datetime,
            "_UUID": uuid.UUID, "_json_loads": json.loads,
            "_generic_key": _dump_key_generic, "_reload": _reload, "_load_failed": _load_failed,
            "_redump": _redump, "_dump_failed": _dump_failed, "_sized": _sized, "_is_text": types.is_text,
            "_only_text": _only_text, "_utf8_len": _utf8_len, "_check_keys": _check_keys, "_item_size": item_size,
            "_model": self.model, "_meta": meta, "_MAX_ITEM": limits.MAX_ITEM_SIZE,
            "_TSet": TrackedSet, "_TList": TrackedList, "_TDict": TrackedDict, "_kept": types.kept,
            "_undeclared_size": _undeclared_size,
        }
        self.helpers: List[str] = []
        self.map_loaders: Dict[int, str] = {}
        self.counter = 0
        self.nested = False
        #: generating the unchecked dump: strings on a fast path are checked for text
        #: DynamoDB can store there (the checked dump finds a lone surrogate sizing them)
        self.unsized = False

    def name(self, prefix: str, value: Any) -> str:
        self.counter += 1
        key = f"_{prefix}{self.counter}"
        self.ns[key] = value
        return key

    # dump --------------------------------------------------------------------------------
    def scalar_fast(self, typedef: Any, v: str) -> Optional[Tuple[str, str]]:
        """(condition, wire expression) for values of ``typedef`` that need no checks."""
        if _exact(typedef, types.String):
            if self.unsized:
                return f"{v}.__class__ is str and ({v}.isascii() or _is_text({v}))", f'{{"S": {v}}}'
            return f"{v}.__class__ is str", f'{{"S": {v}}}'
        if _exact(typedef, types.Integer, types.Number):
            return f"{v}.__class__ is int and -_B < {v} < _B", f'{{"N": str({v})}}'
        if _exact(typedef, types.Float):
            return f"{v}.__class__ is float and 1e-130 <= abs({v}) < 1e126", f'{{"N": repr({v})}}'
        if _exact(typedef, types.Boolean):
            return f"{v} is True or {v} is False", f'{{"BOOL": {v}}}'
        if _exact(typedef, types.Binary):
            return f"{v}.__class__ is bytes", f'{{"B": {v}}}'
        if _exact(typedef, types.Timestamp):
            # whole seconds of a UTC datetime; fractions and other zones take the generic path
            return (f"{v}.__class__ is _datetime and {v}.tzinfo is _UTC "
                    f"and not (_delta := {v} - _EPOCH).microseconds",
                    '{"N": str(_delta.days * 86400 + _delta.seconds)}')
        return None

    def dump_stmts(self, typedef: Any, v: str, target: str, depth: int) -> List[str]:
        """Statements that set ``target`` to ``typedef._dump(v)`` (``v`` is not None) unless
        that is None.  A value with a user's type anywhere inside is dumped by its type alone,
        so the user's code runs once per value; for bloop's own types, an error raised here
        has the generic code raise the generic error for the column."""
        slow = self.name("dump", typedef._dump)
        w = f"w{depth}"
        generic = [f"{w} = {slow}({v})", f"if {w} is not None:", f"    {target} = {w}"]
        if not _pure(typedef):
            return generic
        fast = self.scalar_fast(typedef, v)
        if fast is not None:
            condition, wire = fast
            return [f"if {condition}:", f"    {target} = {wire}", "else:"] + _indent(generic)
        if depth < 8 and _exact(typedef, types.Set) and _exact(typedef.inner, types.String):
            # a set of exact strs has no duplicates, so it needs no check but its element types
            return [f"if ({v}.__class__ is set or {v}.__class__ is _TSet or {v}.__class__ is frozenset) "
                    f"and {v} and {'_only_text' if self.unsized else '_only_str'}({v}):",
                    f'    {target} = {{"SS": list({v})}}', "else:"] + _indent(generic)
        if depth < 8 and _exact(typedef, types.List):
            x = f"x{depth}"
            element = self.element_expr(typedef.inner, x)
            return [f"if {v}.__class__ is list or {v}.__class__ is _TList:",
                    f'    {target} = {{"L": [{element} for {x} in {v}]}}',
                    "else:"] + _indent(generic)
        if depth < 8 and _exact(typedef, types.Map):
            keys = self.name("keys", frozenset(typedef.fields))
            out, f = f"m{depth}", f"f{depth}"
            lines = [f"if ({v}.__class__ is dict or {v}.__class__ is _TDict) and {v}.keys() <= {keys}:",
                     f"    {out} = {{}}"]
            for key, field in typedef.fields.items():
                lines += [f"    {f} = {v}.get({key!r})", f"    if {f} is not None:"]
                lines += _indent(self.dump_stmts(field, f, f"{out}[{key!r}]", depth + 1), 8)
            return lines + [f'    {target} = {{"M": {out}}}', "else:"] + _indent(generic)
        return generic

    def element_expr(self, typedef: Any, x: str) -> str:
        """The wire of one list element ``x`` (``_NULL`` for None), as ``List._dump`` makes it."""
        slow = self.name("dump", typedef._dump)
        fast = self.scalar_fast(typedef, x)
        if fast is None:
            return f"({slow}({x}) or _NULL)"
        condition, wire = fast
        return f"({wire} if {condition} else ({slow}({x}) or _NULL))"

    def size_expr(self, typedef: Any, w: str, depth: int) -> str:
        """An expression equal to ``_value_size(w, depth)`` for a wire that ``typedef`` dumped.
        Sets ``self.nested`` when it calls ``_value_size`` on a value that may hold lists or
        maps (which can raise for nesting, so must be sized in the generic order)."""
        if depth >= limits.MAX_NESTING_DEPTH - 2:
            self.nested = True
            return f"_value_size({w}, {depth})"
        if _exact(typedef, types.String, types.UUID, types.DateTime, types.Enum, types.JSON):
            return f"(len(_s) if (_s := {w}['S']).isascii() else len(_s.encode()))"
        if _exact(typedef, types.Integer, types.Number, types.Float, types.Timestamp):
            return f"((len(_s) + 3) // 2 if (_s := {w}['N']).isdigit() else _number_size(_s))"
        if _exact(typedef, types.Boolean):
            return "1"
        if _exact(typedef, types.Binary):
            return f"len({w}['B'])"
        if _exact(typedef, types.Set) and _exact(typedef.inner, types.String):
            return f"sum([len(_e) if _e.isascii() else len(_e.encode()) for _e in {w}['SS']])"
        if _exact(typedef, types.List):
            x = f"x{depth}"
            inner = self.size_expr(typedef.inner, x, depth + 1)
            return f"(3 + sum([1 + (1 if {x} is _NULL else {inner}) for {x} in {w}['L']]))"
        if _exact(typedef, types.Map):
            name = self.name("size", None)
            lines = [f"def {name}(m):", "    total = 3", "    n = len(m)"]
            for key, field in typedef.fields.items():
                lines += [f"    w = m.get({key!r})", "    if w is not None:", "        n -= 1",
                          f"        total += {1 + len(key.encode())} + {self.size_expr(field, 'w', depth + 1)}"]
            # keys the type does not declare, written back from a loaded map (types.Map)
            lines += ["    if n:", f"        total += _undeclared_size(m, {self.name('fields', typedef.fields)}, "
                      f"{depth})", "    return total"]
            self.helpers.append("\n".join(lines))
            return f"{name}({w}['M'])"
        if not _exact(typedef, types.Set):  # only bloop's own sets are known to hold no lists or maps
            self.nested = True
        return f"_value_size({w}, {depth})"

    def column_stmts(self, column: Any, sized: bool) -> List[str]:
        """Dump one column's value ``v`` into ``item`` (adding its size to ``size``)."""
        typedef = column.typedef
        dn = repr(column.dynamo_name)
        if not sized:
            return self.dump_stmts(typedef, "v", f"item[{dn}]", 0)
        name_size = len(column.dynamo_name.encode())
        self.nested = False
        size = self.size_expr(typedef, "w0", 1)
        if self.nested:
            # sized after the key checks, in the generic order (it may raise for nesting)
            add = ["generic_size = True"]
        else:
            add = [f"size += {name_size} + {size}"]
        fast = self.scalar_fast(typedef, "v") if _pure(typedef) else None
        slow = self.name("dump", typedef._dump)
        generic = ["w0 = {slow}(v)".format(slow=slow), "if w0 is not None:", f"    item[{dn}] = w0"] + \
            _indent(add)
        if not _pure(typedef):
            return generic
        if fast is not None and _exact(typedef, types.String):
            return ["if v.__class__ is str:", f'    item[{dn}] = {{"S": v}}',
                    f"    size += {name_size} + (len(v) if v.isascii() else len(v.encode()))",
                    "else:"] + _indent(generic)
        if fast is not None and _exact(typedef, types.Integer, types.Number):
            return ["if v.__class__ is int and -_B < v < _B:", f'    item[{dn}] = {{"N": (_s := str(v))}}',
                    f"    size += {name_size} + ((len(_s) + 3) // 2 if v >= 0 else (len(_s) + 2) // 2)",
                    "else:"] + _indent(generic)
        if fast is not None and _exact(typedef, types.Float):
            # repr of a finite float is -?digits.digits unless it has an exponent: its size
            # (see _number_size) counts the digits
            condition, _ = fast
            return [f"if {condition}:", f'    item[{dn}] = {{"N": (_s := repr(v))}}',
                    f"    size += {name_size} + ((len(_s) + 2 - (_s[0] == '-')) // 2 if 'e' not in _s "
                    "else _number_size(_s))",
                    "else:"] + _indent(generic)
        if fast is not None and _exact(typedef, types.Boolean):
            return ["if v is True or v is False:", f'    item[{dn}] = {{"BOOL": v}}', f"    size += {name_size + 1}",
                    "else:"] + _indent(generic)
        lines = self.dump_stmts(typedef, "v", "w0", 0)
        if lines[:1] == [generic[0]]:
            return generic
        return ["w0 = None"] + lines + ["if w0 is not None:", f"    item[{dn}] = w0"] + _indent(add)

    def key_checks(self) -> List[str]:
        """Source that finds what ``_check_keys`` would refuse and then lets it raise."""
        meta = self.meta
        lines = []
        generic = "        _check_keys(_meta, item)  # raises the generic error"
        if any(index.keys for index in meta.indexes):
            return ["    _check_keys(_meta, item)"]
        for column in meta.keys:
            dn = repr(column.dynamo_name)
            limit = limits.MAX_RANGE_KEY_SIZE if column.range_key else limits.MAX_HASH_KEY_SIZE
            if _exact(column.typedef, types.String):
                lines += [f"    w = item.get({dn})",
                          "    if w is None or not 0 < (len(_s) if (_s := w['S']).isascii() else len(_s.encode()))"
                          f" <= {limit}:", generic]
            elif _exact(column.typedef, types.Integer, types.Number, types.Float, types.Timestamp):
                lines += [f"    if {dn} not in item:", generic]
            else:
                return ["    _check_keys(_meta, item)"]
        return lines

    # load --------------------------------------------------------------------------------
    def load_expr(self, typedef: Any, var: str, depth: int = 0) -> str:
        """An expression equal to ``typedef._load(var)`` when it succeeds.  For bloop's own types
        it may raise where the generic code would not (the compiled loaders then load that
        column with the generic code); a value with a user's type anywhere inside is loaded by
        its type alone, so the user's code runs once per value."""
        if not _pure(typedef):
            return f"{self.name('load', typedef._load)}({var})"
        if _exact(typedef, types.String):
            return f"{var}['S']"
        if _exact(typedef, types.Integer):
            return f"int({var}['N'])"
        if _exact(typedef, types.Float):
            return f"float({var}['N'])"
        if _exact(typedef, types.Number):
            return f"_Decimal({var}['N'])"
        if _exact(typedef, types.Boolean):
            return f"{var}['BOOL']"
        if _exact(typedef, types.Binary):
            return f"{var}['B']"
        if _exact(typedef, types.UUID):
            return f"_UUID({var}['S'])"
        if _exact(typedef, types.DateTime):
            return f"_fromiso({var}['S']).astimezone(_UTC)"
        if _exact(typedef, types.Timestamp):
            # int() refuses fractions and exponents, which then take the generic path
            return f"_fromtimestamp(int({var}['N']), _UTC)"
        if _exact(typedef, types.JSON):
            return f"_json_loads({var}['S'])"
        if _exact(typedef, types.Set):
            inner, kind = typedef.inner, typedef.backing_type
            if _exact(inner, types.String, types.Binary):
                return f"_TSet({var}[{kind!r}])"
            if _exact(inner, types.Integer):
                return f"_TSet(map(int, {var}['NS']))"
            if _exact(inner, types.Float):
                return f"_TSet(map(float, {var}['NS']))"
            if _exact(inner, types.Number):
                return f"_TSet(map(_Decimal, {var}['NS']))"
        if _exact(typedef, types.List) and depth < 20:
            x = f"x{depth}"
            return f"_TList([{self.load_expr(typedef.inner, x, depth + 1)} for {x} in {var}['L']])"
        if _exact(typedef, types.Map) and depth < 20:
            return f"{self.map_loader(typedef, depth)}({var}['M'])"
        return f"{self.name('load', typedef._load)}({var})"

    def map_loader(self, typedef: Any, depth: int) -> str:
        """The name of a generated function that loads one Map type (made once per type)."""
        known = self.map_loaders.get(id(typedef))
        if known is not None:
            return known
        name = self.map_loaders[id(typedef)] = self.name("map", None)
        lines = [f"def {name}(m):", "    out = {}", "    get = m.get"]
        for key, field in typedef.fields.items():
            lines += [f"    w = get({key!r}, _MISSING)",
                      "    if w is not _MISSING:",
                      f"        out[{key!r}] = {self.load_expr(field, 'w', depth + 1)}"]
        # keys the type does not declare (or such a map under a declared key) are kept: types.kept
        kept = f"_kept(out, m, {self.name('fields', typedef.fields)}, {typedef.nested!r})"
        if typedef.nested:
            lines.append(f"    return {kept}")
        else:
            lines += ["    if len(m) != len(out):", f"        return {kept}", "    return _TDict(out)"]
        self.helpers.append("\n".join(lines))
        return name

    def load_stmts(self, i: int, column: Any, target: str) -> List[str]:
        """``target = <column i's value from its wire w>``.  A value of bloop's own types that
        the expression cannot load (off its fast path) is loaded by the generic code, which
        also raises the generic error; a user's type's error is named, not retried."""
        if _pure(column.typedef):
            fallback = f"{target} = _reload(_c{i}, w, e)"
        else:
            fallback = f"_load_failed(_c{i}, w, e)"
        return ["try:", f"    {target} = {self.load_expr(column.typedef, 'w')}",
                "except Exception as e:", f"    {fallback}"]

    # the model's functions ---------------------------------------------------------------
    def build(self) -> Codec:
        meta = self.meta
        columns = list(meta.columns)
        self.ns["_columns"] = tuple(columns)
        src: List[str] = []

        # dump(obj): the item, unchecked; to_item(obj): with check_item's checks, the sizes
        # summed as each column is dumped
        for sized in (False, True):
            src.append("def to_item(obj):" if sized else "def dump(obj):")
            src.append("    values = obj.__dict__")
            src.append("    get = values.get")
            src.append("    item = {}")
            if sized:
                src.append("    size = 0")
                src.append("    generic_size = False")
            self.unsized = not sized
            for i, column in enumerate(columns):
                failed = "_redump" if _pure(column.typedef) else "_dump_failed"
                src.append(f"    v = get({column.name!r})")
                src.append("    if v is not None:")
                src.append("        try:")
                src += _indent(self.column_stmts(column, sized), 12)
                src.append("        except Exception as e:")
                src.append(f"            {failed}(_c{i}, v, e)  # raises, naming the column")
            self.unsized = False
            if sized:
                src += self.key_checks()
                src.append("    if generic_size:")
                src.append("        size = _sized(_meta, item)")
                src.append("    if size > _MAX_ITEM:")
                src.append("        raise _LimitExceeded(f'{_model.__name__} item is {size} bytes; DynamoDB allows "
                           "{_MAX_ITEM}')")
            src.append("    return item")

        # new(item), into(obj, item): every column projected.  Objects of a model whose
        # columns all load immutable values or tracked containers share one Loaded marker;
        # the others get a snapshot of their own.
        lazy = all(_lazy(column.typedef) for column in columns)
        self.ns["_LOADED"] = Loaded(columns) if lazy else None
        for i, column in enumerate(columns):
            self.ns[f"_c{i}"] = column
        for variant in ("new", "into"):
            if variant == "new":
                src.append("def new(item):")
                src.append("    obj = _model.__new__(_model)")
            else:
                src.append("def into(obj, item):")
            src.append("    values = obj.__dict__")
            src.append("    get = item.get")
            for i, column in enumerate(columns):
                name = repr(column.name)
                t = column.typedef
                src.append(f"    w = get({column.dynamo_name!r}, _MISSING)")
                if variant == "into" or not lazy:
                    src.append("    if w is _MISSING:")
                    src.append("        pass" if lazy else f"        s{i} = None")
                    if variant == "into":
                        src.append(f"        values.pop({name}, None)")
                    src.append("    else:")
                else:
                    src.append("    if w is not _MISSING:")
                target = f"values[{name}]" if lazy or t.mutable else f"values[{name}] = s{i}"
                src += _indent(self.load_stmts(i, column, target), 8)
                if not lazy and t.mutable:
                    src.append(f"        s{i} = w")
            if lazy:
                src.append("    values[_SNAPSHOT] = _LOADED")
            else:
                snap = ", ".join(f"{column.name!r}: s{i}" for i, column in enumerate(columns))
                src.append(f"    values[_SNAPSHOT] = {{{snap}}}")
            src.append("    return obj")

        # fill(values, snap, item): the columns present in item (after the projected ones
        # are reset), with their snapshot in snap unless that is None
        src.append("def fill(values, snap, item):")
        src.append("    get = item.get")
        for i, column in enumerate(columns):
            name = repr(column.name)
            t = column.typedef
            src.append(f"    w = get({column.dynamo_name!r}, _MISSING)")
            src.append("    if w is not _MISSING:")
            src += _indent(self.load_stmts(i, column, f"values[{name}] = v"), 8)
            src.append("        if snap is not None:")
            src.append(f"            snap[{name}] = {'w' if t.mutable else 'v'}")

        src.append("def into_projected(obj, item, projected, loaded):")
        src.append("    values = obj.__dict__")
        src.append("    snap = None if loaded is not None else {}")
        src.append("    for column in projected:")
        src.append("        if snap is not None:")
        src.append("            snap[column.name] = None")
        src.append("        values.pop(column.name, None)")
        src.append("    fill(values, snap, item)")
        src.append("    values[_SNAPSHOT] = snap if loaded is None else loaded")
        src.append("    return obj")

        markers: Dict[Tuple[str, ...], Optional[Loaded]] = {}

        def loaded_with(projected: Iterable[Any]) -> Optional[Loaded]:
            projected = list(projected)
            names = tuple(column.name for column in projected)
            try:
                return markers[names]
            except KeyError:
                marker = Loaded(projected) if all(_lazy(c.typedef) for c in projected) else None
                return markers.setdefault(names, marker)

        self.ns["loaded"] = loaded_with

        # written(values, item): the snapshot after a whole-item write of item, as
        # tracking.record_all makes it (a value that was None is not in the item)
        src.append("def written(values, item):")
        src.append("    get = values.get")
        src.append("    iget = item.get")
        fields = ", ".join(f"{c.name!r}: iget({c.dynamo_name!r})" if c.typedef.mutable
                           else f"{c.name!r}: get({c.name!r})" for c in columns)
        src.append(f"    return {{{fields}}}")

        src.append("def is_all(projected, _is=_is, _columns=_columns, _n=len(_columns)):")
        src.append("    return len(projected) == _n and all(map(_is, projected, _columns))")
        self.ns["_is"] = operator.is_

        # dump_key(obj): the table key, checked
        src.append("def dump_key(obj):")
        src.append("    values = obj.__dict__")
        src.append("    key = {}")
        for column in meta.keys:
            t = column.typedef
            dn = repr(column.dynamo_name)
            limit = limits.MAX_RANGE_KEY_SIZE if column.range_key else limits.MAX_HASH_KEY_SIZE
            src.append(f"    v = values.get({column.name!r})")
            if _exact(t, types.String):
                src.append(f"    if v.__class__ is str and v and (len(v) if v.isascii() else _utf8_len(v)) "
                           f"<= {limit}:")
                src.append(f'        key[{dn}] = {{"S": v}}')
            elif _exact(t, types.Integer, types.Number):
                src.append("    if v.__class__ is int and -_B < v < _B:")
                src.append(f'        key[{dn}] = {{"N": str(v)}}')
            else:  # no fast path for this key type: the generic code does it all
                src.append("    return _generic_key(obj)")
                break
            src.append("    else:")
            src.append("        return _generic_key(obj)  # the checks, and the generic errors")
        src.append("    return key")

        source = "\n".join(self.helpers + src) + "\n"
        code = compile(source, f"<bloop codec for {self.model.__name__}>", "exec")
        exec(code, self.ns)  # noqa: S102 - source generated above from the model's own columns
        return Codec(self.ns, source)
