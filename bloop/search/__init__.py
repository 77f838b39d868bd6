"""Queries and scans: immutable, chainable descriptions that run when iterated.

``engine.query(Model).key(Model.id == 3).filter(Model.age > 18)`` sends nothing:
every chained call returns a new search, so a base search can be reused.
Iterating validates and renders the request once (:class:`Prepared`), then
follows ``LastEvaluatedKey`` page by page.

Nothing here does I/O.  A package split by job, every name importable from
``bloop.search``:

``describe``
    :class:`Search`, :class:`Query` and :class:`Scan`, the immutable descriptions
    (generic in their model and their engine's kind, :class:`Sync` / :class:`Async`),
    with their chaining, terminal methods, ``start_from`` and ``segments``.
``searcher``
    :class:`Searcher`, the one protocol a search uses to reach its engine
    (``engine.searcher``; the sync and async implementations are in
    :mod:`bloop.drivers.search`).
``validate``
    what DynamoDB would refuse (key condition, a filter on what a global index does
    not project, the projection), refused before any request.
``prepared``
    :class:`Prepared`: a search validated and rendered once, its page and count
    requests, and a page unpacked into objects.
``tokens``
    :class:`Token`, :func:`encode_token`, :func:`decode_token` and the search's
    ``fingerprint`` a token is tied to.
``cursor``
    :class:`Cursor`, the position of one iteration, and :class:`CursorView`.
``terminal``
    what a search sends, as I/O-free generators: ``fetch`` (one page), ``collect``,
    ``first``, ``only``, ``count``, ``exists`` and ``page`` (a :class:`Page` of
    ``search.page()``, with its URL-safe, optionally signed token).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cursor import Cursor, CursorView
from .describe import Async, Query, Scan, Search, Sync
from .prepared import Prepared
from .searcher import Searcher
from .terminal import Page, collect, count, exists, fetch, first, only, page
from .tokens import Token, decode_token, encode_token

# importable from here too, as before the split
from .describe import E, M  # noqa: F401
from .terminal import check_one  # noqa: F401
from .tokens import MAX_TOKEN_LENGTH, TOKEN_VERSION, fingerprint  # noqa: F401

__all__ = ["Search", "Query", "Scan", "Prepared", "Cursor", "CursorView", "Searcher", "Sync", "Async",
           "SearchIterator", "fetch", "count", "collect", "first", "only", "exists", "Token", "encode_token",
           "decode_token", "Page", "page"]


def __getattr__(name: str) -> Any:
    # the iterators are drivers and live in bloop.drivers.search; their names here still work
    if name in ("SearchIterator", "AsyncSearchIterator"):
        from ..drivers import search
        return getattr(search, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from ..drivers.search import SearchIterator
