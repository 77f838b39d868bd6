"""Key conditions on the parts of templated keys, rewritten into conditions on the keys.

A query may name the columns a templated key is built from instead of the key itself::

    engine.query(Order, key=(Order.customer_id == "c1") & Order.created.between(a, b))

becomes ``pk == "CUSTOMER#c1"`` and ``sk BETWEEN "ORDER#<a>" AND "ORDER#<b>#\\U0010ffff"``.
The hash key's parts must all be given with ``==``.  On the range key, ``==`` on its
leading parts narrows to their prefix; the next part may then take ``begins_with``,
``between``, ``<``, ``<=``, ``>`` or ``>=``; with nothing on the range key, the literal text
before its first part is its prefix (which also narrows to the model's items).

Bounds are built so that every item whose part is in range matches, on the understanding
that keys sort as their parts do: fixed-width values (DateTime, UUID), or text whose
characters sort after the literal that follows the part (``#`` sorts before digits and
letters).  A number part sorts as text (``"10" < "9"``), so only ``==`` takes one.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from ..conditions import And, Comparison, Condition
from ..exceptions import InvalidSearch
from ..models import Column

if TYPE_CHECKING:
    from .describe import Search

__all__ = ["rewrite", "HIGHEST"]

#: the highest character: sorts after every other (DynamoDB orders strings by their UTF-8 bytes)
HIGHEST = "\U0010ffff"


def rewrite(search: "Search[Any, Any]", hash_key: Any, range_key: Any, where: str) -> "Search[Any, Any]":
    """``search`` with its conditions on key parts rewritten into conditions on the searched
    table's or index's keys (``search`` itself when it has none)."""
    key = search._key
    if key is None or search.mode != "query":
        return search
    leaves = list(key.conditions) if isinstance(key, And) else [key]
    parted = [leaf for leaf in leaves if _is_part(leaf)]
    if not parted:
        return search
    return search._replace(_key=_rewritten(search.model, leaves, parted, hash_key, range_key, where))


def _is_part(leaf: Condition) -> bool:
    if not isinstance(leaf, Comparison) or not isinstance(leaf.operand, Column):
        return False
    column = leaf.operand
    meta = getattr(column.model, "Meta", None)
    templated = getattr(meta, "templated", None) or ()
    return any(part is column for key in templated for part in key.template.parts)


def _rewritten(model: Any, leaves: List[Any], parted: List[Any], hash_key: Any, range_key: Any,
               where: str) -> Condition:
    owners = {leaf.operand.model for leaf in parted}
    if len(owners) > 1:
        names = " and ".join(sorted(m.__name__ for m in owners))
        raise InvalidSearch(f"{where}: the key condition names parts of {names}; name the parts of one model")
    owner = owners.pop()
    if not issubclass(owner, model):
        raise InvalidSearch(f"{where}: {owner.__name__} is not {model.__name__} or a model of its family, so its "
                            f"columns are not parts of {model.__name__}'s keys")
    columns = owner.Meta.columns_by_name
    hash_template = _template(columns.get(hash_key.name), hash_key)
    range_template = _template(columns.get(range_key.name), range_key) if range_key is not None else None
    hash_parts = hash_template.parts if hash_template is not None else ()
    range_parts = range_template.parts if range_template is not None else ()

    by_part: Dict[int, Comparison] = {}
    for leaf in parted:
        column = leaf.operand
        if not _among(column, hash_parts) and not _among(column, range_parts):
            keys = ", ".join(f"{c.name} ({c.template.text!r})" for c in owner.Meta.templated
                             if _among(column, c.template.parts))
            indexes = [index.name for index in owner.Meta.indexes
                       if any(k.template is not None and _among(column, k.template.parts) for k in index.keys)]
            hint = f"; query {' or '.join(f'{owner.__name__}.{name}' for name in indexes)}" if indexes else ""
            raise InvalidSearch(f"{where}: {owner.__name__}.{column.name} is a part of {keys}, not of a key of "
                                f"what this query searches{hint}")
        if id(column) in by_part:
            raise InvalidSearch(f"{where}: the key condition names {column.name} twice; DynamoDB takes one "
                                "condition on a range key (between(low, high) for a range)")
        if leaf.operator == "==" and leaf.value is None:
            raise InvalidSearch(f"{where}: {column.name} == None cannot be part of a key")
        by_part[id(column)] = leaf

    raw_hash = [_onto(leaf, hash_key) for leaf in leaves if not _is_part(leaf) and _on(leaf, hash_key)]
    raw_range = [_onto(leaf, range_key) for leaf in leaves
                 if range_key is not None and not _is_part(leaf) and _on(leaf, range_key)]
    others = [leaf for leaf in leaves if not _is_part(leaf) and not _on(leaf, hash_key)
              and not (range_key is not None and _on(leaf, range_key))]

    out: List[Condition] = []
    used: Set[int] = set()
    if raw_hash:
        clash = [leaf.operand.name for leaf in parted if _among(leaf.operand, hash_parts)
                 and not _among(leaf.operand, range_parts)]
        if clash:
            raise InvalidSearch(f"{where}: the key condition names {hash_key.name} and {', '.join(clash)}, a part "
                                f"of it; give one or the other")
        out += raw_hash
    elif hash_template is not None:
        given = []
        for part in hash_parts:
            leaf = by_part.get(id(part))
            if leaf is None or leaf.operator != "==":
                how = "has no condition" if leaf is None else f"has {leaf.operator}, not =="
                raise InvalidSearch(
                    f"{where}: the hash key {hash_key.name} is built from {hash_template.text!r}, so every part "
                    f"needs ==; {part.name} {how}")
            given.append(leaf.value)
            used.add(id(part))
        out.append(hash_key == _text(hash_template.prefix_of, given, where))
    if raw_range:
        clash = [leaf.operand.name for leaf in parted if id(leaf.operand) not in used]
        if clash:
            raise InvalidSearch(f"{where}: the key condition names {range_key.name} and {', '.join(clash)}, a part "
                                f"of it; give one or the other")
        out += raw_range
    elif range_template is not None:
        condition = _range(range_template, range_key, by_part, where)
        if condition is not None:
            out.append(condition)
    out += others
    return out[0] if len(out) == 1 else And(out)


def _template(column: Any, key: Any) -> Any:
    """The template of the owner's column standing for the searched ``key`` (the same
    attribute), or None."""
    if column is None or column.template is None or column.dynamo_name != key.dynamo_name:
        return None
    return column.template


def _among(column: Any, columns: Any) -> bool:
    return any(column is other for other in columns)


def _on(leaf: Any, key: Any) -> bool:
    """A leaf on ``key``, or on the same-named column of a model of its family."""
    return isinstance(leaf, Comparison) and isinstance(leaf.operand, Column) and (
        leaf.operand is key or leaf.operand.name == key.name and leaf.operand.dynamo_name == key.dynamo_name
        and isinstance(leaf.operand.model, type) and issubclass(leaf.operand.model, key.model))


def _onto(leaf: Any, key: Any) -> Any:
    """``leaf`` on the searched ``key`` (it may name the same column of a model of its family)."""
    if leaf.operand is key:
        return leaf
    moved = copy.copy(leaf)
    moved.operand = key
    return moved


def _text(make: Any, value: Any, where: str) -> str:
    """A part's value as text, any error of the value naming the search."""
    try:
        text: str = make(value)
    except (ValueError, TypeError) as error:
        raise InvalidSearch(f"{where}: {error}") from None
    return text


def _below(text: str) -> str:
    """A string just below ``text``: every string sorting before it sorts before this (but for
    ones holding the highest character)."""
    last = ord(text[-1])
    if last == 0:
        return text[:-1]
    lower = last - 1
    if 0xD800 <= lower <= 0xDFFF:  # no lone surrogates
        lower = 0xD7FF
    return text[:-1] + chr(lower) + HIGHEST


def _range(template: Any, key: Any, by_part: Dict[int, Comparison], where: str) -> Optional[Condition]:
    parts, literals = template.parts, template.literals
    if not parts:
        return key == template.text  # type: ignore[no-any-return]
    equal = []
    at = 0
    while at < len(parts):
        leaf = by_part.get(id(parts[at]))
        if leaf is None or leaf.operator != "==":
            break
        equal.append(leaf.value)
        at += 1
    for later in parts[at + 1:]:
        if id(later) in by_part:
            raise InvalidSearch(
                f"{where}: {later.name} follows {parts[at].name} in the range key {key.name} ({template.text!r}); "
                f"a condition on it needs == on every part before it")
    prefix = _text(template.prefix_of, equal, where)
    if at == len(parts):
        return key == prefix  # type: ignore[no-any-return]
    leaf = by_part.get(id(parts[at]))
    if leaf is None:
        return key.begins_with(prefix) if prefix else None
    part, operator, value = parts[at], leaf.operator, leaf.value
    if part.typedef.backing_type != "S":
        raise InvalidSearch(
            f"{where}: {part.name} is a number, which sorts as text inside the key {key.name} ('10' < '9'); "
            f"only == takes a number part (its condition is {operator})")
    after = literals[at + 1]
    last = at == len(parts) - 1

    def text(v: Any) -> str:
        return _text(lambda x: template.part_text(at, x), v, where)

    if operator == "begins_with":
        started = value if isinstance(value, str) else text(value)
        if after and after in started:
            raise InvalidSearch(f"{where}: {part.name}.begins_with({value!r}) holds {after!r}, which follows the "
                                f"part in {key.name} ({template.text!r})")
        return key.begins_with(prefix + started) if prefix + started else None
    #: what follows the part in the key of an item whose part is at most the value
    tail = after + ("" if last else HIGHEST)
    top = prefix + HIGHEST
    if operator == "between":
        low, high = value
        return key.between(prefix + text(low), prefix + text(high) + tail)  # type: ignore[no-any-return]
    if operator in (">=", ">"):
        bound = prefix + text(value) + ("" if operator == ">=" else after + (HIGHEST if not last else ""))
        if not prefix:
            return Comparison(operator, key, bound)
        if operator == ">" and last:
            bound += "\x00"  # the least string after the key of an item whose part is the value
        return key.between(bound, top)  # type: ignore[no-any-return]
    if operator == "<=":
        bound = prefix + text(value) + tail
        return Comparison("<=", key, bound) if not prefix else key.between(prefix, bound)
    if operator == "<":
        # the key of an item whose part is the value is prefix + text + after (+ more parts)
        bound = prefix + text(value) + (after if last else "")
        if not prefix:
            return Comparison("<", key, bound)
        # the key of an item whose part is the value is longer than bound unless it is the last
        return key.between(prefix, _below(bound) if last else bound)  # type: ignore[no-any-return]
    raise InvalidSearch(f"{where}: {part.name} {operator} ...: a key part takes ==, <, <=, >, >=, between "
                        "or begins_with")
