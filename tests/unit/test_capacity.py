"""What each request costs: consumed capacity totalled on the engine and sent with the
``capacity_consumed`` signal (bloop.capacity), and progress of bulk save, load and delete
(bloop.operations.BatchProgress), on a real engine over a fake transport that checks every
request against botocore's service model."""
import asyncio

import pytest

from bloop import BaseModel, Column, GlobalSecondaryIndex, Integer, String, signals
from bloop.aio import AsyncEngine
from bloop.capacity import Capacity, Key, Units, consumed
from bloop.exceptions import BatchIncomplete, InvalidType
from bloop.operations import BatchProgress
from tests.unit.fakes import AsyncFakeTransport, FakeClock, fake_engine
from tests.unit.helpers import dynamodb_client


class Song(BaseModel):
    class Meta:
        table_name = "songs"

    id = Column(String, hash_key=True)
    artist = Column(String)
    plays = Column(Integer)
    by_artist = GlobalSecondaryIndex(projection="keys", hash_key="artist")


class Take(BaseModel):
    class Meta:
        table_name = "takes"

    id = Column(String, hash_key=True)
    v = Column(Integer, version=True)


def counted(answers=(), **options):
    engine = fake_engine(answers, capacity=True, **options)
    engine.bind(Song, skip_table_setup=True)
    engine.bind(Take, skip_table_setup=True)
    return engine


def song_capacity(total, table=None, **indexes):
    entry = {"TableName": "prefix-songs", "CapacityUnits": total}
    if table is not None:
        entry["Table"] = {"CapacityUnits": table}
    if indexes:
        entry["GlobalSecondaryIndexes"] = {name: {"CapacityUnits": units} for name, units in indexes.items()}
    return entry


# ---------------------------------------------------------------------------------------
# capacity

def test_every_request_that_takes_it_asks_for_capacity_and_it_is_totalled():
    engine = counted([
        {"ConsumedCapacity": song_capacity(2.0, table=1.0, by_artist=1.0)},  # update_item
        {"Items": [{"id": {"S": "s1"}, "artist": {"S": "a"}}], "Count": 1,
         "ConsumedCapacity": song_capacity(0.5, table=0.0, by_artist=0.5)},  # query of the index
        {"Responses": {"prefix-songs": [{"id": {"S": "s1"}}]},
         "ConsumedCapacity": [song_capacity(0.5)]},  # batch_get_item: no breakdown
    ])
    engine.save(Song(id="s1", artist="a", plays=1))
    found = engine.query(Song.by_artist, key=Song.artist == "a").all()
    assert [song.id for song in found] == ["s1"]
    engine.load(Song(id="s1"))
    assert [request["ReturnConsumedCapacity"] for _, request in engine.transport.requests] == ["INDEXES"] * 3
    capacity = engine.capacity
    assert capacity.total == Units(read=1.0, write=2.0, total=3.0)
    assert capacity.requests == 3
    assert capacity.rows() == {
        Key(Song, "prefix-songs", None, "update_item"): Units(0.0, 1.0, 1.0),
        Key(Song, "prefix-songs", "by_artist", "update_item"): Units(0.0, 1.0, 1.0),
        Key(Song, "prefix-songs", None, "query"): Units(0.0, 0.0, 0.0),
        Key(Song, "prefix-songs", "by_artist", "query"): Units(0.5, 0.0, 0.5),
        Key(Song, "prefix-songs", None, "batch_get_item"): Units(0.5, 0.0, 0.5),
    }
    assert capacity.by_model() == {Song: Units(1.0, 2.0, 3.0)}
    assert capacity.by_operation()["query"] == Units(0.5, 0.0, 0.5)
    assert capacity.by_table()[("prefix-songs", "by_artist")] == Units(0.5, 1.0, 1.5)
    capacity.reset()
    assert capacity.total == Units() and capacity.rows() == {} and capacity.requests == 0


def test_batches_and_transactions_report_a_list_and_read_and_write_units_apart():
    engine = counted([
        {"UnprocessedItems": {}, "ConsumedCapacity": [song_capacity(3.0)]},
        {"ConsumedCapacity": [{"TableName": "prefix-takes", "CapacityUnits": 6.0, "ReadCapacityUnits": 2.0,
                               "WriteCapacityUnits": 4.0}]},
    ])
    engine.save([Song(id="a"), Song(id="b"), Song(id="c")])
    with engine.transaction() as tx:
        tx.save(Take(id="t1"))
    assert engine.transport.requests[1][1]["ReturnConsumedCapacity"] == "INDEXES"
    assert engine.capacity.by_model() == {Song: Units(0.0, 3.0, 3.0), Take: Units(2.0, 4.0, 6.0)}
    assert engine.capacity.total == Units(2.0, 7.0, 9.0)


class Shop(BaseModel):
    class Meta:
        table_name = "shop"

    pk = Column(String, hash_key=True)
    kind = Column(String, discriminator=True)


class Customer(Shop, discriminator="customer"):
    name = Column(String)


def test_a_table_counts_under_its_model_its_family_base_or_none():
    assert consumed("scan", {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 2}}) == \
        [("t", None, Units(2.0, 0.0, 2.0), Units(2.0, 0.0, 2.0))]
    shop = {"TableName": "prefix-shop", "CapacityUnits": 1.0}
    engine = fake_engine([{"ConsumedCapacity": song_capacity(1.0)}, {"ConsumedCapacity": shop}], capacity=True)
    engine.save(Song(id="s1"))  # not bound: the model it was named for
    engine.bind(Shop, skip_table_setup=True)  # Shop and Customer share a table: their family's base
    engine.save(Customer(pk="c1", name="Ann"))
    assert engine.capacity.by_model() == {Song: Units(0.0, 1.0, 1.0), Shop: Units(0.0, 1.0, 1.0)}
    # two models of no one family in one table: counted under None
    engine = fake_engine([{"ConsumedCapacity": {"TableName": "one", "CapacityUnits": 1.0}}] * 2, capacity=True,
                         table_name_template=lambda model: "one")
    engine.save(Song(id="s1"))
    engine.save(Take(id="t1"))
    assert engine.capacity.by_model() == {Song: Units(0.0, 1.0, 1.0), None: Units(0.0, 1.0, 1.0)}


def test_without_the_option_nothing_is_asked_and_there_is_no_capacity():
    engine = fake_engine([{}])
    engine.save(Song(id="s1"))
    assert "ReturnConsumedCapacity" not in engine.transport.requests[0][1]
    assert engine.capacity is None


def test_a_search_asks_each_time_without_changing_its_prepared_request():
    page = {"Items": [], "Count": 0, "ConsumedCapacity": song_capacity(0.5)}
    engine = counted([page, page])
    search = engine.scan(Song)
    search.all()
    search.all()
    assert [request.get("ReturnConsumedCapacity") for _, request in engine.transport.requests] == ["INDEXES"] * 2
    assert engine.capacity.total == Units(1.0, 0.0, 1.0)


def test_the_option_is_checked():
    with pytest.raises(InvalidType, match="capacity must be True or False"):
        fake_engine(capacity="yes")


def test_each_response_is_sent_with_the_capacity_consumed_signal():
    engine = counted([{"ConsumedCapacity": song_capacity(2.0, table=1.0, by_artist=1.0)}])
    heard = []

    def receiver(sender, **kwargs):
        heard.append((sender, kwargs))

    signals.capacity_consumed.connect(receiver)
    try:
        engine.save(Song(id="s1", artist="a"))
    finally:
        signals.capacity_consumed.disconnect(receiver)
    assert heard == [
        (engine, dict(model=Song, table="prefix-songs", index=None, operation="update_item",
                      units=Units(0.0, 1.0, 1.0))),
        (engine, dict(model=Song, table="prefix-songs", index="by_artist", operation="update_item",
                      units=Units(0.0, 1.0, 1.0))),
    ]


def test_capacity_repr_and_iteration():
    capacity = Capacity()
    capacity.add(Key(Song, "t", None, "scan"), Units(1.0, 0.0, 1.0), Units(1.0, 0.0, 1.0))
    assert list(capacity) == [(Key(Song, "t", None, "scan"), Units(1.0, 0.0, 1.0))]
    assert repr(capacity) == "<Capacity read=1 write=0 total=1 rows=1>"


def test_the_async_engine_counts_capacity_too():
    engine = AsyncEngine(dynamodb_client(), table_name_template="prefix-{table_name}", capacity=True)
    engine.transport = AsyncFakeTransport([{"ConsumedCapacity": song_capacity(1.0)}])
    asyncio.run(engine.bind(Song, skip_table_setup=True))
    asyncio.run(engine.save(Song(id="s1")))
    assert engine.transport.requests[0][1]["ReturnConsumedCapacity"] == "INDEXES"
    assert engine.capacity.by_model() == {Song: Units(0.0, 1.0, 1.0)}


# ---------------------------------------------------------------------------------------
# progress

def batch_write_answer(call):
    return {"UnprocessedItems": {}}


def test_a_bulk_save_reports_after_each_chunk():
    engine = fake_engine(respond=batch_write_answer)
    songs = [Song(id=f"s{i}") for i in range(60)]
    reports = []
    engine.save(songs, progress=reports.append)
    assert [len(request["RequestItems"]["prefix-songs"]) for _, request in engine.transport.requests] == [25, 25, 10]
    assert all(isinstance(report, BatchProgress) for report in reports)
    assert [(r.operation, r.done, r.total, len(r.objects)) for r in reports] == \
        [("save", 25, 60, 25), ("save", 50, 60, 25), ("save", 60, 60, 10)]
    assert [obj for r in reports for obj in r.objects] == songs
    assert repr(reports[-1]) == "<BatchProgress save 60/60 (+10)>"


def test_unprocessed_items_are_reported_when_a_later_round_writes_them():
    songs = [Song(id=f"s{i}") for i in range(3)]
    answers = [{"UnprocessedItems": {"prefix-songs": [{"PutRequest": {"Item": {"id": {"S": "s2"}}}}]}},
               {"UnprocessedItems": {}}]
    clock = FakeClock()
    engine = fake_engine(answers, clock=clock, sleep=clock.sleep)
    reports = []
    engine.save(songs, progress=reports.append)
    assert [(r.done, r.objects) for r in reports] == [(2, songs[:2]), (3, songs[2:])]


def test_a_bulk_load_reports_each_chunk_read_found_or_not():
    songs = [Song(id=f"s{i}") for i in range(150)]

    def respond(call):
        keys = call.request["RequestItems"]["prefix-songs"]["Keys"]
        return {"Responses": {"prefix-songs": [dict(key, plays={"N": "1"}) for key in keys[1:]]}}

    engine = fake_engine(respond=respond)
    reports = []
    with pytest.raises(Exception, match="2 of 150 objects were not found"):
        engine.load(songs, progress=reports.append)
    assert [(r.operation, r.done, r.total) for r in reports] == [("load", 100, 150), ("load", 150, 150)]


def test_a_bulk_delete_and_single_requests_report_too():
    engine = fake_engine(respond=batch_write_answer)
    reports = []
    engine.delete([Song(id="a"), Song(id="b")], progress=reports.append)
    assert [(r.operation, r.done, r.total) for r in reports] == [("delete", 2, 2)]
    # a versioned model's objects are written one request each: one report per object
    engine = fake_engine([{}, {}])
    reports.clear()
    engine.save([Take(id="a"), Take(id="b")], progress=reports.append)
    assert [(r.done, r.total, [t.id for t in r.objects]) for r in reports] == [(1, 2, ["a"]), (2, 2, ["b"])]


def test_a_failed_chunk_is_not_reported():
    from bloop.exceptions import ServiceError

    engine = fake_engine([{"UnprocessedItems": {}}, ServiceError("boom", code="InternalServerError")])
    reports = []
    with pytest.raises(BatchIncomplete):
        engine.save([Song(id=f"s{i}") for i in range(30)], progress=reports.append)
    assert [(r.done, r.total) for r in reports] == [(25, 30)]


def test_a_progress_that_is_not_a_plain_function_is_refused_before_anything_is_sent():
    engine = fake_engine()

    async def coroutine(report):
        pass

    for bad in ("bar", 3, coroutine):
        for verb in ("save", "delete", "load"):
            with pytest.raises(InvalidType, match="nothing was sent"):
                getattr(engine, verb)([Song(id="a"), Song(id="b")], progress=bad)
    assert engine.transport.requests == []


def test_the_async_engine_reports_progress():
    engine = AsyncEngine(dynamodb_client(), table_name_template="prefix-{table_name}")
    engine.transport = AsyncFakeTransport(respond=batch_write_answer)
    reports = []

    async def run():
        await engine.save([Song(id=f"s{i}") for i in range(30)], progress=reports.append)
        await engine.delete([Song(id=f"s{i}") for i in range(30)], progress=reports.append)

    asyncio.run(run())
    assert [(r.operation, r.done) for r in reports] == [("save", 25), ("save", 30), ("delete", 25), ("delete", 30)]


class Member(BaseModel):
    class Meta:
        table_name = "members"

    id = Column(String, hash_key=True)
    email = Column(String, unique=True)


def test_objects_with_unique_constraints_are_reported_per_transaction():
    engine = fake_engine(respond=lambda call: {})
    reports = []
    members = [Member(id="a", email="a@example.com"), Member(id="b", email="b@example.com")]
    engine.save(members, progress=reports.append)
    assert "transact_write_items" in [operation for operation, _ in engine.transport.requests]
    assert [(r.operation, r.done, r.total, r.objects) for r in reports] == [("save", 2, 2, members)]
