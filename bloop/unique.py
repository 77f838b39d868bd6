"""Unique constraints, kept by guard items written in the same transaction as each save.

A model with ``Column(String, unique=True)`` (or ``Meta.unique = [("first", "last")]``)
has ``Model.Meta.uniques``: one tuple of columns per constraint.  For each object and
each constraint whose value is set, the table holds one *guard item* whose key is made
from the constraint and the value (:func:`guard_key`), so that two objects can never
hold one value: DynamoDB refuses to put a guard that exists.  A save of such an object
is a ``TransactWriteItems`` (built by :mod:`bloop.transactions`) holding

- the object's ``UpdateItem``, with the user's condition, the version check, and the
  condition that each unique column still holds what bloop believes it holds;
- for each constraint whose value changes: a ``Put`` of the new guard (on condition that
  no guard of that value exists, or that it is this object's own) and a ``Delete`` of the
  old one (on condition that it is this object's).

A delete deletes the object's guards in the same transaction.  When bloop does not know
what the item holds for a unique column (a new object, or one loaded without it), it
reads the item first (a consistent ``GetItem`` of the unique columns): two requests.

Everything here is pure: the guard items, the conditions, the read, and the errors.
"""
from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import limits
from .actions import Action
from .conditions import Condition
from .dumping import dump_column
from .exceptions import InvalidValue, UniqueViolation
from .expressions import Renderer
from .operations import Call, Keyed
from .tracking import snapshot

__all__ = ["GUARD_ATTRIBUTE", "OWNER_ATTRIBUTE", "PREFIX", "Guarded", "guarded", "known", "guard_key",
           "constraint_name", "value_text", "read_calls", "settle_read", "violation"]

#: the attribute every guard item holds: the name of its constraint (``"Customer.email"``);
#: reads of a model with unique constraints skip items holding it
GUARD_ATTRIBUTE = "_bloop_unique"
#: the attribute naming a guard's owner: a map of the owner's key attributes
OWNER_ATTRIBUTE = "_bloop_owner"
#: how every guard item's key begins
PREFIX = "_unique#"
#: between the parts of a combination's value (each part escapes it with a backslash)
SEPARATOR = "#"

Constraint = Tuple[Any, ...]  # the columns of one constraint


def constraint_name(model: type, constraint: Constraint) -> str:
    """``"Customer.email"``, or ``"Customer.first+last"`` for a combination."""
    return f"{model.__name__}.{'+'.join(c.name for c in constraint)}"


def _number_text(text: str) -> str:
    """A number in one canonical text, so that ``1``, ``1.0`` and ``1E0`` claim one value."""
    number = Decimal(text)
    if number == 0:
        return "0"
    normal = number.normalize()
    sign, digits, exponent = normal.as_tuple()
    if isinstance(exponent, int) and exponent >= 0:
        return f"{normal:f}"
    return str(normal)


def _wire_text(wire: Dict[str, Any]) -> str:
    (kind, value), = wire.items()
    if kind == "S":
        return str(value)
    if kind == "N":
        return _number_text(value)
    if kind == "B":
        raw = value if isinstance(value, (bytes, bytearray)) else base64.b64decode(value)
        return base64.b64encode(bytes(raw)).decode("ascii")
    raise InvalidValue(f"a unique value is a string, number or binary, not {kind}")  # refused at declaration


def value_text(wires: Sequence[Dict[str, Any]]) -> str:
    """The text a constraint's value is claimed as: one part as it is, several parts each
    with ``\\`` and ``#`` escaped, joined by ``#`` (so ``("a#", "b")`` and ``("a", "#b")`` differ)."""
    if len(wires) == 1:
        return _wire_text(wires[0])
    return SEPARATOR.join(_wire_text(w).replace("\\", "\\\\").replace(SEPARATOR, "\\" + SEPARATOR)
                          for w in wires)


def guard_key(model: type, constraint: Constraint, wires: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, str]]:
    """The key of the guard of one value: the table's hash key (and its range key, if it has
    one) hold ``"_unique#Customer.email#" + the value's text``.

    :raises InvalidValue: the key would be longer than DynamoDB allows (1024 bytes with a
        range key, 2048 without), before anything is sent.
    """
    meta = model.Meta  # type: ignore[attr-defined]
    text = PREFIX + constraint_name(model, constraint) + SEPARATOR + value_text(wires)
    limit = limits.MAX_RANGE_KEY_SIZE if meta.range_key is not None else limits.MAX_HASH_KEY_SIZE
    size = len(text.encode("utf-8"))
    if size > limit:
        raise InvalidValue(
            f"{constraint_name(model, constraint)}: the value is too long to be kept unique: its guard item's "
            f"key would be {size} bytes, and DynamoDB allows {limit}; nothing was sent")
    key = {meta.hash_key.dynamo_name: {"S": text}}
    if meta.range_key is not None:
        key[meta.range_key.dynamo_name] = {"S": text}
    return key


def _python(constraint: Constraint, values: Dict[str, Any]) -> Any:
    parts = tuple(values.get(c.name) for c in constraint)
    return parts[0] if len(parts) == 1 else parts


class Guarded:
    """One object of a model with unique constraints, in one save or delete.

    :ivar held: column name -> the value DynamoDB holds for each unique column, as far as
        bloop knows (from the object's snapshot, or read first).
    :ivar unknown: the unique columns whose stored value bloop does not know yet.
    """

    __slots__ = ("entry", "action", "columns", "held", "unknown", "new", "untouched")

    def __init__(self, entry: Keyed, action: str) -> None:
        self.entry = entry
        self.action = action
        meta = type(entry.obj).Meta
        columns: Dict[str, Any] = {}
        for constraint in meta.uniques:
            for column in constraint:
                columns[column.name] = column
        self.columns = list(columns.values())
        snap = snapshot(entry.obj) or {}
        self.held: Dict[str, Any] = {}
        self.unknown: List[Any] = []
        #: the values the write leaves the item holding (set when its guard items are made)
        self.new: Dict[str, Any] = {}
        for column in self.columns:
            if column.name in snap:
                self.held[column.name] = snap[column.name]
            else:
                self.unknown.append(column)
        #: unknown columns the object holds nothing for: a save leaves them as they are
        #: (an object loaded without them), so they keep the value they hold
        values = entry.obj.__dict__
        self.untouched = {c.name for c in self.unknown if c.name not in values}

    # the values ------------------------------------------------------------------------
    def new_values(self) -> Dict[str, Any]:
        """The unique columns' values this write leaves the item holding."""
        if self.action == "delete":
            return {c.name: None for c in self.columns}
        values = self.entry.obj.__dict__
        out = {}
        for column in self.columns:
            if column.name in self.untouched:
                out[column.name] = self.held.get(column.name)
                continue
            value = values.get(column.name)
            if isinstance(value, Action):
                raise InvalidValue(
                    f"{type(self.entry.obj).__name__}.{column.name} is unique: assign it a value, not an update "
                    f"action ({value.kind}), so that bloop knows which value to claim; nothing was sent")
            out[column.name] = value
        return out

    def _wires(self, constraint: Constraint, values: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
        wires = []
        for column in constraint:
            value = values.get(column.name)
            wire = None if value is None else dump_column(column, value)
            if wire is None:
                return None  # a constraint with a part unset holds no value
            wires.append(wire)
        return wires

    def condition(self) -> Optional[Condition]:
        """The unique columns still hold what bloop believes they hold."""
        out: Optional[Condition] = None
        for column in self.columns:
            value = self.held.get(column.name)
            check: Condition = column.is_(None) if value is None else column == value
            out = check if out is None else out & check
        return out

    def actions(self) -> List[Tuple[str, Dict[str, Any], Dict[str, Any]]]:
        """The guard items this write claims and releases: ``(role, transact item, info)``,
        role ``"claim"`` or ``"release"``; ``info`` names the constraint and the value."""
        obj = self.entry.obj
        model = type(obj)
        new = self.new = self.new_values()
        owner = {"M": dict(self.entry.key)}
        table = self.entry.table
        out = []
        for constraint in model.Meta.uniques:
            old_wires = self._wires(constraint, self.held)
            new_wires = self._wires(constraint, new)
            old_key = None if old_wires is None else guard_key(model, constraint, old_wires)
            new_key = None if new_wires is None else guard_key(model, constraint, new_wires)
            if old_key == new_key:
                continue
            name = constraint_name(model, constraint)
            if new_key is not None:
                item: Dict[str, Any] = dict(new_key)
                item[GUARD_ATTRIBUTE] = {"S": name}
                item[OWNER_ATTRIBUTE] = owner
                hash_name = model.Meta.hash_key.dynamo_name
                out.append(("claim", {"Put": {
                    "TableName": table, "Item": item,
                    "ConditionExpression": "attribute_not_exists(#bloop_k) OR #bloop_o = :bloop_o",
                    "ExpressionAttributeNames": {"#bloop_k": hash_name, "#bloop_o": OWNER_ATTRIBUTE},
                    "ExpressionAttributeValues": {":bloop_o": owner},
                }}, {"constraint": constraint, "value": _python(constraint, new), "key": new_key}))
            if old_key is not None:
                out.append(("release", {"Delete": {
                    "TableName": table, "Key": old_key,
                    "ConditionExpression": "#bloop_o = :bloop_o",
                    "ExpressionAttributeNames": {"#bloop_o": OWNER_ATTRIBUTE},
                    "ExpressionAttributeValues": {":bloop_o": owner},
                }}, {"constraint": constraint, "value": _python(constraint, self.held), "key": old_key}))
        return out


def known(one: Guarded) -> None:
    """After a successful save: bloop knows what the item holds for every unique column
    (the write's condition asserted it), so the next save need not read it first."""
    snap = snapshot(one.entry.obj, create=True)
    for column in one.columns:
        name = column.name
        if name in snap:
            continue
        if name not in one.untouched:
            snap[name] = one.new.get(name)
        elif one.held.get(name) is None:  # the item holds none, nor does the object
            snap[name] = None


def guarded(entry: Keyed, action: str) -> Optional[Guarded]:
    """A :class:`Guarded` for a save or delete of an object whose model has unique
    constraints, else None (one attribute check)."""
    if action not in ("save", "delete") or not type(entry.obj).Meta.uniques:
        return None
    return Guarded(entry, action)


# reading first -----------------------------------------------------------------------

def read_calls(pending: Sequence[Guarded]) -> List[Call]:
    """One consistent ``GetItem`` of the unknown unique columns per object."""
    calls = []
    for one in pending:
        request: Dict[str, Any] = {"TableName": one.entry.table, "Key": one.entry.key, "ConsistentRead": True}
        request.update(Renderer().render(projection=one.unknown))
        calls.append(Call("get_item", request))
    return calls


def settle_read(one: Guarded, response: Dict[str, Any]) -> None:
    """What the item holds for the columns that were unknown (None: no item, or no value)."""
    item = response.get("Item") or {}
    for column in one.unknown:
        wire = item.get(column.dynamo_name)
        one.held[column.name] = None if wire is None else column.typedef._load(wire)
    one.unknown = []


# errors ------------------------------------------------------------------------------

def violation(obj: Any, constraint: Constraint, value: Any, cause: str = "") -> UniqueViolation:
    """The error of a failed claim: names the model, the column(s) and the value."""
    model = type(obj)
    names = tuple(c.name for c in constraint)
    what = f"{model.__name__}.{names[0]}" if len(names) == 1 else f"{model.__name__}({', '.join(names)})"
    error = UniqueViolation(f"{what} must be unique, and another object holds {value!r}"
                            f"{cause}; nothing was written")
    error.model = model
    error.columns = names
    error.value = value
    error.obj = obj
    return error
