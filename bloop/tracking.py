"""What changed since an object was last synchronised with DynamoDB.

bloop knows, for each column of an object, what DynamoDB holds: the *snapshot*
(a dict of column name to the value itself for immutable values, or to the
wire form for mutable ones, so that changes made in place are seen too).  A
save sends only the differences as one ``UpdateItem``:

- a column whose value differs from the snapshot: ``SET``;
- a column that is None (or deleted) but had a value: ``REMOVE``;
- a column bloop knows nothing about (a new object, or outside the projection
  the object was loaded with): ``SET`` if it has a value, ``REMOVE`` only if it
  was explicitly set to None or deleted; otherwise it is left alone.

Attributes the model does not declare are never touched, nor are the keys of a
stored map that its :class:`~bloop.types.Map` does not declare: a loaded map keeps
them and writes them back (see :class:`~bloop.containers.TrackedMap`), and a new
dict saved in place of a loaded map gets them from the snapshot
(:func:`~bloop.types.with_undeclared`).

An object just loaded carries no snapshot of its own, only a shared
:class:`Loaded` marker naming the columns it was loaded with: until something
changes, its values *are* what DynamoDB holds.  The snapshot is made from them
(:func:`snapshot`) when it is first needed: before a column is assigned or
deleted (``Column.__set__``), and when a save or delete looks at the object.
Changes made in place before that are no problem: lists, sets and dicts are
loaded as the containers of :mod:`bloop.containers`, which keep their loaded
content on their first change.  This is used only for columns whose types load
such containers or immutable values (:func:`tracks`); an object with any other
mutable column gets its snapshot when it is loaded.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, overload

from .actions import Action
from .containers import TrackedMap, loaded_view
from .dumping import describe, dump_column, dump_operand
from .exceptions import InvalidValue
from .types import Map, holds_undeclared, with_undeclared

__all__ = ["SNAPSHOT", "MAKING", "Loaded", "Changes", "tracks", "snapshot", "changes", "restate", "record", "forget",
           "wire_equal", "puttable",
           "dump_column", "describe", "dump_operand"]

#: where the snapshot (or a :class:`Loaded` marker) lives in the instance ``__dict__``
SNAPSHOT = "_bloop_snapshot"


class Loaded:
    """Stands for the snapshot of an object loaded with ``columns`` and not changed
    since: one is shared by every object loaded the same way."""

    __slots__ = ("columns",)

    def __init__(self, columns: Iterable[Any]) -> None:
        self.columns = tuple(columns)

    def snapshot(self, values: Dict[str, Any]) -> Dict[str, Any]:
        """The snapshot of an object holding ``values``, loaded with these columns."""
        snap: Dict[str, Any] = {}
        for column in self.columns:
            name = column.name
            value = values.get(name)
            if value is None:
                snap[name] = None
            elif column.typedef.mutable:
                try:
                    snap[name] = column.typedef._dump(loaded_view(value))
                except InvalidValue:
                    pass  # DynamoDB held something this type cannot write back: unknown
            else:
                snap[name] = value
        return snap

    def __repr__(self) -> str:
        return f"Loaded({', '.join(c.name for c in self.columns)})"


def tracks(typedef: Any) -> bool:
    """Values of ``typedef`` are immutable or tracked containers all the way down, so an
    object loaded with them needs no snapshot until it changes (see the module's text)."""
    from . import types
    if not typedef.mutable:
        return True
    kind = type(typedef)
    if kind is types.Set:
        return not typedef.inner.mutable
    if kind is types.List:
        return tracks(typedef.inner)
    if kind is types.Map:
        return all(tracks(field) for field in typedef.fields.values())
    # dynamic values load as tracked containers at every depth (types.load_dynamic)
    return kind in (types.DynamicList, types.DynamicMap, types._Dynamic)


#: held while a snapshot is made from a loaded object's values: an assignment in another
#: thread (which makes the snapshot first) waits, rather than being taken for what
#: DynamoDB holds
MAKING = threading.Lock()


@overload
def snapshot(obj: Any, create: Literal[True]) -> Dict[str, Any]: ...


@overload
def snapshot(obj: Any, create: bool = False) -> Optional[Dict[str, Any]]: ...


def snapshot(obj: Any, create: bool = False) -> Optional[Dict[str, Any]]:
    """The snapshot of ``obj`` (made now if it was only loaded), or None if DynamoDB's
    state is unknown; with ``create``, an empty snapshot is made and returned then."""
    values = obj.__dict__
    snap = values.get(SNAPSHOT)
    if snap.__class__ is Loaded:
        with MAKING:
            snap = values.get(SNAPSHOT)
            if snap.__class__ is Loaded:
                snap = values[SNAPSHOT] = snap.snapshot(values)
    elif snap is None and create:
        snap = values[SNAPSHOT] = {}
    known: Optional[Dict[str, Any]] = snap
    return known


def puttable(obj: Any, columns: Sequence[Any]) -> bool:
    """Whether ``obj`` may be written as a whole item (a put) without erasing anything
    it does not know: it is new (bloop knows nothing of its item, so the put is the
    documented whole-item write), or bloop knows DynamoDB's value of every column; and
    it holds no update action, which only an update can apply.

    An object loaded with a projection, from an index that does not project every
    column, or whose value a computed action made unknown, is not: it is updated.  Nor
    is one whose map holds, or held when loaded, keys its Map does not declare: an
    update writes them back whatever became of the loaded dict (see
    :func:`~bloop.types.with_undeclared`).
    """
    values = obj.__dict__
    snap = values.get(SNAPSHOT)
    if snap is not None:
        if snap.__class__ is Loaded:
            if len(snap.columns) < len(columns):
                return False
        else:
            for column in columns:
                if column.name not in snap:
                    return False
                typedef = column.typedef
                if isinstance(typedef, Map) and holds_undeclared(typedef, snap[column.name]):
                    return False
    for value in values.values():
        if isinstance(value, Action) or value.__class__ is TrackedMap:
            return False
    return True


Entry = Tuple[Any, str, Optional[Dict[str, Any]]]

#: stands for "not among the values a request carried"
_UNSENT = object()


class Changes(List[Entry]):
    """The update entries of one save, and what the request carries for them.

    :ivar sent: column name -> the value (or action) the entries of that column were
        made from.  :func:`record` records these rather than the object's values then, so
        a value assigned while the request is in flight is not taken for saved.
    """

    __slots__ = ("sent",)

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        super().__init__(entries)
        self.sent: Dict[str, Any] = {}


def wire_equal(a: Optional[Dict[str, Any]], b: Optional[Dict[str, Any]]) -> bool:
    """Equality of two wire values, with sets compared as sets."""
    if a is None or b is None:
        return a is b
    if a.keys() != b.keys():
        return False
    (kind, left), = a.items()
    right = b[kind]
    if kind in ("SS", "BS"):
        return set(left) == set(right)
    if kind == "NS":
        from decimal import Decimal
        return {Decimal(x) for x in left} == {Decimal(x) for x in right}
    if kind == "L":
        return len(left) == len(right) and all(wire_equal(x, y) for x, y in zip(left, right))
    if kind == "M":
        return left.keys() == right.keys() and all(wire_equal(left[k], right[k]) for k in left)
    if kind == "N":
        return left == right or _same_number(left, right)
    return bool(left == right)


def _same_number(a: str, b: str) -> bool:
    from decimal import Decimal, InvalidOperation
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def _holds_action(value: Any) -> bool:
    if isinstance(value, Action):
        return True
    if isinstance(value, dict):
        return any(_holds_action(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_action(v) for v in value)
    return False


def _nested(operand: Any, value: Any, old: Optional[Dict[str, Any]], known: bool, out: List[Entry]) -> None:
    """Path-level entries for a map or list value holding actions somewhere inside.

    Keys whose value is unchanged are not sent; keys removed from a known map are REMOVEd.
    """
    if isinstance(value, Action):
        out.append((operand, value.kind, value.wire(operand)))
        return
    if isinstance(value, dict) and _holds_action(value):
        old_map = old.get("M") if isinstance(old, dict) else None
        typedef = operand.typedef
        declared = typedef.fields if isinstance(typedef, Map) else None
        for key, item in value.items():
            path = operand[key]
            if item is None:
                if not known or (old_map is not None and key in old_map):
                    out.append((path, "remove", None))
                continue
            _nested(path, item, old_map.get(key) if old_map else None, known and old_map is not None, out)
        for key in (old_map or {}):
            if key not in value and (declared is None or key in declared):  # others are not bloop's
                out.append((operand[key], "remove", None))
        return
    if isinstance(value, list) and _holds_action(value):
        old_list = old.get("L") if isinstance(old, dict) else None
        if old_list is not None and len(old_list) != len(value):
            raise InvalidValue(f"{describe(operand)}: a list holding actions must keep its length "
                               f"({len(old_list)} when loaded, {len(value)} now)")
        for index, item in enumerate(value):
            path = operand[index]
            if item is None:
                out.append((path, "remove", None))
                continue
            _nested(path, item, old_list[index] if old_list else None, known and old_list is not None, out)
        return
    wire = dump_operand(operand, value)
    if known and wire_equal(wire, old):
        return
    out.append((operand, "remove" if wire is None else "set", wire))


_NOT_DUMPED = object()


def changes(obj: Any, columns: Iterable[Any]) -> Changes:
    """The update entries that bring DynamoDB in line with ``obj`` for ``columns``."""
    snap: Dict[str, Any] = snapshot(obj) or {}
    values = obj.__dict__
    out = Changes()
    sent = out.sent
    for column in columns:
        name = column.name
        value = values.get(name)
        if isinstance(value, Action):
            out.append((column, value.kind, value.wire(column)))
            sent[name] = value
            continue
        known = name in snap
        if column.typedef.mutable and _holds_action(value):
            _nested(column, value, snap.get(name), known, out)
            sent[name] = value
            continue
        if value is None:
            if (known and snap[name] is not None) or (not known and name in values):
                out.append((column, "remove", None))
            continue
        wire: Any = _NOT_DUMPED
        if known:
            old = snap[name]
            if column.typedef.mutable:
                wire = dump_column(column, value)
                if old is not None and isinstance(column.typedef, Map):
                    wire = with_undeclared(column.typedef, wire, old)  # a new dict keeps them too
                if wire_equal(wire, old):
                    continue
            elif old is not None and old.__class__ is value.__class__ and old == value:
                continue
        if wire is _NOT_DUMPED:  # dumped once per save: a type's code may count, or be slow
            wire = dump_column(column, value)
        if wire is None:  # an empty set: DynamoDB has no empty sets, so the attribute goes
            if not known or snap[name] is not None:
                out.append((column, "remove", None))
            continue
        out.append((column, "set", wire))
        sent[name] = value
    return out


def restate(obj: Any, columns: Iterable[Any]) -> Changes:
    """``SET`` entries for every value of ``columns`` the object holds (what a save sends
    when nothing changed, so the item is left holding the object's values)."""
    values = obj.__dict__
    snap: Dict[str, Any] = snapshot(obj) or {}
    out = Changes()
    for column in columns:
        name = column.name
        value = values.get(name)
        # a mutable value was just dumped by changes() and found equal to its snapshot's
        # wire, which is sent rather than dumping it again (a type's code may count, or be slow)
        wire = snap[name] if column.typedef.mutable and name in snap else dump_column(column, value)
        if wire is not None:
            out.append((column, "set", wire))
            out.sent[column.name] = value
    return out


def record(obj: Any, entries: Iterable[Entry], keys: Iterable[Any] = ()) -> None:
    """After a successful write: the snapshot now says what was written.

    It records what the request carried: for entries made by :func:`changes`, the values
    they were made from (a value assigned to the object while the request was in flight
    stays unsaved, and the next save sends it); for others, the object's values now.
    """
    snap = snapshot(obj, create=True)
    values = obj.__dict__
    sent: Dict[str, Any] = getattr(entries, "sent", None) or {}
    for column in keys:
        snap[column.name] = values.get(column.name)
    for operand, kind, wire in entries:
        column = operand.column
        name = column.name
        carried = sent.get(name, _UNSENT)
        current = values.get(name)
        # still what the request carried (a value assigned since is the object's own)
        unchanged = carried is _UNSENT or carried is current
        if operand is not column:
            # Written path by path (actions inside a map or list): the whole value is
            # known again only after a load or a save with sync="new".
            if unchanged:
                values.pop(name, None)
            snap.pop(name, None)
            continue
        if kind == "remove" or wire is None:
            snap[name] = None
            if current is None:
                values.pop(name, None)
        elif kind == "set" and not isinstance(current if carried is _UNSENT else carried, Action):
            snap[name] = wire if column.typedef.mutable else (current if carried is _UNSENT else carried)
        else:
            # An action computed in DynamoDB (add, append, ...): the result is unknown
            # here until the object is loaded again or saved with sync="new".
            if unchanged:
                values.pop(name, None)
            snap.pop(name, None)


def record_all(obj: Any, columns: Iterable[Any], item: Dict[str, Dict[str, Any]]) -> None:
    """After a whole-item write (PutItem): every column is known."""
    values = obj.__dict__
    snap: Dict[str, Any] = {}
    for column in columns:
        value = values.get(column.name)
        if value is None:
            snap[column.name] = None
        elif column.typedef.mutable:
            snap[column.name] = item.get(column.dynamo_name)
        else:
            snap[column.name] = value
    values[SNAPSHOT] = snap


def forget(obj: Any) -> None:
    """After a delete: DynamoDB holds nothing for this object any more."""
    obj.__dict__.pop(SNAPSHOT, None)
