"""Which column types are bloop's own (their conversions call no user code), and which loaded
objects may share one snapshot marker (:class:`bloop.tracking.Loaded`)."""
from __future__ import annotations

import weakref
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from .. import types
from ..tracking import Loaded, tracks

#: bloop's own types: their conversions call no user code, so a value off a compiled fast
#: path can be converted again by the generic code
BUILT_IN = frozenset(cls for cls in vars(types).values()
                     if isinstance(cls, type) and issubclass(cls, types.Type) and cls.__module__ == types.__name__)


def pure(typedef: Any) -> bool:
    """``typedef`` and every type inside it are bloop's own (no user conversion code)."""
    if type(typedef) not in BUILT_IN:
        return False
    inner = getattr(typedef, "inner", None)
    if inner is not None and not pure(inner):
        return False
    fields = getattr(typedef, "fields", None)
    return fields is None or all(pure(field) for field in fields.values())


def lazy(typedef: Any) -> bool:
    """Objects loaded with this column may share a Loaded marker (see bloop.tracking): its
    values are immutable or tracked containers, and a snapshot made from them later calls
    no user code (a user's type is dumped once per save, not again for the snapshot)."""
    return tracks(typedef) and (not typedef.mutable or pure(typedef))


Markers = Callable[[Iterable[Any]], Optional[Loaded]]

#: each model's markers (a model class is the key, so a forgotten model is forgotten here too)
_MARKERS: "weakref.WeakKeyDictionary[Any, Markers]" = weakref.WeakKeyDictionary()


def markers(meta: Any) -> Markers:
    """The model's ``loaded(columns)``: the Loaded marker that objects loaded with these
    columns share, or None when they need a snapshot of their own (one marker per set of
    columns, made once per model)."""
    found = _MARKERS.get(meta.model)
    if found is None:
        known: Dict[Tuple[str, ...], Optional[Loaded]] = {}

        def loaded(projected: Iterable[Any]) -> Optional[Loaded]:
            projected = list(projected)
            names = tuple(column.name for column in projected)
            try:
                return known[names]
            except KeyError:
                marker = Loaded(projected) if all(lazy(c.typedef) for c in projected) else None
                return known.setdefault(names, marker)
        found = _MARKERS.setdefault(meta.model, loaded)
    return found
