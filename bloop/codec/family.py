"""Reading items of a family (several models in one table) as each item's own model.

Every read of a model that belongs to a family (``Model.Meta.family``), or that has unique
constraints (whose guard items share its table), goes through here: a page of a search,
:func:`bloop.codec.from_item`, ``engine.load``, a transaction's loads and stream records.
Each item is looked at once:

- an item holding ``_bloop_unique`` is a unique constraint's guard item: never an object,
  always left out, silently;
- an item whose type value (the discriminator attribute) a model of the family claims is
  loaded as that model, when it is the model read through or a model below it; through a
  concrete model, an item of any other type is left out (``engine.load`` counts it as not
  found);
- any other item (an unknown type value, or none) follows the base's ``Meta.unknown``:
  ``"raise"`` raises :class:`~bloop.exceptions.UnknownType`, ``"skip"`` leaves it out,
  ``"raw"`` puts a :class:`~bloop.entities.RawItem` in its place.

A model with neither a family nor unique constraints never comes here: the public functions
look at two attributes of its ``Meta`` once per page (or per call) and carry on as before.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from ..entities import RawItem
from ..exceptions import UnknownType
from .checks import Wire
from .compiler import _CODEC, compile_codec

__all__ = ["GUARD_ATTRIBUTE", "Page", "reads_family", "resolve", "load_page", "read_item", "adopt", "held_instead"]

#: the attribute every unique constraint's guard item holds (see :mod:`bloop.unique`)
GUARD_ATTRIBUTE = "_bloop_unique"


class Page(list):  # type: ignore[type-arg]
    """The objects of a page read through a family, and beside them (``wire``) the items
    they were made from: the items left out are in neither, so a search's resume position
    is taken from the right item."""

    __slots__ = ("wire",)
    wire: List[Dict[str, Wire]]


def reads_family(meta: Any) -> bool:
    """Whether reads of this model go through the family dispatch."""
    return meta.family is not None or bool(meta.uniques)


def _codec(meta: Any) -> Any:
    return meta.__dict__.get(_CODEC) or compile_codec(meta)


def _key(model: Any, item: Dict[str, Wire]) -> Dict[str, Wire]:
    return {c.dynamo_name: item[c.dynamo_name] for c in model.Meta.keys if c.dynamo_name in item}


def _type_value(family: Any, item: Dict[str, Wire]) -> Optional[str]:
    wire = item.get(family.dynamo_name)
    if wire.__class__ is dict:
        value = wire.get("S")
        if value.__class__ is str:
            return value
    return None


def resolve(model: Any, item: Dict[str, Wire]) -> Any:
    """What ``item``, read through ``model``, is: the model to load it as, a
    :class:`RawItem`, or None (left out: a guard item, another type, an unknown type under
    ``"skip"``).

    :raises UnknownType: an unknown type value under ``Meta.unknown = "raise"``.
    """
    family = model.Meta.family
    if family is None:  # a model with unique constraints
        return None if GUARD_ATTRIBUTE in item else model
    value = _type_value(family, item)
    found = family.models.get(value) if value is not None else None
    if found is not None:
        if found is model or issubclass(found, model):
            return found
        return None
    if GUARD_ATTRIBUTE in item:
        return None
    policy = family.unknown
    if policy == "skip":
        return None
    key = _key(model, item)
    if policy == "raw":
        return RawItem(value, item, key, model)
    raw = item.get(family.dynamo_name)
    what = f"the type value {value!r}" if value is not None else (
        f"no type value ({family.dynamo_name} is {raw!r})" if raw is not None else
        f"no type value (no {family.dynamo_name} attribute)")
    raise UnknownType(
        f"reading {model.__name__} from {model.Meta.table_name!r}: the item {key!r} holds {what}, which no "
        f"model of the family of {family.base.__name__} claims ({', '.join(sorted(family.models))}); "
        f"nothing was made of it. Declare its model, or set {family.base.__name__}.Meta.unknown to "
        "'skip' or 'raw'", value=value, item=item, model=model)


def _projection_of(target: Any, projected: List[Any]) -> List[Any]:
    """The columns of ``target`` that a projection of the model read through names."""
    by_name = target.Meta.columns_by_name
    return [by_name[c.name] for c in projected if c.name in by_name]


def load_page(model: Any, items: Any, projected: Optional[List[Any]]) -> Page:
    """A page's objects, each of its own model (see the module's docstring)."""
    meta = model.Meta
    codec = _codec(meta)
    whole = projected is None or codec.is_all(projected)
    loaded = None if whole else codec.loaded(projected)
    out = Page()
    wire: List[Dict[str, Wire]] = []
    out.wire = wire
    others: Dict[Any, Any] = {}  # a model below the one read through: (codec, its projection, loaded)
    for item in items:
        target = resolve(model, item)
        if target is None:
            continue
        if target is model:
            obj = codec.new(item) if whole else codec.into_projected(model.__new__(model), item, projected, loaded)
        elif target.__class__ is RawItem:
            obj = target
        else:
            other = others.get(target)
            if other is None:
                other_codec = _codec(target.Meta)
                if whole:
                    other = others[target] = (other_codec, None, None)
                else:
                    columns = _projection_of(target, projected)  # type: ignore[arg-type]
                    other = others[target] = (other_codec, columns, other_codec.loaded(columns))
            if other[1] is None:
                obj = other[0].new(item)
            else:
                obj = other[0].into_projected(target.__new__(target), item, other[1], other[2])
        out.append(obj)
        wire.append(item)
    return out


def read_item(model: Any, item: Dict[str, Wire]) -> Any:
    """One item read through ``model`` (``from_item``, a stream image): an object of its own
    model, a :class:`RawItem`, or None when the item is left out."""
    target = resolve(model, item)
    if target is None or target.__class__ is RawItem:
        return target
    return _codec(target.Meta).new(item)


def adopt(obj: Any, item: Dict[str, Wire]) -> Optional[str]:
    """Before ``item`` is loaded into ``obj`` (``engine.load``, a transaction's load): None
    when it may be (an object of the base whose item is an ``Order`` becomes an ``Order``
    first), else why not, for the not-found error."""
    model = type(obj)
    meta = model.Meta
    if not reads_family(meta):
        return None
    if GUARD_ATTRIBUTE in item:
        return "a unique constraint's guard item"
    family = meta.family
    if family is None:
        return None
    value = _type_value(family, item)
    found = family.models.get(value) if value is not None else None
    if found is None:
        return f"an item of the unknown type {value!r}" if value is not None else "an item with no type value"
    if found is model:
        return None
    if issubclass(found, model):
        obj.__class__ = found
        return None
    return f"an item of {found.__name__} (type {value!r})"


def held_instead(reasons: Sequence[Optional[str]]) -> str:
    """The end of a not-found message: what the keys of a family's objects held instead."""
    held = [r for r in reasons if r is not None]
    if not held:
        return ""
    return (f" ({len(held)} of them because their key holds another item, not loaded as their model: "
            + "; ".join(held) + ")")
