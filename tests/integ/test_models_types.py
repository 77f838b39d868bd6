"""What a model's types promise against a real endpoint, with each engine (sync and async).

- an Integer column refuses a stored fraction (written with a raw client) rather than
  truncating it, on every read path;
- text DynamoDB cannot store (a lone surrogate) is refused before any request;
- a user type's conversions run once per value per load, search and save.
"""
import pytest

from bloop import BaseModel, Column, Integer, InvalidValue, List, Map, String, Type

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
], ids=["value", "key", "map in a batch", "condition", "delete key", "load key", "query key", "filter"])
def test_a_lone_surrogate_is_refused_before_any_request(engine, requests, act):
    requests.clear()
    with pytest.raises(InvalidValue, match=r"Tally\.(id|name|info).*lone surrogate"):
        act(engine)
    assert requests.names() == []


# a user type converts each value once ------------------------------------------------------------

class Counting(Type):
    """Ints stored as strings, counting every conversion."""
    python_type = int
    backing_type = "S"

    def __init__(self):
        self.dumps = self.loads = 0

    def dynamo_dump(self, value, *, context=None):
        self.dumps += 1
        return str(value)

    def dynamo_load(self, value, *, context=None):
        self.loads += 1
        return int(value)


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
