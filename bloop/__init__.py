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
from .exceptions import BadResponse
from .models import BaseModel, Column, GlobalSecondaryIndex, LocalSecondaryIndex
from .types import (
    JSON, UUID, Binary, Boolean, DateTime, DynamicList, DynamicMap, Enum, Float, Integer, List,
    Map, Number, Set, String, Timestamp, Type,
)

__version__ = "4.0.0.dev0"

__all__ = [
    "actions", "from_item", "to_item", "Condition", "size", "Engine",
    "BatchIncomplete", "BloopException", "ConstraintViolation", "DuplicateKeys", "InvalidCondition",
    "InvalidModel", "InvalidSearch", "InvalidType", "InvalidValue", "LimitExceeded", "MissingKey",
    "ObjectsNotFound", "RequestRejected", "ServiceError", "TableMismatch", "TableNotFound", "Throttled",
    "TransactionCanceled", "UnknownColumn",
    "InvalidConfiguration", "InvalidStream", "InvalidTransaction", "TransactionTokenExpired", "signals",
    "BadResponse",
    "BaseModel", "Column", "GlobalSecondaryIndex", "LocalSecondaryIndex",
    "JSON", "UUID", "Binary", "Boolean", "DateTime", "DynamicList", "DynamicMap", "Enum", "Float",
    "Integer", "List", "Map", "Number", "Set", "String", "Timestamp", "Type",
]
