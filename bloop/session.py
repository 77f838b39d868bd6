"""The only module that talks to AWS: a thin transport over a botocore client, and its
async sibling over an aiobotocore client.

:class:`Session` sends one request dict to one DynamoDB (or DynamoDB Streams)
operation and returns the response dict; :class:`AsyncSession` (the async engine's,
also ``bloop.aio.AsyncSession``) does the same with ``await``, sharing the error
translation, logging and attempt tracking below.  aiobotocore and asyncio are
imported only when an async session first needs them, so importing this module
(or ``bloop``) imports neither.  Every botocore error is translated
here to the most specific :mod:`bloop.exceptions` class, with the botocore
error chained as ``__cause__``.  Retries of throttling and 5xx responses stay
botocore's (bloop creates its clients in the ``standard`` retry mode); bloop
itself only re-sends what DynamoDB reports as unprocessed.  It follows botocore's
attempts of each request, though, so that a write whose answer was lost is known
as such, and one that must not be applied twice is not re-sent (see "lost
answers" below).

A 2xx answer that cannot be DynamoDB's (a body that is not one JSON object, or one
without what DynamoDB always answers for that operation: see :func:`response_problem`)
is retried by botocore like a 5xx and, when every attempt got one, raised as
:class:`~bloop.exceptions.BadResponse`.  :func:`install_checks` puts that check on a
client's documented events; every engine installs it on the clients it sends through.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import random
import time
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Set, Tuple

import botocore.exceptions
from botocore.config import Config

from .exceptions import (
    BIND_HINT, BadResponse, BloopException, ConstraintViolation, InvalidConfiguration, InvalidType, OutcomeUnknown,
    RequestRejected, ServiceError, TableNotFound, Throttled, TransactionCanceled, table_phrase,
)

if TYPE_CHECKING:
    import asyncio

__all__ = ["Session", "AsyncSession", "make_client", "translate_error", "failed", "succeeded", "TRANSPORT_ERRORS",
           "DEFAULT_CONFIG", "Attempts", "attempts", "watch_attempts", "watched", "client_config", "install_checks",
           "response_problem", "body_problem", "NotDynamoDBResponse", "ALWAYS_ANSWERED", "WRITES"]

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
                validate: Optional[bool] = None, connect_timeout: Optional[float] = None,
                read_timeout: Optional[float] = None, max_attempts: Optional[int] = None) -> Any:
    """A client from boto3's default session, with the standard retry mode and bloop's
    response check (:func:`install_checks`).

    :param fast_path: read DynamoDB's item responses on :mod:`bloop.fastpath`.
    :param validate: botocore's parameter validation.  Off by default, because bloop
        builds and checks its requests itself and validation is half the cost of a
        write; on when the environment variable ``BLOOP_VALIDATE_REQUESTS`` is set
        (bloop's test suite sets it, so a malformed request still fails there).
    :param connect_timeout: seconds to wait for a connection (botocore's default: 60).
    :param read_timeout: seconds to wait for an answer on a connection (botocore's default: 60).
    :param max_attempts: attempts per request, the first included (default: 5).
    """
    import boto3
    validate = validating(validate)
    config = DEFAULT_CONFIG.merge(Config(parameter_validation=validate, **fixed_user_agent(),
                                         **client_config(connect_timeout, read_timeout, max_attempts)))
    with client_errors(service):
        client = boto3.session.Session().client(
            service, endpoint_url=endpoint_url, region_name=region_name, config=config)
    if fast_path and service == "dynamodb":
        from . import fastpath
        fastpath.install(client, requests=not validate)
    return install_checks(client)


def client_config(connect_timeout: Optional[float] = None, read_timeout: Optional[float] = None,
                  max_attempts: Optional[int] = None) -> Dict[str, Any]:
    """The botocore ``Config`` options for an engine's ``connect_timeout``, ``read_timeout``
    and ``max_attempts`` (those given), checked; shared with the async engine's clients.

    :raises InvalidType: a timeout that is not a number, or attempts that are not an int.
    :raises InvalidConfiguration: a timeout that is not positive, or fewer than 1 attempt.
    """
    options: Dict[str, Any] = {}
    for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidType(f"{name} must be a number of seconds, not {value!r}")
        if not value > 0:
            raise InvalidConfiguration(f"{name} must be more than 0 seconds, not {value!r}")
        options[name] = value
    if max_attempts is not None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int):
            raise InvalidType(f"max_attempts must be an int, not {max_attempts!r}")
        if max_attempts < 1:
            raise InvalidConfiguration(f"max_attempts counts the first attempt: at least 1, not {max_attempts}")
        options["retries"] = {"mode": DEFAULT_CONFIG.retries["mode"], "total_max_attempts": max_attempts}
    return options


def inherited_config(client: Any) -> Dict[str, Any]:
    """The timeouts and attempts of ``client``, for a client made next to it (the streams
    client of an engine): as :func:`client_config` returns them."""
    config = client.meta.config
    retries = getattr(config, "retries", None) or {}
    attempts = retries.get("total_max_attempts")
    return client_config(getattr(config, "connect_timeout", None), getattr(config, "read_timeout", None),
                         attempts if isinstance(attempts, int) and attempts >= 1 else None)


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
        from ._version import __version__
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
    if isinstance(error, NotDynamoDBResponse):
        done = "it may or may not have been applied" if operation in WRITES else "nothing was read"
        return BadResponse(f"{where}: {error.kwargs.get('reason')}, in all {error.kwargs.get('attempts')} "
                           f"attempts: not an answer from DynamoDB; {done}",
                           code="BadResponse", operation=operation, table=table)
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
        exc: Any = cls(message, code=code, operation=operation, response=response, table=table)
        if cls is ConstraintViolation:
            exc.old = response.get("Item")
        elif cls is TransactionCanceled:
            exc.reasons = response.get("CancellationReasons", [])
        made: BloopException = exc
        return made
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
        self.dynamodb = watched(dynamodb)
        self._streams = None if dynamodbstreams is None else watched(dynamodbstreams, "dynamodbstreams")
        self._methods: Dict[str, Any] = {}

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
                                        region_name=meta.region_name, **_options(self.dynamodb))
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
        answer: Dict[str, Any] = response
        return answer


class AsyncSession:
    """Sends requests through aiobotocore clients: the async twin of :class:`Session` (also
    importable as ``bloop.aio.AsyncSession``).

    :param dynamodb: an aiobotocore DynamoDB client (already entered, e.g. with
        ``async with session.create_client("dynamodb") as client``); when None, one is
        made on first use from a new aiobotocore session, with ``endpoint_url`` and
        ``region_name``, and closed by :meth:`close`.
    :param dynamodbstreams: an aiobotocore DynamoDB Streams client, made on first use
        (next to the DynamoDB client's endpoint and region) when not given.
    :param fast_path: whether a DynamoDB client made here uses :mod:`bloop.fastpath`.
    :param connect_timeout: seconds to open a connection, for the clients made here (see
        :func:`bloop.session.make_client`).
    :param read_timeout: seconds to wait for an answer, for the clients made here.
    :param max_attempts: attempts of each request (the first included), for the clients made here.

    Every client, injected or made, gets bloop's response check
    (:func:`bloop.session.install_checks`).
    """

    def __init__(self, dynamodb: Any = None, dynamodbstreams: Any = None, *,
                 endpoint_url: Optional[str] = None, region_name: Optional[str] = None,
                 fast_path: bool = True, connect_timeout: Optional[float] = None,
                 read_timeout: Optional[float] = None, max_attempts: Optional[int] = None) -> None:
        self._clients: Dict[str, Any] = {}
        if dynamodb is not None:
            self._clients["dynamodb"] = watched(dynamodb)
        if dynamodbstreams is not None:
            self._clients["dynamodbstreams"] = watched(dynamodbstreams, "dynamodbstreams")
        self._where = {"endpoint_url": endpoint_url, "region_name": region_name}
        self._transport = client_config(connect_timeout, read_timeout, max_attempts)
        self._fast_path = fast_path
        self._made: Optional[contextlib.AsyncExitStack] = None
        self._own: Set[str] = set()  # the services whose client this session made
        self._lock: Optional[asyncio.Lock] = None
        self._aio_session: Any = None  # the aiobotocore session the clients are made from

    @property
    def dynamodb(self) -> Any:
        """The DynamoDB client, or None before the first request of an engine that makes its own."""
        return self._clients.get("dynamodb")

    async def client(self, service: str = "dynamodb") -> Any:
        """The client for ``service``, made (once, however many requests wait for it) if needed."""
        client = self._clients.get(service)
        if client is not None:
            return client
        if self._lock is None:
            import asyncio  # here: importing this module (and bloop) imports no asyncio
            self._lock = asyncio.Lock()
        async with self._lock:
            if service not in self._clients:
                self._clients[service] = await self._make(service)
                self._own.add(service)
        return self._clients[service]

    async def _make(self, service: str) -> Any:
        try:
            from aiobotocore.config import AioConfig
            from aiobotocore.session import get_session
        except ImportError as error:
            raise ImportError("bloop.aio.AsyncEngine needs aiobotocore: pip install bloop[aio]") from error
        where = dict(self._where)
        transport = self._transport
        dynamodb = self._clients.get("dynamodb")
        if service != "dynamodb" and dynamodb is not None:
            # next to the DynamoDB client: its endpoint, region, timeouts and attempts
            where = {"endpoint_url": dynamodb.meta.endpoint_url, "region_name": dynamodb.meta.region_name}
            transport = inherited_config(dynamodb)
        # the settings of the sync engine's clients (see bloop.session.make_client)
        validate = validating()
        options = {"retries": DEFAULT_CONFIG.retries, "parameter_validation": validate, **fixed_user_agent(),
                   **transport}
        try:
            # read botocore's service model files on a thread, not on the event loop
            config = AioConfig(warm_up_loader_caches=True, **options)
        except TypeError:  # an aiobotocore without that option
            config = AioConfig(**options)
        if self._made is None:
            self._made = contextlib.AsyncExitStack()
        if self._aio_session is None:
            self._aio_session = get_session()
        with client_errors(service):
            maker = self._aio_session.create_client(service, config=config, **where)
            client = await self._made.enter_async_context(maker)
        if self._fast_path and service == "dynamodb":
            from . import fastpath
            fastpath.install(client, requests=not validate)
        return watched(client, service)

    async def close(self) -> None:
        """Close the clients this session made (injected clients stay open: their owner closes them)."""
        made, self._made = self._made, None
        self._lock = None  # a lock belongs to one event loop; the next may be another
        for service in self._own:
            self._clients.pop(service, None)
        self._own.clear()
        if made is not None:
            await made.aclose()

    async def call(self, operation: str, request: Dict[str, Any], resend: bool = True) -> Dict[str, Any]:
        """Send ``request`` to ``operation`` (a client method name, e.g. ``"update_item"``).

        :param resend: as for :meth:`bloop.session.Session.call`.
        :raises BloopException: the most specific one for the failure (see
            :func:`bloop.session.translate_error`), raised from the botocore error.
        """
        client = await self.client("dynamodbstreams" if operation in _STREAM_OPERATIONS else "dynamodb")
        method = getattr(client, operation)
        started = time.monotonic()
        with attempts(resend) as watched:
            try:
                response: Dict[str, Any] = await method(**request)
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


def _options(client: Any) -> Dict[str, Any]:
    """:func:`make_client`'s keywords for the timeouts and attempts of ``client``."""
    options = inherited_config(client)
    retries = options.pop("retries", None)
    if retries:
        options["max_attempts"] = retries["total_max_attempts"]
    return options


# ---------------------------------------------------------------------------------------
# answers that are not DynamoDB's

#: What DynamoDB always sends in a successful answer to the operations bloop sends, by
#: operation (the response elements of the DynamoDB and DynamoDB Streams API references).
#: An answer without them is not DynamoDB's.  Not here: GetItem, whose answer lacks
#: ``Item`` when there is no such item, and PutItem, UpdateItem, DeleteItem and
#: TransactWriteItems, which may answer ``{}``; what depends on the request is checked
#: by :func:`response_problem`.  Other operations are only checked for a body that is
#: one JSON object.
ALWAYS_ANSWERED: Dict[str, Tuple[str, ...]] = {
    "Query": ("Count", "ScannedCount"),
    "Scan": ("Count", "ScannedCount"),
    "BatchGetItem": ("Responses", "UnprocessedKeys"),
    "BatchWriteItem": ("UnprocessedItems",),
    "TransactGetItems": ("Responses",),
    "CreateTable": ("TableDescription",),
    "DescribeTable": ("Table",),
    "DescribeTimeToLive": ("TimeToLiveDescription",),
    "UpdateTimeToLive": ("TimeToLiveSpecification",),
    "DescribeContinuousBackups": ("ContinuousBackupsDescription",),
    "UpdateContinuousBackups": ("ContinuousBackupsDescription",),
    "DescribeStream": ("StreamDescription",),
    "GetShardIterator": ("ShardIterator",),
    "GetRecords": ("Records",),
}

#: the operations that change something: a bad answer to one may follow its being applied
WRITES = frozenset(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                    "CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "UpdateContinuousBackups"])

#: the request parameters :func:`response_problem` reads, by operation
_READS_FROM_REQUEST = {"Query": ("Select",), "Scan": ("Select",), "UpdateItem": ("ReturnValues",),
                       "TransactGetItems": ("TransactItems",)}


def response_problem(operation: str, response: Any, request: Optional[Dict[str, Any]] = None) -> Optional[str]:
    """Why ``response``, the parsed 2xx answer to ``operation`` (an API name such as
    ``"Query"``), cannot be DynamoDB's; None when it can.

    This is the one decision "is this answer trustworthy for this operation", shared by
    the clients' retry check (:func:`install_checks`) and anything else that needs it.

    :param request: the request's parameters, for what depends on them: ``Items`` (as
        many as ``Count`` says) unless ``Select`` is ``COUNT``; ``Attributes`` for an
        UpdateItem with ``ReturnValues=ALL_NEW``; one answer per TransactGetItems item.
    """
    if not isinstance(response, dict):
        return f"the answer is a {type(response).__name__}, not a JSON object"
    missing = [name for name in ALWAYS_ANSWERED.get(operation, ()) if name not in response]
    request = request or {}
    if operation in ("Query", "Scan") and request.get("Select") != "COUNT":
        if "Items" not in response:
            missing.insert(0, "Items")
        elif isinstance(response.get("Count"), int) and len(response["Items"]) != response["Count"]:
            return f"the answer holds {len(response['Items'])} items but counts {response['Count']}"
    elif operation == "UpdateItem" and request.get("ReturnValues") == "ALL_NEW" and "Attributes" not in response:
        missing.append("Attributes")
    elif operation == "TransactGetItems" and "Responses" in response and "TransactItems" in request:
        if len(response["Responses"]) != len(request["TransactItems"]):
            return (f"the answer holds {len(response['Responses'])} items for the "
                    f"{len(request['TransactItems'])} asked for")
    if missing:
        return f"the answer lacks {', '.join(missing)}"
    return None


def body_problem(body: Any) -> Optional[str]:
    """Why ``body`` (the bytes of a 2xx answer) is not one JSON object, as every DynamoDB
    answer is; None when it is."""
    if not isinstance(body, (bytes, bytearray)):
        return "the answer has no body"
    if body.strip() == b"{}":
        return None
    from .fastpath import _json_loads
    try:
        decoded = _json_loads()(bytes(body))
    except (ValueError, TypeError):  # orjson's and json's errors (UnicodeDecodeError included)
        return f"the body ({len(body)} bytes) is not JSON" if body.strip() else "the body is empty"
    if not isinstance(decoded, dict):
        return f"the body is a JSON {type(decoded).__name__}, not an object"
    return None


class NotDynamoDBResponse(botocore.exceptions.BotoCoreError):  # type: ignore[misc]  # botocore has no types
    """Raised by a client with bloop's response check (:func:`install_checks`) when every
    attempt got a 2xx answer that cannot be DynamoDB's; bloop raises
    :class:`~bloop.exceptions.BadResponse` from it.  A botocore error, so code that calls
    the client itself catches it as one.
    """

    fmt = "{operation}: {reason}, in all {attempts} attempts: not an answer from DynamoDB"


_BODY = "bloop:body"  # the raw body, handed from before-parse to needs-retry in the parsed answer
_REQUEST = "bloop:request"  # what response_problem reads from the request, in botocore's request context
_CHECKS = "bloop-response-check-"
#: the operations DynamoDB answers with an empty body (documented: "HTTP 200 with an empty
#: body"); dynalite sends the JSON string ``""``: both are a success for these
_EMPTY_BODY_ANSWERS = frozenset({"TagResource", "UntagResource"})


class _Checks:
    """bloop's response check on one client: see :func:`install_checks`."""

    def __init__(self, attempts: int, legacy: bool) -> None:
        self.attempts = attempts
        self.legacy = legacy

    @staticmethod
    def keep_request(params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
        """``provide-client-params``: what :func:`response_problem` reads from the request."""
        names = _READS_FROM_REQUEST.get(getattr(model, "name", ""), ())
        if isinstance(context, dict) and isinstance(params, dict):
            context[_REQUEST] = {name: params[name] for name in names if name in params}

    @staticmethod
    def keep_body(response_dict: Any = None, customized_response_dict: Any = None, **_: Any) -> None:
        """``before-parse`` (after the fast path's): hand the raw body of a 2xx answer to
        :meth:`needs_retry`, and keep one that cannot be a JSON object from botocore's
        parser, which fails on it outside of its retries (a UnicodeDecodeError, an
        AttributeError for a JSON list), or reads it as an empty answer."""
        if response_dict is None or customized_response_dict is None or response_dict.get("status_code", 500) >= 300:
            return
        body = response_dict.get("body")
        customized_response_dict[_BODY] = body
        if isinstance(body, (bytes, bytearray)) and body != b"{}":  # b"{}": the fast path read it
            ends = body if body[:1] == b"{" and body[-1:] == b"}" else body.strip()
            if not (ends[:1] == b"{" and ends[-1:] == b"}" and _utf8(body)):
                response_dict["body"] = b"{}"  # needs_retry sees the body kept above

    def needs_retry(self, response: Any = None, attempts: Any = None, operation: Any = None,
                    request_dict: Any = None, caught_exception: Any = None, **_: Any) -> Optional[float]:
        """``needs-retry`` (after botocore's own handler): the delay before re-sending a 2xx
        answer that cannot be DynamoDB's, or :class:`NotDynamoDBResponse` after the last attempt."""
        if response is None or caught_exception is not None:
            return None
        http, parsed = response
        body = parsed.pop(_BODY, None) if isinstance(parsed, dict) else None
        if getattr(http, "status_code", 500) >= 300:
            return None
        context = request_dict.get("context") if isinstance(request_dict, dict) else None
        request = context.get(_REQUEST) if isinstance(context, dict) else None
        name = operation.name
        reason = response_problem(name, parsed, request)
        empty_by_design = name in _EMPTY_BODY_ANSWERS and isinstance(body, (bytes, bytearray)) and \
            body.strip() in (b"", b'""')
        if reason is None and len(parsed) == ("ResponseMetadata" in parsed) and not empty_by_design:
            # an empty answer: DynamoDB's "{}", or a body botocore could not read (which it
            # reads as an empty answer)
            reason = body_problem(body)
        if reason is None:
            return None
        made: int = attempts or 1
        if made >= self.attempts:
            raise NotDynamoDBResponse(operation=name, reason=reason, attempts=made)
        logger.debug("%s: HTTP %s %s: attempt %d of %d", name, http.status_code, reason, made, self.attempts)
        if self.legacy:  # botocore's legacy delays for DynamoDB
            return 0.05 * 2.0 ** (made - 1)
        return random.random() * min(0.05 * 2.0 ** (made - 1), 20.0)  # as botocore's standard mode


def _utf8(body: Any) -> bool:
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def watched(client: Any, service: str = "dynamodb") -> Any:
    """``client`` (botocore or aiobotocore) with everything bloop hangs on its events: the
    response check (:func:`install_checks`) and, for DynamoDB, the watch of each request's
    attempts (:func:`watch_attempts`).  Both sessions call it on every client they send
    through, injected or made; idempotent."""
    if service == "dynamodb":
        watch_attempts(client)
    return install_checks(client)


def install_checks(client: Any) -> Any:
    """Put bloop's response check on ``client`` (botocore or aiobotocore, DynamoDB or
    DynamoDB Streams); returns the client.  Idempotent.

    A 2xx answer whose body is not one JSON object, or that lacks what DynamoDB always
    answers for that operation (:func:`response_problem`), is then retried like a 5xx,
    within the client's own attempts (its ``total_max_attempts``; by default 3, or 10 in
    botocore's legacy retry mode), and raised as :class:`NotDynamoDBResponse` when the last
    attempt got one too.  Only documented events are used: ``provide-client-params``
    (what the check reads from the request), ``before-parse`` (the raw body) and
    ``needs-retry`` (the decision).
    """
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:
        return client  # not a botocore client (a test double): it has no events to hook
    service = client.meta.service_model.service_id.hyphenize()
    retries = getattr(client.meta.config, "retries", None) or {}
    legacy = retries.get("mode", "legacy") == "legacy"
    attempts = retries.get("total_max_attempts")
    if not isinstance(attempts, int) or attempts < 1:
        attempts = 10 if legacy else 3
    checks = _Checks(attempts, legacy)
    for operation in _READS_FROM_REQUEST:
        events.register(f"provide-client-params.{service}.{operation}", checks.keep_request,
                        unique_id=_CHECKS + "request-" + operation)
    events.register(f"before-parse.{service}", checks.keep_body, unique_id=_CHECKS + "body")
    events.register(f"needs-retry.{service}", checks.needs_retry, unique_id=_CHECKS + "retry")
    return client
