"""Searches, blocking and async: the iterators and the engines' :class:`~bloop.search.Searcher`.

A search (:mod:`bloop.search`) renders its request and decides what to send; what
is here only sends it.  Each page of an iteration is one step of the I/O-free
:func:`~bloop.search.fetch` operation, run by the engine's driver through its
transport; ``all()``, ``first()``, ``one()``, ``count()`` and ``exists()`` are whole
operations of :mod:`bloop.search` run the same way.  So the sync and the async
engine share every decision, and differ only in ``for`` / ``async for`` and
returning / awaiting.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Generic, Iterator, List, TypeVar

from .. import signals
from ..search import Cursor, CursorView, Prepared, Search, fetch

__all__ = ["SearchIterator", "AsyncSearchIterator", "SyncSearcher", "AsyncSearcher"]

M = TypeVar("M")


class SearchIterator(CursorView, Generic[M]):
    """Iterates a prepared search through a blocking engine, page by page.

    :ivar token: the position after the last object yielded (see :meth:`Search.start_from`).
    """

    def __init__(self, run: Any, prepared: Prepared) -> None:
        self._run = run  # the engine's driver: runs one fetch() per page
        self.cursor = Cursor(prepared)

    def __iter__(self) -> "SearchIterator[M]":
        return self

    def __next__(self) -> M:
        cursor = self.cursor
        while cursor.needs_page:
            if cursor.exhausted:
                raise StopIteration
            self._run(fetch(cursor))
        if cursor.finished:
            raise StopIteration
        obj: M = cursor.take()
        return obj

    def pages(self) -> Iterator[List[M]]:
        """One list of objects per DynamoDB page."""
        cursor = self.cursor
        while not cursor.finished and not cursor.exhausted:
            self._run(fetch(cursor))
            yield cursor.page()


class AsyncSearchIterator(CursorView, Generic[M]):
    """Iterates a prepared search with ``async for``, page by page.

    :ivar token: the position after the last object yielded (see :meth:`Search.start_from`).
    """

    def __init__(self, run: Any, prepared: Prepared) -> None:
        self._run = run  # the async engine's driver: awaits one fetch() per page
        self.cursor = Cursor(prepared)

    def __aiter__(self) -> "AsyncSearchIterator[M]":
        return self

    async def __anext__(self) -> M:
        cursor = self.cursor
        while cursor.needs_page:
            if cursor.exhausted:
                raise StopAsyncIteration
            await self._run(fetch(cursor))
        if cursor.finished:
            raise StopAsyncIteration
        obj: M = cursor.take()
        return obj

    async def pages(self) -> AsyncIterator[List[M]]:
        """One list of objects per DynamoDB page."""
        cursor = self.cursor
        while not cursor.finished and not cursor.exhausted:
            await self._run(fetch(cursor))
            yield cursor.page()


class SyncSearcher:
    """:class:`~bloop.search.Searcher` of a blocking engine: results are returned."""

    is_async = False

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    @property
    def token_secret(self) -> Any:
        """The engine's secrets for page tokens (``Engine(token_secret=...)``), or None."""
        return self.engine.token_secret

    def table_name(self, model: Any) -> str:
        name: str = self.engine._table_name(model)
        return name

    def prepare(self, search: Search[Any, Any]) -> Prepared:
        prepared: Prepared = signals.announce_loads(self.engine, Prepared(search, self.table_name(search.model)))
        return prepared

    def iterate(self, prepared: Prepared) -> SearchIterator[Any]:
        return SearchIterator(self.engine._run, prepared)

    def run(self, op: Any) -> Any:
        return self.engine._run(op)


class AsyncSearcher(SyncSearcher):
    """:class:`~bloop.search.Searcher` of an async engine: results are awaited."""

    is_async = True

    def iterate(self, prepared: Prepared) -> AsyncSearchIterator[Any]:  # type: ignore[override]
        return AsyncSearchIterator(self.engine._run, prepared)
