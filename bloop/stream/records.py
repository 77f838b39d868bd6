"""Stream records: one change to one item, with its images loaded as model objects.

The same :class:`Record` comes from :meth:`bloop.stream.Stream` iteration (records
as botocore returns them) and from :func:`from_lambda` (one record of the plain
JSON event AWS Lambda receives from a DynamoDB stream).  The two shapes differ in
two ways, both handled here: Lambda gives ``ApproximateCreationDateTime`` as epoch
seconds and binary values base64-encoded, botocore gives a datetime and bytes.
"""
from __future__ import annotations

import base64
import binascii
import datetime
from typing import Any, Dict, Iterator, Optional, Tuple

from ..codec import from_item, load_into
from ..entities import RawItem
from ..exceptions import InvalidStream
from ..models import model_meta

__all__ = ["Record", "from_lambda", "from_stream"]

#: who DynamoDB names as the deleter of an item whose time to live passed
_TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
_EVENTS = ("INSERT", "MODIFY", "REMOVE")


class Record:
    """One change to one item.

    :ivar event_name: ``"INSERT"``, ``"MODIFY"`` or ``"REMOVE"``.
    :ivar key: an object of the model holding only the key columns.
    :ivar old: the item before the change as an object of the model, when the stream
        includes old images (``Meta.stream = {"include": ["old", ...]}``) and there was one.
    :ivar new: the item after the change, when the stream includes new images and there is one.
    :ivar sequence_number: the record's position in its shard (a numeric string).
    :ivar created_at: when the change was made, approximately (a timezone-aware UTC datetime).
    :ivar event_id: DynamoDB's unique id of the record.
    :ivar shard_id: the shard the record was read from (None for a Lambda record).
    :ivar expired: the item was removed by DynamoDB because its time to live passed.
    :ivar raw: the record as it was received.
    """

    __slots__ = ("model", "event_name", "key", "old", "new", "sequence_number", "created_at", "event_id",
                 "shard_id", "expired", "raw")

    def __init__(self, model: Any, event_name: str, key: Any, old: Any, new: Any, sequence_number: str,
                 created_at: Optional[datetime.datetime], event_id: str, shard_id: Optional[str],
                 expired: bool, raw: Dict[str, Any]) -> None:
        self.model = model
        self.event_name = event_name
        self.key = key
        self.old = old
        self.new = new
        self.sequence_number = sequence_number
        self.created_at = created_at
        self.event_id = event_id
        self.shard_id = shard_id
        self.expired = expired
        self.raw = raw

    # bloop 3's records were dicts: record["new"], "{old} became {new}".format(**record)
    _KEYS = ("key", "old", "new", "meta")

    def keys(self) -> Tuple[str, ...]:
        return self._KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __getitem__(self, name: str) -> Any:
        if name in ("key", "old", "new"):
            return getattr(self, name)
        if name == "meta":
            return {"created_at": self.created_at, "sequence_number": self.sequence_number,
                    "event": {"id": self.event_id, "type": self.event_name.lower(),
                              "version": self.raw.get("eventVersion")}}
        raise KeyError(f"{name!r}: a record has the attributes event_name, key, old, new, created_at, "
                       "sequence_number, event_id, shard_id, expired and raw")

    def __repr__(self) -> str:
        return f"<Record {self.event_name} {self.key!r} seq={self.sequence_number}>"


def from_stream(model: Any, raw: Dict[str, Any], shard_id: Optional[str] = None) -> Optional[Record]:
    """A record from a DynamoDB Streams ``GetRecords`` response (botocore's shapes); None
    for a record the model does not read (see :func:`from_lambda`)."""
    return _record(model, raw, shard_id)


def from_lambda(model: Any, raw: Dict[str, Any]) -> Optional[Record]:
    """A record from one entry of a Lambda DynamoDB-stream event's ``"Records"`` list.

    Through a model of a family (several models in one table), each image is an object of
    the model its type value names, and ``key`` an object of the same model; a record whose
    images the model does not read is None (a unique constraint's guard item, an item of
    another type through a concrete model, an unknown type under ``Meta.unknown = "skip"``);
    under ``"raw"`` the images and the key of an unknown type are
    :class:`~bloop.entities.RawItem`.  A record with no image (a keys-only stream, or a
    ``REMOVE`` on a stream without old images) cannot tell: its key is an object of the
    family's base.

    .. code-block:: python

        from bloop.stream import from_lambda

        def handler(event, context):
            for raw in event["Records"]:
                record = from_lambda(User, raw)
                if record is not None and record.event_name == "REMOVE" and record.expired:
                    ...

    :raises InvalidStream: ``raw`` is not a DynamoDB stream record.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("dynamodb"), dict) or \
            raw.get("eventSource", "aws:dynamodb") != "aws:dynamodb":
        raise InvalidStream(f"not a DynamoDB stream record: {raw!r:.120}")
    return _record(model, raw, None)


def _record(model: Any, raw: Dict[str, Any], shard_id: Optional[str]) -> Optional[Record]:
    meta = model_meta(model, concrete=True)
    if meta is None:
        raise InvalidStream(f"records load into a concrete model, not {model!r}")
    body = raw.get("dynamodb") or {}
    event_name = raw.get("eventName", "")
    if event_name not in _EVENTS:
        raise InvalidStream(f"unknown stream event {event_name!r}")
    keys = _binary(body.get("Keys") or {})
    old = body.get("OldImage")
    new = body.get("NewImage")
    old = from_item(model, _binary(old)) if old else None
    new = from_item(model, _binary(new)) if new else None
    shown = new if new is not None else old
    if shown is None and (body.get("OldImage") or body.get("NewImage")):
        return None  # through a family: an item the model does not read (codec/family.py)
    if shown.__class__ is RawItem:
        key: Any = shown
    else:
        cls: Any = type(shown) if shown is not None else (
            meta.family.base if meta.family is not None else model)  # no image: a family's item of any type
        key = cls.__new__(cls)
        load_into(key, keys, cls.Meta.keys)
    return Record(
        model, event_name, key, old, new,
        body.get("SequenceNumber", ""),
        created_at(body.get("ApproximateCreationDateTime")),
        raw.get("eventID", ""), shard_id,
        event_name == "REMOVE" and raw.get("userIdentity") == _TTL_IDENTITY,
        raw)


def created_at(value: Any) -> Optional[datetime.datetime]:
    """``ApproximateCreationDateTime`` as an aware UTC datetime (epoch seconds or a datetime)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    raise InvalidStream(f"ApproximateCreationDateTime must be epoch seconds or a datetime, not {value!r}")


def _binary(item: Dict[str, Any]) -> Dict[str, Any]:
    """An item whose binary values are bytes (Lambda's JSON has them base64-encoded)."""
    return {name: _value(wire) for name, wire in item.items()}


def _value(wire: Dict[str, Any]) -> Dict[str, Any]:
    (kind, inner), = wire.items()
    if kind == "B" and isinstance(inner, str):
        return {"B": _b64(inner)}
    if kind == "BS":
        return {"BS": [_b64(x) if isinstance(x, str) else x for x in inner]}
    if kind == "L":
        return {"L": [_value(x) for x in inner]}
    if kind == "M":
        return {"M": _binary(inner)}
    return wire


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidStream(f"a binary value is not base64: {text!r:.40}") from error
