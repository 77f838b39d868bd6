"""Search tokens: the position of an iteration as a JSON string, written
(:func:`encode_token`), read strictly (:func:`decode_token`), and tied to its search by
the search's :func:`fingerprint`; and page tokens (:func:`seal_page_token`,
:func:`open_page_token`), the same position in URL-safe base64, signed with HMAC-SHA256
when the engine has a ``token_secret``."""
from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import hmac
import json
import re
from typing import Any, Dict, NamedTuple, Optional, Tuple

from .. import limits
from ..exceptions import InvalidConfiguration, InvalidSearch, InvalidType

__all__ = ["Token", "encode_token", "decode_token", "fingerprint", "TOKEN_VERSION", "MAX_TOKEN_LENGTH",
           "seal_page_token", "open_page_token", "token_secrets"]


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


class _Malformed(InvalidSearch):
    """A token that is not what bloop wrote; ``why`` says what is wrong."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


def _bad(token: str, why: str) -> InvalidSearch:
    return _Malformed(f"not a search token ({why}): {token!r:.80}", why)


# ---------------------------------------------------------------------------------------
# page tokens: what search.page() hands to a web API's clients

#: the secrets an engine signs page tokens with (the first) and accepts (any)
Secrets = Tuple[bytes, ...]
#: the shortest secret an engine takes (HMAC-SHA256 wants at least 32 bytes; 16 of a good
#: random source are still out of reach of a guess)
MIN_SECRET_LENGTH = 16
_PAGE_DOMAIN = b"bloop page token\x00"
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")
_PAGE_TOKEN = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?")


def token_secrets(secret: Any) -> Optional[Secrets]:
    """An engine's ``token_secret`` option checked: None, one secret, or several (signs with
    the first, accepts any: to rotate, put the new one first and drop the old one later).

    :raises InvalidType: a secret is not bytes (a str secret has no one encoding).
    :raises InvalidConfiguration: a secret is shorter than 16 bytes, or none is given.
    """
    if secret is None:
        return None
    many = list(secret) if isinstance(secret, (list, tuple)) else [secret]
    if not many:
        raise InvalidConfiguration("token_secret is an empty sequence: give bytes, several bytes, or None")
    for one in many:
        if not isinstance(one, (bytes, bytearray)):
            raise InvalidType(f"token_secret takes bytes (e.g. secrets.token_bytes(32)), not {type(one).__name__}")
        if len(one) < MIN_SECRET_LENGTH:
            raise InvalidConfiguration(f"a token_secret of {len(one)} bytes is too short to keep tokens from being "
                                       f"forged: give at least {MIN_SECRET_LENGTH} (secrets.token_bytes(32))")
    return tuple(bytes(one) for one in many)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not _URLSAFE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded URL-safe base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, _PAGE_DOMAIN + body.encode(), hashlib.sha256).digest())


def seal_page_token(search: str, start: Dict[str, Any], left: Optional[int], secrets: Optional[Secrets]) -> str:
    """A page token: the position (:func:`encode_token`) in URL-safe base64, and when the
    engine has secrets ``.`` and its HMAC-SHA256 with the first, also URL-safe base64."""
    body = _b64(encode_token(search, start, left, False).encode())
    return body if secrets is None else f"{body}.{_signature(secrets[0], body)}"


def open_page_token(token: Any, secrets: Optional[Secrets]) -> Token:
    """Read a page token: its signature checked (in constant time) first, then its position
    strictly (:func:`decode_token`).

    :raises InvalidSearch: with why, before anything is sent.
    """
    if not isinstance(token, str):
        raise InvalidSearch(f"a page token is the str of a page's token, not {type(token).__name__}")
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise _bad_page(token, f"{len(token):,} characters, longer than any page token bloop makes")
    if not _PAGE_TOKEN.fullmatch(token):
        raise _bad_page(token, "not URL-safe base64, with at most one '.' before a signature")
    body, dot, signature = token.partition(".")
    if secrets is not None:
        if not dot:
            raise _bad_page(token, "not signed, and this engine has a token_secret: it takes only tokens it signed")
        if not any(hmac.compare_digest(signature.encode(), _signature(secret, body).encode()) for secret in secrets):
            raise _bad_page(token, "its signature does not match: the token was altered, forged, or signed with "
                                   "another token_secret")
    elif dot:
        raise _bad_page(token, "signed, and this engine has no token_secret to check it with: give this engine "
                               "the token_secret of the engine that made it")
    try:
        text = _unb64(body).decode("utf-8")
    except ValueError as error:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise _bad_page(token, f"not URL-safe base64 of a position ({error})") from None
    try:
        return decode_token(text)
    except _Malformed as error:
        raise _bad_page(token, error.why) from None


#: a page token is the base64 (4/3) of a token, and a signature
MAX_PAGE_TOKEN_LENGTH = MAX_TOKEN_LENGTH * 4 // 3 + 64


def _bad_page(token: str, why: str) -> InvalidSearch:
    return InvalidSearch(f"not a page token of this search ({why}): {token!r:.80}")
