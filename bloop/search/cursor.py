"""Cursor: the I/O-free position of one iteration of a search, and CursorView, what the
sync and async iterators show of it."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .prepared import Prepared
from .tokens import encode_token

__all__ = ["Cursor", "CursorView"]


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
        # read through a family, items that make no object are left out: the page says which remain
        self._items = getattr(self._objects, "wire", self._items)
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
