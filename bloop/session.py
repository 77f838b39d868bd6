"""The only module that talks to AWS: a thin transport over a botocore client.

:class:`Session` sends one request dict to one DynamoDB (or DynamoDB Streams)
operation and returns the response dict.  Every botocore error is translated
here to the most specific :mod:`bloop.exceptions` class, with the botocore
error chained as ``__cause__``.  Retries of throttling and 5xx responses stay
botocore's (bloop creates its clients in the ``standard`` retry mode); bloop
itself only re-sends what DynamoDB reports as unprocessed.  It follows botocore's
attempts of each request, though, so that a write whose answer was lost is known
as such, and one that must not be applied twice is not re-sent (see "lost
answers" below).
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import time
from typing import Any, Dict, Iterator, Optional

import botocore.exceptions
from botocore.config import Config

from .exceptions import (
    BIND_HINT, BloopException, ConstraintViolation, InvalidConfiguration, OutcomeUnknown, RequestRejected,
    ServiceError, TableNotFound, Throttled, TransactionCanceled, table_phrase,
)

__all__ = ["Session", "make_client", "translate_error", "failed", "succeeded", "TRANSPORT_ERRORS",
           "DEFAULT_CONFIG", "Attempts", "attempts", "watch_attempts"]

#: DEBUG: one line per request (operation, table, duration, outcome); never parameters
#: values, headers or credentials.
logger = logging.getLogger("bloop.session")

#: the botocore configuration of clients bloop creates itself
DEFAULT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4})

#: what a botocore (or aiobotocore) client raises for a request that failed
TRANSPORT_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)

_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException",
              "RequestLimitExceeded", "LimitExceededException"}
_REJECTED = {"ValidationException", "SerializationException", "ItemCollectionSizeLimitExceededException",
             "UnknownOperationException", "ResourceInUseException", "IdempotentParameterMismatchException"}


def make_client(service: str = "dynamodb", *, endpoint_url: Optional[str] = None,
                region_name: Optional[str] = None, fast_path: bool = True,
                validate: Optional[bool] = None) -> Any:
    """A client from boto3's default session, with the standard retry mode.

    :param fast_path: read DynamoDB's item responses on :mod:`bloop.fastpath`.
    :param validate: botocore's parameter validation.  Off by default, because bloop
        builds and checks its requests itself and validation is half the cost of a
        write; on when the environment variable ``BLOOP_VALIDATE_REQUESTS`` is set
        (bloop's test suite sets it, so a malformed request still fails there).
    """
    import boto3
    validate = validating(validate)
    config = DEFAULT_CONFIG.merge(Config(parameter_validation=validate, **fixed_user_agent()))
    with client_errors(service):
        client = boto3.session.Session().client(
            service, endpoint_url=endpoint_url, region_name=region_name, config=config)
    if fast_path and service == "dynamodb":
        from . import fastpath
        fastpath.install(client, requests=not validate)
    return client


def fixed_user_agent() -> Dict[str, str]:
    """The ``Config`` option that gives clients bloop makes a User-Agent built once.

    botocore rebuilds its structured User-Agent for every request (about a tenth of its
    own per-request work against a fast endpoint); botocore's documented ``user_agent``
    setting replaces it with a fixed one in botocore's earlier form, naming bloop too
    (botocore adds its own name and version): ``bloop/4.0.0 Python/3.11.7 Linux/6.1
    Botocore/1.43.0``.  An application id set with
    ``AWS_SDK_UA_APP_ID`` is only sent in the structured form, so then botocore's stays.
    """
    global _USER_AGENT
    if os.environ.get("AWS_SDK_UA_APP_ID"):
        return {}
    if _USER_AGENT is None:
        import platform
        from . import __version__
        _USER_AGENT = f"bloop/{__version__} Python/{platform.python_version()} {platform.system()}/{platform.release()}"
    return {"user_agent": _USER_AGENT}


_USER_AGENT: Optional[str] = None


@contextlib.contextmanager
def client_errors(service: str) -> Iterator[None]:
    """botocore's refusals to make a client, as :class:`~bloop.exceptions.InvalidConfiguration`
    (shared with the async engine, whose clients are made on first use)."""
    try:
        yield
    except botocore.exceptions.NoRegionError as error:
        raise InvalidConfiguration(
            f"no AWS region for the {service} client: pass region_name=... to the engine, or set "
            "AWS_DEFAULT_REGION (or a region in the AWS config file)") from error
    except ValueError as error:  # botocore: "Invalid endpoint: ..."
        raise InvalidConfiguration(f"cannot make the {service} client: {error}") from error


def validating(validate: Optional[bool] = None) -> bool:
    """Whether a client bloop makes validates request parameters (see :func:`make_client`);
    shared with the async engine's clients."""
    if validate is None:
        return os.environ.get("BLOOP_VALIDATE_REQUESTS", "").lower() not in ("", "0", "false", "no")
    return bool(validate)


def translate_error(error: Exception, operation: str, table: str = "") -> BloopException:
    """The bloop exception for a botocore error (the caller raises it ``from error``).

    :param table: the table the request was for (see :func:`tables_of`), named in the message.
    """
    where = operation + table_phrase(table)
    if isinstance(error, botocore.exceptions.ClientError):
        response = error.response or {}
        details = response.get("Error", {})
        code = details.get("Code", "")
        message = f"{where}: {code}: {details.get('Message', '')}"
        if code == "ResourceNotFoundException" and table:
            message += f"; {BIND_HINT.format(model='Model')}"
        cls: type = ServiceError
        if code == "ConditionalCheckFailedException":
            cls = ConstraintViolation
        elif code == "TransactionCanceledException":
            cls = TransactionCanceled
        elif code in _THROTTLED:
            cls = Throttled
        elif code == "ResourceNotFoundException":
            cls = TableNotFound
        elif code in _REJECTED:
            cls = RequestRejected
        exc = cls(message, code=code, operation=operation, response=response, table=table)
        if cls is ConstraintViolation:
            exc.old = response.get("Item")
        elif cls is TransactionCanceled:
            exc.reasons = response.get("CancellationReasons", [])
        return exc
    if isinstance(error, botocore.exceptions.ParamValidationError):
        return RequestRejected(f"{where}: {error}", code="ParamValidation", operation=operation, table=table)
    return ServiceError(f"{where}: {type(error).__name__}: {error}",
                        code=type(error).__name__, operation=operation, table=table)


def tables_of(request: Dict[str, Any]) -> str:
    """The table (or, joined by ``", "``, the tables) a request is for, as errors name it."""
    if "TableName" in request:
        return str(request["TableName"])
    items = request.get("RequestItems")
    if isinstance(items, dict):
        return ", ".join(items)
    names: Dict[str, None] = {}
    for item in request.get("TransactItems") or ():
        for action in item.values() if isinstance(item, dict) else ():
            if isinstance(action, dict) and "TableName" in action:
                names[str(action["TableName"])] = None
    return ", ".join(names)


class Session:
    """Sends requests through injected botocore clients.

    :param dynamodb: a botocore/boto3 DynamoDB client.
    :param dynamodbstreams: a DynamoDB Streams client, made on first use if not given.
    """

    def __init__(self, dynamodb: Any, dynamodbstreams: Any = None) -> None:
        self.dynamodb = dynamodb
        self._streams = dynamodbstreams
        self._methods: Dict[str, Any] = {}
        watch_attempts(dynamodb)

    @property
    def dynamodbstreams(self) -> Any:
        if self._streams is None:
            meta = self.dynamodb.meta
            # A local endpoint (moto server, dynalite, DynamoDB Local) serves both APIs;
            # AWS's own endpoints differ per service, so let botocore resolve that one.
            endpoint = meta.endpoint_url
            if endpoint and ".amazonaws.com" in endpoint:
                endpoint = None
            self._streams = make_client("dynamodbstreams", endpoint_url=endpoint,
                                        region_name=meta.region_name)
        return self._streams

    def call(self, operation: str, request: Dict[str, Any], resend: bool = True) -> Dict[str, Any]:
        """Send ``request`` to ``operation`` (a client method name, e.g. ``"update_item"``).

        :param resend: False for a request that must not be applied twice: botocore
            re-sends it only after an answer that says it was not applied (throttling);
            after a lost answer it raises :class:`~bloop.exceptions.OutcomeUnknown`.
        """
        method = self._methods.get(operation)
        if method is None:
            client = self.dynamodbstreams if operation in _STREAM_OPERATIONS else self.dynamodb
            method = self._methods[operation] = getattr(client, operation)
        started = time.monotonic()
        with attempts(resend) as watched:
            try:
                response = method(**request)
            except TRANSPORT_ERRORS as error:
                raise watched.count(failed(operation, request, error, started)) from error
        succeeded(operation, request, started)
        return response


def failed(operation: str, request: Dict[str, Any], error: Exception, started: float) -> BloopException:
    """The bloop error for a request that raised ``error`` (logged at DEBUG); the caller
    raises it ``from error``.  Shared by the sync and the async session."""
    translated = translate_error(error, _pascal(operation), tables_of(request))
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s %s failed after %.3fs: %s", operation, _target(request),
                     time.monotonic() - started, getattr(translated, "code", ""))
    return translated


def succeeded(operation: str, request: Dict[str, Any], started: float) -> None:
    """Log a request that succeeded at DEBUG (operation, table, duration; never values)."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s %s in %.3fs", operation, _target(request), time.monotonic() - started)


_STREAM_OPERATIONS = {"describe_stream", "get_shard_iterator", "get_records", "list_streams"}


def _target(request: Dict[str, Any]) -> str:
    if "TableName" in request:
        return str(request["TableName"])
    items = request.get("RequestItems") or request.get("TransactItems")
    if isinstance(items, dict):
        return ",".join(f"{table}({len(v) if isinstance(v, list) else len(v.get('Keys', []))})"
                        for table, v in items.items())
    return ""


def _pascal(operation: str) -> str:
    return "".join(part.title() for part in operation.split("_"))


# ---------------------------------------------------------------------------------------
# lost answers
#
# DynamoDB documents that a request whose answer is lost (a 5xx, a dropped connection, a
# read timeout) may or may not have been applied, and botocore re-sends it.  Two handlers
# on the client's documented events follow the attempts of each request sent inside
# ``attempts()``: ``needs-retry`` (after each attempt) notes whether its answer was lost,
# ``request-created`` (before each attempt) counts the re-sends that follow a lost answer,
# and for a request that must not be applied twice stops botocore there, raising
# OutcomeUnknown.  Throttling and refused connections say the request was not applied, so
# those are still re-sent.

#: botocore errors raised before a request left the client: it cannot have been applied
_NOT_SENT = (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError)


class Attempts:
    """What botocore's attempts of one request came to.

    :ivar resend: whether the request may be re-sent after a lost answer.
    :ivar sent: attempts sent so far.
    :ivar lost: re-sends that followed a lost answer (the attempt before may have been applied).
    """

    __slots__ = ("resend", "sent", "lost", "last")

    def __init__(self, resend: bool) -> None:
        self.resend = resend
        self.sent = 0
        self.lost = 0
        #: why the last attempt's answer was lost, or None when it said what happened
        self.last: Optional[str] = None

    def count(self, error: BloopException) -> BloopException:
        """``error`` (raised for the last attempt) with the lost answers before it."""
        if isinstance(error, ServiceError):
            error.lost_answers = self.lost
        return error


_ATTEMPTS: "contextvars.ContextVar[Optional[Attempts]]" = contextvars.ContextVar("bloop_attempts", default=None)


@contextlib.contextmanager
def attempts(resend: bool = True) -> Iterator[Attempts]:
    """Follow the attempts of the request sent in this block (in this thread or task)."""
    watched = Attempts(resend)
    token = _ATTEMPTS.set(watched)
    try:
        yield watched
    finally:
        _ATTEMPTS.reset(token)


def watch_attempts(client: Any) -> None:
    """Register the two handlers on a DynamoDB client (botocore or aiobotocore); idempotent."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:
        return
    # first, so that a request not to be re-sent stops before botocore's backoff sleep
    events.register_first("needs-retry.dynamodb", _answered, unique_id="bloop-lost-answers-answered")
    events.register("request-created.dynamodb", _sending, unique_id="bloop-lost-answers-sending")


#: a 2xx answer that botocore re-sends all the same: its body did not decode or check out
_RESENT_2XX = "an answer whose body did not decode or check out"


def _lost(response: Any, caught: Any) -> Optional[str]:
    """Why an attempt's answer leaves its outcome unknown, or None when it does not."""
    if caught is not None:
        return None if isinstance(caught, _NOT_SENT) else f"{type(caught).__name__}: {caught}"
    status = response[0].status_code if response else 0
    if status < 300:
        return _RESENT_2XX  # matters only when it is re-sent all the same
    if status < 500:
        return None  # refused (throttled, say): not applied
    return f"HTTP {status}"


def _answered(response: Any = None, caught_exception: Any = None, operation: Any = None, **_: Any) -> None:
    watched = _ATTEMPTS.get()
    if watched is None:
        return
    watched.last = _lost(response, caught_exception)
    if watched.last and watched.last is not _RESENT_2XX and not watched.resend:
        raise _unknown(getattr(operation, "name", ""), watched.last) from caught_exception


def _sending(operation_name: str = "", **_: Any) -> None:
    watched = _ATTEMPTS.get()
    if watched is None:
        return
    watched.sent += 1
    if watched.sent > 1 and watched.last:
        watched.lost += 1
        if not watched.resend:
            raise _unknown(operation_name, watched.last)


def _unknown(operation: str, why: str) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"{operation}: the answer was lost ({why.rstrip('.')}): DynamoDB may or may not have applied the "
        "request, and it was not re-sent because applying it twice would change the result",
        operation=operation)
