"""The transport boundary: what carries the calls of one step to DynamoDB and back.

An operation generator (see :mod:`bloop.operations`) yields a list of independent
:class:`~bloop.operations.Call` objects; a driver hands that list to a transport and
sends the generator what comes back.  A transport is anything with a ``send`` method
of the shape below (a :class:`typing.Protocol`, so nothing needs to subclass it):

.. code-block:: python

    class Transport(Protocol):
        def send(self, calls: Sequence[Call]) -> List[Any]: ...

    class AsyncTransport(Protocol):
        async def send(self, calls: Sequence[Call]) -> List[Any]: ...

``send`` returns one outcome per call, in call order: the response dict, or the
:class:`~bloop.exceptions.BloopException` that call failed with (returned, not
raised, so a batch can tell which of its requests failed), or
:data:`~bloop.operations.NOT_SENT` for a call whose ``expired()`` returned True when
it was about to start (a batch's deadline passed; a transport may also ignore
``expired`` and send everything).  Anything else it raises
propagates out of the operation.  A call's ``operation`` is a botocore client method
name (``"update_item"``, ``"get_records"``), its ``request`` the method's keyword
arguments, and ``call.options`` the keywords for :meth:`bloop.session.Session.call`
(``resend=False`` marks a request that must not be applied twice).

:class:`BotocoreTransport` (the :class:`~bloop.engine.Engine`'s, on
:class:`~bloop.session.Session`), :class:`AiobotocoreTransport` (the
:class:`~bloop.aio.AsyncEngine`'s, on :class:`~bloop.session.AsyncSession`) and
:class:`ThreadTransport` (the async engine's over a plain botocore client, on a
:class:`ThreadSession`) are the three bloop ships; an engine's ``transport`` attribute
may be replaced by any other, such as an in-memory fake in tests.
"""
from __future__ import annotations

import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, runtime_checkable

from ..exceptions import BloopException
from ..operations import NOT_SENT, Call

__all__ = ["Transport", "AsyncTransport", "BotocoreTransport", "AiobotocoreTransport", "ThreadTransport",
           "ThreadSession", "outcome"]


@runtime_checkable
class Transport(Protocol):
    """Sends the calls of one step and returns their outcomes (blocking)."""

    def send(self, calls: Sequence[Call]) -> List[Any]:
        """One outcome per call, in call order: the response dict or the bloop exception."""
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """Sends the calls of one step and returns their outcomes (awaited)."""

    async def send(self, calls: Sequence[Call]) -> List[Any]:
        """One outcome per call, in call order: the response dict or the bloop exception."""
        ...


def outcome(session_call: Callable[..., Any], one: Call) -> Any:
    """Send one call; a bloop error becomes the outcome instead of propagating, and a
    call whose ``expired()`` says so is not started (:data:`~bloop.operations.NOT_SENT`)."""
    if one.expired is not None and one.expired():
        return NOT_SENT
    try:
        return session_call(one.operation, one.request, **one.options)
    except BloopException as error:
        return error


class BotocoreTransport:
    """The sync engine's transport: each call through :meth:`bloop.session.Session.call`,
    the calls of one step at most ``max_concurrency`` at once on a thread pool (made on
    first need: a step of one call runs on the caller's thread)."""

    def __init__(self, session: Any, max_concurrency: int = 4) -> None:
        self.session = session
        self.max_concurrency = max_concurrency
        self._pool: Optional[ThreadPoolExecutor] = None

    def send(self, calls: Sequence[Call]) -> List[Any]:
        call = self.session.call
        if len(calls) == 1 or self.max_concurrency == 1:
            return [outcome(call, one) for one in calls]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="bloop")
        # each call in a copy of the caller's context (as asyncio's tasks are), so what is
        # current there (an OpenTelemetry span: see bloop.telemetry) is current in the pool
        contexts = [contextvars.copy_context() for _ in calls]
        return list(self._pool.map(lambda one, context: context.run(outcome, call, one), calls, contexts))


class AiobotocoreTransport:
    """The async engine's transport: each call through :meth:`bloop.session.AsyncSession.call`,
    the calls of one step concurrently (``asyncio.gather``), at most ``max_concurrency``
    in flight; if one raises something that is not a bloop error (or the step is
    cancelled), the others are cancelled."""

    def __init__(self, session: Any, max_concurrency: int = 4) -> None:
        self.session = session
        self.max_concurrency = max_concurrency

    async def send(self, calls: Sequence[Call]) -> List[Any]:
        import asyncio  # here: ``import bloop`` (the sync engine) does not import asyncio

        call = self.session.call
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(request: Call) -> Any:
            async with limit:
                if request.expired is not None and request.expired():
                    return NOT_SENT
                try:
                    return await call(request.operation, request.request, **request.options)
                except BloopException as error:
                    return error

        if len(calls) == 1:
            return [await one(calls[0])]
        return await _all_of([one(request) for request in calls])


async def _all_of(steps: List[Any]) -> List[Any]:
    """The outcomes of an async transport's calls, run concurrently, in order; if one raises
    (something that is not a bloop error: those are outcomes) or the step is cancelled, the
    others are cancelled, so nothing is left running or starts later."""
    import asyncio

    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


# the async engine over a botocore client -------------------------------------------------

class ThreadSession:
    """The async engine's session over plain botocore clients: a sync
    :class:`~bloop.session.Session` whose calls run on a thread pool, so the event loop
    never blocks.  It has :class:`~bloop.session.AsyncSession`'s shape (``dynamodb``,
    ``await client()``, ``await call()``, ``await close()``).

    The pool has ``threads`` threads (by default the DynamoDB client's
    ``max_pool_connections``, botocore's 10: more threads would only wait for a
    connection), made on first need and shut down by :meth:`close`; a later call makes a
    new one, so an engine may serve one event loop after another.

    :param session: the :class:`~bloop.session.Session` that sends (its clients are botocore's).
    """

    def __init__(self, session: Any, threads: Optional[int] = None) -> None:
        self.sync = session
        if threads is None:
            config = getattr(getattr(session.dynamodb, "meta", None), "config", None)
            threads = getattr(config, "max_pool_connections", None) or 10
        self.threads: int = threads
        self._pool: Optional[ThreadPoolExecutor] = None

    @property
    def dynamodb(self) -> Any:
        """The botocore DynamoDB client."""
        return self.sync.dynamodb

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The thread pool the calls run on (made on first use)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="bloop-aio")
        return self._pool

    async def client(self, service: str = "dynamodb") -> Any:
        """The botocore client for ``service`` (``"dynamodb"`` or ``"dynamodbstreams"``)."""
        return self.sync.dynamodbstreams if service == "dynamodbstreams" else self.sync.dynamodb

    async def call(self, operation: str, request: Dict[str, Any], resend: bool = True) -> Dict[str, Any]:
        """:meth:`bloop.session.Session.call` on the pool, awaited (the caller's context
        variables, e.g. a tracing span, are current on the thread)."""
        import asyncio  # here: ``import bloop`` (the sync engine) does not import asyncio

        run = contextvars.copy_context().run
        answer: Dict[str, Any] = await asyncio.get_running_loop().run_in_executor(
            self.pool, functools.partial(run, self.sync.call, operation, request, resend=resend))
        return answer

    def shutdown(self) -> None:
        """Shut the pool down without waiting for calls in flight (they finish on their own)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    async def close(self) -> None:
        """Shut the pool down; the botocore clients stay open (they hold no event loop)."""
        self.shutdown()


class ThreadTransport:
    """The async engine's transport over a botocore client: each call through
    :meth:`bloop.session.Session.call` on the :class:`ThreadSession`'s pool, the calls of one
    step concurrently, at most ``max_concurrency`` in flight.  A cancelled step cancels
    the calls not yet started; a call already running on a thread runs to its end (a
    thread cannot be interrupted), and its outcome is dropped."""

    def __init__(self, session: ThreadSession, max_concurrency: int = 4) -> None:
        self.session = session
        self.max_concurrency = max_concurrency

    async def send(self, calls: Sequence[Call]) -> List[Any]:
        import asyncio

        loop = asyncio.get_running_loop()
        pool = self.session.pool
        call = self.session.sync.call
        # the caller's context variables (a tracing span, say) on the thread: one copy per
        # call, since a context runs on one thread at a time
        if len(calls) == 1:
            return [await loop.run_in_executor(pool, contextvars.copy_context().run, outcome, call, calls[0])]
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(request: Call) -> Any:
            async with limit:
                return await loop.run_in_executor(pool, contextvars.copy_context().run, outcome, call, request)

        return await _all_of([one(request) for request in calls])


def is_async_client(client: Any) -> bool:
    """Whether ``client``'s API calls are coroutines (aiobotocore's), not botocore's blocking calls."""
    import inspect

    return inspect.iscoroutinefunction(getattr(type(client), "_make_api_call", None))


def is_botocore_client(client: Any) -> bool:
    """Whether ``client`` is a plain (blocking) botocore client."""
    import botocore.client

    return isinstance(client, botocore.client.BaseClient) and not is_async_client(client)
