"""Update actions: assign one to a column and ``engine.save`` sends it as is.

    from bloop import actions
    user.visits = actions.add(1)          # ADD #n0 :v0        (atomic counter)
    user.tags = actions.delete({"old"})   # DELETE #n1 :v1     (set difference)
    user.history = actions.append([e])    # SET #n2 = list_append(#n2, :v2)
    user.nickname = actions.remove()      # REMOVE #n3
    user.score = User.score + 10          # SET #n4 = #n4 + :v4 (also actions.plus(10))
    user.left = 5 - User.left             # SET #n5 = :v5 - #n5 (also actions.subtract_from(5))

Actions also work inside maps and lists, on the path they are placed at::

    user.stats["logins"] = actions.add(1)                 # ADD #n0.#n1 :v0
    user.stats["last"] = "2024-01-01"                     # SET #n0.#n2 = :v1 (only what changed)

The value an action leaves behind is computed by DynamoDB; save with
``sync="new"`` to read it back into the object.
"""
from __future__ import annotations

from typing import Any, Optional

from .exceptions import InvalidCondition

__all__ = ["Action", "set", "remove", "add", "delete", "append", "prepend", "if_not_exists",
           "plus", "minus", "subtract_from"]


class Action:
    """One update action on a column; ``kind`` is its clause."""

    __slots__ = ("kind", "value", "source")

    def __init__(self, kind: str, value: Any = None, source: Any = None) -> None:
        self.kind = kind
        self.value = value
        #: for arithmetic (``Model.count + 1``): the column the expression reads
        self.source = source

    def wire(self, target: Any) -> Optional[dict]:
        """The action's operand dumped with the type of ``target`` (a column or a path)."""
        from .tracking import describe, dump_operand
        if self.kind == "remove":
            return None
        typedef = target.typedef
        where = describe(target)
        if self.source is not None and not same_path(self.source, target):
            raise InvalidCondition(
                f"{where}: arithmetic must read what it is assigned to ({where} = {where} + n)")
        backing = typedef.backing_type
        if backing:  # a dynamic value ("") can hold anything: DynamoDB checks it
            if self.kind in ("plus", "minus", "subtract_from") and backing != "N":
                raise InvalidCondition(f"{where}: arithmetic works on numbers")
            if self.kind == "add" and backing not in ("N", "SS", "NS", "BS"):
                raise InvalidCondition(f"{where}: add() works on numbers and sets")
            if self.kind == "delete" and backing not in ("SS", "NS", "BS"):
                raise InvalidCondition(f"{where}: delete() works on sets")
            if self.kind in ("append", "prepend") and backing != "L":
                raise InvalidCondition(f"{where}: {self.kind}() works on lists")
        wire = dump_operand(target, self.value)
        if wire is None:
            raise InvalidCondition(f"{where}: {self.kind}() of an empty value")
        return wire

    def __repr__(self) -> str:
        return f"actions.{self.kind}({'' if self.value is None else repr(self.value)})"


def same_path(a: Any, b: Any) -> bool:
    """Whether two operands name the same attribute path."""
    return a.column is b.column and tuple(a.segments) == tuple(b.segments)


def set(value: Any) -> Action:  # noqa: A001 - the clause's name
    """SET the column to ``value`` (the same as assigning the value)."""
    return Action("set", value)


def remove() -> Action:
    """REMOVE the attribute."""
    return Action("remove")


def add(value: Any) -> Action:
    """ADD a number to a number, or elements to a set (creating either if missing)."""
    return Action("add", value)


def delete(value: Any) -> Action:
    """DELETE elements from a set."""
    return Action("delete", value)


def append(values: Any) -> Action:
    """SET the list to ``list_append(list, values)``."""
    return Action("append", values)


def prepend(values: Any) -> Action:
    """SET the list to ``list_append(values, list)``."""
    return Action("prepend", values)


def if_not_exists(value: Any) -> Action:
    """SET the attribute to ``value`` only if it does not exist yet."""
    return Action("if_not_exists", value)


def plus(value: Any) -> Action:
    """SET the number to itself plus ``value`` (``Model.count + value`` does the same)."""
    return Action("plus", value)


def minus(value: Any) -> Action:
    """SET the number to itself minus ``value`` (``Model.count - value`` does the same)."""
    return Action("minus", value)


def subtract_from(value: Any) -> Action:
    """SET the number to ``value`` minus itself (``value - Model.count`` does the same)."""
    return Action("subtract_from", value)
