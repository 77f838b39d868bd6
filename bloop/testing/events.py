"""Lambda events from model objects: what AWS Lambda hands a DynamoDB-stream handler.

.. code-block:: python

    from bloop.testing import stream_event

    event = stream_event(inserted=[user], modified=[(before, after)], removed=[gone])
    handler(event, None)        # your Lambda function, as Lambda calls it

The event is the plain JSON Lambda sends (``{"Records": [...]}``, each record with
``eventID``, ``eventName``, ``eventSource``, ``awsRegion``, ``eventSourceARN`` and a
``dynamodb`` body of ``Keys``, ``NewImage`` / ``OldImage`` as the stream's view type
includes them, ``SequenceNumber``, ``SizeBytes``, ``StreamViewType`` and
``ApproximateCreationDateTime`` in epoch seconds); binary values are base64 text, as
Lambda has them.  :func:`bloop.stream.from_lambda` reads each record back into the
objects it was made from.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import itertools
import json
from typing import Any, Dict, Iterable, Optional, Tuple

from ..codec import dump_key, to_item
from ..exceptions import InvalidStream
from ..models import model_meta

__all__ = ["stream_event", "stream_record", "VIEWS"]

#: the stream view types, as a model's ``Meta.stream`` names them in ``StreamViewType``
VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
#: who DynamoDB names as the deleter of an item whose time to live passed
_TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
_EVENTS = ("INSERT", "MODIFY", "REMOVE")
_sequence = itertools.count(1)


def stream_event(inserted: Iterable[Any] = (), modified: Iterable[Tuple[Any, Any]] = (),
                 removed: Iterable[Any] = (), *, expired: Iterable[Any] = (), view: Optional[str] = None,
                 table_name: Optional[str] = None, region: str = "us-east-1",
                 created_at: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """A Lambda event of DynamoDB stream records, in this order: an ``INSERT`` for each
    object of ``inserted``, a ``MODIFY`` for each ``(old, new)`` pair of ``modified``, a
    ``REMOVE`` for each object of ``removed``, and a ``REMOVE`` by DynamoDB's time to live
    for each object of ``expired`` (its ``userIdentity`` names the service; see
    :attr:`bloop.stream.Record.expired`).  For another order, build the records with
    :func:`stream_record` and put them in ``{"Records": [...]}``.

    :param view: ``"KEYS_ONLY"``, ``"NEW_IMAGE"``, ``"OLD_IMAGE"`` or
        ``"NEW_AND_OLD_IMAGES"``; default: what each model's ``Meta.stream`` declares,
        or ``"NEW_AND_OLD_IMAGES"`` for a model without a stream.
    :param table_name: the table named in ``eventSourceARN``; default: the model's
        ``Meta.table_name`` (an engine's ``table_name_template`` is not applied).
    :param region: ``awsRegion`` and the ARN's region.
    :param created_at: ``ApproximateCreationDateTime`` of every record; default: now.
    :raises InvalidStream: an object is not of a model, a pair is not ``(old, new)``, or
        ``view`` is not one of the four.
    """
    options: Dict[str, Any] = {"view": view, "table_name": table_name, "region": region, "created_at": created_at}
    records = [stream_record("INSERT", new=obj, **options) for obj in inserted]
    for pair in modified:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InvalidStream(f"stream_event(modified=...) takes (old, new) pairs of objects, not {pair!r:.80}")
        records.append(stream_record("MODIFY", old=pair[0], new=pair[1], **options))
    records.extend(stream_record("REMOVE", old=obj, **options) for obj in removed)
    records.extend(stream_record("REMOVE", old=obj, expired=True, **options) for obj in expired)
    return {"Records": records}


def stream_record(event_name: str, old: Any = None, new: Any = None, *, view: Optional[str] = None,
                  expired: bool = False, table_name: Optional[str] = None, region: str = "us-east-1",
                  created_at: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """One record of a Lambda DynamoDB-stream event: ``"INSERT"`` (``new``), ``"MODIFY"``
    (``old`` and ``new``, of the same key) or ``"REMOVE"`` (``old``).  The options are
    :func:`stream_event`'s; ``expired`` marks a ``REMOVE`` made by the time to live.

    :raises InvalidStream: the objects do not fit the event name, are not of a model, or
        differ in their key.
    """
    if event_name not in _EVENTS:
        raise InvalidStream(f"stream_record: the event name is one of {', '.join(_EVENTS)}, not {event_name!r}")
    wanted = {"INSERT": (False, True), "MODIFY": (True, True), "REMOVE": (True, False)}[event_name]
    for name, obj, needed in (("old", old, wanted[0]), ("new", new, wanted[1])):
        if needed and obj is None:
            raise InvalidStream(f"stream_record: an {event_name} record needs the {name} object")
        if not needed and obj is not None:
            raise InvalidStream(f"stream_record: an {event_name} record has no {name} image; got {obj!r:.80}")
    if expired and event_name != "REMOVE":
        raise InvalidStream("stream_record: only a REMOVE record can be made by the time to live (expired=True)")
    shown = new if new is not None else old
    meta = model_meta(type(shown), concrete=True)
    if meta is None:
        raise InvalidStream(f"stream_record takes objects of a concrete model, not {shown!r:.80}")
    if view is None:
        view = meta.stream_view or "NEW_AND_OLD_IMAGES"
    if view not in VIEWS:
        raise InvalidStream(f"stream_record: view is one of {', '.join(VIEWS)}, not {view!r}")
    keys = dump_key(shown)
    if old is not None and new is not None and dump_key(old) != keys:
        raise InvalidStream(f"stream_record: a MODIFY record's old and new objects have one key; "
                            f"{old!r:.60} and {new!r:.60} differ")
    body: Dict[str, Any] = {
        "ApproximateCreationDateTime": _epoch(created_at),
        "Keys": _lambda_json(keys),
    }
    if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["NewImage"] = _lambda_json(to_item(new))
    if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["OldImage"] = _lambda_json(to_item(old))
    sequence = next(_sequence)
    body["SequenceNumber"] = f"{sequence:021d}"
    body["SizeBytes"] = len(json.dumps(body, separators=(",", ":")))
    body["StreamViewType"] = view
    table = table_name or meta.table_name
    record: Dict[str, Any] = {
        "eventID": hashlib.md5(f"{table}:{sequence}".encode(), usedforsecurity=False).hexdigest(),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
        "eventSourceARN": f"arn:aws:dynamodb:{region}:123456789012:table/{table}/stream/2020-01-01T00:00:00.000",
    }
    if expired:
        record["userIdentity"] = dict(_TTL_IDENTITY)
    return record


def _epoch(when: Optional[datetime.datetime]) -> int:
    if when is None:
        when = datetime.datetime.now(datetime.timezone.utc)
    elif not isinstance(when, datetime.datetime) or when.tzinfo is None:
        raise InvalidStream(f"created_at is an aware datetime, not {when!r}")
    return int(when.timestamp())


def _lambda_json(item: Dict[str, Any]) -> Dict[str, Any]:
    """A wire item as Lambda's JSON has it: binary values as base64 text."""
    return {name: _value(wire) for name, wire in item.items()}


def _value(wire: Dict[str, Any]) -> Dict[str, Any]:
    (kind, inner), = wire.items()
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "BS":
        return {"BS": [_b64(x) for x in inner]}
    if kind == "L":
        return {"L": [_value(x) for x in inner]}
    if kind == "M":
        return {"M": _lambda_json(inner)}
    if kind in ("SS", "NS"):
        return {kind: list(inner)}
    return wire


def _b64(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")
