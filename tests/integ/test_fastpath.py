"""The fast response path against every backend: every type, binaries included, decodes to
exactly what botocore's own parsing gives, for every read and write that returns items.

Each test uses two clients on the same backend, one with bloop's fast path and one without
(whatever ``BLOOP_TEST_FAST_PATH`` says about the suite's ``client`` fixture).
"""
import boto3
import pytest

import bloop
from bloop import Binary, Column, Integer, String, fastpath
from bloop.session import make_client
from bloop.tracking import SNAPSHOT, snapshot

from .models import Everything, everything


class Blobs(bloop.BaseModel):
    """Binary keys: LastEvaluatedKey and UnprocessedKeys carry binaries too."""

    class Meta:
        table_name = "blobs"

    id = Column(Binary, hash_key=True)
    part = Column(Binary, range_key=True)
    n = Column(Integer)
    s = Column(String)


@pytest.fixture
def clients(backend):
    def make():
        return boto3.client("dynamodb", endpoint_url=backend["endpoint_url"], region_name="us-east-1")
    plain, fast = make(), make()
    fastpath.uninstall(plain)
    fastpath.install(fast)
    return plain, fast


@pytest.fixture
def engines(clients, prefix):
    plain, fast = clients
    template = prefix + "{table_name}"
    return bloop.Engine(plain, table_name_template=template), bloop.Engine(fast, table_name_template=template)


def state(obj):
    snapshot(obj)  # made from the loaded values, as a save would
    values = dict(obj.__dict__)
    return values, values.pop(SNAPSHOT, None)


def without_metadata(response):
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return response


def test_every_type_decodes_identically(engines):
    plain, fast = engines
    plain.bind(Everything)
    fast.bind(Everything)
    objs = [everything(), everything(binary=b"", blobs={b"\x00", b"\xff" * 10}, anything={"b": {b"q"}}),
            everything(things=[b"raw", {"m": [b"\x01"]}], string="\u00e9\U0001f600")]
    plain.save(objs)
    for read in ("load", "query", "scan"):
        results = []
        for engine in (plain, fast):
            if read == "load":
                fresh = [Everything(id=obj.id) for obj in objs]
                engine.load(fresh)
            elif read == "query":
                fresh = [engine.query(Everything).key(Everything.id == obj.id).one() for obj in objs]
            else:
                fresh = sorted(engine.scan(Everything), key=lambda o: str(o.id))
            results.append([state(obj) for obj in sorted(fresh, key=lambda o: str(o.id))])
        assert results[0] == results[1], read
    loaded = [Everything(id=obj.id) for obj in objs]
    fast.load(loaded)
    for obj, back in zip(objs, loaded):
        assert back.binary == obj.binary and back.blobs == obj.blobs and back.things == obj.things


def test_writes_that_return_items_decode_identically(engines):
    plain, fast = engines
    plain.bind(Everything)
    fast.bind(Everything)
    same_id = everything().id
    synced = []
    for engine in (plain, fast):  # one after the other, on the same item
        obj = everything(id=same_id)
        engine.save(obj)
        obj.binary = b"\x10\x20"
        obj.ints = [9]
        engine.save(obj, sync="new")
        new = state(obj)
        engine.delete(obj, sync="old")
        synced.append((new, state(obj)))
    assert synced[0] == synced[1]
    assert synced[1][0][0]["binary"] == b"\x10\x20"


def test_raw_responses_are_identical(clients, engines):
    plain_client, fast_client = clients
    plain, _ = engines
    plain.bind(Blobs)
    table = plain._table_name(Blobs)
    objs = [Blobs(id=b"\x00key", part=bytes([i]), n=i, s="x" * 300) for i in range(30)]
    plain.save(objs)
    key = {"id": {"B": b"\x00key"}, "part": {"B": b"\x05"}}
    other = {"id": {"B": b"\x00key"}, "part": {"B": b"\x06"}}
    calls = [
        ("get_item", {"TableName": table, "Key": key}),
        ("query", {"TableName": table, "KeyConditionExpression": "id = :h",
                   "ExpressionAttributeValues": {":h": {"B": b"\x00key"}}, "Limit": 7}),
        ("scan", {"TableName": table, "Limit": 5}),
        ("batch_get_item", {"RequestItems": {table: {"Keys": [key, other]}}}),
        ("update_item", {"TableName": table, "Key": key, "UpdateExpression": "SET #b = :b",
                         "ExpressionAttributeNames": {"#b": "blob"},
                         "ExpressionAttributeValues": {":b": {"BS": [b"\x01", b"\x02"]}},
                         "ReturnValues": "ALL_NEW"}),
        ("put_item", {"TableName": table, "Item": {**key, "n": {"N": "5"}, "blob": {"B": b"\xff"}},
                      "ReturnValues": "ALL_OLD"}),
    ]
    for method, request in calls:
        getattr(plain_client, method)(**request)  # writes settle first: then both see the same item
        plain_response = without_metadata(getattr(plain_client, method)(**request))
        fast_response = without_metadata(getattr(fast_client, method)(**request))
        if method == "batch_get_item":
            for response in (plain_response, fast_response):
                response["Responses"][table].sort(key=lambda item: item["part"]["B"])
        assert fast_response == plain_response, method
        if method == "update_item":
            assert fast_response["Attributes"]["blob"] == {"BS": [b"\x01", b"\x02"]}


def test_errors_are_botocore_s(clients, engines):
    plain, fast = engines
    plain.bind(Blobs)
    obj = Blobs(id=b"k", part=b"p", n=1)
    plain.save(obj)
    for engine in engines:
        with pytest.raises(bloop.ConstraintViolation) as excinfo:
            engine.save(Blobs(id=b"k", part=b"p", n=2), condition=Blobs.n == 5)
        assert excinfo.value.old is None or excinfo.value.old.n == 1
        with pytest.raises(bloop.BatchIncomplete) as excinfo:
            bloop.Engine(engine.session.dynamodb, table_name_template="missing-{table_name}").load(
                Blobs(id=b"k", part=b"p"))
        assert isinstance(excinfo.value.__cause__, bloop.TableNotFound)


def test_requests_encoded_on_the_fast_path(backend, engines, prefix):
    """A client made as bloop makes it outside the test suite (botocore's validation off):
    the item requests are encoded by the fast path and each backend takes them."""
    plain, _ = engines
    client = make_client(endpoint_url=backend["endpoint_url"], region_name="us-east-1", validate=False)
    engine = bloop.Engine(client, table_name_template=prefix + "{table_name}")
    engine.bind(Blobs)
    objs = [Blobs(id=b"\x00req", part=bytes([i]), n=i, s="\u00e9" * i) for i in range(40)]
    engine.save(objs)  # BatchWriteItem
    single = Blobs(id=b"\x00one", part=b"\xff", n=1)
    engine.save(single)  # UpdateItem
    single.n = 2
    engine.save(single, condition=Blobs.n == 1, sync="new")
    fresh = [Blobs(id=obj.id, part=obj.part) for obj in objs + [single]]
    engine.load(fresh)  # BatchGetItem
    check = [Blobs(id=obj.id, part=obj.part) for obj in objs + [single]]
    plain.load(check)
    assert [state(obj) for obj in fresh] == [state(obj) for obj in check]
    assert fresh[-1].n == 2 and fresh[5].s == "\u00e9" * 5
    engine.delete(objs[:10])  # BatchWriteItem of deletes
    engine.delete(single, condition=Blobs.n == 2)  # DeleteItem
    assert sorted(o.part for o in plain.scan(Blobs)) == sorted(o.part for o in objs[10:])
    if backend["name"] != "dynalite":  # dynalite has no transactions
        with engine.transaction() as tx:  # TransactWriteItems
            tx.save(Blobs(id=b"\x00tx", part=b"\x01", n=7))
        read = Blobs(id=b"\x00tx", part=b"\x01")
        with engine.transaction(mode="r") as tx:  # TransactGetItems
            tx.load(read)
        assert read.n == 7
