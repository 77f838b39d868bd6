"""The terminal operations of a search as I/O-free generators (see :mod:`bloop.operations`):
``fetch`` one page into a cursor, ``collect`` (``all()``), ``first``, ``only`` (``one()``),
``exists`` and ``count``.  A :class:`~bloop.search.Searcher` runs them."""
from __future__ import annotations

from typing import Any, List

from ..exceptions import InvalidSearch
from ..operations import Op, call
from .cursor import Cursor
from .prepared import Prepared

__all__ = ["fetch", "collect", "first", "only", "exists", "count", "check_one"]


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
