"""The list, set and dict that bloop loads values into.

They behave exactly like ``list``, ``set`` and ``dict`` (they are subclasses),
with one addition: the first change made in place keeps a shallow copy of the
content as it was loaded.  That is what lets an object loaded from DynamoDB
carry no snapshot of its own (see :mod:`bloop.tracking`): while nothing was
changed, the loaded content *is* what DynamoDB holds, and after a change
:func:`loaded_view` still gives it back.

Containers nested in one another each keep their own copy, so
``obj.info["sizes"].append(3)`` copies only the inner list.  Elements that are
not containers (strings, numbers, bytes, datetimes) never change in place.

A :class:`~bloop.types.Map` loads a map holding keys it does not declare as a
:class:`TrackedMap`: a ``TrackedDict`` of the declared keys that keeps the others'
wire values aside, so that saving it writes them back unchanged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Set, Tuple

__all__ = ["TrackedList", "TrackedSet", "TrackedDict", "TrackedMap", "keeping", "loaded_view", "TRACKED"]


def _keeping(base: type, name: str) -> Callable[..., Any]:
    """``base.name``, keeping a copy of the loaded content before the first change."""
    method = getattr(base, name)

    def changing(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            self._loaded
        except AttributeError:
            self._loaded = base(self)
        return method(self, *args, **kwargs)

    changing.__name__ = name
    changing.__qualname__ = f"{base.__name__}.{name}"
    changing.__doc__ = method.__doc__
    return changing


def _tracked(base: type, changing: Tuple[str, ...], doc: str) -> type:
    namespace: Dict[str, Any] = {name: _keeping(base, name) for name in changing}
    namespace.update(__slots__=("_loaded",), __doc__=doc, __module__=__name__)
    # copies and pickles are plain containers: the loaded content is this object's alone
    namespace["__reduce_ex__"] = lambda self, protocol: (base, (base(self),))
    namespace["__copy__"] = lambda self: base(self)
    return type(f"Tracked{base.__name__.capitalize()}", (base,), namespace)


if TYPE_CHECKING:  # to a type checker, each is the container it subclasses
    class TrackedList(List[Any]):
        pass

    class TrackedSet(Set[Any]):
        pass

    class TrackedDict(Dict[Any, Any]):
        pass
else:
    TrackedList = _tracked(list, (
        "__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert",
        "pop", "remove", "clear", "sort", "reverse"), "A list loaded by bloop.")
    TrackedSet = _tracked(set, (
        "__ior__", "__iand__", "__isub__", "__ixor__", "add", "discard", "remove", "pop", "clear",
        "update", "intersection_update", "difference_update", "symmetric_difference_update"),
        "A set loaded by bloop.")
    TrackedDict = _tracked(dict, (
        "__setitem__", "__delitem__", "__ior__", "pop", "popitem", "clear", "update", "setdefault"),
        "A dict loaded by bloop.")


class TrackedMap(TrackedDict):
    """A dict loaded by a :class:`~bloop.types.Map` from a map that holds keys the type does
    not declare (another program wrote them), or holds such a map under a declared key.

    It reads, compares and prints as the dict of the declared keys.  The other keys' wire
    values are kept aside, unchanged, and the Map writes them back whenever it dumps this
    dict; they go with the dict when it is changed in place, moved, copied or pickled.
    Make one with :func:`keeping`.
    """

    __slots__ = ("_undeclared",)
    _undeclared: Dict[str, Dict[str, Any]]

    def __reduce_ex__(self, protocol: Any) -> Any:
        return keeping, (dict(self), self._undeclared)

    def __copy__(self) -> "TrackedMap":
        return keeping(self, self._undeclared)


def keeping(content: Any, undeclared: Dict[str, Dict[str, Any]]) -> TrackedMap:
    """A :class:`TrackedMap` of ``content`` that keeps ``undeclared`` (key: wire value)."""
    value = TrackedMap(content)
    value._undeclared = undeclared
    return value


def _set_repr(self: Any) -> str:
    return repr(set(self))


# a set prints as a set, not as its class
setattr(TrackedSet, "__repr__", _set_repr)

#: the tracked container classes, for fast ``__class__`` checks
TRACKED = (TrackedList, TrackedSet, TrackedDict, TrackedMap)


def loaded_view(value: Any) -> Any:
    """The content ``value`` had when it was loaded, as plain containers (a
    :class:`TrackedMap` as one again, with the keys it keeps aside).

    Values that are not tracked containers are returned as they are.
    """
    cls = value.__class__
    if cls is TrackedSet:
        return set(getattr(value, "_loaded", value))
    if cls is TrackedList:
        return [loaded_view(item) for item in getattr(value, "_loaded", value)]
    if cls is TrackedDict:
        return {key: loaded_view(item) for key, item in getattr(value, "_loaded", value).items()}
    if cls is TrackedMap:
        view = {key: loaded_view(item) for key, item in getattr(value, "_loaded", value).items()}
        return keeping(view, value._undeclared)
    return value
