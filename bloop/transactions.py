"""Transactions: several writes, or several reads, that happen all together or not at all.

A :class:`Transaction` collects what to do and sends nothing; a
:class:`PreparedTransaction` validates and renders it once into one
``TransactWriteItems`` (or ``TransactGetItems``) request, and its
:meth:`~PreparedTransaction.commit` is an I/O-free generator like the
operations in :mod:`bloop.operations`: it yields ``[Call(...)]`` and is sent
the outcome, so the synchronous engine and an asynchronous one drive the same
code.  :class:`SyncTransaction` is what ``engine.transaction()`` returns: a
context manager that commits when its block exits without an exception.

Each item is built by the same functions as a single save or delete: a save
is the diff-based ``UpdateItem`` of :func:`bloop.operations.update_request`
(with the version check of a version column), a delete
:func:`bloop.operations.delete_request`.  Everything DynamoDB would refuse that
bloop can see is refused before sending: more than
:data:`~bloop.limits.MAX_TRANSACTION_ITEMS` items, more than
:data:`~bloop.limits.MAX_TRANSACTION_SIZE` bytes of items, or two actions on one
item.

An object whose model has unique constraints (see :mod:`bloop.unique`) brings the
guard items its save or delete claims and releases into the same transaction, each
with its condition; when bloop does not know what its item holds for a unique column,
the commit reads that first (``PreparedTransaction.reads_first``) and builds the
request after.  :func:`guarded_write` is ``engine.save`` / ``engine.delete`` of such
objects: one transaction (or several, for more than 100 actions).
"""
from __future__ import annotations

import contextvars
import inspect
import uuid
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from . import limits, signals
from . import operations as _operations
from .codec import from_item, item_size, key_identity, load_into
from .codec.family import adopt, held_instead
from .conditions import Condition
from .entities import RawItem
from .exceptions import (
    BloopException, ConstraintViolation, DuplicateKeys, InvalidCondition, InvalidTransaction, LimitExceeded,
    ObjectsNotFound, OutcomeUnknown, TransactionCanceled, TransactionTokenExpired, UnknownType,
)
from .expressions import Renderer
from .operations import (
    KEY_ONLY_ATTRIBUTE, Call, Keyed, Op, Policy, as_objects, call, delete_request, holds, keyed, update_request,
    version_checked, written,
)
from .tracking import Entry, forget
from .unique import OWNER_ATTRIBUTE, Guarded, guarded, known, read_calls, settle_read, violation

__all__ = ["Transaction", "PreparedTransaction", "SyncTransaction", "Cancellation", "active", "KEY_ONLY_ATTRIBUTE"]

WRITE = "w"
READ = "r"


# The fields each kind of transaction item accepts (TransactWriteItems in the API reference).
_CONDITIONED = ("TableName", "Key", "ConditionExpression", "ExpressionAttributeNames",
                "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure")
_UPDATE_FIELDS = _CONDITIONED + ("UpdateExpression",)

#: the transactions open in this thread or task (their ``with`` block is running)
_ACTIVE: contextvars.ContextVar[Tuple["Transaction", ...]] = contextvars.ContextVar(
    "bloop_transactions", default=())


def active(policy: Policy) -> Optional["Transaction"]:
    """The innermost open transaction of the engine with this policy, in this thread or task."""
    for tx in reversed(_ACTIVE.get()):
        if tx.policy is policy:
            return tx
    return None


class _Item:
    """One thing a transaction does to one object."""

    __slots__ = ("action", "obj", "condition", "check_version")

    def __init__(self, action: str, obj: Any, condition: Optional[Condition], check_version: bool = True) -> None:
        self.action = action
        self.obj = obj
        self.condition = condition
        self.check_version = check_version

    def __repr__(self) -> str:
        return f"<{self.action} {self.obj!r}>"


class Cancellation:
    """Why DynamoDB canceled one item of a transaction.

    :ivar obj: the object.
    :ivar action: ``"save"``, ``"delete"``, ``"check"`` or ``"load"``.
    :ivar code: DynamoDB's code: ``"None"`` (this item was fine), ``"ConditionalCheckFailed"``,
        ``"TransactionConflict"``, ``"ItemCollectionSizeLimitExceeded"``, ...
    :ivar message: DynamoDB's message, if any.
    :ivar old: the item as DynamoDB held it, loaded into a new object of the model, when
        DynamoDB returned it (a failed condition of a save, delete or check), else None.
    """

    __slots__ = ("obj", "action", "code", "message", "old")

    def __init__(self, obj: Any, action: str, code: str, message: str, old: Any) -> None:
        self.obj = obj
        self.action = action
        self.code = code
        self.message = message
        self.old = old

    @property
    def failed(self) -> bool:
        return self.code not in ("None", "")

    def __repr__(self) -> str:
        return f"Cancellation({self.action} {self.obj!r}: {self.code})"


def _condition(condition: object, what: str, required: bool) -> Optional[Condition]:
    if condition is not None and not isinstance(condition, Condition):
        raise InvalidCondition(f"{what}: expected a condition, got {condition!r}")
    if condition is not None and condition.kind == "empty":
        condition = None
    if condition is None and required:
        raise InvalidTransaction(f"{what} needs a condition: a check without one checks nothing")
    return condition


class Transaction:
    """The items of one transaction, collected before anything is sent.

    :param policy: the engine's :class:`~bloop.operations.Policy`.
    :param mode: ``"w"`` to save, delete and check; ``"r"`` to load.
    :param token: the ``ClientRequestToken`` of a write transaction (1 to 36 characters),
        for a token of your own (an order id, say) that keeps a retry idempotent across
        processes; by default each prepare makes a new one.

    Each method returns the transaction, so calls can be chained.  Objects are
    rendered when the transaction is prepared (at commit), so changes made to an
    object after ``tx.save(obj)`` and before the commit are included.
    """

    def __init__(self, policy: Policy, mode: str = WRITE, *, token: Optional[str] = None) -> None:
        if mode not in (WRITE, READ):
            raise InvalidTransaction(f"a transaction's mode is 'w' (write) or 'r' (read), not {mode!r}")
        self.policy = policy
        self.mode = mode
        #: the caller's ``ClientRequestToken``, or None for a new one per prepare
        self.token = _token(token, mode)
        self.items: List[_Item] = []
        #: the last :class:`PreparedTransaction` (what a commit sends and a retry re-sends)
        self.prepared: Optional[PreparedTransaction] = None
        self._changes = 0
        self._prepared_at = -1
        self._root: Optional[Transaction] = None  # the open transaction this one joined
        self._mark = 0  # how many items the joined transaction had when this one joined
        self._reset: Optional[contextvars.Token[Tuple[Transaction, ...]]] = None

    # collecting ------------------------------------------------------------------------
    def save(self, *objs: Any, condition: Optional[Condition] = None) -> "Transaction":
        """Save objects (a diff-based update each), if ``condition`` holds for each."""
        return self._add("save", objs, _condition(condition, "save", False))

    def delete(self, *objs: Any, condition: Optional[Condition] = None) -> "Transaction":
        """Delete objects, if ``condition`` holds for each."""
        return self._add("delete", objs, _condition(condition, "delete", False))

    def check(self, obj: Any, condition: Condition) -> "Transaction":
        """Write nothing to ``obj``'s item, but cancel the transaction unless ``condition`` holds."""
        return self._add("check", (obj,), _condition(condition, "check", True))

    def load(self, *objs: Any) -> "Transaction":
        """Load objects in place, all as of one moment (read transactions)."""
        return self._add("load", objs, None)

    def _add(self, action: str, objs: Tuple[Any, ...], condition: Optional[Condition]) -> "Transaction":
        target = self._root or self
        wanted = READ if action == "load" else WRITE
        if target.mode != wanted:
            kind = "a read transaction (mode='r')" if wanted == READ else "a write transaction (mode='w')"
            raise InvalidTransaction(f"{action} belongs in {kind}; this transaction has mode={target.mode!r}")
        flat = [obj for group in objs for obj in as_objects(group)]
        if action == "load":  # loading one object twice is asking once
            queued = {id(item.obj) for item in target.items}
            flat = [obj for obj in flat if id(obj) not in queued]
        target.items.extend(_Item(action, obj, condition) for obj in flat)
        target._changes += 1
        return self

    # preparing and committing ----------------------------------------------------------
    def prepare(self, token: Optional[str] = None) -> "PreparedTransaction":
        """Validate and render the items now, with a new idempotency token (or ``token``,
        or the transaction's own).  ``tx.prepare().commit()`` sends it (bloop 3's spelling).

        :raises LimitExceeded: too many items, or too many bytes.
        :raises DuplicateKeys: two actions on one item.
        :raises InvalidTransaction: a token DynamoDB would refuse, or one for a read.
        """
        if self._root is not None:
            raise InvalidTransaction("this transaction joined an outer one: the outermost transaction "
                                     "prepares and commits when its block exits")
        token = _token(token, self.mode) or self.token
        self.prepared = PreparedTransaction(self.policy, self.mode, self.items, token=token)
        self._prepared_at = self._changes
        return self.prepared

    def commit_op(self) -> Op:
        """The I/O-free commit: prepare unless nothing was added since the last prepare
        (then the same requests and token are sent again), and send."""
        if self.prepared is None or self._prepared_at != self._changes or self._root is not None:
            self.prepare()
        assert self.prepared is not None
        return self.prepared.commit_op()

    # joining ---------------------------------------------------------------------------
    def _enter(self) -> None:
        """Open this transaction, or join the open one of the same engine."""
        if self._reset is not None or self._root is not None:
            raise InvalidTransaction("this transaction is open already")
        outer = active(self.policy)
        if outer is not None:
            if outer.mode != self.mode:
                raise InvalidTransaction(
                    f"a transaction with mode={self.mode!r} cannot join the open one with mode={outer.mode!r}")
            self._root = outer
            self._mark = len(outer.items)
            outer.items.extend(self.items)  # anything added before the block joins too
            self.items = []
            outer._changes += 1
            return
        self._reset = _ACTIVE.set(_ACTIVE.get() + (self,))

    def _exit(self, failed: bool) -> bool:
        """Close this transaction; True when it should be committed now.

        A joined transaction never commits: its items are the outer one's.  If its
        block failed, the items it added are taken out again, so the outer transaction
        commits as though the inner block had never run.
        """
        root = self._root
        if root is not None:
            self._root = None
            if failed:
                del root.items[self._mark:]
                root._changes += 1
            return False
        if self._reset is not None:
            _ACTIVE.reset(self._reset)
            self._reset = None
        return not failed

    def __repr__(self) -> str:
        state = "joined" if self._root is not None else f"{len(self.items)} items"
        return f"<{type(self).__name__} mode={self.mode!r} {state}>"


class PreparedTransaction:
    """A transaction validated and rendered once.

    :ivar request: the ``TransactWriteItems`` / ``TransactGetItems`` request.
    :ivar token: the ``ClientRequestToken`` of a write transaction (None for reads).
    :ivar first_commit: the policy clock's time of the first commit, or None.

    Committing again sends the same request: for a write transaction with the same
    token, which DynamoDB honours for 10 minutes after the first commit (a retry
    that reaches it after a success changes nothing); for a read transaction, it
    reads again.  :meth:`commit` sends through the engine the transaction was made
    by; :meth:`commit_op` is the I/O-free generator any driver can run.
    """

    def __init__(self, policy: Policy, mode: str, items: List[_Item], *, token: Optional[str] = None) -> None:
        self.policy = policy
        self.mode = mode
        self.items = list(items)
        self.token: Optional[str] = _token(token, mode)
        self.first_commit: Optional[float] = None
        if len(self.items) > limits.MAX_TRANSACTION_ITEMS:
            raise LimitExceeded(f"a transaction holds at most {limits.MAX_TRANSACTION_ITEMS} items; "
                                f"this one has {len(self.items)}")
        try:
            self.entries = keyed(policy, [item.obj for item in self.items])
        except DuplicateKeys as error:
            raise DuplicateKeys(f"a transaction acts on each item at most once; these keys appear more "
                                f"than once: {error.keys}", error.keys) from None
        self._updates: List[List[Entry]] = []
        self._guards: List[Optional[Guarded]] = []
        #: each TransactItems entry's ``(item position, role, what it guards)``: role is
        #: ``"item"`` (the object's own), ``"claim"`` or ``"release"`` (a guard item)
        self.roles: List[Tuple[int, str, Any]] = []
        if mode == READ:
            self.operation = "transact_get_items"
            self.request: Dict[str, Any] = {"TransactItems": [
                {"Get": {"TableName": entry.table, "Key": entry.key}} for entry in self.entries]}
            return
        self.operation = "transact_write_items"
        if self.token is None:
            self.token = str(uuid.uuid4())
        # unique constraints (bloop.unique): the guard items each save or delete claims and
        # releases; what bloop does not know an item holds is read when committing, first
        self._guards = [guarded(entry, item.action) for item, entry in zip(self.items, self.entries)]
        self.request = {}
        if not any(g is not None and g.unknown for g in self._guards):
            self._build()

    @property
    def reads_first(self) -> bool:
        """Whether committing reads items first (objects of models with unique constraints
        whose stored values bloop does not know); the request is built after that read."""
        return not self.request and self.mode == WRITE

    def _build(self) -> None:
        transact_items: List[Dict[str, Any]] = []
        roles: List[Tuple[int, str, Any]] = []
        self._updates = []
        size = 0
        claimed: Dict[Any, int] = {}  # a guard's key -> its position among transact_items
        for position, (item, entry, guard) in enumerate(zip(self.items, self.entries, self._guards)):
            one, updates, written_size = _write_item(self.policy, item, entry, guard)
            transact_items.append(one)
            roles.append((position, "item", None))
            self._updates.append(updates)
            size += written_size
            for role, action, info in (guard.actions() if guard is not None else ()):
                key = key_identity(entry.table, info["key"])
                if key in claimed:
                    at = claimed[key]
                    _, other_role, other = roles[at]
                    if role == other_role == "claim" or role == other_role == "release":
                        raise violation(item.obj, info["constraint"], info["value"],
                                        " in this same transaction") if role == "claim" else \
                            DuplicateKeys(f"two objects of this transaction release one guard item: {info['key']}",
                                          [info["key"]])
                    # one object releases the value another claims (a swap): one Put that
                    # changes the guard's owner, on condition that the releasing one holds it
                    put = (action if role == "claim" else transact_items[at])["Put"]
                    release = (transact_items[at] if role == "claim" else action)["Delete"]
                    put = dict(put, ConditionExpression=release["ConditionExpression"],
                               ExpressionAttributeNames=release["ExpressionAttributeNames"],
                               ExpressionAttributeValues=release["ExpressionAttributeValues"])
                    transact_items[at] = {"Put": put}
                    roles[at] = (position, "claim", info) if role == "claim" else roles[at]
                    continue
                claimed[key] = len(transact_items)
                transact_items.append(action)
                roles.append((position, role, info))
                size += item_size(action.get("Put", {}).get("Item") or info["key"])
        if len(transact_items) > limits.MAX_TRANSACTION_ITEMS:
            guards = len(transact_items) - len(self.items)
            raise LimitExceeded(f"a transaction holds at most {limits.MAX_TRANSACTION_ITEMS} items; this one has "
                                f"{len(transact_items)}: {len(self.items)} objects and {guards} guard items of "
                                "unique constraints; nothing was sent")
        if size > limits.MAX_TRANSACTION_SIZE:
            raise LimitExceeded(f"the items of a transaction may total {limits.MAX_TRANSACTION_SIZE} bytes; "
                                f"these are {size}")
        self.roles = roles
        self.request = {"TransactItems": transact_items, "ClientRequestToken": self.token}

    def commit(self) -> Any:
        """Send the transaction through its engine: ``tx.prepare().commit()``.

        With the synchronous engine this sends and returns the prepared transaction;
        with :class:`~bloop.aio.AsyncEngine` it returns an awaitable that does
        (``await tx.prepare().commit()``).  Committing again retries with the same token.

        :raises InvalidTransaction: the transaction was not made by an engine (drive
            :meth:`commit_op` yourself).
        :raises TransactionCanceled: DynamoDB canceled it (``.cancellations`` says why, per object).
        :raises ObjectsNotFound: a read transaction found no item for some objects.
        :raises TransactionTokenExpired: a retry came too late to be idempotent.
        """
        engine = self.policy.engine
        if engine is None:
            raise InvalidTransaction("this prepared transaction has no engine to send it: make it with "
                                     "engine.transaction(), or drive commit_op() yourself")
        sent = engine._run(self.commit_op())
        if inspect.isawaitable(sent):
            return self._awaited(sent)
        return self

    async def _awaited(self, sent: Any) -> "PreparedTransaction":
        await sent
        return self

    def commit_op(self) -> Op:
        """Send the transaction (an I/O-free generator: drive it like an operation)."""
        if not self.items:
            return
        if self.mode == WRITE:
            if not self.request:  # read first (unique columns bloop does not know), then build
                yield from self._read_first()
            now = self.policy.clock()
            if self.first_commit is None:
                self.first_commit = now
            elif now - self.first_commit > limits.TRANSACTION_TOKEN_LIFETIME:
                raise TransactionTokenExpired(
                    f"this transaction was first committed {now - self.first_commit:.0f}s ago; DynamoDB "
                    f"keeps its idempotency token for {limits.TRANSACTION_TOKEN_LIFETIME}s, so sending it "
                    "again could apply it twice. Load the objects again and prepare a new transaction")
        try:
            response = yield from call(self.operation, self.request)
        except TransactionCanceled as error:
            if error.lost_answers and any(role != "item" for _, role, _ in self.roles):
                yield from self._recognise(error)
            else:
                raise self._canceled(error)
        if self.mode == WRITE:
            self._written()
        else:
            self._loaded(response)

    def _read_first(self) -> Op:
        """Read what bloop does not know the items hold for unique columns, then build the request."""
        pending = [g for g in self._guards if g is not None and g.unknown]
        outcomes = yield read_calls(pending)
        for guard, outcome in zip(pending, outcomes):
            if isinstance(outcome, BaseException):
                if isinstance(outcome, BloopException):
                    outcome.args = (f"{guard.entry.obj!r}: reading its unique columns before writing failed; "
                                    f"nothing was written: {outcome}",) + outcome.args[1:]
                raise outcome
            settle_read(guard, outcome)
        self._build()

    def _recognise(self, error: TransactionCanceled) -> Op:
        """A re-sent transaction with guard items was canceled after a lost answer: DynamoDB
        honours the token, so there it is a real cancellation; a backend that does not (moto)
        applies the re-send again.  It is a success when the table holds what this
        transaction wrote (every saved item its values, every deleted item and released guard
        gone, every claimed guard owned by its object); otherwise the outcome is unknown."""
        calls = []
        for position, role, info in self.roles:
            item, entry = self.items[position], self.entries[position]
            key = entry.key if role == "item" else info["key"]
            calls.append(Call("get_item", {"TableName": entry.table, "Key": key, "ConsistentRead": True}))
        outcomes = yield calls
        applied = True
        for (position, role, info), outcome in zip(self.roles, outcomes):
            item, entry = self.items[position], self.entries[position]
            if isinstance(outcome, BaseException):
                applied = False
                break
            found = outcome.get("Item")
            if role == "item" and item.action == "save":
                updates = self._updates[position]
                ok = found is not None and holds(found, updates, version_checked(item.obj, updates))
            elif role == "item" and item.action == "delete":
                ok = found is None
            elif role == "item":
                ok = True
            elif role == "claim":
                ok = found is not None and found.get(OWNER_ATTRIBUTE) == {"M": entry.key}
            else:
                ok = found is None
            if not ok:
                applied = False
                break
        if applied:
            return
        objs = ", ".join(repr(item.obj) for item in self.items)
        raise OutcomeUnknown(
            f"transaction of {objs}: TransactWriteItems: an answer was lost and the re-sent transaction was "
            "canceled, and the table does not hold what it wrote: it may have been applied and changed "
            "since, or another writer came first; the objects are left as they were: load them to see what "
            "the table holds", operation="TransactWriteItems") from self._canceled(error)

    def _written(self) -> None:
        for item, updates, guard in zip(self.items, self._updates, self._guards):
            if item.action == "save":
                written(item.obj, updates)
                if guard is not None:
                    known(guard)
                signals.saved(self.policy, item.obj)
            elif item.action == "delete":
                forget(item.obj)
                signals.deleted(self.policy, item.obj)

    def _loaded(self, response: Dict[str, Any]) -> None:
        responses = response.get("Responses") or []
        missing, others = [], []
        for position, item in enumerate(self.items):
            found = responses[position].get("Item") if position < len(responses) else None
            other = adopt(item.obj, found) if found else None  # a family's item of another type
            if other is not None:
                others.append(other)
                found = None
            if found:
                load_into(item.obj, found)
                signals.loaded(self.policy, item.obj)
            else:
                missing.append(item.obj)
        if missing:
            raise ObjectsNotFound(f"transaction load: {len(missing)} of {len(self.items)} objects were not "
                                  "found" + held_instead(others), missing)

    def _canceled(self, error: TransactionCanceled) -> BloopException:
        """Name the object, action and reason of each item on DynamoDB's error; a guard item
        that could not be claimed: :class:`~bloop.exceptions.UniqueViolation`."""
        reasons = error.reasons or []
        if self.roles and self.mode == WRITE:
            by_item = [reasons[at] if at < len(reasons) else {} for at, (_, role, _) in enumerate(self.roles)
                       if role == "item"]
        else:
            by_item = reasons
        cancellations = []
        for position, item in enumerate(self.items):
            reason = by_item[position] if position < len(by_item) else {}
            old = reason.get("Item")
            cancellations.append(Cancellation(
                item.obj, item.action, reason.get("Code", ""), reason.get("Message", ""),
                _old(item.obj, old)))
        error.cancellations = cancellations
        error.failed = [c.obj for c in cancellations if c.failed]
        if error.failed:
            named = ", ".join(f"{c.action} {c.obj!r}: {c.code}" for c in cancellations if c.failed)
            error.args = (f"{error.args[0] if error.args else 'transaction canceled'} ({named})",) + error.args[1:]
        for at, (position, role, info) in enumerate(self.roles):
            reason = reasons[at] if at < len(reasons) else {}
            if role == "claim" and reason.get("Code") == "ConditionalCheckFailed":
                claim = violation(self.items[position].obj, info["constraint"], info["value"])
                # what a TransactionCanceled says, on the UniqueViolation too
                setattr(claim, "reasons", error.reasons)
                setattr(claim, "cancellations", error.cancellations)
                setattr(claim, "failed", error.failed)
                claim.lost_answers = error.lost_answers
                claim.__cause__ = error
                return claim
        return error

    def __repr__(self) -> str:
        return f"<PreparedTransaction mode={self.mode!r} items={len(self.items)} token={self.token}>"


def _old(obj: Any, old: Any) -> Any:
    """A cancellation's item as an object (None: none, or an item the object's model does not
    read: a family's item of another type, or of an unknown one)."""
    if not old:
        return None
    try:
        made = from_item(type(obj), old)
    except UnknownType:
        return None
    return None if made.__class__ is RawItem else made


# ---------------------------------------------------------------------------------------
# engine.save / engine.delete of objects whose models have unique constraints

def guarded_write(policy: Policy, verb: str, objs: List[Any], condition: Optional[Condition],
                  sync: Optional[str], check_version: bool, report: Any = None) -> Op:
    """``engine.save`` / ``engine.delete`` when some object's model has unique constraints
    (routed here by :mod:`bloop.operations`): every object goes in one ``TransactWriteItems``
    with the guard items of its constraints, or in several when they hold more than
    DynamoDB's 100 actions, sent one after another."""
    if sync is not None:
        raise InvalidTransaction(
            f"{verb}(sync={sync!r}): objects of models with unique constraints are written in a transaction, "
            "which returns no values; load them after writing instead. Nothing was sent")
    keyed(policy, objs)  # one key twice: refused before anything is sent
    chunks: List[List[_Item]] = [[]]
    cost = 0
    for obj in objs:
        one = 1 + 2 * len(type(obj).Meta.uniques)  # the most actions an object can take
        if chunks[-1] and cost + one > limits.MAX_TRANSACTION_ITEMS:
            chunks.append([])
            cost = 0
        chunks[-1].append(_Item(verb, obj, condition, check_version))
        cost += one
    done: List[Any] = []
    for position, chunk in enumerate(chunks):
        try:
            prepared = PreparedTransaction(policy, WRITE, chunk)
            yield from prepared.commit_op()
        except BloopException as error:
            later = [item.obj for rest in chunks[position + 1:] for item in rest]
            raise _unwritten(error, verb, chunk, done, later)
        done.extend(item.obj for item in chunk)
        if report is not None:  # the engine call's progress callback (operations.Reporter)
            report([item.obj for item in chunk])
        if verb == "delete":
            for item in chunk:
                version = type(item.obj).Meta.version
                if version is not None:  # the item and its version are gone
                    item.obj.__dict__.pop(version.name, None)


def _unwritten(error: BloopException, verb: str, chunk: List[_Item], done: List[Any],
               later: List[Any]) -> BloopException:
    """The error of one transaction of a save or delete, saying what was and was not written."""
    if type(error) is TransactionCanceled:
        failed = [c for c in error.cancellations if c.failed]
        if failed and all(c.code == "ConditionalCheckFailed" for c in failed):
            # as for a save without unique columns: the object's own condition did not hold
            first = failed[0]
            violation_ = ConstraintViolation(
                f"{verb} of {first.obj!r}: its condition, its version check or the values bloop believes its "
                f"unique columns hold did not hold ({error})")
            violation_.obj, violation_.old = first.obj, first.old
            setattr(violation_, "cancellations", error.cancellations)
            violation_.lost_answers = error.lost_answers
            violation_.__cause__ = error
            error = violation_
    objs = [item.obj for item in chunk]
    error.done = done  # type: ignore[attr-defined]
    error.not_sent = later  # type: ignore[attr-defined]
    error.not_written = objs  # type: ignore[attr-defined]
    if done or later:
        past = "saved" if verb == "save" else "deleted"
        message = error.args[0] if error.args else ""
        error.args = (f"{verb}: {len(done)} objects were {past} in earlier transactions; the transaction of "
                      f"{len(objs)} objects that failed wrote nothing; {len(later)} were not sent: {message}",) \
            + error.args[1:]
    return error


def _token(token: Any, mode: str) -> Optional[str]:
    """A caller's ``ClientRequestToken``, checked as DynamoDB would (None: make one)."""
    if token is None:
        return None
    if mode == READ:
        raise InvalidTransaction("a read transaction has no ClientRequestToken: DynamoDB takes a token "
                                 "only for writes")
    if not isinstance(token, str) or not 1 <= len(token) <= limits.MAX_TRANSACTION_TOKEN:
        raise InvalidTransaction(f"a transaction token is a str of 1 to {limits.MAX_TRANSACTION_TOKEN} "
                                 f"characters, not {token!r:.60}")
    return token


def _write_item(policy: Policy, item: _Item, entry: Keyed,
                guard: Optional[Guarded] = None) -> Tuple[Dict[str, Any], List[Entry], int]:
    """One TransactWriteItems entry, the updates a save records, and its bytes toward 4 MB."""
    condition = item.condition
    if guard is not None:  # the unique columns still hold what bloop believes they hold
        held = guard.condition()
        condition = held if condition is None else (condition if held is None else condition & held)
    if item.action == "save":
        request, updates = update_request(policy, entry, condition, None, item.check_version)
        body = {k: v for k, v in request.items() if k in _UPDATE_FIELDS}  # (an UpdateExpression always)
        sent = dict(entry.key)
        for column, _, wire in updates:
            if wire is not None:
                sent[column.dynamo_name] = wire
        return {"Update": body}, updates, item_size(sent)
    if item.action == "delete":
        request = delete_request(entry, condition, None, item.check_version)
        return {"Delete": {k: v for k, v in request.items() if k in _CONDITIONED}}, [], item_size(entry.key)
    body = {"TableName": entry.table, "Key": entry.key}
    body.update(Renderer().render(condition=item.condition))
    body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"ConditionCheck": body}, [], item_size(entry.key)


def __getattr__(name: str) -> Any:
    # the facade that sends (a driver) lives in bloop.drivers.transaction; its name here still works
    if name == "SyncTransaction":
        from .drivers.transaction import SyncTransaction
        return SyncTransaction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .drivers.transaction import SyncTransaction

# engine.save / engine.delete of models with unique constraints come here (operations
# cannot import this module: it imports operations)
_operations.GUARDED.update(save=lambda *args: guarded_write(args[0], "save", *args[1:]),
                           delete=lambda *args: guarded_write(args[0], "delete", *args[1:]))
