"""Building conditions: inert nodes made from columns with Python operators.

``Model.age >= 18``, ``Model.name.begins_with("a")``, ``Model.doc["tags"][0] == "x"``
build nodes and nothing else; :mod:`bloop.expressions` renders them into
DynamoDB's expression syntax.  Combine with ``&``, ``|`` and ``~``; start a loop
from :class:`Condition`, the empty condition::

    cond = Condition()
    for name in names:
        cond |= Model.name == name

``None`` combines as the empty condition too (``None & c`` is ``c``), so a loop may
start from ``None`` as PynamoDB's do.

A condition is never true or false in Python: ``bool(cond)`` raises TypeError,
because ``if Model.age > 3:`` is always a mistake.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Optional, Tuple, cast

from .actions import HOLDS, Action, Minus, Plus, SubtractFrom
from .exceptions import InvalidCondition, InvalidValue
from .types import check_text

__all__ = ["Condition", "Operand", "Path", "size", "And", "Or", "Not", "Comparison",
           "BeginsWith", "Between", "Contains", "In", "Exists", "IsType"]

_TYPE_CODES = {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"}

# What each function and operator works on, by backing type; checked where a condition or
# an arithmetic action is built, so the error points at the user's line.  A path into
# dynamic data has no backing type (""): DynamoDB checks what it holds.
_ORDERED = ("S", "N", "B")
_SIZED = ("S", "B", "SS", "NS", "BS", "L", "M")
_SEARCHED = ("S", "B", "SS", "NS", "BS", "L")
_PREFIXED = ("S", "B")
_NUMBERS = ("N",)
_ORDERING = ("<", "<=", ">", ">=")


def _supports(operand: "Operand", backings: Tuple[str, ...], what: str) -> None:
    """Refuse ``operand`` unless its type is one of ``backings``.

    :raises InvalidCondition: names the operand, the operation and the operand's type.
    """
    try:
        backing = operand.typedef.backing_type
    except InvalidValue as error:  # a path key the column's type refuses
        raise type(error)(f"{operand.where()}: {error}") from error
    if backing and backing not in backings:
        raise InvalidCondition(f"{operand.where()}: {what}, not {HOLDS.get(backing, backing)}")


class Operand:
    """Something a condition can be about: a column, a path into one, or ``size(...)``.

    Subclasses provide ``column`` (the :class:`~bloop.models.Column` the path starts
    at) and ``segments`` (map keys and list indexes below it).
    """

    column: Any
    segments: Tuple[Any, ...] = ()

    def __getitem__(self, key: Any) -> "Path":
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise InvalidCondition(f"paths go through map keys (str) and list indexes (int), not {key!r}")
        if isinstance(key, int) and key < 0:
            raise InvalidCondition(f"list indexes in a path must be >= 0, not {key}")
        if isinstance(key, str) and not key.isascii():
            # checked here: a condition without a value (is_(None), size(...)) dumps nothing
            # that would find it before DynamoDB does
            try:
                check_text(key)
            except InvalidValue as error:
                raise InvalidValue(f"{self.where()}[{key!r}]: the path key {error}") from None
        return Path(self.column, self.segments + (key,))

    def where(self) -> str:
        """``Model.column["key"][0]``: how error messages name this operand."""
        column = self.column
        tail = "".join(f"[{segment!r}]" for segment in self.segments)
        return f"{getattr(column.model, '__name__', '?')}.{column.name}{tail}"

    @property
    def typedef(self) -> Any:
        """The type of the value at this path, found by walking the column's type."""
        typedef = self.column.typedef
        for segment in self.segments:
            typedef = typedef._element(segment)
        return typedef

    # Every comparison builds a node; none evaluates anything.
    def __eq__(self, value: Any) -> "Condition":  # type: ignore[override]
        if value is None:
            return Exists(self, False)
        return Comparison("==", self, value)

    def __ne__(self, value: Any) -> "Condition":  # type: ignore[override]
        if value is None:
            return Exists(self, True)
        return Comparison("!=", self, value)

    def __lt__(self, value: Any) -> "Condition":
        return Comparison("<", self, value)

    def __le__(self, value: Any) -> "Condition":
        return Comparison("<=", self, value)

    def __gt__(self, value: Any) -> "Condition":
        return Comparison(">", self, value)

    def __ge__(self, value: Any) -> "Condition":
        return Comparison(">=", self, value)

    # Arithmetic builds an update action: ``obj.count = Model.count + 1``.
    def __add__(self, value: Any) -> Action:
        self._arithmetic()
        return Plus(value, source=self)

    def __sub__(self, value: Any) -> Action:
        self._arithmetic()
        return Minus(value, source=self)

    # ``1 + Model.count`` is ``Model.count + 1``; ``5 - Model.count`` sets the count to 5
    # minus itself (PynamoDB users write both).
    __radd__ = __add__

    def __rsub__(self, value: Any) -> Action:
        self._arithmetic()
        return SubtractFrom(value, source=self)

    def _arithmetic(self) -> None:
        _supports(self, _NUMBERS, "arithmetic works on numbers")

    def begins_with(self, prefix: Any) -> "Condition":
        return BeginsWith(self, prefix)

    def between(self, low: Any, high: Any) -> "Condition":
        return Between(self, low, high)

    def contains(self, value: Any) -> "Condition":
        return Contains(self, value)

    def in_(self, *values: Any) -> "Condition":
        """``in_([1, 2, 3])`` or ``in_(1, 2, 3)``: the value is one of these."""
        if len(values) == 1:
            return In(self, values[0])
        if not values:
            raise InvalidCondition("in_() needs at least one value")
        return In(self, values)

    def is_(self, value: Any) -> "Condition":
        """``==``: ``is_(None)`` is attribute_not_exists (bloop 3 spelled ``==`` so)."""
        return self.__eq__(value)

    def is_not(self, value: Any) -> "Condition":
        """``!=``: ``is_not(None)`` is attribute_exists (bloop 3 spelled ``!=`` so)."""
        return self.__ne__(value)

    # PynamoDB's spellings of the same conditions
    def exists(self) -> "Condition":
        """attribute_exists: ``Model.col.exists()`` is ``Model.col.is_not(None)``."""
        return Exists(self, True)

    def does_not_exist(self) -> "Condition":
        """attribute_not_exists: ``Model.col.does_not_exist()`` is ``Model.col.is_(None)``."""
        return Exists(self, False)

    def startswith(self, prefix: Any) -> "Condition":
        """``begins_with``."""
        return self.begins_with(prefix)

    def is_in(self, *values: Any) -> "Condition":
        """``in_``: ``Model.col.is_in(1, 2, 3)``."""
        return self.in_(*values)

    def is_type(self, type_code: Any) -> "Condition":
        """``attribute_type``: a DynamoDB type code ("S", "N", "L", ...) or a bloop Type."""
        code = getattr(type_code, "backing_type", type_code)
        if code not in _TYPE_CODES:
            raise InvalidCondition(f"{type_code!r} is not a DynamoDB type code")
        return IsType(self, code)

    __hash__ = object.__hash__


class Path(Operand):
    """A path into a column's map or list value: ``Model.doc["a"][0]``."""

    def __init__(self, column: Any, segments: Tuple[Any, ...]) -> None:
        self.column = column
        self.segments = segments

    def __repr__(self) -> str:
        tail = "".join(f"[{s!r}]" for s in self.segments)
        return f"<Path[{self.column!r}{tail}]>"


class Size(Operand):
    """``size(path)``: the length of a string, binary, set, list or map."""

    def __init__(self, operand: Operand) -> None:
        if not isinstance(operand, Operand) or isinstance(operand, Size):
            raise InvalidCondition(f"size() takes a column or a path, not {operand!r}")
        _supports(operand, _SIZED, "size() works on strings, binary, sets, lists and maps")
        self.operand = operand
        self.column = operand.column

    @property
    def typedef(self) -> Any:
        from .types import Integer
        return Integer()

    def __getitem__(self, key: Any) -> "Path":
        raise InvalidCondition("size(...) has no elements")

    def _arithmetic(self) -> None:
        raise InvalidCondition(f"{self.where()}: arithmetic updates an attribute, not its size")

    def where(self) -> str:
        return f"size({self.operand.where()})"

    def __repr__(self) -> str:
        return f"size({self.operand!r})"


def size(operand: Operand) -> Size:
    """The size of an attribute, for comparisons: ``size(Model.tags) > 3``."""
    return Size(operand)


class Condition:
    """The empty condition, and the base of every condition node.

    ``Condition()`` renders to nothing and disappears when combined:
    ``Condition() & c`` is ``c``.
    """

    kind = "empty"

    def __and__(self, other: Optional["Condition"]) -> "Condition":
        return _combine(And, self, other)

    def __or__(self, other: Optional["Condition"]) -> "Condition":
        return _combine(Or, self, other)

    def __invert__(self) -> "Condition":
        if self.kind == "empty":
            return self
        if isinstance(self, Not):
            return self.condition
        return Not(self)

    __rand__ = __and__
    __ror__ = __or__

    def __bool__(self) -> bool:
        raise TypeError(
            "a bloop condition has no truth value: combine conditions with & | ~ "
            "(not and/or/not) and pass them to a query, save or delete")

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "Condition()"


def _check(value: Any) -> Condition:
    if not isinstance(value, Condition):
        raise InvalidCondition(f"cannot combine a condition with {value!r}")
    return value


def _combine(cls: type[And], left: Optional[Condition], right: Optional[Condition]) -> Condition:
    # None is "no condition" here as everywhere a condition is optional: ``None & c`` is c
    left = _EMPTY if left is None else _check(left)
    right = _EMPTY if right is None else _check(right)
    if left.kind == "empty":
        return right
    if right.kind == "empty":
        return left
    parts: List[Condition] = []
    for part in (left, right):
        if type(part) is cls:
            parts.extend(part.conditions)
        else:
            parts.append(part)
    return cls(parts)


_EMPTY = Condition()


class And(Condition):
    kind = "and"

    def __init__(self, conditions: Iterable[Condition]) -> None:
        self.conditions = tuple(conditions)

    def __len__(self) -> int:
        return len(self.conditions)

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.conditions)) + ")"


class Or(And):
    kind = "or"

    def __repr__(self) -> str:
        return "(" + " | ".join(map(repr, self.conditions)) + ")"


class Not(Condition):
    kind = "not"

    def __init__(self, condition: Condition) -> None:
        self.condition = _check(condition)

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return f"~{self.condition!r}"


def _operand(value: Any) -> Operand:
    if not isinstance(value, Operand):
        raise InvalidCondition(f"a condition needs a column or path on its left, got {value!r}")
    return value


class Comparison(Condition):
    kind = "comparison"

    def __init__(self, operator: str, operand: Operand, value: Any) -> None:
        self.operator = operator
        self.operand = _operand(operand)
        self.value = value
        if operator in _ORDERING:
            _supports(self.operand, _ORDERED, f"{operator} compares strings, numbers and binary")

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return f"({self.operand!r} {self.operator} {self.value!r})"


class BeginsWith(Comparison):
    kind = "begins_with"

    def __init__(self, operand: Operand, value: Any) -> None:
        super().__init__("begins_with", operand, value)
        _supports(self.operand, _PREFIXED, "begins_with() works on strings and binary")


class Contains(Comparison):
    kind = "contains"

    def __init__(self, operand: Operand, value: Any) -> None:
        super().__init__("contains", operand, value)
        _supports(self.operand, _SEARCHED, "contains() works on strings, binary, sets and lists")


class Between(Comparison):
    kind = "between"

    def __init__(self, operand: Operand, low: Any, high: Any) -> None:
        super().__init__("between", operand, (low, high))
        _supports(self.operand, _ORDERED, "between() compares strings, numbers and binary")


class In(Comparison):
    kind = "in"

    def __init__(self, operand: Operand, values: Iterable[Any]) -> None:
        if isinstance(values, (str, bytes)):
            raise InvalidCondition("in_() takes a collection of values, not a single string")
        values = list(values)
        if not values:
            raise InvalidCondition("in_() needs at least one value")
        super().__init__("in", operand, values)


class Exists(Comparison):
    kind = "exists"

    def __init__(self, operand: Operand, exists: bool) -> None:
        super().__init__("exists" if exists else "not_exists", operand, exists)


class IsType(Comparison):
    kind = "is_type"

    def __init__(self, operand: Operand, code: str) -> None:
        super().__init__("is_type", operand, code)


def iter_conditions(condition: Condition) -> Iterator[Comparison]:
    """Every leaf condition below ``condition`` (for analysing key conditions)."""
    if isinstance(condition, (And, Or)):
        for part in condition.conditions:
            yield from iter_conditions(part)
    elif isinstance(condition, Not):
        yield from iter_conditions(condition.condition)
    elif condition.kind != "empty":
        yield cast(Comparison, condition)  # every other kind of node is a comparison
