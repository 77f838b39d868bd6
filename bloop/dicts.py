"""Objects as plain JSON data and back: :func:`to_dict`, :func:`from_dict`, :func:`to_json`, :func:`from_json`.

The data is what a web API hands its clients: only JSON's own values (str, int, float, bool,
None, lists and dicts with str keys), so ``to_json`` is ``to_dict`` written as JSON and
``from_json`` is ``from_dict`` of what the JSON text holds.  Each type has one JSON form:

=====================================  =======================================================
column type                            JSON form
=====================================  =======================================================
String, UUID                           a string
Integer / Float                        a number (a float keeps every digit through ``repr``)
Number (:class:`decimal.Decimal`)      a string with every digit (``"12.50"``): JSON readers
                                       turn numbers into binary floats, which would round it
Boolean                                true / false
Binary                                 standard base64 text (the URL-safe alphabet is read too)
DateTime, Timestamp                    ISO-8601 text in UTC with microseconds
                                       (``"2024-05-01T12:00:00.000000+00:00"``)
Enum                                   the member's name (as bloop stores it)
Set                                    a list, sorted (by number for numbers)
List, Map                              a list, an object of the declared keys; elements converted
JSON                                   the value as it is
DynamicList, DynamicMap                plain data; a non-integer number becomes a JSON number
                                       (a float), bytes base64 text, a set a sorted list
a user's type                          its dumped wire value in the form of its backing type
=====================================  =======================================================

A column without a value is left out.  The object of a family's model carries its type value
under the discriminator column, and ``from_dict(Base, data)`` makes the model that claims it.

Each model's converters are worked out once, the first time it is converted, and kept on its
``Meta`` (like the codec): a list of one converter per column, and for bloop's own types
that JSON holds as they are (String, Integer, Float, Boolean) the class of the values written
with no call (any other value is converted or refused by the converter).

Data that does not fit raises :class:`~bloop.exceptions.InvalidValue` (or its ``TypeError``
subclass :class:`~bloop.exceptions.InvalidType`) naming the column and the path into it
(``Order.lines[2].price``); nothing is made.
"""
from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import re
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

from . import types
from .exceptions import InvalidType, InvalidValue, UnknownColumn
from .models import model_meta

try:  # the fast extra; the standard library's json writes the same text
    import orjson as _orjson
except ImportError:  # pragma: no cover - the extra is installed wherever the tests run
    _orjson = None  # type: ignore[assignment]

__all__ = ["to_dict", "from_dict", "to_json", "from_json"]

M = TypeVar("M")
UTC = datetime.timezone.utc
#: where each model's converters are kept on its Meta
_PLAN = "_bloop_dicts"

Out = Optional[Callable[[Any], Any]]
In = Optional[Callable[[Any], Any]]


class _Bad(Exception):
    """A value that does not fit, and the path (innermost last) to where it is."""

    def __init__(self, message: str, kind: type = InvalidValue) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.path: List[str] = []


def _wrong(expected: str, value: Any) -> _Bad:
    return _Bad(f"expected {expected}, got {type(value).__name__} {value!r:.80}", InvalidType)


# --- one converter pair per type ------------------------------------------------------------

def _in_str(data: Any) -> Any:
    if data.__class__ is str or isinstance(data, str):
        return data
    raise _wrong("a string", data)


#: floats hold every whole number up to here exactly; a larger float is a rounded reading of one
_EXACT = 2.0 ** 53
#: a run of digits that may be an integer too long for orjson, which reads it as a float
_LONG_DIGITS = re.compile(rb"[0-9]{16,}")


def _in_int(data: Any) -> Any:
    if data.__class__ is int:
        return data
    if isinstance(data, float) and data.is_integer() and abs(data) <= _EXACT:
        return int(data)
    if isinstance(data, bool) or not isinstance(data, int):
        raise _wrong("a whole number", data)
    return int(data)


def _in_float(data: Any) -> Any:
    if data.__class__ is float:
        return data
    if isinstance(data, bool) or not isinstance(data, (int, float, decimal.Decimal)):
        raise _wrong("a number", data)
    return float(data)


def _in_bool(data: Any) -> Any:
    if data is True or data is False:
        return data
    raise _wrong("true or false", data)


_NUMBER = types.Number()


def _out_number(value: Any) -> Any:
    try:
        return _NUMBER.dynamo_dump(value)
    except InvalidValue as error:
        raise _Bad(str(error), type(error)) from None


def _in_number(data: Any) -> Any:
    if isinstance(data, decimal.Decimal):
        number = data
    elif isinstance(data, str):
        try:
            number = decimal.Decimal(data)
        except decimal.InvalidOperation:
            raise _Bad(f"{data!r:.80} is not a number") from None
    elif isinstance(data, bool) or not isinstance(data, (int, float)):
        raise _wrong("a number (or a string of its digits)", data)
    else:
        number = decimal.Decimal(repr(data) if isinstance(data, float) else data)
    if not number.is_finite():
        raise _Bad(f"{data!r:.80} is not a finite number")
    return number


def _out_binary(value: Any) -> Any:
    if not isinstance(value, (bytes, bytearray)):
        raise _wrong("bytes", value)
    return base64.b64encode(value).decode("ascii")


def _in_binary(data: Any) -> Any:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if not isinstance(data, str):
        raise _wrong("base64 text", data)
    try:  # the standard alphabet, or the URL-safe one (pydantic's)
        altchars = b"-_" if "-" in data or "_" in data else None
        return base64.b64decode(data.encode("ascii"), altchars=altchars, validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _Bad(f"{data!r:.80} is not base64 text") from None


def _out_uuid(value: Any) -> Any:
    if not isinstance(value, uuid.UUID):
        raise _wrong("uuid.UUID", value)
    return str(value)


def _in_uuid(data: Any) -> Any:
    if isinstance(data, uuid.UUID):
        return data
    if not isinstance(data, str):
        raise _wrong("a UUID string", data)
    try:
        return uuid.UUID(data)
    except ValueError:
        raise _Bad(f"{data!r:.80} is not a UUID") from None


def _out_datetime(value: Any) -> Any:
    if not isinstance(value, datetime.datetime):
        raise _wrong("datetime.datetime", value)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise _Bad(f"naive datetime {value!r} refused: give it a timezone so it means one instant")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _in_datetime(data: Any) -> Any:
    if isinstance(data, datetime.datetime):
        value = data
    elif isinstance(data, str):
        try:
            value = datetime.datetime.fromisoformat(data)
        except ValueError:
            raise _Bad(f"{data!r:.80} is not an ISO-8601 date and time") from None
    else:
        raise _wrong("ISO-8601 text", data)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise _Bad(f"{data!r:.80} has no timezone: give one (such as +00:00 or Z) so it means one instant")
    return value.astimezone(UTC)


def _enum(typedef: Any) -> Tuple[Out, In]:
    enum_cls = typedef.enum_cls

    def out(value: Any) -> Any:
        if not isinstance(value, enum_cls):
            raise _wrong(enum_cls.__name__, value)
        return value.name

    def into(data: Any) -> Any:
        if isinstance(data, enum_cls):
            return data
        if not isinstance(data, str):
            raise _wrong(f"the name of a member of {enum_cls.__name__}", data)
        try:
            return enum_cls[data]
        except KeyError:
            names = ", ".join(enum_cls.__members__)
            raise _Bad(f"{data!r:.80} is not a member of {enum_cls.__name__} ({names})") from None
    return out, into


def _at(error: _Bad, step: str) -> _Bad:
    error.path.append(step)
    return error


def _list(inner: Tuple[Out, In], name: str = "a list") -> Tuple[Out, In]:
    inner_out, inner_in = inner

    def out(value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise _wrong(name, value)
        if inner_out is None:
            return list(value)
        result = []
        for position, item in enumerate(value):
            try:
                result.append(None if item is None else inner_out(item))
            except _Bad as error:
                raise _at(error, f"[{position}]")
        return result

    def into(data: Any) -> Any:
        if not isinstance(data, list):
            raise _wrong(name, data)
        if inner_in is None:
            return list(data)
        result = []
        for position, item in enumerate(data):
            try:
                result.append(None if item is None else inner_in(item))
            except _Bad as error:
                raise _at(error, f"[{position}]")
        return result
    return out, into


def _number_key(text: Any) -> Any:
    return decimal.Decimal(str(text))


def _set(typedef: Any) -> Tuple[Out, In]:
    inner_out, inner_in = _pair(typedef.inner)
    key = _number_key if typedef.backing_type == "NS" else None

    def out(value: Any) -> Any:
        if not isinstance(value, (set, frozenset, list, tuple)):
            raise _wrong("a set", value)
        result = [inner_out(v) for v in value] if inner_out is not None else list(value)
        try:
            result.sort(key=key)
        except (TypeError, decimal.InvalidOperation):  # a user's elements with no order: as they are
            pass
        return result

    def into(data: Any) -> Any:
        if not isinstance(data, (list, set, frozenset, tuple)):
            raise _wrong("a list (of a set's elements)", data)
        if inner_in is None:
            result = set(data)
        else:
            result = set()
            for position, item in enumerate(data):
                try:
                    result.add(inner_in(item))
                except _Bad as error:
                    raise _at(error, f"[{position}]")
        if len(result) != len(data):
            raise _Bad(f"{data!r:.80} holds an element twice; a set holds each once")
        return result
    return out, into


def _map(typedef: Any) -> Tuple[Out, In]:
    fields = {name: _pair(t) for name, t in typedef.fields.items()}

    def out(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _wrong("a dict", value)
        result = {}
        for key, item in value.items():
            if item is None:
                continue
            try:
                convert = fields[key][0]
            except KeyError:
                raise _Bad(f"{key!r} is not a field of {typedef!r}") from None
            try:
                result[key] = item if convert is None else convert(item)
            except _Bad as error:
                raise _at(error, f".{key}")
        return result

    def into(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _wrong("an object", data)
        result = {}
        for key, item in data.items():
            try:
                convert = fields[key][1]
            except (KeyError, TypeError):
                raise _Bad(f"{key!r} is not a field of {typedef!r}") from None
            if item is None:
                continue
            try:
                result[key] = item if convert is None else convert(item)
            except _Bad as error:
                raise _at(error, f".{key}")
        return result
    return out, into


def _plain_out(value: Any) -> Any:
    """Plain data (a dynamic column's) as JSON data."""
    cls = value.__class__
    if cls is str or cls is int or cls is bool or cls is float or value is None:
        return value
    if isinstance(value, dict):
        return {key: _plain_out(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_out(item) for item in value]
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset)):
        items = [_plain_out(item) for item in value]
        try:
            items.sort()
        except TypeError:
            pass
        return items
    if isinstance(value, (str, int, float)):
        return types._plain(value)
    raise _Bad(f"cannot write {type(value).__name__} {value!r:.80} as JSON data", InvalidType)


def _plain_in(data: Any) -> Any:
    if isinstance(data, dict):
        for key in data:
            if not isinstance(key, str):
                raise _wrong("str keys", key)
        return {key: _plain_in(item) for key, item in data.items()}
    if isinstance(data, list):
        return [_plain_in(item) for item in data]
    return data


def _dynamic(name: str, kind: type) -> Tuple[Out, In]:
    def out(value: Any) -> Any:
        if not isinstance(value, kind):
            raise _wrong(name, value)
        return _plain_out(value)

    def into(data: Any) -> Any:
        if not isinstance(data, kind):
            raise _wrong(name, data)
        return _plain_in(data)
    return out, into


# a user's type: its wire value, each backing type in the form of bloop's own type for it
_WIRE_FORMS: Dict[str, Tuple[Out, In]] = {
    "S": (None, _in_str),
    "N": (None, lambda data: str(_in_number(data))),
    "B": (_out_binary, _in_binary),
    "BOOL": (None, _in_bool),
}


def _user(typedef: Any) -> Tuple[Out, In]:
    backing = typedef.backing_type
    if backing in _WIRE_FORMS:
        wire_out, wire_in = _WIRE_FORMS[backing]
    elif backing in ("SS", "NS", "BS"):
        element = _WIRE_FORMS[backing[0]]
        wire_out, wire_in = _list(element if backing != "NS" else (None, element[1]))
    elif backing in ("L", "M"):
        def wire_out(inner: Any) -> Any:
            return _plain_out(types.load_dynamic({backing: inner}))

        def wire_in(data: Any) -> Any:
            try:
                return types.dump_dynamic(_plain_in(data))[backing]  # type: ignore[index]
            except (InvalidValue, TypeError, KeyError) as error:
                raise _Bad(f"{data!r:.80} is not the {backing!r} value {typedef!r} loads: {error}") from None
    else:
        wire_out, wire_in = None, None

    def out(value: Any) -> Any:
        try:
            inner = typedef.dynamo_dump(value)
        except InvalidValue as error:
            raise _Bad(str(error), type(error)) from None
        if inner is None:
            return None
        return inner if wire_out is None else wire_out(inner)

    def into(data: Any) -> Any:
        inner = data if wire_in is None else wire_in(data)
        try:
            return typedef.dynamo_load(inner)
        except (InvalidValue, ValueError, TypeError) as error:
            raise _Bad(f"{typedef!r} cannot load {data!r:.80}: {error}") from None
    return out, into


def _out_str(value: Any) -> Any:
    if isinstance(value, str):
        return str(value)
    raise _wrong("str", value)


def _out_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong("int", value)
    return int(value)


def _out_float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise _wrong("float", value)
    return float(value)


def _out_bool(value: Any) -> Any:
    if value is True or value is False:
        return value
    raise _wrong("bool", value)


_SIMPLE: Dict[type, Tuple[Out, In]] = {
    types.String: (_out_str, _in_str),
    types.Integer: (_out_int, _in_int),
    types.Float: (_out_float, _in_float),
    types.Number: (_out_number, _in_number),
    types.Boolean: (_out_bool, _in_bool),
    types.Binary: (_out_binary, _in_binary),
    types.UUID: (_out_uuid, _in_uuid),
    types.DateTime: (_out_datetime, _in_datetime),
    types.Timestamp: (_out_datetime, _in_datetime),
    types.JSON: (None, None),
}
#: the types whose values of exactly this class are their own JSON form (the rest is converted,
#: or refused, by the type's converter)
_AS_THEY_ARE: Dict[type, type] = {types.String: str, types.Integer: int, types.Float: float, types.Boolean: bool}


def _pair(typedef: Any) -> Tuple[Out, In]:
    """The JSON-data converters of one type: (to data, from data); None where the value is
    its own JSON form."""
    cls = typedef.__class__
    simple = _SIMPLE.get(cls)
    if simple is not None:
        return simple
    if cls is types.Enum:
        return _enum(typedef)
    if cls is types.Set:
        return _set(typedef)
    if cls is types.List:
        return _list(_pair(typedef.inner))
    if cls is types.Map:
        return _map(typedef)
    if cls is types.DynamicList:
        return _dynamic("a list", list)
    if cls is types.DynamicMap:
        return _dynamic("a dict", dict)
    return _user(typedef)


# --- per model ------------------------------------------------------------------------------

class _Plan:
    """One model's converters, worked out once."""

    __slots__ = ("model", "outs", "ins", "names")

    def __init__(self, model: type) -> None:
        meta: Any = model.Meta  # type: ignore[attr-defined]
        self.model = model
        pairs = [(column.name, _pair(column.typedef)) for column in meta.columns]
        #: (column name, the class of values written as they are, converter or None), in the
        #: model's column order
        self.outs: List[Tuple[str, Optional[type], Out]] = [
            (column.name, _AS_THEY_ARE.get(column.typedef.__class__), pair[0])
            for column, (_, pair) in zip(meta.columns, pairs)]
        self.ins: Dict[str, In] = {name: pair[1] for name, pair in pairs}
        self.names = frozenset(self.ins)


def _plan(model: Any) -> _Plan:
    meta = model_meta(model)
    if meta is None:
        raise InvalidType(f"{model!r} is not a bloop model")
    plan: Optional[_Plan] = meta.__dict__.get(_PLAN)
    if plan is None or plan.model is not model:
        plan = _Plan(model)
        setattr(meta, _PLAN, plan)
    return plan


def _fail(model: type, name: str, error: _Bad, doing: str) -> InvalidValue:
    where = f"{model.__name__}.{name}{''.join(reversed(error.path))}"
    return error.kind(f"{where}: {error.message}; {doing}")  # type: ignore[no-any-return]


def _names(plan: _Plan, include: Optional[Iterable[str]], exclude: Optional[Iterable[str]]) -> Optional[set[str]]:
    if include is None and exclude is None:
        return None
    chosen = set(plan.names if include is None else include)
    dropped = set(exclude or ())
    unknown = (chosen | dropped) - plan.names
    if unknown:
        raise UnknownColumn(f"{plan.model.__name__} has no column {sorted(unknown)[0]!r} (include/exclude name "
                            "columns by their Python names)")
    return chosen - dropped


def to_dict(obj: Any, include: Optional[Iterable[str]] = None,
            exclude: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """``obj``'s columns as JSON data: ``{column name: value}`` for each column that has a value.

    :param include: the names of the only columns to write (Python names).
    :param exclude: the names of columns to leave out.
    :raises InvalidValue: a column holds a value its type cannot write (naming it).
    :raises UnknownColumn: ``include`` or ``exclude`` names no column of the model.

    >>> to_dict(Order(id="o1", total=Decimal("12.50")))   # doctest: +SKIP
    {'id': 'o1', 'total': '12.50'}
    """
    model = obj.__class__
    plan = _plan(model)
    chosen = _names(plan, include, exclude)
    values = obj.__dict__
    meta: Any = model.Meta
    out: Dict[str, Any] = {}
    for name, exact, convert in plan.outs:
        value = values.get(name)
        if value is None or (chosen is not None and name not in chosen):
            continue
        if value.__class__ is exact or convert is None:
            out[name] = value
            continue
        try:
            data = convert(value)
        except _Bad as error:
            raise _fail(model, name, error, "nothing was written") from None
        if data is not None:
            out[name] = data
    if meta.type_value is not None:
        name = meta.discriminator.name
        if chosen is None or name in chosen:
            out[name] = meta.type_value
    return out


def _target(model: Any, data: Dict[str, Any]) -> Any:
    meta = model.Meta
    family = meta.family
    if family is None:
        return model
    value = data.get(family.name)
    if value is None:
        if meta.type_value is None:
            raise InvalidValue(f"{model.__name__}.{family.name}: no type value, so no model of the family of "
                               f"{family.base.__name__} is known to make; give one of "
                               f"{', '.join(sorted(family.values_under(model)))}; nothing was made")
        return model
    found = family.model_for(value)
    if found is None or not issubclass(found, model):
        raise InvalidValue(f"{model.__name__}.{family.name}: {value!r:.80} is not the type value of "
                           f"{model.__name__} or a model below it ({', '.join(sorted(family.values_under(model)))}); "
                           "nothing was made")
    return found


def from_dict(model: type[M], data: Dict[str, Any]) -> M:
    """A new object of ``model`` from JSON data (the inverse of :func:`to_dict`).

    Columns the data leaves out (or gives as null) are not set, so a column's default applies.
    Through a family's base, the data's type value chooses the model.

    :raises InvalidValue: a value does not fit its column, the data names no column of the
        model, or a type value that no model under ``model`` claims; the message names the
        column and the path into it.
    """
    if not isinstance(data, dict):
        raise InvalidType(f"{getattr(model, '__name__', model)} data must be a dict (a JSON object), "
                          f"got {type(data).__name__} {data!r:.80}; nothing was made")
    _plan(model)  # refuses a non-model
    target = _target(model, data)
    plan = _plan(target)
    ins = plan.ins
    values: Dict[str, Any] = {}
    for name, item in data.items():
        try:
            convert = ins[name]
        except (KeyError, TypeError):
            raise InvalidValue(f"{target.__name__}: {name!r:.80} is not a column of {target.__name__}; "
                               "nothing was made") from None
        if item is None:
            continue
        if convert is None:
            values[name] = item
            continue
        try:
            values[name] = convert(item)
        except _Bad as error:
            raise _fail(target, name, error, "nothing was made") from None
    return target(**values)  # type: ignore[no-any-return]


def _dumps(data: Any) -> bytes:
    if _orjson is not None:
        try:
            return _orjson.dumps(data)
        except TypeError:  # an int beyond 64 bits, which the standard library writes
            pass
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def to_json(obj: Any, include: Optional[Iterable[str]] = None, exclude: Optional[Iterable[str]] = None) -> bytes:
    """:func:`to_dict` as JSON text in UTF-8 bytes (through orjson when the ``fast`` extra is
    installed, the standard library's json otherwise: the same data either way)."""
    return _dumps(to_dict(obj, include, exclude))


def from_json(model: type[M], text: bytes | str) -> M:
    """:func:`from_dict` of JSON text (bytes or str).

    :raises InvalidValue: the text is not JSON, or its data does not fit (see :func:`from_dict`).
    """
    try:
        raw = text.encode("utf-8") if isinstance(text, str) else text
        if _orjson is not None and not _LONG_DIGITS.search(raw):
            data = _orjson.loads(raw)
        else:  # the standard library reads long integers exactly
            data = json.loads(raw)
    except ValueError as error:
        raise InvalidValue(f"{getattr(model, '__name__', model)}: the text is not JSON ({error}); "
                           "nothing was made") from None
    return from_dict(model, data)
