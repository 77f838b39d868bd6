"""A fault-injecting DynamoDB endpoint: an HTTP proxy on 127.0.0.1 in front of a server.

It forwards every request to the real backend (a moto server) but can:

- answer ``BatchWriteItem`` having forwarded only part of the writes, returning the
  rest as ``UnprocessedItems`` (and ``BatchGetItem``: ``UnprocessedKeys``), as
  DynamoDB does under load;
- never drain (forward nothing, return everything as unprocessed);
- throttle every n-th request with ``ProvisionedThroughputExceededException``,
  which botocore retries by itself;
- delay every request (for concurrency tests);
- answer 200 with a body that is not DynamoDB's (see "Body faults" below): cut short,
  garbled, a proxy's HTML page, or valid JSON without the operation's main field,
  once or persisting.

Nothing here is mocked: botocore signs, sends and parses real HTTP, and the
backend stores what it was sent.  The proxy counts what it did in ``stats``.
"""
from __future__ import annotations

import json
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
        self.body_faults()

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
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
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
            if faults.never_drain:
                cut = 0
            else:
                cut = len(items) - int(len(items) * faults.unprocessed_fraction)
                cut = max(cut, 1) if items else 0  # always make progress
            keep, hold = items[:cut], items[cut:]
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
