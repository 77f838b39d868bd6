"""What users of bloop 3 and PynamoDB write: each old spelling is accepted, or refused
with an error that names bloop's spelling (docs/migrating.rst lists them all).

No backend: conditions and actions are rendered and checked against botocore's
service model, engines run against botocore's Stubber, transactions and streams are
driven by hand.  tests/integ/test_compat.py runs the same spellings on every backend.
"""
import datetime
import importlib

import pytest

import bloop
from bloop import (
    BaseModel, Column, Condition, Integer, ObjectsNotFound, Set, String, actions, signals,
)
from bloop.actions import Action
from bloop.conditions import BeginsWith, Comparison, Exists, In
from bloop.drivers.drive import drive as bloop_drive
from bloop.exceptions import InvalidCondition, InvalidStream, InvalidTransaction
from bloop.operations import Policy
from bloop.stream import Record
from bloop.stream.coordinator import Coordinator
from bloop.tracking import changes
from bloop.transactions import PreparedTransaction, Transaction
from tests.unit.fakes import FakeTransport, fake_engine
from tests.unit.helpers import assert_render, stubbed_engine, validate_request


class Item(BaseModel):
    class Meta:
        table_name = "items"

    id = Column(String, hash_key=True)
    age = Column(Integer)
    name = Column(String)
    tags = Column(Set(String))


# ---------------------------------------------------------------------------------------
# conditions

def test_is_and_is_not_with_a_value_are_equality_as_in_bloop_3():
    # bloop 3: ``is_ = __eq__`` and ``is_not = __ne__``
    condition = Item.age.is_(3)
    assert type(condition) is Comparison and condition.operator == "==" and condition.value == 3
    condition = Item.name.is_not("x")
    assert type(condition) is Comparison and condition.operator == "!=" and condition.value == "x"
    assert_render(Item.age.is_(3), {"ConditionExpression": "#n0 = :v0", "ExpressionAttributeNames": {"#n0": "age"},
                                    "ExpressionAttributeValues": {":v0": {"N": "3"}}})
    # None still means the attribute does (not) exist
    assert type(Item.age.is_(None)) is Exists and Item.age.is_(None).operator == "not_exists"
    assert Item.age.is_not(None).operator == "exists"


def test_in_takes_its_values_as_arguments_too():
    # bloop 3 (``in_(*values)``) and PynamoDB (``is_in(*values)``)
    assert Item.age.in_(1, 2, 3).value == [1, 2, 3]
    assert Item.name.in_("a", "b").value == ["a", "b"]
    assert Item.age.in_([1, 2]).value == [1, 2]  # one collection, as before
    with pytest.raises(InvalidCondition, match="at least one"):
        Item.age.in_()
    with pytest.raises(InvalidCondition):
        Item.name.in_("abc")  # one string is not a collection of values


def test_pynamodb_condition_spellings():
    assert Item.age.exists().operator == "exists"
    assert Item.age.does_not_exist().operator == "not_exists"
    prefix = Item.name.startswith("a")
    assert type(prefix) is BeginsWith and prefix.value == "a"
    listed = Item.age.is_in(1, 2)
    assert type(listed) is In and listed.value == [1, 2]
    assert Item.name["x"].exists().operand.segments == ("x",)


def test_none_is_the_empty_condition_when_combined():
    # PynamoDB: ``condition = None; condition &= Model.x == 1``; bloop 3: ``c & None`` is c
    a, b = Item.age == 1, Item.name == "x"
    assert (None & a) is a and (a & None) is a
    assert (None | a) is a and (a | None) is a
    condition = None
    for part in (a, b):
        condition &= part
    assert_render(condition, {"ConditionExpression": "(#n0 = :v0 AND #n1 = :v1)",
                              "ExpressionAttributeNames": {"#n0": "age", "#n1": "name"},
                              "ExpressionAttributeValues": {":v0": {"N": "1"}, ":v1": {"S": "x"}}})
    assert (Condition() & None).kind == "empty"
    with pytest.raises(InvalidCondition):
        a & "x"


# ---------------------------------------------------------------------------------------
# update actions: reflected arithmetic

def test_a_number_plus_a_column_adds():
    action = 5 + Item.age
    assert isinstance(action, Action) and action.kind == "plus" and action.value == 5 and action.source is Item.age


def test_a_number_minus_a_column_subtracts_the_column_from_the_number():
    # PynamoDB: ``Model.col.set(5 - Model.col)``
    obj = Item(id="a")
    obj.age = 5 - Item.age
    entries = changes(obj, [Item.age])
    assert [(operand, kind) for operand, kind, _ in entries] == [(Item.age, "subtract_from")]
    assert_render({"update": entries}, {"UpdateExpression": "SET #n0=:v0 - #n0",
                                        "ExpressionAttributeNames": {"#n0": "age"},
                                        "ExpressionAttributeValues": {":v0": {"N": "5"}}})
    assert_render({"update": [(Item.age, "subtract_from", actions.subtract_from(2).wire(Item.age))]},
                  {"UpdateExpression": "SET #n0=:v0 - #n0", "ExpressionAttributeNames": {"#n0": "age"},
                   "ExpressionAttributeValues": {":v0": {"N": "2"}}})
    assert repr(5 - Item.age) == "actions.subtract_from(5)"


def test_reflected_arithmetic_is_checked_like_the_rest():
    obj = Item(id="a")
    action = 5 - Item.age
    with pytest.raises(InvalidCondition, match="must read what it is assigned to"):
        obj.name = action  # assigned to another column than it reads: refused where assigned
    assert "name" not in obj.__dict__  # and not assigned
    obj.__dict__["name"] = action  # put in place without an assignment: refused when the save is built
    with pytest.raises(InvalidCondition, match="must read what it is assigned to"):
        changes(obj, [Item.name])
    with pytest.raises(InvalidCondition, match="arithmetic works on numbers"):
        5 - Item.name  # refused where it is built


# ---------------------------------------------------------------------------------------
# signals: bloop 3 sent every parameter as a keyword (engine=, model=, obj=)

def test_bloop_3_receivers_get_the_keywords_they_name():
    engine, stubber = stubbed_engine()
    got = []

    def on_saved(_, *, engine, obj, **kwargs):  # bloop 3's recommended template
        got.append(("saved", engine, obj))

    def on_loaded(sender, engine, obj, **kwargs):
        got.append(("loaded", engine, obj))

    def on_modified(_, *, obj, column, value, **kwargs):
        got.append(("modified", obj, column, value))

    def on_created(_, *, model, **kwargs):
        got.append(("created", model))

    item = Item(id="a")
    with signals.object_saved.connected_to(on_saved), signals.object_loaded.connected_to(on_loaded), \
            signals.object_modified.connected_to(on_modified), signals.model_created.connected_to(on_created):
        class Made(BaseModel):
            id = Column(String, hash_key=True)
        item.age = 3
        with stubber:
            stubber.add_response("update_item", {})
            stubber.add_response("batch_get_item", {"Responses": {"s-items": [{"id": {"S": "a"}}]}})
            engine.save(item)
            engine.load(item)
            stubber.assert_no_pending_responses()
    assert got == [("created", Made), ("modified", item, Item.age, 3), ("saved", engine, item),
                   ("loaded", engine, item)]


def test_bloop_4_receivers_get_exactly_what_they_did():
    engine, stubber = stubbed_engine()
    got = []

    def audit(engine, obj):  # the sender is named engine: it must not be given twice
        got.append(("audit", engine, obj))

    def every(sender, **kwargs):  # **kwargs alone asks for nothing more
        got.append(("every", sender, kwargs))

    class Receiver:
        def on_saved(self, sender, obj):
            got.append(("method", sender, obj))

    receiver = Receiver()
    item = Item(id="a", name="n")
    with signals.object_saved.connected_to(audit), signals.object_saved.connected_to(every), \
            signals.object_saved.connected_to(receiver.on_saved):
        with stubber:
            stubber.add_response("update_item", {})
            engine.save(item)
    assert sorted(got, key=lambda call: call[0]) == [
        ("audit", engine, item), ("every", engine, {"obj": item}), ("method", engine, item)]


def test_signals_that_bloop_4_does_not_send_are_refused_by_name():
    with pytest.raises(AttributeError, match="model_bound"):
        signals.model_validated
    with pytest.raises(AttributeError):
        signals.no_such_signal


# ---------------------------------------------------------------------------------------
# transactions

def make_policy(engine=None):
    policy = Policy(lambda model: "t-" + model.Meta.table_name, lambda: 100.0, None, 1.0)
    policy.engine = engine
    return policy


def test_a_prepared_transaction_commits_through_its_engine():
    # bloop 3: ``tx.prepare().commit()``; it used to return an unstarted generator and send nothing
    engine, stubber = stubbed_engine()
    tx = engine.transaction()
    tx.save(Item(id="a", name="A"))
    with stubber:
        stubber.add_response("transact_write_items", {})
        prepared = tx.prepare()
        assert prepared.commit() is prepared
        stubber.assert_no_pending_responses()
    assert prepared.first_commit is not None


def test_a_prepared_transaction_without_an_engine_refuses_to_commit():
    prepared = Transaction(make_policy()).save(Item(id="a")).prepare()
    with pytest.raises(InvalidTransaction, match="commit_op"):
        prepared.commit()
    validate_request("transact_write_items", next(prepared.commit_op())[0].request)


def test_a_caller_chosen_token():
    # PynamoDB: ``TransactWrite(client_request_token=...)``
    policy = make_policy()
    request = Transaction(policy, token="order-42").save(Item(id="a", name="A")).prepare().request
    validate_request("transact_write_items", request)
    assert request["ClientRequestToken"] == "order-42"
    tx = Transaction(policy).save(Item(id="a", name="A"))
    assert tx.prepare(token="order-43").token == "order-43"
    assert tx.prepare().token not in ("order-42", "order-43")  # a new prepare, a new token
    assert PreparedTransaction(policy, "w", [], token="t").token == "t"


@pytest.mark.parametrize("token", ["", "x" * 37, 42, b"bytes"])
def test_a_token_dynamodb_would_refuse_is_refused_before_sending(token):
    with pytest.raises(InvalidTransaction, match="token"):
        Transaction(make_policy(), token=token)
    with pytest.raises(InvalidTransaction, match="token"):
        Transaction(make_policy()).save(Item(id="a")).prepare(token=token)


def test_a_read_transaction_has_no_token():
    with pytest.raises(InvalidTransaction, match="read"):
        Transaction(make_policy(), "r", token="t")
    with pytest.raises(InvalidTransaction, match="read"):
        Transaction(make_policy(), "r").load(Item(id="a")).prepare(token="t")


def test_the_engine_transaction_takes_a_token():
    engine, stubber = stubbed_engine()
    tokens = []
    engine.session.dynamodb.meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **kwargs: tokens.append(params["ClientRequestToken"]))
    with stubber:
        stubber.add_response("transact_write_items", {})
        with bloop.transactions.SyncTransaction(engine, token="order-44") as tx:
            tx.save(Item(id="a", name="A"))
    assert tokens == ["order-44"]


# ---------------------------------------------------------------------------------------
# streams

def stream_record(key, number=1):
    return {"eventID": f"e{number}", "eventName": "MODIFY", "eventVersion": "1.1",
            "dynamodb": {"ApproximateCreationDateTime": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
                         "Keys": {"id": {"S": key}}, "SequenceNumber": str(10 ** 20 + number),
                         "NewImage": {"id": {"S": key}, "age": {"N": "2"}},
                         "OldImage": {"id": {"S": key}, "age": {"N": "1"}}}}


def test_a_record_reads_like_bloop_3s_dict():
    record = bloop.stream.from_stream(Item, stream_record("a"))
    assert record["new"] is record.new and record["old"] is record.old and record["key"] is record.key
    assert set(record.keys()) == set(record) == {"key", "old", "new", "meta"} and "new" in record
    assert record["meta"] == {"created_at": record.created_at, "sequence_number": record.sequence_number,
                              "event": {"id": "e1", "type": "modify", "version": "1.1"}}
    assert "{old.age} became {new.age}".format(**record) == "1 became 2"
    with pytest.raises(KeyError, match="event_name"):
        record["eventName"]


ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t-items/stream/2024-01-01T00:00:00.000"
SHARD = "shardId-" + "a" * 20


def drive(op, answer):
    """Run a coordinator generator with bloop's driver on the shared fake transport:
    ``answer(call)`` is each call's outcome."""
    transport = FakeTransport(respond=answer)
    value = bloop_drive(op, transport.send, None)
    return [call for step in transport.steps for call in step], value


def test_heartbeat_keeps_a_shard_that_yielded_nothing_in_place():
    coordinator = Coordinator(Item, "t-items")
    coordinator.arn = ARN
    from bloop.stream.coordinator import LATEST, Shard
    fresh, started = Shard(SHARD, None, LATEST), Shard("shardId-" + "b" * 20, None, LATEST, sequence="7" * 21)
    fresh.iterator, started.iterator = "it-fresh", "it-started"
    coordinator.shards = [fresh, started]
    answers = {"it-fresh": {"Records": [stream_record("a")], "NextShardIterator": "it-fresh-2"}}
    sent, _ = drive(coordinator.heartbeat(), lambda call: answers[call.request["ShardIterator"]])
    # only the shard with no position of its own is read; its records are kept for the next take()
    assert [call.request["ShardIterator"] for call in sent] == ["it-fresh"]
    assert fresh.iterator == "it-fresh-2" and len(fresh.buffer) == 1 and started.iterator == "it-started"
    assert coordinator.take().key.id == "a"


def test_next_on_a_stream_returns_a_record_or_none():
    from bloop.stream import Stream
    coordinator = Coordinator(Item, "t-items")
    coordinator.arn = ARN
    from bloop.stream.coordinator import TRIM_HORIZON, Shard
    shard = Shard(SHARD, None, TRIM_HORIZON)
    shard.iterator = "it-1"
    coordinator.shards = [shard]
    pages = {"it-1": {"Records": [stream_record("a")], "NextShardIterator": "it-2"},
             "it-2": {"Records": [], "NextShardIterator": "it-3"}}

    engine = fake_engine(respond=lambda call: pages[call.request["ShardIterator"]])
    stream = Stream.__new__(Stream)
    stream.engine, stream.model, stream.coordinator = engine, Item, coordinator
    record = next(stream)
    assert isinstance(record, Record) and record.key.id == "a"
    assert next(stream) is None  # nothing new yet: bloop 3 returned None, never StopIteration
    stream.heartbeat()  # a shard with a position needs no heartbeat: nothing is sent
    assert shard.iterator == "it-3"


def test_a_bloop_3_stream_token_is_refused_by_name():
    token = {"stream_arn": ARN, "active": [SHARD],
             "shards": [{"shard_id": SHARD, "iterator_type": "after_sequence", "sequence_number": "1" * 21}]}
    with pytest.raises(InvalidStream, match="bloop 3"):
        next(Coordinator(Item, "t-items").move_to(token))


# ---------------------------------------------------------------------------------------
# renamed names

def test_objects_not_found_objects_is_missing():
    error = ObjectsNotFound("2 not found", ["a", "b"])
    assert error.objects == error.missing == ["a", "b"]


def test_bloop_3_names_at_the_top_level():
    from bloop import MissingObjects, object_saved
    from bloop.exceptions import MissingObjects as same
    assert MissingObjects is same is ObjectsNotFound
    assert object_saved is signals.object_saved
    from bloop import Stream
    assert Stream is bloop.stream.Stream
    with pytest.raises(ImportError, match="default"):
        from bloop import missing  # noqa: F401
    with pytest.raises(ImportError, match="model_bound"):
        from bloop import model_validated  # noqa: F401
    with pytest.raises(ImportError, match="Stream recovers"):
        from bloop import RecordsExpired  # noqa: F401
    with pytest.raises(AttributeError):
        bloop.no_such_name
    assert not hasattr(importlib.import_module("bloop.exceptions"), "no_such_name")
