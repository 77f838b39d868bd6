"""The generic code: a walk over the columns, the reference the compiled codecs must match,
and the code they hand a value to when it is off their fast path or fails."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .. import types
from ..exceptions import InvalidValue, MissingKey
from ..models import model_meta
from ..tracking import SNAPSHOT, dump_column
from .checks import Wire, _check_key_value, _named, check_item
from .markers import markers


def _meta(model: Any) -> Any:
    meta = model_meta(model)
    if meta is None:
        raise _not_a_model(model)
    return meta


def _not_a_model(model: Any) -> InvalidValue:
    return InvalidValue(f"{model!r} is not a bloop model")


def _dump_key_generic(obj: Any, columns: Optional[Iterable[Any]] = None) -> Dict[str, Wire]:
    meta = _meta(type(obj))
    values = obj.__dict__
    key: Dict[str, Wire] = {}
    for column in (meta.keys if columns is None else columns):
        value = values.get(column.name)
        wire = None if value is None else dump_column(column, value)
        if wire is None:
            raise MissingKey(f"{meta.model.__name__}.{column.name} is a key column and has no value "
                             f"on {obj!r}")
        _check_key_value(meta, column, wire)
        key[column.dynamo_name] = wire
    return key


def _to_item_generic(obj: Any, validate: bool = True) -> Dict[str, Wire]:
    meta = _meta(type(obj))
    values = obj.__dict__
    item: Dict[str, Wire] = {}
    for column in meta.columns:
        value = values.get(column.name)
        if value is None:
            continue
        wire = dump_column(column, value)
        if wire is not None:
            item[column.dynamo_name] = wire
    if validate:
        check_item(meta, item)
    return item


#: what a type's load raises for a value it cannot load (a user type's other errors pass as they are)
_LOAD_ERRORS = (InvalidValue, ValueError, TypeError, KeyError, ArithmeticError)


def _load_column(column: Any, wire: Wire) -> Any:
    """One column's value from its wire value, naming the model and column in any error."""
    try:
        return column.typedef._load(wire)
    except _LOAD_ERRORS as error:
        raise _load_error(column, wire, error) from error


def _load_error(column: Any, wire: Wire, error: BaseException) -> InvalidValue:
    return InvalidValue(f"{column.model.__name__}.{column.name}: cannot load {wire!r:.80}: {error}")


def _load_into_generic(obj: Any, item: Dict[str, Wire], projected: Optional[Iterable[Any]] = None) -> Any:
    meta = type(obj).Meta
    values = obj.__dict__
    snap: Dict[str, Any] = {}
    columns = meta.columns if projected is None else list(projected)
    for column in columns:
        snap[column.name] = None
        values.pop(column.name, None)
    for column in meta.columns:  # every column the item holds, projected or not
        if column.dynamo_name not in item:
            continue
        wire = item[column.dynamo_name]
        value = _load_column(column, wire)
        values[column.name] = value
        snap[column.name] = wire if column.typedef.mutable else value
    loaded = markers(meta)(columns)  # the compiled codec's markers
    values[SNAPSHOT] = snap if loaded is None else loaded
    return obj


def _from_item_generic(model: Any, item: Dict[str, Wire]) -> Any:
    meta = _meta(model)
    obj = model.__new__(model)
    return _load_into_generic(obj, item, meta.columns)


# ---------------------------------------------------------------------------------------
# the fallbacks of the compiled code: a column it could not convert is handed to the code above

#: what the compiled code's own inline dump of bloop's types (and their ``_dump``) can raise:
#: the generic code then dumps the value again and raises its error
DUMP_INLINE_ERRORS = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError)
#: what a user's type's dump raises that the compiled code names (any other error passes as it is)
DUMP_NAMED_ERRORS = (InvalidValue, UnicodeEncodeError)
#: what the compiled code's own inline load of bloop's types can raise: the generic code then
#: loads the value again, or raises its error
LOAD_INLINE_ERRORS = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, OSError)
#: what a user's type's load raises that the compiled code names, as the generic code does
LOAD_NAMED_ERRORS = _LOAD_ERRORS


def _alone(error: BaseException, attempt: BaseException) -> None:
    """Cut the compiled code's failed ``attempt`` out of ``error``'s chain: the generic code
    ran while it was being handled, so Python recorded it as the context of what the generic
    code raised.  What is left is one traceback with its explicit causes."""
    seen = set()
    link: Optional[BaseException] = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if link.__context__ is attempt:
            link.__context__ = None
        link = link.__cause__ or link.__context__


def _reload(column: Any, wire: Wire, error: BaseException) -> Any:
    """A value of bloop's own types that a compiled expression could not load (off its fast
    path, or bad): the generic code loads it or raises the generic error."""
    try:
        return _load_column(column, wire)
    except BaseException as generic:
        _alone(generic, error)
        raise


def _redump(column: Any, value: Any, error: BaseException) -> None:
    """A value of bloop's own types the compiled code could not dump (or size): the generic
    code raises the generic error for it."""
    try:
        dump_column(column, value)
    except BaseException as generic:
        _alone(generic, error)
        raise
    raise error  # pragma: no cover - the generic code refuses what the compiled code refused


def _dump_failed(column: Any, value: Any, error: BaseException) -> None:
    """A column with a user's type failed to dump (one of DUMP_NAMED_ERRORS): its error,
    naming the column (the user's code is not called again)."""
    if isinstance(error, UnicodeEncodeError):
        raise _named(column, types.text_error(error.object, error.start)) from error
    assert isinstance(error, InvalidValue)  # the other one the compiled code catches
    raise _named(column, error) from error


def _load_failed(column: Any, wire: Wire, error: BaseException) -> None:
    """A column with a user's type failed to load (one of LOAD_NAMED_ERRORS): its error,
    named as the generic code names it (the user's code is not called again)."""
    raise _load_error(column, wire, error) from error
