"""The Engine: binds models to tables and runs operations through one session.

The engine is a facade.  It owns the per-engine settings (clients, table
names, retry deadline, clock), hands each request-building operation from
:mod:`bloop.operations`, :mod:`bloop.tables` and :mod:`bloop.search` to
:func:`~bloop.drivers.drive.drive`, which sends each step through the engine's
``transport`` (:class:`~bloop.drivers.transport.BotocoreTransport`, on
:class:`~bloop.session.Session`).  An async engine drives the same operations
with ``await`` (:mod:`bloop.aio`).
"""
from __future__ import annotations

import random
import string
import time
from typing import Any, Callable, Dict, Generic, List, Optional, Tuple, Type, TypeVar, overload

from . import lifecycle, limits, operations, signals, tables
from .capacity import Capacity, Key, Units, Usage, observed
from .codec import compile_codec
from .conditions import Condition
from .exceptions import InvalidConfiguration, InvalidModel, InvalidType
from .models import BaseModel, walk_subclasses
from .drivers.drive import drive
from .drivers.search import SyncSearcher
from .drivers.stream import Stream
from .drivers.transaction import SyncTransaction
from .drivers.transport import BotocoreTransport, Transport
from .operations import Policy
from .relations import Collection, OneToMany, collection_op, collection_search, related_query
from .search import Async, Query, Scan, Search, Sync
from .search.tokens import token_secrets
from .session import Session, client_config, make_client

__all__ = ["Engine", "EngineCore", "transport_options"]

_TABLE_NAME_CHARS = set(limits.TABLE_NAME_CHARS)

M = TypeVar("M")
#: the kind of an engine's searches: bloop.search.Sync or bloop.search.Async
E = TypeVar("E", Sync, Async)


def _check_template(template: str) -> None:
    """A format string whose only field is ``{table_name}`` (at least once): any other
    field would fail, with a KeyError, only when the first model is bound."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as error:
        raise InvalidModel(f"table_name_template {template!r} is not a format string: {error}; "
                           "it must contain '{table_name}' and no other field") from None
    others = [field for field in fields if field != "table_name"]
    if others or not fields:
        found = f" (it has {', '.join('{' + f + '}' for f in others)})" if others else ""
        raise InvalidModel(f"table_name_template {template!r} must contain '{{table_name}}' and no other "
                           f"field{found}; for other parts of the name, format them in first "
                           "(f\"{env}-{{table_name}}\") or pass a callable model -> name")


class EngineCore(Generic[E]):
    """What every engine shares and that does no I/O: the settings, the table names,
    which models a ``bind`` covers, and building searches.

    :class:`Engine` adds a blocking transport and :class:`bloop.aio.AsyncEngine` an
    async one; neither repeats what is here.
    """

    def __init__(self, *, table_name_template: Any, batch_deadline: float, clock: Callable[[], float],
                 rng: Optional[random.Random], max_concurrency: int, token_secret: Any = None,
                 capacity: bool = False) -> None:
        if isinstance(table_name_template, str):
            _check_template(table_name_template)
        elif not callable(table_name_template):
            raise InvalidModel("table_name_template must be a format string or a callable")
        if not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidType(f"max_concurrency must be a positive int, not {max_concurrency!r}")
        if not isinstance(capacity, bool):
            raise InvalidType(f"capacity must be True or False, not {capacity!r}")
        self.table_name_template = table_name_template
        self.max_concurrency = max_concurrency
        #: the secrets page tokens are signed with (the first) and checked against (any), or None
        self.token_secret = token_secrets(token_secret)
        self.policy = Policy(self._table_name, clock, rng or random.Random(), batch_deadline)
        # the core reports loads, saves and deletes through the announcer, which sends the
        # signals with this engine as their sender; policy.engine is only for
        # PreparedTransaction.commit(), which sends through the engine that made it
        self.policy.announce = signals.Announcer(self)
        self.policy.engine = self
        self._bound: Dict[type, str] = {}
        #: the capacity this engine's requests consumed (see :mod:`bloop.capacity`), when made
        #: with ``capacity=True``; None otherwise
        self.capacity: Optional[Capacity] = Capacity() if capacity else None
        #: what makes a span of each operation, set by :func:`bloop.telemetry.instrument`
        self.tracer: Any = None
        self._named: Dict[str, Dict[type, None]] = {}  # table name -> the models named for it (bound or not)
        self._models_of: Optional[Dict[str, Any]] = None  # table name -> its model, made on first need
        #: an abstract base class for this engine's models: ``engine.bind()`` binds its subclasses
        self.model = type("Model", (BaseModel,), {"Meta": type("Meta", (), {"abstract": True}),
                                                  "__module__": __name__,
                                                  "__doc__": "Base class of this engine's models."})

    def _table_name(self, model: Any) -> str:
        name = self._bound.get(model)
        if name is not None:
            return name
        template = self.table_name_template
        name = template(model) if callable(template) else template.format(table_name=model.Meta.table_name)
        if not isinstance(name, str) or not set(name) <= _TABLE_NAME_CHARS or \
                not limits.MIN_TABLE_NAME <= len(name) <= limits.MAX_TABLE_NAME:
            raise InvalidModel(
                f"table name {name!r} for {model.__name__} is not valid: DynamoDB needs 3 to 255 "
                "characters of a-z, A-Z, 0-9, '_', '-' and '.'")
        named = self._named.get(name)
        if named is None or model not in named:  # which model a table's capacity and spans are for
            self._named.setdefault(name, {})[model] = None
            self._models_of = None
        return name

    def _to_bind(self, model: Any) -> Dict[type, str]:
        """The concrete models under ``model`` (default: ``engine.model``) not bound yet,
        with their table names; every name is checked before any table is touched."""
        base = self.model if model is None else model
        if not (isinstance(base, type) and issubclass(base, BaseModel)):
            raise InvalidModel(f"bind takes a model class, not {base!r}")
        concrete = [cls for cls in walk_subclasses(base) if not cls.Meta.abstract]
        return {cls: self._table_name(cls) for cls in concrete if cls not in self._bound}

    def _bind_op(self, model: type, table_name: str) -> operations.Op:
        """``tables.bind`` for one model, sending ``before_create_table`` just before a CreateTable."""
        def announce(call: operations.Call) -> None:
            if signals.before_create_table.receivers:
                signals.before_create_table.send(self, model=model, table_name=table_name, request=call.request)
        op: operations.Op = signals.announce_calls(tables.bind(self.policy, model, table_name), "create_table",
                                                   announce)
        op = lifecycle.explain_mismatch(self.policy, op, model, table_name)
        op.__name__ = "bind"  # type: ignore[attr-defined]  # what its telemetry span is named after
        return op

    def _apply_op(self, plan: lifecycle.Plan, allow_destructive: bool, progress: Any,
                  deadline: Optional[float]) -> operations.Op:
        """``lifecycle.apply_op``, sending ``before_create_table`` just before a CreateTable."""
        models = {table.table_name: table.model for table in plan.tables}

        def announce(call: operations.Call) -> None:
            if signals.before_create_table.receivers:
                name = call.request["TableName"]
                signals.before_create_table.send(self, model=models.get(name), table_name=name, request=call.request)
        op: operations.Op = signals.announce_calls(
            lifecycle.apply_op(self.policy, plan, allow_destructive, progress, deadline), "create_table", announce)
        op.__name__ = "apply"  # type: ignore[attr-defined]  # what its telemetry span is named after
        return op

    def _to_plan(self, models: Any) -> Dict[type, str]:
        """The concrete models under each of ``models`` (default: ``engine.model``), bound or
        not, with their table names; every name is checked before any table is described."""
        found: Dict[type, str] = {}
        for base in models or (self.model,):
            if not (isinstance(base, type) and issubclass(base, BaseModel)):
                raise InvalidModel(f"plan takes model classes, not {base!r}")
            for cls in walk_subclasses(base):
                if not cls.Meta.abstract:
                    found.setdefault(cls, self._table_name(cls))
        return found

    def _bound_to(self, model: Any, table_name: str) -> None:
        """Record that ``model`` is bound to ``table_name``, compile its codec (so the first
        request does not) and send ``model_bound``."""
        compile_codec(model.Meta)
        self._bound[model] = table_name
        self._models_of = None
        if signals.model_bound.receivers:
            signals.model_bound.send(self, model=model, table_name=table_name)

    # what each request costs (bloop.capacity) and telemetry (bloop.telemetry) ---------------
    def _observe(self, op: operations.Op) -> Tuple[operations.Op, Usage]:
        """``op`` watched by :func:`bloop.capacity.observed`, and what it will have done."""
        usage = Usage()
        report = self._report if signals.capacity_consumed.receivers else None
        return observed(op, usage, self.capacity, self._model_of, report), usage

    def _report(self, key: Key, units: Units) -> None:
        if signals.capacity_consumed.receivers:
            signals.capacity_consumed.send(self, model=key.model, table=key.table, index=key.index,
                                           operation=key.operation, units=units)

    def _model_of(self, table: str) -> Any:
        """The model of ``table``: the one model this engine bound to it (or named it for),
        or the base of the one family all of its models belong to; None for a table of
        several other models, or of none."""
        models = self._models_of
        if models is None:
            by_table: Dict[str, List[Any]] = {name: list(named) for name, named in self._named.items()}
            for model, name in self._bound.items():
                if model not in self._named.get(name, ()):
                    by_table.setdefault(name, []).append(model)
            models = {}
            for name, found in by_table.items():
                if len(found) == 1:
                    models[name] = found[0]
                    continue
                families = {id(model.Meta.family): model.Meta.family for model in found}
                family = next(iter(families.values())) if len(families) == 1 else None
                models[name] = family.base if family is not None else None
            self._models_of = models
        return models.get(table)

    @overload
    def query(self, model_or_index: Type[M], *, key: Optional[Condition] = None,
              filter: Optional[Condition] = None, projection: Any = "all", consistent: bool = False,
              forward: bool = True, index: Any = None, limit: Optional[int] = None,
              page_size: Optional[int] = None) -> Query[M, E]: ...

    @overload
    def query(self, model_or_index: Any, *, key: Optional[Condition] = None,
              filter: Optional[Condition] = None, projection: Any = "all", consistent: bool = False,
              forward: bool = True, index: Any = None, limit: Optional[int] = None,
              page_size: Optional[int] = None) -> Query[Any, E]: ...

    def query(self, model_or_index: Any, *, key: Optional[Condition] = None, filter: Optional[Condition] = None,
              projection: Any = "all", consistent: bool = False, forward: bool = True, index: Any = None,
              limit: Optional[int] = None, page_size: Optional[int] = None) -> Query[Any, E]:
        """A query on a model or one of its indexes; nothing is sent until it is iterated."""
        if isinstance(model_or_index, Search):
            return model_or_index._replace(engine=self)  # type: ignore[return-value]
        return Query(self, model_or_index, key=key, filter=filter, projection=projection,
                     consistent=consistent, forward=forward, index=index, limit=limit, page_size=page_size)

    @overload
    def scan(self, model_or_index: Type[M], *, filter: Optional[Condition] = None, projection: Any = "all",
             consistent: bool = False, index: Any = None, limit: Optional[int] = None,
             page_size: Optional[int] = None) -> Scan[M, E]: ...

    @overload
    def scan(self, model_or_index: Any, *, filter: Optional[Condition] = None, projection: Any = "all",
             consistent: bool = False, index: Any = None, limit: Optional[int] = None,
             page_size: Optional[int] = None) -> Scan[Any, E]: ...

    def scan(self, model_or_index: Any, *, filter: Optional[Condition] = None, projection: Any = "all",
             consistent: bool = False, index: Any = None, limit: Optional[int] = None,
             page_size: Optional[int] = None) -> Scan[Any, E]:
        """A scan of a model or one of its indexes; nothing is sent until it is iterated."""
        if isinstance(model_or_index, Search):
            return model_or_index._replace(engine=self)  # type: ignore[return-value]
        return Scan(self, model_or_index, filter=filter, projection=projection, consistent=consistent,
                    index=index, limit=limit, page_size=page_size)

    def related(self, obj: Any, relation: "OneToMany[M] | str") -> Query[M, E]:
        """The objects that refer to ``obj`` through an inverse relation, as a query of their
        model: ``engine.related(customer, Customer.orders)`` (or ``"orders"``).  Nothing is sent
        until it is iterated; every chain method works on it.

        :raises InvalidSearch: ``relation`` is not an inverse relation of ``obj``'s model.
        :raises MissingKey: ``obj`` lacks a part its objects refer to it by.
        """
        query: Query[M, E] = related_query(self, obj, relation)
        return query

    def _collection(self, obj: Any, consistent: bool) -> Any:
        """``collection(obj)``, run by this engine's searcher (awaitable on an async engine)."""
        searcher = self.searcher  # type: ignore[attr-defined]
        return searcher.run(collection_op(searcher.prepare(collection_search(self, obj, consistent)), obj))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} bound={len(self._bound)}>"


class Engine(EngineCore[Sync]):
    """Binds models to DynamoDB tables and loads, saves, deletes and searches them.

    :param dynamodb: a botocore/boto3 DynamoDB client; made from the default boto3
        session (with ``endpoint_url`` and ``region_name``) when not given.
    :param dynamodbstreams: a DynamoDB Streams client, made on first use when not given.
    :param table_name_template: a format string with ``{table_name}`` (e.g.
        ``"staging-{table_name}"``) or a callable ``model -> name``.
    :param batch_deadline: seconds to keep re-sending items DynamoDB left unprocessed.
    :param clock: monotonic seconds; :param sleep: blocking sleep (both for tests).
    :param max_concurrency: independent batch requests in flight at once (threads).
    :param fast_path: read item responses on :mod:`bloop.fastpath` (orjson, no botocore
        shape walk).  Default: on for the client bloop makes, off for an injected one;
        True installs it on an injected client too.
    :param connect_timeout: seconds to wait for a connection; :param read_timeout: seconds
        to wait for an answer; :param max_attempts: attempts per request, the first
        included.  For the clients bloop makes (botocore's defaults: 60, 60, and 5 attempts
        in bloop's clients); an injected client is configured by whoever made it, so
        these options with an injected client raise :class:`~bloop.exceptions.InvalidConfiguration`.
    :param token_secret: bytes (at least 16; ``secrets.token_bytes(32)``) to sign the tokens of
        ``search.page()`` with (HMAC-SHA256), or a list of them (signs with the first, accepts
        any: for rotating secrets).  With a secret, unsigned and altered tokens are refused;
        without one, signed tokens are.

    :param capacity: ask DynamoDB for the capacity each request consumes and total it in
        :attr:`capacity` per model, table or index, and operation; each response's is also
        sent as the ``capacity_consumed`` signal (see :doc:`costs`).

    Every client the engine sends through, injected or made, gets bloop's response check
    (:func:`bloop.session.install_checks`): an answer that is not DynamoDB's is retried,
    then raised as :class:`~bloop.exceptions.BadResponse`.
    """

    def __init__(self, dynamodb: Any = None, dynamodbstreams: Any = None, *,
                 endpoint_url: Optional[str] = None, region_name: Optional[str] = None,
                 table_name_template: Any = "{table_name}", batch_deadline: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: Optional[random.Random] = None, max_concurrency: int = 4,
                 fast_path: Optional[bool] = None, connect_timeout: Optional[float] = None,
                 read_timeout: Optional[float] = None, max_attempts: Optional[int] = None,
                 token_secret: Any = None, capacity: bool = False) -> None:
        super().__init__(table_name_template=table_name_template, batch_deadline=batch_deadline,
                         clock=clock, rng=rng, max_concurrency=max_concurrency, token_secret=token_secret,
                         capacity=capacity)
        transport = transport_options(connect_timeout, read_timeout, max_attempts, dynamodb, dynamodbstreams)
        if dynamodb is None:
            dynamodb = make_client("dynamodb", endpoint_url=endpoint_url, region_name=region_name,
                                   fast_path=fast_path is not False, **transport)
        elif fast_path:
            from . import fastpath
            fastpath.install(dynamodb)
        self.session = Session(dynamodb, dynamodbstreams)  # puts bloop's checks on both clients
        #: what sends each step's calls (see :mod:`bloop.drivers.transport`); replaceable
        self.transport: Transport = BotocoreTransport(self.session, max_concurrency)
        #: what searches of this engine run through (see :class:`bloop.search.Searcher`)
        self.searcher = SyncSearcher(self)
        self._sleep = sleep

    # ---------------------------------------------------------------------------------------
    def _run(self, op: operations.Op) -> Any:
        """Run an operation generator through this engine's transport (see :mod:`bloop.drivers`)."""
        if self.capacity is None and self.tracer is None:
            return drive(op, self.transport.send, self._sleep)
        name = getattr(op, "__name__", "operation")
        op, usage = self._observe(op)
        if self.tracer is None:
            return drive(op, self.transport.send, self._sleep)
        with self.tracer.span(self, name, usage):  # current while botocore sends (see bloop.telemetry)
            return drive(op, self.transport.send, self._sleep)

    # ---------------------------------------------------------------------------------------
    def bind(self, model: Any = None, *, skip_table_setup: bool = False) -> None:
        """Bind a model and its concrete subclasses (default: ``engine.model``'s).

        Creates missing tables with everything their Meta declares, waits until they
        are ACTIVE, enables TTL and backups, and checks existing tables against the
        models.  Binding a model again is a no-op.

        :raises InvalidModel: ``model`` is not a model class.
        :raises TableMismatch: an existing table is not compatible with its model.
        """
        for cls, name in self._to_bind(model).items():
            if not skip_table_setup:
                self._run(self._bind_op(cls, name))
            self._bound_to(cls, name)

    def plan(self, *models: Any, prune: bool = False) -> lifecycle.Plan:
        """What would bring each model's table in line with it: a :class:`~bloop.lifecycle.Plan`
        (``print(plan)`` shows it as a diff).  Only describes tables; changes nothing.

        :param models: model classes and their concrete subclasses (default: ``engine.model``'s).
        :param prune: also remove what a table has and no model declares (global indexes, a
            stream, TTL, tags).
        :raises InvalidModel: a model or its ``Meta`` is not valid.
        """
        plan: lifecycle.Plan = self._run(lifecycle.plan_op(self.policy, self._to_plan(models), prune))
        return plan

    def apply(self, plan: lifecycle.Plan, *, allow_destructive: bool = False,
              progress: Optional[Callable[[lifecycle.Progress], Any]] = None,
              deadline: Optional[float] = 3600.0) -> List[lifecycle.Change]:
        """Apply a plan from :meth:`plan`, one step at a time, waiting for ``ACTIVE`` after each;
        returns the changes applied.  See :func:`bloop.lifecycle.apply_op`.

        :raises PlanRefused: destructive changes without ``allow_destructive`` (or impossible
            ones): nothing was sent.
        :raises ApplyFailed: a step failed, did not take effect, or ``deadline`` passed; what
            was applied stays applied, and planning and applying again resumes.
        """
        applied: List[lifecycle.Change] = self._run(self._apply_op(plan, allow_destructive, progress, deadline))
        return applied

    def load(self, objs: Any, consistent: bool = False, *, progress: Any = None) -> None:
        """Fill objects in place from DynamoDB, by their keys.

        :param progress: called with a :class:`~bloop.operations.BatchProgress` after each
            request that read some objects (see :doc:`costs`).
        :raises ObjectsNotFound: ``.missing`` lists the objects with no item (the rest are loaded).
        """
        _check_consistent(consistent)
        self._run(operations.load(self.policy, objs, consistent, progress))

    def save(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None,
             check_version: bool = True, add_version_condition: Optional[bool] = None,
             progress: Any = None) -> None:
        """Save one object or an iterable of them.

        One object, a condition, ``sync`` or a version column: diff-based ``UpdateItem``
        per object.  Several objects otherwise: ``BatchWriteItem`` of whole items, except
        for objects that bloop knows only in part (loaded with a projection or from an
        index) or that hold update actions, which are updated.

        :param check_version: False writes an object of a versioned model whatever version
            DynamoDB holds (last writer wins); the version still grows.
            ``add_version_condition`` is PynamoDB's spelling of the same.
        :param progress: called with a :class:`~bloop.operations.BatchProgress` after each
            request that wrote some objects, so a long job can show a bar (see :doc:`costs`).
        """
        _check_positional(condition, "save")
        check_version = _version_option(check_version, add_version_condition)
        self._run(operations.save(self.policy, objs, condition, sync, check_version, progress))

    def delete(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None,
               check_version: bool = True, add_version_condition: Optional[bool] = None,
               progress: Any = None) -> None:
        """Delete one object or an iterable of them (``sync="old"`` reads back the deleted item).

        :param check_version: False deletes an object of a versioned model whatever version
            DynamoDB holds (``add_version_condition`` is PynamoDB's spelling).
        :param progress: as for :meth:`save`.
        """
        _check_positional(condition, "delete")
        check_version = _version_option(check_version, add_version_condition)
        self._run(operations.delete(self.policy, objs, condition, sync, check_version, progress))

    def collection(self, obj: M, *, consistent: bool = False) -> Collection[M]:
        """``obj`` and what shares its partition, read with ONE query (paged as needed)
        through its family's base, so each item is its own model, then grouped:
        ``.owner`` (also under its model's name: ``.customer``), one list per inverse relation
        whose objects live in the partition (``.orders``), and ``.items`` (all, in key order).

        :raises MissingKey: ``obj`` lacks a part of its hash key.
        """
        found: Collection[M] = self._collection(obj, consistent)
        return found

    def transaction(self, mode: str = "w", *, token: Optional[str] = None) -> SyncTransaction:
        """A transaction: ``with engine.transaction() as tx: tx.save(a); tx.delete(b)``.

        Commits when the block exits without an exception (nothing is sent if it
        raises); nested inside another of this engine, it joins that one.  ``mode="r"``
        for ``tx.load(...)``.  See :mod:`bloop.transactions`.
        """
        return SyncTransaction(self, mode, token=token)

    def stream(self, model: Any, position: Any) -> Stream:
        """The model's table stream from ``"trim_horizon"``, ``"latest"``, an aware datetime
        or a token.  See :class:`bloop.stream.Stream`."""
        return Stream(self, model, position)


def _version_option(check_version: bool, add_version_condition: Optional[bool]) -> bool:
    """``check_version``, or PynamoDB's ``add_version_condition`` (the same switch)."""
    if add_version_condition is not None:
        if check_version is not True and bool(check_version) != bool(add_version_condition):
            raise InvalidType("check_version and add_version_condition disagree: pass only check_version")
        return bool(add_version_condition)
    return bool(check_version)


def _check_consistent(consistent: Any) -> None:
    """``engine.load(a, b)`` would take ``b`` for ``consistent`` and never load it."""
    if not isinstance(consistent, (bool, int)):
        raise InvalidType(f"engine.load(objs, consistent): consistent must be True or False, not {consistent!r}. "
                          "To load several objects, pass them in one list: engine.load([a, b])")


def transport_options(connect_timeout: Optional[float], read_timeout: Optional[float],
                      max_attempts: Optional[int], dynamodb: Any, dynamodbstreams: Any) -> Dict[str, Any]:
    """An engine's ``connect_timeout``, ``read_timeout`` and ``max_attempts`` (those given),
    checked, as keywords for the clients it makes; shared by both engines.

    :raises InvalidConfiguration: given with an injected client, which they cannot change.
    """
    client_config(connect_timeout, read_timeout, max_attempts)  # checks the values
    given = {name: value for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout),
                                             ("max_attempts", max_attempts)) if value is not None}
    if given and (dynamodb is not None or dynamodbstreams is not None):
        names = ", ".join(f"{name}={value!r}" for name, value in given.items())
        raise InvalidConfiguration(
            f"{names} configure the clients the engine makes, and this engine was given a client: configure "
            "that client instead, e.g. boto3.client(\"dynamodb\", config=botocore.config.Config("
            "connect_timeout=..., read_timeout=..., retries={\"mode\": \"standard\", \"total_max_attempts\": ...}))")
    return given


def _check_positional(condition: Any, verb: str) -> None:
    if condition is not None and not isinstance(condition, Condition):
        raise InvalidType(
            f"engine.{verb}(obj, condition): {condition!r} is not a condition. To {verb} several "
            f"objects, pass them in one list: engine.{verb}([a, b])")
