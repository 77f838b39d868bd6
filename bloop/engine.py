"""The Engine: binds models to tables and runs operations through one session.

The engine is a facade.  It owns the per-engine settings (clients, table
names, retry deadline, clock), hands each request-building operation from
:mod:`bloop.operations`, :mod:`bloop.tables` and :mod:`bloop.search` to
:func:`~bloop.operations.drive`, and lets :class:`~bloop.session.Session`
do the I/O.  An async engine drives the same operations with ``await``.
"""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from . import limits, operations, tables
from .conditions import Condition
from .exceptions import InvalidModel, InvalidType
from .models import BaseModel, walk_subclasses
from .operations import Policy, drive, outcome
from .search import Query, Scan, Search, SyncSearches
from .session import Session, make_client

__all__ = ["Engine"]

_TABLE_NAME_CHARS = set(limits.TABLE_NAME_CHARS)


class Engine(SyncSearches):
    """Binds models to DynamoDB tables and loads, saves, deletes and searches them.

    :param dynamodb: a botocore/boto3 DynamoDB client; made from the default boto3
        session (with ``endpoint_url`` and ``region_name``) when not given.
    :param dynamodbstreams: a DynamoDB Streams client, made on first use when not given.
    :param table_name_template: a format string with ``{table_name}`` (e.g.
        ``"staging-{table_name}"``) or a callable ``model -> name``.
    :param batch_deadline: seconds to keep re-sending items DynamoDB left unprocessed.
    :param clock: monotonic seconds; :param sleep: blocking sleep (both for tests).
    :param max_concurrency: independent batch requests in flight at once (threads).
    """

    def __init__(self, dynamodb: Any = None, dynamodbstreams: Any = None, *,
                 endpoint_url: Optional[str] = None, region_name: Optional[str] = None,
                 table_name_template: Any = "{table_name}", batch_deadline: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: Optional[random.Random] = None, max_concurrency: int = 4) -> None:
        if dynamodb is None:
            dynamodb = make_client("dynamodb", endpoint_url=endpoint_url, region_name=region_name)
        if isinstance(table_name_template, str):
            if "{table_name}" not in table_name_template:
                raise InvalidModel("table_name_template must contain '{table_name}'")
        elif not callable(table_name_template):
            raise InvalidModel("table_name_template must be a format string or a callable")
        self.session = Session(dynamodb, dynamodbstreams)
        self.table_name_template = table_name_template
        self._sleep = sleep
        if not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidType(f"max_concurrency must be a positive int, not {max_concurrency!r}")
        self.max_concurrency = max_concurrency
        self._pool: Optional[ThreadPoolExecutor] = None
        self.policy = Policy(self._table_name, clock, rng or random.Random(), batch_deadline)
        self._bound: Dict[type, str] = {}
        #: an abstract base class for this engine's models: ``engine.bind()`` binds its subclasses
        self.model = type("Model", (BaseModel,), {"Meta": type("Meta", (), {"abstract": True}),
                                                  "__module__": __name__,
                                                  "__doc__": "Base class of this engine's models."})

    # ---------------------------------------------------------------------------------------
    def _table_name(self, model: type) -> str:
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
        return name

    def _send(self, calls: List[operations.Call]) -> List[Any]:
        """Send independent calls, up to ``max_concurrency`` at once; outcomes in call order."""
        call = self.session.call
        if len(calls) == 1 or self.max_concurrency == 1:
            return [outcome(call, one) for one in calls]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="bloop")
        return list(self._pool.map(lambda one: outcome(call, one), calls))

    def _run(self, op: operations.Op) -> Any:
        return drive(op, self._send, self._sleep)

    # ---------------------------------------------------------------------------------------
    def bind(self, model: Any = None, *, skip_table_setup: bool = False) -> None:
        """Bind a model and its concrete subclasses (default: ``engine.model``'s).

        Creates missing tables with everything their Meta declares, waits until they
        are ACTIVE, enables TTL and backups, and checks existing tables against the
        models.  Binding a model again is a no-op.

        :raises InvalidModel: ``model`` is not a model class.
        :raises TableMismatch: an existing table is not compatible with its model.
        """
        base = self.model if model is None else model
        if not (isinstance(base, type) and issubclass(base, BaseModel)):
            raise InvalidModel(f"bind takes a model class, not {base!r}")
        concrete = [cls for cls in walk_subclasses(base) if not cls.Meta.abstract]
        names = {cls: self._table_name(cls) for cls in concrete if cls not in self._bound}
        for cls, name in names.items():
            if not skip_table_setup:
                self._run(tables.bind(self.policy, cls, name))
            self._bound[cls] = name

    def load(self, objs: Any, consistent: bool = False) -> None:
        """Fill objects in place from DynamoDB, by their keys.

        :raises ObjectsNotFound: ``.missing`` lists the objects with no item (the rest are loaded).
        """
        self._run(operations.load(self.policy, objs, consistent))

    def save(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None) -> None:
        """Save one object or an iterable of them.

        One object, a condition, ``sync`` or a version column: diff-based ``UpdateItem``
        per object.  Several objects otherwise: ``BatchWriteItem`` of whole items.
        """
        _check_positional(condition, "save")
        self._run(operations.save(self.policy, objs, condition, sync))

    def delete(self, objs: Any, condition: Optional[Condition] = None, *, sync: Optional[str] = None) -> None:
        """Delete one object or an iterable of them (``sync="old"`` reads back the deleted item)."""
        _check_positional(condition, "delete")
        self._run(operations.delete(self.policy, objs, condition, sync))

    def query(self, model_or_index: Any, *, key: Optional[Condition] = None, filter: Optional[Condition] = None,
              projection: Any = "all", consistent: bool = False, forward: bool = True, index: Any = None,
              limit: Optional[int] = None, page_size: Optional[int] = None) -> Query:
        """A query on a model or one of its indexes; nothing is sent until it is iterated."""
        if isinstance(model_or_index, Search):
            return model_or_index._replace(engine=self)  # type: ignore[return-value]
        return Query(self, model_or_index, key=key, filter=filter, projection=projection,
                     consistent=consistent, forward=forward, index=index, limit=limit, page_size=page_size)

    def scan(self, model_or_index: Any, *, filter: Optional[Condition] = None, projection: Any = "all",
             consistent: bool = False, index: Any = None, limit: Optional[int] = None,
             page_size: Optional[int] = None) -> Scan:
        """A scan of a model or one of its indexes; nothing is sent until it is iterated."""
        if isinstance(model_or_index, Search):
            return model_or_index._replace(engine=self)  # type: ignore[return-value]
        return Scan(self, model_or_index, filter=filter, projection=projection, consistent=consistent,
                    index=index, limit=limit, page_size=page_size)

    # searches: the terminal operations come from SyncSearches -----------------------------
    def _search_call(self, operation: str, request: Dict[str, Any]) -> Dict[str, Any]:
        return self.session.call(operation, request)

    def __repr__(self) -> str:
        return f"<Engine bound={len(self._bound)}>"


def _check_positional(condition: Any, verb: str) -> None:
    if condition is not None and not isinstance(condition, Condition):
        raise InvalidType(
            f"engine.{verb}(obj, condition): {condition!r} is not a condition. To {verb} several "
            f"objects, pass them in one list: engine.{verb}([a, b])")
