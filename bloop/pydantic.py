"""pydantic v2 models generated from bloop models (the ``pydantic`` extra).

:func:`model_for` makes a pydantic model with a field per column (the request and response
schemas of a FastAPI service, say); :func:`to_pydantic` and :func:`from_pydantic` convert
objects both ways.  Each column type has the pydantic type of its Python values:

=====================================  =======================================================
column type                            field type
=====================================  =======================================================
String / Integer / Float / Boolean     ``str`` / ``int`` / ``float`` / ``bool``
Number                                 :class:`decimal.Decimal` (a string with every digit in JSON)
Binary                                 ``bytes`` (base64 text in JSON)
UUID                                   :class:`uuid.UUID`
DateTime, Timestamp                    ``AwareDatetime`` in UTC (a naive datetime is refused)
Enum                                   the enum class, by member *name* in JSON (as bloop stores it)
Set / List                             ``set[...]`` / ``list[...]`` of the element's type
Map                                    a nested pydantic model of the declared keys
JSON, DynamicMap, DynamicList          ``Any``, ``dict[str, Any]``, ``list[Any]``
a user's type                          ``Any``: its Python values, written in JSON as pydantic
                                       writes them (not its wire value, as ``to_json`` does)
=====================================  =======================================================

The table keys are required (unless built from a template); every other column is optional
and defaults to None (no value).  A family's model has its type value as a fixed field.
Unknown fields are refused.  The JSON a generated model writes (``model_dump_json(exclude_none=True)``)
is the JSON :func:`bloop.to_json` writes, but for a user's type's values.

Validation errors name the field: a generated model raises pydantic's ``ValidationError``
(FastAPI answers 422 with each field's location); :func:`to_pydantic` raises
:class:`~bloop.exceptions.InvalidValue` naming the model's column, chained from it.
"""
from __future__ import annotations

import base64
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Dict, Iterable, Literal, Optional, Tuple, TypeVar

import pydantic
from pydantic import (
    AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema, WrapSerializer,
)

from . import types
from .dicts import _number_key, _target
from .exceptions import InvalidType, InvalidValue, UnknownColumn
from .models import model_meta

__all__ = ["model_for", "to_pydantic", "from_pydantic"]

M = TypeVar("M")
#: where each model's generated pydantic models are kept on its Meta
_CACHE = "_bloop_pydantic"
_CONFIG = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

UTC = datetime.timezone.utc


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(UTC)


#: an aware datetime, in UTC (as bloop loads one), written as bloop writes it
_INSTANT = Annotated[AwareDatetime, AfterValidator(_utc),
                     PlainSerializer(lambda d: d.isoformat(timespec="microseconds"), return_type=str, when_used="json")]

#: bytes, written in JSON as standard base64 as bloop writes them (pydantic's own is URL-safe; it reads both)
_BYTES = Annotated[bytes, PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str,
                                          when_used="json")]

#: decimals, written in JSON as bloop writes them (every digit; a zero as DynamoDB stores it, 0)
_DECIMAL = Annotated[decimal.Decimal, PlainSerializer(lambda d: "0" if d.is_zero() else str(d), return_type=str,
                                                      when_used="json")]

_SIMPLE: Dict[type, Any] = {
    types.String: str,
    types.Integer: int,
    types.Float: float,
    types.Number: _DECIMAL,
    types.Binary: _BYTES,
    types.Boolean: bool,
    types.UUID: uuid.UUID,
    types.DateTime: _INSTANT,
    types.Timestamp: _INSTANT,
    types.JSON: Any,
    types.DynamicMap: Dict[str, Any],
    types.DynamicList: list[Any],
}


def _by_name(enum_cls: type[enum.Enum]) -> Any:
    """The enum class, read and written by member name as bloop stores it."""
    names = list(enum_cls.__members__)

    def member(value: Any) -> Any:
        if isinstance(value, enum_cls):
            return value
        if isinstance(value, str) and value in enum_cls.__members__:
            return enum_cls[value]
        raise ValueError(f"{value!r:.80} is not the name of a member of {enum_cls.__name__} ({', '.join(names)})")

    return Annotated[enum_cls, BeforeValidator(member),
                     PlainSerializer(lambda m: m.name, return_type=str, when_used="json"),
                     WithJsonSchema({"type": "string", "enum": names, "title": enum_cls.__name__})]


def _sorted(numbers: bool) -> Any:
    """A set's JSON, sorted as ``to_json`` sorts it (numbers by value)."""
    def serialize(value: Any, handler: Any) -> Any:
        out = handler(value)
        try:
            out.sort(key=_number_key if numbers else None)
        except (TypeError, decimal.InvalidOperation):  # elements with no order: as they are
            pass
        return out
    return serialize


def _annotation(typedef: Any, where: str) -> Any:
    cls = typedef.__class__
    simple = _SIMPLE.get(cls)
    if simple is not None:
        return simple
    if cls is types.Enum:
        return _by_name(typedef.enum_cls)
    if cls is types.Set:
        inner = _annotation(typedef.inner, where)
        return Annotated[set[inner], WrapSerializer(_sorted(typedef.backing_type == "NS"),  # type: ignore[valid-type]
                                                    when_used="json")]
    if cls is types.List:
        return list[Optional[_annotation(typedef.inner, where)]]  # type: ignore[misc]
    if cls is types.Map:
        fields: Dict[str, Any] = {}
        for key, inner in typedef.fields.items():
            nested = _annotation(inner, f"{where}_{key}")
            fields[key] = (Optional[nested], None)
        return pydantic.create_model(where, __config__=_CONFIG, **fields)
    return Any  # a user's type: its own values, whatever they are


def _columns(model: Any, include: Optional[Iterable[str]], exclude: Optional[Iterable[str]]) -> list[Any]:
    meta = model.Meta
    names = set(meta.columns_by_name)
    chosen = set(names if include is None else include)
    dropped = set(exclude or ())
    unknown = (chosen | dropped) - names
    if unknown:
        raise UnknownColumn(f"{model.__name__} has no column {sorted(unknown)[0]!r} (include/exclude name "
                            "columns by their Python names)")
    return [c for c in meta.columns if c.name in chosen - dropped]


def model_for(model: Any, include: Optional[Iterable[str]] = None, exclude: Optional[Iterable[str]] = None,
              name: Optional[str] = None) -> type[pydantic.BaseModel]:
    """A pydantic model with a field for each column of ``model`` (made once, then reused).

    :param include: the names of the only columns to have fields (Python names).
    :param exclude: the names of columns to leave out (a version column a client may not set).
    :param name: the pydantic model's name (its schema's title); ``model``'s name by default.
    :raises UnknownColumn: ``include`` or ``exclude`` names no column of the model.
    """
    meta: Any = model_meta(model)
    if meta is None:
        raise InvalidType(f"{model!r} is not a bloop model")
    title = name or model.__name__
    key: Tuple[Any, ...] = (None if include is None else frozenset(include),
                            None if exclude is None else frozenset(exclude), title)
    cache: Dict[Tuple[Any, ...], type[pydantic.BaseModel]] = meta.__dict__.get(_CACHE) or {}
    if meta.__dict__.get(_CACHE) is None:
        setattr(meta, _CACHE, cache)
    found = cache.get(key)
    if found is not None:
        return found
    fields: Dict[str, Any] = {}
    for column in _columns(model, include, exclude):
        annotation = _annotation(column.typedef, f"{title}_{column.name}")
        if meta.type_value is not None and column is meta.discriminator:
            fields[column.name] = (Literal[meta.type_value], meta.type_value)
        elif any(column is k for k in meta.keys) and column.template is None:
            fields[column.name] = (annotation, ...)
        else:
            fields[column.name] = (Optional[annotation], None)
    made: type[pydantic.BaseModel] = pydantic.create_model(
        title, __config__=_CONFIG, __doc__=f"The columns of {model.__name__}.", **fields)
    setattr(made, "__bloop_model__", model)
    cache[key] = made
    return made


def _where(model: Any, error: Any) -> str:
    out = str(model.__name__)
    for step in error.get("loc", ()):
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def to_pydantic(obj: Any, include: Optional[Iterable[str]] = None, exclude: Optional[Iterable[str]] = None,
                name: Optional[str] = None) -> pydantic.BaseModel:
    """``obj`` as an instance of ``model_for(type(obj), include, exclude, name)``.

    :raises InvalidValue: a column's value is not valid for its field; the message names each
        (``Order.total: Input should be a valid decimal``), chained from pydantic's error.
    """
    model = type(obj)
    schema = model_for(model, include, exclude, name)
    values = obj.__dict__
    data = {field: values[field] for field in schema.model_fields if values.get(field) is not None}
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{_where(model, e)}: {e['msg']}" for e in error.errors())
        raise InvalidValue(f"{problems}; no {schema.__name__} was made") from error


def _plain(value: Any) -> Any:
    """A nested Map's pydantic model as the dict bloop holds."""
    if isinstance(value, pydantic.BaseModel):
        return {key: _plain(item) for key, item in value.__dict__.items() if item is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def from_pydantic(model: type[M], instance: pydantic.BaseModel) -> M:
    """A new object of ``model`` from an instance of a pydantic model (the fields it sets that
    are not None; columns it leaves out take their defaults).  Through a family's base, its type
    value chooses the model.

    :raises InvalidValue: a field names no column of the model, or a type value no model below
        ``model`` claims.
    """
    if not isinstance(instance, pydantic.BaseModel):
        raise InvalidType(f"expected a pydantic model instance, got {type(instance).__name__} {instance!r:.80}")
    if model_meta(model) is None:
        raise InvalidType(f"{model!r} is not a bloop model")
    data = {key: _plain(value) for key, value in instance.__dict__.items() if value is not None}
    target = _target(model, data)
    columns = target.Meta.columns_by_name
    for key in data:
        if key not in columns:
            raise InvalidValue(f"{type(instance).__name__}.{key} is not a column of {target.__name__}; "
                               "nothing was made")
    return target(**data)  # type: ignore[no-any-return]
