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
translated by :func:`bloop.session.translate_error`.  This module adds only the
engine; the async session (:class:`bloop.session.AsyncSession`) sits beside the sync
one in :mod:`bloop.session`, and the async driver, transport, search iterator,
transaction and stream beside their sync twins in :mod:`bloop.drivers` (all are
importable from here too).

aiobotocore is an optional extra (``pip install bloop[aio]``).  Importing this module
does not import it: an engine given a client never does, and one that makes its own
client imports it when it makes it.  ``AsyncEngine(boto3.client("dynamodb"))`` (or
``threads=True``) runs on botocore instead, each request on a thread pool
(:class:`~bloop.drivers.transport.ThreadTransport`): no aiobotocore at all, and
anything that intercepts botocore (moto's in-process mock, say) works with it.
"""
from __future__ import annotations

import asyncio
import random
import time
from typing import Any, Awaitable, Callable, List, Optional, TypeVar

from . import lifecycle, operations
from .conditions import Condition
from .drivers.drive import drive_async as drive
from .drivers.drive import drive_async
from .drivers.search import AsyncSearcher, AsyncSearchIterator
from .drivers.stream import AsyncStream
from .drivers.transaction import AsyncTransaction
from .drivers.transport import (
    AiobotocoreTransport, AsyncTransport, ThreadSession, ThreadTransport, is_async_client, is_botocore_client,
)
from .engine import EngineCore, _check_consistent, _check_positional, _version_option, transport_options
from .exceptions import InvalidConfiguration
from .operations import Op
from .relations import Collection
from .search import Async
from .session import AsyncSession, Session, make_client
from .transactions import WRITE

M = TypeVar("M")

__all__ = ["AsyncEngine", "AsyncSession", "AsyncSearchIterator", "AsyncTransaction", "AsyncStream", "drive"]


def _threads(threads: Optional[bool], dynamodb: Any, dynamodbstreams: Any) -> bool:
    """Whether an async engine runs on botocore on a thread pool: checks ``threads``
    against the injected clients (see :class:`AsyncEngine`)."""
    if threads not in (None, True, False):
        raise InvalidConfiguration(f"AsyncEngine(threads=...) is True, False or None (decide from the client), "
                                   f"not {threads!r}")
    if threads is None:
        threads = dynamodb is not None and is_botocore_client(dynamodb)
    for name, client in (("dynamodb", dynamodb), ("dynamodbstreams", dynamodbstreams)):
        if client is None:
            continue
        if threads and is_async_client(client):
            raise InvalidConfiguration(f"AsyncEngine(threads=True, or a botocore dynamodb client) runs botocore "
                                       f"on threads; {name} is an aiobotocore client: give clients of one kind")
        if not threads and is_botocore_client(client):
            raise InvalidConfiguration(f"AsyncEngine(threads=False, or an aiobotocore dynamodb client) sends "
                                       f"through aiobotocore; {name} is a blocking botocore client: pass "
                                       "threads=True with botocore clients, or give an aiobotocore one")
    return threads


class AsyncEngine(EngineCore[Async]):
    """Binds models to DynamoDB tables and loads, saves, deletes and searches them, on
    aiobotocore (or on botocore, on a thread pool).

    The same options as :class:`~bloop.engine.Engine`; the operations are coroutines,
    and searches are consumed with ``async for`` and ``await search.all()`` /
    ``first()`` / ``one()`` / ``count()``.

    :param dynamodb: an aiobotocore DynamoDB client, already entered (its owner closes
        it), or a botocore/boto3 one, run on a thread pool (see ``threads``).  When not
        given, the engine makes one on first use (so it can be built before an event
        loop runs, e.g. at import time) from a new aiobotocore session with
        ``endpoint_url`` and ``region_name``, and closes it on :meth:`close` or at the
        end of ``async with engine``.
    :param dynamodbstreams: an aiobotocore DynamoDB Streams client, made on first use when not given.
    :param table_name_template: a format string with ``{table_name}`` or a callable ``model -> name``.
    :param batch_deadline: seconds to keep re-sending items DynamoDB left unprocessed.
    :param clock: monotonic seconds (for tests).
    :param sleep: an async sleep (for tests).
    :param max_concurrency: independent batch requests of one operation in flight at once.
    :param fast_path: read item responses on :mod:`bloop.fastpath` (which works on
        aiobotocore's documented events as on botocore's).  Default: on for the client
        the engine makes, off for an injected one; True installs it on an injected client too.
    :param connect_timeout: seconds to open a connection, for the clients the engine makes
        (as for :class:`~bloop.engine.Engine`; with an injected client it raises
        :class:`~bloop.exceptions.InvalidConfiguration`, as do the next two).
    :param read_timeout: seconds to wait for an answer.
    :param max_attempts: attempts of each request, the first included.
    :param token_secret: bytes to sign the tokens of ``search.page()`` with, or a list of them
        (as for :class:`~bloop.engine.Engine`).
    :param threads: run over a plain (blocking) botocore client on a thread pool
        (:class:`~bloop.drivers.transport.ThreadTransport`) instead of aiobotocore.
        Default: when ``dynamodb`` is a botocore/boto3 client, True; otherwise False.
        ``threads=True`` without a client makes a botocore one (as
        :class:`~bloop.engine.Engine` does), so aiobotocore is not needed at all.  See
        :doc:`async` for when to choose which.
    :param capacity: count the capacity each request consumes in :attr:`capacity` (as for
        :class:`~bloop.engine.Engine`).
    """

    def __init__(self, dynamodb: Any = None, dynamodbstreams: Any = None, *,
                 endpoint_url: Optional[str] = None, region_name: Optional[str] = None,
                 table_name_template: Any = "{table_name}", batch_deadline: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rng: Optional[random.Random] = None, max_concurrency: int = 4,
                 fast_path: Optional[bool] = None, connect_timeout: Optional[float] = None,
                 read_timeout: Optional[float] = None, max_attempts: Optional[int] = None,
                 token_secret: Any = None, threads: Optional[bool] = None, capacity: bool = False) -> None:
        super().__init__(table_name_template=table_name_template, batch_deadline=batch_deadline,
                         clock=clock, rng=rng, max_concurrency=max_concurrency, token_secret=token_secret,
                         capacity=capacity)
        transport = transport_options(connect_timeout, read_timeout, max_attempts, dynamodb, dynamodbstreams)
        threads = _threads(threads, dynamodb, dynamodbstreams)
        if dynamodb is not None and fast_path:
            from . import fastpath
            fastpath.install(dynamodb)
        #: the session the transport sends through: an :class:`AsyncSession` (aiobotocore) or
        #: a :class:`~bloop.drivers.transport.ThreadSession` (botocore on a thread pool)
        self.session: Any
        #: what sends each step's calls (see :mod:`bloop.drivers.transport`); replaceable
        self.transport: AsyncTransport
        if threads:
            if dynamodb is None:
                dynamodb = make_client("dynamodb", endpoint_url=endpoint_url, region_name=region_name,
                                       fast_path=fast_path is not False, **transport)
            self.session = ThreadSession(Session(dynamodb, dynamodbstreams))
            self.transport = ThreadTransport(self.session, max_concurrency)
        else:
            self.session = AsyncSession(dynamodb, dynamodbstreams, endpoint_url=endpoint_url,
                                        region_name=region_name, fast_path=fast_path is not False, **transport)
            self.transport = AiobotocoreTransport(self.session, max_concurrency)
        #: what searches of this engine run through (see :class:`bloop.search.Searcher`)
        self.searcher = AsyncSearcher(self)
        self._sleep = sleep

    # ---------------------------------------------------------------------------------------
    async def _run(self, op: Op) -> Any:
        """Run an operation generator through this engine's transport (see :mod:`bloop.drivers`)."""
        if self.capacity is None and self.tracer is None:
            return await drive_async(op, self.transport.send, self._sleep)
        name = getattr(op, "__name__", "operation")
        op, usage = self._observe(op)
        if self.tracer is None:
            return await drive_async(op, self.transport.send, self._sleep)
        with self.tracer.span(self, name, usage):  # current in this task while aiobotocore sends
            return await drive_async(op, self.transport.send, self._sleep)

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

    async def plan(self, *models: Any, prune: bool = False) -> lifecycle.Plan:
        """What would bring each model's table in line with it (see
        :meth:`Engine.plan <bloop.engine.Engine.plan>`)."""
        plan: lifecycle.Plan = await self._run(lifecycle.plan_op(self.policy, self._to_plan(models), prune))
        return plan

    async def apply(self, plan: lifecycle.Plan, *, allow_destructive: bool = False,
                    progress: Optional[Callable[[lifecycle.Progress], Any]] = None,
                    deadline: Optional[float] = 3600.0) -> List[lifecycle.Change]:
        """Apply a plan, one step at a time (see :meth:`Engine.apply <bloop.engine.Engine.apply>`)."""
        applied: List[lifecycle.Change] = await self._run(self._apply_op(plan, allow_destructive, progress, deadline))
        return applied

    async def load(self, objs: Any, consistent: bool = False, *, progress: Any = None) -> None:
        """Fill objects in place from DynamoDB, by their keys.

        :param progress: a plain function, called (not awaited) with a
            :class:`~bloop.operations.BatchProgress` after each request that read some objects.
        :raises ObjectsNotFound: ``.missing`` lists the objects with no item (the rest are loaded).
        """
        _check_consistent(consistent)
        await self._run(operations.load(self.policy, objs, consistent, progress))

    async def save(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None,
                   check_version: bool = True, add_version_condition: Optional[bool] = None,
                   progress: Any = None) -> None:
        """Save one object or an iterable of them (see :meth:`Engine.save <bloop.engine.Engine.save>`;
        ``progress`` is a plain function, called, not awaited)."""
        _check_positional(condition, "save")
        check_version = _version_option(check_version, add_version_condition)
        await self._run(operations.save(self.policy, objs, condition, sync, check_version, progress))

    async def delete(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None,
                     check_version: bool = True, add_version_condition: Optional[bool] = None,
                     progress: Any = None) -> None:
        """Delete one object or an iterable of them (see :meth:`Engine.delete <bloop.engine.Engine.delete>`)."""
        _check_positional(condition, "delete")
        check_version = _version_option(check_version, add_version_condition)
        await self._run(operations.delete(self.policy, objs, condition, sync, check_version, progress))

    async def collection(self, obj: M, *, consistent: bool = False) -> Collection[M]:
        """``obj`` and what shares its partition, read with one query and grouped (see
        :meth:`Engine.collection <bloop.engine.Engine.collection>`)."""
        found: Collection[M] = await self._collection(obj, consistent)
        return found

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

    # client lifetime -----------------------------------------------------------------------
    async def close(self) -> None:
        """Close the clients this engine made; injected clients are left to their owner."""
        await self.session.close()

    async def __aenter__(self) -> "AsyncEngine":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()
