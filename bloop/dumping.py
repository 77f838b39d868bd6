"""Dumping one value with the type of a column, or of a path into one, naming it in errors.

Below the nodes that are built from columns (:mod:`bloop.actions` checks an action's operand
with these) and below :mod:`bloop.tracking`, which diffs objects with them: neither has to
import the other.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from .exceptions import InvalidValue

__all__ = ["dump_column", "describe", "dump_operand"]


def dump_column(column: Any, value: Any) -> Optional[Dict[str, Any]]:
    """Dump one column's value, naming the model and column in any error."""
    try:
        result: Optional[Dict[str, Any]] = column.typedef._dump(value)
        return result
    except InvalidValue as error:
        raise type(error)(f"{column.model.__name__}.{column.name}: {error}") from error


def describe(operand: Any) -> str:
    """``Model.column["key"][0]``, for error messages."""
    column = operand.column
    tail = "".join(f"[{s!r}]" for s in operand.segments)
    return f"{column.model.__name__}.{column.name}{tail}"


def dump_operand(operand: Any, value: Any) -> Optional[Dict[str, Any]]:
    """Dump a value with the type of a column or of a path into one."""
    if operand.column is operand:
        return dump_column(operand, value)
    try:
        result: Optional[Dict[str, Any]] = operand.typedef._dump(value)
        return result
    except InvalidValue as error:
        raise type(error)(f"{describe(operand)}: {error}") from error
