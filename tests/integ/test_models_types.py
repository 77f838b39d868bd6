"""What a model's types promise against a real endpoint, with each engine (sync and async).

- an Integer column refuses a stored fraction (written with a raw client) rather than
  truncating it, on every read path;
- text DynamoDB cannot store (a lone surrogate) is refused before any request;
- a user type's conversions run once per value per load, search and save;
- keys a ``Map`` does not declare are kept on load and written back unchanged, whatever
  the save (in place, a new dict, a batch, a transaction);
- a ``default`` that gives None leaves the column unset (a save does not remove it).
"""
import pytest

from bloop import BaseModel, Column, Integer, InvalidValue, List, Map, String
from bloop.conditions import size
from tests.unit.helpers import Counting

pytestmark = pytest.mark.engines("sync", "async")


class Tally(BaseModel):
    id = Column(String, hash_key=True)
    rank = Column(Integer, range_key=True)
    count = Column(Integer)
    name = Column(String)
    info = Column(Map(note=String, size=Integer))


# an Integer refuses a fraction ----------------------------------------------------------------

def test_an_integer_column_refuses_a_stored_fraction(engine, client):
    engine.bind(Tally)
    table = engine._table_name(Tally)
    client.put_item(TableName=table, Item={"id": {"S": "a"}, "rank": {"N": "1"}, "count": {"N": "2.5"}})
    client.put_item(TableName=table, Item={"id": {"S": "a"}, "rank": {"N": "2"},
                                           "info": {"M": {"size": {"N": "0.5"}}}})
    client.put_item(TableName=table, Item={"id": {"S": "b"}, "rank": {"N": "1"}, "count": {"N": "20E-1"}})

    reads = {
        "load": lambda: engine.load(Tally(id="a", rank=1)),
        "query": lambda: engine.query(Tally).key(Tally.id == "a").all(),
        "scan": lambda: engine.scan(Tally).all(),
        "projected query": lambda: engine.query(Tally).key(Tally.id == "a").project([Tally.count]).all(),
    }
    for what, read in reads.items():
        with pytest.raises(InvalidValue, match=r"Tally\.(count|info): cannot load .*whole number"):
            read()
    with pytest.raises(InvalidValue, match=r"Tally\.info: .*'0\.5' is not a whole number"):
        engine.load(Tally(id="a", rank=2))
    # a whole number in another form is an int
    loaded = Tally(id="b", rank=1)
    engine.load(loaded)
    assert loaded.count == 2 and type(loaded.count) is int
    # the stored fraction was never written back
    item = client.get_item(TableName=table, Key={"id": {"S": "a"}, "rank": {"N": "1"}})["Item"]
    assert item["count"] == {"N": "2.5"}


# lone surrogates --------------------------------------------------------------------------------

@pytest.mark.parametrize("act", [
    lambda engine: engine.save(Tally(id="a", rank=1, name="caf\u00e9 \ud800")),
    lambda engine: engine.save(Tally(id="\udc00", rank=1)),
    lambda engine: engine.save([Tally(id="a", rank=1), Tally(id="b", rank=1, info={"note": "\ud800"})]),
    lambda engine: engine.save(Tally(id="a", rank=1), condition=Tally.name == "\ud800"),
    lambda engine: engine.delete(Tally(id="a\ud800", rank=1)),
    lambda engine: engine.load(Tally(id="\ud800", rank=1)),
    lambda engine: engine.query(Tally).key(Tally.id == "\ud800").all(),
    lambda engine: engine.scan(Tally).filter(Tally.info["note"].begins_with("\udfff")).all(),
    lambda engine: engine.save(Tally(id="a", rank=1), condition=Tally.info["\ud800"].is_(None)),
    lambda engine: engine.save(Tally(id="a", rank=1), condition=size(Tally.info["\ud800"]) > 1),
], ids=["value", "key", "map in a batch", "condition", "delete key", "load key", "query key", "filter",
        "path key without a value", "path key in size"])
def test_a_lone_surrogate_is_refused_before_any_request(engine, requests, act):
    requests.clear()
    with pytest.raises(InvalidValue, match=r"Tally\.(id|name|info).*lone surrogate"):
        act(engine)
    assert requests.names() == []


# a user type converts each value once ------------------------------------------------------------

COUNT = Counting()


class Counted(BaseModel):
    id = Column(String, hash_key=True)
    one = Column(COUNT)
    many = Column(List(COUNT))
    other = Column(Integer)


def test_a_user_type_converts_each_value_once(engine):
    engine.bind(Counted)
    COUNT.dumps = COUNT.loads = 0
    engine.save(Counted(id="a", one=1, many=[2, 3], other=1))
    engine.save([Counted(id="b", one=4), Counted(id="c", many=[5])])
    assert (COUNT.dumps, COUNT.loads) == (5, 0)

    loaded = Counted(id="a")
    engine.load(loaded)
    assert (loaded.one, loaded.many) == (1, [2, 3])
    assert (COUNT.dumps, COUNT.loads) == (5, 3)

    assert sorted(obj.id for obj in engine.scan(Counted)) == ["a", "b", "c"]
    assert (COUNT.dumps, COUNT.loads) == (5, 8)

    # a save of the loaded object dumps each value at most once (the list, to see whether
    # it changed in place), and sync="new" loads each returned value once
    loaded.other = 2
    engine.save(loaded, sync="new")
    assert COUNT.dumps <= 5 + 3 and COUNT.loads == 8 + 3


# keys a Map does not declare ---------------------------------------------------------------------

class Addressed(BaseModel):
    id = Column(String, hash_key=True)
    name = Column(String)
    address = Column(Map(city=String, zip=String, geo=Map(lat=String)))
    stops = Column(List(Map(city=String)))


#: written by another program: keys (country, alt, raw, note) the model does not declare
STORED = {
    "address": {"M": {"city": {"S": "London"}, "country": {"S": "UK"},
                      "geo": {"M": {"lat": {"S": "51.5"}, "alt": {"N": "11"}, "raw": {"B": b"\x00\xff"}}}}},
    "stops": {"L": [{"M": {"city": {"S": "Oslo"}, "note": {"S": "ferry"}}}]},
}


def stored(client, engine, id):
    key = {"id": {"S": id}}
    return client.get_item(TableName=engine._table_name(Addressed), Key=key, ConsistentRead=True)["Item"]


def loaded(engine, client, id):
    client.put_item(TableName=engine._table_name(Addressed), Item={"id": {"S": id}, **STORED})
    obj = Addressed(id=id)
    engine.load(obj, consistent=True)
    assert obj.address == {"city": "London", "geo": {"lat": "51.5"}} and obj.stops == [{"city": "Oslo"}]
    return obj


def changed_city(obj):
    obj.address["city"] = "Paris"


def new_dict(obj):
    obj.address = {"city": "Paris", "geo": {"lat": "51.5"}}


def new_dicts_inside(obj):
    obj.address = {"city": "Paris", "geo": {"lat": "51.5", "extra": None}}
    obj.address["geo"].pop("extra")


def transaction(engine, objs):
    with engine.transaction() as tx:
        tx.save(*objs)


SAVES = [
    lambda engine, objs: [engine.save(obj) for obj in objs],
    lambda engine, objs: engine.save(objs),
    lambda engine, objs: engine.save(objs, sync="new"),
    transaction,
]


@pytest.mark.parametrize("change", [changed_city, new_dict, new_dicts_inside])
@pytest.mark.parametrize("save", SAVES, ids=["one each", "batch", "sync", "transaction"])
def test_undeclared_map_keys_are_kept_by_every_save(engine, client, backend_name, change, save):
    if save is SAVES[-1] and backend_name == "dynalite":
        pytest.skip("dynalite does not implement transactions (UnknownOperationException)")
    engine.bind(Addressed)
    objs = [loaded(engine, client, "a"), loaded(engine, client, "b")]
    for obj in objs:
        change(obj)
        obj.stops[0]["city"] = "Rome"
    save(engine, objs)
    for obj in objs:
        item = stored(client, engine, obj.id)
        assert item["address"] == {"M": {"city": {"S": "Paris"}, "country": {"S": "UK"}, "geo": {"M": {
            "lat": {"S": "51.5"}, "alt": {"N": "11"}, "raw": {"B": b"\x00\xff"}}}}}
        assert item["stops"] == {"L": [{"M": {"city": {"S": "Rome"}, "note": {"S": "ferry"}}}]}
        assert obj.address == {"city": "Paris", "geo": {"lat": "51.5"}}
    # and the next save, with nothing changed in the map, leaves it as it is
    objs[0].name = "x"
    engine.save(objs[0])
    assert stored(client, engine, "a")["address"]["M"]["country"] == {"S": "UK"}


def test_undeclared_map_keys_go_only_with_the_whole_attribute(engine, client):
    engine.bind(Addressed)
    obj = loaded(engine, client, "a")
    obj.address.clear()  # every declared key removed; the others are not bloop's to remove
    engine.save(obj)
    assert stored(client, engine, "a")["address"] == {"M": {"country": {"S": "UK"}}}
    obj.address = None
    engine.save(obj)
    assert "address" not in stored(client, engine, "a")


def test_an_undeclared_key_in_a_new_map_names_dynamic_map(engine, requests):
    engine.bind(Addressed)
    requests.clear()
    with pytest.raises(InvalidValue, match=r"Addressed\.address: 'country' is not a field of Map.*DynamicMap"):
        engine.save(Addressed(id="a", address={"city": "Paris", "country": "FR"}))
    assert requests.names() == []


# a default that gives None ------------------------------------------------------------------------

class Defaulted(BaseModel):
    id = Column(String, hash_key=True)
    name = Column(String)
    note = Column(String, default=lambda: None)  # bloop 3's "return missing", ported


def test_a_default_that_gives_none_leaves_the_column_unset(engine, client):
    engine.bind(Defaulted)
    table = engine._table_name(Defaulted)
    client.put_item(TableName=table, Item={"id": {"S": "a"}, "note": {"S": "kept"}})
    obj = Defaulted(id="a", name="x")
    assert obj.note is None and "note" not in obj.__dict__
    engine.save(obj)
    engine.save([Defaulted(id="a", name="y"), Defaulted(id="b", name="z")], sync="new")
    item = client.get_item(TableName=table, Key={"id": {"S": "a"}}, ConsistentRead=True)["Item"]
    assert item == {"id": {"S": "a"}, "name": {"S": "y"}, "note": {"S": "kept"}}
