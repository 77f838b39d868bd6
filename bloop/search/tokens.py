"""Search tokens: the position of an iteration as a JSON string, written
(:func:`encode_token`), read strictly (:func:`decode_token`), and tied to its search by
the search's :func:`fingerprint`."""
from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import json
import re
from typing import Any, Dict, NamedTuple, Optional

from .. import limits
from ..exceptions import InvalidSearch

__all__ = ["Token", "encode_token", "decode_token", "fingerprint", "TOKEN_VERSION", "MAX_TOKEN_LENGTH"]


#: the request parameters a token is tied to (see :attr:`Prepared.fingerprint`)
_FINGERPRINTED = ("IndexName", "KeyConditionExpression", "FilterExpression", "ProjectionExpression", "Select",
                  "ScanIndexForward", "ExpressionAttributeNames", "ExpressionAttributeValues", "Segment",
                  "TotalSegments")
_SETS = ("SS", "NS", "BS")


def _canonical(value: Any) -> Any:
    """JSON-ready, and the same in every process: bytes as base64, set elements sorted
    (a Python set's order changes with ``PYTHONHASHSEED``)."""
    if isinstance(value, dict):
        return {k: sorted(_canonical(v)) if k in _SETS and isinstance(v, list) else _canonical(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "b64:" + base64.b64encode(value).decode()
    return value


def fingerprint(request: Dict[str, Any], mode: str, model: Any) -> str:
    """The fingerprint of a rendered search (see :attr:`bloop.search.Prepared.fingerprint`)."""
    what = {name: request[name] for name in _FINGERPRINTED if name in request}
    what["bloop"] = [mode, model.__name__, model.Meta.table_name]
    text = json.dumps(_canonical(what), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Token(NamedTuple):
    """A decoded token: which search it continues, and where."""

    #: the :attr:`Prepared.fingerprint` of the search it was taken from
    search: str
    #: the ExclusiveStartKey to continue after, or None for the beginning
    start: Optional[Dict[str, Any]]
    #: what was left of the iterator's limit when it stopped before reaching it
    left: Optional[int]
    #: nothing follows the position
    end: bool


TOKEN_VERSION = 2
#: no token bloop makes is longer: a position holds at most four key attributes (a table's
#: and an index's hash and range keys, at most 2,048 + 1,024 bytes each, with names of at
#: most 255 bytes), written as JSON with \u escapes (six characters a byte at worst)
MAX_TOKEN_LENGTH = 64 * 1024
_TOKEN_FIELDS = {"v", "search", "key", "left", "end"}
_KEY_KINDS = {"S", "N", "B64"}
#: a number as DynamoDB writes one (Decimal() would also take "1_0", " 1" and "NaN")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def encode_token(search: str, start: Optional[Dict[str, Any]], left: Optional[int], end: bool) -> str:
    """The JSON text of a token; binary key values are written in base64."""
    key = None
    if start is not None:
        key = {}
        for name, wire in start.items():
            (kind, inner), = wire.items()
            key[name] = {"B64": base64.b64encode(inner).decode()} if kind == "B" else {kind: inner}
    return json.dumps({"v": TOKEN_VERSION, "search": search, "key": key, "left": left, "end": end},
                      separators=(",", ":"), sort_keys=True)


def decode_token(token: Any) -> Token:
    """Read a token strictly: anything but what :func:`encode_token` makes is refused.

    :raises InvalidSearch: with what is wrong; the search is not changed.
    """
    if not isinstance(token, str):
        raise InvalidSearch(f"a search token is the str of an iterator's token, not {type(token).__name__}")
    if len(token) > MAX_TOKEN_LENGTH:
        raise _bad(token, f"{len(token):,} characters, longer than any token bloop makes ({MAX_TOKEN_LENGTH:,})")
    try:
        data = json.loads(token, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, a 4,300-digit int, deep nesting
        raise _bad(token, f"not JSON: {type(error).__name__}: {error}") from None
    if not isinstance(data, dict):
        raise _bad(token, "not a JSON object")
    version = data.get("v")
    if type(version) is not int or version != TOKEN_VERSION:
        if type(version) is int and version == 1:
            raise _bad(token, "made by an earlier bloop (format 1), which could not tell a used-up limit "
                              "from the end of the search; start the search again")
        raise _bad(token, f"unknown format {version!r}")
    if set(data) != _TOKEN_FIELDS:
        raise _bad(token, f"its fields are {sorted(data)}, not {sorted(_TOKEN_FIELDS)}")
    search, left, end = data["search"], data["left"], data["end"]
    if not isinstance(search, str) or len(search) != 32 or search.strip("0123456789abcdef"):
        raise _bad(token, "its search is not a fingerprint")
    if left is not None and (type(left) is not int or left < 1):
        raise _bad(token, f"what is left of its limit is {left!r}, not a positive int or null")
    if type(end) is not bool:
        raise _bad(token, f"its end is {end!r}, not true or false")
    return Token(search, _decode_key(token, data["key"]), left, end)


def _decode_key(token: str, key: Any) -> Optional[Dict[str, Any]]:
    if key is None:
        return None
    if not isinstance(key, dict) or not 1 <= len(key) <= 4:
        raise _bad(token, "its position is not an object of one to four key attributes")
    start: Dict[str, Dict[str, Any]] = {}
    for name, wire in key.items():
        if not name or not _utf8(name) or len(name.encode()) > limits.MAX_KEY_ATTRIBUTE_NAME:
            raise _bad(token, f"its position has a key name DynamoDB cannot have: {name!r:.40}")
        if not isinstance(wire, dict) or len(wire) != 1:
            raise _bad(token, f"its position's {name!r:.40} is not one typed value")
        (kind, inner), = wire.items()
        if kind not in _KEY_KINDS or not isinstance(inner, str) or not inner or not _utf8(inner):
            raise _bad(token, f"its position's {name!r:.40} is not a non-empty S, N or B64 string")
        if kind == "N":
            if len(inner) > 100 or not _NUMBER.fullmatch(inner):
                raise _bad(token, f"its position's {name!r:.40} is not a number")
            start[name] = {"N": inner}
        elif kind == "B64":
            try:
                value = base64.b64decode(inner, validate=True)
            except (binascii.Error, ValueError):
                value = b""
            if not value:
                raise _bad(token, f"its position's {name!r:.40} is not base64 of a non-empty binary")
            start[name] = {"B": value}
        else:
            start[name] = {"S": inner}
    return start


def _same_value(one: Dict[str, Any], other: Optional[Dict[str, Any]]) -> bool:
    """Two key values are the same (numbers by value: DynamoDB returns "1.5" for a "1.50")."""
    if other is None or one.keys() != other.keys():
        return False
    (kind, a), = one.items()
    b = other[kind]
    return decimal.Decimal(a) == decimal.Decimal(b) if kind == "N" else a == b


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a \ud800 escape
        return False
    return True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _bad(token: str, why: str) -> InvalidSearch:
    return InvalidSearch(f"not a search token ({why}): {token!r:.80}")
