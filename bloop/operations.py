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

from typing import Any, Callable, Dict, Generator, Iterable, List, Optional, Sequence, Set, Tuple

from . import limits, signals
from .codec import dump_key, key_identity, load_into, record_put, to_item
from .codec.family import adopt, held_instead
from .conditions import Condition
from .exceptions import (
    BatchIncomplete, BloopException, ConstraintViolation, DuplicateKeys, InvalidCondition,
    InvalidType, InvalidValue, ObjectsNotFound, OutcomeUnknown, ServiceError,
)
from .expressions import Renderer
from .models import model_meta
from .tracking import SNAPSHOT, Entry, changes, dump_column, forget, puttable, record, restate, snapshot, wire_equal

__all__ = ["Call", "Sleep", "call", "save", "delete", "load", "Policy", "KEY_ONLY_ATTRIBUTE", "BatchProgress"]


#: a Call's options: the default, and a request not to be re-sent after a lost answer
_DEFAULT: Dict[str, Any] = {}
_ONCE: Dict[str, Any] = {"resend": False}


class NotSent:
    """The outcome of a call a transport did not start because its ``expired()`` said so."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_SENT"


#: see :class:`NotSent`
NOT_SENT = NotSent()


class Call:
    """One request to send: ``operation`` is a client method name.

    ``resend=False`` marks a request that must not be applied twice: the transport
    re-sends it only after an answer that says it was not applied (see
    :meth:`bloop.session.Session.call`).

    ``expired``, when set, is asked by the transport just before it starts the call;
    True means "do not start it any more" (a batch's deadline passed while the calls
    before it were in flight), and the call's outcome is :data:`NOT_SENT`.  A
    transport that never asks sends every call, which is always correct, only not
    bounded in time.
    """

    __slots__ = ("operation", "request", "options", "expired")

    def __init__(self, operation: str, request: Dict[str, Any], resend: bool = True) -> None:
        self.operation = operation
        self.request = request
        #: keyword arguments for the session's ``call``
        self.options: Dict[str, Any] = _ONCE if not resend else _DEFAULT
        self.expired: Optional[Callable[[], bool]] = None

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
    :param batch_deadline: seconds a batch may take: no request of it starts later.
    """

    def __init__(self, table_name: Any, clock: Any, random: Any, batch_deadline: float,
                 backoff_base: float = 0.05, backoff_cap: float = 5.0) -> None:
        self.table_name = table_name
        self.clock = clock
        self.random = random
        self.batch_deadline = batch_deadline
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        #: what the operations report loads, saves and deletes to (a
        #: :class:`bloop.signals.Announcer`, set by the engine); None: no signals' sender
        self.announce: Any = None
        #: the engine that made this policy, for what must send through it
        #: (``PreparedTransaction.commit()``); the core sends nothing through it
        self.engine: Any = None

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random."""
        ceiling: float = min(self.backoff_cap, self.backoff_base * (2 ** attempt))
        jitter: float = self.random.uniform(0, ceiling / 2)
        return ceiling / 2 + jitter


def call(operation: str, request: Dict[str, Any], obj: Any = None, resend: bool = True) -> Op:
    """Send one request; raise what it raised.  Use as ``yield from call(...)``.

    :param obj: the object the request is for: a service error names it (``obj`` and
        the message).
    :param resend: False for a request that must not be applied twice (see :class:`Call`).
    """
    outcome, = yield [Call(operation, request, resend)]
    if isinstance(outcome, BaseException):
        if obj is not None and isinstance(outcome, ServiceError):
            outcome._about(obj, describe(obj))
        raise outcome
    return outcome


def describe(obj: Any) -> str:
    """An object by its model and key, for messages: ``User(id='u1')``."""
    values = obj.__dict__
    cls = type(obj)
    return f"{cls.__name__}({', '.join(f'{c.name}={values.get(c.name)!r}' for c in cls.Meta.keys)})"


# ---------------------------------------------------------------------------------------
# progress

class BatchProgress:
    """What ``engine.save``, ``load`` or ``delete`` of many objects has done so far, given to
    its ``progress`` callback after each request that confirmed some objects (a batch
    chunk, a single-object request, or a transaction of objects with unique constraints).

    :ivar operation: ``"save"``, ``"load"`` or ``"delete"``.
    :ivar done: how many objects are confirmed so far (for a load: read, found or not).
    :ivar total: how many objects the call was given (each object once).
    :ivar objects: the objects this request confirmed.
    """

    __slots__ = ("operation", "done", "total", "objects")

    def __init__(self, operation: str, done: int, total: int, objects: List[Any]) -> None:
        self.operation = operation
        self.done = done
        self.total = total
        self.objects = objects

    def __repr__(self) -> str:
        return f"<BatchProgress {self.operation} {self.done}/{self.total} (+{len(self.objects)})>"


class Reporter:
    """Counts what an operation confirmed and calls its ``progress`` callback per request."""

    __slots__ = ("callback", "operation", "total", "done")

    def __init__(self, callback: Callable[[BatchProgress], Any], operation: str, total: int) -> None:
        self.callback = callback
        self.operation = operation
        self.total = total
        self.done = 0

    def __call__(self, objs: List[Any]) -> None:
        if objs:
            self.done += len(objs)
            self.callback(BatchProgress(self.operation, self.done, self.total, objs))


def check_progress(progress: Any, verb: str) -> None:
    """Refuse a ``progress`` that is neither None nor a plain callable, before anything is sent.

    :raises InvalidType: not callable, or a coroutine function (it is called, not awaited,
        between requests, on the async engine too).
    """
    if progress is None:
        return
    import inspect
    if not callable(progress) or inspect.iscoroutinefunction(progress) or \
            inspect.iscoroutinefunction(getattr(progress, "__call__", None)):
        raise InvalidType(f"{verb}(progress=...) takes a plain function of one BatchProgress (called, "
                          f"never awaited, after each request), not {progress!r}; nothing was sent")


def _reporter(progress: Any, verb: str, total: int) -> Optional[Reporter]:
    check_progress(progress, verb)
    return None if progress is None else Reporter(progress, verb, total)


# ---------------------------------------------------------------------------------------
# input

def as_objects(objs: Any) -> List[Any]:
    """One model object or an iterable of them, as a list without repeats of one object."""
    if model_meta(type(objs)) is not None and hasattr(objs, "__dict__") and not isinstance(objs, type):
        objs = [objs]
    try:
        items = list(objs)
    except TypeError:
        raise InvalidValue(f"expected a model object or an iterable of them, got {objs!r}") from None
    seen = set()
    out = []
    for obj in items:
        meta = model_meta(type(obj))
        if meta is None or isinstance(obj, type):
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

    def __init__(self, obj: Any, table: str, key: Dict[str, Dict[str, Any]], position: int) -> None:
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

#: An UpdateItem needs an ``UpdateExpression`` when a condition or ``ReturnValues`` comes
#: with it (in a transaction always), even when an object has nothing but its key to
#: write; emulators mishandle one without.  Such an update removes this attribute, which
#: no item holds: DynamoDB then creates the item if it is missing and otherwise leaves it
#: as it is.
KEY_ONLY_ATTRIBUTE = "_bloop_key_only"


def update_request(policy: Policy, entry: Keyed, condition: Optional[Condition],
                   return_values: Optional[str], check_version: bool = True) -> Tuple[Dict[str, Any], List[Entry]]:
    """The UpdateItem for one object: its changes since the last sync, and the condition.

    :param check_version: for a model with a version column, write only if DynamoDB holds
        the version the object carries (False: last writer wins; the version still grows).
    """
    obj = entry.obj
    meta = type(obj).Meta
    key_ids = {id(k) for k in meta.keys}
    columns = [c for c in meta.columns if id(c) not in key_ids]
    entries = changes(obj, columns)
    if not entries:
        # Nothing changed since the last sync: re-assert every known value, so that a
        # save always leaves the item holding the object's values (and UpdateItem has
        # an expression to apply).
        entries = restate(obj, columns)
    version = meta.version
    if version is not None:
        # Optimistic locking: write the next version, on condition that DynamoDB still
        # holds the one this object carries (none for a new object).
        if check_version:
            condition = _versioned(obj, condition)
        entries[:] = [e for e in entries if e[0] is not version]  # in place: entries.sent stays
        entries.append((version, "set", dump_column(version, (_carried(obj) or 0) + 1)))
    renderer = Renderer()
    request: Dict[str, Any] = {"TableName": entry.table, "Key": entry.key}
    request.update(renderer.render(update=entries, condition=condition, remove_if_empty=KEY_ONLY_ATTRIBUTE))
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


def _carried(obj: Any) -> Any:
    """The version ``obj`` carries: the one it was loaded or last saved with, or one it was
    given (an object rebuilt from a request with ``version=5`` is written on version 5,
    as PynamoDB and DynamoDBMapper do)."""
    return obj.__dict__.get(type(obj).Meta.version.name)


def _versioned(obj: Any, condition: Optional[Condition]) -> Optional[Condition]:
    """``condition`` and the version check: DynamoDB holds the version ``obj`` carries, or
    no item for an object that carries none."""
    version = type(obj).Meta.version
    snapshot(obj)  # a loaded object's snapshot is made before anything else changes
    expected = _carried(obj)
    check: Condition = version.is_(None) if expected is None else version == expected
    return check if condition is None else condition & check


def written(obj: Any, updates: List[Entry]) -> None:
    """After a successful UpdateItem: the object holds its new version, and the snapshot
    records what the request carried (``updates`` from :func:`~bloop.tracking.changes`
    name the values they were made from; see :func:`~bloop.tracking.record`)."""
    version = type(obj).Meta.version
    if version is not None:
        for column, _, wire in updates:
            if column is version:
                obj.__dict__[version.name] = version.typedef._load(wire)
    record(obj, updates, type(obj).Meta.keys)


def synced_old(obj: Any, attributes: Dict[str, Dict[str, Any]]) -> None:
    """After a save with ``sync="old"``: the object shows the item as it was before the
    save (nothing but its key if there was none), while its snapshot and its version stay
    what DynamoDB holds now, so a later save writes what the object shows."""
    meta = type(obj).Meta
    values = obj.__dict__
    now = dict(snapshot(obj, create=True))
    kept = {c.name: values.get(c.name) for c in meta.keys}
    if meta.version is not None:
        kept[meta.version.name] = values.get(meta.version.name)
    load_into(obj, attributes)
    values.update(kept)
    values[SNAPSHOT] = now


def delete_request(entry: Keyed, condition: Optional[Condition],
                   return_values: Optional[str], check_version: bool = True) -> Dict[str, Any]:
    """The DeleteItem for one object, with the version check when its model has one.

    An object that carries no version (never loaded, saved or given one) is deleted
    without one.
    """
    obj = entry.obj
    version = type(obj).Meta.version
    if version is not None and check_version and _carried(obj) is not None:
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


class Step:
    """One request of a one-request-per-object call: ``done(entry, response)`` runs after
    it succeeds; ``resend`` says whether it may be re-sent after a lost answer, and
    ``recognise(entry, error)`` (an operation) tells a re-sent request that failed its own
    condition from a real conflict (see "lost answers" below)."""

    __slots__ = ("entry", "operation", "request", "done", "resend", "recognise")

    def __init__(self, entry: Keyed, operation: str, request: Dict[str, Any], done: Any, resend: bool,
                 recognise: Any) -> None:
        self.entry = entry
        self.operation = operation
        self.request = request
        self.done = done
        self.resend = resend
        self.recognise = recognise


def _one_each(policy: Policy, verb: str, steps: List[Step], later: Sequence[Any] = (),
              report: Optional[Reporter] = None) -> Op:
    """Send one request per object, in order.

    A failure stops the call: its error names the object (``.obj``) and, when there were
    several, the objects done before it (``.done``) and those not sent (``.not_sent``,
    ``later`` included: the objects the call would have sent after these steps).
    """
    finished: List[Any] = []
    for position, step in enumerate(steps):
        entry = step.entry
        try:
            try:
                response = yield from call(step.operation, step.request, entry.obj, step.resend)
            except ConstraintViolation as error:
                if not error.lost_answers:
                    raise _failed(error, entry.obj)
                response = yield from step.recognise(entry, error)
            except OutcomeUnknown as error:
                raise _unknown(error, verb, entry) from error.__cause__
        except BloopException as error:
            error.obj = entry.obj  # type: ignore[attr-defined]
            raise _named(error, verb, entry.obj, finished, [s.entry.obj for s in steps[position + 1:]] + list(later))
        step.done(entry, response)
        finished.append(entry.obj)
        if report is not None:
            report([entry.obj])


def _named(error: BloopException, verb: str, obj: Any, done: List[Any], not_sent: List[Any]) -> BloopException:
    """``error`` with what a several-object call did and did not do, in its attributes
    and its message."""
    error.done = done  # type: ignore[attr-defined]
    error.not_sent = not_sent  # type: ignore[attr-defined]
    total = len(done) + 1 + len(not_sent)
    if total > 1:
        past = {"save": "saved", "delete": "deleted"}.get(verb, f"{verb}d")
        what = (f"{verb}: {describe(obj)} failed after {len(done)} of {total} objects were {past}; "
                f"{len(not_sent)} {'was' if len(not_sent) == 1 else 'were'} not sent")
        message = error.args[0] if error.args else ""
        error.args = (f"{what}: {message}",) + error.args[1:]
    return error


#: the save and delete of objects whose models have unique constraints: one transaction
#: with their guard items (:func:`bloop.transactions.guarded_write`, which registers itself
#: here: that module imports this one)
GUARDED: Dict[str, Callable[..., Op]] = {}


def _guarded(objs: List[Any]) -> bool:
    for obj in objs:
        if type(obj).Meta.uniques:
            return True
    return False


def save(policy: Policy, objs: Any, condition: Any = None, sync: Optional[str] = None,
         check_version: bool = True, progress: Any = None) -> Op:
    """``engine.save``: diff-based updates, and whole-item puts in batches for several
    objects that need no update (see :func:`~bloop.tracking.puttable`); objects of models
    with unique constraints in a transaction (see :mod:`bloop.unique`).

    :param progress: called with a :class:`BatchProgress` after each request that
        confirmed some objects."""
    objs = as_objects(objs)
    condition = _check_condition(condition)
    return_values = _check_sync(sync, ("new", "old"))
    report = _reporter(progress, "save", len(objs))
    if _guarded(objs):
        return (yield from GUARDED["save"](policy, objs, condition, sync, check_version, report))
    entries = keyed(policy, objs)
    if not entries:
        return
    singles: List[Keyed] = []
    whole: List[Keyed] = []
    if len(entries) == 1 or condition is not None or return_values or \
            any(type(e.obj).Meta.version is not None for e in entries):
        singles = entries
    else:
        for e in entries:
            (whole if puttable(e.obj, type(e.obj).Meta.columns) else singles).append(e)

    def saved(entry: Keyed, response: Dict[str, Any], updates: List[Entry] = []) -> None:
        written(entry.obj, updates)
        if return_values == "ALL_OLD":
            synced_old(entry.obj, response.get("Attributes") or {})
        elif return_values:
            load_into(entry.obj, response.get("Attributes", {}))
        signals.saved(policy, entry.obj)

    # every request is built before the first is sent: bad input anywhere sends nothing
    steps = []
    for e in singles:
        request, updates = update_request(policy, e, condition, return_values, check_version)
        steps.append(Step(e, "update_item", request,
                          lambda entry, response, updates=updates: saved(entry, response, updates),
                          # a version check is what lets a re-sent versioned save be recognised
                          resendable(e.obj, updates, return_values, check_version),
                          lambda entry, error, updates=updates: recognise_save(entry, updates, error, check_version)))
    sent: Dict[int, Dict[str, Any]] = {}  # each object's values as its item was made from them
    items = [(e, _put_request(e, sent)) for e in whole]
    yield from _one_each(policy, "save", steps, [e.obj for e, _ in items], report)
    if not items:
        return

    def done(entry: Keyed, request: Dict[str, Any]) -> None:
        record_put(entry.obj, request["PutRequest"]["Item"], sent[entry.position])
        signals.saved(policy, entry.obj)

    yield from batch_write(policy, items, "save", done, report)


def delete(policy: Policy, objs: Any, condition: Any = None, sync: Optional[str] = None,
           check_version: bool = True, progress: Any = None) -> Op:
    """``engine.delete``: DeleteItem per object, or one batch of deletes; objects of models
    with unique constraints in a transaction that also deletes their guard items.

    :param progress: as for :func:`save`."""
    objs = as_objects(objs)
    condition = _check_condition(condition)
    return_values = _check_sync(sync, ("old",))
    report = _reporter(progress, "delete", len(objs))
    if _guarded(objs):
        return (yield from GUARDED["delete"](policy, objs, condition, sync, check_version, report))
    entries = keyed(policy, objs)
    if not entries:
        return
    if len(entries) == 1 or condition is not None or return_values or \
            any(type(e.obj).Meta.version is not None for e in entries):

        def deleted(entry: Keyed, response: Dict[str, Any]) -> None:
            obj = entry.obj
            forget(obj)
            if return_values and response.get("Attributes"):
                load_into(obj, response["Attributes"])
                forget(obj)
            version = type(obj).Meta.version
            if version is not None:
                # the item and its version are gone: saving the object again creates it anew
                obj.__dict__.pop(version.name, None)
            signals.deleted(policy, obj)

        steps = [Step(e, "delete_item", delete_request(e, condition, return_values, check_version), deleted,
                      return_values is None, recognise_delete) for e in entries]
        yield from _one_each(policy, "delete", steps, (), report)
        return
    items = [(e, {"DeleteRequest": {"Key": e.key}}) for e in entries]

    def gone(entry: Keyed, request: Dict[str, Any]) -> None:
        forget(entry.obj)
        signals.deleted(policy, entry.obj)

    yield from batch_write(policy, items, "delete", gone, report)


# ---------------------------------------------------------------------------------------
# lost answers
#
# A write whose answer is lost (a 5xx, a dropped connection, a read timeout) may or may
# not have been applied, and botocore re-sends it.  That is harmless for a write whose
# second application changes nothing; a conditional one then fails its own condition, and
# bloop recognises its own write in the item the failure returns.  A write whose second
# application would change the item or the answer is never re-sent after a lost answer
# (see bloop.session): OutcomeUnknown instead.

#: update actions whose second application changes the result
_REPEATING = {"append", "prepend", "plus", "minus"}


def repeats(updates: Sequence[Any]) -> bool:
    """Whether applying these update entries twice gives another item than applying them once."""
    for operand, kind, wire in updates:
        if kind in _REPEATING or (kind == "add" and wire is not None and "N" in wire):
            return True
        if kind == "remove" and any(isinstance(segment, int) for segment in operand.segments):
            return True  # REMOVE list[i] twice removes two elements
    return False


def version_checked(obj: Any, updates: Sequence[Any], checked: bool = True) -> bool:
    """Whether a save writes the next version and checks the current one (see
    :func:`update_request`; not with ``check_version=False``), which makes a re-send of an
    applied save fail."""
    version = type(obj).Meta.version
    return checked and version is not None and any(operand is version for operand, _, _ in updates)


def resendable(obj: Any, updates: Sequence[Any], return_values: Optional[str], checked: bool = True) -> bool:
    """Whether a save's UpdateItem may be re-sent after a lost answer: its second
    application changes nothing, or the version check makes it fail; and it does not ask
    for the old values (a re-send would return what its first attempt wrote)."""
    if return_values == "ALL_OLD":
        return False
    return version_checked(obj, updates, checked) or not repeats(updates)


def _at(item: Dict[str, Any], operand: Any) -> Optional[Dict[str, Any]]:
    """The wire value at an operand's path in an item, or None."""
    value = item.get(operand.column.dynamo_name)
    for segment in operand.segments:
        if value is None:
            return None
        if isinstance(segment, int):
            values = value.get("L")
            value = values[segment] if values is not None and 0 <= segment < len(values) else None
        else:
            fields = value.get("M")
            value = fields.get(segment) if fields is not None else None
    return value


def _elements(wire: Optional[Dict[str, Any]]) -> Set[Any]:
    if not wire:
        return set()
    (kind, values), = wire.items()
    if kind == "NS":
        from decimal import Decimal
        return {Decimal(v) for v in values}
    return set(values) if kind in ("SS", "BS") else set()


def holds(item: Dict[str, Any], updates: Sequence[Any], versioned: bool) -> bool:
    """Whether ``item`` holds what these update entries wrote: every SET value, every
    REMOVEd attribute absent, added set elements present, deleted ones absent, appended
    values at the end.  What arithmetic leaves behind (``add(1)``, ``col + n``) cannot be
    told from the item: such a write is recognised only by its version."""
    unverifiable = False
    for operand, kind, wire in updates:
        value = _at(item, operand)
        if kind == "remove" or wire is None:
            ok = value is None
        elif kind == "set":
            ok = wire_equal(value, wire)
        elif kind == "if_not_exists":
            ok = value is not None
        elif kind == "delete":
            ok = not (_elements(value) & _elements(wire))
        elif kind == "add" and "N" not in wire:
            ok = _elements(wire) <= _elements(value)
        elif kind in ("append", "prepend"):
            held, added = (value or {}).get("L"), wire.get("L") or []
            part = None if held is None or len(held) < len(added) else \
                (held[len(held) - len(added):] if kind == "append" else held[:len(added)])
            ok = part is not None and all(wire_equal(a, b) for a, b in zip(part, added))
        else:
            ok, unverifiable = value is not None, True
        if not ok:
            return False
    return versioned or not unverifiable


def _get(entry: Keyed, error: ConstraintViolation, verb: str) -> Op:
    """The item as DynamoDB holds it now: the one the failure returned, else read (with
    a consistent GetItem: dynalite returns no item with a failed condition)."""
    if error.old:
        return error.old
    try:
        found = yield from call("get_item", {"TableName": entry.table, "Key": entry.key, "ConsistentRead": True})
    except BloopException as failure:
        raise _lost(entry, verb, f"the item could not be read to tell whether it was applied ({failure})") \
            from failure
    return found.get("Item")


def recognise_save(entry: Keyed, updates: Sequence[Any], error: ConstraintViolation, checked: bool = True) -> Op:
    """A re-sent UpdateItem failed its condition after a lost answer: it is a success when
    the item holds exactly what this save wrote (its first attempt was applied); otherwise
    the outcome is unknown (applied and overwritten since, or another writer won)."""
    item = yield from _get(entry, error, "save")
    if item is not None and holds(item, updates, version_checked(entry.obj, updates, checked)):
        return {"Attributes": item}
    raise _lost(entry, "save", "the re-sent request failed its condition on an item that does not hold "
                "what this save wrote: it may have been applied and overwritten since, or another writer "
                "changed the item first") from error


def recognise_delete(entry: Keyed, error: ConstraintViolation) -> Op:
    """A re-sent DeleteItem failed its condition after a lost answer: a success when there is
    no item (the item this delete meant is gone); otherwise the outcome is unknown."""
    item = yield from _get(entry, error, "delete")
    if item is None:
        return {}
    raise _lost(entry, "delete", "the re-sent request failed its condition on an item that exists: it "
                "may have been deleted and written again since, or another writer changed the item first") \
        from error


def _lost(entry: Keyed, verb: str, why: str) -> OutcomeUnknown:
    operation = "UpdateItem" if verb == "save" else "DeleteItem"
    return OutcomeUnknown(
        f"{verb} of {describe(entry.obj)} in table {entry.table!r}: {operation}: an answer was lost and {why}; "
        "the object is left as it was: load it to see what the table holds", operation=operation,
        obj=entry.obj, table=entry.table)


def _unknown(error: OutcomeUnknown, verb: str, entry: Keyed) -> OutcomeUnknown:
    """The transport's OutcomeUnknown, naming the object and its table."""
    error.obj, error.table = entry.obj, entry.table
    error.args = (f"{verb} of {describe(entry.obj)} in table {entry.table!r}: {error}; the object is left "
                  "as it was: load it to see what the table holds",)
    return error


# ---------------------------------------------------------------------------------------
# batches

def _put_request(entry: Keyed, sent: Dict[int, Dict[str, Any]]) -> Dict[str, Any]:
    """The PutRequest of one object of a batch save, naming the object in any error; its
    values as the item is made from them go to ``sent[entry.position]`` (see :func:`record_put`)."""
    obj = entry.obj
    # copied before the item is made: a value assigned meanwhile is at worst sent again later
    sent[entry.position] = dict(obj.__dict__)
    try:
        return {"PutRequest": {"Item": to_item(obj)}}
    except InvalidValue as error:
        raise type(error)(f"{describe(obj)}: {error}") from error


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


Item = Tuple[Keyed, Any]  # an object with what a batch request carries for it


class Progress:
    """Where a batch stopped: the items of requests that failed (and the errors), those
    DynamoDB left unprocessed, and those never sent."""

    __slots__ = ("failed", "errors", "left", "unsent")

    def __init__(self) -> None:
        self.failed: List[Item] = []
        self.errors: List[BaseException] = []
        self.left: List[Item] = []
        self.unsent: List[Item] = []


def _batches(policy: Policy, items: List[Item], size: int, request: Any, settle: Any) -> Op:
    """Send ``items`` in chunks of ``size``, re-sending what DynamoDB leaves unprocessed
    with backoff, all within the policy's ``batch_deadline``.

    Each round is one step of every chunk, and each call but the operation's first
    carries ``expired`` (see :class:`Call`), so the transport starts none after the
    deadline: the clock is read as each request is about to start.

    :param request: ``chunk -> Call``.
    :param settle: ``(chunk, response) -> the items to send again``.
    :returns: a :class:`Progress`.
    """
    progress = Progress()
    clock = policy.clock
    deadline = clock() + policy.batch_deadline

    def expired() -> bool:
        return bool(clock() > deadline)

    pending = items
    attempt = -1
    first_round = True  # what is not sent in the first round was never sent
    while pending:
        chunks = _chunks(pending, size)
        calls = [request(chunk) for chunk in chunks]
        # Every call of a round goes in one step, so the transport keeps its
        # max_concurrency requests in flight; it starts none after the deadline (the
        # first call of the operation always goes out).
        for index, call in enumerate(calls):
            if index or not first_round:
                call.expired = expired
        outcomes = yield calls
        retry: List[Item] = []
        for chunk, outcome in zip(chunks, outcomes):
            if outcome is NOT_SENT:
                (progress.unsent if first_round else progress.left).extend(chunk)
            elif isinstance(outcome, BaseException):
                if len(chunk) == 1 and isinstance(outcome, ServiceError):
                    outcome._about(chunk[0][0].obj, describe(chunk[0][0].obj))
                progress.failed.extend(chunk)
                progress.errors.append(outcome)
            else:
                retry.extend(settle(chunk, outcome))
        attempt = _next_attempt(attempt, progressed=len(retry) < len(pending))
        pending = retry
        first_round = False
        if progress.unsent or progress.left:
            progress.left.extend(pending)  # the deadline passed: nothing more is sent
            break
        if pending and not (yield from _wait(policy, attempt, deadline)):
            progress.left.extend(pending)
            break
    return progress


def _ordered(entries: Iterable[Keyed]) -> List[Any]:
    return [e.obj for e in sorted(entries, key=lambda e: e.position)]


def _incomplete(policy: Policy, operation: str, progress: Progress, entries: List[Keyed],
                missing: Sequence[Keyed] = ()) -> None:
    """Raise BatchIncomplete naming the objects not confirmed done (and which of them were
    never sent, which were not found, and which were done), each in the order given."""
    failed = [e for e, _ in progress.failed]
    left = [e for e, _ in progress.left]
    unsent = [e for e, _ in progress.unsent]
    if not (failed or left or unsent):
        return
    unconfirmed = failed + left + unsent
    skip = {id(e) for e in unconfirmed}
    skip.update(id(e) for e in missing)
    done = [e for e in entries if id(e) not in skip]
    verb = "read" if operation == "load" else "written"
    parts = []
    if failed:
        fate = "were not read" if operation == "load" else "may or may not have been written"
        parts.append(f"{len(failed)} were in a request that failed and {fate} ({progress.errors[0]})")
    if left:
        parts.append(f"{len(left)} DynamoDB left unprocessed until the batch_deadline of {policy.batch_deadline}s")
    if unsent:
        parts.append(f"{len(unsent)} were never sent (the batch_deadline of {policy.batch_deadline}s passed first)")
    if missing:
        parts.append(f"{len(missing)} were not found")
    parts.append(f"{len(done)} were {verb}")
    error = BatchIncomplete(
        f"{operation}: {len(unconfirmed)} of {len(entries)} objects are not confirmed {verb}: " + "; ".join(parts),
        _ordered(unconfirmed), operation, unsent=_ordered(unsent), missing=_ordered(missing),
        done=[e.obj for e in done])
    if progress.errors:
        raise error from progress.errors[0]
    raise error


def batch_write(policy: Policy, items: List[Tuple[Keyed, Dict[str, Any]]], operation: str,
                done: Any, report: Optional[Reporter] = None) -> Op:
    """BatchWriteItem in chunks of 25, re-sending unprocessed items with backoff, within
    the deadline (see :func:`_batches`).

    :param done: called with ``(entry, write request)`` for every item written.
    :raises BatchIncomplete: past the deadline, or when a request failed outright;
        ``unprocessed`` lists exactly the objects not confirmed written.
    """
    key_names = _key_names(e for e, _ in items)

    def request(chunk: Sequence[Item]) -> Call:
        request_items: Dict[str, List[Dict[str, Any]]] = {}
        for entry, write in chunk:
            request_items.setdefault(entry.table, []).append(write)
        return Call("batch_write_item", {"RequestItems": request_items})

    def settle(chunk: Sequence[Item], response: Dict[str, Any]) -> List[Item]:
        unprocessed = set()
        for table, writes in (response.get("UnprocessedItems") or {}).items():
            for write in writes:
                body = write.get("PutRequest", {}).get("Item") or write.get("DeleteRequest", {}).get("Key")
                unprocessed.add(key_identity(table, body or {}, key_names.get(table, ())))
        retry = []
        for entry, write in chunk:
            if entry.identity in unprocessed:
                retry.append((entry, write))
            else:
                done(entry, write)
        if report is not None:
            again = {id(entry) for entry, _ in retry}
            report([entry.obj for entry, _ in chunk if id(entry) not in again])
        return retry

    progress = yield from _batches(policy, list(items), limits.MAX_BATCH_WRITE, request, settle)
    _incomplete(policy, operation, progress, [e for e, _ in items])


def load(policy: Policy, objs: Any, consistent: bool = False, progress: Any = None) -> Op:
    """``engine.load``: BatchGetItem in chunks of 100, filling the objects in place, within
    the deadline (see :func:`_batches`).

    :raises ObjectsNotFound: some objects have no item (the rest are loaded).
    :raises BatchIncomplete: some keys could not be read before the deadline, or a request
        failed; ``missing`` names the objects read and not found.
    """
    objs = as_objects(objs)
    report = _reporter(progress, "load", len(objs))
    entries = keyed(policy, objs)
    if not entries:
        return
    by_identity = {e.identity: e for e in entries}
    key_names = _key_names(entries)
    found = set()
    others: Dict[Any, str] = {}  # what a family's object found instead of its own type
    consistent = bool(consistent)

    def request(chunk: Sequence[Item]) -> Call:
        request_items: Dict[str, Dict[str, Any]] = {}
        for entry, key in chunk:
            table = request_items.setdefault(entry.table, {"Keys": [], "ConsistentRead": consistent})
            table["Keys"].append(key)
        return Call("batch_get_item", {"RequestItems": request_items})

    def settle(chunk: Sequence[Item], response: Dict[str, Any]) -> List[Item]:
        for table, items in (response.get("Responses") or {}).items():
            names = key_names.get(table, ())
            for item in items:
                entry = by_identity.get(key_identity(table, item, names))
                if entry is not None:
                    other = adopt(entry.obj, item)  # a family's item of another type: not found
                    if other is not None:
                        others[entry.identity] = other
                        continue
                    load_into(entry.obj, item)
                    found.add(entry.identity)
                    signals.loaded(policy, entry.obj)
        retry = []
        for table, keys in (response.get("UnprocessedKeys") or {}).items():
            for key in keys.get("Keys", []):
                entry = by_identity.get(key_identity(table, key))
                if entry is not None:
                    retry.append((entry, entry.key))
        if report is not None:
            again = {id(entry) for entry, _ in retry}
            report([entry.obj for entry, _ in chunk if id(entry) not in again])
        return retry

    progress = yield from _batches(policy, [(e, e.key) for e in entries], limits.MAX_BATCH_GET, request, settle)
    unconfirmed = {id(e) for e, _ in progress.failed + progress.left + progress.unsent}
    missing = [e for e in entries if e.identity not in found and id(e) not in unconfirmed]
    _incomplete(policy, "load", progress, entries, missing)
    if missing:
        objs = [e.obj for e in missing]
        raise ObjectsNotFound(f"load: {len(missing)} of {len(entries)} objects were not found"
                              + held_instead([others.get(e.identity) for e in missing]), objs)


def __getattr__(name: str) -> Any:
    # the drivers live in bloop.drivers (they do I/O; this module does none); their old
    # names here still work, imported only when asked for
    if name == "drive":
        from .drivers.drive import drive
        return drive
    if name == "outcome":
        from .drivers.transport import outcome
        return outcome
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
