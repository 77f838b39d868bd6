"""What users of bloop 3 and PynamoDB write, on every backend and with both engines
(docs/migrating.rst; tests/unit/test_compat.py has the backend-free checks)."""
import boto3
import pytest

import bloop
from bloop import BaseModel, Column, ConstraintViolation, Integer, String, actions, signals

pytestmark = pytest.mark.engines("sync", "async")


class Tally(BaseModel):
    class Meta:
        table_name = "tallies"

    id = Column(String, hash_key=True)
    left = Column(Integer)
    name = Column(String)


@pytest.fixture
def tallies(engine):
    engine.bind(Tally)
    return engine


def stored(client, engine, key):
    return client.get_item(TableName=engine._table_name(Tally), Key={"id": {"S": key}},
                           ConsistentRead=True).get("Item")


def test_reflected_arithmetic_in_updates(tallies, client):
    engine = tallies
    tally = Tally(id="t", left=10, name="x")
    engine.save(tally)
    tally.left = 5 - Tally.left  # PynamoDB: Tally.left.set(5 - Tally.left)
    engine.save(tally)
    assert stored(client, engine, "t")["left"] == {"N": "-5"}
    tally.left = 1 + Tally.left
    engine.save(tally, sync="new")
    assert tally.left == -4
    tally.left = actions.subtract_from(0)
    engine.save(tally, sync="new")
    assert tally.left == 4


def test_bloop_3_and_pynamodb_conditions(tallies, client):
    engine = tallies
    engine.save(Tally(id="t", left=3, name="x"))
    condition = None  # PynamoDB builds conditions from None
    condition &= Tally.name.is_("x")  # bloop 3: is_ is ==
    condition &= Tally.left.is_in(1, 2, 3)
    condition &= Tally.id.exists()
    engine.save(Tally(id="t", left=4), condition=condition)
    assert stored(client, engine, "t")["left"] == {"N": "4"}
    with pytest.raises(ConstraintViolation):
        engine.save(Tally(id="t", left=5), condition=Tally.name.is_not("x") & None)
    assert engine.scan(Tally).filter(Tally.name.startswith("x") & Tally.left.in_(4, 5)).count() == 1


def test_bloop_3_signal_receivers_get_the_engine(tallies):
    engine = tallies
    seen = []

    def on_saved(sender, *, engine, obj, **kwargs):
        seen.append((sender, engine, obj))

    tally = Tally(id="t", name="x")
    with signals.object_saved.connected_to(on_saved):
        engine.save(tally)
    (sender, given, obj), = seen
    assert obj is tally and sender is given is engine.policy.engine


@pytest.fixture
def transactions_backend(backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement transactions (UnknownOperationException)")


@pytest.mark.usefixtures("transactions_backend")
def test_tx_prepare_commit_sends(tallies, client):
    engine = tallies
    tx = engine.transaction()
    tx.save(Tally(id="a", name="A"), Tally(id="b", name="B"))
    prepared = tx.prepare()
    sent = prepared.commit()  # bloop 3's spelling; awaitable with the async engine
    if isinstance(engine, bloop.Engine):
        assert sent is prepared
    else:
        assert engine.wait(sent) is prepared
    assert stored(client, engine, "a")["name"] == {"S": "A"} and stored(client, engine, "b")["name"] == {"S": "B"}


@pytest.mark.usefixtures("transactions_backend")
def test_a_caller_chosen_transaction_token(tallies, client, requests):
    engine = tallies
    tx = engine.transaction()
    tx.save(Tally(id="a", name="A"))
    tx.prepare(token="order-42")
    tx.commit()
    (name, request), = [call for call in requests.calls if call[0] == "TransactWriteItems"]
    assert request["ClientRequestToken"] == "order-42"
    assert stored(client, engine, "a")["name"] == {"S": "A"}


@pytest.mark.engines("sync")
def test_next_and_heartbeat_on_a_stream(backend, backend_name, client, prefix):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement DynamoDB Streams")

    class Watched(BaseModel):
        class Meta:
            table_name = "watched"
            stream = {"include": ["new", "old"]}

        id = Column(String, hash_key=True)
        name = Column(String)

    streams = boto3.client("dynamodbstreams", endpoint_url=backend["endpoint_url"], region_name="us-east-1")
    engine = bloop.Engine(client, streams, table_name_template=prefix + "{table_name}")
    engine.bind(Watched)
    stream = engine.stream(Watched, "latest")
    assert next(stream) is None  # bloop 3: None when there is nothing new, never StopIteration
    stream.heartbeat()  # the shard has yielded nothing: its place is read again, and kept
    engine.save(Watched(id="w", name="x"))
    stream.heartbeat()
    records = []
    while (record := next(stream)) is not None:
        records.append(record)
    assert records and records[-1]["new"].name == "x" and records[-1].new.id == "w"
    assert next(stream) is None


@pytest.mark.usefixtures("transactions_backend")
def test_the_engine_transaction_takes_a_caller_chosen_token(tallies, client, requests):
    with tallies.transaction(token="order-43") as tx:
        tx.save(Tally(id="t", name="T"))
    (name, request), = [call for call in requests.calls if call[0] == "TransactWriteItems"]
    assert request["ClientRequestToken"] == "order-43"


def test_load_of_two_objects_without_a_list_is_refused(tallies, requests):
    # bloop 3 and PynamoDB habits: the second object would be taken for ``consistent``
    with pytest.raises(bloop.InvalidType, match=r"engine\.load\(\[a, b\]\)"):
        tallies.load(Tally(id="a"), Tally(id="b"))
    assert requests.calls == []
