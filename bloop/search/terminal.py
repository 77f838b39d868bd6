"""The terminal operations of a search as I/O-free generators (see :mod:`bloop.operations`):
``fetch`` one page into a cursor, ``collect`` (``all()``), ``first``, ``only`` (``one()``),
``exists``, ``count`` and ``page`` (one :class:`Page` of ``search.page()``).  A
:class:`~bloop.search.Searcher` runs them."""
from __future__ import annotations

from typing import Any, Dict, Generic, Iterator, List, Optional, TypeVar

from ..exceptions import InvalidSearch
from ..operations import Op, call
from .cursor import Cursor
from .prepared import Prepared
from .tokens import Secrets, seal_page_token

__all__ = ["fetch", "collect", "first", "only", "exists", "count", "check_one", "page", "Page"]

M = TypeVar("M")


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


class Page(Generic[M]):
    """One page of a search (``search.page(size, token)``): its objects, and the token of
    the next page, or None when nothing follows."""

    __slots__ = ("items", "token")

    def __init__(self, items: List[M], token: Optional[str]) -> None:
        #: the page's objects, at most the size asked for
        self.items = items
        #: the opaque, URL-safe token of the next page (``search.page(size, token)``), or None at the end
        self.token = token

    def __iter__(self) -> Iterator[M]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Page) and (self.items, self.token) == (other.items, other.token)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Page of {len(self.items)}{', the last' if self.token is None else ''}>"


def page(prepared: Prepared, size: int, secrets: Optional[Secrets]) -> Op:
    """``search.page(size, token)`` as an I/O-free operation: requests until ``size`` objects
    (or the search's limit, or the end), and the :class:`Page` with the next page's token.

    Without a filter each request asks for one item more than the page still needs, so a
    page that ends the search says so (token None) without an empty page after it; with a
    filter DynamoDB reads up to its 1 MB a request (or ``page_size`` items) and may need
    several requests to fill a page.  Objects of a response beyond the page are cut; the
    next page starts after the last one taken.
    """
    found: List[Any] = []
    want = size if prepared.limit is None else min(size, prepared.limit)
    start = prepared.start
    resume: Optional[Dict[str, Any]] = None
    while not prepared.exhausted:
        request = prepared.page_request(start)
        room = want - len(found)
        if prepared.page_size is not None:
            request["Limit"] = prepared.page_size
        elif prepared.filtered:
            request.pop("Limit", None)
        else:  # one more than the page takes: whether anything follows, without another request
            request["Limit"] = room + (1 if prepared.limit is None or prepared.limit > want else 0)
        response = yield from call(prepared.operation, request)
        objects = prepared.unpack(response)
        # read through a family, items that make no object are left out: the page says which remain
        wire = getattr(objects, "wire", None)
        if wire is None:
            wire = response.get("Items") or []
        start = response.get("LastEvaluatedKey") or None
        if len(objects) > room:  # more than the page takes: the next page begins after the last taken
            found.extend(objects[:room])
            last = wire[room - 1]
            resume = {name: last[name] for name in prepared.key_names if name in last}
            break
        found.extend(objects)
        if start is None or len(found) >= want:
            resume = start
            break
    left = None if prepared.limit is None else prepared.limit - len(found)
    if resume is None or left == 0:
        return Page(found, None)
    return Page(found, seal_page_token(prepared.fingerprint, resume, left, secrets))
