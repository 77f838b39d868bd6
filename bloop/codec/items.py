"""The public conversions: each finds the model's compiled codec and runs it."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, TypeVar

from ..models import model_meta
from ..tracking import SNAPSHOT
from .checks import Wire
from .compiler import _CODEC, compile_codec
from ..entities import RawItem
from .family import load_page, read_item
from .generic import _dump_key_generic, _not_a_model
from .templated import fill, parse_all, parse_back

#: a model class, for functions that return its objects
M = TypeVar("M")


def to_item(obj: Any, *, validate: bool = True) -> Dict[str, Wire]:
    """The whole DynamoDB item for ``obj`` (every non-None column), in wire format.

    :raises MissingKey: a key column has no value.
    :raises InvalidValue: a value breaks a type or one of DynamoDB's rules.
    """
    cls = type(obj)
    meta = model_meta(cls)
    if meta is None:  # one call on the fast path
        raise _not_a_model(cls)
    if meta.templated or meta.type_value is not None:  # templated keys, a family's type value
        fill(obj, meta)
    codec = meta.__dict__.get(_CODEC) or compile_codec(meta)
    return codec.to_item(obj) if validate else codec.dump(obj)


def from_item(model: type[M], item: Dict[str, Wire]) -> M:
    """A new ``model`` object from a DynamoDB item in wire format.

    Through a model of a family (several models in one table), the object is of the model
    the item's type value names (see :mod:`bloop.codec.family`): a
    :class:`~bloop.entities.RawItem` for an unknown type under ``Meta.unknown = "raw"``, and
    None for an item the model does not read (a unique constraint's guard item, an item of
    another type through a concrete model, an unknown type under ``"skip"``).

    :raises UnknownType: an unknown type value under ``Meta.unknown = "raise"``.
    """
    meta = model_meta(model)
    if meta is None:  # one call on the fast path
        raise _not_a_model(model)
    if meta.family is not None or meta.uniques:  # family.reads_family, inline: the item's own model
        obj: M = read_item(model, item)
        if obj is None or obj.__class__ is RawItem:
            return obj
    else:
        codec = meta.__dict__.get(_CODEC) or compile_codec(meta)
        obj = codec.new(item)
    if meta.templated or meta.family is not None:  # parts the item lacks, read back from its templated keys
        parse_back(obj)
    return obj


def load_into(obj: Any, item: Dict[str, Wire], projected: Optional[Iterable[Any]] = None) -> Any:
    """Fill ``obj`` from a wire item and record the snapshot.

    :param projected: the columns the item was read with; those missing from the
        item are known to be absent.  Defaults to every column.
    """
    meta = type(obj).Meta
    codec = meta.__dict__.get(_CODEC) or compile_codec(meta)
    if projected is None:
        codec.into(obj, item)
    else:
        if projected.__class__ is not list:
            projected = list(projected)  # read more than once below
        if codec.is_all(projected):
            codec.into(obj, item)
        else:
            codec.into_projected(obj, item, projected, codec.loaded(projected))
    if meta.templated:  # parts the item lacks, read back from its templated keys
        parse_back(obj)
    return obj


def load_all(model: Any, items: Iterable[Dict[str, Wire]], projected: Optional[Iterable[Any]] = None) -> List[Any]:
    """New ``model`` objects from wire items (a page of a query or scan): the same as
    ``[load_into(model.__new__(model), item, projected) for item in items]``, with the
    projection looked at once for the page rather than once per item."""
    meta = model.Meta
    codec = meta.__dict__.get(_CODEC) or compile_codec(meta)
    if projected is not None and projected.__class__ is not list:
        projected = list(projected)  # read more than once below
    objs: List[Any]
    if meta.family is not None or meta.uniques:  # family.reads_family, inline: each item as its own model
        objs = load_page(model, items, projected)
    elif projected is None or codec.is_all(projected):
        new = codec.new
        objs = [new(item) for item in items]
    else:
        into, new_object, loaded = codec.into_projected, model.__new__, codec.loaded(projected)
        objs = [into(new_object(model), item, projected, loaded) for item in items]
    if meta.templated or meta.family is not None:  # once a page: parts read back from templated keys
        parse_all(objs)
    return objs


def record_put(obj: Any, item: Dict[str, Wire], sent: Optional[Dict[str, Any]] = None) -> None:
    """After ``item``, dumped from ``obj``, was written whole (a put): every column is
    known.  The same as :func:`bloop.tracking.record_all` with the model's columns.

    :param sent: the object's values as ``item`` was made from them (a copy of its
        ``__dict__``): the snapshot records those, not a value assigned while the
        request was in flight (which the next save sends).
    """
    meta = type(obj).Meta
    codec = meta.__dict__.get(_CODEC) or compile_codec(meta)
    values = obj.__dict__
    values[SNAPSHOT] = codec.written(values if sent is None else sent, item)


def dump_key(obj: Any, columns: Optional[Iterable[Any]] = None) -> Dict[str, Wire]:
    """The key attributes of ``obj`` (table keys unless other columns are given)."""
    if columns is None:
        meta = model_meta(type(obj))
        if meta is None:  # one call on the fast path
            raise _not_a_model(type(obj))
        if meta.templated or meta.type_value is not None:  # templated keys, a family's type value
            fill(obj, meta)
        codec = meta.__dict__.get(_CODEC) or compile_codec(meta)
        return codec.dump_key(obj)
    return _dump_key_generic(obj, columns)
