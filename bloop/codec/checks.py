"""DynamoDB's item rules on wire items: the item size, key presence and key values."""
from __future__ import annotations

from typing import Any, Dict, Tuple

from .. import limits, types
from ..exceptions import InvalidValue, LimitExceeded, MissingKey

#: one attribute value in DynamoDB's wire format: ``{"S": "text"}``
Wire = Dict[str, Any]


def check_item(meta: Any, item: Dict[str, Wire]) -> None:
    """Key presence, key values and the item size limit."""
    _check_keys(meta, item)
    size = _sized(meta, item)
    if size > limits.MAX_ITEM_SIZE:
        raise LimitExceeded(
            f"{meta.model.__name__} item is {size} bytes; DynamoDB allows {limits.MAX_ITEM_SIZE}")


def item_size(item: Dict[str, Wire]) -> int:
    """DynamoDB's size of an item: attribute names plus values (see "Item size").

    :raises InvalidValue: a string in it is not text DynamoDB can store (a lone surrogate).
    """
    try:
        return _item_size(item)
    except UnicodeEncodeError as error:
        name, inner = _text_failure(item, error)
        raise type(inner)(f"attribute {name!r}: {inner}") from error


def _item_size(item: Dict[str, Wire]) -> int:
    total = 0
    for name, wire in item.items():
        total += (len(name) if name.isascii() else len(name.encode())) + _value_size(wire)
    return total


def _text_failure(item: Dict[str, Wire], error: UnicodeEncodeError) -> Tuple[str, InvalidValue]:
    """The attribute of ``item`` whose size could not be counted, and the error to raise."""
    inner = types.text_error(error.object, error.start)
    for name, wire in item.items():
        try:
            _item_size({name: wire})
        except UnicodeEncodeError:
            return name, inner
    return "?", inner  # pragma: no cover - one of the attributes raised it


def _check_key_value(meta: Any, column: Any, wire: Wire) -> None:
    (kind, inner), = wire.items()
    if kind == "S":
        size = len(inner.encode())
    elif kind == "B":
        size = len(inner)
    else:
        return
    where = f"{meta.model.__name__}.{column.name}"
    if size == 0:
        raise InvalidValue(f"{where}: DynamoDB refuses an empty string or binary in a key attribute")
    limit = limits.MAX_RANGE_KEY_SIZE if column.range_key else limits.MAX_HASH_KEY_SIZE
    if getattr(column, "hash_key", False) or column.range_key:
        if size > limit:
            raise LimitExceeded(f"{where}: key value is {size} bytes; DynamoDB allows {limit}")


def _check_keys(meta: Any, item: Dict[str, Wire]) -> None:
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


def _value_size(wire: Wire, depth: int = 1) -> int:
    (kind, inner), = wire.items()
    if kind == "S":
        return len(inner) if inner.isascii() else len(inner.encode())
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


def _undeclared_size(inner: Dict[str, Wire], fields: Dict[str, Any], depth: int) -> int:
    """The size of the keys of the map ``inner`` (at ``depth``) that ``fields`` does not declare,
    as :func:`_value_size` counts them."""
    return sum(1 + len(key.encode()) + _value_size(wire, depth + 1) for key, wire in inner.items()
               if key not in fields)


#: DynamoDB's size of a number (see limits.number_size)
_number_size = limits.number_size


def _named(column: Any, error: InvalidValue) -> InvalidValue:
    """``error`` naming the model and column, as :func:`bloop.tracking.dump_column` does."""
    return type(error)(f"{column.model.__name__}.{column.name}: {error}")


def _sized(meta: Any, item: Dict[str, Wire]) -> int:
    """:func:`item_size` of a model's item, naming the column whose value holds text
    DynamoDB cannot store."""
    try:
        return _item_size(item)
    except UnicodeEncodeError as error:
        name, inner = _text_failure(item, error)
        raise _named(meta.columns_by_dynamo_name[name], inner) from error
