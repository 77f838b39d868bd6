"""A fault-injecting DynamoDB endpoint: an HTTP proxy on 127.0.0.1 in front of a server.

It forwards every request to the real backend (a moto server) but can:

- answer ``BatchWriteItem`` having forwarded only part of the writes, returning the
  rest as ``UnprocessedItems`` (and ``BatchGetItem``: ``UnprocessedKeys``), as
  DynamoDB does under load;
- never drain (forward nothing, return everything as unprocessed);
- throttle every n-th request with ``ProvisionedThroughputExceededException``,
  which botocore retries by itself;
- delay every request (for concurrency tests);
- withhold chosen batch entries every time (``stuck``), or run code while a request
  is in flight (``on_request``).
- lose the answer of a write it forwarded (see "lost answers" below).
- answer 200 with a body that is not DynamoDB's (see "Body faults" below): cut short,
  garbled, a proxy's HTML page, or valid JSON without the operation's main field,
  once or persisting.

Nothing here is mocked: botocore signs, sends and parses real HTTP, and the
backend stores what it was sent.  The proxy counts what it did in ``stats``.
"""
from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple


class Faults:
    """What to break; change the attributes while the proxy runs."""

    def __init__(self) -> None:
        self.unprocessed_fraction = 0.0  # share of batch entries withheld each call
        self.never_drain = False
        self.throttle_every = 0  # 0: never
        self.delay = 0.0
        # --- errors naming what was and was not done (h-errors) ---
        #: a predicate on one batch entry (a BatchGetItem key or a BatchWriteItem write):
        #: the entries it holds true for are withheld as unprocessed every time
        self.stuck: Any = None
        #: called with the operation name in the proxy's thread when a request arrives,
        #: before it is forwarded: code that runs while the request is in flight
        self.on_request: Any = None
        # lost answers (FaultProxy.lose): the request reaches the backend and is applied, but
        # the answer never arrives, so botocore re-sends it
        self.lose_next = 0  # lose the answers of the next n writes of lose_operations
        self.lose_every = 0  # lose the answer of every n-th write of them (0: never)
        self.lose_fraction = 0.0  # or of this share of them, drawn from lose_random
        self.lose_random = random.Random(11)
        self.lose_how = "drop"  # "drop" the connection, answer "500", or "stall" past the read timeout
        self.lose_stall = 1.0  # seconds a "stall" waits before answering (longer than the read timeout)
        self.lose_operations = ("PutItem", "UpdateItem", "DeleteItem")
        self.lose_then: Any = None  # called after a lost write was applied (another writer, say)
        self.body_faults()
        # --- serialising (unique constraints): forward one request at a time ---
        #: moto applies a transaction's conditions and writes without a lock, so two
        #: concurrent transactions can both pass a condition; forwarding one request at a
        #: time gives the atomicity DynamoDB gives (see FaultProxy.serialized)
        self.serialize = False

    # --- body faults: a 200 whose body is not DynamoDB's (see corrupted() below) -----
    def body_faults(self, body: Optional[str] = None, operations: Tuple[str, ...] = (), after: int = 0,
                    times: Optional[int] = None) -> None:
        """Corrupt answers: ``body`` is ``"truncated"`` (forwarded, the answer cut short),
        ``"garbled"`` (forwarded, bytes of the answer replaced), ``"html"`` (not forwarded: a
        proxy's own HTML page), ``"missing"`` (forwarded, valid JSON without the operation's
        main field) or None (off).  Of the answers to ``operations`` (API names; empty: all),
        the first ``after`` pass, then ``times`` are corrupted: 1 is "once", None persists."""
        self.body = body
        self.body_operations = tuple(operations)
        self.body_after = after
        self.body_times = times
        self.body_seen = 0  # answers to those operations so far


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = Faults()
        self.stats: Dict[str, int] = {"requests": 0, "throttled": 0, "withheld": 0, "corrupted": 0}
        self.stats.update(writes=0, lost=0)  # lost answers (see lose)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy.serialized():
                    if proxy.lose(self, body):
                        return
                    status, headers, payload = proxy.handle(self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------------------------
    def handle(self, headers: Any, body: bytes):
        faults = self.faults
        target = headers.get("X-Amz-Target", "")
        operation = target.rsplit(".", 1)[-1]
        with self._lock:
            self.stats["requests"] += 1
            count = self.stats["requests"]
        if faults.on_request is not None:
            faults.on_request(operation)
        if faults.delay:
            time.sleep(faults.delay)
        if faults.throttle_every and count % faults.throttle_every == 0:
            with self._lock:
                self.stats["throttled"] += 1
            return 400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps({
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "injected throttle"}).encode()
        corrupt = self._corrupting(operation)
        if corrupt == "html":
            return 200, {"Content-Type": "text/html"}, HTML_PAGE
        request = json.loads(body or b"{}")
        withheld: Dict[str, Any] = {}
        if operation in ("BatchWriteItem", "BatchGetItem"):
            request, withheld = self._withhold(operation, request)
        if operation in ("BatchWriteItem", "BatchGetItem") and not request["RequestItems"]:
            response: Dict[str, Any] = {"Responses": {}} if operation == "BatchGetItem" else {}
            status = 200
        else:
            status, response = self._forward(headers, request)
        if withheld and status == 200:
            key = "UnprocessedItems" if operation == "BatchWriteItem" else "UnprocessedKeys"
            merged = response.get(key) or {}
            for table, entries in withheld.items():
                if operation == "BatchWriteItem":
                    merged.setdefault(table, []).extend(entries)
                else:
                    merged.setdefault(table, {"Keys": [], **{k: v for k, v in entries.items() if k != "Keys"}})
                    merged[table]["Keys"].extend(entries["Keys"])
            response[key] = merged
        payload = json.dumps(response).encode()
        if corrupt and status == 200:
            payload = corrupted(corrupt, operation, response, payload)
        return status, {"Content-Type": "application/x-amz-json-1.0"}, payload

    def _withhold(self, operation: str, request: Dict[str, Any]):
        faults = self.faults
        kept: Dict[str, Any] = {}
        withheld: Dict[str, Any] = {}
        for table, entries in request.get("RequestItems", {}).items():
            items = entries if operation == "BatchWriteItem" else entries["Keys"]
            items, stuck = self._stuck(items)
            if faults.never_drain:
                cut = 0
            else:
                cut = len(items) - int(len(items) * faults.unprocessed_fraction)
                cut = max(cut, 1) if items else 0  # always make progress
            keep, hold = items[:cut], items[cut:] + stuck
            with self._lock:
                self.stats["withheld"] += len(hold)
            if operation == "BatchWriteItem":
                if keep:
                    kept[table] = keep
                if hold:
                    withheld[table] = hold
            else:
                rest = {k: v for k, v in entries.items() if k != "Keys"}
                if keep:
                    kept[table] = dict(rest, Keys=keep)
                if hold:
                    withheld[table] = dict(rest, Keys=hold)
        return dict(request, RequestItems=kept), withheld

    # --- errors naming what was and was not done (h-errors) ---
    def _stuck(self, items: list):
        """``items`` split into those forwarded as usual and those :attr:`Faults.stuck` withholds."""
        stuck = self.faults.stuck
        if stuck is None:
            return items, []
        return [x for x in items if not stuck(x)], [x for x in items if stuck(x)]

    def _forward(self, headers: Any, request: Dict[str, Any]):
        data = json.dumps(request).encode()
        forwarded = {k: v for k, v in headers.items()
                     if k.lower() not in ("content-length", "host", "connection", "accept-encoding")}
        upstream = urllib.request.Request(self.upstream + "/", data=data, headers=forwarded, method="POST")
        try:
            with urllib.request.urlopen(upstream, timeout=60) as reply:
                return reply.status, json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    # ------------------------------------------------------------------------------------
    # lost answers: DynamoDB documents that a write whose answer is lost (a dropped
    # connection, a 500 after applying it, a read timeout) may or may not have been
    # applied; here it always was, and botocore re-sends it.  ``stats["writes"]`` counts
    # the writes of ``lose_operations`` that reached the backend, ``stats["lost"]`` those
    # whose answer was lost.

    def lose(self, handler: Any, body: bytes) -> bool:
        """Forward a write and lose its answer, if the faults say so; True when it did."""
        faults = self.faults
        operation = handler.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        if operation not in faults.lose_operations:
            return False
        with self._lock:
            self.stats["writes"] += 1
            count = self.stats["writes"]
            chosen = bool(faults.lose_every and count % faults.lose_every == 0)
            if faults.lose_next > 0:
                faults.lose_next -= 1
                chosen = True
            if not chosen and faults.lose_fraction:
                chosen = faults.lose_random.random() < faults.lose_fraction
            if chosen:
                self.stats["lost"] += 1
        if not chosen:
            return False
        self._forward(handler.headers, json.loads(body or b"{}"))  # applied...
        if faults.lose_then is not None:
            faults.lose_then()
        if faults.lose_how == "500":  # ...and answered with an error that says nothing of it
            payload = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                  "message": "injected: the answer was lost"}).encode()
            handler.send_response(500)
            handler.send_header("Content-Type", "application/x-amz-json-1.0")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return True
        if faults.lose_how == "stall":  # ...answered after the client stopped waiting
            time.sleep(faults.lose_stall)
        # ...or no answer at all: the connection closes without a status line
        handler.close_connection = True
        return True

    # --- body faults ------------------------------------------------------------------------
    def _corrupting(self, operation: str) -> Optional[str]:
        """The body fault for this answer, if any (and count it)."""
        faults = self.faults
        if faults.body is None or (faults.body_operations and operation not in faults.body_operations):
            return None
        with self._lock:
            seen = faults.body_seen
            faults.body_seen += 1
            if seen < faults.body_after or (faults.body_times is not None
                                            and seen >= faults.body_after + faults.body_times):
                return None
            self.stats["corrupted"] += 1
        return faults.body


# --- serialising (unique constraints) -------------------------------------------------------
def _serialized(self: FaultProxy) -> Any:
    """A context in which one request is forwarded and answered: with ``faults.serialize``,
    the proxy's one lock (requests wait for each other), else nothing."""
    if not self.faults.serialize:
        return contextlib.nullcontext()
    return self._serial


FaultProxy.serialized = _serialized  # type: ignore[attr-defined]
FaultProxy._serial = threading.Lock()  # type: ignore[attr-defined]


#: what a proxy or a captive portal answers in DynamoDB's place
HTML_PAGE = b"<html><head><title>Gateway</title></head><body><h1>Please sign in</h1></body></html>"

#: the field each operation's answer is read for
MAIN_FIELD = {"Query": "Items", "Scan": "Items", "BatchGetItem": "Responses", "BatchWriteItem": "UnprocessedItems",
              "TransactGetItems": "Responses", "DescribeTable": "Table",
              "UpdateItem": "Attributes"}


def corrupted(kind: str, operation: str, response: Dict[str, Any], payload: bytes) -> bytes:
    """``payload`` (the JSON of ``response``) broken as ``kind`` says."""
    if kind == "truncated":
        return payload[:max(len(payload) // 2, 1)] if len(payload) > 1 else b""
    if kind == "garbled":
        middle = len(payload) // 2
        return payload[:middle] + b"\x00\xff#garbled#" + payload[middle + 11:]
    if kind == "missing":
        return json.dumps({k: v for k, v in response.items() if k != MAIN_FIELD.get(operation)}).encode()
    raise ValueError(f"unknown body fault {kind!r}")
