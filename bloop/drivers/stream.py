"""Streams, blocking and async: ``engine.stream(Model, position)`` read with ``for`` / ``async for``.

Both read through the same I/O-free :class:`~bloop.stream.coordinator.Coordinator`
(its ``move_to``, ``poll`` and ``heartbeat`` generators), run by their engine's driver.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Optional

from ..exceptions import InvalidStream
from ..models import model_meta
from ..stream.coordinator import Coordinator
from ..stream.records import Record

__all__ = ["Stream", "AsyncStream", "check_model"]


def check_model(model: Any) -> None:
    """Refuse a model that cannot have a stream (shared by the sync and async streams).

    :raises InvalidStream: not a concrete model class, or its Meta declares no stream.
    """
    meta = model_meta(model, concrete=True)
    if meta is None:
        raise InvalidStream(f"engine.stream takes a concrete model class, not {model!r}")
    if not meta.stream_view:
        raise InvalidStream(f"{model.__name__} declares no stream: add Meta.stream = "
                            "{'include': ['new', 'old']} (or 'keys', 'new', 'old')")


class Stream:
    """A table's DynamoDB Stream, read across all of its shards as model objects.

    Iterating yields :class:`~bloop.stream.Record` objects until one pass over every
    shard finds nothing new; iterate again later to carry on from there.  ``token``
    is the position after the last record yielded, and :meth:`move_to` goes back to
    it (or to ``"trim_horizon"``, ``"latest"`` or a datetime), in this process or
    another.

    .. code-block:: python

        stream = engine.stream(User, "trim_horizon")
        for record in stream:
            print(record.event_name, record.key, record.old, record.new)
        saved = stream.token
        ...
        stream = engine.stream(User, saved)   # or stream.move_to(saved)

    :raises InvalidStream: the model declares no stream (``Meta.stream``), or the
        position is not one of the above.
    """

    def __init__(self, engine: Any, model: Any, position: Any) -> None:
        check_model(model)
        self.engine = engine
        self.model = model
        self.coordinator = Coordinator(model, engine._table_name(model))
        self.move_to(position)

    def move_to(self, position: Any) -> "Stream":
        """Go to ``"trim_horizon"``, ``"latest"``, an aware datetime, or a :attr:`token`."""
        self.engine._run(self.coordinator.move_to(position))
        return self

    @property
    def token(self) -> str:
        """The position after the last record yielded: a JSON string for :meth:`move_to`."""
        return self.coordinator.token

    def __next__(self) -> Optional[Record]:
        """bloop 3's ``next(stream)``: the next record, or None when there is none yet
        (one pass over the shards).  Never raises StopIteration."""
        coordinator = self.coordinator
        record = coordinator.take()
        if record is None:
            self.engine._run(coordinator.poll())
            record = coordinator.take()
        return record

    def heartbeat(self) -> None:
        """Keep the place of shards that have yielded nothing yet (see
        :meth:`Coordinator.heartbeat <bloop.stream.coordinator.Coordinator.heartbeat>`):
        call it at least every 14 minutes while not iterating.  The records it reads
        are yielded next."""
        self.engine._run(self.coordinator.heartbeat())

    def __iter__(self) -> Iterator[Record]:
        coordinator = self.coordinator
        run = self.engine._run
        while True:
            record = coordinator.take()
            if record is None:
                if not run(coordinator.poll()):
                    return
                continue
            yield record

    def __repr__(self) -> str:
        return f"<Stream {self.model.__name__} shards={len(self.coordinator.shards)}>"


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

    def __init__(self, engine: Any, model: Any, position: Any) -> None:
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
