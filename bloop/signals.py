"""Signals: hooks for auditing, caching or metrics without wrapping the engine.

bloop sends these `blinker <https://blinker.readthedocs.io/>`_ signals.  Each is
sent only when it has receivers, so an application that connects none pays one
dictionary check.  The *sender* is whoever acted: the model class, the engine,
or the object that was modified.

==========================  ============================  ====================================
signal                      sender                        keyword arguments
==========================  ============================  ====================================
``model_created``           the new model class           (none)
``model_bound``             the engine                    ``model``, ``table_name``
``before_create_table``     the engine                    ``model``, ``table_name``, ``request``
``object_loaded``           the engine                    ``obj``
``object_saved``            the engine                    ``obj``
``object_deleted``          the engine                    ``obj``
``object_modified``         the object                    ``column``, ``value``
``capacity_consumed``       the engine                    ``model``, ``table``, ``index``,
                                                          ``operation``, ``units``
==========================  ============================  ====================================

.. code-block:: python

    from bloop import signals

    @signals.object_saved.connect
    def audit(engine, obj):
        log.info("saved %r", obj)

Receivers run synchronously, in the thread (or task) that did the work, before
the engine call returns; an exception in a receiver propagates to that call.

bloop 3 sent the sender again as a keyword (``engine=`` for the engine's signals,
``model=`` for ``model_created``, ``obj=`` for ``object_modified``), and its
receivers were written ``def on_saved(_, *, engine, obj, **kwargs)``.  A receiver
that names that parameter (other than as the one that takes the sender) is still
given it; every other receiver gets exactly the keyword arguments above.

What happened to an object is known only in the I/O-free core
(:mod:`bloop.operations`, :mod:`bloop.transactions`): a batch knows which chunk
was written, a save after a lost answer knows whether its own write is the one
DynamoDB holds.  The core reports it with :func:`loaded`, :func:`saved` and
:func:`deleted` on its policy, and the engine's :class:`Announcer` (the policy's
``announce``, set by the engine) sends the signal with the engine as sender: the
core holds no reference to the engine, and a synchronous and an asynchronous
engine send the same signals.  A policy with no ``announce`` falls back to its
``engine`` as the sender (bloop 4.0's engines set that).
"""
from __future__ import annotations

import copy
import inspect
import weakref
from typing import Any, Dict, List, Optional, Tuple

from blinker import NamedSignal

__all__ = [
    "model_created", "model_bound", "before_create_table", "object_loaded", "object_saved",
    "object_deleted", "object_modified", "capacity_consumed", "announce_calls", "announce_loads", "Announcer",
]


class Signal(NamedSignal):
    """A blinker signal that also gives the sender as the keyword bloop 3 sent it as
    (``legacy``), to the receivers that name that parameter."""

    def __init__(self, name: str, doc: Optional[str] = None, legacy: Optional[str] = None) -> None:
        super().__init__(name, doc)
        self.legacy = legacy

    def send(self, sender: Any = None, /, **kwargs: Any) -> List[Tuple[Any, Any]]:
        legacy = self.legacy
        if legacy is None or legacy in kwargs or "_async_wrapper" in kwargs:
            return super().send(sender, **kwargs)
        if getattr(self, "is_muted", False):
            return []
        results = []
        for receiver in self.receivers_for(sender):
            if inspect.iscoroutinefunction(receiver):
                raise RuntimeError("Cannot send to a coroutine function.")
            if _names(receiver, legacy):
                results.append((receiver, receiver(sender, **kwargs, **{legacy: sender})))
            else:
                results.append((receiver, receiver(sender, **kwargs)))
        return results


#: receiver (or a method's function) -> the keyword names it declares besides the sender's
_declared: "weakref.WeakKeyDictionary[Any, Tuple[str, ...]]" = weakref.WeakKeyDictionary()
_declared_methods: "weakref.WeakKeyDictionary[Any, Tuple[str, ...]]" = weakref.WeakKeyDictionary()


def _names(receiver: Any, name: str) -> bool:
    """Whether ``receiver`` declares a parameter ``name`` that does not take the sender."""
    function = getattr(receiver, "__func__", None)
    cache, key = (_declared_methods, function) if function is not None else (_declared, receiver)
    try:
        names = cache.get(key)
    except TypeError:  # not hashable or not weakly referable: look each time
        return name in _keywords(receiver)
    if names is None:
        names = _keywords(receiver)
        try:
            cache[key] = names
        except TypeError:
            pass
    return name in names


def _keywords(receiver: Any) -> Tuple[str, ...]:
    try:
        parameters = list(inspect.signature(receiver).parameters.values())
    except (TypeError, ValueError):  # no signature to read (a builtin): give nothing more
        return ()
    kinds = inspect.Parameter
    if parameters and parameters[0].kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD):
        parameters = parameters[1:]  # this one takes the sender
    return tuple(p.name for p in parameters if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY))


class _Namespace:
    """bloop's own signals, outside blinker's global ``signal("...")`` names, so those of
    other libraries never collide with these."""

    def signal(self, name: str, doc: Optional[str] = None, legacy: Optional[str] = None) -> Signal:
        return Signal(name, doc, legacy)


_signals = _Namespace()

model_created = _signals.signal("model_created", legacy="model", doc="""\
A model class was created (abstract models included).

:param sender: the model class.""")

model_bound = _signals.signal("model_bound", legacy="engine", doc="""\
An engine bound a model to its table (after creating or validating the table).

:param sender: the engine.
:param model: the model class.
:param table_name: the table's name for this engine.""")

before_create_table = _signals.signal("before_create_table", legacy="engine", doc="""\
An engine is about to create a model's table.

:param sender: the engine.
:param model: the model class.
:param table_name: the table's name.
:param request: the ``CreateTable`` request dict that is about to be sent.""")

object_loaded = _signals.signal("object_loaded", legacy="engine", doc="""\
An object was filled from DynamoDB: by ``engine.load``, a read transaction, or as
a query or scan result.

:param sender: the engine.
:param obj: the object.""")

object_saved = _signals.signal("object_saved", legacy="engine", doc="""\
An object was written to DynamoDB by ``engine.save`` or a write transaction.

:param sender: the engine.
:param obj: the object.""")

object_deleted = _signals.signal("object_deleted", legacy="engine", doc="""\
An object was deleted from DynamoDB by ``engine.delete`` or a write transaction.

:param sender: the engine.
:param obj: the object.""")

object_modified = _signals.signal("object_modified", legacy="obj", doc="""\
A column of an object was set or deleted (``obj.col = value`` or ``del obj.col``).
Not sent for the keyword arguments of the constructor, nor when bloop fills an
object from DynamoDB.

:param sender: the object.
:param column: the :class:`~bloop.models.Column`.
:param value: the new value (None after ``del``).""")


capacity_consumed = _signals.signal("capacity_consumed", doc="""\
DynamoDB reported the capacity a request consumed, on an engine made with
``capacity=True`` (see :doc:`costs`): sent once per response for the table's own share
and once for each index's, just after the engine's ``capacity`` counted it, in the thread
(or task) that sent the request.

:param sender: the engine.
:param model: the model class the table holds (None for a table of several models of no
    one family).
:param table: the table's name.
:param index: the index's name, or None for the table's own share.
:param operation: the DynamoDB client method (``"query"``, ``"batch_write_item"``, ...).
:param units: a :class:`bloop.capacity.Units` (``read``, ``write``, ``total``).""")


#: bloop 3's signals that bloop 4 does not send, and what to connect to instead
_GONE: Dict[str, str] = {
    "model_validated": "model_validated is gone: connect to model_bound, sent after the table was created "
                       "or checked against the model",
    "table_validated": "table_validated is gone: connect to model_bound, sent after the table was created "
                       "or checked against the model",
}


def __getattr__(name: str) -> Any:
    if name in _GONE:
        raise AttributeError(f"bloop.signals.{_GONE[name]}")
    raise AttributeError(f"module 'bloop.signals' has no attribute {name!r}")


class Announcer:
    """Sends the object signals of one engine (the *sender*): an engine sets one as its
    policy's ``announce``, and the core reports through it without knowing the engine.

    :param sender: the engine the signals are sent for.
    """

    __slots__ = ("sender",)

    def __init__(self, sender: Any) -> None:
        self.sender = sender

    def loaded(self, obj: Any) -> None:
        if object_loaded.receivers:
            object_loaded.send(self.sender, obj=obj)

    def saved(self, obj: Any) -> None:
        if object_saved.receivers:
            object_saved.send(self.sender, obj=obj)

    def deleted(self, obj: Any) -> None:
        if object_deleted.receivers:
            object_deleted.send(self.sender, obj=obj)

    def __repr__(self) -> str:
        return f"Announcer({self.sender!r})"


def engine_of(policy: Any) -> Any:
    """The sender of the signals an operation on ``policy`` reports: its announcer's
    sender, else its ``engine``, else None."""
    announce = getattr(policy, "announce", None)
    if announce is not None:
        return announce.sender
    return getattr(policy, "engine", None)


def announcer(policy: Any) -> Announcer:
    """The announcer the core reports to for ``policy`` (see the module's text)."""
    announce = getattr(policy, "announce", None)
    return announce if announce is not None else Announcer(getattr(policy, "engine", None))


def loaded(policy: Any, obj: Any) -> None:
    """The core filled ``obj`` from DynamoDB: ``object_loaded``."""
    if object_loaded.receivers:
        announcer(policy).loaded(obj)


def saved(policy: Any, obj: Any) -> None:
    """The core knows ``obj`` was written: ``object_saved``."""
    if object_saved.receivers:
        announcer(policy).saved(obj)


def deleted(policy: Any, obj: Any) -> None:
    """The core knows ``obj`` was deleted: ``object_deleted``."""
    if object_deleted.receivers:
        announcer(policy).deleted(obj)


def announce_loads(engine: Any, prepared: Any) -> Any:
    """A prepared search whose pages send ``object_loaded`` for each object they hold.

    Returns ``prepared`` itself when ``object_loaded`` has no receivers; otherwise a
    shallow copy whose ``unpack`` announces (the original is left as it is, so a
    prepared search that is iterated again never announces twice).
    """
    if not object_loaded.receivers:
        return prepared
    unpack = prepared.unpack
    announcing = copy.copy(prepared)

    def unpack_and_announce(response: Any) -> Any:
        objs = unpack(response)
        for obj in objs:
            if hasattr(type(obj), "Meta"):  # not a RawItem (an unknown type of a family, Meta.unknown = "raw")
                object_loaded.send(engine, obj=obj)
        return objs

    announcing.unpack = unpack_and_announce
    return announcing


def announce_calls(op: Any, operation: str, announce: Any) -> Any:
    """Pass an operation generator's steps through unchanged, calling ``announce(call)``
    just before each call to ``operation`` is handed to the driver.

    This lets an engine send ``before_create_table`` for :func:`bloop.tables.bind`
    without that I/O-free generator knowing about signals.
    """
    try:
        step = next(op)
    except StopIteration as stop:
        return stop.value
    while True:
        if isinstance(step, list):
            for one in step:
                if getattr(one, "operation", None) == operation:
                    announce(one)
        outcome = yield step
        try:
            step = op.send(outcome)
        except StopIteration as stop:
            return stop.value
