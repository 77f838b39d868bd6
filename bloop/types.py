"""Column types: how a Python value becomes a DynamoDB attribute value and back.

A type converts between a Python value and the *inner* wire value of one
DynamoDB data type (``"S"``, ``"N"``, ``"B"``, ``"BOOL"``, ``"SS"``, ``"NS"``,
``"BS"``, ``"L"``, ``"M"``).  User types subclass :class:`Type` (or a built-in
type) and override :meth:`Type.dynamo_dump` / :meth:`Type.dynamo_load`::

    class Point(bloop.Type):
        python_type = tuple
        backing_type = "S"

        def dynamo_dump(self, value, *, context=None):
            return f"{value[0]},{value[1]}"

        def dynamo_load(self, value, *, context=None):
            x, y = value.split(",")
            return (int(x), int(y))

Every dump checks the value's Python type and DynamoDB's rules for numbers,
so a bad value raises :class:`~bloop.exceptions.InvalidValue` (or its
``TypeError`` subclass :class:`~bloop.exceptions.InvalidType`) before any request.
"""
from __future__ import annotations

import datetime
import decimal
import enum
import json
import typing
import uuid
from typing import TYPE_CHECKING, Any, Dict, Generic, NamedTuple, Optional, TypeVar

from . import limits
from .containers import TrackedDict, TrackedList, TrackedMap, TrackedSet, keeping
from .exceptions import InvalidModel, InvalidType, InvalidValue

__all__ = [
    "Type", "String", "Number", "Integer", "Float", "Binary", "Boolean", "UUID",
    "DateTime", "Timestamp", "Enum", "JSON", "Set", "List", "Map",
    "DynamicList", "DynamicMap",
]

UTC = datetime.timezone.utc

#: the Python type of a column type's values (``Column(String)`` is a ``Column[str]``)
T = TypeVar("T")
E = TypeVar("E")
EnumT = TypeVar("EnumT", bound=enum.Enum)
#: a DynamoDB attribute value, such as ``{"S": "text"}``: one data type and its inner wire value
Wire = Dict[str, Any]
_FLOAT_MIN = 1e-130
_FLOAT_MAX = 1e126  # exclusive: this float's repr is "1e+126", above DynamoDB's largest number


def instance(typedef: Any) -> "Type[Any]":
    """A Type instance from a Type class or instance (``Column(String)`` or ``Column(String())``)."""
    if isinstance(typedef, type) and issubclass(typedef, Type):
        typedef = typedef()
    if not isinstance(typedef, Type):
        raise InvalidModel(f"{typedef!r} is not a bloop Type (class or instance)")
    return typedef


def is_text(value: str) -> bool:
    """``value`` can be stored: DynamoDB's strings are UTF-8, which has no lone surrogates
    (such as ``"\\ud800"``, which Python's ``str`` allows)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def text_error(value: str, position: int) -> InvalidValue:
    """The error for a string holding a lone surrogate at ``position``."""
    return InvalidValue(
        f"{value!r:.80} holds a lone surrogate ({value[position]!r} at index {position}); DynamoDB "
        "stores text as UTF-8, which cannot encode it")


def check_text(value: str) -> str:
    """``value``, or :class:`~bloop.exceptions.InvalidValue` if DynamoDB cannot store it
    (see :func:`is_text`).  ASCII, the common case, is one fast check."""
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError as error:
            raise text_error(value, error.start) from None
    return value


def _wrong(expected: str, value: Any) -> InvalidType:
    return InvalidType(f"expected {expected}, got {type(value).__name__} {value!r:.80}")


def check_number(value: decimal.Decimal) -> str:
    """DynamoDB's number rules; returns the wire string.

    38 significant digits, magnitude 1E-130 to 9.99..E+125, no NaN or Infinity.
    """
    if not value.is_finite():
        raise InvalidValue(f"DynamoDB cannot store {value}: numbers must be finite")
    if value.is_zero():
        return "0"
    # Count digits and read the exponent exactly: arithmetic in a decimal context
    # (normalize, abs) would round long values into range (or overflow).
    significant = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(significant) > limits.MAX_NUMBER_DIGITS:
        raise InvalidValue(
            f"{value} has {len(significant)} significant digits; DynamoDB keeps at most "
            f"{limits.MAX_NUMBER_DIGITS}")
    # With at most 38 digits, 1E-130 <= |value| <= 9.99..9E+125 is a range of exponents.
    if not limits.MIN_POSITIVE_NUMBER.adjusted() <= value.adjusted() <= limits.MAX_NUMBER.adjusted():
        raise InvalidValue(f"{value} is outside DynamoDB's number range 1E-130 .. 9.99E+125")
    return str(value)


def dump_int(value: int) -> str:
    if -10**38 < value < 10**38:
        return str(value)
    return check_number(decimal.Decimal(value))


def dump_float(value: float) -> str:
    magnitude = abs(value)
    if magnitude == 0.0:
        return "0"
    if _FLOAT_MIN <= magnitude < _FLOAT_MAX:
        return repr(value)
    if magnitude != magnitude or magnitude == float("inf"):
        raise InvalidValue(f"DynamoDB cannot store {value}: numbers must be finite")
    return check_number(decimal.Decimal(repr(value)))


def load_decimal(value: Any) -> decimal.Decimal:
    """A wire number as an exact Decimal; anything that is not a number is InvalidValue
    (Decimal itself would raise ``decimal.InvalidOperation``, an ArithmeticError)."""
    try:
        return decimal.Decimal(value)
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise InvalidValue(f"{value!r:.80} is not a number") from None


def load_int(value: str) -> int:
    """A wire number as an int: 2, 2.0 and 2E0 load as 2; 2.5 is refused rather than
    truncated (a later save would write the truncated value back)."""
    try:
        return int(value)
    except ValueError:
        pass
    number = load_decimal(value)
    if not number.is_finite() or number != number.to_integral_value():
        raise InvalidValue(f"{value!r:.80} is not a whole number: an Integer would lose its fraction "
                           "(declare the column a Number or Float to keep it)")
    return int(number)


def load_float(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidValue(f"{value!r:.80} is not a number") from None


class Inline(NamedTuple):
    """A type's fast path, as source fragments the compiled codecs (:mod:`bloop.codec.compiler`)
    write inline about a value in the variable ``v`` they were given: for a value that
    ``condition`` holds for, ``_dump`` returns ``{kind: inner}``, whose DynamoDB size
    (without the attribute name) is ``size``.  ``size`` may read ``_s``, the codec's name for
    the inner value once it is computed.  The fragments use only Python's builtins and the
    names in :data:`INLINE_NAMES`."""

    condition: str
    kind: str
    inner: str
    size: str


def _only_str(values: Any) -> bool:
    for value in values:
        if value.__class__ is not str:
            return False
    return True


def _only_text(values: Any) -> bool:
    """Exact strs DynamoDB can store (no lone surrogate)."""
    for value in values:
        if value.__class__ is not str or not (value.isascii() or is_text(value)):
            return False
    return True


def _string_size(text: str) -> str:
    """The fragment of a str's size in UTF-8 bytes (DynamoDB's size of a string)."""
    return f"(len({text}) if {text}.isascii() else len({text}.encode()))"


class Type(Generic[T]):
    """Base class for every column type; ``T`` is the Python type of its values.

    :cvar python_type: the Python type of loaded values (documentation and typing).
    :cvar backing_type: the DynamoDB data type, e.g. ``"S"``.
    :cvar mutable: values may change in place (lists, sets, dicts), so a snapshot
        of them is a copy, not a reference.
    """

    python_type: Any = object
    backing_type: str = ""
    mutable = False

    def dynamo_dump(self, value: Any, *, context: Any = None) -> Any:
        """Python value -> inner wire value.  Return None to leave the attribute out."""
        return value

    def dynamo_load(self, value: Any, *, context: Any = None) -> Any:
        """Inner wire value -> Python value."""
        return value

    # The two entry points the rest of bloop uses: they add and strip the type tag.
    def _dump(self, value: Any, context: Any = None) -> Optional[Wire]:
        if value is None:
            return None
        inner = self.dynamo_dump(value, context=context)
        if inner is None:
            return None
        if inner.__class__ is str and not inner.isascii():
            check_text(inner)  # any type's string, bloop's or a user's
        return {self.backing_type: inner}

    def _load(self, wire: Optional[Wire], context: Any = None) -> Any:
        if wire is None:
            return None
        try:
            inner = wire[self.backing_type]
        except KeyError:
            if "NULL" in wire:
                return None
            raise InvalidValue(
                f"{self!r} expected a {self.backing_type!r} attribute, got {wire!r:.80}") from None
        return self.dynamo_load(inner, context=context)

    def _element(self, key: Any) -> "Type[Any]":
        """The type of ``value[key]``, for paths such as ``Model.doc["a"][0]``."""
        raise InvalidValue(f"{self!r} has no elements; {key!r} cannot be looked up in it")

    # The fast-path rules of bloop's own types, for the compiled codecs.  The codecs ask them
    # only of a type that is exactly one of bloop's (a user's subclass converts as it likes).
    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        """The values ``v`` this type dumps without a check, or None (the codec calls ``_dump``).

        :param sized: the codec sizes the wire (which finds text DynamoDB cannot store), so
            the condition need not look for it.
        """
        return None

    def _inline_load(self, w: str) -> Optional[str]:
        """An expression equal to ``_load(w)`` when it raises nothing (it may raise where
        ``_load`` would not: the codec then calls ``_load``), or None."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class String(Type[str]):
    python_type = str
    backing_type = "S"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        if value.__class__ is not str and not isinstance(value, str):
            raise _wrong("str", value)
        return value

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        condition = f"{v}.__class__ is str" if sized else f"{v}.__class__ is str and ({v}.isascii() or _is_text({v}))"
        return Inline(condition, "S", v, _string_size(v))

    def _inline_load(self, w: str) -> Optional[str]:
        return f"{w}['S']"


class Number(Type[decimal.Decimal]):
    """Exact numbers as :class:`decimal.Decimal`; ints and floats are accepted on dump."""

    python_type: Any = decimal.Decimal
    backing_type = "N"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        if isinstance(value, decimal.Decimal):
            return check_number(value)
        if isinstance(value, bool):
            raise _wrong("a number", value)
        if isinstance(value, int):
            return dump_int(value)
        if isinstance(value, float):
            return dump_float(value)
        raise _wrong("a number", value)

    def dynamo_load(self, value: Any, *, context: Any = None) -> decimal.Decimal:
        return load_decimal(value)

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        # an exact int of at most 38 digits is its str; the size counts digits and sign
        return Inline(f"{v}.__class__ is int and -_B < {v} < _B", "N", f"str({v})",
                      f"((len(_s) + 3) // 2 if {v} >= 0 else (len(_s) + 2) // 2)")

    def _inline_load(self, w: str) -> Optional[str]:
        return f"_Decimal({w}['N'])"


if TYPE_CHECKING:  # for type checkers, each number type has its own Python type
    _IntegerBase = Type[int]
    _FloatBase = Type[float]
else:  # at run time both are Numbers
    _IntegerBase = _FloatBase = Number


class Integer(_IntegerBase):
    python_type = int

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        if value.__class__ is int:
            return dump_int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong("int", value)
        return dump_int(int(value))

    def dynamo_load(self, value: Any, *, context: Any = None) -> int:
        return load_int(value)

    def _inline_load(self, w: str) -> Optional[str]:
        # int() refuses fractions and exponents, which then take _load
        return f"int({w}['N'])"


class Float(_FloatBase):
    """Floats travel through ``repr``, so 1.1 is stored as 1.1, not 1.100000000000000088."""

    python_type = float

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        if value.__class__ is float:
            return dump_float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise _wrong("float", value)
        return dump_float(float(value))

    def dynamo_load(self, value: Any, *, context: Any = None) -> float:
        return load_float(value)

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        # repr of a finite float is -?digits.digits unless it has an exponent: its size
        # counts the digits
        return Inline(f"{v}.__class__ is float and {_FLOAT_MIN!r} <= abs({v}) < {_FLOAT_MAX!r}", "N", f"repr({v})",
                      "((len(_s) + 2 - (_s[0] == '-')) // 2 if 'e' not in _s else _number_size(_s))")

    def _inline_load(self, w: str) -> Optional[str]:
        return f"float({w}['N'])"


class Binary(Type[bytes]):
    python_type = bytes
    backing_type = "B"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise _wrong("bytes", value)

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        return Inline(f"{v}.__class__ is bytes", "B", v, f"len({v})")

    def _inline_load(self, w: str) -> Optional[str]:
        return f"{w}['B']"


class Boolean(Type[bool]):
    python_type = bool
    backing_type = "BOOL"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> bool:
        if value is True or value is False:
            return value
        raise _wrong("bool", value)

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        return Inline(f"{v} is True or {v} is False", "BOOL", v, "1")

    def _inline_load(self, w: str) -> Optional[str]:
        return f"{w}['BOOL']"


class UUID(Type[uuid.UUID]):
    python_type = uuid.UUID
    backing_type = "S"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        if not isinstance(value, uuid.UUID):
            raise _wrong("uuid.UUID", value)
        return str(value)

    def dynamo_load(self, value: Any, *, context: Any = None) -> uuid.UUID:
        return uuid.UUID(value)

    def _inline_load(self, w: str) -> Optional[str]:
        return f"_UUID({w}['S'])"


def _aware_utc(value: Any) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise _wrong("datetime.datetime", value)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValue(
            f"naive datetime {value!r} refused: give it a timezone "
            "(datetime.timezone.utc) so it means one instant")
    return value.astimezone(UTC)


class DateTime(Type[datetime.datetime]):
    """Timezone-aware datetimes, stored as fixed-width UTC ISO-8601 strings.

    Fixed width (always microseconds, always ``+00:00``) keeps string order equal to
    time order, so range-key conditions on a DateTime compare instants.  Loaded
    values are in UTC.
    """

    python_type = datetime.datetime
    backing_type = "S"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        return _aware_utc(value).isoformat(timespec="microseconds")

    def dynamo_load(self, value: Any, *, context: Any = None) -> datetime.datetime:
        return datetime.datetime.fromisoformat(value).astimezone(UTC)

    def _inline_load(self, w: str) -> Optional[str]:
        return f"_fromiso({w}['S']).astimezone(_UTC)"


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)


class Timestamp(Type[datetime.datetime]):
    """Timezone-aware datetimes stored as epoch seconds (a Number): the type for TTL.

    Whole seconds are stored as an integer; sub-second values keep their
    microseconds as a decimal fraction rather than being silently truncated.
    """

    python_type = datetime.datetime
    backing_type = "N"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        # Exact integer arithmetic on microseconds: correct before 1970 too, where
        # the fraction counts towards the past (-0.5 is 23:59:59.5).
        micros = (_aware_utc(value) - _EPOCH) // _MICROSECOND
        seconds, fraction = divmod(micros, 1_000_000)
        if fraction:
            return str(decimal.Decimal(micros).scaleb(-6))
        return str(seconds)

    def dynamo_load(self, value: Any, *, context: Any = None) -> datetime.datetime:
        if "." in value or "E" in value or "e" in value:
            number = load_decimal(value)
            if not number.is_finite():
                raise InvalidValue(f"{value!r:.80} is not a number of seconds")
            micros = int(number.scaleb(6))
            return _EPOCH + datetime.timedelta(microseconds=micros)
        try:
            seconds = int(value)
        except ValueError:
            load_decimal(value)  # "not a number" unless it is one, such as NaN
            raise InvalidValue(f"{value!r:.80} is not a number of seconds") from None
        return _EPOCH + datetime.timedelta(seconds=seconds)

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        # whole seconds of a UTC datetime; fractions and other zones take _dump
        return Inline(f"{v}.__class__ is _datetime and {v}.tzinfo is _UTC "
                      f"and not (_delta := {v} - _EPOCH).microseconds",
                      "N", "str(_delta.days * 86400 + _delta.seconds)",
                      "((len(_s) + 3) // 2 if _s.isdigit() else _number_size(_s))")

    def _inline_load(self, w: str) -> Optional[str]:
        # int() refuses fractions and exponents, which then take _load
        return f"_fromtimestamp(int({w}['N']), _UTC)"


class Enum(Type[EnumT]):
    """Members of an :class:`enum.Enum`, stored by name."""

    backing_type = "S"

    def __init__(self, enum_cls: type[EnumT]) -> None:
        if not (isinstance(enum_cls, type) and issubclass(enum_cls, enum.Enum)):
            raise InvalidModel(f"Enum needs an enum.Enum subclass, got {enum_cls!r}")
        self.enum_cls = enum_cls
        self.python_type = enum_cls

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        if not isinstance(value, self.enum_cls):
            raise _wrong(self.enum_cls.__name__, value)
        return value.name

    def dynamo_load(self, value: Any, *, context: Any = None) -> EnumT:
        try:
            return self.enum_cls[value]
        except KeyError:
            raise InvalidValue(f"{value!r} is not a member of {self.enum_cls.__name__}") from None

    def __repr__(self) -> str:
        return f"Enum({self.enum_cls.__name__})"


class JSON(Type[Any]):
    """Any JSON-serialisable value, stored as a compact JSON string."""

    backing_type = "S"
    mutable = True

    def dynamo_dump(self, value: Any, *, context: Any = None) -> str:
        try:
            return json.dumps(value, separators=(",", ":"), sort_keys=True)
        except (TypeError, ValueError) as error:
            raise InvalidType(f"value is not JSON-serialisable: {error}") from None

    def dynamo_load(self, value: Any, *, context: Any = None) -> Any:
        return json.loads(value)

    def _inline_load(self, w: str) -> Optional[str]:
        return f"_json_loads({w}['S'])"


class Set(Type[typing.Set[E]]):
    """A set of strings, numbers or binaries (``SS``, ``NS``, ``BS``).

    An empty set cannot be stored in DynamoDB: it dumps to nothing, so saving it
    removes the attribute.  Elements that are equal once normalised (1 and 1.0)
    are one element; a list with both is refused.
    """

    python_type = set
    mutable = True

    def __init__(self, typedef: Type[E] | type[Type[E]]) -> None:
        self.inner = instance(typedef)
        if self.inner.backing_type not in ("S", "N", "B"):
            raise InvalidModel(
                f"Set elements must be a string, number or binary type, not {self.inner!r}")
        self.backing_type = self.inner.backing_type + "S"

    def dynamo_dump(self, value: Any, *, context: Any = None) -> Optional[typing.List[Any]]:
        if not isinstance(value, (set, frozenset, list, tuple)):
            raise _wrong("a set", value)
        if not value:
            return None
        dump = self.inner.dynamo_dump
        out = [dump(v, context=context) for v in value]
        if self.backing_type == "NS":
            seen = {decimal.Decimal(v) for v in out}
        else:
            if self.backing_type == "SS":
                for text in out:
                    if text.__class__ is str and not text.isascii():
                        check_text(text)
            seen = set(out)
        if len(seen) != len(out):
            raise InvalidValue(f"set {value!r:.80} has duplicate elements once normalised")
        return out

    def dynamo_load(self, value: Any, *, context: Any = None) -> typing.Set[E]:
        load = self.inner.dynamo_load
        return TrackedSet([load(v, context=context) for v in value])

    def _inline_dump(self, v: str, sized: bool) -> Optional[Inline]:
        if type(self.inner) is not String:
            return None
        # a set of exact strs has no duplicates, so it needs no check but its element types
        only = "_only_str" if sized else "_only_text"
        return Inline(f"({v}.__class__ is set or {v}.__class__ is _TSet or {v}.__class__ is frozenset) "
                      f"and {v} and {only}({v})", "SS", f"list({v})",
                      "sum([len(_e) if _e.isascii() else len(_e.encode()) for _e in _s])")

    def _inline_load(self, w: str) -> Optional[str]:
        parse = _SET_PARSE.get(type(self.inner), False)
        if parse is False:
            return None
        if parse is None:
            return f"_TSet({w}[{self.backing_type!r}])"
        return f"_TSet(map({parse}, {w}[{self.backing_type!r}]))"

    def __repr__(self) -> str:
        return f"Set({self.inner!r})"


class List(Type[typing.List[E]]):
    """A list whose elements are all of one type (``L``); None elements are ``NULL``."""

    python_type = list
    backing_type = "L"
    mutable = True

    def __init__(self, typedef: Type[E] | type[Type[E]]) -> None:
        self.inner = instance(typedef)

    def dynamo_dump(self, value: Any, *, context: Any = None) -> typing.List[Wire]:
        if not isinstance(value, (list, tuple)):
            raise _wrong("a list", value)
        dump = self.inner._dump
        return [dump(v, context) or _NULL for v in value]

    def dynamo_load(self, value: Any, *, context: Any = None) -> typing.List[E]:
        load = self.inner._load
        return TrackedList([load(v, context) for v in value])

    def _element(self, key: Any) -> Type[Any]:
        if not isinstance(key, int) or isinstance(key, bool) or key < 0:
            raise InvalidValue(f"a List is indexed by non-negative ints, not {key!r}")
        return self.inner

    def __repr__(self) -> str:
        return f"List({self.inner!r})"


class Map(Type[Dict[str, Any]]):
    """A dict with declared keys, each of its own type (``M``).

    ``Map(color=String, size=Integer)``.  None values are left out; loading
    returns the keys present in the item.

    A stored map may hold keys the type does not declare (another program wrote
    them).  They are not bloop's to change: the loaded dict shows the declared keys
    only and keeps the others aside (a :class:`~bloop.containers.TrackedMap`), and
    every dump of it writes them back unchanged; a new dict saved in place of a
    loaded map keeps them too (see :func:`with_undeclared`).  Only removing the
    whole attribute removes them.  A dict with a key the type does not declare is
    refused: :class:`DynamicMap` is the type for maps whose keys are not known in
    advance.
    """

    python_type = dict
    backing_type = "M"
    mutable = True

    def __init__(self, **fields: Any) -> None:
        for name in fields:
            if not is_text(name):
                raise InvalidModel(f"Map field {name!r} holds a lone surrogate; DynamoDB stores names as UTF-8")
        self.fields: Dict[str, Type[Any]] = {name: instance(t) for name, t in fields.items()}

    @property
    def nested(self) -> typing.Tuple[str, ...]:
        """The declared keys whose type is a Map too (worked out once)."""
        nested: Optional[typing.Tuple[str, ...]] = self.__dict__.get("_nested")
        if nested is None:
            nested = self.__dict__["_nested"] = tuple(k for k, t in self.fields.items() if isinstance(t, Map))
        return nested

    def _unknown(self, key: Any) -> InvalidValue:
        return InvalidValue(f"{key!r} is not a field of {self!r}; declare it, or use DynamicMap for a map "
                            "whose keys are not known in advance")

    def dynamo_dump(self, value: Any, *, context: Any = None) -> Dict[str, Wire]:
        if not isinstance(value, dict):
            raise _wrong("a dict", value)
        fields = self.fields
        out: Dict[str, Wire] = {}
        for key, item in value.items():
            try:
                typedef = fields[key]
            except KeyError:
                raise self._unknown(key) from None
            if item is None:
                continue
            wire = typedef._dump(item, context)
            if wire is not None:
                out[key] = wire
        if value.__class__ is TrackedMap:
            for key, wire in value._undeclared.items():
                if key not in fields:  # a key this type declares is the value's own to give
                    out[key] = wire
        return out

    def dynamo_load(self, value: Any, *, context: Any = None) -> Dict[str, Any]:
        fields = self.fields
        out = {key: fields[key]._load(wire, context) for key, wire in value.items() if key in fields}
        return kept(out, value, fields, self.nested)

    def _element(self, key: Any) -> Type[Any]:
        try:
            return self.fields[key]
        except KeyError:
            raise self._unknown(key) from None

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"Map({inner})"


def kept(out: Dict[str, Any], wire: Dict[str, Wire], fields: Dict[str, Any],
         nested: typing.Tuple[str, ...] = ()) -> Dict[str, Any]:
    """The loaded value of a Map: ``out`` (the declared keys' values) as a TrackedDict, or
    as a :class:`~bloop.containers.TrackedMap` keeping the keys of ``wire`` (the stored map)
    that ``fields`` does not declare.  A map holding such a map under a declared key (in
    ``nested``) is a TrackedMap too, so that a glance at a column's value tells whether
    anything in it keeps undeclared keys."""
    if len(out) != len(wire):
        return keeping(out, {key: item for key, item in wire.items() if key not in fields})
    for key in nested:
        if out.get(key).__class__ is TrackedMap:
            return keeping(out, {})
    return TrackedDict(out)


def with_undeclared(typedef: Map, wire: Optional[Wire], old: Optional[Wire]) -> Optional[Wire]:
    """``wire`` (``typedef``'s dump of a value) with the keys of ``old`` (the stored map)
    that ``typedef`` does not declare, at every level of declared maps.

    A new dict saved in place of a loaded map so keeps what another program stored
    in it.  ``wire`` itself is returned when there is nothing to add.
    """
    if wire is None or old is None:
        return wire
    new_map, old_map = wire.get("M"), old.get("M")
    if new_map is None or old_map is None:
        return wire
    fields = typedef.fields
    merged = None
    for key, item in old_map.items():
        field = fields.get(key)
        if field is None:
            if key in new_map:
                continue
        elif isinstance(field, Map) and key in new_map:
            item = with_undeclared(field, new_map[key], item)
            if item is new_map[key]:
                continue
        else:
            continue
        if merged is None:
            merged = dict(new_map)
        merged[key] = item
    return wire if merged is None else {"M": merged}


def holds_undeclared(typedef: Map, wire: Optional[Wire]) -> bool:
    """The stored map ``wire`` holds a key ``typedef`` does not declare, at some level of
    declared maps."""
    inner = wire.get("M") if wire is not None else None
    if inner is None:
        return False
    fields = typedef.fields
    for key, item in inner.items():
        field = fields.get(key)
        if field is None or (isinstance(field, Map) and holds_undeclared(field, item)):
            return True
    return False


_NULL = {"NULL": True}

#: the elements of a Set the compiled load converts: by a builtin (None: as they are)
_SET_PARSE: Dict[type, Optional[str]] = {String: None, Binary: None, Integer: "int", Float: "float",
                                         Number: "_Decimal"}

#: the names the fast-path rules' fragments use (see Inline)
INLINE_NAMES: Dict[str, Any] = {
    "_B": 10 ** limits.MAX_NUMBER_DIGITS, "_is_text": is_text, "_only_str": _only_str, "_only_text": _only_text,
    "_number_size": limits.number_size, "_Decimal": decimal.Decimal, "_UUID": uuid.UUID,
    "_datetime": datetime.datetime, "_UTC": UTC, "_EPOCH": _EPOCH, "_fromiso": datetime.datetime.fromisoformat,
    "_fromtimestamp": datetime.datetime.fromtimestamp, "_json_loads": json.loads, "_TSet": TrackedSet,
}


def dump_dynamic(value: Any, context: Any = None) -> Optional[Wire]:
    """Infer the DynamoDB type of plain data: str, bytes, bool, numbers, None,
    sets, lists/tuples and dicts with str keys, nested to any depth."""
    if value is None:
        return _NULL
    cls = value.__class__
    if cls is str:
        return {"S": value if value.isascii() else check_text(value)}
    if cls is bool:
        return {"BOOL": value}
    if cls is int:
        return {"N": dump_int(value)}
    if cls is float:
        return {"N": dump_float(value)}
    if isinstance(value, decimal.Decimal):
        return {"N": check_number(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            _check_key(key)
            wire = dump_dynamic(item, context)
            if wire is not None:  # an empty set has no DynamoDB form: leave it out
                out[key] = wire
        return {"M": out}
    if isinstance(value, (list, tuple)):
        return {"L": [dump_dynamic(item, context) or _NULL for item in value]}
    if isinstance(value, (set, frozenset)):
        if not value:
            return None
        kinds = {_set_kind(item) for item in value}
        if len(kinds) != 1:
            raise InvalidValue(f"set {value!r:.80} mixes element types")
        kind = kinds.pop()
        return Set(_SET_ELEMENTS[kind])._dump(value, context)
    if isinstance(value, (str, int, float)):  # subclasses such as IntEnum
        return dump_dynamic(_plain(value), context)
    raise InvalidType(f"cannot store {type(value).__name__} {value!r:.80} in a dynamic column")


def _check_key(key: Any) -> None:
    """A key of a dynamic map: a str DynamoDB can store."""
    if key.__class__ is not str and not isinstance(key, str):
        raise InvalidType(f"map keys must be str, got {key!r}")
    if not key.isascii():
        check_text(key)


#: the element type of a dynamic set, by its kind
_SET_ELEMENTS: Dict[str, Type[Any]] = {"S": String(), "N": Number(), "B": Binary()}


def _plain(value: Any) -> Any:
    for base in (bool, str, int, float):
        if isinstance(value, base):
            return base(value)
    return value


def _set_kind(item: Any) -> str:
    if isinstance(item, str):
        return "S"
    if isinstance(item, (bytes, bytearray)):
        return "B"
    if isinstance(item, (int, float, decimal.Decimal)) and not isinstance(item, bool):
        return "N"
    raise InvalidType(f"sets hold strings, numbers or bytes, not {type(item).__name__}")


def _load_number(value: str) -> Any:
    """Integers load as int, anything else as an exact Decimal."""
    try:
        return int(value)
    except ValueError:
        return load_decimal(value)


def load_dynamic(wire: Wire, context: Any = None) -> Any:
    """The inverse of :func:`dump_dynamic`."""
    (kind, inner), = wire.items()
    if kind == "S" or kind == "BOOL" or kind == "B":
        return inner
    if kind == "N":
        return _load_number(inner)
    if kind == "M":
        return TrackedDict({key: load_dynamic(item, context) for key, item in inner.items()})
    if kind == "L":
        return TrackedList([load_dynamic(item, context) for item in inner])
    if kind == "NULL":
        return None
    if kind == "SS" or kind == "BS":
        return TrackedSet(inner)
    if kind == "NS":
        return TrackedSet([_load_number(item) for item in inner])
    raise InvalidValue(f"unknown DynamoDB type {kind!r}")


class _Dynamic(Type[Any]):
    """Any plain value; the element type of dynamic lists and maps."""

    mutable = True

    def _dump(self, value: Any, context: Any = None) -> Optional[Wire]:
        return dump_dynamic(value, context) if value is not None else None

    def _load(self, wire: Optional[Wire], context: Any = None) -> Any:
        return None if wire is None else load_dynamic(wire, context)

    def _element(self, key: Any) -> Type[Any]:
        if isinstance(key, str):
            check_text(key)
        return self


_DYNAMIC = _Dynamic()


class DynamicList(Type[typing.List[Any]]):
    """A list of arbitrary plain data (str, bytes, bool, numbers, None, sets, lists, dicts)."""

    python_type = list
    backing_type = "L"
    mutable = True

    def dynamo_dump(self, value: Any, *, context: Any = None) -> typing.List[Wire]:
        if not isinstance(value, (list, tuple)):
            raise _wrong("a list", value)
        return [dump_dynamic(item, context) or _NULL for item in value]

    def dynamo_load(self, value: Any, *, context: Any = None) -> typing.List[Any]:
        return TrackedList([load_dynamic(item, context) for item in value])

    def _element(self, key: Any) -> Type[Any]:
        return _DYNAMIC


class DynamicMap(Type[Dict[str, Any]]):
    """A dict of arbitrary plain data with str keys; numbers load as int or Decimal."""

    python_type = dict
    backing_type = "M"
    mutable = True

    def dynamo_dump(self, value: Any, *, context: Any = None) -> Dict[str, Wire]:
        if not isinstance(value, dict):
            raise _wrong("a dict", value)
        out = {}
        for key, item in value.items():
            _check_key(key)
            wire = dump_dynamic(item, context)
            if wire is not None:
                out[key] = wire
        return out

    def dynamo_load(self, value: Any, *, context: Any = None) -> Dict[str, Any]:
        return TrackedDict({key: load_dynamic(item, context) for key, item in value.items()})

    def _element(self, key: Any) -> Type[Any]:
        if isinstance(key, str):
            check_text(key)
        return _DYNAMIC
