"""Transactions, blocking and async: ``with`` / ``async with`` and ``commit``.

Everything but the sending is :class:`bloop.transactions.Transaction`'s: collecting,
validating, rendering, joining an open transaction of the same engine, and the
idempotency token a retry re-sends.  Each facade runs
:meth:`~bloop.transactions.Transaction.commit_op` through its engine's driver.
"""
from __future__ import annotations

from typing import Any, Optional

from ..transactions import WRITE, PreparedTransaction, Transaction

__all__ = ["SyncTransaction", "AsyncTransaction"]


class SyncTransaction(Transaction):
    """``engine.transaction(mode)``: commits when its ``with`` block exits cleanly.

    Nothing is sent if the block raises.  A ``with engine.transaction()`` inside
    another of the same engine (in the same thread or task) joins it: its items
    are committed by the outermost block.
    """

    def __init__(self, engine: Any, mode: str = WRITE, *, token: Optional[str] = None) -> None:
        super().__init__(engine.policy, mode, token=token)
        self.engine = engine

    def commit(self) -> PreparedTransaction:
        """Send the transaction; call again to retry with the same idempotency token.

        :returns: the :class:`PreparedTransaction` that was sent.
        :raises TransactionCanceled: DynamoDB canceled it (``.cancellations`` says why, per object).
        :raises ObjectsNotFound: a read transaction found no item for some objects (the
            others are loaded).
        :raises TransactionTokenExpired: a retry came too late to be idempotent.
        """
        op = self.commit_op()
        self.engine._run(op)
        assert self.prepared is not None
        return self.prepared

    def __enter__(self) -> "SyncTransaction":
        self._enter()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._exit(exc_type is not None):
            self.commit()


class AsyncTransaction(Transaction):
    """``engine.transaction(mode)`` of an :class:`AsyncEngine`: ``async with``, and ``await tx.commit()``.

    Everything but the sending is :class:`bloop.transactions.Transaction`'s: collecting,
    validating, rendering, joining an open transaction of the same engine (in the same
    task), and the idempotency token a retry re-sends.
    """

    def __init__(self, engine: Any, mode: str = WRITE, *, token: Optional[str] = None) -> None:
        super().__init__(engine.policy, mode, token=token)
        self.engine = engine

    async def commit(self) -> PreparedTransaction:
        """Send the transaction; await again to retry with the same idempotency token.

        :raises TransactionCanceled: DynamoDB canceled it (``.cancellations`` says why, per object).
        :raises ObjectsNotFound: a read transaction found no item for some objects.
        """
        await self.engine._run(self.commit_op())
        assert self.prepared is not None
        return self.prepared

    async def __aenter__(self) -> "AsyncTransaction":
        self._enter()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._exit(exc_type is not None):
            await self.commit()
