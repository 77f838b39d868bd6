"""Queries and scans: immutable, chainable descriptions that run when iterated.

``engine.query(Model).key(Model.id == 3).filter(Model.age > 18)`` sends nothing:
every chained call returns a new search, so a base search can be reused.
Iterating validates and renders the request once (:class:`Prepared`), then
follows ``LastEvaluatedKey`` page by page.

Nothing here does I/O.  What a search sends is decided by the generators at the
end of this module (``fetch`` one page, ``collect``, ``first``, ``only``,
``count``, ``exists``); a search hands them to its engine through the one
:class:`Searcher` protocol (``engine.searcher``), whose sync and async
implementations are in :mod:`bloop.drivers.search`.
"""
from __future__ import annotations

import base64
import binascii
import decimal
import functools
import hashlib
import json
import re
from typing import (
    TYPE_CHECKING, Any, AsyncIterator, Awaitable, Dict, Generic, Iterator, List, NamedTuple, Optional, Protocol,
    Tuple, overload,
)

from . import limits
from .codec import load_all
from .conditions import Comparison, Condition, Operand, iter_conditions
from .exceptions import InvalidSearch
from .expressions import Renderer
from .models import Column, GlobalSecondaryIndex, Index
from .operations import Op, call

if TYPE_CHECKING:  # PEP 696 defaults, for type checkers only (typing has them from Python 3.13)
    from typing_extensions import Self, TypeVar

__all__ = ["Search", "Query", "Scan", "Prepared", "Cursor", "CursorView", "Searcher", "Sync", "Async",
           "SearchIterator", "fetch", "count", "collect", "first", "only", "exists", "Token", "encode_token",
           "decode_token"]

_RANGE_OPERATORS = {"==", "<", "<=", ">", ">=", "between", "begins_with"}


class Sync:
    """Type marker: a search bound to a blocking engine (``for``, results returned)."""


class Async:
    """Type marker: a search bound to an async engine (``async for``, results awaited)."""


if TYPE_CHECKING:
    #: the model a search yields objects of (Any for a search built on an index)
    M = TypeVar("M", default=Any)
    #: whether the search's engine is blocking (:class:`Sync`) or async (:class:`Async`)
    E = TypeVar("E", default=Sync)
else:
    import typing
    M = typing.TypeVar("M")
    E = typing.TypeVar("E")


class Searcher(Protocol):
    """The one boundary between a search and the engine it is bound to (``engine.searcher``).

    Five members and no more: a search renders its request and decides what to send
    with the I/O-free operations of this module (:func:`collect`, :func:`first`, :func:`only`,
    :func:`count`, :func:`exists`); the searcher only runs them and iterates.
    :class:`bloop.drivers.search.SyncSearcher` and
    :class:`~bloop.drivers.search.AsyncSearcher` are bloop's.
    """

    #: whether results are awaited and iterated with ``async for``
    is_async: bool

    def table_name(self, model: Any) -> str:
        """The name of ``model``'s table for this engine."""
        ...

    def prepare(self, search: "Search[Any, Any]") -> "Prepared":
        """The search validated and rendered for this engine's table, to be run here
        (the objects it makes are announced with ``object_loaded``)."""
        ...

    def iterate(self, prepared: "Prepared") -> Any:
        """An iterator (an async iterator when ``is_async``) of the prepared search's objects,
        with ``pages()``, ``token``, ``scanned`` and ``count``."""
        ...

    def run(self, op: Op) -> Any:
        """Run an I/O-free operation: its result (an awaitable of it when ``is_async``)."""
        ...


class Search(Generic[M, E]):
    """What a query or scan asks for.  Use ``engine.query(...)`` / ``engine.scan(...)``.

    To a type checker a search is generic in its model ``M`` and its engine's kind
    ``E`` (:class:`Sync` or :class:`Async`): ``engine.query(User)`` is a
    ``Query[User, Sync]`` whose ``first()`` is ``User | None``; on an
    :class:`~bloop.aio.AsyncEngine` it is a ``Query[User, Async]`` whose ``first()``
    is awaited.
    """

    mode = ""

    def __init__(self, engine: Any, model_or_index: Any, *, key: Optional[Condition] = None,
                 filter: Optional[Condition] = None, projection: Any = "all",
                 consistent: bool = False, forward: bool = True, index: Any = None,
                 limit: Optional[int] = None, page_size: Optional[int] = None) -> None:
        if isinstance(model_or_index, Index):
            if index is not None and index is not model_or_index:
                raise InvalidSearch("give the index once: as the first argument or as index=")
            index = model_or_index
            model = model_or_index.model
        else:
            model = model_or_index
        meta = getattr(model, "Meta", None)
        if meta is None or not hasattr(meta, "columns") or meta.abstract:
            raise InvalidSearch(f"{self.mode} needs a concrete model or one of its indexes, not {model_or_index!r}")
        if index is not None and (not isinstance(index, Index) or index.model is not model):
            raise InvalidSearch(f"{index!r} is not an index of {model.__name__}")
        self.engine = engine
        self.model = model
        self.index = index
        self._key = _condition(key, "key")
        self._filter = _condition(filter, "filter")
        self._projection = projection
        self._consistent = bool(consistent)
        self._forward = bool(forward)
        self._limit = _positive(limit, "limit")
        self._page_size = _positive(page_size, "page_size")
        #: where to begin and what is left of a limit, from start_from()
        self._token: Optional[Token] = None
        #: (segment, total segments) of a parallel scan
        self._segment: Optional[Tuple[int, int]] = None

    def _replace(self, **changes: Any) -> "Self":
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for name, value in changes.items():
            setattr(new, name, value)
        return new

    # chainable ---------------------------------------------------------------------------
    def key(self, condition: Condition) -> "Self":
        """AND ``condition`` into the key condition."""
        return self._replace(_key=_and(self._key, condition, "key"))

    def filter(self, condition: Condition) -> "Self":
        """AND ``condition`` into the filter (applied by DynamoDB after reading)."""
        return self._replace(_filter=_and(self._filter, condition, "filter"))

    def project(self, *columns: Any) -> "Self":
        """``"all"``, ``"keys"``, or the columns to return (keys are always included)."""
        if len(columns) == 1 and isinstance(columns[0], str) and columns[0] in ("all", "keys"):
            return self._replace(_projection=columns[0])
        if len(columns) == 1 and isinstance(columns[0], (list, tuple)):
            columns = tuple(columns[0])
        return self._replace(_projection=list(columns))

    @property
    def consistent(self) -> "Self":
        """A strongly consistent copy of this search (not on a GSI)."""
        return self._replace(_consistent=True)

    def forward(self, forward: bool = True) -> "Self":
        """Range key order: ascending (True) or descending (False)."""
        return self._replace(_forward=bool(forward))

    def limit(self, n: Optional[int]) -> "Self":
        """Return at most ``n`` objects in all."""
        return self._replace(_limit=_positive(n, "limit"))

    def page_size(self, n: Optional[int]) -> "Self":
        """DynamoDB's ``Limit``: items read per request (before the filter)."""
        return self._replace(_page_size=_positive(n, "page_size"))

    # terminal ----------------------------------------------------------------------------
    def prepare(self) -> "Prepared":
        """Validate and render once; raises :class:`InvalidSearch` before any request."""
        return Prepared(self, self._searcher().table_name(self.model))

    def _bound_engine(self) -> Any:
        if self.engine is None:
            raise InvalidSearch("this search has no engine: bind it with engine.query(search) or engine.scan(search)")
        return self.engine

    def _searcher(self) -> Searcher:
        searcher: Searcher = self._bound_engine().searcher
        return searcher

    def __iter__(self: "Search[M, Sync]") -> "SearchIterator[M]":
        searcher = self._searcher()
        if searcher.is_async:
            raise TypeError("a search of an AsyncEngine is iterated with async for (or await search.all())")
        iterator: SearchIterator[M] = searcher.iterate(searcher.prepare(self))
        return iterator

    def __aiter__(self: "Search[M, Async]") -> "AsyncIterator[M]":
        """``async for obj in search`` on a search of an async engine."""
        searcher = self._searcher()
        if not searcher.is_async:
            raise TypeError("async for needs a search of bloop.aio.AsyncEngine; iterate this one with for")
        iterator: AsyncIterator[M] = searcher.iterate(searcher.prepare(self))
        return iterator

    @overload
    def pages(self: "Search[M, Sync]") -> Iterator[List[M]]: ...
    @overload
    def pages(self: "Search[M, Async]") -> AsyncIterator[List[M]]: ...

    def pages(self) -> Any:
        """One list of objects per DynamoDB page."""
        searcher = self._searcher()
        return searcher.iterate(searcher.prepare(self)).pages()

    @overload
    def all(self: "Search[M, Sync]") -> List[M]: ...
    @overload
    def all(self: "Search[M, Async]") -> Awaitable[List[M]]: ...

    def all(self) -> Any:
        """Every object, as a list."""
        searcher = self._searcher()
        return searcher.run(collect(searcher.prepare(self)))

    @overload
    def first(self: "Search[M, Sync]") -> Optional[M]: ...
    @overload
    def first(self: "Search[M, Async]") -> Awaitable[Optional[M]]: ...

    def first(self) -> Any:
        """The first object, or None when nothing matches."""
        searcher = self._searcher()
        return searcher.run(first(searcher.prepare(self.limit(1))))

    @overload
    def one(self: "Search[M, Sync]") -> M: ...
    @overload
    def one(self: "Search[M, Async]") -> Awaitable[M]: ...

    def one(self) -> Any:
        """The only object; :class:`InvalidSearch` if there are none or several."""
        searcher = self._searcher()
        return searcher.run(only(searcher.prepare(self.limit(2))))

    @overload
    def count(self: "Search[M, Sync]") -> int: ...
    @overload
    def count(self: "Search[M, Async]") -> Awaitable[int]: ...

    def count(self) -> Any:
        """How many objects match (DynamoDB's ``Select=COUNT``), capped by ``limit``."""
        searcher = self._searcher()
        return searcher.run(count(searcher.prepare(self)))

    @overload
    def exists(self: "Search[M, Sync]") -> bool: ...
    @overload
    def exists(self: "Search[M, Async]") -> Awaitable[bool]: ...

    def exists(self) -> Any:
        """Whether anything matches: True at the first match, without reading any item.

        It counts (``Select=COUNT``) page by page and stops at the first page that
        holds a match.  Without a filter the first page is of one item (``Limit=1``),
        so one request answers; with a filter DynamoDB may read pages that hold no
        match before one that does (or the end), as many as a count would.
        """
        searcher = self._searcher()
        return searcher.run(exists(searcher.prepare(self)))

    # resuming and splitting -----------------------------------------------------------------
    def start_from(self, token: str) -> "Self":
        """This search, continued after the position ``token`` names.

        The token is the ``token`` of an iterator of the same search (same model, index,
        key condition, filter, projection, order and segment; limit, page size and
        consistency may differ).  The new search yields the objects after that position,
        at most its own limit (counted from the position) and, when the token's iterator
        stopped before its limit, at most what was left of that limit.  A token taken
        after its limit was reached therefore starts the next page::

            page = iter(base.limit(25))
            ...                                           # 25 objects
            next_page = base.start_from(page.token).limit(25)

        :raises InvalidSearch: the token is malformed (here), or belongs to another
            search (when the search is prepared, before anything is sent).
        """
        return self._replace(_token=decode_token(token))

    def segments(self, n: int) -> List["Self"]:
        """Split a scan into ``n`` independent, picklable parallel-scan segments.

        Together they read the table (or index) exactly once; each can run in another
        thread, process or machine (bind an unpickled one with ``engine.scan(segment)``).
        """
        if self.mode != "scan":
            raise InvalidSearch("only a scan can be split into segments")
        if self._segment is not None:
            raise InvalidSearch("this scan is already one segment of a parallel scan")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 1_000_000:
            raise InvalidSearch(f"segments(n) takes an int from 1 to 1,000,000, not {n!r}")
        return [self._replace(_segment=(i, n)) for i in range(n)]

    # pickling: a botocore client cannot cross processes --------------------------------------
    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["engine"] = None
        return state

    def __repr__(self) -> str:
        target = f"{self.model.__name__}" + (f".{self.index.name}" if self.index is not None else "")
        return f"<{type(self).__name__}[{target}]>"


class Query(Search[M, E]):
    mode = "query"


class Scan(Search[M, E]):
    mode = "scan"


def _condition(value: Any, what: str) -> Optional[Condition]:
    if value is None:
        return None
    if not isinstance(value, Condition):
        raise InvalidSearch(f"the {what} must be a condition, got {value!r}")
    return None if value.kind == "empty" else value


def _and(current: Optional[Condition], condition: Any, what: str) -> Optional[Condition]:
    new = _condition(condition, what)
    if current is None or new is None:
        return new if current is None else current
    return _condition(current & new, what)


def _positive(value: Any, what: str) -> Optional[int]:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidSearch(f"{what} must be a positive int or None, got {value!r}")
    return value


class Prepared:
    """A search validated and rendered for one table: request, projection, and unpacking."""

    def __init__(self, search: "Search[Any, Any]", table_name: str) -> None:
        model, index = search.model, search.index
        meta = model.Meta
        self.model = model
        self.mode = search.mode
        self.operation = search.mode
        token = search._token
        limit = search._limit
        if token is not None and token.left is not None:  # a token cannot lift a limit, nor its own
            limit = token.left if limit is None else min(limit, token.left)
        self.limit = limit
        self.filtered = search._filter is not None
        hash_key = index.hash_key if index is not None else meta.hash_key
        range_key = index.range_key if index is not None else meta.range_key
        where = f"{search.mode} on {model.__name__}" + (f".{index.name}" if index is not None else "")

        hash_condition = None
        if search.mode == "query":
            hash_condition = _check_key(search._key, hash_key, range_key, where)
            if search._filter is not None:
                for leaf in iter_conditions(search._filter):
                    column = leaf.operand.column
                    if any(column is key for key in (hash_key, range_key)):
                        raise InvalidSearch(
                            f"{where}: the filter cannot use key column {column.name}; "
                            "put it in the key condition")
        elif search._key is not None:
            raise InvalidSearch(f"{where}: a scan has no key condition; use filter()")
        elif not search._forward:
            raise InvalidSearch(f"{where}: a scan has no order; forward(False) is for queries")
        if search._consistent and isinstance(index, GlobalSecondaryIndex):
            raise InvalidSearch(f"{where}: DynamoDB has no consistent reads on a global secondary index")
        if search._filter is not None and isinstance(index, GlobalSecondaryIndex):
            _check_filter_projected(search._filter, index, where)

        self.projected, select, expression = _projection(search._projection, model, index, where)
        base: Dict[str, Any] = {"TableName": table_name}
        if index is not None:
            base["IndexName"] = index.dynamo_name
        if search._consistent:
            base["ConsistentRead"] = True
        if search._segment is not None:
            base["Segment"], base["TotalSegments"] = search._segment
        #: the ExclusiveStartKey of the first page, and whether a token said nothing is left
        self.start = token.start if token is not None else None
        self.exhausted = token.end if token is not None else False
        if self.start is not None:
            base["ExclusiveStartKey"] = self.start
        key_columns = list(meta.keys) + ([k for k in index.keys if not any(k is m for m in meta.keys)]
                                         if index is not None else [])
        #: the attributes that make an ExclusiveStartKey for this table or index
        self.key_names = [c.dynamo_name for c in key_columns]
        if search.mode == "query" and not search._forward:
            base["ScanIndexForward"] = False
        self._base = base
        self._search = search
        request = dict(base)
        request.update(Renderer().render(key=search._key, filter=search._filter, projection=expression))
        if select:
            request["Select"] = select
        page_size = search._page_size
        if page_size is None and self.limit is not None and not self.filtered:
            page_size = self.limit  # no filter: the first `limit` items read are the answer
        if page_size is not None:
            request["Limit"] = page_size
        self.request = request
        if token is not None:
            self._check_token(token, key_columns, hash_condition, where)

    @functools.cached_property
    def fingerprint(self) -> str:
        """What a token checks that it continues: the model, the index and the rendered key
        condition, filter, projection, order and segment (not the table name, limit, page
        size or consistency, which a continued search may change)."""
        what = {name: self.request[name] for name in _FINGERPRINTED if name in self.request}
        what["bloop"] = [self.mode, self.model.__name__, self.model.Meta.table_name]
        text = json.dumps(_canonical(what), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _check_token(self, token: "Token", key_columns: List[Any], hash_condition: Any, where: str) -> None:
        if token.search != self.fingerprint:
            raise InvalidSearch(
                f"{where}: the token is from another search (another model, index, key condition, filter, "
                "projection, order or segment): a token continues only the search it was taken from")
        if token.start is None:
            return
        expected = {c.dynamo_name: c for c in key_columns}
        if set(token.start) != set(expected):
            raise InvalidSearch(f"{where}: the token's position names {sorted(token.start)}, "
                                f"not this search's keys {sorted(expected)}")
        for name, wire in token.start.items():
            (kind, _), = wire.items()
            backing = expected[name].typedef.backing_type
            if kind != backing:
                raise InvalidSearch(f"{where}: the token's position holds a {kind} for {expected[name].name}, "
                                    f"which is a {backing} key")
        if hash_condition is not None and not isinstance(hash_condition.value, Operand):
            column = hash_condition.operand
            if not _same_value(token.start[column.dynamo_name], column.typedef._dump(hash_condition.value)):
                raise InvalidSearch(f"{where}: the token's position is outside this query's key condition "
                                    f"({column.name} differs)")

    def page_request(self, start: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        request = dict(self.request)
        if start is None:
            request.pop("ExclusiveStartKey", None)
        else:
            request["ExclusiveStartKey"] = start
        return request

    def count_request(self) -> Dict[str, Any]:
        """The same search with ``Select=COUNT`` and no projection."""
        request = dict(self._base)
        request.update(Renderer().render(key=self._search._key, filter=self._search._filter))
        request["Select"] = "COUNT"
        if self._search._page_size is not None:
            request["Limit"] = self._search._page_size
        return request

    def unpack(self, response: Dict[str, Any]) -> List[Any]:
        return load_all(self.model, response.get("Items", ()), self.projected)


def _check_key(key: Optional[Condition], hash_key: Any, range_key: Any, where: str) -> Any:
    """Refuse a key condition DynamoDB would refuse; returns its hash key comparison."""
    hint = (f"a query needs a key condition: {hash_key.model.__name__}.{hash_key.name} == value"
            + (f", optionally & a condition on {range_key.name}" if range_key is not None else ""))
    if key is None:
        raise InvalidSearch(f"{where}: {hint}")
    if key.kind == "and":
        leaves = list(key.conditions)  # type: ignore[attr-defined]
    else:
        leaves = [key]
    if not all(isinstance(leaf, Comparison) and isinstance(leaf.operand, Column)
               for leaf in leaves) or len(leaves) > 2:
        raise InvalidSearch(f"{where}: the key condition must be simple comparisons on the keys; {hint}")
    hashes = [leaf for leaf in leaves if leaf.operand is hash_key]
    ranges = [leaf for leaf in leaves if range_key is not None and leaf.operand is range_key]
    if len(hashes) != 1 or hashes[0].operator != "==":
        raise InvalidSearch(f"{where}: {hint}")
    if len(hashes) + len(ranges) != len(leaves):
        raise InvalidSearch(f"{where}: the key condition may only use the hash and range key; {hint}")
    if ranges and ranges[0].operator not in _RANGE_OPERATORS:
        raise InvalidSearch(
            f"{where}: the range key condition must be ==, <, <=, >, >=, between or begins_with")
    return hashes[0]


def _filter_columns(condition: Condition) -> Iterator[Any]:
    """Every column a condition reads: on the left of each comparison, and on the right."""
    for leaf in iter_conditions(condition):
        yield leaf.operand.column
        values = leaf.value if isinstance(leaf.value, (tuple, list)) else (leaf.value,)
        for value in values:
            if isinstance(value, Operand):
                yield value.column


def _check_filter_projected(condition: Condition, index: Any, where: str) -> None:
    """A global index holds only what it projects, and DynamoDB filters the index's items:
    a filter on any other column would see it missing and silently match nothing (or,
    negated, everything).  A local index reads such columns from the table."""
    if index.projection_mode == "all":
        return
    for column in _filter_columns(condition):
        if not any(column is c for c in index.projected):
            raise InvalidSearch(
                f"{where}: the filter uses {column.name}, which is not projected into the index {index.name} "
                f"(it has {', '.join(c.name for c in index.projected)}); DynamoDB would filter items that "
                "lack it and match nothing. Project it into the index, or search the table")


def _projection(projection: Any, model: Any, index: Any, where: str) -> Tuple[List[Any], Optional[str], Any]:
    """The columns returned, the Select value, and the columns for a ProjectionExpression."""
    meta = model.Meta
    keys = list(meta.keys) + ([k for k in index.keys if not any(k is m for m in meta.keys)]
                              if index is not None else [])
    if projection == "all":
        if index is None:
            return list(meta.columns), "ALL_ATTRIBUTES", None
        if index.projection_mode == "all":
            return list(meta.columns), "ALL_ATTRIBUTES", None
        return list(index.projected), None, list(index.projected)
    if projection == "keys":
        return keys, None, keys
    if isinstance(projection, str) or not hasattr(projection, "__iter__"):
        raise InvalidSearch(f"{where}: projection must be 'all', 'keys' or a list of columns, not {projection!r}")
    wanted = list(keys)
    for item in projection:
        column = meta.columns_by_name.get(item) if isinstance(item, str) else item
        if not isinstance(column, Column) or meta.columns_by_name.get(column.name) is not column:
            raise InvalidSearch(f"{where}: {item!r} is not a column of {model.__name__}")
        if isinstance(index, GlobalSecondaryIndex) and not any(column is c for c in index.projected):
            raise InvalidSearch(
                f"{where}: {column.name} is not projected into the index {index.name} "
                f"(it has {', '.join(c.name for c in index.projected)})")
        if not any(column is c for c in wanted):
            wanted.append(column)
    return wanted, None, wanted


class Cursor:
    """The I/O-free state of one iteration: which page to ask for, what to yield next,
    how many may still be yielded, and the resume token.  Sync and async iterators
    differ only in how they send :meth:`request`."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.operation = prepared.operation
        self.remaining = prepared.limit
        self.exhausted = prepared.exhausted
        self._start = prepared.start  # the ExclusiveStartKey of the next page
        self._resume = prepared.start  # the position after the last yielded item ...
        self._taken: Optional[Dict[str, Any]] = None  # ... or after this item, when set
        self._objects: List[Any] = []
        self._items: List[Dict[str, Any]] = []
        self._position = 0
        #: items DynamoDB read and items it returned, over all pages so far
        self.scanned = 0
        self.count = 0

    @property
    def finished(self) -> bool:
        return self.remaining == 0 or (self.exhausted and self._position >= len(self._objects))

    @property
    def needs_page(self) -> bool:
        return self._position >= len(self._objects) and not self.finished

    def request(self) -> Dict[str, Any]:
        return self.prepared.page_request(self._start)

    def feed(self, response: Dict[str, Any]) -> List[Any]:
        """Take one page; returns its objects (the limit is applied when they are taken)."""
        self._resume = self._start
        self._taken = None
        self._start = response.get("LastEvaluatedKey") or None
        self.exhausted = self._start is None
        self.scanned += response.get("ScannedCount", 0)
        self.count += response.get("Count", 0)
        self._items = response.get("Items") or []
        self._objects = self.prepared.unpack(response)
        self._position = 0
        return self._objects

    def take(self) -> Any:
        """The next object of the current page (call only when ``needs_page`` is false)."""
        obj = self._objects[self._position]
        # the resume key is made from the last item taken only when a token is asked for
        self._taken = self._items[self._position]
        self._position += 1
        if self.remaining is not None:
            self.remaining -= 1
        return obj

    def page(self) -> List[Any]:
        """Take the rest of the current page at once (for ``pages()``)."""
        out = []
        while self._position < len(self._objects) and self.remaining != 0:
            out.append(self.take())
        return out

    @property
    def token(self) -> str:
        """Where the rest begins: a JSON string for :meth:`Search.start_from`."""
        resume, item = self._resume, self._taken
        if item is not None:
            resume = {name: item[name] for name in self.prepared.key_names if name in item}
        end = self.exhausted and self._position >= len(self._objects)
        # a used-up limit is not kept: the token then starts the next page
        return encode_token(self.prepared.fingerprint, resume, self.remaining or None, end)


#: the request parameters a token is tied to (see :attr:`Prepared.fingerprint`)
_FINGERPRINTED = ("IndexName", "KeyConditionExpression", "FilterExpression", "ProjectionExpression", "Select",
                  "ScanIndexForward", "ExpressionAttributeNames", "ExpressionAttributeValues", "Segment",
                  "TotalSegments")
_SETS = ("SS", "NS", "BS")


def _canonical(value: Any) -> Any:
    """JSON-ready, and the same in every process: bytes as base64, set elements sorted
    (a Python set's order changes with ``PYTHONHASHSEED``)."""
    if isinstance(value, dict):
        return {k: sorted(_canonical(v)) if k in _SETS and isinstance(v, list) else _canonical(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "b64:" + base64.b64encode(value).decode()
    return value


class Token(NamedTuple):
    """A decoded token: which search it continues, and where."""

    #: the :attr:`Prepared.fingerprint` of the search it was taken from
    search: str
    #: the ExclusiveStartKey to continue after, or None for the beginning
    start: Optional[Dict[str, Any]]
    #: what was left of the iterator's limit when it stopped before reaching it
    left: Optional[int]
    #: nothing follows the position
    end: bool


TOKEN_VERSION = 2
#: no token bloop makes is longer: a position holds at most four key attributes (a table's
#: and an index's hash and range keys, at most 2,048 + 1,024 bytes each, with names of at
#: most 255 bytes), written as JSON with \u escapes (six characters a byte at worst)
MAX_TOKEN_LENGTH = 64 * 1024
_TOKEN_FIELDS = {"v", "search", "key", "left", "end"}
_KEY_KINDS = {"S", "N", "B64"}
#: a number as DynamoDB writes one (Decimal() would also take "1_0", " 1" and "NaN")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def encode_token(search: str, start: Optional[Dict[str, Any]], left: Optional[int], end: bool) -> str:
    """The JSON text of a token; binary key values are written in base64."""
    key = None
    if start is not None:
        key = {}
        for name, wire in start.items():
            (kind, inner), = wire.items()
            key[name] = {"B64": base64.b64encode(inner).decode()} if kind == "B" else {kind: inner}
    return json.dumps({"v": TOKEN_VERSION, "search": search, "key": key, "left": left, "end": end},
                      separators=(",", ":"), sort_keys=True)


def decode_token(token: Any) -> Token:
    """Read a token strictly: anything but what :func:`encode_token` makes is refused.

    :raises InvalidSearch: with what is wrong; the search is not changed.
    """
    if not isinstance(token, str):
        raise InvalidSearch(f"a search token is the str of an iterator's token, not {type(token).__name__}")
    if len(token) > MAX_TOKEN_LENGTH:
        raise _bad(token, f"{len(token):,} characters, longer than any token bloop makes ({MAX_TOKEN_LENGTH:,})")
    try:
        data = json.loads(token, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, a 4,300-digit int, deep nesting
        raise _bad(token, f"not JSON: {type(error).__name__}: {error}") from None
    if not isinstance(data, dict):
        raise _bad(token, "not a JSON object")
    version = data.get("v")
    if type(version) is not int or version != TOKEN_VERSION:
        if type(version) is int and version == 1:
            raise _bad(token, "made by an earlier bloop (format 1), which could not tell a used-up limit "
                              "from the end of the search; start the search again")
        raise _bad(token, f"unknown format {version!r}")
    if set(data) != _TOKEN_FIELDS:
        raise _bad(token, f"its fields are {sorted(data)}, not {sorted(_TOKEN_FIELDS)}")
    search, left, end = data["search"], data["left"], data["end"]
    if not isinstance(search, str) or len(search) != 32 or search.strip("0123456789abcdef"):
        raise _bad(token, "its search is not a fingerprint")
    if left is not None and (type(left) is not int or left < 1):
        raise _bad(token, f"what is left of its limit is {left!r}, not a positive int or null")
    if type(end) is not bool:
        raise _bad(token, f"its end is {end!r}, not true or false")
    return Token(search, _decode_key(token, data["key"]), left, end)


def _decode_key(token: str, key: Any) -> Optional[Dict[str, Any]]:
    if key is None:
        return None
    if not isinstance(key, dict) or not 1 <= len(key) <= 4:
        raise _bad(token, "its position is not an object of one to four key attributes")
    start: Dict[str, Dict[str, Any]] = {}
    for name, wire in key.items():
        if not name or not _utf8(name) or len(name.encode()) > limits.MAX_KEY_ATTRIBUTE_NAME:
            raise _bad(token, f"its position has a key name DynamoDB cannot have: {name!r:.40}")
        if not isinstance(wire, dict) or len(wire) != 1:
            raise _bad(token, f"its position's {name!r:.40} is not one typed value")
        (kind, inner), = wire.items()
        if kind not in _KEY_KINDS or not isinstance(inner, str) or not inner or not _utf8(inner):
            raise _bad(token, f"its position's {name!r:.40} is not a non-empty S, N or B64 string")
        if kind == "N":
            if len(inner) > 100 or not _NUMBER.fullmatch(inner):
                raise _bad(token, f"its position's {name!r:.40} is not a number")
            start[name] = {"N": inner}
        elif kind == "B64":
            try:
                value = base64.b64decode(inner, validate=True)
            except (binascii.Error, ValueError):
                value = b""
            if not value:
                raise _bad(token, f"its position's {name!r:.40} is not base64 of a non-empty binary")
            start[name] = {"B": value}
        else:
            start[name] = {"S": inner}
    return start


def _same_value(one: Dict[str, Any], other: Optional[Dict[str, Any]]) -> bool:
    """Two key values are the same (numbers by value: DynamoDB returns "1.5" for a "1.50")."""
    if other is None or one.keys() != other.keys():
        return False
    (kind, a), = one.items()
    b = other[kind]
    return decimal.Decimal(a) == decimal.Decimal(b) if kind == "N" else a == b


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a \ud800 escape
        return False
    return True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _bad(token: str, why: str) -> InvalidSearch:
    return InvalidSearch(f"not a search token ({why}): {token!r:.80}")


class CursorView:
    """What sync and async iterators show of their cursor."""

    cursor: Cursor

    @property
    def token(self) -> str:
        """The position after the last object yielded (see :meth:`Search.start_from`)."""
        return self.cursor.token

    @property
    def scanned(self) -> int:
        """Items DynamoDB read so far (before the filter)."""
        return self.cursor.scanned

    @property
    def count(self) -> int:
        """Items DynamoDB returned so far (after the filter)."""
        return self.cursor.count


def fetch(cursor: Cursor) -> Op:
    """One page of an iteration as an I/O-free operation: the cursor's next page
    request, its response fed to the cursor (which makes its objects)."""
    cursor.feed((yield from call(cursor.operation, cursor.request())))


def collect(prepared: Prepared) -> Op:
    """``search.all()`` as an I/O-free operation: every object, page by page, up to the limit."""
    cursor = Cursor(prepared)
    found: List[Any] = []
    while True:
        while cursor.needs_page:
            if cursor.exhausted:
                return found
            yield from fetch(cursor)
        if cursor.finished:
            return found
        found.extend(cursor.page())


def first(prepared: Prepared) -> Op:
    """``search.first()`` (of the search limited to 1): the first object, or None."""
    found = yield from collect(prepared)
    return found[0] if found else None


def only(prepared: Prepared) -> Op:
    """``search.one()`` (of the search limited to 2): the only object, or InvalidSearch."""
    found = yield from collect(prepared)
    return check_one(found)


def exists(prepared: Prepared) -> Op:
    """``search.exists()``: ``Select=COUNT`` page by page until a page counts a match."""
    if prepared.exhausted:
        return False
    request = prepared.count_request()
    if "Limit" not in request and not prepared.filtered:
        request["Limit"] = 1  # no filter: the first item read is a match
    while True:
        response = yield from call(prepared.operation, request)
        if response.get("Count", 0) > 0:
            return True
        start = response.get("LastEvaluatedKey")
        if not start:
            return False
        request = dict(request, ExclusiveStartKey=start)


def count(prepared: Prepared) -> Op:
    """``search.count()`` as an I/O-free operation (see :mod:`bloop.operations`):
    ``Select=COUNT`` page by page, capped by the search's limit."""
    if prepared.exhausted:
        return 0
    request = prepared.count_request()
    total = 0
    while True:
        response = yield from call(prepared.operation, request)
        total += response.get("Count", 0)
        if prepared.limit is not None and total >= prepared.limit:
            return prepared.limit
        start = response.get("LastEvaluatedKey")
        if not start:
            return total
        request = dict(request, ExclusiveStartKey=start)


def check_one(found: List[Any]) -> Any:
    if len(found) != 1:
        raise InvalidSearch(f"expected exactly one result, found {'none' if not found else 'more than one'}")
    return found[0]


def __getattr__(name: str) -> Any:
    # the iterators are drivers and live in bloop.drivers.search; their names here still work
    if name in ("SearchIterator", "AsyncSearchIterator"):
        from .drivers import search
        return getattr(search, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .drivers.search import SearchIterator
