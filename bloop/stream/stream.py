"""The synchronous engine's stream: ``engine.stream(Model, position)``."""
from __future__ import annotations

from typing import Any, Iterator, Optional

from ..exceptions import InvalidStream
from .coordinator import Coordinator
from .records import Record

__all__ = ["Stream", "check_model"]


def check_model(model: Any) -> None:
    """Refuse a model that cannot have a stream (shared by the sync and async streams).

    :raises InvalidStream: not a concrete model class, or its Meta declares no stream.
    """
    meta = getattr(model, "Meta", None)
    if not isinstance(model, type) or meta is None or not hasattr(meta, "columns") or meta.abstract:
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
