"""What each request costs: the capacity DynamoDB reports, totalled per model, table or
index, and operation; and what one bloop operation did (for its telemetry span).

Nothing here does I/O.  :func:`observed` passes an operation generator's steps through
(see :mod:`bloop.operations`), asking DynamoDB for its consumed capacity on every request
that takes ``ReturnConsumedCapacity`` when an engine counts capacity, and reading each
response on its way back into the generator: the capacity goes to the engine's
:class:`Capacity` (and to a ``report`` callback, which sends the ``capacity_consumed``
signal), and the tables, operations, items and units go to a :class:`Usage` that an
engine's telemetry span is made from (see :mod:`bloop.telemetry`).

An engine that counts nothing and is not instrumented never wraps its operations: this
module costs it nothing.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

from .operations import Call, Op

__all__ = ["Capacity", "Units", "Usage", "observed", "consumed", "TAKES_CAPACITY", "READS"]

#: the operations whose requests take ``ReturnConsumedCapacity`` (DynamoDB's API reference)
TAKES_CAPACITY = frozenset({
    "get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_get_item",
    "batch_write_item", "transact_get_items", "transact_write_items",
})

#: the operations among them that read: their units are read units when DynamoDB does not say
READS = frozenset({"get_item", "query", "scan", "batch_get_item", "transact_get_items"})

#: what bloop asks for: the total, the table's own share and each index's
RETURN_CONSUMED_CAPACITY = "INDEXES"


class Units(NamedTuple):
    """Capacity units: ``read``, ``write`` and ``total`` (their sum, as DynamoDB counts it)."""

    read: float = 0.0
    write: float = 0.0
    total: float = 0.0

    def __add__(self, other: Any) -> "Units":
        if not isinstance(other, Units):
            return NotImplemented
        return Units(self.read + other.read, self.write + other.write, self.total + other.total)


NONE = Units()


def _units(entry: Dict[str, Any], operation: str) -> Units:
    """The units of one ``ConsumedCapacity`` entry (or of its ``Table`` or index part)."""
    total = float(entry.get("CapacityUnits") or 0.0)
    read, write = entry.get("ReadCapacityUnits"), entry.get("WriteCapacityUnits")
    if read is None and write is None:
        # DynamoDB gives read and write units apart only where both can occur (transactions,
        # provisioned tables); otherwise the operation says which they are
        return Units(total, 0.0, total) if operation in READS else Units(0.0, total, total)
    read, write = float(read or 0.0), float(write or 0.0)
    return Units(read, write, total or read + write)


def consumed(operation: str, response: Dict[str, Any]) -> List[Tuple[str, Optional[str], Units, Units]]:
    """What one response says it consumed: ``(table, index, units, total)`` per part.

    ``index`` is None for the table's own share (``Table``; the whole entry when DynamoDB
    or an emulator gives no breakdown); ``total`` is the entry's ``CapacityUnits`` on the
    first part of each entry and nothing on the others, so summing ``total`` over the parts
    gives what the request cost once.
    """
    raw = response.get("ConsumedCapacity")
    if not raw:
        return []
    entries = raw if isinstance(raw, list) else [raw]
    out: List[Tuple[str, Optional[str], Units, Units]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        table = str(entry.get("TableName", ""))
        whole = _units(entry, operation)
        own = entry.get("Table")
        out.append((table, None, _units(own, operation) if isinstance(own, dict) else whole, whole))
        for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            for index, part in (entry.get(kind) or {}).items():
                if isinstance(part, dict):
                    out.append((table, str(index), _units(part, operation), NONE))
    return out


class Key(NamedTuple):
    """What a row of :class:`Capacity` totals: the model (the family's base when several
    models of one family share the table; None for models of no one family), the table, the
    index (None: the table itself) and the operation (a DynamoDB client method name:
    ``"query"``, ``"batch_write_item"``, ...)."""

    model: Any
    table: str
    index: Optional[str]  # type: ignore[assignment]  # (tuple's index method: not used on a Key)
    operation: str


class Capacity:
    """The capacity an engine's requests consumed, from the moment it was made (or reset).

    An engine made with ``capacity=True`` asks DynamoDB for it on every request that takes
    it and totals it here, as ``engine.capacity``:

    - :attr:`total`: every unit, read and write (:class:`Units`), as billed;
    - :meth:`rows`: ``{Key(model, table, index, operation): Units}``, the table's own share
      under ``index=None`` and each index's under its name;
    - :meth:`by_model`, :meth:`by_operation`, :meth:`by_table`: the same summed.

    It is safe to read and reset from any thread while operations run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: Dict[Key, Units] = {}
        self._total = NONE
        self._requests = 0

    def add(self, key: Key, units: Units, total: Units) -> None:
        """Count one part of one response (see :func:`consumed`)."""
        with self._lock:
            self._rows[key] = self._rows.get(key, NONE) + units
            if total.total or total.read or total.write:
                self._total = self._total + total

    def request(self) -> None:
        """Count one response that reported capacity."""
        with self._lock:
            self._requests += 1

    @property
    def total(self) -> Units:
        """Every unit consumed (each request counted once, whatever its indexes)."""
        return self._total

    @property
    def requests(self) -> int:
        """How many responses reported capacity."""
        return self._requests

    def rows(self) -> Dict[Key, Units]:
        """A copy of the totals per model, table or index, and operation."""
        with self._lock:
            return dict(self._rows)

    def _summed(self, part: Callable[[Key], Any]) -> Dict[Any, Units]:
        out: Dict[Any, Units] = {}
        for key, units in self.rows().items():
            out[part(key)] = out.get(part(key), NONE) + units
        return out

    def by_model(self) -> Dict[Any, Units]:
        """Units per model class (None: a table of several unrelated models)."""
        return self._summed(lambda key: key.model)

    def by_operation(self) -> Dict[str, Units]:
        """Units per DynamoDB operation (``"query"``, ``"update_item"``, ...)."""
        return self._summed(lambda key: key.operation)

    def by_table(self) -> Dict[Tuple[str, Optional[str]], Units]:
        """Units per ``(table, index)``; ``index`` is None for the table's own share."""
        return self._summed(lambda key: (key.table, key.index))

    def reset(self) -> None:
        """Start counting again from nothing."""
        with self._lock:
            self._rows.clear()
            self._total = NONE
            self._requests = 0

    def __iter__(self) -> Iterator[Tuple[Key, Units]]:
        return iter(self.rows().items())

    def __repr__(self) -> str:
        total = self._total
        return f"<Capacity read={total.read:g} write={total.write:g} total={total.total:g} rows={len(self._rows)}>"


class Usage:
    """What one bloop operation did, for its telemetry span: the DynamoDB operations it
    sent, the tables and models they were for, the items it read or wrote, and the
    capacity DynamoDB reported (when asked).

    ``items`` counts items returned by reads (``Item``, ``Items``, ``Responses``) and items
    in write requests DynamoDB processed (left out: what it returned as unprocessed).
    """

    __slots__ = ("operations", "tables", "models", "items", "units", "requests")

    def __init__(self) -> None:
        self.operations: Dict[str, None] = {}
        self.tables: Dict[str, None] = {}
        self.models: Dict[Any, None] = {}
        self.items = 0
        self.units = NONE
        self.requests = 0


def _tables(request: Dict[str, Any]) -> List[str]:
    if "TableName" in request:
        return [str(request["TableName"])]
    items = request.get("RequestItems")
    if isinstance(items, dict):
        return [str(name) for name in items]
    names: Dict[str, None] = {}
    for item in request.get("TransactItems") or ():
        for action in item.values() if isinstance(item, dict) else ():
            if isinstance(action, dict) and "TableName" in action:
                names[str(action["TableName"])] = None
    return list(names)


def _writes(request: Dict[str, Any]) -> int:
    items = request.get("RequestItems")
    if isinstance(items, dict):
        return sum(len(writes) for writes in items.values() if isinstance(writes, list))
    return 1


def _items(operation: str, request: Dict[str, Any], response: Dict[str, Any]) -> int:
    """The items one response read, or the items its request wrote that DynamoDB processed."""
    if operation in ("query", "scan"):
        return len(response.get("Items") or ())
    if operation == "get_item":
        return 1 if response.get("Item") else 0
    if operation == "batch_get_item":
        return sum(len(items) for items in (response.get("Responses") or {}).values())
    if operation == "transact_get_items":
        return sum(1 for one in response.get("Responses") or () if one.get("Item"))
    if operation == "transact_write_items":
        return len(request.get("TransactItems") or ())
    if operation == "batch_write_item":
        left = sum(len(writes) for writes in (response.get("UnprocessedItems") or {}).values())
        return _writes(request) - left
    if operation in ("put_item", "update_item", "delete_item"):
        return 1
    return 0


def observed(op: Op, usage: Usage, capacity: Optional[Capacity], model_of: Callable[[str], Any],
             report: Optional[Callable[[Key, Units], None]] = None) -> Op:
    """``op``'s steps passed through, its requests asking for their consumed capacity when
    ``capacity`` counts it, and every response read into ``usage`` (and ``capacity``).

    :param model_of: ``table name -> model`` (or None) for the rows of ``capacity``.
    :param report: called with each row's key and units as a response is read (the
        engine sends ``capacity_consumed`` from it).
    """
    try:
        step = next(op)
    except StopIteration as stop:
        return stop.value
    while True:
        calls: List[Call] = step if isinstance(step, list) else []
        for one in calls:
            if capacity is not None and one.operation in TAKES_CAPACITY:
                # a copy: a prepared search's request is rendered once and sent again
                one.request = {**one.request, "ReturnConsumedCapacity": RETURN_CONSUMED_CAPACITY}
            usage.operations.setdefault(one.operation, None)
            for table in _tables(one.request):
                usage.tables.setdefault(table, None)
                usage.models.setdefault(model_of(table), None)
        outcome = yield step
        if calls and isinstance(outcome, list):
            for one, response in zip(calls, outcome):
                if not isinstance(response, dict):
                    continue
                usage.requests += 1
                usage.items += _items(one.operation, one.request, response)
                parts = consumed(one.operation, response)
                if parts and capacity is not None:
                    capacity.request()
                for table, index, units, total in parts:
                    usage.units = usage.units + total
                    if capacity is not None:
                        key = Key(model_of(table), table, index, one.operation)
                        capacity.add(key, units, total)
                        if report is not None:
                            report(key, units)
        try:
            step = op.send(outcome)
        except StopIteration as stop:
            return stop.value
