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

from typing import Any, ClassVar, Dict, Optional, Tuple

from .exceptions import InvalidCondition, InvalidValue

__all__ = ["Action", "set", "remove", "add", "delete", "append", "prepend", "if_not_exists",
           "plus", "minus", "subtract_from"]


class Action:
    """One update action on a column; each kind is a subclass, and ``kind`` names it
    (the renderer writes it with its ``update_<kind>`` method).

    ``Action(kind, value)`` still builds the subclass of that kind.
    """

    __slots__ = ("value", "source")

    value: Any
    source: Any
    kind: ClassVar[str] = ""
    #: the backing types of a target this action fits (empty: every type), and how to say so
    fits: ClassVar[Tuple[str, ...]] = ()
    fits_what: ClassVar[str] = ""
    _kinds: ClassVar[Dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Action._kinds[cls.kind] = cls

    def __new__(cls, *args: Any, **kwargs: Any) -> "Action":
        # everything is set here (there is no __init__), so that Action("add", 1) can
        # build the subclass of that kind and Add(1) the same object
        if cls is Action:
            kind, *args = args if args else (kwargs.pop("kind", None),)  # type: ignore[assignment]
            if kind not in Action._kinds:
                raise InvalidCondition(f"unknown update action {kind!r}")
            cls = Action._kinds[kind]
        return cls._build(*args, **kwargs)

    @classmethod
    def _build(cls, value: Any = None, source: Any = None) -> "Action":
        self = object.__new__(cls)
        self.value = value
        #: for arithmetic (``Model.count + 1``): the column the expression reads
        self.source = source
        return self

    def check(self, target: Any) -> None:
        """Refuse a target (a column or a path) this action does not fit.

        :raises InvalidCondition: the target's type does not support the action.
        """
        backing = _typedef(target).backing_type
        # a dynamic value ("") can hold anything: DynamoDB checks it
        if self.fits and backing and backing not in self.fits:
            raise InvalidCondition(f"{target.where()}: {self.fits_what}, not {HOLDS.get(backing, backing)}")

    def wire(self, target: Any) -> Optional[Dict[str, Any]]:
        """The action's operand dumped with the type of ``target`` (a column or a path)."""
        self.check(target)
        typedef = _typedef(target)
        try:
            wire: Optional[Dict[str, Any]] = typedef._dump(self.value)
        except InvalidValue as error:  # name the column (bloop.types does not know it)
            raise type(error)(f"{target.where()}: {error}") from error
        if wire is None:
            raise InvalidCondition(f"{target.where()}: {self.kind}() of an empty value")
        return wire

    def __repr__(self) -> str:
        return f"actions.{self.kind}({'' if self.value is None else repr(self.value)})"


#: what an attribute of each backing type is, for error messages
HOLDS = {"S": "a string", "N": "a number", "B": "binary", "BOOL": "a boolean", "NULL": "null",
         "SS": "a set", "NS": "a set", "BS": "a set", "L": "a list", "M": "a map"}


def _typedef(target: Any) -> Any:
    try:
        return target.typedef
    except InvalidValue as error:  # a path key the column's type refuses
        raise type(error)(f"{target.where()}: {error}") from error


def same_path(a: Any, b: Any) -> bool:
    """Whether two operands name the same attribute path."""
    return a.column is b.column and tuple(a.segments) == tuple(b.segments)


class Set(Action):
    """SET the attribute to a value."""
    __slots__ = ()
    kind = "set"


class Remove(Action):
    """REMOVE the attribute."""
    __slots__ = ()
    kind = "remove"

    def wire(self, target: Any) -> Optional[Dict[str, Any]]:
        return None


class Add(Action):
    """ADD to a number or a set."""
    __slots__ = ()
    kind = "add"
    fits = ("N", "SS", "NS", "BS")
    fits_what = "add() works on numbers and sets"


class Delete(Action):
    """DELETE elements from a set."""
    __slots__ = ()
    kind = "delete"
    fits = ("SS", "NS", "BS")
    fits_what = "delete() works on sets"


class Append(Action):
    """SET a list to itself with values after it."""
    __slots__ = ()
    kind = "append"
    fits = ("L",)
    fits_what = "append() works on lists"


class Prepend(Append):
    """SET a list to values followed by itself."""
    __slots__ = ()
    kind = "prepend"
    fits_what = "prepend() works on lists"


class IfNotExists(Action):
    """SET the attribute unless it exists."""
    __slots__ = ()
    kind = "if_not_exists"


class Arithmetic(Action):
    """SET a number to itself plus or minus a value; from ``Model.col + n`` it reads
    ``Model.col`` and must be assigned to it."""
    __slots__ = ()
    fits = ("N",)
    fits_what = "arithmetic works on numbers"

    def check(self, target: Any) -> None:
        if self.source is not None and not same_path(self.source, target):
            where = target.where()
            raise InvalidCondition(
                f"{where}: arithmetic must read what it is assigned to ({where} = {where} + n)")
        super().check(target)


class Plus(Arithmetic):
    __slots__ = ()
    kind = "plus"


class Minus(Arithmetic):
    __slots__ = ()
    kind = "minus"


class SubtractFrom(Arithmetic):
    __slots__ = ()
    kind = "subtract_from"


def set(value: Any) -> Action:  # noqa: A001 - the clause's name
    """SET the column to ``value`` (the same as assigning the value)."""
    return Set(value)


def remove() -> Action:
    """REMOVE the attribute."""
    return Remove()


def add(value: Any) -> Action:
    """ADD a number to a number, or elements to a set (creating either if missing)."""
    return Add(value)


def delete(value: Any) -> Action:
    """DELETE elements from a set."""
    return Delete(value)


def append(values: Any) -> Action:
    """SET the list to ``list_append(list, values)``."""
    return Append(values)


def prepend(values: Any) -> Action:
    """SET the list to ``list_append(values, list)``."""
    return Prepend(values)


def if_not_exists(value: Any) -> Action:
    """SET the attribute to ``value`` only if it does not exist yet."""
    return IfNotExists(value)


def plus(value: Any) -> Action:
    """SET the number to itself plus ``value`` (``Model.count + value`` does the same)."""
    return Plus(value)


def minus(value: Any) -> Action:
    """SET the number to itself minus ``value`` (``Model.count - value`` does the same)."""
    return Minus(value)


def subtract_from(value: Any) -> Action:
    """SET the number to ``value`` minus itself (``value - Model.count`` does the same)."""
    return SubtractFrom(value)
