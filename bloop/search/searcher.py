"""The one boundary between a search and the engine it is bound to (``engine.searcher``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Protocol, Tuple

from ..operations import Op

if TYPE_CHECKING:
    from .describe import Search
    from .prepared import Prepared

__all__ = ["Searcher"]


class Searcher(Protocol):
    """The one boundary between a search and the engine it is bound to (``engine.searcher``).

    Five members (and the optional ``token_secret``) and no more: a search renders its request and decides what to send
    with the I/O-free operations of this module (:func:`collect`, :func:`first`, :func:`only`,
    :func:`count`, :func:`exists`); the searcher only runs them and iterates.
    :class:`bloop.drivers.search.SyncSearcher` and
    :class:`~bloop.drivers.search.AsyncSearcher` are bloop's.
    """

    #: whether results are awaited and iterated with ``async for``
    is_async: bool

    #: optional: the engine's checked ``token_secret`` (a tuple of secrets; sign with the
    #: first, accept any) or None; a searcher without it makes and takes unsigned page tokens
    token_secret: Optional[Tuple[bytes, ...]]

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
