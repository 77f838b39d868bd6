"""DynamoDB Streams: a table's changes as records holding model objects.

- :class:`Stream` (``engine.stream(Model, position)``) reads every shard of a
  table's stream, following shard splits, and resumes from a token;
- :class:`Record` is one change: the event name, the key, and the old and new
  images as objects of the model;
- :func:`from_lambda` makes the same record from one record of the event an AWS
  Lambda function receives from a DynamoDB stream.

The reading itself is :class:`~bloop.stream.coordinator.Coordinator`, an
I/O-free core shared with any engine; the facades that send (``Stream`` and
``AsyncStream``) are in :mod:`bloop.drivers.stream`.
"""
from typing import Any

from .coordinator import Coordinator
from .records import Record, from_lambda, from_stream

__all__ = ["Stream", "Record", "Coordinator", "from_lambda", "from_stream"]


def __getattr__(name: str) -> Any:
    # the facade is a driver (bloop.drivers.stream), imported when first asked for
    if name == "Stream":
        from ..drivers.stream import Stream
        return Stream
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
