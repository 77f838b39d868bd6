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
    ├── ObjectsNotFound                         load: .missing lists the objects
    └── BatchIncomplete                         .unprocessed: objects not written/read
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

__all__ = [
    "BloopException", "InvalidModel", "InvalidCondition", "InvalidSearch",
    "InvalidTransaction", "InvalidStream", "InvalidConfiguration", "TransactionTokenExpired",
    "MissingKey", "DuplicateKeys", "InvalidValue", "InvalidType", "LimitExceeded",
    "UnknownColumn", "ServiceError", "ConstraintViolation", "TransactionCanceled",
    "Throttled", "TableNotFound", "RequestRejected", "BadResponse", "TableMismatch",
    "ObjectsNotFound", "BatchIncomplete",
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

    def __init__(self, message: str, keys: Sequence[dict]) -> None:
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

    :ivar code: the service's error code, e.g. ``"ValidationException"``.
    :ivar operation: the API operation, e.g. ``"UpdateItem"``.
    """

    def __init__(self, message: str, *, code: str = "", operation: str = "",
                 response: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation
        self.response = response


class ConstraintViolation(ServiceError):
    """A write's condition did not hold; nothing was written.

    :ivar obj: the object whose condition failed, when bloop knows it.
    :ivar old: the item as it is in DynamoDB (wire format), when the service returned it.
    """

    obj: Any = None
    old: Any = None


class TransactionCanceled(ServiceError):
    """DynamoDB canceled a transaction.

    :ivar reasons: one ``{"Code": ..., "Message": ...}`` dict per item, in the order
        the items were sent; ``"None"`` is DynamoDB's code for an untouched item.
    :ivar cancellations: from a bloop transaction: one
        :class:`~bloop.transactions.Cancellation` per item, in the same order, naming
        the object, the action, the code, the message and the item as DynamoDB held it.
    :ivar failed: from a bloop transaction: the objects whose code is not ``"None"``.
    """

    reasons: list = []
    cancellations: list = []
    failed: list = []


class TransactionTokenExpired(BloopException):
    """A prepared write transaction was committed again after its idempotency token
    expired (DynamoDB honours a ``ClientRequestToken`` for 10 minutes): retrying it
    could apply it twice.  Prepare the transaction again to send it with a new token."""


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


class BatchIncomplete(BloopException):
    """A batch could not be completed; everything not listed here was done.

    :ivar unprocessed: the objects not written (or not read), in the order given.
    :ivar operation: ``"save"``, ``"delete"`` or ``"load"``.
    """

    def __init__(self, message: str, unprocessed: Iterable[Any], operation: str) -> None:
        super().__init__(message)
        self.unprocessed = list(unprocessed)
        self.operation = operation
