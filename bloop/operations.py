"""The engine's operations as I/O-free generators: the core both engines share.

Each operation is a generator that *yields* what it needs done and is *sent*
the outcome:

- ``[Call(operation, request), ...]``: send these requests (they are
  independent, so a driver may send them concurrently); the generator is sent
  a list with, in the same order, each response dict or the
  :class:`~bloop.exceptions.BloopException` the request raised;
- ``Sleep(seconds)``: wait before retrying (the sync driver calls
  ``time.sleep``, the async one ``asyncio.sleep``).

The return value is the operation's result.  Everything else here is pure: it
validates input, builds requests, matches responses to objects, and decides
what to re-send, so it is tested without any backend.
"""
from __future__ import annotations

from typing import Any, Dict, Generator, Iterable, List, Optional, Sequence, Tuple

from . import limits, signals
from .codec import dump_key, key_identity, load_into, paused_gc, record_put, to_item
from .conditions import Condition
from .exceptions import (
    BatchIncomplete, BloopException, ConstraintViolation, DuplicateKeys, InvalidCondition,
    InvalidValue, ObjectsNotFound,
)
from .expressions import Renderer
from .tracking import changes, dump_column, forget, record, snapshot

__all__ = ["Call", "Sleep", "call", "save", "delete", "load", "Policy"]


class Call:
    """One request to send: ``operation`` is a client method name."""

    __slots__ = ("operation", "request")

    def __init__(self, operation: str, request: Dict[str, Any]) -> None:
        self.operation = operation
        self.request = request

    def __repr__(self) -> str:
        return f"Call({self.operation!r}, {self.request!r})"


class Sleep:
    """Wait ``seconds`` before going on."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Sleep({self.seconds:.3f})"


Op = Generator[Any, Any, Any]


class Policy:
    """What the operations need from their engine, and nothing that does I/O.

    :param table_name: ``model -> table name`` for this engine.
    :param clock: monotonic seconds (injectable for tests).
    :param random: a ``random.Random`` for backoff jitter.
    :param batch_deadline: seconds to keep re-sending unprocessed items.
    """

    def __init__(self, table_name: Any, clock: Any, random: Any, batch_deadline: float,
                 backoff_base: float = 0.05, backoff_cap: float = 5.0) -> None:
        self.table_name = table_name
        self.clock = clock
        self.random = random
        self.batch_deadline = batch_deadline
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        #: the engine these operations run for: the sender of the signals they send
        self.engine: Any = None

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** attempt))
        return ceiling / 2 + self.random.uniform(0, ceiling / 2)


def call(operation: str, request: Dict[str, Any]) -> Op:
    """Send one request; raise what it raised.  Use as ``yield from call(...)``."""
    outcome, = yield [Call(operation, request)]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


# ---------------------------------------------------------------------------------------
# input

def as_objects(objs: Any) -> List[Any]:
    """One model object or an iterable of them, as a list without repeats of one object."""
    if hasattr(type(objs), "Meta") and hasattr(objs, "__dict__") and not isinstance(objs, type):
        objs = [objs]
    try:
        items = list(objs)
    except TypeError:
        raise InvalidValue(f"expected a model object or an iterable of them, got {objs!r}") from None
    seen = set()
    out = []
    for obj in items:
        meta = getattr(type(obj), "Meta", None)
        if meta is None or not hasattr(meta, "columns") or isinstance(obj, type):
            raise InvalidValue(f"{obj!r} is not a model object")
        if meta.abstract:
            raise InvalidValue(f"{type(obj).__name__} is abstract and has no table")
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append(obj)
    return out


class Keyed:
    """An object with its table, wire key and key identity."""

    __slots__ = ("obj", "table", "key", "identity", "position")

    def __init__(self, obj: Any, table: str, key: Dict[str, dict], position: int) -> None:
        self.obj = obj
        self.table = table
        self.key = key
        self.identity = key_identity(table, key)
        self.position = position


def keyed(policy: Policy, objs: Sequence[Any]) -> List[Keyed]:
    """Key every object; refuse one key twice (naming the keys) before anything is sent."""
    out = []
    seen: Dict[Any, Keyed] = {}
    repeated = []
    for position, obj in enumerate(objs):
        entry = Keyed(obj, policy.table_name(type(obj)), dump_key(obj), position)
        if entry.identity in seen:
            repeated.append(entry)
        seen[entry.identity] = entry
        out.append(entry)
    if repeated:
        keys = [{column.name: getattr(e.obj, column.name) for column in type(e.obj).Meta.keys}
                for e in repeated]
        raise DuplicateKeys(
            f"the same key appears more than once in one call: {keys}; each object's key must "
            "be unique", keys)
    return out


def _check_condition(condition: Any) -> Optional[Condition]:
    if condition is None:
        return None
    if not isinstance(condition, Condition):
        raise InvalidCondition(f"expected a condition, got {condition!r}")
    return None if condition.kind == "empty" else condition


_SYNC = {"new": "ALL_NEW", "old": "ALL_OLD"}


def _check_sync(sync: Optional[str], allowed: Tuple[str, ...]) -> Optional[str]:
    if sync is None:
        return None
    if sync not in allowed:
        raise InvalidValue(f"sync must be one of {', '.join(map(repr, allowed))} or None, not {sync!r}")
    return _SYNC[sync]


# ---------------------------------------------------------------------------------------
# single-item writes

def update_request(policy: Policy, entry: Keyed, condition: Optional[Condition],
                   return_values: Optional[str]) -> Tuple[Dict[str, Any], list]:
    """The UpdateItem for one object: its changes since the last sync, and the condition."""
    obj = entry.obj
    meta = type(obj).Meta
    key_ids = {id(k) for k in meta.keys}
    columns = [c for c in meta.columns if id(c) not in key_ids]
    entries = changes(obj, columns)
    if not entries:
        # Nothing changed since the last sync: re-assert every known value, so that a
        # save always leaves the item holding the object's values (and UpdateItem has
        # an expression to apply).
        entries = [(c, "set", wire) for c in columns
                   for wire in (dump_column(c, obj.__dict__.get(c.name)),) if wire is not None]
    condition = _versioned(obj, condition)
    version = meta.version
    if version is not None:
        # Optimistic locking: write the next version, on condition that DynamoDB still
        # holds the one this object was loaded (or last saved) with, or none for a new object.
        snap = snapshot(obj) or {}
        entries = [e for e in entries if e[0] is not version]
        entries.append((version, "set", dump_column(version, (snap.get(version.name) or 0) + 1)))
    renderer = Renderer()
    request: Dict[str, Any] = {"TableName": entry.table, "Key": entry.key}
    request.update(renderer.render(update=entries, condition=condition))
    sent = dict(entry.key)
    for operand, _, wire in entries:
        if wire is not None and operand.column is operand:
            sent[operand.dynamo_name] = wire
    from .codec import item_size
    if item_size(sent) > limits.MAX_ITEM_SIZE:
        from .exceptions import LimitExceeded
        raise LimitExceeded(f"{meta.model.__name__}: the values to save exceed DynamoDB's "
                            f"{limits.MAX_ITEM_SIZE}-byte item limit")
    if condition is not None:
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if return_values:
        request["ReturnValues"] = return_values
    return request, entries


def _create_only(entry: Keyed) -> Dict[str, Any]:
    """PutItem of just the key, only if no item has that key."""
    hash_key = type(entry.obj).Meta.hash_key
    return {"TableName": entry.table, "Item": entry.key,
            "ConditionExpression": "attribute_not_exists(#n0)",
            "ExpressionAttributeNames": {"#n0": hash_key.dynamo_name}}


def _versioned(obj: Any, condition: Optional[Condition]) -> Optional[Condition]:
    """``condition`` and, for a model with a version column, the version check."""
    version = type(obj).Meta.version
    if version is None:
        return condition
    snap = snapshot(obj) or {}
    expected = snap.get(version.name)
    check = version.is_(None) if expected is None else version == expected
    return check if condition is None else condition & check


def written(obj: Any, updates: list) -> None:
    """After a successful UpdateItem: the object holds its new version, and the snapshot
    records what was written."""
    version = type(obj).Meta.version
    if version is not None:
        for column, _, wire in updates:
            if column is version:
                obj.__dict__[version.name] = version.typedef._load(wire)
    record(obj, updates, type(obj).Meta.keys)


def delete_request(entry: Keyed, condition: Optional[Condition],
                   return_values: Optional[str]) -> Dict[str, Any]:
    """The DeleteItem for one object, with the version check when its model has one.

    An object whose version is unknown (never loaded or saved) is deleted without one.
    """
    obj = entry.obj
    version = type(obj).Meta.version
    if version is not None and (snapshot(obj) or {}).get(version.name) is not None:
        condition = _versioned(obj, condition)
    request: Dict[str, Any] = {"TableName": entry.table, "Key": entry.key}
    request.update(Renderer().render(condition=condition))
    if condition is not None:
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if return_values:
        request["ReturnValues"] = return_values
    return request


def _failed(error: ConstraintViolation, obj: Any) -> ConstraintViolation:
    error.obj = obj
    if error.old:
        from .codec import from_item
        error.old = from_item(type(obj), error.old)
    return error


def save(policy: Policy, objs: Any, condition: Any = None, sync: Optional[str] = None) -> Op:
    """``engine.save``: diff-based updates, or one batch of whole-item puts."""
    objs = as_objects(objs)
    condition = _check_condition(condition)
    return_values = _check_sync(sync, ("new", "old"))
    entries = keyed(policy, objs)
    if not entries:
        return
    if len(entries) == 1 or condition is not None or return_values or \
            any(type(e.obj).Meta.version is not None for e in entries):
        prepared = [(e, *update_request(policy, e, condition, return_values)) for e in entries]
        for entry, request, updates in prepared:
            operation = "update_item"
            if "UpdateExpression" not in request and "ConditionExpression" not in request and not return_values:
                # Only a key to write: make sure the item exists without touching it if it
                # does (an UpdateItem with no expression does the same on DynamoDB, but
                # emulators mishandle it).
                operation, request = "put_item", _create_only(entry)
            try:
                response = yield from call(operation, request)
            except ConstraintViolation as error:
                if operation == "put_item":
                    response = {}  # the item exists already: nothing else to write
                else:
                    raise _failed(error, entry.obj)
            written(entry.obj, updates)
            if return_values:
                load_into(entry.obj, response.get("Attributes", {}))
            signals.saved(policy, entry.obj)
        return
    items = [(e, {"PutRequest": {"Item": to_item(e.obj)}}) for e in entries]

    def done(entry: Keyed, request: Dict[str, Any]) -> None:
        record_put(entry.obj, request["PutRequest"]["Item"])
        signals.saved(policy, entry.obj)

    yield from batch_write(policy, items, "save", done)


def delete(policy: Policy, objs: Any, condition: Any = None, sync: Optional[str] = None) -> Op:
    """``engine.delete``: DeleteItem per object, or one batch of deletes."""
    objs = as_objects(objs)
    condition = _check_condition(condition)
    return_values = _check_sync(sync, ("old",))
    entries = keyed(policy, objs)
    if not entries:
        return
    if len(entries) == 1 or condition is not None or return_values or \
            any(type(e.obj).Meta.version is not None for e in entries):
        prepared = [(e, delete_request(e, condition, return_values)) for e in entries]
        for entry, request in prepared:
            try:
                response = yield from call("delete_item", request)
            except ConstraintViolation as error:
                raise _failed(error, entry.obj)
            forget(entry.obj)
            if return_values and response.get("Attributes"):
                load_into(entry.obj, response["Attributes"])
                forget(entry.obj)
            signals.deleted(policy, entry.obj)
        return
    items = [(e, {"DeleteRequest": {"Key": e.key}}) for e in entries]

    def gone(entry: Keyed, request: Dict[str, Any]) -> None:
        forget(entry.obj)
        signals.deleted(policy, entry.obj)

    yield from batch_write(policy, items, "delete", gone)


# ---------------------------------------------------------------------------------------
# batches

def _chunks(items: Sequence[Any], size: int) -> List[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _key_names(entries: Iterable[Keyed]) -> Dict[str, List[str]]:
    """Each table's key attribute names, sorted (as :func:`~bloop.codec.key_identity` takes them)."""
    return {e.table: sorted(c.dynamo_name for c in type(e.obj).Meta.keys) for e in entries}


def _next_attempt(attempt: int, progressed: bool) -> int:
    """The backoff grows with each round that made no progress and eases after progress,
    so a table that drains slowly is not hammered, and one that drains is not kept waiting."""
    return max(attempt - 1, 0) if progressed else attempt + 1


def _wait(policy: Policy, attempt: int, deadline: float) -> Op:
    """Back off before the next round of a batch; False when that would pass the deadline."""
    delay = policy.delay(attempt)
    if policy.clock() + delay > deadline:
        return False
    yield Sleep(delay)
    return True


def _incomplete(policy: Policy, operation: str, leftover: List[Keyed], total: int,
                errors: List[BaseException]) -> None:
    """Raise BatchIncomplete naming exactly the objects not done, in the order given."""
    if not leftover:
        return
    objs = [e.obj for e in sorted(leftover, key=lambda e: e.position)]
    why = "a request failed" if errors else f"DynamoDB left them unprocessed for {policy.batch_deadline}s"
    done = "read" if operation == "load" else "written"
    error = BatchIncomplete(f"{operation}: {len(objs)} of {total} objects were not {done} ({why}); "
                            f"{total - len(objs)} were", objs, operation)
    if errors:
        raise error from errors[0]
    raise error


def batch_write(policy: Policy, items: List[Tuple[Keyed, Dict[str, Any]]], operation: str,
                done: Any) -> Op:
    """BatchWriteItem in chunks of 25, re-sending unprocessed items with backoff.

    :param done: called with ``(entry, write request)`` for every item written.
    :raises BatchIncomplete: past the deadline, or when a request failed outright;
        ``unprocessed`` lists exactly the objects not written.
    """
    key_names = _key_names(e for e, _ in items)
    pending = list(items)
    failed: List[Tuple[Keyed, Dict[str, Any]]] = []
    errors: List[BaseException] = []
    deadline = policy.clock() + policy.batch_deadline
    attempt = -1
    while pending:
        chunks = _chunks(pending, limits.MAX_BATCH_WRITE)
        calls = []
        for chunk in chunks:
            request_items: Dict[str, List[Dict[str, Any]]] = {}
            for entry, write in chunk:
                request_items.setdefault(entry.table, []).append(write)
            calls.append(Call("batch_write_item", {"RequestItems": request_items}))
        outcomes = yield calls
        retry: List[Tuple[Keyed, Dict[str, Any]]] = []
        for chunk, outcome in zip(chunks, outcomes):
            if isinstance(outcome, BaseException):
                failed.extend(chunk)
                errors.append(outcome)
                continue
            unprocessed = set()
            for table, writes in (outcome.get("UnprocessedItems") or {}).items():
                for write in writes:
                    body = write.get("PutRequest", {}).get("Item") or write.get("DeleteRequest", {}).get("Key")
                    unprocessed.add(key_identity(table, body or {}, key_names.get(table, ())))
            for entry, write in chunk:
                if entry.identity in unprocessed:
                    retry.append((entry, write))
                else:
                    done(entry, write)
        attempt = _next_attempt(attempt, progressed=len(retry) < len(pending))
        pending = retry
        if pending and not (yield from _wait(policy, attempt, deadline)):
            break
    _incomplete(policy, operation, [e for e, _ in failed + pending], len(items), errors)


def load(policy: Policy, objs: Any, consistent: bool = False) -> Op:
    """``engine.load``: BatchGetItem in chunks of 100, filling the objects in place.

    :raises ObjectsNotFound: some objects have no item (the rest are loaded).
    :raises BatchIncomplete: some keys could not be read before the deadline.
    """
    objs = as_objects(objs)
    entries = keyed(policy, objs)
    if not entries:
        return
    by_identity = {e.identity: e for e in entries}
    key_names = _key_names(entries)
    found = set()
    pending = list(entries)
    failed: List[Keyed] = []
    errors: List[BaseException] = []
    deadline = policy.clock() + policy.batch_deadline
    attempt = -1
    while pending:
        chunks = _chunks(pending, limits.MAX_BATCH_GET)
        calls = []
        for chunk in chunks:
            request_items: Dict[str, Dict[str, Any]] = {}
            for entry in chunk:
                table = request_items.setdefault(entry.table, {"Keys": [], "ConsistentRead": bool(consistent)})
                table["Keys"].append(entry.key)
            calls.append(Call("batch_get_item", {"RequestItems": request_items}))
        outcomes = yield calls
        retry: List[Keyed] = []
        for chunk, outcome in zip(chunks, outcomes):
            if isinstance(outcome, BaseException):
                failed.extend(chunk)
                errors.append(outcome)
                continue
            for table, items in (outcome.get("Responses") or {}).items():
                names = key_names.get(table, ())
                for item in items:
                    entry = by_identity.get(key_identity(table, item, names))
                    if entry is not None:
                        load_into(entry.obj, item)
                        found.add(entry.identity)
                        signals.loaded(policy, entry.obj)
            for table, request in (outcome.get("UnprocessedKeys") or {}).items():
                for key in request.get("Keys", []):
                    entry = by_identity.get(key_identity(table, key))
                    if entry is not None:
                        retry.append(entry)
        attempt = _next_attempt(attempt, progressed=len(retry) < len(pending))
        pending = retry
        if pending and not (yield from _wait(policy, attempt, deadline)):
            break
    _incomplete(policy, "load", failed + pending, len(entries), errors)
    missing = [e.obj for e in entries if e.identity not in found]
    if missing:
        raise ObjectsNotFound(f"load: {len(missing)} of {len(entries)} objects were not found", missing)


def drive(op: Op, send: Any, sleep: Any) -> Any:
    """Run an operation synchronously: ``send(calls) -> outcomes``, ``sleep(seconds)``.

    The cyclic collector is paused (:func:`~bloop.codec.paused_gc`) only while the
    generator runs, which is where keys and requests are made and responses become
    objects; never while requests wait on the network or the driver sleeps.
    """
    try:
        with paused_gc():  # the objects' keys and the requests are made here
            step = next(op)
        while True:
            if isinstance(step, Sleep):
                sleep(step.seconds)
                step = op.send(None)
            else:
                outcomes = send(step)  # the collector runs while the requests wait
                with paused_gc():  # responses become objects: see paused_gc
                    step = op.send(outcomes)
    except StopIteration as stop:
        return stop.value


def outcome(session_call: Any, one: Call) -> Any:
    """Send one call; a bloop error becomes the outcome instead of propagating."""
    try:
        return session_call(one.operation, one.request)
    except BloopException as error:
        return error
