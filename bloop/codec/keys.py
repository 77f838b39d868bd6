"""The identity of one item's key, from its wire form (for duplicate checks and matching)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import types
from .checks import Wire


def key_identity(table: str, key: Dict[str, Wire], names: Optional[Sequence[str]] = None) -> Tuple[Any, ...]:
    """A hashable identity of one item's key in one table, from its wire form.

    Numbers are compared by value (``"1"``, ``"1.0"`` and ``"1E0"`` are one key): an
    integer string becomes an ``int``, anything else a normalised ``Decimal``; the two
    compare and hash alike.

    :param names: the key's attribute names, sorted, to pick the key out of a whole
        item (names the item lacks are skipped); by default every attribute of ``key``.
    """
    if names is None:
        if len(key) == 2:
            name, other = key
            names = (name, other) if name < other else (other, name)
        else:
            names = sorted(key)
    if len(names) == 2:  # a hash and a range key: the common case, spelled out
        name, other = names
        wire, other_wire = key.get(name), key.get(other)
        if wire is not None and other_wire is not None:
            for kind in wire:
                inner = wire[kind]
            for other_kind in other_wire:
                other_inner = other_wire[other_kind]
            if kind == "N":
                inner = _number_identity(inner)
            if other_kind == "N":
                other_inner = _number_identity(other_inner)
            return (table, name, kind, inner, other, other_kind, other_inner)
    parts: List[Any] = [table]
    for name in names:
        wire = key.get(name)
        if wire is None:
            continue
        for kind in wire:  # the one type tag
            inner = wire[kind]
            if kind == "N":
                inner = _number_identity(inner)
            parts += (name, kind, inner)
    return tuple(parts)


def _number_identity(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return types.load_decimal(text).normalize()
