"""OpenTelemetry spans for an engine's operations (the ``otel`` extra).

.. code-block:: python

    from bloop import telemetry

    telemetry.instrument(engine)            # the global tracer provider, or tracer_provider=...
    engine.save(objs)                       # one span "bloop.save"

:func:`instrument` gives an engine (sync or async) a tracer: from then on each bloop
operation it runs is one span, named ``bloop.<operation>``: ``save``, ``load``,
``delete``, ``bind``, ``query`` and ``scan`` (a page of an iteration, or a whole ``all()``,
``first()``, ``one()``, ``count()`` or ``exists()``), ``transaction``, ``stream`` (a read of
a stream), ``collection``.  Its attributes:

=================================  ==========================================================
``db.system``                      ``"dynamodb"``
``bloop.operation``                the operation (as in the span's name)
``bloop.search``                   for a search: ``"page"``, ``"all"``, ``"first"``, ``"one"``,
                                   ``"count"`` or ``"exists"``
``bloop.model``                    the models of the tables it used, by name, comma-separated
``bloop.table``                    the tables it used, comma-separated
``aws.dynamodb.table_names``       the same, as a list
``bloop.dynamodb.operations``      the DynamoDB operations it sent (``["batch_write_item"]``)
``bloop.requests``                 how many requests were answered
``bloop.item_count``               items read, or written and processed (see
                                   :class:`bloop.capacity.Usage`)
``bloop.capacity.read``,           capacity units DynamoDB reported: only on an engine made
``bloop.capacity.write``,          with ``capacity=True``, which asks for them
``bloop.capacity.total``
=================================  ==========================================================

The span is current while the operation's requests are sent (on the sync engine's worker
threads too, and in the async engine's task), so the spans of an instrumented botocore
(``opentelemetry-instrumentation-botocore``) nest inside bloop's.  An error ends the span
with its exception recorded and an error status.

Importing this module does not import OpenTelemetry; :func:`instrument` does.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ._version import __version__
from .capacity import Usage
from .exceptions import InvalidConfiguration, InvalidType

__all__ = ["instrument", "uninstrument", "Tracer"]

#: the searches' terminal operations (bloop.search.terminal), by the name of their generator
_SEARCHES = {"fetch": "page", "collect": "all", "first": "first", "only": "one", "count": "count",
             "exists": "exists", "page": "page"}
#: other operation generators whose names are not what a reader looks for
_RENAMED = {"commit_op": "transaction", "move_to": "stream", "poll": "stream", "heartbeat": "stream",
            "collection_op": "collection", "plan_op": "plan"}


def instrument(engine: Any, tracer_provider: Any = None) -> Any:
    """Make a span for every operation ``engine`` runs (see the module's text).

    :param engine: an :class:`~bloop.engine.Engine` or :class:`~bloop.aio.AsyncEngine`.
    :param tracer_provider: an OpenTelemetry ``TracerProvider``; default: the global one.
    :returns: the engine.
    :raises InvalidType: not an engine.
    :raises InvalidConfiguration: OpenTelemetry is not installed (``pip install bloop[otel]``).
    """
    if not hasattr(engine, "tracer") or not hasattr(engine, "_run"):
        raise InvalidType(f"telemetry.instrument takes an Engine or AsyncEngine, not {engine!r}")
    try:
        from opentelemetry import trace
    except ImportError as error:
        raise InvalidConfiguration("bloop.telemetry needs OpenTelemetry: pip install bloop[otel] "
                                   f"({error}); the engine was not instrumented") from error
    engine.tracer = Tracer(trace.get_tracer("bloop", __version__, tracer_provider=tracer_provider))
    return engine


def uninstrument(engine: Any) -> Any:
    """Make no more spans for ``engine``'s operations."""
    engine.tracer = None
    return engine


class Tracer:
    """What an instrumented engine makes its spans with (its ``tracer`` attribute).

    :param tracer: an OpenTelemetry tracer.
    """

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    @contextlib.contextmanager
    def span(self, engine: Any, name: str, usage: Usage) -> Iterator[Any]:
        """One span, current for the ``with`` block; its attributes are set from ``usage``
        when the block ends (``usage`` is filled as the operation runs)."""
        search = _SEARCHES.get(name)
        # a search's span is named after what it sent (query or scan) when it ends
        operation = "search" if search is not None else _RENAMED.get(name, name)
        with self.tracer.start_as_current_span(f"bloop.{operation}") as span:
            try:
                yield span
            finally:
                if search is not None:
                    kinds = [op for op in usage.operations if op in ("query", "scan")]
                    operation = kinds[0] if kinds else "search"
                    span.update_name(f"bloop.{operation}")
                    span.set_attribute("bloop.search", search)
                _describe(span, operation, usage)


def _describe(span: Any, operation: str, usage: Usage) -> None:
    tables = list(usage.tables)
    models = [getattr(model, "__name__", str(model)) for model in usage.models if model is not None]
    span.set_attribute("db.system", "dynamodb")
    span.set_attribute("bloop.operation", operation)
    span.set_attribute("bloop.table", ", ".join(tables))
    span.set_attribute("aws.dynamodb.table_names", tables)
    span.set_attribute("bloop.model", ", ".join(models))
    span.set_attribute("bloop.dynamodb.operations", list(usage.operations))
    span.set_attribute("bloop.requests", usage.requests)
    span.set_attribute("bloop.item_count", usage.items)
    units = usage.units
    if units.total or units.read or units.write:
        span.set_attribute("bloop.capacity.read", units.read)
        span.set_attribute("bloop.capacity.write", units.write)
        span.set_attribute("bloop.capacity.total", units.total)
