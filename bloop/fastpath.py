"""The fast response path: DynamoDB's JSON read straight into response dicts.

A botocore client parses every response by walking the operation's output
shape, value by value: for a page of items that walk costs about ten times the
HTTP exchange and the JSON decoding together.  bloop needs none of it, because
its codecs read the wire format (``{"S": "..."}``) themselves.

:func:`install` registers one handler on a client's ``before-parse`` events
(botocore's documented event system, through the public ``client.meta.events``)
for the item operations.  For a successful response (HTTP status below 300) the
handler decodes the body with ``orjson`` (the ``json`` module when orjson is not
installed), base64-decodes binary values (``B`` and ``BS``, as botocore does),
hands the result to botocore as its ``customized_response_dict`` and leaves
botocore an empty object (``{}``) to walk.  botocore still signs, sends, retries (the
CRC32 check of DynamoDB responses reads the HTTP body, which is untouched),
adds ``ResponseMetadata``, and parses every error response itself.  A body the
handler cannot read (cut short, garbled, not JSON) is never accepted: it is left
as it was, for bloop's response check (:func:`bloop.session.install_checks`),
which has botocore retry it and then raises.  The cyclic collector is paused
while a body is decoded, and only then.

Requests take a fast path too, on clients made with botocore's parameter
validation off (the clients bloop creates; see :func:`bloop.session.make_client`): for
the item operations, whose requests bloop built and checked itself, the last
``before-parameter-build`` handler (after botocore's own, which fill in idempotency
tokens, and after a ``Stubber``'s) encodes the request with orjson (binary values
base64-encoded, as botocore does) and leaves botocore's serializer a stand-in with
only the table names (which endpoint resolution reads); a ``before-call`` handler
then puts the encoded body in place.  A request orjson cannot encode exactly as
botocore would (anything but plain dicts, lists, strings, numbers, booleans and
bytes) is left to botocore whole.

Clients that bloop creates get the fast path; an injected client gets it with
``Engine(client, fast_path=True)`` or ``bloop.fastpath.install(client)``.
"""
from __future__ import annotations

import base64
import binascii
import gc
import json
import re
import weakref
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

__all__ = ["install", "uninstall", "installed", "OPERATIONS", "REQUEST_OPERATIONS", "decode", "encode"]

_UNIQUE = "bloop-fast-path-"
#: a "B" or "BS" tag somewhere in a body (one scan; most bodies have none)
_BINARY_TAG = re.compile(rb'"BS?"')
_loads: Optional[Callable[[bytes], Any]] = None
_installed: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _json_loads() -> Callable[[bytes], Any]:
    """orjson's ``loads`` if it is installed (``pip install bloop[fast]``), else json's."""
    global _loads
    if _loads is None:
        try:
            import orjson
            _loads = orjson.loads
        except ImportError:  # pragma: no cover - depends on the environment
            _loads = json.loads
    return _loads


# ---------------------------------------------------------------------------------------
# binary values: where each operation's response holds attribute values

def _value(value: Dict[str, Any]) -> None:
    if "B" in value:
        value["B"] = base64.b64decode(value["B"])
    elif "BS" in value:
        value["BS"] = [base64.b64decode(x) for x in value["BS"]]
    elif "L" in value:
        for element in value["L"]:
            _value(element)
    elif "M" in value:
        _item(value["M"])


def _item(item: Optional[Dict[str, Any]]) -> None:
    if item:
        for value in item.values():
            _value(value)


def _items(items: Any) -> None:
    for item in items or ():
        _item(item)


def _collection_metrics(metrics: Any) -> None:
    if isinstance(metrics, dict) and "ItemCollectionKey" in metrics:
        _item(metrics["ItemCollectionKey"])
    elif isinstance(metrics, dict):  # BatchWriteItem, TransactWriteItems: per table
        for per_table in metrics.values():
            for one in per_table:
                _item(one.get("ItemCollectionKey"))


def _search(response: Dict[str, Any]) -> None:
    _items(response.get("Items"))
    _item(response.get("LastEvaluatedKey"))


def _get(response: Dict[str, Any]) -> None:
    _item(response.get("Item"))


def _batch_get(response: Dict[str, Any]) -> None:
    for items in (response.get("Responses") or {}).values():
        _items(items)
    for request in (response.get("UnprocessedKeys") or {}).values():
        _items(request.get("Keys"))


def _write(response: Dict[str, Any]) -> None:
    _item(response.get("Attributes"))
    _collection_metrics(response.get("ItemCollectionMetrics"))


def _batch_write(response: Dict[str, Any]) -> None:
    for writes in (response.get("UnprocessedItems") or {}).values():
        for write in writes:
            _item((write.get("PutRequest") or {}).get("Item"))
            _item((write.get("DeleteRequest") or {}).get("Key"))
    _collection_metrics(response.get("ItemCollectionMetrics"))


def _transact_get(response: Dict[str, Any]) -> None:
    for one in response.get("Responses") or ():
        _item(one.get("Item"))


def _transact_write(response: Dict[str, Any]) -> None:
    _collection_metrics(response.get("ItemCollectionMetrics"))


#: the operations read on the fast path, each with the function that decodes the
#: binary values of its response in place
OPERATIONS: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "GetItem": _get,
    "Query": _search,
    "Scan": _search,
    "BatchGetItem": _batch_get,
    "PutItem": _write,
    "UpdateItem": _write,
    "DeleteItem": _write,
    "BatchWriteItem": _batch_write,
    "TransactGetItems": _transact_get,
    "TransactWriteItems": _transact_write,
}


def _loads_paused(body: bytes) -> Any:
    """The JSON of ``body``, decoded with the cyclic collector paused: a page of items is
    tens of thousands of dicts that all survive, which the collector would walk again and
    again (see :func:`bloop.codec.paused_gc`).  Only the decoding is paused, never a wait
    on the network."""
    loads = _json_loads()
    if not gc.isenabled():
        return loads(body)
    gc.disable()
    try:
        return loads(body)
    finally:
        gc.enable()


def decode(operation: str, body: bytes) -> Optional[Dict[str, Any]]:
    """The response dict of a successful ``operation`` from its JSON ``body``, or None
    when this path does not read it (then botocore parses the body as usual)."""
    binaries = OPERATIONS.get(operation)
    if binaries is None or not body:
        return None
    try:
        parsed = _loads_paused(body)
        if not isinstance(parsed, dict):
            return None
        # Binary values are rare: skip the walk unless a "B" or "BS" tag can be in the body.
        if _BINARY_TAG.search(body) is not None:
            binaries(parsed)
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error):
        return None
    return parsed


def _before_parse(operation_model: Any = None, response_dict: Any = None,
                  customized_response_dict: Any = None, **_: Any) -> None:
    """botocore's ``before-parse`` event for one of :data:`OPERATIONS`."""
    if response_dict is None or customized_response_dict is None or operation_model is None:
        return
    if response_dict.get("status_code", 500) >= 300:
        return  # errors are botocore's to parse
    body = response_dict.get("body")
    if not isinstance(body, (bytes, bytearray)):
        return
    parsed = decode(operation_model.name, bytes(body))
    if parsed is None:
        return
    customized_response_dict.update(parsed)
    # botocore parses what is left (nothing: an empty object, which bloop's response check
    # reads as the valid answer it was) and merges customized_response_dict over it
    response_dict["body"] = b"{}"


# ---------------------------------------------------------------------------------------
# requests

#: the operations whose requests are encoded on the fast path
REQUEST_OPERATIONS = frozenset(["BatchWriteItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem",
                                "GetItem", "TransactWriteItems", "TransactGetItems"])
_BODY = "bloop_fast_path_body"
_dumps: Optional[Callable[..., bytes]] = None
_OPTIONS = 0


def _base64(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_dumps() -> Optional[Callable[..., bytes]]:
    global _dumps
    if _dumps is None:
        try:
            import orjson
        except ImportError:  # pragma: no cover - depends on the environment
            return None
        _dumps = orjson.dumps
        global _OPTIONS
        _OPTIONS = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME | \
            orjson.OPT_PASSTHROUGH_DATACLASS
    return _dumps


def encode(params: Dict[str, Any]) -> Optional[bytes]:
    """The JSON body botocore would send for ``params`` (binary values in base64), or None."""
    dumps = _json_dumps()
    if dumps is None:
        return None
    try:
        # subclasses, datetimes and dataclasses go to _base64, which refuses them: botocore's
        # serializer would treat them differently from orjson
        return dumps(params, default=_base64, option=_OPTIONS)
    except (TypeError, ValueError):
        return None


def _stand_in(params: Dict[str, Any]) -> Dict[str, Any]:
    """What botocore's serializer and endpoint rules see: the table names, no items."""
    stand_in: Dict[str, Any] = {}
    if "TableName" in params:
        stand_in["TableName"] = params["TableName"]
    if isinstance(params.get("RequestItems"), dict):
        stand_in["RequestItems"] = {table: {} if isinstance(value, dict) else []
                                    for table, value in params["RequestItems"].items()}
    return stand_in


def _before_parameter_build(params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
    """botocore's ``before-parameter-build`` event, last: encode the request, leave a stand-in."""
    if model is None or model.name not in REQUEST_OPERATIONS or not isinstance(params, dict) \
            or context is None:
        return
    body = encode(params)
    if body is None:
        return
    context[_BODY] = body
    stand_in = _stand_in(params)
    params.clear()
    params.update(stand_in)


def _before_call(params: Any = None, context: Any = None, **_: Any) -> None:
    """botocore's ``before-call`` event: the encoded request replaces the stand-in's body."""
    if context is not None and _BODY in context:
        params["body"] = context.pop(_BODY)


def _service_id(client: Any) -> str:
    model = client.meta.service_model
    if model.service_name != "dynamodb":
        raise ValueError(f"the fast path reads DynamoDB responses, not {model.service_name}")
    return "dynamodb"


def _handlers(service: str, requests: bool) -> Iterator[Tuple[str, Callable[..., Any], str]]:
    """(event, handler, unique id) of every handler of the fast path, responses first."""
    for operation in OPERATIONS:
        yield f"before-parse.{service}.{operation}", _before_parse, _UNIQUE + operation
    if requests:
        yield _PARAMETER_BUILD, _before_parameter_build, _UNIQUE + "params"
        for operation in REQUEST_OPERATIONS:
            yield f"before-call.{service}.{operation}", _before_call, _UNIQUE + "call-" + operation


#: the one event handled on its plain name (see install)
_PARAMETER_BUILD = "before-parameter-build"


def install(client: Any, *, requests: bool = False) -> Any:
    """Read ``client``'s item responses on the fast path; returns the client.  Idempotent.

    :param requests: also encode requests on the fast path, for a client made with
        botocore's parameter validation off (with validation on, botocore's own
        serializer must see the real request to validate it).
    """
    service = _service_id(client)
    _json_loads()
    events = client.meta.events
    for event, handler, unique_id in _handlers(service, requests and _json_dumps() is not None):
        if event == _PARAMETER_BUILD:
            # Handlers of less specific events run later: registered last on the plain event
            # name, this one runs after every other handler of the client's before-parameter-build.
            events.register_last(event, handler, unique_id=unique_id)
        else:
            events.register(event, handler, unique_id=unique_id)
    _installed.add(client)
    return client


def uninstall(client: Any) -> Any:
    """Back to botocore's own parsing and serializing for ``client``; returns the client."""
    events = client.meta.events
    for event, handler, unique_id in _handlers(_service_id(client), requests=True):
        events.unregister(event, handler, unique_id=unique_id)
    _installed.discard(client)
    return client


def installed(client: Any) -> bool:
    """Whether ``client`` reads its item responses on the fast path."""
    return client in _installed
