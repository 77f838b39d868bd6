"""The drivers: run an operation generator to its result, blocking or with ``await``.

Both take the generator, a transport's ``send`` (see :mod:`bloop.drivers.transport`)
and a sleep.  A :class:`~bloop.operations.Sleep` step sleeps; a list of
:class:`~bloop.operations.Call` steps is sent and the outcomes are sent back into the
generator; its return value is the result.

The cyclic collector is paused (:func:`~bloop.codec.paused_gc`) only while the
generator runs, which is where keys and requests are made and responses become
objects; never while requests wait on the network or the driver sleeps.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, List, Sequence

from ..codec.pause import paused_gc
from ..operations import Call, Op, Sleep

__all__ = ["drive", "drive_async"]


def drive(op: Op, send: Callable[[Sequence[Call]], List[Any]], sleep: Callable[[float], Any]) -> Any:
    """Run an operation synchronously: ``send(calls) -> outcomes``, ``sleep(seconds)``."""
    try:
        with paused_gc():  # the objects' keys and the requests are made here
            step = next(op)
        while True:
            if isinstance(step, Sleep):
                sleep(step.seconds)
                step = op.send(None)
            else:
                outcomes = send(step)  # the collector runs while the requests wait
                with paused_gc():  # responses become objects: see paused_gc
                    step = op.send(outcomes)
    except StopIteration as stop:
        return stop.value


async def drive_async(op: Op, send: Callable[[Sequence[Call]], Awaitable[List[Any]]],
                      sleep: Callable[[float], Awaitable[Any]]) -> Any:
    """Run an operation with ``await``: ``await send(calls)``, ``await sleep(seconds)``
    (:func:`asyncio.sleep`, or a fake in tests).  The same steps as :func:`drive`."""
    try:
        with paused_gc():  # the objects' keys and the requests are made here
            step = next(op)
        while True:
            if isinstance(step, Sleep):
                await sleep(step.seconds)
                step = op.send(None)
            else:
                outcomes = await send(step)  # the collector runs while the requests wait
                with paused_gc():  # responses become objects: see paused_gc
                    step = op.send(outcomes)
    except StopIteration as stop:
        return stop.value
