"""Every error bloop raises, under one root.

Bad input is refused before any request is sent; those errors are also a
``ValueError`` or ``TypeError`` so callers that never heard of bloop still
catch them.  Outcomes reported by DynamoDB are translated to the most specific
class below, with the botocore error chained as ``__cause__``::

    BloopException
    ├── InvalidModel              (ValueError)  a model declared wrongly
    ├── InvalidCondition          (ValueError)  a condition that cannot be rendered
    ├── InvalidSearch             (ValueError)  a query/scan that cannot be sent
    ├── InvalidTransaction        (ValueError)  a transaction used the wrong way
    ├── InvalidStream             (ValueError)  a stream that cannot be read as asked
    ├── InvalidConfiguration      (ValueError)  no client can be made (no region, a bad endpoint)
    ├── MissingKey                (ValueError)  an object without its key values
    ├── DuplicateKeys             (ValueError)  one key twice in one call
    ├── InvalidValue              (ValueError)  a value DynamoDB would refuse
    │   ├── InvalidType           (TypeError)   a value of the wrong Python type
    │   └── LimitExceeded                       one of DynamoDB's size/count limits
    ├── UnknownColumn             (TypeError)   a keyword that names no column
    ├── ServiceError                            DynamoDB refused or failed a request
    │   ├── ConstraintViolation                 a condition failed (.old: the item)
    │   ├── TransactionCanceled                 (.reasons, in request order)
    │   ├── Throttled                           throttled after botocore's retries
    │   ├── TableNotFound                       the table does not exist
    │   ├── RequestRejected                     ValidationException and the like
    │   └── BadResponse                         a 2xx answer that is not DynamoDB's
    ├── TableMismatch                           an existing table differs from the model
    ├── TransactionTokenExpired                 a retry past the idempotency window
    ├── OutcomeUnknown                          a write's answer was lost: applied or not, unknown
    ├── ObjectsNotFound                         load: .missing lists the objects
    └── BatchIncomplete                         .unprocessed: objects not confirmed done
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence, Tuple

__all__ = [
    "BloopException", "InvalidModel", "InvalidCondition", "InvalidSearch",
    "InvalidTransaction", "InvalidStream", "InvalidConfiguration", "TransactionTokenExpired",
    "MissingKey", "DuplicateKeys", "InvalidValue", "InvalidType", "LimitExceeded",
    "UnknownColumn", "ServiceError", "ConstraintViolation", "TransactionCanceled",
    "Throttled", "TableNotFound", "RequestRejected", "BadResponse", "TableMismatch",
    "ObjectsNotFound", "BatchIncomplete", "OutcomeUnknown",
]


class BloopException(Exception):
    """The root of every error bloop raises."""


class InvalidModel(BloopException, ValueError):
    """A model class is declared in a way DynamoDB or bloop cannot support."""


class InvalidCondition(BloopException, ValueError):
    """A condition or update action cannot be rendered into an expression."""


class InvalidSearch(BloopException, ValueError):
    """A query or scan is missing something it needs, or asks for the impossible."""


class InvalidTransaction(BloopException, ValueError):
    """A transaction is used the wrong way: a write in a read transaction, a check
    without a condition, a nested transaction of the other mode, ..."""


class InvalidStream(BloopException, ValueError):
    """A stream cannot be read as asked: the model declares no stream, the position is
    unknown, or a token is not a stream token."""


class InvalidConfiguration(BloopException, ValueError):
    """An engine cannot make its client: no AWS region, or an endpoint URL botocore refuses."""


class MissingKey(BloopException, ValueError):
    """An object lacks a value for one of its table's key columns."""


class DuplicateKeys(BloopException, ValueError):
    """The same key appears more than once in one load, save or delete call.

    :ivar keys: the repeated keys, as ``{column name: value}`` dicts.
    """

    def __init__(self, message: str, keys: Sequence[Dict[str, Any]]) -> None:
        super().__init__(message)
        self.keys = list(keys)


class InvalidValue(BloopException, ValueError):
    """A value breaks one of DynamoDB's rules for attribute values."""


class InvalidType(InvalidValue, TypeError):
    """A value is not of the Python type its column expects."""


class LimitExceeded(InvalidValue):
    """A request would exceed one of DynamoDB's documented limits."""


class UnknownColumn(BloopException, TypeError):
    """A keyword argument or attribute name that no column of the model declares."""


class ServiceError(BloopException):
    """DynamoDB (or the endpoint standing in for it) refused or failed a request.

    The message names the operation and the table, and the object when the request
    was for one: ``UpdateItem on table 'users' for User(id='u1'): ValidationException: ...``.

    :ivar code: the service's error code, e.g. ``"ValidationException"``.
    :ivar operation: the API operation, e.g. ``"UpdateItem"``.
    :ivar table: the table the request was for (the names joined by ``", "`` for a
        batch or transaction on several), or ``""`` when it names none.
    :ivar obj: the object the request was for, when it was for one.
    """

    obj: Any = None

    def __init__(self, message: str, *, code: str = "", operation: str = "",
                 response: Any = None, table: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation
        self.response = response
        self.table = table

    #: how many of botocore's earlier attempts of this request lost their answer (a 5xx, a
    #: dropped connection, a timeout, ...) before the attempt that raised this error: those
    #: attempts may have been applied
    lost_answers: int = 0

    def _about(self, obj: Any, name: str) -> None:
        """Name ``obj`` (``name`` is its model and key) in this error, the request's only object."""
        self.obj = obj
        message = str(self.args[0]) if self.args else ""
        where = self.operation + table_phrase(self.table)
        if where and message.startswith(where) and not message.startswith(f"{where} for "):
            message = f"{where} for {name}{message[len(where):]}"
        if isinstance(self, TableNotFound):
            message = message.replace(BIND_HINT.format(model="Model"), BIND_HINT.format(model=type(obj).__name__))
        self.args = (message,)


#: what a TableNotFound says to do (``{model}`` is the model's name when the object is known)
BIND_HINT = "is its model bound? engine.bind({model}) creates the table"


def table_phrase(table: str) -> str:
    """`` on table 'users'`` (or `` on tables 'a', 'b'``) for a table attribute, ``""`` for none."""
    if not table:
        return ""
    names = table.split(", ")
    if len(names) == 1:
        return f" on table {table!r}"
    return " on tables " + ", ".join(repr(name) for name in names)


class ConstraintViolation(ServiceError):
    """A write's condition did not hold; nothing was written.

    :ivar obj: the object whose condition failed, when bloop knows it.
    :ivar old: the item as it is in DynamoDB (wire format), when the service returned it.
    """

    old: Any = None


class UniqueViolation(ConstraintViolation):
    """Another object holds a value that must be unique (a column declared ``unique=True``,
    or a combination in ``Meta.unique``); the write that claimed it was not applied.

    :ivar model: the model whose constraint it is.
    :ivar columns: the names of the constraint's columns (one for a unique column).
    :ivar value: the contested value (a tuple for a combination).
    """

    model: Any = None
    columns: Tuple[str, ...] = ()
    value: Any = None


class UnknownType(BloopException):
    """An item read through a model of a family (several models in one table) holds a type
    value that no model of the family claims, and the family's base says ``Meta.unknown =
    "raise"`` (the default).  No object was made of it: bloop never loads an item as the
    wrong class.

    :ivar value: the item's type value (None if it has none).
    :ivar item: the item, in wire format.
    :ivar model: the model it was read through.
    """

    def __init__(self, message: str, *, value: Any = None, item: Any = None, model: Any = None) -> None:
        super().__init__(message)
        self.value = value
        self.item = item
        self.model = model


class TransactionCanceled(ServiceError):
    """DynamoDB canceled a transaction.

    :ivar reasons: one ``{"Code": ..., "Message": ...}`` dict per item, in the order
        the items were sent; ``"None"`` is DynamoDB's code for an untouched item.
    :ivar cancellations: from a bloop transaction: one
        :class:`~bloop.transactions.Cancellation` per item, in the same order, naming
        the object, the action, the code, the message and the item as DynamoDB held it.
    :ivar failed: from a bloop transaction: the objects whose code is not ``"None"``.
    """

    reasons: List[Any] = []
    cancellations: List[Any] = []
    failed: List[Any] = []


class TransactionTokenExpired(BloopException):
    """A prepared write transaction was committed again after its idempotency token
    expired (DynamoDB honours a ``ClientRequestToken`` for 10 minutes): retrying it
    could apply it twice.  Prepare the transaction again to send it with a new token."""


class OutcomeUnknown(BloopException):
    """A write's answer was lost (a dropped connection, a 5xx, a read timeout, an answer
    that does not decode), so it may or may not have been applied, and bloop could neither
    tell which nor re-send it without risking applying it twice.

    Raised for a write whose re-sending would change its result (``actions.add`` on a
    number, ``append``, ``col + n``, ``sync="old"``, ...: bloop does not re-send those),
    and for a re-sent conditional write that failed its condition on an item that no
    longer holds what the write wrote.  Load the item to see what it holds; see
    :doc:`updates` for writes that can be retried safely.

    :ivar obj: the object written, when bloop knows it.
    :ivar table: its table's name, when bloop knows it.
    :ivar operation: the API operation, e.g. ``"UpdateItem"``.
    """

    def __init__(self, message: str, *, operation: str = "", obj: Any = None, table: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.obj = obj
        self.table = table


class Throttled(ServiceError):
    """The request was still throttled after botocore's own retries gave up."""


class TableNotFound(ServiceError):
    """The table (or index) named in the request does not exist."""


class RequestRejected(ServiceError):
    """DynamoDB rejected the request as malformed (a ``ValidationException`` or kin)."""


class BadResponse(ServiceError):
    """Every attempt got a successful (2xx) answer that cannot be DynamoDB's: a body cut
    short, garbled, another server's page (a proxy's), or one without what DynamoDB always
    answers for the operation.  Such an answer is never read as an empty result; a write
    may or may not have been applied (as when its answer is lost).
    """


class TableMismatch(BloopException):
    """An existing table is not compatible with the model bound to it.

    :ivar model: the model class.
    :ivar differences: one human-readable line per difference.
    """

    def __init__(self, model: type, differences: Iterable[str]) -> None:
        self.model = model
        self.differences = list(differences)
        super().__init__(
            f"the table for {model.__name__} does not match the model: "
            + "; ".join(self.differences))


class ObjectsNotFound(BloopException):
    """Some objects passed to ``engine.load`` have no item in DynamoDB.

    The others were loaded.

    :ivar missing: the objects that were not found, in the order given.
    """

    def __init__(self, message: str, missing: Iterable[Any]) -> None:
        super().__init__(message)
        self.missing = list(missing)

    @property
    def objects(self) -> List[Any]:
        """``missing``, by bloop 3's name (``MissingObjects.objects``)."""
        return self.missing


class BatchIncomplete(BloopException):
    """A batch could not be completed; everything not listed in ``unprocessed`` (or,
    for a load, ``missing``) was done.

    ``unprocessed`` means *not confirmed*: an object DynamoDB left unprocessed was not
    written (or read), but one in a request that failed outright may or may not have
    been written (its answer was lost).  Sending them again is safe: a batch puts or
    deletes whole items.

    :ivar unprocessed: the objects not confirmed written (or read), in the order given;
        the ``unsent`` ones among them.
    :ivar unsent: the objects never sent, because ``batch_deadline`` passed before their
        turn: certainly not written (or read).
    :ivar missing: a load's objects that were read and have no item (as
        :class:`ObjectsNotFound` lists them); empty for a save or delete.
    :ivar done: the objects written, deleted or loaded, in the order given.
    :ivar operation: ``"save"``, ``"delete"`` or ``"load"``.
    """

    def __init__(self, message: str, unprocessed: Iterable[Any], operation: str, *,
                 unsent: Iterable[Any] = (), missing: Iterable[Any] = (), done: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self.unprocessed = list(unprocessed)
        self.operation = operation
        self.unsent = list(unsent)
        self.missing = list(missing)
        self.done = list(done)


#: bloop 3's names: those that mean the same thing today, and those that are gone
_RENAMED = {"MissingObjects": "ObjectsNotFound"}
_GONE = {
    "RecordsExpired": "RecordsExpired is gone: a Stream recovers from records past the 24-hour retention "
                      "itself (it carries on from the oldest that remain)",
    "ShardIteratorExpired": "ShardIteratorExpired is gone: a Stream recovers from an expired shard iterator "
                            "itself (it gets one after the last record taken)",
    "InvalidTemplate": "InvalidTemplate is gone: a bad table_name_template raises InvalidModel",
    "UnknownType": "UnknownType is gone: a column type that is not a bloop Type raises InvalidModel",
}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        return globals()[_RENAMED[name]]
    if name in _GONE:
        raise ImportError(f"bloop.exceptions.{_GONE[name]}", name=name)
    raise AttributeError(f"module 'bloop.exceptions' has no attribute {name!r}")
