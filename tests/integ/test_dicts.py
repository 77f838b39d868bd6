"""JSON data through DynamoDB and back: what a client sent is what a later read writes,
on every backend, with each engine."""
import json

import pytest

from bloop import from_json, to_dict, to_json
from tests.unit.test_dicts import Everything

pytestmark = pytest.mark.engines("sync", "async")

#: a value of every type, in its JSON form (a Decimal with 37 digits, an int beyond 64 bits); numbers
#: as DynamoDB normalises them ("1E+2" reads back as "100" from DynamoDB and dynalite)
SENT = {
    "id": "a", "text": "t\u00e9", "number": "0.1000000000000000000000000000000000001", "integer": 10 ** 37 + 1,
    "real": 1.1, "blob": "AP8=", "flag": False, "ident": "00000000-0000-0000-0000-000000000001",
    "when": "2024-05-01T12:00:00.000001+00:00", "ttl": "1969-12-31T23:59:59.500000+00:00", "color": "green",
    "doc": {"a": [1, None, "x"]}, "tags": ["a", "b"], "counts": [-3, 9, 10], "amounts": ["9.5", "10"],
    "blobs": ["AA==", "AQ=="], "days": ["2000-01-01T00:00:00.000000+00:00"],
    "lines": [{"sku": "x", "price": "100", "qty": 2}, {}], "address": {"city": "c", "geo": {"lat": 1.5}},
    "anything": {"n": 1, "s": "x", "l": [True, None, {"f": 2.5}]}, "many": [1, "two", [3]], "point": "1,2",
    "custom": "aGk=",
}


def test_json_data_survives_a_save_and_a_load(engine):
    engine.bind(Everything)
    engine.save(from_json(Everything, json.dumps(SENT).encode()))
    fresh = Everything(id="a")
    engine.load(fresh, consistent=True)
    assert to_dict(fresh) == SENT
    assert json.loads(to_json(fresh)) == SENT
