"""Objects to DynamoDB items and back, with DynamoDB's item rules checked.

:func:`to_item` and :func:`from_item` are the public face: they work on any
model class, bound to an engine or not, for raw clients, Lambda events and
tests.  Loading records a snapshot (see :mod:`bloop.tracking`) so that a later
save sends only what changed.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from . import limits
from .exceptions import InvalidValue, LimitExceeded, MissingKey
from .tracking import SNAPSHOT, dump_column

__all__ = ["to_item", "from_item", "dump_key", "load_into", "key_identity", "item_size"]


def _meta(model: Any) -> Any:
    meta = getattr(model, "Meta", None)
    if meta is None or not hasattr(meta, "columns"):
        raise InvalidValue(f"{model!r} is not a bloop model")
    return meta


def dump_key(obj: Any, columns: Optional[Iterable[Any]] = None) -> Dict[str, dict]:
    """The key attributes of ``obj`` (table keys unless other columns are given)."""
    meta = _meta(type(obj))
    values = obj.__dict__
    key = {}
    for column in (meta.keys if columns is None else columns):
        value = values.get(column.name)
        if value is None:
            raise MissingKey(f"{meta.model.__name__}.{column.name} is a key column and has no value "
                             f"on {obj!r}")
        wire = dump_column(column, value)
        _check_key_value(meta, column, wire)
        key[column.dynamo_name] = wire
    return key


def _check_key_value(meta: Any, column: Any, wire: dict) -> None:
    (kind, inner), = wire.items()
    where = f"{meta.model.__name__}.{column.name}"
    if kind == "S":
        size = len(inner.encode())
    elif kind == "B":
        size = len(inner)
    else:
        return
    if size == 0:
        raise InvalidValue(f"{where}: DynamoDB refuses an empty string or binary in a key attribute")
    limit = limits.MAX_RANGE_KEY_SIZE if column.range_key else limits.MAX_HASH_KEY_SIZE
    if getattr(column, "hash_key", False) or column.range_key:
        if size > limit:
            raise LimitExceeded(f"{where}: key value is {size} bytes; DynamoDB allows {limit}")


def to_item(obj: Any, *, validate: bool = True) -> Dict[str, dict]:
    """The whole DynamoDB item for ``obj`` (every non-None column), in wire format.

    :raises MissingKey: a key column has no value.
    :raises InvalidValue: a value breaks a type or one of DynamoDB's rules.
    """
    meta = _meta(type(obj))
    values = obj.__dict__
    item: Dict[str, dict] = {}
    for column in meta.columns:
        value = values.get(column.name)
        if value is None:
            continue
        wire = dump_column(column, value)
        if wire is not None:
            item[column.dynamo_name] = wire
    if validate:
        check_item(meta, item)
    return item


def check_item(meta: Any, item: Dict[str, dict]) -> None:
    """Key presence, key values and the item size limit."""
    for column in meta.keys:
        wire = item.get(column.dynamo_name)
        if wire is None:
            raise MissingKey(f"{meta.model.__name__}.{column.name} is a key column and has no value")
        _check_key_value(meta, column, wire)
    for index in meta.indexes:
        for column in index.keys:
            wire = item.get(column.dynamo_name)
            if wire is None:
                continue
            (kind, inner), = wire.items()
            if kind not in ("S", "B"):
                continue
            size = len(inner.encode()) if kind == "S" else len(inner)
            where = f"{meta.model.__name__}.{column.name}"
            if size == 0:
                raise InvalidValue(f"{where}: DynamoDB refuses an empty string or binary in the key "
                                   f"of index {index.name}")
            limit = limits.MAX_HASH_KEY_SIZE if column is index.hash_key else limits.MAX_RANGE_KEY_SIZE
            if size > limit:
                raise LimitExceeded(f"{where}: {size} bytes as a key of index {index.name}; DynamoDB "
                                    f"allows {limit}")
    size = item_size(item)
    if size > limits.MAX_ITEM_SIZE:
        raise LimitExceeded(
            f"{meta.model.__name__} item is {size} bytes; DynamoDB allows {limits.MAX_ITEM_SIZE}")


def _value_size(wire: dict, depth: int = 1) -> int:
    (kind, inner), = wire.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind == "BOOL" or kind == "NULL":
        return 1
    if depth >= limits.MAX_NESTING_DEPTH and inner and kind in ("L", "M"):
        # the top-level attribute is level 1 and a scalar inside a map is one level more
        raise LimitExceeded(f"a value is nested deeper than DynamoDB's {limits.MAX_NESTING_DEPTH} levels")
    if kind == "SS":
        return sum(len(x.encode()) for x in inner)
    if kind == "NS":
        return sum(_number_size(x) for x in inner)
    if kind == "BS":
        return sum(len(x) for x in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(x, depth + 1) for x in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v, depth + 1) for k, v in inner.items())
    raise InvalidValue(f"unknown DynamoDB type {kind!r}")


def _number_size(text: str) -> int:
    # "Item size": numbers take about one byte per two significant digits, plus one.
    digits = sum(1 for ch in text.split("e")[0].split("E")[0] if ch.isdigit())
    return 1 + (digits + 1) // 2


def item_size(item: Dict[str, dict]) -> int:
    """DynamoDB's size of an item: attribute names plus values (see "Item size")."""
    return sum(len(name.encode()) + _value_size(wire) for name, wire in item.items())


def load_into(obj: Any, item: Dict[str, dict], projected: Optional[Iterable[Any]] = None) -> Any:
    """Fill ``obj`` from a wire item and record the snapshot.

    :param projected: the columns the item was read with; those missing from the
        item are known to be absent.  Defaults to every column.
    """
    meta = type(obj).Meta
    by_dynamo = meta.columns_by_dynamo_name
    values = obj.__dict__
    snap: Dict[str, Any] = {}
    for column in (meta.columns if projected is None else projected):
        snap[column.name] = None
        values.pop(column.name, None)
    for dynamo_name, wire in item.items():
        column = by_dynamo.get(dynamo_name)
        if column is None:
            continue
        typedef = column.typedef
        try:
            value = typedef._load(wire)
        except (InvalidValue, ValueError, TypeError, KeyError) as error:
            raise InvalidValue(f"{meta.model.__name__}.{column.name}: cannot load {wire!r:.80}: {error}") \
                from error
        values[column.name] = value
        snap[column.name] = wire if typedef.mutable else value
    values[SNAPSHOT] = snap
    return obj


def from_item(model: Any, item: Dict[str, dict]) -> Any:
    """A new ``model`` object from a DynamoDB item in wire format."""
    meta = _meta(model)
    obj = model.__new__(model)
    return load_into(obj, item, meta.columns)


def key_identity(table: str, key: Dict[str, dict]) -> Tuple[Any, ...]:
    """A hashable identity of one item's key in one table, from its wire form."""
    parts = []
    for name in sorted(key):
        (kind, inner), = key[name].items()
        if kind == "N":
            from decimal import Decimal
            inner = Decimal(inner).normalize()
        parts.append((name, kind, inner))
    return (table, tuple(parts))
