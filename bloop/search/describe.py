"""Search, Query and Scan: the immutable, chainable descriptions of a search.

``engine.query(Model).key(Model.id == 3).filter(Model.age > 18)`` sends nothing: every
chained call returns a new search, so a base search can be reused.  The terminal
methods (``all``, ``first``, ``one``, ``count``, ``exists``, iterating) prepare the
search (:mod:`bloop.search.prepared`) and hand an I/O-free operation
(:mod:`bloop.search.terminal`) to the engine's :class:`~bloop.search.Searcher`;
``start_from`` reads a token (:mod:`bloop.search.tokens`) and ``segments`` splits a scan.
"""
from __future__ import annotations

from typing import (
    TYPE_CHECKING, Any, AsyncIterator, Awaitable, Dict, Generic, Iterator, List, Optional, Tuple, overload,
)

from ..conditions import Condition
from ..exceptions import InvalidSearch
from ..models import Index, model_meta
from .prepared import Prepared
from .searcher import Searcher
from .terminal import Page, collect, count, exists, first, only, page as page_op
from .tokens import Token, decode_token, open_page_token

if TYPE_CHECKING:  # PEP 696 defaults, for type checkers only (typing has them from Python 3.13)
    from typing_extensions import Self, TypeVar

    from ..drivers.search import SearchIterator

__all__ = ["Search", "Query", "Scan", "Sync", "Async", "M", "E"]


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
        if model_meta(model, concrete=True) is None:
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

    @overload
    def page(self: "Search[M, Sync]", size: int, token: Optional[str] = None) -> Page[M]: ...
    @overload
    def page(self: "Search[M, Async]", size: int, token: Optional[str] = None) -> Awaitable[Page[M]]: ...

    def page(self, size: int, token: Optional[str] = None) -> Any:
        """One page of at most ``size`` objects: a :class:`~bloop.search.Page` with its
        ``items`` and the ``token`` of the next page, None when nothing follows.

        The token is opaque and URL-safe, for a web API's clients to send back: pass it to
        the same search's ``page()`` for the next page.  It is refused for another search
        (model, index, key condition, filter, projection, order or segment; the size may
        change), and when the engine has a ``token_secret`` it is signed (HMAC-SHA256), so a
        client cannot forge or alter a position.  A search's limit caps all its pages together.

        :raises InvalidSearch: ``size`` is not a positive int, or the token is malformed,
            altered, unsigned (or signed) where the engine expects otherwise, or of another
            search; before any request.
        """
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidSearch(f"page(size) takes a positive int, not {size!r}")
        searcher = self._searcher()
        secrets = getattr(searcher, "token_secret", None)
        search = self
        if token is not None:
            search = self._replace(_token=open_page_token(token, secrets))
        return searcher.run(page_op(searcher.prepare(search), size, secrets))

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
