"""DynamoDB's rules, enforced by bloop before sending: for each rule, the bad value is
refused with no request sent, and the value just inside the limit is accepted and
round-trips on every backend (docs/rules.rst lists them)."""
import decimal

import pytest

import bloop
import bloop.expressions
from bloop import (
    BaseModel, Column, DynamicMap, Engine, InvalidModel, InvalidSearch, InvalidValue, LimitExceeded,
    Number, RequestRejected, Set, String,
)


class Doc(BaseModel):
    class Meta:
        table_name = "docs"

    id = Column(String, hash_key=True)
    sort = Column(String, range_key=True)
    body = Column(String)
    amount = Column(Number)
    amounts = Column(Set(Number))
    tree = Column(DynamicMap)


@pytest.fixture
def docs(engine):
    engine.bind(Doc)
    return engine


def roundtrip(engine, obj):
    engine.save(obj)
    fresh = Doc(id=obj.id, sort=obj.sort)
    engine.load(fresh, consistent=True)
    return fresh


def refused(requests, error, action):
    requests.clear()
    with pytest.raises(error):
        action()
    assert requests.names() == [], "a request was sent"


def test_item_size(docs, requests, backend_name):
    overhead = len("id") + 1 + len("sort") + 1 + len("body")
    just_fits = Doc(id="a", sort="b", body="x" * (409_600 - overhead))
    too_big = Doc(id="a", sort="b", body="x" * (409_600 - overhead + 1))
    refused(requests, LimitExceeded, lambda: docs.save(too_big))
    refused(requests, LimitExceeded, lambda: docs.save([too_big, Doc(id="c", sort="d")]))
    if backend_name in ("moto", "moto_server"):
        # moto refuses valid items over ~405,000 bytes (see EMULATORS.md): bloop sends it,
        # and the emulator's refusal comes back as a bloop error.
        with pytest.raises(RequestRejected):
            docs.save(just_fits)
        just_fits.body = "x" * 400_000
    assert roundtrip(docs, just_fits).body == just_fits.body


def test_key_sizes(docs, requests):
    refused(requests, LimitExceeded, lambda: docs.save(Doc(id="h" * 2049, sort="s")))
    refused(requests, LimitExceeded, lambda: docs.save(Doc(id="h", sort="s" * 1025)))
    refused(requests, LimitExceeded, lambda: docs.load(Doc(id="h" * 2049, sort="s")))
    refused(requests, InvalidValue, lambda: docs.save(Doc(id="", sort="s")))
    refused(requests, InvalidValue, lambda: docs.save(Doc(id="h", sort="")))
    refused(requests, InvalidValue, lambda: docs.delete(Doc(id="", sort="s")))
    assert roundtrip(docs, Doc(id="h" * 2048, sort="s" * 1024, body="")).body == ""
    assert roundtrip(docs, Doc(id="é" * 1024, sort="s", body="x")).id == "é" * 1024  # 2048 bytes of UTF-8


@pytest.mark.parametrize("bad", ["1" * 39, "1E+126", "1E-131", "NaN", "Infinity", "-1E+126"])
def test_numbers_refused(docs, requests, bad):
    refused(requests, InvalidValue, lambda: docs.save(Doc(id="n", sort="s", amount=decimal.Decimal(bad))))


@pytest.mark.parametrize("good", ["9" * 38, "1E-130", "9.9999999999999999999999999999999999999E+125",
                                  "-1E-130", "0.1234567890123456789012345678901234567"])
def test_numbers_accepted(docs, good):
    obj = roundtrip(docs, Doc(id="n", sort=good[:20], amount=decimal.Decimal(good)))
    assert obj.amount == decimal.Decimal(good)


def test_sets(docs, requests):
    refused(requests, InvalidValue, lambda: docs.save(Doc(id="s", sort="s", amounts=[1, decimal.Decimal("1.0")])))
    refused(requests, InvalidValue, lambda: docs.save(Doc(id="s", sort="s", tree={"x": {1, "a"}})))
    assert roundtrip(docs, Doc(id="s", sort="s", amounts={1, decimal.Decimal("1.5")})).amounts == {1, 1.5}
    obj = Doc(id="s", sort="s", amounts=set())
    docs.save(obj)
    assert roundtrip(docs, obj).amounts is None


def nested(depth):
    tree = "leaf"
    for _ in range(depth - 1):  # the column itself is the first level
        tree = {"n": tree}
    return tree


def test_nesting_depth(docs, requests):
    refused(requests, LimitExceeded, lambda: docs.save(Doc(id="d", sort="s", tree=nested(33))))
    assert roundtrip(docs, Doc(id="d", sort="s", tree=nested(32))).tree == nested(32)


def test_expression_size_and_in_operands(docs, requests):
    docs.save(Doc(id="e", sort="s", body="b7"))
    values = [f"b{i}" for i in range(100)]
    query = docs.query(Doc).key(Doc.id == "e")
    refused(requests, LimitExceeded, lambda: query.filter(Doc.body.in_(values + ["x"])).all())
    assert [d.body for d in query.filter(Doc.body.in_(values))] == ["b7"]

    # The 4 KB limit is on the expression string (placeholders, not values).
    def ored(n):
        condition = bloop.Condition()
        for i in range(n):
            condition |= Doc.body == f"v{i}"
        return condition | (Doc.body == "b7")

    def size(condition):
        return len(bloop.expressions.Renderer().condition(condition))

    too_long, fits = ored(320), ored(250)
    assert size(too_long) > 4096 >= size(fits) > 3500
    refused(requests, LimitExceeded, lambda: query.filter(too_long).all())
    assert [d.body for d in query.filter(fits)] == ["b7"]


def test_attribute_and_table_names(client, prefix, requests):
    with pytest.raises(InvalidModel):
        class EmptyName(BaseModel):
            id = Column(String, hash_key=True, dynamo_name="")
    with pytest.raises(InvalidModel):
        class LongKeyName(BaseModel):
            id = Column(String, hash_key=True, dynamo_name="k" * 256)
    with pytest.raises(InvalidModel):
        class LongName(BaseModel):
            id = Column(String, hash_key=True)
            data = Column(String, dynamo_name="a" * 65536)

    class Names(BaseModel):
        class Meta:
            table_name = "n" * (255 - len(prefix))
        id = Column(String, hash_key=True, dynamo_name="k" * 255)
        data = Column(String, dynamo_name="a" * 65535)

    engine = Engine(client, table_name_template=prefix + "{table_name}")
    engine.bind(Names)
    obj = Names(id="x", data="y")
    engine.save(obj)
    fresh = Names(id="x")
    engine.load(fresh)
    assert fresh.data == "y"
    bad = Engine(client, table_name_template=prefix + "{table_name}!")
    refused(requests, InvalidModel, lambda: bad.bind(Names))
    short = Engine(client, table_name_template="{table_name}")

    class Ab(BaseModel):
        id = Column(String, hash_key=True)
    refused(requests, InvalidModel, lambda: short.bind(Ab))


def test_consistent_read_on_gsi_refused(engine, requests):
    from .models import User
    engine.bind(User)
    refused(requests, InvalidSearch, lambda: engine.query(User.by_email).key(User.email == "x").consistent.all())
    refused(requests, InvalidSearch, lambda: engine.scan(User.by_email).consistent.all())


def test_dynalite_returns_unprocessed_keys_past_1mb(docs, backend_name):
    """dynalite answers a BatchGetItem of more than ~1 MB with UnprocessedKeys: 60 objects
    of ~380 KB (~22 MB) all load."""
    if backend_name != "dynalite":
        pytest.skip("only dynalite returns UnprocessedKeys for real (moto never does)")
    objs = [Doc(id="big", sort=f"{i:03d}", body=chr(65 + i % 26) * 380_000) for i in range(60)]
    docs.save(objs)
    fresh = [Doc(id="big", sort=f"{i:03d}") for i in range(60)]
    docs.load(fresh)
    assert [d.body[0] for d in fresh] == [chr(65 + i % 26) for i in range(60)]
    assert all(len(d.body) == 380_000 for d in fresh)
