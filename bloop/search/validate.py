"""What DynamoDB would refuse in a search, refused before any request: the key condition,
a filter on what a global index does not project, and the projection."""
from __future__ import annotations

from typing import Any, Iterator, List, Optional, Tuple

from ..conditions import Comparison, Condition, Operand, iter_conditions
from ..exceptions import InvalidSearch
from ..models import Column, GlobalSecondaryIndex

_RANGE_OPERATORS = {"==", "<", "<=", ">", ">=", "between", "begins_with"}


def _check_key(key: Optional[Condition], hash_key: Any, range_key: Any, where: str) -> Any:
    """Refuse a key condition DynamoDB would refuse; returns its hash key comparison."""
    hint = (f"a query needs a key condition: {hash_key.model.__name__}.{hash_key.name} == value"
            + (f", optionally & a condition on {range_key.name}" if range_key is not None else ""))
    if key is None:
        raise InvalidSearch(f"{where}: {hint}")
    if key.kind == "and":
        leaves = list(key.conditions)  # type: ignore[attr-defined]
    else:
        leaves = [key]
    if not all(isinstance(leaf, Comparison) and isinstance(leaf.operand, Column)
               for leaf in leaves) or len(leaves) > 2:
        raise InvalidSearch(f"{where}: the key condition must be simple comparisons on the keys; {hint}")
    hashes = [leaf for leaf in leaves if leaf.operand is hash_key]
    ranges = [leaf for leaf in leaves if range_key is not None and leaf.operand is range_key]
    if len(hashes) != 1 or hashes[0].operator != "==":
        raise InvalidSearch(f"{where}: {hint}")
    if len(hashes) + len(ranges) != len(leaves):
        raise InvalidSearch(f"{where}: the key condition may only use the hash and range key; {hint}")
    if ranges and ranges[0].operator not in _RANGE_OPERATORS:
        raise InvalidSearch(
            f"{where}: the range key condition must be ==, <, <=, >, >=, between or begins_with")
    return hashes[0]


def _filter_columns(condition: Condition) -> Iterator[Any]:
    """Every column a condition reads: on the left of each comparison, and on the right."""
    for leaf in iter_conditions(condition):
        yield leaf.operand.column
        values = leaf.value if isinstance(leaf.value, (tuple, list)) else (leaf.value,)
        for value in values:
            if isinstance(value, Operand):
                yield value.column


def _check_filter_projected(condition: Condition, index: Any, where: str) -> None:
    """A global index holds only what it projects, and DynamoDB filters the index's items:
    a filter on any other column would see it missing and silently match nothing (or,
    negated, everything).  A local index reads such columns from the table."""
    if index.projection_mode == "all":
        return
    for column in _filter_columns(condition):
        if not any(column is c for c in index.projected):
            raise InvalidSearch(
                f"{where}: the filter uses {column.name}, which is not projected into the index {index.name} "
                f"(it has {', '.join(c.name for c in index.projected)}); DynamoDB would filter items that "
                "lack it and match nothing. Project it into the index, or search the table")


def _projection(projection: Any, model: Any, index: Any, where: str) -> Tuple[List[Any], Optional[str], Any]:
    """The columns returned, the Select value, and the columns for a ProjectionExpression."""
    meta = model.Meta
    keys = list(meta.keys) + ([k for k in index.keys if not any(k is m for m in meta.keys)]
                              if index is not None else [])
    discriminator = meta.discriminator  # a family's items are told apart by it: always read
    if discriminator is not None and not any(discriminator is k for k in keys):
        keys.append(discriminator)
    if projection == "all":
        if index is None:
            return list(meta.columns), "ALL_ATTRIBUTES", None
        if index.projection_mode == "all":
            return list(meta.columns), "ALL_ATTRIBUTES", None
        return list(index.projected), None, list(index.projected)
    if projection == "keys":
        return keys, None, keys
    if isinstance(projection, str) or not hasattr(projection, "__iter__"):
        raise InvalidSearch(f"{where}: projection must be 'all', 'keys' or a list of columns, not {projection!r}")
    wanted = list(keys)
    for item in projection:
        column = meta.columns_by_name.get(item) if isinstance(item, str) else item
        if not isinstance(column, Column) or meta.columns_by_name.get(column.name) is not column:
            raise InvalidSearch(f"{where}: {item!r} is not a column of {model.__name__}")
        if isinstance(index, GlobalSecondaryIndex) and not any(column is c for c in index.projected):
            raise InvalidSearch(
                f"{where}: {column.name} is not projected into the index {index.name} "
                f"(it has {', '.join(c.name for c in index.projected)})")
        if not any(column is c for c in wanted):
            wanted.append(column)
    return wanted, None, wanted
