"""Faults injected into a botocore client's DynamoDB requests, in-process, for testing
the code that handles them: throttling, unprocessed batch entries and lost answers.

.. code-block:: python

    from bloop.testing import Faults

    faults = Faults().attach(client)          # a boto3, botocore or aiobotocore DynamoDB client
    faults.throttle(times=2)                  # the next two requests are throttled
    faults.unprocessed(share=0.5)             # the next batch request leaves half undone
    faults.lose_answers(times=1)              # the next write is applied, its answer lost

Nothing is mocked beyond the fault itself: the requests are those bloop sends, the
withheld batch entries are really not sent, and a lost answer's request really was
applied (by moto's in-process mock, or sent over HTTP to the client's endpoint) before
its answer is dropped.  Only documented botocore events are used
(``provide-client-params``, ``before-call``, ``before-send``, ``after-call``).

Each fault counts down its ``times`` (``None``: every matching request until
:meth:`Faults.clear`); :attr:`Faults.stats` counts what was injected.
"""
from __future__ import annotations

import math
import sys
import threading
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Tuple

import botocore.awsrequest
import botocore.exceptions

from ..exceptions import InvalidConfiguration

__all__ = ["Faults"]

_PREFIX = "bloop-testing-faults-"
_BATCHES = ("BatchWriteItem", "BatchGetItem")
_WRITES = ("PutItem", "UpdateItem", "DeleteItem")
_WITHHELD = "bloop:testing:withheld"
_ALL = "bloop:testing:withheld-all"
_THROTTLE_CODE = "ProvisionedThroughputExceededException"


def _api_name(name: str) -> str:
    """``"put_item"`` or ``"PutItem"`` -> ``"PutItem"``."""
    if "_" in name or name[:1].islower():
        return "".join(part[:1].upper() + part[1:] for part in name.split("_"))
    return name


class _Fault:
    __slots__ = ("times", "operations", "share")

    def __init__(self, times: Optional[int], operations: Optional[Iterable[str]], share: float = 0.0) -> None:
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise InvalidConfiguration(f"times is a positive int, or None for every request; got {times!r}")
        if isinstance(operations, str):
            operations = (operations,)
        self.times = times
        self.operations = None if operations is None else frozenset(_api_name(name) for name in operations)
        self.share = share

    def take(self, operation: str) -> bool:
        """Whether this fault hits a request of ``operation`` (counting it down if so)."""
        if self.operations is not None and operation not in self.operations:
            return False
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


class Faults:
    """Faults for the requests of the botocore DynamoDB clients it is attached to.

    :ivar stats: what was injected: ``throttled`` (requests), ``unprocessed`` (batch
        entries withheld), ``lost`` (answers dropped).
    """

    def __init__(self) -> None:
        self.stats: "Counter[str]" = Counter()
        self._lock = threading.Lock()
        self._throttle: List[_Fault] = []
        self._unprocessed: List[_Fault] = []
        self._lost: List[_Fault] = []
        self._clients: List[Any] = []
        self._http: Any = None

    # what to break ----------------------------------------------------------------------
    def throttle(self, times: Optional[int] = 1, operations: Optional[Iterable[str]] = None) -> "Faults":
        """Throttle the next ``times`` requests (of ``operations``, API or client method
        names; default: any): each fails with ``ProvisionedThroughputExceededException``
        as when DynamoDB throttled every attempt botocore made, so bloop raises
        :class:`~bloop.exceptions.Throttled` and nothing was applied."""
        with self._lock:
            self._throttle.append(_Fault(times, operations))
        return self

    def unprocessed(self, times: Optional[int] = 1, share: float = 0.5,
                    operations: Iterable[str] = _BATCHES) -> "Faults":
        """Leave part of the next ``times`` batch requests undone: of each
        ``BatchWriteItem`` / ``BatchGetItem`` (or those of ``operations``), the last
        ``share`` of the entries (at least one) is not sent and comes back as
        ``UnprocessedItems`` / ``UnprocessedKeys``, as DynamoDB answers under load.
        ``share=1.0, times=None`` never drains: bloop keeps re-sending until its
        ``batch_deadline`` and raises :class:`~bloop.exceptions.BatchIncomplete`."""
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0.0 < share <= 1.0:
            raise InvalidConfiguration(f"unprocessed(share=...) is a fraction in (0, 1], not {share!r}")
        names = {_api_name(name) for name in ([operations] if isinstance(operations, str) else operations)}
        if not names or not names <= set(_BATCHES):
            raise InvalidConfiguration(f"unprocessed(operations=...) names batch operations ({', '.join(_BATCHES)}), "
                                       f"not {sorted(names)}")
        with self._lock:
            self._unprocessed.append(_Fault(times, names, float(share)))
        return self

    def lose_answers(self, times: Optional[int] = 1, operations: Optional[Iterable[str]] = _WRITES) -> "Faults":
        """Lose the answers of the next ``times`` requests of ``operations`` (default:
        ``PutItem``, ``UpdateItem``, ``DeleteItem``; None: any): each attempt is applied,
        then its connection drops before the answer arrives, and botocore re-sends it
        (after its backoff; more ``times`` than the client's attempts exhaust them).
        bloop tells a conditional write its re-send finds already applied from one that
        failed its condition, and raises :class:`~bloop.exceptions.OutcomeUnknown` for
        a request it must not apply twice (an ``ADD``, say) instead of re-sending it."""
        with self._lock:
            self._lost.append(_Fault(times, operations))
        return self

    def clear(self) -> None:
        """Stop injecting (the stats stay)."""
        with self._lock:
            self._throttle.clear()
            self._unprocessed.clear()
            self._lost.clear()

    # where ------------------------------------------------------------------------------
    def attach(self, client: Any) -> "Faults":
        """Inject into ``client``'s requests (a botocore, boto3 or aiobotocore DynamoDB
        client; attach several to share the faults); returns these faults.  On a server,
        a lost answer's request is sent by the fault itself, blocking (on aiobotocore,
        the event loop waits for it: this is for tests)."""
        events = getattr(getattr(client, "meta", None), "events", None)
        if events is None:
            raise InvalidConfiguration(f"Faults.attach takes a botocore client, not {client!r:.80}")
        events.register_first("before-call.dynamodb", self._before_call, unique_id=_PREFIX + "throttle")
        events.register("provide-client-params.dynamodb", self._withhold, unique_id=_PREFIX + "withhold")
        events.register("after-call.dynamodb", self._unprocessed_answer, unique_id=_PREFIX + "answer")
        events.register("before-send.dynamodb", self._lose, unique_id=_PREFIX + "lose")
        self._clients.append(client)
        return self

    def detach(self) -> None:
        """Stop injecting into every client attached."""
        for client in self._clients:
            events = client.meta.events
            events.unregister("before-call.dynamodb", unique_id=_PREFIX + "throttle")
            events.unregister("provide-client-params.dynamodb", unique_id=_PREFIX + "withhold")
            events.unregister("after-call.dynamodb", unique_id=_PREFIX + "answer")
            events.unregister("before-send.dynamodb", unique_id=_PREFIX + "lose")
        self._clients.clear()

    # the handlers -----------------------------------------------------------------------
    def _hit(self, faults: List[_Fault], operation: str) -> Optional[_Fault]:
        with self._lock:
            for fault in faults:
                if fault.take(operation):
                    return fault
        return None

    def _before_call(self, model: Any = None, context: Any = None, **_: Any) -> Optional[Tuple[Any, Dict[str, Any]]]:
        name = getattr(model, "name", "")
        if isinstance(context, dict) and context.pop(_ALL, False):
            # every entry withheld: nothing is sent, the answer is "all unprocessed" (after-call)
            answer: Dict[str, Any] = {"ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0,
                                                           "HTTPHeaders": {}}}
            if name == "BatchGetItem":
                answer["Responses"] = {}
            return botocore.awsrequest.AWSResponse("https://dynamodb.invalid/", 200, {}, None), answer
        if not self._throttle or self._hit(self._throttle, name) is None:
            return None
        self.stats["throttled"] += 1
        http = botocore.awsrequest.AWSResponse("https://dynamodb.invalid/", 400, {}, None)
        parsed = {"Error": {"Code": _THROTTLE_CODE, "Message": "The level of configured provisioned throughput "
                                                               "for the table was exceeded (bloop.testing.Faults)"},
                  "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": 0, "HTTPHeaders": {}}}
        return http, parsed

    def _withhold(self, params: Any = None, model: Any = None, context: Any = None,
                  **_: Any) -> Optional[Dict[str, Any]]:
        name = getattr(model, "name", "")
        if name not in _BATCHES or not self._unprocessed or not isinstance(params, dict):
            return None
        fault = self._hit(self._unprocessed, name)
        if fault is None:
            return None
        entries = [(table, entry) for table, spec in params.get("RequestItems", {}).items()
                   for entry in (spec if name == "BatchWriteItem" else spec.get("Keys", ()))]
        count = min(len(entries), max(1, math.ceil(len(entries) * fault.share)))
        withheld = entries[len(entries) - count:]
        sent: Dict[str, Any] = {}
        undone: Dict[str, Any] = {}
        for at, (table, entry) in enumerate(entries):
            target = undone if at >= len(entries) - count else sent
            if name == "BatchWriteItem":
                target.setdefault(table, []).append(entry)
            else:
                spec = params["RequestItems"][table]
                target.setdefault(table, {**{k: v for k, v in spec.items() if k != "Keys"}, "Keys": []})
                target[table]["Keys"].append(entry)
        self.stats["unprocessed"] += len(withheld)
        if isinstance(context, dict):
            context[_WITHHELD] = undone
        if not sent:  # nothing at all is processed: answered without sending (see _before_call)
            if isinstance(context, dict):
                context[_ALL] = True
            return None
        return {**params, "RequestItems": sent}

    def _unprocessed_answer(self, parsed: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
        undone = context.get(_WITHHELD) if isinstance(context, dict) else None
        if not undone or not isinstance(parsed, dict) or "Error" in parsed:
            return
        field = "UnprocessedItems" if getattr(model, "name", "") == "BatchWriteItem" else "UnprocessedKeys"
        existing = parsed.get(field) or {}
        for table, value in undone.items():
            if field == "UnprocessedItems":
                existing.setdefault(table, []).extend(value)
            elif table in existing:
                existing[table]["Keys"].extend(value["Keys"])
            else:
                existing[table] = value
        parsed[field] = existing

    def _lose(self, request: Any = None, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if not self._lost or self._hit(self._lost, operation) is None:
            return
        # this handler runs before the less specific ``before-send`` ones, moto's mock
        # among them: apply the request here (through the mock, or over HTTP), then drop
        # the answer by raising, which stops the other handlers
        stubber = _active_mock()
        if stubber is not None:
            stubber(event_name=event_name, request=request)
        else:
            if self._http is None:
                from botocore.httpsession import URLLib3Session
                self._http = URLLib3Session()
            self._http.send(request)
        self.stats["lost"] += 1
        raise botocore.exceptions.ConnectionClosedError(endpoint_url=getattr(request, "url", ""))


def _active_mock() -> Any:
    """moto's in-process mock when it answers this process's botocore requests, else None."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    return stubber if getattr(stubber, "enabled", False) else None
