"""The async engine: the same models, operations and searches, on aiobotocore.

:class:`AsyncEngine` is :class:`~bloop.engine.Engine` with coroutines::

    from bloop.aio import AsyncEngine

    async with AsyncEngine(endpoint_url="http://localhost:8000") as engine:
        await engine.bind(User)
        await engine.save(User(id="u1", name="Ann"))
        async for user in engine.query(User.by_name).key(User.name == "Ann"):
            print(user)

It shares everything but the transport with the sync engine: the settings, table
names and searches come from :class:`~bloop.engine.EngineCore`; every request is
built, every response decoded and every retry decided by the I/O-free generators of
:mod:`bloop.operations`, :mod:`bloop.tables` and :mod:`bloop.search`; errors are
translated by :func:`bloop.session.translate_error`.  This module adds only an async
driver for those generators (independent requests of one step run concurrently,
backoff uses :func:`asyncio.sleep`), an async session over aiobotocore clients, and
the ``async`` faces of searches, transactions and streams over their shared cores
(:class:`~bloop.search.Cursor`, :class:`~bloop.transactions.Transaction`,
:class:`~bloop.stream.Coordinator`).

aiobotocore is an optional extra (``pip install bloop[aio]``).  Importing this module
does not import it: an engine given a client never does, and one that makes its own
client imports it when it makes it.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional

from . import operations, signals
from .codec import paused_gc
from .conditions import Condition
from .engine import EngineCore, _check_consistent, _check_positional, _version_option, transport_options
from .exceptions import BloopException, InvalidStream
from .operations import Call, Op, Sleep
from .search import Cursor, CursorView, Prepared, Search, check_one, count
from .session import (
    _STREAM_OPERATIONS, DEFAULT_CONFIG, TRANSPORT_ERRORS, attempts, client_config, client_errors, failed,
    fixed_user_agent, inherited_config, install_checks, succeeded, validating, watch_attempts,
)
from .stream import Coordinator, Record
from .stream.stream import check_model
from .transactions import WRITE, PreparedTransaction, Transaction

__all__ = ["AsyncEngine", "AsyncSession", "AsyncSearchIterator", "AsyncTransaction", "AsyncStream", "drive"]


async def drive(op: Op, send: Callable[[List[Call]], Awaitable[List[Any]]],
                sleep: Callable[[float], Awaitable[Any]]) -> Any:
    """Run an operation generator with ``await``: the async twin of :func:`bloop.operations.drive`.

    :param send: ``await send(calls)`` returns the outcomes, in call order.
    :param sleep: ``await sleep(seconds)`` (:func:`asyncio.sleep`, or a fake in tests).
    """
    try:
        with paused_gc():  # the objects' keys and the requests are made here
            step = next(op)
        while True:
            if isinstance(step, Sleep):
                await sleep(step.seconds)
                step = op.send(None)
            else:
                outcomes = await send(step)  # the collector runs while the requests wait
                with paused_gc():  # responses become objects: see paused_gc
                    step = op.send(outcomes)
    except StopIteration as stop:
        return stop.value


class AsyncSession:
    """Sends requests through aiobotocore clients: the async twin of :class:`bloop.session.Session`.

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
            self._clients["dynamodb"] = install_checks(dynamodb)
            watch_attempts(dynamodb)
        if dynamodbstreams is not None:
            self._clients["dynamodbstreams"] = install_checks(dynamodbstreams)
        self._where = {"endpoint_url": endpoint_url, "region_name": region_name}
        self._transport = client_config(connect_timeout, read_timeout, max_attempts)
        self._fast_path = fast_path
        self._made: Optional[contextlib.AsyncExitStack] = None
        self._own: set = set()  # the services whose client this session made
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
        if service == "dynamodb":
            watch_attempts(client)
        return install_checks(client)

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
                response = await method(**request)
            except TRANSPORT_ERRORS as error:
                raise watched.count(failed(operation, request, error, started)) from error
        succeeded(operation, request, started)
        return response


class AsyncSearchIterator(CursorView):
    """Iterates a prepared search with ``async for``, page by page.

    :ivar token: the position after the last object yielded (see :meth:`Search.start_from`).
    """

    def __init__(self, call: Callable[[str, Dict[str, Any]], Awaitable[Dict[str, Any]]],
                 prepared: Prepared) -> None:
        self._call = call
        self.cursor = Cursor(prepared)

    def __aiter__(self) -> "AsyncSearchIterator":
        return self

    async def __anext__(self) -> Any:
        cursor = self.cursor
        while cursor.needs_page:
            if cursor.exhausted:
                raise StopAsyncIteration
            response = await self._call(cursor.operation, cursor.request())
            with paused_gc():  # the page becomes objects: see codec.paused_gc
                cursor.feed(response)
        if cursor.finished:
            raise StopAsyncIteration
        return cursor.take()

    async def pages(self) -> AsyncIterator[List[Any]]:
        """One list of objects per DynamoDB page."""
        cursor = self.cursor
        while not cursor.finished and not cursor.exhausted:
            response = await self._call(cursor.operation, cursor.request())
            with paused_gc():  # the page becomes objects: see codec.paused_gc
                cursor.feed(response)
            yield cursor.page()


class AsyncSearches:
    """The terminal operations of searches for an async engine: ``async for``, and
    coroutines for ``all``, ``first``, ``one`` and ``count``."""

    session: AsyncSession

    async def _run(self, op: Op) -> Any:
        raise NotImplementedError

    def _iterate(self, prepared: Prepared) -> Any:
        raise TypeError("a search of an AsyncEngine is iterated with async for (or await search.all())")

    def _aiterate(self, prepared: Prepared) -> AsyncSearchIterator:
        return AsyncSearchIterator(self.session.call, prepared)

    def _pages(self, prepared: Prepared) -> AsyncIterator[List[Any]]:
        return self._aiterate(prepared).pages()

    async def _all(self, search: Search) -> List[Any]:
        return [obj async for obj in search]

    async def _first(self, search: Search) -> Any:
        async for obj in search.limit(1):
            return obj
        return None

    async def _one(self, search: Search) -> Any:
        return check_one([obj async for obj in search.limit(2)])

    async def _count(self, prepared: Prepared) -> int:
        return await self._run(count(prepared))


class AsyncTransaction(Transaction):
    """``engine.transaction(mode)`` of an :class:`AsyncEngine`: ``async with``, and ``await tx.commit()``.

    Everything but the sending is :class:`bloop.transactions.Transaction`'s: collecting,
    validating, rendering, joining an open transaction of the same engine (in the same
    task), and the idempotency token a retry re-sends.
    """

    def __init__(self, engine: "AsyncEngine", mode: str = WRITE, *, token: Optional[str] = None) -> None:
        super().__init__(engine.policy, mode, token=token)
        self.engine = engine

    async def commit(self) -> PreparedTransaction:
        """Send the transaction; await again to retry with the same idempotency token.

        :raises TransactionCanceled: DynamoDB canceled it (``.cancellations`` says why, per object).
        :raises ObjectsNotFound: a read transaction found no item for some objects.
        """
        await self.engine._run(self.commit_op())
        assert self.prepared is not None
        return self.prepared

    async def __aenter__(self) -> "AsyncTransaction":
        self._enter()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._exit(exc_type is not None):
            await self.commit()


_NOWHERE = object()


class AsyncStream:
    """``engine.stream(Model, position)`` of an :class:`AsyncEngine`: ``async for record in stream``.

    The same reading as :class:`bloop.stream.Stream`, through the same
    :class:`~bloop.stream.Coordinator`.  Making a stream cannot await, so it goes to
    ``position`` on first use, or when ``await stream.move_to(position)`` says so.

    .. code-block:: python

        stream = engine.stream(User, "trim_horizon")
        async for record in stream:
            print(record.event_name, record.key, record.old, record.new)
        saved = stream.token

    :raises InvalidStream: the model declares no stream (``Meta.stream``).
    """

    def __init__(self, engine: "AsyncEngine", model: Any, position: Any) -> None:
        check_model(model)
        self.engine = engine
        self.model = model
        self.coordinator = Coordinator(model, engine._table_name(model))
        self._position = position  # where to go on first use; _NOWHERE once there

    async def heartbeat(self) -> None:
        """Keep the place of shards that have yielded nothing yet (as
        :meth:`Stream.heartbeat <bloop.stream.Stream.heartbeat>`); the records it reads are
        yielded next."""
        if self._position is not _NOWHERE:
            await self.move_to(self._position)
        await self.engine._run(self.coordinator.heartbeat())

    async def move_to(self, position: Any) -> "AsyncStream":
        """Go to ``"trim_horizon"``, ``"latest"``, an aware datetime, or a :attr:`token`."""
        await self.engine._run(self.coordinator.move_to(position))
        self._position = _NOWHERE
        return self

    @property
    def token(self) -> str:
        """The position after the last record yielded: a JSON string for :meth:`move_to`."""
        if self._position is not _NOWHERE:
            raise InvalidStream("this stream has not reached its position yet: iterate it or "
                                "await stream.move_to(position) first")
        return self.coordinator.token

    def __aiter__(self) -> AsyncIterator[Record]:
        return self._records()

    async def _records(self) -> AsyncIterator[Record]:
        if self._position is not _NOWHERE:
            await self.move_to(self._position)
        coordinator = self.coordinator
        while True:
            record = coordinator.take()
            if record is None:
                if not await self.engine._run(coordinator.poll()):
                    return
                continue
            yield record

    def __repr__(self) -> str:
        return f"<AsyncStream {self.model.__name__} shards={len(self.coordinator.shards)}>"


class AsyncEngine(EngineCore, AsyncSearches):
    """Binds models to DynamoDB tables and loads, saves, deletes and searches them, on aiobotocore.

    The same options as :class:`~bloop.engine.Engine`; the operations are coroutines,
    and searches are consumed with ``async for`` and ``await search.all()`` /
    ``first()`` / ``one()`` / ``count()``.

    :param dynamodb: an aiobotocore DynamoDB client, already entered (its owner closes
        it).  When not given, the engine makes one on first use (so it can be built
        before an event loop runs, e.g. at import time) from a new aiobotocore session
        with ``endpoint_url`` and ``region_name``, and closes it on :meth:`close` or at
        the end of ``async with engine``.
    :param dynamodbstreams: an aiobotocore DynamoDB Streams client, made on first use when not given.
    :param table_name_template: a format string with ``{table_name}`` or a callable ``model -> name``.
    :param batch_deadline: seconds to keep re-sending items DynamoDB left unprocessed.
    :param clock: monotonic seconds; :param sleep: an async sleep (both for tests).
    :param max_concurrency: independent batch requests of one operation in flight at once.
    :param fast_path: read item responses on :mod:`bloop.fastpath` (which works on
        aiobotocore's documented events as on botocore's).  Default: on for the client
        the engine makes, off for an injected one; True installs it on an injected client too.
    :param connect_timeout: seconds to open a connection, for the clients the engine makes
        (as for :class:`~bloop.engine.Engine`; with an injected client it raises
        :class:`~bloop.exceptions.InvalidConfiguration`, as do the next two).
    :param read_timeout: seconds to wait for an answer.
    :param max_attempts: attempts of each request, the first included.
    """

    def __init__(self, dynamodb: Any = None, dynamodbstreams: Any = None, *,
                 endpoint_url: Optional[str] = None, region_name: Optional[str] = None,
                 table_name_template: Any = "{table_name}", batch_deadline: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rng: Optional[random.Random] = None, max_concurrency: int = 4,
                 fast_path: Optional[bool] = None, connect_timeout: Optional[float] = None,
                 read_timeout: Optional[float] = None, max_attempts: Optional[int] = None) -> None:
        super().__init__(table_name_template=table_name_template, batch_deadline=batch_deadline,
                         clock=clock, rng=rng, max_concurrency=max_concurrency)
        transport = transport_options(connect_timeout, read_timeout, max_attempts, dynamodb, dynamodbstreams)
        if dynamodb is not None and fast_path:
            from . import fastpath
            fastpath.install(dynamodb)
        self.session = AsyncSession(dynamodb, dynamodbstreams, endpoint_url=endpoint_url, region_name=region_name,
                                    fast_path=fast_path is not False, **transport)
        self._sleep = sleep

    # ---------------------------------------------------------------------------------------
    async def _send(self, calls: List[Call]) -> List[Any]:
        """Send independent calls, up to ``max_concurrency`` at once; outcomes in call order.

        As for the sync engine, a bloop error is that call's outcome, so a batch can
        tell which chunk failed.
        """
        call = self.session.call
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(request: Call) -> Any:
            async with limit:
                try:
                    return await call(request.operation, request.request, **request.options)
                except BloopException as error:
                    return error

        if len(calls) == 1:
            return [await one(calls[0])]
        tasks = [asyncio.ensure_future(one(request)) for request in calls]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:  # cancelled, or not a bloop error: leave nothing running
            for task in tasks:
                task.cancel()
            raise

    async def _run(self, op: Op) -> Any:
        return await drive(op, self._send, self._sleep)

    # ---------------------------------------------------------------------------------------
    async def bind(self, model: Any = None, *, skip_table_setup: bool = False) -> None:
        """Bind a model and its concrete subclasses (default: ``engine.model``'s).

        As :meth:`Engine.bind <bloop.engine.Engine.bind>`: creates missing tables, waits
        until they are ACTIVE and checks existing ones against the models.

        :raises InvalidModel: ``model`` is not a model class.
        :raises TableMismatch: an existing table is not compatible with its model.
        """
        for cls, name in self._to_bind(model).items():
            if not skip_table_setup:
                await self._run(self._bind_op(cls, name))
            self._bound_to(cls, name)

    async def load(self, objs: Any, consistent: bool = False) -> None:
        """Fill objects in place from DynamoDB, by their keys.

        :raises ObjectsNotFound: ``.missing`` lists the objects with no item (the rest are loaded).
        """
        _check_consistent(consistent)
        await self._run(operations.load(self.policy, objs, consistent))

    async def save(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None,
                   check_version: bool = True, add_version_condition: Optional[bool] = None) -> None:
        """Save one object or an iterable of them (see :meth:`Engine.save <bloop.engine.Engine.save>`)."""
        _check_positional(condition, "save")
        check_version = _version_option(check_version, add_version_condition)
        await self._run(operations.save(self.policy, objs, condition, sync, check_version))

    async def delete(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None,
                     check_version: bool = True, add_version_condition: Optional[bool] = None) -> None:
        """Delete one object or an iterable of them (see :meth:`Engine.delete <bloop.engine.Engine.delete>`)."""
        _check_positional(condition, "delete")
        check_version = _version_option(check_version, add_version_condition)
        await self._run(operations.delete(self.policy, objs, condition, sync, check_version))

    def transaction(self, mode: str = WRITE, *, token: Optional[str] = None) -> "AsyncTransaction":
        """A transaction: ``async with engine.transaction() as tx: tx.save(a); tx.delete(b)``.

        As :meth:`Engine.transaction <bloop.engine.Engine.transaction>`: commits when the
        block exits without an exception, joins an open transaction of this engine in the
        same task, and ``mode="r"`` is for ``tx.load(...)``.
        """
        return AsyncTransaction(self, mode, token=token)

    def stream(self, model: Any, position: Any) -> AsyncStream:
        """The model's table stream from ``"trim_horizon"``, ``"latest"``, an aware datetime
        or a token, read with ``async for``.  See :class:`AsyncStream`."""
        return AsyncStream(self, model, position)

    def _aiterate(self, prepared: Prepared) -> AsyncSearchIterator:
        return super()._aiterate(signals.announce_loads(self, prepared))

    # client lifetime -----------------------------------------------------------------------
    async def close(self) -> None:
        """Close the clients this engine made; injected clients are left to their owner."""
        await self.session.close()

    async def __aenter__(self) -> "AsyncEngine":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()
