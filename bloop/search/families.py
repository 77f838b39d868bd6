"""The filter a search adds on its own, so DynamoDB sends back only what the model reads.

- Through a model of a family that is not the base: ``discriminator IN (the type values of
  the model and of the models below it)``, ANDed with the caller's filter.  A query whose
  table or index has the discriminator as a key is left alone (DynamoDB refuses a filter on
  a queried key); its pages are still checked item by item (see :mod:`bloop.codec.family`).
- A scan of a model with unique constraints, or of a family's base when a model of the
  family has them (or a search of an index keyed by the table's keys alone, the only index
  a guard item can be in): ``attribute_not_exists(_bloop_unique)``, which leaves out the
  constraints' guard items.  A concrete model's type filter leaves them out already.

``count()`` and ``exists()`` send the same filter.  Items of a type no model claims are
counted through the base (DynamoDB cannot tell them apart); a page leaves them to
``Meta.unknown``.
"""
from __future__ import annotations

from typing import Any, Optional

from ..codec.family import GUARD_ATTRIBUTE, reads_family
from ..conditions import Condition, iter_conditions
from ..exceptions import InvalidSearch
from ..models import Column
from ..types import String

__all__ = ["implicit_filter", "search_filter"]

#: the guard items' marker attribute, as a column a condition can name
_GUARD: Column[str] = Column(String, dynamo_name=GUARD_ATTRIBUTE)
_GUARD.name = GUARD_ATTRIBUTE


def _has_uniques(meta: Any) -> bool:
    family = meta.family
    if family is None or family.base is not meta.model:
        return bool(meta.uniques)
    return any(m.Meta.uniques for m in family.models.values())


def implicit_filter(search: Any) -> Optional[Condition]:
    """The filter ``search`` adds to its caller's (None: none)."""
    model, index, mode = search.model, search.index, search.mode
    meta = model.Meta
    if not reads_family(meta):
        return None
    family = meta.family
    if family is not None and model is not family.base:
        column = meta.discriminator
        keys = (index.hash_key, index.range_key) if index is not None else (meta.hash_key, meta.range_key)
        values = family.values_under(model)
        if mode == "query" and any(column is key for key in keys):
            _check_type_key(search, column, keys[0], values)
            return None
        condition: Condition = column == values[0] if len(values) == 1 else column.in_(values)
        return condition
    if _holds_guards(meta, index, mode) and _has_uniques(meta):
        return _GUARD.is_(None)
    return None


def _check_type_key(search: Any, column: Any, hash_key: Any, values: Any) -> None:
    """A query whose hash key is the discriminator, for a type not under its model, could only
    return items it leaves out (and count them): refused before sending."""
    if column is not hash_key or search._key is None:
        return
    for leaf in iter_conditions(search._key):
        if leaf.operand is column and leaf.operator == "==" and isinstance(leaf.value, str) \
                and leaf.value not in values:
            model = search.model
            where = f"query on {model.__name__}" + (f".{search.index.name}" if search.index is not None else "")
            raise InvalidSearch(
                f"{where}: {hash_key.name} == {leaf.value!r} reads only items of that type, none of which is "
                f"a {model.__name__} ({', '.join(map(repr, values))}); query through "
                f"{model.Meta.family.base.__name__} or the type's own model")


def _holds_guards(meta: Any, index: Any, mode: str) -> bool:
    """Whether a search can read guard items: a scan of the table, or a search of an index
    keyed by the table's keys alone (a guard item holds no other attribute of the model)."""
    if index is None:
        return mode == "scan"
    return all(any(key is k for k in meta.keys) for key in index.keys)


def search_filter(search: Any) -> Optional[Condition]:
    """The filter ``search`` sends: its caller's, ANDed with :func:`implicit_filter`'s."""
    extra = implicit_filter(search)
    if extra is None:
        return search._filter  # type: ignore[no-any-return]
    return extra if search._filter is None else search._filter & extra
