"""Templated keys on the way out and back in (see :mod:`bloop.templates`).

:func:`fill` runs before an object of a model with key templates (or of a family) is keyed
or dumped: each templated column is rendered from its parts and set on the object through
the column (so a loaded object's snapshot is made first, and a save sends the change), and
a family model's object is given its own type value.  A part the object was never given
is read from the templated key it holds (``Order(pk=..., sk=...)`` keys like the parts).
:func:`parse_back` runs after an
object is loaded: a part the item does not hold (a keys-only index projection, an item
written by another program) is read back from a templated key that holds it.

Models without templates and outside a family never get here: the public functions of
:mod:`bloop.codec.items` check ``meta.templated`` and ``meta.type_value`` first.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from ..exceptions import InvalidValue, MissingKey
from ..tracking import SNAPSHOT, Loaded, snapshot

__all__ = ["fill", "parse_back", "parse_all"]

#: returned by _render: leave the key as it is (a part bloop does not know)
_KEEP: Any = object()


def fill(obj: Any, meta: Any) -> None:
    """Set ``obj``'s discriminator to its model's type value and each templated column to
    the text rendered from its parts.

    :raises InvalidValue: the discriminator holds another type's value, or a part's value
        holds the literal text that follows it in its template.
    :raises MissingKey: a part of a table key has no value.
    """
    values = obj.__dict__
    type_value = meta.type_value
    if type_value is not None:
        column = meta.discriminator
        held = values.get(column.name)
        if held != type_value:
            if held is not None:
                raise InvalidValue(
                    f"{meta.model.__name__}.{column.name} is {held!r}, but a {meta.model.__name__} is of type "
                    f"{type_value!r}: an object writes its own model's type value; nothing was sent")
            column.__set__(obj, type_value)
    for column in meta.templated:
        text = values.get(column.name)
        if text is not None and any(part.name not in values for part in column.template.parts):
            _read_parts(values, column, text)  # Order(pk=..., sk=...): the parts never given, from the key
        rendered = _render(obj, meta, values, column)
        if rendered is not _KEEP and text != rendered:
            if rendered is not None and _same_parts(column, text, values):
                continue  # another spelling of the same parts (written by another program): kept
            column.__set__(obj, rendered)


def _read_parts(values: Any, column: Any, text: Any) -> None:
    parsed = column.template.parse(text) if text.__class__ is str else None
    if parsed is not None:
        for name, value in parsed.items():
            if name not in values:
                values[name] = value


def _same_parts(column: Any, text: Any, values: Any) -> bool:
    """``text`` (the key the object holds) reads back as the parts' values: DynamoDB's item is
    keyed by it, so it stays (``"LINE#012"`` for ``number=12``)."""
    parsed = column.template.parse(text) if text.__class__ is str else None
    return parsed is not None and all(parsed[name] == values.get(name) for name in parsed)


def _render(obj: Any, meta: Any, values: Any, column: Any) -> Any:
    template = column.template
    literals = template.literals
    out = [literals[0]]
    for position, part in enumerate(template.parts):
        value = values.get(part.name)
        if value is None:
            if part.name not in values and _unknown(values, part):
                return _KEEP  # loaded in part, without this part: DynamoDB's key stays as it is
            if column.hash_key or column.range_key:
                raise MissingKey(
                    f"{meta.model.__name__}.{column.name} is built from {part.name} ({template.text!r}), which "
                    f"has no value; a key needs every part; nothing was sent")
            return None  # an index key: the item leaves the (sparse) index
        out.append(template.part_text(position, value))
        out.append(literals[position + 1])
    return "".join(out)


def _unknown(values: Any, column: Any) -> bool:
    """``column`` of an object bloop knows only in part was not loaded (a new object is
    known: what it does not hold is None)."""
    snap = values.get(SNAPSHOT)
    if snap is None:
        return False
    if snap.__class__ is Loaded:
        return not any(c is column for c in snap.columns)
    return column.name not in snap


def parse_back(obj: Any) -> Any:
    """Fill in the parts ``obj`` does not hold from the templated keys it holds; returns ``obj``.

    A parsed part is not what DynamoDB's item holds, so the snapshot is made first: a save
    writes the part as its own attribute.  A key that does not fit its template is left
    alone (an item written by another program)."""
    values = obj.__dict__
    for column in type(obj).Meta.templated:
        text = values.get(column.name)
        if text is None:
            continue
        template = column.template
        missing = [part for part in template.parts if values.get(part.name) is None]
        if not missing:
            continue
        parsed = template.parse(text)
        if parsed is None:
            continue
        snapshot(obj)
        for part in missing:
            values[part.name] = parsed[part.name]
    return obj


def parse_all(objs: Iterable[Any]) -> None:
    """:func:`parse_back` for each object of a page (of any model: a family's page mixes them)."""
    for obj in objs:
        meta: Optional[Any] = getattr(type(obj), "Meta", None)
        if meta is not None and getattr(meta, "templated", None):
            parse_back(obj)
