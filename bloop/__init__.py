"""bloop: a Python object mapper for Amazon DynamoDB."""
from . import actions, signals
from .codec import from_item, to_item
from .conditions import Condition, size
from .engine import Engine
from .exceptions import (
    BatchIncomplete, BloopException, ConstraintViolation, DuplicateKeys, InvalidCondition,
    InvalidModel, InvalidSearch, InvalidType, InvalidValue, LimitExceeded, MissingKey,
    ObjectsNotFound, RequestRejected, ServiceError, TableMismatch, TableNotFound, Throttled,
    TransactionCanceled, UnknownColumn,
)
from .exceptions import InvalidConfiguration, InvalidStream, InvalidTransaction, TransactionTokenExpired
from .exceptions import OutcomeUnknown
from .exceptions import BadResponse, UniqueViolation, UnknownType
from .entities import RawItem
from .lifecycle import ApplyFailed, Plan, PlanRefused
from .models import BaseModel, Column, GlobalSecondaryIndex, LocalSecondaryIndex
from .relations import Collection, ManyToOne, OneToMany
from .types import (
    JSON, UUID, Binary, Boolean, DateTime, DynamicList, DynamicMap, Enum, Float, Integer, List,
    Map, Number, Set, String, Timestamp, Type,
)

from ._version import __version__  # noqa: F401 - bloop.__version__

__all__ = [
    "actions", "from_item", "to_item", "Condition", "size", "Engine",
    "BatchIncomplete", "BloopException", "ConstraintViolation", "DuplicateKeys", "InvalidCondition",
    "InvalidModel", "InvalidSearch", "InvalidType", "InvalidValue", "LimitExceeded", "MissingKey",
    "ObjectsNotFound", "RequestRejected", "ServiceError", "TableMismatch", "TableNotFound", "Throttled",
    "TransactionCanceled", "UnknownColumn",
    "InvalidConfiguration", "InvalidStream", "InvalidTransaction", "TransactionTokenExpired", "signals",
    "OutcomeUnknown",
    "BadResponse", "UniqueViolation", "UnknownType",
    "RawItem",
    "Plan", "PlanRefused", "ApplyFailed",
    "BaseModel", "Column", "GlobalSecondaryIndex", "LocalSecondaryIndex",
    "ManyToOne", "OneToMany", "Collection",
    "JSON", "UUID", "Binary", "Boolean", "DateTime", "DynamicList", "DynamicMap", "Enum", "Float",
    "Integer", "List", "Map", "Number", "Set", "String", "Timestamp", "Type",
]


# bloop 3's top-level names (see docs/migrating.rst): those with the same meaning today
# are found where they live now; those that are gone say what to write instead.
_SIGNALS = ("before_create_table", "model_bound", "model_created", "object_deleted", "object_loaded",
            "object_modified", "object_saved")
_GONE = {
    "missing": "bloop 3's missing is gone: return None where a Column default returned missing (a default "
               "that gives None leaves the column unset, and a save leaves the attribute alone)",
    "model_validated": "bloop 3's model_validated signal is gone: connect to signals.model_bound",
    "RecordsExpired": "RecordsExpired is gone: a Stream recovers from records past the retention itself",
    "ShardIteratorExpired": "ShardIteratorExpired is gone: a Stream recovers from an expired iterator itself",
    "QueryIterator": "QueryIterator is gone: engine.query(...) returns a reusable bloop.search.Query",
    "ScanIterator": "ScanIterator is gone: engine.scan(...) returns a reusable bloop.search.Scan",
}


def __getattr__(name: str) -> object:
    if name == "MissingObjects":
        return ObjectsNotFound
    if name in _SIGNALS:
        return getattr(signals, name)
    if name == "Stream":
        from .stream import Stream
        return Stream
    if name in _GONE:
        raise ImportError(_GONE[name], name=name)
    raise AttributeError(f"module 'bloop' has no attribute {name!r}")
