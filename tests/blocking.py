"""Run the integration scenarios against either engine from one suite.

The scenarios are written as plain synchronous test bodies.  For the async engine,
:class:`Blocking` wraps a :class:`bloop.aio.AsyncEngine` so those same bodies drive it:
each coroutine runs to completion on the test's own event loop, and a search bound to
the wrapper runs through the async engine's :class:`~bloop.search.Searcher`:
its ``async for`` iterator (``token`` included), ``pages()`` async generator and the
operations behind ``all/first/one/count/exists``, each awaited here.  Nothing of the
engine is reimplemented here; the wrapper only waits.

:class:`Engines` makes the engines of one flavour (``"sync"`` or ``"async"``) for one
test, on one endpoint, with one client.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any, Dict, Optional

import boto3
from botocore.config import Config

from bloop import Engine, fastpath

FLAVOURS = ("sync", "async")


class Blocking:
    """An :class:`~bloop.aio.AsyncEngine` with the sync engine's API, for the shared scenarios."""

    def __init__(self, engine: Any, loop: asyncio.AbstractEventLoop) -> None:
        object.__setattr__(self, "engine", engine)
        object.__setattr__(self, "loop", loop)

    def wait(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    # everything else (policy, model, transport, ...) is the async engine's
    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "transport" and not asyncio.iscoroutinefunction(value.send):
            value = AwaitedTransport(value)  # a test's transport, written for the sync engine
        setattr(self.engine, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.engine, name)

    def bind(self, *args: Any, **kwargs: Any) -> None:
        self.wait(self.engine.bind(*args, **kwargs))

    def load(self, *args: Any, **kwargs: Any) -> None:
        self.wait(self.engine.load(*args, **kwargs))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.wait(self.engine.save(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> None:
        self.wait(self.engine.delete(*args, **kwargs))

    def transaction(self, *args: Any, **kwargs: Any) -> "BlockingTransaction":
        return BlockingTransaction(self, self.engine.transaction(*args, **kwargs))

    def query(self, *args: Any, **kwargs: Any) -> Any:
        return self.engine.query(*args, **kwargs)._replace(engine=self)

    def scan(self, *args: Any, **kwargs: Any) -> Any:
        return self.engine.scan(*args, **kwargs)._replace(engine=self)

    # relations (bloop.relations)
    def related(self, *args: Any, **kwargs: Any) -> Any:
        return self.engine.related(*args, **kwargs)._replace(engine=self)

    def collection(self, *args: Any, **kwargs: Any) -> Any:
        return self.wait(self.engine.collection(*args, **kwargs))

    # table lifecycle (bloop.lifecycle)
    def plan(self, *args: Any, **kwargs: Any) -> Any:
        return self.wait(self.engine.plan(*args, **kwargs))

    def apply(self, *args: Any, **kwargs: Any) -> Any:
        return self.wait(self.engine.apply(*args, **kwargs))

    # searches bound to this wrapper run through the async engine's searcher, awaited here
    @property
    def searcher(self) -> "BlockingSearcher":
        return BlockingSearcher(self, self.engine.searcher)

    def __repr__(self) -> str:
        return f"<Blocking {self.engine!r}>"


class BlockingSearcher:
    """The async engine's :class:`~bloop.search.Searcher`, waited on: a blocking one."""

    is_async = False

    def __init__(self, engine: Blocking, searcher: Any) -> None:
        self.engine = engine
        self.searcher = searcher

    @property
    def token_secret(self) -> Any:
        return self.searcher.token_secret

    def table_name(self, model: Any) -> str:
        return self.searcher.table_name(model)

    def prepare(self, search: Any) -> Any:
        return self.searcher.prepare(search)

    def iterate(self, prepared: Any) -> "BlockingIterator":
        return BlockingIterator(self.engine, self.searcher.iterate(prepared))

    def run(self, op: Any) -> Any:
        return self.engine.wait(self.searcher.run(op))


class BlockingIterator:
    """The async engine's search iterator, stepped from sync code; ``token`` is its token."""

    def __init__(self, engine: Blocking, iterator: Any) -> None:
        self.engine = engine
        self.iterator = iterator

    def __iter__(self) -> "BlockingIterator":
        return self

    def __next__(self) -> Any:
        try:
            return self.engine.wait(self.iterator.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def pages(self) -> Any:
        pages = self.iterator.pages()
        while True:
            try:
                yield self.engine.wait(pages.__anext__())
            except StopAsyncIteration:
                return

    @property
    def token(self) -> str:
        return self.iterator.token


class BlockingTransaction:
    """An :class:`~bloop.aio.AsyncTransaction` in a ``with`` block.

    The block's body runs outside the event loop, so the transaction is opened here
    (where a nested block can see it) rather than in ``__aenter__``; the commit is the
    async transaction's own.
    """

    def __init__(self, engine: Blocking, transaction: Any) -> None:
        self.engine = engine
        self.transaction = transaction

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transaction, name)

    def save(self, *args: Any, **kwargs: Any) -> "BlockingTransaction":
        self.transaction.save(*args, **kwargs)
        return self

    def delete(self, *args: Any, **kwargs: Any) -> "BlockingTransaction":
        self.transaction.delete(*args, **kwargs)
        return self

    def check(self, *args: Any, **kwargs: Any) -> "BlockingTransaction":
        self.transaction.check(*args, **kwargs)
        return self

    def load(self, *args: Any, **kwargs: Any) -> "BlockingTransaction":
        self.transaction.load(*args, **kwargs)
        return self

    def commit(self) -> Any:
        return self.engine.wait(self.transaction.commit())

    def __enter__(self) -> "BlockingTransaction":
        self.transaction._enter()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.transaction._exit(exc_type is not None):
            self.commit()


class AwaitedTransport:
    """A blocking transport (a test's) as an async one."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    async def send(self, calls: Any) -> Any:
        return self.transport.send(calls)


def _awaitable(function: Any) -> Any:
    @functools.wraps(function)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)
    return call


_aio_session = None


def aio_session() -> Any:
    """One aiobotocore session for the whole run: it caches the service model its clients load."""
    global _aio_session
    if _aio_session is None:
        from aiobotocore.session import get_session
        _aio_session = get_session()
    return _aio_session


class Engines:
    """Makes engines of one flavour for one test: all on one endpoint, through one client.

    :param client: the sync flavour's boto3 client (made when not given).
    :param retries: botocore's retry settings for the clients made here.
    :param fast_path: install :mod:`bloop.fastpath` on the async flavour's client.
    :param config: more botocore ``Config`` options for the clients made here (``read_timeout=...``).
    """

    def __init__(self, flavour: str, prefix: str, *, endpoint_url: Optional[str] = None,
                 client: Any = None, retries: Optional[Dict[str, Any]] = None, fast_path: bool = False,
                 config: Optional[Dict[str, Any]] = None) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown engine flavour {flavour!r}")
        self.flavour = flavour
        self.prefix = prefix
        retries = retries or {"mode": "standard", "max_attempts": 4}
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._clients = contextlib.AsyncExitStack()
        if flavour == "sync":
            #: the client the engines send through (to count or hook requests)
            self.client = client or boto3.client("dynamodb", endpoint_url=endpoint_url, region_name="us-east-1",
                                                 config=Config(retries=retries, **(config or {})))
            return
        from aiobotocore.config import AioConfig
        self.loop = asyncio.new_event_loop()
        maker = aio_session().create_client("dynamodb", endpoint_url=endpoint_url, region_name="us-east-1",
                                            config=AioConfig(retries=retries, **(config or {})))
        self.client = self.loop.run_until_complete(self._clients.enter_async_context(maker))
        if fast_path:
            fastpath.install(self.client)

    def make(self, **kwargs: Any) -> Any:
        """An engine of this flavour; ``kwargs`` as for ``Engine`` (a sync ``sleep`` is fine)."""
        kwargs.setdefault("table_name_template", self.prefix + "{table_name}")
        if self.flavour == "sync":
            return Engine(self.client, **kwargs)
        from bloop.aio import AsyncEngine
        sleep = kwargs.get("sleep")
        if sleep is not None and not asyncio.iscoroutinefunction(sleep):
            kwargs["sleep"] = _awaitable(sleep)
        return Blocking(AsyncEngine(self.client, **kwargs), self.loop)

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self._clients.aclose())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()
            self.loop = None
